"""A corpus of straight-line functions, the kind users write, differentiated in reverse mode.

Every function is a real module-level ``def`` (closures come from factories), so
tangentlike reads its source the way it reads a user's. For each case:

- ``tl.check_grads(f, args, order=2)`` compares first and second derivatives with
  central differences;
- where the gradient is easy to write down, ``tl.grad(f, wrt)`` is compared with it.

Arguments are drawn from domains where every function is smooth (positive values under
logs and fractional powers, no ties in maximum/minimum, no zeros under abs).
"""
import copy
import math
from typing import Any, Callable, NamedTuple, Optional

import numpy as np
import pytest

import tangentlike as tl
import numpy as onp
from numpy import sin as npsin

RNG = np.random.default_rng(20240601)


def real(*shape):
    return RNG.uniform(-1.5, 1.5, shape) if shape else float(RNG.uniform(-1.5, 1.5))


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape) if shape else float(RNG.uniform(0.5, 2.0))


def away_from_zero(*shape):
    v = RNG.uniform(0.4, 1.6, shape) * RNG.choice([-1.0, 1.0], shape)
    return v if shape else float(v)


W_GLOBAL = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
SCALE = 3.0


# ---------------------------------------------------------------------------------------
# scalar arithmetic
def add_const(x):
    return x + 2.0


def const_minus(x):
    return 3.0 - x


def const_times(x):
    return 2.5 * x


def const_over(x):
    return 1.0 / x


def over_const(x):
    return x / 4.0


def negate(x):
    return -x * x


def unary_plus(x):
    return +x * x


def poly(x):
    return 3.0 * x ** 3 - 2.0 * x ** 2 + x - 7.0


def int_power(x):
    return x ** 4


def negative_base_int_power(x):
    # x is negative here; an integer exponent is well defined
    return x ** 3


def negative_base_int_power_sum(x):
    return np.sum(x ** 3)


def fractional_power(x):
    return x ** 1.5


def sqrt_power(x):
    return np.sum(x ** 0.5 + x ** -0.5)


def const_base_power(x):
    return 2.0 ** x


def power_of_two_inputs(x, y):
    return x ** y


def product_quotient(x, y):
    return x * y / (x + y)


def mixed_int_const(x):
    return np.sum(2 * x + 3 * x * x - 1)


# ---------------------------------------------------------------------------------------
# broadcasting
def scalar_times_vector(a, v):
    return np.sum(a * v)


def vector_plus_scalar(v, a):
    return np.sum((v + a) ** 2)


def matrix_minus_row(m, r):
    return np.sum(np.tanh(m - r))


def column_times_row(c, r):
    return np.sum(c * r)


def scalar_over_matrix(a, m):
    return np.sum(a / m)


def matrix_over_vector(m, v):
    return np.sum(m / v)


# ---------------------------------------------------------------------------------------
# products
def vec_dot_vec(x, y):
    return np.dot(x, y)


def mat_vec(a, x):
    return np.sum(np.dot(a, x))


def vec_mat(x, a):
    return np.sum(x @ a)


def mat_mat(a, b):
    return np.sum(np.tanh(a @ b))


def quadratic_form(x, a):
    return x @ a @ x


def matmul_fn(a, b):
    return np.sum(np.matmul(a, b) ** 2)


# ---------------------------------------------------------------------------------------
# reductions
def sum_axis0(x):
    return np.sum(np.sum(x, axis=0) ** 2)


def sum_axis1_keepdims(x):
    s = np.sum(x, axis=1, keepdims=True)
    return np.sum(x * s)


def sum_negative_axis(x):
    return np.sum(np.sin(np.sum(x, axis=-1)))


def sum_tuple_axis(x):
    return np.sum(x * x, axis=(0, 1))


def mean_all(x):
    return np.mean(x * x)


def mean_axis1(x):
    return np.sum(np.mean(x, axis=1) ** 3)


def mean_keepdims(x):
    return np.sum((x - np.mean(x, axis=0, keepdims=True)) ** 2)


# ---------------------------------------------------------------------------------------
# elementwise NumPy
def exp_log(x):
    return np.sum(np.log(np.exp(x) + 1.0))


def sin_cos(x):
    return np.sum(np.sin(x) * np.cos(x))


def tanh_sum(x):
    y = np.tanh(x)
    return np.sum(y)


