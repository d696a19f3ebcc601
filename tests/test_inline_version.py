"""specialize.inline_version: the first version of a derived function runs inside its
entry (one call, not two); everything else behaves as before."""
import linecache
import math as M
import threading

import numpy as np
import pytest

import tangentlike as tl
from tangentlike.errors import NonScalarOutput

from util import make_function


def twice_dot(x):
    return 2 * np.dot(x, x)


def scaled(x, *, k=3.0):
    return k * np.sum(x * x)


def vector_out(x):
    return np.sin(x)


def _entry_source(df) -> str:
    return "".join(linecache.getlines(df.__code__.co_filename))


def test_the_first_version_runs_in_the_entry():
    df = tl.grad(twice_dot)
    assert "specialized to" not in _entry_source(df)
    x = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(df(x), 4 * x)
    source = _entry_source(df)
    assert "specialized to x: float64 (4,)" in source and "bx = 4.0 * x" in source
    assert "specialize_again" not in source   # other arguments: the version last called


def test_other_shapes_and_kinds_after_the_first_are_right():
    df = tl.grad(twice_dot)
    first = np.array([1.0, -2.0, 0.5, 3.0])
    df(first)
    for x in (np.arange(5.0), first, np.arange(5.0), np.arange(3.0, dtype=np.float32),
              np.arange(5.0), 1.5, first, np.float64(2.0), np.array(0.5)):
        got = df(x)
        np.testing.assert_allclose(got, 4 * np.asarray(x), rtol=1e-6)
        assert np.asarray(got).dtype == np.asarray(x).dtype
    assert len(df.versions) >= 5


@pytest.mark.parametrize("seed", [2.0, 3, np.float64(-1.5)])
def test_the_seed_is_checked_and_scales_in_the_entry(seed):
    df = tl.grad(twice_dot)
    x = np.array([1.0, -2.0, 0.5, 3.0])
    df(x)
    np.testing.assert_allclose(df(x, seed), 4 * x * seed)


def test_an_array_seed_is_still_refused_after_the_first_call():
    df = tl.grad(twice_dot)
    x = np.array([1.0, -2.0, 0.5, 3.0])
    df(x)
    with pytest.raises(TypeError, match="seed"):
        df(x, np.ones(4))


def test_keyword_only_parameters_and_defaults():
    df = tl.grad(scaled)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(df(x), 6.0 * x)
    np.testing.assert_allclose(df(x, k=0.5), x)
    np.testing.assert_allclose(df(x, 2.0, k=0.5), 2.0 * x)
    assert "specialized to" in _entry_source(df)


def test_an_error_in_the_inlined_version_names_the_users_line():
    df = tl.grad(vector_out)
    with pytest.raises(NonScalarOutput) as first:
        df(np.ones(3))
    with pytest.raises(NonScalarOutput) as again:
        df(np.ones(3))
    assert first.value.lineno == again.value.lineno == vector_out.__code__.co_firstlineno + 1


def test_a_version_reading_the_users_closure_is_called_as_before():
    def make(w):
        def f(x):
            return np.sum(w * x * x)
        return f
    f = make(2.0)
    df = tl.grad(f)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(df(x), 4.0 * x)
    assert "specialized to" not in _entry_source(df)
    np.testing.assert_allclose(df(x), 4.0 * x)


@pytest.mark.parametrize("names", [("_version", "_zspare0", "_require_scalar_seed"),
                                   ("_0version", "_zspare0", "_0require_scalar_seed")])
def test_parameters_named_like_the_entrys_cells(names):
    text = (f"def f({', '.join(names)}):\n"
            f"    return {' * '.join(names)}\n")
    f = make_function(text, name="f")
    df = tl.grad(f, wrt=(0, 1, 2))
    for _ in range(3):
        assert df(2.0, 3.0, 5.0) == (15.0, 10.0, 6.0)
    assert df(2.0, 3.0, 5.0, 2.0) == (30.0, 20.0, 12.0)


def _calls_a_helper_rebinding_checked(x):
    return _doubled_sine(x + 1.0)


def _doubled_sine(x):
    y = x * 2.0
    return np.sin(y)


def test_a_version_that_checks_its_helpers_runs_inside_the_entry():
    # (its cell _doubled_sine_when_derived sorts before the entry's own: they are named
    # to come first)
    df = tl.grad(_calls_a_helper_rebinding_checked)
    for x in (1.5, 2.5):
        assert np.isclose(df(x), 2.0 * np.cos(2.0 * (x + 1.0)))
    assert "specialized to" in _entry_source(df)


def test_first_calls_from_threads_agree():
    df = tl.grad(twice_dot)
    xs = [np.arange(float(n)) for n in (3, 4, 5, 3, 4, 5, 3, 4)]
    results = [None] * len(xs)
    start = threading.Barrier(len(xs))

    def run(i):
        start.wait()
        for _ in range(50):
            results[i] = df(xs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for x, got in zip(xs, results):
        np.testing.assert_allclose(got, 4 * x)


def test_higher_order_of_an_inlined_entry():
    df = tl.grad(lambda x: np.sum(np.sin(x) * x))
    x = np.array([0.3, 0.7])
    df(x)
    h = tl.jacobian(df)(x)
    np.testing.assert_allclose(h, np.diag(2 * np.cos(x) - x * np.sin(x)), rtol=1e-10)
    ddf = tl.grad(lambda x: np.sum(df(x)))
    np.testing.assert_allclose(ddf(x), 2 * np.cos(x) - x * np.sin(x), rtol=1e-10)


# Was: a version whose cells have a name that sorts before `_0version` (an upper-case
# first letter: the guard's `M_when_derived` of a module alias `M`, `W_like` of a
# reassigned parameter `W`, `Helper_when_derived`) was not taken into the entry, and each
# call paid a second call (about 60-100 ns of 500); the entry's own cells are `A0...` now.
def _scaled_by_alias(x):
    return M.sin(x) * M.exp(x)


def _reassigns_upper_case(W, x):
    W = W * 2.0
    return np.sum(np.tanh(W @ x))


def _calls_upper_case_helper(x):
    return Upper_helper(x) * 2.0


def Upper_helper(v):
    return np.sum(np.sin(v))


@pytest.mark.parametrize("func, args", [
    (_scaled_by_alias, (0.5,)),
    (_reassigns_upper_case, (np.eye(2) * 0.5, np.array([0.3, -0.2]))),
    (_calls_upper_case_helper, (np.array([0.3, -0.2]),)),
], ids=["module alias", "upper-case parameter", "upper-case helper"])
def test_a_version_with_upper_case_cell_names_runs_inside_the_entry(func, args):
    df = tl.grad(func)
    first = df(*args)
    assert "specialized to" in _entry_source(df)
    np.testing.assert_allclose(df(*args), first)
    np.testing.assert_allclose(first, tl.grad(func).generic(*args))
