"""Cheaper generated code and runtime helpers that give the same values as before:
shortcuts taken only where they are exact (no tie at a maximum, an array made fresh in
the function), with the cases next to them where they must not be taken."""
import numpy as np
import pytest

import tangentlike as tl
from tangentlike.rules.reductions import tie_weights

RNG = np.random.default_rng(71)


def per_slot_weights(a, y, axis):
    """tie_weights the long way: 1/k at the k elements equal to their slot's y."""
    equal = (a == np.expand_dims(y, axis)).astype(float)
    with np.errstate(invalid="ignore"):
        return equal / equal.sum(axis=axis, keepdims=True)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("a", [
    np.array([[1.0, 3.0, 2.0], [4.0, 0.0, -1.0]]),                # no tie: the shortcut
    np.array([[1.0, 3.0, 3.0], [4.0, 0.0, -1.0]]),                # a tie in one slot
    np.array([[1.0, 1.0, 0.0], [np.nan, 2.0, 3.0]]),              # a tie and a NaN slot:
    np.array([[5.0, 1.0, 0.0], [np.nan, 2.0, 3.0]]),              # as many equal as slots
    np.array([[np.inf, 1.0, 0.0], [-np.inf, -np.inf, -np.inf]]),  # inf and -inf maxima
])
@pytest.mark.parametrize("axis", [0, 1])
def test_tie_weights_per_slot(a, axis):
    for y, keepdims in ((np.max(a, axis=axis), False),
                        (np.max(a, axis=axis, keepdims=True), True)):
        got = tie_weights(a, y, axis=axis, keepdims=keepdims)
        np.testing.assert_array_equal(got, per_slot_weights(a, np.max(a, axis=axis), axis))


def softmax_rows(z):
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    return np.sum(e / np.sum(e, axis=1, keepdims=True) * z)


def test_max_of_rows_with_and_without_ties():
    z = RNG.standard_normal((4, 3))
    tl.check_grads(softmax_rows, (z,), order=2, modes=("rev",))
    z[1, 0] = z[1, 2] = 5.0   # a tie in one row: split evenly, as np.max's rule says
    g = tl.grad(lambda z: np.sum(np.max(z, axis=1) * np.arange(1.0, 5.0)))(z)
    want = np.zeros((4, 3))
    for i in range(4):
        ties = z[i] == z[i].max()
        want[i, ties] = (i + 1.0) / ties.sum()
    np.testing.assert_array_equal(g, want)


# -- element saves of an array the function made itself ----------------------------------
def euler(x0, p, n):
    x = np.zeros((n + 1, 2))
    x[0] = x0
    for i in range(n):
        x[i + 1] = x[i] + 0.1 * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def stepped_by_views(x0, p, n):
    x = np.zeros((n + 1, 2))
    x[0] = x0
    for i in range(n):
        x[i + 1] = x[i] * p   # the adjoint reads x[i] (a view of x) for p's derivative
    return np.sum(x[-1] ** 2)


