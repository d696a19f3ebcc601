"""Functions that pick, per element, one of their inputs.

At ties ``maximum`` and ``minimum`` split the derivative evenly between both inputs,
as JAX does; ``where`` sends it to the side its condition chose. The shares are
computed in the floating dtype of the result (``np.result_type(z, 1.0)``, which is that
of the inputs; unlike the inputs, z is never a list), so float32 inputs get float32
derivatives. Comparisons are ufunc calls (``np.greater(x, y)``), not operators, so that
lists passed where NumPy accepts arrays work.
"""
import numpy as np

from ..runtime import add_at, unbroadcast
from ..template import constant, d
from .domains import BROADCAST_SHAPES, pairs_without_ties, real
from .registry import adjoint, nondifferentiable, tangent


def share(x, y, dtype, wins):
    """x's share of the derivative of the one of x and y that ``wins`` (``np.greater``
    for np.maximum): 1 where ``wins(x, y)``, 1/2 at ties, 0 elsewhere, as an array of
    ``dtype``. Without a tie (the usual case) that is the comparison itself: no
    ``np.where`` pass."""
    tie = np.equal(x, y)
    if np.count_nonzero(tie):
        return np.asarray(np.where(tie, 0.5, wins(x, y)), dtype=dtype)
    return np.asarray(wins(x, y), dtype=dtype)


nondifferentiable(share)


def clip_share(x, bound, dtype):
    """x's share of the derivative of ``np.minimum(np.maximum(x, -bound), bound)``
    (``bound`` > 0), the product of the two ``share`` calls of its adjoint in one:
    1 where abs(x) < bound, 1/2 at the ties x == -bound and x == bound (minimum's or
    maximum's half: the convention of docs/conventions.md), 0 elsewhere and at nan, as
    an array of ``dtype`` (optimize.clip_shares)."""
    size = np.abs(x)
    tie = np.equal(size, bound)
    if np.count_nonzero(tie):
        return np.asarray(np.where(tie, 0.5, np.less(size, bound)), dtype=dtype)
    return np.asarray(np.less(size, bound), dtype=dtype)


nondifferentiable(clip_share)


@adjoint(np.maximum, cases=pairs_without_ties)
def maximum(z, x, y):
    if constant(x):   # np.maximum(0, h), a ReLU: y's share alone (1 where y > x)
        d[y] = unbroadcast(d[z] * share(y, x, np.result_type(z, 1.0), np.greater), y)
    elif constant(y):
        d[x] = unbroadcast(d[z] * share(x, y, np.result_type(z, 1.0), np.greater), x)
    else:
        # x's share: 1 where x > y, 1/2 at ties
        w = share(x, y, np.result_type(z, 1.0), np.greater)
        d[x] = unbroadcast(d[z] * w, x)
        d[y] = unbroadcast(d[z] * (1.0 - w), y)


@tangent(np.maximum)
def maximum_tangent(z, x, y):
    w = share(x, y, np.result_type(z, 1.0), np.greater)
    d[z] = d[x] * w + d[y] * (1.0 - w)


@adjoint(np.minimum, cases=pairs_without_ties)
def minimum(z, x, y):
    if constant(x):   # np.minimum(1, h): y's share alone (1 where y < x)
        d[y] = unbroadcast(d[z] * share(y, x, np.result_type(z, 1.0), np.less), y)
    elif constant(y):
        d[x] = unbroadcast(d[z] * share(x, y, np.result_type(z, 1.0), np.less), x)
    else:
        # x's share: 1 where x < y, 1/2 at ties
        w = share(x, y, np.result_type(z, 1.0), np.less)
        d[x] = unbroadcast(d[z] * w, x)
        d[y] = unbroadcast(d[z] * (1.0 - w), y)


@tangent(np.minimum)
def minimum_tangent(z, x, y):
    w = share(x, y, np.result_type(z, 1.0), np.less)
    d[z] = d[x] * w + d[y] * (1.0 - w)


