"""Generated code and runtime helpers of issue 6's remaining cases (session perf17):
each change keeps the generic derivative's values, at inf and nan too, and finite
differences'."""
import warnings

import numpy as np
import pytest

import tangentlike as tl

from util import adjoint_code, version_sources
from tangentlike.rules.arithmetic import logistic

RNG = np.random.default_rng(1717)


# -- logistic: 1 / (1 + exp(-t)) where it cannot overflow -------------------------------

def _logistic_by_abs(t):
    """The form logistic takes everywhere else (and took everywhere before)."""
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(t))
        return np.where(t >= 0, 1.0, e) / (1.0 + e)


def logistic_loss_sum(w, X, y):
    m = y * (X @ w)
    return np.sum(np.logaddexp(0.0, -m))


@pytest.mark.parametrize("scale", [1.0, 30.0, 300.0])
def test_logistic_of_moderate_arrays_is_the_same_within_ulps(scale):
    t = scale * RNG.standard_normal(2000)
    t[:3] = (-708.0, 0.0, -0.0)
    got = logistic(t)
    assert got.dtype == np.float64 and got.shape == t.shape
    np.testing.assert_allclose(got, _logistic_by_abs(t), rtol=1e-15, atol=0)
    assert got[0] > 0 and got[1] == got[2] == 0.5


def test_logistic_edges_take_the_form_without_overflow():
    # an element below -708 (exp(-t) overflows below -709.78), nan, inf, -inf, an empty
    # or 0-d array, float32 and numbers: the form by abs, with no warning
    cases = [np.array([1.0, -709.5, 3.0]), np.array([1.0, -800.0]),
             np.array([0.5, np.nan, -2.0]), np.array([np.inf, -np.inf, 2.0]),
             np.array([np.inf, 5.0]), np.zeros(0), np.array(-750.0),
             np.array([-100.0, 2.0], dtype=np.float32), -720.0, np.float64(-40.0)]
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        for t in cases:
            got, want = logistic(t), _logistic_by_abs(t)
            assert np.shape(got) == np.shape(want) and np.result_type(got) == np.result_type(want)
            np.testing.assert_array_equal(got, want)
    # a 0-d array of a moderate number takes the usual form
    np.testing.assert_allclose(logistic(np.array(-3.0)), _logistic_by_abs(-3.0), rtol=1e-15)
    assert logistic(np.array([-709.5, 1.0]))[0] > 0   # a denormal, not 0
    assert logistic(np.array([np.inf, 1.0]))[0] == 1.0
    assert logistic(np.array([-np.inf, 1.0]))[0] == 0.0
    assert np.isnan(logistic(np.array([np.nan, 1.0]))[0])


def test_logistic_does_not_change_its_argument():
    t = RNG.standard_normal(50)
    before = t.copy()
    logistic(t)
    np.testing.assert_array_equal(t, before)


