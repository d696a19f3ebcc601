"""Functions that only move elements around: the adjoint moves them back."""
import math
import operator

import numpy as np

from ..runtime import (add_at, add_grads, aligned_index, astype, broadcast_like, cast_back,
                       field_of, field_position, in_place, like, list_as_array, part_of,
                       require_output, require_seed, require_tangent, unbroadcast, zeros_like)
from ..template import d
from .domains import real
from .optional import optional
from .registry import adjoint, nondifferentiable, tangent


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


CONTAINERS = (tuple, list, dict)


def broadcast_back(h, g):
    """The adjoint of ``unbroadcast(g, x)`` with respect to g: ``h``, shaped like x,
    brought back to g's shape. Where unbroadcast summed g over broadcast axes, h is
    broadcast back; where it widened g (an adjoint that is still the scalar zero, in
    a branch not taken), h is summed; where g did not broadcast to x at all (then
    unbroadcast gave zeros), the adjoint is zeros. Also the adjoint of ``unbroadcast_like``, so the
    adjoint of a list or tuple passes through, and a scalar zero that stands for one
    gets a zero. A list or tuple ``h`` for an array ``g`` is the adjoint of
    ``unbroadcast(g, x)`` for a list ``x`` of numbers (``w - x`` of an array ``w``),
    which is the array ``g``: its items are read as that array (was: a zero, so
    reverse over reverse lost the term)."""
    if isinstance(g, CONTAINERS) and isinstance(h, CONTAINERS):
        return h
    if isinstance(h, (list, tuple)) and isinstance(g, np.ndarray) and g.ndim:
        h = np.asarray(h)
        if h.dtype == object:
            return 0.0
    elif isinstance(g, CONTAINERS) or isinstance(h, CONTAINERS):
        return 0.0
    shape, have = np.shape(g), np.shape(h)
    try:
        both = np.broadcast_shapes(shape, have)
    except ValueError:
        both = None
    if both == shape:
        return np.broadcast_to(h, shape)
    if both == have:
        return unbroadcast(h, g)
    # g did not broadcast to x's shape: a zero adjoint (the scalar zero times an operand
    # of another shape) that unbroadcast replaced by zeros, whatever g was
    return np.zeros(shape, dtype=np.result_type(h, 1.0))


def unbroadcast_like(g, t):
    """The adjoint of ``broadcast_like(t, y)`` with respect to t: ``unbroadcast(g, t)``,
    also for adjoints of lists and tuples. Such an adjoint passes through as it is (an
    empty stack of adjoints is a zero); where broadcast_like replaced the scalar zero by
    zeros of a container, the result did not depend on t. A list or tuple ``g`` for an
    array ``t`` is the adjoint of ``broadcast_like(t, y)`` for a list ``y`` of numbers
    (the adjoint ``bt2`` of ``w - x[:2]`` for a list ``x``): its items are read as that
    array, as in broadcast_back (was: a zero)."""
    if isinstance(t, CONTAINERS):
        if g.__class__ is np.ndarray and g.ndim and _of_numbers(t):
            # a list of numbers that broadcast_like spread over an array's shape as NumPy
            # reads it (the tangent of a nested list, np.add(x, w) with w wider): summed
            # back to the list's shape, which cast_back then makes a list (was: passed
            # through, with the array's shape)
            return unbroadcast(g, t)
        return g
    if isinstance(g, (list, tuple)) and isinstance(t, np.ndarray) and t.ndim:
        g = np.asarray(g)
        if g.dtype == object:
            return 0.0
    elif isinstance(g, CONTAINERS):
        return 0.0
    return unbroadcast(g, t)


def _of_numbers(t) -> bool:
    """Whether ``t`` is a list or tuple of numbers, nested too, which NumPy reads as an
    array."""
    return all(_of_numbers(v) if isinstance(v, (list, tuple)) else
               isinstance(v, (float, int, np.number)) and not isinstance(v, bool) for v in t)


def _unbroadcast_cases(rng):
    return [((real(rng, (2, 3)), real(rng, (3,))), {}), ((real(rng, (2, 3)), real(rng, ())), {}),
            ((real(rng, (2, 3)), real(rng, (2, 1))), {}), ((real(rng, (3,)), real(rng, (3,))), {}),
            ((real(rng, ()), real(rng, (3,))), {})]


@adjoint(unbroadcast, cases=_unbroadcast_cases, static_args=(1,))
def unbroadcast_(y, g, x):
    d[g] = broadcast_back(d[y], g)


@tangent(unbroadcast)
def unbroadcast_tangent(y, g, x):
    d[y] = unbroadcast(d[g], x)


def _broadcast_back_cases(rng):
    return [((real(rng, (3,)), real(rng, (2, 3))), {}), ((real(rng, (2, 1)), real(rng, (2, 3))), {}),
            ((real(rng, (3,)), real(rng, ())), {}), ((real(rng, (3,)), real(rng, (3,))), {}),
            (([real(rng, (3,)), real(rng, ())], [real(rng, (3,)), real(rng, ())]), {})]


@adjoint(broadcast_back, cases=_broadcast_back_cases, static_args=(1,))
def broadcast_back_(y, h, g):
    d[h] = unbroadcast_like(d[y], h)


@tangent(broadcast_back)
def broadcast_back_tangent(y, h, g):
    d[y] = broadcast_back(d[h], g)


def _unbroadcast_like_cases(rng):
    return _unbroadcast_cases(rng)[:4] + [
        (([real(rng, (3,)), real(rng, ())], [real(rng, (3,)), real(rng, ())]), {}),
        (((real(rng, (2,)),), (real(rng, (2,)),)), {})]


@adjoint(unbroadcast_like, cases=_unbroadcast_like_cases, static_args=(1,))
def unbroadcast_like_(y, g, t):
    d[g] = broadcast_back(d[y], g)


@tangent(unbroadcast_like)
def unbroadcast_like_tangent(y, g, t):
    d[y] = unbroadcast_like(d[g], t)


def _broadcast_like_cases(rng):
    return [((real(rng, (3,)), real(rng, (2, 3))), {}), ((real(rng, ()), real(rng, (3,))), {}),
            ((real(rng, (3,)), real(rng, (3,))), {}),
            (([real(rng, (3,)), real(rng, ())], [real(rng, (3,)), real(rng, ())]), {})]


