"""A version is specialized to the shapes of the closure and global float arrays its
function reads, as to its arguments' (pipeline.free_arrays): the guard tests them where
the code reads them, so ``make_loss(X, y)``'s closure or a module's data array have
known shapes (a logistic loss of a closure: 2.8x -> about 1.6x the hand-written
gradient; a lambda over module data 1.9x -> 1.0x). Rebinding them is seen as Python
sees it: another shape gets another version, another value of the same shape is read
by the same version."""
import numpy as np

import tangentlike as tl

RNG = np.random.default_rng(1717)

DATA = RNG.standard_normal((20, 4))
TARGET = RNG.standard_normal(20)


def make_loss(X, y):
    def loss(w):
        p = 1 / (1 + np.exp(-X @ w))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return loss


def module_loss(w):
    return np.sum((DATA @ w - TARGET) ** 2)


def body(df):
    [version] = [v for v in df.versions.values() if v is not df.generic]
    return version.source


def test_a_closures_arrays_are_in_the_guard_and_their_shapes_known():
    X, y = RNG.standard_normal((30, 5)), (RNG.standard_normal(30) > 0).astype(float)
    loss = make_loss(X, y)
    w = 0.1 * RNG.standard_normal(5)
    df = tl.grad(loss)
    p = 1 / (1 + np.exp(-X @ w))
    np.testing.assert_allclose(df(w), X.T @ (p - y) / 30, rtol=1e-10)
    np.testing.assert_allclose(df(w), df.generic(w), rtol=1e-12)
    source = body(df)
    assert "X.shape == (30, 5)" in source and "y.shape == (30,)" in source
    for generic in ("unbroadcast", "quotient", "product_grad", "np.size"):
        assert generic not in source, generic
    tl.check_grads(loss, (w,), order=2)


def test_a_global_array_rebound_to_another_shape_or_value():
    global DATA, TARGET
    saved = DATA, TARGET
    try:
        w = RNG.standard_normal(4)
        df = tl.grad(module_loss)
        np.testing.assert_allclose(df(w), 2 * DATA.T @ (DATA @ w - TARGET), rtol=1e-10)
        assert "DATA.shape == (20, 4)" in body(df)
        DATA = DATA * 3.0   # same shape: the same version reads the new value
        np.testing.assert_allclose(df(w), 2 * DATA.T @ (DATA @ w - TARGET), rtol=1e-10)
        DATA, TARGET = RNG.standard_normal((7, 4)), RNG.standard_normal(7)
        np.testing.assert_allclose(df(w), 2 * DATA.T @ (DATA @ w - TARGET), rtol=1e-10)
        assert sum("DATA.shape == (7, 4)" in v.source for v in df.versions.values()) == 1
        DATA = DATA.tolist()   # no longer an array: a version that does not test it
        np.testing.assert_allclose(df(w), 2 * np.asarray(DATA).T @ (np.asarray(DATA) @ w
                                                                  - TARGET), rtol=1e-10)
        tl.check_grads(module_loss, (w,), order=2)
    finally:
        DATA, TARGET = saved


def test_a_lambda_over_module_data_and_an_integer_or_complex_free_array():
    w = RNG.standard_normal(4)
    df = tl.grad(lambda v: np.sum(np.tanh(DATA @ v) * TARGET))
    want = DATA.T @ ((1 - np.tanh(DATA @ w) ** 2) * TARGET)
    np.testing.assert_allclose(df(w), want, rtol=1e-10)
    counts, phases = np.arange(4), np.exp(1j * np.arange(4.0))
    df = tl.grad(lambda v: np.sum(v * counts) + np.sum(v * phases.real))
    np.testing.assert_allclose(df(w), counts + phases.real, rtol=1e-12)
    assert all("counts.shape" not in v.source and "phases.shape" not in v.source
               for v in df.versions.values())


# (probe16) a float32 closure or global array that the gradient of a float64 argument
# only meets: the version wrote bx = 1.0 * GF, a float32 gradient for a float64 array
# (the generic derivative's cast_back gives float64), in grad, vjp and value_and_grad
SINGLE = np.arange(3.0, dtype=np.float32)


def weighted_by_float32_data(x):
    return np.sum(SINGLE * x)


def make_weighted(c):
    def weighted(x):
        return np.sum(c * x)
    return weighted


def test_a_float32_free_array_keeps_a_float64_gradient():
    x = np.array([0.3, -0.4, 0.2])
    for f in (weighted_by_float32_data, make_weighted(SINGLE.copy())):
        df = tl.grad(f)
        for got in (df(x), df(x), tl.vjp(f)(x, 2.0), tl.value_and_grad(f)(x)[1]):
            assert got.dtype == np.float64 and got.shape == (3,)
        np.testing.assert_allclose(df(x), SINGLE, rtol=0)
        assert df(x.astype(np.float32)).dtype == np.float32
        # (not check_grads: with a seed other than 1.0 the version scales the float64
        # gradient, the generic derivative its float32 adjoint: they differ by float32's
        # rounding, beyond check_grads' 1e-9 between the two)
        np.testing.assert_allclose(tl.vjp(f)(x, 0.3), 0.3 * SINGLE, rtol=1e-6)
