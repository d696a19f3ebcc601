"""Generated code of ML losses like the benchmark's (issue 6, session like16): each
version avoids a cost the hand-written gradient does not have, and gives the generic
derivative's values, also at the edges (inf, nan, overflow), and finite differences'."""
import warnings

import numpy as np
import pytest

import tangentlike as tl

from util import adjoint_code, version_sources
from tangentlike.rules.arithmetic import logistic

RNG = np.random.default_rng(1616)


# -- softplus: np.logaddexp(0, t) -------------------------------------------------------

def logistic_loss(w, X, y):
    return np.mean(np.logaddexp(0.0, -y * (X @ w)))


def softplus_right(x):
    return np.sum(np.logaddexp(x, 0) * x)


def logaddexp_of_two(x, y):
    return np.sum(np.logaddexp(x, 2.0 * y))


def test_softplus_gradient_computes_no_logaddexp():
    # the share of t in logaddexp(0, t) is logistic(t), which does not read the result:
    # the gradient computes no logaddexp (16 us of the 40 us at 1000 x 20) and no where
    w, X = 0.1 * RNG.standard_normal(5), RNG.standard_normal((40, 5))
    y = np.sign(RNG.standard_normal(40))
    df = tl.grad(logistic_loss)
    got = df(w, X, y)
    (source,) = version_sources(df)
    code = [line for line in source.splitlines() if not line.strip().startswith("#")]
    assert not any("logaddexp" in line for line in code)
    # (the mean's number divided into it: logistic_times, perf17)
    assert "logistic_times(" in source and "np.where" not in source and "np.zeros" not in source
    hand = -X.T @ (y / (1.0 + np.exp(y * (X @ w)))) / 40
    np.testing.assert_allclose(got, hand, rtol=1e-12, atol=1e-15)
    tl.check_grads(logistic_loss, (w, X, y), order=2, modes=("rev", "fwd"))
    # at w = 0 (every t = 0, where the logistic's kink-free slope is 1/4)
    tl.check_grads(logistic_loss, (np.zeros(5), X, y), order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("f", [softplus_right, logaddexp_of_two])
def test_other_logaddexps_stay_right(f):
    args = (RNG.standard_normal(6),) if f is softplus_right else \
        (RNG.standard_normal(6), RNG.standard_normal(6))
    tl.check_grads(f, args, wrt=tuple(range(len(args))), order=2, modes=("rev", "fwd"))


def softplus_sum(x):
    return np.sum(np.logaddexp(0.0, x))


def softplus(x):
    return np.logaddexp(0.0, x)


def test_softplus_at_the_edges_is_the_old_rules_value():
    # exp(t - logaddexp(0, t)) (the rule before, and the one of two variables) at inf,
    # -inf, nan, far below the overflow of exp(-t) and in the denormals: the same values
    x = np.array([np.inf, -np.inf, np.nan, -800.0, -720.0, -40.0, 0.0, 40.0, 800.0])
    with np.errstate(all="ignore"):
        z = np.logaddexp(0.0, x)
        before = np.exp(np.where(x == z, 0.0, x - z))
        df = tl.grad(softplus_sum)
        for g in (df(x), df.generic(x, 1.0), tl.jvp(softplus)(x, np.ones(9))):
            np.testing.assert_allclose(g, before, rtol=1e-15, atol=0)
    assert logistic(-720.0) > 0 and logistic(-40.0) == before[5]
    # no overflow where 1 / (1 + exp(-t)) has one (both underflow at -800, as NumPy's
    # logaddexp itself does)
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(df(x[3:]), before[3:], rtol=1e-15, atol=0)
    assert logistic(np.float32(3.0)).dtype == np.float32
    assert tl.grad(softplus_sum)(x[5:].astype(np.float32)).dtype == np.float32


def test_logistic_second_derivative():
    # d/dt logistic(t) = logistic(t) * logistic(-t): 1/4 at 0, small but not 0 far out
    h = tl.hessian(softplus_sum)(np.array([0.0, 40.0, -40.0]))
    np.testing.assert_allclose(np.diag(h), [0.25, np.exp(-40.0), np.exp(-40.0)], rtol=1e-12)


# -- new axes: np.expand_dims(g, k) of a known rank is g[:, None] ------------------------

def triplet(A, P, N):
    dp = np.sum((A - P) ** 2, axis=1)
    dn = np.sum((A - N) ** 2, axis=1)
    return np.mean(np.maximum(0.0, dp - dn + 1.0))


def cosine_loss(A, B):
    na = np.sqrt(np.sum(A * A, axis=1))
    nb = np.sqrt(np.sum(B * B, axis=1))
    return -np.sum(np.sum(A * B, axis=1) / (na * nb))


def column_means(X):
    return np.sum(np.tanh(np.mean(X, axis=0))) + np.sum(np.max(X, axis=-1) ** 2)


@pytest.mark.parametrize("f", [triplet, cosine_loss])
def test_row_sums_spread_by_new_axes(f):
    # the adjoint of np.sum(e, axis=1) is np.expand_dims(g, 1): a version writes the
    # view g[:, None] (np.expand_dims costs about 1 us a call, checks and normalizes)
    args = tuple(RNG.standard_normal((7, 4)) for _ in range(3 if f is triplet else 2))
    df = tl.grad(f)
    got = df(*args)
    (source,) = version_sources(df)
    assert "expand_dims" not in source and "[:, None]" in source
    assert "np.full" not in source and "np.zeros" not in source
    np.testing.assert_allclose(got, df.generic(*args, 1.0), rtol=1e-13, atol=1e-15)
    tl.check_grads(f, args, order=2, modes=("rev", "fwd"))


def test_new_axes_elsewhere():
    # axis 0, a negative axis, and a maximum's adjoint along the last axis
    X = RNG.standard_normal((5, 3))
    df = tl.grad(column_means)
    got = df(X)
    (source,) = version_sources(df)
    assert "expand_dims" not in source
    np.testing.assert_allclose(got, df.generic(X, 1.0), rtol=1e-13, atol=1e-15)
    tl.check_grads(column_means, (X,), order=2, modes=("rev", "fwd"))
    x3 = RNG.standard_normal((2, 3, 4))
    tl.check_grads(column_means, (x3,), order=2, modes=("rev", "fwd"))


# -- a spread added to an adjoint that is an array of its shape already --------------------

def vae_loss(mu, logvar, eps, Wd, X):
    z = mu + np.exp(0.5 * logvar) * eps
    rec = np.sum((z @ Wd - X) ** 2)
    kl = -0.5 * np.sum(1.0 + logvar - mu ** 2 - np.exp(logvar))
    return rec + kl


def constant_first(x):
    # the spread reaches x before any other contribution: it stays an array of x's shape
    return np.sum(1.0 + x) + np.sum(np.exp(x))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_spread_added_to_a_full_adjoint_is_not_made(dtype):
    # kl's sum spreads -0.5 over logvar's shape; logvar's adjoint is an array of that
    # shape already (-0.5 * -exp(logvar)): adding -0.5 to it is the same array, without
    # making np.zeros((128, 8)) + -0.5 first
    args = [RNG.standard_normal((6, 3)), 0.1 * RNG.standard_normal((6, 3)),
            RNG.standard_normal((6, 3)), 0.3 * RNG.standard_normal((3, 5)),
            RNG.standard_normal((6, 5))]
    args = tuple(a.astype(dtype) for a in args)
    df = tl.grad(vae_loss, wrt=(0, 1))
    got = df(*args)
    source = version_sources(df)[-1]   # (this dtype's)
    if dtype is np.float64:
        assert "np.zeros" not in source and "np.full" not in source
    assert all(g.dtype == dtype for g in got)
    for g, want in zip(got, df.generic(*args, 1.0)):
        np.testing.assert_allclose(g, want, rtol=1e-13 if dtype is np.float64 else 1e-5)
    if dtype is np.float64:
        tl.check_grads(vae_loss, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


def test_a_spread_that_comes_first_is_an_array():
    x = RNG.standard_normal((4, 3))
    df = tl.grad(constant_first)
    got = df(x)
    np.testing.assert_allclose(got, 1.0 + np.exp(x), rtol=1e-15)
    assert got.shape == (4, 3)
    got = df(x[:, :1])
    assert got.shape == (4, 1)
    tl.check_grads(constant_first, (x,), order=2, modes=("rev", "fwd"))


# -- np.where's adjoint for the seed 1.0: a cast of the condition ------------------------

def huber(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a <= 1.0, 0.5 * r * r, a - 0.5))


def relu_sum(x):
    return np.sum(np.where(x > 0.0, x, 0.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_huber_masks_are_casts(dtype):
    w, X = RNG.standard_normal(3).astype(dtype), RNG.standard_normal((20, 3)).astype(dtype)
    y = (2.0 * RNG.standard_normal(20)).astype(dtype)
    df = tl.grad(huber)
    got = df(w, X, y)
    source = version_sources(df)[-1]
    if dtype is np.float64:   # the two masks summed are one selection (perf18), which
        # is the residual clipped (perf19's clip_selections)
        assert "br = np.clip(r, -1.0, 1.0)" in adjoint_code(source)
        assert ".astype(" not in adjoint_code(source)
    else:                     # (float32: a selection would not be float64 as the masks)
        assert "np.where" not in adjoint_code(source)
        assert ".astype(float64)" in source
    np.testing.assert_allclose(got, np.clip(X @ w - y, -1.0, 1.0) @ X,
                               rtol=1e-12 if dtype is np.float64 else 1e-5)
    want = df.generic(w, X, y, 1.0)
    assert got.dtype == want.dtype
    if dtype is np.float64:   # (float32: the generic derivative rounds otherwise, as before)
        np.testing.assert_array_equal(got, want)
        tl.check_grads(huber, (w, X, y), order=1, modes=("rev", "fwd"))


def test_masks_at_the_edges_are_the_generic_values():
    # at inf the generic derivative gives 0.0 * inf = nan for the branch not taken, and
    # so does the cast; nan stays nan; signs of zero as np.where's
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 2.0, -3.0])
    df = tl.grad(relu_sum)
    with np.errstate(all="ignore"):
        got, want = df(x), df.generic(x, 1.0)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    assert "np.where" not in adjoint_code(version_sources(df)[0])
    with np.errstate(all="ignore"):
        w, X, y = np.ones(2), np.array([[np.inf, 0.0], [1.0, 0.5], [np.nan, 1.0]]), np.zeros(3)
        dh = tl.grad(huber)
        np.testing.assert_array_equal(dh(w, X, y), dh.generic(w, X, y, 1.0))


# -- cross-entropy with integer labels: p[np.arange(n), y] -------------------------------

def cross_entropy(W, X, y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    n = X.shape[0]
    return -np.mean(np.log(p[np.arange(n), y]))


def picked_rows(W, X, rows, y):
    # rows may repeat: their adjoints add up
    z = X @ W
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.mean(np.log(p[rows, y]))


def masked(x, mask):
    return np.sum(np.sin(x[mask]) * 2.0)


def test_integer_labels_pick_a_known_shape():
    # p[np.arange(n), y] of int arrays of known shapes has their shape: the mean's
    # adjoint is the number -1/n put at the picked elements, without the array of it,
    # and the log and the pick are not computed for their shape
    W, X = 0.1 * RNG.standard_normal((5, 4)), RNG.standard_normal((8, 5))
    y = RNG.integers(0, 4, 8)
    df = tl.grad(cross_entropy)
    got = df(W, X, y)
    (source,) = version_sources(df)
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))
    assert "np.zeros" not in code and "np.log" not in code
    # (and the log-softmax's closed form over one pick per row puts it into p * 0.125:
    # optimize.spread_over_picks, perf17)
    assert "bz_1 = p * 0.125" in code and "bz_1[t4, y] += -0.125" in code
    z = X @ W
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(8), y] -= 1.0
    np.testing.assert_allclose(got, X.T @ p / 8, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got, df.generic(W, X, y, 1.0), rtol=1e-13, atol=1e-16)
    tl.check_grads(cross_entropy, (W, X, y), order=2, modes=("rev", "fwd"))


