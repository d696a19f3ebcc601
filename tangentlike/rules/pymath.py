"""Python's own scalar math: the ``math`` module and numeric builtins."""
import math

import numpy as np

from ..template import d
from .domains import binary, nonzero, positive, real, unit
from .registry import adjoint, tangent


def scalar(domain=real):
    def cases(rng):
        return [((domain(rng, ()),), {}), ((domain(rng, ()),), {})]
    return cases


def scalars(domain_x=real, domain_y=real):
    def cases(rng):
        return [((domain_x(rng, ()), domain_y(rng, ())), {})]
    return cases


@adjoint(math.exp, cases=scalar())
def exp(y, x):
    d[x] = d[y] * y


@tangent(math.exp)
def exp_tangent(y, x):
    d[y] = d[x] * y


@adjoint(math.expm1, cases=scalar())
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@tangent(math.expm1)
def expm1_tangent(y, x):
    d[y] = d[x] * (y + 1.0)


@adjoint(math.log, cases=lambda rng: scalar(positive)(rng) + scalars(positive, positive)(rng))
def log(y, x, base=None):
    if base is None:
        d[x] = d[y] / x
    else:
        d[x] = d[y] / (x * math.log(base))
        d[base] = -d[y] * y / (base * math.log(base))


@tangent(math.log)
def log_tangent(y, x, base=None):
    if base is None:
        d[y] = d[x] / x
    else:
        d[y] = d[x] / (x * math.log(base)) - d[base] * y / (base * math.log(base))


@adjoint(math.log1p, cases=scalar(positive))
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@tangent(math.log1p)
def log1p_tangent(y, x):
    d[y] = d[x] / (1.0 + x)


@adjoint(math.log2, cases=scalar(positive))
def log2(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@tangent(math.log2)
def log2_tangent(y, x):
    d[y] = d[x] / (x * math.log(2.0))


@adjoint(math.log10, cases=scalar(positive))
def log10(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@tangent(math.log10)
def log10_tangent(y, x):
    d[y] = d[x] / (x * math.log(10.0))


@adjoint(math.sqrt, cases=scalar(positive))
def sqrt(y, x):
    d[x] = d[y] / (2.0 * y)


@tangent(math.sqrt)
def sqrt_tangent(y, x):
    d[y] = d[x] / (2.0 * y)


@adjoint(math.sin, cases=scalar())
def sin(y, x):
    d[x] = d[y] * math.cos(x)


@tangent(math.sin)
def sin_tangent(y, x):
    d[y] = d[x] * math.cos(x)


@adjoint(math.cos, cases=scalar())
def cos(y, x):
    d[x] = -d[y] * math.sin(x)


@tangent(math.cos)
def cos_tangent(y, x):
    d[y] = -d[x] * math.sin(x)


@adjoint(math.tan, cases=scalar(unit))
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@tangent(math.tan)
def tan_tangent(y, x):
    d[y] = d[x] * (1.0 + y * y)


@adjoint(math.asin, cases=scalar(unit))
def asin(y, x):
    d[x] = d[y] / math.sqrt(1.0 - x * x)


@tangent(math.asin)
def asin_tangent(y, x):
    d[y] = d[x] / math.sqrt(1.0 - x * x)


@adjoint(math.acos, cases=scalar(unit))
def acos(y, x):
    d[x] = -d[y] / math.sqrt(1.0 - x * x)


@tangent(math.acos)
def acos_tangent(y, x):
    d[y] = -d[x] / math.sqrt(1.0 - x * x)


@adjoint(math.atan, cases=scalar())
def atan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@tangent(math.atan)
def atan_tangent(y, x):
    d[y] = d[x] / (1.0 + x * x)


@adjoint(math.sinh, cases=scalar())
def sinh(y, x):
    d[x] = d[y] * math.cosh(x)


@tangent(math.sinh)
def sinh_tangent(y, x):
    d[y] = d[x] * math.cosh(x)


@adjoint(math.cosh, cases=scalar())
def cosh(y, x):
    d[x] = d[y] * math.sinh(x)


@tangent(math.cosh)
def cosh_tangent(y, x):
    d[y] = d[x] * math.sinh(x)


@adjoint(math.tanh, cases=scalar())
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@tangent(math.tanh)
def tanh_tangent(y, x):
    d[y] = d[x] * (1.0 - y * y)


@adjoint(math.pow, cases=scalars(positive, real))
def pow_(z, x, y):
    d[x] = d[z] * y * math.pow(x, y - 1.0)
    d[y] = d[z] * z * math.log(x)


@tangent(math.pow)
def pow_tangent(z, x, y):
    d[z] = d[x] * y * math.pow(x, y - 1.0) + d[y] * z * math.log(x)


@adjoint(math.fabs, cases=scalar(nonzero))
def fabs(y, x):
    d[x] = d[y] * math.copysign(1.0, x)


@tangent(math.fabs)
def fabs_tangent(y, x):
    d[y] = d[x] * math.copysign(1.0, x)


@adjoint(abs, cases=lambda rng: scalar(nonzero)(rng) + [((nonzero(rng, (3,)),), {})])
def abs_(y, x):
    d[x] = d[y] * np.sign(x)


@tangent(abs)
def abs__tangent(y, x):
    d[y] = d[x] * np.sign(x)


@adjoint(float, cases=scalar())
def float_(y, x):
    d[x] = d[y]



@tangent(float)
def float__tangent(y, x):
    d[y] = d[x]