"""Python's own scalar math: the ``math`` module and numeric builtins."""
import math

import numpy as np

from ..template import constant, d
from ..runtime import cast_back, quotient, scaled_power, unbroadcast
from .domains import above_one, nonzero, positive, real, unit
from .optional import optional
from .reductions import tie_weights
from .registry import adjoint, nondifferentiable, tangent
from .selection import larger, smaller


def scalar(domain=real):
    def cases(rng):
        return [((domain(rng, ()),), {}), ((domain(rng, ()),), {})]
    return cases


def scalars(domain_x=real, domain_y=real):
    def cases(rng):
        return [((domain_x(rng, ()), domain_y(rng, ())), {})]
    return cases


# -- Python floats at the edge of a domain -----------------------------------------------
# Where the primal succeeded, the derivative gives NumPy's inf or nan, as the NumPy rules
# do (docs/conventions.md), not Python's ZeroDivisionError or "math domain error". The
# helpers try the plain Python operation first: only a raising one takes the NumPy path
# (quotient, the division, is runtime.quotient; its rule is the division's).
def real_pow(x, y):
    """``math.pow(x, y)``; NumPy's inf or nan where math.pow raises (0 to a negative
    power, a negative number to a fractional one, an overflow)."""
    try:
        return math.pow(x, y)
    except (ValueError, ZeroDivisionError, OverflowError):
        return float(np.power(float(x), float(y)))


def real_log(x):
    """``math.log(x)``; NumPy's -inf at 0 and nan below."""
    try:
        return math.log(x)
    except ValueError:
        return float(np.log(float(x)))


def real_ldexp(x, i):
    """``math.ldexp(x, i)``; NumPy's signed inf where it overflows (the derivative of
    ``math.ldexp(x, 1500)`` at 1e-300, where the primal is finite). A NumPy scalar
    keeps its dtype."""
    if isinstance(x, np.generic):
        return np.ldexp(x, i)
    try:
        return math.ldexp(x, i)
    except OverflowError:
        return float(np.ldexp(float(x), i))


@adjoint(real_pow, math.pow, cases=scalars(positive, real))
def real_pow_(z, x, y):
    if constant(y):
        if y == 0:
            d[x] = d[z] * 0.0
        else:
            d[x] = d[z] * y * real_pow(x, y - 1.0)
    else:   # (0 where y == 0, not 0 * inf = nan at x == 0: see the rule of x ** y)
        d[x] = d[z] * scaled_power(y, x, y - 1.0)
    d[y] = d[z] * z * real_log(np.where(z == 0, 1.0, x))   # (0 where x ** y is 0)


@tangent(real_pow, math.pow)
def real_pow_tangent(z, x, y):
    if constant(y):
        if y == 0:
            d[z] = d[x] * 0.0
        else:
            d[z] = d[x] * y * real_pow(x, y - 1.0)
    else:
        d[z] = d[x] * scaled_power(y, x, y - 1.0) + \
            d[y] * z * real_log(np.where(z == 0, 1.0, x))


@adjoint(real_log, cases=scalar(positive))
def real_log_(y, x):
    d[x] = quotient(d[y], x)


@tangent(real_log)
def real_log_tangent(y, x):
    d[y] = quotient(d[x], x)


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
    d[x] = quotient(d[y], 2.0 * y)


@tangent(math.sqrt)
def sqrt_tangent(y, x):
    d[y] = quotient(d[x], 2.0 * y)


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
    d[x] = quotient(d[y], math.sqrt(1.0 - x * x))


@tangent(math.asin)
def asin_tangent(y, x):
    d[y] = quotient(d[x], math.sqrt(1.0 - x * x))


@adjoint(math.acos, cases=scalar(unit))
def acos(y, x):
    d[x] = -quotient(d[y], math.sqrt(1.0 - x * x))


