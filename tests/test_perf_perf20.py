"""Generated code of issue 6's cases of session perf20: each pass keeps the generic
derivative's values (at inf and nan too) and finite differences'."""
import numpy as np
import pytest

import tangentlike as tl
from util import adjoint_code, the_version, same_as_generic as same

RNG = np.random.default_rng(2020)


# -- matrix products of float64 arrays as the method a.dot(b) ----------------------------

def bilinear(x, A, y):
    return x @ A @ y


def relu_softmax_head(W1, b1, W2, X, Y):
    h = np.maximum(X @ W1 + b1, 0.0)
    z = h @ W2
    m = np.max(z, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return -np.sum(Y * (z - lse)) / X.shape[0]


def gated_loop(W, U, xs, h0):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        z = 1.0 / (1.0 + np.exp(-(W @ h + xs[t])))
        c = np.tanh(U @ h)
        h = z * h + (1.0 - z) * c
        loss = loss + np.sum(h * h)
    return loss


def outer_and_dot(W, x, v):
    u = np.dot(W, x)
    return np.sum(np.outer(u, v) ** 2)


def batched(A, x):
    # (a 3-d operand: @ broadcasts over its first axis, which a.dot would not)
    return np.sum((A @ x) ** 2)


def without_comments(source):
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))


def test_matrix_products_of_float64_arrays_are_the_dot_method():
    x, A, y = RNG.standard_normal(50), RNG.standard_normal((50, 50)), RNG.standard_normal(50)
    df = tl.grad(bilinear)
    got = df(x, A, y)
    assert adjoint_code(the_version(df)).split("\n")[0].strip() == "bx = A.dot(y)"
    np.testing.assert_array_equal(got, A @ y)
    same(df(x, A, y, 2.5), df.generic(x, A, y, 2.5))
    tl.check_grads(bilinear, (x, A, y), wrt=(0, 1, 2), order=2, modes=("rev", "fwd"))

    args = (0.3 * RNG.standard_normal((6, 8)), 0.1 * RNG.standard_normal(8),
            0.3 * RNG.standard_normal((8, 5)), RNG.standard_normal((7, 6)),
            np.eye(5)[RNG.integers(0, 5, 7)])
    df = tl.grad(relu_softmax_head, wrt=(0, 1, 2))
    got = df(*args)
    code = the_version(df)
    # the forward products, and the adjoint's through the reductions' adjoints
    assert "t1 = X.dot(W1)" in code and "z = h.dot(W2)" in code and "@" not in \
        adjoint_code(code).split("share(")[0], code
    same(got, df.generic(*args, 1.0))
    tl.check_grads(relu_softmax_head, args, wrt=(0, 1, 2), order=1, modes=("rev", "fwd"))

    args = (0.3 * RNG.standard_normal((4, 4)), 0.3 * RNG.standard_normal((4, 4)),
            RNG.standard_normal((6, 4)), RNG.standard_normal(4))
    df = tl.grad(gated_loop, wrt=(0, 1))
    got = df(*args)
    code = the_version(df)
    assert "W.dot(h)" in code and "U.dot(h)" in code, code
    same(got, df.generic(*args, 1.0))
    tl.check_grads(gated_loop, args, wrt=(0, 1), order=1, modes=("rev", "fwd"))


def test_outer_of_vectors_and_np_dot_as_methods():
    W, x, v = RNG.standard_normal((3, 4)), RNG.standard_normal(4), RNG.standard_normal(5)
    df = tl.grad(outer_and_dot, wrt=(0, 1, 2))
    got = df(W, x, v)
    code = without_comments(the_version(df))
    assert "u = W.dot(x)" in code and "= u[:, None] * v" in code, code
    same(got, df.generic(W, x, v, 1.0))
    tl.check_grads(outer_and_dot, (W, x, v), wrt=(0, 1, 2), order=2, modes=("rev", "fwd"))


def chained(x, A, B):
    return np.sum(np.tanh(x @ A @ B))


def test_chained_products_are_methods_each():
    x, A, B = RNG.standard_normal(4), RNG.standard_normal((4, 5)), RNG.standard_normal((5, 3))
    df = tl.grad(chained, wrt=(0, 1, 2))
    got = df(x, A, B)
    code = the_version(df)
    assert "t2 = t1.dot(B)" in code and "bx = A.dot(bt1)" in code \
        and "bA = x[:, None] * bt1" in code, code
    same(got, df.generic(x, A, B, 1.0))
    tl.check_grads(chained, (x, A, B), wrt=(0, 1, 2), order=2, modes=("rev", "fwd"))


