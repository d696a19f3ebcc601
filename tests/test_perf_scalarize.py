"""scalarize.py: in a version, a small float64 state array that a loop rebuilds from
its items (``x = x + dt * np.array([...])``) becomes one number per item, and the array
is made again where it is read as an array. The gradients are the generic derivative's
and match finite differences (both modes, to second order), with loops of 0, 1 and many
turns; where the conditions do not hold the version keeps the arrays."""
import numpy as np
import pytest

import tangentlike as tl


def pendulum(x0, g, n):
    x = x0
    dt = 0.1
    for i in range(n):
        x = x + dt * np.array([x[1], -g * np.sin(x[0])])
    return np.sum(x * x)


def lorenz(x0, s, n):
    x = x0
    dt = 0.01
    for i in range(n):
        dx = np.array([s * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], x[0] * x[1] - 2.6 * x[2]])
        x = x + dt * dx
    return np.sum(x * x)


def midpoint(x0, w, n):
    x = x0
    dt = 0.05
    for i in range(n):
        k1 = np.array([x[1], -w * w * x[0] - 0.1 * x[1]])
        xm = x + dt / 2.0 * k1   # (a quotient of numbers)
        k2 = np.array([xm[1], -w * w * xm[0] - 0.1 * xm[1]])
        x = x + dt * k2
    return x[0] * x[1] + np.sum(x)


def drag(v0, c, n):
    v = v0
    for i in range(n):
        v = v - 0.1 * c * v * np.abs(v) + 0.1 * np.array([v[1] * 0.0, -9.81 + v[0] * 0.0])
    return np.sum(v ** 2)


def falling_with_drag(v0, c, n):
    # constant arrays (np.zeros, np.array of float constants): Python floats as numbers
    x = np.zeros(2)
    v = v0
    g = np.array([0.0, -9.81])
    for i in range(n):
        v = v - 0.1 * c * v * np.abs(v) + 0.1 * g
        x = x + 0.1 * v
    return np.sum((x - np.array([3.0, 0.0])) ** 2) + np.sum(np.sqrt(v * v + 1.0))


def swapped(x0, s, n):
    # each item reads the other: the elements are assigned together
    x = x0
    for i in range(n):
        x = np.array([x[1] * s, x[0] + s * x[1]])
        x = x * x[0]   # a number read from the array it scales
    return np.sum(x)


def read_as_an_array_after_the_loop(x0, s, n):
    x = x0
    for i in range(n):
        x = x + 0.1 * np.array([x[1], -s * x[0]])
    if np.sum(np.cos(x)) > 0.0 and len(x) == 2 and x.shape == (2,):
        return np.sum(x ** 2) * x[-1] + np.dot(x, x0)
    return x[0]


PARAMS = {pendulum: 1.3, lorenz: 10.0, midpoint: 1.7, drag: 0.2, swapped: 0.6,
          falling_with_drag: 0.3,
          read_as_an_array_after_the_loop: 0.9}


def _args(f, n):
    size = 3 if f is lorenz else 2
    return (np.array([0.4, -0.7, 1.1][:size]), PARAMS[f], n)


def _version(df):
    (version,) = [v for v in df.versions.values() if v is not df.generic]
    return version.source


def _loop_body(source, head):
    """The code of the first loop ``head`` of ``source``, without comments."""
    lines = source.split(head + "\n", 1)[1].splitlines()
    indent = len(lines[0]) - len(lines[0].lstrip())
    body = []
    for line in lines:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        if not line.strip().startswith("#"):
            body.append(line)
    return "\n".join(body)


def _same_as_generic(df, args):
    for seed in (1.0, -0.5):
        got, want = df(*args, seed), df.generic(*args, seed)
        for g, w in zip(got, want):
            assert np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f", list(PARAMS), ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [0, 1, 5])
def test_small_states_as_numbers(f, n):
    args = _args(f, n)
    tl.check_grads(f, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))
    df = tl.grad(f, wrt=(0, 1))
    _same_as_generic(df, args)
    x0 = args[0].copy()
    df(*args)
    np.testing.assert_array_equal(args[0], x0)   # the argument is not changed
    loop = _loop_body(_version(df), "for i in range(n):")
    state = "v" if f in (drag, falling_with_drag) else "x"
    assert f"{state}_0 = " in loop and f"{state}_1 = " in loop
    assert "np.array(" not in loop and "stack.append(x)" not in loop


def test_the_value_is_the_functions():
    args = _args(lorenz, 7)
    value, _ = tl.value_and_grad(lorenz, wrt=(0, 1))(*args)
    assert value == lorenz(*args)   # the same operations on the same numbers


def helper(x):
    y = x
    for k in range(2):   # (a loop: not inlined)
        y = y * 0.5
    return y


def handed_to_a_helper(x0, s):
    x = x0
    for i in range(3):
        x = x + 0.1 * np.array([x[1], -s * x[0]])
        x = helper(x)
    return np.sum(x * x)


def float32_state(x0, s):
    x = x0
    for i in range(3):
        x = x + 0.1 * np.array([x[1], -s * x[0]])
    return np.sum(x * x)


