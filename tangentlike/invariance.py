"""invariance: shifts whose adjoint is provably zero (the max subtracted before a softmax).

Consumes a :class:`~tangentlike.normalize.Normalized` function. Produces the names
``m`` whose derivative the reverse pass may leave out, because it is exactly zero.

The statement looked for is a *shift*: a reduction along an axis, subtracted::

    m = np.max(z, axis=a, keepdims=True)     # or np.min, np.amax, np.amin, np.mean
    z1 = z - m                               # (or without keepdims: z - m[:, None])

``m`` is constant along axis ``a`` of ``z``. Say the function's output is G(m) (z and
the other values held fixed). When every path from ``m`` to anything the function uses
ends in a value that does not change if ``m`` changes by any ``c`` constant along axis
``a`` (G(m + c) = G(m)), then the adjoint ``m`` receives is exactly zero (the
derivative of G(m + c) with respect to c is that adjoint, summed), and it, and with it
the adjoint of the reduction (``tie_weights`` of a maximum), can be left out: the
result is the same in exact arithmetic, and computed, it is rounding noise times the
tie weights. (JAX's logsumexp stops the gradient of its maximum for the same reason;
here it is proved for each function.)

The proof follows the values computed from ``m`` through the straight-line statements
of the function body after it, each with a class saying how it changes under the shift:

- ``("add", k)``: by ``k * c`` (``m`` itself is ``("add", 1)``, ``z - m`` is
  ``("add", -1)``);
- ``("mul", k)``: by the factor ``exp(k * c)`` (``np.exp(z - m)`` is ``mul -1``);
- k = 0 of either: *invariant*;

and a *layout*: the value has z's dimensions, ``c`` constant along ``a`` (*kept*), or
axis ``a`` is gone and ``c`` is one number per remaining position (*dropped*: a
reduction along ``a`` without keepdims, ``v[:, 0]``, ``np.squeeze(v, a)``;
``v[:, None]`` and ``np.expand_dims(v, a)`` put it back).

Rules: ``exp`` of ``add k`` is ``mul k``, ``log`` of ``mul k`` is ``add k``; sums and
differences of ``add`` values of one layout add their k, products and quotients of
``mul`` values do; ``add`` times or over a number constant scales k, ``mul`` to a
number's power multiplies it; ``add`` plus or minus, and ``mul`` times or over, a value
that does not depend on ``m`` (a number, or of at most the layout's dimensions, so the
axes keep their place) keeps its k; a sum, maximum, minimum or mean along ``a`` of a
kept value keeps its class (``c`` is constant along ``a``; the sum of ``add`` values is
left out: it multiplies ``c`` by the length), kept with keepdims, else dropped. An
invariant value may be used in any way at all (whatever is computed from invariant
values and values independent of ``m`` is invariant). Any other use of a value that is
not invariant (returned, an element written, read in a loop or a branch, passed to
another function, reduced along another axis) and the shift is not proved: nothing
changes. So softmax ``e / np.sum(e, axis=a, keepdims=True)`` of ``e = np.exp(z - m)``
(``mul -1`` over ``mul -1``), log-softmax ``z1 - np.log(np.sum(np.exp(z1), ...))``
(``add -1`` minus ``add -1``) and a log-sum-exp ``m + np.log(np.sum(np.exp(z - m),
...))`` (``add 1`` plus ``add -1``) are invariant.

Axes are compared as written, or, when the number of dimensions of ``z`` is known (a
version specialized to shapes), with negative axes counted from the end.
"""
from __future__ import annotations

import numbers

import gast
import numpy as np

from .naming import walk

# reductions that may be the shift, and that keep a value's class along their axis
_SHIFTS = (np.max, np.min, np.amax, np.amin, np.mean)
_KEEPS_ADD = (np.max, np.min, np.amax, np.amin, np.mean)
_KEEPS_MUL = (np.max, np.min, np.amax, np.amin, np.mean, np.sum)
# layouts of a value that changes with the shift: it has z's dimensions, c constant along
# the axis (KEPT), or that axis is gone (DROPPED: c is one number per row)
KEPT, DROPPED = "kept", "dropped"
_INVARIANT = ("add", 0, None)


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
        shift = _shift(stmt, defs, ndim)
        if shift is None:
            continue
        m, rest = stmt.targets[0].id, fn.body[index + 1:]
        # (every read of m follows it: each one is followed)
        reads = sum(1 for s in rest for n in _names(s) if n.id == m)
        if reads == loads.get(m) and _proved(rest, m, *shift, stores, ndim):
            found.add(m)
    return found


def _may_shift(body) -> bool:
    """Whether some ``z1 = z - t`` reads a reduction along an axis, or a subscript of
    one, as t (a quick look before the counts of single_definitions)."""
    reduced = set()
    for stmt in body:
        if stmt.__class__ is not gast.Assign or stmt.targets[0].__class__ is not gast.Name:
            continue
        value = stmt.value
        if value.__class__ is gast.Call and (len(value.args) == 2 or any(
                k.arg in ("axis", "keepdims") for k in value.keywords)):
            reduced.add(stmt.targets[0].id)
        elif value.__class__ in (gast.Subscript, gast.Call) and any(
                n.__class__ is gast.Name and n.id in reduced for n in walk(value)):
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


