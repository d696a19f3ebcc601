"""Generated code and runtime helpers of issue 6's remaining cases (session perf17):
each change keeps the generic derivative's values, at inf and nan too, and finite
differences'."""
import warnings

import numpy as np
import pytest

import tangentlike as tl
from tangentlike.rules.arithmetic import logistic

RNG = np.random.default_rng(1717)


def version_sources(df):
    return [v.source for v in df.versions.values()]


def adjoint_code(source):
    """The lines of a version's adjoint, without comments."""
    adjoint = source.split("# adjoint", 1)[1]
    return "\n".join(line for line in adjoint.splitlines()[1:]
                     if not line.strip().startswith("#"))


# -- logistic: 1 / (1 + exp(-t)) where it cannot overflow -------------------------------

def _logistic_by_abs(t):
    """The form logistic takes everywhere else (and took everywhere before)."""
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(t))
        return np.where(t >= 0, 1.0, e) / (1.0 + e)


def logistic_loss_sum(w, X, y):
    m = y * (X @ w)
    return np.sum(np.logaddexp(0.0, -m))


@pytest.mark.parametrize("scale", [1.0, 30.0, 300.0])
def test_logistic_of_moderate_arrays_is_the_same_within_ulps(scale):
    t = scale * RNG.standard_normal(2000)
    t[:3] = (-708.0, 0.0, -0.0)
    got = logistic(t)
    assert got.dtype == np.float64 and got.shape == t.shape
    np.testing.assert_allclose(got, _logistic_by_abs(t), rtol=1e-15, atol=0)
    assert got[0] > 0 and got[1] == got[2] == 0.5


def test_logistic_edges_take_the_form_without_overflow():
    # an element below -708 (exp(-t) overflows below -709.78), nan, inf, -inf, an empty
    # or 0-d array, float32 and numbers: the form by abs, with no warning
    cases = [np.array([1.0, -709.5, 3.0]), np.array([1.0, -800.0]),
             np.array([0.5, np.nan, -2.0]), np.array([np.inf, -np.inf, 2.0]),
             np.array([np.inf, 5.0]), np.zeros(0), np.array(-750.0),
             np.array([-100.0, 2.0], dtype=np.float32), -720.0, np.float64(-40.0)]
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        for t in cases:
            got, want = logistic(t), _logistic_by_abs(t)
            assert np.shape(got) == np.shape(want) and np.result_type(got) == np.result_type(want)
            np.testing.assert_array_equal(got, want)
    # a 0-d array of a moderate number takes the usual form
    np.testing.assert_allclose(logistic(np.array(-3.0)), _logistic_by_abs(-3.0), rtol=1e-15)
    assert logistic(np.array([-709.5, 1.0]))[0] > 0   # a denormal, not 0
    assert logistic(np.array([np.inf, 1.0]))[0] == 1.0
    assert logistic(np.array([-np.inf, 1.0]))[0] == 0.0
    assert np.isnan(logistic(np.array([np.nan, 1.0]))[0])


def test_logistic_does_not_change_its_argument():
    t = RNG.standard_normal(50)
    before = t.copy()
    logistic(t)
    np.testing.assert_array_equal(t, before)


def test_logistic_loss_gradient_by_finite_differences():
    w, X = 0.1 * RNG.standard_normal(6), RNG.standard_normal((300, 6))
    y = np.sign(RNG.standard_normal(300))
    df = tl.grad(logistic_loss_sum)
    got = df(w, X, y)
    hand = -(y / (1.0 + np.exp(y * (X @ w)))) @ X
    np.testing.assert_allclose(got, hand, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(df.generic(w, X, y, 1.0), got, rtol=1e-15, atol=0)
    tl.check_grads(logistic_loss_sum, (w, X, y), order=2, modes=("rev", "fwd"))
    # margins far out on both sides: the version's and the generic values agree
    big = np.array([800.0, -800.0, 1.0, 0.0, 0.0, 0.0])
    with np.errstate(over="ignore", under="ignore"):
        np.testing.assert_array_equal(df(big, X, y), df.generic(big, X, y, 1.0))
