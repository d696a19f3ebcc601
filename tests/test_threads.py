"""Derived functions hold no global state: every call owns its stacks, so the same and
different derived functions run from 8 threads at once give exactly the results of a
single-threaded run; and functions can be derived from several threads at once.

The interpreter's switch interval is lowered while the threads run, so that threads are
interleaved inside loops (where the stacks are pushed and popped), not only between calls.
"""
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import tangentlike as tl
from util import make_function

THREADS = 8


@pytest.fixture(autouse=True)
def frequent_switches():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


# -- functions whose derivatives keep stacks ---------------------------------------------------
def loop_recurrence(x, n):
    for i in range(n):
        x = np.sin(x) * 1.01 + 0.1 * x
    return np.sum(x * x)


def loop_with_branch(x, n):
    s = 0.0
    for i in range(n):
        if np.sum(x) > 0.0:
            x = x * 0.9 - 0.05
        else:
            x = np.tanh(x) + 0.1
        s = s + np.sum(x) * (i + 1)
    return s


def while_with_break(x, n):
    i = 0
    y = x
    while True:
        y = np.cos(y) + y * 0.5
        i = i + 1
        if i >= n:
            break
    return np.sum(y)


def list_stack(x, n):
    rows = []
    for i in range(n):
        rows.append(np.sin(x * (i + 1)))
    total = 0.0
    while len(rows) > 0:
        total = total + np.sum(rows.pop() ** 2)
    return total


def element_writes(x, n):
    y = np.zeros(n)
    for i in range(n):
        y[i] = np.sum(np.sin(x * i))
        if i > 0:
            y[i] += y[i - 1] * 0.5
    return np.sum(y * y)


def helper(v):
    return np.tanh(v) * v


def calls_in_loop(x, n):
    for i in range(n):
        x = helper(x) + 0.1
    return np.sum(x)


FUNCTIONS = [loop_recurrence, loop_with_branch, while_with_break, list_stack, element_writes,
             calls_in_loop]


def derived_functions():
    """(label, callable taking (x, n)) for each function and transformation."""
    out = []
    for f in FUNCTIONS:
        name = f.__name__
        df = tl.grad(f)
        vg = tl.value_and_grad(f)
        vjp = tl.vjp(f)
        jvp = tl.jvp(f)
        hvp = tl.hvp(f)
        out += [(f"grad({name})", lambda x, n, df=df: df(x, n)),
                (f"value_and_grad({name})", lambda x, n, vg=vg: vg(x, n)),
                (f"vjp({name})", lambda x, n, vjp=vjp: vjp(x, n, 0.7)),
                (f"jvp({name})", lambda x, n, jvp=jvp: jvp(x, n, np.cos(x))),
                (f"hvp({name})", lambda x, n, hvp=hvp: hvp(x, n, np.sin(x)))]
    return out


def inputs(k):
    """Distinct inputs per task, so that results crossing between threads would show."""
    rng = np.random.default_rng(k)
    return rng.uniform(-1.0, 1.0, 4), int(rng.integers(3, 25))


def flatten(result):
    if isinstance(result, (tuple, list)):
        return [leaf for part in result for leaf in flatten(part)]
    return [np.asarray(result)]


def same(a, b):
    fa, fb = flatten(a), flatten(b)
    return len(fa) == len(fb) and all(
        x.shape == y.shape and np.array_equal(x, y, equal_nan=True) for x, y in zip(fa, fb))


