"""Generated code of functions like issue 6's cases written other ways (a spring chain
with np.diff, a convolution with np.convolve, ...): the versions avoid costs the
hand-written gradient does not have, and give the generic derivative's values (checked
by tl.check_grads against finite differences, to second order)."""
import math

import numpy as np
import pytest

import tangentlike as tl
from util import written_numbers
from tangentlike.rules.shapes import zero_padded

RNG = np.random.default_rng(1414)


def version_sources(df):
    return [written_numbers(v) for v in df.versions.values()]


def chain(x0, k, n):
    x = x0
    v = np.zeros_like(x0)
    for t in range(n):
        s = np.diff(x) - 1.0
        f = np.zeros_like(x)
        f[:-1] += k * s
        f[1:] -= k * s
        v = v + 0.1 * f
        x = x + 0.1 * v
    return np.sum((x - x0) ** 2)


def conv_loss(k, x, y):
    return np.sum((np.convolve(x, k, mode="valid") - y) ** 2)


def diffs(a):
    return np.sum(np.sin(np.diff(a, 2, axis=0))) + np.sum(np.diff(a) ** 2)


@pytest.mark.parametrize("widths", [((2, 1),), ((0, 0),), ((1, 0), (0, 2)), ((0, 3), (2, 2))])
def test_zero_padded_is_np_pad_with_zeros(widths):
    a = RNG.standard_normal((4,) * len(widths))
    out = zero_padded(a, widths)
    assert np.array_equal(out, np.pad(a, widths))
    assert zero_padded(a.astype(np.float32), widths).dtype == np.float32