@tangent(math.acos)
def acos_tangent(y, x):
    d[y] = -quotient(d[x], math.sqrt(1.0 - x * x))


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


def sign_of(x):
    """``np.sign(x)``, but a Python float for a Python number: the NumPy float64 that
    ``np.sign`` gives would turn the float32 gradient of a value that passed through
    ``abs``, ``math.fabs`` or ``math.copysign`` of a Python float into float64."""
    if type(x) in (float, int, bool):
        return float((x > 0) - (x < 0)) if x == x else x
    return np.sign(x)


nondifferentiable(sign_of)


@adjoint(math.copysign, cases=scalars(nonzero, nonzero))
def copysign(z, x, y):
    # |x| with the sign of y: the derivative in x is sign(x) sign(z); y only gives a sign
    d[x] = d[z] * sign_of(x) * sign_of(z)


@tangent(math.copysign)
def copysign_tangent(z, x, y):
    d[z] = d[x] * sign_of(x) * sign_of(z)


@adjoint(math.fabs, cases=scalar(nonzero))
def fabs(y, x):
    d[x] = d[y] * sign_of(x)   # 0 at x = 0, like abs


@tangent(math.fabs)
def fabs_tangent(y, x):
    d[y] = d[x] * sign_of(x)


@adjoint(abs, cases=lambda rng: scalar(nonzero)(rng) + [((nonzero(rng, (3,)),), {})])
def abs_(y, x):
    d[x] = d[y] * sign_of(x)


@tangent(abs)
def abs__tangent(y, x):
    d[y] = d[x] * sign_of(x)


@adjoint(float, cases=scalar())
def float_(y, x):
    d[x] = cast_back(d[y], x)   # a NumPy float32 x gets a float32 gradient


@tangent(float)
def float__tangent(y, x):
    d[y] = d[x]


# np.float64(x): a cast (of a number, or elementwise of an array)
@adjoint(np.float64, cases=lambda rng: scalar()(rng) + [((real(rng, (3,)),), {})])
def numpy_float64(y, x):
    d[x] = cast_back(d[y], x)


@tangent(np.float64)
def numpy_float64_tangent(y, x):
    d[y] = np.float64(d[x])


@adjoint(math.asinh, cases=scalar())
def asinh(y, x):
    d[x] = d[y] / math.sqrt(x * x + 1.0)


@tangent(math.asinh)
def asinh_tangent(y, x):
    d[y] = d[x] / math.sqrt(x * x + 1.0)


@adjoint(math.acosh, cases=scalar(above_one))
def acosh(y, x):
    d[x] = quotient(d[y], math.sqrt(x * x - 1.0))


@tangent(math.acosh)
def acosh_tangent(y, x):
    d[y] = quotient(d[x], math.sqrt(x * x - 1.0))


@adjoint(math.atanh, cases=scalar(unit))
def atanh(y, x):
    d[x] = d[y] / (1.0 - x * x)


@tangent(math.atanh)
def atanh_tangent(y, x):
    d[y] = d[x] / (1.0 - x * x)


@adjoint(math.atan2, cases=scalars(nonzero, nonzero))
def atan2(z, y, x):
    d[y] = quotient(d[z] * x, x * x + y * y)
    d[x] = -quotient(d[z] * y, x * x + y * y)


@tangent(math.atan2)
def atan2_tangent(z, y, x):
    d[z] = quotient(d[y] * x - d[x] * y, x * x + y * y)


@adjoint(math.hypot, cases=scalars(nonzero, nonzero))
def hypot(z, x, y):
    q = 1.0 if z == 0 else z   # at (0, 0) the subgradient 0, as for abs at 0
    d[x] = d[z] * x / q
    d[y] = d[z] * y / q


@tangent(math.hypot)
def hypot_tangent(z, x, y):
    d[z] = (d[x] * x + d[y] * y) / (1.0 if z == 0 else z)


@adjoint(math.degrees, cases=scalar())
def degrees(y, x):
    d[x] = d[y] * (180.0 / math.pi)