def sqrt_abs(x):
    return np.sum(np.sqrt(np.abs(x)))


def maximum_minimum(x, y):
    return np.sum(np.maximum(x, y) - 2.0 * np.minimum(x, y))


def relu(x):
    return np.sum(np.maximum(x, 0.0) ** 2)


def where_select(x):
    return np.sum(np.where(x > 0, x * x, np.sin(x)))


def square_log1p_expm1(x):
    return np.sum(np.square(x) + np.log1p(x) + np.expm1(x))


def arctan_sinh_cosh(x):
    return np.sum(np.arctan(x) + np.sinh(x) * np.cosh(x))


def log2_log10(x):
    return np.sum(np.log2(x) + np.log10(x))


def tan_arcsin_arccos(x):
    return np.sum(np.tan(x) + np.arcsin(x) * np.arccos(x))


def ufunc_spellings(x, y):
    return np.sum(np.add(x, y) * np.multiply(x, y) - np.subtract(x, y) / np.divide(y, 2.0))


def np_power(x):
    return np.sum(np.power(x, 3) + np.negative(x))


# ---------------------------------------------------------------------------------------
# shapes
def reshape_fn(x):
    return np.sum(np.reshape(x, (3, 2))[0] ** 2)


def transpose_fn(a):
    return np.sum(np.transpose(a) @ a)


def expand_dims_broadcast(v):
    return np.sum(np.expand_dims(v, 0) * np.broadcast_to(v, (2, 3)))


# ---------------------------------------------------------------------------------------
# Python's math on floats
def math_trig(x):
    return math.sin(x) * math.cos(x) + math.tan(x)


def math_exp_log(x):
    return math.exp(x) + math.log(x) + math.sqrt(x)


def math_hyperbolic(x):
    return math.tanh(x) + math.sinh(x) - math.cosh(x)


def math_inverse_trig(x):
    return math.asin(x) + math.acos(x) * math.atan(x)


def math_misc(x):
    return math.log1p(x) + math.expm1(x) + math.log2(x) + math.log10(x) + math.pow(x, 2.5)


def math_fabs_abs(x):
    return math.fabs(x) * abs(x) + float(x)


def math_pi_constant(x):
    return math.pi * x * x + math.e


# ---------------------------------------------------------------------------------------
# variables and assignment
def reassigned(x):
    x = x * 2
    x = np.sin(x)
    return np.sum(x)


def reassigned_many(x):
    y = x + 1.0
    y = y * y
    y = y - x
    y = np.exp(y)
    return np.sum(y)


def augmented(x):
    y = x * 1.0
    y += x * x
    y *= 3.0
    y -= x
    y /= 2.0
    return np.sum(y)


def augmented_on_param(x):
    x += 1.0
    x *= x
    return np.sum(x)


def chained(x):
    a = b = x * 2.0
    return np.sum(a * b)


def tuple_unpack(x):
    a, b = x * 2, x * 3
    return np.sum(a * b)


def swap(x, y):
    a, b = x, y * 2.0
    a, b = b, a
    return np.sum(a * a * b)



def annotated(x: float) -> float:
    y: float = x * x
    return y * 3.0


def docstring_and_pass(x):
    """A docstring is ignored."""
    pass
    return x * x


def unused_intermediate(x):
    unused = np.exp(x)
    y = x * 2.0
    return np.sum(y)


def constant_path(x):
    c = np.ones(3) * 2.0
    return np.sum(c * x)


# ---------------------------------------------------------------------------------------
# several arguments, defaults, keyword-only
def three_args(x, y, z):
    return np.sum(x * y + np.sin(z) * x)


def with_default(x, scale=2.0):
    return np.sum(scale * x * x)


def keyword_only(x, *, weight=3.0):
    return np.sum(weight * np.tanh(x))


def integer_argument(x, n):
    return np.sum(x ** n)


# ---------------------------------------------------------------------------------------
# subscripts
def index_product(x):
    return x[0] * x[1]


def slice_sum(x):
    return np.sum(x[1:3] ** 2)


def column(x):
    return np.sum(np.sin(x[:, 0]))


def negative_index(x):
    return x[-1] * x[-2]


def strided(x):
    return np.sum(x[::2] * x[1::2])


def reversed_slice(x):
    return np.sum(x[::-1] * np.arange(5.0))



def boolean_mask(x):
    mask = x > 0
    return np.sum(x[mask] ** 3)