@adjoint(broadcast_like, cases=_broadcast_like_cases, static_args=(1,))
def broadcast_like_(z, t, y):
    d[t] = unbroadcast_like(d[z], t)


@tangent(broadcast_like)
def broadcast_like_tangent(z, t, y):
    d[z] = broadcast_like(d[t], y)


@adjoint(require_output, cases=lambda rng: [((real(rng, (3,)), real(rng, (3,))), {})],
         static_args=(0,))
def require_output_(y, value, t):
    # jvp's check that its output is a number: the tangent passes through
    d[t] = d[y]


@tangent(require_output)
def require_output_tangent(y, value, t):
    d[y] = d[t]


def _require_seed_cases(rng):
    return [((real(rng, (3,)), real(rng, (3,))), {}),
            (((real(rng, (2,)), real(rng, ())), (real(rng, (2,)), real(rng, ()))), {})]


@adjoint(require_seed, cases=_require_seed_cases, static_args=(0,))
def require_seed_(y, value, seed):
    # vjp's check of its seed (a derivative derived again): the seed passes through
    d[seed] = d[y]


@tangent(require_seed)
def require_seed_tangent(y, value, seed):
    d[y] = require_seed(value, d[seed])


@adjoint(require_tangent, cases=lambda rng: [((real(rng, ()), np.asarray(real(rng, ())), "x"), {}),
                                             ((real(rng, (3,)), real(rng, (3,)), "x"), {})],
         static_args=(1, 2))
def require_tangent_(y, tangent, value, name):
    # jvp's check of a tangent (a derivative derived again): the tangent passes through
    d[tangent] = d[y]


@tangent(require_tangent)
def require_tangent_tangent(y, tangent, value, name):
    d[y] = require_tangent(d[tangent], value, name)


def _cast_back_cases(rng):
    # (a float32 x makes a float32 result, too coarse for finite differences: the cast
    # itself is tested in tests/test_regressions.py)
    return [((real(rng, (3,)), [0.5, 0.25, 2.0]), {}),
            ((real(rng, (2, 3)), real(rng, (2, 3))), {}), ((real(rng, ()), 0.5), {})]


@adjoint(cast_back, cases=_cast_back_cases, static_args=(1,))
def cast_back_(y, g, x):
    d[g] = cast_back(d[y], g)


@tangent(cast_back)
def cast_back_tangent(y, g, x):
    d[y] = cast_back(d[g], x)


@adjoint(astype, cases=lambda rng: [((real(rng, (3,)), float), {})], static_args=(1,))
def astype_(y, x, dtype):
    if np.issubdtype(dtype, np.inexact):   # the gradient in x's dtype (float32 stays)
        d[x] = cast_back(d[y], x)
    else:   # a cast to integers or booleans is a step function: its derivative is zero
        d[x] = zeros_like(x)


@tangent(astype)
def astype_tangent(y, x, dtype):
    if np.issubdtype(dtype, np.inexact):   # the tangent in y's dtype
        d[y] = astype(d[x], dtype)
    else:
        d[y] = zeros_like(y)


def _in_place_cases(rng):
    x = real(rng, (3,))
    return [((x * 2.0, x), {}), ((real(rng, ()), 1.5), {})]


@adjoint(in_place, cases=_in_place_cases, static_args=(1,))
def in_place_(y, t, z):
    d[t] = d[y]


@tangent(in_place)
def in_place_tangent(y, t, z):
    d[y] = in_place(broadcast_like(d[t], y), z)


def _getitem_cases(rng):
    x = real(rng, (4, 3))
    return [((x, 1), {}), ((x, (2, 0)), {}), ((x, slice(1, 3)), {}),
            ((x, (slice(None), 0)), {}), ((x, -1), {}), ((x, slice(None, None, -2)), {}),
            ((x, np.array([0, 2, 0])), {}), ((x, x > 0), {}), ((real(rng, (5,)), 3), {})]


def add_at_item(g, x, index):
    """``add_at`` for any ``x``: the adjoint of an item of a tuple subclass (the
    named tuples np.linalg.slogdet and np.linalg.eigh return) is a plain tuple."""
    if isinstance(x, tuple) and type(x) is not tuple:
        x = tuple(x)
    return add_at(g, x, index)


def items_read_in_turns(items: list, x):
    """What ``t = add_grads(t, add_at_item(g, x, i))`` from ``t = 0.0`` gives over the
    turns i = n - 1, ..., 0 of a reversed loop (``items``: each turn's ``g``, in that
    order): the adjoint of ``x[i]`` read at turn i of ``for i in range(n)`` over a list
    ``x``, made in one pass instead of a list of zeros added per turn
    (``optimize.collect_item_adjoints``). Each item is its ``g`` (zeros added to it
    where that changes its shape or dtype, as add_grads did), and zeros after them; the
    sign of a zero ``g`` may differ (``0.0 + -0.0`` is ``0.0``)."""
    n = len(items)
    if not n:
        return 0.0
    if x.__class__ is not list or n > len(x):   # (the turns' own way)
        out = 0.0
        for i, g in zip(range(n - 1, -1, -1), items):
            out = add_grads(out, add_at_item(g, x, i))
        return out
    out = []
    for g, v in zip(reversed(items), x):
        if not (g.__class__ is np.ndarray and v.__class__ is np.ndarray
                and g.shape == v.shape and g.dtype == v.dtype):
            g = add_grads(zeros_like(v), g)
        out.append(g)
    out.extend(zeros_like(v) for v in x[n:])
    return out


@adjoint(operator.getitem, cases=_getitem_cases, static_args=(1,))
def getitem(y, x, index):
    d[x] = add_at_item(d[y], x, index)


@tangent(operator.getitem)
def getitem_tangent(y, x, index):
    d[y] = d[x][index]


def _field_cases(rng):
    import collections
    pair = collections.namedtuple("Pair", "w b")
    return [((pair(real(rng, (3,)), real(rng, ())), "w", "<cases>", 1), {}),
            ((pair(real(rng, (2, 2)), real(rng, (2,))), "b", "<cases>", 1), {})]


nondifferentiable(field_position)


@adjoint(field_of, cases=_field_cases, static_args=(1, 2, 3))
def field_(y, obj, name, filename, lineno):
    d[obj] = add_at_item(d[y], obj, field_position(obj, name, filename, lineno))


@tangent(field_of)
def field_tangent(y, obj, name, filename, lineno):
    d[y] = d[obj][field_position(obj, name, filename, lineno)]


