"""Generated code of issue 6's neighbours of session perf22: each pass keeps the generic
derivative's values (at inf and nan too, where it touches them) and finite
differences'."""
import numpy as np
import pytest

import tangentlike as tl
from util import the_version, same_as_generic

RNG = np.random.default_rng(2222)


def same(got, want):
    same_as_generic(got, want, rtol=1e-12, atol=1e-14)


def without_comments(source):
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))


# -- loops over displays inside loops unrolled, lists they fill as names (unroll.py) -----

def rk4(x0, dt, n):
    x = x0
    for _ in range(n):
        ks = []
        for c in (0.0, 0.5, 0.5, 1.0):
            xi = x if not ks else x + c * dt * ks[-1]
            ks.append(np.array([xi[1], -np.sin(xi[0])]))
        x = x + dt / 6.0 * (ks[0] + 2.0 * ks[1] + 2.0 * ks[2] + ks[3])
    return np.sum(x * x)


@pytest.mark.parametrize("n", [0, 1, 7])
def test_inner_loop_over_a_display_is_unrolled_and_its_list_named(n):
    args = (np.array([1.0, -0.3]), 0.05, n)
    df = tl.grad(rk4, wrt=(0, 1))
    got = df(*args)
    code = without_comments(the_version(df))
    # one loop forward, one reversed; no list of stages, no inner loop
    assert sum(line.lstrip().startswith("for ") for line in code.splitlines()) == 2 and "ks.append" not in code and "last_item" not in code \
        and "ks = []" not in code and "bks" not in code.replace("bks_", ""), code
    same(got, df.generic(*args, 1.0))
    same(df(*args, -1.5), df.generic(*args, -1.5))
    tl.check_grads(rk4, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


def rk4_once(x0, dt):
    ks = []
    for c in (0.0, 0.5, 0.5, 1.0):
        xi = x0 if not ks else x0 + c * dt * ks[-1]
        ks.append(np.array([xi[1], -np.sin(xi[0])]))
    x = x0 + dt / 6.0 * (ks[0] + 2.0 * ks[1] + 2.0 * ks[2] + ks[len(ks) - 1])
    return np.sum(x * x)


def test_list_filled_by_a_top_level_unrolled_loop_is_named():
    args = (np.array([0.4, 1.1]), 0.1)
    df = tl.grad(rk4_once, wrt=(0, 1))
    got = df(*args)
    code = without_comments(the_version(df))
    assert "ks_0 = " in code and "ks_3 = " in code and "ks.append" not in code \
        and "last_item" not in code and "    if t" not in code, code
    same(got, df.generic(*args, 1.0))
    tl.check_grads(rk4_once, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_unrolled_inner_loop_keeps_nan_and_inf():
    df = tl.grad(rk4, wrt=(0, 1))
    for x0 in (np.array([np.inf, 0.2]), np.array([0.3, np.nan])):
        same(df(x0, 0.05, 3), df.generic(x0, 0.05, 3, 1.0))


def inner_break(x, w):
    s = 0.0
    for _ in range(3):
        for c in (1.0, 2.0, 3.0):
            if c > w:
                break
            s = s + np.sum(np.sin(c * x))
        x = x * 0.9
    return s


def test_inner_loop_with_break_stays_a_loop():
    x = RNG.standard_normal(3)
    df = tl.grad(inner_break)
    for w in (0.5, 2.5, 5.0):
        same(df(x, w), df.generic(x, w, 1.0))
        tl.check_grads(inner_break, (x, w), wrt=(0,), order=1, modes=("rev", "fwd"))
    assert "break" in the_version(df)


def list_read_after(x):
    ks = []
    for _ in range(2):
        ks = []
        for c in (0.5, 2.0):
            ks.append(np.sin(c * x))
        x = ks[0] * ks[-1]
    return np.sum(x) + np.sum(ks[1])


def list_stacked(x):
    for _ in range(2):
        ks = []
        for c in (0.5, 2.0):
            ks.append(np.sin(c * x))
        x = np.sum(np.stack(ks), axis=0) * ks[1] + len(ks)
    return np.sum(x)


def list_index_by_counter(x):
    for i in range(2):
        ks = []
        for c in (0.5, 2.0):
            ks.append(np.sin(c * x))
        x = ks[i] * ks[1 - i] + len(ks)
    return np.sum(x)


@pytest.mark.parametrize("f", [list_read_after, list_stacked, list_index_by_counter])
def test_list_read_otherwise_stays_a_list(f):
    x = RNG.standard_normal(4)
    df = tl.grad(f)
    same(df(x), df.generic(x, 1.0))
    assert ".append(" in the_version(df)
    tl.check_grads(f, (x,), order=2, modes=("rev", "fwd"))


def while_with_len(x, n):
    k = 0
    while k < n:
        ks = []
        y = 2.0 * x
        for W in (x, y):
            if len(ks) == 1:
                ks.append(ks[0] * W)
            ks.append(np.tanh(W))
        x = ks[-1] + ks[0] * len(ks)
        k += 1
    return np.sum(x)


def test_inner_loop_in_while_with_len_and_reads():
    # (if len(ks) == 1 is a branch that appends: the list stays, the loop is unrolled)
    x = 0.3 * RNG.standard_normal(3)
    df = tl.grad(while_with_len)
    df(x, 2)
    code = without_comments(the_version(df))
    assert "np.tanh(x)" in code and "np.tanh(y)" in code and ".append(" in code, code
    for n in (0, 1, 3):
        same(df(x, n), df.generic(x, n, 1.0))
        tl.check_grads(while_with_len, (x, n), wrt=(0,), order=2, modes=("rev", "fwd"))


def too_many(x):
    for _ in range(2):
        for c in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4,
                  1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8,
                  2.9, 3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1):
            b = np.sin(c * x)
            d = b * b
            x = x + 0.01 * d
            x = x * 0.99
            x = x - 0.001
    return np.sum(x)


def test_large_inner_loop_stays_a_loop():
    # 41 turns of 5 statements: more than unroll.MAX_STATEMENTS
    x = RNG.standard_normal(3)
    df = tl.grad(too_many)
    same(df(x), df.generic(x, 1.0))
    code = without_comments(the_version(df))
    assert sum(line.lstrip().startswith("for ") for line in code.splitlines()) == 4, code
    tl.check_grads(too_many, (x,), order=1, modes=("rev", "fwd"))


def rk4_range(x0, dt, n):
    x = x0
    for _ in range(n):
        ks = []
        for k in range(4):
            xi = x if k == 0 else x + (0.5 if k < 3 else 1.0) * dt * ks[k - 1]
            ks.append(np.array([xi[1], -np.sin(xi[0])]))
        x = x + dt / 6.0 * (ks[0] + 2.0 * ks[1] + 2.0 * ks[2] + ks[3])
    return np.sum(x * x)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_inner_loop_over_a_constant_range_is_unrolled(n):
    args = (np.array([0.2, 0.7]), 0.1, n)
    df = tl.grad(rk4_range, wrt=(0, 1))
    got = df(*args)
    code = without_comments(the_version(df))
    assert sum(line.lstrip().startswith("for ") for line in code.splitlines()) == 2 \
        and "ks.append" not in code and "    if t" not in code, code
    same(got, df.generic(*args, 1.0))
    tl.check_grads(rk4_range, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


def inner_range_of_size(x, W):
    s = 0.0
    for _ in range(2):
        for j in range(W.shape[0] - 1):
            s = s + np.sum(np.tanh(W[j] * x) * W[j + 1])
        x = np.sin(x)
    return s


def test_inner_range_of_an_argument_size_is_unrolled():
    x, W = RNG.standard_normal(3), RNG.standard_normal((4, 3))
    df = tl.grad(inner_range_of_size, wrt=(0, 1))
    got = df(x, W)
    code = without_comments(the_version(df))
    assert sum(line.lstrip().startswith("for ") for line in code.splitlines()) == 2, code
    same(got, df.generic(x, W, 1.0))
    tl.check_grads(inner_range_of_size, (x, W), wrt=(0, 1), order=2, modes=("rev", "fwd"))


# -- negations that the later passes of a version make, folded again (optimize) ---------

def gmm(mu, logs, X):
    z = (X[:, None] - mu[None, :]) / np.exp(logs)
    lp = -0.5 * z * z - logs
    m = np.max(lp, axis=1, keepdims=True)
    return -np.sum(m[:, 0] + np.log(np.sum(np.exp(lp - m), axis=1)))


def gmm_args():
    return RNG.standard_normal(5), 0.1 * RNG.standard_normal(5), RNG.standard_normal(40)


def test_negation_made_by_later_passes_is_folded():
    args = gmm_args()
    df = tl.grad(gmm, wrt=(0, 1))
    got = df(*args)
    code = without_comments(the_version(df))
    # collect_terms made bz = -(bt8 * z): its readers take the sign (bmu, blogs)
    assert "-(" not in code and "= -np." not in code, code
    same(got, df.generic(*args, 1.0))
    same(df(*args, 0.5), df.generic(*args, 0.5))
    tl.check_grads(gmm, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_folded_negation_keeps_nan_and_inf():
    mu, logs, X = gmm_args()
    X = X.copy()
    X[3], X[7] = np.inf, np.nan
    df = tl.grad(gmm, wrt=(0, 1))
    same(df(mu, logs, X), df.generic(mu, logs, X, 1.0))


# -- the adjoint of a symmetric clip chain as one mask (optimize.clip_shares) ------------

def clip_chain(w, X, y):
    r = X @ w - y
    c = np.minimum(np.maximum(r, -1.0), 1.0)
    return np.sum(c * c)


def clip_asymmetric(w, X, y):
    r = X @ w - y
    c = np.minimum(np.maximum(r, -1.0), 2.0)
    return np.sum(c * c)


def clip_args(rows=30):
    return RNG.standard_normal(4), RNG.standard_normal((rows, 4)), RNG.standard_normal(rows)


def test_clip_chain_adjoint_is_one_mask():
    args = clip_args()
    df = tl.grad(clip_chain)
    got = df(*args)
    code = without_comments(the_version(df))
    assert "share(" not in code.replace("clip_share(", "") \
        and code.count("clip_share(r, 1.0, float64)") == 1, code
    same(got, df.generic(*args, 1.0))
    same(df(*args, -3.0), df.generic(*args, -3.0))
    tl.check_grads(clip_chain, args, order=1, modes=("rev", "fwd"))


def test_clip_chain_mask_splits_ties_as_the_shares_do():
    # r exactly -1 and 1 at some rows: half the derivative, as maximum's and minimum's
    # adjoints give it (docs/conventions.md), the generic derivative too
    w = np.array([1.0, 0.0, 0.0, 0.0])
    X = np.zeros((6, 4))
    X[:, 0] = [0.0, 0.5, 1.0, 2.0, -1.0, -3.0]
    y = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    df = tl.grad(clip_chain, wrt=(0, 2))
    df(w, X, y)
    assert "clip_share(" in the_version(df)
    gw, gy = df(w, X, y)
    same((gw, gy), df.generic(w, X, y, 1.0))
    np.testing.assert_array_equal(gy, [0.0, -1.0, -1.0, 0.0, 1.0, 0.0])   # -2 c * share


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_clip_chain_mask_keeps_nan_and_inf():
    w, X, y = clip_args()
    y = y.copy()
    y[2], y[5], y[7] = np.inf, -np.inf, np.nan
    df = tl.grad(clip_chain, wrt=(0, 2))
    same(df(w, X, y), df.generic(w, X, y, 1.0))
    assert "clip_share(" in the_version(df)


def test_asymmetric_clip_chain_keeps_its_shares():
    args = clip_args()
    df = tl.grad(clip_asymmetric)
    got = df(*args)
    assert "clip_share(" not in the_version(df)
    same(got, df.generic(*args, 1.0))
