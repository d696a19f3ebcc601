"""Versions of loops over slices, concatenations and lists: the gradients are right
(against finite differences and the generic derivative, through tl.check_grads), and
the specialized code no longer needs what the shapes make unnecessary."""
import numpy as np
import pytest

import tangentlike as tl
from tangentlike.runtime import add_at, add_grads

RNG = np.random.default_rng(11)


def parts_of_a_tuple(x):
    parts = (x[:2], 3.0 * x[2:])
    first = parts[0]
    y = np.stack(parts) if x.shape[0] == 4 else np.concatenate(parts)
    return np.sum(y * y) + np.sum(first * x[1:3])


@pytest.mark.parametrize("n", [4, 5])
def test_a_tuple_of_arrays_and_its_parts(n):
    tl.check_grads(parts_of_a_tuple, (RNG.standard_normal(n),), order=1, modes=("rev",))


def mixed_tuple(x, s):
    parts = (x, s)
    a = parts[0] * parts[1]
    return np.sum(a * a)


def test_a_tuple_of_an_array_and_a_number():
    tl.check_grads(mixed_tuple, (RNG.standard_normal(3), 1.5), order=1, modes=("rev",))
    tl.check_grads(mixed_tuple, (RNG.standard_normal(3), RNG.standard_normal(3)),
                   order=1, modes=("rev",))


def rnn_list(W, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + xs[t]))
    H = np.stack(hs[1:])
    return np.sum(H * H) + np.sum(hs[1] * hs[-2])


@pytest.mark.parametrize("steps", [2, 3, 6])
def test_a_list_read_at_its_end_in_a_loop(steps):
    args = (RNG.standard_normal((3, 3)) / 2, RNG.standard_normal((steps, 3)),
            RNG.standard_normal(3))
    tl.check_grads(rnn_list, args, wrt=(0, 1, 2), order=2)


def test_adjoint_of_an_item_read_from_the_end_of_a_list_is_a_short_stack():
    lst = [np.ones(2), np.ones(3), np.ones(4)]
    g = np.arange(3.0)
    short = add_at(g, lst, -2)
    assert len(short) == 2 and short[0] is g and np.all(short[1] == 0.0)
    full = add_at(g, lst, 1)
    assert len(full) == 3 and full[1] is g
    # added to a full stack the short one lands on its last entries
    total = add_grads(full, short)
    assert [np.shape(v) for v in total] == [(2,), (3,), (4,)]
    np.testing.assert_array_equal(total[1], 2 * g)
    np.testing.assert_array_equal(total[0], np.zeros(2))
    np.testing.assert_array_equal(add_grads(short, full)[1], 2 * g)


def last_of_a_list_made_from_a_tuple(x):
    pair = (np.sin(x), 2.0 * x)
    items = list(pair)
    return np.sum(items[-1] * items[0]) + np.sum(items[-2])


def last_of_a_list_literal(x):
    rows = [np.exp(x), x * x, np.cos(x)]
    return np.sum(rows[-1] * rows[-3]) + np.sum(rows[1])


@pytest.mark.parametrize("f", [last_of_a_list_made_from_a_tuple, last_of_a_list_literal])
def test_items_read_from_the_end_of_a_list(f):
    tl.check_grads(f, (RNG.standard_normal(3),), order=2)
    tl.check_grads(f, (0.3,), order=2)


def huber(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a < 1.0, 0.5 * r * r, a - 0.5))


def test_a_selection_by_a_comparison_reads_the_seed_as_its_number():
    X, y = RNG.standard_normal((6, 3)), 2.0 * RNG.standard_normal(6)
    w = RNG.standard_normal(3)
    tl.check_grads(huber, (w, X, y), order=1, modes=("rev",))
    df = tl.grad(huber)
    r = X @ w - y
    np.testing.assert_allclose(df(w, X, y), X.T @ np.clip(r, -1.0, 1.0), rtol=1e-12)
    (version,) = df.versions.values()
    assert "np.zeros" not in version.source and "unbroadcast" not in version.source


def gauss_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    z = (x - mu) / sigma
    return np.sum(0.5 * z * z + log_sigma)