def last_item(lst):
    """``lst[-1]`` of a list that is appended to later (a stack of states): the item is
    read directly, without a snapshot of the list. An item of a list is not changed by
    later appends or pops, and a list's adjoint is a stack aligned on the right, so the
    item's adjoint is the stack ``[g]`` whatever the list holds by then."""
    return lst[-1]


def _last_item_cases(rng):
    # lists of one item: a longer list's adjoint [g] is a stack aligned on the right,
    # which the rule check would read as the first item's (the engine's tests check those)
    return [(([real(rng, (3,))],), {}), (([real(rng, (2, 2))],), {})]


@adjoint(last_item, cases=_last_item_cases)
def last_item_(y, lst):
    d[lst] = [d[y]]


@tangent(last_item)
def last_item_tangent(y, lst):
    d[y] = last_item(d[lst])


def _add_at_cases(rng):
    return [((real(rng, (3,)), real(rng, (4, 3)), 1), {}),
            ((real(rng, (3,)), real(rng, (5,)), np.array([0, 2, 0])), {})]


nondifferentiable(aligned_index)


@adjoint(add_at, add_at_item, cases=_add_at_cases, static_args=(1, 2))
def add_at_(y, g, x, index):
    # (the adjoint of the adjoint of a list may be a stack of its last entries' only)
    d[g] = part_of(d[y], aligned_index(d[y], x, index))


@tangent(add_at)
def add_at_tangent(y, g, x, index):
    d[y] = add_at(d[g], x, index)


@tangent(add_at_item)
def add_at_item_tangent(y, g, x, index):
    d[y] = add_at_item(d[g], x, index)


def _add_grads_cases(rng):
    return [((real(rng, (3,)), real(rng, (3,))), {}), ((real(rng, ()), real(rng, ())), {})]


@adjoint(add_grads, cases=_add_grads_cases)
def add_grads_(y, a, b):
    d[a] = like(d[y], a)
    d[b] = like(d[y], b)


@tangent(add_grads)
def add_grads_tangent(y, a, b):
    d[y] = like(add_grads(d[a], d[b]), y)


def _full_cases(rng):
    return [(((2, 3), real(rng, ())), {}), (((2, 3), real(rng, (3,))), {}),
            (((3,), real(rng, (3,))), {})]


@adjoint(np.full, cases=_full_cases, static_args=(0,))
def full(y, shape, fill_value, dtype=None):
    if dtype is None:
        d[fill_value] = unbroadcast(d[y], fill_value)
    else:
        d[fill_value] = unbroadcast(np.asarray(d[y], dtype=dtype), fill_value)


@tangent(np.full)
def full_tangent(y, shape, fill_value, dtype=None):
    d[y] = np.full(shape, d[fill_value], dtype=dtype)


# -- evenly spaced samples: np.linspace and np.arange -----------------------------------
def linspace_fractions(y, num, endpoint, axis):
    """Where each sample of ``np.linspace(start, stop, num, endpoint, axis=axis)`` lies
    from start (0.0) to stop (1.0), shaped to broadcast against the samples ``y``:
    y = start + (stop - start) * t along ``axis``."""
    shape = [1] * np.ndim(y)
    shape[axis] = num
    dtype = np.result_type(np.asarray(y).dtype, np.float16)   # y's floating dtype
    return np.reshape(np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=dtype), shape)


def arange_start_share(stop):
    """The derivative of each sample of ``np.arange(start, stop, step)`` by ``start``: 1,
    except for ``np.arange(stop)`` (one argument: then ``start`` is the stop, and the
    samples 0, 1, 2, ... do not depend on it)."""
    return 0.0 if stop is None else 1.0


nondifferentiable(linspace_fractions, arange_start_share)


def _linspace_cases(rng):
    return [((real(rng, ()), real(rng, ()), 4), {}),
            ((real(rng, ()), real(rng, ()), 5, False), {}),
            ((real(rng, (2,)), real(rng, ()), 3), {}),
            ((real(rng, (2,)), real(rng, (2,)), 3), {"axis": -1}),
            ((real(rng, ()), real(rng, ()), 1), {})]


@adjoint(np.linspace, cases=_linspace_cases, static_args=(2, 3))
def linspace(y, start, stop, num=50, endpoint=True, axis=0):
    t = linspace_fractions(y, num, endpoint, axis)
    d[start] = unbroadcast(np.sum(d[y] * (1.0 - t), axis=axis), start)
    d[stop] = unbroadcast(np.sum(d[y] * t, axis=axis), stop)


@tangent(np.linspace)
def linspace_tangent(y, start, stop, num=50, endpoint=True, axis=0):
    t = linspace_fractions(y, num, endpoint, axis)
    d[y] = np.expand_dims(d[start], axis) * (1.0 - t) + np.expand_dims(d[stop], axis) * t


def _arange_cases(rng):
    return [((0.25, 2.0, 0.3), {}), ((-0.35, 1.0), {}), ((2.5,), {}), ((0.1, 1.3, 0.25), {})]


# The samples are start, start + step, start + 2 * step, ...; their number depends on
# start, stop and step by rounding, a step function: stop has no derivative.
@adjoint(np.arange, cases=_arange_cases)
def arange(y, start, stop=None, step=None):
    d[start] = np.sum(d[y]) * arange_start_share(stop)
    d[step] = np.sum(d[y] * np.arange(np.size(y)))


@tangent(np.arange)
def arange_tangent(y, start, stop=None, step=None):
    d[y] = d[start] * arange_start_share(stop) * np.ones_like(y) \
        + d[step] * np.arange(np.size(y))


# -- axes and views --------------------------------------------------------------------
def _axes_cases(rng):
    return [((real(rng, (2, 3)), 0, 1), {}), ((real(rng, (2, 3, 4)), 0, -1), {}),
            ((real(rng, (2, 3, 4)), 2, 1), {})]


@adjoint(np.swapaxes, cases=_axes_cases, static_args=(1, 2))
def swapaxes(y, a, axis1, axis2):
    d[a] = np.swapaxes(d[y], axis1, axis2)


@tangent(np.swapaxes)
def swapaxes_tangent(y, a, axis1, axis2):
    d[y] = np.swapaxes(d[a], axis1, axis2)


def _moveaxis_cases(rng):
    return [((real(rng, (2, 3, 4)), 0, -1), {}), ((real(rng, (2, 3, 4)), (0, 1), (2, 0)), {}),
            ((real(rng, (2, 3)), 1, 0), {})]


