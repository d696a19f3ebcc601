"""The rule registry: which primitives tangentlike knows and how to differentiate them.

Each primitive (a NumPy function, a ``math`` function, an operator, a runtime helper)
maps to one :class:`Rule` that holds, side by side, its adjoint template, the input
domain and the example arguments the registry test uses to check it by finite
differences. Non-differentiable functions (shapes, constructors, comparisons) are
listed too: their results are constants.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..template import Template


@dataclass
class Rule:
    primitive: Any
    name: str
    adjoint: Optional[Template] = None
    # Example calls for the registry test: a function rng -> list of (args, kwargs).
    cases: Optional[Callable] = field(default=None, repr=False)
    # Arguments that are never differentiated (shapes, axes, conditions), by position.
    static_args: tuple = ()


RULES: dict = {}
NONDIFF: dict = {}


def qualified_name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or type(obj).__module__
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    if module in (None, "builtins"):
        return name
    if module.startswith("numpy"):
        module = "numpy" if not module.startswith("numpy.linalg") else "numpy.linalg"
    if module == "_operator":
        module = "operator"
    return f"{module}.{name}"


def adjoint(*primitives, cases: Callable = None, static_args: tuple = ()):
    """Register the decorated template as the adjoint of each primitive."""

    def register(func):
        template = Template.from_function(func)
        for prim in primitives:
            RULES[prim] = Rule(prim, qualified_name(prim), template, cases, static_args)
        return func

    return register


def nondifferentiable(*primitives) -> None:
    """Declare functions whose results are constants for differentiation."""
    for prim in primitives:
        NONDIFF[prim] = qualified_name(prim)


def lookup(obj: Any) -> Optional[Rule]:
    try:
        return RULES.get(obj)
    except TypeError:  # unhashable
        return None


def is_nondifferentiable(obj: Any) -> bool:
    try:
        return obj in NONDIFF
    except TypeError:
        return False
