"""shapeclass: which values provably have the same shape (an analysis for reverse).

Consumes a :class:`~tangentlike.normalize.Normalized` function. Produces a dict that
gives each local variable a *shape class*: ``SCALAR`` for a value known to be a scalar,
``("param", p)`` for "the shape of parameter p", ``("var", v)`` for a shape known only
as its own. Two variables with equal classes have equal shapes on every run, so the
adjoint of ``z = x * 2.0`` needs no ``unbroadcast`` to bring ``bz * 2.0`` back to x's
shape: that is the only thing the classes are used for.

The rules, solved to a fixed point over all assignments (loops included):
- a Python number is ``SCALAR``; a parameter starts as its own class;
- ``x op y`` (arithmetic, elementwise NumPy ufuncs of two arguments): the class both
  share, or the other one's when one is ``SCALAR``;
- an elementwise function of one argument (a NumPy ufunc), a copy, ``-x``: x's class;
- a full reduction (``np.sum(x)`` without ``axis``), a ``math`` function: ``SCALAR``;
- anything else: the variable's own class;
- assignments that disagree: ``("varying", v)``, a shape that changes over time, so equal
  to no other value's (``shares_shape``), nor are two values of ``("scalar or", S)``.

Specialized derivatives (``specialize.py``) know the shape of every array argument
and which arguments are Python numbers. Then a parameter's class is its concrete shape
``("shape", (64, 32))`` (``SCALAR`` for shape ``()``), and shapes propagate through
more operations: broadcasting binary operations, ``@``, subscripts by a loop index or
constant, and NumPy functions whose result shape depends only on their arguments'
shapes (evaluated once on zero-strided dummy arrays). Equal concrete shapes are then
equal classes wherever they come from.
"""
from __future__ import annotations

import builtins
import functools
import inspect
import math
import operator
import threading
import types
import warnings
import weakref

import gast
import numpy as np

from .naming import Transformer, name_ids, same_tree, statements, walk
from .analyze import appended, body_assignments, written
from .rules.linalg import dot_grad_left, dot_grad_right, product_grad_left, product_grad_right
from .rules.arithmetic import logistic, logistic_times
from .rules.linalg import einsum_adjoint, einsum_place, einsum_placement, inner_axes, norm_axis
from .rules.linalg import matrix_transpose, solve_vector
from .rules.numeric import full_padding
from .rules.reductions import diff_pad_width, tie_weights
from .rules.selection import share
from .rules.shapes import add_at_item, difference_of_padded, last_item, split_like, zero_padded
from .runtime import (broadcast_like, in_place, part_of, power, quotient, unbroadcast,
                      written_part)

SCALAR = ("scalar",)
INDEX = ("scalar", "index")   # a loop counter of range(): an int
_OFFSET = "offset"   # ("scalar", "offset", i, c): the int i + c, i a loop counter
SIZES = ("sizes",)   # np.shape(x): a tuple of ints, each one a scalar
_SCALAR_OR = "scalar or"   # ("scalar or", S): a number at some times, shape S at others
_VARYING = "varying"   # ("varying", v): v's assignments disagree; its shape changes over time
_TUPLE = "tuple"   # ("tuple", (k1, k2, ...)): a tuple or list literal of concrete classes
_ITEMS = "items"   # ("items", k): a list every item of which has the concrete class k
_KEYED = "keyed"   # ("keyed", ((key, k), ...)): a dict argument's items' classes
_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.var, np.std}
_ELEMENTWISE_BINOPS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)


def shape_classes(fn, signature=None, int_params=()) -> dict:
    """Map each local name of ``fn`` to its shape class (module docstring).

    ``signature`` maps parameters to their known class (``SCALAR`` or a concrete
    ``("shape", shape)``) in a specialized derivative; ``int_params``: the parameters
    it knows to be arrays of integers."""
    signature = signature or {}
    start = {p: signature.get(p, ("param", p)) for p in fn.params}
    # (and the closure or global arrays a version is specialized to: pipeline.free_arrays)
    start.update((name, key) for name, key in signature.items() if name not in start)
    classes = dict(start)
    defs = {}
    for target, value, stmt in body_assignments(fn):
        defs.setdefault(target, []).append((value, stmt))
    # arrays of integers, which index by position (p[np.arange(n), y]): parameters the
    # body does not assign, and np.arange's results
    int_arrays = frozenset([p for p in int_params if p not in defs] + [
        name for name, values in defs.items()
        if all(getattr(value, "callee", None) is np.arange and value.__class__ is gast.Call
               and isinstance(stmt, gast.Assign) and written(stmt) is None
               for value, stmt in values)])
    counters = _range_indices(fn.body, set(defs) | set(fn.params))
    classes.update((name, INDEX) for name in counters)
    own = {name: ("var", name) for name in defs}
    ranges = _range_arguments(fn.body, counters)
    # id(statement) -> (the classes of the names it reads, its class then): a statement
    # is classified again only when one of those changed
    last = {}

    def class_of(value, stmt, name):
        if written(stmt) == name:
            # x[i] = v writes into an array of a concrete shape: x keeps its shape (a
            # list or a value of unknown shape may change, and is its own class)
            # (None: not known yet, decided later)
            key = classes.get(name)
            return key if key is None or key[0] == "shape" else own[name]
        seen = last.get(id(stmt))
        if seen is None:
            reads = name_ids(value)
            # a counter's range decides the slices it bounds (see _counter_slice)
            reads = tuple(reads + [a.id for n in reads for args in ranges.get(n, ())
                                   for a in (args or ()) if isinstance(a, gast.Name)])
        else:
            reads = seen[0]
        now = [classes.get(n) for n in reads]
        if seen is not None and now == seen[1]:
            return seen[2]
        key = _class_of(value, stmt, classes, own[name], ranges, int_arrays)
        last[id(stmt)] = (reads, now, key)
        return key

    # First optimistically (an operand not classified yet is decided later), then until
    # nothing changes with every unclassified operand taken as unknown: a definition
    # that never gets a class makes its variable its own class.
    for final in (False, True):
        changed = True
        while changed:
            changed = undecided = False
            for name, values in defs.items():
                keys = set()
                if name in fn.params:
                    keys.add(start[name])
                for value, stmt in values:
                    keys.add(class_of(value, stmt, name))
                if None in keys:
                    undecided = True
                    if final:
                        keys = {own[name]}
                keys.discard(None)
                if not keys:
                    continue
                new = keys.pop() if len(keys) == 1 else _join(keys) or (_VARYING, name)
                if classes.get(name) != new:
                    classes[name] = new
                    changed = True
        if not undecided:   # (then the final round would go over the same, changing nothing)
            break
    return classes


def _range_indices(body, assigned) -> set:
    """Targets of ``for i in range(...)`` (or ``reversed(range(...))``) loops that
    nothing else assigns: Python ints. (Loops are statements: the walk looks at
    statements only, not into their expressions.)"""
    ranges, others = set(), set()
    for stmt in statements(body):
        if isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name):
            it = stmt.iter
            if getattr(it, "callee", None) is builtins.reversed and it.args:
                it = it.args[0]
            if getattr(it, "callee", None) is builtins.range:
                ranges.add(stmt.target.id)
            else:
                others.add(stmt.target.id)
    return ranges - others - assigned


def _range_arguments(body, counters) -> dict:
    """counter -> the argument lists of the ``range(...)`` loops over it (None for one
    with keywords or another iterable); see _counter_range."""
    out = {}
    for stmt in statements(body):
        if isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name) \
                and stmt.target.id in counters:
            it = stmt.iter
            if getattr(it, "callee", None) is builtins.reversed and it.args:
                it = it.args[0]
            ok = getattr(it, "callee", None) is builtins.range and not it.keywords \
                and 1 <= len(it.args) <= 3
            out.setdefault(stmt.target.id, []).append(list(it.args) if ok else None)
    return out


def _counter_range(counter, classes, ranges):
    """(lo, hi): every value the loop counter takes lies in lo..hi (the union of its
    range loops, with arguments of known ints); None when not known. An empty range
    gives lo > hi."""
    lo, hi = None, None
    for args in (ranges or {}).get(counter, [None]):
        if args is None:
            return None
        values = [_known_int(a, classes) for a in args]
        if None in values:
            return None
        start, stop, step = (values + [1])[:3] if len(values) > 1 else [0, values[0], 1]
        if step == 0:
            return None
        taken = range(start, stop, step)
        if not taken:
            continue
        a, b = min(taken[0], taken[-1]), max(taken[0], taken[-1])
        lo, hi = (a, b) if lo is None else (min(lo, a), max(hi, b))
    return (0, -1) if lo is None else (lo, hi)


def _offset(atom, classes):
    """(counter, c) when ``atom`` is a range loop's counter plus the known int c."""
    key = classes.get(atom.id) if isinstance(atom, gast.Name) else None
    if key == INDEX:
        return atom.id, 0
    if key is not None and key[:2] == ("scalar", _OFFSET):
        return key[2], key[3]
    return None


def _size_of(callee, key):
    """The class of ``len(x)``, ``np.size(x)``, ``np.ndim(x)`` (ints) or ``np.shape(x)``
    (a tuple of them), their values known when x has a concrete shape."""
    if key is not None and key[0] == "scalar" and len(key) == 1:
        key = ("shape", ())
    if key is None or key[0] != "shape":
        return SIZES if callee is np.shape else SCALAR
    shape = key[1]
    if callee is np.shape:
        return ("sizes", shape)
    if callee is len:
        return _number(shape[0]) if shape else SCALAR
    return _number(int(np.prod(shape)) if callee is np.size else len(shape))


_INT_ARITHMETIC = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
                   gast.FloorDiv: operator.floordiv}


def _known_int(atom, classes):
    """The value of an int constant or of a name the analysis knows the int value of."""
    if isinstance(atom, gast.Constant):
        value = atom.value
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    key = classes.get(atom.id) if isinstance(atom, gast.Name) else None
    if key is not None and key[:2] == ("scalar", "value") and isinstance(key[2], int) \
            and not isinstance(key[2], bool):
        return key[2]
    return None


def _number(value: int):
    """The class of an int whose value the shape analysis knows (np.shape(x)[0] in a
    version): a scalar, and an argument that may decide a shape (np.eye(n))."""
    return ("scalar", "value", value)