def test_repeated_rows_and_masks_stay_right():
    W, X = 0.1 * RNG.standard_normal((5, 4)), RNG.standard_normal((8, 5))
    rows, y = np.array([0, 3, 3, 3, 7, 0]), np.array([1, 2, 2, 0, 3, 1])
    df = tl.grad(picked_rows)
    np.testing.assert_allclose(df(W, X, rows, y), df.generic(W, X, rows, y, 1.0),
                               rtol=1e-13, atol=1e-16)
    tl.check_grads(picked_rows, (W, X, rows, y), order=2, modes=("rev", "fwd"))
    x = RNG.standard_normal(6)
    for mask in (x > 0, np.zeros(6, dtype=bool), np.ones(6, dtype=bool)):
        g = tl.grad(masked)(x, mask)
        np.testing.assert_allclose(g, np.where(mask, 2.0 * np.cos(x), 0.0), rtol=1e-15)


# -- outer products of vectors made new each turn -----------------------------------------

def lstm(W, xs, h0):
    h = h0
    c = np.zeros_like(h0)
    H = h0.shape[0]
    for t in range(xs.shape[0]):
        z = W @ np.concatenate([xs[t], h])
        i = 1.0 / (1.0 + np.exp(-z[:H]))
        f = 1.0 / (1.0 + np.exp(-z[H:2 * H]))
        o = 1.0 / (1.0 + np.exp(-z[2 * H:3 * H]))
        g = np.tanh(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h * h)


