"""The whole transformation, as one short list of passes.

    function -> parse -> normalize -> analyze -> reverse -> optimize -> entry -> emit -> function

Each pass is one module with one entry point; no pass reaches back into an earlier one.
"""
from __future__ import annotations

import functools
import gc
import types
import weakref
from contextlib import contextmanager

import gast
import numpy as np

from . import rules
from .naming import name_ids, walk
from .analyze import (analyze, discarded_call, reads_low_precision,
                      sequence_arithmetic)
from .calls import under_way
from .emit import compile_function, to_source
from .entry import (NOT_GIVEN, Rederived, add_entry, current_version, guards_hold,
                    rebindable_callees, without_entry_checks)
from .errors import TransformError, register_generated, short_filename
from .normalize import Kept, normalize
from .numbers import FLOAT, NUMBER
from .optimize import optimize
from .parse import Parsed, parse, too_deep
from .reverse import reverse
from .runtime import returns_no_number
from .shapeclass import leaves
from .inline import inline_helpers, maybe_inlines
from .scalarize import MAX_ITEMS as MAX_ROW, maybe_scalarizes, scalarized_body
from .algebra import negated_products, rewrite_products
from .unroll import loops_over_displays, unrolled_body
from .specialize import Dispatcher, Items, describe, guard_source, leaf_kinds, make_entry

REVERSE_MODES = ("grad", "value_and_grad", "vjp")
FORWARD_MODES = ("jvp",)


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector held off while a derivative is built. Building
    one makes tens of thousands of short-lived tree nodes, so the collector would run
    dozens of times, each time scanning every live object, to find cycles that the
    passes do not make (reference counting frees the trees); that is about a tenth of the
    time of a derivation. Only the outermost build pauses it, and only if it was running."""
    running = gc.isenabled()
    if running:
        gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


@collector_paused()
def derive(func, mode: str, wrt, checked: bool = True) -> object:
    """Generate, compile and return the derivative of ``func`` (see tangentlike.api);
    a function nested too deeply for the passes, which recurse over its syntax tree
    (Python's recursion limit), is a TransformError at its ``def`` (was a RecursionError
    from inside the library)."""
    try:
        return _derive(func, mode, wrt, checked)
    except RecursionError:
        pass   # (raised outside the handler: no RecursionError as its context)
    raise too_deep(func)


def _derive(func, mode: str, wrt, checked: bool = True) -> object:
    """Generate, compile and return the derivative of ``func`` (see tangentlike.api).

    Reverse modes return an entry that specializes the derivative to the shapes of the
    arguments it is called with (specialize.py); the generic derivative is built now,
    so every error is raised now. ``checked``: with the entry checks of the arguments
    (integers in wrt, complex values), which a derivative called by another one (calls.py)
    leaves out."""
    # a derived function: its entry stands for the generic derivative, made for
    # callees that may have been rebound since
    func = current_version(getattr(func, "__tangentlike_generic__", func))
    func = getattr(func, "__tangentlike_generic__", func)
    if mode in FORWARD_MODES:
        return build(func, mode, wrt, checked=checked)
    parsed, wrt_names, core = front(func, wrt)
    # the versions start from a copy of the normalized function, not from its source
    kept = Kept(func, core) if Kept.keeps(func) else None
    generic = build(func, mode, wrt, core=(parsed, wrt_names, core), checked=checked)
    if kept:
        kept.keep()
    code = generic.__code__   # f's positional parameters, then the seed
    params = list(code.co_varnames[:code.co_argcount - 1])
    dispatcher = Dispatcher(None, generic, params,
                            constants=checked and bool(set(params) - set(wrt_names)))
    dispatcher.sequence_ops = sequence_ops(func, parsed, core, wrt_names)
    code = func.__code__   # (the closure and global names the body may size arrays with)
    dispatcher.sized = size_params(parsed.node, set(params) - set(wrt_names)
                                   | set(code.co_names) | set(code.co_freevars))
    dispatcher.free = free_arrays(func, params, dispatcher.sized)
    user = weakref.ref(func)   # the cache must not keep the user's function alive
    spare = _spare(func)
    inlines = [maybe_inlines(func)]   # (False once a version found nothing to inline)
    displays = parsed.loops_over_displays or parsed.negated_products
    rows = maybe_scalarizes(func)

    def derive_version(signature):
        alive = user() or spare
        if alive is None or not guards_hold(alive):
            # a derived function whose callee was rebound since: its text is the old
            # callee's derivative, so a version of it now would be stale with guards that
            # hold. The generic serves: its guard sees the rebinding and derives again
            return None
        core = version_front(alive, wrt, signature, inlines, displays, rows)   # (None:
        # nothing to unroll, inline or make numbers)
        again = core is None and kept and kept.again(alive)
        if again:
            core = (again.parsed, select_wrt(again.parsed, wrt), again)
        return build(alive, mode, wrt, signature, dispatcher, core, checked)
    dispatcher.derive_version = derive_version
    derived_from = func.__code__

    def code_changed():
        alive = user()
        return alive is not None and alive.__code__ is not derived_from
    dispatcher.code_changed = code_changed
    return make_entry(generic, dispatcher, generic.label,
                      seed_check=checked and mode in ("grad", "value_and_grad"))


def _spare(func):
    """A copy of ``func`` for deriving versions after the function itself is gone:
    ``tl.grad(make_loss(data))`` or ``tl.grad(lambda x: ...)`` is often the only
    holder of the function, and the dispatcher holds it weakly (the cache is keyed by
    it). The copy shares its code, globals, closure cells and attributes, not the
    function object. None for a closure that holds the function itself (the copy would
    keep the cache's key alive)."""
    cells = func.__closure__ or ()
    for cell in cells:
        try:
            if cell.cell_contents is func:
                return None
        except ValueError:   # (an empty cell)
            continue
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                              func.__defaults__, func.__closure__)
    copy.__kwdefaults__ = func.__kwdefaults__
    copy.__qualname__ = func.__qualname__
    copy.__dict__.update(func.__dict__)
    return copy


