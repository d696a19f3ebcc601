"""optimize: make generated derivative code as lean as a hand-written one.

Consumes the ``gast.FunctionDef`` made by reverse (statements tagged with ``.phase``).
Produces the same function with:

1. ``fold_constants``: arithmetic on constants in adjoint code is evaluated, and
   ``e ** 1`` and ``e / 1`` become ``e``
   (``bz * 2 * x ** (2 - 1)`` -> ``bz * 2 * x``).
2. ``propagate_copies``: after ``a = b``, reads of ``a`` become reads of ``b`` for as
   long as neither is reassigned (``bx = by`` disappears); an adjoint reset to zero
   propagates the same way, and constant folding then turns ``0.0 + g`` into ``g``.
   Arrays changed by element writes keep their names.
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
    fdef.body = fold_constants(fdef.body)   # again: propagated zeros fold away
    fdef.body = eliminate_dead_code(fdef.body)
    restore_result_names(fdef)
    return fdef


# -- 4. names of the results ----------------------------------------------------------
def restore_result_names(fdef: gast.FunctionDef) -> None:
    """Give returned gradients their own names back: copy propagation may have left
    ``return bh_1`` where the gradient of ``x`` is meant; rename it ``bx`` when that
    name is free. ``fdef.preferred`` lists the wanted names, one per result."""
    preferred = getattr(fdef, "preferred", None)
    ret = fdef.body[-1] if fdef.body else None
    if not preferred or not isinstance(ret, gast.Return) or ret.value is None:
        return
    results = ret.value.elts if isinstance(ret.value, gast.Tuple) else [ret.value]
    if len(results) != len(preferred):
        return
    params = {a.id for a in fdef.args.args + fdef.args.kwonlyargs}
    used = {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)}
    renames = {}
    for result, name in zip(results, preferred):
        if isinstance(result, gast.Call) and result.args:   # shaped(bx, x)
            result = result.args[0]
        if (isinstance(result, gast.Name) and result.id != name and name not in used
                and result.id not in params and result.id not in renames):
            renames[result.id] = name
            used.add(name)
    if renames:
        for node in gast.walk(fdef):
            if isinstance(node, gast.Name) and node.id in renames:
                node.id = renames[node.id]


# -- 1. constant folding ----------------------------------------------------------
def fold_constants(body: list) -> list:
    folder = _Folder()
    for stmt in body:
        if getattr(stmt, "phase", None) == "adjoint" or getattr(stmt, "derived", False):
            folder.visit(stmt)
        elif isinstance(stmt, (gast.If, gast.For, gast.While)):
            fold_constants(stmt.body)
            fold_constants(stmt.orelse)
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
        if op is gast.Add and _is_number(left, 0) and not _is_number(right):
            return right   # an adjoint that starts at zero: 0.0 + g is g
        if op in (gast.Add, gast.Sub) and _is_number(right, 0) and not _is_number(left):
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
            source = self.copies[node.id]
            if isinstance(source, gast.Constant):
                return gast.Constant(value=source.value, kind=None)
            node.id = source
        return node


def propagate_copies(body: list, copies: dict = None, mutated: set = None) -> list:
    """Replace reads of ``a`` by ``b`` after ``a = b`` while neither is reassigned.

    A compound statement first forgets every copy involving a name it assigns anywhere
    inside (a loop body runs again after its own assignments), then propagates the rest
    into its test and bodies. Arrays that element writes (``a[i] = v``) change keep
    their names: reading one through another name would hide that the two are one
    array, from the reader and from the next differentiation.
    """
    copies = dict(copies or {})
    if mutated is None:
        mutated = {n.targets[0].value.id for n in gast.walk(gast.Module(body=body,
                                                                      type_ignores=[]))
                   if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Subscript)
                   and isinstance(n.targets[0].value, gast.Name)}
    for stmt in body:
        stored = _stores(stmt)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            copies = _forget(copies, stored)
            for field in ("test", "iter"):
                if getattr(stmt, field, None) is not None:
                    _Rename(copies).visit(getattr(stmt, field))
            stmt.body = propagate_copies(stmt.body, copies, mutated)
            stmt.orelse = propagate_copies(stmt.orelse, copies, mutated)
            continue
        _Rename(copies).visit(stmt.value if isinstance(stmt, gast.Assign) else stmt)
        copies = _forget(copies, stored)
        if (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name)
                and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id != stmt.value.id
                and not {stmt.targets[0].id, stmt.value.id} & mutated):
            copies[stmt.targets[0].id] = stmt.value.id
        elif (isinstance(stmt, gast.Assign) and getattr(stmt, "phase", None) == "adjoint"
              and isinstance(stmt.targets[0], gast.Name) and _is_number(stmt.value, 0)):
            copies[stmt.targets[0].id] = stmt.value   # an adjoint reset to zero
    return body


def _forget(copies: dict, names: set) -> dict:
    return {a: b for a, b in copies.items()
            if a not in names and (not isinstance(b, str) or b not in names)}


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


def _removable(stmt, live) -> bool:
    return (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id not in live and not getattr(stmt, "keep", False)
            and _pure(stmt))


def _live_in(body: list, live: set) -> set:
    """Names live before ``body`` when ``live`` are live after it (no rewriting)."""
    live = set(live)
    for stmt in reversed(body):
        if isinstance(stmt, gast.If):
            live = _live_in(stmt.body, live) | _live_in(stmt.orelse, live) | _loads(stmt.test)
        elif isinstance(stmt, (gast.For, gast.While)):
            live = _loop_head(stmt, live)
        elif not _removable(stmt, live):
            live = (live - _stores(stmt)) | _loads(stmt)
    return live


def _loop_head(loop, live_after: set) -> set:
    """Names live at a loop's head: after it, in its test or iterable, or in its body."""
    header = loop.test if isinstance(loop, gast.While) else loop.iter
    head = set(live_after) | _loads(header)
    while True:
        new = head | _live_in(loop.body, head)
        if new == head:
            return head
        head = new


def eliminate_dead_code(body: list, live: set = frozenset()) -> list:
    """Remove assignments nobody reads; loops are solved to a fixed point."""
    live = set(live)
    kept = []
    for stmt in reversed(body):
        if isinstance(stmt, gast.Pass):
            continue
        if isinstance(stmt, gast.If):
            stmt.body = eliminate_dead_code(stmt.body, live) or [gast.Pass()]
            stmt.orelse = eliminate_dead_code(stmt.orelse, live)
            if all(isinstance(s, gast.Pass) for s in stmt.body + stmt.orelse):
                continue   # both branches came out empty
            live = _live_in(stmt.body, live) | _live_in(stmt.orelse, live) | _loads(stmt.test)
        elif isinstance(stmt, (gast.For, gast.While)):
            head = _loop_head(stmt, live)
            stmt.body = eliminate_dead_code(stmt.body, head) or [gast.Pass()]
            live = head
        elif _removable(stmt, live):
            continue
        else:
            live = (live - _stores(stmt)) | _loads(stmt)
        kept.append(stmt)
    kept.reverse()
    return kept
