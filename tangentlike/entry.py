"""entry: the statements a derived function runs before its derivative code.

Consumes the optimized ``gast.FunctionDef`` of a derivative, the normalized function it
came from, the function object and the options. Produces the same function with its
signature completed and, at the top of its body, up to three groups of statements:

1. **Rebinding guard** (only when the function calls functions through names the user
   can rebind: module globals, closure cells, attributes of modules that hold user
   functions, and a function a module other than NumPy holds: ``M.sin`` of
   ``import math as M``). The derivative was made for the objects those names held then; Python
   would call whatever they hold now. One identity test per name keeps the two in step:
   when a name was rebound, the call goes to the same derivative of the function as it
   now behaves (derived again, once per change), never to a mix of the new primal and
   the old rule::

       # derived for the helper it calls: if helper was rebound since, derive again
       if helper is not helper_when_derived:
           return rederived(x, bout)

2. **Seed last** (``vjp`` and ``jvp`` of a function with defaulted positional
   parameters). The contract is ``df(*args, seed)``: the seed (tangent) is the last
   positional argument and ``f``'s trailing defaulted arguments may be left out, as in
   ``f(*args)``. A Python signature cannot say "required after optional", so these
   parameters and the seed default to ``NOT_GIVEN`` and ordinary code moves the last
   argument given into the seed and fills ``f``'s defaults (two identity tests per call
   when every argument is given). Being ordinary code, it is differentiated like the
   rest at higher order, so position ``k`` of a derived function always means the k-th
   argument of the call. ``grad``'s seed is optional (1.0): there, positional arguments
   fill ``f``'s parameters first and the seed is the one after them, as before.

3. **Integer check** of each ``wrt`` argument: an integer (``int``, ``bool``, a NumPy
   integer, an integer or boolean array, or one inside a tuple, list or dict) has no
   derivative, so it is a ``TypeError`` naming the parameter. A Python float costs one
   ``type(x) is not float`` test; anything else is looked at by :func:`require_real`.

Defaults in the signature are ``f``'s default *values* (``f.__defaults__``), written as
literals or bound by name, not the source expressions (which may name a closure variable
or a global rebound since).

Guards and integer checks are bookkeeping of this derived function, not part of what it
computes: their statement positions are recorded (``derived.entry_checks``) and they are
left out when the derived function is itself differentiated (which adds its own); jvp's
reading of a tangent (``require_tangent``) stays (see :func:`without_entry_checks`).
"""
from __future__ import annotations

import ast
import builtins
import numbers
import sys
import textwrap
import types

import gast

import numpy as np

from .naming import name_node, walk
from .calls import is_user_function
from .errors import TransformError, at_user_def
from .parse import to_gast_in_place
from .rules.registry import is_nondifferentiable, lookup
from .runtime import require_tangent


class _NotGiven:
    """The default of a parameter whose argument was left out (see "Seed last")."""

    def __repr__(self):
        return "NOT_GIVEN"

    def __reduce__(self):
        return "NOT_GIVEN"


NOT_GIVEN = _NotGiven()


def missing_argument(function: str, name: str):
    """The TypeError Python raises for a missing argument (the seed or the tangent)."""
    raise TypeError(f"{function}() missing its last argument {name!r} (the output's seed for "
                    "vjp, the input's tangent for jvp): call it as df(*args, seed)")