def front(func, wrt) -> tuple:
    """parse and normalize: (parsed function, names of the wrt parameters, normalized)."""
    parsed = parse(func)
    without_entry_checks(parsed, func)   # a derived function's own checks are not its math
    wrt_names = select_wrt(parsed, wrt)
    parsed.loops_over_displays = loops_over_displays(parsed.node)   # (before normalize
    # rewrites the loops)
    parsed.negated_products = negated_products(parsed.node)
    return parsed, wrt_names, normalize(parsed)


def version_front(func, wrt, signature, inlines, displays=False, rows=False) -> tuple:
    """``front`` for the version of ``signature`` with the loops over the items of a
    list, tuple or dict argument or of a display unrolled (unroll.py), the calls of
    small helpers inlined (inline.py), small state arrays made numbers (scalarize.py)
    and negated operands of products moved out (algebra.py), or None when it has none
    of them. ``inlines``: [whether the
    function may inline a helper], set to False when it inlines none (what inlines does
    not depend on the signature: the next versions need not parse the function to find
    out); ``displays``: whether it has a top-level loop over a display (or a negated
    operand of a matrix product); ``rows``:
    whether the function may have small state arrays to make numbers, for a version
    with a small float64 vector argument."""
    sequences = displays or any(kind.__class__ is Items and kind.cls in (list, tuple, dict)
                                for kind, _, _ in signature.values())
    rows = rows and any(isinstance(kind, tuple) and len(kind[1]) == 1
                        and kind[1][0] <= MAX_ROW and kind[2] == np.float64
                        for kind, _, _ in signature.values())
    helpers = inlines[0]
    if not sequences and not helpers and not rows:
        return None
    parsed = parse(func)
    without_entry_checks(parsed, func)
    shadowed = [name for name in ("range", "len", "zip", "enumerate")
                if name in func.__globals__ or name in func.__code__.co_freevars]
    body = unrolled_body(parsed.node, signature, shadowed) if sequences else None
    if body is not None:
        parsed.node.body = body
    inlined = helpers and inline_helpers(parsed)
    if helpers and not inlined:
        inlines[0] = False
    rewritten = displays and rewrite_products(parsed.node, signature)
    numbers = scalarized_body(parsed, signature) if rows else None
    if numbers is not None:
        parsed.node.body = numbers
    if body is None and not inlined and not rewritten and numbers is None:
        return None
    return parsed, select_wrt(parsed, wrt), normalize(parsed)


