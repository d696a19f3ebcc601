"""The public transformations.

Each returns the generated function itself: calling it costs nothing beyond the
generated code (no wrapper, no signature binding). Its source is ``df.source``.
Derived functions are cached by (function, code, closure values, options), so
decorating or calling ``tl.grad(f)`` twice does the work once, and a function whose
code or closure changes is derived again.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, Union

from .pipeline import derive

Wrt = Union[int, str, tuple]

_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _transform(func, mode: str, wrt, verbose: int):
    key = (mode, wrt if not isinstance(wrt, list) else tuple(wrt), _code_key(func))
    try:
        per_func = _cache.get(func)
    except TypeError:
        per_func = None
    if per_func is not None and key in per_func:
        derived = per_func[key]
    else:
        derived = derive(func, mode, wrt)
        try:
            with _lock:
                _cache.setdefault(func, {})[key] = derived
        except TypeError:
            pass
    if verbose:
        print(derived.source)
    return derived


def _code_key(func):
    code = getattr(func, "__code__", None)
    cells = getattr(func, "__closure__", None) or ()
    values = []
    for cell in cells:
        try:
            values.append(id(cell.cell_contents))
        except ValueError:
            values.append(None)
    return (id(code), tuple(values))


def _decorator(mode: str, func, wrt, verbose):
    if func is None:
        return lambda f: _transform(f, mode, wrt, verbose)
    return _transform(func, mode, wrt, verbose)


def grad(func: Callable = None, wrt: Wrt = 0, *, verbose: int = 0) -> Callable:
    """The gradient of a scalar-valued function.

    ``tl.grad(f)`` and ``@tl.grad`` / ``@tl.grad(wrt=(0, 'y'))`` return a function that
    takes ``f``'s arguments and returns the gradient with respect to ``wrt`` (a
    position, a parameter name, or a tuple of those; then a tuple of gradients). The
    gradient has the structure of its argument (float for float, array for array).

    The derived function is generated Python; ``df.source`` shows it, ``verbose=1``
    prints it. Its last positional parameter is the output's seed, 1.0 by default.
    """
    return _decorator("grad", func, wrt, verbose)


def value_and_grad(func: Callable = None, wrt: Wrt = 0, *, verbose: int = 0) -> Callable:
    """Like :func:`grad`, but the derived function returns ``(value, gradient)``."""
    return _decorator("value_and_grad", func, wrt, verbose)


def vjp(func: Callable = None, wrt: Wrt = 0, *, verbose: int = 0) -> Callable:
    """The vector-Jacobian product of a function with any output.

    ``tl.vjp(f)(*args, seed)`` returns the gradient of ``<seed, f(*args)>`` with respect
    to ``wrt``: ``seed`` has the structure of ``f``'s output (a tuple for a tuple).
    """
    return _decorator("vjp", func, wrt, verbose)


def jvp(func: Callable = None, wrt: Wrt = 0, *, verbose: int = 0) -> Callable:
    """The Jacobian-vector product (forward mode).

    ``tl.jvp(f)(*args, tangent)`` returns the tangent of ``f``'s output when the ``wrt``
    input moves along ``tangent`` (a tuple of tangents for a tuple ``wrt``). The derived
    code is ``f``'s own code with a tangent statement beside each primal statement.
    """
    return _decorator("jvp", func, wrt, verbose)


def derivative_source(derived: Any) -> str:
    """The generated source of a derived function (same as ``derived.source``)."""
    return derived.source