def test_logistic_loss_gradient_by_finite_differences():
    w, X = 0.1 * RNG.standard_normal(6), RNG.standard_normal((300, 6))
    y = np.sign(RNG.standard_normal(300))
    df = tl.grad(logistic_loss_sum)
    got = df(w, X, y)
    hand = -(y / (1.0 + np.exp(y * (X @ w)))) @ X
    np.testing.assert_allclose(got, hand, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(df.generic(w, X, y, 1.0), got, rtol=1e-15, atol=0)
    tl.check_grads(logistic_loss_sum, (w, X, y), order=2, modes=("rev", "fwd"))
    # margins far out on both sides: the version's and the generic values agree
    big = np.array([800.0, -800.0, 1.0, 0.0, 0.0, 0.0])
    with np.errstate(over="ignore", under="ignore"):
        np.testing.assert_array_equal(df(big, X, y), df.generic(big, X, y, 1.0))


# -- element updates of one row merged past updates of its other elements ---------------

def euler(x0, p):
    n = 100
    x = np.zeros((n + 1, 2))
    x[0] = x0
    dt = 0.01
    for i in range(n):
        x[i + 1] = x[i] + dt * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def euler3(x0, p):
    x = np.zeros((21, 3))
    x[0] = x0
    for i in range(20):
        x[i + 1] = x[i] + 0.05 * np.array([x[i, 1], -p * x[i, 0], x[i, 0] - x[i, 2]])
    return np.sum(x[-1] ** 2)


def test_euler_reversed_step_updates_each_item_once():
    x0 = np.array([1.0, 0.5])
    df = tl.grad(euler, wrt=(0, 1))
    got = df(x0, 1.5)
    (source,) = version_sources(df)
    loop = source.split("for i in reversed")[1]
    updates = [line.strip() for line in loop.splitlines() if "bx[i" in line and "+=" in line]
    assert updates == ["bx[i, 0] += bt6 + bt12_0", "bx[i, 1] += bt4 + bt12_1"], updates
    # the row i + 1 is read by its items, once each (read_row_items), not as a view
    assert "bt12_0 = bx[t11, 0]" in loop and "bt12_1 = bx[t11, 1]" in loop
    assert "bt12 = " not in loop and "bt12[" not in loop
    for g, want in zip(got, df.generic(x0, 1.5, 1.0)):
        np.testing.assert_allclose(g, want, rtol=1e-14, atol=0)
    tl.check_grads(euler, (x0, 1.5), wrt=(0, 1), order=2, modes=("rev",))
    tl.check_grads(euler3, (np.array([1.0, 0.5, 0.2]), 0.7), wrt=(0, 1), order=2,
                   modes=("rev",))


@pytest.mark.parametrize("x0", [[np.inf, 0.5], [np.nan, 0.5], [1e308, -1e308]])
def test_euler_at_inf_and_nan_is_the_generic_derivative(x0):
    x0 = np.array(x0)
    for f in (euler, euler3):
        x = x0 if f is euler else np.append(x0, 0.3)
        df = tl.grad(f, wrt=(0, 1))
        with np.errstate(all="ignore"):
            got, want = df(x, 1.5), df.generic(x, 1.5, 1.0)
        assert len(df.versions) == 1
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
            np.testing.assert_array_equal(np.isinf(g), np.isinf(w))


def _merged(code, ints=frozenset({"i", "j"})):
    import gast
    from tangentlike.optimize import merge_element_updates
    body = gast.parse(code).body
    return merge_element_updates(body, frozenset(ints)), len(body)


ROW_SNIPPET = """
j = i {offset}
bt = bx[{row}]
bx[i, 0] += a
bp = bp - c
bx[i, {column}] += d
bx[i, 0] += bt[0]
"""


@pytest.mark.parametrize("offset, row, column, merges", [
    ("+ 1", "j", 1, True),        # bt[0] is bx[i + 1, 0]; bx[i, 1] another element
    ("- 2", "j", 1, True),
    ("+ 0", "j", 1, False),       # bt[0] may be bx[i, 0], updated first: no move
    ("+ 1", "i", 1, False),       # bt is row i itself
    ("+ 1", "j", -1, False),      # column -1 may be column 0
    ("+ 1", "j", 0, True),        # the same element: merged with the later one first
])
def test_merge_moves_an_update_only_past_elements_proved_apart(offset, row, column, merges):
    import ast
    import gast
    code = ROW_SNIPPET.format(offset=offset, row=row, column=column)
    merged, before = _merged(code)
    assert (len(merged) < before) == merges, ast.unparse(gast.gast_to_ast(gast.Module(body=merged, type_ignores=[])))
    # the merged code computes what the code did
    rng = np.random.default_rng(3)
    for _ in range(3):
        start = {"bx": rng.standard_normal((6, 2)), "i": 2, "a": 1.5, "c": 0.5,
                 "d": -2.0, "bp": 0.25}
        want, got = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in start.items()}, \
            {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in start.items()}
        exec(code, {}, want)
        module = gast.gast_to_ast(gast.fix_missing_locations(
            gast.Module(body=merged, type_ignores=[])))
        exec(compile(module, "<merged>", "exec"), {}, got)
        np.testing.assert_allclose(got["bx"], want["bx"], rtol=1e-15)
        assert got["bp"] == want["bp"]


