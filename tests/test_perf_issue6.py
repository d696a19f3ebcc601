"""Leaner specialized code for simulations and losses (issue 6), each with the form the
generated code takes and the gradient's values checked against a hand-written one."""
import numpy as np
import pytest

import tangentlike as tl

from util import version_sources


# -- a row read into numbers, then the next row written: no alias of the array ----------
def pendulum(s0, c):
    n = 30
    dt = 0.05
    s = np.zeros((n, 2))
    s[0] = s0
    for i in range(n - 1):
        th = s[i, 0]
        om = s[i, 1]
        s[i + 1, 0] = th + dt * om
        s[i + 1, 1] = om - dt * (np.sin(th) + c * om)
    return np.sum(s[:, 0] ** 2)


def pendulum_hand(s0, c):
    n, dt = 30, 0.05
    s = np.zeros((n, 2))
    s[0] = s0
    for i in range(n - 1):
        th, om = s[i]
        s[i + 1] = th + dt * om, om - dt * (np.sin(th) + c * om)
    gth, gom, gc = 2.0 * s[n - 1, 0], 0.0, 0.0
    for i in range(n - 2, -1, -1):
        th, om = s[i]
        gc -= dt * om * gom
        gth, gom = gth - dt * np.cos(th) * gom + 2.0 * th, dt * gth + gom * (1.0 - dt * c)
    return np.array([gth, gom]), gc


def test_numbers_read_from_rows_are_no_aliases():
    """th = s[i, 0] of a 2-D s is a number, a copy of the element: the write into s
    needs no run-time alias test, and the elements it overwrites no save."""
    df = tl.grad(pendulum, wrt=(0, 1))
    s0, c = np.array([1.0, -0.3]), 0.2
    got, want = df(s0, c), pendulum_hand(s0, c)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    assert got[1] == pytest.approx(want[1], rel=1e-12)
    (source,) = version_sources(df)
    assert "inplace_guard" not in source
    assert "np.copy" not in source and "s[t10, 1] = stack.pop()" not in source
    tl.check_grads(pendulum, (s0, c), modes=("rev",))


def rows_kept(x0):
    x = np.zeros((3, 2))
    x[0] = x0
    for i in range(2):
        r = x[i]           # a view of the row: the write below must be refused
        x[i + 1] = 2.0 * x[i]
        x[i] = r * 3.0
    return np.sum(x)


def test_a_row_view_still_checked():
    """r = x[i] is a view: the version keeps the run-time test, which refuses it."""
    with pytest.raises(tl.TransformError, match="gave a view"):
        tl.grad(rows_kept)(np.array([1.0, 2.0]))


# -- a stencil in a loop: slice contributions to an adjoint that is an array already ---
def wave(u0, v0, c2):
    u = u0
    v = v0
    for step in range(6):
        lap = np.zeros_like(u)
        lap[1:-1] = u[:-2] - 2.0 * u[1:-1] + u[2:]
        v = v + c2 * lap
        u = u + 0.1 * v
    return np.sum(u * u)


def wave_hand(u0, v0, c2):
    u, v, laps = u0, v0, []
    for step in range(6):
        lap = np.zeros_like(u)
        lap[1:-1] = u[:-2] - 2.0 * u[1:-1] + u[2:]
        laps.append(lap)
        v = v + c2 * lap
        u = u + 0.1 * v
    gu, gv, gc2 = 2.0 * u, np.zeros_like(v), 0.0
    for step in range(5, -1, -1):
        gv = gv + 0.1 * gu
        gc2 += np.dot(gv, laps[step])
        gl = c2 * gv
        gu = gu.copy()
        gu[:-2] += gl[1:-1]
        gu[1:-1] -= 2.0 * gl[1:-1]
        gu[2:] += gl[1:-1]
    return gu, gv, gc2