def require_real(x, name: str):
    """Refuse an integer passed where a derivative is taken (see "Integer check").
    Called for every argument that is not a Python float, so the common types are
    decided by one look at their type."""
    kind = type(x)
    if kind is _ndarray:
        if x.dtype in _REAL_DTYPES:
            return
    elif kind in _REAL_SCALARS:
        return
    elif (kind is list or kind is tuple) and all(type(v) is float for v in x):
        return
    refuse_masked(x, name)
    what = _integer_part(x)
    if what is not None:
        raise at_user_def(TypeError(
            f"the argument `{name}` is differentiated (it is in wrt) but is {what}, and an "
            f"integer has no derivative: pass a float or a float array (for example "
            f"`float({name})` or `np.asarray({name}, dtype=float)`), or leave `{name}` out of "
            "wrt to make it a constant"))
    what = complex_part(x)
    if what is not None:
        raise at_user_def(TypeError(complex_message(name, what)))
    if x is None or isinstance(x, (str, bytes)) or \
            isinstance(x, np.ndarray) and x.dtype.kind not in "biufcO":
        what = "None" if x is None else f"a {type(x).__name__} ({x!r})" \
            if not isinstance(x, np.ndarray) else f"an array of {x.dtype}"
        raise at_user_def(TypeError(
            f"the argument `{name}` is differentiated (it is in wrt) but is {what}, not a "
            f"number: pass a float or a float array, or leave `{name}` out of wrt to make "
            "it a constant"))
    what = _in_container(x, _text_part)
    if what is not None:   # ({"W": W, "act": "tanh"}: zeros_like of the text failed)
        raise at_user_def(TypeError(
            f"the argument `{name}` is differentiated (it is in wrt) but is {what}, not a "
            f"number: pass the numbers of `{name}` in one argument and the text in another, "
            f"or leave `{name}` out of wrt to make it a constant"))
    if isinstance(x, numbers.Number) and not isinstance(x, numbers.Complex):
        # (a Decimal: the derivative's float arithmetic cannot mix with it)
        raise at_user_def(TypeError(
            f"the argument `{name}` is differentiated (it is in wrt) but is a "
            f"{type(x).__name__} ({x!r}), not a real number the derivative can compute with: "
            f"pass a float (`float({name})`)"))


def refuse_masked(x, name: str):
    """Refuse a masked array or an ``np.matrix`` argument, or a list, tuple or dict
    holding one (differentiated or not): the derivative rules are those of plain arrays,
    which count the masked entries (the mean of a masked array divides by the unmasked
    count only) and multiply element by element (a matrix's ``*`` is the matrix product,
    its ``**`` a matrix power), so a derivative through one would be wrong."""
    what = _unlike_plain_arrays(x)
    if what is None:
        return
    if what.endswith("np.matrix"):
        raise at_user_def(TypeError(
            f"the argument `{name}` is {what}, whose `*` is the matrix product and `**` a "
            "matrix power: the derivative rules are those of plain arrays, which multiply "
            "element by element, so a derivative through it would be wrong: pass an array "
            "(`np.asarray(m)`) and write matrix products with `@`"))
    if "redefines" in what:
        raise at_user_def(TypeError(
            f"the argument `{name}` is {what}: the derivative rules are those of plain "
            "arrays, so a derivative through it would be wrong: pass a plain array "
            f"(`np.asarray({name})`)"))
    raise at_user_def(TypeError(
        f"the argument `{name}` is {what}: the derivative rules are those of "
        "plain arrays, which count the masked entries (np.mean, np.cumsum, ...), so a "
        f"derivative through it would be wrong: pass the data (`{name}.filled(0.0)` or "
        f"`np.ma.getdata({name})`) and the mask as separate arguments, and apply the "
        "mask in the function (`np.where(mask, 0.0, x)`)"))


def _unlike_plain_arrays(x):
    """'an np.matrix', 'a masked array', an ndarray subclass that redefines an operator
    or how NumPy functions apply to it (or a container holding one), else None."""
    if isinstance(x, np.matrix):
        return "an np.matrix"
    masked = sys.modules.get("numpy.ma")   # (no masked array exists before it is imported)
    if masked is not None and isinstance(x, masked.MaskedArray):
        return "a masked array"
    if isinstance(x, np.ndarray) and type(x) is not np.ndarray:
        kind = type(x)
        for name in _ARRAY_BEHAVIOUR:
            if getattr(kind, name, None) is not getattr(np.ndarray, name):
                return (f"an ndarray subclass `{kind.__name__}` that redefines `{name}` (as "
                        "np.matrix redefines `*`)")
    return _in_container(x, _unlike_plain_arrays)


# what an ndarray subclass may redefine so that the same code computes something else
_ARRAY_BEHAVIOUR = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
                    "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__matmul__",
                    "__rmatmul__", "__neg__", "__pos__", "__abs__", "__iadd__", "__isub__",
                    "__imul__", "__itruediv__", "__ipow__", "__array_ufunc__",
                    "__array_function__")


