"""Reductions over all elements or over ``axis`` (an int or a tuple), with ``keepdims``.

The adjoint spreads ``d[y]`` back over the reduced axes: ``np.expand_dims`` restores
them (unless ``keepdims`` kept them) and ``np.full`` repeats the values into a new,
writable array (a broadcast view would be read-only in the user's hands). Where the
input can be a scalar, ``d[y] + np.zeros(...)`` does the same and gives a scalar (not
a 0-d array) for a scalar input.
"""
import math

import numpy as np

from ..runtime import expand_reduced, unbroadcast
from ..template import d
from .domains import nonzero, positive, real
from .optional import optional
from .registry import adjoint, nondifferentiable, refuses, tangent
from .shapes import zero_padded


def _reduction_cases(rng):
    x = real(rng, (2, 3))
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": 1}), ((x,), {"axis": -1}),
            ((x,), {"axis": (0, 1)}), ((x,), {"axis": 0, "keepdims": True}),
            ((x,), {"keepdims": True}), ((real(rng, (4,)),), {}), ((real(rng, ()),), {})]


@adjoint(np.sum, cases=_reduction_cases)
def sum_(y, x, axis=None, dtype=None, out=None, keepdims=False):
    if axis is None or keepdims:
        # d[y] everywhere; a scalar, not a 0-d array, for a scalar x
        d[x] = d[y] + np.zeros(np.shape(x), dtype=np.result_type(np.asarray(x), d[y]))
    else:
        d[x] = np.full(np.shape(x), np.expand_dims(d[y], axis), dtype=np.result_type(np.asarray(x), d[y]))


@tangent(np.sum)
def sum_tangent(y, x, axis=None, dtype=None, out=None, keepdims=False):
    if keepdims:
        d[y] = np.sum(d[x], axis=axis, keepdims=True)
    else:
        d[y] = np.sum(d[x], axis=axis)


@adjoint(np.mean, cases=_reduction_cases)
def mean(y, x, axis=None, dtype=None, out=None, keepdims=False):
    if axis is None:
        d[x] = d[y] / np.size(x) + np.zeros(np.shape(x), dtype=np.result_type(np.asarray(x), d[y]))
    elif keepdims:
        d[x] = (d[y] * (np.size(y) / np.size(x))
                + np.zeros(np.shape(x), dtype=np.result_type(np.asarray(x), d[y])))
    else:
        d[x] = np.full(np.shape(x), np.expand_dims(d[y], axis) * (np.size(y) / np.size(x)),
                       dtype=np.result_type(np.asarray(x), d[y]))


@tangent(np.mean)
def mean_tangent(y, x, axis=None, dtype=None, out=None, keepdims=False):
    if keepdims:
        d[y] = np.mean(d[x], axis=axis, keepdims=True)
    else:
        d[y] = np.mean(d[x], axis=axis)


def _axis_cases(rng):
    x = real(rng, (2, 3))
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": -1}), ((x,), {"axis": (0, 1)}),
            ((x,), {"axis": 1, "keepdims": True}), ((real(rng, (4,)),), {})]


def tie_weights(a, y, axis=None, keepdims=False):
    """1/k at the k elements of ``a`` equal to their reduction ``y`` (the maximum, say),
    0 elsewhere: a maximum's derivative is split evenly between tied elements, as in JAX.
    The weights have a's floating dtype (float32 for float32)."""
    if axis is not None and not keepdims:
        y = np.expand_dims(y, axis)
    # np.equal, not ==: a may be a list
    equal = np.equal(a, y)
    weights = equal.astype(np.result_type(np.asarray(a), 1.0))
    if axis is None:
        count = np.count_nonzero(equal)
        if count == 1:   # no tie: the weights are right as they are
            return weights
    elif np.count_nonzero(equal) == np.size(y) and not math.isnan(np.add.reduce(y, axis=None)):
        # every slot's maximum is one of its elements (y has no NaN), so as many equal
        # elements as slots means one in each: no tie, the weights are right as they are
        # (a quarter of the work of the counts per slot below)
        return weights
    else:   # summing the weights in a's float dtype is faster than summing booleans
        count = np.add.reduce(weights, axis=axis, keepdims=True)   # (np.sum's wrapper: 1 µs)
    with np.errstate(invalid="ignore"):   # no element equals y (a NaN): weights NaN
        weights /= count
    return weights


nondifferentiable(tie_weights)


def _expand_reduced_cases(rng):
    x = real(rng, (2, 3))
    return [((real(rng, (3,)), x, 0, False), {}), ((real(rng, (2, 1)), x, 1, True), {}),
            ((real(rng, ()), x, None, False), {}), ((real(rng, ()), x, (0, 1), False), {})]


@adjoint(expand_reduced, cases=_expand_reduced_cases, static_args=(1, 2, 3))
def expand_reduced_(y, g, x, axis, keepdims):
    if axis is None or keepdims:
        d[g] = d[y]
    else:
        d[g] = np.squeeze(d[y], axis)


