"""optimize: make generated derivative code as lean as a hand-written one.

Consumes the ``gast.FunctionDef`` made by reverse (statements tagged with ``.phase``).
Produces the same function with:

1. ``fold_constants``: arithmetic on constants in adjoint code is evaluated, and
   ``e ** 1`` and ``e / 1`` become ``e``
   (``bz * 2 * x ** (2 - 1)`` -> ``bz * 2 * x``).
2. ``propagate_copies``: after ``a = b``, reads of ``a`` become reads of ``b`` for as
   long as neither is reassigned (``bx = by`` disappears).
3. ``eliminate_dead_code``: assignments whose value nobody reads are removed, when the
   value has no effect (a call of an unknown function is always kept: it may print, or
   draw random numbers the primal depends on).

Each pass is one function; ``optimize`` runs them in that order.
"""
from __future__ import annotations

import operator

import gast

from . import rules

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv, gast.Pow: operator.pow}


def optimize(fdef: gast.FunctionDef) -> gast.FunctionDef:
    fdef.body = fold_constants(fdef.body)
    fdef.body = propagate_copies(fdef.body)
    fdef.body = eliminate_dead_code(fdef.body)
    return fdef


# -- 1. constant folding ----------------------------------------------------------
def fold_constants(body: list) -> list:
    folder = _Folder()
    for stmt in body:
        if getattr(stmt, "phase", None) == "adjoint":
            folder.visit(stmt)
    return body


def _is_number(node, value=None) -> bool:
    if not isinstance(node, gast.Constant) or isinstance(node.value, bool):
        return False
    if not isinstance(node.value, (int, float)):
        return False
    return value is None or node.value == value


class _Folder(gast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right, op = node.left, node.right, type(node.op)
        if _is_number(left) and _is_number(right) and op in _FOLD:
            try:
                return gast.Constant(value=_FOLD[op](left.value, right.value), kind=None)
            except (ArithmeticError, ValueError):
                return node
        if op in (gast.Pow, gast.Div) and _is_number(right, 1):
            return left
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.USub):
            if _is_number(node.operand):
                return gast.Constant(value=-node.operand.value, kind=None)
            if isinstance(node.operand, gast.UnaryOp) and isinstance(node.operand.op, gast.USub):
                return node.operand.operand
        return node


# -- 2. copy propagation ------------------------------------------------------------
def _stores(stmt) -> set:
    return {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Store)}


class _Rename(gast.NodeTransformer):
    def __init__(self, copies):
        self.copies = copies

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.copies:
            node.id = self.copies[node.id]
        return node


def propagate_copies(body: list) -> list:
    copies = {}   # a -> b after `a = b`
    for stmt in body:
        if isinstance(stmt, gast.Assign):
            _Rename(copies).visit(stmt.value)
        else:
            _Rename(copies).visit(stmt)
        stored = _stores(stmt)
        if stored:
            copies = {a: b for a, b in copies.items() if a not in stored and b not in stored}
        if (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name)
                and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id != stmt.value.id):
            copies[stmt.targets[0].id] = stmt.value.id
    return body


# -- 3. dead code ---------------------------------------------------------------
def _loads(node) -> set:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _pure(stmt) -> bool:
    if getattr(stmt, "phase", None) == "adjoint":
        return True
    for node in gast.walk(stmt.value):
        if isinstance(node, gast.Call):
            callee = getattr(node, "callee", None)
            if rules.lookup(callee) is None and (not rules.is_nondifferentiable(callee)
                                                 or callee is print):
                return False
    return True


def eliminate_dead_code(body: list) -> list:
    live = set()
    kept = []
    for stmt in reversed(body):
        if (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id not in live and _pure(stmt)):
            continue
        live -= _stores(stmt)
        live |= _loads(stmt)
        kept.append(stmt)
    kept.reverse()
    return kept
