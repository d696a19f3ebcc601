"""Numerics at the edges: infinite and NaN inputs, float32 inputs, integer-valued floats,
empty arrays and loops that run zero times."""
import math

import numpy as np
import pytest

import tangentlike as tl
from util import make_function


def bug(reason):
    return pytest.mark.xfail(strict=True, reason="BUG: " + reason)


NAMES = {"np": np, "math": math, "trapezoid": getattr(np, "trapezoid", None) or getattr(np, "trapz")}
try:
    import scipy.special as sc
    NAMES["sc"] = sc
except ImportError:   # SciPy is optional
    sc = None


def build(body, name="f", params="x"):
    return make_function(f"def {name}({params}):\n" + "".join(
        "    " + line + "\n" for line in body.strip().splitlines()), dict(NAMES), name=name)


# -- infinities ---------------------------------------------------------------------------------
# (function of an array, its gradient at [+inf, -inf, 0.5]): limits that are finite.
AT_INFINITY = {
    "tanh": ("return np.sum(np.tanh(x))", [0.0, 0.0, 1 - np.tanh(0.5) ** 2]),
    "arctan": ("return np.sum(np.arctan(x))", [0.0, 0.0, 1 / 1.25]),
    "maximum": ("return np.sum(np.maximum(x, 0.0))", [1.0, 0.0, 1.0]),
    "clip": ("return np.sum(np.clip(x, -1.0, 1.0))", [0.0, 0.0, 1.0]),
    "sum": ("return np.sum(x * 2.0)", [2.0, 2.0, 2.0]),
    "exp of -x*x": ("return np.sum(np.exp(-np.abs(x)))", [0.0, 0.0, -np.exp(-0.5)]),
    "softplus": ("return np.sum(np.logaddexp(0.0, x))", [1.0, 0.0, 1 / (1 + np.exp(-0.5))]),
    "softplus base 2": ("return np.sum(np.logaddexp2(x, 0.0))",
                        [1.0, 0.0, 1 / (1 + 2.0 ** -0.5)]),
}
INF = np.array([np.inf, -np.inf, 0.5])


@pytest.mark.parametrize("body,expected", list(AT_INFINITY.values()), ids=list(AT_INFINITY))
def test_gradient_at_infinity_is_the_limit(body, expected):
    f = build(body)
    with np.errstate(all="ignore"):
        g = tl.grad(f)(INF)
        columns = [tl.jvp(f)(INF, e) for e in np.eye(3)]
    np.testing.assert_allclose(g, expected)
    np.testing.assert_allclose(columns, expected)


def test_scalar_gradient_at_infinity():
    f = build("return np.tanh(x) * 2.0")
    assert tl.grad(f)(np.inf) == 0.0 and tl.grad(f)(-np.inf) == 0.0
    assert tl.jvp(f)(np.inf, 1.0) == 0.0


def test_infinite_value_gives_infinite_value_and_gradient_where_python_does():
    f = build("return np.sum(x * x)")
    with np.errstate(all="ignore"):
        value, g = tl.value_and_grad(f)(np.array([np.inf, 1.0]))
    assert value == np.inf
    assert g[0] == np.inf and g[1] == 2.0


# -- NaN ------------------------------------------------------------------------------------------
NAN_FUNCTIONS = {
    "elementwise": "return np.sum(np.sin(x) * x)",
    "reduction": "return np.mean(x) * np.sum(x * x)",
    "loop": "for i in range(3):\n    x = np.tanh(x) + 0.1 * x\nreturn np.sum(x)",
    "writes": "y = np.zeros(3)\ny[0] = x[0] * x[0]\ny[1:] = x[1:] ** 2\nreturn np.sum(y)",
    "dot": "return np.dot(x, x)",
}


@pytest.mark.parametrize("body", list(NAN_FUNCTIONS.values()), ids=list(NAN_FUNCTIONS))
def test_nan_input_gives_nan_gradient_without_exception(body):
    f = build(body)
    x = np.array([np.nan, 0.3, -0.4])
    with np.errstate(invalid="ignore"):
        g = tl.grad(f)(x)
        value, g2 = tl.value_and_grad(f)(x)
        t = tl.jvp(f)(x, np.array([1.0, 0.0, 0.0]))
    assert np.isnan(g[0]) and np.isnan(g2[0]) and np.isnan(t)
    assert np.isnan(value)
    assert g.shape == (3,)


def test_nan_in_one_element_does_not_spread_through_elementwise_code():
    f = build("return np.sum(np.sin(x) * x)")
    with np.errstate(invalid="ignore"):
        g = tl.grad(f)(np.array([np.nan, 0.3, -0.4]))
    expected = np.cos([0.3, -0.4]) * [0.3, -0.4] + np.sin([0.3, -0.4])
    np.testing.assert_allclose(g[1:], expected)


def test_nan_scalar_input():
    f = build("return np.sin(x) * x")
    assert np.isnan(tl.grad(f)(float("nan")))
    assert np.isnan(tl.jvp(f)(float("nan"), 1.0))