@tangent(expand_reduced)
def expand_reduced_tangent(y, g, x, axis, keepdims):
    d[y] = expand_reduced(d[g], x, axis, keepdims)


@adjoint(np.max, np.min, cases=_axis_cases)
@adjoint(np.amax, np.nanmax, np.amin, np.nanmin, cases=lambda rng: _axis_cases(rng)[1:4:2])
def max_(y, a, axis=None, out=None, keepdims=False):
    if axis is None or keepdims:
        d[a] = d[y] * tie_weights(a, y, axis=axis, keepdims=keepdims)
    else:
        d[a] = np.expand_dims(d[y], axis) * tie_weights(a, y, axis=axis, keepdims=keepdims)


@tangent(np.max, np.amax, np.nanmax, np.min, np.amin, np.nanmin)
def max_tangent(y, a, axis=None, out=None, keepdims=False):
    d[y] = np.sum(d[a] * tie_weights(a, y, axis=axis, keepdims=keepdims), axis=axis, keepdims=keepdims)


@adjoint(np.ptp, cases=_axis_cases)
def ptp(y, a, axis=None, out=None, keepdims=False):
    w = (tie_weights(a, np.max(a, axis=axis, keepdims=True), axis=axis, keepdims=True)
         - tie_weights(a, np.min(a, axis=axis, keepdims=True), axis=axis, keepdims=True))
    if axis is None or keepdims:
        d[a] = d[y] * w
    else:
        d[a] = np.expand_dims(d[y], axis) * w


@tangent(np.ptp)
def ptp_tangent(y, a, axis=None, out=None, keepdims=False):
    w = (tie_weights(a, np.max(a, axis=axis, keepdims=True), axis=axis, keepdims=True)
         - tie_weights(a, np.min(a, axis=axis, keepdims=True), axis=axis, keepdims=True))
    d[y] = np.sum(d[a] * w, axis=axis, keepdims=keepdims)


def _prod_cases(rng):
    x = real(rng, (2, 3))
    zeros = np.array([[1.5, 0.0, -0.7, 0.4], [0.0, 1.2, 0.0, -0.9], [0.6, -1.1, 0.8, 0.0]])
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": 1, "keepdims": True}),
            ((real(rng, ()),), {}), ((real(rng, (2, 3, 2)),), {"axis": (0, 2)}),
            ((zeros,), {}), ((zeros,), {"axis": 1}), ((zeros,), {"axis": 0, "keepdims": True}),
            ((zeros,), {"axis": -1, "keepdims": True}), ((zeros[1],), {}), ((zeros[:, :2],), {})]


def reduced_axes(a, axis):
    """The axes np.prod(a, axis) reduces (all for None), as non-negative ints."""
    ndim = np.ndim(a)
    return tuple(range(ndim)) if axis is None else tuple(int(i) % ndim for i in np.atleast_1d(axis))


def reduced_rows(a, axis):
    """``a`` as a matrix with one row per product np.prod(a, axis) takes: the reduced
    axes moved to the end and merged into the columns."""
    if axis is None:
        return np.reshape(a, (1, np.size(a)))
    axes = reduced_axes(a, axis)
    kept = [n for i, n in enumerate(np.shape(a)) if i not in axes]
    moved = np.moveaxis(a, axes, tuple(range(len(kept), np.ndim(a))))
    return np.reshape(moved, (math.prod(kept), math.prod(np.shape(a)[i] for i in axes)))


def from_rows(r, a, axis):
    """The inverse of ``reduced_rows(a, axis)``: the rows ``r`` in a's layout and shape."""
    if axis is None:
        return np.reshape(r, np.shape(a))
    axes = reduced_axes(a, axis)
    kept = [i for i in range(np.ndim(a)) if i not in axes]
    moved = np.reshape(r, tuple(np.shape(a)[i] for i in kept + list(axes)))
    return np.moveaxis(moved, tuple(range(len(kept), np.ndim(a))), axes)


nondifferentiable(reduced_axes)


def _rows_cases(rng):
    return [((real(rng, (2, 3)), None), {}), ((real(rng, (2, 3)), 0), {}),
            ((real(rng, (2, 3, 4)), (0, 2)), {}), ((real(rng, ()), None), {})]


@adjoint(reduced_rows, cases=_rows_cases, static_args=(1,))
def reduced_rows_(r, a, axis):
    d[a] = from_rows(d[r], a, axis)


@tangent(reduced_rows)
def reduced_rows_tangent(r, a, axis):
    d[r] = reduced_rows(d[a], axis)


def _from_rows_cases(rng):
    out = []
    for (a, axis), _ in _rows_cases(rng):
        out.append(((real(rng, np.shape(reduced_rows(a, axis))), a, axis), {}))
    return out


@adjoint(from_rows, cases=_from_rows_cases, static_args=(1, 2))
def from_rows_(y, r, a, axis):
    d[r] = reduced_rows(d[y], axis)