def two_dim_index(x):
    return x[1, 2] * x[0, 0] + np.sum(x[0, :])


# ---------------------------------------------------------------------------------------
# array methods and attributes, len
def transpose_attr(a):
    return np.sum(a.T @ a)


def sum_method(x):
    return np.sum(x.sum(axis=0) ** 2)


def reshape_method(x):
    return np.sum(x.reshape(2, 3)[1] ** 2)


def shape_attr(x):
    return np.sum(x * x) / x.shape[0]



def len_builtin(x):
    return np.sum(x) / len(x)



# ---------------------------------------------------------------------------------------
# globals and closures
def global_array(x):
    return np.sum(np.dot(W_GLOBAL, x) ** 2) * SCALE


def make_scaled(factor, offset):
    def scaled(x):
        return np.sum(factor * np.sin(x) + offset * x)

    return scaled


closure = make_scaled(np.array([1.0, 2.0, 3.0]), 0.5)


# ---------------------------------------------------------------------------------------
# small models


def mlp_loss(w1, b1, w2, x, y):
    h = np.tanh(x @ w1 + b1)
    pred = h @ w2
    return np.mean((pred - y) ** 2)


def logistic_loss(w, x, y):
    z = x @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def gaussian_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * np.log(2 * np.pi))


def lambda_function_value():
    return lambda x: x * np.sin(x)


single_lambda = lambda_function_value()


# ---------------------------------------------------------------------------------------
# more everyday forms
def user_names_like_generated_ones(x):
    bx = x * 2.0
    t1 = np.sin(bx)
    g = t1 * x
    bout = np.sum(g)
    unbroadcast = bout * 2.0
    return unbroadcast


def numpy_under_other_names(x):
    return onp.sum(onp.sin(x)) + onp.sum(npsin(x))


def identity(x):
    return x


def only_second_argument_matters(x, y):
    return y * 2.0


def return_subscript(x):
    return x[0]


def return_reassigned(x):
    y = np.sin(x)
    y = y * y
    return y


def power_of_expression(x, n):
    return np.sum(x ** (n + 1))


def int_division_operands(x):
    return np.sum(x / 2 + 3 / x)


def float_of_sum(x):
    return float(np.sum(x * x))


def abs_builtin_on_array(x):
    return np.sum(abs(x))


def mean_negative_axis_keepdims(x):
    return np.sum(np.mean(x, axis=-1, keepdims=True) ** 2 * x)


def dot_method(a, b):
    return np.sum(a.dot(b))


def positional_axis(x):
    return np.sum(np.sum(x, 0) ** 2)


def reshape_minus_one(x):
    return np.sum(x.reshape(-1) * np.arange(6.0))


def ndim_and_size(x):
    return np.sum(x) * x.ndim / x.size


def exp_of_negation(x):
    return np.sum(np.exp(-x))


def negated_power(x):
    return np.sum(-x ** 2)


def negative_literal_exponent(x):
    return x ** -2


def where_between_inputs(x, y):
    return np.sum(np.where(x > y, x, y) ** 2)


def mean_of_named_value(x):
    y = x * x
    return y.mean()


def same_value_used_many_times(x):
    a = x * x
    b = a + x
    a = b * a
    return np.sum(a + b)


def alias_before_reassign(x):
    a = x
    x = np.sin(x)
    return np.sum(a * x)


def reassigned_parameters(x, y):
    z = x * y
    x = z + 1.0
    y = x * z
    return np.sum(y)


def local_named_np(x):
    np = 3.0
    return onp.sum(onp.tanh(x)) * np


IDX = np.array([0, 2, 0])


def integer_array_index_global(x):
    return np.sum(x[IDX] ** 2)


# ---------------------------------------------------------------------------------------
# forms that failed or still fail (see the `bug` field of their cases)
def astype_method(x):
    return np.sum(x.astype(float) ** 2)


def method_of_expression(x):
    return (x * x).mean()


def chained_methods(x):
    return x.T.sum(axis=1).mean()


def method_of_constant_expression(x):
    return np.sum(x * np.arange(6.0).reshape(2, 3))


def integer_array_index_local(x):
    idx = np.array([0, 2, 0])
    return np.sum(x[idx] ** 2)


def softmax_stable(x):
    z = x - np.max(x)
    e = np.exp(z)
    p = e / np.sum(e)
    return np.sum(p * np.arange(4.0))


