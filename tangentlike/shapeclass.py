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
- anything else, or assignments that disagree: the variable's own class.
"""
from __future__ import annotations

import math

import gast
import numpy as np

from .analyze import assignments

SCALAR = ("scalar",)
_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.var, np.std}
_ELEMENTWISE_BINOPS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)


def shape_classes(fn) -> dict:
    """Map each local name of ``fn`` to its shape class (module docstring)."""
    classes = {p: ("param", p) for p in fn.params}
    defs = {}
    for target, value, stmt in assignments(fn.body):
        defs.setdefault(target, []).append((value, stmt))
    own = {name: ("var", name) for name in defs}
    changed = True
    while changed:
        changed = False
        for name, values in defs.items():
            keys = set()
            if name in fn.params:
                keys.add(("param", name))
            for value, stmt in values:
                keys.add(_class_of(value, stmt, classes, own[name]))
            keys.discard(None)
            if not keys:
                continue
            new = keys.pop() if len(keys) == 1 else own[name]
            if classes.get(name) != new:
                classes[name] = new
                changed = True
    return classes


def _atom(atom, classes):
    if isinstance(atom, gast.Constant):
        value = atom.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return SCALAR
        return None
    if isinstance(atom, gast.Name):
        return classes.get(atom.id)   # None: not known yet
    return None


def _class_of(value, stmt, classes, own):
    if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
        return own   # element writes, appends
    if isinstance(value, (gast.Name, gast.Constant)):
        key = _atom(value, classes)
        return key if key is not None or isinstance(value, gast.Name) else own
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
        return _atom(value.operand, classes)
    if isinstance(value, gast.BinOp) and isinstance(value.op, _ELEMENTWISE_BINOPS):
        return _combine(_atom(value.left, classes), _atom(value.right, classes), own)
    if isinstance(value, gast.Call):
        callee = getattr(value, "callee", None)
        if getattr(callee, "__module__", None) == "math" and callee is not math.pow:
            return SCALAR
        if callee in _REDUCTIONS and len(value.args) == 1 and not value.keywords:
            return SCALAR
        if isinstance(callee, np.ufunc) and not value.keywords:
            if callee.nin == 1 and len(value.args) == 1:
                return _atom(value.args[0], classes)
            if callee.nin == 2 and len(value.args) == 2:
                return _combine(_atom(value.args[0], classes), _atom(value.args[1], classes),
                                own)
    return own


def _combine(a, b, own):
    if a is None or b is None:   # an operand not classified yet: decide later
        return None
    if a == b:
        return a
    if a == SCALAR:
        return b
    if b == SCALAR:
        return a
    return own
