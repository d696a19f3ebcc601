"""Generated code of issue 6's cases of session perf19: each pass keeps the generic
derivative's values (at inf and nan too, or as docs/conventions.md says where it
deliberately differs) and finite differences'."""
import numpy as np
import pytest

import tangentlike as tl
from util import adjoint_code, the_version

RNG = np.random.default_rng(1919)


# -- np.exp(z) / np.sum(np.exp(z), ...): a softmax, its log's closed form ------------------

def cross_entropy_two_exps(W, X, y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    n = X.shape[0]
    return -np.mean(np.log(p[np.arange(n), y]))


def log_softmax_two_exps(W, X, Y):
    z = X @ W
    p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    return -np.sum(Y * np.log(p))


def exps_of_two_values(W, X, y):
    # the sum is of the exponentials of another value: not a softmax
    z = X @ W
    p = np.exp(z) / np.sum(np.exp(2.0 * z), axis=1, keepdims=True)
    return -np.sum(np.log(p[np.arange(X.shape[0]), y]))


def test_softmax_with_its_exponentials_written_twice_gets_the_closed_form():
    W, X = 0.1 * RNG.standard_normal((5, 4)), RNG.standard_normal((16, 5))
    y = RNG.integers(0, 4, 16)
    df = tl.grad(cross_entropy_two_exps)
    got = df(W, X, y)
    code = adjoint_code(the_version(df))
    assert "add_at_item" not in code and ".sum(axis=1" not in code and "np.zeros" not in code
    assert "= p * 0.0625" in code and "+= -0.0625" in code, code
    z = X @ W
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(16), y] -= 1.0
    np.testing.assert_allclose(got, X.T @ p / 16, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got, df.generic(W, X, y, 1.0), rtol=1e-12, atol=1e-15)
    tl.check_grads(cross_entropy_two_exps, (W, X, y), order=2, modes=("rev", "fwd"))
    Y = np.eye(4)[y]
    df = tl.grad(log_softmax_two_exps)
    np.testing.assert_allclose(df(W, X, Y), X.T @ p, rtol=1e-12, atol=1e-14)
    assert "/ t" not in adjoint_code(the_version(df))   # (no quotient rule)
    tl.check_grads(log_softmax_two_exps, (W, X, Y), order=2, modes=("rev", "fwd"))
    tl.check_grads(exps_of_two_values, (W, X, y), order=1, modes=("rev", "fwd"))


def test_softmax_with_two_exponentials_where_they_overflow():
    # the closed form is finite where exp overflows in one row (the chained rules: nan),
    # as for a softmax whose exponential is written once (docs/conventions.md)
    W = np.array([[800.0, 0.0], [0.0, 1.0]])
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1])
    for f in (cross_entropy_two_exps,):
        got = tl.grad(f)(W, X, y)
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, tl.grad(f).generic(W, X, y, 1.0), rtol=1e-12)


# -- np.linalg.solve in a version: its shape known, its adjoint for a vector -------------

def ridge(y, X, lam):
    A = X.T @ X + lam * np.eye(X.shape[1])
    w = np.linalg.solve(A, X.T @ y)
    return np.sum(w * w)


def solved_matrix(B, A):
    W = np.linalg.solve(A, B)
    return np.sum(W * W)


def test_solve_of_a_vector_in_a_version():
    y, X = RNG.standard_normal(30), RNG.standard_normal((30, 4))
    df = tl.grad(ridge)
    got = df(y, X, 0.5)
    code = adjoint_code(the_version(df))
    # np.ndim(b) == 1 is known: one branch of the rule, and the vector solved as it is
    assert "np.ndim" not in code and "solve_vector" not in code and "matrix_transpose" \
        not in code and "np.expand_dims" not in code and "if np." not in code, code
    assert "np.linalg.solve(A.T, bw)" in code and "np.zeros" not in code
    A = X.T @ X + 0.5 * np.eye(4)
    w = np.linalg.solve(A, X.T @ y)
    np.testing.assert_allclose(got, X @ np.linalg.solve(A.T, 2.0 * w), rtol=1e-12)
    np.testing.assert_allclose(got, df.generic(y, X, 0.5, 1.0), rtol=1e-13)
    tl.check_grads(ridge, (y, X, 0.5), order=2, modes=("rev", "fwd"))
    dfx = tl.grad(ridge, wrt=(0, 1, 2))
    for a, b in zip(dfx(y, X, 0.5), dfx.generic(y, X, 0.5, 1.0)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # a right-hand side of matrices keeps its branch; a singular matrix raises as f does
    B, A = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 4)) + 4 * np.eye(4)
    tl.check_grads(solved_matrix, (B, A), order=2, modes=("rev", "fwd"))
    with pytest.raises(np.linalg.LinAlgError):
        tl.grad(ridge)(y, np.zeros((30, 4)), 0.0)