@adjoint(np.moveaxis, cases=_moveaxis_cases, static_args=(1, 2))
def moveaxis(y, a, source, destination):
    d[a] = np.moveaxis(d[y], destination, source)


@tangent(np.moveaxis)
def moveaxis_tangent(y, a, source, destination):
    d[y] = np.moveaxis(d[a], source, destination)


def _matrix_cases(rng):
    return [((real(rng, (2, 3)),), {}), ((real(rng, (2, 3, 4)),), {})]


@adjoint(*optional(np, "matrix_transpose"), *optional(np.linalg, "matrix_transpose"),
         cases=_matrix_cases)
def matrix_transpose(y, x):
    d[x] = np.swapaxes(d[y], -1, -2)


@tangent(*optional(np, "matrix_transpose"), *optional(np.linalg, "matrix_transpose"))
def matrix_transpose_tangent(y, x):
    d[y] = np.swapaxes(d[x], -1, -2)


def _squeeze_cases(rng):
    return [((real(rng, (1, 3, 1)),), {}), ((real(rng, (1, 3, 1)),), {"axis": 0}),
            ((real(rng, (1, 3, 1)),), {"axis": (0, 2)}), ((real(rng, (1,)),), {})]


@adjoint(np.squeeze, cases=_squeeze_cases)
def squeeze(y, a, axis=None):
    if axis is None:
        d[a] = np.reshape(d[y], np.shape(a))
    else:
        d[a] = np.expand_dims(d[y], axis)


@tangent(np.squeeze)
def squeeze_tangent(y, a, axis=None):
    d[y] = np.squeeze(d[a], axis=axis)


def _ravel_cases(rng):
    return [((real(rng, (2, 3)),), {}), ((real(rng, (2, 3)),), {"order": "F"}),
            ((real(rng, ()),), {})]


@adjoint(np.ravel, cases=_ravel_cases)
def ravel(y, a, order="C"):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


@tangent(np.ravel)
def ravel_tangent(y, a, order="C"):
    d[y] = np.ravel(d[a], order=order)


def _one_array_cases(rng):
    return [((real(rng, ()),), {}), ((real(rng, (3,)),), {}), ((real(rng, (2, 3)),), {})]


@adjoint(np.copy, cases=_one_array_cases)
def copy(y, a, order="K"):
    d[a] = d[y]


@tangent(np.copy)
def copy_tangent(y, a, order="K"):
    d[y] = np.copy(d[a])


@adjoint(np.asarray, cases=lambda rng: _one_array_cases(rng) + [((real(rng, (3,)),), {"dtype": "float64"})])
@adjoint(np.array, np.asanyarray, np.ascontiguousarray, cases=lambda rng: _one_array_cases(rng)[1:])
def asarray(y, a, dtype=None):
    if dtype is None:
        d[a] = np.asarray(d[y])
    else:   # a cast: the gradient in a's dtype (float32 stays float32)
        d[a] = cast_back(np.asarray(d[y], dtype=dtype), a)


@tangent(np.asarray, np.array, np.asanyarray, np.ascontiguousarray)
def asarray_tangent(y, a, dtype=None):
    d[y] = np.asarray(d[a], dtype=dtype)


@adjoint(list_as_array, cases=lambda rng: _one_array_cases(rng) + [(([0.3, -0.5],), {})])
def list_as_array_(y, a):
    d[a] = d[y]   # (a list's array adjoint becomes a list where it meets the argument)


@tangent(list_as_array)
def list_as_array_tangent(y, a):
    d[y] = list_as_array(d[a])


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d, cases=_one_array_cases)
def atleast_nd(y, a):
    d[a] = np.reshape(d[y], np.shape(a))


@tangent(np.atleast_1d)
def atleast_1d_tangent(y, a):
    d[y] = np.atleast_1d(d[a])


@tangent(np.atleast_2d)
def atleast_2d_tangent(y, a):
    d[y] = np.atleast_2d(d[a])


@tangent(np.atleast_3d)
def atleast_3d_tangent(y, a):
    d[y] = np.atleast_3d(d[a])


def _flip_cases(rng):
    x = real(rng, (2, 3))
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": (0, 1)}), ((real(rng, (3,)),), {})]


@adjoint(np.flip, cases=_flip_cases)
def flip(y, m, axis=None):
    d[m] = np.flip(d[y], axis=axis)


@tangent(np.flip)
def flip_tangent(y, m, axis=None):
    d[y] = np.flip(d[m], axis=axis)


@adjoint(np.fliplr, cases=_matrix_cases)
def fliplr(y, m):
    d[m] = np.fliplr(d[y])


@tangent(np.fliplr)
def fliplr_tangent(y, m):
    d[y] = np.fliplr(d[m])


@adjoint(np.flipud, cases=_matrix_cases)
def flipud(y, m):
    d[m] = np.flipud(d[y])


@tangent(np.flipud)
def flipud_tangent(y, m):
    d[y] = np.flipud(d[m])


def _roll_cases(rng):
    x = real(rng, (2, 3))
    return [((x, 1), {}), ((x, -1), {"axis": 1}), ((x, (1, 2)), {"axis": (0, 1)}),
            ((real(rng, (4,)), 3), {})]


@adjoint(np.roll, cases=_roll_cases, static_args=(1,))
def roll(y, a, shift, axis=None):
    d[a] = np.roll(d[y], np.negative(shift), axis=axis)


@tangent(np.roll)
def roll_tangent(y, a, shift, axis=None):
    d[y] = np.roll(d[a], shift, axis=axis)


def _rot90_cases(rng):
    x = real(rng, (2, 3))
    return [((x,), {}), ((x, 2), {}), ((x, -1), {"axes": (1, 0)}), ((real(rng, (2, 3, 2)), 1, (0, 2)), {})]


@adjoint(np.rot90, cases=_rot90_cases, static_args=(1, 2))
def rot90(y, m, k=1, axes=(0, 1)):
    d[m] = np.rot90(d[y], k=-k, axes=axes)


@tangent(np.rot90)
def rot90_tangent(y, m, k=1, axes=(0, 1)):
    d[y] = np.rot90(d[m], k=k, axes=axes)


