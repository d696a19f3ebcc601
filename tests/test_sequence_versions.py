"""Versions specialized to list and tuple arguments (specialize.Items): the guard checks
their structure and items, and the adjoint of the items is gathered into the list or
tuple itself (optimize.gather_items), with the gradients of the generic derivative."""
import numpy as np
import pytest

import tangentlike as tl

RNG = np.random.default_rng(21)


def mlp_tuple(params, x):
    W1, b1, W2, b2 = params
    h = np.tanh(W1 @ x + b1)
    y = W2 @ h + b2
    return np.sum(y * y)


def mlp_pairs(params, x):
    (W1, b1), (W2, b2) = params
    h = np.tanh(W1 @ x + b1)
    return np.sum((W2 @ h + b2) ** 2)


def mlp_loop(params, x):
    h = x
    for W, b in params[:-1]:
        h = np.log1p(np.exp(h @ W + b))
    W, b = params[-1]
    return 0.5 * np.sum((h @ W + b) ** 2)


def some_items(params, x):
    a, b, c = params          # c is not used: its gradient is zeros
    return np.sum(a * x) + np.sum(b * b) * params[-3][0] + np.sum(a)


def with_a_number(params, x):
    w, s = params
    return s * np.sum(np.sin(w * x))


def _pairs(sizes, dtype=np.float64):
    return [(RNG.standard_normal((a, b)).astype(dtype), RNG.standard_normal(b).astype(dtype))
            for a, b in zip(sizes[:-1], sizes[1:])]


CASES = [
    (mlp_tuple, lambda: ((RNG.standard_normal((5, 4)), RNG.standard_normal((5, 1)),
                          RNG.standard_normal((2, 5)), RNG.standard_normal((2, 1))),
                         RNG.standard_normal((4, 3)))),
    (mlp_pairs, lambda: ([(RNG.standard_normal((5, 4)), RNG.standard_normal((5, 1))),
                          (RNG.standard_normal((2, 5)), RNG.standard_normal((2, 1)))],
                         RNG.standard_normal((4, 3)))),
    (mlp_loop, lambda: (_pairs([3, 4, 4, 2]), RNG.standard_normal((5, 3)))),
    (mlp_loop, lambda: (_pairs([3, 2]), RNG.standard_normal((5, 3)))),
    (some_items, lambda: ((RNG.standard_normal(3), RNG.standard_normal(3),
                           RNG.standard_normal(3)), RNG.standard_normal(3))),
    (with_a_number, lambda: ([RNG.standard_normal(3), 0.7], RNG.standard_normal(3))),
]


def _same(got, want):
    assert type(got) is type(want)
    if isinstance(want, dict):
        assert list(got) == list(want)
        got, want = list(got.values()), list(want.values())
    if isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
    else:
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f,make", CASES)
def test_a_version_of_a_sequence_agrees_with_the_generic_derivative(f, make):
    args = make()
    for seed in (1.0, 2.5):
        df = tl.grad(f)
        got = df(*args, seed)
        _same(got, df.generic(*args, seed))
    tl.check_grads(f, args, wrt=(0,))
    value, grad = tl.value_and_grad(f)(*args)
    assert value == f(*args)
    _same(grad, tl.grad(f).generic(*args, 1.0))


def test_the_guard_checks_the_structure_and_the_items():
    df = tl.grad(mlp_tuple)
    params, x = CASES[0][1]()
    df(params, x)
    version = next(v for v in df.versions.values() if v is not df.generic)
    assert "params.__class__ is tuple and len(params) == 4" in version.source
    assert "params[3].shape == (2, 1)" in version.source
    assert "add_at_item" not in version.source and "add_grads" not in version.source
    assert "bparams = (bW1, bb1, bW2, bb2)" in version.source
    # other structures, shapes, kinds after the first: each right
    for other in (list(params), params[:3] + (params[3].ravel()[:, None].copy(),),
                  tuple(p.astype(np.float32) for p in params),
                  (params[0], params[1], params[2][:1], params[3][:1])):
        _same(df(other, x), df.generic(other, x, 1.0))


def test_items_of_items_are_gathered():
    df = tl.grad(mlp_pairs)
    params, x = CASES[1][1]()
    df(params, x)
    version = next(v for v in df.versions.values() if v is not df.generic)
    assert "add_at_item" not in version.source
    assert "bparams = [bt1, bt2]" in version.source


def test_an_item_nothing_reaches_gets_zeros():
    df = tl.grad(some_items)
    params, x = CASES[4][1]()
    got = df(params, x)
    assert isinstance(got, tuple) and not got[2].any()
    _same(got, df.generic(params, x, 1.0))


