"""Generated code of issue 6's neighbours of session perf21: each pass keeps the generic
derivative's values (at inf and nan too, where it touches them) and finite
differences'."""
import numpy as np
import pytest

import tangentlike as tl
from util import adjoint_code, the_version, same_as_generic as same

RNG = np.random.default_rng(2121)


def without_comments(source):
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))


# -- methods of the user's class written out in a version (inline.py) --------------------

class MLP:
    def __init__(self, scale=1.0):
        self.scale = scale

    def predict(self, params, x):
        W1, b1, W2, b2 = params
        h = np.tanh(W1 @ x + b1)
        return (W2 @ h + b2) * self.scale

    def loss(self, params, x, y):
        reg = self.penalty(params[0])
        r = self.predict(params, x) - y
        return np.sum(r * r) + reg

    def penalty(self, W, lam=0.01):
        return lam * self.square(W)

    @staticmethod
    def square(W):
        return np.sum(W * W)


class OtherPredict(MLP):
    def predict(self, params, x):
        return np.sin(params[0] @ x)[:2]


def mlp_args():
    return ((0.3 * RNG.standard_normal((5, 4)), 0.1 * RNG.standard_normal((5, 1)),
             0.3 * RNG.standard_normal((2, 5)), 0.1 * RNG.standard_normal((2, 1))),
            RNG.standard_normal((4, 3)), RNG.standard_normal((2, 3)))


def test_own_methods_are_written_out_in_a_version():
    params, x, y = mlp_args()
    model = MLP(1.5)
    df = tl.grad(model.loss)
    got = df(params, x, y)
    code = without_comments(the_version(df))
    # predict, penalty and the staticmethod square are the version's own statements: no
    # call of them or of their derivatives, each object still checked as the call does
    assert "MLP.predict(" not in code and "dpredict" not in code and "dsquare" not in code \
        and "MLP.penalty(" not in code, code
    assert "require_method(self, 'predict', MLP" in code \
        and "require_method(self, 'penalty', MLP" in code \
        and "require_method(self, 'square', MLP" in code, code
    assert "np.tanh(" in code and code.count("np.tanh(") == 1, code
    same(got, df.generic(model, params, x, y, 1.0))
    same(df(params, x, y, 2.5), df.generic(model, params, x, y, 2.5))
    tl.check_grads(MLP.loss, (model, params, x, y), wrt=(1,), order=1, modes=("rev", "fwd"))


def test_written_out_methods_are_checked_as_calls_are():
    params, x, y = mlp_args()
    model = MLP()
    df = tl.grad(MLP.loss, wrt=1)
    df(model, params, x, y)
    assert "require_method(self, 'predict', MLP" in the_version(df)
    # a subclass's own predict: the version refuses it as the call of MLP.predict does
    with pytest.raises(tl.TransformError, match=r"`.predict\(\)` of this `OtherPredict`"):
        df(OtherPredict(), params, x, y)
    own = MLP()
    own.predict = lambda params, x: x
    with pytest.raises(tl.TransformError, match="the object itself defines another"):
        df(own, params, x, y)
    # MLP.predict rebound: derived again, with the new method
    saved = MLP.predict
    try:
        MLP.predict = lambda self, params, x: params[2] @ np.cos(params[0] @ x)
        want = tl.grad(lambda p: np.sum((p[2] @ np.cos(p[0] @ x) - y) ** 2)
                       + 0.01 * np.sum(p[0] * p[0]))(params)
        same(df(model, params, x, y), want)
    finally:
        MLP.predict = saved
    same(df(model, params, x, y), df.generic(model, params, x, y, 1.0))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_written_out_methods_keep_nan_and_inf():
    params, x, y = mlp_args()
    x = x.copy()
    x[0, 1], x[2, 2] = np.inf, np.nan
    model = MLP(0.5)
    df = tl.grad(model.loss)
    same(df(params, x, y), df.generic(model, params, x, y, 1.0))


# -- a number spread over an array read as the number (optimize.spread_constants) -------

def gauss_diag(mu, logvar, X):
    var = np.exp(logvar)
    d = X - mu
    return 0.5 * np.sum(d * d / var + logvar + np.log(2.0 * np.pi))


def gauss_args():
    return 0.3 * RNG.standard_normal(4), 0.1 * RNG.standard_normal(4), RNG.standard_normal((7, 4))