# -- the adjoint of a loop over a list's items, collected once -------------------------

def rnn_states_in_a_list(W, U, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + U @ xs[t]))
    loss = 0.0
    for h in hs[1:]:
        loss = loss + np.sum(h * h)
    return loss


def weighted_items(x, w):
    parts = [x]
    for k in range(2):
        parts.append(parts[-1] * x)
    total = 0.0
    for p in parts:
        total = total + np.sum(w * p)
    return total


def items_then_break(x):
    parts = [x, 2.0 * x, np.sin(x)]
    total = 0.0
    for p in parts:
        total = total + np.sum(p * p)
        if total > 1e9:
            break
    return total


def numbers_in_a_list(a, b):
    vals = [a, a * b, b * b]
    s = 0.0
    for v in vals:
        s = s + v * v
    return s


def test_adjoints_of_list_items_read_in_a_loop_are_collected():
    H, D, T = 6, 3, 7
    W, U = 0.4 * RNG.standard_normal((H, H)), 0.4 * RNG.standard_normal((H, D))
    xs, h0 = RNG.standard_normal((T, D)), 0.1 * RNG.standard_normal(H)
    df = tl.grad(rnn_states_in_a_list, wrt=(0, 1, 3))
    got = df(W, U, xs, h0)
    code = adjoint_code(the_version(df))
    assert "items_read_in_turns(" in code and ".append(bh)" in code, code
    assert "add_at_item(bh" not in code
    for a, b in zip(got, df.generic(W, U, xs, h0, 1.0)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    tl.check_grads(rnn_states_in_a_list, (W, U, xs, h0), order=2, modes=("rev", "fwd"))
    x, w = RNG.standard_normal(5), RNG.standard_normal(5)
    df = tl.grad(weighted_items, wrt=(0, 1))
    gx, gw = df(x, w)
    assert "items_read_in_turns(" in adjoint_code(the_version(df))
    np.testing.assert_allclose(gx, w * (1.0 + 2.0 * x + 3.0 * x * x), rtol=1e-14)
    np.testing.assert_allclose(gw, x + x * x + x ** 3, rtol=1e-14)
    tl.check_grads(weighted_items, (x, w), order=2, modes=("rev", "fwd"))
    # a loop that may stop early keeps the turns' own sums
    df = tl.grad(items_then_break)
    got = df(x)
    assert "items_read_in_turns" not in the_version(df)
    np.testing.assert_allclose(got, df.generic(x, 1.0), rtol=1e-14)
    tl.check_grads(items_then_break, (x,), order=2, modes=("rev", "fwd"))
    # numbers: the items are numbers
    df = tl.grad(numbers_in_a_list, wrt=(0, 1))
    np.testing.assert_allclose(df(1.5, -0.5), df.generic(1.5, -0.5, 1.0), rtol=1e-15)
    tl.check_grads(numbers_in_a_list, (1.5, -0.5), order=2, modes=("rev", "fwd"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # (values at inf and nan)
def test_collected_item_adjoints_at_inf_nan_and_other_dtypes():
    x, w = np.array([1.0, np.inf, -2.0, np.nan]), np.array([0.5, 1.0, np.inf, 2.0])
    df = tl.grad(weighted_items, wrt=(0, 1))
    for a, b in zip(df(x, w), df.generic(x, w, 1.0)):
        np.testing.assert_array_equal(a, b)
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    df = tl.grad(weighted_items, wrt=(0, 1))
    for a, b in zip(df(x32, w32), df.generic(x32, w32, 1.0)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_items_read_in_turns_is_the_sum_of_the_turns():
    from tangentlike.rules.shapes import add_at_item, items_read_in_turns
    from tangentlike.runtime import add_grads
    x = [np.ones(3), np.ones(3, dtype=np.float32), np.ones(3), np.ones(3)]
    for n in range(5):
        items = [RNG.standard_normal(3) for _ in range(n)]
        if n > 1:
            items[1] = items[1].astype(np.float32)
            items[0] = -0.0 * items[0]
        want = 0.0
        for i, g in zip(range(n - 1, -1, -1), items):
            want = add_grads(want, add_at_item(g, x, i))
        got = items_read_in_turns(items, x)
        if n == 0:
            assert got == 0.0
            continue
        assert len(got) == len(want) == 4
        for a, b in zip(got, want):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    # a tuple, or more turns than items: the turns' own way
    t = tuple(x[:2])
    items = [np.ones(3), np.ones(3)]
    assert isinstance(items_read_in_turns(items, t), tuple)


# -- number constants of float64 array arithmetic as 0-d arrays ----------------------------

def twice_dot(x):
    return 2 * np.dot(x, x)


def gated(x, w):
    z = 1.0 / (1.0 + np.exp(-(w * x)))
    y = np.where(x > 0.0, z * x, 0.5 - x)
    return np.sum(y * y) + 3 * np.sum(x)


def scaled_number(a, x):
    return np.sum(a * 2.0 * x) + a * 3.0


def raw_version(df):
    return [v for v in df.versions.values() if v is not df.generic][-1]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # (values at inf and nan)
def test_constants_of_float64_arithmetic_are_0d_arrays():
    x = RNG.standard_normal(4)
    df = tl.grad(twice_dot)
    got = df(x)
    version = raw_version(df)
    assert "bx = f64_4_0 * x" in version.source
    constant = dict(zip(version.__code__.co_freevars,
                        (c.cell_contents for c in version.__closure__)))["f64_4_0"]
    assert constant.shape == () and constant.dtype == np.float64 and constant == 4.0
    assert not constant.flags.writeable
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, 4.0 * x)
    # the entry still runs the version itself (its names fit the entry's cells)
    assert "f64_4_0" in df.__code__.co_freevars
    special = np.array([np.inf, -np.inf, np.nan, -0.0, 0.0, 1e308])
    np.testing.assert_array_equal(df(special), df.generic(special, 1.0))
    np.testing.assert_array_equal(np.signbit(df(special)), np.signbit(4.0 * special))
    # float32 arguments: the numbers stay numbers (a float64 array would widen them)
    x32 = x.astype(np.float32)
    got32 = df(x32)
    assert got32.dtype == np.float32 and "f64_" not in raw_version(df).source
    np.testing.assert_array_equal(got32, df.generic(x32, 1.0))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # (values at inf and nan)
def test_constants_in_comparisons_and_selections():
    x = np.array([-1.5, 0.0, -0.0, 0.3, 2.0, np.inf, -np.inf, np.nan])
    w = np.array([0.5, 1.0, -2.0, 0.25, 1.5, 0.1, 0.2, 0.3])
    df = tl.grad(gated, wrt=(0, 1))
    got = df(x, w)
    code = raw_version(df).source
    assert "t5 = x > f64_0_0" in code and "t4 = f64_1_0 + t3" in code, code
    assert "z = f64_1_0 / t4" in code and "t7 = f64_0_5 - x" in code
    assert "by = f64_2_0 * y" in code
    # (an adjoint the version does not prove an array keeps its number: bt7 may be 0.0)
    assert "bx = 3.0 - bt7" in code
    for a, b in zip(got, df.generic(x, w, 1.0)):
        np.testing.assert_array_equal(a, b)
    x, w = RNG.standard_normal(6), RNG.standard_normal(6)
    tl.check_grads(gated, (x, w), order=2, modes=("rev", "fwd"))
    for a, b in zip(df(x, w), df.generic(x, w, 1.0)):
        np.testing.assert_array_equal(a, b)


def test_numbers_and_their_products_keep_their_constants():
    # a Python float argument: 2.0 * a is a number, not an array
    x = RNG.standard_normal(5)
    df = tl.grad(scaled_number, wrt=(0, 1))
    ga, gx = df(1.5, x)
    assert type(ga) in (float, np.float64)
    np.testing.assert_allclose(ga, 2.0 * np.sum(x) + 3.0, rtol=1e-14)
    np.testing.assert_array_equal(gx, df.generic(1.5, x, 1.0)[1])
    code = raw_version(df).source
    assert "t1 = a * 2.0" in code and "ba = 3.0 + bt1 * 2.0" in code, code
    tl.check_grads(scaled_number, (1.5, x), order=2, modes=("rev", "fwd"))


def numpy_calls_of_numbers(x):
    c = np.clip(x, -1.0, 1.0)
    r = np.maximum(x, 0.0)
    s = np.where(x > 0.5, x, 0.25)
    return np.sum(c * c) + np.sum(r * x) + np.sum(s * s) + np.sum(np.minimum(2, x))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # (values at inf and nan)
def test_constants_of_numpy_functions_of_arrays():
    x = np.array([-2.0, -1.0, -0.0, 0.0, 0.5, 0.7, 1.0, 2.0, np.inf, -np.inf, np.nan])
    df = tl.grad(numpy_calls_of_numbers)
    got = df(x)
    code = raw_version(df).source
    for call in ("np.clip(x, f64_m1_0, f64_1_0)", "np.maximum(x, f64_0_0)",
                 "= x > f64_0_5", "np.where(t1, x, f64_0_25)", "bc = f64_2_0 * c"):
        assert call in code, (call, code)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(got, df.generic(x, 1.0))
    y = RNG.standard_normal(9) * 2.0
    np.testing.assert_array_equal(df(y), df.generic(y, 1.0))
    tl.check_grads(numpy_calls_of_numbers, (y,), order=1, modes=("rev", "fwd"))


def stepped(x0, k):
    dt = 0.05
    x = x0
    for _ in range(10):
        x = x + dt * np.sin(x) * k
    return np.sum(x * x)


def stepped_rate_changes(x0, k):
    dt = 0.05
    x = x0
    for _ in range(10):
        x = x + dt * np.sin(x) * k
        dt = dt * 0.5
    return np.sum(x * x)


def test_a_name_assigned_a_number_once_is_read_as_its_array():
    x0 = RNG.standard_normal(16)
    df = tl.grad(stepped, wrt=(0, 1))
    got = df(x0, 2.0)
    code = raw_version(df).source
    assert "f64_0_05 * " in code, code
    for a, b in zip(got, df.generic(x0, 2.0, 1.0)):   # (the version sums by np.dot)
        np.testing.assert_allclose(a, b, rtol=1e-14)
    tl.check_grads(stepped, (x0, 2.0), order=2, modes=("rev", "fwd"))
    # assigned again: its number may change, so it stays a name
    df = tl.grad(stepped_rate_changes, wrt=(0, 1))
    got = df(x0, 2.0)
    assert "f64_0_05" not in raw_version(df).source
    for a, b in zip(got, df.generic(x0, 2.0, 1.0)):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    tl.check_grads(stepped_rate_changes, (x0, 2.0), order=1, modes=("rev", "fwd"))


# -- np.where(abs(r) <= 1, r, np.sign(r)): np.clip(r, -1, 1) --------------------------------

def huber_where(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a <= 1.0, 0.5 * r * r, a - 0.5))


def huber_strict(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a < 1.0, 0.5 * r * r, a - 0.5))


def huber_reads_its_mask(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    inside = a <= 1.0
    return np.sum(np.where(inside, 0.5 * r * r, a - 0.5)) + np.sum(inside * r)


@pytest.mark.parametrize("f", [huber_where, huber_strict])
def test_a_huber_selection_of_the_residual_and_its_sign_is_a_clip(f):
    X = RNG.standard_normal((12, 3))
    w = RNG.standard_normal(3)
    y = X @ w + np.array([-3.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.0, 0.0, 1.0, -1.0, 5.0, 0.1])
    # (exact ties at |r| = 1 and r = 0 by y built from X @ w itself)
    df = tl.grad(f)
    got = df(w, X, y)
    source = the_version(df)
    code = adjoint_code(source)
    assert "br = np.clip(r, -1.0, 1.0)" in code and "np.sign" not in code, code
    assert "np.abs" not in source   # (nothing else read abs and the comparison)
    np.testing.assert_array_equal(got, df.generic(w, X, y, 1.0))
    r = X @ w - y
    np.testing.assert_allclose(got, np.clip(r, -1.0, 1.0) @ X, rtol=1e-12)
    tl.check_grads(f, (w, X, y), order=1, modes=("rev", "fwd"))


def test_a_huber_whose_mask_is_read_elsewhere_stays_right():
    X, w = RNG.standard_normal((12, 3)), RNG.standard_normal(3)
    y = X @ w + np.linspace(-3.0, 3.0, 12)
    df = tl.grad(huber_reads_its_mask)
    got = df(w, X, y)
    np.testing.assert_allclose(got, df.generic(w, X, y, 1.0), rtol=1e-13)
    r = X @ w - y
    inside = np.abs(r) <= 1.0
    np.testing.assert_allclose(got, np.clip(r, -1.0, 1.0) @ X + inside @ X, rtol=1e-12)


def test_a_clipped_residual_at_inf_and_nan_is_the_selection():
    X = np.eye(6)
    w = np.array([np.inf, -np.inf, np.nan, -0.0, 1.0, -1.0])
    y = np.zeros(6)
    df = tl.grad(huber_where)
    with np.errstate(all="ignore"):
        got, want = df(w, X, y), df.generic(w, X, y, 1.0)
    assert "np.clip(r, f64_m1_0, f64_1_0)" in raw_version(df).source
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