def _atom(atom, classes):
    if isinstance(atom, gast.Constant):
        value = atom.value
        if type(value) is int:   # n = 100: a known int that may size an array
            return _number(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return SCALAR
        return None
    if isinstance(atom, gast.Name):
        return classes.get(atom.id)   # None: not known yet
    if isinstance(atom, gast.Attribute) and atom.__dict__.get("module_number"):
        return SCALAR   # np.pi (normalize marks a module's float constant)
    return None


def _class_of(value, stmt, classes, own, ranges=None, int_arrays=frozenset()):
    if appended(stmt) is not None:   # lst.append(v): a list of items of v's class
        key = _atom(value.args[0], classes)
        if key is None and isinstance(value.args[0], gast.Name):
            return None   # not classified yet: decide later
        return (_ITEMS, key) if _one_shape(key) else own
    if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
        return own   # element writes, appends
    if isinstance(value, (gast.Name, gast.Constant)):
        key = _atom(value, classes)
        return key if key is not None or isinstance(value, gast.Name) else own
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
        key = _atom(value.operand, classes)
        return SCALAR if key is not None and key[0] == "scalar" else key
    if isinstance(value, gast.BinOp) and type(value.op) in _INT_ARITHMETIC:
        sizes = [_known_int(side, classes) for side in (value.left, value.right)]
        if None not in sizes and not (isinstance(value.op, gast.FloorDiv) and sizes[1] == 0):
            # n = x.shape[0] - 1: a known int that may size an array
            return _number(_INT_ARITHMETIC[type(value.op)](*sizes))
        if isinstance(value.op, (gast.Add, gast.Sub)):   # j + n: a counter moved by n
            counted = [_offset(side, classes) for side in (value.left, value.right)]
            if counted[0] is not None and sizes[1] is not None:
                sign = 1 if isinstance(value.op, gast.Add) else -1
                return ("scalar", _OFFSET, counted[0][0], counted[0][1] + sign * sizes[1])
            if counted[1] is not None and sizes[0] is not None \
                    and isinstance(value.op, gast.Add):
                return ("scalar", _OFFSET, counted[1][0], counted[1][1] + sizes[0])
    if isinstance(value, gast.BinOp) and isinstance(value.op, _ELEMENTWISE_BINOPS):
        return _combine(_atom(value.left, classes), _atom(value.right, classes), own)
    if isinstance(value, gast.Compare) and len(value.ops) == 1 and isinstance(
            value.ops[0], (gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Eq, gast.NotEq)):
        # elementwise on arrays (a bool array), a bool on numbers: broadcast like x + y
        return _combine(_atom(value.left, classes), _atom(value.comparators[0], classes), own)
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.MatMult):
        return _evaluated(np.matmul, [value.left, value.right], [], classes, own)
    if isinstance(value, gast.Subscript):
        return _subscript(value, classes, own, ranges, int_arrays)
    if isinstance(value, (gast.Tuple, gast.List)):
        return _sequence(value, classes, own)
    if isinstance(value, gast.Call):
        callee = getattr(value, "callee", None)
        if getattr(callee, "__module__", None) == "math" and callee is not math.pow:
            return SCALAR
        if callee in (len, np.size, np.ndim, np.shape) and len(value.args) == 1 \
                and not value.keywords:
            return _size_of(callee, _atom(value.args[0], classes))
        if callee in _REDUCTIONS and len(value.args) == 1 and not value.keywords:
            return SCALAR
        if callee is sum and len(value.args) == 1 and not value.keywords:
            key = _atom(value.args[0], classes)   # sum([a, b]): 0 + a + b
            if key is not None and key[0] == _TUPLE and key[1]:
                total = SCALAR
                for item in key[1]:
                    total = _combine(total, item, own)
                return total
        if _elementwise_ufunc(callee) and not value.keywords:
            if _inputs(callee) == 1 and len(value.args) == 1:
                key = _atom(value.args[0], classes)
                return SCALAR if key is not None and key[0] == "scalar" else key
            if _inputs(callee) == 2 and len(value.args) == 2:
                return _combine(_atom(value.args[0], classes), _atom(value.args[1], classes),
                                own)
        if callee in (np.array, np.asarray) and len(value.args) == 1 and all(
                k.arg == "dtype" for k in value.keywords):
            key = _atom(value.args[0], classes)
            if key is not None and key[0] == _TUPLE and all(
                    k[0] == "scalar" for k in key[1]):
                return ("shape", (len(key[1]),))   # np.array([a, b]) of numbers
            if key is not None and key[0] == "shape":
                return key
            return None if key is None and isinstance(value.args[0], gast.Name) else own
        if callee in _SHAPE_FROM_SHAPES:
            return _evaluated(callee, value.args, value.keywords, classes, own)
        if callee in (last_item, list.pop, list) and len(value.args) == 1 - (
                callee is list.pop) and not value.keywords:
            # the last item of a list, an item popped from it, a copy of it
            base = _atom(value.func.value if callee is list.pop else value.args[0], classes)
            if base is None:
                return None
            if callee is list:
                return base if base[0] == _ITEMS else own
            return _item(base, -1, own)
        if callee is in_place and len(value.args) == 2:
            # z op= v: t = z op v has z's shape when z is an array (else it raises)
            return _atom(value.args[0], classes)
        if isinstance(callee, types.FunctionType) and not value.keywords:
            keys = [_atom(a, classes) for a in value.args]
            if any(k is None and isinstance(a, gast.Name) for k, a in zip(keys, value.args)):
                return None   # not classified yet: decide later
            if all(k is not None and (k[0] == "scalar" or k[0] == "shape") for k in keys):
                found = _helper_result(callee, tuple(SCALAR if k[0] == "scalar" else k
                                                     for k in keys), "class")
                if found is not None and (found == SCALAR or found[0] == "shape"):
                    return found
    return own


# function -> (its code, its Normalized form or None), for _helper_result
_HELPERS = weakref.WeakKeyDictionary()
_HELPERS_UNDER_WAY = set()


def _helper(callee):
    """The normalized form of a user's function whose result's class and stand-in
    follow from its arguments' alone (a leaf helper: ``def sigmoid(z): return 1.0 /
    (1.0 + np.exp(-z))``), else None: positional parameters only, no closure, no call
    of another Python function, no global read but modules (whose values might change
    shape later), one ``return`` at its end."""
    if callee.__closure__ or callee.__code__.co_flags & (inspect.CO_VARARGS |
                                                        inspect.CO_VARKEYWORDS) \
            or callee.__code__.co_kwonlyargcount:
        return None
    cached = _HELPERS.get(callee)
    if cached is not None and cached[0] is callee.__code__:
        return cached[1]
    fn = None
    try:
        from .normalize import normalize
        from .parse import parse
        fn = normalize(parse(callee))
    except Exception:   # noqa: BLE001 - then its result is simply not known
        fn = None
    if fn is not None and not _leaf(fn, callee):
        fn = None
    _HELPERS[callee] = (callee.__code__, fn)
    return fn


def _leaf(fn, callee) -> bool:
    body = fn.body
    if not body or not isinstance(body[-1], gast.Return) \
            or not isinstance(body[-1].value, gast.Name):
        return False
    local = set(fn.params) | set(fn.locals)
    for node in walk(body):
        if isinstance(node, gast.Return) and node is not body[-1]:
            return False
        if isinstance(node, (gast.FunctionDef, gast.Lambda, gast.Global, gast.Nonlocal)):
            return False
        if isinstance(node, gast.Call):
            target = getattr(node, "callee", None)
            if target is None or isinstance(target, types.FunctionType) \
                    and not _library(target):
                return False
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) \
                and node.id not in local:
            if node.id in fn.binder.bound:
                if not _library(fn.binder.bound[node.id]):
                    return False
                continue
            if node.id not in callee.__globals__ and hasattr(builtins, node.id):
                continue   # len, range, float: Python's own
            if not isinstance(callee.__globals__.get(node.id), types.ModuleType):
                return False
    return True


def _library(obj) -> bool:
    """NumPy's, Python's or tangentlike's own (not the user's) object."""
    module = getattr(obj, "__module__", None) or ""
    return isinstance(obj, (types.ModuleType, types.BuiltinFunctionType, np.ufunc, type)) \
        or module.split(".")[0] in ("numpy", "tangentlike", "builtins", "math")


def _helper_result(callee, arguments: tuple, kind: str):
    """The class (``kind`` "class") or stand-in ("stand_in") of what the leaf helper
    ``callee`` returns for ``arguments`` (classes or stand-ins), or None."""
    if id(callee) in _HELPERS_UNDER_WAY or callee.__code__.co_argcount != len(arguments):
        return None
    fn = _helper(callee)
    if fn is None:
        return None
    name = fn.body[-1].value.id
    _HELPERS_UNDER_WAY.add(id(callee))
    try:
        given = dict(zip(fn.params, arguments))
        if kind == "class":
            return shape_classes(fn, given).get(name)
        found = stand_ins(fn, given).get(name)
        return found if isinstance(found, (np.ndarray, np.generic, float, int)) else None
    except Exception:   # noqa: BLE001 - then its result is simply not known
        return None
    finally:
        _HELPERS_UNDER_WAY.discard(id(callee))


def _one_shape(key) -> bool:
    """A class every value of which has one shape, known in the version."""
    return key is not None and (key[0] == "shape" or key[0] == "scalar")


def _item(base, index, own):
    """The class of item ``index`` (an int, or None for any item) of a list or tuple of
    class ``base``."""
    if base[0] == _ITEMS:
        return base[1]   # None (an empty list so far): decide later
    if base[0] == _TUPLE and index is not None and -len(base[1]) <= index < len(base[1]):
        return base[1][index]
    return own


def _sequence(value, classes, own):
    """``(a, b, ...)`` or ``[a, b, ...]`` of values of concrete shapes: their classes in
    order, so that ``np.concatenate(parts)`` gets a concrete shape too. An empty list
    (to be appended to) is a list of items of any class."""
    if isinstance(value, gast.List) and not value.elts:
        return (_ITEMS, None)
    keys = [_atom(e, classes) for e in value.elts]
    if any(k is None for k, e in zip(keys, value.elts) if isinstance(e, gast.Name)):
        return None   # an element not classified yet: decide later
    if value.elts and all(k is not None and (k[0] in ("shape", _TUPLE) or k == SCALAR or (
            k[:2] == ("scalar", "value"))) for k in keys):
        return (_TUPLE, tuple(keys))
    return own


# helpers of rules that work elementwise on one operand, as a ufunc of one input would
_UNARY_HELPERS = {logistic}


def _elementwise_ufunc(callee) -> bool:
    """A ufunc that broadcasts its operands elementwise (np.matmul is a generalized ufunc
    with a core signature, not one), or a helper of rules that works like one."""
    return isinstance(callee, np.ufunc) and callee.signature is None or callee in _UNARY_HELPERS


def _inputs(callee) -> int:
    """The number of operands of an elementwise ufunc or helper."""
    return 1 if callee in _UNARY_HELPERS else callee.nin


def shares_shape(key) -> bool:
    """Whether two values of class ``key`` have equal shapes wherever they meet. Not so
    for a class whose values change shape over time: ``("scalar or", S)`` and
    ``("varying", v)`` (in ``t = 0.5 * total; total = t - x`` in a loop, ``t`` and
    ``total`` share the class, but ``t`` is a number while the new ``total`` is not)."""
    return key is not None and key[0] not in (_SCALAR_OR, _VARYING, _TUPLE, _ITEMS)


def _join(keys) -> tuple:
    """The class of a variable assigned values of the classes ``keys``: a number and
    arrays of one shape S (``total = 0.0`` before a loop adds arrays to it) make
    ("scalar or", S); numbers of different classes (``n = 100`` and ``n = n + 1``, two
    known values, a loop counter) make a number of unknown value; lists whose items all
    have one class make a list of such items; None for any other mix."""
    if all(k[0] == "scalar" for k in keys):
        return SCALAR
    if all(k[0] in (_ITEMS, _TUPLE) for k in keys):
        # a list literal appended to: a list of items of one class if they all agree
        items = {k[1] for k in keys if k[0] == _ITEMS} | {
            item for k in keys if k[0] == _TUPLE for item in k[1]}
        items.discard(None)
        if len(items) == 1 and _one_shape(next(iter(items))):
            return (_ITEMS, items.pop())
        return None
    shapes = {k[1] for k in keys if k[0] in ("shape", _SCALAR_OR)}
    if len(shapes) == 1 and all(k[0] in ("shape", _SCALAR_OR, "scalar") for k in keys):
        return (_SCALAR_OR, shapes.pop())
    return None


def _combine(a, b, own):
    if a is None or b is None:   # an operand not classified yet: decide later
        return None
    a, b = (SCALAR if k[0] == "scalar" else k for k in (a, b))
    if a == b:
        return a
    if a == SCALAR:
        return b
    if b == SCALAR:
        return a
    if a[0] == _SCALAR_OR and b[0] == "shape" or b[0] == _SCALAR_OR and a[0] == "shape":
        either, shape = (a, b) if a[0] == _SCALAR_OR else (b, a)
        try:   # broadcast with shape T: T both for a number and for S when S fits in T
            fits = np.broadcast_shapes(either[1], shape[1]) == shape[1]
        except ValueError:
            fits = False
        return shape if fits else own
    if a[0] == "shape" and b[0] == "shape":
        try:
            return _concrete(np.broadcast_shapes(a[1], b[1]))
        except ValueError:
            return own
    return own