@tangent(from_rows)
def from_rows_tangent(y, r, a, axis):
    d[y] = from_rows(d[r], a, axis)


def shift_in_ones(v):
    """The matrix ``v`` shifted one column to the right, ones entering on the left:
    np.cumprod(shift_in_ones(v), axis=1) holds the products of the elements before each."""
    return np.concatenate([np.ones_like(v[:, :1]), v[:, :-1]], axis=1)


@adjoint(shift_in_ones, cases=lambda rng: [((real(rng, (2, 3)),), {}), ((real(rng, (1, 1)),), {})])
def shift_in_ones_(y, v):
    d[v] = np.concatenate([d[y][:, 1:], np.zeros_like(d[y][:, :1])], axis=1)


@tangent(shift_in_ones)
def shift_in_ones_tangent(y, v):
    d[y] = np.concatenate([np.zeros_like(d[v][:, :1]), d[v][:, :-1]], axis=1)


# Each element's derivative is the product of the others: of the elements before it
# times of those after it (running products, one row per product taken). Unlike
# np.prod(a) / a this is exact where elements are 0, and so is its own derivative.
@adjoint(np.prod, cases=_prod_cases)
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    rows = reduced_rows(a, axis)
    before = np.cumprod(shift_in_ones(rows), axis=1)
    after = np.cumprod(shift_in_ones(rows[:, ::-1]), axis=1)[:, ::-1]
    others = from_rows(before * after, a, axis)
    if axis is None or keepdims:
        d[a] = d[y] * others
    else:
        d[a] = np.expand_dims(d[y], axis) * others


@tangent(np.prod)
def prod_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    rows = reduced_rows(a, axis)
    before = np.cumprod(shift_in_ones(rows), axis=1)
    after = np.cumprod(shift_in_ones(rows[:, ::-1]), axis=1)[:, ::-1]
    d[y] = np.sum(d[a] * from_rows(before * after, a, axis), axis=axis, keepdims=keepdims)


def _nanprod_cases(rng):
    x = np.array([[1.5, np.nan, -0.7, 0.0], [0.0, 1.2, np.nan, 0.0], [0.6, -1.1, 0.8, 0.4]])
    return _nan_cases(rng) + [((x,), {}), ((x,), {"axis": 1})]


@adjoint(np.nanprod, cases=_nanprod_cases)
def nanprod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    # np.prod with NaNs counted as ones
    rows = reduced_rows(np.where(np.isnan(a), 1.0, a), axis)
    before = np.cumprod(shift_in_ones(rows), axis=1)
    after = np.cumprod(shift_in_ones(rows[:, ::-1]), axis=1)[:, ::-1]
    others = from_rows(before * after, a, axis)
    if axis is None or keepdims:
        d[a] = np.where(np.isnan(a), 0.0, d[y] * others)
    else:
        d[a] = np.where(np.isnan(a), 0.0, np.expand_dims(d[y], axis) * others)


@tangent(np.nanprod)
def nanprod_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    rows = reduced_rows(np.where(np.isnan(a), 1.0, a), axis)
    before = np.cumprod(shift_in_ones(rows), axis=1)
    after = np.cumprod(shift_in_ones(rows[:, ::-1]), axis=1)[:, ::-1]
    d[y] = np.sum(np.where(np.isnan(a), 0.0, d[a]) * from_rows(before * after, a, axis),
                  axis=axis, keepdims=keepdims)


def _var_cases(rng):
    x = real(rng, (3, 4))
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": 1, "ddof": 1}),
            ((x,), {"axis": (0, 1), "keepdims": True}), ((real(rng, (5,)),), {"ddof": 1}),
            ((real(rng, (3, 1)),), {"axis": 1, "keepdims": True})]   # (std 0 for every x)


@adjoint(np.var, cases=_var_cases)
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    n = np.size(a) / np.size(y) - ddof
    if axis is None or keepdims:
        d[a] = d[y] * (2.0 / n) * centered
    else:
        d[a] = np.expand_dims(d[y], axis) * (2.0 / n) * centered


