"""Versions unroll a top-level loop over the items of a list or tuple argument whose
items differ in kind (unroll.py): the MLP with its layers in a list of (W, b) pairs read
by a loop gets the code of straight-line layers (no add_at_item, unbroadcast or
add_grads), with the generic derivative's values, checked against finite differences."""
import numpy as np
import pytest

import tangentlike as tl

from util import version_sources

RNG = np.random.default_rng(1515)


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
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
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


# -- comprehensions over a display or a sequence argument ------------------------------
def decay_by_generator(W1, b1, W2, b2, x):
    h = np.tanh(W1 @ x + b1)
    out = W2 @ h + b2
    return np.sum(out ** 2) + 1e-2 * sum(np.sum(W ** 2) for W in (W1, W2))


def decay_by_list(W1, b1, W2, b2, x):
    h = np.tanh(W1 @ x + b1)
    penalties = [c * np.sum(np.abs(W)) for c, W in zip((0.1, 0.2), [W1, W2])]
    weighted = [(i + 1.0) * np.sum(b) for i, b in enumerate((b1, b2))]
    return np.sum(h) + sum(penalties) + max(weighted)


def decay_of_a_list(params, x):
    h = x
    for W in params:
        h = np.tanh(h @ W)
    return np.sum(h * h) + 0.1 * sum([np.sum(W * W) for W in params])


def test_a_sum_of_a_generator_over_a_display_is_straight_line_code():
    W1, b1, W2, b2, x = _layers()
    df = _check(decay_by_generator, (W1, b1, W2, b2, x), wrt=(0, 1, 2, 3))
    [source] = version_sources(df)
    body = code(source)
    for generic in ("for ", "spread", "part(", "items", "W1 ** 2", "require_scalar"):
        assert generic not in body, generic
    tl.check_grads(decay_by_generator, (W1, b1, W2, b2, x), wrt=(0, 2), order=2)


def test_list_comprehensions_over_displays_zip_enumerate_and_list_arguments():
    df = _check(decay_by_list, _layers(), wrt=(0, 1, 2, 3))
    assert all("for " not in code(s) for s in version_sources(df))
    params = [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))]
    df = _check(decay_of_a_list, (params, RNG.standard_normal((2, 3))))
    assert all("for " not in code(s) for s in version_sources(df))


def sums_a_list_twice(a, b):
    items = [np.sum(a * a), np.sum(np.sin(b))]
    total = sum(items)
    return total * sum(items) + items[0]


def sums_arrays_of_two_shapes(a, c):
    return np.sum(sum([a * 2.0, c]))   # (3,) + (2, 3): each item's adjoint is reduced


def test_a_sum_of_a_display_read_elsewhere_or_of_other_shapes_keeps_its_spread():
    a, b = RNG.standard_normal(3), RNG.standard_normal(3)
    _check(sums_a_list_twice, (a, b), wrt=(0, 1))
    df = _check(sums_arrays_of_two_shapes, (a, RNG.standard_normal((2, 3))), wrt=(0, 1))
    got = df(a, RNG.standard_normal((2, 3)))
    np.testing.assert_allclose(got[0], np.full(3, 4.0))
    np.testing.assert_allclose(got[1], np.ones((2, 3)))


def mlp_by_index(params, x):
    h = x
    for i in range(len(params)):
        W, b = params[i]
        h = np.tanh(h @ W + b) * (i + 1)
    return np.sum(h ** 2) + i   # i: the last index after the loop


def index_rebound(params, x):
    h = x
    for i in range(len(params)):
        W = params[i]
        i = i * 0   # the loop variable reassigned: reads of i keep reading i
        h = np.tanh(h @ W) + params[i][0, 0]
    return np.sum(h ** 2)


def test_a_loop_over_the_indices_of_a_list_argument_unrolls():
    params, x = _pairs([5, 4, 3]), RNG.standard_normal((2, 5))
    df = _check(mlp_by_index, (params, x))
    [source] = version_sources(df)
    body = code(source)
    assert "for " not in body and "add_at_item" not in body
    assert "params[i]" not in body and "params[1]" in body   # (constant indices)
    Ws = [RNG.standard_normal((4, 4)), RNG.standard_normal((4, 4))]
    _check(index_rebound, (Ws, x[:, :4]))


# -- loops over a dict's items(), keys() or values() -------------------------------------
def dict_views(p, x):
    s = 0.0
    for k, v in p.items():
        s = s + np.sum(np.sin(v) * x)
    for v in p.values():
        s = s * 0.5 + np.sum(v ** 2)
    for k in p.keys():
        s = s + np.sum(p[k]) * len(k)
    return s + sum(np.sum(w * x) for w in p.values())


def layers_by_name(layers, x):
    h = x
    for name, (W, b) in layers.items():
        h = np.tanh(h @ W + b)
    return np.sum(h * h)


def rebinds_the_dict(p, q, x):
    s = 0.0
    for k, v in p.items():
        p = q   # the loop walks the dict it started with
        s = s + np.sum(v * x)
    return s + np.sum(p["a"])


