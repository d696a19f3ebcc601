"""Versions inline the calls of small straight-line helpers of the same module
(inline.py): the version's code has the helper's statements, not a call of its vjp, and
its gradients are the generic derivative's (which keeps the calls) and match finite
differences, in every mode and at higher orders; a rebound helper is seen; helpers that
are not surely the same computation written out stay calls."""
import warnings

import numpy as np
import pytest

import tangentlike as tl
from tangentlike.parse import user_line
from tangentlike.errors import GENERATED, NonScalarOutput

from util import make_function, version_sources

RNG = np.random.default_rng(615)

HELPERS = '''
import numpy as np

def _dense(W, b, h):
    return np.tanh(h @ W + b)

def _dense_cos(W, b, h):
    return np.cos(h @ W + b)

def _mse(pred, y):
    """The mean squared error."""
    err = pred - y
    return np.mean(err ** 2)

def mlp(W1, b1, W2, b2, X, Y):
    h = _dense(W1, b1, X)
    out = h @ W2 + b2
    return _mse(out, Y)

def _step(x, k):
    return x + 0.01 * (-k * x - 0.1 * x ** 3)

def ode(x0, k):
    x = x0
    for i in range(30):
        x = _step(x, k)
    return x * x

def _cell(W, U, h, x):
    z = h @ W + x @ U
    h = np.tanh(z)          # (a parameter rebound: the caller's h is not)
    return h

def rnn(W, U, h, xs):
    h0 = h
    for t in range(xs.shape[0]):
        h = _cell(W, U, h, xs[t])
    return np.sum(h * h) + np.sum(h0)

def _affine(x, w, b=0.5, *, scale=2.0):
    y = w * x + b
    return scale * y

def _two(x):
    a = np.sin(x)
    return a, x * a

def _outer(x, w):
    s, p = _two(x)
    return _affine(s + p, w)

def keywords(x, w):
    u = _affine(w=w, x=x * x)
    v = _outer(u, w)
    v += _affine(x, w, scale=0.5)
    return np.sum(v * u)

def _sq(x):
    return x * x

def hoist(x, a):
    s = np.sum(_sq(x))
    t = np.sum(np.sin(a) + _sq(a))
    return _sq(s) + s * t

def _kw(x, *, s=-1.5, t=None):
    y = x * s
    return y if t is None else y + t

def _pair(x, y):
    return y, x * y

def constants_and_nesting(x):
    u = _kw(x, t=1.0) @ _kw(x)
    v = _pair(x, _affine(x, u))[1]
    return np.sum(v ** 2)

def _act(x, kind="tanh"):
    if kind == "relu":
        y = np.maximum(x, 0.0)
    else:
        y = np.tanh(x)
    return 2.0 * y

def _clip_scale(x, s):
    if s > 1.0:
        s = 1.0
    return s * x

def _maybe(x):
    if np.sum(x) > 0:
        y = x * 2.0
    return y

def branches(x, w):
    a = _act(x * w)
    b = _act(x, kind="relu")
    c = _clip_scale(a, np.sum(w * w))
    d = _maybe(x * x)
    return np.sum(a * b + c + d)

def scalar_chain(x, y):
    z = _affine(x, y)
    return _affine(z, z, b=y)
'''


def _module():
    return make_function(HELPERS, name="mlp").__globals__


def code(source):
    """A version's code after its entry checks, without the comments naming lines."""
    body = source.split("rederived", 1)[1]
    return "\n".join(line for line in body.splitlines() if not line.strip().startswith("#"))


def _leaves(value):
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _check(f, args, wrt=(0,), order=1):
    """The version's gradient is the generic derivative's, and both match finite
    differences (check_grads compares every version with the generic derivative)."""
    df = tl.grad(f, wrt=wrt)
    for seed in (1.0, 2.5):
        got = df(*args, seed)
        want = df.generic(*args, seed)
        for g, w in zip(_leaves(got), _leaves(want)):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    tl.check_grads(f, args, wrt=wrt, order=order)
    return df