@pytest.mark.parametrize("seed", [1.0, 2.5])
def test_a_number_added_to_every_element_gets_the_seed_times_their_count(seed):
    x = RNG.standard_normal(50)
    tl.check_grads(gauss_nll, (0.3, 0.2, x), wrt=(0, 1), order=1, modes=("rev",))
    df = tl.grad(gauss_nll, wrt=(0, 1))
    sigma = np.exp(0.2)
    z = (x - 0.3) / sigma
    gmu, gls = df(0.3, 0.2, x, seed)
    np.testing.assert_allclose(gmu, -seed * np.sum(z) / sigma, rtol=1e-12)
    np.testing.assert_allclose(gls, seed * np.sum(1.0 - z * z), rtol=1e-12)
    (version,) = df.versions.values()
    assert "np.zeros" not in version.source


def float32_offset(x, s):
    return np.sum(x * x + s)


def test_a_number_added_to_float32_elements_keeps_the_sum():
    x = RNG.standard_normal(4).astype(np.float32)
    gs = tl.grad(float32_offset, wrt=1)(x, np.float32(0.5))
    assert gs == 4.0


def sized_by_arithmetic(x):
    n = x.shape[0] - 1
    m = n // 2 + 1
    y = np.zeros(n) + x[1:]
    z = np.ones(m) * x[:m]
    for i in range(m):
        y = y * z[i]
    return np.sum(y * y) + np.sum(z)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_arrays_sized_by_arithmetic_on_sizes(n):
    tl.check_grads(sized_by_arithmetic, (RNG.standard_normal(n),), order=1, modes=("rev",))
    df = tl.grad(sized_by_arithmetic)
    df(RNG.standard_normal(n))
    for version in df.versions.values():   # (one per length)
        assert "unbroadcast" not in version.source


def polynomial(c, x):
    y = np.zeros_like(x)
    for i in range(c.shape[0]):
        y = y * x + c[i]
    return np.sum(y * y)


def test_coefficients_read_by_index_in_a_loop():
    c, x = RNG.standard_normal(4), RNG.uniform(-1, 1, 6)
    tl.check_grads(polynomial, (c, x), order=2)
    df = tl.grad(polynomial)
    df(c, x)
    (version,) = df.versions.values()
    assert "broadcast_like" not in version.source


def pair_energy(X):
    diff = X[:, None, :] - X[None, :, :]
    r2 = np.sum(diff * diff, axis=-1) + 1.0
    return np.sum(1.0 / r2)


def test_reads_that_only_add_axes_pass_their_adjoint_back_reshaped():
    X = RNG.standard_normal((5, 3))
    tl.check_grads(pair_energy, (X,), order=2)
    df = tl.grad(pair_energy)
    diff = X[:, None, :] - X[None, :, :]
    r2 = np.sum(diff * diff, axis=-1) + 1.0
    want = 2.0 * np.sum((-2.0 / (r2 * r2))[:, :, None] * diff, axis=1)
    np.testing.assert_allclose(df(X), want, rtol=1e-12)
    (version,) = df.versions.values()
    assert "add_at_item" not in version.source


def new_axes_in_a_branch(x, flag):
    a = x[None, :]
    b = x[:, None]
    if flag > 0.0:
        out = np.sum(a * b * 2.0)
    else:
        out = np.sum(x[:] * 3.0)
    return out


@pytest.mark.parametrize("flag", [1.0, -1.0])
def test_reads_that_add_axes_when_an_adjoint_may_be_zero(flag):
    tl.check_grads(new_axes_in_a_branch, (RNG.standard_normal(4), flag), order=2)


def end_of_a_list_argument(xs, scale):
    return np.sum(xs[-1] ** 2) * scale + np.sum(xs[-2])


def test_gradient_of_a_list_read_from_its_end_has_every_entry():
    xs = [RNG.standard_normal(2), RNG.standard_normal(3), RNG.standard_normal(3)]
    for _ in range(2):   # the generic derivative, then the version
        g = tl.grad(end_of_a_list_argument)(xs, 3.0)
        assert [np.shape(v) for v in g] == [(2,), (3,), (3,)]
        np.testing.assert_array_equal(g[0], np.zeros(2))
        np.testing.assert_allclose(g[1], np.ones(3))
        np.testing.assert_allclose(g[2], 6.0 * xs[2])
    tl.check_grads(end_of_a_list_argument, (xs, 3.0), order=2)