def test_a_loop_over_a_dicts_items_keys_or_values():
    p = {"a": RNG.standard_normal(3), "bb": RNG.standard_normal(3)}
    x = RNG.standard_normal(3)
    df = _check(dict_views, (p, x), wrt=(0, 1))
    for source in version_sources(df):
        assert "for " not in code(source) and "add_at_item" not in code(source)
    assert "keys_of(p)" in df.generic.source   # (the generic derivative keeps its loops)
    tl.check_grads(dict_views, (p, x), wrt=(0, 1), order=2)
    # an empty dict: no turn
    np.testing.assert_allclose(tl.grad(dict_views, wrt=1)({}, x), 0.0 * x)


def test_a_dicts_items_of_pairs_and_a_dict_rebound_in_the_loop():
    layers = {"in": (RNG.standard_normal((4, 3)), RNG.standard_normal(3)),
              "out": (RNG.standard_normal((3, 2)), RNG.standard_normal(2))}
    _check(layers_by_name, (layers, RNG.standard_normal((5, 4))))
    p = {"a": RNG.standard_normal(3), "bb": RNG.standard_normal(3)}
    x = RNG.standard_normal(3)
    q = {"a": RNG.standard_normal(3)}
    df = _check(rebinds_the_dict, (p, q, x), wrt=(0, 1))
    got = df(p, q, x)
    np.testing.assert_allclose(got[0]["a"], x)
    np.testing.assert_allclose(got[0]["bb"], x)
    np.testing.assert_allclose(got[1]["a"], np.ones(3))


def polynomial_features(c, x, y):
    feats = np.stack([x ** k for k in range(4)], axis=1)
    return np.mean((feats @ c - y) ** 2)


def test_a_comprehension_over_a_constant_range_is_a_display():
    c, x, y = RNG.standard_normal(4), RNG.standard_normal(20), RNG.standard_normal(20)
    df = _check(polynomial_features, (c, x, y))
    [source] = version_sources(df)
    body = code(source)
    for generic in ("for ", "items", "unbroadcast", "product_grad"):
        assert generic not in body, generic
    feats = np.stack([x ** k for k in range(4)], axis=1)
    np.testing.assert_allclose(df(c, x, y)[0], 2 * feats.T @ (feats @ c - y) / 20)


def test_a_range_or_zip_the_module_rebinds_is_not_unrolled():
    from util import make_function
    f = make_function("def f(x):\n"
                      "    return sum([x[k] * (k + 1.0) for k in range(3)])\n",
                      {"np": np, "range": lambda n: [2, 0]})
    x = RNG.standard_normal(3)
    df = tl.grad(f)
    np.testing.assert_allclose(df(x), [1.0, 0.0, 3.0])
    g = make_function("def g(x, y):\n"
                      "    s = 0.0\n"
                      "    for a, b in zip((x, y), (y, x)):\n"
                      "        s = s + np.sum(a * b * b)\n"
                      "    return s\n",
                      {"np": np, "zip": lambda a, b: [(a[0], a[0])]})
    np.testing.assert_allclose(tl.grad(g)(x, x + 1.0), 3.0 * x ** 2)


def windows(K, x, y):
    L = x.shape[1] - K.shape[2] + 1
    win = np.stack([x[:, j:j + L] for j in range(K.shape[2])], axis=2)
    out = np.tanh(np.einsum('oik,ilk->ol', K, win))
    return np.sum((out - y) ** 2) + sum([np.sum(K[i]) for i in range(len(K) - 1)])


def windows_of_a_rebound_array(K, x):
    x = x[:, ::-1]   # x's shape may differ from the argument's: the range stays a loop
    return np.sum(np.stack([x[:, j:j + 2] * K[j] for j in range(x.shape[1] - 1)]))


def test_a_comprehension_over_a_range_of_an_arguments_size_is_a_display():
    K, x = 0.3 * RNG.standard_normal((3, 2, 3)), RNG.standard_normal((2, 12))
    y = RNG.standard_normal((3, 10))
    df = _check(windows, (K, x, y))
    [source] = version_sources(df)
    assert "for " not in code(source) and "np.stack(t" in code(source)
    df = _check(windows_of_a_rebound_array, (RNG.standard_normal(4), RNG.standard_normal((2, 5))))
    assert all("for " in code(s) for s in version_sources(df))


def items_as_pairs(p, x):
    s = 0.0
    for kv in p.items():   # one name for the (key, value) pair
        s = s + np.sum(kv[1] * x) * len(kv[0])
    return s


def test_a_dicts_items_taken_as_pairs():
    p = {"a": RNG.standard_normal(2), "bb": RNG.standard_normal(2)}
    x = RNG.standard_normal(2)
    df = _check(items_as_pairs, (p, x), wrt=(0, 1))
    got = df.generic(p, x)   # (the generic derivative's pairs were once constants: zero)
    np.testing.assert_allclose(got[0]["a"], x)
    np.testing.assert_allclose(got[0]["bb"], 2.0 * x)
    tl.check_grads(items_as_pairs, (p, x), wrt=(0, 1), order=2, modes=("rev", "fwd"))


def decay_by_index(params, x):
    return np.sum(x) + sum([np.sum(params[i] ** 2) * (i + 1) for i in range(len(params))])


def test_a_comprehension_over_the_indices_of_a_list_argument():
    params = [RNG.standard_normal((2, 3)), RNG.standard_normal(4)]
    df = _check(decay_by_index, (params, RNG.standard_normal(3)))
    assert all("for " not in code(s) for s in version_sources(df))