def test_same_and_different_derived_functions_from_8_threads():
    derived = derived_functions()
    tasks = [(j, k) for k in range(24) for j in range(len(derived))]
    expected = {(j, k): derived[j][1](*inputs(k)) for j, k in tasks}    # single-threaded
    start = threading.Barrier(THREADS)

    def run(chunk):
        start.wait()
        return [((j, k), derived[j][1](*inputs(k))) for j, k in chunk]

    rng = np.random.default_rng(0)
    order = [tasks[i] for i in rng.permutation(len(tasks))]
    chunks = [order[t::THREADS] for t in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        results = [pair for part in pool.map(run, chunks) for pair in part]
    assert len(results) == len(tasks)
    wrong = [derived[j][0] for (j, k), value in results if not same(value, expected[j, k])]
    assert not wrong, f"results differ from the single-threaded run: {sorted(set(wrong))}"


def test_one_derived_function_hammered_from_8_threads():
    df = tl.grad(loop_with_branch)
    cases = [inputs(k) for k in range(THREADS)]
    expected = [df(x, n) for x, n in cases]
    start = threading.Barrier(THREADS)

    def run(t):
        x, n = cases[t]
        start.wait()
        return all(np.array_equal(df(x, n), expected[t]) for _ in range(150))

    with ThreadPoolExecutor(THREADS) as pool:
        assert all(pool.map(run, range(THREADS)))


def test_second_order_derived_functions_from_8_threads():
    ggf = tl.vjp(tl.vjp(loop_recurrence), wrt=(0, 2))
    cases = [inputs(k) for k in range(16)]
    expected = [ggf(x, n, 1.0, np.ones(4)) for x, n in cases]
    start = threading.Barrier(THREADS)

    def run(t):
        start.wait()
        return all(same(ggf(x, n, 1.0, np.ones(4)), e)
                   for _ in range(10) for (x, n), e in zip(cases, expected))

    with ThreadPoolExecutor(THREADS) as pool:
        assert all(pool.map(run, range(THREADS)))


# -- deriving from several threads at once --------------------------------------------------------
SOURCE = """
def helper_{k}(v):
    return np.sin(v) * {c} + v

def fresh_{k}(x, n):
    s = 0.0
    for i in range(n):
        x = helper_{k}(x) * 0.5
        if np.sum(x) > {c}:
            s = s + np.sum(x * x)
        else:
            s = s - np.sum(np.tanh(x))
    return s + np.sum(x)
"""


def fresh_function(k):
    return make_function(SOURCE.format(k=k, c=0.1 * (k % 7)), {"np": np}, name=f"fresh_{k}")


# BUG (not in the library's own code, but the library does not guard against it): on
# CPython 3.11, ast.parse from several threads at once can fail with "SystemError: AST
# constructor recursion depth mismatch" (the AST constructor's depth counter is shared
# by all threads and a thread switch can happen inside it, e.g. when the garbage
# collector runs a weakref callback such as the cache's). Seen in this file when the whole
# suite runs (about one run in three), never alone. tangentlike could serialize its calls
# of gast.parse with a lock. The tests below retry such a derivation, so that everything
# else is still checked, and then report the test as an expected failure.
AST_RACE = "AST constructor recursion depth mismatch"


class Derive:
    """tl transformations that retry (and count) the CPython AST race."""

    def __init__(self):
        self.races = []
        self.lock = threading.Lock()

    def __call__(self, transform, *args, **options):
        for _ in range(20):
            try:
                return transform(*args, **options)
            except SystemError as exc:
                if AST_RACE not in str(exc):
                    raise
                with self.lock:
                    self.races.append(str(exc))
        raise AssertionError("the AST race kept happening")

    def report(self):
        if self.races:
            pytest.xfail(f"BUG: {len(self.races)} concurrent derivation(s) failed with "
                         f"SystemError: {self.races[0]}")


def test_fresh_functions_derived_concurrently():
    count = 16
    x, n = np.array([0.3, -0.2, 0.5]), 6
    expected = [tl.grad(fresh_function(k))(x, n) for k in range(count)]   # other objects
    funcs = [fresh_function(k) for k in range(count)]
    start = threading.Barrier(THREADS)
    derive = Derive()

    def run(t):
        start.wait()
        out = []
        for k in range(t, count, THREADS):
            out.append((k, derive(tl.grad, funcs[k])(x, n),
                        derive(tl.jvp, funcs[k])(x, n, np.ones(3))))
        return out

    with ThreadPoolExecutor(THREADS) as pool:
        results = [r for part in pool.map(run, range(THREADS)) for r in part]
    assert sorted(k for k, _, _ in results) == list(range(count))
    for k, g, t in results:
        np.testing.assert_array_equal(g, expected[k])
        assert np.isclose(t, np.sum(g))
    derive.report()


def test_same_function_derived_by_8_threads_at_once():
    func = fresh_function(1000)
    x, n = np.array([0.3, -0.2, 0.5]), 5
    start = threading.Barrier(THREADS)
    derive = Derive()

    def run(t):
        start.wait()
        df = derive(tl.grad, func)
        return df, df(x, n), derive(tl.vjp, derive(tl.grad, func))(x, n, 1.0, np.ones(3))

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, range(THREADS)))
    reference = tl.grad(func)
    for df, g, gg in results:
        np.testing.assert_array_equal(g, reference(x, n))
        np.testing.assert_array_equal(gg, results[0][2])
    assert tl.grad(func) is reference          # after the race, one cached function stays
    derive.report()


# Was (edge14): the threads that found no cached derivative each derived the function
# again once the lock was theirs, so tl.grad(f) from 8 threads at once gave up to 8
# different derived functions (each deriving its versions again); now the lock is
# followed by a second look in the cache.
@pytest.mark.parametrize("transform", [tl.grad, tl.value_and_grad, tl.vjp, tl.jvp],
                         ids=lambda t: t.__name__)