# -- concrete shapes (specialized derivatives) -------------------------------------------

# NumPy functions whose result shape depends only on the shapes of their array arguments
# and on constant arguments (never on the values in the arrays).
_SHAPE_FROM_SHAPES = {
    np.dot, np.matmul, np.outer, np.inner, np.where, np.clip, np.roll, np.transpose,
    np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std,
    np.cumsum, np.cumprod, np.sort, np.copy, np.squeeze, np.ravel, np.expand_dims,
    np.swapaxes, np.moveaxis, np.flip, np.trace, np.diagonal, np.linalg.norm,
    np.zeros_like, np.ones_like, np.full_like, np.empty_like, np.tensordot, np.einsum,
    np.broadcast_to, np.reshape, np.diff, np.logaddexp, np.atleast_1d, np.atleast_2d,
    np.convolve, np.correlate, np.concatenate, np.stack, np.hstack, np.vstack,
    np.column_stack, np.pad, np.tril, np.triu, np.fliplr, np.flipud, np.kron, np.diag,
    np.median, np.ptp, np.nan_to_num, np.real, np.average,
    np.linalg.solve,   # (of the shapes alone: _cheaply; stand-ins are singular)
    # the shape is given by sizes: evaluated when their values are known (np.shape(x)[0]
    # in a version), unknown otherwise
    np.eye, np.identity, np.zeros, np.ones, np.full, np.empty, np.arange,
}
# Of those, the ones where a scalar argument's value cannot change the result's shape.
_SCALAR_VALUES_IRRELEVANT = {np.dot, np.matmul, np.outer, np.inner, np.where, np.clip,
                             np.roll, np.logaddexp, np.full_like, np.tril, np.triu,
                             np.nan_to_num}
# Of those, the ones that join the arrays of their first argument, a sequence: the values
# of numbers in it (np.concatenate(([0.0], x, [1.0]))) cannot change the result's shape.
_JOINS = {np.concatenate, np.stack, np.hstack, np.vstack, np.column_stack}


def _numbers_as_vector(part):
    """``part`` (a stand-in), or the vector np.concatenate makes of a list or tuple of
    Python or NumPy numbers."""
    if part.__class__ in (list, tuple) and part and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in part):
        return np.zeros(len(part))
    return part


def _concrete(shape):
    shape = tuple(int(n) for n in shape)
    return SCALAR if shape == () else ("shape", shape)


def _dummy(key):
    """A zero-strided array of the class's concrete shape (no memory), or None."""
    if key is not None and key[0] == "scalar":
        return 0.0
    if key is not None and key[0] == "shape":
        return np.broadcast_to(np.zeros((), dtype=float), key[1])
    return None


def _items_stand_in(key, scalar_ok, name):
    """The stand-in for a tuple or list of the items' classes ``key[1]``: a tuple of
    theirs (nested lists as tuples of theirs, `[[0.3, 0.1], [0.2, 0.5]]` of shape (2, 2));
    raise LookupError where an item has none."""
    items = []
    for k in key[1]:
        if k is not None and k[0] == _TUPLE:
            items.append(_items_stand_in(k, scalar_ok, name))
        elif k is not None and k[:2] == ("scalar", "value"):
            items.append(k[2])
        elif k is not None and k[0] == "scalar" and not scalar_ok or _dummy(k) is None:
            raise LookupError(name)   # (a number's value may decide the shape)
        else:
            items.append(_dummy(k))
    return tuple(items)


def _argument(atom, classes, scalar_ok):
    """The stand-in for an argument when evaluating a shape, or raise LookupError."""
    if isinstance(atom, gast.Constant):
        return atom.value
    if isinstance(atom, gast.Name):
        key = classes.get(atom.id)
        if key is not None and key[:2] == ("scalar", "value"):
            return key[2]
        if key is not None and key[0] == "scalar" and not scalar_ok:
            raise LookupError(atom.id)   # its value may decide the shape (an axis, a size)
        if key is not None and key[0] == _TUPLE:
            return _items_stand_in(key, scalar_ok, atom.id)
        dummy = _dummy(key)
        if dummy is not None:
            return dummy
    raise LookupError(atom)


def _evaluated(callee, args, keywords, classes, own):
    """The class of ``callee(*args, **keywords)`` found by calling it on dummy arrays of
    the arguments' concrete shapes; None while an argument is not classified yet."""
    if any(isinstance(a, gast.Name) and a.id not in classes for a in args) or any(
            isinstance(k.value, gast.Name) and k.value.id not in classes for k in keywords):
        return None
    scalar_ok = _elementwise_ufunc(callee) or callee in _SCALAR_VALUES_IRRELEVANT
    try:
        values = [_argument(a, classes, scalar_ok or (i == 0 and callee in _JOINS))
                  for i, a in enumerate(args)]
        named = {k.arg: _argument(k.value, classes, scalar_ok) for k in keywords}
    except LookupError:
        return own
    return _shape_of_call(callee, values, named, own)


def _shape_of_call(callee, values, named, own):
    result = _checked(callee, values, named)
    if isinstance(result, np.ndarray):
        return _concrete(result.shape)
    return own if result is _UNKNOWN else SCALAR


def _subscript(value, classes, own, ranges=None, int_arrays=frozenset()):
    """``x[i]`` with x of a concrete shape and an index of constants, loop counters
    (ints), constant slices and arrays of integers of concrete shapes."""
    base = _atom(value.value, classes)
    if base is None:
        return None
    if base[0] == "sizes" and isinstance(value.slice, gast.Constant) \
            and isinstance(value.slice.value, int):   # np.shape(x)[0]
        if len(base) == 2 and -len(base[1]) <= value.slice.value < len(base[1]):
            return _number(base[1][value.slice.value])
        return SCALAR
    if base[0] == _TUPLE and isinstance(value.slice, gast.Constant) \
            and isinstance(value.slice.value, int) and not isinstance(value.slice.value, bool):
        return _item(base, value.slice.value, own)   # parts[0]
    if base[0] == _KEYED and isinstance(value.slice, gast.Constant) \
            and isinstance(value.slice.value, str):   # params["W1"] of a dict argument
        return dict(base[1]).get(value.slice.value, own)
    if base[0] == _ITEMS:
        if isinstance(value.slice, gast.Slice):   # hs[1:]: items of the same class
            return base
        index = _atom(value.slice, classes)
        return _item(base, None, own) if index is not None and index[0] == "scalar" else own
    if base[0] != "shape":
        return own
    index = value.slice
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    try:
        picked = _index_parts(parts, base[1], classes, ranges, int_arrays)
    except LookupError:
        return own
    return _shape_of_call(lambda x: x[picked if isinstance(index, gast.Tuple) else picked[0]],
                          [_dummy(base)], {}, own)


def _index_parts(parts, shape, classes, ranges, int_arrays=frozenset()):
    """Index parts that pick what ``parts`` picks from an array of ``shape``, each
    the same on every run (LookupError when there are none). An array of integers of a
    concrete shape picks elements of the same shape whatever they are (or raises an
    IndexError, as zeros do along an empty axis): zeros stand for it."""
    picked, axis = [], 0
    for part in parts:
        if isinstance(part, gast.Name) and part.id in int_arrays:
            key = classes.get(part.id)
            if key is None or key[0] != "shape":
                raise LookupError(part)
            picked.append(np.zeros(key[1], dtype=np.intp))
            axis += 1
            continue
        if isinstance(part, gast.Slice) and axis < len(shape):
            counted = _counter_slice(part, shape[axis], classes, ranges)
            if counted is not None:
                picked.append(counted)
                axis += 1
                continue
        picked.append(_index_part(part, classes))
        if not (isinstance(part, gast.Constant) and part.value is None):
            axis += 1
    return tuple(picked)


def _counter_slice(part, size, classes, ranges):
    """``x[j + a:j + b]`` along an axis of ``size``, j a loop counter whose range keeps
    both bounds within 0..size (no clipping, no counting from the end): b - a elements
    on every turn; a slice of that length, or None."""
    if part.step is not None or part.lower is None or part.upper is None:
        return None
    bounds = [_offset(b, classes) for b in (part.lower, part.upper)]
    if None in bounds or bounds[0][0] != bounds[1][0]:
        return None
    (counter, a), (_, b) = bounds
    span = _counter_range(counter, classes, ranges)
    if span is None or b < a:
        return None
    lo, hi = span
    if lo <= hi and (lo + a < 0 or hi + b > size):
        return None
    return slice(0, b - a)


def _array_index(part, values, unknown):
    """An index part that is an array of integers (``p[np.arange(n), y]``), as zeros of
    its shape: any integers pick elements of the same shape (or raise IndexError where
    these do, along an empty axis); else None. Booleans pick by their values: None."""
    if not isinstance(part, gast.Name) or part.id in unknown:
        return None
    value = values.get(part.id)
    if isinstance(value, np.ndarray) and value.ndim and value.dtype.kind in "iu":
        return np.zeros(value.shape, dtype=np.intp)
    return None


def _index_part(part, classes):
    if isinstance(part, gast.Constant) and (part.value is None or (
            isinstance(part.value, int) and not isinstance(part.value, bool))):
        return part.value
    if isinstance(part, gast.Name) and _offset(part, classes) is not None:
        return 0   # a loop counter (plus c): any int gives the same shape (or an IndexError)
    if isinstance(part, gast.Name) and _known_int(part, classes) is not None:
        return _known_int(part, classes)
    if isinstance(part, gast.Slice):
        bounds = [None if b is None else _known_int(b, classes)
                  for b in (part.lower, part.upper, part.step)]
        if all(b is None or v is not None
               for b, v in zip((part.lower, part.upper, part.step), bounds)):
            return slice(*bounds)   # constants, or sizes the analysis knows
    raise LookupError(part)


# -- rewrites the classes allow -----------------------------------------------------------


