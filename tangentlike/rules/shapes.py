"""Functions that only move elements around: the adjoint moves them back."""
import operator

import numpy as np

from ..runtime import add_at, add_grads, astype, broadcast_like, unbroadcast
from ..template import d
from .domains import real
from .registry import adjoint, tangent


def _reshape_cases(rng):
    return [((real(rng, (2, 3)), (3, 2)), {}), ((real(rng, (2, 3)), (-1,)), {}),
            ((real(rng, (6,)), (2, 3)), {"order": "F"}), ((real(rng, ()), (1, 1)), {})]


@adjoint(np.reshape, cases=_reshape_cases, static_args=(1,))
def reshape(y, a, shape, order="C"):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


@tangent(np.reshape)
def reshape_tangent(y, a, shape, order="C"):
    d[y] = np.reshape(d[a], shape, order=order)


def _transpose_cases(rng):
    return [((real(rng, (2, 3)),), {}), ((real(rng, (2, 3, 4)),), {}),
            ((real(rng, (2, 3, 4)), (1, 2, 0)), {}), ((real(rng, (3,)),), {})]


@adjoint(np.transpose, cases=_transpose_cases, static_args=(1,))
def transpose(y, a, axes=None):
    if axes is None:
        d[a] = np.transpose(d[y])
    else:
        d[a] = np.transpose(d[y], np.argsort(axes))


@tangent(np.transpose)
def transpose_tangent(y, a, axes=None):
    d[y] = np.transpose(d[a], axes)


def _expand_dims_cases(rng):
    return [((real(rng, (3,)), 0), {}), ((real(rng, (2, 3)), (0, -1)), {})]


@adjoint(np.expand_dims, cases=_expand_dims_cases, static_args=(1,))
def expand_dims(y, a, axis):
    d[a] = np.reshape(d[y], np.shape(a))


@tangent(np.expand_dims)
def expand_dims_tangent(y, a, axis):
    d[y] = np.expand_dims(d[a], axis)


def _broadcast_to_cases(rng):
    return [((real(rng, (3,)), (2, 3)), {}), ((real(rng, ()), (2,)), {}),
            ((real(rng, (2, 1)), (2, 3)), {})]


@adjoint(np.broadcast_to, cases=_broadcast_to_cases, static_args=(1,))
def broadcast_to(y, array, shape):
    d[array] = unbroadcast(d[y], array)


@tangent(np.broadcast_to)
def broadcast_to_tangent(y, array, shape):
    d[y] = np.broadcast_to(d[array], shape)


def _unbroadcast_cases(rng):
    return [((real(rng, (2, 3)), real(rng, (3,))), {}), ((real(rng, (2, 3)), real(rng, ())), {}),
            ((real(rng, (2, 3)), real(rng, (2, 1))), {}), ((real(rng, (3,)), real(rng, (3,))), {})]


@adjoint(unbroadcast, cases=_unbroadcast_cases, static_args=(1,))
def unbroadcast_(y, g, x):
    d[g] = np.broadcast_to(d[y], np.shape(g))


@tangent(unbroadcast)
def unbroadcast_tangent(y, g, x):
    d[y] = unbroadcast(d[g], x)


def _broadcast_like_cases(rng):
    return [((real(rng, (3,)), real(rng, (2, 3))), {}), ((real(rng, ()), real(rng, (3,))), {}),
            ((real(rng, (3,)), real(rng, (3,))), {})]


@adjoint(broadcast_like, cases=_broadcast_like_cases, static_args=(1,))
def broadcast_like_(z, t, y):
    d[t] = unbroadcast(d[z], t)


@tangent(broadcast_like)
def broadcast_like_tangent(z, t, y):
    d[z] = broadcast_like(d[t], y)


@adjoint(astype, cases=lambda rng: [((real(rng, (3,)), float), {})], static_args=(1,))
def astype_(y, x, dtype):
    d[x] = d[y]


@tangent(astype)
def astype_tangent(y, x, dtype):
    d[y] = d[x]


def _getitem_cases(rng):
    x = real(rng, (4, 3))
    return [((x, 1), {}), ((x, (2, 0)), {}), ((x, slice(1, 3)), {}),
            ((x, (slice(None), 0)), {}), ((x, -1), {}), ((x, slice(None, None, -2)), {}),
            ((x, np.array([0, 2, 0])), {}), ((x, x > 0), {}), ((real(rng, (5,)), 3), {})]


@adjoint(operator.getitem, cases=_getitem_cases, static_args=(1,))
def getitem(y, x, index):
    d[x] = add_at(d[y], x, index)


@tangent(operator.getitem)
def getitem_tangent(y, x, index):
    d[y] = d[x][index]


def _add_at_cases(rng):
    return [((real(rng, (3,)), real(rng, (4, 3)), 1), {}),
            ((real(rng, (3,)), real(rng, (5,)), np.array([0, 2, 0])), {})]


@adjoint(add_at, cases=_add_at_cases, static_args=(1, 2))
def add_at_(y, g, x, index):
    d[g] = d[y][index]


@tangent(add_at)
def add_at_tangent(y, g, x, index):
    d[y] = add_at(d[g], x, index)


def _add_grads_cases(rng):
    return [((real(rng, (3,)), real(rng, (3,))), {}), ((real(rng, ()), real(rng, ())), {})]


@adjoint(add_grads, cases=_add_grads_cases)
def add_grads_(y, a, b):
    d[a] = d[y]
    d[b] = d[y]


@tangent(add_grads)
def add_grads_tangent(y, a, b):
    d[y] = add_grads(d[a], d[b])


def _full_cases(rng):
    return [(((2, 3), real(rng, ())), {}), (((2, 3), real(rng, (3,))), {}),
            (((3,), real(rng, (3,))), {})]


@adjoint(np.full, cases=_full_cases, static_args=(0,))
def full(y, shape, fill_value):
    d[fill_value] = unbroadcast(d[y], fill_value)


@tangent(np.full)
def full_tangent(y, shape, fill_value):
    d[y] = np.full(shape, d[fill_value])