@tangent(math.degrees)
def degrees_tangent(y, x):
    d[y] = d[x] * (180.0 / math.pi)


@adjoint(math.radians, cases=scalar())
def radians(y, x):
    d[x] = d[y] * (math.pi / 180.0)


@tangent(math.radians)
def radians_tangent(y, x):
    d[y] = d[x] * (math.pi / 180.0)


@adjoint(math.erf, cases=scalar())
def erf(y, x):
    d[x] = d[y] * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@tangent(math.erf)
def erf_tangent(y, x):
    d[y] = d[x] * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@adjoint(math.erfc, cases=scalar())
def erfc(y, x):
    d[x] = -d[y] * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@tangent(math.erfc)
def erfc_tangent(y, x):
    d[y] = -d[x] * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@adjoint(*optional(math, "exp2"), cases=scalar())
def exp2(y, x):
    d[x] = d[y] * y * math.log(2.0)


@tangent(*optional(math, "exp2"))
def exp2_tangent(y, x):
    d[y] = d[x] * y * math.log(2.0)


@adjoint(*optional(math, "cbrt"), cases=scalar(nonzero))
def cbrt(y, x):
    d[x] = quotient(d[y], 3.0 * y * y)


@tangent(*optional(math, "cbrt"))
def cbrt_tangent(y, x):
    d[y] = quotient(d[x], 3.0 * y * y)


def _fmod_cases(rng):
    return [((2.7, 1.2), {}), ((-2.7, 1.2), {}), ((0.5, -1.5), {})]


@adjoint(math.fmod, cases=_fmod_cases)
def fmod(z, x, y):
    # fmod(x, y) = x - trunc(x / y) y
    d[x] = d[z]
    d[y] = -d[z] * np.trunc(x / y)   # (not math.trunc: nan, a NumPy float32)


@tangent(math.fmod)
def fmod_tangent(z, x, y):
    d[z] = d[x] - d[y] * np.trunc(x / y)


@adjoint(math.remainder, cases=_fmod_cases)
def remainder(z, x, y):
    # remainder(x, y) = x - round(x / y) y (IEEE: ties to even)
    d[x] = d[z]
    d[y] = -d[z] * np.round(x / y)   # (ties to even, as round; nan stays)


@tangent(math.remainder)
def remainder_tangent(z, x, y):
    d[z] = d[x] - d[y] * np.round(x / y)


@adjoint(math.ldexp, real_ldexp, cases=lambda rng: [((0.7, 3), {}), ((-1.3, -2), {})],
         static_args=(1,))
def ldexp(y, x, i):
    d[x] = real_ldexp(d[y], i)


@tangent(math.ldexp, real_ldexp)
def ldexp_tangent(y, x, i):
    d[y] = real_ldexp(d[x], i)


# -- gamma functions: derivatives through polygamma, written here without SciPy ----------
_BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330]


def polygamma(n, x):
    """The n-th derivative of the digamma function (n = 0: digamma itself) at a real x
    that is not 0 or a negative integer: upward recurrence, then the asymptotic series."""
    x, shift = float(x), 0.0
    if not math.isfinite(x):   # psi(inf) = inf, psi_n(inf) = 0; nan at -inf (poles)
        return (math.inf if n == 0 else 0.0) if x == math.inf else math.nan
    if x <= 0.0 and x == math.floor(x):
        return math.nan   # a pole (where lgamma's derivative is reached without lgamma)
    if x < -100.0:
        return _reflected(n, x)   # (the recurrence would take -x steps)
    scale = math.factorial(n) * (-1.0) ** n
    while x < 20.0:   # psi_n(x) = psi_n(x + 1) - (-1)^n n! / x^(n + 1)
        shift -= quotient(scale, x ** (n + 1))   # (x ** 2 of 1e-300 underflows to 0)
        x += 1.0
    inv = 1.0 / x   # (powers of 1/x underflow to 0 for a huge x; those of x overflow)
    if n == 0:
        series = math.log(x) - 0.5 * inv - sum(b / (2 * k) * inv ** (2 * k)
                                               for k, b in enumerate(_BERNOULLI, 1))
    else:
        series = (-1.0) ** (n + 1) * (
            math.factorial(n - 1) * inv ** n + math.factorial(n) / 2.0 * inv ** (n + 1)
            + sum(b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * inv ** (2 * k + n)
                  for k, b in enumerate(_BERNOULLI, 1)))
    return series + shift


