"""algebra: exact rewrites of the user's expressions in a version, before normalize.

``(-X) @ w``, as Python parses ``-X @ w``, negates the whole matrix ``X`` before the
product, and its derivative reads that negated copy again: a version whose guard proves
``X`` a float array writes it ``-(X @ w)``, one negation of the (smaller) product. The
same value, bit for bit: a matrix product of a negated float operand is the negation of
the product (each term changes sign exactly, and rounding to nearest is symmetric), and
the negated product is what the sigmoid's closed form recognizes (composites.py:
``t = -z; u = np.exp(t)``). Only for operands the guard proves float arrays (an unsigned
integer array's negation wraps around).
"""
from __future__ import annotations

import gast
import numpy as np

from .naming import Transformer, walk


def negated_products(node: gast.FunctionDef) -> bool:
    """Whether ``node``'s body has a ``(-a) @ b`` or ``a @ (-b)``: a quick test, before
    parsing again for a version."""
    return any(n.__class__ is gast.BinOp and n.op.__class__ is gast.MatMult
               and _negated(n.left) or n.__class__ is gast.BinOp
               and n.op.__class__ is gast.MatMult and _negated(n.right)
               for n in walk(node.body))


def rewrite_products(node: gast.FunctionDef, signature: dict) -> bool:
    """Rewrite ``(-a) @ b`` and ``a @ (-b)`` of ``node``'s body in place as ``-(a @ b)``
    where the version's signature (parameter -> (kind, class, stand-in)) proves ``a``
    (``b``) a float array the function never rebinds; whether it rewrote any."""
    assigned = {n.id for n in walk(node.body)
                if n.__class__ is gast.Name and not isinstance(n.ctx, gast.Load)}
    floats = {name for name, (_, _, value) in signature.items()
              if isinstance(value, np.ndarray) and value.dtype.kind == "f"
              and name not in assigned}
    rewriter = _Products(floats)
    node.body = [rewriter.visit(stmt) for stmt in node.body]
    return rewriter.changed


def _negated(expr) -> bool:
    return expr.__class__ is gast.UnaryOp and expr.op.__class__ is gast.USub


class _Products(Transformer):
    def __init__(self, floats: set):
        self.floats, self.changed = floats, False

    def visit_FunctionDef(self, node):   # (and lambdas: names of their own)
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if node.op.__class__ is not gast.MatMult:
            return node
        for side in ("left", "right"):
            operand = getattr(node, side)
            if _negated(operand) and operand.operand.__class__ is gast.Name \
                    and operand.operand.id in self.floats:
                setattr(node, side, operand.operand)
                self.changed = True
                return gast.copy_location(gast.UnaryOp(op=gast.USub(), operand=node), node)
        return node
