"""Generated code of issue 6's cases of session perf18: each pass keeps the generic
derivative's values (at inf and nan too, or as docs/conventions.md says where it
deliberately differs) and finite differences'."""
import re

import numpy as np
import pytest

import tangentlike as tl

from util import adjoint_code, the_version

RNG = np.random.default_rng(1818)


# -- np.where's two shares read by one sum: one selection ---------------------------------

def piecewise(x):
    y = np.where(x > 0.0, x * x, 0.5 * x)
    return np.sum(y)


def huber(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a <= 1.0, 0.5 * r * r, a - 0.5))


def inner_where(x):
    # the shares of a where inside the function (not at the seed): g-form
    s = np.sin(x)
    y = np.where(s > 0.2, s * s, np.cos(s))
    return np.sum(np.tanh(y))


def where_bare(x):
    # a share standing alone: the taken side is x itself
    return np.sum(np.where(x < 0.5, x, np.sin(x)))


def where_loop(x):
    total = 0.0
    for i in range(3):
        x = np.where(x > 0.0, x * 0.9, 1.1 * x)
        total = total + np.sum(x * x)
    return total


def piecewise_hand(x):
    return np.where(x > 0.0, 2.0 * x, 0.5)


def huber_hand(w, X, y):
    return np.clip(X @ w - y, -1.0, 1.0) @ X


@pytest.mark.parametrize("f, args, selection", [
    (piecewise, lambda: (RNG.standard_normal(50),), "bx = np.where(t1, 2.0 * x, 0.5)"),
    (huber, lambda: (RNG.standard_normal(4), RNG.standard_normal((30, 4)),
                     RNG.standard_normal(30)), "br = np.clip(r, -1.0, 1.0)"),
    # (np.where(t2, r, np.sign(r)) until perf19's clip_selections made it the clip)
    (inner_where, lambda: (RNG.standard_normal(40),),
     "np.where(t1, by * (2.0 * s), -(by * np.sin(s)))"),
    (where_bare, lambda: (RNG.standard_normal(40),), "np.where(t1, 1.0, "),
    (where_loop, lambda: (RNG.standard_normal(40),), "np.where("),
])
def test_two_shares_summed_are_one_selection(f, args, selection):
    args = args()
    df = tl.grad(f)
    got = df(*args)
    code = adjoint_code(the_version(df))
    assert selection in code, code
    assert ".astype(" not in code and code.count("np.where(") == code.count(selection) \
        or f is where_loop or f is huber and "np.where(" not in code, code
    np.testing.assert_allclose(got, df.generic(*args, 1.0), rtol=1e-14, atol=1e-300)
    tl.check_grads(f, args, order=2, modes=("rev", "fwd"))
    np.testing.assert_allclose(df(*args, 2.5), 2.5 * got, rtol=1e-15)   # another seed
    if f is piecewise:
        np.testing.assert_allclose(got, piecewise_hand(*args), rtol=1e-15)
    if f is huber:
        np.testing.assert_allclose(got, huber_hand(*args), rtol=1e-12)


def test_where_shares_at_inf_and_nan():
    # the chosen side's derivative; the sum of the shares was 0 * inf = nan where the
    # side not chosen has an infinite derivative (docs/conventions.md)
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 2.0, -3.0])
    df = tl.grad(piecewise)
    with np.errstate(all="ignore"):
        got, generic = df(x), df.generic(x, 1.0)
    the_version(df)
    np.testing.assert_array_equal(got, [np.inf, 0.5, 0.5, 0.5, 0.5, 4.0, 0.5])
    np.testing.assert_array_equal(generic, [np.inf, np.nan, np.nan, 0.5, 0.5, 4.0, 0.5])
    finite = np.isfinite(x)
    np.testing.assert_array_equal(got[finite], generic[finite])
    # a nan residual of the Huber loss: nan in both (np.sign(nan))
    w, X, y = np.ones(2), np.ones((3, 2)), np.array([np.nan, 0.0, 5.0])
    dh = tl.grad(huber)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(dh(w, X, y), dh.generic(w, X, y, 1.0))


def test_where_shares_keep_the_dtype_of_the_sum():
    # float32: no version of masks and a float32 side (the selection would be float32
    # where the masks' sum is float64); the values are the generic derivative's
    x32 = RNG.standard_normal(20).astype(np.float32)
    df = tl.grad(piecewise)
    got = df(x32)
    assert got.dtype == df.generic(x32, 1.0).dtype
    np.testing.assert_array_equal(got, df.generic(x32, 1.0))


