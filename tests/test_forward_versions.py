"""grad and value_and_grad of one float argument: the version runs in forward mode.

With one input, one forward pass carries the whole derivative (the tangent, seeded with
grad's seed) beside the values, so a loop's version keeps no stack (reverse mode saves
each turn's values for its reversed loop). Checked here: the version's form, its values
against the generic (reverse) derivative and finite differences on both sides of each
branch and for zero, one and many turns, the kinds of its results, the seed, errors at
the user's line, and the fallback to a reverse version where a rule has no tangent.
"""
import numpy as np
import pytest

import tangentlike as tl
from tangentlike import d
from tangentlike.errors import NonScalarOutput
from tangentlike.rules import NONDIFF, RULES
from tangentlike.rules.domains import unary


def iterate(x, n):
    for i in range(n):
        x = np.sin(x) * 1.01 + 0.1 * x
    return x


def doubling(x, limit):
    y = x
    steps = 0
    while abs(y) < limit:
        if y > 0:
            y = y * 2.0 + np.cos(y)
        else:
            y = y * 1.5 - 0.1
        steps += 1
        if steps > 40:
            break
    return y * y


def spring(k, x0, n):
    x = x0.copy()
    v = np.zeros_like(x0)
    for step in range(n):
        v = v + 0.01 * k * (np.roll(x, 1) + np.roll(x, -1) - 2.0 * x)
        x = x + 0.01 * v
    return np.sum(x * x)


def helper(a, b):
    return a * np.exp(-b)


def with_helper_and_list(x, m):
    items = []
    for i in range(m):
        items.append(helper(x, 0.1 * i))
    z = np.zeros(3)
    z[1] = x * x
    return sum(items) + np.sum(z) + max(x, 0.25)


def fd(f, x, *rest, h=1e-6):
    return (f(x + h, *rest) - f(x - h, *rest)) / (2 * h)


CASES = [(iterate, (0.7, 0)), (iterate, (0.7, 1)), (iterate, (0.7, 50)),
         (doubling, (0.3, 100.0)), (doubling, (-0.3, 100.0)), (doubling, (500.0, 100.0)),
         (spring, (30.0, np.linspace(-1.0, 1.0, 8), 0)),
         (spring, (30.0, np.linspace(-1.0, 1.0, 8), 20)),
         (with_helper_and_list, (0.6, 0)), (with_helper_and_list, (0.6, 3)),
         (with_helper_and_list, (0.1, 3))]


@pytest.mark.parametrize("f,args", CASES)
def test_the_version_of_one_float_is_forward_mode_and_agrees(f, args):
    df = tl.grad(f)
    got = df(*args)
    (version,) = df.versions.values()
    assert "stack" not in version.source and "reversed" not in version.source
    assert "the derivative above is for the seed 1.0" in version.source   # (forward mode)
    expected = df.generic(*args, 1.0)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(got, fd(f, *args), rtol=1e-5, atol=1e-8)
    value, grad = tl.value_and_grad(f)(*args)
    assert value == f(*args) and grad == got
    assert tl.grad(f, wrt=(0,))(*args) == (got,)
    np.testing.assert_allclose(df(*args, 2.5), 2.5 * got, rtol=1e-12)
    np.testing.assert_allclose(df(*args, np.float32(-0.5)), -0.5 * got, rtol=1e-6)


@pytest.mark.parametrize("kind", [float, np.float64, np.float32, np.array])
def test_the_gradient_has_the_arguments_kind(kind):
    x = kind(0.7) if kind is not np.array else np.array(0.7)
    got = tl.grad(iterate)(x, 5)
    expected = tl.grad(iterate).generic(x, 5, 1.0)
    assert type(got) is type(expected)
    assert getattr(got, "dtype", None) == getattr(expected, "dtype", None)
    if kind is np.float32:
        assert got.dtype == np.float32


@pytest.mark.parametrize("f,args", [(iterate, (0.7, 5)), (doubling, (0.3, 100.0)),
                                    (doubling, (-0.3, 100.0)), (with_helper_and_list, (0.6, 3))])
def test_second_order_of_one_float(f, args):
    """grad of grad: the outer version is forward mode over the reverse derivative."""
    hessian = tl.grad(tl.grad(f))
    got = hessian(*args)
    assert "specialized to x: float" in next(iter(hessian.versions.values())).source
    np.testing.assert_allclose(got, hessian.generic(*args, 1.0, 1.0), rtol=1e-10)
    np.testing.assert_allclose(got, fd(tl.grad(f), *args), rtol=1e-5, atol=1e-7)


def vector_output(x):
    y = np.array([x, 2.0 * x])
    return y


def tuple_output(x):
    return x, x * x


def test_a_non_scalar_output_is_refused_at_the_return_line():
    for f, line in [(vector_output, vector_output.__code__.co_firstlineno + 2),
                    (tuple_output, tuple_output.__code__.co_firstlineno + 1)]:
        with pytest.raises(NonScalarOutput) as info:
            tl.grad(f)(0.5)
        assert info.value.lineno == line


def no_tangent_rule(x):
    return x * 2.0


def uses_rule_without_tangent(x, n):
    for i in range(n):
        x = no_tangent_rule(x) * 0.5 + np.sin(x)
    return x


@pytest.fixture
def adjoint_only_rule():
    saved_rules, saved_nondiff = dict(RULES), dict(NONDIFF)

    @tl.adjoint(no_tangent_rule, cases=unary())
    def no_tangent_rule_adjoint(y, x):
        d[x] = d[y] * 2.0
    yield
    RULES.clear()
    RULES.update(saved_rules)
    NONDIFF.clear()
    NONDIFF.update(saved_nondiff)


def test_a_rule_without_tangent_gives_a_reverse_version(adjoint_only_rule):
    df = tl.grad(uses_rule_without_tangent)
    got = df(0.4, 3)
    (version,) = df.versions.values()
    assert "stack" in version.source and "specialized to x: float" in version.source
    np.testing.assert_allclose(got, fd(uses_rule_without_tangent, 0.4, 3), rtol=1e-6)