def test_products_the_method_would_change_keep_their_operator():
    A, x = RNG.standard_normal((3, 4, 5)), RNG.standard_normal(5)
    df = tl.grad(batched)
    got = df(A, x)
    assert ".dot(" not in the_version(df)
    same(got, df.generic(A, x, 1.0))
    tl.check_grads(batched, (A, x), order=1, modes=("rev",))
    # float32 operands: NumPy's own product, whatever its method would do
    x32, A32, y32 = (a.astype(np.float32) for a in (RNG.standard_normal(6),
                                                      RNG.standard_normal((6, 6)),
                                                      RNG.standard_normal(6)))
    df = tl.grad(bilinear)
    got = df(x32, A32, y32)
    assert ".dot(" not in the_version(df) and got.dtype == np.float32
    same(got, df.generic(x32, A32, y32, 1.0))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_dot_method_keeps_nan_and_inf():
    x, A, y = RNG.standard_normal(5), RNG.standard_normal((5, 5)), RNG.standard_normal(5)
    A[1, 2], y[3], x[0] = np.inf, np.nan, -np.inf
    df = tl.grad(bilinear, wrt=(0, 1, 2))
    same(df(x, A, y), df.generic(x, A, y, 1.0))
    args = [0.3 * RNG.standard_normal((6, 8)), 0.1 * RNG.standard_normal(8),
            0.3 * RNG.standard_normal((8, 5)), RNG.standard_normal((7, 6)),
            np.eye(5)[RNG.integers(0, 5, 7)]]
    args[3][2, 1], args[0][0, 0] = np.nan, np.inf
    df = tl.grad(relu_softmax_head, wrt=(0, 1, 2))
    got = df(*args)
    assert ".dot(" in the_version(df) and np.isnan(got[0]).any()
    same(got, df.generic(*args, 1.0))


# -- a module's float constant (np.pi) has a stand-in: what is computed for a dtype goes ---

def gauss_diag(mu, logvar, X):
    var = np.exp(logvar)
    d = X - mu
    return 0.5 * np.sum(d * d / var + logvar + np.log(2.0 * np.pi))


def test_terms_of_np_pi_are_not_computed_for_their_dtype():
    mu, logvar, X = RNG.standard_normal(4), 0.1 * RNG.standard_normal(4), \
        RNG.standard_normal((9, 4))
    df = tl.grad(gauss_diag, wrt=(0, 1))
    got = df(mu, logvar, X)
    code = without_comments(the_version(df))
    assert "np.log(" not in code and "np.result_type(t" not in code, code
    iv = np.exp(-logvar)
    np.testing.assert_allclose(got[0], -iv * np.sum(X - mu, axis=0), rtol=1e-12)
    np.testing.assert_allclose(got[1], 0.5 * (9 - np.sum((X - mu) ** 2, axis=0) * iv),
                               rtol=1e-12)
    same(got, df.generic(mu, logvar, X, 1.0))
    tl.check_grads(gauss_diag, (mu, logvar, X), wrt=(0, 1), order=2, modes=("rev", "fwd"))
    with np.errstate(all="ignore"):
        X[1, 2], logvar[2] = np.nan, -np.inf
        same(df(mu, logvar, X), df.generic(mu, logvar, X, 1.0))
        # (an infinite factor 1 / var of a column of finite terms: optimize.factor_sums
        # multiplies their sum, see docs/conventions.md and tests/test_perf_perf21.py)


def clip_chain(w, X, y):
    r = X @ w - y
    c = np.minimum(np.maximum(r, -1.0), 1.0)
    return np.sum(c * c)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_products_of_maximum_and_minimum_shares_are_methods():
    w, X, y = RNG.standard_normal(3), RNG.standard_normal((8, 3)), RNG.standard_normal(8)
    df = tl.grad(clip_chain)
    got = df(w, X, y)
    assert "bw = br.dot(X)" in the_version(df)
    same(got, df.generic(w, X, y, 1.0))
    tl.check_grads(clip_chain, (w, X, y), order=1, modes=("rev", "fwd"))
    # ties (each side half), nan and inf as the generic derivative
    y[:3] = X[:3] @ w - np.array([1.0, -1.0, 0.0])
    X[5, 1], y[6] = np.nan, np.inf
    same(df(w, X, y), df.generic(w, X, y, 1.0))


