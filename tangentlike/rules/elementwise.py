"""Elementwise NumPy functions of one array: the result has the input's shape."""
import numpy as np

from ..template import d
from .domains import nonzero, positive, unary, unit
from .registry import adjoint


@adjoint(np.exp, cases=unary())
def exp(y, x):
    d[x] = d[y] * y


@adjoint(np.expm1, cases=unary())
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(np.log, cases=unary(positive))
def log(y, x):
    d[x] = d[y] / x


@adjoint(np.log1p, cases=unary(positive))
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(np.log2, cases=unary(positive))
def log2(y, x):
    d[x] = d[y] / (x * np.log(2.0))


@adjoint(np.log10, cases=unary(positive))
def log10(y, x):
    d[x] = d[y] / (x * np.log(10.0))


@adjoint(np.sin, cases=unary())
def sin(y, x):
    d[x] = d[y] * np.cos(x)


@adjoint(np.cos, cases=unary())
def cos(y, x):
    d[x] = -d[y] * np.sin(x)


@adjoint(np.tan, cases=unary(unit))
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@adjoint(np.arcsin, cases=unary(unit))
def arcsin(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos, cases=unary(unit))
def arccos(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan, cases=unary())
def arctan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@adjoint(np.sinh, cases=unary())
def sinh(y, x):
    d[x] = d[y] * np.cosh(x)


@adjoint(np.cosh, cases=unary())
def cosh(y, x):
    d[x] = d[y] * np.sinh(x)


@adjoint(np.tanh, cases=unary())
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(np.sqrt, cases=unary(positive))
def sqrt(y, x):
    d[x] = d[y] / (2.0 * y)


@adjoint(np.abs, np.absolute, cases=unary(nonzero))
def absolute(y, x):
    d[x] = d[y] * np.sign(x)
