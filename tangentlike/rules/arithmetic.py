"""Python's arithmetic operators and their NumPy ufunc spellings.

Both operands may broadcast against each other, so every adjoint is reduced back to
its operand's shape with ``unbroadcast``.
"""
import operator

import numpy as np

from ..runtime import power as safe_power, quotient, scaled_power, unbroadcast
from ..template import constant, d
from .domains import between_multiples, binary, binary_few, nonzero, positive, real, unary
from .registry import adjoint, tangent


@adjoint(operator.add, np.add, cases=binary())
def add(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(d[z], y)


@tangent(operator.add, np.add)
def add_tangent(z, x, y):
    d[z] = d[x] + d[y]


@adjoint(operator.sub, np.subtract, cases=binary())
def subtract(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(-d[z], y)


@tangent(operator.sub, np.subtract)
def subtract_tangent(z, x, y):
    d[z] = d[x] - d[y]


@adjoint(operator.mul, np.multiply, cases=binary())
def multiply(z, x, y):
    if x is y:   # x * x
        d[x] = d[z] * (2.0 * x)
    else:
        d[x] = unbroadcast(d[z] * y, x)
        d[y] = unbroadcast(d[z] * x, y)


@tangent(operator.mul, np.multiply)
def multiply_tangent(z, x, y):
    if x is y:
        d[z] = d[x] * (2.0 * x)
    else:
        d[z] = d[x] * y + x * d[y]


@adjoint(operator.truediv, np.divide, np.true_divide, quotient, cases=binary(real, nonzero))
def divide(z, x, y):
    d[x] = unbroadcast(d[z] / y, x)
    d[y] = unbroadcast(-d[z] * z / y, y)


@tangent(operator.truediv, np.divide, np.true_divide, quotient)
def divide_tangent(z, x, y):
    d[z] = (d[x] - z * d[y]) / y


@adjoint(operator.pow, np.power, pow, safe_power, cases=binary(positive, real))
def power(z, x, y):
    # (an exponent that is not a number written in the code may be 0, where x ** 0 is
    # 1 for every x: scaled_power's slope is 0 there, not 0 * 0.0 ** -1 = nan at 0)
    if constant(y):
        if y == 0:
            d[x] = unbroadcast(d[z] * 0.0, x)
        else:
            d[x] = unbroadcast(d[z] * y * x ** (y - 1), x)
    else:
        d[x] = unbroadcast(d[z] * scaled_power(y, x, y - 1), x)
    # (where z == 0, x ** y is zero for every y near: its log term is 0, not 0 * -inf)
    d[y] = unbroadcast(d[z] * z * np.log(np.where(z == 0, 1.0, x)), y)


@tangent(operator.pow, np.power, pow, safe_power)
def power_tangent(z, x, y):
    # (a zero tangent of the exponent adds zero, not 0 * log(x) = nan at x <= 0: an
    # integer exponent restored from a stack in a derivative derived again has one;
    # log(1) = 0 there, without NumPy's warning; and where z == 0, as in the adjoint)
    if constant(y):
        if y == 0:
            d[z] = d[x] * 0.0
        else:
            d[z] = d[x] * y * x ** (y - 1)
    else:
        d[z] = d[x] * scaled_power(y, x, y - 1) + \
            d[y] * z * np.log(np.where((d[y] == 0) | (z == 0), 1.0, x))


def _scaled_power_cases(rng):
    shapes = [((), (), ()), ((3,), (3,), ()), ((2, 3), (3,), (2, 1)), ((), (3,), ())]
    return [((real(rng, sc), positive(rng, sx), real(rng, se)), {}) for sc, sx, se in shapes]


@adjoint(scaled_power, cases=_scaled_power_cases)
def scaled_power_(s, c, x, e):
    d[c] = unbroadcast(d[s] * x ** e, c)
    d[x] = unbroadcast(d[s] * scaled_power(c * e, x, e - 1), x)
    d[e] = unbroadcast(d[s] * s * np.log(np.where(s == 0, 1.0, x)), e)


@tangent(scaled_power)
def scaled_power_tangent(s, c, x, e):
    d[s] = d[c] * x ** e + d[x] * scaled_power(c * e, x, e - 1) + \
        d[e] * s * np.log(np.where((d[e] == 0) | (s == 0), 1.0, x))


@adjoint(operator.neg, np.negative, cases=unary())
def negative(y, x):
    d[x] = -d[y]


@tangent(operator.neg, np.negative)
def negative_tangent(y, x):
    d[y] = -d[x]


@adjoint(operator.pos, np.positive, cases=unary())
def positive_(y, x):
    d[x] = d[y]


@tangent(operator.pos, np.positive)
def positive_tangent(y, x):
    d[y] = d[x]


@adjoint(np.square, cases=unary())
def square(y, x):
    d[x] = d[y] * 2.0 * x


@tangent(np.square)
def square_tangent(y, x):
    d[y] = d[x] * 2.0 * x


@adjoint(np.float_power, cases=binary_few(positive, real))
def float_power(z, x, y):
    d[x] = unbroadcast(d[z] * scaled_power(y, x, y - 1), x)
    # (where z == 0, x ** y is zero for every y near: its log term is 0, not 0 * -inf)
    d[y] = unbroadcast(d[z] * z * np.log(np.where(z == 0, 1.0, x)), y)


@tangent(np.float_power)
def float_power_tangent(z, x, y):
    d[z] = d[x] * scaled_power(y, x, y - 1) + \
        d[y] * z * np.log(np.where((d[y] == 0) | (z == 0), 1.0, x))


def logistic(t):
    """``1 / (1 + exp(-t))``, the share of y in ``np.logaddexp(0, y)`` at ``t = y``, from
    ``exp(-abs(t))`` alone: no overflow (nor NumPy's warning) below t = -709, relative
    accuracy down to the denormals, 1 at inf and 0 at -inf as the share below.

    A float64 array with no element below -708 (and no nan) takes the usual
    ``1 / (1 + exp(-t))``, which cannot overflow there and is as accurate (within an
    ulp or two of the other form): one pass of ``np.min`` instead of the abs, the
    comparison and the selection (a logistic loss's gradient spends a tenth less)."""
    if t.__class__ is np.ndarray and t.dtype == np.float64 and t.size and t.min() >= -708.0:
        return 1.0 / (1.0 + np.exp(-t))
    if t.__class__ is list or t.__class__ is tuple:   # (np.logaddexp(0, xs) of a list)
        t = np.asarray(t)
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0, e) / (1.0 + e)


# logistic reads a list as NumPy does: its rules' `-t` reads it so too (template.list_safe)
logistic.reads_arrays = True


def logistic_times(t, k):
    """``k * logistic(t)`` for a number ``k``: where logistic takes ``1 / (1 + exp(-t))``,
    ``k / (1 + exp(-t))``, one pass fewer (the same value within an ulp); elsewhere that
    product itself. Written by a version for a number times the softplus's share
    (shapeclass.ShapeRewriter); derivatives of higher order read the generic code."""
    if t.__class__ is np.ndarray and t.dtype == np.float64 and t.size and t.min() >= -708.0:
        return k / (1.0 + np.exp(-t))
    return k * logistic(t)


def logistic_of_negated_times(m, k):
    """``logistic_times(-m, k)``, ``k * logistic(-m)``, bit for bit without the negated
    copy of ``m``: where that takes ``k / (1 + exp(-t))`` of ``t = -m`` (no element of m
    above 708, no nan), ``k / (1 + exp(m))``; elsewhere the product itself. Written by
    a version for the softplus ``np.logaddexp(0, -m)`` of a logistic loss
    (optimize.fold_logistic_negations); derivatives of higher order read the generic
    code."""
    if m.__class__ is np.ndarray and m.dtype == np.float64 and m.size and m.ndim \
            and m.max() <= 708.0:   # (-m of a 0-d array is a NumPy number: the product)
        return k / (1.0 + np.exp(m))
    return k * logistic(-m)


@adjoint(logistic, cases=unary())
def logistic_(s, t):
    d[t] = d[s] * s * logistic(-t)


@tangent(logistic)
def logistic_tangent(s, t):
    d[s] = d[t] * s * logistic(-t)


# The share of x is exp(x - z); where x is the result itself (x = inf beside a finite y,
# or y too small to count) it is 1, not exp(inf - inf) = nan (so softplus at inf has 1).
# Beside a 0 (softplus, a logistic loss) it is logistic(x), which does not read z: the
# gradient computes no logaddexp then (the forward value, if nothing else reads it).
@adjoint(np.logaddexp, cases=binary_few())
def logaddexp(z, x, y):
    if constant(x) and x == 0:
        d[y] = unbroadcast(d[z] * logistic(y), y)
    elif constant(y) and y == 0:
        d[x] = unbroadcast(d[z] * logistic(x), x)
    else:
        d[x] = unbroadcast(d[z] * np.exp(np.where(x == z, 0.0, x - z)), x)
        d[y] = unbroadcast(d[z] * np.exp(np.where(y == z, 0.0, y - z)), y)


@tangent(np.logaddexp)
def logaddexp_tangent(z, x, y):
    if constant(x) and x == 0:
        d[z] = d[y] * logistic(y)
    elif constant(y) and y == 0:
        d[z] = d[x] * logistic(x)
    else:
        d[z] = d[x] * np.exp(np.where(x == z, 0.0, x - z)) + \
            d[y] * np.exp(np.where(y == z, 0.0, y - z))


@adjoint(np.logaddexp2, cases=binary_few())
def logaddexp2(z, x, y):
    d[x] = unbroadcast(d[z] * np.exp2(np.where(x == z, 0.0, x - z)), x)
    d[y] = unbroadcast(d[z] * np.exp2(np.where(y == z, 0.0, y - z)), y)


@tangent(np.logaddexp2)
def logaddexp2_tangent(z, x, y):
    d[z] = d[x] * np.exp2(np.where(x == z, 0.0, x - z)) + \
        d[y] * np.exp2(np.where(y == z, 0.0, y - z))


@adjoint(np.hypot, cases=binary_few(nonzero, nonzero))
def hypot(z, x, y):
    q = np.where(z == 0, 1.0, z)   # at (0, 0) the subgradient 0, as for abs at 0
    d[x] = unbroadcast(d[z] * x / q, x)
    d[y] = unbroadcast(d[z] * y / q, y)


@tangent(np.hypot)
def hypot_tangent(z, x, y):
    d[z] = (d[x] * x + d[y] * y) / np.where(z == 0, 1.0, z)


@adjoint(np.arctan2, cases=binary_few(nonzero, nonzero))
def arctan2(z, y, x):
    d[y] = unbroadcast(d[z] * x / (x * x + y * y), y)
    d[x] = unbroadcast(-d[z] * y / (x * x + y * y), x)


@tangent(np.arctan2)
def arctan2_tangent(z, y, x):
    d[z] = (d[y] * x - d[x] * y) / (x * x + y * y)


@adjoint(operator.mod, np.remainder, cases=between_multiples)
def remainder(z, x, y):
    # x mod y = x - floor(x / y) * y, with floor(x / y) locally constant
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(-d[z] * np.floor(x / y), y)


@tangent(operator.mod, np.remainder)
def remainder_tangent(z, x, y):
    d[z] = d[x] - d[y] * np.floor(x / y)


@adjoint(np.fmod, cases=between_multiples)
def fmod(z, x, y):
    # fmod(x, y) = x - trunc(x / y) * y
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(-d[z] * np.trunc(x / y), y)


@tangent(np.fmod)
def fmod_tangent(z, x, y):
    d[z] = d[x] - d[y] * np.trunc(x / y)


@adjoint(np.copysign, cases=binary_few(nonzero, nonzero))
def copysign(z, x, y):
    # |x| with the sign of y: the derivative in x is sign(x) sign(z); y only gives a sign
    d[x] = unbroadcast(d[z] * np.sign(x) * np.sign(z), x)


@tangent(np.copysign)
def copysign_tangent(z, x, y):
    d[z] = d[x] * np.sign(x) * np.sign(z)


def _ldexp_cases(rng):
    return [((real(rng, ()), 3), {}), ((real(rng, (3,)), np.array([0, 1, -2])), {})]


@adjoint(np.ldexp, cases=_ldexp_cases, static_args=(1,))
def ldexp(y, x1, x2):
    d[x1] = unbroadcast(np.ldexp(d[y], x2), x1)


@tangent(np.ldexp)
def ldexp_tangent(y, x1, x2):
    d[y] = np.ldexp(d[x1], x2)
