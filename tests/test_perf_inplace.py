"""Versions that add element contributions in place into adjoints of their own (a
variable reassigned in a loop and read by slices, like a heat equation's state) and
cut the adjoint of a concatenation into slices: the gradients are right (finite
differences and the generic derivative, through tl.check_grads, to second order), no
array the adjoint does not own changes, and the version says what it does."""
import numpy as np
import pytest

import tangentlike as tl

from util import version_sources
from test_control_flow import loop_with_branch as carried_adjoint_in_both_branches

RNG = np.random.default_rng(61)


def heat(u0, alpha, steps):
    u = u0
    for step in range(steps):
        lap = u[:-2] - 2.0 * u[1:-1] + u[2:]
        inner = u[1:-1] + alpha * lap
        u = np.concatenate((u[:1], inner, u[-1:]))
    return np.sum(u * u)


@pytest.mark.parametrize("steps", [0, 1, 4])
def test_a_reassigned_array_read_by_slices_adds_in_place(steps):
    u0 = RNG.standard_normal(7)
    tl.check_grads(heat, (u0, 0.2, steps), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(heat, wrt=(0, 1))
    df(u0, 0.2, steps)
    (source,) = version_sources(df)
    # the concatenation has a known shape, so do the slices of it
    assert "unbroadcast" not in source and "add_grads" not in source
    # bu0, the adjoint of u, is an array at the start of every reversed turn: its
    # parts are slices of it (no np.split, no broadcast_like of a possible 0.0)
    assert "np.split" not in source and "broadcast_like" not in source
    assert "part(" not in source   # the tuple of slices, read by index
    if steps:
        assert "bu0[1:-1] += binner" in source
        assert "add_at_item" not in source and "split_like" not in source


def heat_2d(u0, alpha, steps):
    u = u0
    for step in range(steps):
        inner = u[:, 1:-1] + alpha * (u[:, :-2] - 2.0 * u[:, 1:-1] + u[:, 2:])
        u = np.concatenate((u[:, :1], inner, u[:, -1:]), axis=1)
    return np.sum(u * u)


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_along_a_second_axis(steps):
    tl.check_grads(heat_2d, (RNG.standard_normal((2, 6)), 0.3, steps), wrt=(0, 1),
                   order=2, modes=("rev",))


def copies(x, n):
    u = x
    for i in range(n):
        v = u                       # the adjoint of v may hold bu's array
        w = u[1:] * v[:-1]
        u = np.concatenate((w, v[:1] * u[2:3]))
    return np.sum(u * np.arange(1.0, 6.0))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_a_copy_of_the_reassigned_array(n):
    tl.check_grads(copies, (RNG.standard_normal(5), n), order=2, modes=("rev",))


def whole_and_parts(x, n):
    u = x
    for i in range(n):
        u = np.concatenate((u[1:], u[:1])) * 0.5 + u * u[0]
    return np.sum(u * u)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_whole_reads_between_slice_reads(n):
    tl.check_grads(whole_and_parts, (RNG.standard_normal(4), n), order=2, modes=("rev",))


def branches(x, n):
    u = x
    for i in range(n):
        if u[0] > 0:
            a = u[1:] * 2.0
        else:
            a = u[:-1] * u[1:]
        u = np.concatenate((a, u[:1] + u[-1:]))
    return np.sum(u * u)


@pytest.mark.parametrize("first", [1.0, -1.0])
@pytest.mark.parametrize("n", [0, 1, 3])
def test_slice_reads_on_both_sides_of_a_branch(first, n):
    x = RNG.standard_normal(4)
    x[0] = first
    tl.check_grads(branches, (x, n), order=2, modes=("rev",))


def overlapping(x, n):
    u = x
    for i in range(n):
        u = np.concatenate((u[:3] + u[1:4] * u[:3], u[3:] - u[:2]))
    return np.sum(np.sin(u))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_overlapping_slices(n):
    tl.check_grads(overlapping, (RNG.standard_normal(5), n), order=2, modes=("rev",))


def returns_the_state(x, n):
    u = x
    for i in range(n):
        u = np.concatenate((u[:1], u[1:] * u[:-1]))
    return u


def test_the_seed_and_the_arguments_are_left_alone():
    x = RNG.standard_normal(4)
    seed = RNG.standard_normal(4)
    x_before, seed_before = x.copy(), seed.copy()
    df = tl.vjp(returns_the_state)
    first = df(x, 3, seed)
    again = df(x, 3, seed)   # the version
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(seed, seed_before)
    np.testing.assert_allclose(first, again)
    tl.check_grads(returns_the_state, (x, 3), order=2, modes=("rev",))


def test_float32_keeps_its_dtype():
    u0 = RNG.standard_normal(6).astype(np.float32)
    df = tl.grad(heat)
    first = df(u0, np.float32(0.2), 2)
    again = df(u0, np.float32(0.2), 2)
    assert first.dtype == again.dtype == np.float32
    np.testing.assert_allclose(first, again, rtol=1e-6)


def branch_then_copy(x, n):
    u = x
    for i in range(n):
        if u[0] > 0:
            a = u[1:] * 2.0
        else:
            a = u[:-1] * u[1:]
        v = u                           # bu = bv: not an array of bu's own
        w = np.concatenate((a, v[:1]))
        u = w * v
    return np.sum(u * u)


@pytest.mark.parametrize("first", [1.0, -1.0])
@pytest.mark.parametrize("n", [0, 1, 3])
def test_a_branch_after_a_copy_of_the_array(first, n):
    x = RNG.standard_normal(4)
    x[0] = first
    tl.check_grads(branch_then_copy, (x, n), order=2, modes=("rev",))


def conv1d(w, x):
    k = w.shape[0]
    n = x.shape[0] - k + 1
    y = np.zeros(n)
    for j in range(k):
        y = y + w[j] * x[j:j + n]
    return np.sum(np.tanh(y))


@pytest.mark.parametrize("k", [0, 1, 3])
def test_slices_of_a_known_length_at_a_loop_counter(k):
    w, x = RNG.standard_normal(k), RNG.standard_normal(7)
    tl.check_grads(conv1d, (w, x), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(conv1d, wrt=(0, 1))
    df(w, x)
    (source,) = [s for s in version_sources(df) if f"w.shape == ({k},)" in s]
    if k:   # x[j:j + n] has n elements: no unbroadcast, nothing saved per turn
        assert "unbroadcast" not in source and "stack" not in source
        assert "bx[j:t6] += " in source


def windows(x, m):
    s = 0.0
    for j in range(x.shape[0]):
        s = s + np.sum(x[j:j + m] * x[j:j + m])   # shorter near the end
    for j in range(1, 3):
        s = s + np.sum(np.sin(x[j - 2:j + 1]))      # x[-1:2] is empty
    return s


@pytest.mark.parametrize("m", [1, 2, 3])
def test_windows_clipped_at_the_end_or_counted_from_it(m):
    tl.check_grads(windows, (RNG.standard_normal(5), m), order=2, modes=("rev",))


def shifted_rows(A, steps):
    acc = np.zeros(A.shape[1])
    for i in range(steps):
        acc = acc * A[i + 1] + A[i, 1:3].sum() * A[i + 2]
    return np.sum(acc * acc)


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_rows_at_a_counter_plus_a_constant(steps):
    tl.check_grads(shifted_rows, (RNG.standard_normal((5, 3)), steps), order=2,
                   modes=("rev",))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_and_min_split_ties_evenly_and_pass_nan_on(dtype):
    def lse(x):
        m = np.max(x)
        return m + np.log(np.sum(np.exp(x - m)))

    def top(x):
        return np.max(x) - 2.0 * np.min(x, axis=0).sum() + np.max(x, axis=1).sum()

    df = tl.grad(top)
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.5, 0.5]], dtype=dtype)
    for _ in range(2):   # the generic derivative, then the version
        g = df(x)
        assert g.dtype == dtype
        np.testing.assert_allclose(g, [[-2.0, 1.0, 1.0], [1.0, -2.0, -2.0]])
    x[0, 1] = np.nan
    assert np.isnan(df(x)[0]).all()
    tl.check_grads(lse, (RNG.standard_normal(6),), order=2, modes=("rev",))
    tl.check_grads(lse, (np.array([0.5, 2.0, 2.0, -1.0]),), order=1, modes=("rev",))
    dl = tl.grad(lse)
    y = np.array([1.0, np.nan, 0.0], dtype=dtype)
    assert np.isnan(dl(y)).all() and np.isnan(dl(y)).all()   # generic, then the version


