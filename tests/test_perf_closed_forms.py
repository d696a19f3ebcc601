"""Closed-form adjoints of the standard losses (issue 6): a softmax's shift left out when
its adjoint is provably zero (invariance.py), the log of a softmax or a sigmoid in
closed form (composites.py), like terms collected (collect.py). For each common
spelling: the form of the generated version, and the gradient against finite
differences, a hand-written closed form and the derivative made without these passes,
at edge inputs too."""
import ast
import re
import types
from contextlib import contextmanager

import gast
import numpy as np
import pytest

import tangentlike as tl
from util import written_numbers
import tangentlike.optimize
import tangentlike.reverse
from tangentlike.collect import collect_terms
from tangentlike.optimize import eliminate_dead_code


def fresh(f):
    """A new function object with f's code (the cache of derived functions keys on it)."""
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


@contextmanager
def generic_rules_only():
    """Derivatives made without the three passes (the chained rules)."""
    saved = (tangentlike.reverse.fused_adjoints, tangentlike.reverse.zero_adjoint_shifts,
             tangentlike.optimize.collect_terms)
    tangentlike.reverse.fused_adjoints = lambda fn: {}
    tangentlike.reverse.zero_adjoint_shifts = lambda fn, ndim=None: set()
    tangentlike.optimize.collect_terms = lambda fdef, dce: None
    try:
        yield
    finally:
        (tangentlike.reverse.fused_adjoints, tangentlike.reverse.zero_adjoint_shifts,
         tangentlike.optimize.collect_terms) = saved


def version_source(df):
    """The code of the latest version (without comments, which quote the user's lines)."""
    source = written_numbers(list(df.versions.values())[-1])
    return "\n".join(line for line in source.splitlines()
                     if not line.strip().startswith("#"))


def body_lines(source):
    """The lines of a version after its guards (the kinds of the arguments, and the
    rebinding of the helpers it calls or inlined)."""
    return [line.strip() for line in source.splitlines()[1:]
            if line.strip() and not line.strip().startswith(("#", "if not", "return specialize",
                                                             "return rederived"))
            and not line.strip().endswith("_when_derived:")]


def gradients(f, args, wrt=0):
    """(this library's gradient and version source, the chained rules' gradient)."""
    df = tl.grad(f, wrt=wrt)
    g = df(*args)
    with generic_rules_only(), np.errstate(all="ignore"):   # (inf, nan at the edges)
        plain = tl.grad(fresh(f), wrt=wrt)(*args)
    return g, version_source(df), plain


# -- binary cross-entropy of a sigmoid ----------------------------------------------------
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def bce_mean(w, X, y):
    z = X @ w
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_sum_l2(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) / X.shape[0] \
        + 0.1 * np.sum(w * w)