def _selected(code, doubles=frozenset({"x", "r"})):
    import ast
    import gast
    from tangentlike.optimize import select_where_shares
    body = gast.parse(code).body
    bound = {"np": np, "float64": np.dtype(np.float64)}
    select_where_shares(body, bound, frozenset(doubles))
    return ast.unparse(gast.gast_to_ast(gast.Module(body=body, type_ignores=[])))


@pytest.mark.parametrize("code, selects", [
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nt = a * x + b * 0.5\n", True),
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nt = b * 0.5 + x * a\n", True),
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nt = a * x\nt = t + b * r\n", True),
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nq = r + 1.0\nt = a * x + b * q\n", True),
    ("a = np.where(c, g, 0.0)\nb = np.where(c, 0.0, g)\nt = a * x + b * r\n", True),
    # both sides may be of another dtype than float64 (y unknown, a number): no
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nt = a * y + b * 0.5\n", False),
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nt = a * 2 + b * 3\n", False),
    # a share read again, c or g assigned in between, shares of other conditions: no
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nt = a * x + b * 0.5\nu = a\n", False),
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nc = x > 1\nt = a * x + b * 0.5\n", False),
    ("a = np.where(c, g, 0.0)\nb = np.where(c, 0.0, g)\ng = r\nt = a * x + b * r\n", False),
    ("a = c.astype(float64)\nb = (~d).astype(float64)\nt = a * x + b * 0.5\n", False),
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nt = a * x - b * 0.5\n", True),
    ("a = np.where(c, g, 0.0)\nb = np.where(c, 0.0, g)\nt = b * r - x * a\n", True),
    ("t = c.astype(float64)\nb = (~c).astype(float64)\nt = t + b * x\n", True),
    ("t = c.astype(float64)\nb = (~c).astype(float64)\nt = t + b * t\n", False),
    ("a = c.astype(float64)\nb = (~c).astype(float64)\nf(c)\nt = a * x + b * 0.5\n", False),
])
def test_select_where_shares_on_snippets(code, selects):
    out = _selected(code)
    assert ("t = np.where(c" in out) == selects, out
    rng = np.random.default_rng(5)
    for _ in range(3):
        env = {"c": rng.standard_normal(6) > 0, "d": rng.standard_normal(6) > 0,
               "x": rng.standard_normal(6), "r": rng.standard_normal(6),
               "g": rng.standard_normal(6), "y": rng.standard_normal(6),
               "np": np, "float64": np.dtype(np.float64), "f": lambda c: None}
        want, got = dict(env), dict(env)
        exec(code, {}, want)
        exec(out, {}, got)
        assert got["t"].dtype == want["t"].dtype
        np.testing.assert_allclose(got["t"], want["t"], rtol=1e-15, atol=0)


# -- 1.0 * a read only by arithmetic: a ---------------------------------------------------

def vae_kl(mu, logvar, eps, Wd, X):
    z = mu + np.exp(0.5 * logvar) * eps
    rec = np.sum((z @ Wd - X) ** 2)
    kl = -0.5 * np.sum(1.0 + logvar - mu ** 2 - np.exp(logvar))
    return rec + kl


def vae_kl_hand(mu, logvar, eps, Wd, X):
    s = np.exp(0.5 * logvar)
    z = mu + s * eps
    gz = 2.0 * (z @ Wd - X) @ Wd.T
    return gz + mu, gz * eps * 0.5 * s + 0.5 * (s * s - 1.0)


def normalized(x, w):
    u = x / np.linalg.norm(x)
    return np.sum(w * u)