def _mlp_args():
    return (0.3 * RNG.standard_normal((5, 6)), 0.1 * RNG.standard_normal(6),
            0.3 * RNG.standard_normal((6, 2)), 0.1 * RNG.standard_normal(2),
            RNG.standard_normal((4, 5)), RNG.standard_normal((4, 2)))


def test_an_mlp_of_two_helpers_has_their_statements_and_no_vjp_call():
    g = _module()
    df = _check(g["mlp"], _mlp_args(), wrt=(0, 1, 2, 3))
    [source] = version_sources(df)
    for generic in ("d_dense", "d_mse", "unbroadcast", "broadcast_like", "_dense(", "_mse("):
        assert generic not in code(source), generic
    # the comments name the helpers' own lines; the guard keeps the rebinding check
    assert "return np.tanh(h @ W + b)" in source and "err = pred - y" in source
    assert ("if _dense is not _dense_when_derived or _dense.__code__ is not "
            "_dense_code_when_derived or _mse is not _mse_when_derived or") in source
    assert "_mse.__code__ is not _mse_code_when_derived" in source
    # the generic derivative keeps its calls; the version has its parameters (the seed's
    # name too: specialize.inline_version needs the same)
    assert "d_densedW_b(" in df.generic.source
    assert source.split("\n", 1)[0] == df.generic.source.split("\n", 1)[0]


def test_a_helper_in_a_loop_of_numbers():
    g = _module()
    df = _check(g["ode"], (0.5, 1.5), wrt=(0, 1), order=2)
    [source] = version_sources(df)
    assert "d_step" not in source and "_step(" not in code(source)


def test_a_cell_helper_in_a_loop_of_arrays_rebinding_its_parameter():
    g = _module()
    args = (0.4 * RNG.standard_normal((3, 3)), 0.4 * RNG.standard_normal((2, 3)),
            RNG.standard_normal((4, 3)), RNG.standard_normal((5, 4, 2)))
    h = args[2].copy()
    df = _check(g["rnn"], args, wrt=(0, 1, 2))
    np.testing.assert_array_equal(args[2], h)   # (the caller's h is not changed)
    [source] = version_sources(df)
    assert "d_cell" not in source and "_cell_h" in source