def bce_exp_ratio(w, X, y):
    z = X @ w
    p = np.exp(z) / (1 + np.exp(z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_swapped(w, X, y):
    z = X @ w
    p = 1.0 / (np.exp(-z) + 1.0)
    return -np.mean(np.log(1.0 - p) * (1.0 - y) + np.log(p) * y)


def bce_helper(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logits_log(w, X, s):
    return np.mean(np.log(1 + np.exp(-s * (X @ w))))


def logits_log1p(w, X, s):
    return np.mean(np.log1p(np.exp(-s * (X @ w))))


def logits_logaddexp(w, X, s):
    return np.mean(np.logaddexp(0, -s * (X @ w)))


def bce_data(n=40, d=5, dtype=np.float64, scale=0.3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = (rng.standard_normal(n) > 0).astype(dtype)
    return (scale * rng.standard_normal(d)).astype(dtype), X, y


def bce_hand(w, X, y, l2=0.0):
    p = 1 / (1 + np.exp(-(X @ w)))
    return X.T @ (p - y) / X.shape[0] + 2 * l2 * w


BCE = [(bce_mean, 0.0), (bce_sum_l2, 0.1), (bce_exp_ratio, 0.0), (bce_swapped, 0.0),
       (bce_helper, 0.0)]


@pytest.mark.parametrize("f, l2", BCE, ids=[f.__name__ for f, _ in BCE])
def test_cross_entropy_of_a_sigmoid_is_p_minus_y(f, l2):
    args = bce_data()
    g, source, plain = gradients(f, args)
    np.testing.assert_allclose(g, bce_hand(*args, l2=l2), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g, plain, rtol=1e-10, atol=1e-15)
    # the adjoint of the loss is one statement: a number times (p - y)
    # (1 / 40: the seed 1.0's; another seed scales the gradient at the end)
    assert " = 0.025 * (p - y)" in source, source
    assert "np.log" not in source and "1 - y" not in source and "1.0 - y" not in source
    lines = body_lines(source)
    # z, the sigmoid's 4 (5), the adjoint, @ X, (+ l2), the seed's if and return
    assert len(lines) <= 11, source
    if f is bce_helper:   # (the helper's own derivative is not called)
        assert "dsigmoid" not in source
    tl.check_grads(fresh(f), args, order=2, modes=("rev", "fwd"))


def test_cross_entropy_edges():
    """p exactly 0 or 1 (|z| ~ 40: the loss is inf or 0 there, its gradient finite),
    float32 in, float32 out, a batch of one, integer labels."""
    w, X, y = bce_data(n=6)
    X[0] *= 200.0
    X[1] *= -200.0
    g, _, plain = gradients(bce_mean, (w, X, y))
    np.testing.assert_allclose(g, bce_hand(w, X, y), rtol=1e-10, atol=1e-15)
    assert np.all(np.isfinite(g)) and not np.all(np.isfinite(plain))   # (conventions.md)
    args32 = bce_data(dtype=np.float32)
    g32, _, plain32 = gradients(bce_mean, args32)
    assert g32.dtype == plain32.dtype == np.float32
    np.testing.assert_allclose(g32, plain32, rtol=1e-5, atol=1e-6)
    one = bce_data(n=1)
    g1, _, plain1 = gradients(bce_mean, one)
    np.testing.assert_allclose(g1, plain1, rtol=1e-12, atol=1e-15)
    w, X, y = bce_data()
    gi, _, plaini = gradients(bce_mean, (w, X, y.astype(np.int64)))
    assert gi.dtype == plaini.dtype
    np.testing.assert_allclose(gi, plaini, rtol=1e-12, atol=1e-15)
    # nan in goes on as nan where the chained rules gave nan
    X = X.copy()
    X[3, 1] = np.nan
    gn, _, plainn = gradients(bce_mean, (w, X, y))
    assert np.array_equal(np.isnan(gn), np.isnan(plainn))


def not_a_sigmoid(z):
    return 1 / (2 + np.exp(-z))


def bce_other_helper(w, X, y):
    p = not_a_sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


@pytest.mark.parametrize("f", [logits_log, logits_log1p, logits_logaddexp, bce_other_helper])
def test_other_spellings_stay_right(f):
    """(these spellings keep their chained rules: checked, not asserted to be fused)"""
    w, X, y = bce_data()
    args = (w, X, 2 * y - 1) if f.__name__.startswith("logits") else (w, X, y)
    g, _, plain = gradients(f, args)
    np.testing.assert_allclose(g, plain, rtol=1e-10, atol=1e-15)
    tl.check_grads(fresh(f), args, order=2, modes=("rev",))


def test_log_of_a_sigmoid_alone_keeps_small_gradients():
    """-log(sigmoid(z)) at z = 40: the gradient -(1 - p) is 4e-18, not 0 (1 - p is
    written u * p, the cancellation of 1 - p avoided)."""
    def nll(z):
        p = 1 / (1 + np.exp(-z))
        return -np.sum(np.log(p))
    z = np.array([40.0, 0.5, -3.0])
    df = tl.grad(nll)
    g = df(z)
    np.testing.assert_allclose(g, -np.exp(-z) / (1 + np.exp(-z)), rtol=1e-14)
    assert "1 - p" not in version_source(df)


# -- softmax cross-entropy ------------------------------------------------------------------
def xent_shifted(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(Y * np.log(p)) / X.shape[0]


def xent_methods(W, X, Y):
    z = X @ W
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=-1, keepdims=True)
    return -np.mean(np.sum(Y * np.log(p), axis=1))


def xent_unshifted(W, X, Y):
    z = X @ W
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(Y * np.log(p)) / X.shape[0]


def xent_log_softmax(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


def xent_indexed(W, X, labels):
    z = X @ W
    z = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=-1, keepdims=True)
    n = X.shape[0]
    return -np.mean(np.log(p[np.arange(n), labels]))


def attention(Q, K, V):
    s = Q @ K.T / np.sqrt(Q.shape[1])
    s = s - np.max(s, axis=1, keepdims=True)
    e = np.exp(s)
    p = e / np.sum(e, axis=1, keepdims=True)
    return np.sum((p @ V) ** 2)


def softmax_data(n=12, d=5, k=4, dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    return ((0.5 * rng.standard_normal((d, k))).astype(dtype),
            rng.standard_normal((n, d)).astype(dtype), np.eye(k, dtype=dtype)[labels], labels)


def softmax_hand(W, X, Y):
    z = X @ W
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return X.T @ (p - Y) / X.shape[0]


SOFTMAX = [xent_shifted, xent_methods, xent_unshifted, xent_log_softmax, xent_indexed]


@pytest.mark.parametrize("f", SOFTMAX)
def test_softmax_cross_entropy(f):
    W, X, Y, labels = softmax_data()
    args = (W, X, labels) if f is xent_indexed else (W, X, Y)
    g, source, plain = gradients(f, args)
    np.testing.assert_allclose(g, softmax_hand(W, X, Y), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g, plain, rtol=1e-10, atol=1e-15)
    # the shift's adjoint (a sum and the tie weights of the maximum) is left out
    assert "tie_weights" not in source
    if f in (xent_shifted, xent_methods, xent_unshifted):
        # the log of the softmax: bz = bL - p * bL.sum(...), nothing divides by p
        assert "/ p" not in source and "np.log" not in source
        assert any(" - p * b" in line and ".sum(axis=" in line for line in body_lines(source))
        assert "be * p" not in source and "* e" not in source
    if f in (xent_methods, xent_log_softmax):
        # the mean of the rows' sums: its adjoint, a number spread over the rows, stays
        # a number through the sum along the rows (no zeros, no expand_dims)
        assert "np.zeros" not in source and "expand_dims" not in source, source
    if f is xent_indexed:
        # the picked elements' adjoints put in place, then the same closed form: no
        # adjoint of p or e (bp, be) and no division by the picked elements
        assert any(line.startswith("g = add_at_item(") for line in body_lines(source))
        assert any(" - p * g.sum(axis=-1, keepdims=True)" in line
                   for line in body_lines(source)), source
        assert not re.search(r"\bb[pe]\b", source), source
    tl.check_grads(fresh(f), args, order=2, modes=("rev", "fwd"))


def test_softmax_edges():
    """ties in the maximum, a batch of one, float32, logits far apart (p underflows to 0
    where the label is: the chained rules give nan, the closed form the gradient)."""
    W, X, Y, _ = softmax_data()
    X = X.copy()
    W2 = np.zeros_like(W)   # every logit ties
    g, _, plain = gradients(xent_shifted, (W2, X, Y))
    np.testing.assert_allclose(g, softmax_hand(W2, X, Y), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g, plain, rtol=1e-10, atol=1e-15)
    g1, _, plain1 = gradients(xent_methods, (W, X[:1], Y[:1]))
    np.testing.assert_allclose(g1, plain1, rtol=1e-10, atol=1e-15)
    W32, X32, Y32, _ = softmax_data(dtype=np.float32)
    for f in (xent_shifted, xent_methods, xent_log_softmax):
        g32, _, plain32 = gradients(f, (W32, X32, Y32))
        assert g32.dtype == plain32.dtype == np.float32
        np.testing.assert_allclose(g32, plain32, rtol=1e-4, atol=1e-6)
    far = W * 2000.0
    g, _, plain = gradients(xent_shifted, (far, X, Y))
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, softmax_hand(far, X, Y), rtol=1e-10, atol=1e-12)
    # nan in a row: nan where the chained rules have it (and no more)
    Xn = X.copy()
    Xn[2, 0] = np.nan
    g, _, plain = gradients(xent_shifted, (W, Xn, Y))
    assert np.array_equal(np.isnan(g), np.isnan(plain))


def test_attention_shift_left_out():
    rng = np.random.default_rng(3)
    Q, K, V = (rng.standard_normal((6, 4)) for _ in range(3))
    g, source, plain = gradients(attention, (Q, K, V), wrt=(0, 1, 2))
    assert "tie_weights" not in source
    for a, b in zip(g, plain):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)
    tl.check_grads(fresh(attention), (Q, K, V), wrt=(0, 1, 2), order=2, modes=("rev", "fwd"))


# -- a log-sum-exp that reads its maximum again, with or without keepdims -----------------
def logsumexp(z):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)))