def test_merge_past_other_elements_needs_ints_and_no_call_of_what_it_reads():
    code = "bx[i, 0] += a\nbx[i, 1] += d\nbx[i, 0] += e\n"
    assert len(_merged(code)[0]) == 2
    assert len(_merged(code, ints=())[0]) == 3          # the generic derivative: as before
    assert len(_merged("bx[i, 0] += a\nq = f(e)\nbx[i, 0] += e\n")[0]) == 3
    assert len(_merged("bx[i, 0] += a\nq = f(c)\nbx[i, 0] += e\n")[0]) == 3
    assert len(_merged("bx[i, 0] += a\nq = np.cos(c)\nbx[i, 0] += e\n")[0]) == 2
    assert len(_merged("bx[i, 0] += a\nq = np.cos(c, out=e)\nbx[i, 0] += e\n")[0]) == 3
    # an update of an array that shares memory with one the moved update reads: no move
    # (the earlier update may move down to it instead, perf18: e[1] is still read after
    # w[0] changed it)
    import ast
    import gast
    merged = _merged("w = e[1:]\nbx[i, 0] += a\nw[0] += 1.0\nbx[i, 0] += e[1]\n")[0]
    text = ast.unparse(gast.gast_to_ast(gast.Module(body=merged, type_ignores=[])))
    assert text.index("w[0] += 1.0") < text.index("e[1]"), text
    # a name that may share bx's memory, read or assigned in between: no move
    assert len(_merged("v = bx[3]\nbx[i, 0] += a\nq = v * 2.0\nbx[i, 0] += e\n")[0]) == 4
    assert len(_merged("bx[i, 0] += a\nbx[i, 1] += e\nbx[i, 0] += bx[j, 1]\n")[0]) == 3


# -- np.diff's adjoint without the padded copy -------------------------------------------

def smoothness(x):
    d = np.diff(x)
    return np.sum(d * d) + np.sum(x * x)


def cumulative_differences(x):
    c = np.cumsum(x)
    d = np.diff(c * c)
    return np.sum(d * d)


def second_differences(x):
    return np.sum(np.diff(x, 2) ** 2)


def row_differences(X):
    return np.sum(np.diff(X, axis=0) ** 2) + np.sum(np.diff(X) ** 3)


def test_difference_of_padded_is_np_diff_of_the_padded_array():
    from tangentlike.rules.shapes import difference_of_padded, zero_padded
    for g in (RNG.standard_normal(7), np.array([2.5]), np.array([-0.0, 0.0, -0.0]),
              np.array([np.inf, -np.inf, np.nan, 1e308, -1e308, 3.0]),
              RNG.standard_normal(5).astype(np.float32), np.arange(4)):
        with np.errstate(invalid="ignore", over="ignore"):
            got, want = difference_of_padded(g), np.diff(zero_padded(g, ((1, 1),)))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("f", [smoothness, cumulative_differences])
