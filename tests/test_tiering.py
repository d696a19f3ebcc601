"""Tiering (specialize.Dispatcher.first_sight): outside the tests (TANGENTLIKE_STRICT_SPECIALIZE,
which conftest sets, derives the version at the first call), the first call with new
argument kinds runs the generic derivative and the version is derived when the kinds
come again, so a one-off call never pays for deriving one."""
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import tangentlike as tl
import tangentlike.specialize as specialize
from util import make_function


@pytest.fixture(autouse=True)
def tiered(monkeypatch):
    monkeypatch.setattr(specialize, "STRICT", False)


def mlp(W1, b1, W2, x):
    h = np.tanh(W1 @ x + b1)
    out = W2 @ h
    return np.sum(out * out)


def fresh(f):
    """A copy of ``f``: a derivative of its own (tl.grad caches by function)."""
    return types.FunctionType(f.__code__, f.__globals__, f.__name__)


def mlp_args(n=3):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((4, n)), rng.standard_normal(4), rng.standard_normal((2, 4)),
            rng.standard_normal(n))


def test_the_first_call_runs_the_generic_derivative_and_the_second_derives_the_version():
    df = tl.grad(fresh(mlp), wrt=(0, 1, 2))
    args = mlp_args()
    first = df(*args)
    assert df.versions == {}
    second = df(*args)
    (version,) = df.versions.values()
    assert "specialized to W1: float64 (4, 3)" in version.source
    third = df(*args)
    expected = df.generic(*args)
    for got in (first, second, third):
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    for a, b in zip(first, expected):
        assert np.array_equal(a, b)   # (the first call is the generic derivative's)
    tl.check_grads(mlp, args, wrt=(0, 1, 2))


def test_each_new_kind_runs_the_generic_derivative_once():
    df = tl.grad(fresh(mlp), wrt=(0, 1, 2))
    small, large = mlp_args(3), mlp_args(5)
    df(*small)
    df(*large)
    assert df.versions == {}
    df(*small)
    assert len(df.versions) == 1
    np.testing.assert_allclose(df(*large)[0], df.generic(*large)[0], rtol=1e-12)
    assert len(df.versions) == 2
    np.testing.assert_allclose(df(*small)[0], df.generic(*small)[0], rtol=1e-12)
    assert len(df.versions) == 2


def test_strict_derives_the_version_at_the_first_call(monkeypatch):
    monkeypatch.setattr(specialize, "STRICT", True)
    df = tl.grad(fresh(mlp), wrt=(0, 1, 2))
    df(*mlp_args())
    assert len(df.versions) == 1


def weighted_by_a_constant(x, c):
    return np.sum(x * c)


def test_a_complex_constant_is_refused_at_the_first_call():
    df = tl.grad(fresh(weighted_by_a_constant))
    with pytest.raises(TypeError, match="the argument `c` is an array of complex128"):
        df(np.ones(3), np.ones(3) + 1j)
    assert np.allclose(df(np.ones(3), np.full(3, 2.0)), 2.0)
    with pytest.raises(TypeError, match="the argument `c` is an array of complex128"):
        df(np.ones(3), np.ones(3) + 1j)
    assert np.allclose(df(np.ones(3), np.full(3, 2.0)), 2.0)   # (the version)
    assert len(df.versions) == 1
    with pytest.raises(TypeError, match="the argument `c` is an array of complex128"):
        df(np.ones(3), np.ones(3) + 1j)


def test_a_code_change_between_the_first_and_second_call_keeps_the_old_result():
    # a version is derived from the function's code at the time: had it been derived at
    # the first call (before the change), every call would give the old code's gradient
    f = make_function("def f(x):\n    return np.sum(x * 2.0)\n", {"np": np})
    other = make_function("def f(x):\n    return np.sum(x * x * x)\n", {"np": np})
    df = tl.grad(f)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(df(x), [2.0, 2.0])
    f.__code__ = other.__code__
    np.testing.assert_allclose(df(x), [2.0, 2.0])
    np.testing.assert_allclose(df(x), [2.0, 2.0])
    assert list(df.versions.values()) == [df.generic]


def test_a_first_call_after_a_code_change_derives_the_new_codes_version_at_once():
    # (as without tiering: test_specialize.test_a_version_after_the_code_changed_...)
    f = make_function("def f(x):\n    return np.sum(x * 2.0)\n", {"np": np})
    other = make_function("def f(x):\n    return np.sum(x * x * x)\n", {"np": np})
    df = tl.grad(f)
    f.__code__ = other.__code__
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(df(x), 3 * x * x)
    assert len(df.versions) == 1
    np.testing.assert_allclose(df(x), 3 * x * x)


def test_the_kinds_called_once_are_bounded():
    df = tl.grad(fresh(weighted_by_a_constant))
    dispatcher = df.__closure__[df.__code__.co_freevars.index("A0version")].cell_contents
    for n in range(1, specialize.MAX_SEEN + 10):
        assert np.allclose(df(np.ones(n), np.full(n, 2.0)), 2.0)
    assert df.versions == {}
    assert 0 < len(dispatcher.seen) <= specialize.MAX_SEEN


def test_threads_calling_new_kinds_at_once_get_right_gradients():
    kinds = [mlp_args(n) for n in (2, 3, 4, 5)]
    df = tl.grad(fresh(mlp), wrt=(0, 1, 2))
    expected = [df.generic(*args) for args in kinds]
    start = threading.Barrier(8)

    def run(i):
        start.wait()
        return [df(*kinds[i % 4]) for _ in range(4)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(8)))
    for i, got in enumerate(results):
        for g in got:
            for a, b in zip(g, expected[i % 4]):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert len(df.versions) == 4


def test_check_grads_checks_the_version(monkeypatch):
    calls = []
    real = specialize.Dispatcher.derive

    def derive(self, signature, key=None):
        version = real(self, signature, key)
        calls.append(version is not self.generic)
        return version
    monkeypatch.setattr(specialize.Dispatcher, "derive", derive)
    tl.check_grads(fresh(mlp), mlp_args(), order=1, modes="rev")
    assert calls == [True]