def logsumexp_rows(z, y):
    m = np.max(z, axis=1)   # (no keepdims: put back to subtract, read as it is)
    lse = m + np.log(np.sum(np.exp(z - m[:, None]), axis=1))
    return np.sum(lse) - np.sum(y * z)


def logsumexp_picked(z, y):
    m = np.max(z, axis=-1, keepdims=True)
    lse = np.log(np.sum(np.exp(z - m), axis=-1)) + m[:, 0]
    return np.mean(lse - np.sum(y * z, axis=1))


def logsumexp_squeezed(z, y):
    m = np.min(-z, axis=1)   # (a minimum, negated, and np.squeeze / np.expand_dims)
    t = np.expand_dims(m, 1)
    lse = np.squeeze(np.log(np.sum(np.exp(-z - t), axis=1, keepdims=True)), axis=1)
    return np.sum((lse + m) * 2.0) - np.sum(y * z)


def log_softmax_rows(z, y):
    m = np.max(z, axis=1, keepdims=True)
    logp = z - (m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)))
    return -np.sum(y * logp)


@pytest.mark.parametrize("f", [logsumexp, logsumexp_rows, logsumexp_picked,
                               logsumexp_squeezed, log_softmax_rows])
def test_logsumexp_reading_its_maximum_again(f):
    # m + log(sum(exp(z - m))) does not change with m: the maximum's adjoint (its sum,
    # the tie weights) is left out, also where the axis is dropped and put back
    rng = np.random.default_rng(6)
    z = rng.standard_normal((5, 4))
    z[1, 2] = z[1, 0] = 3.0   # a tie at the maximum
    args = (z,) if f is logsumexp else (z, np.eye(4)[rng.integers(0, 4, 5)])
    g, source, plain = gradients(f, args)
    assert "tie_weights" not in source
    np.testing.assert_allclose(g, plain, rtol=1e-10, atol=1e-14)
    tl.check_grads(fresh(f), args, order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("f", [logsumexp, logsumexp_rows, log_softmax_rows])
def test_logsumexp_in_the_generic_derivative(f):
    # (the number of dimensions unknown: z - m still lines up, z being m's operand)
    assert "tie_weights" not in tl.grad(fresh(f)).source


# -- where the shift is not proved, its adjoint stays ------------------------------------
def mismatched_layouts(z):
    m = np.max(z, axis=1)
    # (the dropped axis beside the kept one: a (4, 4) sum, not the rows' log-sum-exp)
    return np.sum(np.log(np.sum(np.exp(z - m[:, None]), axis=1)) + m[:, None])


def maximum_summed_alone(z):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(np.log(np.sum(np.exp(z - m), axis=1))) + 2.0 * np.sum(m)


def maximum_in_a_loop(z):
    m = np.max(z, axis=1, keepdims=True)
    s = np.sum(np.exp(z - m))
    for i in range(2):
        s = s + np.sum(m)
    return s


def shifted_returned(z):
    z1 = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z1)
    return np.sum(e / np.sum(e, axis=1, keepdims=True) * z1)