def test_unit_copy_of_a_parameter_goes_into_its_arithmetic_reads():
    args = (RNG.standard_normal((16, 3)), 0.1 * RNG.standard_normal((16, 3)),
            RNG.standard_normal((16, 3)), RNG.standard_normal((3, 5)), RNG.standard_normal((16, 5)))
    df = tl.grad(vae_kl, wrt=(0, 1))
    got = df(*args)
    code = adjoint_code(the_version(df))
    assert "1.0 * mu" not in code and "bmu = mu + bz" in code, code
    for g, want, generic in zip(got, vae_kl_hand(*args), df.generic(*args, 1.0)):
        np.testing.assert_allclose(g, want, rtol=1e-12)
        np.testing.assert_array_equal(g, generic)
    # the gradient is a new array, not the argument
    assert not np.shares_memory(got[0], args[0])
    tl.check_grads(vae_kl, args, wrt=(0, 1), order=2, modes=("rev",))

    x, w = RNG.standard_normal(30), RNG.standard_normal(30)
    dn = tl.grad(normalized)
    g = dn(x, w)
    code = adjoint_code(the_version(dn))
    assert "1.0 * w" not in code and "bx = w / t1" in code, code
    n = np.linalg.norm(x)
    np.testing.assert_allclose(g, (w - (w @ (x / n)) * (x / n)) / n, rtol=1e-12)
    # (the sum of products is a dot product in the version: rounding)
    np.testing.assert_allclose(g, dn.generic(x, w, 1.0), rtol=1e-13, atol=1e-16)
    tl.check_grads(normalized, (x, w), order=2, modes=("rev", "fwd"))


def f_returned(x):
    return np.sum(0.5 * x ** 2)


def test_unit_copy_that_is_returned_or_changed_stays_a_copy():
    x = RNG.standard_normal(7)
    df = tl.grad(f_returned)
    g = df(x)
    np.testing.assert_array_equal(g, x)
    assert not np.shares_memory(g, x)   # (returned: the copy stays)
    g[0] = 99.0
    assert x[0] != 99.0


def _unit_folded(code, floats=frozenset({"a"})):
    import ast
    import gast
    from tangentlike.optimize import fold_unit_copies
    body = gast.parse(code).body
    for stmt in body:
        stmt.phase = "adjoint"
    fold_unit_copies(body, frozenset(floats))
    return ast.unparse(gast.gast_to_ast(gast.Module(body=body, type_ignores=[])))


@pytest.mark.parametrize("code, folds", [
    ("t = 1.0 * a\nu = t + g\nt = t * 2.0 + u\nv = t\n", True),
    ("t = 1.0 * a\nu = -t / n + g\n", True),
    ("t = a * 1.0\nu = t + g\nt = t + u\nreturn t\n", True),
    # read otherwise (returned, an argument, a copy, changed in place), a changed, a
    # not surely a float: no
    ("t = 1.0 * a\nu = t + g\nreturn t\n", False),
    ("t = 1.0 * a\nu = f(t)\n", False),
    ("t = 1.0 * a\nu = t\n", False),
    ("t = 1.0 * a\nt[0] = 1.0\nu = t + g\n", False),
    ("t = 1.0 * a\nt += g\nu = t + g\n", False),
    ("t = 1.0 * a\na[0] = 2.0\nu = t + g\n", False),
    ("t = 1.0 * a\nz = f(a)\nu = t + g\n", False),
    ("t = 1.0 * b\nu = t + g\n", False),
    ("t = 2.0 * a\nu = t + g\n", False),
])
def test_fold_unit_copies_on_snippets(code, folds):
    out = _unit_folded(code)
    assert (len(out.splitlines()) < len(code.splitlines())) == folds, out


# -- a convolution's adjoint without the padded copy --------------------------------------

def conv_kernel(k, x, y):
    out = np.convolve(x, k, "valid")
    return np.sum((out - y) ** 2)


def conv_both(x, k):
    return np.sum(np.tanh(np.convolve(x, k, "valid")))


def corr_both(x, k):
    return np.sum(np.correlate(x, k, "valid") ** 3)


def conv_same(x, k):
    return np.sum(np.convolve(x, k, "same") ** 2)