def ints_listed(x0, s):
    x = x0
    for i in range(3):
        d = np.array([1, 2])   # not float64 numbers
        x = x + 0.1 * s * d * x
    return np.sum(x * x)


def written_by_element(x0, s):
    x = x0 * 1.0
    for i in range(3):
        x = x + 0.1 * np.array([x[1], -s * x[0]])
        x[0] = x[0] * s
    return np.sum(x * x)


def aliased_and_written(x0, s):
    x = np.array([x0[0], x0[1]])
    for i in range(3):
        x = x + 0.1 * np.array([x[1], -s * x[0]])
        y = x
        y[0] = y[0] * s   # changes x as well
    return np.sum(x * x)


def viewed_and_written(x0, s):
    x = np.array([x0[0], x0[1]])
    for i in range(3):
        x = x + 0.1 * np.array([x[1], -s * x[0]])
        y = x[0:1]
        y[0] = y[0] * s   # changes x as well
        z = np.asarray(x)
        z[1] = z[1] * s   # and so does this
    return np.sum(x * x)


def read_as_an_array_in_the_loop(x0, s):
    x = x0
    total = 0.0
    for i in range(3):
        x = x + 0.1 * np.array([x[1], -s * x[0]])
        total = total + np.sum(np.cos(x))   # the array would be made at every turn
    return total + x[0]


def compared_by_identity(x0, s):
    x = x0
    for i in range(2):
        if x is x0:
            x = x + 0.1 * np.array([x[1], -s * x[0]])
    return np.sum(x * x)


@pytest.mark.parametrize("f", [handed_to_a_helper, ints_listed, written_by_element,
                               read_as_an_array_in_the_loop, compared_by_identity],
                         ids=lambda f: f.__name__)
def test_arrays_that_do_not_fit_stay_arrays(f):
    args = (np.array([0.3, -0.8]), 0.7)
    tl.check_grads(f, args, wrt=(0, 1), order=2, modes=("rev",))
    df = tl.grad(f, wrt=(0, 1))
    _same_as_generic(df, args)
    assert "x_0" not in _version(df)


@pytest.mark.parametrize("f", [aliased_and_written, viewed_and_written],
                         ids=lambda f: f.__name__)
def test_writes_through_another_name_are_refused_as_before(f):
    with pytest.raises(tl.TransformError, match="did not create"):
        tl.grad(f, wrt=(0, 1))(np.array([0.3, -0.8]), 0.7)


def divided_constants(x0, s):
    x = x0
    w = np.array([1.0, 2.0])
    z = np.zeros(2)
    for i in range(2):
        q = w / z   # inf in NumPy: as Python floats, a ZeroDivisionError
        x = x + 0.1 * s * x / q
    return np.sum(x * x)


def test_a_quotient_of_constant_arrays_stays_an_array():
    args = (np.array([0.3, -0.8]), 0.7)
    df = tl.grad(divided_constants, wrt=(0, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        got, want = df(*args), df.generic(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, equal_nan=True)
    assert "q_0" not in _version(df)


def test_a_float32_state_stays_an_array():
    args = (np.array([0.3, -0.8], dtype=np.float32), 0.7)
    df = tl.grad(float32_state, wrt=(0, 1))
    _same_as_generic(df, args)
    assert df(*args)[0].dtype == np.float32
    assert "x_0" not in _version(df)


def unassigned_after_a_loop(x0, s, n):
    y = x0
    for i in range(n):
        x = y + 0.1 * np.array([y[1], -s * y[0]])
    return np.sum(x * x)


def test_a_state_that_may_be_unassigned_stays_an_array():
    # x is assigned only in a loop that may not run: as numbers, a read of x_0 would
    # fail naming x_0 (tests/test_regressions.py has the error of such a version)
    args = (np.array([0.3, -0.8]), 0.7, 2)
    tl.check_grads(unassigned_after_a_loop, args, wrt=(0, 1), modes=("rev",))
    df = tl.grad(unassigned_after_a_loop, wrt=(0, 1))
    _same_as_generic(df, args)
    assert "x_0" not in _version(df) and "y_0" not in _version(df)


def test_a_state_augmented_twice_is_not_an_internal_error():
    # (found by the long random-program run) A name bound twice by something other than
    # an assignment of it alone (`z3 += ...` twice) made _definitions read the targets of
    # the None it had recorded for the first: an internal AttributeError when the
    # version was derived (the generic derivative then served).
    def f(x, s, n):
        z3 = np.array([0.5, 0.5, 0.5])
        z3 += np.array([0.5, -1.0, 2.0])
        z3 += np.array([0.5, -1.0, 2.0])
        return np.array([0.5, -1.0, 2.0]) + 0.1 * (s + np.sum(x) + np.sum(z3))

    args = (np.zeros(3), 0.0, 0)
    tl.check_grads(lambda x, s: np.sum(f(x, s, 0)), args[:2], order=2)
    df = tl.vjp(f, wrt=(0, 1))
    got = df(*args, np.ones(3))
    np.testing.assert_allclose(got[0], 0.3 * np.ones(3))
    assert got[1] == pytest.approx(0.3)
