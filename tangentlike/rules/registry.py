"""The rule registry: which primitives tangentlike knows and how to differentiate them.

Each primitive (a NumPy function, a ``math`` function, an operator, a runtime helper)
maps to one :class:`Rule` that holds, side by side, its adjoint template, the input
domain and the example arguments the registry test uses to check it by finite
differences. Non-differentiable functions (shapes, constructors, comparisons) are
listed too: their results are constants.
"""
from __future__ import annotations

import sys
import types
from typing import Any, Callable, Optional

import numpy as np

from ..template import Template


class Rule:
    """A primitive's derivative rules and the examples that check them."""

    def __init__(self, primitive: Any, name: str, adjoint: Optional[Template] = None,
                 tangent: Optional[Template] = None, cases: Optional[Callable] = None,
                 static_args: tuple = ()):
        self.primitive, self.name = primitive, name
        self.adjoint, self.tangent = adjoint, tangent
        # Example calls for the registry test: a function rng -> list of (args, kwargs).
        self.cases = cases
        # Arguments that are never differentiated (shapes, axes, conditions), by position.
        self.static_args = static_args

    def __repr__(self):
        return f"Rule({self.name}, adjoint={self.adjoint}, tangent={self.tangent})"


RULES: dict = {}
NONDIFF: dict = {}
MUTATING: dict = {}   # function -> (position of the argument it changes, what to do instead)


def qualified_name(obj: Any) -> str:
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, np.ufunc):   # np.add.reduce: not `ufunc.reduce`
        return f"numpy.{owner.__name__}.{obj.__name__}"
    module = getattr(obj, "__module__", None) or type(obj).__module__
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    if module in (None, "builtins"):
        return name
    if module.startswith("numpy"):
        module = "numpy" if not module.startswith("numpy.linalg") else "numpy.linalg"
    if module == "_operator":
        module = "operator"
    return f"{module}.{name}"


def _rule(prim) -> Rule:
    if prim not in RULES:
        RULES[prim] = Rule(prim, qualified_name(prim))
    return RULES[prim]


def adjoint(*primitives, cases: Callable = None, static_args: tuple = ()):
    """Register the decorated template as the adjoint (reverse-mode rule) of each
    primitive: its body assigns ``d[input]`` from ``d[result]``."""

    def register(func):
        template = Template.from_function(func)
        for prim in primitives:
            rule = _rule(prim)
            rule.adjoint = template
            rule.cases = cases if cases is not None else rule.cases
            rule.static_args = static_args or rule.static_args
        return func

    return register


def tangent(*primitives, cases: Callable = None, static_args: tuple = ()):
    """Register the decorated template as the tangent (forward-mode rule) of each
    primitive: its body assigns ``d[result]`` from ``d[inputs]``. A ``d[input]`` of an
    input that carries no derivative is zero, and the engine simplifies it away."""

    def register(func):
        template = Template.from_function(func)
        for prim in primitives:
            rule = _rule(prim)
            rule.tangent = template
            rule.cases = cases if cases is not None else rule.cases
            rule.static_args = static_args or rule.static_args
        return func

    return register


# primitive -> (guard, the parameter that calls for it: (name, position) or None)
REFUSALS: dict = {}


def refuses(*primitives, only_with: tuple = None):
    """Register the decorated ``check(*args, **kwargs)``, which takes a primitive's
    arguments and returns None when its rules differentiate that call, else
    ``(reason, hint)``. Some arguments the rules do not cover are known only when the
    function runs (``np.quantile(a, qs)`` of a list ``qs``, a matrix given to
    ``np.linalg.norm(x, 2)``): normalize puts a guard calling the check before each call
    (before each call passing the parameter ``only_with = (name, position)``, when
    given), so those give a ``TransformError`` at the user's line, not an exception
    from inside the derivative."""

    def register(check):
        def guard(filename, lineno, *args, **kwargs):
            problem = check(*args, **kwargs)
            if problem is not None:
                from ..errors import TransformError
                raise TransformError(problem[0], filename, lineno, hint=problem[1])

        guard.__name__ = guard.__qualname__ = "require_" + check.__name__
        nondifferentiable(guard)
        for prim in primitives:
            REFUSALS[prim] = (guard, only_with)
        return check

    return register


def refusal_of(obj: Any):
    """(guard, only_with) of a primitive whose arguments are checked, else None."""
    try:
        return REFUSALS.get(obj)
    except TypeError:  # unhashable
        return None


def modes(rule: Rule) -> set:
    out = set()
    if rule.adjoint is not None:
        out.add("reverse")
    if rule.tangent is not None:
        out.add("forward")
    return out