def test_difference_adjoint_is_the_helper_in_a_version(f):
    x = 0.3 * RNG.standard_normal(40)
    df = tl.grad(f)
    got = df(x)
    (source,) = version_sources(df)
    code = adjoint_code(source)
    assert "difference_of_padded(bd)" in code and "zero_padded" not in code
    assert "np.diff" not in code
    np.testing.assert_array_equal(got, df.generic(x, 1.0))
    tl.check_grads(f, (x,), order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("x", [[np.inf, 1.0, 2.0], [1.0, np.nan, 2.0], [1e200, -1e200, 3.0],
                               [2.0, 1.0], [0.5]])
def test_difference_adjoint_at_the_edges_is_the_generic_derivative(x):
    x = np.array(x)
    for f in (smoothness, cumulative_differences):
        df = tl.grad(f)
        with np.errstate(all="ignore"):
            got, want = df(x), df.generic(x, 1.0)
        assert any(key[0][1] == x.shape for key in df.versions)   # (a version served)
        np.testing.assert_array_equal(got, want)


def test_other_differences_keep_np_diff():
    x, X = RNG.standard_normal(9), RNG.standard_normal((4, 5))
    for f, args in ((second_differences, (x,)), (row_differences, (X,))):
        df = tl.grad(f)
        df(*args)
        (source,) = version_sources(df)
        assert "difference_of_padded" not in source
        tl.check_grads(f, args, order=2, modes=("rev",))
    x32 = x.astype(np.float32)
    got = tl.grad(smoothness)(x32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, tl.grad(smoothness)(x), rtol=1e-5)


# -- a number at one pick per row, spread by the log-softmax's closed form ---------------

def cross_entropy(W, X, y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    n = X.shape[0]
    return -np.mean(np.log(p[np.arange(n), y]))


def picked_rows(W, X, rows, y):
    z = X @ W
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.mean(np.log(p[rows, y]))


def summed_cross_entropy(W, X, y):
    z = X @ W
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(np.log(p[np.arange(X.shape[0]), y])) * 0.5


def _hand_cross_entropy(W, X, y, scale):
    z = X @ W
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(X.shape[0]), y] -= 1.0
    return X.T @ p * scale


@pytest.mark.parametrize("f, scale", [(cross_entropy, 1 / 16), (summed_cross_entropy, 0.5)])
def test_one_pick_per_row_is_spread_without_zeros(f, scale):
    W, X = 0.1 * RNG.standard_normal((5, 4)), RNG.standard_normal((16, 5))
    y = RNG.integers(-4, 4, 16)   # (negative labels pick from the end, as NumPy does)
    df = tl.grad(f)
    got = df(W, X, y)
    (source,) = version_sources(df)
    code = adjoint_code(source)
    assert "add_at_item" not in code and ".sum(axis=1" not in code and "np.zeros" not in code
    assert f"= p * {scale}" in code and f"+= {-scale}" in code, code
    np.testing.assert_allclose(got, _hand_cross_entropy(W, X, y, scale), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(got, df.generic(W, X, y, 1.0))
    tl.check_grads(f, (W, X, y), order=2, modes=("rev", "fwd"))
    np.testing.assert_allclose(df(W, X, y, 3.0), 3.0 * got, rtol=1e-15)   # another seed


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_one_pick_per_row_at_inf_and_nan_is_the_generic_derivative(bad):
    W, X = 0.1 * RNG.standard_normal((5, 4)), RNG.standard_normal((16, 5))
    y = RNG.integers(0, 4, 16)
    X[3, 1] = bad
    df = tl.grad(cross_entropy)
    with np.errstate(all="ignore"):
        got, want = df(W, X, y), df.generic(W, X, y, 1.0)
    assert any("p * 0.0625" in s for s in version_sources(df))
    np.testing.assert_array_equal(got, want)


def test_picks_that_may_repeat_a_row_keep_the_scatter():
    W, X = 0.1 * RNG.standard_normal((5, 4)), RNG.standard_normal((8, 5))
    rows, y = np.array([0, 3, 3, 3, 7, 0, 1, 2]), np.array([1, 2, 2, 0, 3, 1, 0, 0])
    df = tl.grad(picked_rows)
    got = df(W, X, rows, y)
    assert all("add_at_item" in s for s in version_sources(df))
    np.testing.assert_allclose(got, df.generic(W, X, rows, y, 1.0), rtol=1e-13, atol=1e-16)
    tl.check_grads(picked_rows, (W, X, rows, y), order=2, modes=("rev",))
    # float32 and bool labels: the scatter (or NumPy's own error), as before
    W32, X32 = W.astype(np.float32), X.astype(np.float32)
    y8 = RNG.integers(0, 4, 8)
    g32 = tl.grad(cross_entropy)(W32, X32, y8)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, _hand_cross_entropy(W, X, y8, 1 / 8), rtol=1e-4, atol=1e-6)


# -- the rows of batched outer products stacked once for every product reading them ------

def relu_rnn(Wh, Wx, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.maximum(Wh @ h + Wx @ xs[t], 0.0)
    return np.sum(h * h)


def tanh_rnn_mean(Wh, Wx, xs, h0):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
        total = total + np.sum(h)
    return total / (xs.shape[0] + 1)


@pytest.mark.parametrize("f", [relu_rnn, tanh_rnn_mean])
@pytest.mark.parametrize("steps", [0, 1, 7])
def test_batched_products_sharing_rows_stack_them_once(f, steps):
    H, D = 5, 3
    args = (RNG.standard_normal((H, H)) / 2, RNG.standard_normal((H, D)) / 2,
            RNG.standard_normal((steps, D)), 0.5 * RNG.standard_normal(H))
    df = tl.grad(f, wrt=(0, 1))
    got = df(*args)
    source = next(s for k, s in zip(df.versions, version_sources(df)) if k[2][1] == (steps, D))
    if steps:
        assert source.count("np.array(bWx_rows)") == 1 and "bWx_rows_T @ " in source
        assert "np.outer" not in source
    for g, want in zip(got, df.generic(*args, 1.0)):
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-15)
    tl.check_grads(f, args, wrt=(0, 1), order=2 if steps < 7 else 1, modes=("rev",))


ITEMS_SNIPPET = """
j = i {offset}
v = bx[{row}]
a = v[0] * 2.0
bx[i, {column}] += a
bp = bp - v[1]
bx[i, 1] += v[0]
"""


@pytest.mark.parametrize("offset, row, column, reads", [
    ("+ 1", "j", 0, True),         # row i + 1 read, row i written
    ("- 1", "j", 0, True),
    ("+ 0", "j", 0, False),        # j may be i: the view sees the update
    ("+ 1", "i", 0, False),        # the row written itself
    ("+ 1", "j", -1, True),        # (another row: any column)
])
def test_row_items_are_read_once_only_where_no_write_can_reach_them(offset, row, column,
                                                                   reads):
    import gast
    from tangentlike.optimize import read_row_items
    code = ITEMS_SNIPPET.format(offset=offset, row=row, column=column)
    body = gast.parse(code).body
    read_row_items(body, {"bx": 2}, frozenset({"i", "j"}))
    module = gast.gast_to_ast(gast.fix_missing_locations(gast.Module(body=body,
                                                                     type_ignores=[])))
    import ast
    text = ast.unparse(module)
    assert ("v = bx[" not in text) == reads, text
    rng = np.random.default_rng(5)
    for _ in range(3):
        start = {"bx": rng.standard_normal((6, 2)), "i": 2, "bp": 0.5}
        want = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in start.items()}
        got = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in start.items()}
        exec(code, {}, want)
        exec(compile(module, "<items>", "exec"), {}, got)
        np.testing.assert_array_equal(got["bx"], want["bx"])
        assert got["bp"] == want["bp"]