def require_scalar_seed(seed, name: str):
    """Refuse a seed of ``grad`` that is not one number: an array would broadcast into
    the gradient and scale each element by its own factor. Called by the function
    ``tl.grad`` returns (specialize.make_entry) for a seed that is not a Python float.
    (An int, a bool or a complex number is used as a number: the derivative is linear
    in the seed.)"""
    if isinstance(seed, (numbers.Number, np.bool_)) or (
            type(seed) is _ndarray and seed.shape == () and seed.dtype.kind in "biufc"):
        return
    what = (f"an array of shape {seed.shape}" if isinstance(seed, np.ndarray)
            else repr(seed) if seed is None or isinstance(seed, (str, bytes))
            else f"a {type(seed).__name__}")
    raise at_user_def(TypeError(
        f"the last argument `{name}` is grad's seed, which scales the scalar output, but it "
        f"is {what}, not a number: pass a float (1.0 by default), or use tl.vjp for a seed "
        "shaped like an array output"))


def refuse_sequence_arithmetic(operations, values: dict) -> None:
    """A TransformError at the line of the first ``a * n`` or ``a + b`` that repeats or
    joins a list or tuple of the arguments ``values``: Python's arithmetic of sequences,
    where the derivative follows NumPy's elementwise arithmetic (a gradient of the wrong
    length, or NumPy's errors from inside the derivative)."""
    for (param, depth), other, filename, lineno in operations:
        held = _item(values.get(param), depth)
        if not isinstance(held, (list, tuple)):
            continue
        if other is None:
            repeated = True
        elif isinstance(other, str):
            repeated = isinstance(values.get(other), (int, np.integer))   # (bool too)
        else:
            repeated = isinstance(_item(values.get(other[0]), other[1]), (list, tuple))
        if repeated:
            kind = type(held).__name__
            raise TransformError(
                f"this `*` or `+` repeats or joins a {kind} (`{param}` is one), Python's "
                f"arithmetic of sequences, where the derivative follows NumPy's arithmetic "
                f"element by element", filename, lineno,
                hint=f"pass an array (`np.asarray({param})`), or convert it at the top of the "
                f"function (`{param} = np.asarray({param})`); for a repeated list write "
                f"`np.tile(...)`, for a joined one `np.concatenate(...)`")


def _item(value, depth):
    """``value[0][0]...`` (``depth`` times) while it is a non-empty list or tuple."""
    for _ in range(depth):
        if not isinstance(value, (list, tuple)) or not value:
            return None
        value = value[0]
    return value


_ndarray = np.ndarray
_REAL_SCALARS = frozenset({float} | {t for t in set(np.sctypeDict.values())
                                     if issubclass(t, np.floating)})
_REAL_DTYPES = frozenset(np.dtype(t) for t in _REAL_SCALARS if t is not float)


def _integer_part(x):
    """A description of the integer in ``x``, or None when there is none."""
    if isinstance(x, np.ndarray):
        return f"an array of {x.dtype}" if x.dtype.kind in "biu" else None
    if isinstance(x, (bool, np.bool_)):
        return f"a bool ({x!r})"
    if isinstance(x, (int, np.integer)):
        return f"an int ({x!r})"
    return _in_container(x, _integer_part)


def refuse_complex(x, name: str):
    """Refuse a complex argument that is not differentiated (forward mode checks them at
    each call; reverse mode once per new argument kind, specialize.py): the derivative
    of real code with a complex constant in it would be wrong. Floats, integers and real
    arrays are decided by one look at their type."""
    kind = type(x)
    if kind is _ndarray:
        if x.dtype.kind != "c":
            return
    elif kind in _REAL_SCALARS or kind is int or kind is bool \
            or not issubclass(kind, _MAY_HOLD_COMPLEX):
        return   # (the object of a method, `self`: no array, number or container)
    refuse_masked(x, name)
    what = complex_part(x)
    if what is not None:
        raise at_user_def(TypeError(complex_message(name, what)))