def logsumexp(x):
    m = tl.stop_gradient(np.max(x))
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_no_grad(x):
    with tl.no_grad():
        m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def softmax_shifted_by_mean(x):
    z = x - np.mean(x)
    e = np.exp(z)
    p = e / np.sum(e)
    return np.sum(p * np.arange(4.0))


def dot_with_scalar(x):
    return np.sum(np.dot(x, 2.0))


def dot_of_scalar_array(x, s):
    return np.sum(np.dot(s, x) * np.dot(x, np.sin(s)))


def dot_of_matrix_and_stack(a, b):
    # np.dot of N-D operands is not matmul: a (3, 4) with b (2, 4, 3) gives (3, 2, 3)
    return np.sum(np.dot(a, b) ** 2)


def max_builtin(x, y):
    return max(x, y) * x


class Case(NamedTuple):
    id: str
    f: Callable
    args: tuple
    grad: Optional[Callable] = None   # analytic gradient of f at args (wrt=0 or wrt)
    wrt: Any = 0
    bug: Optional[str] = None         # a known library bug: the case is a strict xfail
    bug_in: tuple = ("fd", "analytic", "value_and_grad")   # ... in these tests only


# drawn apart so that adding them left the other cases' values as they were
M34, B243 = np.random.default_rng(3).uniform(-1.5, 1.5, (3, 4)), \
    np.random.default_rng(4).uniform(-1.5, 1.5, (2, 4, 3))
X3 = real(3)
X4 = real(4)
X5 = real(5)
X6 = real(6)
M23 = real(2, 3)
M34 = real(3, 4)
P3 = positive(3)
P23 = positive(2, 3)