@collector_paused()
def build(func, mode: str, wrt, signature=None, dispatcher=None, core=None,
          checked: bool = True, forward_pays: bool = True) -> object:
    """One derivative of ``func``: generic, or specialized to ``signature`` (a dict of
    parameter -> (guard kind, shape class, stand-in), see specialize.py); then its first line is
    a guard that hands other arguments to ``dispatcher``. None when the specialized
    code would be the generic code. ``core``: what ``front`` gives, if already made."""
    parsed, wrt_names, core = core or front(func, wrt)
    guards = rebindable_callees(core, func)
    activity = core.facts.get(("activity", tuple(wrt_names)))
    if activity is None:   # (a version's is its first derivation's: see Kept)
        activity = core.facts[("activity", tuple(wrt_names))] = analyze(core, wrt_names)
        refuse_discarded_call(core, activity)
    as_tuple = isinstance(wrt, (tuple, list))
    name = derived_name(parsed, wrt_names, mode)
    core.namer.reserve(name)   # nothing the derivative calls may shadow its own name
    wrt_key = (tuple(wrt), True) if as_tuple else ((wrt,), False)
    # (the output of a function the user differentiates is checked to be no truth value
    # or integer, require_real_output: not a helper's, whose caller computes with it)
    core.real_output = checked
    with under_way(func, mode, wrt_key, name):   # a recursive call refers to `name`
        fdef = None
        if mode in FORWARD_MODES:
            from .forward import forward   # (forward mode only: not compiled at import)
            fdef = forward(core, activity, wrt_names, name, as_tuple, checked)
        elif forward_pays and one_number(mode, wrt_names, signature) \
                and not numpy_seed_beside_lists(core.params, wrt_names[0], signature):
            from .forward import forward_gradient
            like = core.binder.name_for(wrt_names[0] + "_like", signature[wrt_names[0]][2])
            try:
                fdef = forward_gradient(core, activity, wrt_names[0], mode, name, as_tuple,
                                        like, signature[wrt_names[0]][0] is float
                                        and not low_precision(signature)
                                        and all_specialized(parsed, signature)
                                        and not reads_low_precision(core),
                                        sequences=unproven_params(core.params, signature))
            except TransformError:   # (a rule without a tangent): the reverse version
                forward_pays = False
        else:
            known = (signature or {}).values()
            fdef = reverse(core, activity, wrt_names, mode, name, as_tuple,
                           dict(zip(signature or {}, (c for _, c, _ in known))),
                           dict(zip(signature or {}, (v for _, _, v in known))),
                           seed=dispatcher.seed if signature else None)
    if fdef is None:   # (from a fresh normalized copy: the forward pass may have named things)
        return build(func, mode, wrt, signature, dispatcher, None, checked, forward_pays=False)
    fdef = optimize(fdef, core.binder.bound, specialized=bool(signature),
                    numbers=number_params(signature), elements=element_params(signature),
                    user_globals=func.__globals__)
    rederived = Rederived(func, mode, wrt, checked)
    # (forward mode has no dispatcher: its entry checks the sequences itself)
    operations = sequence_ops(func, parsed, core, wrt_names) \
        if mode in FORWARD_MODES and checked else ()
    fdef, guards, entry_checks = add_entry(fdef, core, func, mode, wrt_names, guards, rederived,
                                           *checked_arguments(signature), checked, operations)
    source = to_source([fdef], parsed.filename)
    if signature:
        if source == dispatcher.generic.source:
            return None
        source = _guarded(source, fdef, signature, dispatcher, core.binder)
    cells = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
    user_cells = {}
    if cells:   # (a walk of the whole derivative: only for a function with a closure)
        used = set(name_ids(fdef))
        user_cells = {k: cell for k, cell in cells.items()
                      if k in used and k not in core.binder.bound}
    label = f"{parsed.node.name} at {short_filename(parsed.filename)}:{parsed.node.lineno}"
    derived = compile_function(source, fdef.name, core.binder.bound, func.__globals__, label,
                               user_cells)
    derived.guards = tuple(guards)            # checked by the cache in api.py
    derived.entry_checks = entry_checks       # left out when derived again
    derived.user_cells = frozenset(user_cells)
    derived.rederived = rederived             # what its guard calls
    derived.label = label
    # whether a path of the function returns no number (calls.derived_call), its own or
    # a helper's whose None it may return (`return h2(x)`): a caller's derivative checks
    # the value of a call of it, so that every mode raises NoNumberReturned at h2
    derived.returns_nothing = any(getattr(n, "callee", None) is returns_no_number
                                  for n in core.nodes()) or any(
        getattr(getattr(v, "generic", v), "returns_nothing", False) is True
        for v in core.binder.bound.values() if isinstance(v, types.FunctionType))
    # where the user's function is defined: the place a derived function's errors name
    derived.user_def = getattr(func, "user_def", None) or (parsed.filename, parsed.node.lineno)
    derived.generated_at = (parsed.filename, derived.user_def)
    made_for = getattr(func, "__tangentlike_class__", None)
    if made_for is not None:   # (a method derived as a subclass's: so is its derivative,
        derived.__tangentlike_class__ = made_for   # derived again; calls.method_for_class)
    register_generated(derived.__code__, *derived.generated_at)   # (its errors)
    return derived