def _reflected(n, x):
    """polygamma(n, x) for a very negative x, from the reflection formula differentiated
    n times: psi_n(x) = (-1)^n psi_n(1 - x) - pi^(n+1) P_n(cot(pi x)), where the n-th
    derivative of cot(pi x) is pi^n P_n(cot(pi x)), P_0(c) = c and P_k+1(c) =
    -(1 + c^2) P_k'(c). nan at the poles (integers)."""
    sine = math.sin(math.pi * x)
    if sine == 0.0:
        return math.nan
    c = math.cos(math.pi * x) / sine
    p = [0.0, 1.0]   # coefficients of P_k, lowest power first
    for _ in range(n):
        slope = [k * a for k, a in enumerate(p)][1:] or [0.0]
        p = [0.0] * (len(slope) + 2)
        for k, a in enumerate(slope):   # -(1 + c^2) * slope
            p[k] -= a
            p[k + 2] -= a
    value = sum(a * c ** k for k, a in enumerate(p))
    return (-1.0) ** n * polygamma(n, 1.0 - x) - math.pi ** (n + 1) * value


def _polygamma_cases(rng):
    return [((0, 1.7), {}), ((1, 0.6), {}), ((0, -1.4), {}), ((2, 3.5), {})]


@adjoint(polygamma, cases=_polygamma_cases, static_args=(0,))
def polygamma_(y, n, x):
    d[x] = d[y] * polygamma(n + 1, x)


@tangent(polygamma)
def polygamma_tangent(y, n, x):
    d[y] = d[x] * polygamma(n + 1, x)


@adjoint(math.lgamma, cases=lambda rng: [((1.7,), {}), ((0.4,), {}), ((-1.4,), {})])
def lgamma(y, x):
    d[x] = d[y] * polygamma(0, x)


@tangent(math.lgamma)
def lgamma_tangent(y, x):
    d[y] = d[x] * polygamma(0, x)


@adjoint(math.gamma, cases=lambda rng: [((1.7,), {}), ((0.4,), {}), ((-1.4,), {})])
def gamma(y, x):
    d[x] = d[y] * y * polygamma(0, x)


@tangent(math.gamma)
def gamma_tangent(y, x):
    d[y] = d[x] * y * polygamma(0, x)


# -- builtins: max, min and sum --------------------------------------------------------------
def _max_cases(rng):
    return [((0.7, -0.3), {}), ((-1.2, 0.4), {}), ((1.5, 1.1), {})]


@adjoint(max, cases=_max_cases)
def max_(y, a, b):
    # max(a, b) of two numbers; at a tie each gets half, as in JAX
    d[a] = d[y] * larger(a, b)
    d[b] = d[y] * (1.0 - larger(a, b))


@tangent(max)
def max_tangent(y, a, b):
    d[y] = d[a] * larger(a, b) + d[b] * (1.0 - larger(a, b))


@adjoint(min, cases=_max_cases)
def min_(y, a, b):
    d[a] = d[y] * smaller(a, b)
    d[b] = d[y] * (1.0 - smaller(a, b))


@tangent(min)
def min_tangent(y, a, b):
    d[y] = d[a] * smaller(a, b) + d[b] * (1.0 - smaller(a, b))