# Was a bug: fmax and fmin shared the rule of maximum and minimum, which gives a NaN's
# partner no derivative: fmax(1.0, nan) is 1.0, but its derivative in x was 0.
def test_fmax_and_fmin_send_the_derivative_to_the_number_beside_a_nan():
    f = build("return np.sum(np.fmax(x, y) + 2.0 * np.fmin(x, y))", params="x, y")
    x, y = np.array([0.3, np.nan, 1.0]), np.array([np.nan, 0.5, -1.0])
    gx, gy = tl.grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [3.0, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.0, 3.0, 2.0])
    assert tl.jvp(f, wrt=(0, 1))(x, y, (np.ones(3), np.zeros(3))) == 4.0
    assert tl.jvp(f, wrt=(0, 1))(x, y, (np.zeros(3), np.ones(3))) == 5.0


# Was a bug: the builtin max(a, b) (and min) gave its derivative to b beside a NaN, also
# where Python returns a: max(0.7, nan) is 0.7, whose derivative in a is 1, not 0.
@pytest.mark.parametrize("builtin", ["max", "min"])
def test_builtin_max_and_min_beside_a_nan_follow_the_argument_python_returns(builtin):
    f = build(f"return {builtin}(a, b) * 3.0", params="a, b")
    nan = float("nan")
    for a, b, expected in [(0.7, nan, (3.0, 0.0)), (nan, 0.7, (3.0, 0.0)),
                           (np.float32(0.7), np.float32(nan), (3.0, 0.0)),
                           (np.array(0.7), np.array(nan), (3.0, 0.0))]:
        ga, gb = tl.grad(f, wrt=(0, 1))(a, b)
        assert (ga, gb) == expected, (a, b, ga, gb)
        assert tl.grad(f, wrt=(0, 1)).generic(a, b) == expected
        assert tl.jvp(f, wrt=(0, 1))(a, b, (1.0, 0.0)) == expected[0]
        assert tl.jvp(f, wrt=(0, 1))(a, b, (0.0, 1.0)) == expected[1]
    g = build(f"return {builtin}(x[0], x[1]) * np.sum(x)")   # (elements of an array)
    with np.errstate(invalid="ignore"):
        gx = tl.grad(g)(np.array([0.7, nan]))
    assert np.isnan(gx).all()   # the sum reads the NaN: NaN everywhere, as the chain rule
    h = build(f"return {builtin}(x[0], x[1]) * 2.0")
    np.testing.assert_array_equal(tl.grad(h)(np.array([0.7, nan])), [2.0, 0.0])


# docs/conventions.md: np.maximum, np.minimum and np.clip give the NaN element 0 and its
# partner the derivative (NumPy's result is the NaN); np.max gives its slot NaN
def test_numpy_maximum_and_max_beside_a_nan_as_documented():
    x = np.array([np.nan, 1.0, -1.0])
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(tl.grad(build("return np.sum(np.maximum(x, 0.0))"))(x),
                                      [0.0, 1.0, 0.0])
        np.testing.assert_array_equal(tl.grad(build("return np.sum(np.clip(x, -0.5, 0.5))"))(x),
                                      [0.0, 0.0, 0.0])
        gx, gy = tl.grad(build("return np.sum(np.minimum(x, y))", params="x, y"),
                         wrt=(0, 1))(x, np.zeros(3))
        np.testing.assert_array_equal(gx, [0.0, 0.0, 1.0])
        np.testing.assert_array_equal(gy, [1.0, 1.0, 0.0])
        g = tl.grad(build("return np.sum(np.max(x, axis=1))"))(
            np.array([[np.nan, 1.0], [2.0, 3.0]]))
    np.testing.assert_array_equal(g, [[np.nan, np.nan], [0.0, 1.0]])


def test_branch_on_nan_takes_the_else_side_like_python():
    f = build("if x > 0.0:\n    return x * 2.0\nreturn x * 3.0")
    assert tl.grad(f)(float("nan")) == 3.0


