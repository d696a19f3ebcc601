"""Python's arithmetic operators and their NumPy ufunc spellings.

Both operands may broadcast against each other, so every adjoint is reduced back to
its operand's shape with ``unbroadcast``.
"""
import operator

import numpy as np

from ..runtime import unbroadcast
from ..template import d
from .domains import binary, nonzero, positive, real, unary
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
    d[x] = unbroadcast(d[z] * y, x)
    d[y] = unbroadcast(d[z] * x, y)


@tangent(operator.mul, np.multiply)
def multiply_tangent(z, x, y):
    d[z] = d[x] * y + x * d[y]


@adjoint(operator.truediv, np.divide, np.true_divide, cases=binary(real, nonzero))
def divide(z, x, y):
    d[x] = unbroadcast(d[z] / y, x)
    d[y] = unbroadcast(-d[z] * z / y, y)


@tangent(operator.truediv, np.divide, np.true_divide)
def divide_tangent(z, x, y):
    d[z] = (d[x] - z * d[y]) / y


@adjoint(operator.pow, np.power, pow, cases=binary(positive, real))
def power(z, x, y):
    d[x] = unbroadcast(d[z] * y * x ** (y - 1), x)
    d[y] = unbroadcast(d[z] * z * np.log(x), y)


@tangent(operator.pow, np.power, pow)
def power_tangent(z, x, y):
    d[z] = d[x] * y * x ** (y - 1) + d[y] * z * np.log(x)


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
