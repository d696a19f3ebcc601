"""invariance: shifts whose adjoint is provably zero (the max subtracted before a softmax).

Consumes a :class:`~tangentlike.normalize.Normalized` function. Produces the names
``m`` whose derivative the reverse pass may leave out, because it is exactly zero.

The statement looked for is a *shift* along an axis::

    m = np.max(z, axis=a, keepdims=True)     # or np.min, np.amax, np.amin, np.mean
    z1 = z - m

``m`` is constant along axis ``a`` of ``z``. Say the function computes G(z1) from
``z1`` (other values held fixed). When every path from ``z1`` to anything the function
uses ends in a value that does not change if ``z1`` changes by any ``c`` constant along
axis ``a`` (G(z1 + c) = G(z1)), then the sum over axis ``a`` of G's adjoint of ``z1``
is exactly zero (the derivative of G(z1 + c) with respect to c), and that sum is all
the adjoint ``m`` receives: ``bm = -bz1.sum(axis=a, keepdims=True)``. If ``m`` is read
nowhere else, its adjoint, and with it the adjoint of the reduction (``tie_weights``
of a maximum), can be left out: the result is the same in exact arithmetic, and
computed, it is rounding noise times the tie weights. (JAX's logsumexp stops the
gradient of its maximum for the same reason; here it is proved for each function.)

The proof follows the values computed from ``z1`` through the straight-line statements
of the function body, each with a class saying how it changes under the shift:

- ``("add", k)``: by ``k * c`` (``z1`` itself is ``("add", 1)``);
- ``("mul", k)``: by the factor ``exp(k * c)`` (``np.exp(z1)``);
- k = 0 of either: *invariant*.

Rules: ``exp`` of ``add k`` is ``mul k``, ``log`` of ``mul k`` is ``add k``; sums and
differences of ``add`` values add their k, products and quotients of ``mul`` values do;
``add`` times or over a number constant scales k, ``mul`` to a number's power
multiplies it; ``mul`` times or over a value that does not depend on ``z1`` (of at most
``z``'s dimensions, so the axes keep their place) keeps its k; a sum, maximum, minimum
or mean along ``a`` with ``keepdims=True`` keeps the class (``c`` is constant along
``a``; the sum of ``add`` values is left out: it multiplies ``c`` by the length). An
invariant value may be used in any way at all (whatever is computed from invariant
values and values independent of ``z1`` is invariant). Any other use of a value that is
not invariant (returned, an element written, read in a loop or a branch, passed to
another function, reduced along another axis) and the shift is not proved: nothing
changes. So softmax ``e / np.sum(e, axis=a, keepdims=True)`` of ``e = np.exp(z1)``
(``mul 1`` over ``mul 1``) and log-softmax ``z1 - np.log(np.sum(np.exp(z1), ...))``
(``add 1`` minus ``add 1``) are invariant, and a log-sum-exp ``m + np.log(...)`` that
reads ``m`` again is not left out.

Axes are compared as written, or, when the number of dimensions of ``z`` is known (a
version specialized to shapes), with negative axes counted from the end.
"""
from __future__ import annotations

import numbers

import gast
import numpy as np

from .naming import walk

# reductions that keep a value's class along their axis (with keepdims=True)
_SHIFTS = (np.max, np.min, np.amax, np.amin, np.mean)
_KEEPS_ADD = (np.max, np.min, np.amax, np.amin, np.mean)
_KEEPS_MUL = (np.max, np.min, np.amax, np.amin, np.mean, np.sum)
_INVARIANT = ("add", 0)


def zero_adjoint_shifts(fn, ndim=None) -> set:
    """The names ``m`` of shifts ``z1 = z - m`` whose adjoint is exactly zero (module
    docstring). ``ndim(name)``: the number of dimensions of a value when known, else
    None."""
    ndim = ndim or (lambda name: None)
    if not _may_shift(fn.body):
        return set()
    defs, stores, loads = single_definitions(fn)
    found = set()
    for index, stmt in enumerate(fn.body):
        shift = _shift(stmt, defs, loads, ndim)
        if shift is not None and _proved(fn.body[index + 1:], stmt.targets[0].id, *shift,
                                          stores, ndim):
            found.add(stmt.value.right.id)
    return found


