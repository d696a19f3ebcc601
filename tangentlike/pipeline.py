"""The whole transformation, as one short list of passes.

    function -> parse -> normalize -> analyze -> reverse -> optimize -> entry -> emit -> function

Each pass is one module with one entry point; no pass reaches back into an earlier one.
"""
from __future__ import annotations

import gast

from .analyze import analyze
from .calls import under_way
from .emit import compile_function, to_source
from .entry import (Rederived, add_entry, current_version, rebindable_callees,
                    without_entry_checks)
from .forward import forward
from .errors import short_filename
from .normalize import normalize
from .optimize import optimize
from .parse import Parsed, parse
from .reverse import reverse

REVERSE_MODES = ("grad", "value_and_grad", "vjp")
FORWARD_MODES = ("jvp",)


def derive(func, mode: str, wrt) -> object:
    """Generate, compile and return the derivative of ``func`` (see tangentlike.api)."""
    func = current_version(func)   # a derived function made for callees since rebound
    parsed = parse(func)
    without_entry_checks(parsed, func)   # a derived function's own checks are not its math
    wrt_names = select_wrt(parsed, wrt)
    core = normalize(parsed)
    guards = rebindable_callees(core, func)
    activity = analyze(core, wrt_names)
    as_tuple = isinstance(wrt, (tuple, list))
    name = derived_name(parsed, wrt_names, mode)
    core.namer.reserve(name)   # nothing the derivative calls may shadow its own name
    wrt_key = (tuple(wrt), True) if as_tuple else ((wrt,), False)
    with under_way(func, mode, wrt_key, name):   # a recursive call refers to `name`
        if mode in FORWARD_MODES:
            fdef = forward(core, activity, wrt_names, name, as_tuple)
        else:
            fdef = reverse(core, activity, wrt_names, mode, name, as_tuple)
    fdef = optimize(fdef)
    rederived = Rederived(func, mode, wrt)
    fdef, guards, entry_checks = add_entry(fdef, core, func, mode, wrt_names, guards, rederived)
    source = to_source([fdef], parsed.filename)
    used = {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)}
    cells = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
    user_cells = {k: cell for k, cell in cells.items() if k in used and k not in core.binder.bound}
    label = f"{parsed.node.name} at {short_filename(parsed.filename)}:{parsed.node.lineno}"
    derived = compile_function(source, fdef.name, core.binder.bound, func.__globals__, label,
                               user_cells)
    derived.guards = tuple(guards)            # checked by the cache in api.py
    derived.entry_checks = entry_checks       # left out when derived again
    derived.user_cells = frozenset(user_cells)
    derived.rederived = rederived             # what its guard calls
    return derived


def derived_name(parsed: Parsed, wrt: list, mode: str) -> str:
    name = f"d{parsed.node.name}d{'_'.join(wrt)}"
    if mode == "jvp":
        return name + "_jvp"
    return f"value_and_{name}" if mode == "value_and_grad" else name


def select_wrt(parsed: Parsed, wrt) -> list:
    """The parameter names that ``wrt`` (a position, a name, or a tuple) selects."""
    args = parsed.node.args
    params = [a.id for a in args.posonlyargs + args.args]
    keyword_only = [a.id for a in args.kwonlyargs]
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    if not items:
        raise parsed.error("`wrt` selects no argument", hint="pass a position or a name")
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise parsed.error(f"`wrt` must be positions or parameter names, not {item!r}",
                               hint="for example wrt=0, wrt='x' or wrt=(0, 'y')")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise parsed.error(
                    f"`wrt={item}` is out of range: {parsed.node.name} has {len(params)} "
                    "positional parameter(s)", hint=f"choose one of {params}")
            name = params[item]
        else:
            if item not in params + keyword_only:
                raise parsed.error(f"`wrt={item!r}` is not a parameter of {parsed.node.name}",
                                   hint=f"choose one of {params + keyword_only}")
            name = item
        if name in names:
            raise parsed.error(f"`wrt` names {name!r} twice")
        names.append(name)
    return names
