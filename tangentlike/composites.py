"""composites: closed-form adjoints of the log of a softmax and of a sigmoid, and of the
square of a norm.

Consumes a :class:`~tangentlike.normalize.Normalized` function. Produces, for the
statements ``L = np.log(p)`` whose ``p`` is a softmax or a sigmoid computed in the
function, the adjoint the reverse pass writes instead of the log's rule: a contribution
straight to the softmax's or sigmoid's input ``x``, in fewer array passes than the
rules of the log, the quotient and the exponential chained (``bL / p``, then the
quotient's two adjoints, then ``* e``).

Recognized (each name assigned once, at the top level of a function that writes into no
element of an array, so each holds the value its definition gives when the log reads
it)::

    e = np.exp(x); s = np.sum(e, axis=a, keepdims=True); p = e / s      # softmax
    e = np.exp(x); f = np.exp(x); s = np.sum(f, axis=a, keepdims=True); p = e / s
    t = -x; u = np.exp(t); v = 1 + u; p = 1 / v                          # sigmoid
    u = np.exp(x); v = 1 + u; p = u / v                                  # sigmoid
    p = sigmoid(x)   # a leaf helper of one parameter computing one of those two
    L = np.log(p)            ->  bx += bL - p * np.sum(bL, axis=a, keepdims=True)
    t = p[i]; L = np.log(t)  ->  g = add_at_item(bL, p, i)    (softmax: bL put at p[i])
                                 bx += g - p * np.sum(g, axis=a, keepdims=True)
    L = np.log(p)            ->  bx += bL * (1 - p)     (sigmoid: written u * p, 1 / v)
    q = 1 - p; L = np.log(q) ->  bx += -(bL * p)        (sigmoid)

The square of a 2-norm (or Frobenius norm) has one too::

    t = np.linalg.norm(x); y = t ** 2   ->  bx += 2.0 * by * x     (also np.square(t))

the chained rules' ``2 * by * t * x / t`` without the norm (nan where the norm
overflows to inf or is nan, where the closed form is the square's derivative).

(``1`` is any spelling of one: ``1``, ``1.0``; ``v = u + 1`` too.) These are the
derivatives of the log of the composite with respect to ``x``: for a softmax
d log p_i / d x_j = [i = j] - p_j along the axis (for elements picked by an index, the
adjoints of the picks, put in place by the subscript's own adjoint, take bL's place),
for a sigmoid d log p / dx = 1 - p and d log (1 - p) / dx = -p. For a sigmoid,
``1 - p`` is written ``u * p`` (with ``u = exp(-x)``) or ``1 / v`` (with
``u = exp(x)``): the same value, without the cancellation of ``1 - p`` where p rounds
to 1; computed by a helper, whose ``u`` the caller does not have, it is ``1 - p``.

The contribution is exact whatever else reads ``p``, ``e`` or ``s``: it goes around
them, so their adjoints receive only their other uses' contributions, through their
own rules (when the log is their only reader, those adjoints are never written and the
reverse pass leaves their statements' adjoints out: zero propagation). The forward
code is untouched: the function computes its value as written.

Where the chained rules divide by ``p`` that is 0 (a softmax or sigmoid that
underflows, with a nonzero adjoint of its log) they give inf or nan; the closed form
is finite there (docs/conventions.md).
"""
from __future__ import annotations

import numbers
import types

import gast
import numpy as np

from .invariance import single_definitions
from .naming import walk
from .shapeclass import _helper


class Fused:
    """A closed-form adjoint: ``kind`` (``"log_softmax"``, ``"log_softmax_item"``,
    ``"log_sigmoid"``, ``"log_one_minus_sigmoid"`` or ``"norm_squared"``), the input
    ``x``, the composite's value ``p`` (the norm, for ``norm_squared``), and ``extra``: a
    softmax's axis (with the index, for elements of it), or what gives a sigmoid's
    ``1 - p`` (``("u", u)``: ``u * p``; ``("v", v)``: ``1 / v``; ``("helper", None)``:
    ``1 - p``)."""

    __slots__ = ("extra", "kind", "p", "x")

    def __init__(self, kind, x, p, extra):
        self.kind, self.x, self.p, self.extra = kind, x, p, extra


