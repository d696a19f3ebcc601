"""Generated code of variations of the benchmark's cases (issue 6, session var16): each
version avoids a cost the hand-written gradient does not have, and gives the generic
derivative's values (also at inf and nan) and finite differences'."""
import re

import numpy as np
import pytest

import tangentlike as tl
from util import written_numbers

RNG = np.random.default_rng(1616)


def version_sources(df):
    return [written_numbers(v) for v in df.versions.values()]


def code_lines(source):
    return [line.strip() for line in source.splitlines() if not line.strip().startswith("#")]


# -- np.inner of vectors is their dot product -------------------------------------------

def twice_inner(x):
    return 2 * np.inner(x, x)


def inner_of_two(a, b):
    return np.inner(a, b) ** 2


def inner_matrix_vector(A, b):
    return np.sum(np.inner(A, b) ** 2)


def test_inner_of_a_vector_with_itself_is_one_product():
    # the adjoint was two np.tensordot(bt1, x, inner_axes(x, x, k)): 30x the
    # hand-written 4.0 * x at 1e6 elements
    x = RNG.standard_normal(7)
    df = tl.grad(twice_inner)
    got = df(x)
    (source,) = version_sources(df)
    assert "bx = 4.0 * x" in code_lines(source)
    assert "tensordot" not in source and "inner_axes" not in source
    np.testing.assert_array_equal(got, 4.0 * x)
    np.testing.assert_array_equal(got, df.generic(x, 1.0))
    np.testing.assert_array_equal(df(x, 3.0), df.generic(x, 3.0))
    tl.check_grads(twice_inner, (x,), order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("f, shapes", [(inner_of_two, ((5,), (5,))),
                                       (inner_matrix_vector, ((3, 5), (5,)))])
def test_inner_with_a_vector_is_a_product(f, shapes):
    args = tuple(RNG.standard_normal(s) for s in shapes)
    df = tl.grad(f, wrt=(0, 1))
    got = df(*args)
    (source,) = version_sources(df)
    assert "tensordot" not in source and "inner_axes" not in source
    for g, want in zip(got, df.generic(*args, 1.0)):
        assert g.shape == want.shape and g.dtype == want.dtype
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-15)
    tl.check_grads(f, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


def test_inner_keeps_tensordot_where_it_is_not_a_product():
    # two matrices (np.inner(A, B) is A @ B.T) and float32 vectors (times a Python float
    # a float32 array stays float32, tensordot's result is float64) keep the rule
    A, B = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 4))
    df = tl.grad(lambda A, B: np.sum(np.inner(A, B) ** 2), wrt=(0, 1))
    got = df(A, B)
    assert "tensordot" in version_sources(df)[0]
    for g, want in zip(got, df.generic(A, B, 1.0)):
        np.testing.assert_allclose(g, want, rtol=1e-13)
    x = RNG.standard_normal(5).astype(np.float32)
    df = tl.grad(twice_inner)
    got = df(x)
    want = df.generic(x, 1.0)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_inner_at_inf_and_nan_is_the_generic_value():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e308])
    df = tl.grad(twice_inner)
    with np.errstate(all="ignore"):   # (1e308 overflows, in the function too)
        got, want = df(x), df.generic(x, 1.0)
    # (the same numbers; at -0.0 the version's 4.0 * x is -0.0 like the hand-written
    # gradient's, tensordot's sum +0.0)
    np.testing.assert_array_equal(got, want)


# -- a loop that sums a state it carries: the sum's adjoint added as a number -----------

def rnn_mean(Wh, Wx, xs, h0):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
        total = total + np.sum(h)
    return total / xs.shape[0]


def mean_then_step(x, a):
    total = 0.0
    i = 0
    while i < 5:
        total = total + np.mean(x)
        x = np.sin(a * x)
        i = i + 1
    return total + np.sum(x * x)


def sum_before_reset(x):
    h = x
    total = 0.0
    for t in range(4):
        total = total + np.sum(h * 2.0) + np.sum(h)
        h = h * h if t % 2 else np.cos(h)
    return total


@pytest.mark.parametrize("f, args, wrt, added", [
    (rnn_mean, ((4, 4), (4, 3), (6, 3), (4,)), (0, 1, 3), r"bh0 = bh0 \+ btotal"),
    (mean_then_step, ((5,), ()), (0, 1), r"bx = bx \+ 1.0 / 5"),
    (sum_before_reset, ((3, 2),), (0,), r"bx = bx \+ btotal"),
])
def test_sum_of_a_carried_state_adds_a_number(f, args, wrt, added):
    # bh entered the reversed loop as 0.0, and each turn added
    # btotal + np.zeros((H,), dtype=np.result_type(float64, btotal)): an RNN returning the
    # mean of its hidden states was 1.21x its hand-written gradient, now 1.0x
    args = tuple(RNG.standard_normal(s) if s else 0.7 for s in args)
    df = tl.grad(f, wrt=wrt)
    got = df(*args)
    (source,) = version_sources(df)
    adjoint = "\n".join(code_lines(source.split("# adjoint", 1)[1]))
    before, loop = adjoint.split("\nfor ", 1)
    assert "np.zeros((" in before
    assert any(re.fullmatch(added, line) for line in loop.splitlines())
    if f is not sum_before_reset:   # (whose np.sum(h * 2.0) is spread as before)
        assert "np.zeros" not in loop and "result_type" not in loop
    for g, want in zip(got, df.generic(*args, 1.0)):
        assert np.shape(g) == np.shape(want)
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-15)
    tl.check_grads(f, args, wrt=wrt, order=2, modes=("rev", "fwd"))


def test_sum_of_a_carried_state_at_inf_and_nan_is_the_generic_value():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, 1.0])
    df = tl.grad(mean_then_step, wrt=(0, 1))
    with np.errstate(all="ignore"):
        got, want = df(x, 0.5), df.generic(x, 0.5, 1.0)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
