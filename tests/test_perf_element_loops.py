"""Per-element Python loops over a small array in a simulation (a spring chain whose
forces are computed element by element with boundary branches, a small n-body with a
double loop and ``if i != j``). In a version, an adjoint that is an array of its own
before an ``if`` (reversed) stays so when both branches leave it so: element
contributions in the branches add in place (``bx[t8] += g``) without an own_copy per
branch, and a reversed turn that ends after an ``if`` does not copy the adjoint again
(``np.array(np.broadcast_to(bf, (6,)))``) at every turn. Gradients are checked against
finite differences (to second order) and the generic derivative, with loops of 0, 1 and
many turns."""
import numpy as np
import pytest

import tangentlike as tl

RNG = np.random.default_rng(16)


def chain(x0, k, steps):
    n = x0.shape[0]
    x = x0
    v = np.zeros(n)
    for step in range(steps):
        f = np.zeros(n)
        for i in range(n):
            left = x[i - 1] if i > 0 else 0.0
            right = x[i + 1] if i < n - 1 else 0.0
            f[i] = k * (left + right - 2.0 * x[i])
        v = v + 0.05 * f
        x = x + 0.05 * v
    return np.sum(x * x)


def nbody(x0, m, steps):
    n = x0.shape[0]
    x = x0
    v = np.zeros_like(x0)
    for step in range(steps):
        a = np.zeros_like(x)
        for i in range(n):
            for j in range(n):
                if i != j:
                    d = x[j] - x[i]
                    r2 = np.sum(d * d) + 0.1
                    a[i] = a[i] + m[j] * d / r2 ** 1.5
        v = v + 0.01 * a
        x = x + 0.01 * v
    return np.sum(x * x)


def aliased_in_one_branch(x0, p, steps):
    # one branch leaves the adjoint of x the adjoint of another name (a copy): the
    # element contributions after the if (reversed: before it) must not add into it
    n = x0.shape[0]
    x = x0 * 1.0
    for step in range(steps):
        for i in range(n):
            if i % 2 == 0:
                y = x * 1.0
                x = y
            else:
                x[i] = x[i] * p
            x[i] = x[i] + p * x[(i + 1) % n]
    return np.sum(x * x)


def reset_in_one_branch(x0, p, steps):
    # one branch writes x anew, the other into x's elements
    n = x0.shape[0]
    x = x0 * 1.0
    total = 0.0
    for step in range(steps):
        for i in range(n):
            if x[i] > 0.0:
                x = np.sin(x) * p
            else:
                x[i] = x[i] * p + x[n - 1 - i]
            total = total + x[i] * x[0]
    return total


def owned_on_one_side(x0, w, steps):
    # after the if (reversed: before it), x's adjoint is an array of its own on the odd
    # turns only (on the even ones it is the adjoint of w's copy): the element
    # contributions of x[0] * x[1] must not add into it in place there
    x = x0 * 1.0
    total = 0.0
    for i in range(steps):
        total = total + x[0] * x[1]
        if i % 2 == 0:
            x = w * 1.0
            v = x
        else:
            v = x * 2.0
        x = v
        total = total + np.sum(np.sin(x)) * x[2]
    return total + np.sum(x * w)


def owned_by_the_turns_only(x0, w, steps):
    # each reversed turn leaves x's adjoint an array of its own, but before the loop it
    # is w's adjoint too (x = x + w): with no turn, the element contribution of x[0]
    # after the loop (reversed: x[0] * 3.0 before it) must not add into it in place
    x = x0 * 1.0
    t = x[0] * 3.0
    for i in range(steps):
        x = np.sin(x) * 1.5
        t = t + x[1]
    x = x + w
    return np.sum(x * x) + t


def _versions(df):
    return [v.source for v in df.versions.values() if v is not df.generic]


def _same_as_generic(df, args):
    for seed in (1.0, -0.5):
        for got, want in zip(df(*args, seed), df.generic(*args, seed)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("steps", [0, 1, 4])
def test_a_spring_chain_of_element_forces(steps):
    args = (np.sin(np.linspace(0.0, 3.0, 6)), 2.0, steps)
    tl.check_grads(chain, args, wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(chain, wrt=(0, 1))
    _same_as_generic(df, args)
    (source,) = _versions(df)
    inner = source.split("for i in reversed")[1]
    # the branches add into the chain's adjoint in place, copied once per turn at most
    assert inner.count("own_copy(") <= 1
    assert "np.broadcast_to(bf" not in inner


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_a_small_n_body(steps):
    args = (RNG.standard_normal((4, 2)), 0.5 + RNG.random(4), steps)
    tl.check_grads(nbody, args, wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(nbody, wrt=(0, 1))
    _same_as_generic(df, args)
    (source,) = _versions(df)
    # the adjoint of the accelerations is an array of its own through both loops: not
    # copied again at the end of each turn of i
    assert "np.broadcast_to(ba" not in source


@pytest.mark.parametrize("f", [aliased_in_one_branch, reset_in_one_branch,
                               owned_on_one_side, owned_by_the_turns_only])
@pytest.mark.parametrize("steps", [0, 1, 3])
def test_branches_that_do_not_both_leave_the_adjoint_owned(f, steps):
    args = (np.array([0.3, -0.5, 0.7, -0.2, 0.9]), 0.8, steps)
    if f in (owned_on_one_side, owned_by_the_turns_only):
        args = (args[0], np.array([0.9, 0.2, -0.4, 0.1, 0.6]), steps)
    tl.check_grads(f, args, wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(f, wrt=(0, 1))
    _same_as_generic(df, args)
    x0 = args[0].copy()
    df(*args)
    np.testing.assert_array_equal(args[0], x0)   # the input is not changed