def other_axis(z):
    z1 = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z1)
    return np.sum(np.log(e / np.sum(e, axis=0, keepdims=True)) ** 2)


def shifted_plus_one(z):
    z1 = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z1) + 1.0
    return np.sum(np.log(e / np.sum(e, axis=1, keepdims=True)) ** 2)


@pytest.mark.parametrize("f", [shifted_returned, other_axis, shifted_plus_one,
                               mismatched_layouts, maximum_summed_alone, maximum_in_a_loop])
def test_shift_kept_where_not_invariant(f):
    rng = np.random.default_rng(4)
    z = rng.uniform(0.5, 2.0, (4, 3))
    z[1, 2] = z[1, 0]   # a tie
    df = tl.grad(f)
    g = df(z)
    assert "tie_weights" in version_source(df)
    with generic_rules_only():
        np.testing.assert_allclose(g, tl.grad(fresh(f))(z), rtol=1e-12, atol=1e-15)
    tl.check_grads(fresh(f), (np.random.default_rng(5).uniform(0.5, 2.0, (4, 3)),),
                   order=1, modes=("rev",))


# -- collected terms ------------------------------------------------------------------------
def no_cancellation(a, b):
    return np.sum(a * b + 2.0 * a)


def cancels(x, y):
    u = x * y + 3.0 * x
    v = u - x * y
    return np.sum(np.sin(x) * 0.0 + v @ np.ones(x.shape[0]))