@tangent(np.var)
def var_tangent(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    n = np.size(a) / np.size(y) - ddof
    d[y] = (2.0 / n) * np.sum(d[a] * centered, axis=axis, keepdims=keepdims)


# std is a 2-norm of the centered data; where it is 0 (constant data, also one element
# per slot, where std is 0 whatever the data) the rules divide by 1.0 instead (y + (y ==
# 0)): the derivative is the subgradient 0, as for np.linalg.norm at the zero vector,
# not 0 / 0 (docs/conventions.md). Was nan, also for np.std(x, axis=1) of a column,
# which is 0 for every x.
@adjoint(np.std, cases=_var_cases)
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    n = np.size(a) / np.size(y) - ddof
    if axis is None or keepdims:
        d[a] = d[y] / (n * (y + (y == 0))) * centered
    else:
        d[a] = np.expand_dims(d[y] / (n * (y + (y == 0))), axis) * centered


@tangent(np.std)
def std_tangent(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    n = np.size(a) / np.size(y) - ddof
    d[y] = np.sum(d[a] * centered, axis=axis, keepdims=keepdims) / (n * (y + (y == 0)))


def _nan_cases(rng):
    x = real(rng, (3, 4))
    x[0, 1] = x[2, 3] = np.nan
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": 1, "keepdims": True}),
            ((real(rng, (4,)),), {})]


@adjoint(np.nansum, cases=_nan_cases)
def nansum(y, a, axis=None, dtype=None, out=None, keepdims=False):
    if axis is None or keepdims:
        d[a] = np.where(np.isnan(a), 0.0, d[y])
    else:
        d[a] = np.where(np.isnan(a), 0.0, np.expand_dims(d[y], axis))


@tangent(np.nansum)
def nansum_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(np.where(np.isnan(a), 0.0, d[a]), axis=axis, keepdims=keepdims)


@adjoint(np.nanmean, cases=_nan_cases)
def nanmean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    count = np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=True,
                   dtype=np.result_type(np.asarray(a), 1.0))
    if axis is None or keepdims:
        d[a] = np.where(np.isnan(a), 0.0, d[y] / count)
    else:
        d[a] = np.where(np.isnan(a), 0.0, np.expand_dims(d[y], axis) / count)


@tangent(np.nanmean)
def nanmean_tangent(y, a, axis=None, dtype=None, out=None, keepdims=False):
    count = np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=keepdims,
                   dtype=np.result_type(np.asarray(a), 1.0))
    d[y] = np.sum(np.where(np.isnan(a), 0.0, d[a]), axis=axis, keepdims=keepdims) / count


def _nanvar_cases(rng):
    x = real(rng, (3, 4))
    x[0, 1] = x[2, 3] = np.nan
    return [((x,), {}), ((x,), {"axis": 0, "ddof": 1}), ((x,), {"axis": 1, "keepdims": True})]


@adjoint(np.nanvar, cases=_nanvar_cases)
def nanvar(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    n = np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=True,
                   dtype=np.result_type(np.asarray(a), 1.0)) - ddof
    if axis is None or keepdims:
        d[a] = d[y] * (2.0 / n) * centered
    else:
        d[a] = np.expand_dims(d[y], axis) * (2.0 / n) * centered


@tangent(np.nanvar)
def nanvar_tangent(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    n = np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=keepdims,
                   dtype=np.result_type(np.asarray(a), 1.0)) - ddof
    d[y] = (2.0 / n) * np.sum(np.where(np.isnan(a), 0.0, d[a]) * centered, axis=axis,
                              keepdims=keepdims)


@adjoint(np.nanstd, cases=_nanvar_cases)
def nanstd(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    n = np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=True,
                   dtype=np.result_type(np.asarray(a), 1.0)) - ddof
    if axis is None or keepdims:
        d[a] = d[y] / (n * (y + (y == 0))) * centered   # (at 0: see std)
    else:
        d[a] = np.expand_dims(d[y], axis) / (n * np.expand_dims(y + (y == 0), axis)) * centered


@tangent(np.nanstd)
def nanstd_tangent(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    n = np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=keepdims,
                   dtype=np.result_type(np.asarray(a), 1.0)) - ddof
    d[y] = np.sum(np.where(np.isnan(a), 0.0, d[a]) * centered, axis=axis, keepdims=keepdims) / (n * (y + (y == 0)))


# -- running sums and products -------------------------------------------------------------
def _cumulative_cases(rng):
    x = real(rng, (2, 3))
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": -1}), ((real(rng, (4,)),), {})]


def _cumulative_axis_cases(rng):
    return [((real(rng, (2, 3)),), {"axis": 0}), ((real(rng, (4,)),), {})]


@adjoint(np.cumsum, cases=_cumulative_cases)
@adjoint(*optional(np, "cumulative_sum"), cases=_cumulative_axis_cases)
def cumsum(y, a, axis=None, dtype=None, out=None):
    # each element feeds every later partial sum: a reversed running sum
    if axis is None:
        d[a] = np.reshape(np.flip(np.cumsum(np.flip(d[y]))), np.shape(a))
    else:
        d[a] = np.flip(np.cumsum(np.flip(d[y], axis), axis=axis), axis)


@tangent(np.cumsum, *optional(np, "cumulative_sum"))
def cumsum_tangent(y, a, axis=None, dtype=None, out=None):
    d[y] = np.cumsum(d[a], axis=axis)


@adjoint(np.nancumsum, cases=lambda rng: _nan_cases(rng)[:2])
def nancumsum(y, a, axis=None, dtype=None, out=None):
    if axis is None:
        d[a] = np.where(np.isnan(a), 0.0, np.reshape(np.flip(np.cumsum(np.flip(d[y]))), np.shape(a)))
    else:
        d[a] = np.where(np.isnan(a), 0.0, np.flip(np.cumsum(np.flip(d[y], axis), axis=axis), axis))