class ShapeRewriter(Transformer):
    # also: ``g * x + g * x`` (the adjoint of ``np.dot(x, x)`` for a vector) -> (2.0 * g) * x
    """Rewrites of derivative expressions where shapes are known (in the adjoint rules'
    output, before it is emitted):

    - ``unbroadcast(g, x)`` with a scalar ``x``: ``g`` when g is known to be a scalar;
    - ``broadcast_like(g, y)`` where ``g`` provably has y's shape: ``g``;
    - ``np.shape(x)``, ``np.ndim(x)``, ``np.size(x)`` of a concrete shape: constants;
    - ``np.result_type(x, s)`` or ``np.result_type(np.asarray(x), s)`` (rules write that
      where x may be a list) of an array of a known dtype: ``np.result_type(float64, s)``,
      or ``float64`` itself when ``s`` is a constant
      (so ``x`` need not be computed only for its dtype);
    - ``product_grad_left/right(g, a, b)`` with operands of known ranks: the direct
      formula (``g @ b.T``, ``np.outer(g, b)``, ``g * b``, ...), and so is
      ``np.tensordot(g, b, inner_axes(a, b, 0))`` (np.inner's adjoint) of float64 arrays
      with a vector ``b``, where ``np.inner(a, b)`` is ``a @ b``;
    - ``np.expand_dims(g, k)`` of an array of a known rank: ``g[:, None]``.

    ``functions`` maps the generated code's names to the objects they are bound to;
    ``adjoint_shape(name)`` gives the static shape of an adjoint variable (see
    static_shape), None for other names.
    """

    def __init__(self, classes, functions, adjoint_shape, np_name, stand_ins=None,
                 bind=None):
        self.classes, self.functions = classes, functions
        self.adjoint_shape, self.np_name = adjoint_shape, np_name
        self.stand_ins, self.bind = stand_ins or {}, bind
        self.displays = {}   # list name -> its display's names (reverse._list_displays)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = node.left, node.right
        if isinstance(node.op, gast.Add) and all(
                isinstance(side, gast.BinOp) and isinstance(side.op, gast.Mult)
                for side in (left, right)) and _same(left, right) \
                and isinstance(left.right, gast.Name) and self.rank(left.right) == 1:
            twice = gast.BinOp(left=gast.Constant(value=2.0, kind=None), op=gast.Mult(),
                               right=left.left)
            return gast.BinOp(left=twice, op=gast.Mult(), right=left.right)
        if isinstance(node.op, gast.Mult) and isinstance(right, gast.BinOp) \
                and isinstance(right.op, gast.Mult) and _power_of_two(right.left) \
                and _smaller(static_shape(left, self), static_shape(right.right, self)):
            # g * (2.0 * x) with a number g, or a g that x is bigger than: (g * 2.0) * x,
            # the doubling on fewer elements, and the same numbers (a power of two
            # scales exactly)
            return gast.BinOp(left=gast.BinOp(left=left, op=gast.Mult(), right=right.left),
                              op=gast.Mult(), right=right.right)
        if isinstance(node.op, gast.Mult):
            for k, call in ((left, right), (right, left)):
                if _calls(call, logistic, self) and len(call.args) == 1 \
                        and not call.keywords and static_shape(k, self) == SCALAR:
                    # a number times the softplus's share (the seed spread over a logistic
                    # loss): divided into it, one pass fewer
                    name = self.bind("logistic_times", logistic_times)
                    return gast.Call(func=gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                                    type_comment=None),
                                     args=[call.args[0], k], keywords=[])
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        target = None
        if isinstance(func, gast.Name):
            target = self.functions.get(func.id)
        elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                and func.value.id == self.np_name:
            target = getattr(np, func.attr, None)
        args = node.args
        if target is np.diff and len(args) == 2 and all(
                k.arg == "axis" and isinstance(k.value, gast.Constant)
                and k.value.value in (0, -1) for k in node.keywords):
            difference = self.difference_of_padded(*args)   # (of a 1-D array)
            if difference is not None:
                return difference
        if target is np.einsum and len(args) == 3 and all(
                k.arg == "optimize" and isinstance(k.value, gast.Constant)
                for k in node.keywords):   # (how the rule writes it: the same product)
            product = self.elementwise_einsum(*args)
            if product is not None:
                return product
        if node.keywords or target is None:
            return node
        if target is matrix_transpose and len(args) == 1:
            key = self.key(args[0])
            if key is not None and key[0] == "shape" and len(key[1]) == 2:
                return gast.Attribute(value=args[0], attr="T", ctx=gast.Load())   # a matrix
        if target is solve_vector and len(args) == 2:
            solved = self.solved_vector(*args)
            if solved is not None:
                return solved
        if target is unbroadcast and len(args) == 2 and self.key(args[1]) == SCALAR:
            have = static_shape(args[0], self)
            if have in (SCALAR, maybe_zero(SCALAR)):
                return args[0]   # a number already
            if have is not None and have[0] == "shape":
                g = args[0]
                if len(have[1]) == 1 and isinstance(g, gast.BinOp) \
                        and isinstance(g.op, gast.Mult) \
                        and static_shape(g.left, self) == static_shape(g.right, self) == have:
                    # np.sum(g * x) of two vectors: their dot product, one pass and no
                    # temporary array
                    return self.np_call("dot", [g.left, g.right])
                if len(have[1]) == 1:
                    scaled = self.scaled_dot(g, have)
                    if scaled is not None:
                        return scaled
                if have[1]:
                    # an array: its method sums as np.sum does (both are np.add.reduce),
                    # without np.sum's dispatch (about 1-3 us a call)
                    return gast.Call(func=gast.Attribute(value=g, attr="sum", ctx=gast.Load()),
                                     args=[], keywords=[])
                return self.np_call("sum", [g])
            # else unbroadcast stays: np.sum(g) of a number g would turn the seed 1.0 into
            # a float64, and so a float32 gradient into float64
        if target is unbroadcast and len(args) == 2:
            key = self.key(args[1])
            if key is not None and key[0] == "shape" and static_shape(args[0], self) == key:
                # g of x's shape already (one this rewrite made: an einsum's product)
                return args[0]
            reduced = self.reduction(args[0], key)
            if reduced is not None:
                return reduced
        if target is broadcast_like and len(args) == 2:
            key = self.key(args[1])
            if key is not None and key[0] in ("shape", "scalar") and \
                    static_shape(args[0], self) == key:
                return args[0]
        if target is add_at_item and len(args) == 3:
            moved = self.only_new_axes(*args)
            if moved is not None:
                return moved
            self.mark_one_per_row(node)
        if target is part_of and len(args) == 2 and isinstance(args[1], gast.Constant) \
                and type(args[1].value) is int:
            # part_of(g, k) of an adjoint known to be an array (not the scalar zero, nor
            # a short stack of adjoints) that has a row k: g[k]
            have = static_shape(args[0], self)
            if have is not None and have[0] == "shape" and have[1] \
                    and -have[1][0] <= args[1].value < have[1][0]:
                index = gast.Constant(value=args[1].value % have[1][0], kind=None)
                return gast.Subscript(value=args[0], slice=index, ctx=gast.Load())
        if target is written_part and len(args) == 2:
            # (the adjoint of y[i] = v, i basic) of an array of a known shape: g[i]
            index = self.basic_index(args[1])
            have = static_shape(args[0], self)
            if index is not None and have is not None and have[0] == "shape" and have[1]:
                return gast.Subscript(value=args[0], slice=index, ctx=gast.Load())
        if target in (einsum_adjoint, einsum_placement) and len(args) >= 3 \
                and isinstance(args[0], gast.Constant) and isinstance(args[0].value, str) \
                and "." not in args[0].value and isinstance(args[1], gast.Constant) \
                and type(args[1].value) is int:
            # np.einsum's adjoint subscripts: of the subscripts alone where they spell
            # every axis (no '...', whose letters count the operands' dimensions)
            try:
                spec = target(args[0].value, args[1].value, *[None] * (len(args) - 2))
            except Exception:   # noqa: BLE001 - (then it raises when it runs)
                spec = None
            if isinstance(spec, str):
                return gast.Constant(value=spec, kind=None)
        if target is einsum_place and len(args) == 3 and isinstance(args[1], gast.Constant) \
                and isinstance(args[1].value, str) and args[1].value.count("->") == 1 \
                and len(set(args[1].value.split("->"))) == 1:
            return args[0]   # einsum_place(t, "oik->oik", x) is t
        if target is np.where and len(args) == 3:
            mask = self.mask(*args)
            if mask is not None:
                return mask
        if target is np.expand_dims and len(args) == 2:
            axes = self.new_axis(*args)
            if axes is not None:
                return axes
        if target is np.asarray and len(args) == 1:
            have = static_shape(args[0], self)
            if have is not None and have[0] == "shape":
                return args[0]   # an array already
        if target is split_like and len(args) == 3:
            pieces = self.pieces(*args)
            if pieces is not None:
                return pieces
        if target in _SHAPE_ONLY:
            value = self.shape_only(target, args)
            if value is not None:
                return value
        if target in (np.shape, np.ndim, np.size) and len(args) == 1:
            key = self.key(args[0])
            if key is not None and key[0] in ("shape", "scalar"):
                shape = () if key[0] == "scalar" else key[1]
                value = {np.shape: shape, np.ndim: len(shape),
                         np.size: int(np.prod(shape))}[target]
                return gast.Constant(value=value, kind=None)
        if target is np.result_type and args and self.known_array(args[0]) is not None:
            dtype = self.stand_ins[self.known_array(args[0])].dtype
            if all(isinstance(a, gast.Constant) and type(a.value) in (int, float)
                   for a in args[1:]):
                # of constants too (np.result_type(float64, 1.0)): that dtype itself
                dtype = np.result_type(dtype, *(a.value for a in args[1:]))
                return gast.Name(id=self.bind(str(dtype), dtype), ctx=gast.Load(),
                                 annotation=None, type_comment=None)
            args[0] = gast.Name(id=self.bind(str(dtype), dtype), ctx=gast.Load(),
                                annotation=None, type_comment=None)
            return node
        if target in (product_grad_left, product_grad_right, dot_grad_left,
                      dot_grad_right) and len(args) == 3:
            ranks = [self.rank(a) for a in args[1:]]   # 1 or 2: np.dot is a @ b then
            if None not in ranks:
                left = target in (product_grad_left, dot_grad_left)
                return self.product(left, *args, *ranks) or node
        if target is np.tensordot and len(args) == 3:
            return self.inner_product(*args) or node
        return node

    def elementwise_einsum(self, spec, a, b):
        """``np.einsum(',i->i', g, x)`` (a number times an array, the adjoint of an
        operand of ``np.einsum('i,i->', x, y)``) and ``np.einsum('ij,ij->ij', a, b)`` of
        two arrays of one shape as the products ``g * x`` and ``a * b`` they are, without
        einsum's overhead (``2.0 * np.einsum('i,i->', x, x)`` at 1e6 elements: 18x ->
        about 1x the hand-written ``4.0 * x``; ``g * x + g * x`` is then ``(2.0 * g) *
        x``, visit_BinOp). A number times a float64 array only: einsum makes a Python
        number a float64 array, so a float32 array times it would be float64, not
        float32 as the product is (two arrays' dtypes promote alike either way)."""
        if not (isinstance(spec, gast.Constant) and isinstance(spec.value, str)
                and spec.value.count("->") == 1 and "." not in spec.value):
            return None
        inputs, output = spec.value.replace(" ", "").split("->")
        inputs = inputs.split(",")
        if len(inputs) != 2 or not output or len(set(output)) != len(output) \
                or not all(sub in ("", output) for sub in inputs):
            return None
        shapes = [static_shape(x, self) for x in (a, b)]
        full = [shape for shape, sub in zip(shapes, inputs) if sub]
        if not all(shape is not None and shape[0] == "shape" and len(shape[1]) == len(output)
                   for shape in full):
            return None
        if len(full) == 2 and shapes[0] != shapes[1]:
            return None   # (einsum broadcasts a size-1 axis: keep its checks)
        if len(full) == 1:
            number, array = (a, b) if inputs[0] == "" else (b, a)
            if static_shape(number, self) != SCALAR or self.known_array(array) is None \
                    or self.stand_ins[self.known_array(array)].dtype != np.float64:
                return None
        return gast.BinOp(left=a, op=gast.Mult(), right=b)

    def inner_product(self, g, other, axes):
        """``np.tensordot(g, b, inner_axes(a, b, 0))`` (the adjoint of a in ``np.inner(a,
        b)``, and of b with ``a`` and 1) as the adjoint of a product ``a @ b``, which
        np.inner of a vector or matrix ``a`` and a vector ``b`` is: ``2 * np.inner(x, x)``
        costs ``4.0 * x`` instead of two tensordots (30 times the hand-written gradient
        at 1e6 elements). Only of float64 arrays, whose products with a number or a
        float64 array are float64 like tensordot's (a float32 operand times a Python
        float would stay float32)."""
        if not (isinstance(axes, gast.Call) and isinstance(axes.func, gast.Name)
                and self.functions.get(axes.func.id) is inner_axes and not axes.keywords
                and len(axes.args) == 3 and isinstance(axes.args[2], gast.Constant)
                and axes.args[2].value in (0, 1) and type(axes.args[2].value) is int):
            return None
        a, b, operand = axes.args[0], axes.args[1], axes.args[2].value
        if not _same(other, (b, a)[operand]):
            return None
        ra, rb = self.rank(a), self.rank(b)
        if ra is None or rb != 1 or not all(
                self.known_array(x) is not None
                and self.stand_ins[self.known_array(x)].dtype == np.float64 for x in (a, b)):
            return None
        return self.product(operand == 0, g, a, b, ra, rb)

    def mask(self, condition, a, b):
        """``np.where(c, 1.0, 0.0)`` of a bool array c (the adjoint of np.where for the
        seed 1.0: a Huber loss, a ReLU written with np.where) as ``c.astype(float64)``,
        and ``np.where(c, 0.0, 1.0)`` as ``(~c).astype(float64)``: the same float64
        ones and zeros, a cast instead of a selection (about 1 us instead of 3 for
        1000 elements)."""
        values = [v.value if isinstance(v, gast.Constant) and type(v.value) is float
                  else None for v in (a, b)]
        if values not in ([1.0, 0.0], [0.0, 1.0]) or not self.bool_array(condition):
            return None
        if values[0] == 0.0:
            condition = gast.UnaryOp(op=gast.Invert(), operand=condition)
        float64 = gast.Name(id=self.bind("float64", np.dtype(np.float64)), ctx=gast.Load(),
                            annotation=None, type_comment=None)
        return gast.Call(func=gast.Attribute(value=condition, attr="astype", ctx=gast.Load()),
                         args=[float64], keywords=[])

    def bool_array(self, node) -> bool:
        """Whether ``node`` is surely a NumPy array of bools: a comparison of a known
        array shape, or a name whose stand-in is one."""
        have = static_shape(node, self)
        if have is None or have[0] != "shape":
            return False
        if isinstance(node, gast.Compare) and len(node.ops) == 1 and isinstance(
                node.ops[0], (gast.Eq, gast.NotEq, gast.Lt, gast.LtE, gast.Gt, gast.GtE)):
            return True
        stand_in = self.stand_ins.get(node.id) if isinstance(node, gast.Name) else None
        return isinstance(stand_in, np.ndarray) and stand_in.dtype == np.bool_

    def new_axis(self, g, axis):
        """``np.expand_dims(g, axis)`` of an array of a known rank and a constant axis as
        the view it is, ``g[:, None]``: the same view without the function's checks and
        normalizations (about 1 us a call, as much as the product it feeds on 100
        elements)."""
        have = static_shape(g, self)
        if have is None or have[0] != "shape" or not isinstance(axis, gast.Constant) \
                or type(axis.value) is not int or not -len(have[1]) - 1 <= axis.value \
                <= len(have[1]):
            return None
        k = axis.value % (len(have[1]) + 1)
        whole = [gast.Slice(lower=None, upper=None, step=None)] * k
        index = whole + [gast.Constant(value=None, kind=None)]
        index = gast.Tuple(elts=index, ctx=gast.Load()) if k else index[0]
        return gast.Subscript(value=g, slice=index, ctx=gast.Load())

    def basic_index(self, node):
        """``node`` (an index the adjoint passes to a helper: ``slice(1, -1, None)``,
        a constant int, a tuple of those) as subscript syntax, or None."""
        if isinstance(node, gast.Constant) and type(node.value) is int:
            return node
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                and self.functions.get(node.func.id) is slice and not node.keywords \
                and len(node.args) == 3:
            bounds = [_constant_index(a) if not (isinstance(a, gast.Constant)
                                                 and a.value is None) else _NONE
                      for a in node.args]
            if any(b is None or b is not _NONE and type(b) is not int for b in bounds):
                return None
            return gast.Slice(*(None if b is _NONE else gast.Constant(value=b, kind=None)
                                for b in bounds))
        if isinstance(node, gast.Tuple) and node.elts:
            parts = [self.basic_index(elt) for elt in node.elts]
            if None not in parts:
                return gast.Tuple(elts=parts, ctx=gast.Load())
        return None

    def shape_only(self, target, args):
        """A helper of _SHAPE_ONLY called on constants and arrays of known shapes: its
        value, a constant (nested tuples of ints); None when it cannot be known here (or
        raises: the call stays, to raise when it runs)."""
        values = []
        for arg in args:
            if isinstance(arg, gast.Constant):
                values.append(arg.value)
                continue
            have = static_shape(arg, self)
            if have is None or have[0] != "shape":
                return None
            values.append(_dummy(have))
        try:
            value = _int_tuples(target(*values))
        except Exception:   # (norm_axis refusing a norm: it raises when the code runs)
            return None
        return None if value is None else gast.Constant(value=value, kind=None)

    def mark_one_per_row(self, call):
        """Tag ``add_at_item(c, p, (r, y))`` with ``one_per_row`` when p is a float
        matrix of a known shape (n, k), y an int array of shape (n,), and r an int array
        of shape (n,) (optimize.spread_over_picks checks that r is np.arange's): one
        element of each row of p picked, as ``-np.mean(np.log(p[np.arange(n), y]))``
        picks them."""
        _, p, index = call.args
        if not (isinstance(p, gast.Name) and isinstance(index, gast.Tuple)
                and len(index.elts) == 2
                and all(isinstance(e, gast.Name) for e in index.elts)):
            return
        key = self.key(p)
        if key is None or key[0] != "shape" or len(key[1]) != 2:
            return
        stand_in = self.stand_ins.get(p.id)
        if not (isinstance(stand_in, np.ndarray) and stand_in.dtype.kind == "f"):
            return
        for part in index.elts:
            value = self.stand_ins.get(part.id)
            if not (isinstance(value, np.ndarray) and value.dtype.kind in "iu"
                    and self.key(part) == _concrete((key[1][0],))):
                return
        call.one_per_row = True

    def only_new_axes(self, g, x, index):
        """``add_at_item(g, x, index)`` (the adjoint of ``x[index]``) when the index only
        adds axes and takes whole ones (``x[:, None, :]``): g itself, reshaped to x's
        shape. g must have the read's shape (not be the scalar zero)."""
        key = self.key(x)
        if key is None or key[0] != "shape":
            return None
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        whole = 0
        for part in parts:
            if isinstance(part, gast.Constant) and part.value is None:
                continue
            if isinstance(part, gast.Call) and isinstance(part.func, gast.Name) \
                    and self.functions.get(part.func.id) is slice and not part.keywords \
                    and all(isinstance(a, gast.Constant) and a.value is None
                            for a in part.args):
                whole += 1
                continue
            return None
        shape = key[1]
        if whole > len(shape):
            return None
        read = _checked(lambda a: a[tuple(slice(None) if not (isinstance(p, gast.Constant))
                                          else None for p in parts)],
                        [_dummy(key)], {})
        if not isinstance(read, np.ndarray) or static_shape(g, self) != _concrete(read.shape):
            return None
        if read.shape == shape:
            return g
        return self.np_call("reshape", [g, gast.Constant(value=shape, kind=None)])

    def scaled_dot(self, g, have):
        """np.sum of a product of two vectors of shape ``have`` and numbers, negated or
        divided by numbers (``-bu * u / t1``, the adjoint of a division by a norm
        ``x / np.linalg.norm(x)``): ``-np.dot(bu, u) / t1``, the vectors' dot product
        and then the numbers, one pass instead of four (the same value up to rounding).
        None for anything else."""
        vectors, factors, divisors = [], [], []
        negated = False

        def split(node, below):
            nonlocal negated
            if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
                return split(node.left, below) and split(
                    node.right, below != isinstance(node.op, gast.Div))
            if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
                negated = not negated
                return split(node.operand, below)
            shape = static_shape(node, self)
            if shape == SCALAR:
                (divisors if below else factors).append(node)
                return True
            if shape == have and not below:
                vectors.append(node)
                return True
            return False

        if not split(g, False) or len(vectors) != 2 or not (negated or factors or divisors):
            return None
        total = self.np_call("dot", vectors)
        for number in factors:
            total = gast.BinOp(left=total, op=gast.Mult(), right=number)
        for number in divisors:
            total = gast.BinOp(left=total, op=gast.Div(), right=number)
        return gast.UnaryOp(op=gast.USub(), operand=total) if negated else total

    def pieces(self, g, arrays, axis):
        """``split_like(g, arrays, axis)`` (the adjoint of ``np.concatenate(arrays)``) as
        the tuple of slices it is, ``(g[:1], g[1:99], g[99:])``, when the arrays' shapes
        are known and each is g's but along ``axis`` (so ``arrays`` need not be kept)."""
        parts = self.stand_ins.get(arrays.id) if isinstance(arrays, gast.Name) else None
        listed = None
        if isinstance(parts, list):   # a list display's (split_like gives a list too)
            parts = listed = tuple(parts)
        if isinstance(parts, tuple):
            # a list or tuple of numbers among the parts is the vector NumPy makes of it
            # (the walls padding positions, np.concatenate(([0.0], x, [5.0])))
            parts = tuple(_numbers_as_vector(p) for p in parts)
        if parts is None and isinstance(arrays, gast.Name) and arrays.id in self.displays:
            # a list display read once, of names of known shapes (an LSTM's [x[t], h]):
            # arrays of those shapes stand in for its items
            keys = [self.classes.get(name) for name in self.displays[arrays.id]]
            if all(key is not None and key[0] == "shape" for key in keys):
                parts = listed = tuple(np.broadcast_to(0.0, key[1]) for key in keys)
        have = static_shape(g, self)
        if not isinstance(parts, tuple) or not parts \
                or not all(isinstance(p, np.ndarray) for p in parts) \
                or not isinstance(axis, gast.Constant) or type(axis.value) is not int \
                or have is None or have[0] != "shape" or not have[1]:
            return None
        shape = have[1]
        if not -len(shape) <= axis.value < len(shape):
            return None
        k = axis.value % len(shape)
        if any(p.ndim != len(shape)
               or p.shape[:k] + p.shape[k + 1:] != shape[:k] + shape[k + 1:] for p in parts) or sum(p.shape[k] for p in parts) != shape[k]:
            # (np.stack: pieces of another rank, reshaped by split_like)
            return None
        if not isinstance(g, gast.Name):   # np.split: g computed once
            ends = list(np.cumsum([p.shape[k] for p in parts])[:-1].tolist())
            split = self.np_call("split", [g, gast.Constant(value=tuple(ends), kind=None)])
            if k:
                split.keywords = [gast.keyword(arg="axis", value=gast.Constant(value=k,
                                                                               kind=None))]
            return split
        slice_name = self.bind("slice", slice)
        items, start = [], 0
        for p in parts:
            stop = start + p.shape[k]
            bounds = [gast.Constant(value=start, kind=None) if start else None,
                      None if stop == shape[k] else gast.Constant(value=stop, kind=None)]
            whole = [gast.Call(func=gast.Name(id=slice_name, ctx=gast.Load(), annotation=None,
                                              type_comment=None),
                               args=[gast.Constant(value=None, kind=None)] * 3, keywords=[])
                     for _ in range(k)]
            index = whole + [gast.Slice(lower=bounds[0], upper=bounds[1], step=None)]
            index = gast.Tuple(elts=index, ctx=gast.Load()) if k else index[0]
            seed = gast.Name(id=g.id, ctx=gast.Load(), annotation=None, type_comment=None)
            items.append(gast.Subscript(value=seed, slice=index, ctx=gast.Load()))
            start = stop
        if listed is not None:   # (split_like gives a list of a list's pieces)
            return gast.List(elts=items, ctx=gast.Load())
        return gast.Tuple(elts=items, ctx=gast.Load())

    def known_array(self, node):
        """The name ``x`` when node is ``x`` or ``np.asarray(x)`` (how rules write an
        argument that may be a list) and x's stand-in is an ndarray, else None."""
        if isinstance(node, gast.Call) and len(node.args) == 1 and not node.keywords \
                and isinstance(node.func, gast.Attribute) and node.func.attr == "asarray" \
                and isinstance(node.func.value, gast.Name) \
                and node.func.value.id == self.np_name:
            node = node.args[0]
        if isinstance(node, gast.Name) and isinstance(self.stand_ins.get(node.id), np.ndarray):
            return node.id
        return None

    def reduction(self, g, key):
        """``unbroadcast(g, x)`` as the sum it is, when both shapes are known:
        ``g.sum(axis=1, keepdims=True)`` for a (10, 32) adjoint of a (10, 1) bias."""
        if key is None or key[0] != "shape":
            return None
        have = static_shape(g, self)
        if have is None or have[0] != "shape" or have == key:
            return None
        shape, target = have[1], key[1]
        lead = len(shape) - len(target)
        if lead < 0:
            return None
        ones = tuple(lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)
        if any(n != 1 and shape[lead + i] != n for i, n in enumerate(target)):
            return None
        def method(axes, keepdims):
            keywords = [gast.keyword(arg="axis", value=gast.Constant(value=axes, kind=None))]
            if keepdims:
                keywords.append(gast.keyword(arg="keepdims",
                                             value=gast.Constant(value=True, kind=None)))
            return gast.Call(func=gast.Attribute(value=g, attr="sum", ctx=gast.Load()),
                             args=[], keywords=keywords)
        if lead == 0:
            return method(ones, True)
        if not ones:
            return method(tuple(range(lead)), False)
        return self.np_call("reshape", [method(tuple(range(lead)) + ones, False),
                                        gast.Constant(value=target, kind=None)])

    def key(self, atom):
        if isinstance(atom, gast.Constant) and isinstance(atom.value, (int, float)) \
                and not isinstance(atom.value, bool):
            return SCALAR
        if isinstance(atom, gast.Name):
            key = self.classes.get(atom.id)
            return SCALAR if key is not None and key[0] == "scalar" else key
        return None

    def rank(self, atom):
        key = self.key(atom)
        if key is not None and key[0] == "shape" and len(key[1]) in (1, 2):
            return len(key[1])
        return None

    def difference_of_padded(self, padded, n):
        """``np.diff(zero_padded(g, ((1, 1),)), 1)`` (np.diff's adjoint) of a 1-D array
        ``g`` of a known length: ``difference_of_padded(g)``, the same values of the
        same dtype without the padded copy (np.diff alone costs about 3 us a call)."""
        if not (isinstance(n, gast.Constant) and type(n.value) is int and n.value == 1
                and _calls(padded, zero_padded, self) and len(padded.args) == 2
                and not padded.keywords and isinstance(padded.args[1], gast.Constant)
                and padded.args[1].value == ((1, 1),)):
            return None
        g = padded.args[0]
        have = static_shape(g, self)
        if have is None or have[0] != "shape" or len(have[1]) != 1 or have[1][0] < 1:
            return None
        name = self.bind("difference_of_padded", difference_of_padded)
        return gast.Call(func=gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                        type_comment=None), args=[g], keywords=[])

    def solved_vector(self, a, b):
        """``np.linalg.solve(a, b)`` for ``solve_vector(a, b)`` (np.linalg.solve's adjoint
        and tangent for a vector b) where ``a`` is one square matrix (``m`` or ``m.T`` of a
        name) and ``b`` a vector of as many elements: NumPy solves a 1-D b as one vector
        already, without solve_vector's new axis and its ``[..., 0]``; else None."""
        matrix = a.value if isinstance(a, gast.Attribute) and a.attr == "T" else a
        key = self.key(matrix)
        if key is None or key[0] != "shape" or len(key[1]) != 2 or key[1][0] != key[1][1] \
                or static_shape(b, self) != ("shape", key[1][:1]):
            return None
        func = gast.Attribute(value=gast.Attribute(value=gast.Name(
            id=self.np_name, ctx=gast.Load(), annotation=None, type_comment=None),
            attr="linalg", ctx=gast.Load()), attr="solve", ctx=gast.Load())
        return gast.Call(func=func, args=[a, b], keywords=[])

    def np_call(self, name, args):
        func = gast.Attribute(value=gast.Name(id=self.np_name, ctx=gast.Load(), annotation=None,
                                              type_comment=None), attr=name, ctx=gast.Load())
        return gast.Call(func=func, args=args, keywords=[])

    def product(self, left, g, a, b, ra, rb):
        """The adjoint of a (left) or b in ``z = a @ b`` for operands of ranks ra, rb."""
        def T(m):
            return gast.Attribute(value=m, attr="T", ctx=gast.Load())

        def matmul(x, y):
            return gast.BinOp(left=x, op=gast.MatMult(), right=y)

        def mul(x, y):
            return gast.BinOp(left=x, op=gast.Mult(), right=y)

        def outer(u, v):   # of two vectors: optimize.batch_outer_products may batch it
            call = self.np_call("outer", [u, v])
            call.vectors = True
            return call

        if left:
            return {(2, 2): lambda: matmul(g, T(b)), (1, 1): lambda: mul(g, b),
                    (2, 1): lambda: outer(g, b),
                    (1, 2): lambda: matmul(b, g)}[(ra, rb)]()
        return {(2, 2): lambda: matmul(T(a), g), (1, 1): lambda: mul(g, a),
                (2, 1): lambda: matmul(g, a),
                (1, 2): lambda: outer(a, g)}[(ra, rb)]()