def test_one_derived_function_for_8_threads_deriving_at_once(transform):
    func = fresh_function(2000 + [tl.grad, tl.value_and_grad, tl.vjp, tl.jvp].index(transform))
    start = threading.Barrier(THREADS)
    derive = Derive()

    def run(t):
        start.wait()
        return derive(transform, func)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, range(THREADS)))
    assert all(r is results[0] for r in results)
    assert transform(func) is results[0]
    derive.report()


def test_hessian_and_jacobian_made_from_8_threads_at_once():
    funcs = [fresh_function(3000 + k) for k in range(THREADS)]
    x, n = np.array([0.3, -0.2, 0.5]), 3
    expected = [(tl.hessian(fresh_function(3000 + k))(x, n),
                 tl.jacobian(tl.grad(fresh_function(3000 + k)))(x, n)) for k in range(THREADS)]
    start = threading.Barrier(THREADS)
    derive = Derive()

    def run(k):
        start.wait()
        jacobian = derive(tl.jacobian, derive(tl.grad, funcs[k]))
        return derive(tl.hessian, funcs[k])(x, n), jacobian(x, n)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, range(THREADS)))
    for (h, j), (eh, ej) in zip(results, expected):
        np.testing.assert_array_equal(h, eh)
        np.testing.assert_array_equal(j, ej)
    derive.report()


# Was: 8 threads meeting a rebound global at once each derived the function again (the
# guard's Rederived checked for a derivation before taking the lock, not after), 8
# derivations and 8 sets of versions for one rebinding; now one, used by all of them.
def test_rebinding_met_by_8_threads_at_once_derives_once(monkeypatch):
    import tangentlike.entry as entry
    func = make_function("act = np.tanh\n\ndef uses_act(x):\n    return np.sum(act(x) * x)\n",
                         {"np": np}, name="uses_act")
    df = tl.grad(func)
    x = np.array([0.3, -0.2, 0.5])
    np.testing.assert_allclose(df(x), np.tanh(x) + x * (1 - np.tanh(x) ** 2))
    derivations = []
    derive = entry.Rederived.derive
    monkeypatch.setattr(entry.Rederived, "derive",
                        lambda self: derivations.append(1) or derive(self))
    func.__globals__["act"] = np.sin
    start = threading.Barrier(THREADS)

    def run(t):
        start.wait()
        return df(x)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, range(THREADS)))
    for g in results:
        np.testing.assert_allclose(g, np.sin(x) + x * np.cos(x))
    assert len(derivations) == 1


# Versions built concurrently: 8 threads first-call one derived function (and a fresh
# one of each transformation) with 8 different argument kinds at once; every result is
# the single-threaded one, bit for bit, with its type, dtype and shape.
KINDS = [0.4, np.float64(0.4), np.float32(0.4), np.array(0.4), np.array(0.4, np.float32),
         np.array([0.3, -0.2, 0.5]), np.array([[0.3, -0.2], [0.1, 0.4]]),
         np.array([0.3, -0.2], np.float32)]


def closure_with_helper(k):
    c = np.float64(k)

    def f(x, n):
        for i in range(n):
            x = helper(x) * c + 0.1 * x
        return np.sum(x * x)
    return f


def identical(a, b):
    return type(a) is type(b) and np.shape(a) == np.shape(b) \
        and np.asarray(a).dtype == np.asarray(b).dtype and np.array_equal(a, b)


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "vjp", "jvp", "vjp of grad"])
def test_versions_of_8_argument_kinds_built_by_8_threads_at_once(transform):
    def make():
        f = closure_with_helper(0.9)
        if transform == "vjp of grad":
            return lambda x, n, d=tl.vjp(tl.grad(f)): d(x, n, 1.0, np.ones_like(x))
        d = getattr(tl, transform)(f)
        extra = {"vjp": (1.0,), "jvp": None}.get(transform, ())
        if extra is None:
            return lambda x, n: d(x, n, np.ones_like(x) if isinstance(x, np.ndarray)
                                  else type(x)(1.0))
        return lambda x, n: d(x, n, *extra)

    sequential = make()
    expected = [sequential(x, 3) for x in KINDS]
    concurrent = make()
    start = threading.Barrier(len(KINDS))

    def run(i):
        start.wait()
        return [concurrent(KINDS[i], 3) for _ in range(3)]

    with ThreadPoolExecutor(len(KINDS)) as pool:
        results = list(pool.map(run, range(len(KINDS))))
    for got, want in zip(results, expected):
        for g in got:
            parts = zip(g, want) if isinstance(want, tuple) else [(g, want)]
            assert all(identical(a, b) for a, b in parts), (g, want)