def test_collected_only_when_cheaper_and_exact():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    g, _, plain = gradients(no_cancellation, (a, b))
    np.testing.assert_allclose(g, plain, rtol=1e-14)
    g, _, plain = gradients(cancels, (a, b), wrt=(0, 1))
    for x, y in zip(g, plain):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-15)


def test_vjp_seed_is_not_taken_for_a_number():
    """vjp's seed may be an array: it is not a factor taken out of a collected form."""
    def f(w, X, y):
        p = 1 / (1 + np.exp(-(X @ w)))
        return y * np.log(p) + (1 - y) * np.log(1 - p)
    w, X, y = bce_data()
    seed = np.random.default_rng(7).standard_normal(X.shape[0])
    df = tl.vjp(fresh(f))
    g = df(w, X, y, seed)
    p = 1 / (1 + np.exp(-(X @ w)))
    np.testing.assert_allclose(g, X.T @ (seed * (y - p)), rtol=1e-10, atol=1e-14)


def softmax_written(W, X, Y):
    z = X @ W
    e = np.exp(z)
    e[0, 0] = 1.0   # (the definition e = np.exp(z) no longer holds there)
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(Y * np.log(p))


def test_no_closed_form_after_an_element_write():
    W, X, Y, _ = softmax_data()
    g, _, plain = gradients(softmax_written, (W, X, Y))
    np.testing.assert_allclose(g, plain, rtol=1e-12, atol=1e-15)
    tl.check_grads(fresh(softmax_written), (W, X, Y), order=1, modes=("rev",))


@pytest.mark.parametrize("f", [bce_mean, bce_sum_l2, xent_shifted, xent_log_softmax])
def test_value_is_the_function_as_written(f):
    """The forward code is not changed: value_and_grad's value is f's, bit for bit."""
    if f in (bce_mean, bce_sum_l2):
        args = bce_data()
    else:
        args = softmax_data()[:3]
    value, g = tl.value_and_grad(f)(*args)
    assert value == f(*args)
    np.testing.assert_allclose(g, tl.grad(f)(*args), rtol=1e-14, atol=1e-16)



def collected(source, adjoint_lines):
    """collect_terms on a function parsed from ``source``, the statements at the given
    positions of its body being adjoint code (the others primal)."""
    fdef = gast.parse(source).body[0]
    for i, stmt in enumerate(fdef.body):
        stmt.phase = "adjoint" if i in adjoint_lines else "primal"
    collect_terms(fdef, eliminate_dead_code)
    return ast.unparse(gast.gast_to_ast(fdef))


def test_collect_terms_unit():
    after = collected("""
def f(y, p, X, bout=1.0):
    t6 = 1 - y
    bt8 = bout / 1000 * t6
    bz = bt8 * p
    bt4 = bout / 1000 * y
    bz = bz - bt4 * (1 - p)
    bw = bz @ X
    return bw
""", {1, 2, 3, 4, 5})
    assert "bz = bout / 1000 * (p - y)" in after and "t6" not in after, after
    # a primal a + b may join sequences: not expanded, so nothing cancels
    source = """
def g(a, b, X, bout=1.0):
    c = a + b
    d = c + a
    e = d - c
    w = e @ X
    return w
"""
    assert "e = d - c" in collected(source, set())
    # the seed of vjp (no default) is not a number taken out
    after = collected("""
def h(y, p, X, bout):
    t6 = 1 - y
    bt8 = bout / 1000 * t6
    bz = bt8 * p
    bt4 = bout / 1000 * y
    bz = bz - bt4 * (1 - p)
    bw = bz @ X
    return bw
""", {1, 2, 3, 4, 5})
    assert "bout / 1000 * (p - y)" not in after