# -- float32 --------------------------------------------------------------------------------------
FLOAT32 = {
    "elementwise": "return np.sum(np.sin(x) * np.tanh(x))",
    "sum": "return np.sum(x * x)",
    "mean": "return np.mean(x * x)",
    "dot": "return np.dot(x, x)",
    "matmul": "return x @ x",
    "prod": "return np.prod(x)",
    "norm": "return np.linalg.norm(x)",
    "loop": "for i in range(3):\n    x = np.sin(x) * 0.9 + 0.1 * x\nreturn np.sum(x)",
    "while": "i = 0\nwhile i < 2:\n    x = x * 0.5 + np.cos(x)\n    i = i + 1\nreturn np.sum(x)",
    "branch": "if np.sum(x) > 0:\n    return np.sum(x * x)\nreturn np.sum(x)",
    "writes": "y = np.zeros_like(x)\ny[0] = x[1]\ny[1:] = x[:2] * 2.0\nreturn np.sum(y * y)",
    "list": "rows = []\nfor i in range(2):\n    rows.append(x * i)\nreturn np.sum(np.stack(rows))",
    "maximum": "return np.sum(np.maximum(x, 0.0))",
    "clip": "return np.sum(np.clip(x, -0.5, 0.5))",
    "max": "return np.max(x)",
    # the other rules that split a derivative by weights (ties, order statistics)
    "minimum": "return np.sum(np.minimum(x, 0.0))",
    "fmax": "return np.sum(np.fmax(x, 0.0))",
    "fmin": "return np.sum(np.fmin(x, 0.0))",
    "maximum at ties": "return np.sum(np.maximum(x, x))",
    "clip with array bounds": "return np.sum(np.clip(x, x * 0.5, x * 0.5 + 0.1))",
    "min": "return np.min(x)",
    "amax over axis": "return np.sum(np.amax(np.stack([x, x * x]), axis=0))",
    "amin": "return np.amin(x)",
    "nanmax": "return np.nanmax(x)",
    "nanmin": "return np.nanmin(x)",
    "max at ties": "return np.max(np.concatenate([x, x]))",
    "max keepdims": "return np.sum(np.max(np.stack([x, x * x]), axis=0, keepdims=True))",
    "ptp": "return np.ptp(x)",
    "norm inf": "return np.linalg.norm(x, np.inf)",
    "norm 1": "return np.linalg.norm(x, 1)",
    "abs": "return np.sum(np.abs(x))",
    "sort": "return np.sum(np.sort(x) * np.arange(3.0, dtype=np.float32))",
    "median": "return np.median(x)",
    "quantile": "return np.quantile(x, 0.3)",
    "percentile": "return np.percentile(x, 80.0)",
    "builtin max": "return max(x[0], x[1]) * x[2]",
    "builtin min": "return min(x[0], x[1]) * x[2]",
    # found by hunt3 (were float64): np.log(2.0) constants, float64 ones as weights, the
    # seed summed by np.sum where the other term's shape is unknown
    "log2": "return np.sum(np.log2(x * x + 1.0))",
    "log10": "return np.sum(np.log10(x * x + 1.0))",
    "exp2": "return np.sum(np.exp2(x))",
    "average": "return np.average(x)",
    "sum with a term of unknown shape": "return max(x[0], 0.1) + np.sum(x)",
    # found by hunt4 (were float64): counts of non-NaN entries as int64, float64 eye/ones
    "nanmean": "return np.nanmean(x)",
    "nanvar": "return np.nanvar(x)",
    "nanstd": "return np.nanstd(x)",
    "nanmean over axis": "return np.sum(np.nanmean(np.stack([x, x * x]), axis=0))",
    "einsum of one operand": "return np.sum(np.einsum('ij->j', np.stack([x, x * x])))",
    "einsum diagonal": "return np.einsum('ii', np.outer(x, x))",
    "pinv": "return np.sum(np.linalg.pinv(np.stack([x, x * x + 1.0])))",
    # were float64: int64 and float64 powers in np.polyval's rule, float64 weights in
    # np.trapezoid's
    "polyval": "return np.sum(np.polyval(x, x))",
    "trapezoid": "return trapezoid(x * x)",
}
if sc is not None:   # np.sqrt(np.pi) constants (float64) in SciPy's special functions' rules
    FLOAT32.update({
        "erf": "return np.sum(sc.erf(x))",
        "ndtr": "return np.sum(sc.ndtr(x) + sc.log_ndtr(x))",
        "ndtri": "return np.sum(sc.ndtri(x * 0.1 + 0.5))",
        "gammaln": "return np.sum(sc.gammaln(x + 2.0))",
        # was float64: sc.polygamma(1, x) in digamma's adjoint (issue 7)
        "digamma": "return np.sum(sc.digamma(x + 2.0))",
    })
# Was a bug (fixed in 29bf554): the default seed of grad is the Python float 1.0, and
# np.full(np.shape(x), bout) in the adjoints of sum, mean, ... made float64 gradients.
# Was a bug: the tie-splitting rules (maximum, clip, max, ...) built float64 weights
# (np.where(x == y, 0.5, x > y)); they now build them in the inputs' dtype.
X32 = np.array([0.3, -0.6, 0.9], dtype=np.float32)


@pytest.mark.parametrize("body", list(FLOAT32.values()), ids=list(FLOAT32))
def test_grad_of_float32_input_is_float32(body):
    g = tl.grad(build(body))(X32)
    assert g.dtype == np.float32
    value, g2 = tl.value_and_grad(build(body, name="g"))(X32)
    assert g2.dtype == np.float32 and np.asarray(value).dtype == np.float32


@pytest.mark.parametrize("body", list(FLOAT32.values()), ids=list(FLOAT32))
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_generic_gradient_of_float32_input_is_float32(body, dtype):
    # the generic derivative: the fallback after MAX_VERSIONS versions and for arguments
    # the dispatcher does not specialize
    f = build(body)
    x = X32.astype(dtype)
    try:
        f(x)
    except TypeError:   # np.linalg takes no float16
        pytest.skip(f"the function takes no {dtype.__name__}")
    for g in (tl.grad(f).generic(x), tl.value_and_grad(f).generic(x)[1],
              tl.vjp(f).generic(x, 1.0)):
        assert g.dtype == dtype


# Was a bug: the generic derivative returned the adjoint as it came, float64 where it met
# a float64 value (a float64 global or argument, np.eye, an int64 np.arange); versions
# cast it back to the input's dtype.
PROMOTING = {
    "float64 global": "return np.sum(x * C)",
    "float64 constant": "return np.sum(x[::2] * x[1::2] + np.float64(1.0))",
    "stack and float64": "return np.sum(np.stack([x, x]) * np.float64(3.0))",
    "eye": "return np.sum(x @ np.eye(len(x)))",
    "arange": "return np.sum(np.sort(x) * np.arange(len(x)))",
    "float64 argument": "return np.sum(x * w)",
}


