"""Versions of simulations that integrate into a preallocated array (``x = np.zeros((n
+ 1, m))``, ``x[i + 1] = x[i] + dt * f(x[i])``): the size ``n = 100`` is a known int, so
x has a concrete shape; its adjoint is an array of its own across the reversed loop's
turns, read out and cleared in place at the written element (no copy of the whole
adjoint per step). Gradients are checked against finite differences and the generic
derivative (tl.check_grads, to second order) with loops of 0, 1 and many turns."""
import numpy as np
import pytest

import tangentlike as tl

from util import version_sources

RNG = np.random.default_rng(71)


def euler(x0, p, n):
    x = np.zeros((n + 1, 2))
    x[0] = x0
    dt = 0.1
    for i in range(n):
        x[i + 1] = x[i] + dt * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def euler_fixed(x0, p):
    n = 6
    x = np.zeros((n + 1, 2))
    x[0] = x0
    dt = 0.1
    for i in range(n):
        x[i + 1] = x[i] + dt * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def rhs(xi, p):
    return np.array([xi[1], -p * xi[0]])


def euler_helper(x0, p):
    n = 5
    x = np.zeros((n + 1, 2))
    x[0] = x0
    for i in range(n):
        x[i + 1] = x[i] + 0.1 * rhs(x[i], p)
    return np.sum(x * x)


def euler_1d(x0, p, n):
    x = np.zeros(n + 1)
    x[0] = x0
    for i in range(n):
        x[i + 1] = x[i] - 0.1 * p * np.sin(x[i])
    return x[-1] ** 2 + np.sum(x)


def euler_sized(x0, p):
    n = x0.shape[0]
    x = np.zeros((n + 1, 2))
    x[0] = x0[0]
    for i in range(n):
        x[i + 1] = x[i] + 0.1 * np.array([x[i, 1], -p * x[i, 0]]) + 0.01 * x0[i]
    return np.sum(x ** 2)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_euler_steps(n):
    tl.check_grads(euler, (RNG.standard_normal(2), 1.5, n), wrt=(0, 1), order=2,
                   modes=("rev",))