# max(items) and min(items) of one list, tuple or array: normalize calls these for the
# builtins called with one argument (they compute what Python does, NaN order included)
def largest(items):
    """``max(items)``, Python's own; its rule splits a tie evenly, as for ``np.max``."""
    return max(items)


def smallest(items):
    """``min(items)``, Python's own; its rule splits a tie evenly, as for ``np.min``."""
    return min(items)


def _extreme_cases(rng):
    return [((list(real(rng, (3,))),), {}), ((tuple(real(rng, (4,))),), {}),
            ((real(rng, (5,)),), {})]


# The item taken gets the derivative; a tie is split evenly, by the weights np.max's
# rule uses (an array adjoint of a list or tuple is made like it where it is added)
@adjoint(largest, smallest, cases=_extreme_cases)
def largest_(y, items):
    d[items] = d[y] * tie_weights(items, y)


@tangent(largest, smallest)
def largest_tangent(y, items):
    d[y] = np.sum(np.multiply(d[items], tie_weights(items, y)))   # (a ufunc: lists too)


def spread(g, items):
    """The adjoint of ``sum(items)``: ``g`` for every item (reduced to the item's shape)."""
    if isinstance(items, np.ndarray):   # in the items' floating dtype (float32 stays)
        return np.full(np.shape(items), g, dtype=np.result_type(items, g, 1.0))
    return type(items)(unbroadcast(g, v) for v in items)


def gather(parts, g):
    """The adjoint of ``spread(g, items)``: the parts added up in the shape of g."""
    if isinstance(parts, np.ndarray):
        return np.sum(parts, axis=0)
    total = np.zeros(np.shape(g), dtype=np.result_type(g, 1.0))   # (float32 stays)
    for p in parts:
        total = total + p
    if np.ndim(g):
        return total
    return total[()] if isinstance(g, (np.ndarray, np.generic)) else float(total)


def _spread_cases(rng):
    return [((real(rng, (3,)), [real(rng, (3,)), real(rng, (3,))]), {}),
            ((real(rng, ()), (real(rng, ()), real(rng, ()), real(rng, ()))), {}),
            ((real(rng, ()), real(rng, (4,))), {})]


@adjoint(spread, cases=_spread_cases, static_args=(1,))
def spread_(y, g, items):
    d[g] = gather(d[y], g)


@tangent(spread)
def spread_tangent(y, g, items):
    d[y] = spread(d[g], items)


def _gather_cases(rng):
    return [(([real(rng, (3,)), real(rng, (3,))], real(rng, (3,))), {}),
            (((real(rng, ()), real(rng, ())), real(rng, ())), {}),
            ((real(rng, (4,)), real(rng, ())), {})]


@adjoint(gather, cases=_gather_cases, static_args=(1,))
def gather_(y, parts, g):
    d[parts] = spread(d[y], parts)


@tangent(gather)
def gather_tangent(y, parts, g):
    d[y] = gather(d[parts], g)


def _sum_cases(rng):
    return [(([real(rng, (3,)), real(rng, (3,))],), {}), (((real(rng, ()), real(rng, ())),), {}),
            ((real(rng, (4,)),), {}), (([real(rng, ()), real(rng, ())], real(rng, ())), {})]


@adjoint(sum, cases=_sum_cases)
def sum_(y, iterable, start=0):
    d[iterable] = spread(d[y], iterable)
    d[start] = unbroadcast(d[y], start)


@tangent(sum)
def sum_tangent(y, iterable, start=0):
    d[y] = gather(d[iterable], y) + d[start]


@adjoint(math.fsum, cases=lambda rng: _sum_cases(rng)[1:3])
def fsum(y, seq):
    d[seq] = spread(d[y], seq)


@tangent(math.fsum)
def fsum_tangent(y, seq):
    d[y] = gather(d[seq], y)


nondifferentiable(math.trunc, math.factorial, math.gcd, math.isclose, math.comb, math.perm)
