"""Functions of many shapes whose source did not change since import: parse must not refuse
them (tests/test_error_catalogue.py, section 17). Not a test module, so pytest does not
rewrite its asserts: its code is what Python compiles from its text."""
from __future__ import annotations

import functools
from typing import Optional

import numpy as np

SCALE = 2.0


def plain(x):
    return np.sum(np.tanh(x) * SCALE)


def with_docstring(x: np.ndarray, k: Optional[float] = None) -> float:
    """A docstring, annotations (strings: future import), a default."""
    y: float = x * 2.0
    return np.sum(y * y) + (-1.5) * 2 * 3.0


def identity(f):
    return f


def twice(f):
    @functools.wraps(f)
    def wrapper(x):
        return 2.0 * f(x)
    return wrapper


@identity
@identity
def decorated(x):
    return x * x


@twice
def wrapped(x):
    return x * 3.0


def make_closure(c):
    def inner(x):
        return x * c + np.sin(x)
    return inner


closure = make_closure(3.0)


def make_nested_closure(a):
    b = a * 2.0

    def middle(x):
        def innermost(v: float) -> float:
            return v * a
        return innermost(x) + b * x
    return middle


nested_closure = make_nested_closure(1.5)


def with_nested_function(x):
    def helper(v, w=0.5):
        return v * w
    sq = lambda v: v * v  # noqa: E731
    return helper(x) + sq(x)


def with_comprehensions(x):
    names = [str(i) for i in range(3)]
    table = {n: len(n) for n in names}
    total = sum(v for v in table.values())
    return x * total


def with_loops_and_branches(x, n=3):
    acc = 0.0
    for i in range(n):
        if i % 2 == 0:
            acc = acc + x * i
        else:
            acc = acc - x
    while acc > 100.0:
        acc = acc / 2.0
    return acc


def with_multiline_expression(x,
                              y=1.0):
    z = (x * y
         + np.cos(x)
         - 3.5)
    return np.sum(
        z * z
    )


def with_fstring_and_assert(x):
    assert np.all(np.isfinite(x)), f"bad {x}"
    label = "énergie"
    return np.sum(x) * len(label)


def unicode_names(x):
    ω = x * 2.0
    return ω * ω


class Base:
    def loss(self, x):
        return x * x


class Model(Base):
    def __init__(self):
        self.__scale = 2.0

    def loss(self, x):
        return super().loss(x) * self.__scale

    @staticmethod
    def static_loss(x, w=1.0):
        return x * w

    def method_with_private(self, x, __y=2.0):
        return x * __y

    class Inner:
        @staticmethod
        def deep(x):
            return x * 4.0


lambda_alone = lambda x: np.sum(x * x)  # noqa: E731
LAMBDAS = {"a": 1.0,
           "b": lambda x: x * 5.0, "c": lambda x: x * x}


def defaults_with_lambda(x, g=lambda v: v * 2.0):
    return x * 3.0


def constants_folded(x):
    return x * (2 * 3.0) + x ** -1 + 1e-3 + (1, 2)[0] * x


def make_lambda(c):
    return lambda x: x * c


closure_lambda = make_lambda(4.0)

FUNCTIONS = [plain, with_docstring, decorated, wrapped, closure, nested_closure,
             with_nested_function, with_comprehensions, with_loops_and_branches,
             with_multiline_expression, with_fstring_and_assert, unicode_names,
             Model.loss, Model.static_loss, Model.method_with_private, Model.Inner.deep,
             lambda_alone, LAMBDAS["b"], LAMBDAS["c"], defaults_with_lambda, constants_folded,
             closure_lambda, make_closure, make_nested_closure, Base.loss]