@adjoint(np.triu, cases=lambda rng: [((real(rng, (3, 3)),), {}), ((real(rng, (3, 4)),), {"k": 1}),
                                     ((real(rng, (2, 3, 3)),), {"k": -1}), ((real(rng, (3,)),), {})])
def triu(y, m, k=0):
    d[m] = unbroadcast(np.triu(d[y], k=k), m)   # (a vector m is every row of y: summed)


@tangent(np.triu)
def triu_tangent(y, m, k=0):
    d[y] = np.triu(d[m], k=k)


@adjoint(np.tril, cases=lambda rng: [((real(rng, (3, 3)),), {}), ((real(rng, (3, 4)),), {"k": 1}),
                                     ((real(rng, (2, 3, 3)),), {"k": -1}), ((real(rng, (3,)),), {})])
def tril(y, m, k=0):
    d[m] = unbroadcast(np.tril(d[y], k=k), m)   # (a vector m is every row of y: summed)


@tangent(np.tril)
def tril_tangent(y, m, k=0):
    d[y] = np.tril(d[m], k=k)


# -- tiling and padding ----------------------------------------------------------------
def tile_shape(a, reps):
    """np.shape(np.tile(a, reps)) split into (repetition, size) pairs, axis by axis."""
    reps = tuple(reps) if np.ndim(reps) else (int(reps),)
    n = max(len(reps), np.ndim(a))
    shape = (1,) * (n - np.ndim(a)) + np.shape(a)
    reps = (1,) * (n - len(reps)) + reps
    return sum(((r, s) for r, s in zip(reps, shape)), ())


def tile_axes(a, reps):
    """The repetition axes of ``tile_shape(a, reps)``."""
    return tuple(range(0, len(tile_shape(a, reps)), 2))


def pad_interior(array, pad_width):
    """The index of ``array`` inside ``np.pad(array, pad_width)``."""
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(array), 2))
    return tuple(slice(int(before), int(before) + n)
                 for (before, _), n in zip(widths, np.shape(array)))


def zero_padded(array, widths):
    """``np.pad(array, widths)`` (zeros around ``array``) for ``widths`` a (before, after)
    pair per axis, without np.pad's general machinery (which costs several times the
    copy at the sizes of a difference's or a convolution's adjoint)."""
    array = np.asarray(array)
    shape, inside = [], []
    for n, (before, after) in zip(array.shape, widths):
        shape.append(n + before + after)
        inside.append(slice(before, before + n))
    out = np.zeros(shape, dtype=array.dtype)
    out[tuple(inside)] = array
    return out


def difference_of_padded(g):
    """``np.diff(zero_padded(g, ((1, 1),)))`` of a 1-D array ``g`` of at least one
    element, ``[g[0] - 0.0, g[1] - g[0], ..., 0.0 - g[-1]]`` bit for bit, without the
    padded copy and np.diff's own work (the adjoint of ``np.diff(x)`` in a version)."""
    out = np.empty(g.shape[0] + 1, dtype=g.dtype)
    out[0] = g[0] - 0.0
    np.subtract(g[1:], g[:-1], out=out[1:-1])
    out[-1] = 0.0 - g[-1]
    return out


def pad_border(array, pad_width):
    """1.0 where ``np.pad(array, pad_width)`` holds the constant, 0.0 inside."""
    return np.pad(np.zeros(np.shape(array)), pad_width, constant_values=1.0)


# np.pad modes that copy elements of the array into the border: normalize reads
# np.pad(a, w, mode=m) of these as a[pad_index(a, w, m)], whose rule is indexing's
PAD_COPY_MODES = ("edge", "wrap", "reflect", "symmetric")