# fmax and fmin ignore a NaN: fmax(x, nan) is x, so x takes the whole derivative there
def _nan_pairs(rng):
    x = np.array([[0.3, np.nan, -1.2], [np.nan, 1.1, 0.4]])
    return pairs_without_ties(rng) + [((x, np.array([-0.5, 0.7, np.nan])), {})]


@adjoint(np.fmax, cases=_nan_pairs)
def fmax(z, x, y):
    w = np.asarray(np.where(np.equal(x, y), 0.5, np.logical_or(np.greater(x, y), np.isnan(y))),
                   dtype=np.result_type(z, 1.0))
    d[x] = unbroadcast(d[z] * w, x)
    d[y] = unbroadcast(d[z] * (1.0 - w), y)


@tangent(np.fmax)
def fmax_tangent(z, x, y):
    w = np.asarray(np.where(np.equal(x, y), 0.5, np.logical_or(np.greater(x, y), np.isnan(y))),
                   dtype=np.result_type(z, 1.0))
    d[z] = d[x] * w + d[y] * (1.0 - w)


@adjoint(np.fmin, cases=_nan_pairs)
def fmin(z, x, y):
    w = np.asarray(np.where(np.equal(x, y), 0.5, np.logical_or(np.less(x, y), np.isnan(y))),
                   dtype=np.result_type(z, 1.0))
    d[x] = unbroadcast(d[z] * w, x)
    d[y] = unbroadcast(d[z] * (1.0 - w), y)


@tangent(np.fmin)
def fmin_tangent(z, x, y):
    w = np.asarray(np.where(np.equal(x, y), 0.5, np.logical_or(np.less(x, y), np.isnan(y))),
                   dtype=np.result_type(z, 1.0))
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


def _float_dtype(x, y):
    """``np.result_type(x, y, 1.0)``, with a list or tuple read as the array it stands
    for (np.result_type reads a list as a dtype spec); Python numbers stay weak."""
    return np.result_type(*(np.asarray(v) if isinstance(v, (list, tuple)) else v
                            for v in (x, y)), 1.0)


def _python_numbers(*values):
    return all(type(v) in (float, int, bool) for v in values)


def larger(x, y):
    """The share of the builtin ``max(x, y)`` that flows to ``x``: Python returns x
    unless y > x, so 1 there, also beside a NaN (``max(0.7, nan)`` is 0.7, and
    ``max(nan, 0.7)`` is the NaN), 0 where y > x, 1/2 at ties (in the floating dtype of
    x and y; a Python float for two Python numbers, which a NumPy float64 would not be:
    it would turn a float32 gradient into float64)."""
    if _python_numbers(x, y):
        return 0.5 if x == y else float(not y > x)
    return _share(np.where(np.equal(x, y), 0.5, np.logical_not(np.greater(y, x))), x, y)


def smaller(x, y):
    """The share of the builtin ``min(x, y)`` that flows to ``x``: Python returns x
    unless y < x, so 1 there (also beside a NaN), 0 where y < x, 1/2 at ties (in the
    floating dtype of x and y; a Python float for two Python numbers)."""
    if _python_numbers(x, y):
        return 0.5 if x == y else float(not y < x)
    return _share(np.where(np.equal(x, y), 0.5, np.logical_not(np.less(y, x))), x, y)


def _share(where, x, y):
    """The shares ``where`` gives in the floating dtype of x and y: a NumPy number for
    two numbers (as a ufunc of NumPy numbers gives), else an array."""
    share = np.asarray(where, dtype=_float_dtype(x, y))
    if share.ndim == 0 and not isinstance(x, np.ndarray) and not isinstance(y, np.ndarray):
        return share[()]
    return share


nondifferentiable(larger, smaller)


def clip_shares(a, a_min, a_max):
    """The shares of ``clip(a, a_min, a_max) = minimum(maximum(a, a_min), a_max)`` that
    flow to a, a_min and a_max (a missing bound gets none), ties split evenly."""
    low = 1.0 if a_min is None else _above(a, a_min)
    high = 1.0 if a_max is None else _below(a if a_min is None else np.maximum(a, a_min), a_max)
    return high * low, high * (1.0 - low), 1.0 - high


