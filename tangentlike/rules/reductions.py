"""Reductions over all elements or over ``axis`` (an int or a tuple), with ``keepdims``.

The adjoint spreads ``d[y]`` back over the reduced axes: ``np.expand_dims`` restores
them (unless ``keepdims`` kept them) and ``np.full`` repeats the values into a new,
writable array (a broadcast view would be read-only in the user's hands).
"""
import numpy as np

from ..template import d
from .domains import real
from .registry import adjoint, tangent


def _reduction_cases(rng):
    x = real(rng, (2, 3))
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": 1}), ((x,), {"axis": -1}),
            ((x,), {"axis": (0, 1)}), ((x,), {"axis": 0, "keepdims": True}),
            ((x,), {"keepdims": True}), ((real(rng, (4,)),), {}), ((real(rng, ()),), {})]


@adjoint(np.sum, cases=_reduction_cases)
def sum_(y, x, axis=None, dtype=None, out=None, keepdims=False):
    if axis is None or keepdims:
        d[x] = np.full(np.shape(x), d[y])
    else:
        d[x] = np.full(np.shape(x), np.expand_dims(d[y], axis))


@tangent(np.sum)
def sum_tangent(y, x, axis=None, dtype=None, out=None, keepdims=False):
    if keepdims:
        d[y] = np.sum(d[x], axis=axis, keepdims=True)
    else:
        d[y] = np.sum(d[x], axis=axis)


@adjoint(np.mean, cases=_reduction_cases)
def mean(y, x, axis=None, dtype=None, out=None, keepdims=False):
    if axis is None:
        d[x] = np.full(np.shape(x), d[y] / np.size(x))
    elif keepdims:
        d[x] = np.full(np.shape(x), d[y] * (np.size(y) / np.size(x)))
    else:
        d[x] = np.full(np.shape(x), np.expand_dims(d[y], axis) * (np.size(y) / np.size(x)))


@tangent(np.mean)
def mean_tangent(y, x, axis=None, dtype=None, out=None, keepdims=False):
    if keepdims:
        d[y] = np.mean(d[x], axis=axis, keepdims=True)
    else:
        d[y] = np.mean(d[x], axis=axis)
