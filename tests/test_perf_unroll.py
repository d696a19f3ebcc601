"""Versions unroll a top-level loop over the items of a list or tuple argument whose
items differ in kind (unroll.py): the MLP with its layers in a list of (W, b) pairs read
by a loop gets the code of straight-line layers (no add_at_item, unbroadcast or
add_grads), with the generic derivative's values, checked against finite differences."""
import numpy as np
import pytest

import tangentlike as tl

RNG = np.random.default_rng(1515)


def version_sources(df):
    return [v.source for v in df.versions.values() if v is not df.generic]


def code(source):
    """A version's code after its guard, without the comments naming the user's lines."""
    body = source.split("specialize_again", 1)[1]
    return "\n".join(line for line in body.splitlines() if not line.strip().startswith("#"))


def _pairs(sizes):
    return [(RNG.standard_normal((a, b)) / np.sqrt(a), 0.1 * RNG.standard_normal(b))
            for a, b in zip(sizes[:-1], sizes[1:])]


def mlp_list(params, x):
    h = x
    for W, b in params[:-1]:
        h = np.tanh(h @ W + b)
    W, b = params[-1]
    y = h @ W + b
    return np.sum(y * y)


def mlp_zip(Ws, bs, x):
    h = x
    for W, b in zip(Ws, bs):
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2) + np.sum(W * W)   # W: the last layer's after the loop


def mlp_enumerate(params, x):
    h = x
    total = 0.0
    for i, (W, b) in enumerate(params):
        h = np.sin(h @ W + b)
        total = total + (i + 1) * np.sum(h)
    return total


def every_other(params, x):
    h = x
    for W in params[::-2]:
        h = np.tanh(h @ W)
    return np.sum(h)


def with_break(params, x):
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
        if np.sum(h) > 1e9:
            break
    return np.sum(h * h)


def appends(params, x):
    params = list(params)
    params.append(params[0])   # the loop goes over one item more than the argument has
    h = x
    for W in params:
        h = np.tanh(h @ W)
    return np.sum(h * h)


def _check(f, args, wrt=(0,)):
    """The version's gradient is the generic derivative's, and both match finite
    differences (tl.check_grads compares every version with the generic derivative)."""
    df = tl.grad(f, wrt=wrt)
    for seed in (1.0, 2.5):
        got = df(*args, seed)
        want = df.generic(*args, seed)
        for g, w in zip(_leaves(got), _leaves(want)):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    tl.check_grads(f, args, wrt=wrt)
    return df


def _leaves(value):
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def test_a_list_of_pairs_read_by_a_loop_is_straight_line_code():
    params, x = _pairs([5, 7, 6, 3]), RNG.standard_normal((4, 5))
    df = _check(mlp_list, (params, x))
    [source] = version_sources(df)
    body = code(source)
    for generic in ("for ", "add_at_item", "add_grads", "unbroadcast", "broadcast_like",
                    "product_grad", "stack"):
        assert generic not in body, generic
    assert "bparams = [bt1, bt4, bt7]" in body
    # the loop's lines are the user's: the comments of the copies name them
    assert source.count("for W, b in params[:-1]") >= 2


@pytest.mark.parametrize("sizes", [[5, 3], [5, 7, 3], [5, 2, 2, 2, 3]])
def test_each_length_gets_its_own_unrolled_version(sizes):
    params, x = _pairs(sizes), RNG.standard_normal((4, 5))
    _check(mlp_list, (params, x))
    # a tuple of pairs too
    _check(mlp_list, (tuple(params), x))


def test_zip_and_enumerate_unroll_and_the_target_keeps_its_last_item():
    params, x = _pairs([5, 4, 3]), RNG.standard_normal((2, 5))
    Ws, bs = [W for W, _ in params], [b for _, b in params]
    df = _check(mlp_zip, (Ws, bs, x), wrt=(0, 1))
    assert all("for " not in code(s) for s in version_sources(df))
    df = _check(mlp_enumerate, (params, x))
    assert all("for " not in code(s) for s in version_sources(df))


def test_a_slice_with_a_step():
    params = [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 4)),
              RNG.standard_normal((5, 3))]
    df = _check(every_other, (params, RNG.standard_normal((2, 5))))
    assert all("for " not in code(s) for s in version_sources(df))


def test_items_of_one_kind_unroll_too_but_not_past_the_bound(monkeypatch):
    params, x = _pairs([4, 4, 4, 4]), RNG.standard_normal((2, 4))
    args = ([W for W, _ in params], [b for _, b in params], x)
    df = _check(mlp_zip, args, wrt=(0, 1))
    assert all("for " not in code(s) and "add_at_item" not in code(s)
               for s in version_sources(df))
    import tangentlike.unroll
    monkeypatch.setattr(tangentlike.unroll, "MAX_STATEMENTS", 2)   # 3 copies of 1
    def mlp_zip_again(Ws, bs, x):
        h = x
        for W, b in zip(Ws, bs):
            h = np.tanh(h @ W + b)
        return np.sum(h ** 2) + np.sum(W * W)
    df = _check(mlp_zip_again, args, wrt=(0, 1))
    assert all("for " in code(s) for s in version_sources(df))