# -- a number times the softplus's share, divided into it ---------------------------------

def logistic_loss_mean(w, X, y):
    return np.mean(np.logaddexp(0.0, -y * (X @ w)))


def test_a_number_times_logistic_is_one_division():
    from tangentlike.rules.arithmetic import logistic_times
    t = 20.0 * RNG.standard_normal(500)
    np.testing.assert_allclose(logistic_times(t, 0.001), 0.001 * logistic(t), rtol=4e-16,
                               atol=0)
    # where logistic takes the form by abs (and for numbers): the product itself
    with np.errstate(over="raise", invalid="raise", under="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        for edge in (np.array([1.0, -709.5, np.inf]), np.array([-800.0, np.nan]),
                     np.array([-np.inf, 2.0]), np.zeros(0), -720.0,
                     np.array([-3.0, 4.0], dtype=np.float32)):
            got, want = logistic_times(edge, -0.25), -0.25 * logistic(edge)
            assert np.result_type(got) == np.result_type(want)
            np.testing.assert_array_equal(got, want)
    w, X = 0.1 * RNG.standard_normal(6), RNG.standard_normal((200, 6))
    y = np.sign(RNG.standard_normal(200))
    df = tl.grad(logistic_loss_mean)
    got = df(w, X, y)
    (source,) = version_sources(df)
    assert "logistic_times(t3, 0.005)" in adjoint_code(source)
    np.testing.assert_allclose(got, df.generic(w, X, y, 1.0), rtol=1e-14, atol=1e-17)
    hand = -(y / (1.0 + np.exp(y * (X @ w)))) @ X / 200
    np.testing.assert_allclose(got, hand, rtol=1e-13, atol=1e-16)
    tl.check_grads(logistic_loss_mean, (w, X, y), order=2, modes=("rev", "fwd"))
    far = np.array([800.0, -800.0, 1.0, 0.0, 0.0, 0.0])   # margins past -708: the product
    with np.errstate(over="ignore", under="ignore"):
        np.testing.assert_array_equal(df(far, X, y), df.generic(far, X, y, 1.0))
        np.testing.assert_allclose(df(w, X, y, 2.5), 2.5 * got, rtol=1e-15)