# the types refuse_complex looks into (refuse_masked and complex_part): any other object
# holds no complex value it could see
_MAY_HOLD_COMPLEX = (np.ndarray, complex, np.complexfloating, tuple, list, dict)


def complex_part(x):
    """A description of the complex number in ``x``, or None when there is none."""
    if isinstance(x, np.ndarray):
        return f"an array of {x.dtype}" if x.dtype.kind == "c" else None
    if isinstance(x, (complex, np.complexfloating)):
        return f"a complex number ({x!r})"
    return _in_container(x, complex_part)


def _in_container(x, part):
    if isinstance(x, (tuple, list, dict)):
        for item in (x.values() if isinstance(x, dict) else x):
            if type(item) is float:
                continue
            what = part(item)
            if what is not None:
                return f"a {type(x).__name__} holding {what}"
    return None


def _text_part(x):
    """A description of the string in ``x`` (a str or bytes, or a container holding
    one), or None."""
    if isinstance(x, (str, bytes)):
        return f"a {type(x).__name__} ({x!r})"
    return _in_container(x, _text_part)


def complex_message(name: str, what: str) -> str:
    return (f"the argument `{name}` is {what}: tangentlike differentiates real-valued "
            "code, and its derivative rules are those of real arguments, so a gradient "
            "through complex values would be wrong: pass the real and imaginary parts as "
            "separate float arguments")


# -- 1. which calls need a rebinding guard --------------------------------------------------
class Guard:
    """A function the derivative calls through a name the user can rebind (a value:
    equal to another of the same chain and object). The derivative also holds the
    function's defaults of that time (a call that leaves an argument out passes its
    default): ``defaults`` and ``kwdefaults``, when it has some, are guarded too. So is
    the ``code`` of a function differentiated from its source: replacing it in place
    (``helper.__code__ = ...``, as IPython's autoreload does) changes what the call
    computes, while the derivative still holds the old code's derivative."""

    __slots__ = ("chain", "code", "defaults", "kwdefaults", "obj")

    def __init__(self, chain: tuple, obj: object, defaults_used: bool = False):
        self.chain = chain   # ("helper",) or ("module", "helper"): how the function is reached
        self.obj = obj       # what it reached when the derivative was made
        function = isinstance(obj, types.FunctionType)
        plain = defaults_used and function
        self.defaults = obj.__defaults__ if plain else None
        self.kwdefaults = obj.__kwdefaults__ if plain else None
        from_source = function and lookup(obj) is None and not is_nondifferentiable(obj)
        self.code = obj.__code__ if from_source else None

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.chain, self.obj) == (other.chain, other.obj)

    def __hash__(self):
        return hash((self.chain, self.obj))

    def __repr__(self):
        return f"Guard(chain={self.chain!r}, obj={self.obj!r})"


def rebindable_callees(core, func) -> list:
    """The functions the normalized body calls through names the user can rebind, and
    the helpers a version inlined (inline.py)."""
    parsed = core.parsed
    library_cells = set()
    if hasattr(func, "entry_checks"):   # a derived function: only its user cells are the user's
        library_cells = set(parsed.closure) - set(getattr(func, "user_cells", ()))
    callees, defaults_used = {}, set()
    for node in core.nodes():
        if not isinstance(node, gast.Call) or not hasattr(node, "callee"):
            continue
        chain = _chain(node.func)
        if chain is None or chain[0] in core.locals:
            continue
        root = chain[0]
        if root in library_cells or (root not in parsed.closure and root not in parsed.globals):
            continue   # a builtin, or an object the derived function was made with
        if len(chain) > 1 and not is_user_function(node.callee):
            # M.act of a module M: its rule is inlined, so M rebound since (`import math
            # as M`, then `M = other`) or its attribute (`M.act = np.sin`) must derive
            # again, as a rebound function does; NumPy is not changed under running code
            # (np.sin, np.linalg.norm and friends cost no test)
            module = node.__dict__.get("module")   # (normalize.module_reached)
            module = module() if module is not None else None
            if module is not None and module.__name__.partition(".")[0] != "numpy":
                callees.setdefault(chain, node.callee)
            continue
        callees.setdefault(chain, node.callee)
        if _leaves_out_arguments(node):
            defaults_used.add(chain)
    for chain, obj, defaults in getattr(parsed, "inlined", ()):   # (inline.py: no call
        callees.setdefault(chain, obj)                           # left, the same guard)
        if defaults:
            defaults_used.add(chain)
    guards = [Guard(chain, obj, chain in defaults_used) for chain, obj in callees.items()]
    return sorted(guards, key=lambda guard: guard.chain)   # a stable order