def test_lstm_outer_products_are_batched():
    # the reversed step's bz is np.zeros each turn, its four parts added in, then
    # np.outer(bz, t6) accumulates into bW: bz is complete and never changed after, so
    # the turns' vectors are collected and multiplied once after the loop
    H, D, T = 3, 2, 4
    W = 0.4 * RNG.standard_normal((4 * H, D + H))
    xs, h0 = RNG.standard_normal((T, D)), 0.1 * RNG.standard_normal(H)
    df = tl.grad(lstm)
    got = df(W, xs, h0)
    (source,) = version_sources(df)
    loop = source.split("for t in reversed")[1]
    assert "np.outer" not in source and "bW_rows.append(bz)" in loop
    np.testing.assert_allclose(got, df.generic(W, xs, h0, 1.0), rtol=1e-12, atol=1e-15)
    tl.check_grads(lstm, (W, xs, h0), order=1, modes=("rev",))


FRESH = """
for t in range(3):
    bz = np.zeros((4,), dtype=float64)
    bz[:2] += a
    bz[2:] += b
    bW = bW + np.outer(bz, v)
    bh = bz @ W
"""


@pytest.mark.parametrize("change,fresh", [
    ("", True),
    ("    bz[0] += 1.0\n", False),                          # changed after the product
    ("    keep = bz\n", False),                             # kept under another name
    ("    bz = bz * 2.0\n", False),                         # assigned again
])
def test_fresh_each_turn(change, fresh):
    import gast
    from tangentlike.optimize import _accumulated_outer, _fresh_each_turn
    source = FRESH + change
    loop = gast.parse(source).body[0]
    outer = loop.body[3]
    assert _fresh_each_turn("bz", loop, outer) is fresh
    before = gast.parse(FRESH.replace("    bz = np.zeros((4,), dtype=float64)\n", "")).body[0]
    assert _fresh_each_turn("bz", before, before.body[2]) is False   # last turn's array
    outer.value.right.vectors = True
    assert (_accumulated_outer(outer, loop, {"bz"}) is not None) is fresh