def nondifferentiable(*primitives) -> None:
    """Declare functions whose results are constants for differentiation."""
    for prim in primitives:
        NONDIFF[prim] = qualified_name(prim)


# Builtins that make an iterator of their arguments: constants as far as rules go (a loop
# over them is rewritten to a loop over indices), but an iterator of a value being
# differentiated carries that value, so using one other than as a loop's sequence is
# refused (the hint says what to write instead).
ITERATORS = {
    zip: "loop over it (`for a, b in zip(xs, ys):`), or index the sequences",
    enumerate: "loop over it (`for i, v in enumerate(xs):`), or index the sequence",
    reversed: "use `xs[::-1]`, or loop over it (`for v in reversed(xs):`)",
}


def iterator_error(prim):
    """(reason, hint) for a value-carrying iterator used outside a loop, else None."""
    try:
        hint = ITERATORS.get(prim)
    except TypeError:   # unhashable
        return None
    if hint is None:
        return None
    return (f"`{prim.__name__}(...)` of a value being differentiated is supported only as "
            "the sequence of a `for` loop", hint)


class _RandomDraw:
    """Stands for the method of a random generator a call draws with (``rng.normal(...)``,
    normalize.draw): the callee of such calls, which are kept as they are written."""

    __slots__ = ()
    __name__ = "draw"

    def __repr__(self):
        return "<a random generator's draw>"


random_draw = _RandomDraw()


def is_random_source(obj) -> bool:
    """Whether ``obj`` is a random module (NumPy's, Python's) or one of its generators."""
    module = obj.__name__ if isinstance(obj, types.ModuleType) else \
        obj.__class__.__module__ if obj is not None else ""
    return module == "random" or module.startswith("numpy.random")


def draw_error(prim):
    """(reason, hint) for a random draw (a generator's method, ``np.random.normal``,
    ``random.gauss``) given a value being differentiated, else None: the sample has no
    derivative rule."""
    if prim is not random_draw and not is_random_source(getattr(prim, "__self__", None)):
        return None
    name = "" if prim is random_draw else f" (`{qualified_name(prim)}`)"
    return (f"a random draw{name} whose arguments carry a derivative has no derivative rule",
            "draw standard samples and transform them (`mu + sigma * "
            "rng.standard_normal(n)`, the reparameterization), or wrap the call in "
            "tl.stop_gradient(...)")


def mutating(prim, position: int, instead: str) -> None:
    """Declare a function that changes its argument at ``position`` in place: a call of
    it is refused (the derivative cannot follow a change made behind its back)."""
    MUTATING[prim] = (position, instead)


def mutating_in(module: str, name: str, position: int, instead: str) -> None:
    """``mutating`` for the function ``name`` of ``module``, registered once that module
    is imported (see mutation_of): NumPy imports ``numpy.random`` on first use only,
    and importing it costs several milliseconds, which ``import tangentlike`` need not
    pay (a function calling one of its functions imports it)."""
    _MUTATING_LATER.append((module, name, position, instead))


_MUTATING_LATER: list = []   # (module, function name, position, instead), not registered yet


def mutation_of(obj: Any):
    """(position, what to do instead) of a function that changes an argument in place."""
    for entry in list(_MUTATING_LATER):
        module = sys.modules.get(entry[0])
        if module is not None:
            mutating(getattr(module, entry[1]), *entry[2:])
            _MUTATING_LATER.remove(entry)
    if getattr(obj, "__name__", None) == "at" and \
            type(getattr(obj, "__self__", None)).__name__ == "ufunc":
        # np.add.at(z, index, v) and the `at` of every other ufunc: unbuffered in place
        return (0, "write the updates into a new array with element writes, which "
                   "tangentlike differentiates: `z = z.copy()`, then "
                   "`for k in range(len(index)): z[index[k]] += v[k]`")
    try:
        return MUTATING.get(obj)
    except TypeError:  # unhashable
        return None


_optional_loaded = False


def load_optional(force: bool = True) -> None:
    """Register the rules of optional libraries (SciPy). With ``force=False`` only if
    the library is already imported (then the user's code may be calling it)."""
    global _optional_loaded
    if _optional_loaded or (not force and "scipy.special" not in sys.modules):
        return
    _optional_loaded = True
    from . import special  # noqa: F401  (registers on import)


def lookup(obj: Any) -> Optional[Rule]:
    try:
        rule = RULES.get(obj)
    except TypeError:  # unhashable
        return None
    if rule is None and not _optional_loaded:
        load_optional(force=False)
        rule = RULES.get(obj)
    return rule


def is_nondifferentiable(obj: Any) -> bool:
    try:
        return obj in NONDIFF
    except TypeError:
        return False