def _may_shift(body) -> bool:
    """Whether some ``z1 = z - m`` follows an assignment of a keepdims reduction to m
    (a quick look before the counts of single_definitions)."""
    reduced = set()
    for stmt in body:
        if stmt.__class__ is not gast.Assign or stmt.targets[0].__class__ is not gast.Name:
            continue
        value = stmt.value
        if value.__class__ is gast.Call and any(k.arg == "keepdims" for k in value.keywords):
            reduced.add(stmt.targets[0].id)
        elif value.__class__ is gast.BinOp and value.op.__class__ is gast.Sub \
                and value.right.__class__ is gast.Name and value.right.id in reduced:
            return True
    return False


def single_definitions(fn) -> tuple:
    """(name -> its statement, for names assigned once, at the top level, by ``name =
    value``; name -> number of assignments; name -> number of reads)."""
    counted = fn.facts.get("name_counts")   # (the same in the copies versions derive)
    if counted is None:
        stores, loads = {}, {}
        for node in fn.nodes():
            if node.__class__ is gast.Name:
                counts = loads if node.ctx.__class__ is gast.Load else stores
                counts[node.id] = counts.get(node.id, 0) + 1
        counted = fn.facts["name_counts"] = (stores, loads)
    stores, loads = counted
    defs = {}
    for stmt in fn.body:
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name \
                and stores.get(stmt.targets[0].id) == 1 and not getattr(stmt, "no_grad", False):
            defs[stmt.targets[0].id] = stmt
    return defs, stores, loads


def _keyword(call, name):
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def _reduction(value, ndim_z):
    """(callee, operand name, axis) of ``np.max(x, axis=a, keepdims=True)`` and the like
    (the axis an int, maybe positional; keepdims by keyword; nothing else), or None.
    A negative axis is counted from the end when ``ndim_z`` is known."""
    callee = getattr(value, "callee", None)
    if value.__class__ is not gast.Call or not 1 <= len(value.args) <= 2 \
            or value.args[0].__class__ is not gast.Name \
            or not any(callee is f for f in _KEEPS_MUL) \
            or any(k.arg not in ("axis", "keepdims") for k in value.keywords):
        return None
    keep = _keyword(value, "keepdims")
    if keep is None or keep.__class__ is not gast.Constant or keep.value is not True:
        return None
    axis = value.args[1] if len(value.args) == 2 else _keyword(value, "axis")
    if axis is None or axis.__class__ is not gast.Constant or axis.value.__class__ is not int:
        return None
    axis = axis.value
    if axis < 0 and ndim_z is not None:
        axis += ndim_z
        if axis < 0:
            return None
    return callee, value.args[0].id, axis


def _shift(stmt, defs, loads, ndim):
    """(axis, number of dimensions of z or None) of ``z1 = z - m`` with ``m`` a keepdims
    reduction of ``z`` read only here, or None."""
    if stmt.__class__ is not gast.Assign or getattr(stmt, "no_grad", False):
        return None
    value = stmt.value
    if value.__class__ is not gast.BinOp or value.op.__class__ is not gast.Sub \
            or value.left.__class__ is not gast.Name or value.right.__class__ is not gast.Name \
            or stmt.targets[0].__class__ is not gast.Name:
        return None
    z, m = value.left.id, value.right.id
    if m not in defs or loads.get(m) != 1 or stmt.targets[0].id not in defs:
        return None
    ndim_z = ndim(z)
    reduction = _reduction(defs[m].value, ndim_z)
    if reduction is None or reduction[1] != z or not any(reduction[0] is f for f in _SHIFTS):
        return None
    return reduction[2], ndim_z


def _number(node):
    if node.__class__ is gast.Constant and isinstance(node.value, numbers.Real) \
            and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _proved(rest: list, z1: str, axis: int, ndim_z, stores: dict, ndim) -> bool:
    """Whether every use of ``z1`` in the statements after it ends in invariant values
    (module docstring)."""
    classes = {z1: ("add", 1.0)}
    for stmt in rest:
        target = _target(stmt, stores)
        kind = _class_of(stmt.value, classes, axis, ndim_z, ndim) if target else None
        if kind is not None:
            if kind[1] != 0:
                classes[target] = kind
            # (an invariant value is used like any value independent of z1)
            continue
        # anything else reads no value that changes with the shift
        for node in _names(stmt):
            if classes.get(node.id, _INVARIANT)[1] != 0:
                return False
    return True


def _target(stmt, stores):
    if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
            and stmt.targets[0].__class__ is gast.Name and stores.get(stmt.targets[0].id) == 1 \
            and not getattr(stmt, "no_grad", False):
        return stmt.targets[0].id
    return None