def two_rows(x):
    return [np.sin(x), x * x]


def last_row_of_a_callee(x):
    rows = two_rows(x)
    return np.sum(rows[-1] * 3.0)


def test_last_item_of_a_list_a_callee_returns():
    tl.check_grads(last_row_of_a_callee, (RNG.standard_normal(3),), order=2)


def states_popped_and_read(W, xs, h0):
    hs = [h0]
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ hs[-1] + xs[t])
        hs.append(h)
        hs.append(h * hs[-1])
        total = total + np.sum(hs.pop() * hs[-1])
    while len(hs) > 1:
        total = total + np.sum(hs[-1] ** 2)
        hs.pop()
    return total + np.sum(hs[-1])


def states_of_a_list_that_starts_empty(W, xs, h0):
    hs = []
    h = h0
    for t in range(xs.shape[0]):
        hs.append(h)
        h = np.sin(W @ hs[-1]) * xs[t] + hs[-1]
    s = np.sum(h)
    for t in range(len(hs)):
        s = s + np.sum(hs[t] * hs[-1])
    return s


@pytest.mark.parametrize("f", [rnn_list, states_popped_and_read,
                               states_of_a_list_that_starts_empty])
@pytest.mark.parametrize("steps", [0, 1, 4])
def test_the_last_state_of_a_list_is_read_without_a_copy(f, steps):
    args = (RNG.standard_normal((3, 3)) / 2, RNG.standard_normal((steps, 3)),
            RNG.standard_normal(3))
    if f is rnn_list and steps < 2:
        return   # it reads hs[1] and hs[-2]
    tl.check_grads(f, args, wrt=(0, 1, 2), order=2)
    df = tl.grad(f, wrt=(0, 1, 2))
    df(*args)
    for version in df.versions.values():
        assert "list(hs)" not in version.source.split("# adjoint")[0].split("for t in")[1]


# Comparisons in derivative code have the broadcast shape of their operands: a rule's
# `np.where(x == z, 0.0, x - z)` (logaddexp) keeps the adjoint's shape proved, so the
# version of a logistic loss has no unbroadcast and no array made for a mean's spread
def logistic_loss_of_logits(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, -y * z))


def test_a_comparison_in_a_rule_keeps_the_shape_proved():
    w, X = RNG.standard_normal(3), RNG.standard_normal((8, 3))
    y = np.sign(RNG.standard_normal(8))
    df = tl.grad(logistic_loss_of_logits)
    got = df(w, X, y)
    (version,) = df.versions.values()
    assert "unbroadcast" not in version.source and "np.zeros" not in version.source
    np.testing.assert_allclose(got, -X.T @ (y / (1.0 + np.exp(y * (X @ w)))) / 8)
    tl.check_grads(logistic_loss_of_logits, (w, X, y), order=2, modes=("rev", "fwd"))


# -- a causal mask from np.tril: shapes known through it -----------------------------------
def causal_scores(Q, K):
    r = Q @ K.T
    mask = np.tril(np.ones((Q.shape[0], K.shape[0]))) > 0
    s = np.where(mask, r, -1e9)
    p = np.exp(s - np.max(s, axis=1, keepdims=True))
    return np.sum(np.triu(p / np.sum(p, axis=1, keepdims=True), 1) + np.fliplr(r) ** 2)


def test_shapes_through_tril_triu_and_flips():
    Q, K = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    tl.check_grads(causal_scores, (Q, K), wrt=(0, 1), order=2, modes=("rev", "fwd"))
    df = tl.grad(causal_scores, wrt=(0, 1))
    df(Q, K)
    source = next(iter(df.versions.values())).source
    # (the shapes are known: no unbroadcast, no generic rule of a product or a quotient)
    assert "unbroadcast" not in source and "quotient" not in source \
        and "product_grad" not in source, source