def _axis(node, ndim_z):
    """The int ``node`` stands for as an axis, a negative one counted from the front
    when ``ndim_z`` is known (else as written), or None."""
    if node is None or node.__class__ is not gast.Constant or node.value.__class__ is not int:
        return None
    axis = node.value
    if axis < 0 and ndim_z is not None:
        axis += ndim_z
        if axis < 0:
            return None
    return axis


def _reduction(value, ndim_z):
    """(callee, operand name, axis, keepdims) of ``np.max(x, axis=a, keepdims=True)`` and
    the like (the axis an int, maybe positional; keepdims by keyword; nothing else), or
    None. A negative axis is counted from the end when ``ndim_z`` is known."""
    callee = getattr(value, "callee", None)
    if value.__class__ is not gast.Call or not 1 <= len(value.args) <= 2 \
            or value.args[0].__class__ is not gast.Name \
            or not any(callee is f for f in _KEEPS_MUL) \
            or any(k.arg not in ("axis", "keepdims") for k in value.keywords):
        return None
    keep = _keyword(value, "keepdims")
    if keep is not None and (keep.__class__ is not gast.Constant
                             or keep.value not in (True, False)):
        return None
    axis = _axis(value.args[1] if len(value.args) == 2 else _keyword(value, "axis"), ndim_z)
    if axis is None:
        return None
    return callee, value.args[0].id, axis, keep is not None and keep.value is True


def _shift(stmt, defs, ndim):
    """(axis, number of dimensions of z or None, m's layout, z) of ``m = np.max(z,
    axis=a)`` and the like (the shifts' reductions, keepdims or not), or None."""
    if stmt.__class__ is not gast.Assign or stmt.targets[0].__class__ is not gast.Name \
            or defs.get(stmt.targets[0].id) is not stmt:
        return None
    reduction = _reduction(stmt.value, None)
    if reduction is None or not any(reduction[0] is f for f in _SHIFTS):
        return None
    ndim_z = ndim(reduction[1])
    reduction = _reduction(stmt.value, ndim_z)
    return reduction[2], ndim_z, KEPT if reduction[3] else DROPPED, reduction[1]


def _number(node):
    if node.__class__ is gast.Constant and isinstance(node.value, numbers.Real) \
            and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _proved(rest: list, m: str, axis: int, ndim_z, layout, z: str, stores: dict,
            ndim) -> bool:
    """Whether every use of ``m`` in the statements after it ends in invariant values
    (module docstring)."""
    classes = {m: ("add", 1.0, layout)}
    # the values of z's dimensions: z itself, unless assigned again
    shaped_as_z = {z} if stores.get(z, 0) <= 1 else set()
    for stmt in rest:
        target = _target(stmt, stores)
        kind = _class_of(stmt.value, classes, axis, ndim_z, ndim, shaped_as_z) \
            if target else None
        if kind is not None:
            if kind[1] != 0:
                classes[target] = kind
            # (an invariant value is used like any value independent of m)
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


def _class_of(value, classes, axis, ndim_z, ndim, shaped_as_z):
    """The class of ``value`` (module docstring) when it reads a value that changes with
    the shift and the rules give one; ``_INVARIANT`` when it reads none; else None."""
    cls = value.__class__
    if cls is gast.Name:
        return classes.get(value.id, _INVARIANT)
    if cls is gast.BinOp:
        return _binop(value, classes, ndim_z, ndim, shaped_as_z)
    if cls is gast.UnaryOp:
        kind = _operand(value.operand, classes)
        if kind is None or value.op.__class__ is not gast.USub:
            return kind if kind is not None and kind[1] == 0 else None
        return ("add", -kind[1], kind[2]) if kind[0] == "add" else kind
    if cls is gast.Call:
        return _call(value, classes, axis, ndim_z)
    if cls is gast.Subscript:
        return _subscript(value, classes, axis)
    # constants, tuples, comparisons...: only of values independent of it
    return None


def _operand(node, classes):
    """The class of an atom: a name's, invariant for a constant or a global."""
    if node.__class__ is gast.Name:
        return classes.get(node.id, _INVARIANT)
    return _INVARIANT