def _above(x, y):
    """x's share of ``np.maximum(x, y)``: 1 where x > y, 1/2 at ties (0 beside a NaN,
    unlike the builtin's ``larger``); a Python float for two Python numbers."""
    if _python_numbers(x, y):
        return 0.5 if x == y else float(x > y)
    return _share(np.where(np.equal(x, y), 0.5, np.greater(x, y)), x, y)


def _below(x, y):
    """x's share of ``np.minimum(x, y)``, as :func:`_above`."""
    if _python_numbers(x, y):
        return 0.5 if x == y else float(x < y)
    return _share(np.where(np.equal(x, y), 0.5, np.less(x, y)), x, y)


nondifferentiable(clip_shares)


def _clip_cases(rng):
    x = np.array([[-1.7, -0.4, 0.3], [0.9, 1.6, -1.1]])
    return [((x, -0.5, 0.5), {}), ((x, -1.0, None), {}), ((x, None, 1.0), {}),
            ((x, np.array([-1.2, -0.6, 0.0]), np.array([1.0, 0.1, 0.6])), {}),
            ((-0.2, -1.0, 1.0), {})]


@adjoint(np.clip, cases=_clip_cases)
def clip(y, a, a_min=None, a_max=None):
    shares = clip_shares(a, a_min, a_max)
    d[a] = unbroadcast(d[y] * shares[0], a)
    d[a_min] = unbroadcast(d[y] * shares[1], a_min)
    d[a_max] = unbroadcast(d[y] * shares[2], a_max)


@tangent(np.clip)
def clip_tangent(y, a, a_min=None, a_max=None):
    shares = clip_shares(a, a_min, a_max)
    d[y] = d[a] * shares[0] + d[a_min] * shares[1] + d[a_max] * shares[2]


# -- gathering: y = a[index], so d[a] adds d[y] back at index (repeats accumulate) -----
# With axis=None these functions work on the flattened array np.ravel(a).
def take_index(indices, axis):
    """The index with ``a[take_index(i, axis)] == np.take(a, i, axis)``."""
    if axis < 0:
        return (Ellipsis, indices) + (slice(None),) * (-1 - axis)
    return (slice(None),) * axis + (indices,)


def along_axis_index(arr, indices, axis):
    """The index with ``arr[along_axis_index(arr, i, axis)] == np.take_along_axis(arr, i, axis)``."""
    shape, ndim = np.shape(arr), np.ndim(arr)
    axis = axis % ndim
    out = np.broadcast_shapes(shape[:axis] + (1,) + shape[axis + 1:], np.shape(indices))
    index = []
    for i in range(ndim):
        if i == axis:
            index.append(np.broadcast_to(indices, out))
            continue
        coords = np.zeros(out[i], dtype=int) if shape[i] == 1 else np.arange(out[i])
        index.append(np.reshape(coords, [out[i] if j == i else 1 for j in range(ndim)]))
    return tuple(index)


def sort_index(a, axis=-1):
    """The index with ``a[sort_index(a, axis)] == np.sort(a, axis)``, stable at ties
    (for axis=None, an index of the flattened array)."""
    if axis is None:
        return np.argsort(a, axis=None, kind="stable")
    return along_axis_index(a, np.argsort(a, axis=axis, kind="stable"), axis)


def repeat_index(a, repeats, axis=None):
    """The index with ``a[repeat_index(a, r, axis)] == np.repeat(a, r, axis)``
    (for axis=None, an index of the flattened array)."""
    if axis is None:
        return np.repeat(np.arange(np.size(a)), repeats)
    return take_index(np.repeat(np.arange(np.shape(a)[axis]), repeats), axis)


nondifferentiable(take_index, along_axis_index, sort_index, repeat_index)


def _take_cases(rng):
    x = real(rng, (3, 4))
    return [((x, np.array([0, 2, 2])), {}), ((x, np.array([[1, -1], [0, 1]])), {"axis": 0}),
            ((x, 3), {"axis": 1}), ((x, np.array([0, 3, 0])), {"axis": -1}),
            ((real(rng, (5,)), np.array([4, 0, -1])), {})]