def test_correlate_of_padded_is_the_padded_correlation():
    from tangentlike.rules.numeric import correlate_of_padded
    from tangentlike.rules.shapes import zero_padded
    rng = np.random.default_rng(7)
    for n, m in ((1, 1), (1, 5), (5, 5), (3, 8), (7, 20), (494, 500)):
        g, v = rng.standard_normal(n), rng.standard_normal(m)
        for before in sorted({m - n, m - 1, 0, 2}):
            if before < 0:
                continue
            want = np.correlate(zero_padded(g, ((before, before),)), v, "valid")
            got = correlate_of_padded(g, v, before)
            assert got.shape == want.shape and got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # ints, float32, complex (the padded form: correlate conjugates v) and lists
    for g, v in ((np.arange(3), np.arange(5)), (np.ones(3, np.float32), np.ones(5, np.float32)),
                 (np.array([1j, 2.0, 3.0]), np.array([1.0, 1j, 2.0, 1.0, 0.5])),
                 ([1.0, 2.0], [3.0, 4.0, 5.0])):
        want = np.correlate(zero_padded(np.asarray(g), ((2, 2),)), v, "valid")
        got = correlate_of_padded(np.asarray(g), np.asarray(v), 2) if not isinstance(g, list) \
            else correlate_of_padded(g, v, 1)
        if not isinstance(g, list):
            assert got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("f, wrt, args", [
    (conv_kernel, 0, lambda: (RNG.standard_normal(5), RNG.standard_normal(40),
                              RNG.standard_normal(36))),
    (conv_both, (0, 1), lambda: (RNG.standard_normal(30), RNG.standard_normal(4))),
    (conv_both, (0, 1), lambda: (RNG.standard_normal(4), RNG.standard_normal(30))),
    (corr_both, (0, 1), lambda: (RNG.standard_normal(25), RNG.standard_normal(6))),
])
def test_convolution_adjoint_without_padding(f, wrt, args):
    args = args()
    df = tl.grad(f, wrt=wrt)
    got = df(*args)
    code = adjoint_code(the_version(df))
    assert "correlate_of_padded(" in code and "zero_padded" not in code, code
    for g, want in zip(got if isinstance(wrt, tuple) else (got,),
                       df.generic(*args, 1.0) if isinstance(wrt, tuple)
                       else (df.generic(*args, 1.0),)):
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)
    tl.check_grads(f, args, wrt=wrt, order=2, modes=("rev", "fwd"))
    if f is conv_kernel:
        k, x, y = args
        r = 2.0 * (np.convolve(x, k, "valid") - y)
        np.testing.assert_allclose(got, np.correlate(x, r, "valid")[::-1], rtol=1e-12)


def test_same_mode_keeps_the_padding():
    args = (RNG.standard_normal(12), RNG.standard_normal(4))
    df = tl.grad(conv_same, wrt=(0, 1))
    got = df(*args)
    assert "correlate_of_padded" not in the_version(df)
    tl.check_grads(conv_same, args, wrt=(0, 1), order=1, modes=("rev",))
    for g, want in zip(got, df.generic(*args, 1.0)):
        np.testing.assert_array_equal(g, want)


def test_convolution_adjoint_at_inf_is_the_chain_rules():
    # the padded zeros no longer meet an infinite element: nan only where a term of the
    # sum is inf * 0 or inf - inf (docs/conventions.md); finite inputs: as before
    k, x, y = np.array([0.5, -1.0, 2.0]), np.arange(6.0), np.ones(4)
    x[0] = np.inf
    df = tl.grad(conv_kernel, wrt=(0, 1))
    with np.errstate(all="ignore"):
        bk, bx = df(k, x, y)
        gk, gx = df.generic(k, x, y, 1.0)
    assert "correlate_of_padded" in the_version(df)
    np.testing.assert_array_equal(bx, gx)
    np.testing.assert_array_equal(gk, [np.nan, np.nan, np.inf])    # the padded form
    np.testing.assert_array_equal(bk, [np.inf, np.inf, np.inf])    # each term inf * r > 0


# -- the softplus share of np.logaddexp(0, -m) without its negations ----------------------

def logistic_loss_sum(w, X, y):
    m = y * (X @ w)
    return np.sum(np.logaddexp(0.0, -m))


def logistic_loss_reg(w, X, y):
    m = y * (X @ w)
    return np.mean(np.logaddexp(0.0, -m)) + 0.01 * np.sum(w * w)


def test_logistic_of_negated_times_is_logistic_times_of_the_negation():
    from tangentlike.rules.arithmetic import logistic_of_negated_times, logistic_times
    cases = [RNG.standard_normal(50) * 30, np.array([708.0, -1.0]), np.array([708.5, 2.0]),
             np.array([800.0, -800.0]), np.array([np.nan, 1.0]), np.array([np.inf, -np.inf]),
             np.array([-0.0, 0.0]), np.zeros(0), np.array(3.0), np.float64(-2.0), 1.5,
             RNG.standard_normal(5).astype(np.float32)]
    for m in cases:
        for k in (1.0, -1.0, 0.001, -0.25):
            with np.errstate(all="ignore"):
                got, want = logistic_of_negated_times(m, k), logistic_times(-m, k)
            assert np.shape(got) == np.shape(want) and np.result_type(got) == np.result_type(want)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("f", [logistic_loss_sum, logistic_loss_reg])
