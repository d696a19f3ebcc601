"""Forward mode, derivatives of derivatives, Jacobians, Hessians and Hessian-vector
products, checked against finite differences of the derivative below them."""
import numpy as np
import pytest

import tangentlike as tl

X3 = np.array([0.3, -0.6, 0.9])
A = np.array([[1.0, 0.2, -0.3], [0.1, 0.8, 0.4], [-0.5, 0.3, 1.2]])


def cubic(x):
    return x ** 3 + np.sin(x)


def quartic_loop(x):
    y = x
    for i in range(3):
        y = y * x + 0.5
    return y


def branchy(x):
    if x > 0:
        return x ** 4
    return np.exp(x) * x


def quadratic_form(x):
    return 0.5 * np.dot(x, A @ x) + np.sum(np.tanh(x))


def indexed_loop(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * x[(i + 1) % 3] ** 2
    return s


def vector_valued(x):
    return np.stack([np.sum(x ** 2), np.prod(x), np.sin(x[0]) * x[1]])


def numeric_gradient(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = eps
        g.flat[k] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def numeric_jacobian(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = eps
        idx = np.unravel_index(k, x.shape) if x.ndim else ()
        jac[(Ellipsis,) + tuple(idx)] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps)
    return jac


@pytest.mark.parametrize("x", [0.7, -0.4])
def test_grad_of_grad_scalar(x):
    d2 = tl.grad(tl.grad(cubic))
    assert np.isclose(d2(x), 6 * x - np.sin(x))


@pytest.mark.parametrize("f", [cubic, quartic_loop, branchy])
@pytest.mark.parametrize("x", [0.7, -0.4])
def test_third_order(f, x):
    d3 = tl.grad(tl.grad(tl.grad(f)))
    d2 = tl.grad(tl.grad(f))
    assert np.isclose(d3(x), (d2(x + 1e-5) - d2(x - 1e-5)) / 2e-5, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f", [quadratic_form, indexed_loop])
def test_hvp_matches_finite_differences_of_the_gradient(f):
    v = np.array([0.2, -0.1, 0.7])
    g = tl.grad(f)
    numeric = (g(X3 + 1e-6 * v) - g(X3 - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(tl.hvp(f)(X3, v), numeric, rtol=1e-5, atol=1e-7)


def test_hessian_of_quadratic_form():
    expected = 0.5 * (A + A.T) + np.diag(-2 * np.tanh(X3) * (1 - np.tanh(X3) ** 2))
    np.testing.assert_allclose(tl.hessian(quadratic_form)(X3), expected, rtol=1e-9)


@pytest.mark.parametrize("mode", ["reverse", "forward", "auto"])
def test_jacobian_modes_agree_with_finite_differences(mode):
    jac = tl.jacobian(vector_valued, mode=mode)(X3)
    assert jac.shape == (3, 3)
    np.testing.assert_allclose(jac, numeric_jacobian(vector_valued, X3), rtol=1e-6, atol=1e-8)


def test_jacobian_of_scalar_function_is_the_gradient():
    np.testing.assert_allclose(tl.jacobian(quadratic_form)(X3), tl.grad(quadratic_form)(X3))


def test_jvp_of_grad_equals_hvp():
    v = np.array([1.0, 0.5, -0.5])
    np.testing.assert_allclose(tl.jvp(tl.grad(indexed_loop))(X3, 1.0, v),
                               tl.hvp(indexed_loop)(X3, v))


def test_forward_mode_of_a_loop_reads_as_the_loop():
    src = tl.jvp(quartic_loop).source
    lines = [line.strip() for line in src.splitlines() if not line.strip().startswith("#")]
    loop = lines.index("for i in range(3):")
    assert lines[loop + 1].startswith("t1 = y * x")
    assert lines[loop + 2].startswith("dt1 = ")


def test_grad_of_grad_is_readable():
    src = tl.grad(tl.grad(cubic)).source
    assert src.startswith("def ddcubicdxdx(")
    assert "stack" not in src     # straight-line code stays stack-free at second order


def power_series(x):
    i = 0
    s = 0.0
    while i < 3:
        s += np.sum(x ** i)
        i += 1
    return s


# Was: the derivative saved the counter `i` on the same list as the arrays it saves, so
# its own derivative took `i = stack.pop()` for a value carrying a derivative and
# differentiated `x ** i` in its exponent too: np.log of the negative elements of x
# (RuntimeWarning: invalid value encountered in log) into an adjoint nobody read. Values
# that carry no derivative now go to a list of their own (reverse.tape).
def test_second_order_takes_no_derivative_of_a_saved_counter():
    import warnings
    x = np.array([0.3, 0.7, -0.2, 0.9])
    second = tl.vjp(tl.vjp(power_series), wrt=(0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(tl.hessian(power_series)(x), 2.0 * np.eye(4))
        hv, _ = second(x, 1.0, np.ones(4))
        np.testing.assert_allclose(hv, np.full(4, 2.0))
    assert "no_grad_stack.append(i)" in tl.grad(power_series).source
    for version in second.versions.values():
        assert "np.log" not in version.source


def _for_else_with_break(x, k):
    s = x
    for i in range(4):
        if i == k:
            break
        s = s * 1.2
    else:
        s = s * 10.0
    return s


# Was (seen by cold18): the dead-code passes kept each statement's names in a memo keyed
# by id(statement); a statement a pass made could get the id of one it had dropped, and
# with it the dropped one's names, so which `t = None` initialisations the second order
# kept depended on where objects were allocated (the first derivation in a process
# differed from the next ones). The memo is keyed by the statements themselves now.
def test_generated_code_does_not_depend_on_the_process_history():
    import types
    sources = []
    for _ in range(3):
        f = types.FunctionType(_for_else_with_break.__code__, globals(), "_for_else_with_break")
        second = tl.grad(tl.grad(f))
        sources.append(second.source)
        assert second(0.7, 2) == pytest.approx(0.0) and second(0.7, 9) == pytest.approx(0.0)
    assert sources[0] == sources[1] == sources[2]