def _smaller(a, b) -> bool:
    """Whether a value of static shape ``a`` has fewer elements than one of shape ``b``
    that it broadcasts to (a number: always)."""
    if a == SCALAR:
        return True
    if a is None or b is None or a[0] != "shape" or b[0] != "shape":
        return False
    try:
        return np.broadcast_shapes(a[1], b[1]) == b[1] and np.prod(a[1]) < np.prod(b[1])
    except ValueError:
        return False


def _power_of_two(node) -> bool:
    """A constant 2.0, 0.5, 4, ...: multiplying by it is exact."""
    if not isinstance(node, gast.Constant) or isinstance(node.value, bool) \
            or not isinstance(node.value, (int, float)) or node.value <= 0:
        return False
    return math.frexp(node.value)[0] == 0.5


def _same(a, b) -> bool:
    return same_tree(a, b)


_MAYBE = "scalar zero or"


def static_shape(expr, rewriter):
    """The concrete class of a derivative expression, ``(_MAYBE, class)`` for one that
    is either that or the scalar zero (an adjoint not written yet), or None."""
    if isinstance(expr, gast.Constant):
        return rewriter.key(expr)
    if isinstance(expr, gast.Name):
        adjoint = rewriter.adjoint_shape(expr.id)
        if adjoint is not None:
            return adjoint
        key = rewriter.key(expr)
        return key if key is not None and key[0] in ("shape", "scalar") else None
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd)):
        return static_shape(expr.operand, rewriter)
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, _ELEMENTWISE_BINOPS):
        return broadcast_static(static_shape(expr.left, rewriter),
                                 static_shape(expr.right, rewriter))
    if isinstance(expr, gast.Compare) and len(expr.ops) == 1 and isinstance(
            expr.ops[0], (gast.Eq, gast.NotEq, gast.Lt, gast.LtE, gast.Gt, gast.GtE)):
        # (`np.where(z == 0, 1.0, x)` in a rule: elementwise on arrays, a bool on numbers)
        return broadcast_static(static_shape(expr.left, rewriter),
                                 static_shape(expr.comparators[0], rewriter))
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.MatMult):
        left, right = static_shape(expr.left, rewriter), static_shape(expr.right, rewriter)
        if left is None or right is None or left[0] != "shape" or right[0] != "shape":
            return None
        shape = _product_shape(np.matmul, left[1], right[1])
        return None if shape is None else _concrete(shape)
    if isinstance(expr, gast.Attribute) and expr.attr == "T":
        have = static_shape(expr.value, rewriter)
        return ("shape", have[1][::-1]) if have is not None and have[0] == "shape" else None
    if isinstance(expr, gast.Call):
        return _static_shape_of_call(expr, rewriter)
    if isinstance(expr, gast.Subscript):   # g[1:-1], g[:, None] of an array of a known shape
        have = static_shape(expr.value, rewriter)
        index = _constant_index(expr.slice, new_axes=True)
        if have is None or have[0] != "shape" or index is None:
            return None
        try:
            part = _dummy(have)[index]
        except IndexError:
            return None
        return _concrete(part.shape) if isinstance(part, np.ndarray) and part.ndim else None
    return None