@tangent(np.nancumsum)
def nancumsum_tangent(y, a, axis=None, dtype=None, out=None):
    d[y] = np.cumsum(np.where(np.isnan(a), 0.0, d[a]), axis=axis)


def _cumprod_cases(rng):
    x = nonzero(rng, (2, 3))
    zeros = np.array([[0.0, 0.0, 1.5, -0.7], [0.3, 0.0, 0.0, 1.2], [0.0, 0.9, -1.1, 0.0]])
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": -1}), ((nonzero(rng, (4,)),), {}),
            ((zeros,), {"axis": 1}), ((zeros,), {})]


def shift_left(v):
    """The matrix ``v`` shifted one column to the left, zeros entering on the right."""
    return np.concatenate([v[:, 1:], np.zeros_like(v[:, :1])], axis=1)


def shift_right(v):
    """The matrix ``v`` shifted one column to the right, zeros entering on the left."""
    return np.concatenate([np.zeros_like(v[:, :1]), v[:, :-1]], axis=1)


def _shift_cases(rng):
    return [((real(rng, (2, 3)),), {}), ((real(rng, (1, 1)),), {})]


@adjoint(shift_left, cases=_shift_cases)
def shift_left_(y, v):
    d[v] = shift_right(d[y])


@tangent(shift_left)
def shift_left_tangent(y, v):
    d[y] = shift_left(d[v])


@adjoint(shift_right, cases=_shift_cases)
def shift_right_(y, v):
    d[v] = shift_left(d[y])


@tangent(shift_right)
def shift_right_tangent(y, v):
    d[y] = shift_right(d[v])


def reversed_scan(g, c):
    """``s`` with ``s_i = g_i + c_i s_(i+1)`` along each row of the matrices g and c
    (``s_(n-1) = g_(n-1)``): ``s_i`` is the sum over ``k >= i`` of ``g_k c_i ... c_(k-1)``.
    Computed by doubling, in log2(n) steps of whole-matrix operations: after a step of
    length m, ``s_i`` holds the terms of ``k < i + 2m`` and ``scale_i`` the product of
    ``c_i ... c_(i+2m-1)``. No division: exact wherever c is 0."""
    s = np.array(g, dtype=np.result_type(g, c, 1.0))
    scale = np.array(c, dtype=s.dtype)
    n, m = np.shape(s)[1], 1
    while m < n:
        s[:, :n - m] += scale[:, :n - m] * s[:, m:]
        scale[:, :n - m] = scale[:, :n - m] * scale[:, m:]
        m *= 2
    return s


def running_scan(h, c):
    """``w`` with ``w_k = h_k + c_(k-1) w_(k-1)`` along each row of the matrices h and c
    (``w_0 = h_0``): the sum over ``i <= k`` of ``h_i c_i ... c_(k-1)``, the transpose of
    reversed_scan. By doubling, as reversed_scan."""
    w = np.array(h, dtype=np.result_type(h, c, 1.0))
    scale = shift_right(np.asarray(c, dtype=w.dtype))
    n, m = np.shape(w)[1], 1
    while m < n:
        w[:, m:] += scale[:, m:] * w[:, :n - m]
        scale[:, m:] = scale[:, m:] * scale[:, :n - m]
        m *= 2
    return w


def _scan_cases(rng):
    return [((real(rng, (2, 5)), real(rng, (2, 5))), {}), ((real(rng, (1, 1)), real(rng, (1, 1))), {}),
            ((real(rng, (3, 4)), real(rng, (3, 4))), {})]


@adjoint(reversed_scan, cases=_scan_cases)
def reversed_scan_(y, g, c):
    w = running_scan(d[y], c)
    d[g] = w
    d[c] = w * shift_left(y)


@tangent(reversed_scan)
def reversed_scan_tangent(y, g, c):
    d[y] = reversed_scan(d[g] + d[c] * shift_left(y), c)


@adjoint(running_scan, cases=_scan_cases)
def running_scan_(y, h, c):
    s = reversed_scan(d[y], c)
    d[h] = s
    d[c] = y * shift_left(s)


@tangent(running_scan)
def running_scan_tangent(y, h, c):
    d[y] = running_scan(d[h] + shift_right(d[c] * y), c)


# d y_k / d a_i (i <= k) is the product of the elements before a_i times the product of
# a_(i+1) ... a_k: the running product shifted in ones times scans of the elements after
# each (reversed_scan for the adjoint, running_scan for the tangent). Unlike y_k / a_i
# this is exact where elements are 0, and so are its derivatives, to every order.
@adjoint(np.cumprod, cases=_cumprod_cases)
@adjoint(*optional(np, "cumulative_prod"), cases=lambda rng: _cumprod_cases(rng)[1:-1])
def cumprod(y, a, axis=None, dtype=None, out=None):
    rows = reduced_rows(a, axis)
    before = np.cumprod(shift_in_ones(rows), axis=1)
    g = reduced_rows(np.reshape(np.broadcast_to(d[y], np.shape(y)), np.shape(a)), axis)
    d[a] = from_rows(before * reversed_scan(g, shift_left(rows)), a, axis)