def test_keywords_defaults_tuples_nested_helpers_and_augmented_calls():
    g = _module()
    df = _check(g["keywords"], (RNG.standard_normal(3), RNG.standard_normal(3)),
                wrt=(0, 1), order=2)
    [source] = version_sources(df)
    body = code(source)
    for call in ("_affine(", "_outer(", "_two(", "d_affine", "d_outer"):
        assert call not in body, call
    # defaults are guarded as a called helper's are: the version derives again
    x, w = RNG.standard_normal(3), RNG.standard_normal(3)
    before = df(x, w)
    g["_affine"].__defaults__ = (1.5,)
    after = df(x, w)
    want = _numeric(g["keywords"], (x, w))
    assert not np.allclose(before[0], after[0])
    for a, b in zip(after, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def _numeric(f, args, eps=1e-6):
    """Central differences of ``f`` in each element of each argument."""
    out = []
    for i, a in enumerate(args):
        grad = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            up = [np.array(b, copy=True) for b in args]
            down = [np.array(b, copy=True) for b in args]
            up[i][j] += eps
            down[i][j] -= eps
            grad[j] = (f(*up) - f(*down)) / (2 * eps)
        out.append(grad)
    return out


def test_calls_inside_expressions_evaluated_first_are_inlined():
    g = _module()
    df = _check(g["hoist"], (RNG.standard_normal(3), RNG.standard_normal(3)),
                wrt=(0, 1), order=2)
    [source] = version_sources(df)
    body = code(source)
    # `np.sum(_sq(x))` and `return _sq(s) + ...`: inlined; `np.sin(a) + _sq(a)` stays a
    # call (np.sin runs first: the helper may not run before it)
    assert body.count("_sq(") == 1 and "np.sin(a) + _sq(a)" in source
    assert body.count("d_sqdx(") == 1


def test_constant_arguments_subscripts_and_calls_in_arguments():
    g = _module()
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # (`1.0 is None` written out would warn)
        df = _check(g["constants_and_nesting"], (RNG.standard_normal(3),), order=2)
    [source] = version_sources(df)
    body = code(source)
    for call in ("_kw(", "_pair(", "_affine("):
        assert call not in body, call
    assert "x * -1.5" in body   # (the default, a constant)


@pytest.mark.parametrize("scale", [0.2, 1.0])
def test_helpers_with_ifs_of_assignments(scale):
    g = _module()
    x, w = RNG.standard_normal(4), scale * RNG.standard_normal(4)
    df = _check(g["branches"], (x, w), wrt=(0, 1), order=2)
    [source] = version_sources(df)
    body = code(source)
    assert "_act(" not in body and "_clip_scale(" not in body
    # a local assigned in one branch only, read after: may be unbound, stays a call
    assert "d_maybedx(" in body


def test_the_version_sees_a_rebound_helper():
    g = _module()
    args = _mlp_args()
    df = tl.grad(g["mlp"], wrt=(0, 1, 2, 3))
    before = df(*args)
    df(*args)
    assert any("_dense(" not in code(s) for s in version_sources(df))
    src = '''
    import numpy as np

    def _dense(W, b, h):
        return np.sin(h @ W + b)
    '''
    g["_dense"] = make_function(src, g)   # (another file: a call again)
    after = df(*args)
    assert not np.allclose(before[0], after[0])
    h = np.sin(args[4] @ args[0] + args[1])
    gout = 2 * (h @ args[2] + args[3] - args[5]) / args[5].size
    np.testing.assert_allclose(after[2], h.T @ gout, rtol=1e-10)
    tl.check_grads(g["mlp"], args, wrt=(0, 1, 2, 3), order=1)
    # a helper of the same module rebound: inlined again, the new one
    g["_dense"] = g["_dense_cos"]
    got = df(*args)
    h = np.cos(args[4] @ args[0] + args[1])
    gout = 2 * (h @ args[2] + args[3] - args[5]) / args[5].size
    np.testing.assert_allclose(got[2], h.T @ gout, rtol=1e-10)
    # (df's version sees the rebinding and calls the function derived again, whose
    # version inlines the new helper)
    again = tl.grad(g["mlp"], wrt=(0, 1, 2, 3))
    again(*args)
    assert any("np.cos(" in code(s) and "_dense(" not in code(s)
               for s in version_sources(again))
    tl.check_grads(g["mlp"], args, wrt=(0, 1, 2, 3), order=1)


def test_higher_order_and_forward_mode():
    g = _module()
    f = g["scalar_chain"]
    _check(f, (0.7, -1.3), wrt=(0, 1), order=2)
    ddf = tl.grad(tl.grad(f))
    eps = 1e-6
    df = tl.grad(f)
    want = (df(0.7 + eps, -1.3) - df(0.7 - eps, -1.3)) / (2 * eps)
    np.testing.assert_allclose(ddf(0.7, -1.3), want, rtol=1e-6)
    np.testing.assert_allclose(ddf(0.7, -1.3), ddf(0.7, -1.3))
    x = RNG.standard_normal(3)
    hess = tl.hessian(g["keywords"])(x, RNG.standard_normal(3))
    assert hess.shape == (3, 3)
    tl.check_grads(g["keywords"], (x, RNG.standard_normal(3)), modes=("fwd",), order=2)
    jv = tl.jvp(g["ode"])(0.5, 1.5, 1.0)
    np.testing.assert_allclose(jv[1] if isinstance(jv, tuple) else jv,
                               tl.grad(g["ode"])(0.5, 1.5), rtol=1e-8)


NOT_INLINED = '''
import numpy as np
from other_module import softplus

def _power(x, n):
    if n == 0:
        return 1.0 + 0.0 * x
    return x * _power(x, n - 1)

def _write(p, v):
    p = p.copy()
    p[0] = v
    return np.sum(p)

def _looped(x):
    s = 0.0
    for i in range(3):
        s = s + np.sin(x * i)
    return s

def _reads(x):
    return x * scale

def _made(x):
    return x * _GLOBAL

_GLOBAL = 2.0

def caller(x):
    scale = 3.0
    a = _power(x, 3)
    b = _write(x, np.sum(x))
    c = _looped(x)
    d = np.sum(softplus(x))
    e = _reads(x)
    return np.sum(a) + b + np.sum(c) + d + np.sum(e) + np.sum(_made(x))
'''


def test_helpers_not_inlined_stay_calls_and_right():
    f = make_function(NOT_INLINED, {"scale": 0.5}, name="caller")
    x = RNG.standard_normal(3)
    df = _check(f, (x,))
    [source] = version_sources(df)
    for called in ("d_powerdx", "d_writedp_v", "d_loopeddx", "dsoftplusdx", "d_readsdx"):
        assert called in source, called
    assert "d_madedx" in source   # (a call inside an expression stays a call)


def test_a_helper_writing_into_its_parameter_is_still_refused():
    src = '''
    import numpy as np

    def _write(p, v):
        p[0] = v
        return np.sum(p)

    def f(x):
        z = x * 2.0
        return _write(z, np.sum(x))
    '''
    f = make_function(src, name="f")
    with pytest.raises(tl.TransformError, match="changes its argument `z` in place"):
        tl.grad(f)(np.arange(3.0))


def test_a_run_time_error_in_a_helper_names_the_helpers_line():
    src = '''
    def _inv(x):
        y = 2.0 * x
        return 1.0 / y

    def f(x, w):
        z = _inv(x * w)
        return z * w
    '''
    f = make_function(src, name="f")
    df = tl.grad(f, wrt=(0, 1))
    df(1.0, 2.0)
    assert version_sources(df) and "_inv(" not in code(version_sources(df)[0])
    with pytest.raises(ZeroDivisionError) as info:
        df(0.0, 2.0)
    places = [user_line(tb.tb_frame.f_code.co_filename, tb.tb_lineno)
              for tb in _frames(info.tb) if tb.tb_frame.f_code.co_filename in GENERATED]
    assert (f.__code__.co_filename, 4) in places, places


def _frames(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


def test_a_function_whose_helpers_stay_calls_is_parsed_once_for_its_versions(monkeypatch):
    from tangentlike import pipeline
    calls = []
    original = pipeline.parse
    monkeypatch.setattr(pipeline, "parse", lambda f: calls.append(f) or original(f))
    f = make_function(NOT_INLINED, {"scale": 0.5}, name="caller")
    df = tl.grad(f)
    for n in (3, 4, 5):
        x = RNG.standard_normal(n)
        np.testing.assert_allclose(df(x), df.generic(x), rtol=1e-10)
    assert len(version_sources(df)) == 3
    # the generic derivative's parse, and the first version's, which found nothing to
    # inline (the next versions start from the kept normalized function)
    assert calls.count(f) == 2


def test_an_array_returned_through_a_helper_is_refused_at_the_callers_return():
    src = '''
    import numpy as np

    def _h(x):
        y = x * 2.0
        return np.sin(y)

    def f(x):
        z = x + 1.0
        return _h(z)
    '''
    f = make_function(src, name="f")
    df = tl.grad(f)
    np.testing.assert_allclose(df(1.5), 2.0 * np.cos(5.0))
    df(2.5)
    [source] = version_sources(df)
    assert "_h(" not in code(source)
    with pytest.raises(NonScalarOutput) as info:
        df(np.arange(3.0))
    assert info.value.lineno == 10   # (the caller's return, as without inlining)
    # the version's seed has the generic derivative's name (specialize.inline_version
    # takes a version into the entry only then)
    assert source.startswith("def dfdx(x, bout=1.0):")
    assert df.generic.source.startswith("def dfdx(x, bout=1.0):")