def mean_of_sums(x, y):
    return np.mean(np.sum(x * y, axis=0)) + np.sum(np.mean(np.sin(x), axis=1) * 2.0)


def sum_of_kept_means(x, y):
    return -np.sum(np.mean(x * y, axis=-1, keepdims=True)) / 3.0 + np.mean(np.sum(x, axis=1))


@pytest.mark.parametrize("f", [mean_of_sums, sum_of_kept_means])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reductions_of_a_spread_number(f, dtype):
    """A number spread through sums and means along axes: the version against the
    chained rules and finite differences, float32 kept."""
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((4, 3)).astype(dtype)
    g, _, plain = gradients(f, (x, y), wrt=(0, 1))
    for a, b in zip(g, plain):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-6 if dtype == np.float32 else 1e-14)
    if dtype == np.float64:
        tl.check_grads(f, (x, y), wrt=(0, 1), order=2, modes=("rev", "fwd"))


def softmax_temperature(z, V):
    z1 = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z1 / 0.5)   # exp(2 c) per row: still cancels in e / sum(e)
    p = e / e.sum(axis=-1, keepdims=True)
    return np.sum((p @ V) ** 2)


def softmax_weighted_rows(z, w):
    z1 = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z1) * w   # a factor independent of the shift (w of z's dimensions)
    p = e / np.sum(e, axis=1, keepdims=True)
    return np.sum(np.log(p) * p)


@pytest.mark.parametrize("f", [softmax_temperature, softmax_weighted_rows])
def test_shift_left_out_where_invariance_is_proved(f):
    rng = np.random.default_rng(9)
    z = rng.standard_normal((5, 4))
    z[2, 1] = z[2, 3] = z[2].max() + 0.5   # a tie of the maximum
    other = rng.standard_normal((4, 3)) if f is softmax_temperature \
        else rng.uniform(0.5, 2.0, (5, 4))
    g, source, plain = gradients(f, (z, other))
    assert "tie_weights" not in source
    np.testing.assert_allclose(g, plain, rtol=1e-10, atol=1e-13)
    tl.check_grads(f, (rng.standard_normal((5, 4)), other), order=2, modes=("rev", "fwd"))


# -- the square of a norm ------------------------------------------------------------
def ridge(w, X, y):
    return np.sum((X @ w - y) ** 2) + 0.1 * np.linalg.norm(w) ** 2


def twice_squared_norm(x):
    return 2 * np.square(np.linalg.norm(x))


def frobenius(W):
    return np.linalg.norm(W) ** 2 * 0.5


def other_norms(x):
    t = np.linalg.norm(x, ord=1)   # not the 2-norm: the chained rules
    u = np.linalg.norm(x)
    x = x * 2.0   # x changed after the norm: the closed form would read the new x
    return t ** 2 + u ** 2 + np.sum(x)


def test_the_square_of_a_norm_is_twice_its_argument():
    rng = np.random.default_rng(21)
    w, X, y = rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5)
    df = tl.grad(ridge)
    np.testing.assert_allclose(df(w, X, y), 2 * X.T @ (X @ w - y) + 0.2 * w, rtol=1e-12)
    tl.check_grads(ridge, (w, X, y), wrt=(0,), order=2)
    x = rng.standard_normal(4)
    dg = tl.grad(twice_squared_norm)
    np.testing.assert_allclose(dg(x), 4.0 * x, rtol=1e-14)
    [version] = [v for v in dg.versions.values() if v is not dg.generic]
    assert "bx = 4.0 * x" in written_numbers(version) and "norm" not in \
        version.source.split("specialize_again", 1)[1].replace("np.linalg.norm(x)", "")
    np.testing.assert_array_equal(dg(np.zeros(4)), np.zeros(4))
    np.testing.assert_array_equal(dg(np.array([np.inf, 1.0])), [np.inf, 4.0])
    np.testing.assert_array_equal(dg.generic(np.array([np.inf, 1.0])), [np.inf, 4.0])
    np.testing.assert_allclose(tl.grad(frobenius)(X), X, rtol=1e-14)
    x32 = x.astype(np.float32)
    assert tl.grad(twice_squared_norm)(x32).dtype == np.float32
    assert tl.jvp(twice_squared_norm)(x, np.ones(4)) == pytest.approx(4.0 * np.sum(x))