def carried_adjoint_zeroed_in_a_branch(x, n):
    y = x * 1.0
    for i in range(n):
        if i == 1:
            y = x * 2.0     # the old y gets nothing: its adjoint is 0.0 after this turn
        else:
            y = np.sin(y)
    return np.sum(y)


@pytest.mark.parametrize("n", [0, 1, 2, 4])
@pytest.mark.parametrize("func", [carried_adjoint_zeroed_in_a_branch,
                                  carried_adjoint_in_both_branches])
def test_adjoints_carried_by_loops_of_a_version(func, n):
    """A version follows the static shape of an adjoint a reversed loop carries from
    turn to turn; where a turn may leave it the scalar zero, it derives again without
    assuming it an array. Both are right."""
    x = np.array([0.3, -0.5, 0.8])
    tl.check_grads(func, (x, n), order=2)
    tl.check_grads(func, (x + 1.0, n), order=2)
    df = tl.grad(func)
    df(x, n)
    (source,) = version_sources(df)
    if func is carried_adjoint_in_both_branches:
        assert "shaped(" not in source   # bx is an array of x's shape on every path


def wave_into_a_fresh_array(u0, c, steps):
    u_prev = u0.copy()
    u = u0.copy()
    for t in range(steps):
        lap = np.zeros_like(u)
        lap[1:-1] = u[2:] - 2 * u[1:-1] + u[:-2]
        u_next = 2 * u - u_prev + (c * 0.1) ** 2 * lap
        u_prev = u
        u = u_next
    return np.sum(u ** 2)


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_a_write_of_a_slice_with_constant_bounds(steps):
    """lap[1:-1] = v: in a version the written part's shape is known, so v's adjoint
    needs no unbroadcast (and v is not saved only to give it its shape)."""
    u0 = RNG.standard_normal(8)
    tl.check_grads(wave_into_a_fresh_array, (u0, 0.7, steps), wrt=(0, 1), order=2,
                   modes=("rev",))
    df = tl.grad(wave_into_a_fresh_array, wrt=(0, 1))
    df(u0, 0.7, steps)
    (source,) = version_sources(df)
    assert "unbroadcast" not in source
    assert "t6 = stack.pop()" not in source
