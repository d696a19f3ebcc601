"""Convolution, polynomials, interpolation and integration: functions that are linear
(or polynomial) in their arrays, written with the primitives of the other modules."""
import numpy as np

from ..runtime import add_at, unbroadcast
from ..template import d
from .domains import real
from .optional import optional
from .registry import adjoint, nondifferentiable, tangent
from .shapes import zero_padded


def full_padding(a, v, mode):
    """Zeros around the result of ``np.convolve(a, v, mode)`` that make it the 'full'
    convolution's length, placed where the mode cut them off (as ``zero_padded``'s
    one (before, after) pair)."""
    n, m = np.size(a), np.size(v)
    length = {"full": n + m - 1, "same": max(n, m), "valid": max(n, m) - min(n, m) + 1}[mode]
    start = {"full": 0, "same": (min(n, m) - 1) // 2, "valid": min(n, m) - 1}[mode]
    return ((start, n + m - 1 - start - length),)


nondifferentiable(full_padding)


def correlate_of_padded(g, v, before):
    """``np.correlate(zero_padded(g, ((before, before),)), v, "valid")`` (the adjoint
    of np.convolve or np.correlate in mode 'valid', in a version: optimize.
    correlate_without_padding) without the padded copy where that is a correlation of
    ``v`` with ``g`` reversed (``before`` the two lengths' difference: the shorter
    argument's adjoint) or the full convolution of ``g`` with ``v`` reversed
    (``before`` one less than v's length: the longer argument's), for 1-D arrays of
    real numbers. The same sums in another order (the same value up to rounding); the
    padded zeros are not multiplied, so an infinite element of ``v`` gives nan only
    where the padded product met it inside ``g`` (docs/conventions.md)."""
    if g.__class__ is np.ndarray and v.__class__ is np.ndarray:
        shapes = g.shape + v.shape   # (n, m) of 1-D arrays
        if len(shapes) == 2 and shapes[0] and shapes[1] \
                and (g.dtype is _FLOAT64 or g.dtype.kind in "iuf") \
                and (v.dtype is _FLOAT64 or v.dtype.kind in "iuf"):
            if before == shapes[1] - shapes[0]:
                return np.correlate(v, g, "valid")[::-1]
            if before == shapes[1] - 1:
                return np.convolve(g, v[::-1])
    return np.correlate(zero_padded(g, ((before, before),)), v, "valid")


_FLOAT64 = np.dtype(np.float64)


nondifferentiable(correlate_of_padded)


def _convolve_cases(rng):
    a, v = real(rng, (5,)), real(rng, (3,))
    return [((a, v), {}), ((a, v, "same"), {}), ((a, v, "valid"), {}),
            ((v, a), {"mode": "same"}), ((v, a, "valid"), {})]


@adjoint(np.convolve, cases=_convolve_cases)
def convolve(y, a, v, mode="full"):
    # y = the full convolution cut to the mode; each input's adjoint correlates with the other
    g = zero_padded(d[y], full_padding(a, v, mode))
    d[a] = np.correlate(g, v, "valid")
    d[v] = np.correlate(g, a, "valid")


@tangent(np.convolve)
def convolve_tangent(y, a, v, mode="full"):
    d[y] = np.convolve(d[a], v, mode) + np.convolve(a, d[v], mode)


@adjoint(np.correlate, cases=lambda rng: _convolve_cases(rng)[1:] + [((real(rng, (4,)), real(rng, (4,))), {})])
def correlate(y, a, v, mode="valid"):
    # correlate(a, v) = convolve(a, flip(v))
    g = zero_padded(d[y], full_padding(a, v, mode))
    d[a] = np.correlate(g, np.flip(v), "valid")
    d[v] = np.flip(np.correlate(g, a, "valid"))


@tangent(np.correlate)
def correlate_tangent(y, a, v, mode="valid"):
    d[y] = np.correlate(d[a], v, mode) + np.correlate(a, d[v], mode)


def leading_axes(x):
    return tuple(range(np.ndim(x)))


nondifferentiable(leading_axes)


def _polyval_cases(rng):
    return [((real(rng, (3,)), real(rng, ())), {}), ((real(rng, (4,)), real(rng, (2, 3))), {}),
            ((real(rng, (1,)), real(rng, (3,))), {})]


@adjoint(np.polyval, cases=_polyval_cases)
def polyval(y, p, x):
    # y = sum_i p_i x^(n-1-i); the derivative in x is the derivative polynomial's value
    n = np.size(p)
    powers = np.arange(n - 1, 0, -1, dtype=np.result_type(np.asarray(p), 1.0))
    d[x] = unbroadcast(d[y] * np.polyval(p[:-1] * powers, x), x)
    d[p] = np.sum(np.expand_dims(d[y], -1) * np.expand_dims(x, -1)
                  ** np.arange(n - 1, -1, -1, dtype=np.result_type(np.asarray(x), 1.0)),
                  axis=leading_axes(d[y]))


@tangent(np.polyval)
def polyval_tangent(y, p, x):
    n = np.size(p)
    powers = np.arange(n - 1, 0, -1, dtype=np.result_type(np.asarray(p), 1.0))
    d[y] = np.polyval(d[p], x) + d[x] * np.polyval(p[:-1] * powers, x)


def interp_brackets(x, xp):
    """Indices (lo, hi) of the knots around each x; lo == hi outside [xp[0], xp[-1]].
    x and xp may be lists or tuples of numbers, which np.interp reads as arrays."""
    x, xp = np.asarray(x), np.asarray(xp)
    n = np.size(xp)
    hi = np.clip(np.searchsorted(xp, x, side="right"), 1, n - 1)
    lo = hi - 1
    lo = np.where(x < xp[0], 0, np.where(x > xp[-1], n - 1, lo))
    hi = np.where(x < xp[0], 0, np.where(x > xp[-1], n - 1, hi))
    return lo, hi


nondifferentiable(interp_brackets)


def _interp_cases(rng):
    xp = np.array([-1.5, -0.5, 0.2, 1.0, 1.7])
    return [((np.array([-1.2, 0.1, 0.55, 1.3]), xp, real(rng, (5,))), {}),
            ((0.37, xp, real(rng, (5,))), {}),
            ((np.array([[-1.9, 0.3], [0.9, 2.1]]), xp + 0.05, real(rng, (5,))), {}),
            # lists of knots and values (their adjoints are arrays, not joined lists)
            ((0.37, [float(v) for v in xp], [float(v) for v in real(rng, (5,))]), {}),
            ((np.array([-1.2, 0.55]), [float(v) for v in xp], [float(v) for v in real(rng, (5,))]), {})]


@adjoint(np.interp, cases=_interp_cases)
def interp(y, x, xp, fp):
    # y = fp[lo] + w (fp[hi] - fp[lo]), w = (x - xp[lo]) / (xp[hi] - xp[lo]); flat outside
    knots = interp_brackets(x, xp)
    outside = knots[0] == knots[1]
    span = np.take(xp, knots[1]) - np.take(xp, knots[0]) + outside
    w = np.where(outside, 0.0, (x - np.take(xp, knots[0])) / span)
    slope = (np.take(fp, knots[1]) - np.take(fp, knots[0])) / span
    d[x] = d[y] * slope
    # as arrays: the adjoints of a list would be lists, and `+` would join them
    d[fp] = (add_at(d[y] * (1.0 - w), np.asarray(fp), knots[0])
             + add_at(d[y] * w, np.asarray(fp), knots[1]))
    d[xp] = (add_at(d[y] * slope * (w - 1.0), np.asarray(xp), knots[0])
             - add_at(d[y] * slope * w, np.asarray(xp), knots[1]))


@tangent(np.interp)
def interp_tangent(y, x, xp, fp):
    knots = interp_brackets(x, xp)
    outside = knots[0] == knots[1]
    span = np.take(xp, knots[1]) - np.take(xp, knots[0]) + outside
    w = np.where(outside, 0.0, (x - np.take(xp, knots[0])) / span)
    slope = (np.take(fp, knots[1]) - np.take(fp, knots[0])) / span
    d[y] = (d[x] * slope + np.interp(x, xp, d[fp])
            + slope * (np.take(d[xp], knots[0]) * (w - 1.0) - np.take(d[xp], knots[1]) * w))


def trapezoid_weights(y, axis):
    """1 inside, 1/2 at both ends along ``axis``: np.trapezoid(y) is dx * sum(w y)."""
    n = np.shape(y)[axis]
    w = np.ones(n, dtype=np.result_type(np.asarray(y), 1.0))
    if n:   # (an empty y integrates to 0: no weights)
        w[[0, -1]] = 0.5 if n > 1 else 0.0
    shape = [1] * np.ndim(y)
    shape[axis] = n
    return np.reshape(w, shape)


nondifferentiable(trapezoid_weights)


def _trapezoid_cases(rng):
    return [((real(rng, (5,)),), {}), ((real(rng, (3, 4)),), {"axis": 0}),
            ((real(rng, (3, 4)),), {"dx": 0.5, "axis": 1})]


@adjoint(*optional(np, "trapezoid", "trapz"), cases=_trapezoid_cases)
def trapezoid(r, y, x=None, dx=1.0, axis=-1):
    # (the seed in y's float dtype: np.expand_dims of a Python number is a float64 array)
    d[y] = (np.expand_dims(np.asarray(d[r], dtype=np.result_type(np.asarray(y), d[r])), axis)
            * dx * trapezoid_weights(y, axis))
    d[dx] = unbroadcast(d[r] * np.sum(trapezoid_weights(y, axis) * y, axis=axis), dx)


@tangent(*optional(np, "trapezoid", "trapz"))
def trapezoid_tangent(r, y, x=None, dx=1.0, axis=-1):
    d[r] = (dx * np.sum(d[y] * trapezoid_weights(y, axis), axis=axis)
            + d[dx] * np.sum(trapezoid_weights(y, axis) * y, axis=axis))


_TRAPEZOID = getattr(np, "trapezoid", None) or getattr(np, "trapz")


def trapezoid_at(y, x, axis=-1):
    """``np.trapezoid(y, x, axis=axis)``: the integral of ``y`` sampled at the points
    ``x`` (1-D along ``axis``, or with y's axes). normalize.sampled_trapezoid writes a
    call of np.trapezoid (np.trapz) given ``x`` as this function, whose rules follow
    ``x`` too: the integral is bilinear in the steps of ``x`` and the midpoints of ``y``."""
    return _TRAPEZOID(y, x, axis=axis)


def sample_shape(x, y, axis):
    """The shape ``x`` is read in against ``y`` (as np.trapezoid reads it): its own when
    it has y's axes, else its length along ``axis`` and ones elsewhere."""
    if np.ndim(x) == np.ndim(y):
        return np.shape(x)
    shape = [1] * np.ndim(y)
    shape[axis] = np.size(x)
    return tuple(shape)


def interval_ends(y, axis, first):
    """The index of ``y`` that takes the first (``first``) or the last end of each
    interval along ``axis``: ``[..., :-1]`` or ``[..., 1:]``."""
    index = [slice(None)] * np.ndim(y)
    index[axis] = slice(None, -1) if first else slice(1, None)
    return tuple(index)


def side_padding(g, axis, before, after):
    """zero_padded's widths for ``before`` and ``after`` zeros along ``axis`` of ``g``."""
    width = [(0, 0)] * np.ndim(g)
    width[axis] = (before, after)
    return width


nondifferentiable(sample_shape)
nondifferentiable(interval_ends)
nondifferentiable(side_padding)


def _trapezoid_at_cases(rng):
    return [((real(rng, (5,)), real(rng, (5,))), {}),
            ((real(rng, (3, 4)), real(rng, (4,))), {}),
            ((real(rng, (3, 4)), real(rng, (3,))), {"axis": 0}),
            ((real(rng, (3, 4)), real(rng, (3, 4))), {"axis": 1})]


@adjoint(trapezoid_at, cases=_trapezoid_at_cases)
def trapezoid_at_(r, y, x, axis=-1):
    # r = sum(steps * mids): the steps' adjoint goes half to each end of its interval,
    # the midpoints' adjoint is the transpose of a difference (as np.diff's)
    steps = np.diff(np.reshape(x, sample_shape(x, y, axis)), axis=axis)
    half = 0.5 * np.expand_dims(d[r], axis)
    d[y] = unbroadcast(zero_padded(half * steps, side_padding(y, axis, 1, 0))
                       + zero_padded(half * steps, side_padding(y, axis, 0, 1)), y)
    d[x] = np.reshape(unbroadcast(-np.diff(zero_padded(
        half * (y[interval_ends(y, axis, True)] + y[interval_ends(y, axis, False)]),
        side_padding(y, axis, 1, 1)), axis=axis), np.reshape(x, sample_shape(x, y, axis))),
        np.shape(x))


@tangent(trapezoid_at)
def trapezoid_at_tangent(r, y, x, axis=-1):
    # bilinear in y and x
    d[r] = trapezoid_at(d[y], x, axis) + trapezoid_at(y, d[x], axis)


@adjoint(np.ediff1d, cases=lambda rng: [((real(rng, (5,)),), {}), ((real(rng, (2, 3)),), {})])
def ediff1d(y, ary):
    # (an ary of at most one element has no differences: its gradient is zeros like it)
    d[ary] = np.reshape(-np.diff(zero_padded(d[y], ((1, np.size(ary) - np.size(y)),))), np.shape(ary))


@tangent(np.ediff1d)
def ediff1d_tangent(y, ary):
    d[y] = np.ediff1d(d[ary])