def test_other_norms_and_a_changed_argument_keep_the_chained_rules():
    x = np.array([0.5, -2.0, 1.5])
    df = tl.grad(other_norms)
    want = 2 * np.sum(np.abs(x)) * np.sign(x) + 2 * x + 2.0
    np.testing.assert_allclose(df(x), want, rtol=1e-12)
    tl.check_grads(other_norms, (x,), order=2)


# (probe16) the closed form of a list or tuple argument: 2.0 * by * x multiplied (or
# repeated) the list itself, a TypeError from inside the derivative in grad, vjp and the
# generic derivative (the chained rules read it as an array)
def squared_norm_of_a_sequence(L):
    return 3.0 * np.linalg.norm(L) ** 2


def test_the_squared_norm_of_a_list_or_tuple_argument():
    df = tl.grad(squared_norm_of_a_sequence)
    assert df([0.3, 0.7, -0.2]) == pytest.approx([1.8, 4.2, -1.2], rel=1e-12)
    assert isinstance(df([0.3, 0.7, -0.2]), list)
    assert df.generic([0.3, 0.7, -0.2]) == pytest.approx([1.8, 4.2, -1.2], rel=1e-12)
    got = df((0.3, 0.7))
    assert isinstance(got, tuple) and got == pytest.approx((1.8, 4.2), rel=1e-12)
    arrays = [np.array([0.3, 0.1]), np.array([0.2, 0.5])]
    for got, x in zip(df(arrays), arrays):
        np.testing.assert_allclose(got, 6.0 * x, rtol=1e-12)
    tl.check_grads(squared_norm_of_a_sequence, ([0.3, 0.7, -0.2],), order=2)
    tl.check_grads(squared_norm_of_a_sequence, (arrays,), order=1)