def _constant_index(node, new_axes=False):
    """The basic index ``node`` spells with constants (ints and slices; with
    ``new_axes``, also ``None`` in a tuple of them, ``np.newaxis``), or None."""
    if isinstance(node, gast.Tuple):
        parts = [_NONE if new_axes and isinstance(elt, gast.Constant) and elt.value is None
                 else _constant_index(elt) for elt in node.elts]
        return None if any(p is None for p in parts) else \
            tuple(None if p is _NONE else p for p in parts)
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, gast.Slice):
        bounds = []
        for bound in (node.lower, node.upper, node.step):
            if isinstance(bound, gast.UnaryOp) and isinstance(bound.op, gast.USub) \
                    and isinstance(bound.operand, gast.Constant):
                bound = gast.Constant(value=-bound.operand.value, kind=None)
            if bound is not None and not (isinstance(bound, gast.Constant)
                                          and type(bound.value) is int):
                return None
            bounds.append(None if bound is None else bound.value)
        return slice(*bounds)
    return None


def _static_shape_of_call(call, rewriter):
    """Static shapes of the calls derivative code is made of: elementwise ufuncs, a
    full ``np.sum``, ``g.sum(axis=..., keepdims=...)`` (the shape rewriter's sums) and
    ``broadcast_like(g, y)``."""
    func, args = call.func, call.args
    if isinstance(func, gast.Attribute) and func.attr == "sum" and not args:
        keywords = {k.arg: k.value for k in call.keywords}
        axis, keepdims = keywords.get("axis"), keywords.get("keepdims")
        have = static_shape(func.value, rewriter)
        if set(keywords) - {"axis", "keepdims"} or have is None or have[0] != "shape" \
                or not isinstance(axis, gast.Constant) or not isinstance(axis.value, tuple) \
                or (keepdims is not None and not isinstance(keepdims, gast.Constant)):
            return None
        shape, axes = have[1], {a % len(have[1]) for a in axis.value}
        if keepdims is not None and keepdims.value:
            return _concrete(tuple(1 if i in axes else n for i, n in enumerate(shape)))
        return _concrete(tuple(n for i, n in enumerate(shape) if i not in axes))
    target = None
    if isinstance(func, gast.Name):
        target = rewriter.functions.get(func.id)
    elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
            and func.value.id == rewriter.np_name:
        target = getattr(np, func.attr, None)
    if target in (np.zeros, np.full) and args and isinstance(args[0], gast.Constant) \
            and isinstance(args[0].value, tuple):
        return _concrete(args[0].value)
    if target is tie_weights and args:   # weights over a's elements
        have = static_shape(args[0], rewriter)
        return have if have is not None and have[0] in ("shape", "scalar") else None
    if target is np.roll and len(args) == 2 and all(k.arg == "axis" for k in call.keywords):
        # (np.roll's adjoint) an array of its array's shape, along any axis
        have = static_shape(args[0], rewriter)
        return have if have is not None and have[0] == "shape" else None
    if target in (np.tril, np.triu, np.fliplr, np.flipud, np.flip) and args:
        # (their own adjoints) an array of its array's shape, whatever k or the axis
        have = static_shape(args[0], rewriter)
        return have if have is not None and have[0] == "shape" else None
    if target is logistic_times and len(args) == 2 \
            and static_shape(args[1], rewriter) == SCALAR:
        have = static_shape(args[0], rewriter)   # (a number times logistic(t)): t's shape
        return have if have is not None and have[0] in ("shape", "scalar") else None
    if target is difference_of_padded and len(args) == 1:
        have = static_shape(args[0], rewriter)
        if have is not None and have[0] == "shape" and len(have[1]) == 1:
            return _concrete((have[1][0] + 1,))
    if target is zero_padded and len(args) == 2 and isinstance(args[1], gast.Constant):
        have = static_shape(args[0], rewriter)
        if have is None or have[0] != "shape" or len(args[1].value) != len(have[1]):
            return None
        return _concrete(tuple(n + before + after
                               for n, (before, after) in zip(have[1], args[1].value)))
    if target is np.diff and 1 <= len(args) <= 2 \
            and all(isinstance(a, gast.Constant) for a in args[1:]) \
            and all(k.arg == "axis" and isinstance(k.value, gast.Constant)
                    and type(k.value.value) is int for k in call.keywords):
        have = static_shape(args[0], rewriter)
        if have is not None and have[0] == "shape":
            n = args[1].value if len(args) == 2 else 1
            axis = call.keywords[0].value.value if call.keywords else -1
            result = _checked(np.diff, [_dummy(have), n], {"axis": axis})
            if isinstance(result, np.ndarray):
                return _concrete(result.shape)
    if target is np.diff and args and all(k.arg == "axis" for k in call.keywords):
        # (np.diff's adjoint) the difference of an adjoint padded to a's length: a's shape
        padded = args[0]
        width = padded.args[1] if _calls(padded, zero_padded, rewriter) \
            and len(padded.args) == 2 else None
        if _calls(width, diff_pad_width, rewriter) and len(width.args) == 4:
            key = rewriter.key(width.args[3])
            return key if key is not None and key[0] == "shape" else None
    if call.keywords:
        return None
    if target is np.sum and len(args) == 1:
        return SCALAR if static_shape(args[0], rewriter) is not None else None
    if target in (np.expand_dims, np.reshape) and len(args) == 2 \
            and isinstance(args[1], gast.Constant):
        have = static_shape(args[0], rewriter)
        if have is None or have[0] not in ("shape", "scalar"):
            return None
        result = _checked(target, [_dummy(have), args[1].value], {})
        return _concrete(result.shape) if isinstance(result, np.ndarray) else None
    if target in (broadcast_like, unbroadcast) and len(args) == 2:
        # unbroadcast(g, x) has x's shape, whatever g is
        key = rewriter.key(args[1])
        return key if key is not None and key[0] in ("shape", "scalar") else None
    if target is add_at_item and len(args) == 3:
        # (the adjoint of x[index]) zeros of x's shape with g added at index
        key = rewriter.key(args[1])
        return key if key is not None and key[0] == "shape" else None
    if target is share and len(args) == 4:   # (np.maximum's shares) x's and y's shape
        return broadcast_static(static_shape(args[0], rewriter), static_shape(args[1], rewriter))
    if target in (quotient, power) and len(args) == 2:
        # a / b and a ** b with NumPy's value where Python raises: broadcast as a ufunc
        return broadcast_static(static_shape(args[0], rewriter), static_shape(args[1], rewriter))
    if (_elementwise_ufunc(target) or target is np.where and len(args) == 3) and args:
        shape = static_shape(args[0], rewriter)
        for arg in args[1:]:
            shape = broadcast_static(shape, static_shape(arg, rewriter))
        return shape
    return None