@pytest.mark.parametrize("body", list(PROMOTING.values()), ids=list(PROMOTING))
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_gradient_that_meets_float64_keeps_the_input_dtype(body, dtype):
    f = make_function("def f(x, w):\n    " + body + "\n", {"np": np, "C": np.float64(2.0)})
    x, w = X32.astype(dtype), np.array([1.0, 2.0, 3.0])
    for g in (tl.grad(f)(x, w), tl.grad(f).generic(x, w), tl.value_and_grad(f).generic(x, w)[1],
              tl.vjp(f)(x, w, 1.0), tl.vjp(f).generic(x, w, 1.0)):
        assert g.dtype == dtype
    g, gw = tl.grad(f, wrt=(0, 1)).generic(x, w)
    assert g.dtype == dtype and gw.dtype == np.float64


@pytest.mark.parametrize("body", list(FLOAT32.values()), ids=list(FLOAT32))
def test_vjp_of_float32_with_float32_seed_is_float32(body):
    f = build(body)
    assert tl.vjp(f)(X32, np.float32(1.0)).dtype == np.float32


@pytest.mark.parametrize("body", list(FLOAT32.values()), ids=list(FLOAT32))
def test_jvp_of_float32_is_float32(body):
    f = build(body)
    assert np.asarray(tl.jvp(f)(X32, np.ones(3, np.float32))).dtype == np.float32


@pytest.mark.parametrize("body", [
    "return np.maximum(x, 0.0)", "return np.minimum(x, 0.5)", "return np.fmax(x, 0.0)",
    "return np.clip(x, -1.0, 0.25)", "return np.max(x)", "return max(x, 0.5)",
], ids=["maximum", "minimum", "fmax", "clip", "max", "builtin max"])
def test_tie_splitting_of_a_float32_scalar_is_float32(body):
    f = build(body)
    for x in (np.float32(0.5), np.float32(-0.5)):   # 0.5 is a tie for minimum and max
        assert np.asarray(tl.grad(f)(x)).dtype == np.float32
        # the tangent has the output's dtype (`max(x, 0.5)` at -0.5 is the float 0.5)
        assert np.asarray(tl.jvp(f)(x, np.float32(1.0))).dtype == np.asarray(f(x)).dtype


def test_float32_scalar_keeps_float32():
    f = build("return np.sin(x) * x")
    assert np.asarray(tl.grad(f)(np.float32(0.5))).dtype == np.float32
    assert np.asarray(tl.jvp(f)(np.float32(0.5), np.float32(1.0))).dtype == np.float32


# -- integer-valued floats ----------------------------------------------------------------------------
INTEGER_VALUED = {
    "cube": ("return x ** 3", 3.0),
    "power with float exponent": ("return x ** 2.0", 3.0),
    "np.power": ("return np.power(x, 3.0)", -2.0),
    "x ** x": ("return x ** x", 2.0),
    "exponent variable": ("return 2.0 ** x", 3.0),
    "sqrt": ("return np.sqrt(x)", 4.0),
    "log": ("return np.log(x)", 1.0),
    "sin at 0": ("return np.sin(x) * x + x", 0.0),
    "division": ("return 1.0 / x", 2.0),
    "loop on value": ("y = x\nfor i in range(3):\n    y = y * x\nreturn y", 1.0),
}


@pytest.mark.parametrize("body,x", list(INTEGER_VALUED.values()), ids=list(INTEGER_VALUED))
def test_integer_valued_float_inputs(body, x):
    f = build(body)
    tl.check_grads(f, (x,), order=2)
    g = tl.grad(f)(x)
    assert isinstance(g, float) or np.ndim(g) == 0
    assert np.isclose(tl.grad(f)(x), tl.grad(f)(np.float64(x)))


def test_integer_valued_array_inputs():
    f = build("return np.sum(x ** 3 + np.sqrt(x))")
    x = np.array([1.0, 2.0, 4.0])
    tl.check_grads(f, (x,), order=2)
    np.testing.assert_allclose(tl.grad(f)(x), 3 * x ** 2 + 0.5 / np.sqrt(x))


# -- empty arrays ------------------------------------------------------------------------------------
EMPTY = {
    "sum": "return np.sum(x)",
    "sum of square": "return np.sum(x * x)",
    "dot": "return np.dot(x.ravel(), x.ravel())",
    "loop over elements": "s = 0.0\nfor v in x:\n    s = s + v * v\nreturn s",
    "loop over range(len)": "s = 0.0\nfor i in range(len(x)):\n    s = s + np.sin(x[i])\nreturn s",
    "elementwise then sum": "return np.sum(np.tanh(x) * 2.0)",
}


@pytest.mark.parametrize("body", list(EMPTY.values()), ids=list(EMPTY))
@pytest.mark.parametrize("shape", [(0,), (0, 3)], ids=["0", "0x3"])
def test_empty_array_gradient_is_an_empty_array(body, shape):
    f = build(body)
    x = np.zeros(shape)
    g = tl.grad(f)(x)
    assert isinstance(g, np.ndarray) and g.shape == shape, repr(g)
    value, g2 = tl.value_and_grad(f)(x)
    assert value == 0.0 and g2.shape == shape
    assert tl.jvp(f)(x, np.zeros(shape)) == 0.0