# -- a ufunc called again on the same operands ---------------------------------------
def sigmoid_by_two_exps(w, X, y):
    z = X @ w
    p = np.exp(z) / (1 + np.exp(z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def exp_changed_in_between(z):
    a = np.exp(z)
    a[0] = 5.0   # a is changed in place: b is its own array
    b = np.exp(z)
    return np.sum(a * b)


def operand_rebound_in_between(z):
    a = np.exp(z)
    z = z * 2.0
    b = np.exp(z)
    return np.sum(a * b)


def test_a_repeated_ufunc_call_reads_the_first_result():
    rng = np.random.default_rng(23)
    w, X = 0.1 * rng.standard_normal(4), rng.standard_normal((30, 4))
    y = (rng.standard_normal(30) > 0).astype(float)
    df = tl.grad(sigmoid_by_two_exps)
    p = 1 / (1 + np.exp(-(X @ w)))
    np.testing.assert_allclose(df(w, X, y), X.T @ (p - y) / 30, rtol=1e-10)
    [version] = [v for v in df.versions.values() if v is not df.generic]
    assert _code(version).count("np.exp(z)") == 1
    z = rng.standard_normal(3)
    for f in (exp_changed_in_between, operand_rebound_in_between):
        d = tl.grad(f)
        np.testing.assert_allclose(d(z), d.generic(z), rtol=1e-12)
        tl.check_grads(f, (z,), order=2)
    [version] = [v for v in tl.grad(exp_changed_in_between).versions.values()]
    assert _code(version).count("np.exp(z)") == 2


# (probe16) an operand written into between the two calls: the version read the first
# call's result for the second, a silently wrong gradient (and value)
def operand_element_written_in_between(z):
    y = z * 1.0
    a = np.exp(y)
    y[0] = 3.0
    b = np.exp(y)
    return np.sum(a * b)


def operand_slice_written_in_between(z):
    y = z * 1.0
    a = np.exp(y)
    y[:2] = np.sin(y[:2])
    b = np.exp(y)
    return np.sum(a * b)


def operand_item_added_to_in_between(z, w):
    y = z * 1.0
    a = np.arctan2(y, w)
    y[1] += w[0]
    b = np.arctan2(y, w)
    return np.sum(a * b)


def test_a_ufunc_of_an_operand_changed_in_place_is_called_again():
    z = np.array([0.3, -0.4, 0.2])
    for f, args in ((operand_element_written_in_between, (z,)),
                    (operand_slice_written_in_between, (z,)),
                    (operand_item_added_to_in_between, (z, z + 1.0))):
        d = tl.value_and_grad(f, wrt=tuple(range(len(args))))
        value, grads = d(*args)
        assert value == f(*args)
        want = d.generic(*args)[1]
        for got, expected in zip(grads, want):
            np.testing.assert_allclose(got, expected, rtol=1e-12)
        tl.check_grads(f, args, order=2)
    y = z * 1.0
    y[0] = 3.0
    e = np.exp(z)
    want = e * np.exp(y)
    want[1:] += np.exp(z[1:]) * np.exp(y[1:])
    np.testing.assert_allclose(tl.grad(operand_element_written_in_between)(z), want,
                               rtol=1e-12)


def _code(version):
    return "\n".join(line for line in version.source.splitlines()
                     if not line.strip().startswith("#"))


# -- a negated operand of a matrix product ---------------------------------------------
def logistic_of_negated_data(w, X, y):
    p = 1.0 / (1.0 + np.exp(-X @ w))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def negated_vector(A, x):
    return np.sum(np.tanh(A @ -x))


def negated_counts(w, C):
    return np.sum(np.sin(-C @ w))   # C of uint8: its negation wraps, not rewritten


def test_a_negated_operand_of_a_product_is_the_negated_product():
    rng = np.random.default_rng(29)
    w, X = 0.1 * rng.standard_normal(4), rng.standard_normal((30, 4))
    y = (rng.standard_normal(30) > 0).astype(float)
    df = tl.grad(logistic_of_negated_data)
    p = 1 / (1 + np.exp(-(X @ w)))
    np.testing.assert_allclose(df(w, X, y), X.T @ (p - y) / 30, rtol=1e-10)
    [version] = [v for v in df.versions.values() if v is not df.generic]
    code = _code(version)
    assert "-X" not in code and "(p - y)" in code
    A, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    d = tl.grad(negated_vector, wrt=(0, 1))
    for g, want in zip(d(A, x), d.generic(A, x)):
        np.testing.assert_array_equal(g, want)
    tl.check_grads(negated_vector, (A, x), wrt=(0, 1), order=2)
    C = np.array([[1, 2, 3, 4], [250, 0, 7, 1]], dtype=np.uint8)
    d = tl.grad(negated_counts)
    np.testing.assert_allclose(d(w, C), d.generic(w, C), rtol=1e-12)
    np.testing.assert_allclose(d(w, C), (-C).T @ np.cos(-C @ w), rtol=1e-12)


# -- np.where's two shares of one value ------------------------------------------------
def leaky_relu_net(W1, W2, x):
    h = x @ W1
    h = np.where(h > 0, h, 0.01 * h)
    return np.sum((h @ W2) ** 2)


def leaky_in_a_loop(w, xs):
    s = 0.0
    for x in xs:
        z = w * x
        s = s + np.sum(np.where(z > 0.0, z, 0.2 * z) ** 2)
    return s


def test_the_shares_of_a_leaky_relu_are_one_selection():
    rng = np.random.default_rng(31)
    W1, W2, x = rng.standard_normal((3, 5)), rng.standard_normal((5, 2)), rng.standard_normal((4, 3))
    df = tl.grad(leaky_relu_net, wrt=(0, 1, 2))
    for got, want in zip(df(W1, W2, x), df.generic(W1, W2, x)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    [version] = [v for v in df.versions.values() if v is not df.generic]
    assert _code(version).count("np.where(") == 2   # (the user's and the adjoint's)
    tl.check_grads(leaky_relu_net, (W1, W2, x), wrt=(0, 2), order=2)
    # inf and nan in the adjoint: as the generic derivative
    big = np.array([[1e308, -1e308, np.nan]])
    for got, want in zip(df(np.eye(3), np.ones((3, 2)), big),
                         df.generic(np.eye(3), np.ones((3, 2)), big)):
        np.testing.assert_array_equal(got, want)
    w, xs = rng.standard_normal(4), rng.standard_normal((3, 4))
    d = tl.grad(leaky_in_a_loop)
    np.testing.assert_allclose(d(w, xs), d.generic(w, xs), rtol=1e-12)
    tl.check_grads(leaky_in_a_loop, (w, xs), order=2)
