"""A simulation whose state is a small array rebuilt at each step from its items,
``x = x + dt * np.array([...])`` (a Lorenz-like system, an RK4 step): in a version the
state has a known float64 shape (shapeclass.stand_ins reads np.array of a list of float
numbers), so the adjoints of its items add into an array of the adjoint's own
(``bx[2] -= g``), not into zeros made for every item (add_at_item). The values are the
generic derivative's and match finite differences."""
import re

import numpy as np
import pytest

import tangentlike as tl


def lorenz(x0, s):
    x = x0
    dt = 0.005
    for i in range(20):
        dx = np.array([s * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], x[0] * x[1] - 2.6 * x[2]])
        x = x + dt * dx
    return np.sum(x * x)


def rk4(z0, p):
    z = z0
    dt = 0.01
    for i in range(5):
        k1 = np.array([p[0] * z[0] - p[1] * z[0] * z[1], p[2] * z[0] * z[1] - p[3] * z[1]])
        z2 = z + 0.5 * dt * k1
        k2 = np.array([p[0] * z2[0] - p[1] * z2[0] * z2[1], p[2] * z2[0] * z2[1] - p[3] * z2[1]])
        z = z + dt * k2
    return np.sum(z ** 2)


def with_an_int(x0, s):
    x = x0
    for i in range(3):
        x = x + 0.1 * np.array([s * x[1], 0, x[0] * x[2]])   # an int item: not read
    return np.sum(x * x)


def listed_twice(x0, s):
    x = x0
    for i in range(3):
        t = [s * x[1], x[0], x[2]]
        u = t                      # the list is read twice: not read
        x = x + 0.1 * np.array(u)
    return np.sum(x * x)


def _versions(df):
    return [v.source for v in df.versions.values() if v is not df.generic]


def _code(source):
    body = source.split("specialize_again", 1)[1]
    return "\n".join(line for line in body.splitlines() if not line.strip().startswith("#"))


def _same_as_generic(df, args):
    for seed in (1.0, -0.5):
        got, want = df(*args, seed), df.generic(*args, seed)
        for g, w in zip(got, want):
            assert np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f,args", [
    (lorenz, (np.array([1.0, 1.0, 1.05]), 10.0)),
    (rk4, (np.array([1.0, 0.7]), np.array([1.1, 0.4, 0.1, 0.4]))),
])
def test_the_items_of_a_small_state_add_in_place(f, args):
    tl.check_grads(f, args, wrt=(0, 1), modes=("rev",))
    df = tl.grad(f, wrt=(0, 1))
    _same_as_generic(df, args)
    [source] = _versions(df)
    code = _code(source)
    assert "add_at_item" not in code and "unbroadcast" not in code
    assert re.search(r"b\w+\[\d\] [-+]= ", code)   # an element update in place


def test_float32_states_keep_their_dtype():
    args = (np.array([1.0, 1.0, 1.05], dtype=np.float32), 10.0)
    df = tl.grad(lorenz, wrt=(0, 1))
    _same_as_generic(df, args)
    assert df(*args)[0].dtype == np.float32


@pytest.mark.parametrize("f", [with_an_int, listed_twice])
def test_lists_not_of_float_numbers_read_once_keep_their_code(f):
    args = (np.array([0.3, 0.5, 0.7]), 1.5)
    tl.check_grads(f, args, wrt=(0, 1), modes=("rev",))
    df = tl.grad(f, wrt=(0, 1))
    _same_as_generic(df, args)
    assert all("add_at_item" in _code(s) for s in _versions(df))


def lstm(W, xs, h0):
    h = h0
    c = np.zeros_like(h0)
    H = h0.shape[0]
    for t in range(xs.shape[0]):
        z = W @ np.concatenate([xs[t], h])
        i = 1.0 / (1.0 + np.exp(-z[:H]))
        f = 1.0 / (1.0 + np.exp(-z[H:2 * H]))
        g = np.tanh(z[2 * H:])
        c = f * c + i * g
        h = np.tanh(c)
    return np.sum(h * h)


def test_a_concatenated_list_and_slices_by_sizes_have_known_shapes():
    # np.concatenate([x, h]) of a list display read once, and z[:H] with H a size: the
    # slices' adjoints add into one array of z's shape (bz[:H] += ...), not add_at_item
    # of zeros for each
    rng = np.random.default_rng(7)
    H, D = 3, 2
    args = (0.5 * rng.standard_normal((3 * H, D + H)), rng.standard_normal((4, D)),
            0.1 * rng.standard_normal(H))
    tl.check_grads(lstm, args, wrt=(0, 2), modes=("rev",))
    df = tl.grad(lstm, wrt=(0, 2))
    _same_as_generic(df, args)
    [source] = _versions(df)
    code = _code(source)
    assert "add_at_item" not in code and "bz[:H] += " in code