def _leaves_out_arguments(call) -> bool:
    """Whether ``call`` leaves some of its callee's parameters to their defaults, which
    the derivative then holds (so the callee's defaults are guarded as well), unless a
    rule differentiates the callee: the call itself reads them when it runs."""
    code = getattr(call.callee, "__code__", None)
    if code is None or lookup(call.callee) is not None or is_nondifferentiable(call.callee):
        return False
    return len(call.args) + len(call.keywords) < code.co_argcount + code.co_kwonlyargcount


def _chain(node):
    names = []
    while isinstance(node, gast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name):
        return None
    names.append(node.id)
    return tuple(reversed(names))


def guards_hold(derived) -> bool:
    """Whether every name ``derived`` guards still holds the object it was derived for."""
    derived = getattr(derived, "__tangentlike_generic__", derived)   # specialize.py's entry
    guards = getattr(derived, "guards", ())
    if not guards:
        return True
    cells = dict(zip(derived.__code__.co_freevars, derived.__closure__ or ()))
    for guard in guards:
        try:
            root = guard.chain[0]
            if root in cells:
                value = cells[root].cell_contents
            elif root in derived.__globals__:
                value = derived.__globals__[root]
            else:
                return False
            for attr in guard.chain[1:]:
                value = getattr(value, attr)
        except (ValueError, AttributeError):
            return False
        if value is not guard.obj:
            return False
        if (guard.defaults is not None and value.__defaults__ is not guard.defaults) or \
                (guard.kwdefaults is not None and value.__kwdefaults__ is not guard.kwdefaults) \
                or (guard.code is not None and value.__code__ is not guard.code):
            return False
    return True


class Rederived:
    """Called by a guard that failed: the derivative (same mode and ``wrt``) of the
    function as it now behaves, derived once per change and then reused.

    It keeps what the function was made of (code, globals, closure cells, defaults), not
    the function itself, so the cache of derived functions never keeps a function alive.
    """

    def __init__(self, func, mode: str, wrt, checked: bool = True):
        self.parts = (func.__code__, func.__globals__, func.__name__, func.__defaults__,
                      func.__closure__, func.__kwdefaults__, func.__qualname__,
                      dict(func.__dict__))
        self.mode, self.wrt, self.checked = mode, wrt, checked
        self.latest = None

    def __call__(self, *args, **kwargs):
        return self.current()(*args, **kwargs)

    def current(self):
        latest = self.latest
        if latest is None or not guards_hold(latest):
            from .api import _lock
            with _lock:
                # another thread may have derived it while this one waited: one
                # derivation per change (8 threads meeting a rebinding derived 8 times)
                latest = self.latest
                if latest is None or not guards_hold(latest):
                    latest = self.latest = self.derive()
        return latest

    def derive(self):
        from .pipeline import derive

        code, globals_, name, defaults, closure, kwdefaults, qualname, attributes = self.parts
        func = types.FunctionType(code, globals_, name, defaults, closure)
        func.__kwdefaults__ = kwdefaults
        func.__qualname__ = qualname
        func.__dict__.update(attributes)
        return derive(func, self.mode, self.wrt, self.checked)


def current_version(func):
    """What calling ``func`` now runs: for a derived function whose guard fails, the
    derivative derived again (differentiating it means differentiating that one)."""
    if getattr(func, "guards", None) and not guards_hold(func):
        return func.rederived.current()
    return func