def refuse_discarded_call(core, activity) -> None:
    """Refuse a call made for what it changes (analyze.discarded_call) at its line."""
    stmt = discarded_call(core, activity)
    if stmt is not None:
        qual = _written(stmt.value.func) or rules.registry.qualified_name(stmt.value.callee)
        raise core.parsed.error(
            f"`{qual}` is called for what it does, not for its result, on a value that "
            "carries a derivative: it may change its arguments in place, which the "
            "derivative cannot follow, and it has no derivative rule", stmt.origin,
            hint="compute the new value with operations tangentlike differentiates (an "
            "element write `z[i] = v` into an array the function made, `items.append(v)` "
            f"on a list it made), or declare it constant with tl.nondifferentiable({qual})")


def _written(func):
    """``heapq.heappush`` as the user wrote it, or None for another expression."""
    if isinstance(func, gast.Name):
        return func.id
    if isinstance(func, gast.Attribute):
        owner = _written(func.value)
        return owner and f"{owner}.{func.attr}"
    return None


def one_number(mode: str, wrt_names: list, signature) -> bool:
    """Whether a version of ``grad``/``value_and_grad`` differentiates one float number
    (a Python or NumPy float, or a 0-d float array): then it is derived in forward mode
    (forward_gradient)."""
    if not signature or mode not in ("grad", "value_and_grad") or len(wrt_names) != 1:
        return False
    kind = signature.get(wrt_names[0], (None,))[0]
    if kind.__class__ is Items:
        return False
    if isinstance(kind, tuple):   # (ndarray, shape, dtype)
        return kind[1] == () and kind[2].kind == "f"
    return isinstance(kind, type) and issubclass(kind, (float, np.floating))


def numpy_seed_beside_lists(params, wrt_name, signature) -> bool:
    """Whether the one number a version differentiates is a NumPy float or a 0-d array
    and another parameter may hold a list (unproven_params): forward_gradient's seed
    1.0, a Python float, would meet the list where the NumPy number did (`xs * s` is
    NumPy's product, `xs * 1.0` Python's TypeError), so reverse mode serves."""
    return signature[wrt_name][0] is not float and \
        any(p != wrt_name for p in unproven_params(params, signature))


def low_precision(signature) -> bool:
    """Whether some argument of a version is a float32 (float16) array or NumPy scalar:
    then the gradient of a Python float, which NumPy's arithmetic with them makes a
    float32, is made a float again (cast_back)."""
    return any(isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind == "f"
               and v.dtype.itemsize < 8 for _, _, stand_in in signature.values()
               for v in leaves(stand_in))


def all_specialized(parsed, signature) -> bool:
    """Whether every parameter has its kind in the version's signature: one that has not
    (a list, a bool, a default left out) may hold float32 values, which would make the
    gradient of a Python float a float32 (see low_precision)."""
    args = parsed.node.args
    return all(a.id in signature for a in args.posonlyargs + args.args + args.kwonlyargs)


