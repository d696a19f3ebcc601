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
  subscripts, sums and the NumPy functions that only move or add up elements
  (``np.roll``, ``np.expand_dims``, ...), and turns a sum into a difference (``a + -b`` is
  ``a - b``) or cancels (``-a * -b``);
- a variable that would store a negated value, and that only later statements of the
  same block read, keeps the value without the sign: it *owes* a negation, which its
  readers fold in turn;
- a block is rewritten only when that leaves fewer negations in it (one of a sum's
  result counting half).

Every rewrite is exact in floating point: a negation flips the sign bit only, so
``-(a * b)`` is ``(-a) * b``, ``a + (-b)`` is ``a - b``, and a sum of negated terms is
the negated sum, the same numbers (a zero may change its sign).
"""
from __future__ import annotations

from collections import Counter

import gast
import numpy as np

from .naming import CHILD_FIELDS, instances, name_counts, name_nodes

_PRODUCTS = (gast.Mult, gast.Div, gast.MatMult)
# f(-g, ...) == -f(g, ...): NumPy functions that only move, pick or add up g's
# elements (and return an array or a number: the runtime's unbroadcast, add_at_item, ...
# may return a tuple or list of adjoints, which has no negation)
_LINEAR_IN_FIRST = {
    np.sum, np.mean, np.cumsum, np.diff, np.trace, np.diagonal, np.expand_dims, np.reshape,
    np.transpose, np.squeeze, np.ravel, np.roll, np.flip, np.moveaxis, np.swapaxes,
    np.broadcast_to,
}


def fold_negations(body: list, bound: dict = None, rewritten: set = None) -> list:
    """``body`` (a function's statements) with negations folded, block by block;
    ``bound`` maps the generated code's global names to their objects (to know
    ``np.sum``); ``rewritten`` (if given) learns the ids of the statements it changed."""
    counts = {}   # id of a plain statement -> negations in its value
    signed = set()   # ids of the plain statements with a sign (- or +) in their value
    blocks = []
    for block in _blocks(body):
        for stmt in block:
            if _plain(stmt):
                unary = instances(stmt.value, gast.UnaryOp)
                counts[id(stmt)] = _counted(unary)
                if any(node.op.__class__ in _SIGNS for node in unary):
                    signed.add(id(stmt))
        if any(counts.get(id(stmt)) for stmt in block):
            blocks.append(block)
    if blocks:
        names = name_counts(body)   # how often each name occurs, reads and writes
        for block in blocks:
            _fold_block(block, names, bound or {}, counts, signed, rewritten)
    return body


_SIGNS = (gast.USub, gast.UAdd)


def _plain(stmt) -> bool:
    """An adjoint statement ``name = expression`` this pass may rewrite, or an
    accumulation ``bx[i] += expression`` (whose ``+=`` may become ``-=``)."""
    if getattr(stmt, "phase", None) != "adjoint" or getattr(stmt, "keep", False):
        return False
    if isinstance(stmt, gast.AugAssign):
        return isinstance(stmt.op, (gast.Add, gast.Sub)) \
            and isinstance(stmt.target, gast.Subscript)
    return (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name))


def _blocks(body: list):
    yield body
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                yield from _blocks(inner)


def _owing(block: list, plain: list, counts: dict) -> tuple:
    """The targets of plain statements of ``block`` that every occurrence of which is
    in a plain statement of ``block``, as its target or read after its first write
    there: a value stored without its sign is never seen by anything that does not
    know. (And index of a plain statement -> the names its value reads.)"""
    first, seen = {}, Counter()
    reads = {}
    for i in plain:
        stmt = block[i]
        names = reads[i] = set()
        for node in name_nodes(stmt.value):
            names.add(node.id)
            if node.id in first:
                seen[node.id] += 1
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0].id
            first.setdefault(target, i)
            seen[target] += 1
    return {name for name in first if seen[name] == counts.get(name, 0)}, reads


def _fold_block(block: list, names: dict, bound: dict, counts: dict, signed: set,
                rewritten: set = None) -> None:
    plain = [i for i, stmt in enumerate(block) if _plain(stmt)]
    before = sum(counts[id(block[i])] for i in plain)
    owing, reads = _owing(block, plain, names)
    while True:   # a name whose negation is written out at more than one read: not owed
        # (a value without a sign is given back as it is where it reads no name that owes
        # one: not pulled apart to find that out)
        unsigned = {i: reads[i] for i in plain if id(block[i]) not in signed}
        values, signs = _folded(block, plain, owing, bound, unsigned)
        costly = {name for name, count in signs.written_out.items() if count > 1}
        if not costly & owing:
            break
        owing -= costly
    # (a value the pass gave back as it was still has the negations counted before)
    after = sum(counts[id(block[i])] if value is block[i].value else _negations(value)
                for i, (value, _) in values.items())
    if after < before:
        for i, (value, op) in values.items():
            if rewritten is not None and value is not block[i].value:
                rewritten.add(id(block[i]))
            block[i].value = value
            if op is not None:
                block[i].op = op


def _folded(block, plain, owing, bound, unsigned=None):
    """The plain statements' new values (index -> (value, the operator of an
    accumulation or None)), names in ``owing`` keeping values without their sign, and
    the _Signs that made them. ``unsigned``: index of a statement whose value has no
    sign (``-`` or ``+``) -> the names it reads; pulling such a value that reads no name
    owed at that point would give it back as it is."""
    signs = _Signs(bound)
    values = {}
    unsigned = unsigned or {}
    for i in plain:
        stmt = block[i]
        reads = unsigned.get(i)
        if reads is not None and reads.isdisjoint(signs.owed):
            value, negated = stmt.value, False
        else:
            value, negated = signs.pull(stmt.value)
        if isinstance(stmt, gast.AugAssign):   # bx[i] += -g is bx[i] -= g
            flip = gast.Sub() if isinstance(stmt.op, gast.Add) else gast.Add()
            values[i] = (value, flip if negated else stmt.op)
            continue
        target = stmt.targets[0].id
        signs.owed.discard(target)
        if negated:
            if target in owing:
                signs.owed.add(target)
            else:
                value = _negate(value)
        values[i] = (value, None)
    return values, signs


def _negations(expr) -> float:
    """How many negations ``expr`` computes; one of a sum's result counts half (it
    negates fewer numbers than one of the summed array would)."""
    return _counted(instances(expr, gast.UnaryOp))


def _counted(unary: list) -> float:
    """``_negations`` of an expression with these ``UnaryOp`` nodes."""
    count = 0.0
    for node in unary:
        if node.op.__class__ is gast.USub:
            count += 0.5 if _is_sum(node.operand) else 1.0
    return count


def _is_sum(expr) -> bool:
    return isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) \
        and expr.func.attr in ("sum", "mean")


def _same_or(items: list, old: list) -> list:
    """``old`` when ``items`` holds the same nodes (so an unchanged node is kept)."""
    return old if all(a is b for a, b in zip(items, old)) else items


def _negate(expr):
    return gast.UnaryOp(op=gast.USub(), operand=expr)


def _rebuilt(node, **fields):
    """``node`` with new ``fields``; ``node`` itself when they are the ones it has."""
    if all(getattr(node, name) is value for name, value in fields.items()):
        return node
    # what copy.copy gives (the fields and what passes attached: a call's callee, ...)
    new = node.__class__.__new__(node.__class__)
    new.__dict__.update(node.__dict__)
    for name, value in fields.items():
        setattr(new, name, value)
    return new


class _Signs:
    """Negations moved out of expressions; ``owed``: names that hold their value's
    negation at this point of the block."""

    def __init__(self, bound: dict):
        self.owed = set()
        self.bound = bound   # global names of the generated code: np, unbroadcast, ...
        self.written_out = {}   # owed name -> times a negation of it was written out

    def callee(self, func):
        """The object a call's ``func`` names: ``np.sum``, a runtime helper; or None."""
        if isinstance(func, gast.Name):
            return self.bound.get(func.id)
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                and self.bound.get(func.value.id) is np:
            return getattr(np, func.attr, None)
        return None

    def pull(self, expr):
        """(expression, negated): ``expr`` is ``-expression`` when negated."""
        if isinstance(expr, gast.Name):
            return expr, expr.id in self.owed
        if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd)):
            operand, negated = self.pull(expr.operand)
            return operand, negated != isinstance(expr.op, gast.USub)
        if isinstance(expr, gast.BinOp) and isinstance(expr.op,
                                                       (gast.Add, gast.Sub) + _PRODUCTS):
            return self.pull_binop(expr)
        if isinstance(expr, gast.Attribute) and expr.attr == "T":
            value, negated = self.pull(expr.value)
            return _rebuilt(expr, value=value), negated
        if isinstance(expr, gast.Subscript):
            value, negated = self.pull(expr.value)
            return _rebuilt(expr, value=value, slice=self.settled(expr.slice)), negated
        if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) \
                and expr.func.attr == "sum" and not expr.args:   # g.sum(axis=..., ...)
            value, negated = self.pull(expr.func.value)
            return _rebuilt(expr, func=_rebuilt(expr.func, value=value),
                            keywords=self.keywords(expr)), negated
        if isinstance(expr, gast.Call) and expr.args:
            callee = self.callee(expr.func)
            if callee is np.result_type:   # a dtype: signs do not matter
                args = [self.pull(a)[0] for a in expr.args]
                return _rebuilt(expr, args=_same_or(args, expr.args),
                                keywords=self.keywords(expr)), False
            if callee in _LINEAR_IN_FIRST:
                first, negated = self.pull(expr.args[0])
                args = [first] + [self.settled(a) for a in expr.args[1:]]
                return _rebuilt(expr, args=_same_or(args, expr.args),
                                keywords=self.keywords(expr)), negated
        return self.parts_settled(expr), False

    def keywords(self, call):
        """A call's keywords with their values settled (the same list if unchanged)."""
        return _same_or([_rebuilt(k, value=self.settled(k.value)) for k in call.keywords],
                        call.keywords)

    def pull_binop(self, expr):
        left, left_negated = self.pull(expr.left)
        right, right_negated = self.pull(expr.right)
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

    def settled(self, expr):
        """``expr`` with its negations folded and written out in front of it if any."""
        pulled, negated = self.pull(expr)
        if not negated:
            return pulled
        for node in name_nodes(pulled):
            if node.id in self.owed:
                self.written_out[node.id] = self.written_out.get(node.id, 0) + 1
        return _negate(pulled)

    def parts_settled(self, node):
        """``node`` with each of its sub-expressions settled (``node`` itself when none
        changes)."""
        fields = {}
        attributes = node.__dict__
        for name in CHILD_FIELDS[node.__class__]:   # (the others never hold nodes)
            value = attributes.get(name)
            if isinstance(value, gast.expr):
                settled = self.settled(value)
                if settled is not value:
                    fields[name] = settled
            elif isinstance(value, gast.keyword):
                settled = self.parts_settled(value)
                if settled is not value:
                    fields[name] = settled
            elif isinstance(value, list) and value and isinstance(value[0], gast.AST):
                items = [self.settled(v) if isinstance(v, gast.expr)
                         else self.parts_settled(v) if isinstance(v, gast.AST)
                         else v for v in value]
                if any(a is not b for a, b in zip(items, value)):
                    fields[name] = items
        return _rebuilt(node, **fields) if fields else node