@tangent(np.cumprod, *optional(np, "cumulative_prod"))
def cumprod_tangent(y, a, axis=None, dtype=None, out=None):
    rows = reduced_rows(a, axis)
    before = np.cumprod(shift_in_ones(rows), axis=1)
    dy = running_scan(reduced_rows(d[a], axis) * before, shift_left(rows))
    d[y] = np.reshape(from_rows(dy, a, axis), np.shape(y))


def diff_pad_width(y, n, axis, a):
    """Padding for the adjoint of np.diff along ``axis``: ``n`` zeros before, and after
    as many as make its difference as long as ``a`` (``n``, but for an ``a`` of at most
    ``n`` elements there, whose difference ``y`` is empty: the gradient is zeros like a)."""
    width = [(0, 0)] * np.ndim(y)
    width[axis] = (n, np.shape(a)[axis] - np.shape(y)[axis])
    return width


nondifferentiable(diff_pad_width)


def _diff_cases(rng):
    x = real(rng, (3, 4))
    return [((x,), {}), ((x,), {"axis": 0}), ((x, 2), {}), ((real(rng, (5,)), 3), {})]


@adjoint(np.diff, cases=_diff_cases)
def diff(y, a, n=1, axis=-1):
    # the transpose of a difference is minus a difference of the zero-padded adjoint
    if n % 2 == 0:
        d[a] = np.diff(zero_padded(d[y], diff_pad_width(d[y], n, axis, a)), n, axis=axis)
    else:
        d[a] = -np.diff(zero_padded(d[y], diff_pad_width(d[y], n, axis, a)), n, axis=axis)


@tangent(np.diff)
def diff_tangent(y, a, n=1, axis=-1):
    d[y] = np.diff(d[a], n, axis=axis)


# -- weighted means and order statistics -----------------------------------------------------
def weights_shape(a, weights, axis):
    """The shape that makes ``weights`` of np.average broadcast against ``a``."""
    if np.shape(weights) == np.shape(a) or axis is None:
        return np.shape(weights)
    shape = [1] * np.ndim(a)
    shape[axis] = np.size(weights)
    return tuple(shape)


nondifferentiable(weights_shape)


def average_weights(a, weights, axis):
    """np.average's weights broadcastable against ``a`` (ones when there are none)."""
    if weights is None:   # in a's precision, so float32 data keeps float32 gradients
        return np.ones(np.shape(a), dtype=np.result_type(np.asarray(a), 1.0))
    return np.reshape(weights, weights_shape(a, weights, axis))


def _average_weights_cases(rng):
    return [((real(rng, (2, 3)), positive(rng, (3,)), 1), {}),
            ((real(rng, (2, 3)), positive(rng, (2, 3)), None), {})]


@adjoint(average_weights, cases=_average_weights_cases, static_args=(0, 2))
def average_weights_(w, a, weights, axis):
    d[weights] = np.reshape(d[w], np.shape(weights))


@tangent(average_weights)
def average_weights_tangent(w, a, weights, axis):
    d[w] = average_weights(a, d[weights], axis)


def _average_cases(rng):
    x = real(rng, (2, 3))
    return [((x,), {}), ((x,), {"axis": 0}), ((x, 1, positive(rng, (3,))), {}),
            ((x, None, positive(rng, (2, 3))), {}), ((x, 0, positive(rng, (2,))), {"keepdims": True})]


@adjoint(np.average, cases=_average_cases, static_args=(1,))
def average(y, a, axis=None, weights=None, returned=False, keepdims=False):
    # y = sum(w a) / sum(w) over axis
    w = average_weights(a, weights, axis)
    total = np.sum(w, axis=axis, keepdims=True)
    if axis is None or keepdims:
        g = d[y] / total
        d[a] = g * w
        d[weights] = np.reshape(unbroadcast(g * (a - y), w), np.shape(weights))
    else:
        g = np.expand_dims(d[y], axis) / total
        d[a] = g * w
        d[weights] = np.reshape(unbroadcast(g * (a - np.expand_dims(y, axis)), w), np.shape(weights))


@tangent(np.average)
def average_tangent(y, a, axis=None, weights=None, returned=False, keepdims=False):
    w = average_weights(a, weights, axis)
    dw = average_weights(a, d[weights], axis)
    if axis is None or keepdims:
        d[y] = np.sum(d[a] * w + dw * (a - y), axis=axis, keepdims=keepdims) / np.sum(w, axis=axis, keepdims=keepdims)
    else:
        d[y] = (np.sum(d[a] * w + dw * (a - np.expand_dims(y, axis)), axis=axis)
                / np.sum(w, axis=axis))