def sequence_ops(func, parsed, core, wrt_names) -> tuple:
    """The ``a * n`` and ``a + b`` of the function that repeat or join a list when a
    ``wrt`` parameter holds one, as entry.refuse_sequence_arithmetic takes them
    (none for a derivative: its arguments were the user's, checked)."""
    if getattr(func, "user_def", None) is not None:
        return ()
    return tuple((held, other, parsed.filename,
                  getattr(getattr(stmt, "origin", None), "lineno", None))
                 for held, other, stmt in sequence_arithmetic(core) if held[0] in wrt_names)


def free_arrays(func, params, sized=()) -> tuple:
    """(name, read) of each closure or global variable that ``func`` reads and that holds
    a float array now, or an int that sizes arrays (``sized``: ``N`` of ``np.zeros((N +
    1, 3))``), ``read`` giving its value when called (None for an empty cell or a
    deleted global): a version is specialized to their kinds as to its arguments'
    (Dispatcher.key), its guard testing them where the code reads them (``X`` of
    ``make_loss(X, y)``'s closure, a module's data array or step count), so its shapes
    are known."""
    if getattr(func, "user_def", None) is not None:   # (a derived function)
        return ()
    code, found = func.__code__, []

    def kept(name, value) -> bool:
        return name not in params and (
            value.__class__ is np.ndarray and value.dtype.kind == "f"
            or value.__class__ is int and name in sized)

    for name, cell in zip(code.co_freevars, func.__closure__ or ()):
        try:
            value = cell.cell_contents
        except ValueError:   # (an empty cell)
            continue
        if kept(name, value):
            found.append((name, functools.partial(_cell_value, cell)))
    glob = func.__globals__
    for name in code.co_names:
        if name not in code.co_freevars and kept(name, glob.get(name)):
            found.append((name, functools.partial(glob.get, name)))
    return tuple(found)


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return None


# NumPy functions and array methods whose arguments may give a new array's shape
_SIZING = frozenset(["zeros", "ones", "empty", "full", "eye", "identity", "arange",
                     "linspace", "reshape", "tile", "repeat", "tri", "resize"])


def size_params(node, params: set) -> frozenset:
    """The names of ``params`` (the parameters not differentiated, and the closure and
    global names the function reads) read in an argument of a call that makes an array
    of a size it is given (``np.zeros((n + 1, 2))``, ``x.reshape(n, -1)``): an int held
    there is specialized to its value, so a version knows the array's shape (a
    trajectory written into ``x[i + 1]``)."""
    found = set()
    for call in walk(node.body):
        if call.__class__ is gast.Call and call.func.__class__ is gast.Attribute \
                and call.func.attr in _SIZING:
            found.update(n.id for part in call.args + [k.value for k in call.keywords]
                         for n in walk(part) if n.__class__ is gast.Name and n.id in params)
    return frozenset(found)


def number_params(signature) -> dict:
    """The parameters a version's guard proves Python or NumPy numbers, as
    numbers.simplify_numbers takes them: FLOAT for a float or float64, NUMBER for the
    others."""
    found = {}
    for param, (kind, _, _) in (signature or {}).items():
        if not isinstance(kind, tuple) and kind.__class__ is not Items:   # (an array's
            # kind is (ndarray, shape, dtype))
            found[param] = FLOAT if kind in (float, np.float64) else NUMBER
    return found


def element_params(signature) -> dict:
    """The array parameters of a version, as numbers.simplify_numbers takes them: their
    number of dimensions and the kind of their elements (FLOAT for float64)."""
    found = {}
    for param, (kind, _, _) in (signature or {}).items():
        if isinstance(kind, tuple) and kind[0] is np.ndarray:
            dtype = np.dtype(kind[2])
            if dtype.kind in "iuf":
                found[param] = (len(kind[1]), FLOAT if dtype == np.float64 else NUMBER)
    return found


def unproven_params(params, signature) -> tuple:
    """The parameters a version's guard does not prove arrays or numbers (lists,
    tuples and dicts among them, which a NumPy rule reads as arrays)."""
    numbers = number_params(signature)
    return tuple(p for p in params if p not in numbers
                 and not isinstance(signature.get(p, (None,))[0], tuple))