def test_empty_array_vjp_of_vector_output():
    f = build("return np.sin(x) * 2.0")
    g = tl.vjp(f)(np.zeros(0), np.zeros(0))
    assert isinstance(g, np.ndarray) and g.shape == (0,)


# -- zero-iteration loops --------------------------------------------------------------------------
ZERO_TRIPS = {
    "for range(n)": "for i in range(n):\n    x = np.sin(x) * 2.0\nreturn np.sum(x)",
    "for range(n) accumulate": "s = 0.0\nfor i in range(n):\n    s = s + np.sum(x * i)\n"
                               "return s",
    "while": "i = 0\nwhile i < n:\n    x = x * x\n    i = i + 1\nreturn np.sum(x)",
    "nested": "for i in range(n):\n    for j in range(3):\n        x = x * 1.5\nreturn np.sum(x)",
    "list": "rows = []\nfor i in range(n):\n    rows.append(x * i)\nreturn np.sum(x) * len(rows)",
    "writes": "y = np.zeros(3)\nfor i in range(n):\n    y[i] = np.sum(x) * i\nreturn np.sum(y)",
}


# Was a bug: the gradient of a Python float came back as a 0-d ndarray when it flowed
# through the adjoint of np.sum (np.full(np.shape(x), b)), and shaped() did not turn it
# back into a float.
def zero_trip_cases():
    for label, body in ZERO_TRIPS.items():
        for x_id, x in [("array", np.array([0.3, -0.6])), ("float", 0.7),
                        ("0-d array", np.array(0.4)), ("matrix", np.ones((2, 2)))]:
            yield pytest.param(body, x, id=f"{x_id}-{label}")


@pytest.mark.parametrize("body,x", list(zero_trip_cases()))
def test_zero_iteration_loop_gradient_has_the_inputs_type(body, x):
    f = build(body, params="x, n")
    g = tl.grad(f)(x, 0)
    if isinstance(x, float):
        assert isinstance(g, float), repr(g)           # np.float64 is a float
    elif np.ndim(x) == 0:
        assert np.shape(g) == (), repr(g)               # 0-d array or NumPy scalar
    else:
        assert isinstance(g, np.ndarray) and g.shape == np.shape(x), repr(g)
    value, g2 = tl.value_and_grad(f)(x, 0)
    assert np.shape(g2) == np.shape(x)
    assert np.isclose(value, f(x, 0))
    t = tl.jvp(f)(x, 0, np.ones_like(x) if np.ndim(x) else 1.0)
    assert np.isclose(t, float(np.sum(tl.grad(f)(x, 0))))


@pytest.mark.parametrize("body", [
    "return x * 2.0", "return np.sin(x) * x", "for i in range(n):\n    x = x * 1.5\nreturn x",
    "return np.sum(x)", "return np.mean(x * x)", "return np.mean(x, keepdims=True)",
    "return np.sum(x, keepdims=True)",
    "for i in range(n):\n    x = np.where(x > 0.0, x * x, 0.5 * x)\nreturn x",
    "s = 0.0\nfor i in range(n):\n    s = s + np.sum(x * i)\nreturn s",
], ids=["mul", "sin", "loop", "sum", "mean", "mean keepdims", "sum keepdims",
        "where in a loop", "sum in a loop"])
def test_gradient_of_a_float_is_a_float(body):
    f = build(body, params="x, n")
    assert isinstance(tl.grad(f)(0.7, 2), float)
    assert isinstance(tl.vjp(f)(0.7, 2, 1.0), float)
    assert isinstance(tl.value_and_grad(f)(0.7, 2)[1], float)


@pytest.mark.parametrize("body", [
    "return np.where(x > 0.0, x, 0.0)", "return np.nan_to_num(x) * 2.0",
    "y = np.asarray(x)\nreturn np.sum(y * y)", "return np.sum(np.reshape(x, (1,)))",
    "return np.sum(np.inner(np.ones(3), x))",
], ids=["where", "nan_to_num", "asarray", "reshape", "inner"])
def test_gradient_of_a_float_through_a_0d_adjoint_is_a_float(body):
    f = build(body)
    assert isinstance(tl.grad(f)(0.7), float)


def test_gradient_of_a_scalar_that_stays_0d_in_control_flow_is_a_scalar():
    # np.reshape's adjoint gives a 0-d array; after a loop the gradient passes shaped()
    f = build("s = 0.0\nfor i in range(n):\n    s = s + x * 1.0\n"
              "return s + np.sum(np.reshape(x, (1,)))", params="x, n")
    for n in (0, 2):
        assert isinstance(tl.grad(f)(0.7, n), float)
        g = tl.grad(f)(np.float32(0.7), n)
        assert isinstance(g, np.float32), repr(g)
        assert np.shape(tl.grad(f)(np.array(0.7), n)) == ()


def test_unused_input_gradient_is_zeros_of_its_type():
    f = build("return 3.0", params="x, y")
    gx, gy = tl.grad(f, wrt=(0, 1))(np.ones(3), 0.5)
    assert isinstance(gx, np.ndarray) and gx.shape == (3,) and not gx.any()
    assert np.ndim(gy) == 0 and gy == 0.0


