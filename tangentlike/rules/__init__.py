"""Derivative rules: one place per primitive (see registry.py for the format).

Importing this package registers every built-in rule. SciPy's rules (special.py) are
registered on first need, so that `import tangentlike` never imports SciPy itself:
when a function is looked up while scipy.special is loaded, or by ``load_optional()``.
"""
from ..template import d
from . import arithmetic, constants, elementwise, linalg, pymath, reductions, selection, shapes
from . import numeric, writes
from .registry import (MUTATING, NONDIFF, RULES, Rule, adjoint, is_nondifferentiable, iterator_error,
                       load_optional, lookup, mutation_of, nondifferentiable, tangent)

__all__ = ["d", "adjoint", "tangent", "nondifferentiable", "lookup", "is_nondifferentiable", "Rule",
           "RULES", "NONDIFF", "MUTATING", "mutation_of", "load_optional", "iterator_error"]
del arithmetic, constants, elementwise, linalg, pymath, reductions, selection, shapes, numeric, writes