@adjoint(np.take, cases=_take_cases, static_args=(1,))
def take(y, a, indices, axis=None, out=None, mode="raise"):
    if axis is None:
        d[a] = np.reshape(add_at(d[y], np.ravel(a), indices), np.shape(a))
    else:
        d[a] = add_at(d[y], a, take_index(indices, axis))


@tangent(np.take)
def take_tangent(y, a, indices, axis=None, out=None, mode="raise"):
    d[y] = np.take(d[a], indices, axis=axis)


def _take_along_axis_cases(rng):
    x = real(rng, (3, 4))
    return [((x, np.array([[0, 2], [3, 3], [1, 0]])), {"axis": 1}),
            ((x, np.array([[2, 0, 1, 1]])), {"axis": 0}),
            ((x, np.array([[1], [0], [3]])), {"axis": -1}),
            ((real(rng, (4,)), np.array([3, 3, 0])), {"axis": 0})]


@adjoint(np.take_along_axis, cases=_take_along_axis_cases, static_args=(1,))
def take_along_axis(y, arr, indices, axis=-1):
    if axis is None:
        d[arr] = np.reshape(add_at(d[y], np.ravel(arr), indices), np.shape(arr))
    else:
        d[arr] = add_at(d[y], arr, along_axis_index(arr, indices, axis))


@tangent(np.take_along_axis)
def take_along_axis_tangent(y, arr, indices, axis=-1):
    d[y] = np.take_along_axis(d[arr], indices, axis)


def _sort_cases(rng):
    x = real(rng, (3, 4))
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": None}), ((real(rng, (5,)),), {})]


@adjoint(np.sort, cases=_sort_cases)
def sort(y, a, axis=-1, kind=None, order=None):
    # y = a[sort_index(a)]: each element gets the adjoint of its place in sorted order
    if axis is None:
        d[a] = np.reshape(add_at(d[y], np.ravel(a), sort_index(a, axis=axis)), np.shape(a))
    else:
        d[a] = add_at(d[y], a, sort_index(a, axis=axis))


@tangent(np.sort)
def sort_tangent(y, a, axis=-1, kind=None, order=None):
    if axis is None:
        d[y] = np.ravel(d[a])[sort_index(a, axis=axis)]
    else:
        d[y] = d[a][sort_index(a, axis=axis)]


def _repeat_cases(rng):
    x = real(rng, (2, 3))
    return [((x, 2), {}), ((x, 2), {"axis": 0}), ((x, np.array([1, 0, 2])), {"axis": 1}),
            ((real(rng, ()), 3), {})]


@adjoint(np.repeat, cases=_repeat_cases, static_args=(1,))
def repeat(y, a, repeats, axis=None):
    if axis is None:
        d[a] = np.reshape(add_at(d[y], np.ravel(a), repeat_index(a, repeats, axis=axis)), np.shape(a))
    else:
        d[a] = add_at(d[y], a, repeat_index(a, repeats, axis=axis))


@tangent(np.repeat)
def repeat_tangent(y, a, repeats, axis=None):
    d[y] = np.repeat(d[a], repeats, axis=axis)


def _compress_cases(rng):
    x = real(rng, (3, 4))
    return [((np.array([True, False, True]), x), {"axis": 0}),
            ((np.array([False, True]), x), {"axis": 1}),
            ((np.array([1, 0, 0, 1, 1]), x), {})]


@adjoint(np.compress, cases=_compress_cases, static_args=(0,))
def compress(y, condition, a, axis=None, out=None):
    if axis is None:
        d[a] = np.reshape(add_at(d[y], np.ravel(a), np.flatnonzero(condition)), np.shape(a))
    else:
        d[a] = add_at(d[y], a, take_index(np.flatnonzero(condition), axis))


@tangent(np.compress)
def compress_tangent(y, condition, a, axis=None, out=None):
    d[y] = np.compress(condition, d[a], axis=axis)


def _extract_cases(rng):
    x = real(rng, (3, 4))
    return [((x > 0.0, x), {}), ((np.array([0, 1, 1]), real(rng, (3,))), {})]