def fused_adjoints(fn) -> dict:
    """id(statement) -> :class:`Fused`, for each ``L = np.log(...)`` of a recognized
    composite (module docstring)."""
    defs = None
    found = {}
    for stmt in fn.body:
        value = getattr(stmt, "value", None)
        squared = _squared_name(value) if stmt.__class__ is gast.Assign else None
        if stmt.__class__ is not gast.Assign or not (_log_of_name(value) or squared) \
                or getattr(stmt, "no_grad", False):
            continue
        if defs is None:
            if _element_writes(fn):
                return {}   # (an array changed in place would not hold its definition)
            defs, stores, _ = single_definitions(fn)
        if squared is not None:
            x = _call_of(squared, defs, np.linalg.norm)
            if x is not None and stmt.targets[0].__class__ is gast.Name \
                    and (x in defs or x in fn.params and not stores.get(x)):
                found[id(stmt)] = Fused("norm_squared", x, squared, None)
            continue
        if stmt.targets[0].__class__ is not gast.Name or stmt.targets[0].id not in defs:
            continue
        arg = value.args[0].id
        softmax = _softmax(arg, defs)
        if softmax is not None:
            found[id(stmt)] = Fused("log_softmax", softmax[0], arg, softmax[1])
            continue
        item = _item(arg, defs, stores)
        if item is not None:
            softmax = _softmax(item.value.id, defs)
            if softmax is not None:   # log(p[i]): the log of elements of a softmax
                found[id(stmt)] = Fused("log_softmax_item", softmax[0], item.value.id,
                                        (softmax[1], item.slice))
                continue
        sigmoid = _sigmoid(arg, defs)
        if sigmoid is not None:
            found[id(stmt)] = Fused("log_sigmoid", sigmoid[0], arg, sigmoid[1])
            continue
        q = defs.get(arg)
        if q is not None and q.value.__class__ is gast.BinOp \
                and q.value.op.__class__ is gast.Sub and _one(q.value.left) \
                and q.value.right.__class__ is gast.Name:
            p = q.value.right.id
            sigmoid = _sigmoid(p, defs)
            if sigmoid is not None:
                found[id(stmt)] = Fused("log_one_minus_sigmoid", sigmoid[0], p, sigmoid[1])
    return found


def _squared_name(value):
    """The name ``t`` of ``t ** 2`` (``t ** 2.0``, ``np.square(t)``), or None."""
    if value.__class__ is gast.BinOp and value.op.__class__ is gast.Pow \
            and value.left.__class__ is gast.Name and value.right.__class__ is gast.Constant \
            and not isinstance(value.right.value, bool) and value.right.value == 2:
        return value.left.id
    if value.__class__ is gast.Call and getattr(value, "callee", None) is np.square \
            and len(value.args) == 1 and not value.keywords \
            and value.args[0].__class__ is gast.Name:
        return value.args[0].id
    return None


def _element_writes(fn) -> bool:
    """Whether the function writes into an element or slice of an array, or augments one."""
    return any(node.__class__ is gast.AugAssign
               or node.__class__ in (gast.Subscript, gast.Attribute)
               and node.ctx.__class__ is gast.Store for node in fn.nodes())


def _item(name, defs, stores):
    """The subscript of ``name = p[index]``, with p a name and every name in the index
    assigned at most once (so it indexes the same elements when the adjoint runs), or
    None."""
    stmt = defs.get(name)
    if stmt is None or stmt.value.__class__ is not gast.Subscript \
            or stmt.value.value.__class__ is not gast.Name:
        return None
    if any(n.__class__ is gast.Name and stores.get(n.id, 0) > 1 for n in walk(stmt.value.slice)):
        return None
    return stmt.value


def _log_of_name(value) -> bool:
    return value.__class__ is gast.Call and getattr(value, "callee", None) is np.log \
        and len(value.args) == 1 and not value.keywords \
        and value.args[0].__class__ is gast.Name


def _one(node) -> bool:
    return node.__class__ is gast.Constant and isinstance(node.value, numbers.Real) \
        and not isinstance(node.value, bool) and node.value == 1


def _call_of(name, defs, callee):
    """The single argument name of ``name = callee(arg)``, or None."""
    stmt = defs.get(name)
    if stmt is None:
        return None
    value = stmt.value
    if value.__class__ is gast.Call and getattr(value, "callee", None) is callee \
            and len(value.args) == 1 and not value.keywords \
            and value.args[0].__class__ is gast.Name:
        return value.args[0].id
    return None