def checked_arguments(signature) -> tuple:
    """The parameters a specialized version's guard proves to be floats, and those it
    proves to be real (floats or integers: no complex check needed); (), None for the
    generic derivative."""
    if not signature:
        return (), None

    def kind_of(kind):
        return np.dtype(kind[2]).kind if isinstance(kind, tuple) else np.dtype(kind).kind
    kinds = {p: "".join(sorted({kind_of(k) for k in leaf_kinds(kind)}))
             for p, (kind, _, _) in signature.items()}
    return ({p for p, k in kinds.items() if k == "f"},
            {p for p, k in kinds.items() if k in "fiub"})


def _guarded(source: str, fdef, signature: dict, dispatcher, binder) -> str:
    """``source`` with a first line that sends arguments of other kinds or shapes back to
    the dispatcher (see specialize.py)."""
    every = [k for found, _, _ in signature.values() for k in _all_kinds(found)]
    kinds = {k[0] if isinstance(k, tuple) else k.cls if k.__class__ is Items else k
             for k in every}
    names = {kind: binder.name_for(kind.__name__, kind) for kind in kinds}
    names.update((k[2], binder.name_for(_dtype_name(k[2]), k[2]))
                 for k in every if isinstance(k, tuple))
    again = binder.name_for("specialize_again", dispatcher)
    args = fdef.args
    actual = [a.id for a in args.posonlyargs + args.args]
    actual += [f"{a.id}={a.id}" for a in args.kwonlyargs]
    head, body = source.split("\n", 1)
    test = guard_source(signature, names)
    if dispatcher.seed_last:   # and every argument was given (see specialize.py)
        test += f" and {dispatcher.seed} is not {binder.name_for('NOT_GIVEN', NOT_GIVEN)}"
    guard = (f"    # specialized to {describe(signature)}; other arguments: another version\n"
             f"    if not ({test}):\n"
             f"        return {again}({', '.join(actual)})\n")
    return head + "\n" + guard + body


def _all_kinds(kind) -> list:
    """``kind`` and, for a list or tuple argument, the kinds of its items, nested."""
    if kind.__class__ is Items:
        return [kind] + [k for item in kind.items for k in _all_kinds(item)]
    return [kind]


def _dtype_name(dtype) -> str:
    """The generated code's name of a dtype: ``float64``, also for ``>f8`` (whose
    ``str`` is no name)."""
    return dtype.name if dtype.name.isidentifier() else "dtype"


def derived_name(parsed: Parsed, wrt: list, mode: str) -> str:
    name = f"d{parsed.node.name}d{'_'.join(wrt)}"
    if mode == "jvp":
        return name + "_jvp"
    return f"value_and_{name}" if mode == "value_and_grad" else name


def wrt_item(item):
    """One item of ``wrt`` as ``select_wrt`` reads it: a NumPy integer, or a 0-d integer
    array (``np.array(1)``, an index computed with NumPy), is the position it holds;
    anything else (a name, an error such as ``True``, ``1.0`` or ``np.array(1.0)``) is
    itself."""
    if isinstance(item, np.ndarray) and item.ndim == 0 and item.dtype.kind in "iu":
        return int(item)
    if isinstance(item, np.integer):
        return int(item)
    return item


def select_wrt(parsed: Parsed, wrt) -> list:
    """The parameter names that ``wrt`` (a position, a name, or a tuple) selects."""
    args = parsed.node.args
    params = [a.id for a in args.posonlyargs + args.args]
    keyword_only = [a.id for a in args.kwonlyargs]
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    user_def = getattr(parsed.func, "user_def", None)
    if user_def:   # a derived function: name the line of the user's def, not generated code
        def error(message, hint=None):
            return TransformError(message, *user_def, hint)
    else:
        error = parsed.error
    if not items:
        raise error("`wrt` selects no argument", hint="pass a position or a name")
    names = []
    for item in map(wrt_item, items):
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise error(f"`wrt` must be positions or parameter names, not {item!r}",
                        hint="for example wrt=0, wrt='x' or wrt=(0, 'y')")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise error(
                    f"`wrt={item}` is out of range: {parsed.node.name} has {len(params)} "
                    "positional parameter(s)", hint=f"choose one of {params}")
            name = params[item]
        else:
            if item not in params + keyword_only:
                raise error(f"`wrt={item!r}` is not a parameter of {parsed.node.name}",
                            hint=f"choose one of {params + keyword_only}")
            name = item
        if name in names:
            raise error(f"`wrt` names {name!r} twice")
        names.append(name)
    return names