# -- a common factor of two products taken out -------------------------------------------

def triplet(A, P, N):
    dp = np.sum((A - P) ** 2, axis=1)
    dn = np.sum((A - N) ** 2, axis=1)
    return np.mean(np.maximum(0.0, dp - dn + 1.0))


def triplet_hand(A, P, N):
    dp = np.sum((A - P) ** 2, axis=1)
    dn = np.sum((A - N) ** 2, axis=1)
    m = (dp - dn + 1.0 > 0) * (2.0 / A.shape[0])
    return m[:, None] * (N - P)


def test_a_common_factor_of_two_products_is_taken_out():
    A, P, N = (RNG.standard_normal((32, 4)) for _ in range(3))
    df = tl.grad(triplet)
    got = df(A, P, N)
    (source,) = version_sources(df)
    code = adjoint_code(source)
    assert "* (t1 - t3)" in code and "bt1 = " not in code and "bt3 = " not in code
    np.testing.assert_allclose(got, triplet_hand(A, P, N), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(got, df.generic(A, P, N, 1.0), rtol=1e-13, atol=1e-16)
    tl.check_grads(triplet, (A, P, N), order=1, modes=("rev",))
    for bad in (np.inf, np.nan):   # (both forms nan where a row has inf - inf or nan)
        B = A.copy()
        B[2, 1] = bad
        with np.errstate(all="ignore"):
            g, w = df(B, P, N), df.generic(B, P, N, 1.0)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
        np.testing.assert_allclose(g[np.isfinite(w)], w[np.isfinite(w)], rtol=1e-13)


def _factored_code(code, floats=frozenset({"b", "c"})):
    import ast
    import gast
    from tangentlike.optimize import factor_products
    body = gast.parse(code).body
    factor_products(body, frozenset(floats))
    return ast.unparse(gast.gast_to_ast(gast.fix_missing_locations(
        gast.Module(body=body, type_ignores=[]))))


def test_factor_products_only_where_the_products_are_read_once():
    assert _factored_code("u = g[:, None] * 2 * b\nv = g[:, None] * 2 * c\nw = u - v\n") \
        == "w = g[:, None] * 2 * (b - c)"
    assert _factored_code("u = k * b\nv = k * c\nw = v + u\n") == "w = k * (c + b)"
    # u read again, F with a call, a name not known as a float, other factors: no change
    for code in ("u = k * b\nv = k * c\nw = u - v\nq = u\n",
                 "u = f(k) * b\nv = f(k) * c\nw = u - v\n",
                 "u = k * b\nv = k * d\nw = u - v\n",
                 "u = k * b\nv = m * c\nw = u - v\n",
                 "u = k * b\nv = k * c\nw = u * v\n"):
        assert _factored_code(code).count("\n") == code.count("\n") - 1, code
    rng = np.random.default_rng(9)
    ns = {"g": rng.standard_normal(5), "b": rng.standard_normal((5, 3)),
          "c": rng.standard_normal((5, 3))}
    want, got = dict(ns), dict(ns)
    exec("u = g[:, None] * 2 * b\nv = g[:, None] * 2 * c\nw = u - v\n", {}, want)
    exec(_factored_code("u = g[:, None] * 2 * b\nv = g[:, None] * 2 * c\nw = u - v\n"), {}, got)
    np.testing.assert_allclose(got["w"], want["w"], rtol=1e-14, atol=1e-15)