# -- the math module at the edge of its domain -------------------------------------------------
# Was a bug: math.sqrt at 0 (and math.asin, acos, acosh, atan2, hypot, cbrt, pow at their
# edges) raised ZeroDivisionError or "math domain error" from the derivative where the
# primal succeeded. They give NumPy's inf or nan now, as their np spellings do.
MATH_EDGES = {   # math body, the same with np, the point
    "sqrt at 0": ("return math.sqrt(x)", "return np.sqrt(x)", 0.0),
    "sqrt of zero": ("return math.sqrt(x * 0.0) + x", "return np.sqrt(x * 0.0) + x", 0.5),
    "asin at -1": ("return math.asin(x)", "return np.arcsin(x)", -1.0),
    "acos at 1": ("return math.acos(x)", "return np.arccos(x)", 1.0),
    "acosh at 1": ("return math.acosh(x)", "return np.arccosh(x)", 1.0),
    "atan2 at 0": ("return math.atan2(x, x)", "return np.arctan2(x, x)", 0.0),
    "hypot at 0": ("return math.hypot(x, x)", "return np.hypot(x, x)", 0.0),
    "pow at 0": ("return math.pow(x, 0.5)", "return np.power(x, 0.5)", 0.0),
    "pow exponent": ("return math.pow(0.0, x + 2.0)", "return np.power(0.0, x + 2.0)", 1.0),
    "pow negative base": ("return math.pow(x * 0.0 - 2.0, x)",
                          "return np.power(x * 0.0 - 2.0, x)", 2.0),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", sorted(MATH_EDGES))
def test_math_functions_at_the_edge_of_their_domain_give_inf_or_nan(case):
    body, numpy_body, x = MATH_EDGES[case]
    f, g = build(body), build(numpy_body)
    for derivative in (tl.grad, lambda h: (lambda v: tl.jvp(h)(v, 1.0)),
                       lambda h: tl.grad(tl.grad(h))):
        got, want = derivative(f)(x), derivative(g)(np.float64(x))
        assert isinstance(got, float), repr(got)
        np.testing.assert_array_equal(got, want)   # inf, -inf, nan as NumPy's


@pytest.mark.parametrize("body", [
    "return math.sqrt(x) * math.asin(x * 0.5)", "return math.acos(x * 0.5) + math.acosh(x + 1.0)",
    "return math.atan2(x, 0.3) * math.hypot(x, 0.4)", "return math.pow(x, x)",
    pytest.param("return math.pow(x, x) + math.cbrt(x)", marks=pytest.mark.skipif(
        not hasattr(math, "cbrt"), reason="math.cbrt is new in Python 3.11")),
])
def test_math_functions_inside_their_domain(body):
    tl.check_grads(build(body), (0.7,), order=2)


@pytest.mark.parametrize("body", ["return x ** y", "return np.power(x, y)",
                                  "return np.float_power(x, y)", "return math.pow(x, y)",
                                  "return np.sum(x ** y)"])
def test_derivative_by_the_exponent_at_a_zero_base_is_zero(body):
    # 0 ** y is 0 for every y > 0 near: its derivative by y is 0 (JAX and PyTorch agree),
    # not 0 * log(0) = nan
    f = make_function(f"def f(x, y):\n    {body}\n", {"np": np, "math": math})
    for x, y in [(0.0, 2.0), (0.0, 0.5), (np.zeros(3), 1.5)]:
        if np.ndim(x) and "sum" not in body:
            continue
        assert tl.grad(f, wrt=1)(x, y) == 0.0
        assert tl.jvp(f, wrt=1)(x, y, 1.0) == pytest.approx(0.0 * x)
        assert tl.grad(tl.grad(f, wrt=1), wrt=1)(x, y) == 0.0
    tl.check_grads(f, (0.7, 1.3), order=2)


@pytest.mark.parametrize("body", [
    "return np.linalg.norm(x - x) + np.sum(x)",
    "return np.linalg.norm(x - x, 1) + np.linalg.norm(x - x, np.inf) + np.linalg.norm(x - x, 3)",
    "return np.sum(np.linalg.norm(np.outer(x - x, x), axis=1))",
    "return np.sum(np.hypot(x - x, x * 0.0)) + math.hypot(x[0] - x[0], 0.0)",
])
def test_norm_at_the_zero_vector_has_the_subgradient_zero(body):
    # was: 0 / 0 = nan, spreading to every argument (hunt12); finite differences give
    # the derivative of the function, which is constant in the zero vector's part
    f = build(body)
    x = np.array([0.3, 0.9, 0.6])
    g = tl.grad(f)(x)
    assert np.all(np.isfinite(g)), g
    np.testing.assert_allclose(g, np.full(3, 1.0 if "np.sum(x)" in body else 0.0))
    assert np.isfinite(tl.jvp(f)(x, np.ones(3)))
    if ", 1)" not in body:   # (the 1-norm's second derivative at a zero component is nan)
        assert np.all(np.isfinite(tl.hessian(f)(x)))


# Was (edge14): `np.float32(x)` and `np.float16(x)` (a cast, as `x.astype(np.float32)`) were
# refused (*no derivative rule for `numpy.float32`*); np.float64(x) had its rule. They are
# the cast astype(x, 'float32'), whose rule passes the derivative on in x's dtype.
@pytest.mark.parametrize("body", ["return np.float32(np.sum(x * x)) * 2.0",
                                  "return np.sum(np.float32(x) ** 2)",
                                  "return np.float16(np.sum(x * x))",
                                  "y = np.float32(x)\nreturn np.sum(np.sin(y))",
                                  "return np.sum(np.float32([x[0], x[1]]) * 3.0)"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cast_by_a_numpy_float_type_passes_the_derivative_on(body, dtype):
    f = build(body)
    same_in_float64 = build(body.replace("np.float32", "np.float64")
                            .replace("np.float16", "np.float64"), name="g")
    x = np.array([0.5, -0.25], dtype=dtype)
    g = tl.grad(f)(x)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, tl.grad(same_in_float64)(x.astype(float)), rtol=1e-3)
    np.testing.assert_allclose(tl.jvp(f)(x, np.ones_like(x)),
                               tl.jvp(same_in_float64)(x.astype(float), np.ones(2)), rtol=1e-3)
    np.testing.assert_allclose(tl.hessian(f)(x),
                               tl.hessian(same_in_float64)(x.astype(float)), rtol=1e-3)


# Was (edge14): the gradient of a Python float came back a NumPy float32 when float32 data
# reached the derivative through a parameter the version was not specialized to (a list
# or tuple of float32 values, a bool given on an earlier call, whose version then served
# a float32): versions skipped cast_back for a Python float whenever the arguments they
# were specialized to were float64.
def scaled_by_first(x, c):
    return x * c[0]


def scaled_if_positive(x, c):
    if np.sum(c) > 0:
        return np.sum(x * c)
    return np.sum(x) * 2.0


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "vjp"])
def test_gradient_of_a_float_beside_float32_data_in_a_list_is_a_float(transform):
    df = getattr(tl, transform)(scaled_by_first)
    extra = (1.0,) if transform == "vjp" else ()
    for c in ([np.float32(2.0)], (np.float32(2.0),), [2.0]):
        g = df(0.5, c, *extra)
        g = g[1] if transform == "value_and_grad" else g
        assert type(g) is float and g == 2.0, repr(g)


