"""Functions that pick, per element, one of their inputs.

At ties ``maximum`` and ``minimum`` split the derivative evenly between both inputs,
as JAX does; ``where`` sends it to the side its condition chose.
"""
import numpy as np

from ..runtime import unbroadcast
from ..template import d
from .domains import BROADCAST_SHAPES, pairs_without_ties, real
from .registry import adjoint, tangent


@adjoint(np.maximum, np.fmax, cases=pairs_without_ties)
def maximum(z, x, y):
    w = np.where(x == y, 0.5, x > y)
    d[x] = unbroadcast(d[z] * w, x)
    d[y] = unbroadcast(d[z] * (1.0 - w), y)


@tangent(np.maximum, np.fmax)
def maximum_tangent(z, x, y):
    w = np.where(x == y, 0.5, x > y)
    d[z] = d[x] * w + d[y] * (1.0 - w)


@adjoint(np.minimum, np.fmin, cases=pairs_without_ties)
def minimum(z, x, y):
    w = np.where(x == y, 0.5, x < y)
    d[x] = unbroadcast(d[z] * w, x)
    d[y] = unbroadcast(d[z] * (1.0 - w), y)


@tangent(np.minimum, np.fmin)
def minimum_tangent(z, x, y):
    w = np.where(x == y, 0.5, x < y)
    d[z] = d[x] * w + d[y] * (1.0 - w)


def _where_cases(rng):
    out = []
    for sx, sy in BROADCAST_SHAPES:
        cond = rng.uniform(size=np.broadcast_shapes(sx, sy)) > 0.5
        out.append(((cond, real(rng, sx), real(rng, sy)), {}))
    return out


@adjoint(np.where, cases=_where_cases, static_args=(0,))
def where(z, condition, x, y):
    d[x] = unbroadcast(np.where(condition, d[z], 0.0), x)
    d[y] = unbroadcast(np.where(condition, 0.0, d[z]), y)


@tangent(np.where)
def where_tangent(z, condition, x, y):
    d[z] = np.where(condition, d[x], d[y])
