"""numbers.py: versions whose guard proves arguments numbers drop the tests meant for
arrays and read the forward tangent 1.0 as a constant, with the same gradients."""
import math

import numpy as np
import pytest

import tangentlike as tl


def fd(f, x, h=1e-6):
    """The central difference of the function of one number ``f`` at ``x``."""
    x = float(x)
    return (f(x + h) - f(x - h)) / (2 * h)


def rosenbrock2(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def with_math(a, b, c):
    return math.sin(a) * math.exp(b) + c * math.cos(a * b)


def with_ufuncs(x):
    return np.sin(x) * np.exp(-x * x)


def stepper(x, k):
    dt = 0.01
    for i in range(5):
        x = x + dt * np.tanh(k * x)
    return x * x


def branchy(x, y):
    if np.isnan(x) or x > 1.0:
        z = math.log(x) * y
    else:
        z = np.exp(x) - y
    return z * z + abs(y)


GLOBAL_ROW = np.array([1.0, 2.0])


def through_a_global_array(x, y):
    return np.sum(GLOBAL_ROW * x) * y


def through_a_0d_array(x, y):
    return np.sum(np.full((), x) * y) + x


def quotients(x, y):
    return math.exp(-x * x) * math.sin(y) + math.log(1.0 + x * x + y * y) \
        / (1.0 + math.tanh(x * y) ** 2)


def indexed_sum(x, y):
    s = 0.0
    for i in range(6):
        s = s + math.sin(x * i) * y / (1.0 + i)
    return s


def fixed_point(a):
    x = 1.0
    err = 1.0
    while err > 1e-12:
        xn = np.cos(a * x)
        err = abs(xn - x)
        x = xn
    return x


def selections(x, y):
    return math.atan2(y, x) + math.hypot(x, y) + abs(x - y) + max(x, y) + min(x, 2.0 * y)


def powers(x, y):
    return np.tanh(x) * np.sinh(y) + np.arctan(x / y) + x ** y


def early_return(x, y):
    if x > y:
        return np.exp(x) * y
    return np.log(1.0 + x * x) / y


CASES = [(rosenbrock2, (0.3, 0.7)), (with_math, (0.3, 0.7, 1.1)), (with_ufuncs, (0.4,)),
         (stepper, (0.5, 1.5)), (branchy, (0.5, 2.0)), (branchy, (1.5, 2.0)),
         (through_a_global_array, (0.5, 2.0)), (through_a_0d_array, (0.5, 2.0)),
         (quotients, (0.4, 0.9)), (indexed_sum, (0.3, 0.5)), (fixed_point, (0.7,)),
         (selections, (0.7, 1.3)), (selections, (1.3, 0.4)), (powers, (0.7, 1.3)),
         (early_return, (0.7, 1.3)), (early_return, (1.7, 1.3))]


def _version(df, *args):
    """The version ``df`` runs for the Python numbers ``args``."""
    df(*args)
    kinds = tuple(type(a) for a in args)   # (then the kinds of global arrays it reads)
    [version] = [v for key, v in df.versions.items() if key[:len(kinds)] == kinds]
    return version


def _wrt(args):
    return tuple(range(len(args))) if len(args) > 1 else 0


@pytest.mark.parametrize("f,args", CASES)
@pytest.mark.parametrize("kind", [float, np.float64, np.float32])
def test_versions_of_numbers_agree_with_the_generic_derivative(f, args, kind):
    args = tuple(kind(a) for a in args)
    wrt = _wrt(args)
    for seed in (1.0, -2.5):
        df = tl.grad(f, wrt=wrt)
        got, want = df(*args, seed), df.generic(*args, seed)
        got, want = (got, want) if isinstance(wrt, tuple) else ((got,), (want,))
        assert df.versions and all(v is not df.generic for v in df.versions.values())
        for g, w in zip(got, want):
            # (a NumPy float64's gradient may be a float, as before numbers.py)
            assert type(g) is type(w) if kind is float else \
                np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_allclose(g, w, rtol=1e-6 if kind is np.float32 else 1e-13)
    value, grads = tl.value_and_grad(f, wrt=wrt)(*args)
    assert value == f(*args)
    if kind is not np.float32:
        expected = [fd(lambda v: f(*args[:i], v, *args[i + 1:]), a)
                    for i, a in enumerate(args)]
        np.testing.assert_allclose(grads if isinstance(wrt, tuple) else (grads,),
                                   expected, rtol=1e-6, atol=1e-9)


def test_the_gradients_of_numbers_are_returned_without_a_test():
    df = tl.grad(rosenbrock2, wrt=(0, 1))
    version = _version(df, 0.3, 0.7)
    assert "shaped" not in version.source and "__class__ is not ndarray" not in version.source
    assert version.source.endswith("return (bx, by)\n")


def identity(x):
    return x


def test_the_constant_gradient_of_a_number_is_returned_without_a_test():
    # (the gradient 1.0 was `1.0 if 1.0.__class__ is not ndarray else 1.0`)
    df = tl.grad(identity)
    version = _version(df, 0.3)
    assert "ndarray" not in version.source and version.source.endswith("return 1.0\n")
    assert df(0.3) == 1.0 and type(df(0.3)) is float and df(np.float64(0.3)) == 1.0


def test_a_forward_version_reads_its_tangent_as_the_constant_one():
    df = tl.grad(with_ufuncs)
    version = _version(df, 0.4)
    assert "dx = 1.0" not in version.source and "require_scalar" not in version.source
    assert "    dt1 = np.cos(x)\n" in version.source   # (not dx * np.cos(x))
    assert "    dt3 = -x + t2\n" in version.source      # (not dt2 * x + t2 * dx)


def test_math_results_fold_their_unit_factors():
    df = tl.grad(with_math, wrt=(0, 1, 2))
    version = _version(df, 0.3, 0.7, 1.1)
    assert "1.0 *" not in version.source and "shaped" not in version.source


def test_the_users_named_constants_keep_their_names():
    df = tl.grad(stepper)
    version = _version(df, 0.5, 1.5)
    assert "    dt = 0.01\n" in version.source and "dt * " in version.source


@pytest.mark.parametrize("f", [through_a_global_array, through_a_0d_array])
def test_values_that_may_be_arrays_keep_their_test(f):
    df = tl.grad(f, wrt=(0, 1))
    version = _version(df, 0.5, 2.0)
    assert "__class__ is not ndarray" in version.source or "shaped(" in version.source


@pytest.mark.parametrize("f,args", [(rosenbrock2, (0.3, 0.7)), (with_ufuncs, (0.4,)),
                                    (stepper, (0.5, 1.5))])
def test_second_derivatives_of_number_versions(f, args):
    first = tl.grad(f)
    second = tl.grad(first)
    got = second(*args)
    second(*args)   # (its version)
    np.testing.assert_allclose(got, fd(lambda v: first(v, *args[1:]), args[0]), rtol=1e-6)
    np.testing.assert_allclose(second(*args), second.generic(*args, 1.0), rtol=1e-12)


@pytest.mark.parametrize("wrt", [0, (0, 1)])
def test_runtime_helpers_of_numbers_are_plain_arithmetic(wrt):
    # forward (wrt=0) and reverse (both) versions of Python floats: a tangent widened to
    # a number's shape is itself, and a quotient is a division but where its divisor is
    # zero, which the helper is left for (quotients took 15x a hand-written gradient)
    df = tl.grad(quotients, wrt=wrt)
    version = _version(df, 0.4, 0.9)
    assert "broadcast_like" not in version.source and "shaped" not in version.source
    assert " / t9 if t9 else quotient(" in version.source


def test_the_zero_of_a_float_is_the_number_zero():
    df = tl.grad(fixed_point)
    version = _version(df, 0.7)
    assert "zeros_like" not in version.source and "    dx = 0.0\n" in version.source


def test_the_index_of_an_adjoint_loop_is_a_number():
    df = tl.grad(indexed_sum, wrt=(0, 1))
    version = _version(df, 0.3, 0.5)
    assert "quotient(1.0, t4)" in version.source and "1.0 / t4 if t4" in version.source
    assert "bx if bx.__class__" not in version.source


def over_a_zero(x, y):
    return np.log(x) * y + np.arctanh(y)


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_a_quotient_by_a_zero_keeps_numpys_inf(wrt):
    # (a Python zero divisor raises in `a / b`: the version's helper gives NumPy's inf)
    df = tl.grad(over_a_zero, wrt=wrt)
    with np.errstate(divide="ignore", invalid="ignore"):
        for args in [(0.5, 0.5), (0.0, 0.5), (0.5, 1.0), (-0.0, 1.0)]:
            got, want = df(*args), df.generic(*args, 1.0)
            np.testing.assert_array_equal(got, want)


# -- the elements of an array argument, read one at a time, are numbers --------------------
def moving_average(alpha, x):
    s = x[0]
    for t in range(1, x.shape[0]):
        s = alpha * x[t] + (1.0 - alpha) * s
    return s


def rows_and_elements(alpha, M):
    s = 0.0
    for i in range(M.shape[0]):
        s = s + alpha * M[i, 0] * np.sum(M[i])   # (M[i] a row: an array)
    return s


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("f,shape", [(moving_average, (7,)), (rows_and_elements, (4, 3))])
def test_elements_of_array_arguments(f, shape, dtype):
    x = (np.arange(np.prod(shape)).reshape(shape) % 5 - 1.5).astype(dtype)
    df = tl.grad(f)
    got = df(0.3, x)
    version = df.versions[next(iter(df.versions))]
    np.testing.assert_allclose(got, df.generic(0.3, x, 1.0), rtol=1e-6 if dtype == np.float32
                               else 1e-13)
    if dtype != np.float32:
        np.testing.assert_allclose(got, fd(lambda a: f(a, x), 0.3), rtol=1e-6)
    if dtype == np.float64 and f is moving_average:
        # (x[t] a float64: the tangent of alpha * x[t] is x[t] itself, the zero a 0.0)
        assert "broadcast_like" not in version.source and "zeros_like" not in version.source
        assert "shaped" not in version.source


@pytest.mark.parametrize("wrt", [0, (0, 1)])
@pytest.mark.parametrize("f", [selections, powers])
def test_shares_signs_and_powers_of_numbers_are_numbers(f, wrt):
    # (larger/smaller of max and min, sign_of of abs, scaled_power of x ** y, and the
    # adjoints summed to a number's shape: each a number, no helper to undo arrays)
    df = tl.grad(f, wrt=wrt)
    version = _version(df, 0.7, 1.3)
    assert "broadcast_like" not in version.source and "unbroadcast" not in version.source
    if f is selections:
        assert "shaped" not in version.source


def test_the_tangent_of_a_result_set_on_each_path_starts_as_zero():
    # (early returns: `result = None`, its tangent 0.0, not zeros_like(None))
    df = tl.grad(early_return)
    version = _version(df, 0.7, 1.3)
    assert "zeros_like" not in version.source and "    dresult = 0.0\n" in version.source
    # (result is None or a number: its tangent's widening and shaping are no-ops)
    assert "broadcast_like" not in version.source and "shaped" not in version.source


@pytest.mark.parametrize("kind", [np.float64, np.float32])
def test_shares_of_numpy_numbers_are_numbers(kind):
    from tangentlike.rules.selection import larger, smaller
    x, y = kind(0.5), kind(0.25)
    for share in (larger(x, y), smaller(x, y), larger(x, x)):
        assert isinstance(share, np.floating) and share.dtype == kind
    assert larger(np.array(0.5), 0.25).__class__ is np.ndarray   # (0-d arrays stay arrays)


def best_of(x, y):
    best = None
    for v in (x * 2.0, y * 3.0, x * y):
        if best is None or v > best:
            best = v
    return best * x


def maybe_none(x, y):
    r = None
    if x > y:
        r = x * y
    return r


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_names_that_start_as_none(wrt):
    # (`best = None`, then numbers: what arithmetic reads of it is a number)
    for args in [(0.7, 0.2), (0.3, 0.9), (2.0, 0.5)]:
        df = tl.grad(best_of, wrt=wrt)
        got, want = df(*args), df.generic(*args, 1.0)
        np.testing.assert_allclose(got, want, rtol=1e-13)
        expected = [fd(lambda v: best_of(*args[:i], v, *args[i + 1:]), a)
                    for i, a in enumerate(args)]
        np.testing.assert_allclose(got, expected if wrt == (0, 1) else expected[wrt],
                                   rtol=1e-6)
    df = tl.grad(maybe_none, wrt=wrt)
    assert np.allclose(df(0.7, 0.2), tl.grad(maybe_none, wrt=wrt).generic(0.7, 0.2, 1.0))
    with pytest.raises(TypeError, match="returns no number"):
        df(0.2, 0.7)   # (None returned: refused by the version as by the generic code)