# helpers of rules whose value depends only on their arguments' shapes and constants
_SHAPE_ONLY = {diff_pad_width, full_padding, norm_axis}


def _int_tuples(value):
    """``value`` as nested tuples of ints (and None), or None if it is anything else."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, (tuple, list)):
        parts = tuple(_int_tuples(v) if v is not None else _NONE for v in value)
        if any(p is None for p in parts):
            return None
        return tuple(None if p is _NONE else p for p in parts)
    if isinstance(value, np.integer):
        return int(value)
    return None


_NONE = object()


def _calls(node, function, rewriter) -> bool:
    """Whether ``node`` is a call of the helper ``function`` by its name."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
        and rewriter.functions.get(node.func.id) is function


def maybe_zero(key):
    """The static shape of an adjoint of a value of class ``key`` that may still be the
    scalar zero."""
    return (_MAYBE, key) if key is not None and key[0] in ("shape", "scalar") else None


def broadcast_static(a, b):
    if a is None or b is None:
        return None
    maybe = [k[1] if k[0] == _MAYBE else None for k in (a, b)]
    a, b = (k[1] if k[0] == _MAYBE else k for k in (a, b))
    shape = _combine(a, b, None)
    if shape is None:
        return None
    if maybe[0] is not None and maybe[1] is not None:
        return (_MAYBE, shape)
    definite = b if maybe[0] is not None else a
    if maybe[0] is not None or maybe[1] is not None:
        # the scalar zero times the other operand has the other operand's shape: the
        # result's, or a scalar (then the result is still "the scalar zero or shape")
        if shape == definite:
            return shape
        return (_MAYBE, shape) if definite == SCALAR else None
    return shape


# -- concrete values (dtypes) --------------------------------------------------------------

_PENDING, _UNKNOWN = object(), object()