# -- a sum along the middle axis of three as np.einsum ----------------------------------

def repulsion(X):
    D = X[:, None, :] - X[None, :, :]
    r2 = np.sum(D * D, axis=2) + 1.0
    return np.sum(1.0 / r2)


def test_middle_axis_sum_of_pairwise_differences_is_einsum():
    X = RNG.standard_normal((12, 3))
    df = tl.grad(repulsion)
    got = df(X)
    code = the_version(df)
    # (since perf21 its sums are matrix products, optimize.pairwise_sums: no bD at all)
    assert "bD_pairs.dot(X)" in code and "np.einsum" not in code, code
    D = X[:, None, :] - X[None, :, :]
    G = -1.0 / (np.sum(D * D, axis=2) + 1.0) ** 2
    np.testing.assert_allclose(got, 4.0 * (G.sum(axis=1)[:, None] * X - G @ X), rtol=1e-12)
    np.testing.assert_allclose(got, df.generic(X, 1.0), rtol=1e-12)
    tl.check_grads(repulsion, (X,), order=2, modes=("rev", "fwd"))
    with np.errstate(all="ignore"):
        X[2, 1], X[5, 0] = np.nan, np.inf
        np.testing.assert_array_equal(np.isnan(df(X)), np.isnan(df.generic(X, 1.0)))


def sum_over_middle(A, w):
    B = A * w
    return np.sum(np.sum(B, axis=1) ** 2)


def test_middle_axis_sums_in_the_function_and_of_other_ranks():
    # the user's own sum along axis 1 of a 3-d array; of a 2-d one it stays a sum
    A, w = RNG.standard_normal((4, 6, 3)), RNG.standard_normal(3)
    df = tl.grad(sum_over_middle, wrt=(0, 1))
    got = df(A, w)
    assert "t1 = np.einsum('ijk->ik', B)\n" in the_version(df)
    np.testing.assert_array_equal(got[0], df.generic(A, w, 1.0)[0])
    same(got, df.generic(A, w, 1.0))
    tl.check_grads(sum_over_middle, (A, w), wrt=(0, 1), order=1, modes=("rev", "fwd"))
    A2, w2 = RNG.standard_normal((4, 6)), RNG.standard_normal(6)
    df = tl.grad(sum_over_middle, wrt=(0, 1))
    got = df(A2, w2)
    assert "einsum" not in the_version(df)
    same(got, df.generic(A2, w2, 1.0))


# -- items of a tuple argument read by constant index have the items' stand-ins ---------

def mlp_params(params, x):
    W1, b1, W2, b2 = params
    h = np.tanh(W1 @ x + b1)
    y = W2 @ h + b2
    return np.sum(y * y)


def scaled_pair(pair, x):
    a, s = pair
    return np.sum((a * s) @ x)


def test_items_of_a_tuple_argument_are_known_arrays():
    params = (0.3 * RNG.standard_normal((6, 5)), 0.1 * RNG.standard_normal((6, 1)),
              0.3 * RNG.standard_normal((3, 6)), 0.1 * RNG.standard_normal((3, 1)))
    x = RNG.standard_normal((5, 4))
    df = tl.grad(mlp_params)
    got = df(params, x)
    code = the_version(df)
    assert "t1 = W1.dot(x)" in code and "bW1 = bt2.dot(x.T)" in code, code
    same(got, df.generic(params, x, 1.0))
    tl.check_grads(mlp_params, (params, x), order=1, modes=("rev", "fwd"))
    # float32 items: their own dtype, NumPy's products
    p32 = tuple(p.astype(np.float32) for p in params)
    got = df(p32, x.astype(np.float32))
    assert all(g.dtype == np.float32 for g in got) and ".dot(" not in the_version(df)
    same(got, df.generic(p32, x.astype(np.float32), 1.0))
    # an item that is a number
    pair, v = (RNG.standard_normal((3, 4)), 0.5), RNG.standard_normal(4)
    ds = tl.grad(scaled_pair)
    got = ds(pair, v)
    np.testing.assert_allclose(got[0], 0.5 * np.outer(np.ones(3), v), rtol=1e-14)
    np.testing.assert_allclose(got[1], np.sum(pair[0] @ v), rtol=1e-14)
    tl.check_grads(scaled_pair, (pair, v), order=1, modes=("rev",))