@pytest.mark.parametrize("transform", ["grad", "vjp"])
def test_gradient_of_a_float_does_not_depend_on_earlier_calls(transform):
    df = getattr(tl, transform)(scaled_if_positive)
    extra = (1.0,) if transform == "vjp" else ()
    df(0.5, True, *extra)   # a version for a bool c, which is not specialized
    g = df(0.5, np.float32(2.0), *extra)
    assert type(g) is float and g == 2.0, repr(g)


SCALE32 = np.float32(2.0)
ONES32 = np.ones(3, dtype=np.float32)


def times_a_float32_global(x):
    return x * SCALE32


def summed_with_a_float32_global_array(x):
    return np.sum(x * ONES32)


def cast_to_float32(x):
    return np.float32(x) * 3.0


# Was (edge14): the same, for float32 data the function reads that is not an argument (a
# global, a cast to float32): a version for a Python float gave np.float32, the generic
# derivative (after MAX_VERSIONS versions) a float.
@pytest.mark.parametrize("func", [times_a_float32_global, summed_with_a_float32_global_array,
                                  cast_to_float32], ids=lambda f: f.__name__)
@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "vjp"])
def test_gradient_of_a_float_beside_float32_globals_and_casts_is_a_float(func, transform):
    df = getattr(tl, transform)(func)
    g = df(0.5, 1.0) if transform == "vjp" else df(0.5)
    g = g[1] if transform == "value_and_grad" else g
    assert type(g) is float, repr(g)
    assert g == tl.grad(func).generic(0.5, 1.0)


# Was a bug: the zero gradient of a NumPy float32 number was a 0-d array
# (np.zeros_like(np.float32(0.5))): the gradient of np.copysign(x, y) in y, and the second
# derivative of a function linear in pieces; and the zero second derivative of a 0-d
# float32 array was a Python float (float64) instead of a float32.
@pytest.mark.parametrize("x", [np.float32(0.5), np.array(0.5, dtype=np.float32),
                               np.float16(0.5)], ids=["float32", "0-d float32", "float16"])
def test_zero_derivatives_of_a_numpy_number_keep_its_dtype(x):
    copysign = build("return np.copysign(x, y) * 2.0", params="x, y")
    g = tl.grad(copysign, wrt=1)
    for got in (g(x, x), g.generic(x, x), tl.vjp(copysign, wrt=1)(x, x, x)):
        assert np.shape(got) == () and np.asarray(got).dtype == x.dtype, repr(got)
        assert not isinstance(got, np.ndarray) or x.__class__ is np.ndarray, repr(got)
    for body in ("return np.sum(np.abs(x) * np.pi)", "return np.sum(x * np.float64(2.5))",
                 "return max(np.sum(x), 0.5) * 2.0"):
        f = build(body)
        for got in (tl.jvp(tl.grad(f))(x, 1.0, x), tl.vjp(tl.grad(f))(x, 1.0, x),
                    tl.grad(tl.grad(f))(x)):
            assert got == 0.0 and np.asarray(got).dtype == x.dtype, (body, repr(got))