CASES = [
    # scalar arithmetic
    Case("add_const", add_const, (real(),), lambda x: 1.0),
    Case("const_minus", const_minus, (real(),), lambda x: -1.0),
    Case("const_times", const_times, (real(),), lambda x: 2.5),
    Case("const_over", const_over, (away_from_zero(),), lambda x: -1.0 / x ** 2),
    Case("over_const", over_const, (real(),), lambda x: 0.25),
    Case("negate", negate, (real(),), lambda x: -2 * x),
    Case("unary_plus", unary_plus, (real(),), lambda x: 2 * x),
    Case("poly", poly, (real(),), lambda x: 9 * x ** 2 - 4 * x + 1),
    Case("int_power", int_power, (real(),), lambda x: 4 * x ** 3),
    Case("negative_base_int_power", negative_base_int_power, (-1.3,), lambda x: 3 * x ** 2),
    Case("negative_base_int_power_array", negative_base_int_power_sum, (-positive(3),),
         lambda x: 3 * x ** 2),
    Case("fractional_power", fractional_power, (positive(),), lambda x: 1.5 * x ** 0.5),
    Case("sqrt_power", sqrt_power, (positive(3),), lambda x: 0.5 * x ** -0.5 - 0.5 * x ** -1.5),
    Case("const_base_power", const_base_power, (real(),), lambda x: np.log(2.0) * 2.0 ** x),
    Case("power_of_two_inputs", power_of_two_inputs, (positive(), real()),
         lambda x, y: (y * x ** (y - 1), x ** y * np.log(x)), (0, 1)),
    Case("product_quotient", product_quotient, (positive(), positive()),
         lambda x, y: y ** 2 / (x + y) ** 2),
    Case("mixed_int_const", mixed_int_const, (real(3),), lambda x: 2 + 6 * x),
    # broadcasting
    Case("scalar_times_vector", scalar_times_vector, (real(), X3),
         lambda a, v: (np.sum(v), np.full(3, a)), (0, 1)),
    Case("vector_plus_scalar", vector_plus_scalar, (X3, real()),
         lambda v, a: (2 * (v + a), np.sum(2 * (v + a))), (0, 1)),
    Case("matrix_minus_row", matrix_minus_row, (M23, X3), None, (0, 1)),
    Case("column_times_row", column_times_row, (real(2, 1), real(1, 3)),
         lambda c, r: (np.full((2, 1), np.sum(r)), np.full((1, 3), np.sum(c))), (0, 1)),
    Case("scalar_over_matrix", scalar_over_matrix, (real(), away_from_zero(2, 3)),
         lambda a, m: (np.sum(1 / m), -a / m ** 2), (0, 1)),
    Case("matrix_over_vector", matrix_over_vector, (M23, away_from_zero(3)), None, (0, 1)),
    # products
    Case("vec_dot_vec", vec_dot_vec, (X3, real(3)), lambda x, y: (y, x), (0, 1)),
    Case("mat_vec", mat_vec, (M23, X3),
         lambda a, x: (np.outer(np.ones(2), x), a.sum(axis=0)), (0, 1)),
    Case("vec_mat", vec_mat, (X3, real(3, 2)),
         lambda x, a: (a.sum(axis=1), np.outer(x, np.ones(2))), (0, 1)),
    Case("mat_mat", mat_mat, (M23, M34), None, (0, 1)),
    Case("quadratic_form", quadratic_form, (X3, real(3, 3)), lambda x, a: (a + a.T) @ x),
    Case("matmul_fn", matmul_fn, (M23, M34), lambda a, b: 2 * (a @ b) @ b.T),
    # reductions
    Case("sum_axis0", sum_axis0, (M23,), lambda x: np.broadcast_to(2 * x.sum(axis=0), x.shape)),
    Case("sum_axis1_keepdims", sum_axis1_keepdims, (M23,),
         lambda x: 2 * np.broadcast_to(x.sum(axis=1, keepdims=True), x.shape)),
    Case("sum_negative_axis", sum_negative_axis, (M23,),
         lambda x: np.broadcast_to(np.cos(x.sum(axis=-1))[:, None], x.shape)),
    Case("sum_tuple_axis", sum_tuple_axis, (M23,), lambda x: 2 * x),
    Case("mean_all", mean_all, (M23,), lambda x: 2 * x / 6),
    Case("mean_axis1", mean_axis1, (M23,),
         lambda x: np.broadcast_to((np.mean(x, axis=1) ** 2)[:, None], x.shape)),
    Case("mean_keepdims", mean_keepdims, (M23,), lambda x: 2 * (x - x.mean(axis=0))),
    # elementwise
    Case("exp_log", exp_log, (X3,), lambda x: np.exp(x) / (np.exp(x) + 1)),
    Case("sin_cos", sin_cos, (X3,), lambda x: np.cos(2 * x)),
    Case("tanh_sum", tanh_sum, (X3,), lambda x: 1 - np.tanh(x) ** 2),
    Case("sqrt_abs", sqrt_abs, (away_from_zero(4),),
         lambda x: np.sign(x) / (2 * np.sqrt(np.abs(x)))),
    Case("maximum_minimum", maximum_minimum,
         (np.array([-1.0, 0.5, 1.2]), np.array([0.3, -0.8, 1.9])),
         lambda x, y: (np.where(x > y, 1.0, -2.0), np.where(x > y, -2.0, 1.0)), (0, 1)),
    Case("relu", relu, (np.array([-1.0, 0.4, 1.3, -0.2]),), lambda x: 2 * np.maximum(x, 0)),
    Case("where_select", where_select, (np.array([-1.0, 0.4, 1.3, -0.2]),),
         lambda x: np.where(x > 0, 2 * x, np.cos(x))),
    Case("square_log1p_expm1", square_log1p_expm1, (P3,),
         lambda x: 2 * x + 1 / (1 + x) + np.exp(x)),
    Case("arctan_sinh_cosh", arctan_sinh_cosh, (X3,),
         lambda x: 1 / (1 + x * x) + np.cosh(2 * x)),
    Case("log2_log10", log2_log10, (P23,), lambda x: 1 / (x * np.log(2)) + 1 / (x * np.log(10))),
    Case("tan_arcsin_arccos", tan_arcsin_arccos, (RNG.uniform(-0.7, 0.7, 3),), None),
    Case("ufunc_spellings", ufunc_spellings, (X3, away_from_zero(3)), None, (0, 1)),
    Case("np_power", np_power, (X3,), lambda x: 3 * x ** 2 - 1),
    # shapes
    Case("reshape_fn", reshape_fn, (X6,), lambda x: np.r_[2 * x[:2], np.zeros(4)]),
    Case("transpose_fn", transpose_fn, (M23,), None),
    Case("expand_dims_broadcast", expand_dims_broadcast, (X3,), lambda v: 4 * v),
    # math
    Case("math_trig", math_trig, (0.7,),
         lambda x: math.cos(2 * x) + 1 / math.cos(x) ** 2),
    Case("math_exp_log", math_exp_log, (positive(),),
         lambda x: math.exp(x) + 1 / x + 0.5 / math.sqrt(x)),
    Case("math_hyperbolic", math_hyperbolic, (real(),),
         lambda x: 1 - math.tanh(x) ** 2 + math.cosh(x) - math.sinh(x)),
    Case("math_inverse_trig", math_inverse_trig, (0.3,), None),
    Case("math_misc", math_misc, (positive(),), None),
    Case("math_fabs_abs", math_fabs_abs, (away_from_zero(),), lambda x: 2 * x + 1),
    Case("math_pi_constant", math_pi_constant, (real(),), lambda x: 2 * math.pi * x),
    # variables
    Case("reassigned", reassigned, (X3,), lambda x: 2 * np.cos(2 * x)),
    Case("reassigned_many", reassigned_many, (X3,),
         lambda x: np.exp((x + 1) ** 2 - x) * (2 * (x + 1) - 1)),
    Case("augmented", augmented, (X3,), lambda x: ((1 + 2 * x) * 3 - 1) / 2),
    Case("augmented_on_param", augmented_on_param, (X3,), lambda x: 2 * (x + 1)),
    Case("chained", chained, (X3,), lambda x: 8 * x),
    Case("tuple_unpack", tuple_unpack, (X3,), lambda x: 12 * x),
    Case("swap", swap, (X3, real(3)), lambda x, y: (4 * y * y, 8 * x * y), (0, 1)),
    Case("annotated", annotated, (real(),), lambda x: 6 * x),
    Case("docstring_and_pass", docstring_and_pass, (real(),), lambda x: 2 * x),
    Case("unused_intermediate", unused_intermediate, (X3,), lambda x: np.full(3, 2.0)),
    Case("constant_path", constant_path, (X3,), lambda x: np.full(3, 2.0)),
    # arguments
    Case("three_args_by_position", three_args, (X3, real(3), real(3)),
         lambda x, y, z: (y + np.sin(z), x, np.cos(z) * x), (0, 1, 2)),
    Case("three_args_by_name", three_args, (X3, real(3), real(3)),
         lambda x, y, z: np.cos(z) * x, "z"),
    Case("three_args_mixed_tuple", three_args, (X3, real(3), real(3)),
         lambda x, y, z: (np.cos(z) * x, x), (2, "y")),
    Case("three_args_second", three_args, (X3, real(3), real(3)), lambda x, y, z: x, 1),
    Case("with_default", with_default, (X3,), lambda x: 4 * x),
    Case("with_default_given", with_default, (X3, 0.5), lambda x, s: (x, np.sum(x * x)),
         (0, 1)),
    Case("keyword_only", keyword_only, (X3,), lambda x: 3 * (1 - np.tanh(x) ** 2)),
    Case("integer_argument", integer_argument, (P3, 3), lambda x, n: n * x ** (n - 1)),
    # subscripts
    Case("index_product", index_product, (X3,), lambda x: np.array([x[1], x[0], 0.0])),
    Case("slice_sum", slice_sum, (X4,), lambda x: np.array([0, 2 * x[1], 2 * x[2], 0])),
    Case("column", column, (M23,),
         lambda x: np.stack([np.cos(x[:, 0]), np.zeros(2), np.zeros(2)], axis=1)),
    Case("negative_index", negative_index, (X4,), lambda x: np.array([0, 0, x[3], x[2]])),
    Case("strided", strided, (X6,),
         lambda x: np.array([x[1], x[0], x[3], x[2], x[5], x[4]])),
    Case("reversed_slice", reversed_slice, (X5,), lambda x: np.arange(5.0)[::-1]),
    Case("integer_array_index", integer_array_index_global, (X3,),
         lambda x: np.array([4 * x[0], 0.0, 2 * x[2]])),
    Case("boolean_mask", boolean_mask, (np.array([-1.0, 0.4, 1.3, -0.2]),),
         lambda x: np.where(x > 0, 3 * x ** 2, 0.0)),
    Case("two_dim_index", two_dim_index, (M23,), None),
    # methods and attributes
    Case("transpose_attr", transpose_attr, (M23,), None),
    Case("sum_method", sum_method, (M23,), lambda x: np.broadcast_to(2 * x.sum(axis=0), x.shape)),
    Case("reshape_method", reshape_method, (X6,), lambda x: np.r_[np.zeros(3), 2 * x[3:]]),
    Case("shape_attr", shape_attr, (X4,), lambda x: 2 * x / 4),
    Case("mean_method", mean_of_named_value, (M23,), lambda x: 2 * x / 6),
    Case("len_builtin", len_builtin, (X4,), lambda x: np.full(4, 0.25)),
    # globals and closures
    Case("global_array", global_array, (X3,), lambda x: 2 * SCALE * W_GLOBAL.T @ (W_GLOBAL @ x)),
    Case("closure", closure, (X3,), lambda x: np.array([1.0, 2.0, 3.0]) * np.cos(x) + 0.5),
    Case("lambda", single_lambda, (X3[0],), lambda x: np.sin(x) + x * np.cos(x)),
    # models
    Case("softmax_shifted_by_mean", softmax_shifted_by_mean, (X4,), None),
    Case("logsumexp_no_grad", logsumexp_no_grad, (X4,), lambda x: np.exp(x) / np.sum(np.exp(x))),
    Case("mlp_loss", mlp_loss, (real(3, 4), real(4), real(4), real(5, 3), real(5)), None,
         (0, 1, 2)),
    Case("logistic_loss", logistic_loss, (real(3), real(6, 3), (RNG.uniform(size=6) > 0.5) * 1.0),
         lambda w, x, y: x.T @ (1 / (1 + np.exp(-x @ w)) - y) / 6),
    Case("gaussian_nll", gaussian_nll, (real(3), real(3), real(3)), None, (0, 1)),
    # more everyday forms
    Case("user_names_like_generated_ones", user_names_like_generated_ones, (X3,),
         lambda x: 2.0 * (np.sin(2 * x) + 2 * x * np.cos(2 * x))),
    Case("numpy_under_other_names", numpy_under_other_names, (X3,), lambda x: 2 * np.cos(x)),
    Case("identity", identity, (real(),), lambda x: 1.0),
    Case("only_second_argument_matters", only_second_argument_matters, (real(), real()),
         lambda x, y: 2.0, 1),
    Case("return_subscript", return_subscript, (X3,), lambda x: np.array([1.0, 0.0, 0.0])),
    Case("return_reassigned", return_reassigned, (real(),), lambda x: np.sin(2 * x)),
    Case("power_of_expression", power_of_expression, (P3, 2), lambda x, n: 3 * x ** 2),
    Case("int_division_operands", int_division_operands, (P3,), lambda x: 0.5 - 3 / x ** 2),
    Case("float_of_sum", float_of_sum, (X3,), lambda x: 2 * x),
    Case("abs_builtin_on_array", abs_builtin_on_array, (away_from_zero(3),), lambda x: np.sign(x)),
    Case("mean_negative_axis_keepdims", mean_negative_axis_keepdims, (M23,), None),
    Case("dot_method", dot_method, (X3, real(3)), lambda a, b: (b, a), (0, 1)),
    Case("positional_axis", positional_axis, (M23,),
         lambda x: np.broadcast_to(2 * x.sum(axis=0), x.shape)),
    Case("reshape_minus_one", reshape_minus_one, (M23,), lambda x: np.arange(6.0).reshape(2, 3)),
    Case("ndim_and_size", ndim_and_size, (M23,), lambda x: np.full((2, 3), 2 / 6)),
    Case("exp_of_negation", exp_of_negation, (X3,), lambda x: -np.exp(-x)),
    Case("negated_power", negated_power, (X3,), lambda x: -2 * x),
    Case("negative_literal_exponent", negative_literal_exponent, (-0.7,), lambda x: -2 * x ** -3),
    Case("where_between_inputs", where_between_inputs,
         (np.array([-1.0, 0.5, 1.2]), np.array([0.3, -0.8, 1.9])),
         lambda x, y: (np.where(x > y, 2 * x, 0.0), np.where(x > y, 0.0, 2 * y)), (0, 1)),
    Case("same_value_used_many_times", same_value_used_many_times, (X3,),
         lambda x: 4 * x ** 3 + 3 * x ** 2 + 2 * x + 1),
    Case("alias_before_reassign", alias_before_reassign, (X3,),
         lambda x: np.sin(x) + x * np.cos(x)),
    Case("reassigned_parameters", reassigned_parameters, (X3, real(3)),
         lambda x, y: (2 * x * y * y + y, 2 * x * x * y + x), (0, 1)),
    Case("local_named_np", local_named_np, (X3,), lambda x: 3.0 * (1 - np.tanh(x) ** 2)),
    # known bugs
    Case("astype_method", astype_method, (X3,), lambda x: 2 * x),
    Case("method_of_expression", method_of_expression, (M23,), lambda x: 2 * x / 6),
    Case("chained_methods", chained_methods, (M23,), lambda x: np.full((2, 3), 1 / 3)),
    Case("method_of_constant_expression", method_of_constant_expression, (M23,),
         lambda x: np.arange(6.0).reshape(2, 3)),
    Case("integer_array_index_local", integer_array_index_local, (X3,),
         lambda x: np.array([4 * x[0], 0.0, 2 * x[2]])),
    Case("softmax_stable", softmax_stable, (X4,), None),
    Case("logsumexp_stop_gradient", logsumexp, (X4,), lambda x: np.exp(x) / np.sum(np.exp(x))),
    Case("dot_with_scalar", dot_with_scalar, (X3,), lambda x: np.full(3, 2.0)),
    Case("dot_of_scalar_array", dot_of_scalar_array, (X3, np.array(0.7)),
         lambda x, s: (2 * s * np.sin(s) * x,
                       np.sum(x * x) * (np.sin(s) + s * np.cos(s))), (0, 1)),
    Case("dot_of_matrix_and_stack", dot_of_matrix_and_stack, (M34, B243),
         lambda a, b: (2 * np.einsum("ijm,jkm->ik", np.dot(a, b), b),
                       2 * np.einsum("ik,ijm->jkm", a, np.dot(a, b))), (0, 1)),
    Case("max_builtin", max_builtin, (0.7, 0.2), lambda x, y: 2 * x, 0),
]

