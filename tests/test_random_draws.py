"""Random draws inside differentiated code: a generator's methods (``rng.normal(...)``)
and NumPy's global ``np.random`` functions are constants where their arguments are
(the sample of the reparameterization ``mu + sigma * eps``); a draw given a value being
differentiated is refused at its line, and so is a call of a helper that draws, whose
derivative would run the helper again and draw other numbers."""
import random

import numpy as np
import pytest

import tangentlike as tl

from random_draw_helpers import doubled_then_noisy
from test_error_catalogue import assert_error_at

X = np.array([0.3, 0.5, 0.7])


def numeric_grad(f, args, h=1e-6):
    """Central differences of f with respect to its first argument, an array."""
    x, rest = args[0], args[1:]
    return np.array([(f(x + h * e, *rest) - f(x - h * e, *rest)) / (2 * h)
                     for e in np.eye(x.size)])
GLOBAL_RNG = np.random.default_rng(5)


def reparameterized(mu, log_sigma):
    rng = np.random.default_rng(0)
    eps = rng.standard_normal(mu.shape)
    z = mu + np.exp(log_sigma) * eps
    kl = -0.5 * np.sum(1.0 + 2.0 * log_sigma - mu ** 2 - np.exp(2.0 * log_sigma))
    return np.sum(z ** 2) + kl


def draws_in_a_loop_and_a_branch(x):
    rng = np.random.default_rng(3)
    s = 0.0
    for i in range(4):
        if rng.random() < 0.5:
            s = s + np.sum(np.sin(x * rng.normal(size=3)))
        else:
            s = s + np.sum(x * x) * rng.uniform(0.5, 1.5)
    return s


def seeds_the_global_state(x):
    np.random.seed(1)
    eps = np.random.normal(size=x.shape)
    return np.sum(np.sin(x * eps)) * np.sum(eps)


def draws_with_its_own_generator(x):
    rng = np.random.default_rng(0)
    return x * rng.normal(size=3)


def calls_a_helper_with_its_own_generator(x):
    return np.sum(np.tanh(draws_with_its_own_generator(x)))


def noise(n):
    np.random.seed(2)
    return np.random.normal(size=n)


def calls_a_drawing_helper_with_constants(x):
    return np.sum(x * noise(3)) + np.sum(x * x)


@pytest.mark.parametrize("f, args", [
    (reparameterized, (X, 0.1 * X)),
    (draws_in_a_loop_and_a_branch, (X,)),
    (seeds_the_global_state, (X,)),
    (calls_a_helper_with_its_own_generator, (X,)),
    (calls_a_drawing_helper_with_constants, (X,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_draws_are_constants_where_their_arguments_are(f, args):
    tl.check_grads(f, args, order=2)
    df = tl.grad(f)
    np.testing.assert_allclose(df(*args), numeric_grad(f, args), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(df(*args), df.generic(*args), rtol=1e-12)   # (a version)


def test_the_reparameterized_gradient_is_exact():
    mu, log_sigma = X, 0.1 * X
    eps = np.random.default_rng(0).standard_normal(3)
    z = mu + np.exp(log_sigma) * eps
    g_mu, g_log_sigma = tl.grad(reparameterized, wrt=(0, 1))(mu, log_sigma)
    np.testing.assert_allclose(g_mu, 2 * z + mu, rtol=1e-12)
    np.testing.assert_allclose(g_log_sigma, 2 * z * np.exp(log_sigma) * eps - 1.0
                               + np.exp(2 * log_sigma), rtol=1e-12)


def draws_from_a_given_generator(x, rng):
    return np.sum(x * rng.normal(0.0, 1.0, size=x.shape))


def draws_from_a_global_generator(x):
    return np.sum(x * GLOBAL_RNG.standard_normal(3))


def test_a_given_or_global_generator_draws_once_per_call():
    # the derivative draws what f draws, once: the gradient is the sample f used
    g = tl.grad(draws_from_a_given_generator)(X, np.random.default_rng(7))
    np.testing.assert_array_equal(g, np.random.default_rng(7).normal(0.0, 1.0, size=3))
    state = GLOBAL_RNG.bit_generator.state
    g = tl.grad(draws_from_a_global_generator)(X)
    GLOBAL_RNG.bit_generator.state = state
    np.testing.assert_array_equal(g, GLOBAL_RNG.standard_normal(3))
    value, grads = tl.value_and_grad(draws_from_a_given_generator)(X, np.random.default_rng(7))
    np.testing.assert_allclose(value, np.sum(X * grads), rtol=1e-12)


def draws_with_pythons_random(x):
    random.seed(3)
    return x * random.gauss(0.0, 1.0) + x * x * random.random()


def test_pythons_random_module_draws_once_per_call():
    # (its functions are methods of a hidden random.Random: were refused as methods
    # bound to an object)
    random.seed(3)
    a, b = random.gauss(0.0, 1.0), random.random()
    assert tl.grad(draws_with_pythons_random)(0.5) == pytest.approx(a + 2 * 0.5 * b, rel=1e-14)
    tl.check_grads(draws_with_pythons_random, (0.5,), order=2)


def a_python_draw_given_x(x):
    return random.gauss(x, 1.0)  # <- error


def a_draw_given_x(mu):
    rng = np.random.default_rng(0)
    return np.sum(rng.normal(mu, 1.0))  # <- error


def a_global_draw_given_x(mu):
    return np.sum(np.random.normal(loc=mu))  # <- error


@pytest.mark.parametrize("transform", [tl.grad, tl.jvp], ids=["grad", "jvp"])
@pytest.mark.parametrize("f", [a_draw_given_x, a_global_draw_given_x, a_python_draw_given_x],
                         ids=["generator", "np.random", "random"])
def test_a_draw_given_a_value_being_differentiated_is_refused(f, transform):
    err = assert_error_at(f, transform=transform)
    assert "random draw" in err.reason and "reparameterization" in err.hint


def noisy_helper(x):
    return x * np.random.normal(size=x.shape)


def calls_a_drawing_helper(x):
    np.random.seed(2)
    return np.sum(np.tanh(noisy_helper(x)))  # <- error


def calls_a_helper_that_calls_one_that_draws(x):
    return np.sum(doubled_then_noisy(x))  # <- error


# Was a silently wrong gradient: the derivative of a call of a helper that draws (with
# NumPy's global state) ran the helper and then the helper's derivative, which ran its
# body again: a gradient for other numbers than the value's ([1.61, -1.79, -0.15] where
# finite differences give [-0.41, -0.06, -0.39]), in the generic derivative, in jvp
# and at second order (a version, which inlines the helper, was right).
@pytest.mark.parametrize("transform", [tl.grad, tl.vjp, tl.jvp, tl.hessian],
                         ids=lambda t: t.__name__)
@pytest.mark.parametrize("f", [calls_a_drawing_helper, calls_a_helper_that_calls_one_that_draws],
                         ids=["helper", "two calls down"])
def test_a_call_of_a_helper_that_draws_is_refused(f, transform):
    err = assert_error_at(f, transform=transform)
    assert "draws random numbers" in err.reason and "pass them" in err.hint
    if f is calls_a_helper_that_calls_one_that_draws:
        assert "random_draw_helpers.py:7" in err.reason