def test_stencil_adjoint_copies_once_and_saves_no_state():
    """lap[1:-1] = t6 of lap's shape: the adjoint of t6 is blap[1:-1] (no unbroadcast,
    t6 not saved for its shape); the first slice contribution of a turn to bu, an array
    of u's shape, copies bu and adds in place (no add_at_item reading u: u not saved)."""
    rng = np.random.default_rng(3)
    args = (rng.standard_normal(9), rng.standard_normal(9), 0.3)
    df = tl.grad(wave, wrt=(0, 1, 2))
    for got, want in zip(df(*args), wave_hand(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    (source,) = version_sources(df)
    assert "own_copy(bu0)" in source and "add_at_item" not in source
    assert "unbroadcast" not in source and "stack.append(u)" not in source
    assert "stack.append(t6)" not in source
    tl.check_grads(wave, args, modes=("rev",))


@pytest.mark.parametrize("seed", [1j, np.float32(2.0), 2])
def test_stencil_adjoint_keeps_the_seeds_dtype(seed):
    """own_copy gives what bu + add_at_item(...) gave: complex stays complex, float32 or
    an int seed gives float64."""
    rng = np.random.default_rng(4)
    args = (rng.standard_normal(9), rng.standard_normal(9), 0.3)
    got = tl.vjp(wave, wrt=(0, 1, 2))(*args, seed)
    want = wave_hand(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, complex(seed) * w if seed == 1j else seed * w,
                                   rtol=1e-6)
    assert np.result_type(got[0]) == (np.complex128 if seed == 1j else np.float64)


# -- a trajectory written row after row: the adjoint of a written row is read as it is --
def trajectory(x0, p):
    n = 6
    x = np.zeros((n + 1, 2))
    x[0] = x0
    for i in range(n):
        x[i + 1] = x[i] + 0.1 * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2) + np.sum(x[3] * x[2])


def reads_the_row_first(x0, p):
    x = np.zeros((5, 2))
    x[0] = x0
    for i in range(4):
        x[i + 1] = x[i] * p + x[i + 1] * p   # row i + 1 is read before it is written
    return np.sum(x ** 2)


def sets_a_later_row_first(x0, p):
    x = np.zeros((5, 2))
    x[0] = x0
    x[1] = x0 * p            # overwritten by the loop's first turn
    for i in range(4):
        x[i + 1] = x[i] * p
    return np.sum(x ** 2)


def reads_it_whole_first(x0, p):
    x = np.zeros((5, 2))
    x[0] = x0
    s = np.sum(x * x)
    for i in range(4):
        x[i + 1] = x[i] * p + s
    return np.sum(x ** 2)


def two_rows_ahead(x0, p):
    x = np.zeros((6, 2))
    x[0] = x0
    x[1] = x0 * 2.0
    for i in range(4):
        x[i + 2] = x[i + 1] * p + x[i] * 0.5
        x[i + 1] = x[i + 1] * 1.5    # rewrites a row read by the turn before's write
    return np.sum(x ** 2)


def from_one(x0, p):
    x = np.zeros((6, 2))
    x[0] = x0
    x[1] = x0 * 2.0
    for i in range(1, 5):
        x[i + 1] = x[i] * p - x[i - 1] * 0.5
    return np.sum(x ** 2)


def test_a_row_written_once_is_neither_cleared_nor_copied():
    df = tl.grad(trajectory, wrt=(0, 1))
    df(np.array([1.0, 0.5]), 1.5)
    (source,) = version_sources(df)
    loop = source.split("for i in reversed")[1]
    # (read by its items, each once: optimize.read_row_items, perf17)
    assert "bt12_0 = bx[t11, 0]\n" in loop and "bx[t11] = 0.0" not in loop
    assert ".copy()" not in loop
    tl.check_grads(trajectory, (np.array([1.0, 0.5]), 1.5), wrt=(0, 1), order=2,
                   modes=("rev",))


@pytest.mark.parametrize("f", [reads_the_row_first, sets_a_later_row_first,
                               reads_it_whole_first, two_rows_ahead, from_one])
def test_rows_touched_before_their_write(f):
    """Rows that something reads or writes before the loop writes them keep the clear of
    their adjoint (a wrong clear would show in these derivatives)."""
    tl.check_grads(f, (np.array([0.7, -0.4]), 1.3), wrt=(0, 1), order=1, modes=("rev",))
    df = tl.grad(f, wrt=(0, 1))
    df(np.array([0.7, -0.4]), 1.3)
    (source,) = version_sources(df)
    loop = source.split("for i in reversed")[1]
    if f is not two_rows_ahead:
        assert "= 0.0" in loop or "zero_at(" in loop


# -- rows never written again are read again in the reversed loop, not saved -----------
def rewrites_the_row_read(x0, p):
    x = np.zeros((5, 2))
    x[0] = x0
    for i in range(4):
        a = x[i, 0]
        x[i + 1] = x[i] * p
        x[i, 0] = a * a          # row i changes after the read
    return np.sum(x ** 2)


def writes_after_the_loop(x0, p):
    x = np.zeros((5, 2))
    x[0] = x0
    for i in range(4):
        a = x[i, 0]
        x[i + 1] = x[i] * p + np.sin(a)
    x[2, 0] = 3.0 * x[4, 1]
    return np.sum(x ** 2)


def a_second_loop_writes(x0, p):
    x = np.zeros((5, 2))
    x[0] = x0
    for i in range(4):
        a = x[i, 0]
        x[i + 1] = x[i] * p + np.sin(a)
    for i in range(4):
        x[i, 1] = x[i + 1, 0] * 0.5
    return np.sum(x ** 2)


def test_rows_read_again_instead_of_saved():
    """th = s[i, 0]: row i is never written again after turn i - 1, so the reversed
    turn reads it again: no stack at all (nor element saves)."""
    df = tl.grad(pendulum, wrt=(0, 1))
    df(np.array([1.0, -0.3]), 0.2)
    (source,) = version_sources(df)
    assert "stack" not in source and "np.copy" not in source
    loop = source.split("for i in reversed")[1]
    assert "th = s[i, 0]" in loop and "om = s[i, 1]" in loop
    df = tl.grad(trajectory, wrt=(0, 1))
    df(np.array([1.0, 0.5]), 1.5)
    (source,) = version_sources(df)
    assert "stack" not in source and "t6 = x[i, 0]" in source.split("for i in reversed")[1]


@pytest.mark.parametrize("f", [rewrites_the_row_read, writes_after_the_loop,
                               a_second_loop_writes])
def test_rows_written_again_are_saved(f):
    args = (np.array([0.7, -0.4]), 1.3)
    tl.check_grads(f, args, wrt=(0, 1), order=1, modes=("rev",))
    df = tl.grad(f, wrt=(0, 1))
    df(*args)
    (source,) = version_sources(df)
    assert "a = stack.pop()" in source


# -- the result of a leaf helper function has the class its body gives it ----------------
import leaf_helpers as H   # noqa: E402


def logreg_l2_hand(w, X, y, lam):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y) / y.shape[0] + lam * w