# -- the statements ------------------------------------------------------------------------
def without_entry_checks(parsed, func) -> None:
    """Leave out the guards and the checks of the arguments (integers, complex values)
    of a derived function being derived again. jvp's check of a tangent stays, without
    the ``if`` that skips it for two Python floats: ``dx = require_tangent(dx, x, 'x')``
    is how the derivative reads the tangent (a Python float as the tangent of a 0-d
    array becomes one, which ``xs * ds`` of a list ``xs`` needs), and the caller of the
    derivative of a jvp gives that tangent too (see rules.shapes.require_tangent_)."""
    checks = getattr(func, "entry_checks", ())
    if checks:
        parsed.node.body = [s.body[0] if _tangent_check(parsed, s) else s
                            for i, s in enumerate(parsed.node.body)
                            if i not in checks or _tangent_check(parsed, s)]


def _tangent_check(parsed, stmt) -> bool:
    """Whether ``stmt`` is ``if ...: dx = require_tangent(dx, x, 'x')``
    (forward.tangent_checks)."""
    if stmt.__class__ is not gast.If or len(stmt.body) != 1 or stmt.orelse:
        return False
    value = getattr(stmt.body[0], "value", None)
    return stmt.body[0].__class__ is gast.Assign and value.__class__ is gast.Call and \
        value.func.__class__ is gast.Name and \
        parsed.lookup(value.func.id, None) is require_tangent


def add_entry(fdef: gast.FunctionDef, core, func, mode: str, wrt: list, guards: list,
              rederived, floats=(), reals=None, checked=True, sequence_ops=()) -> tuple:
    """Complete the signature and add the entry statements (see the module docstring).
    Returns the function, the guards kept and the positions of the statements to leave
    out at higher order. ``floats``: parameters known to be floats (a specialized
    version's guard checked them), which need no integer check; ``reals``: parameters
    known to be real numbers or arrays, which need no complex check (None: the generic
    reverse derivative, which the dispatcher checks; see specialize.py). Without
    ``checked`` (a derivative called by another one, calls.py) there are no checks.
    ``sequence_ops``: the arithmetic that repeats or joins a list argument (forward
    mode, which has no dispatcher to refuse it: see _sequence_check)."""
    binder = core.binder
    name_of = _Names(binder)
    positional = [a.id for a in fdef.args.args]
    keyword_only = [a.id for a in fdef.args.kwonlyargs]
    user_positional = positional[:-1]          # the last one is the seed (tangent)
    defaults = list(func.__defaults__ or ())
    defaults = defaults[len(defaults) - min(len(defaults), len(user_positional)):]
    defaulted = user_positional[len(user_positional) - len(defaults):]
    kwdefaults = func.__kwdefaults__ or {}
    fdef.args.kw_defaults = [name_of.value(kwdefaults[k], f"{func.__name__}_{k}")
                             if k in kwdefaults else None for k in keyword_only]

    shift, renamed = [], {}
    if mode in ("vjp", "jvp") and defaults:
        fdef.args.defaults = [name_of.load("NOT_GIVEN", NOT_GIVEN)
                              for _ in defaulted + [positional[-1]]]
        renamed = {p: core.namer.fresh(p) for p in defaulted + [positional[-1]]}
        _rename(fdef.body, renamed)
        shift = _seed_last(fdef.name, defaulted, positional[-1], defaults, renamed, func,
                           name_of, "seed" if mode == "vjp" else "tangent")
    else:
        fdef.args.defaults = [name_of.value(v, f"{func.__name__}_{p}")
                              for p, v in zip(defaulted, defaults)]
        if mode in ("grad", "value_and_grad"):
            fdef.args.defaults.append(gast.Constant(value=1.0, kind=None))

    guards = [g for g in guards if g.chain[0] not in binder.bound]
    head = []
    if guards:
        head.append(_guard(guards, positional, keyword_only, name_of, rederived, func))
    wrt_checked = [p for p in wrt if p not in floats] if checked else []
    checks = _integer_checks([(p, renamed.get(p, p)) for p in wrt_checked], name_of)
    if checks:
        checks[0].comment = (f"{_names(wrt_checked)} "
                             f"{'is' if len(wrt_checked) == 1 else 'are'} "
                             "differentiated: refuse an integer there (it has no derivative)")
    if checked and (mode == "jvp" or reals is not None):
        constants = [p for p in user_positional + keyword_only
                     if p not in wrt and p not in (reals or ())]
        if hasattr(func, "entry_checks"):   # a derivative's seed may be complex (linear)
            code = func.__code__
            constants = [p for p in constants if p != code.co_varnames[code.co_argcount - 1]]
        checks += _complex_checks([(p, renamed.get(p, p)) for p in constants], name_of)
    if sequence_ops:
        checks += _sequence_check(sequence_ops, renamed, name_of)
    fdef.body = head + shift + checks + fdef.body
    # f's positional-only parameters stay so: a call by keyword is Python's TypeError
    posonly = func.__code__.co_posonlyargcount
    if posonly:
        fdef.args.posonlyargs, fdef.args.args = \
            fdef.args.args[:posonly], fdef.args.args[posonly:]
    skipped = tuple(range(len(head))) + tuple(i for i, s in enumerate(fdef.body) if getattr(
        s, "entry_check", False)) + tuple(range(len(head) + len(shift),
                                                    len(head) + len(shift) + len(checks)))
    return fdef, guards, skipped