def test_euler_with_a_known_size_adds_in_place():
    x0 = RNG.standard_normal(2)
    tl.check_grads(euler_fixed, (x0, 1.5), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(euler_fixed, wrt=(0, 1))
    df(x0, 1.5)
    (source,) = version_sources(df)
    loop = source.split("for i in reversed")[1]
    assert "zero_at(" not in loop and "add_at_item(" not in loop
    assert "bx[i, 0] += " in loop
    # row i + 1 is touched by no statement that runs before the write (rows_written_once):
    # its adjoint is read as it is, neither copied nor cleared
    # (by its items, each read once: optimize.read_row_items, perf17)
    assert "bt12_0 = bx[t11, 0]\n" in loop and "bx[t11] = 0.0" not in loop
    assert ".copy()" not in loop
    # the adjoint of np.array([a, b]) is an array of two rows: read by index, no helper
    assert "= part(" not in loop and "np.asarray(" not in loop
    # -p is computed again in the reversed loop, not saved at every turn
    # (and, the same at every turn, once before the loop: hoist_invariants, perf18)
    before = source.split("for i in reversed")[0].split("bp = 0.0")[1]
    assert "t5 = -p" in before and "t5 = -p" not in loop and "t5 = stack.pop()" not in loop


def euler_literal_shape(x0, p):
    x = np.zeros((7, 2))   # the shape written out: a constant tuple after normalization
    x[0] = x0
    for i in range(6):
        x[i + 1] = x[i] + 0.1 * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def test_euler_into_an_array_of_a_literal_shape_is_the_euler_of_a_known_size():
    # np.zeros((7, 2)) had no stand-in (shapeclass: only a name or a number as the
    # shape), so neither had anything computed from x: its rows were saved on a stack
    # and every adjoint contribution was a whole array, add_at_item(..., x, (i, 0))
    x0 = RNG.standard_normal(2)
    tl.check_grads(euler_literal_shape, (x0, 1.5), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(euler_literal_shape, wrt=(0, 1))
    for got, want in zip(df(x0, 1.5), tl.grad(euler_fixed, wrt=(0, 1))(x0, 1.5)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    (source,) = version_sources(df)
    loop = source.split("for i in reversed")[1]
    assert "stack" not in source and "add_at_item(" not in loop and "bx[i, 0] += " in loop


def spring_rows(x0, k):
    xs = np.zeros((9, 2))
    xs[0] = x0
    for i in range(8):
        x, v = xs[i]
        xs[i + 1] = [x + 0.1 * v, v - 0.1 * k * x]   # a row written from a list
    return np.sum(xs[-1] ** 2) + np.sum(np.sin(xs))


def test_a_row_written_from_a_list_of_numbers_has_the_rows_adjoint():
    # xs[i + 1] = [a, b]: the adjoint of the list is the row's adjoint as it is, read by
    # index (bt8[0]), not unbroadcast(bxs[t7], t8) (which read the saved list's shape,
    # ~1.5 us) and part(bt8, -2)
    x0 = RNG.standard_normal(2)
    tl.check_grads(spring_rows, (x0, 1.7), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(spring_rows, wrt=(0, 1))
    for got, want in zip(df(x0, 1.7), df.generic(x0, 1.7)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    (source,) = version_sources(df)
    loop = source.split("for i in reversed")[1]
    assert "unbroadcast(" not in loop and "= part(" not in loop and "bt8[0]\n" in loop
    # x, v = xs[i]: their adjoints go to the row's items (optimize.rows_from_items), not
    # into an array of zeros added to the row
    assert "np.zeros(" not in loop and "bxs[i] +=" not in loop
    assert "bxs[i, 1] += bv\n" in loop and "bxs[i, 0] += bx\n" in loop


def test_euler_with_a_helper():
    x0 = RNG.standard_normal(2)
    tl.check_grads(euler_helper, (x0, 0.7), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(euler_helper, wrt=(0, 1))
    df(x0, 0.7)
    assert "zero_at(" not in version_sources(df)[0].split("for i in reversed")[1]


@pytest.mark.parametrize("n", [0, 1, 6])
def test_euler_1d(n):
    tl.check_grads(euler_1d, (0.4, 1.3, n), wrt=(0, 1), order=2, modes=("rev",))


@pytest.mark.parametrize("n", [1, 2, 5])
def test_euler_sized_by_an_argument(n):
    x0 = RNG.standard_normal((n, 2))
    tl.check_grads(euler_sized, (x0, 0.9), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(euler_sized, wrt=(0, 1))
    df(x0, 0.9)
    assert "zero_at(" not in version_sources(df)[0].split("for i in reversed")[1]


def written_then_read(x0, p, flip):
    # the written row is read again in the same turn, and a branch on either side
    n = 4
    x = np.zeros((n + 1, 3))
    x[0] = x0
    for i in range(n):
        x[i + 1] = np.sin(x[i]) * p
        if flip > 0:
            x[i + 1] = x[i + 1] * x[i] + 1.0
        else:
            x[i + 1, 0] = x[i + 1, 2] * p
    return np.sum(x * x)


@pytest.mark.parametrize("flip", [-1.0, 1.0])
def test_a_row_written_twice_and_read_back(flip):
    tl.check_grads(written_then_read, (RNG.standard_normal(3), 0.8, flip), wrt=(0, 1),
                   order=2, modes=("rev",))


def aliased(x0, p):
    # y holds x's array: the adjoint of x may be y's
    n = 3
    x = np.zeros((n + 1, 2))
    x[0] = x0
    total = 0.0
    for i in range(n):
        total = total + np.sum(x[i + 1] * x[i])
        y = x
        step = y[i] * p
        x[i + 1] = step + x[i]
    return total + np.sum(x ** 2)


def test_an_alias_of_the_array():
    tl.check_grads(aliased, (RNG.standard_normal(2), 0.6), wrt=(0, 1), order=2,
                   modes=("rev",))


def nested(x0, p):
    n = 3
    x = np.zeros((n + 1, 2))
    x[0] = x0
    for i in range(n):
        for k in range(2):
            x[i + 1, k] = x[i, 1 - k] * p + x[i, k]
        x[i + 1] = x[i + 1] * 0.9
    return np.sum(x ** 2)


def test_a_nested_loop():
    tl.check_grads(nested, (RNG.standard_normal(2), 0.6), wrt=(0, 1), order=2,
                   modes=("rev",))


def flipped(x0, p, n):
    # the reversed turn clears x[i] in place, then x's adjoint is reset and remade by
    # np.flip (an array another name may hold): it is made an array of its own again
    x = x0 * 1.0
    for i in range(n):
        x = np.flip(x).copy()
        x[i] = p * x[i + 1]
    return np.sum(x * x)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_ownership_lost_in_a_turn(n):
    x0 = RNG.standard_normal(5)
    tl.check_grads(flipped, (x0, 0.7, n), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(flipped, wrt=(0, 1))
    df(x0, 0.7, n)
    if n:
        assert "np.array(np.broadcast_to(bx, (5,)))" in version_sources(df)[0]


def euler_while(x0, p, n):
    x = np.zeros((n + 1, 2))
    x[0] = x0
    i = 0
    while i < n:
        x[i + 1] = x[i] + 0.1 * np.array([x[i, 1], -p * np.sin(x[i, 0])])
        i = i + 1
    return np.sum(x ** 2)


@pytest.mark.parametrize("n", [0, 1, 4])
def test_euler_in_a_while_loop(n):
    tl.check_grads(euler_while, (RNG.standard_normal(2), 1.1, n), wrt=(0, 1), order=2,
                   modes=("rev",))