@refuses(np.quantile, np.percentile)
def quantile_refusal(a, q, *args, **kwargs):
    """None if the rules differentiate ``np.quantile(a, q, ...)`` (or percentile), else
    (reason, hint): they take one scalar q."""
    if np.ndim(q) != 0:
        return ("tangentlike differentiates np.quantile and np.percentile for a scalar q "
                f"only, not for q of shape {np.shape(q)}",
                "call it once for each q: np.stack([np.quantile(a, q) for q in qs])")
    return None


def quantile_weights(a, q, axis=None):
    """How the ``q``-quantile of ``a`` (NumPy's default 'linear' method) depends on each
    element: the two order statistics it interpolates get ``1 - frac`` and ``frac``.
    Order statistics are taken as np.sort orders ties (stably), like a sort-based JAX
    quantile: of tied elements, the one at that sorted position gets the weight."""
    problem = quantile_refusal(a, q)
    if problem is not None:
        raise NotImplementedError(problem[0])
    a = np.asarray(a, dtype=np.result_type(np.asarray(a), 1.0))
    axes = tuple(range(a.ndim)) if axis is None else tuple(
        int(i) % a.ndim for i in np.atleast_1d(axis))
    last = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, last)
    # (the reduced length written out: -1 cannot be inferred when a kept axis is empty)
    flat = np.reshape(moved, moved.shape[:a.ndim - len(axes)]
                      + (math.prod(moved.shape[a.ndim - len(axes):]),))
    if flat.shape[-1] == 0:   # the quantile of nothing (NumPy's nan): no element weighs
        return np.zeros(a.shape, dtype=a.dtype)
    position = q * (flat.shape[-1] - 1)
    low, high = int(np.floor(position)), int(np.ceil(position))
    order = np.argsort(flat, axis=-1, kind="stable")
    w = np.zeros(flat.shape, dtype=a.dtype)
    np.put_along_axis(w, order[..., low:low + 1], 1.0 - (position - low), axis=-1)
    np.put_along_axis(w, order[..., high:high + 1],
                      np.take_along_axis(w, order[..., high:high + 1], -1) + (position - low),
                      axis=-1)
    return np.moveaxis(np.reshape(w, moved.shape), last, axes)


nondifferentiable(quantile_weights)


def _quantile_cases(rng):
    x = real(rng, (3, 4))
    return [((x, 0.3), {}), ((x, 0.5), {"axis": 0}), ((x, 0.75), {"axis": 1, "keepdims": True}),
            ((real(rng, (5,)), 0.9), {})]


@adjoint(np.quantile, cases=_quantile_cases, static_args=(1,))
def quantile(y, a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False):
    if axis is None or keepdims:
        d[a] = d[y] * quantile_weights(a, q, axis=axis)
    else:
        d[a] = np.expand_dims(d[y], axis) * quantile_weights(a, q, axis=axis)


@tangent(np.quantile)
def quantile_tangent(y, a, q, axis=None, out=None, overwrite_input=False, method="linear",
                     keepdims=False):
    d[y] = np.sum(d[a] * quantile_weights(a, q, axis=axis), axis=axis, keepdims=keepdims)


@adjoint(np.percentile, cases=lambda rng: [((real(rng, (3, 4)), 30.0), {}),
                                          ((real(rng, (3, 4)), 80.0), {"axis": 1})],
         static_args=(1,))
def percentile(y, a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False):
    if axis is None or keepdims:
        d[a] = d[y] * quantile_weights(a, q / 100.0, axis=axis)
    else:
        d[a] = np.expand_dims(d[y], axis) * quantile_weights(a, q / 100.0, axis=axis)


@tangent(np.percentile)
def percentile_tangent(y, a, q, axis=None, out=None, overwrite_input=False, method="linear",
                       keepdims=False):
    d[y] = np.sum(d[a] * quantile_weights(a, q / 100.0, axis=axis), axis=axis, keepdims=keepdims)


def _median_cases(rng):
    x = real(rng, (3, 4))
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": 1}), ((x,), {"axis": -1, "keepdims": True}),
            ((real(rng, (5,)),), {})]