def test_spread_number_is_read_as_the_number():
    args = gauss_args()
    df = tl.grad(gauss_diag, wrt=(0, 1))
    got = df(*args)
    code = without_comments(the_version(df))
    # the adjoint of np.sum is 0.5 spread over (7, 4): divided by var, it is (4,)
    assert "np.zeros" not in code and "bt1 = 0.5 / var" in code, code
    same(got, df.generic(*args, 1.0))
    same(df(*args, -2.0), df.generic(*args, -2.0))
    tl.check_grads(gauss_diag, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_spread_number_keeps_nan_and_inf():
    mu, logvar, X = gauss_args()
    X[1, 2], X[3, 0], mu[1], logvar[3] = np.inf, np.nan, -np.inf, np.inf
    df = tl.grad(gauss_diag, wrt=(0, 1))
    same(df(mu, logvar, X), df.generic(mu, logvar, X, 1.0))
    logvar[0] = -np.inf   # (var 0: 0.5 / 0)
    same(df(mu, logvar, X), df.generic(mu, logvar, X, 1.0))


def _spread_pass(source, shapes, numbers=frozenset()):
    import gast
    from tangentlike.optimize import spread_constants
    body = gast.parse(source).body
    spread_constants(body, {"np": np, "float64": np.dtype(np.float64)}, shapes, numbers)
    return "\n".join(gast.unparse(s) if hasattr(gast, "unparse") else
                     __import__("ast").unparse(gast.gast_to_ast(s)) for s in body)


def test_spread_number_stays_an_array_where_a_read_needs_one():
    head = "g = 0.5 + np.zeros((3, 2), dtype=np.result_type(float64, 0.5))\n"
    shapes = {"v": (2,), "X": (3, 2)}
    # elementwise to the full shape, or to a smaller array named once: the number
    assert "np.zeros" not in _spread_pass(head + "a = g / v\nb = (a * X).sum(axis=0)\n", shapes)
    # a reduction, a return, a call, a name of unknown shape, an augmented target, a
    # division of numbers only (ZeroDivisionError in Python): the array stays
    for tail in ("b = g.sum(axis=0)\n", "b = np.sum(g * v)\n", "b = f(g)\n",
                 "b = g * w\n", "b = X\nb += g\n", "a = g / v\nc = a.sum()\n",
                 "a = g / 0.0 * X\n", "a = g * 2.0\nc = a * X\n"):
        assert "np.zeros" in _spread_pass(head + tail, shapes), tail


# -- sums of products by a factor the same along the summed axes (optimize.factor_sums) -

def close(got, want):
    """The generic derivative's values up to rounding (a sum factored), nan and inf where
    it has them."""
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def scaled_rows(s, X, Y):
    d = X * s - Y
    return np.sum(0.5 * (d * d) / s) + np.sum(np.tanh(X) * s)


def test_sums_of_products_by_a_factor_are_the_factor_times_the_sum():
    args = gauss_args()
    df = tl.grad(gauss_diag, wrt=(0, 1))
    got = df(*args)
    code = adjoint_code(the_version(df))
    assert "bvar = bt1 * (t1.sum(axis=(0,)) / var)" in code \
        and "bmu = -(bt1 * (2.0 * d.sum(axis=(0,))))" in code and "bd" not in code, code
    close(got, df.generic(*args, 1.0))
    close(df(*args, 3.0), df.generic(*args, 3.0))
    tl.check_grads(gauss_diag, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))

    args = (1.0 + 0.1 * RNG.standard_normal(3), RNG.standard_normal((5, 3)),
            RNG.standard_normal((5, 3)))
    df = tl.grad(scaled_rows)
    got = df(*args)
    close((got,), (df.generic(*args, 1.0),))
    tl.check_grads(scaled_rows, args, order=2, modes=("rev", "fwd"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_factored_sums_keep_nan_and_inf():
    mu, logvar, X = gauss_args()
    X[1, 2], X[3, 0], mu[1] = np.inf, np.nan, -np.inf
    df = tl.grad(gauss_diag, wrt=(0, 1))
    close(df(mu, logvar, X), df.generic(mu, logvar, X, 1.0))
    # var = 0 (logvar -inf): the factor 0.5 / var is inf; the generic derivative sums
    # inf * (2 d) over terms of both signs (nan), the version multiplies their sum
    # (docs/conventions.md)
    mu, logvar, X = gauss_args()
    logvar[2] = -np.inf
    got, want = df(mu, logvar, X), df.generic(mu, logvar, X, 1.0)
    assert np.isnan(want[0][2]) and np.isinf(got[0][2])
    keep = [0, 1, 3]
    close((got[0][keep], got[1][keep]), (want[0][keep], want[1][keep]))


def test_sums_keep_their_form_where_the_factor_is_summed():
    import gast
    from tangentlike.optimize import factor_sums

    def factored(source, shapes):
        body = gast.parse(source).body
        for stmt in body:
            stmt.phase = "adjoint"
        factor_sums(body, {"np": np}, shapes, frozenset({"k"}))
        return __import__("ast").unparse(gast.gast_to_ast(gast.Module(body, [])))

    shapes = {"a": (8,), "c": (200, 1), "B": (200, 8)}
    assert factored("s = (a * B).sum(axis=0)\n", shapes) == "s = a * B.sum(axis=0)"
    assert factored("s = np.sum(B / a, axis=(0,))\n", shapes) == "s = np.sum(B, axis=(0,)) / a"
    for source in ("s = (a * B).sum(axis=1)\n",      # a's own axis summed
                   "s = (c * B).sum(axis=1)\n",      # (a kept axis of c, left as it is)
                   "s = (a / B).sum(axis=0)\n",      # a divided: not a factor
                   "s = (a * B).sum(axis=0, keepdims=True)\n",
                   "s = (a * w).sum(axis=0)\n",      # a shape not known
                   "t = a * B\nu = t + 1.0\ns = t.sum(axis=0)\n",    # t read twice
                   "t = k * B\nk = k + 1.0\ns = t.sum(axis=0)\n",   # k changed since
                   "t = a * B\na[0] = 2.0\ns = t.sum(axis=0)\n",   # a changed in place
                   "t = a * B\nu = f(a)\ns = t.sum(axis=0)\n"):   # (f may change a)
        assert "* B).sum" in factored(source, shapes) or "/ B).sum" in factored(
            source, shapes) or "t.sum" in factored(source, shapes) \
            or "* w).sum" in factored(source, shapes) or "t = a * B" in factored(
                source, shapes), source
    # (k a number assigned twice: t = k * B stays where it is)
    assert factored("t = k * B\nk = k + 1.0\ns = t.sum(axis=0)\n", shapes).startswith(
        "t = k * B\n"), factored("t = k * B\nk = k + 1.0\ns = t.sum(axis=0)\n", shapes)


# -- sums of pairwise differences' adjoints as matrix products (optimize.pairwise_sums) -

def repulsion(X):
    D = X[:, None, :] - X[None, :, :]
    r2 = np.sum(D * D, axis=2) + 1.0
    return np.sum(1.0 / r2)


def cross_kernel(X, Y):
    D = X[:, None, :] - Y[None, :, :]
    return np.sum(np.exp(-0.5 * np.sum(D * D, axis=2)))


def cross_sum(X, Y, W):
    S = X[:, None] + Y[None]
    return np.sum(np.tanh(np.sum(S * S, axis=2)) * W)


def test_pairwise_differences_adjoint_is_matrix_products():
    X = RNG.standard_normal((6, 3))
    df = tl.grad(repulsion)
    got = df(X)
    code = adjoint_code(the_version(df))
    assert "bD" not in code.replace("bD_pairs", "") and ".dot(X)" in code \
        and "bD_pairs.sum(axis=1)[:, None] * X" in code, code
    close((got,), (df.generic(X, 1.0),))
    close((df(X, 0.5),), (df.generic(X, 0.5),))
    tl.check_grads(repulsion, (X,), order=2, modes=("rev", "fwd"))
    X, Y, W = RNG.standard_normal((5, 2)), RNG.standard_normal((4, 2)), RNG.standard_normal((5, 4))
    for f, args, wrt in ((cross_kernel, (X, Y), (0, 1)), (cross_sum, (X, Y, W), (0, 1, 2))):
        df = tl.grad(f, wrt=wrt)
        got = df(*args)
        assert "_pairs.T.dot(" in the_version(df), the_version(df)
        close(got, df.generic(*args, 1.0))
        tl.check_grads(f, args, wrt=wrt, order=1, modes=("rev", "fwd"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_pairwise_matrix_products_keep_nan_and_inf():
    X, Y = RNG.standard_normal((5, 2)), RNG.standard_normal((4, 2))
    df = tl.grad(cross_kernel, wrt=(0, 1))
    for i, j, value in ((1, 0, np.nan), (3, 1, np.inf), (0, 0, -np.inf)):
        Xb = X.copy()
        Xb[i, j] = value
        got, want = df(Xb, Y), df.generic(Xb, Y, 1.0)
        for g, w in zip(got, want):
            assert (np.isnan(g) == np.isnan(w)).all(), (g, w)
            np.testing.assert_allclose(np.nan_to_num(g), np.nan_to_num(w), rtol=1e-12,
                                       atol=1e-12)


def pairs_read_otherwise(X):
    D = X[:, None, :] - X[None, :, :]
    return np.sum(np.sqrt(np.sum(D * D, axis=2) + 1.0)) + np.sum(D ** 3)


def test_pairwise_adjoint_read_otherwise_is_made():
    X = RNG.standard_normal((4, 2))
    df = tl.grad(pairs_read_otherwise)
    got = df(X)
    assert "_pairs" not in the_version(df)
    close((got,), (df.generic(X, 1.0),))
    tl.check_grads(pairs_read_otherwise, (X,), order=1, modes=("rev",))


# -- NumPy's reductions of float64 arrays as the arrays' methods (reductions_by_method) --

def cosine(a, b):
    na = np.sqrt(np.sum(a * a, axis=1))
    nb = np.sqrt(np.sum(b * b, axis=1))
    return np.sum(np.sum(a * b, axis=1) / (na * nb))


def reductions(x, w):
    z = x * w
    return np.mean(np.max(z, axis=0)) + np.min(z) * np.prod(w, keepdims=True)[0] \
        + np.sum(z, 1).sum()


def test_reductions_of_float64_arrays_are_methods():
    a, b = RNG.standard_normal((6, 4)), RNG.standard_normal((6, 4))
    df = tl.grad(cosine)
    got = df(a, b)
    code = without_comments(the_version(df))
    assert "t2 = t1.sum(axis=1)" in code and "t6 = t5.sum(axis=1)" in code \
        and "np.sum(" not in code, code
    same(got, df.generic(a, b, 1.0))
    tl.check_grads(cosine, (a, b), order=2, modes=("rev", "fwd"))
    x, w = RNG.standard_normal((5, 3)), RNG.standard_normal(3)
    df = tl.grad(reductions, wrt=(0, 1))
    got = df(x, w)
    code = without_comments(the_version(df))
    assert "z.max(axis=0)" in code and "z.min()" in code and "w.prod(keepdims=True)" in code \
        and "np.max(" not in code, code
    np.testing.assert_array_equal(got[0], df.generic(x, w, 1.0)[0])
    same(got, df.generic(x, w, 1.0))
    tl.check_grads(reductions, (x, w), wrt=(0, 1), order=1, modes=("rev", "fwd"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_reductions_by_method_keep_nan_inf_and_other_dtypes():
    x, w = RNG.standard_normal((5, 3)), RNG.standard_normal(3)
    x[1, 1], x[3, 0], w[2] = np.nan, np.inf, -np.inf
    df = tl.grad(reductions, wrt=(0, 1))
    same(df(x, w), df.generic(x, w, 1.0))
    # float32 arrays keep NumPy's functions
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    got = df(x32, w32)
    assert "np.max(" in the_version(df) and got[0].dtype == np.float32
    same(got, df.generic(x32, w32, 1.0))


def pairs_then_changed(X):
    D = X[:, None, :] - X[None, :, :]
    X = 2.0 * X
    return np.sum(1.0 / (np.sum(D * D, axis=2) + 1.0)) + np.sum(X * X)


def pairs_then_written(X):
    Y = X.copy()
    D = Y[:, None, :] - Y[None, :, :]
    Y[0] = 3.0
    return np.sum(1.0 / (np.sum(D * D, axis=2) + 1.0)) + np.sum(Y * Y)


def test_pairwise_sums_read_the_arrays_the_differences_read():
    X = RNG.standard_normal((5, 2))
    for f in (pairs_then_changed, pairs_then_written):
        df = tl.grad(f)
        got = df(X)
        close((got,), (df.generic(X, 1.0),))
        tl.check_grads(f, (X,), order=1, modes=("rev", "fwd"))