def _binop(name, defs, op):
    """(left, right) of ``name = left <op> right``, or None."""
    stmt = defs.get(name)
    if stmt is None or stmt.value.__class__ is not gast.BinOp \
            or stmt.value.op.__class__ is not op:
        return None
    return stmt.value.left, stmt.value.right


def _softmax(p, defs):
    """(x, axis) when ``p = e / s``, ``s = np.sum(e, axis=a, keepdims=True)`` and
    ``e = np.exp(x)`` (or ``s`` the sum of another ``np.exp(x)``: x is assigned once, so
    the two hold the same values); else None."""
    parts = _binop(p, defs, gast.Div)
    if parts is None or parts[0].__class__ is not gast.Name \
            or parts[1].__class__ is not gast.Name:
        return None
    e, s = parts[0].id, parts[1].id
    x = _call_of(e, defs, np.exp)
    if x is None or s not in defs:
        return None
    total = defs[s].value
    if total.__class__ is not gast.Call or getattr(total, "callee", None) is not np.sum \
            or len(total.args) != 1 or total.args[0].__class__ is not gast.Name \
            or total.args[0].id != e and _call_of(total.args[0].id, defs, np.exp) != x:
        return None   # (np.exp(x) / np.sum(np.exp(x), ...): the same exponentials twice)
    keywords = {k.arg: k.value for k in total.keywords}
    keep, axis = keywords.pop("keepdims", None), keywords.pop("axis", None)
    if keywords or keep is None or keep.__class__ is not gast.Constant \
            or keep.value is not True or axis is None or axis.__class__ is not gast.Constant \
            or axis.value.__class__ is not int:
        return None
    return x, axis.value


def _one_plus(v, defs):
    """u of ``v = 1 + u`` or ``v = u + 1``, or None."""
    parts = _binop(v, defs, gast.Add)
    if parts is None:
        return None
    left, right = parts
    if _one(left) and right.__class__ is gast.Name:
        return right.id
    if _one(right) and left.__class__ is gast.Name:
        return left.id
    return None


def _sigmoid(p, defs):
    """(x, ("u", u) or ("v", v) or ("helper", None)) when ``p`` is a sigmoid of ``x``
    (module docstring); else None."""
    helper = _helper_sigmoid(p, defs)
    if helper is not None:
        return helper, ("helper", None)
    parts = _binop(p, defs, gast.Div)
    if parts is None or parts[1].__class__ is not gast.Name:
        return None
    v = parts[1].id
    u = _one_plus(v, defs)
    if u is None:
        return None
    if _one(parts[0]):   # 1 / (1 + exp(-x))
        t = _call_of(u, defs, np.exp)
        if t is None:
            return None
        negated = defs.get(t)
        if negated is not None and negated.value.__class__ is gast.UnaryOp \
                and negated.value.op.__class__ is gast.USub \
                and negated.value.operand.__class__ is gast.Name:
            return negated.value.operand.id, ("u", u)
        x = _call_of(t, defs, np.negative)
        return (x, ("u", u)) if x is not None else None
    if parts[0].__class__ is gast.Name:   # exp(x) / (1 + exp(x))
        x = _call_of(u, defs, np.exp)
        if x is not None and x == _call_of(parts[0].id, defs, np.exp):
            return x, ("v", v)
    return None


def _helper_sigmoid(p, defs):
    """x of ``p = sigmoid(x)``, a call of a leaf helper of the user's (shapeclass) of
    one parameter whose body computes a sigmoid of it and returns it; else None."""
    stmt = defs.get(p)
    value = stmt.value if stmt is not None else None
    if value.__class__ is not gast.Call or len(value.args) != 1 or value.keywords \
            or value.args[0].__class__ is not gast.Name \
            or not isinstance(getattr(value, "callee", None), types.FunctionType):
        return None
    fn = _helper(value.callee)
    if fn is None or len(fn.params) != 1 or _element_writes(fn):
        return None
    inner = single_definitions(fn)[0]
    returned = fn.body[-1].value.id
    found = _sigmoid(returned, inner) if returned in inner else None
    return value.args[0].id if found is not None and found[0] == fn.params[0] else None
