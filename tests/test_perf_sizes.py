"""An int argument that sizes an array (``np.zeros((n + 1, 2))``, ``x.reshape(n, -1)``)
is specialized to its value (pipeline.size_params): a version then knows the array's
shape, and a trajectory written into ``x[i + 1]`` gets the code of known shapes instead
of the generic helpers (8.5x -> 1.4x its hand-written gradient for a 100-step Euler)."""
import numpy as np
import pytest

import tangentlike as tl

RNG = np.random.default_rng(1616)


def euler(x0, p, n):
    x = np.zeros((n + 1, 2))
    x[0] = x0
    for i in range(n):
        x[i + 1] = x[i] + 0.01 * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def folded(w, n):
    return np.sum(np.tanh(w.reshape(n, -1)) * np.arange(n)[:, None])


def versions(df):
    return [v for v in df.versions.values() if v is not df.generic]


@pytest.mark.parametrize("n", [0, 1, 7])
def test_a_version_per_size_each_with_the_generic_values(n):
    x0 = RNG.standard_normal(2)
    df = tl.grad(euler, wrt=(0, 1))
    for seed in (1.0, 2.5):
        got, want = df(x0, 0.7, n, seed), df.generic(x0, 0.7, n, seed)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    tl.check_grads(euler, (x0, 0.7, n), wrt=(0, 1), order=2)
    [version] = [v for v in versions(df) if f"n == {n})" in v.source]
    assert f"n: int {n}" in version.source


def test_the_guard_tests_the_value_and_other_ints_get_their_own_version():
    x0 = RNG.standard_normal(2)
    df = tl.grad(euler, wrt=(0, 1))
    first = df(x0, 0.7, 5)
    other = df(x0, 0.7, 9)   # not the version of 5
    np.testing.assert_allclose(other[0], df.generic(x0, 0.7, 9)[0], rtol=1e-12)
    assert not np.allclose(first[0], other[0])
    np.testing.assert_allclose(df(x0, 0.7, 5)[0], first[0], rtol=0)
    # a NumPy int or a bool is not an int: the generic kinds (np.int64: its class)
    np.testing.assert_allclose(df(x0, 0.7, np.int64(5))[0], first[0], rtol=1e-12)


def test_the_trajectory_version_knows_its_shapes():
    x0 = RNG.standard_normal(2)
    df = tl.grad(euler, wrt=(0, 1))
    df(x0, 0.7, 30)
    [version] = [v for v in versions(df) if "n == 30)" in v.source]
    body = version.source.split("specialize_again", 1)[1]
    for generic in ("unbroadcast", "stack.append", "broadcast_like"):
        assert generic not in body, generic


def test_a_reshape_size():
    w = RNG.standard_normal(12)
    for n in (3, 4):
        tl.check_grads(folded, (w, n), wrt=(0,), order=2)
    df = tl.grad(folded)
    for n in (3, 4):
        np.testing.assert_allclose(df(w, n), df.generic(w, n), rtol=1e-12)
    assert sorted(v.source.count("n == 3)") + 2 * v.source.count("n == 4)")
                  for v in versions(df)) == [1, 2]


STEPS = 6


def euler_of_global_steps(x0, p):
    x = np.zeros((STEPS + 1, 2))
    x[0] = x0
    for i in range(STEPS):
        x[i + 1] = x[i] + 0.01 * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def test_a_global_or_closure_int_that_sizes_arrays():
    global STEPS
    x0 = RNG.standard_normal(2)
    df = tl.grad(euler_of_global_steps, wrt=(0, 1))
    saved = STEPS
    try:
        for steps in (6, 2, 6):   # rebound between calls: each value its version
            STEPS = steps
            got, want = df(x0, 0.7), df.generic(x0, 0.7)
            np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
            np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
            tl.check_grads(euler_of_global_steps, (x0, 0.7), wrt=(0, 1))
        sources = [v.source for v in df.versions.values() if v is not df.generic]
        assert sorted(("STEPS == 6)" in s) + 2 * ("STEPS == 2)" in s) for s in sources) == [1, 2]
        assert all("stack.append" not in s.split("specialize_again", 1)[1] for s in sources)
    finally:
        STEPS = saved

    def make(n):
        def f(w):
            return np.sum(np.tanh(w.reshape(n, -1)) * np.arange(n)[:, None])
        return f
    w = RNG.standard_normal(12)
    for n in (3, 4):
        d = tl.grad(make(n))
        np.testing.assert_allclose(d(w), d.generic(w), rtol=1e-12)
        assert any(f"n == {n})" in v.source for v in d.versions.values())
