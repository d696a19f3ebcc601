"""Derived functions pickled by reference: ``pickle.dumps(tl.grad(f))`` of a function
``f`` that pickle itself finds by name (a module-level function, or a method of a
module-level class) saves how to derive it again, not its generated code.

Pickle saves a function as its module and qualified name, and checks that they lead
back to the same object. A derived function of such an ``f`` is named here,
``grad(models/loss, wrt=0)`` in this module (``f``'s module and qualified name, dots
written ``/``, then its ``wrt``), and this module's ``__getattr__`` reads that name back
as ``tl.grad(models.loss, wrt=0)``: in the process that pickled it, the cached derived
function itself (pickle's check holds); in another, the same transformation derived
there. A derived function of a lambda or a local function keeps its own name: pickle
refuses it (*attribute lookup ... failed*), as it refuses the lambda itself.
"""
from __future__ import annotations

import ast
import importlib
import re
import sys

_MODES = ("grad", "value_and_grad", "vjp", "jvp")


def named_for_pickle(derived, mode: str, func, wrt) -> None:
    """Give ``derived`` (``tl.<mode>(func, wrt)``) the module and qualified name by
    which pickle saves it, when pickle can save ``func`` by its own."""
    if mode not in _MODES or _found(func) is not func:
        return
    try:
        text = repr(wrt)
        if ast.literal_eval(text) != wrt:
            return
    except (ValueError, SyntaxError):
        return
    derived.__module__ = __name__
    derived.__qualname__ = (f"{mode}({_escape(func.__module__)}:"
                            f"{_escape(func.__qualname__)}, wrt={text})")


def _found(func):
    """What pickle finds by ``func``'s module and qualified name, or None."""
    module = sys.modules.get(getattr(func, "__module__", None) or "")
    qualname = getattr(func, "__qualname__", "")
    if module is None or "<" in qualname:   # (<lambda>, <locals>)
        return None
    found = module
    for part in qualname.split(".") if module.__name__ != __name__ else [qualname]:
        found = getattr(found, part, None)
    return found


def _escape(text: str) -> str:
    # (a qualified name that pickle reads back has no dots: they are written `/`)
    return text.replace("%", "%25").replace("/", "%2F").replace(".", "/")


def _unescape(text: str) -> str:
    return re.sub(r"%25|%2F|/", lambda m: {"%25": "%", "%2F": "/", "/": "."}[m.group()],
                  text)


def __getattr__(name: str):
    """The derived function a name made by named_for_pickle stands for."""
    mode, paren, rest = name.partition("(")
    target, comma, wrt_text = rest[:-1].rpartition(", wrt=")
    module_name, colon, qualname = target.partition(":")
    if mode not in _MODES or not (paren and comma and colon) or not rest.endswith(")"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(_unescape(module_name))
    func = module
    qualname = _unescape(qualname)
    for part in qualname.split(".") if module.__name__ != __name__ else [qualname]:
        func = getattr(func, part)
    from . import api
    return getattr(api, mode)(func, wrt=ast.literal_eval(wrt_text))
