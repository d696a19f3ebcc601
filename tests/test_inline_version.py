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
    assert "specialized to x: float64 (4,)" in source and "bx = f64_4_0 * x" in source
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


# Each new kind of argument is taken into the entry in its turn (the newest first): a
# function called with arrays of n=4 and then of n=1000 (a benchmark, a last short
# batch, a check at a small size before a large run) had its calls of n=1000 pay a
# second call and guard (about 0.2 us of 1.3).
def _specialized_to(df) -> list:
    return [line.strip() for line in _entry_source(df).splitlines() if "specialized to" in line]


def test_each_new_kind_runs_in_the_entry():
    df = tl.grad(twice_dot)
    small, large = np.array([1.0, -2.0, 0.5, 3.0]), np.linspace(-1.0, 1.0, 1000)
    np.testing.assert_allclose(df(small), 4 * small)
    np.testing.assert_allclose(df(large), 4 * large)
    assert "x: float64 (1000,)" in _specialized_to(df)[0]
    for _ in range(3):   # the other kind is right, and it does not take the entry back
        np.testing.assert_allclose(df(small), 4 * small)
        np.testing.assert_allclose(df(large), 4 * large)
    assert "x: float64 (1000,)" in _specialized_to(df)[0]


def _sine_times(x, k):
    return np.sum(np.sin(x) * k)


def test_a_new_kind_reading_other_library_names_runs_in_the_entry():
    # the float32 version reads cast_back and float32, the int one int: they take the
    # entry's free cells, where their names sort among the names read before
    df = tl.grad(_sine_times)
    x = np.array([0.3, -1.2, 2.0])
    for args, kind in (((x, 2.0), "x: float64 (3,), k: float"),
                       ((x.astype(np.float32), 2.0), "x: float32 (3,), k: float"),
                       ((np.append(x, 0.5), 3), "x: float64 (4,), k: int")):
        got = df(*args)
        assert got.dtype == args[0].dtype
        np.testing.assert_allclose(got, np.cos(args[0]) * args[1], rtol=1e-6)
        assert kind in _specialized_to(df)[0]
    for args in ((x, 2.0), (x.astype(np.float32), 2.0), (np.append(x, 0.5), 3), (x, 0.5)):
        np.testing.assert_allclose(df(*args), np.cos(args[0]) * args[1], rtol=1e-6)


def _sine_of_scaled(x, A):
    return np.sum(np.sin(x * A))


def test_a_version_needing_another_object_under_a_name_leaves_the_entry():
    # a version of a number x binds a stand-in `x_like` (one object per type): versions
    # of a float x share it, one of an np.float32 x binds another under that name, which
    # the entry's code has read, so it is called from the entry instead
    df = tl.grad(_sine_of_scaled)
    for A in (np.array([0.5, 1.0, 2.0]), np.array([1.0, -1.0])):
        np.testing.assert_allclose(df(0.7, A), np.sum(np.cos(0.7 * A) * A))
    assert "A: float64 (2,)" in _specialized_to(df)[0]
    got = df(np.float32(0.7), np.array([1.0, -1.0]))
    np.testing.assert_allclose(got, np.sum(np.cos(0.7 * np.array([1.0, -1.0]))
                                           * np.array([1.0, -1.0])), rtol=1e-6)
    assert "x: float, A: float64 (2,)" in _specialized_to(df)[0]
    np.testing.assert_allclose(df(0.7, np.array([1.0, -1.0])), 0.0, atol=1e-12)


def _sum_of_squares_of_items(xs):
    s = 0.0
    for x in xs:
        s = s + np.sum(x * x)
    return s


def test_a_version_whose_result_is_renamed_runs_in_the_entry():
    # the unrolled loop's `s` is single in the version: its seed was `bs_2`, not the
    # generic derivative's `bout`, and the entry could not take it in
    df = tl.grad(_sum_of_squares_of_items)
    xs = [np.array([1.0, 2.0]), np.array([3.0])]
    for _ in range(2):
        got = df(xs)
        np.testing.assert_allclose(got[0], 2 * xs[0])
        np.testing.assert_allclose(got[1], 2 * xs[1])
    assert "float64 (2,), float64 (1,)" in _specialized_to(df)[0]
    assert df(xs, 0.5)[1] == pytest.approx(xs[1])


def test_new_kinds_from_threads_while_others_run():
    # 8 threads, each with its own shape: versions are made and taken into the entry
    # while the other threads run the entry's previous code
    df = tl.grad(_sine_times)
    xs = [np.linspace(-1.0, 1.0, n) for n in range(2, 10)]
    errors = []
    start = threading.Barrier(len(xs))

    def run(x):
        start.wait()
        for i in range(200):
            k = 2.0 if i % 2 else 3
            got = df(x, k)
            if not np.allclose(got, np.cos(x) * k):
                errors.append((len(x), i))

    threads = [threading.Thread(target=run, args=(x,)) for x in xs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_cell_names_keep_the_names_read_before_in_place():
    from tangentlike.specialize import _cell_names
    live = {"A0a", "A0b", "float", "np"}
    current = ("A0a", "A0b", "float", "float0", "float00", "np", "np0")
    assert _cell_names(current, live, {"float32", "ndarray"}) == \
        ["A0a", "A0b", "float", "float32", "ndarray", "np", "np0"]
    # one free cell between float and np for two new names; none before float
    assert _cell_names(("A0a", "A0b", "float", "float0", "np", "np0", "np00"), live,
                       {"float32", "ndarray"}) is None
    assert _cell_names(current, live, {"a"}) is None
    # with room to spare, a free cell is left before each new name
    assert _cell_names(("A0a", "A0b", "c", "d", "e", "f"), {"A0a", "A0b"}, {"np"}) == \
        ["A0a", "A0b", "A0b0", "np", "np0", "np00"]