def leaves(value) -> list:
    """The arrays and numbers of a stand-in (of a list or tuple argument: its items')."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def stand_ins(fn, params: dict) -> dict:
    """Map local names of ``fn`` to a stand-in of their value's type: a zero-strided array
    of ones of the right shape and dtype, or a Python or NumPy scalar of the right type,
    when every assignment gives the same (module docstring; the first parameter's
    stand-ins come from the specialized signature). Only dtypes are read from it."""
    values = dict(params)
    defs = {}
    for target, value, stmt in body_assignments(fn):
        defs.setdefault(target, []).append((value, stmt))
    counters = _range_indices(fn.body, set(defs) | set(fn.params))
    values.update((name, 1) for name in counters)
    lists = _lists_read_once(fn, defs)
    unknown = {p for p in fn.params if p not in params}
    memo = {}   # the loop below goes over every assignment again until nothing changes
    # id(statement) -> (what the names it reads held, its stand-in then): a statement is
    # evaluated again only when one of the names it reads changed
    last = {}

    def stand_in(value, stmt):
        seen = last.get(id(stmt))
        if seen is None:
            reads = tuple(name_ids(value)) + (
                (written(stmt),) if written(stmt) is not None else ())
            listed = _listed(value, lists)
            if listed is not None:   # np.array(t) reads the names listed in t
                reads += tuple(name_ids(listed))
        else:
            reads = seen[0]
        now = [_UNKNOWN if n in unknown else values.get(n, _PENDING) for n in reads]
        if seen is not None and _same_objects(now, seen[1]):
            return seen[2]
        found = _stand_in(value, stmt, values, unknown, counters, memo, lists)
        last[id(stmt)] = (reads, now, found)
        return found

    with _Quiet():   # (once for all the calls on stand-ins below: see _checked)
        for final in (False, True):
            changed = True
            while changed:
                changed = pending = False
                for name, items in defs.items():
                    if name in unknown:
                        continue
                    found = [params[name]] if name in params else []
                    found += [stand_in(value, stmt) for value, stmt in items]
                    pending = pending or _has(found, _PENDING)
                    if _has(found, _UNKNOWN) or (final and _has(found, _PENDING)):
                        unknown.add(name)
                        values.pop(name, None)
                        changed = True
                        continue
                    found = [f for f in found if f is not _PENDING]
                    if not found:
                        continue
                    if any(_kind(f) != _kind(found[0]) for f in found):
                        unknown.add(name)
                        values.pop(name, None)
                        changed = True
                    elif name not in values:
                        values[name] = found[0]
                        changed = True
            if not pending:   # (then the final round would go over the same, changing
                break         # nothing)
    return values


@functools.lru_cache(maxsize=512)
def _ones(dtype, shape):
    """A read-only array of ones of ``shape`` and ``dtype`` with no memory of its own
    (``np.broadcast_to`` of one 1), made once for each: stand-ins are only read, and
    which one of equal ones a name holds does not matter (their kind does)."""
    return np.broadcast_to(np.ones((), dtype=dtype), shape)


def _same_objects(a: list, b: list) -> bool:
    """Whether two lists of the same length hold the same objects, in order."""
    for x, y in zip(a, b):
        if x is not y:
            return False
    return True


def _has(items, marker) -> bool:
    return any(item is marker for item in items)


def _kind(value):
    if isinstance(value, np.ndarray):
        return (np.ndarray, value.shape, value.dtype)
    if isinstance(value, tuple):
        return (tuple,) + tuple(_kind(v) for v in value)
    return type(value)


def _lists_read_once(fn, defs) -> dict:
    """The names assigned once, a list display (``t = [a, b, c]``), and read once: the
    list np.array, np.concatenate or np.stack makes an array of (a simulation step's
    derivative, ``np.array([v, -k * x])``; an LSTM's ``np.concatenate([x, h])``).
    Name -> the display."""
    lists = {name: items[0][0] for name, items in defs.items()
             if len(items) == 1 and items[0][0].__class__ is gast.List and items[0][0].elts}
    if not lists:
        return lists
    counts = {}
    for node in walk(fn.body):
        if node.__class__ is gast.Name and node.id in lists:
            counts[node.id] = counts.get(node.id, 0) + 1
    return {name: value for name, value in lists.items() if counts.get(name) == 2}


_OF_A_LIST = (np.array, np.concatenate, np.stack)


def _listed(value, lists):
    """The list display that ``np.array(t)`` (np.concatenate, np.stack; or of ``[a, b]``
    itself) makes an array of, with ``t`` one of ``lists`` (_lists_read_once); else
    None."""
    if value.__class__ is not gast.Call or getattr(value, "callee", None) not in _OF_A_LIST \
            or len(value.args) != 1:
        return None
    arg = value.args[0]
    if arg.__class__ is gast.Name:
        return lists.get(arg.id)
    return arg if arg.__class__ is gast.List and arg.elts else None


def _stand_in(value, stmt, values, unknown, counters, memo, lists=None):
    array = written(stmt)
    if array is not None and array not in unknown:
        # x[i] = v writes into an array: it keeps its shape and dtype (v is cast)
        found = values.get(array, _PENDING)
        return found if found is _PENDING or isinstance(found, np.ndarray) else _UNKNOWN
    if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
        return _UNKNOWN
    try:
        if isinstance(value, gast.Subscript):
            base = _operand(value.value, values, unknown)
            if base is _PENDING:
                return _PENDING
            if isinstance(base, tuple) and isinstance(value.slice, gast.Constant) \
                    and type(value.slice.value) is int and all(type(v) is int for v in base):
                return base[value.slice.value] if -len(base) <= value.slice.value < len(
                    base) else _UNKNOWN   # np.shape(x)[0]
            if isinstance(base, tuple) and isinstance(value.slice, gast.Constant) \
                    and type(value.slice.value) is int and -len(base) <= value.slice.value \
                    < len(base) and isinstance(base[value.slice.value], np.ndarray):
                return base[value.slice.value]   # W1 = params[0] of a tuple of arrays
            if not isinstance(base, np.ndarray):
                return _UNKNOWN
            index = value.slice
            parts = index.elts if isinstance(index, gast.Tuple) else [index]
            # ints by their stand-ins (a size, np.shape(x)[0] or 2 * H, is its value; an
            # int argument's stand-in is 1: only the dtype is read where the shape class
            # does not agree), loop counters as any index
            ints = {name: _number(v) for name, v in values.items() if type(v) is int}
            ints.update((c, INDEX) for c in counters)
            picked = tuple(_index_part(p, ints) if _array_index(p, values, unknown) is None
                           else _array_index(p, values, unknown) for p in parts)
            return _checked(lambda x: x[picked if isinstance(index, gast.Tuple) else picked[0]],
                            [base], {})
        if isinstance(value, (gast.Name, gast.Constant)):
            return _operand(value, values, unknown)
        if isinstance(value, gast.Compare) and len(value.ops) == 1 \
                and type(value.ops[0]) in _COMPARISONS:
            left = _operand(value.left, values, unknown)
            right = _operand(value.comparators[0], values, unknown)
            if _has((left, right), _PENDING):
                return _PENDING
            if not any(isinstance(v, np.ndarray) for v in (left, right)):
                return _UNKNOWN   # numbers: a bool, which no stand-in stands for
            return _checked_once(memo, _COMPARISONS[type(value.ops[0])], [left, right], {})
        if isinstance(value, (gast.Tuple, gast.List)) and value.elts:
            # the parts of np.concatenate (of a list display: a list, the padding [0.0])
            parts = tuple(_operand(e, values, unknown) for e in value.elts)
            if _has(parts, _PENDING):
                return _PENDING
            return list(parts) if isinstance(value, gast.List) else parts
        if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
            operand = _operand(value.operand, values, unknown)
            if operand is _PENDING:
                return _PENDING
            # (-L of a list raises in the function: its type is unknown here)
            return _checked(operator.neg, [operand], {})
        if isinstance(value, gast.BinOp) and isinstance(value.op, _ELEMENTWISE_BINOPS +
                                                        (gast.MatMult,)):
            from .normalize import BINOPS
            left = _operand(value.left, values, unknown)
            right = _operand(value.right, values, unknown)
            if _has((left, right), _PENDING):
                return _PENDING
            return _checked_once(memo, BINOPS[type(value.op)], [left, right], {})
        if isinstance(value, gast.Call):
            callee = getattr(value, "callee", None)
            if callee is in_place and len(value.args) == 2:
                args = [_operand(a, values, unknown) for a in value.args]
                return _PENDING if _has(args, _PENDING) else _checked(in_place, args, {})
            listed = _listed(value, lists or {})
            if listed is not None:
                # np.array([a, b]) (np.concatenate, np.stack) of arrays and float numbers
                # (Python or NumPy floats): an array of the shape and dtype NumPy makes
                # of their stand-ins
                items = [_operand(e, values, unknown) for e in listed.elts]
                if _has(items, _PENDING):
                    return _PENDING
                if not all(isinstance(v, (float, np.floating, np.ndarray)) for v in items):
                    return _UNKNOWN
                named = {k.arg: _operand(k.value, values, unknown, False)
                         for k in value.keywords}
                if _has(named.values(), _PENDING):
                    return _PENDING
                return _checked(callee, [items], named)
            if callee is np.shape and len(value.args) == 1 and not value.keywords:
                array = _operand(value.args[0], values, unknown)
                if array is _PENDING:
                    return _PENDING
                return tuple(array.shape) if isinstance(array, np.ndarray) else _UNKNOWN
            if callee is np.arange and len(value.args) == 1 and not value.keywords:
                # np.arange(n) of an int n: integers (n's stand-in may not be its value:
                # the dtype is read, and the shape where the shape class agrees)
                size = _operand(value.args[0], values, unknown)
                if size is _PENDING:
                    return _PENDING
                if type(size) is not int or size < 0:
                    return _UNKNOWN
                return np.arange(size)
            if callee in (np.zeros, np.ones, np.empty) and len(value.args) == 1 \
                    and not value.keywords:
                # float64 arrays: the sizes' stand-ins may not be their values (only
                # the dtype is read, and the shape where the shape class agrees)
                size = value.args[0]
                if isinstance(size, gast.Constant) and isinstance(size.value, tuple):
                    size = size.value   # np.zeros((101, 2)): the shape is a constant
                else:
                    size = _operand(size, values, unknown)
                if size is _PENDING:
                    return _PENDING
                sizes = size if isinstance(size, tuple) else (size,)
                if not all(type(n) is int and n >= 0 for n in sizes):
                    return _UNKNOWN
                return _ones(np.dtype(np.float64), sizes)
            if isinstance(callee, np.ufunc) or callee in _SHAPE_FROM_SHAPES \
                    or callee in _UNARY_HELPERS:
                scalar_ok = _elementwise_ufunc(callee) or callee in _SCALAR_VALUES_IRRELEVANT
                args = [_operand(a, values, unknown, scalar_ok or (i == 0 and callee in _JOINS))
                        for i, a in enumerate(value.args)]
                named = {k.arg: _operand(k.value, values, unknown, scalar_ok)
                         for k in value.keywords}
                if _has(args, _PENDING) or _has(named.values(), _PENDING):
                    return _PENDING
                return _checked_once(memo, callee, args, named)
            if getattr(callee, "__module__", None) == "math" and not value.keywords:
                # math.sin(x): a Python float (an int for math.floor, ...) whatever x is
                args = [_operand(a, values, unknown) for a in value.args]
                if _has(args, _PENDING):
                    return _PENDING
                return _checked_once(memo, callee, args, {})
            if isinstance(callee, types.FunctionType) and not value.keywords:
                args = [_operand(a, values, unknown) for a in value.args]
                if _has(args, _PENDING):
                    return _PENDING
                if all(isinstance(a, (np.ndarray, np.generic, float, int))
                       and not isinstance(a, bool) for a in args):
                    found = _helper_result(callee, tuple(args), "stand_in")
                    return _UNKNOWN if found is None else found
    except LookupError:
        return _UNKNOWN
    return _UNKNOWN


def _operand(atom, values, unknown, scalar_ok=True):
    if isinstance(atom, gast.Constant):
        if isinstance(atom.value, (int, float)) and not isinstance(atom.value, bool):
            return atom.value
        if atom.value is None or isinstance(atom.value, (str, bool)):
            return atom.value
        raise LookupError(atom)
    if isinstance(atom, gast.Name):
        if atom.id in unknown:
            raise LookupError(atom.id)
        if atom.id not in values:
            return _PENDING
        value = values[atom.id]
        if not scalar_ok and not isinstance(value, np.ndarray) and not (
                isinstance(value, tuple) and value
                and all(isinstance(v, np.ndarray) for v in value)):
            raise LookupError(atom.id)   # its value may decide the result (an axis)
        return value
    if isinstance(atom, gast.Attribute) and atom.__dict__.get("module_number"):
        return 1.0   # np.pi, math.inf: a float (only its type is read)
    raise LookupError(atom)


class _Quiet:
    """NumPy's floating-point errors and Python's warnings silenced, for the calls on
    stand-ins (_quietly): their values do not matter, only their types and shapes.
    Entering the two contexts costs about 10 us, more than most such calls, so
    stand_ins enters them once for all of its calls; inside, _quietly calls directly.
    Reentrant (a helper's stand-ins computed inside another's), per thread."""

    _depth = threading.local()

    def __enter__(self):
        depth = getattr(self._depth, "n", 0)
        self._depth.n = depth + 1
        if depth == 0:
            self._contexts = (warnings.catch_warnings(), np.errstate(all="ignore"))
            for context in self._contexts:
                context.__enter__()
            warnings.simplefilter("ignore")
        return self

    def __exit__(self, *exc):
        self._depth.n -= 1
        if self._depth.n == 0:
            for context in reversed(self._contexts):
                context.__exit__(*exc)
        return False

    @classmethod
    def on(cls) -> bool:
        return getattr(cls._depth, "n", 0) > 0


def _quietly(callee, args, named):
    """``callee(*args, **named)`` inside a _Quiet context (the one already entered, if
    any)."""
    if _Quiet.on():
        return callee(*args, **named)
    with _Quiet():
        return callee(*args, **named)


def _checked_once(memo: dict, callee, args, named):
    """``_checked``, evaluated once for each callee and kinds of arguments (stand-ins
    of one shape and dtype are the same ones; numbers count by type and value)."""
    try:
        key = (callee, tuple(_memo_key(a) for a in args),
               tuple(sorted((k, _memo_key(v)) for k, v in named.items())))
        found = memo.get(key, _PENDING)
    except TypeError:   # an unhashable argument
        return _checked(callee, args, named)
    if found is _PENDING:
        found = memo[key] = _checked(callee, args, named)
    return found


def _memo_key(value):
    if isinstance(value, np.ndarray):
        return np.ndarray, value.shape, value.dtype
    return type(value), value


def _checked(callee, args, named):
    """``callee(*args, **named)`` on stand-ins, quietly: a stand-in of the result (an
    array result's shape and dtype, a number), or _UNKNOWN when it fails or is neither."""
    cheap = _cheaply(callee, args, named)
    if cheap is not None:
        return cheap
    try:
        result = _quietly(callee, args, named)
    except Exception:   # noqa: BLE001 - any failure: the type stays unknown
        return _UNKNOWN
    if isinstance(result, np.ndarray):
        return _ones(result.dtype, result.shape)
    if isinstance(result, (float, int, np.generic)) and not isinstance(result, bool):
        return result
    return _UNKNOWN


_COMPARISONS = {gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt,
                gast.GtE: operator.ge, gast.Eq: operator.eq, gast.NotEq: operator.ne}
_ELEMENTWISE_OPERATORS = {operator.add, operator.sub, operator.mul, operator.truediv,
                          operator.pow} | set(_COMPARISONS.values())


def _cheaply(callee, args, named):
    """What _checked gives, without computing on arrays of the real size, for the calls
    whose result shape follows from the argument shapes alone: elementwise operations
    (broadcasting) and matrix products (a product of two 1500 x 1500 stand-ins costs a
    billion multiplications). The dtype comes from the same call on arrays of one
    element each. None for other calls."""
    if named or not args or not any(isinstance(a, np.ndarray) for a in args) or not all(
            isinstance(a, (np.ndarray, float, int, np.generic)) and not isinstance(a, bool)
            for a in args):
        return None
    shapes = [np.shape(a) for a in args]
    try:
        if callee in _ELEMENTWISE_OPERATORS or _elementwise_ufunc(callee):
            shape = np.broadcast_shapes(*shapes)
        elif callee in (np.matmul, operator.matmul, np.dot) and len(args) == 2:
            shape = _product_shape(callee, *shapes)
        elif callee is np.linalg.solve and len(args) == 2:
            shape = _solve_shape(*shapes)
        else:
            return None
    except ValueError:
        return _UNKNOWN
    if shape is None:
        return _UNKNOWN
    small = [_ones(a.dtype, (1,) * a.ndim) if isinstance(a, np.ndarray) else a
             for a in args]
    try:
        result = _quietly(callee, small, {})
    except Exception:   # noqa: BLE001 - the dtypes do not combine: unknown
        return _UNKNOWN
    if isinstance(result, np.ndarray):
        return _ones(result.dtype, shape)
    if isinstance(result, np.generic) and shape == ():
        return result
    return _UNKNOWN


def _solve_shape(a, b):
    """The shape of ``np.linalg.solve(a, b)`` for a square matrix ``a`` and ``b`` a
    vector or a matrix of as many rows (the stand-ins, ones, are singular, so the call
    itself cannot tell); None for other shapes (stacks of matrices)."""
    if len(a) == 2 and a[0] == a[1] and len(b) in (1, 2) and b[0] == a[0]:
        return b
    return None


def _product_shape(callee, a, b):
    """The shape of ``a @ b`` (or ``np.dot(a, b)``) for operands of shapes a and b;
    None when they do not fit."""
    if callee is np.dot and (a == () or b == ()):
        return np.broadcast_shapes(a, b)
    if a == () or b == ():
        return None
    contracted = b[0] if len(b) == 1 else b[-2]
    if a[-1] != contracted:
        return None
    if callee is np.dot:   # sums over a's last axis and b's second-to-last
        return a[:-1] + b[:-2] + b[-1:] if len(b) > 1 else a[:-1]
    left = a if len(a) > 1 else (1,) + a
    right = b if len(b) > 1 else b + (1,)
    try:
        batch = np.broadcast_shapes(left[:-2], right[:-2])
    except ValueError:
        return None
    shape = batch + (left[-2], right[-1])
    if len(a) == 1:
        shape = shape[:-2] + shape[-1:]
    if len(b) == 1:
        shape = shape[:-1]
    return shape