def _rename(body, renamed) -> None:
    for stmt in body:
        for node in walk(stmt):
            if isinstance(node, gast.Name) and node.id in renamed:
                node.id = renamed[node.id]


class _Names:
    """Library objects and default values, under names the binder chose."""

    def __init__(self, binder):
        self.binder = binder

    def load(self, name, obj) -> gast.Name:
        return name_node(self.binder.name_for(name, obj))

    def value(self, value, name) -> gast.expr:
        """A default value: a literal when it prints as one, else a bound name."""
        if value is NOT_GIVEN:
            return self.load("NOT_GIVEN", NOT_GIVEN)
        if isinstance(value, (bool, int, str, type(None))) or \
                (type(value) is float and np.isfinite(value)):
            return gast.Constant(value=value, kind=None)
        return self.load(name, value)

    def text(self, node) -> str:
        return ast.unparse(gast.gast_to_ast(node))


def _parse(text: str) -> list:
    return to_gast_in_place(ast.parse(textwrap.dedent(text))).body   # (nothing else holds it)


def _names(names) -> str:
    return ", ".join(names)


def _guard(guards, positional, keyword_only, name_of, rederived, func):
    tests = []
    for g in guards:
        reached = ".".join(g.chain)
        then = name_of.load(f"{g.chain[-1]}_when_derived", g.obj).id
        tests.append(f"{reached} is not {then}")
        for attribute, held in (("__code__", g.code), ("__defaults__", g.defaults),
                                ("__kwdefaults__", g.kwdefaults)):
            if held is not None:
                then = name_of.load(f"{g.chain[-1]}_{attribute.strip('_')}_when_derived",
                                    held).id
                tests.append(f"{reached}.{attribute} is not {then}")
    again = name_of.load("rederived", rederived).id
    arguments = ", ".join(positional + [f"{k}={k}" for k in keyword_only])
    stmt, = _parse(f"if {' or '.join(tests)}:\n    return {again}({arguments})\n")
    called = _names(".".join(g.chain) for g in guards)
    which = called if len(guards) == 1 else "one of them"
    other = [what for what, held in (
        ("code", any(g.code is not None for g in guards)),
        ("defaults", any(g.defaults is not None or g.kwdefaults is not None for g in guards)))
        if held]
    change = f"rebound or given other {' or '.join(other)}" if other else "rebound"
    stmt.comment = f"derived for the {called} it calls: if {which} was {change} since, derive again"
    return stmt