def test_float32_items_keep_float32():
    params = [(w.astype(np.float32), b.astype(np.float32)) for w, b in _pairs([3, 4, 2])]
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    df = tl.grad(mlp_loop)
    got = df(params, x)
    assert all(g.dtype == np.float32 for pair in got for g in pair)
    _same(got, df.generic(params, x, 1.0))


def test_long_sequences_are_not_specialized():
    def total(xs):
        s = 0.0
        for x in xs:
            s = s + np.sum(x * x)
        return s
    xs = [RNG.standard_normal(2) for _ in range(20)]
    df = tl.grad(total)
    got = df(xs)
    assert isinstance(got, list) and len(got) == 20
    for g, x in zip(got, xs):
        np.testing.assert_allclose(g, 2 * x)


def test_second_order_through_a_tuple():
    def f(p):
        a, b = p
        return np.sum(np.sin(a) * b)
    p = (RNG.standard_normal(3), RNG.standard_normal(3))
    g = tl.grad(f)
    g(p)
    h = tl.grad(lambda p: np.sum(g(p)[0]))
    got = h(p)
    np.testing.assert_allclose(got[0], -np.sin(p[0]) * p[1], rtol=1e-10)
    np.testing.assert_allclose(got[1], np.cos(p[0]), rtol=1e-10)


def test_a_list_the_function_changes_keeps_the_item_by_item_adjoint():
    def grows(params, x):
        rows = list(params)
        rows.append(x * 1.0)
        return np.sum(rows[0] * rows[-1]) + np.sum(rows[1])
    df = tl.grad(grows)
    params = [RNG.standard_normal(3), RNG.standard_normal(3)]
    x = RNG.standard_normal(3)
    got = df(params, x)
    _same(got, df.generic(params, x, 1.0))
    np.testing.assert_allclose(got[0], x)
    np.testing.assert_allclose(got[1], np.ones(3))
    gx = tl.grad(grows, wrt=1)(params, x)
    np.testing.assert_allclose(gx, params[0])


def mlp_dict(params, x):
    h = np.tanh(params["W1"] @ x + params["b1"])
    y = params["W2"] @ h + params["b2"]
    return np.sum(y * y) + 0.0 * np.sum(params["unused"])


def _dict_params(dtype=np.float64):
    return {"W1": RNG.standard_normal((5, 4)).astype(dtype),
            "b1": RNG.standard_normal((5, 1)).astype(dtype),
            "W2": RNG.standard_normal((2, 5)).astype(dtype),
            "b2": RNG.standard_normal((2, 1)).astype(dtype),
            "unused": RNG.standard_normal(3).astype(dtype)}


def test_a_dict_of_arrays_gets_a_dict_gradient_built_at_once():
    params, x = _dict_params(), RNG.standard_normal((4, 3))
    df = tl.grad(mlp_dict)
    got = df(params, x)
    version = next(v for v in df.versions.values() if v is not df.generic)
    assert "params.__class__ is dict and tuple(params) == ('W1', 'b1', 'W2', 'b2', 'unused')" \
        in version.source
    assert "add_at_item" not in version.source and "bparams = {'W1': " in version.source
    assert isinstance(got, dict) and list(got) == list(params)
    _same(got, df.generic(params, x, 1.0))
    tl.check_grads(mlp_dict, (params, x), wrt=(0,))
    # other keys, orders, kinds after the first: each right
    reordered = dict(reversed(list(params.items())))
    for other in (reordered, _dict_params(np.float32), dict(params, extra=np.ones(2))):
        _same(df(other, x), df.generic(other, x, 1.0))
    with pytest.raises(KeyError):
        df({k: v for k, v in params.items() if k != "W2"}, x)


def a_local_named_zeros_like(p, x):
    zeros_like = 3.0
    a, b, c = p          # c is not used: its gradient is zeros
    return np.sum(a * x) * zeros_like + np.sum(b)


def test_a_users_name_like_the_helpers_is_not_called():
    # was: the gathered gradient called zeros_like(p[2]), the user's 3.0 (TypeError)
    p, x = (np.ones(2), np.ones(2), np.ones(2)), np.arange(2.0)
    df = tl.grad(a_local_named_zeros_like)
    for _ in range(2):
        got = df(p, x)
        _same(got, df.generic(p, x, 1.0))
    np.testing.assert_allclose(got[0], 3.0 * x)
    assert not got[2].any()