# Was a bug: the same, for float data rebound to float32 after the version was derived
# (a global or closure variable holding a float64 then): the version had left cast_back
# out, and the gradient of a Python float came back a NumPy float32 (3.0 as float32).
@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "vjp"])
@pytest.mark.parametrize("where", ["global", "closure"])
def test_gradient_of_a_float_after_data_is_rebound_to_float32_is_a_float(transform, where):
    if where == "global":
        f = make_function("def f(x):\n    return x * C + x * x\n", {"C": 2.0})
        rebind = lambda value: f.__globals__.update(C=value)   # noqa: E731
    else:
        def make():
            c = np.float64(2.0)

            def f(x):
                return x * c + x * x

            def rebind(value):
                nonlocal c
                c = value
            return f, rebind
        f, rebind = make()
    df = getattr(tl, transform)(f)
    call = (lambda x: df(x, 1.0)) if transform == "vjp" else \
        (lambda x: df(x)[1]) if transform == "value_and_grad" else df
    assert call(0.5) == 3.0
    rebind(np.float32(3.0))
    g = call(0.5)
    assert type(g) is float and g == 4.0, repr(g)


SMOOTH_FLOAT32 = ["elementwise", "sum", "mean", "dot", "prod", "norm", "loop", "while",
                  "writes", "list"]


# Was a false alarm: check_grads stepped float32 functions by float64's 1e-6, so its
# finite differences were float32 rounding noise (0.0300 against the exact 0.0312 for
# np.sum(np.sin(y) ** 2) of `y = x.astype(np.float32)`), and the two modes' float32
# results, which differ in the last bits, had to agree to 1e-9. A float of less precision
# in the arguments or the output now gets a step and tolerances made for it.
@pytest.mark.parametrize("name", SMOOTH_FLOAT32)
def test_check_grads_of_float32_functions(name):
    tl.check_grads(build(FLOAT32[name]), (X32.copy(),), order=2)


def test_check_grads_of_a_function_computing_in_float32():
    f = build("y = x.astype(np.float32)\nreturn np.sum(np.sin(y) ** 2)")
    tl.check_grads(f, (np.linspace(0.1, 1.0, 5),), order=2)


def test_check_grads_tolerances_follow_the_least_precise_float():
    from tangentlike.check import _tolerances
    x64, x32 = np.ones(2), np.ones(2, dtype=np.float32)
    assert _tolerances((x64, np.sum(x64)), None, None, None, None) == (1e-6, 1e-5, 1e-6, 1e-9)
    eps, rtol, atol, agree = _tolerances(([x64, x32], 0.0), None, None, None, None)
    assert 4e-3 < eps < 6e-3 and 1e-3 < rtol == atol < 5e-3 and agree < 2e-4
    # given values stay; the output counts (a float64 argument computed in float32)
    assert _tolerances((x64, np.float32(1.0)), 1e-3, None, 0.0, None)[:3:2] == (1e-3, 0.0)
    assert _tolerances((x64, np.float32(1.0)), None, None, None, None)[0] > 1e-3
    # resolved ones stay (the higher orders keep the top level's)
    assert _tolerances((x32,), 1.0, 2.0, 3.0, 4.0) == (1.0, 2.0, 3.0, 4.0)


# -- every rule with empty arrays (hunt21) ----------------------------------------------------------
# A bounded walk of the registry: each rule's example calls with one array argument
# replaced by an empty one ((0,) or (0, 0); for the first call also (0, n) and (n, 0)). Where the primal (the sum of
# its result) runs, the first derivative runs in reverse mode (the generic derivative,
# then the version) and forward mode, with an empty gradient shaped like the argument,
# and no exception but a TransformError. Found: np.take, np.compress of an empty array
# with indices NumPy does not check there (add_at raised NumPy's IndexError).
def _empty_calls():
    from tangentlike.rules import RULES
    from test_rules import _call_of
    rng = np.random.default_rng(21)
    out = []
    for rule in RULES.values():
        if rule.cases is None or rule.adjoint is None or \
                rule.name.startswith("tangentlike."):   # (the library's own helpers)
            continue
        for case, (args, kwargs) in enumerate(rule.cases(rng)):
            namespace, params, call, values = _call_of(rule, args, kwargs)
            for i, v in enumerate(values):
                if not (isinstance(v, np.ndarray) and v.dtype.kind == "f" and 1 <= v.ndim <= 2):
                    continue
                shapes = [(0,)] if v.ndim == 1 else [(0, 0)] + (
                    [(0, v.shape[1]), (v.shape[0], 0)] if case == 0 else [])
                for shape in shapes:
                    out.append(pytest.param(namespace, params, call, values, i, shape,
                                            id=f"{rule.name}-{case}-x{i}-{shape}"))
    return out


@pytest.mark.parametrize("namespace,params,call,values,i,shape", _empty_calls())
def test_every_rule_of_an_empty_array(namespace, params, call, values, i, shape):
    import warnings
    f = make_function(f"def f({', '.join(params)}):\n    return np.sum({call})\n", namespace)
    values = list(values)
    values[i] = np.zeros(shape)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            y = f(*values)
        except Exception:   # noqa: BLE001 - the primal refuses an empty array
            pytest.skip("the primal does not take it")
        if np.ndim(y) != 0 or np.asarray(y).dtype.kind != "f":
            pytest.skip("not a number")
        try:
            derived = tl.grad(f, wrt=i)
            for _ in range(2):   # the generic derivative, then the version
                g = derived(*values)
                assert isinstance(g, np.ndarray) and g.shape == shape, repr(g)
            tl.jvp(f, wrt=i)(*values, np.zeros(shape))
        except tl.TransformError:
            pass
