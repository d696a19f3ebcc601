"""Elementwise NumPy functions of one array: the result has the input's shape."""
import numpy as np

from ..runtime import unbroadcast
from ..template import d
from .domains import above_one, binary_few, nonzero, positive, real, unary, unit
from .registry import adjoint, tangent


@adjoint(np.exp, cases=unary())
def exp(y, x):
    d[x] = d[y] * y


@tangent(np.exp)
def exp_tangent(y, x):
    d[y] = d[x] * y


@adjoint(np.expm1, cases=unary())
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@tangent(np.expm1)
def expm1_tangent(y, x):
    d[y] = d[x] * (y + 1.0)


@adjoint(np.log, cases=unary(positive))
def log(y, x):
    d[x] = d[y] / x


@tangent(np.log)
def log_tangent(y, x):
    d[y] = d[x] / x


@adjoint(np.log1p, cases=unary(positive))
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@tangent(np.log1p)
def log1p_tangent(y, x):
    d[y] = d[x] / (1.0 + x)


# ln 2 and ln 10 are written as Python floats: np.log(2.0) is a float64, which made the
# gradients of float32 inputs float64.
@adjoint(np.log2, cases=unary(positive))
def log2(y, x):
    d[x] = d[y] / (x * 0.6931471805599453)


@tangent(np.log2)
def log2_tangent(y, x):
    d[y] = d[x] / (x * 0.6931471805599453)


@adjoint(np.log10, cases=unary(positive))
def log10(y, x):
    d[x] = d[y] / (x * 2.302585092994046)


@tangent(np.log10)
def log10_tangent(y, x):
    d[y] = d[x] / (x * 2.302585092994046)


@adjoint(np.sin, cases=unary())
def sin(y, x):
    d[x] = d[y] * np.cos(x)


@tangent(np.sin)
def sin_tangent(y, x):
    d[y] = d[x] * np.cos(x)


@adjoint(np.cos, cases=unary())
def cos(y, x):
    d[x] = -d[y] * np.sin(x)


@tangent(np.cos)
def cos_tangent(y, x):
    d[y] = -d[x] * np.sin(x)


@adjoint(np.tan, cases=unary(unit))
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@tangent(np.tan)
def tan_tangent(y, x):
    d[y] = d[x] * (1.0 + y * y)


@adjoint(np.arcsin, cases=unary(unit))
def arcsin(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@tangent(np.arcsin)
def arcsin_tangent(y, x):
    d[y] = d[x] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos, cases=unary(unit))
def arccos(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@tangent(np.arccos)
def arccos_tangent(y, x):
    d[y] = -d[x] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan, cases=unary())
def arctan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@tangent(np.arctan)
def arctan_tangent(y, x):
    d[y] = d[x] / (1.0 + x * x)


@adjoint(np.sinh, cases=unary())
def sinh(y, x):
    d[x] = d[y] * np.cosh(x)


@tangent(np.sinh)
def sinh_tangent(y, x):
    d[y] = d[x] * np.cosh(x)


@adjoint(np.cosh, cases=unary())
def cosh(y, x):
    d[x] = d[y] * np.sinh(x)


@tangent(np.cosh)
def cosh_tangent(y, x):
    d[y] = d[x] * np.sinh(x)


@adjoint(np.tanh, cases=unary())
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@tangent(np.tanh)
def tanh_tangent(y, x):
    d[y] = d[x] * (1.0 - y * y)


@adjoint(np.sqrt, cases=unary(positive))
def sqrt(y, x):
    d[x] = d[y] / (2.0 * y)


@tangent(np.sqrt)
def sqrt_tangent(y, x):
    d[y] = d[x] / (2.0 * y)


@adjoint(np.abs, np.absolute, cases=unary(nonzero))
def absolute(y, x):
    d[x] = d[y] * np.sign(x)


@tangent(np.abs, np.absolute)
def absolute_tangent(y, x):
    d[y] = d[x] * np.sign(x)

@adjoint(np.exp2, cases=unary())
def exp2(y, x):
    d[x] = d[y] * y * 0.6931471805599453


@tangent(np.exp2)
def exp2_tangent(y, x):
    d[y] = d[x] * y * 0.6931471805599453


@adjoint(np.cbrt, cases=unary(nonzero))
def cbrt(y, x):
    d[x] = d[y] / (3.0 * y * y)


@tangent(np.cbrt)
def cbrt_tangent(y, x):
    d[y] = d[x] / (3.0 * y * y)


@adjoint(np.reciprocal, cases=unary(nonzero))
def reciprocal(y, x):
    d[x] = -d[y] * y * y


@tangent(np.reciprocal)
def reciprocal_tangent(y, x):
    d[y] = -d[x] * y * y


@adjoint(np.fabs, cases=unary(nonzero))
def fabs(y, x):
    d[x] = d[y] * np.sign(x)