def test_logistic_loss_without_negations(f):
    w, X = 0.1 * RNG.standard_normal(6), RNG.standard_normal((300, 6))
    y = np.sign(RNG.standard_normal(300))
    df = tl.grad(f)
    got = df(w, X, y)
    code = adjoint_code(the_version(df))
    assert "logistic_of_negated_times(m, " in code, code
    assert "= -m\n" not in the_version(df) and "logistic_times(" not in code.replace(
        "logistic_of_negated_times(", ""), code
    np.testing.assert_allclose(got, df.generic(w, X, y, 1.0), rtol=1e-13, atol=1e-16)
    tl.check_grads(f, (w, X, y), order=2, modes=("rev", "fwd"))
    if f is logistic_loss_sum:
        hand = -(y / (1.0 + np.exp(y * (X @ w)))) @ X
        np.testing.assert_allclose(got, hand, rtol=1e-13, atol=1e-15)
    # margins far out, inf and nan: the generic derivative's values
    for bad in ([800.0, -800.0, 1.0, 0.0, 0.0, 0.0], [np.inf, 0.0, 0.0, 0.0, 0.0, 0.0],
                [np.nan, 1.0, 0.0, 0.0, 0.0, 0.0]):
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(df(np.array(bad), X, y),
                                          df.generic(np.array(bad), X, y, 1.0))


def _logistic_folded(code, bound_extra=()):
    import ast
    import gast
    from tangentlike.optimize import fold_logistic_negations
    from tangentlike.rules.arithmetic import logistic_times
    body = gast.parse(code).body
    bound = {"np": np, "logistic_times": logistic_times}
    fold_logistic_negations(body, bound)
    return ast.unparse(gast.gast_to_ast(gast.Module(body=body, type_ignores=[])))


@pytest.mark.parametrize("code, want", [
    ("t = -m\nu = logistic_times(t, 1.0)\nv = -u\nr = v * y\n",
     "v = logistic_of_negated_times(m, -1.0)\nr = v * y"),
    # t read again, m assigned again or after, an array changed in place, u read again
    ("t = -m\nu = logistic_times(t, 1.0)\nv = -u\nr = v * t\n",
     "t = -m\nv = logistic_times(t, -1.0)\nr = v * t"),
    ("t = -m\nm = m * 2.0\nm = m + 1.0\nu = logistic_times(t, 1.0)\n",
     "t = -m\nm = m * 2.0\nm = m + 1.0\nu = logistic_times(t, 1.0)"),
    ("t = -m\nm = q * 2.0\nu = logistic_times(t, 1.0)\n",
     "t = -m\nm = q * 2.0\nu = logistic_times(t, 1.0)"),
    ("t = -m\nm[0] = 2.0\nu = logistic_times(t, 1.0)\n",
     "t = -m\nm[0] = 2.0\nu = logistic_times(t, 1.0)"),
    ("m = q * 2.0\nt = -m\nu = logistic_times(t, 0.5)\n",
     "m = q * 2.0\nu = logistic_of_negated_times(m, 0.5)"),
    ("t = -m\nu = logistic_times(t, 1.0)\nv = -u\nr = v * u\n",
     "u = logistic_of_negated_times(m, 1.0)\nv = -u\nr = v * u"),
])
def test_fold_logistic_negations_on_snippets(code, want):
    assert _logistic_folded(code) == want


# -- an element update moved down to the next update of its element ----------------------

def euler3(x0, p):
    x = np.zeros((41, 3))
    x[0] = x0
    for i in range(40):
        x[i + 1] = x[i] + 0.05 * np.array([x[i, 1], -p * x[i, 0], x[i, 0] - x[i, 2]])
    return np.sum(x[-1] ** 2)