def pad_index(array, pad_width, mode):
    """The index that reads ``np.pad(array, pad_width, mode=mode)`` out of ``array``
    for a mode that copies (``PAD_COPY_MODES``): each axis's padded positions, the
    positions of ``np.arange(n)`` padded the same way, as an open mesh."""
    shape = np.shape(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    return np.ix_(*(np.pad(np.arange(n), (int(before), int(after)), mode=mode)
                    for n, (before, after) in zip(shape, widths)))


def end_shape(end, a, axis):
    """The shape ``end`` takes to be joined to ``a`` along ``axis`` (``np.diff``'s
    ``prepend=``/``append=``, a maximum's ``initial=``): a number spans ``a``'s other
    axes with length 1 along ``axis``; an array keeps its shape."""
    if np.ndim(end):
        return np.shape(end)
    shape = list(np.shape(a))
    shape[axis] = 1
    return tuple(shape)


nondifferentiable(tile_shape, tile_axes, pad_interior, pad_border, pad_index, end_shape)


def _tile_cases(rng):
    return [((real(rng, (3,)), 2), {}), ((real(rng, (2, 3)), (2, 1)), {}),
            ((real(rng, (3,)), (2, 2)), {}), ((real(rng, (2, 3)), 2), {})]


@adjoint(np.tile, cases=_tile_cases, static_args=(1,))
def tile(y, A, reps):
    d[A] = np.reshape(np.sum(np.reshape(d[y], tile_shape(A, reps)), axis=tile_axes(A, reps)),
                      np.shape(A))


@tangent(np.tile)
def tile_tangent(y, A, reps):
    d[y] = np.tile(d[A], reps)


def _pad_cases(rng):
    return [((real(rng, (3,)), 2), {}), ((real(rng, (2, 3)), ((1, 0), (0, 2))), {}),
            ((real(rng, (2, 3)), 1, "constant"), {"constant_values": 0.5})]


@adjoint(np.pad, cases=_pad_cases, static_args=(1, 2))
def pad(y, array, pad_width, mode="constant", constant_values=0):
    d[array] = d[y][pad_interior(array, pad_width)]
    d[constant_values] = np.sum(d[y] * pad_border(array, pad_width))


@tangent(np.pad)
def pad_tangent(y, array, pad_width, mode="constant", constant_values=0):
    d[y] = np.pad(d[array], pad_width) + d[constant_values] * pad_border(array, pad_width)


def _zero_padded_cases(rng):
    return [((real(rng, (3,)), ((2, 1),)), {}), ((real(rng, (2, 3)), ((1, 0), (0, 2))), {}),
            ((real(rng, (4,)), ((0, 0),)), {})]


@adjoint(zero_padded, cases=_zero_padded_cases, static_args=(1,))
def zero_padded_(y, array, widths):
    d[array] = d[y][pad_interior(array, widths)]


@tangent(zero_padded)
def zero_padded_tangent(y, array, widths):
    d[y] = zero_padded(d[array], widths)


def _difference_of_padded_cases(rng):
    return [((real(rng, (3,)),), {}), ((real(rng, (1,)),), {})]


# (a version of a derivative writes np.diff's adjoint with it, and a derivative of that
# derivative differentiates it: without rules, a TransformError at the line above in
# this file for grad of grad and tl.hvp of a function with np.diff)
@adjoint(difference_of_padded, cases=_difference_of_padded_cases)
def difference_of_padded_(y, g):
    d[g] = -np.diff(d[y])


@tangent(difference_of_padded)
def difference_of_padded_tangent(y, g):
    d[y] = difference_of_padded(d[g])


# -- joining and splitting ---------------------------------------------------------------
def split_like(g, arrays, axis):
    """Cut ``g`` along ``axis`` into one piece per array, each shaped like its array:
    the adjoint of joining ``arrays`` (np.concatenate, np.stack, np.hstack, ...) into g.
    With axis=None the arrays were flattened."""
    if axis is None:
        g, axis = np.ravel(g), 0
    g = np.asarray(g)
    length = g.shape[axis]
    axis = axis % g.ndim
    before = (slice(None),) * axis
    shapes = [a.shape if a.__class__ is np.ndarray else np.shape(a) for a in arrays]
    rest = g.shape[:axis] + g.shape[axis + 1:]
    if rest and length == len(shapes) and all(shape == rest for shape in shapes):
        # the arrays were stacked (np.stack): one index each (a view of g's slab)
        return _sequence_like(arrays, [g[before + (i,)] for i in range(length)])
    # (slices, not np.split: np.split takes microseconds a piece)
    others = max(g.size // max(length, 1), 1)
    pieces, start = [], 0
    for i, shape in enumerate(shapes):
        end = length if i == len(shapes) - 1 else start + math.prod(shape) // others
        pieces.append(g[before + (slice(start, end),)].reshape(shape))
        start = end
    return _sequence_like(arrays, pieces)


def _sequence_like(arrays, pieces):
    """The pieces as the kind of sequence ``arrays`` is: a list, a tuple, or, for an
    array given as the sequence of its rows (``np.stack(m)`` of a 2-D ``m``), an array
    shaped like it."""
    if isinstance(arrays, np.ndarray):
        return np.stack(pieces)
    return type(arrays)(pieces)


def join_like(parts, g, arrays, axis):
    """The adjoint of ``split_like(g, arrays, axis)``: the parts, shaped like ``arrays``,
    joined into g's shape. A part that is still the scalar zero (an adjoint from a branch
    not taken), or missing (a stack of adjoints covers the last elements of its list),
    stands for zeros shaped like its array."""
    shape = np.shape(g)
    if not len(arrays):
        # nothing was split off: g's axis is empty (np.unstack of an empty axis)
        return np.zeros(shape, dtype=np.result_type(g, 1.0))
    # (an array given as the sequence of its rows has an array as its adjoint)
    parts = list(parts) if isinstance(parts, (list, tuple)) or \
        isinstance(parts, np.ndarray) and parts.ndim else []
    parts = [0.0] * (len(arrays) - len(parts)) + parts
    parts = [np.broadcast_to(p, np.shape(a)) for p, a in zip(parts, arrays)]
    if axis is None:
        return np.reshape(np.concatenate([np.ravel(p) for p in parts]), shape)
    axis = axis % len(shape)
    slab = shape[:axis] + (-1,) + shape[axis + 1:]
    # a part one dimension short was stacked (np.stack, np.unstack, np.vstack of vectors):
    # it gets its axis back by np.expand_dims, which (unlike a reshape to slab) also works
    # for an empty part
    return np.concatenate([np.expand_dims(p, axis) if np.ndim(p) == len(shape) - 1
                           else np.reshape(p, slab) for p in parts], axis=axis)


def _split_like_cases(rng):
    return [((real(rng, (2, 5)), [real(rng, (2, 2)), real(rng, (2, 3))], 1), {}),
            ((real(rng, (2, 3)), [real(rng, (3,)), real(rng, (3,))], 0), {}),
            ((real(rng, (5,)), [real(rng, (2,)), real(rng, (3,))], None), {}),
            # an array given as the sequence of its rows: np.stack(m), np.concatenate(m)
            ((real(rng, (2, 3)), real(rng, (2, 3)), 0), {}),
            ((real(rng, (6,)), real(rng, (2, 3)), 0), {})]


@adjoint(split_like, cases=_split_like_cases, static_args=(1, 2))
def split_like_(pieces, g, arrays, axis):
    d[g] = join_like(d[pieces], g, arrays, axis)


@tangent(split_like)
def split_like_tangent(pieces, g, arrays, axis):
    d[pieces] = split_like(d[g], arrays, axis)


def _join_like_cases(rng):
    return [(([real(rng, (2, 2)), real(rng, (2, 3))], real(rng, (2, 5)),
              [real(rng, (2, 2)), real(rng, (2, 3))], 1), {}),
            (([real(rng, (3,)), real(rng, (3,))], real(rng, (2, 3)),
              [real(rng, (3,)), real(rng, (3,))], 0), {}),
            (([real(rng, (2,)), real(rng, (3,))], real(rng, (5,)),
              [real(rng, (2,)), real(rng, (3,))], None), {}),
            ((real(rng, (2, 3)), real(rng, (2, 3)), real(rng, (2, 3)), 0), {}),
            ((real(rng, (2, 3)), real(rng, (6,)), real(rng, (2, 3)), 0), {})]


@adjoint(join_like, cases=_join_like_cases, static_args=(1, 2, 3))
def join_like_(y, parts, g, arrays, axis):
    d[parts] = split_like(d[y], arrays, axis)


@tangent(join_like)
def join_like_tangent(y, parts, g, arrays, axis):
    d[y] = join_like(d[parts], g, arrays, axis)


def hstack_axis(tup):
    """The axis np.hstack joins along: 0 for vectors (and scalars), else 1."""
    return 0 if np.ndim(tup[0]) <= 1 else 1


nondifferentiable(hstack_axis)


def _concatenate_cases(rng):
    return [(([real(rng, (2,)), real(rng, (3,))],), {}),
            (([real(rng, (2, 3)), real(rng, (2, 1))],), {"axis": 1}),
            (([real(rng, (2, 3)), real(rng, (1, 3)), real(rng, (2, 3))],), {"axis": 0}),
            (([real(rng, (2, 2)), real(rng, (3,))],), {"axis": None})]


@adjoint(np.concatenate, cases=_concatenate_cases)
def concatenate(y, arrays, axis=0, out=None, dtype=None):
    d[arrays] = split_like(d[y], arrays, axis)


@tangent(np.concatenate)
def concatenate_tangent(y, arrays, axis=0, out=None, dtype=None):
    d[y] = np.concatenate(d[arrays], axis=axis)


def _stack_cases(rng):
    return [(([real(rng, (3,)), real(rng, (3,))],), {}),
            (([real(rng, (2, 3)), real(rng, (2, 3))],), {"axis": -1}),
            (((real(rng, ()), real(rng, ()), real(rng, ())),), {})]


@adjoint(np.stack, cases=_stack_cases)
def stack(y, arrays, axis=0, out=None, dtype=None):
    d[arrays] = split_like(d[y], arrays, axis)


@tangent(np.stack)
def stack_tangent(y, arrays, axis=0, out=None, dtype=None):
    d[y] = np.stack(d[arrays], axis=axis)


def _hstack_cases(rng):
    return [(([real(rng, (2,)), real(rng, (3,))],), {}),
            (([real(rng, (2, 3)), real(rng, (2, 1))],), {}),
            (((real(rng, ()), real(rng, (2,))),), {})]


@adjoint(np.hstack, cases=_hstack_cases)
def hstack(y, tup):
    d[tup] = split_like(d[y], tup, hstack_axis(tup))


@tangent(np.hstack)
def hstack_tangent(y, tup):
    d[y] = np.hstack(d[tup])


def _vstack_cases(rng):
    return [(([real(rng, (3,)), real(rng, (3,))],), {}),
            (([real(rng, (2, 3)), real(rng, (1, 3))],), {}),
            (([real(rng, (3,)), real(rng, (2, 3))],), {})]


@adjoint(np.vstack, cases=_vstack_cases)
def vstack(y, tup):
    d[tup] = split_like(d[y], tup, 0)


@tangent(np.vstack)
def vstack_tangent(y, tup):
    d[y] = np.vstack(d[tup])


def _dstack_cases(rng):
    return [(([real(rng, (3,)), real(rng, (3,))],), {}),
            (([real(rng, (2, 3)), real(rng, (2, 3, 2))],), {})]


@adjoint(np.dstack, cases=_dstack_cases)
def dstack(y, tup):
    d[tup] = split_like(d[y], tup, 2)


@tangent(np.dstack)
def dstack_tangent(y, tup):
    d[y] = np.dstack(d[tup])


def _column_stack_cases(rng):
    return [(([real(rng, (3,)), real(rng, (3,))],), {}),
            (([real(rng, (3, 2)), real(rng, (3,))],), {})]


@adjoint(np.column_stack, cases=_column_stack_cases)
def column_stack(y, tup):
    d[tup] = split_like(d[y], tup, 1)


@tangent(np.column_stack)
def column_stack_tangent(y, tup):
    d[y] = np.column_stack(d[tup])


def _append_cases(rng):
    return [((real(rng, (3,)), real(rng, (2,))), {}), ((real(rng, (2, 2)), real(rng, (3,))), {}),
            ((real(rng, (2, 3)), real(rng, (1, 3))), {"axis": 0}),
            ((real(rng, (3,)), real(rng, ())), {})]


@adjoint(np.append, cases=_append_cases)
def append(y, arr, values, axis=None):
    if axis is None:
        parts = np.split(d[y], [np.size(arr)])
        d[arr] = np.reshape(parts[0], np.shape(arr))
        d[values] = np.reshape(parts[1], np.shape(values))
    else:
        parts = np.split(d[y], [np.shape(arr)[axis]], axis=axis)
        d[arr] = parts[0]
        d[values] = parts[1]


@tangent(np.append)
def append_tangent(y, arr, values, axis=None):
    # linear in each input; the other one contributes zeros of its shape
    d[y] = (np.append(d[arr], np.zeros_like(values), axis=axis)
            + np.append(np.zeros_like(arr), d[values], axis=axis))


def _split_cases(rng):
    return [((real(rng, (6,)), 3), {}), ((real(rng, (2, 5)), [1, 3]), {"axis": 1}),
            ((real(rng, (4, 2)), 2, 0), {})]


@adjoint(np.split, np.array_split, cases=_split_cases, static_args=(1,))
def split(y, ary, indices_or_sections, axis=0):
    d[ary] = np.concatenate(d[y], axis=axis)


@tangent(np.split)
def split_tangent(y, ary, indices_or_sections, axis=0):
    d[y] = np.split(d[ary], indices_or_sections, axis=axis)


@tangent(np.array_split)
def array_split_tangent(y, ary, indices_or_sections, axis=0):
    d[y] = np.array_split(d[ary], indices_or_sections, axis=axis)


@adjoint(np.hsplit, cases=lambda rng: [((real(rng, (2, 4)), 2), {}), ((real(rng, (6,)), [1, 4]), {})],
         static_args=(1,))
def hsplit(y, ary, indices_or_sections):
    d[ary] = np.hstack(d[y])


@tangent(np.hsplit)
def hsplit_tangent(y, ary, indices_or_sections):
    d[y] = np.hsplit(d[ary], indices_or_sections)


@adjoint(np.vsplit, cases=lambda rng: [((real(rng, (4, 2)), 2), {}), ((real(rng, (3, 2)), [1]), {})],
         static_args=(1,))
def vsplit(y, ary, indices_or_sections):
    d[ary] = np.vstack(d[y])


@tangent(np.vsplit)
def vsplit_tangent(y, ary, indices_or_sections):
    d[y] = np.vsplit(d[ary], indices_or_sections)


@adjoint(np.dsplit, cases=lambda rng: [((real(rng, (2, 1, 4)), 2), {})], static_args=(1,))
def dsplit(y, ary, indices_or_sections):
    d[ary] = np.dstack(d[y])


@tangent(np.dsplit)
def dsplit_tangent(y, ary, indices_or_sections):
    d[y] = np.dsplit(d[ary], indices_or_sections)


@adjoint(*optional(np, "unstack"), cases=lambda rng: [((real(rng, (2, 3)),), {}),
                                                     ((real(rng, (2, 3)),), {"axis": 1})])
def unstack(y, x, axis=0):
    d[x] = join_like(d[y], x, y, axis)


@tangent(*optional(np, "unstack"))
def unstack_tangent(y, x, axis=0):
    d[y] = np.unstack(d[x], axis=axis)


# -- diagonals ---------------------------------------------------------------------------
def undiag(g, v, k=0):
    """The adjoint of ``np.diag(v, k)``: for a vector v the k-th diagonal of g; for a
    matrix v, g placed on the k-th diagonal of zeros shaped like v."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()
    out = np.zeros(np.shape(v), dtype=np.result_type(g, 1.0))
    i = np.arange(np.size(g))
    out[i + max(-k, 0), i + max(k, 0)] = g
    return out


def undiagonal(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``np.diagonal(a, offset, axis1, axis2)``: zeros shaped like a with
    g on that diagonal."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, 1.0))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    i = np.arange(np.shape(g)[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def diagonal_shape(a, offset=0, axis1=0, axis2=1):
    return np.shape(np.diagonal(a, offset, axis1, axis2))


nondifferentiable(diagonal_shape)


def _undiag_cases(rng):
    return [((real(rng, (3, 3)), real(rng, (3,))), {}), ((real(rng, (3,)), real(rng, (3, 4))), {}),
            ((real(rng, (2,)), real(rng, (3, 3))), {"k": 1})]


@adjoint(undiag, cases=_undiag_cases, static_args=(1,))
def undiag_(y, g, v, k=0):
    d[g] = np.diag(d[y], k=k)


@tangent(undiag)
def undiag_tangent(y, g, v, k=0):
    d[y] = undiag(d[g], v, k=k)


def _undiagonal_cases(rng):
    return [((real(rng, (3,)), real(rng, (3, 4))), {}), ((real(rng, (2,)), real(rng, (3, 3))), {"offset": 1}),
            ((real(rng, (2, 3)), real(rng, (3, 2, 3))), {"axis1": 0, "axis2": 2})]


@adjoint(undiagonal, cases=_undiagonal_cases, static_args=(1,))
def undiagonal_(y, g, a, offset=0, axis1=0, axis2=1):
    d[g] = np.diagonal(d[y], offset=offset, axis1=axis1, axis2=axis2)


@tangent(undiagonal)
def undiagonal_tangent(y, g, a, offset=0, axis1=0, axis2=1):
    d[y] = undiagonal(d[g], a, offset=offset, axis1=axis1, axis2=axis2)


def _diag_cases(rng):
    return [((real(rng, (3,)),), {}), ((real(rng, (3,)),), {"k": -1}), ((real(rng, (3, 3)),), {}),
            ((real(rng, (3, 4)),), {"k": 1})]


@adjoint(np.diag, cases=_diag_cases)
def diag(y, v, k=0):
    d[v] = undiag(d[y], v, k=k)


@tangent(np.diag)
def diag_tangent(y, v, k=0):
    d[y] = np.diag(d[v], k=k)


@adjoint(np.diagflat, cases=lambda rng: [((real(rng, (3,)),), {}), ((real(rng, (2, 2)),), {"k": 1})])
def diagflat(y, v, k=0):
    d[v] = np.reshape(undiag(d[y], np.ravel(v), k=k), np.shape(v))


@tangent(np.diagflat)
def diagflat_tangent(y, v, k=0):
    d[y] = np.diagflat(d[v], k=k)


def _diagonal_cases(rng):
    return [((real(rng, (3, 3)),), {}), ((real(rng, (3, 4)),), {"offset": 1}),
            ((real(rng, (2, 3, 3)),), {"axis1": 1, "axis2": 2}), ((real(rng, (3, 2, 3)), -1, 2, 0), {})]


@adjoint(np.diagonal, cases=_diagonal_cases)
def diagonal(y, a, offset=0, axis1=0, axis2=1):
    d[a] = undiagonal(d[y], a, offset=offset, axis1=axis1, axis2=axis2)


@tangent(np.diagonal)
def diagonal_tangent(y, a, offset=0, axis1=0, axis2=1):
    d[y] = np.diagonal(d[a], offset=offset, axis1=axis1, axis2=axis2)


@adjoint(np.trace, cases=_diagonal_cases)
def trace(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    g = np.full(diagonal_shape(a, offset=offset, axis1=axis1, axis2=axis2), np.expand_dims(d[y], -1),
                dtype=np.result_type(np.asarray(a), d[y], 1.0))
    d[a] = undiagonal(g, a, offset=offset, axis1=axis1, axis2=axis2)


@tangent(np.trace)
def trace_tangent(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[y] = np.trace(d[a], offset=offset, axis1=axis1, axis2=axis2)


def _matrix_stack_cases(rng):
    return [((real(rng, (3, 3)),), {}), ((real(rng, (2, 3, 4)),), {"offset": 1})]


@adjoint(*optional(np.linalg, "diagonal"), cases=_matrix_stack_cases)
def linalg_diagonal(y, x, offset=0):
    d[x] = undiagonal(d[y], x, offset=offset, axis1=-2, axis2=-1)


@tangent(*optional(np.linalg, "diagonal"))
def linalg_diagonal_tangent(y, x, offset=0):
    d[y] = np.diagonal(d[x], offset=offset, axis1=-2, axis2=-1)


@adjoint(*optional(np.linalg, "trace"), cases=_matrix_stack_cases)
def linalg_trace(y, x, offset=0, dtype=None):
    g = np.full(diagonal_shape(x, offset=offset, axis1=-2, axis2=-1), np.expand_dims(d[y], -1))
    d[x] = undiagonal(g, x, offset=offset, axis1=-2, axis2=-1)


@tangent(*optional(np.linalg, "trace"))
def linalg_trace_tangent(y, x, offset=0, dtype=None):
    d[y] = np.trace(d[x], offset=offset, axis1=-2, axis2=-1)


def _full_like_cases(rng):
    return [((real(rng, (2, 3)), real(rng, ())), {}), ((real(rng, (2, 3)), real(rng, (3,))), {})]


@adjoint(np.full_like, cases=_full_like_cases, static_args=(0,))
def full_like(y, a, fill_value, dtype=None):
    d[fill_value] = unbroadcast(d[y], fill_value)


@tangent(np.full_like)
def full_like_tangent(y, a, fill_value, dtype=None):
    d[y] = np.full_like(a, d[fill_value], dtype=dtype)