@adjoint(np.median, cases=_median_cases)
def median(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    if axis is None or keepdims:
        d[a] = d[y] * quantile_weights(a, 0.5, axis=axis)
    else:
        d[a] = np.expand_dims(d[y], axis) * quantile_weights(a, 0.5, axis=axis)


@tangent(np.median)
def median_tangent(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[y] = np.sum(d[a] * quantile_weights(a, 0.5, axis=axis), axis=axis, keepdims=keepdims)


# -- covariance and correlation ---------------------------------------------------------------
def as_variables(m, rowvar):
    """np.cov's view of ``m``: one row per variable, one column per observation. (With
    rowvar=False older NumPy leaves a single row as one variable, recent NumPy transposes
    every 2-D m: one observation of each variable; _COV_TRANSPOSES_ONE_ROW asks NumPy.)"""
    x = np.atleast_2d(m)
    if rowvar or (np.ndim(m) == 1 if _COV_TRANSPOSES_ONE_ROW else np.shape(x)[0] == 1):
        return x
    return np.transpose(x)


_COV_TRANSPOSES_ONE_ROW = np.cov(np.zeros((1, 2)), rowvar=False, bias=True).shape == (2, 2)


def from_variables(g, m, rowvar):
    """The adjoint of ``as_variables``: ``g`` back in the layout and shape of ``m``."""
    x = np.atleast_2d(m)
    return np.reshape(np.transpose(g) if not rowvar and np.shape(x)[0] != 1 else g, np.shape(m))


def _variables_cases(rng):
    return [((real(rng, (2, 5)), True), {}), ((real(rng, (5, 2)), False), {}),
            ((real(rng, (4,)), False), {})]


@adjoint(as_variables, cases=_variables_cases, static_args=(1,))
def as_variables_(x, m, rowvar):
    d[m] = from_variables(d[x], m, rowvar)


@tangent(as_variables)
def as_variables_tangent(x, m, rowvar):
    d[x] = as_variables(d[m], rowvar)


def _from_variables_cases(rng):
    return [((real(rng, (2, 5)), real(rng, (2, 5)), True), {}),
            ((real(rng, (2, 5)), real(rng, (5, 2)), False), {}),
            ((real(rng, (1, 4)), real(rng, (4,)), False), {})]


@adjoint(from_variables, cases=_from_variables_cases, static_args=(1, 2))
def from_variables_(y, g, m, rowvar):
    d[g] = as_variables(d[y], rowvar)


@tangent(from_variables)
def from_variables_tangent(y, g, m, rowvar):
    d[y] = from_variables(d[g], m, rowvar)


def degrees_of_freedom(x, bias, ddof):
    """np.cov's divisor: observations minus ddof (by default 1, or 0 with bias)."""
    if ddof is None:
        ddof = 0 if bias else 1
    return np.shape(x)[1] - ddof


def variables_square(x):
    return (np.shape(x)[0], np.shape(x)[0])


nondifferentiable(degrees_of_freedom, variables_square)


def _cov_cases(rng):
    return [((real(rng, (3, 5)),), {}), ((real(rng, (5, 2)),), {"rowvar": False}),
            ((real(rng, (6,)),), {"bias": True}), ((real(rng, (2, 4)),), {"ddof": 0})]


@adjoint(np.cov, cases=_cov_cases)
def cov(c, m, y=None, rowvar=True, bias=False, ddof=None):
    # c = xc xc^T / n with xc the centered variables
    x = as_variables(m, rowvar)
    xc = x - np.mean(x, axis=1, keepdims=True)
    g = np.reshape(d[c], variables_square(x))
    d[m] = from_variables((g + np.transpose(g)) @ xc / degrees_of_freedom(x, bias, ddof), m, rowvar)


@tangent(np.cov)
def cov_tangent(c, m, y=None, rowvar=True, bias=False, ddof=None):
    x = as_variables(m, rowvar)
    xc = x - np.mean(x, axis=1, keepdims=True)
    dx = as_variables(d[m], rowvar)
    dxc = dx - np.mean(dx, axis=1, keepdims=True)
    d[c] = np.reshape((dxc @ np.transpose(xc) + xc @ np.transpose(dxc))
                      / degrees_of_freedom(x, bias, ddof), np.shape(c))


def _corrcoef_cases(rng):
    return [((real(rng, (3, 5)),), {}), ((real(rng, (5, 2)),), {"rowvar": False})]


@adjoint(np.corrcoef, cases=_corrcoef_cases)
def corrcoef(r, x, y=None, rowvar=True):
    # r = c / (s s^T) with c = np.cov(x) and s = sqrt(diag(c)); of one variable NumPy
    # gives the number 1.0 (a matrix 1 x 1 here, whose derivative is 0)
    v = as_variables(x, rowvar)
    xc = v - np.mean(v, axis=1, keepdims=True)
    c = xc @ np.transpose(xc)
    s = np.sqrt(np.diag(c))
    g = np.reshape(d[r], variables_square(v))
    h = g * np.reshape(r, variables_square(v))
    gc = g / np.outer(s, s) - np.diag(np.sum(h + np.transpose(h), axis=1) / (2.0 * np.diag(c)))
    d[x] = from_variables((gc + np.transpose(gc)) @ xc, x, rowvar)


@tangent(np.corrcoef)
def corrcoef_tangent(r, x, y=None, rowvar=True):
    v = as_variables(x, rowvar)
    xc = v - np.mean(v, axis=1, keepdims=True)
    c = xc @ np.transpose(xc)
    s = np.sqrt(np.diag(c))
    dv = as_variables(d[x], rowvar)
    dxc = dv - np.mean(dv, axis=1, keepdims=True)
    dc = dxc @ np.transpose(xc) + xc @ np.transpose(dxc)
    u = np.diag(dc) / (2.0 * np.diag(c))
    d[r] = np.reshape(dc / np.outer(s, s) - np.reshape(r, variables_square(v))
                      * (np.expand_dims(u, 1) + np.expand_dims(u, 0)), np.shape(r))