@pytest.mark.parametrize("n", [0, 1, 4])
def test_difference_adjoint_pads_without_np_pad(n):
    x0 = np.arange(6.0) * 1.1 + 0.1 * RNG.standard_normal(6)
    tl.check_grads(chain, (x0, 0.7, n), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(chain, wrt=(0, 1))
    df(x0, 0.7, n)
    # (of a 1-D array, difference_of_padded: the difference without the padded copy)
    assert all("np.pad" not in s and ("zero_padded(" in s or "difference_of_padded(" in s)
               for s in version_sources(df)) or n == 0


def test_difference_adjoint_has_the_shape_of_the_array():
    # the adjoint of np.diff(x) has x's shape, so x's adjoint keeps a concrete shape
    # across the reversed loop: the writes' adjoints work in place, nothing re-broadcasts
    x0 = np.arange(6.0) * 1.1 + 0.1 * RNG.standard_normal(6)
    df = tl.grad(chain, wrt=(0, 1))
    df(x0, 0.7, 4)
    (source,) = version_sources(df)
    loop = source.split("for t in reversed")[1]
    assert "broadcast_like" not in loop and "written_part" not in loop
    # f[1:] -= k * s: the write's adjoint clears bf[1:], the read's adds it back; neither
    # is done (nothing reads bf in between), bf[1:] is read as it is (no copy)
    assert "bf[1:] = 0.0" not in loop and "bf[1:] +=" not in loop and ".copy()" not in loop
    assert "= bf[1:]\n" in loop and "= bf[:-1]\n" in loop


def test_parts_of_a_fresh_array_are_not_saved_when_nothing_reads_it_back():
    # f = np.zeros_like(x) gets parts written; v = v + 0.1 * f is a new array (no view
    # of f), so the reversed loop reads no name that shares f's memory: neither f's
    # parts nor f itself are saved and restored
    x0 = np.arange(6.0) * 1.1 + 0.1 * RNG.standard_normal(6)
    df = tl.grad(chain, wrt=(0, 1))
    df(x0, 0.7, 4)
    (source,) = version_sources(df)
    assert "np.copy(f" not in source and "stack.append(f)" not in source
    assert "f[1:] = stack.pop()" not in source and "f = stack.pop()" not in source


def test_shape_helpers_of_rules_are_constants_in_a_version():
    # diff_pad_width(bs, 1, -1, x) and full_padding(x, k, 'valid') depend on shapes
    # only: a version writes their values (and x need not be saved for its shape)
    x0 = np.arange(6.0) * 1.1 + 0.1 * RNG.standard_normal(6)
    df = tl.grad(chain, wrt=(0, 1))
    df(x0, 0.7, 4)
    (source,) = version_sources(df)
    # (the difference of bs padded so, of a 1-D bs: difference_of_padded(bs), perf17)
    assert "diff_pad_width" not in source and "difference_of_padded(bs)" in source
    assert "stack.append(x)" not in source
    k, x, y = RNG.standard_normal(3), RNG.standard_normal(9), RNG.standard_normal(7)
    df = tl.grad(conv_loss, wrt=(0, 1))
    df(k, x, y)
    (source,) = version_sources(df)
    # (the padding a constant, 2: and, of 1-D real arrays, no padded copy, perf18)
    assert "full_padding" not in source and "zero_padded" not in source
    assert source.count("correlate_of_padded(bt2, ") == 2, source


def test_differences_along_axes_and_orders():
    a = RNG.standard_normal((5, 4))
    tl.check_grads(diffs, (a,), order=2)
    g = tl.grad(diffs)(a.astype(np.float32))
    assert g.dtype == np.float32
    assert np.allclose(g, tl.grad(diffs)(a), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("sizes", [(3, 9), (9, 3), (4, 4)])
def test_convolution_adjoint_pads_without_np_pad(sizes):
    k, x = RNG.standard_normal(sizes[0]), RNG.standard_normal(sizes[1])
    y = RNG.standard_normal(abs(sizes[1] - sizes[0]) + 1)
    tl.check_grads(conv_loss, (k, x, y), wrt=(0, 1), order=2)
    df = tl.grad(conv_loss, wrt=(0, 1))
    df(k, x, y)
    assert all("np.pad" not in s for s in version_sources(df))


def gauss_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    r = (x - mu) / sigma
    return np.sum(0.5 * r ** 2 + log_sigma + 0.5 * np.log(2 * np.pi))


def offsets(b, c, x):
    return np.mean(np.sin(x) + b + c * math.pi) + np.sum(x * c)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sum_of_a_spread_into_a_broadcast_array(dtype):
    # the adjoint of log_sigma (8,) from np.sum(... + log_sigma) over (50, 8) is 50.0
    # in each element, not the sum of an array of ones; 2 * np.pi is a number
    mu, log_sigma = RNG.standard_normal(8), 0.1 * RNG.standard_normal(8)
    x = RNG.standard_normal((50, 8))
    args = tuple(a.astype(dtype) for a in (mu, log_sigma, x))
    if dtype == np.float64:
        tl.check_grads(gauss_nll, args, wrt=(0, 1), order=2)
    df = tl.grad(gauss_nll, wrt=(0, 1))
    g = df(*args)
    assert all(part.dtype == dtype for part in g)
    r = (x - mu) / np.exp(log_sigma)
    assert np.allclose(g[1], np.sum(1.0 - r * r, axis=0), rtol=1e-4)
    if dtype == np.float64:
        (source,) = version_sources(df)
        assert "np.zeros" not in source and "50.0 - " in source


@pytest.mark.parametrize("shape", [(6,), (1, 6), (4, 1), (4, 6)])
def test_sum_of_a_spread_into_arrays_of_every_broadcast_shape(shape):
    b, x = RNG.standard_normal(shape), RNG.standard_normal((4, 6))
    tl.check_grads(offsets, (b, 0.3, x), wrt=(0, 1, 2), order=2)
    gb, gc, gx = tl.grad(offsets, wrt=(0, 1, 2))(b, 0.3, x)
    assert gb.shape == shape and np.allclose(gb, np.full(shape, 1.0 / np.size(b)))


def linreg_norm(w, X, y):
    return np.linalg.norm(X @ w - y) ** 2 / y.shape[0]


def norms(x, p):
    return np.linalg.norm(x) + np.sum(np.linalg.norm(x, p, 0)) + np.linalg.norm(x, axis=None)


def test_full_norm_adjoint_is_one_number_times_the_array():
    w, X, y = RNG.standard_normal(5), RNG.standard_normal((7, 5)), RNG.standard_normal(7)
    tl.check_grads(linreg_norm, (w, X, y), order=2)
    df = tl.grad(linreg_norm)
    g = df(w, X, y)
    assert np.allclose(g, X.T @ (X @ w - y) * (2.0 / 7))
    (source,) = version_sources(df)
    assert "expand_reduced" not in source and "np.where" not in source
    assert "broadcast_like" not in source   # quotient(a, b) broadcasts as a / b does
    assert tl.grad(linreg_norm)(w.astype(np.float32), X.astype(np.float32),
                                y.astype(np.float32)).dtype == np.float32


def test_norms_at_zero_and_with_an_order_the_code_computes():
    x = RNG.standard_normal((3, 4))
    for p in (-np.inf, 3.0, 2):
        tl.check_grads(norms, (x, p), wrt=0, order=2, modes=("rev",))
    assert np.array_equal(tl.grad(lambda_free_norm)(np.zeros(3)), np.zeros(3))


def lambda_free_norm(x):
    return np.linalg.norm(x)


def shifted_updates(x, c, n):
    z = x * 1.0
    for t in range(n):
        z[1:] += z[:-1] * c          # reads the array it updates
        z[:2] -= np.sin(z[2:4])
        w = np.zeros_like(z)
        w[1:] += z[1:] * c           # a fresh array's part, read back as it is
        z = z + w
    return np.sum(z * z)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_updates_of_parts_that_read_the_array_keep_their_adjoints(n):
    x = RNG.standard_normal(6)
    tl.check_grads(shifted_updates, (x, 0.4, n), wrt=(0, 1), order=2, modes=("rev",))
    g = tl.grad(shifted_updates)(x.astype(np.float32), np.float32(0.4), n)
    assert g.dtype == np.float32
    assert np.allclose(g, tl.grad(shifted_updates)(x, 0.4, n), rtol=1e-3, atol=1e-3)


def relus(h, c):
    return np.sum(np.maximum(0, h) * c + np.maximum(h, 0.5) ** 2 - np.minimum(1.0, h * c)
                  + np.minimum(h, -0.2))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_maximum_with_a_number_takes_one_share(dtype):
    # np.maximum(0, h): h's share alone, 1 where h > 0 and 1/2 at a tie (h == 0)
    h = np.array([[-1.0, 0.0, 0.5], [0.5, 2.0, -0.2]], dtype=dtype)
    if dtype == np.float64:
        smooth = RNG.standard_normal((2, 3)) * 2.0
        tl.check_grads(relus, (smooth, 0.7), wrt=(0, 1), order=2)
    g = tl.grad(relus)(h, dtype(0.7))
    assert g.dtype == dtype
    share = np.where(h > 0, 1.0, np.where(h == 0, 0.5, 0.0)) * 0.7 \
        + np.where(h > 0.5, 2 * h, np.where(h == 0.5, h, 0.0)) \
        - 0.7 * np.where(h * 0.7 < 1.0, 1.0, np.where(h * 0.7 == 1.0, 0.5, 0.0)) \
        + np.where(h < -0.2, 1.0, np.where(h == dtype(-0.2), 0.5, 0.0))
    assert np.allclose(g, share, rtol=1e-6)
    df = tl.grad(relus)
    df(h.astype(float), 0.7)
    source = [s for s in version_sources(df) if "float64 (2, 3)" in s][0]
    assert "1.0 - w" not in source and "unbroadcast" not in source


def soft_assignments(C, X, beta):
    d = np.sum((X[:, None, :] - C[None, :, :]) ** 2, axis=2)
    a = np.exp(-beta * d)
    a = a / np.sum(a, axis=1, keepdims=True)
    return np.sum(a * d)


def test_unit_factor_folds_after_a_quotient_is_reused():
    # ba_1 = 1.0 * d was read twice before reuse_quotients made bt7 read ba instead:
    # counted again, it folds into ba = d / t7 (no copy of d)
    C, X = RNG.standard_normal((3, 2)), RNG.standard_normal((20, 2))
    tl.check_grads(soft_assignments, (C, X, 0.5), wrt=0, order=2)
    df = tl.grad(soft_assignments)
    df(C, X, 0.5)
    (source,) = version_sources(df)
    assert "1.0 * d" not in source and "= d / t7" in source


def leapfrog(u0, c2, n):
    u_old = u0.copy()
    u = u0.copy()
    for t in range(n):
        u_new = np.zeros_like(u)
        u_new[1:-1] = 2.0 * u[1:-1] - u_old[1:-1] + c2 * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u_old = u
        u = u_new
    return np.sum(u ** 2)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_adjoint_of_a_read_part_has_the_array_shape(n):
    # add_at_item(g, u, slice(None, -2)) is shaped like u: the sum with it keeps a
    # concrete shape, nothing re-broadcasts it at the end
    u0 = RNG.standard_normal(8)
    tl.check_grads(leapfrog, (u0, 0.3, n), wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(leapfrog)
    df(u0, 0.3, 5)
    (source,) = version_sources(df)
    assert "broadcast_like(bu," not in source
    # the write's adjoint of an adjoint of a known shape is a subscript, not a helper
    assert "written_part" not in source and "= bu_new[1:-1]\n" in source


def pendulum(theta, c, n):
    w = 0.0
    for i in range(n):
        a = -9.81 * math.sin(theta) - c * w
        w = w + 0.01 * a
        theta = theta + 0.01 * w
    return theta + math.log(1.0 + c * c) * math.tanh(theta)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_math_results_are_floats_in_a_version(n):
    # math.tanh(t) is a Python float: 1.0 * it (the seed's factor) folds away
    tl.check_grads(pendulum, (0.8, 0.3, n), wrt=(0, 1), order=2)
    df = tl.grad(pendulum, wrt=(0, 1))
    g = df(0.8, 0.3, n)
    assert all(type(part) is float for part in g)
    (source,) = version_sources(df)
    assert "1.0 * t" not in source


def offsets_squared(b, x):
    return np.sum(x + b) + np.sum(b ** 2)


@pytest.mark.parametrize("shapes", [((0,), (3, 0)), ((1,), (3, 0)), ((2, 1), (2, 3))])
def test_sum_of_a_spread_with_empty_arrays(shapes):
    b, x = np.ones(shapes[0]), np.ones(shapes[1])
    g = tl.grad(offsets_squared)(b, x)
    assert g.shape == b.shape
    assert np.array_equal(g, 2 * b + np.size(x) / max(np.size(b), 1) * (np.size(b) > 0))


def horner(c, x):
    p = np.zeros_like(x)
    for i in range(c.shape[0]):
        p = p * x + c[i]
    return np.sum(p * p)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_array_summed_onto_a_number_calls_its_sum_method(dtype):
    # the adjoint of c[i] added to every element of p: bp.sum() (np.add.reduce, as
    # np.sum calls it for an ndarray) without np.sum's dispatch, a few us per turn
    c, x = RNG.standard_normal(6).astype(dtype), np.linspace(-1, 1, 7).astype(dtype)
    df = tl.grad(horner)
    got = df(c, x)
    np.testing.assert_array_equal(got, df.generic(c, x, 1.0))
    assert got.dtype == dtype
    if dtype is np.float64:
        tl.check_grads(horner, (c, x), wrt=(0, 1), modes=("rev",))
        (source,) = version_sources(df)
        assert "bt4 = bp.sum()" in source and "np.sum(bp)" not in source


def heat2d(u, a):
    for t in range(3):
        lap = u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4.0 * u[1:-1, 1:-1]
        u = np.pad(u[1:-1, 1:-1] + a * lap, 1)
    return np.sum(u * u)


def test_a_padded_array_has_a_known_shape():
    # np.pad(inner, 1) in a version has inner's shape plus the padding, so the reversed
    # step writes its slices' adjoints into one array of u's shape (no unbroadcast,
    # broadcast_like, add_at_item or add_grads)
    u = np.zeros((6, 5))
    u[1:-1, 1:-1] = RNG.standard_normal((4, 3))
    tl.check_grads(heat2d, (u, 0.1), wrt=(0, 1), modes=("rev",))
    df = tl.grad(heat2d, wrt=(0, 1))
    got, want = df(u, 0.1), df.generic(u, 0.1, 1.0)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    (source,) = version_sources(df)
    for generic in ("unbroadcast", "broadcast_like", "add_at_item", "add_grads"):
        assert generic not in source, generic
    assert "bu = np.zeros((6, 5), dtype=float64)" in source
    # other paddings (per axis, mode="edge") keep their gradients
    def padded(x):
        return np.sum(np.pad(x, ((1, 2), (0, 3))) ** 2) + np.sum(np.pad(x, 2, mode="edge"))
    tl.check_grads(padded, (RNG.standard_normal((3, 2)),), modes=("rev",))


def tanh_sum(W, x):
    W = W * 2.0
    return np.sum(np.tanh(W @ x))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unit_factor_of_an_arithmetic_adjoint_folds(dtype):
    # the seed 1.0 times the adjoint of np.tanh was bt1 = 1.0 * (1.0 - t2 * t2): an
    # array multiplied by one (arithmetic makes a new float array, so 1.0 * it is it)
    W, x = (0.5 * RNG.standard_normal((4, 3))).astype(dtype), RNG.standard_normal(3).astype(dtype)
    if dtype == np.float64:
        tl.check_grads(tanh_sum, (W, x), wrt=(0, 1), order=2)
    df = tl.grad(tanh_sum, wrt=(0, 1))
    gW, gx = df(W, x)
    assert gW.dtype == gx.dtype == dtype
    t = np.tanh(2.0 * W @ x)
    np.testing.assert_allclose(gW, 2.0 * np.outer(1.0 - t * t, x), rtol=1e-5)
    source = version_sources(df)[-1]   # (the derived function is cached: one per dtype)
    assert "1.0 *" not in source and "= 1.0 - t2 * t2" in source