# -- np.einsum's adjoint subscripts, known from the subscripts -----------------------------

def conv_layer(K, x, y):
    L = x.shape[1] - K.shape[2] + 1
    win = np.stack([x[:, j:j + L] for j in range(K.shape[2])], axis=2)
    out = np.tanh(np.einsum('oik,ilk->ol', K, win))
    return np.sum((out - y) ** 2)


def batched_forms(A, B):
    return np.sum(np.einsum('...ij,...jk->...ik', A, B) ** 2) + np.sum(np.einsum('ii->i', A[0]))


def test_einsum_subscripts_are_constants():
    # einsum_adjoint and einsum_placement depend on the subscripts alone where no '...'
    # needs the operands' dimensions: a version writes their values, and einsum_place
    # of equal subscripts is its operand
    K, x = 0.3 * RNG.standard_normal((3, 2, 3)), RNG.standard_normal((2, 9))
    y = RNG.standard_normal((3, 7))
    df = tl.grad(conv_layer)
    got = df(K, x, y)
    (source,) = version_sources(df)
    assert "einsum_adjoint" not in source and "einsum_place" not in source
    assert "np.einsum('ol,ilk->oik', " in source
    np.testing.assert_allclose(got, df.generic(K, x, y, 1.0), rtol=1e-13, atol=1e-15)
    tl.check_grads(conv_layer, (K, x, y), order=2, modes=("rev", "fwd"))


def test_einsum_with_ellipses_and_diagonals_stays_right():
    A, B = RNG.standard_normal((2, 3, 3)), RNG.standard_normal((2, 3, 4))
    df = tl.grad(batched_forms, wrt=(0, 1))
    got = df(A, B)
    (source,) = version_sources(df)
    assert "einsum_adjoint('...ij" in source   # (the letters of '...' count dimensions)
    for g, want in zip(got, df.generic(A, B, 1.0)):
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-15)
    tl.check_grads(batched_forms, (A, B), wrt=(0, 1), order=2, modes=("rev", "fwd"))
