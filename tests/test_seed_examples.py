"""The examples from the "Reverse-mode core" issue, checked exactly."""
import numpy as np

import tangentlike as tl


def twice_dot(x):
    y = 2 * np.dot(x, x)
    return y


def total(x):
    return np.sum(x)


def square(x):
    return x * x


def frozen_square_times_x(x):
    u = tl.stop_gradient(x * x)
    z = u * x
    return np.sum(z)


def test_twice_dot_gives_four_x():
    x = np.arange(4.0)
    np.testing.assert_allclose(tl.grad(twice_dot)(x), 4 * x)
    tl.check_grads(twice_dot, (x,), order=2)


def test_sum_gives_ones():
    x = np.arange(4.0)
    g = tl.grad(total)(x)
    assert isinstance(g, np.ndarray) and g.shape == x.shape
    np.testing.assert_array_equal(g, np.ones(4))


def test_vjp_of_square_with_ones_seed_gives_two_x():
    x = np.arange(4.0)
    np.testing.assert_allclose(tl.vjp(square)(x, np.ones(4)), 2 * x)
    tl.check_grads(square, (x,), order=2)


def test_stop_gradient_treats_value_as_constant():
    x = np.arange(4.0)
    # d/dx sum(u * x) with u = x*x held constant is u.
    np.testing.assert_allclose(tl.grad(frozen_square_times_x)(x), x * x)
