"""Generated code of variations of the benchmark's cases (issue 6, session var16): each
version avoids a cost the hand-written gradient does not have, and gives the generic
derivative's values (also at inf and nan) and finite differences'."""
import numpy as np
import pytest

import tangentlike as tl

RNG = np.random.default_rng(1616)


def version_sources(df):
    return [v.source for v in df.versions.values()]


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