def test_a_loop_that_may_break_or_a_list_the_function_changes_stays_a_loop():
    params, x = _pairs([5, 4, 3]), RNG.standard_normal((2, 5))
    df = _check(with_break, (params, x))
    assert all("for " in code(s) for s in version_sources(df))
    params = [RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))]
    df = _check(appends, (params, x[:, :3]))
    assert all("for " in code(s) for s in version_sources(df))


def test_second_order_through_an_unrolled_loop():
    def loss(params, x):
        h = x
        for W in params:
            h = np.tanh(h @ W)
        return np.sum(h * h)
    params = [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))]
    tl.check_grads(loss, (params, RNG.standard_normal((2, 3))), wrt=(1,), order=2)


# -- loops over a tuple or list display -----------------------------------------------
def mlp_decay(W1, b1, W2, b2, x, y):
    h = np.tanh(W1 @ x + b1)
    out = W2 @ h + b2
    loss = 0.5 * np.sum((out - y) ** 2) / x.shape[1]
    reg = 0.0
    for W in (W1, W2):
        reg = reg + np.sum(W * W)
    return loss + 1e-3 * reg


def layers_in_a_display(W1, b1, W2, b2, x):
    for W, b in ((W1, b1), [W2, b2]):
        x = np.tanh(W @ x + b)
    total = 0.0
    for i, c in enumerate([0.5, -2.0]):
        total = total + c * np.sum(x ** (i + 1))
    for v, s in zip((W1, b2), (2.0, 3.0)):
        total = total + s * np.sum(np.sin(v))
    return total + np.sum(W * W)   # W: the last item's after the loop


def _layers():
    return (RNG.standard_normal((6, 4)), RNG.standard_normal((6, 1)),
            RNG.standard_normal((3, 6)), RNG.standard_normal((3, 1)),
            RNG.standard_normal((4, 5)))


def test_a_loop_over_a_display_of_parameters_is_straight_line_code():
    W1, b1, W2, b2, x = _layers()
    df = _check(mlp_decay, (W1, b1, W2, b2, x, RNG.standard_normal((3, 5))),
                wrt=(0, 1, 2, 3))
    [source] = version_sources(df)
    body = code(source)
    for generic in ("for ", "add_at_item", "add_grads", "stack", "part("):
        assert generic not in body, generic
    assert "reg = reg + np.sum(W * W)" in source   # (the copies' comments: the body's line)


def test_displays_of_pairs_enumerate_and_zip_unroll():
    df = _check(layers_in_a_display, _layers(), wrt=(0, 1, 2, 3))
    assert all("for " not in code(s) for s in version_sources(df))
    # second order, and vjp's versions
    tl.check_grads(layers_in_a_display, _layers(), wrt=(0, 3), order=2)
    args = _layers()
    vjp = tl.vjp(layers_in_a_display, wrt=(0, 2))
    got = vjp(*args, 1.5)
    want = tl.grad(layers_in_a_display, wrt=(0, 2)).generic(*args, 1.5)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10)


def rebinds_an_item(a, b):
    s = 0.0
    for v in (a, b, a):
        a = a * 2.0          # the display holds the first a: the loop reads it twice
        s = s + np.sum(v * v)
    return s + np.sum(a)


def target_is_an_item(x, y):
    s = 0.0
    for x in (y, x):         # the second item is the parameter x, not the first item
        s = s + np.sum(np.sin(x))
    return s


G = np.arange(3.0)


def reads_a_global(x):
    s = 0.0
    for v in (G, x):
        s = s + np.sum(v * x)
    return s


def none_or_one(x):
    s = np.sum(x)
    for v in ():
        s = s + np.sum(v)
    for v in [x]:
        s = s * np.sum(np.exp(v))
    return s


def test_a_display_loop_that_rebinds_its_items_or_reads_a_global_stays_a_loop():
    a, b = RNG.standard_normal(3), RNG.standard_normal(3)
    df = _check(rebinds_an_item, (a, b), wrt=(0, 1))
    assert all("for " in code(s) for s in version_sources(df))
    np.testing.assert_allclose(df(a, b)[0], 4.0 * a + 8.0, rtol=1e-12)
    df = _check(target_is_an_item, (a, b), wrt=(0, 1))
    assert all("for " in code(s) for s in version_sources(df))
    np.testing.assert_allclose(df(a, b)[0], np.cos(a), rtol=1e-12)
    df = _check(reads_a_global, (a,))
    assert all("for " in code(s) for s in version_sources(df))
    np.testing.assert_allclose(df(a)[0], G + 2.0 * a, rtol=1e-12)


def test_a_display_of_no_item_or_one_item():
    x = RNG.standard_normal(4)
    df = _check(none_or_one, (x,))
    np.testing.assert_allclose(df(x)[0], np.sum(np.exp(x)) + np.sum(x) * np.exp(x),
                               rtol=1e-12)