def _seed_last(name, defaulted, seed, defaults, renamed, func, name_of, seed_word) -> list:
    """``if``/``elif`` on how many arguments were given; every branch assigns every
    renamed parameter (forward mode needs a tangent for each on every path)."""
    given = name_of.load("NOT_GIVEN", NOT_GIVEN).id
    missing = name_of.load("missing_argument", missing_argument).id
    default_text = {p: name_of.text(name_of.value(v, f"{func.__name__}_{p}"))
                    for p, v in zip(defaulted, defaults)}
    lines = []
    # the seed is in its place (or passed by keyword), then in the place of each
    # defaulted parameter from the last one: the ones after it were left out
    for n, slot in enumerate([seed] + defaulted[::-1]):
        keep = defaulted[:len(defaulted) - n] if n else defaulted
        left_out = defaulted[len(defaulted) - n:] if n else []
        head = "if" if n == 0 else "elif"
        lines.append(f"{head} {slot} is not {given}:")
        for p in keep:
            if p == slot:
                continue
            lines.append(f"    {renamed[p]} = {p}")
            if defaults[defaulted.index(p)] is not NOT_GIVEN:   # passed by keyword, or not
                lines.append(f"    if {p} is {given}:")
                lines.append(f"        {renamed[p]} = {default_text[p]}")
        for p in left_out:
            lines.append(f"    {renamed[p]} = {default_text[p]}")
        lines.append(f"    {renamed[seed]} = {slot}")
    lines.append("else:")
    lines.append(f"    {missing}({name!r}, {seed!r})")
    stmt, = _parse("\n".join(lines) + "\n")
    then = "it takes its" if len(defaulted) == 1 else "they take their"
    stmt.comment = (f"the {seed_word} comes last: {_names(defaulted)} may be left out "
                    f"(then {then} default)")
    return [stmt]


def _complex_checks(params, name_of) -> list:
    """One complex check per (parameter, variable) not differentiated (forward mode)."""
    checks = _type_checks(params, name_of, "refuse_complex", refuse_complex)
    if checks:
        checks[0].comment = (f"{_names(p for p, _ in params)} "
                             f"{'is' if len(params) == 1 else 'are'} constant: refuse a "
                             "complex value there (the real rules would give a wrong "
                             "derivative)")
    return checks


def _sequence_check(operations, renamed, name_of) -> list:
    """``if type(x) is list or type(x) is tuple: refuse_sequence_arithmetic(ops, {...})``
    for the parameters whose list a ``*`` or ``+`` of the function repeats or joins:
    one type test per such parameter when it holds an array."""
    held = sorted({param for (param, _), _, _, _ in operations})
    named = sorted(set(held) | {o if isinstance(o, str) else o[0]
                                for _, o, _, _ in operations if o is not None})
    list_name = name_of.load("list", builtins.list).id
    tuple_name = name_of.load("tuple", builtins.tuple).id
    type_name = name_of.load("type", builtins.type).id
    test = " or ".join(f"{type_name}({renamed.get(p, p)}) is {kind}"
                       for p in held for kind in (list_name, tuple_name))
    values = ", ".join(f"{p!r}: {renamed.get(p, p)}" for p in named)
    call = name_of.load("refuse_sequence_arithmetic", refuse_sequence_arithmetic).id
    ops = name_of.load("sequence_ops", operations).id
    check = _parse(f"if {test}:\n    {call}({ops}, {{{values}}})\n")
    check[0].comment = (f"{_names(held)}: refuse a list or tuple, which `*` or `+` would "
                        "repeat or join")
    return check


def _integer_checks(params, name_of) -> list:
    """One integer check per (parameter, variable), parsed together."""
    return _type_checks(params, name_of, "require_real", require_real)


def _type_checks(params, name_of, name, helper) -> list:
    """``if type(v) is not float: helper(v, 'p')`` per (parameter, variable): a Python
    float passes with one test, anything else goes to the helper."""
    if not params:
        return []
    float_name = name_of.load("float", builtins.float).id
    type_name = name_of.load("type", builtins.type).id
    call = name_of.load(name, helper).id
    # (built as parsing their text builds them, a third of the time; the fields by
    # position: gast's constructor is slower with keywords)
    return [gast.If(gast.Compare(_called(type_name, [_load(variable)]), [gast.IsNot()],
                                 [_load(float_name)]),
                    [gast.Expr(_called(call, [_load(variable), gast.Constant(param, None)]))],
                    [])
            for param, variable in params]


def _load(name: str) -> gast.Name:
    return name_node(name)


def _called(name: str, args: list) -> gast.Call:
    return gast.Call(_load(name), args, [])
