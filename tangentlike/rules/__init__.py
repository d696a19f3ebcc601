"""Derivative rules: one place per primitive (see registry.py for the format).

Importing this package registers every built-in rule.
"""
from ..template import d
from . import arithmetic, constants, elementwise, linalg, pymath, reductions, selection, shapes
from . import numeric, special, writes
from .registry import (NONDIFF, RULES, Rule, adjoint, is_nondifferentiable, lookup,
                       nondifferentiable, tangent)

__all__ = ["d", "adjoint", "tangent", "nondifferentiable", "lookup", "is_nondifferentiable", "Rule",
           "RULES", "NONDIFF"]
del arithmetic, constants, elementwise, linalg, pymath, reductions, selection, shapes, numeric, special, writes