IDS = [c.id for c in CASES]
assert len(set(IDS)) == len(IDS)


def _params(kind, cases=CASES):
    out = []
    for c in cases:
        marks = []
        if c.bug is not None and kind in c.bug_in:
            marks.append(pytest.mark.xfail(strict=True, reason=c.bug))
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def _as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


def _positions(case):
    params = list(case.f.__code__.co_varnames[:case.f.__code__.co_argcount])
    wrt = case.wrt if isinstance(case.wrt, tuple) else (case.wrt,)
    return tuple(params.index(w) if isinstance(w, str) else w for w in wrt)


def _args(case):
    # a fresh copy per test: a user function may legally modify its arguments in place
    return copy.deepcopy(case.args)


def _assert_gradients_equal(got, want, case):
    got, want = _as_tuple(got), _as_tuple(want)
    assert len(got) == len(want)
    for g, w, i in zip(got, want, _positions(case)):
        assert np.shape(g) == np.shape(case.args[i])
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", _params("fd"))
def test_first_and_second_order_against_finite_differences(case):
    tl.check_grads(case.f, _args(case), order=2, wrt=_positions(case))


@pytest.mark.parametrize("case", _params("analytic", [c for c in CASES if c.grad is not None]))
def test_against_analytic_gradient(case):
    got = tl.grad(case.f, wrt=case.wrt)(*_args(case))
    _assert_gradients_equal(got, case.grad(*_args(case)), case)


@pytest.mark.parametrize("case", _params("value_and_grad"))
def test_value_and_grad(case):
    value, g = tl.value_and_grad(case.f, wrt=case.wrt)(*_args(case))
    np.testing.assert_allclose(value, case.f(*_args(case)), rtol=1e-12)
    want = case.grad(*_args(case)) if case.grad is not None else \
        tl.grad(case.f, wrt=case.wrt)(*_args(case))
    _assert_gradients_equal(g, want, case)


# -- closures see the values they capture ---------------------------------------------
def test_closures_from_the_same_factory_are_derived_separately():
    f2 = make_scaled(np.array([2.0, 2.0, 2.0]), 0.0)
    f3 = make_scaled(np.array([3.0, 3.0, 3.0]), 1.0)
    x = X3
    np.testing.assert_allclose(tl.grad(f2)(x), 2.0 * np.cos(x))
    np.testing.assert_allclose(tl.grad(f3)(x), 3.0 * np.cos(x) + 1.0)


def test_integer_argument_is_a_constant():
    # ints not named in wrt are constants; the gradient w.r.t. x only.
    g = tl.grad(integer_argument)(P3, 2)
    np.testing.assert_allclose(g, 2 * P3)