def test_euler3_updates_each_element_once_per_reversed_step():
    x0 = np.array([1.0, 0.5, 0.2])
    df = tl.grad(euler3, wrt=(0, 1))
    got = df(x0, 0.7)
    loop = the_version(df).split("for i in reversed")[1]
    updates = [line.strip() for line in loop.splitlines() if "bx[i" in line and "=" in line
               and not line.strip().startswith("#")]
    assert len(updates) == 3 and len({u.split("]")[0] for u in updates}) == 3, updates
    for g, want in zip(got, df.generic(x0, 0.7, 1.0)):
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-300)
    tl.check_grads(euler3, (x0, 0.7), wrt=(0, 1), order=2, modes=("rev",))
    for bad in ([np.inf, 0.5, 0.2], [np.nan, 0.5, 0.2], [1e308, -1e308, 1e308]):
        with np.errstate(all="ignore"):
            got, want = df(np.array(bad), 0.7), df.generic(np.array(bad), 0.7, 1.0)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
            np.testing.assert_array_equal(np.isinf(g), np.isinf(w))


def _merged_down(code, ints=frozenset({"i", "j"}), numbers=frozenset({"q"})):
    import gast
    from tangentlike.optimize import merge_element_updates
    body = gast.parse(code).body
    return merge_element_updates(body, frozenset(ints), frozenset(numbers)), len(body)


DOWN_SNIPPET = """
j = i + 1
r = bx[j]
bx[i, 2] -= a
bx[i, 0] += b
c = a * q
{between}
bx[i, 2] += c + r[2]
"""


@pytest.mark.parametrize("between, merges", [
    ("bp = bp - c", True),
    ("bx[j, 1] += 1.0", True),         # another row: apart
    ("bx[j, 2] += 1.0", True),         # (read through r after it, as before)
    ("bx[i, 1] += c", True),
    ("e = bx[i, 2] * 2.0", False),     # reads the element
    ("a = c * 2.0", False),            # assigns what the moved update reads
    ("bx[k, 2] += 1.0", False),        # k may be i
    ("f(bx)", False),
    ("w = bx[i]", False),              # a view of the row
])
def test_merge_down_on_snippets(between, merges):
    import ast
    import gast
    code = DOWN_SNIPPET.format(between=between)
    merged, before = _merged_down(code)
    text = ast.unparse(gast.gast_to_ast(gast.Module(body=merged, type_ignores=[])))
    assert (text.count("bx[i, 2]") == 1) == merges, text
    rng = np.random.default_rng(4)
    for _ in range(3):
        start = {"bx": rng.standard_normal((6, 3)), "i": 2, "k": 2, "a": 1.5, "b": -0.5,
                 "q": 0.25, "bp": 0.125, "f": lambda v: None}
        want = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in start.items()}
        got = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in start.items()}
        exec(code, {}, want)
        exec(compile(gast.gast_to_ast(gast.fix_missing_locations(
            gast.Module(body=merged, type_ignores=[]))), "<merged>", "exec"), {}, got)
        np.testing.assert_allclose(got["bx"], want["bx"], rtol=1e-13, atol=1e-15)


# -- invariants of a loop computed before it --------------------------------------------

def pendulum_rk2(x0, p):
    x = x0
    dt = 0.02
    for i in range(60):
        k1 = np.array([x[1], -p[0] * np.sin(x[0]) - p[1] * x[1]])
        xm = x + 0.5 * dt * k1
        k2 = np.array([xm[1], -p[0] * np.sin(xm[0]) - p[1] * xm[1]])
        x = x + dt * k2
    return np.sum(x * x)


def test_loop_invariants_are_computed_before_the_loops():
    x0, p = np.array([1.0, 0.0]), np.array([9.81, 0.3])
    df = tl.grad(pendulum_rk2, wrt=(0, 1))
    got = df(x0, p)
    source = the_version(df)
    loops = source.split("\n    for i in ")[1:]
    assert len(loops) == 2
    for loop in loops:
        body = []
        for line in loop.splitlines()[1:]:
            if not line.startswith("        "):
                break   # (the end of the loop's body)
            if not line.strip().startswith("#"):
                body.append(line)
        body = "\n".join(body)
        assert not re.search(r"\bp\[", body) and "0.5 * dt" not in body, source
    for g, want in zip(got, df.generic(x0, p, 1.0)):
        np.testing.assert_allclose(g, want, rtol=1e-13)
    tl.check_grads(pendulum_rk2, (x0, p), wrt=(0, 1), order=2, modes=("rev",))
    with np.errstate(all="ignore"):
        bad = df(np.array([np.nan, 0.0]), p), df.generic(np.array([np.nan, 0.0]), p, 1.0)
    for g, w in zip(*bad):
        np.testing.assert_array_equal(g, w)