@tangent(np.fabs)
def fabs_tangent(y, x):
    d[y] = d[x] * np.sign(x)


@adjoint(np.arcsinh, cases=unary())
def arcsinh(y, x):
    d[x] = d[y] / np.sqrt(x * x + 1.0)


@tangent(np.arcsinh)
def arcsinh_tangent(y, x):
    d[y] = d[x] / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh, cases=unary(above_one))
def arccosh(y, x):
    d[x] = d[y] / np.sqrt(x * x - 1.0)


@tangent(np.arccosh)
def arccosh_tangent(y, x):
    d[y] = d[x] / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh, cases=unary(unit))
def arctanh(y, x):
    d[x] = d[y] / (1.0 - x * x)


@tangent(np.arctanh)
def arctanh_tangent(y, x):
    d[y] = d[x] / (1.0 - x * x)


@adjoint(np.deg2rad, np.radians, cases=unary())
def deg2rad(y, x):
    d[x] = d[y] * (np.pi / 180.0)


@tangent(np.deg2rad, np.radians)
def deg2rad_tangent(y, x):
    d[y] = d[x] * (np.pi / 180.0)


@adjoint(np.rad2deg, np.degrees, cases=unary())
def rad2deg(y, x):
    d[x] = d[y] * (180.0 / np.pi)


@tangent(np.rad2deg, np.degrees)
def rad2deg_tangent(y, x):
    d[y] = d[x] * (180.0 / np.pi)


def sinc_slope(x, y):
    """sinc'(x) = (cos(pi x) - sinc(x)) / x; near 0 (|x| < 1e-3, where that difference
    cancels) its series -pi**2 x / 3 + pi**4 x**3 / 30, 0 at x = 0. (x may be the
    list np.sinc was given.)"""
    x = np.asarray(x)
    small = np.abs(x) < SINC_SERIES
    safe = np.where(small, 1.0, x)
    return np.where(small, x * (np.pi ** 4 / 30.0 * x * x - np.pi ** 2 / 3.0),
                    (np.cos(np.pi * safe) - y) / safe)


SINC_SERIES = 1e-3   # below it the series' next term (pi**6 x**5 / 840) is under 1e-15


# s = (cos(pi x) - y) / x away from 0 (y is an independent input here); near 0 the series
# reads x alone: its slope is sinc''(x) (-pi**2 / 3 at 0, where the formula's terms are
# 0 / 0), and y's is 0
# (x, and in forward mode its tangent, may be the list np.sinc was given: read as arrays)
@adjoint(sinc_slope, cases=binary_few(nonzero, real))
def sinc_slope_(s, x, y):
    a = np.asarray(x)
    small = np.abs(a) < SINC_SERIES
    safe = np.where(small, 1.0, a)
    d[x] = unbroadcast(d[s] * np.where(small, np.pi ** 4 / 10.0 * a * a - np.pi ** 2 / 3.0,
                                       (-np.pi * np.sin(np.pi * safe) - s) / safe), x)
    d[y] = unbroadcast(-d[s] * np.where(small, 0.0, 1.0 / safe), y)


@tangent(sinc_slope)
def sinc_slope_tangent(s, x, y):
    a = np.asarray(x)
    small = np.abs(a) < SINC_SERIES
    safe = np.where(small, 1.0, a)
    d[s] = np.where(small, np.asarray(d[x]) * (np.pi ** 4 / 10.0 * a * a - np.pi ** 2 / 3.0),
                    (np.asarray(d[x]) * (-np.pi * np.sin(np.pi * safe) - s) - d[y]) / safe)


@adjoint(np.sinc, cases=unary(nonzero))
def sinc(y, x):
    d[x] = d[y] * sinc_slope(x, y)


@tangent(np.sinc)
def sinc_tangent(y, x):
    d[y] = d[x] * sinc_slope(x, y)


@adjoint(np.conjugate, cases=unary())
def conjugate(y, x):
    d[x] = np.conjugate(d[y])


@tangent(np.conjugate)
def conjugate_tangent(y, x):
    d[y] = np.conjugate(d[x])


@adjoint(np.real, cases=unary())
def real_(y, val):
    d[val] = np.real(d[y])


@tangent(np.real)
def real_tangent(y, val):
    d[y] = np.real(d[val])


@adjoint(np.imag, cases=unary())
def imag(y, val):
    # The imaginary part of a real input is the constant 0.
    d[val] = np.imag(d[y])


@tangent(np.imag)
def imag_tangent(y, val):
    d[y] = np.imag(d[val])


@adjoint(np.nan_to_num, cases=lambda rng: unary()(rng) + [((np.array([1.0, np.nan, -0.5]),), {})])
def nan_to_num(y, x):
    d[x] = np.where(np.isfinite(x), d[y], 0.0)


@tangent(np.nan_to_num)
def nan_to_num_tangent(y, x):
    d[y] = np.where(np.isfinite(x), d[x], 0.0)
