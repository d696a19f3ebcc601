"""signs: negations folded into the arithmetic around them (a step of optimize).

Adjoint rules negate often: the adjoint of ``a - b`` gives ``b`` the value ``-g``, the
adjoint of ``1 / x`` is ``-g / x ** 2``, of ``np.cos`` ``-g * np.sin(x)``. Followed
through the statements that read them, most of these negations cancel or become
subtractions, each one an array operation less:

    bt3 = -bp * p / t3          bt3 = bp * p / t3
    bt1 = bt3 * t2        ->    bt1 = bt3 * t2
    bz = -bt1                   bz = bt1

Per block of statements (a body or a branch), for the adjoint's plain assignments:

- in an expression, a negation moves outward through ``*``, ``/``, ``@``, ``.T``,
  subscripts and ``.sum(...)``, and turns a sum into a difference (``a + -b`` is
  ``a - b``) or cancels (``-a * -b``);
- a variable that would store a negated value, and that only later statements of the
  same block read, keeps the value without the sign: it *owes* a negation, which its
  readers fold in turn;
- a block is rewritten only when that leaves fewer negations in it.

Every rewrite is exact in floating point: a negation flips the sign bit only, so
``-(a * b)`` is ``(-a) * b``, ``a + (-b)`` is ``a - b``, and a sum of negated terms is
the negated sum, bit for bit.
"""
from __future__ import annotations

import copy

import gast

from .naming import walk

_PRODUCTS = (gast.Mult, gast.Div, gast.MatMult)


def fold_negations(body: list) -> list:
    """``body`` (a function's statements) with negations folded, block by block."""
    places = _places(body)
    for block in _blocks(body):
        _fold_block(block, places)
    return body


def _plain(stmt) -> bool:
    """An adjoint statement ``name = expression`` this pass may rewrite."""
    return (isinstance(stmt, gast.Assign) and getattr(stmt, "phase", None) == "adjoint"
            and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
            and not getattr(stmt, "keep", False))


def _blocks(body: list):
    yield body
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                yield from _blocks(inner)


def _places(body: list) -> dict:
    """name -> [(block, index, kind, is_write)]: where each name is written and read;
    kind "plain" for the value of a plain statement, "other" anywhere else."""
    places = {}

    def note(name, block, index, kind, write):
        places.setdefault(name, []).append((id(block), index, kind, write))

    def visit(block):
        for index, stmt in enumerate(block):
            if _plain(stmt):
                note(stmt.targets[0].id, block, index, "plain", True)
                for node in walk(stmt.value):
                    if isinstance(node, gast.Name):
                        note(node.id, block, index, "plain", False)
                continue
            for field, value in gast.iter_fields(stmt):
                if field in ("body", "orelse") and isinstance(value, list):
                    visit(value)
                    continue
                for part in value if isinstance(value, list) else [value]:
                    if not isinstance(part, gast.AST):
                        continue
                    for node in walk(part):
                        if isinstance(node, gast.Name):
                            note(node.id, block, index, "other",
                                 not isinstance(node.ctx, gast.Load))
    visit(body)
    return places


def _may_owe(name: str, block: list, places: dict) -> bool:
    """Every write of ``name`` is a plain statement of ``block``, and every read is in
    a plain statement of ``block`` after its first write there: a value it stores
    without its sign is never seen by anything that does not know."""
    found = places.get(name, ())
    first = min((i for b, i, kind, write in found if write), default=None)
    return first is not None and all(
        b == id(block) and kind == "plain" and (write or i > first)
        for b, i, kind, write in found)


def _fold_block(block: list, places: dict) -> None:
    plain = [i for i, stmt in enumerate(block) if _plain(stmt)]
    if not plain:
        return
    before = sum(_negations(block[i].value) for i in plain)
    if not before:
        return
    owing = {block[i].targets[0].id for i in plain
             if _may_owe(block[i].targets[0].id, block, places)}
    values, owed = {}, set()
    for i in plain:
        stmt = block[i]
        value, negated = _pull(stmt.value, owed)
        target = stmt.targets[0].id
        owed.discard(target)
        if negated:
            if target in owing:
                owed.add(target)
            else:
                value = _negate(value)
        values[i] = value
    if sum(_negations(v) for v in values.values()) < before:
        for i, value in values.items():
            block[i].value = value


def _negations(expr) -> int:
    return sum(1 for node in walk(expr)
               if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub))


def _negate(expr):
    return gast.UnaryOp(op=gast.USub(), operand=expr)


def _rebuilt(node, **fields):
    new = copy.copy(node)   # keeps what passes attached (a call's callee, ...)
    for name, value in fields.items():
        setattr(new, name, value)
    return new


def _pull(expr, owed: set):
    """(expression, negated): ``expr`` is ``-expression`` when negated, where names in
    ``owed`` hold their value's negation; negations come out where they can."""
    if isinstance(expr, gast.Name):
        return expr, expr.id in owed
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd)):
        operand, negated = _pull(expr.operand, owed)
        return operand, negated != isinstance(expr.op, gast.USub)
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Add, gast.Sub) + _PRODUCTS):
        left, left_negated = _pull(expr.left, owed)
        right, right_negated = _pull(expr.right, owed)
        if isinstance(expr.op, _PRODUCTS):
            return _rebuilt(expr, left=left, right=right), left_negated != right_negated
        subtract = isinstance(expr.op, gast.Sub)
        if left_negated == right_negated:   # -a + -b == -(a + b), -a - -b == -(a - b)
            return _rebuilt(expr, left=left, right=right), left_negated
        if left_negated:   # -a + b == b - a, -a - b == -(a + b)
            if subtract:
                return _rebuilt(expr, op=gast.Add(), left=left, right=right), True
            return _rebuilt(expr, op=gast.Sub(), left=right, right=left), False
        # a + -b == a - b, a - -b == a + b
        op = gast.Add() if subtract else gast.Sub()
        return _rebuilt(expr, op=op, left=left, right=right), False
    if isinstance(expr, gast.Attribute) and expr.attr == "T":
        value, negated = _pull(expr.value, owed)
        return _rebuilt(expr, value=value), negated
    if isinstance(expr, gast.Subscript):
        value, negated = _pull(expr.value, owed)
        return _rebuilt(expr, value=value, slice=_settled(expr.slice, owed)), negated
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) \
            and expr.func.attr == "sum" and not expr.args:   # g.sum(axis=..., ...)
        value, negated = _pull(expr.func.value, owed)
        keywords = [_rebuilt(k, value=_settled(k.value, owed)) for k in expr.keywords]
        return _rebuilt(expr, func=_rebuilt(expr.func, value=value),
                        keywords=keywords), negated
    return _parts_settled(expr, owed), False


def _settled(expr, owed: set):
    """``expr`` with its negations folded and written out in front of it if any."""
    pulled, negated = _pull(expr, owed)
    return _negate(pulled) if negated else pulled


def _parts_settled(node, owed: set):
    """``node`` with each of its sub-expressions settled."""
    fields = {}
    for name, value in gast.iter_fields(node):
        if isinstance(value, gast.expr):
            fields[name] = _settled(value, owed)
        elif isinstance(value, gast.keyword):
            fields[name] = _parts_settled(value, owed)
        elif isinstance(value, list) and any(isinstance(v, gast.AST) for v in value):
            fields[name] = [_settled(v, owed) if isinstance(v, gast.expr)
                            else _parts_settled(v, owed) if isinstance(v, gast.AST)
                            else v for v in value]
    return _rebuilt(node, **fields) if fields else node