def _binop(value, classes, ndim_z, ndim, shaped_as_z):
    left, right = _operand(value.left, classes), _operand(value.right, classes)
    op = value.op.__class__
    if left[1] == 0 and right[1] == 0:
        return _INVARIANT if op is not gast.MatMult else None
    if left[1] != 0 and right[1] != 0 and left[2] != right[2]:
        return None   # (one has the axis, the other not: they need not line up)
    if op in (gast.Add, gast.Sub):
        sign = 1.0 if op is gast.Add else -1.0
        if left[1] != 0 and right[1] != 0:
            if left[0] == right[0] == "add":
                return ("add", left[1] + sign * right[1], left[2])
            if left[0] == right[0] == "mul" and left[1] == right[1] and sign > 0:
                return left   # f e^kc + g e^kc
            return None
        # a shifted value plus a value independent of the shift
        shifted, other = (left, value.right) if left[1] != 0 else (right, value.left)
        if shifted[0] != "add" or not _fits(other, shifted[2], ndim_z, ndim, shaped_as_z):
            return None
        return shifted if shifted is left else ("add", sign * shifted[1], shifted[2])
    if op in (gast.Mult, gast.Div):
        if left[1] != 0 and right[1] != 0:
            if left[0] == right[0] == "mul":
                return ("mul", left[1] + right[1] if op is gast.Mult else left[1] - right[1],
                        left[2])
            return None
        shifted, other = (left, value.right) if left[1] != 0 else (right, value.left)
        number = _number(other)
        if shifted[0] == "add":
            if number is None or number == 0.0 or (op is gast.Div and shifted is right):
                return None
            return ("add", shifted[1] * number if op is gast.Mult else shifted[1] / number,
                    shifted[2])
        if not _fits(other, shifted[2], ndim_z, ndim, shaped_as_z):
            return None
        if op is gast.Div and shifted is right:
            return ("mul", -shifted[1], shifted[2])   # a factor independent of m over e^kc
        return shifted
    if op is gast.Pow and left[0] == "mul" and right[1] == 0:
        number = _number(value.right)
        return ("mul", left[1] * number, left[2]) if number is not None else None
    return None


def _fits(node, layout, ndim_z, ndim, shaped_as_z) -> bool:
    """Whether a value independent of the shift broadcasts with one of ``layout``
    without adding dimensions (so the axes of the values keep their place)."""
    if _number(node) is not None:
        return True
    if node.__class__ is gast.Name and node.id in shaped_as_z and layout == KEPT:
        return True   # (z - m, of any number of dimensions)
    if node.__class__ is not gast.Name or ndim_z is None:
        return False
    have = ndim(node.id)
    return have is not None and have <= (ndim_z if layout == KEPT else ndim_z - 1)


def _call(value, classes, axis, ndim_z):
    kinds = [_operand(a, classes) for a in value.args] \
        + [_operand(k.value, classes) for k in value.keywords]
    if all(k[1] == 0 for k in kinds):
        return _INVARIANT
    if any(k[1] != 0 for k in kinds[1:]):
        return None
    kind, callee = kinds[0], getattr(value, "callee", None)
    reduction = _reduction(value, ndim_z)
    if reduction is not None:   # along the shift's axis of a value that has it
        keeps = _KEEPS_ADD if kind[0] == "add" else _KEEPS_MUL
        if reduction[2] != axis or kind[2] != KEPT \
                or not any(reduction[0] is f for f in keeps):
            return None
        return kind if reduction[3] else (kind[0], kind[1], DROPPED)
    if callee is np.squeeze or callee is np.expand_dims:
        # the axis taken out, or put back
        given = value.args[1] if len(value.args) == 2 else _keyword(value, "axis")
        if len(value.args) + len(value.keywords) != 2 or _axis(given, ndim_z) != axis:
            return None
        if callee is np.squeeze:
            return (kind[0], kind[1], DROPPED) if kind[2] == KEPT else None
        return (kind[0], kind[1], KEPT) if kind[2] == DROPPED else None
    if value.keywords or len(value.args) != 1:
        return None
    if callee is np.exp and kind[0] == "add":
        return ("mul", kind[1], kind[2])
    if callee is np.log and kind[0] == "mul":
        return ("add", kind[1], kind[2])
    if callee is np.negative:
        return ("add", -kind[1], kind[2]) if kind[0] == "add" else kind
    if callee is np.sqrt and kind[0] == "mul":
        return ("mul", kind[1] / 2, kind[2])
    if callee is np.square and kind[0] == "mul":
        return ("mul", kind[1] * 2, kind[2])
    return None


def _subscript(value, classes, axis):
    """``v[:, 0]`` of a value with the axis (an int at the axis, whole slices before
    it): the axis is gone; ``v[:, None]`` of one without: it is back."""
    kind = _operand(value.value, classes)
    if kind[1] == 0:
        return _INVARIANT if _names(value.slice) == [] or all(
            classes.get(n.id, _INVARIANT)[1] == 0 for n in _names(value.slice)) else None
    index = value.slice.elts if value.slice.__class__ is gast.Tuple else [value.slice]
    if axis < 0 or len(index) <= axis or value.value.__class__ is not gast.Name or not all(
            _whole(i) for i in index[:axis] + index[axis + 1:]):
        return None
    at = index[axis]
    if at.__class__ is not gast.Constant:
        return None
    if at.value is None:
        return (kind[0], kind[1], KEPT) if kind[2] == DROPPED else None
    if at.value.__class__ is int and kind[2] == KEPT:
        return (kind[0], kind[1], DROPPED)
    return None


def _whole(node) -> bool:
    """Whether a subscript's part is ``:``."""
    return node.__class__ is gast.Slice and node.lower is None and node.upper is None \
        and node.step is None