def _hoisted(code):
    import ast
    import gast
    from tangentlike.optimize import hoist_invariants
    body = gast.parse(code).body
    hoist_invariants(body, {"np": np, "range": range, "reversed": reversed})
    return ast.unparse(gast.gast_to_ast(gast.Module(body=body, type_ignores=[])))


@pytest.mark.parametrize("loop, hoists", [
    ("for i in range(4):\n    t = p[0] * 0.5\n    s = s + t * i\n", True),
    ("for i in reversed(range(n)):\n    t = -p[0]\n    u = t * 2.0\n    s = s + u\n", True),
    ("for i in range(0):\n    t = p[0] * 0.5\n    s = s + t\n", False),       # may not run
    ("for i in range(m):\n    t = p[0] * 0.5\n    s = s + t\n", False),       # m unknown
    ("for i in range(4):\n    s = s + t\n    t = p[0] * 0.5\n", False),      # read before
    ("for i in range(4):\n    t = p[0] * 0.5\n    p[1] = t\n", False),        # p changed
    ("for i in range(4):\n    t = q[0] * 0.5\n    r[0] += t\n", False),       # r = q[1:]
    ("for i in range(4):\n    t = p[0] * s\n    s = s + t\n", False),        # s changes
    ("for i in range(4):\n    t = p[i]\n    s = s + t\n", False),
    ("for i in range(4):\n    t = np.sin(c)\n    s = s + t\n", False),       # a call
    ("for i in range(4):\n    if s > 3.0:\n        break\n    t = 1.0 / c\n    s = s + t\n",
     False),
    ("for i in range(4):\n    t = c * 2.0\n    s = s + t\n    t = s * 0.5\n", False),
])
def test_hoist_invariants_on_snippets(loop, hoists):
    code = "n = 3\nr = q[1:]\ns = 0.0\nt = 0.0\n" + loop
    out = _hoisted(code)
    first_loop = out.index("for i in")
    assert ("t = " in out[:first_loop].replace("t = 0.0", "")) == hoists, out
    env = {"p": np.array([2.0, 3.0, 5.0, 7.0]), "q": np.array([1.0, 2.0, 3.0]), "c": 4.0, "m": 2,
           "np": np}
    want, got = dict(env, p=env["p"].copy(), q=env["q"].copy()), \
        dict(env, p=env["p"].copy(), q=env["q"].copy())
    exec(code, {}, want)
    exec(out, {}, got)
    assert got["s"] == want["s"]
    np.testing.assert_array_equal(got["p"], want["p"])
    np.testing.assert_array_equal(got["q"], want["q"])


# -- the sum of a product of two vectors and numbers: a dot product ----------------------

def unit_direction(x, w):
    u = x / np.linalg.norm(x)
    return np.sum(w * u)


def scaled_products(x, w, c):
    return np.sum(-(c * x) * w / 3.0) + np.sum(x * x / w)


def matrix_products(X, W):
    return np.sum(X * W / np.sum(X))


def test_sum_of_scaled_vector_products_is_a_dot_product():
    x, w = RNG.standard_normal(40), RNG.standard_normal(40)
    df = tl.grad(unit_direction)
    got = df(x, w)
    code = adjoint_code(the_version(df))
    assert "w.dot(u)" in code and ".sum()" not in code and "1.0 * w" not in code, code
    n = np.linalg.norm(x)
    np.testing.assert_allclose(got, (w - (w @ (x / n)) * (x / n)) / n, rtol=1e-12)
    np.testing.assert_allclose(got, df.generic(x, w, 1.0), rtol=1e-13, atol=1e-16)
    tl.check_grads(unit_direction, (x, w), order=2, modes=("rev", "fwd"))
    # the zero vector: nan as the generic derivative (0 / 0)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(np.isnan(df(np.zeros(40), w)),
                                      np.isnan(df.generic(np.zeros(40), w, 1.0)))

    w2 = RNG.uniform(1.0, 2.0, 40)
    ds = tl.grad(scaled_products, wrt=(1, 2))
    got = ds(x, w2, 1.5)
    code = adjoint_code(the_version(ds))
    assert ".dot(" in code, code
    for g, want in zip(got, ds.generic(x, w2, 1.5, 1.0)):
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-15)
    tl.check_grads(scaled_products, (x, w2, 1.5), wrt=(1, 2), order=2, modes=("rev",))

    X, W = RNG.standard_normal((5, 4)), RNG.standard_normal((5, 4))
    dm = tl.grad(matrix_products)
    g = dm(X, W)
    assert "dot(" not in the_version(dm)   # (of vectors only)
    np.testing.assert_allclose(g, dm.generic(X, W, 1.0), rtol=1e-13)