@adjoint(np.extract, cases=_extract_cases, static_args=(0,))
def extract(y, condition, arr):
    d[arr] = np.reshape(add_at(d[y], np.ravel(arr), np.flatnonzero(condition)), np.shape(arr))


@tangent(np.extract)
def extract_tangent(y, condition, arr):
    d[y] = np.extract(condition, d[arr])


def kept_index(arr, obj, axis):
    """The index with ``arr[kept_index(arr, obj, axis)] == np.delete(arr, obj, axis)``
    (for axis=None, an index of the flattened array)."""
    if axis is None:
        return np.delete(np.arange(np.size(arr)), obj)
    return take_index(np.delete(np.arange(np.shape(arr)[axis]), obj), axis)


nondifferentiable(kept_index)


def _delete_cases(rng):
    x = real(rng, (3, 4))
    return [((x, 1), {"axis": 0}), ((x, np.array([0, 2])), {"axis": 1}), ((x, np.array([1, 5, 7])), {}),
            ((x, slice(0, 2)), {"axis": -1})]


@adjoint(np.delete, cases=_delete_cases, static_args=(1,))
def delete(y, arr, obj, axis=None):
    if axis is None:
        d[arr] = np.reshape(add_at(d[y], np.ravel(arr), kept_index(arr, obj, axis)), np.shape(arr))
    else:
        d[arr] = add_at(d[y], arr, kept_index(arr, obj, axis))


@tangent(np.delete)
def delete_tangent(y, arr, obj, axis=None):
    d[y] = np.delete(d[arr], obj, axis=axis)


def inserted_from(arr, obj, values, axis, of_values):
    """Where ``np.insert(arr, obj, values, axis)`` takes each element of its flattened
    result from: ``of_values`` False, the flat positions of arr's elements in the result
    (in arr's order, which inserting keeps); True, for each flat position, the flat
    index of the element of ``values`` put there (broadcast), -1 where arr's is."""
    shape_of_values = np.shape(values)
    if of_values:
        taken = np.insert(np.full(np.shape(arr), -1), obj,
                          np.reshape(np.arange(np.size(values)), shape_of_values), axis=axis)
        return np.ravel(taken)
    taken = np.insert(np.reshape(np.arange(np.size(arr)), np.shape(arr)), obj,
                      np.full(shape_of_values, -1), axis=axis)
    return np.flatnonzero(np.ravel(taken) >= 0)


def slots_of(sources):
    """The flat positions of a result that hold an element of ``values``
    (``sources`` from inserted_from(..., True))."""
    return np.flatnonzero(sources >= 0)


nondifferentiable(inserted_from)
nondifferentiable(slots_of)


def _insert_cases(rng):
    x = real(rng, (3, 4))
    return [((real(rng, (4,)), 1, real(rng, ())), {}),
            ((real(rng, (4,)), [0, 2], real(rng, (2,))), {}),
            ((x, 1, real(rng, (4,))), {"axis": 0}),
            ((x, 2, real(rng, (3,))), {"axis": 1}),
            ((x, [1, 3], real(rng, (3, 1))), {"axis": 1}),
            ((x, 5, real(rng, ())), {})]


@adjoint(np.insert, cases=_insert_cases, static_args=(1,))
def insert(y, arr, obj, values, axis=None):
    # a gather of the result's adjoint for arr; for values, each of its elements gets the
    # adjoints of the places it was put (broadcast: one element, several places)
    d[arr] = np.reshape(np.ravel(d[y])[inserted_from(arr, obj, values, axis, False)],
                        np.shape(arr))
    d[values] = np.reshape(add_at(
        np.ravel(d[y])[slots_of(inserted_from(arr, obj, values, axis, True))],
        np.ravel(values),
        inserted_from(arr, obj, values, axis, True)[
            slots_of(inserted_from(arr, obj, values, axis, True))]), np.shape(values))


@tangent(np.insert)
def insert_tangent(y, arr, obj, values, axis=None):
    # linear in each input; the other one contributes zeros of its shape
    d[y] = (np.insert(d[arr], obj, np.zeros_like(values), axis=axis)
            + np.insert(np.zeros_like(arr), obj, d[values], axis=axis))