def test_a_helpers_result_shape_is_known():
    """p = sigmoid(X @ w): the version knows p's shape from sigmoid's body, so the loss
    around it needs no run-time shape helpers (nor its values computed for their shape)."""
    rng = np.random.default_rng(8)
    X = rng.standard_normal((40, 5))
    y = (rng.standard_normal(40) > 0).astype(float)
    args = (0.1 * rng.standard_normal(5), X, y, 0.01)
    df = tl.grad(H.logreg_l2)
    np.testing.assert_allclose(df(*args), logreg_l2_hand(*args), rtol=1e-10)
    (source,) = version_sources(df)
    assert "quotient(" not in source and "np.zeros(" not in source
    assert "unbroadcast(" not in source and "add_grads(" not in source


def test_a_helper_that_changes_the_shape():
    rng = np.random.default_rng(9)
    args = (rng.standard_normal((4, 3)), rng.standard_normal(3))
    tl.check_grads(H.uses_row_sums, args, wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(H.uses_row_sums, wrt=(0, 1))
    X, w = args
    r = (X * w).sum(axis=1)
    g = 2.0 * r + 1.0
    got = df(*args)
    np.testing.assert_allclose(got[0], g[:, None] * w, rtol=1e-12)
    np.testing.assert_allclose(got[1], g @ X, rtol=1e-12)


def test_helpers_whose_result_may_change_are_not_trusted():
    """A helper reading a global array, or calling another function: its result's shape
    could change later, so the version does not assume it; rebinding keeps it right."""
    x = np.array([0.5, -1.0, 2.0])
    for f in (H.uses_global, H.uses_nested):
        tl.check_grads(f, (x,), order=1, modes=("rev",))
    df = tl.grad(H.uses_global)
    df(x)
    old = H.G
    try:
        H.G = np.ones((2, 3)) * 3.0   # z * G is now (2, 3)
        np.testing.assert_allclose(df(x), 2.0 * x * 9.0 * 2.0, rtol=1e-12)
    finally:
        H.G = old


def test_a_helper_rebound_after_derivation():
    x = np.array([0.5, -1.0, 2.0])
    df = tl.grad(H.uses_helper)
    np.testing.assert_allclose(df(x), 4.0 * x, rtol=1e-12)
    old = H.helper
    try:
        H.helper = H.sigmoid   # another function now: the version's guard derives again
        s = 1.0 / (1.0 + np.exp(-x))
        np.testing.assert_allclose(df(x), s + x * s * (1.0 - s), rtol=1e-10)
    finally:
        H.helper = old


# -- the quotient rule's two adjoints share the quotient --------------------------------
def softmax_xent(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(Y * np.log(p)) / X.shape[0]


def softmax_scores(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    return np.sum(Y * p * p)


def ratio_of_sums(a, b):
    s = np.sum(a * b, axis=0, keepdims=True)
    q = (a * a) / s
    return np.sum(q * b)


def test_quotient_reused():
    """p = e / t2: be = bp / t2, then t2's adjoint sums be * p (not bp * p / t2)."""
    rng = np.random.default_rng(10)
    W, X = 0.3 * rng.standard_normal((5, 3)), rng.standard_normal((8, 5))
    Y = np.eye(3)[rng.integers(0, 3, 8)]
    df = tl.grad(softmax_xent)
    z = X @ W
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(df(W, X, Y), X.T @ (p - Y) / 8, rtol=1e-10, atol=1e-14)
    tl.check_grads(softmax_xent, (W, X, Y), order=2, modes=("rev",))
    # (the log of a softmax has a closed form, composites.py: a softmax read otherwise)
    df = tl.grad(softmax_scores)
    df(W, X, Y)
    (source,) = version_sources(df)
    assert "(be * p).sum(" in source and "/ t2).sum(" not in source
    tl.check_grads(softmax_scores, (W, X, Y), order=2, modes=("rev",))
    a, b = rng.standard_normal((4, 3)), rng.uniform(1.0, 2.0, (4, 3))
    tl.check_grads(ratio_of_sums, (a, b), wrt=(0, 1), order=2, modes=("rev",))


# -- constant factors of the seed folded into their one use ------------------------------
def twice_dot(x):
    return 2 * np.dot(x, x)


def scaled_twice(x):
    y = 3.0 * np.sum(x * x)
    return 2.0 * y + y * y


def test_constant_factors_of_the_seed_fold():
    x = np.array([1.0, -2.0, 0.5, 3.0])
    df = tl.grad(twice_dot)
    np.testing.assert_allclose(df(x), 4.0 * x, rtol=1e-15)
    np.testing.assert_allclose(df(x, 0.5), 2.0 * x, rtol=1e-15)   # a seed of the caller's
    (source,) = version_sources(df)
    # the adjoint for the seed 1.0 (reverse.seed_factor), scaled only for another seed
    assert "bx = 4.0 * x" in source and "bt1" not in source
    assert "return seeded(bx, bout)" in source
    s = 3.0 * np.sum(x * x)
    np.testing.assert_allclose(tl.grad(scaled_twice)(x), (2.0 + 2.0 * s) * 6.0 * x,
                               rtol=1e-12)
    tl.check_grads(scaled_twice, (x,), order=2, modes=("rev",))


# -- the elements of a row written one by one ------------------------------------------
def column_twice(x0, p):
    x = np.zeros((5, 2))
    x[0] = x0
    for i in range(4):
        x[i + 1, 0] = x[i, 0] * p + x[i, 1]
        x[i + 1, 0] = x[i + 1, 0] * x[i + 1, 0]   # reads the element just written
        x[i + 1, 1] = np.sin(x[i, 0]) - x[i + 1, 0]
    return np.sum(x ** 2)


def column_by_name(x0, p):
    x = np.zeros((5, 2))
    x[0] = x0
    k = 1
    for i in range(4):
        x[i + 1, 0] = x[i, 0] * p
        x[i + 1, k] = x[i, 1] + x[i + 1, 0] * p   # column k: the whole row for the analysis
    return np.sum(x ** 2)


def test_elements_of_a_row_written_one_by_one():
    """s[i + 1, 0] = a, then s[i + 1, 1] = b: the second write's element is touched by
    nothing before it in the turn, so its adjoint is not cleared either."""
    df = tl.grad(pendulum, wrt=(0, 1))
    df(np.array([1.0, -0.3]), 0.2)
    (source,) = version_sources(df)
    assert "= 0.0" not in source.split("for i in reversed")[1]
    for f in (column_twice, column_by_name):
        tl.check_grads(f, (np.array([0.3, -0.2]), 0.9), wrt=(0, 1), order=1,
                       modes=("rev",))


# -- a derivation leaves nothing for the cyclic garbage collector -------------------------
def twenty_lines_like(W1, b1, W2, x, target):
    h = np.tanh(W1 @ x + b1)
    a = W2 @ h
    m = np.max(a, axis=0, keepdims=True)
    e = np.exp(a - m)
    p = e / np.sum(e, axis=0, keepdims=True)
    loss = -np.mean(np.sum(target * np.log(p + 1e-12), axis=0))
    reg = 0.0
    for W in (W1, W2):
        reg = reg + np.sum(W * W)
    if loss > 10.0:
        loss = 10.0 + np.log1p(loss - 10.0)
    return loss + 1e-4 * reg


def test_a_derivation_leaves_no_reference_cycles():
    # (a closure that reads its pass, a table of a printer's own bound methods, a
    # recursive local function: each kept what it reached alive until the collector ran)
    import gc
    import types
    f = twenty_lines_like
    tl.grad(types.FunctionType(f.__code__, f.__globals__), wrt=(0, 1, 2))   # (first use)
    running = gc.isenabled()
    gc.disable()
    try:
        for _ in range(10):   # (what dies with another test's function dies first)
            if not gc.collect():
                break
        df = tl.grad(types.FunctionType(f.__code__, f.__globals__), wrt=(0, 1, 2))
        assert gc.collect() == 0
    finally:
        if running:
            gc.enable()
    rng = np.random.default_rng(0)
    args = (rng.standard_normal((6, 3)), rng.standard_normal((6, 1)),
            rng.standard_normal((4, 6)), rng.standard_normal((3, 2)), np.eye(4)[:, [0, 1]])
    assert all(np.all(np.isfinite(g)) for g in df(*args))