# -- the adjoint of np.concatenate of a list display: slices -----------------------------

def lstm_cell(W, xs, h0, c0):
    h = h0
    c = c0
    H = h0.shape[0]
    for t in range(xs.shape[0]):
        z = W @ np.concatenate([xs[t], h])
        i = 1.0 / (1.0 + np.exp(-z[:H]))
        f = 1.0 / (1.0 + np.exp(-z[H:2 * H]))
        o = 1.0 / (1.0 + np.exp(-z[2 * H:3 * H]))
        g = np.tanh(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h * h)


def joined_twice(x, y):
    parts = [x, y]
    z = np.concatenate(parts)
    return np.sum(z * z) + np.sum(np.concatenate(parts) ** 3)


def test_concatenated_list_display_is_split_by_slices():
    W, xs = RNG.standard_normal((12, 5)) / 3, RNG.standard_normal((4, 2))
    h0, c0 = 0.1 * RNG.standard_normal(3), 0.1 * RNG.standard_normal(3)
    df = tl.grad(lstm_cell, wrt=(0, 2, 3))
    got = df(W, xs, h0, c0)
    code = adjoint_code(the_version(df))
    assert "split_like" not in code and "= [bt6[:2], bt6[2:]]" in code, code
    assert "stack.append(t5)" not in the_version(df)
    for g, want in zip(got, df.generic(W, xs, h0, c0, 1.0)):   # (batched products: rounding)
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-17)
    tl.check_grads(lstm_cell, (W, xs, h0, c0), wrt=(0, 2, 3), order=1, modes=("rev",))
    # a list read twice: slices too, its items' shapes known from its stand-in (perf23)
    x, y = RNG.standard_normal(3), RNG.standard_normal(4)
    dj = tl.grad(joined_twice, wrt=(0, 1))
    got = dj(x, y)
    assert "split_like" not in the_version(dj) and "[bz[:3], bz[3:]]" in the_version(dj)
    for g, want in zip(got, dj.generic(x, y, 1.0)):
        np.testing.assert_array_equal(g, want)
    tl.check_grads(joined_twice, (x, y), wrt=(0, 1), order=2, modes=("rev",))


# -- add_grads of two lists of numbers ----------------------------------------------------

def two_loop(g, S, Y):
    q = g
    m = S.shape[0]
    alphas = []
    for i in range(m - 1, -1, -1):
        a = np.dot(S[i], q) / np.dot(Y[i], S[i])
        alphas.append(a)
        q = q - a * Y[i]
    r = q * 0.5
    for i in range(m):
        b = np.dot(Y[i], r) / np.dot(Y[i], S[i])
        r = r + S[i] * (alphas[m - 1 - i] - b)
    return np.dot(r, r)


def test_add_grads_of_lists_of_numbers_is_their_sums():
    from tangentlike.runtime import add_grads
    cases = [([np.float64(0.5), 0.0, np.float64(-0.0), 2.0], [0.0, -0.0, 0.0, np.float64(1.5)]),
             ((1.0, np.float64(2.0)), [np.float64(np.inf), np.nan]),
             ([np.float32(1.5), 0.0], [0.0, np.float32(2.0)]),        # (not float64: per item)
             ([np.ones(2), 0.0], [0.0, np.ones(2)])]
    for a, b in cases:
        got = add_grads(a, b)
        want = [add_grads(x, y) for x, y in zip(a, b)]
        assert type(got) is type(a) and len(got) == len(want)
        for x, y in zip(got, want):
            assert type(x) is type(y)
            np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(np.signbit(x), np.signbit(y))
    rng = np.random.default_rng(3)
    S = rng.standard_normal((4, 12))
    args = (rng.standard_normal(12), S, S + 0.1 * rng.standard_normal((4, 12)))
    df = tl.grad(two_loop)
    np.testing.assert_allclose(df(*args), df.generic(*args, 1.0), rtol=1e-13)
    tl.check_grads(two_loop, args, order=1, modes=("rev",))