def _names(stmt):
    return [n for n in walk(stmt) if n.__class__ is gast.Name and n.ctx.__class__ is gast.Load]


def _class_of(value, classes, axis, ndim_z, ndim):
    """The class of ``value`` (module docstring) when it reads a value that changes with
    the shift and the rules give one; ``_INVARIANT`` when it reads none; else None."""
    cls = value.__class__
    if cls is gast.Name:
        return classes.get(value.id, _INVARIANT)
    if cls is gast.BinOp:
        return _binop(value, classes, ndim_z, ndim)
    if cls is gast.UnaryOp:
        kind = _operand(value.operand, classes)
        if kind is None or value.op.__class__ is not gast.USub:
            return kind if kind is not None and kind[1] == 0 else None
        return ("add", -kind[1]) if kind[0] == "add" else kind
    if cls is gast.Call:
        return _call(value, classes, axis, ndim_z)
    # constants, subscripts, tuples, comparisons...: only of values independent of it
    return None


def _operand(node, classes):
    """The class of an atom: a name's, invariant for a constant or a global."""
    if node.__class__ is gast.Name:
        return classes.get(node.id, _INVARIANT)
    return _INVARIANT


def _binop(value, classes, ndim_z, ndim):
    left, right = _operand(value.left, classes), _operand(value.right, classes)
    op = value.op.__class__
    if left[1] == 0 and right[1] == 0:
        return _INVARIANT if op is not gast.MatMult else None
    if op in (gast.Add, gast.Sub):
        sign = 1.0 if op is gast.Add else -1.0
        if left[1] != 0 and right[1] != 0:
            if left[0] == right[0] == "add":
                return ("add", left[1] + sign * right[1])
            if left[0] == right[0] == "mul" and left[1] == right[1] and sign > 0:
                return left   # f e^kc + g e^kc
            return None
        # a shifted value plus a number
        if left[0] == "add" and _number(value.right) is not None:
            return left
        if right[0] == "add" and _number(value.left) is not None:
            return ("add", sign * right[1])
        return None
    if op in (gast.Mult, gast.Div):
        if left[1] != 0 and right[1] != 0:
            if left[0] == right[0] == "mul":
                return ("mul", left[1] + right[1] if op is gast.Mult else left[1] - right[1])
            return None
        shifted, other = (left, value.right) if left[1] != 0 else (right, value.left)
        number = _number(other)
        if shifted[0] == "add":
            if number is None or number == 0.0 or (op is gast.Div and shifted is right):
                return None
            return ("add", shifted[1] * number if op is gast.Mult else shifted[1] / number)
        if op is gast.Div and shifted is right:
            # a factor independent of z1 over e^kc
            return ("mul", -shifted[1]) if _fits(other, ndim_z, ndim) else None
        return shifted if _fits(other, ndim_z, ndim) else None
    if op is gast.Pow and left[0] == "mul" and right[1] == 0:
        number = _number(value.right)
        return ("mul", left[1] * number) if number is not None else None
    return None


def _fits(node, ndim_z, ndim) -> bool:
    """Whether a factor independent of z1 broadcasts without adding dimensions (so the
    axes of the values keep their place)."""
    if _number(node) is not None:
        return True
    if node.__class__ is not gast.Name or ndim_z is None:
        return False
    have = ndim(node.id)
    return have is not None and have <= ndim_z


def _call(value, classes, axis, ndim_z):
    kinds = [_operand(a, classes) for a in value.args] \
        + [_operand(k.value, classes) for k in value.keywords]
    if all(k[1] == 0 for k in kinds):
        return _INVARIANT
    if any(k[1] != 0 for k in kinds[1:]):
        return None
    kind, callee = kinds[0], getattr(value, "callee", None)
    reduction = _reduction(value, ndim_z)
    if reduction is not None:   # along the shift's axis, keepdims
        keeps = _KEEPS_ADD if kind[0] == "add" else _KEEPS_MUL
        return kind if reduction[2] == axis and any(reduction[0] is f for f in keeps) \
            else None
    if value.keywords or len(value.args) != 1:
        return None
    if callee is np.exp and kind[0] == "add":
        return ("mul", kind[1])
    if callee is np.log and kind[0] == "mul":
        return ("add", kind[1])
    if callee is np.negative:
        return ("add", -kind[1]) if kind[0] == "add" else kind
    if callee is np.sqrt and kind[0] == "mul":
        return ("mul", kind[1] / 2)
    if callee is np.square and kind[0] == "mul":
        return ("mul", kind[1] * 2)
    return None