@pytest.mark.parametrize("n", [0, 1, 5])
@pytest.mark.parametrize("f", [euler, stepped_by_views])
def test_saves_of_elements_of_a_fresh_array(f, n):
    x0 = RNG.standard_normal(2)
    tl.check_grads(f, (x0, 1.3, n), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(f, wrt=(0, 1))
    got = df(x0, 1.3, n)
    for g, w in zip(got, df.generic(x0, 1.3, n)):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    if f is stepped_by_views and n:   # the adjoint reads x[i]: its saved elements come
        # back (a version per n: the int sizes x)
        (source,) = [v.source for v in df.versions.values() if f"n == {n})" in v.source]
        # (np.copy of a float64 array written as its method, perf23)
        assert ".copy(order='K')" in source and "= stack.pop()" in source


def euler_of_four_steps(x0, p):
    n = 4
    x = np.zeros((n + 1, 2))
    x[0] = x0
    for i in range(n):
        x[i + 1] = x[i] + 0.1 * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def test_unread_element_saves_go():
    x0 = RNG.standard_normal(2)
    tl.check_grads(euler_of_four_steps, (x0, 1.3), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(euler_of_four_steps, wrt=(0, 1))
    df(x0, 1.3)
    (source,) = [v.source for v in df.versions.values()]
    # x[i, 0] is a number, x[i] (a view) is read by the primal only: once the adjoint
    # starts, nothing reads x, so its elements are neither saved nor put back
    assert "np.copy(" not in source and "x[t11] = stack.pop()" not in source


def returned_rows(x0, p):
    x = np.zeros((3, 2))
    x[0] = x0
    for i in range(2):
        x[i + 1] = x[i] * p
    return x


def test_saves_of_elements_of_a_returned_array_stay():
    x0, seed = RNG.standard_normal(2), RNG.standard_normal((3, 2))
    df = tl.vjp(returned_rows, wrt=(0, 1))
    got = df(x0, 0.9, seed)
    want = df.generic(x0, 0.9, seed)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    (source,) = [v.source for v in df.versions.values()]
    assert "np.copy(" in source


# -- split_like: the adjoint of joining arrays, by slices ----------------------------------
def split_the_long_way(g, arrays, axis):
    if axis is None:
        g, axis = np.ravel(g), 0
    others = np.size(g) // max(np.shape(g)[axis], 1)
    ends = np.cumsum([np.size(a) // max(others, 1) for a in arrays])[:-1]
    return [np.reshape(p, np.shape(a)) for p, a in zip(np.split(g, ends, axis=axis), arrays)]


@pytest.mark.parametrize("join,arrays,axis", [
    (np.stack, [RNG.standard_normal(3) for _ in range(4)], 0),
    (np.stack, [RNG.standard_normal((2, 3)) for _ in range(4)], 1),
    (np.stack, [RNG.standard_normal((2, 3)) for _ in range(4)], -1),
    (np.concatenate, [RNG.standard_normal((2, 3)), RNG.standard_normal((1, 3))], 0),
    (np.concatenate, [RNG.standard_normal((2, 3)), RNG.standard_normal((2, 1))], -1),
    (np.concatenate, (RNG.standard_normal(2), RNG.standard_normal(0), RNG.standard_normal(3)), 0),
    (np.concatenate, [RNG.standard_normal((2, 2)), RNG.standard_normal((3,))], None),
    (np.hstack, [1.5, 2.5, 3.5], 0),
    (np.stack, [RNG.standard_normal(2)], 0),
])
def test_split_like_gives_the_pieces_np_split_gives(join, arrays, axis):
    from tangentlike.rules.shapes import split_like
    g = RNG.standard_normal(np.shape(join(arrays, axis=axis) if join is not np.hstack
                                     else join(arrays)))
    got = split_like(g, arrays, axis)
    assert type(got) is type(arrays)
    for piece, want, a in zip(got, split_the_long_way(g, arrays, axis), arrays):
        assert isinstance(piece, np.ndarray) and piece.shape == np.shape(a)
        np.testing.assert_array_equal(piece, want)


def states_in_a_list(W, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + xs[t]))
    H = np.stack(hs[1:])
    return np.sum(H * H)


def test_stacked_list_of_states():
    W, xs, h0 = RNG.standard_normal((3, 3)) / 2, RNG.standard_normal((5, 3)), RNG.standard_normal(3)
    tl.check_grads(states_in_a_list, (W, xs, h0), wrt=(0, 2), order=2, modes=("rev",))


# -- np.roll keeps its array's shape: a loop-carried adjoint stays an array -----------------
def ring(x0, v0, k, steps):
    x = x0
    v = v0
    for step in range(steps):
        force = k * (np.roll(x, 1) + np.roll(x, -1, axis=0) - 2 * x)
        v = v + 0.1 * force
        x = x + 0.1 * v
    return np.sum(x * x)


@pytest.mark.parametrize("steps", [0, 1, 4])
def test_roll_keeps_the_carried_adjoint_an_array(steps):
    x0, v0 = RNG.standard_normal(6), RNG.standard_normal(6)
    tl.check_grads(ring, (x0, v0, 1.7, steps), wrt=(0, 1, 2), order=2, modes=("rev",))
    df = tl.grad(ring, wrt=(0, 2))
    df(x0, v0, 1.7, 8)
    (source,) = [v.source for v in df.versions.values()]
    # bx stays a (6,) array through every reversed turn: k's derivative is a dot
    # product, the rolls need no broadcast_like
    assert "np.dot(" in source and "broadcast_like" not in source, source


# -- the parts of a concatenation's adjoint have the shapes of their slices ---------------
def heat(u0, alpha, steps):
    u = u0
    for step in range(steps):
        lap = u[:-2] - 2.0 * u[1:-1] + u[2:]
        inner = u[1:-1] + alpha * lap
        u = np.concatenate((u[:1], inner, u[-1:]))
    return np.sum(u * u)


@pytest.mark.parametrize("steps", [0, 1, 4])
def test_slices_of_a_concatenation_adjoint(steps):
    u0 = RNG.standard_normal(7)
    tl.check_grads(heat, (u0, 0.2, steps), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(heat, wrt=(0, 1))
    df(u0, 0.2, 5)
    (source,) = [v.source for v in df.versions.values()]
    assert "np.dot(binner, lap)" in source, source   # binner = bt10[1], a (5,) slice


# -- the first writes into an array just made save nothing -----------------------------------
def wave(u0, c2, steps):
    u_prev = u0
    u = u0
    for step in range(steps):
        lap = np.zeros_like(u)
        lap[1:-1] = u[:-2] - 2.0 * u[1:-1] + u[2:]
        u_next = 2.0 * u - u_prev + c2 * lap
        u_prev = u
        u = u_next
    return np.sum(u * u)


def two_writes_then_reads(x, steps):
    for step in range(steps):
        y = np.zeros(4)
        y[0] = x[1] * x[2]
        y[1:3] = np.sin(x[:2])
        y[2] = y[2] * x[0]   # reads y: its old element is saved
        x = x + y * y
    return np.sum(x)


def overlapping_writes(x, steps):
    s = 0.0
    for step in range(steps):
        y = np.zeros(4)
        y[0:2] = x[:2] * x[2]   # y[1] is overwritten next: no derivative through it
        y[1:3] = np.sin(x[1:3])
        s = s + np.sum(y * y) + y[0] * y[1]
        x = x * 0.9 + y
    return s


def divided_then_written(a, b):
    y = a / b
    y[0] = np.inf   # the adjoint of the division reads y: its old element comes back
    return np.sum(y[1:] * y[1:])


def made_then_returned(x):
    y = np.ones(3)
    y[1] = x[0] * x[1]
    y[2] = np.sin(x[2])
    return y


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_first_writes_into_a_new_array(steps):
    u0 = RNG.standard_normal(6)
    tl.check_grads(wave, (u0, 0.3, steps), wrt=(0, 1), order=2, modes=("rev",))
    x = RNG.standard_normal(4)
    tl.check_grads(two_writes_then_reads, (x, steps), order=2, modes=("rev",))
    tl.check_grads(overlapping_writes, (x, steps), order=2, modes=("rev",))
    df = tl.grad(wave, wrt=(0, 1))
    df(u0, 0.3, steps)
    (source,) = [v.source for v in df.versions.values()]
    assert "np.copy(" not in source   # lap's zeros are never read back
    if steps:   # blap is zero at the start of every reversed turn: first-written there
        assert "blap = 0.0" not in source and "blap + " not in source, source
    df = tl.grad(two_writes_then_reads)
    df(x, steps)
    (source,) = [v.source for v in df.versions.values()]
    assert source.count("np.copy(") == 1   # only y[2], which the last write reads first


def test_first_write_into_an_array_whose_adjoint_reads_it():
    a, b = RNG.standard_normal(3), RNG.standard_normal(3) + 3.0
    tl.check_grads(divided_then_written, (a, b), wrt=(0, 1), order=2, modes=("rev",))
    ga, gb = tl.grad(divided_then_written, wrt=(0, 1))(a, b)
    assert np.isfinite(gb).all() and gb[0] == 0.0


def test_first_writes_into_a_returned_array():
    x, seed = RNG.standard_normal(3), RNG.standard_normal(3)
    tl.check_grads(made_then_returned, (x,), order=2)
    df = tl.vjp(made_then_returned)
    np.testing.assert_allclose(df(x, seed), df.generic(x, seed), rtol=1e-12)
    value, g = tl.value_and_grad(lambda x: np.sum(made_then_returned(x) ** 2))(x)
    np.testing.assert_allclose(value, np.sum(made_then_returned(x) ** 2), rtol=1e-12)


# -- numbers of a loop turn computed again by a ufunc, not saved ---------------------------
def sum_of_sines(w, x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + w[i] * np.sin(x[i] * w[i])
    return s


def log_of_sum(w, x):
    s = 1.0
    for i in range(x.shape[0]):
        s = s + np.exp(x[i] * w[i])
    return np.log(s)   # its adjoint reads s: the primal turns stay


def counter_read_after(w, x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + np.tanh(w[i] * x[i])
    return s * i


@pytest.mark.parametrize("f", [sum_of_sines, log_of_sum, counter_read_after])
@pytest.mark.parametrize("n", [1, 5])
def test_ufunc_of_numbers_in_a_loop_is_computed_again(f, n):
    w, x = RNG.standard_normal(n), RNG.standard_normal(n)
    tl.check_grads(f, (w, x), wrt=(0, 1), order=2)
    value, grad = tl.value_and_grad(f, wrt=(0, 1))(w, x)
    assert value == pytest.approx(f(w, x), rel=1e-12)
    df = tl.grad(f, wrt=(0, 1))
    df(w, x)
    source = list(df.versions.values())[-1].source   # (the version for this n)
    assert "stack" not in source   # nothing saved
    # only the loop whose turns compute what nobody reads is gone
    loops = [line for line in source.splitlines() if line.lstrip().startswith("for i in")]
    assert len(loops) == (1 if f is sum_of_sines else 2), source


# -- np.result_type of a known dtype and constants is that dtype ----------------------------
def relu_sum(x):
    return np.sum(np.maximum(x, 0.0) * x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_result_type_of_constants_is_bound(dtype):
    x = np.array([1.5, -2.0, 0.0, 3.0], dtype=dtype)
    df = tl.grad(relu_sum)
    g = df(x)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, [3.0, 0.0, 0.0, 6.0])   # 2x where x > 0; half of 0 at 0
    source = list(df.versions.values())[-1].source
    assert "np.result_type" not in source and f"share(x, 0.0, {np.dtype(dtype)}" in source


# -- sizes a version knows are ints in its code --------------------------------------------
def mean_square_by_rows(W, X):
    z = X @ W
    return np.sum(z * z) / X.shape[0] + len(X) * np.sum(W)


def test_known_sizes_are_constants():
    W, X = RNG.standard_normal((3, 2)), RNG.standard_normal((5, 3))
    tl.check_grads(mean_square_by_rows, (W, X), wrt=(0, 1), order=2)
    df = tl.grad(mean_square_by_rows)
    df(W, X)
    code = "\n".join(line for line in list(df.versions.values())[-1].source.splitlines()
                     if not line.lstrip().startswith("#"))
    # X.shape[0] and len(X) are 5: no np.shape, and no quotient() guarding a division
    # by a Python zero
    assert "np.shape" not in code and "quotient" not in code and "len(" not in code, code


# -- a one-element slice of an adjoint is updated as an element ----------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_element_slices_update_an_element(dtype):
    u0 = RNG.standard_normal(7).astype(dtype)
    df = tl.grad(heat, wrt=(0, 1))
    g, galpha = df(u0, 0.2, 3)
    want = df.generic(u0, 0.2, 3)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, want[0], rtol=1e-5 if dtype is np.float32 else 1e-12)
    if dtype is np.float64:
        source = list(df.versions.values())[-1].source
        # u[:1] and u[-1:]: an element each, not a slice of one element (slow in NumPy)
        assert "bu0[0] += bt8[0]" in source and "bu0[6] += bt9[0]" in source, source


# -- an adjoint reset to zero at the end of every turn is zero at the start of the next ------
LOOP_WITH_RESET = """
def f(g, n):
    b = 0.0
    for i in range(n):
        c = b + g
        b = 0.0{tail}
    return b + c
"""


@pytest.mark.parametrize("tail,steady", [
    ("", True),                                        # every turn ends with b = 0.0
    ("\n        if g > 1.0:\n            b = c", False),   # some turns leave b = c
    ("\n        if g > 1.0:\n            break", False),   # a turn cut short
])
def test_zero_at_the_end_of_every_turn(tail, steady):
    import ast
    import gast
    from tangentlike.optimize import propagate_copies
    from tangentlike.naming import statements
    fdef = gast.parse(LOOP_WITH_RESET.format(tail=tail)).body[0]
    for stmt in statements(fdef.body):
        stmt.phase = "adjoint"
    fdef.body = propagate_copies(fdef.body)
    text = ast.unparse(gast.gast_to_ast(fdef))
    assert ("c = 0.0 + g" in text) == steady, text
    assert ("return 0.0 + c" in text) == steady, text
