"""SciPy's special functions, registered only when SciPy is installed (it is never
required). Their derivatives use SciPy itself and NumPy. Constants are Python floats
(``math.sqrt(math.pi)``, not ``np.sqrt(np.pi)``, a float64 that would make a float32
gradient float64)."""
import math

import numpy as np

from ..runtime import expand_reduced, unbroadcast
from ..template import d
from .domains import binary_few, positive, real, unary, unit
from .optional import optional
from .registry import RULES, adjoint, tangent

try:
    import scipy.special as sc
except ImportError:   # pragma: no cover - SciPy is optional
    sc = None


@adjoint(*optional(sc, "erf"), cases=unary())
def erf(y, x):
    d[x] = d[y] * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)


@tangent(*optional(sc, "erf"))
def erf_tangent(y, x):
    d[y] = d[x] * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)


@adjoint(*optional(sc, "erfc"), cases=unary())
def erfc(y, x):
    d[x] = -d[y] * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)


@tangent(*optional(sc, "erfc"))
def erfc_tangent(y, x):
    d[y] = -d[x] * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)


@adjoint(*optional(sc, "erfinv"), cases=unary(unit))
def erfinv(y, x):
    d[x] = d[y] * (math.sqrt(math.pi) / 2.0) * np.exp(y * y)


@tangent(*optional(sc, "erfinv"))
def erfinv_tangent(y, x):
    d[y] = d[x] * (math.sqrt(math.pi) / 2.0) * np.exp(y * y)


@adjoint(*optional(sc, "expit"), cases=unary())
def expit(y, x):
    d[x] = d[y] * y * (1.0 - y)


@tangent(*optional(sc, "expit"))
def expit_tangent(y, x):
    d[y] = d[x] * y * (1.0 - y)


def _probability(rng, shape):
    return real(rng, shape) * 0.2 + 0.5


@adjoint(*optional(sc, "logit"), cases=unary(_probability))
def logit(y, x):
    d[x] = d[y] / (x * (1.0 - x))


@tangent(*optional(sc, "logit"))
def logit_tangent(y, x):
    d[y] = d[x] / (x * (1.0 - x))


@adjoint(*optional(sc, "log_expit"), cases=unary())
def log_expit(y, x):
    d[x] = d[y] * (1.0 - np.exp(y))   # 1 - expit(x)


@tangent(*optional(sc, "log_expit"))
def log_expit_tangent(y, x):
    d[y] = d[x] * (1.0 - np.exp(y))


@adjoint(*optional(sc, "ndtr"), cases=unary())
def ndtr(y, x):
    d[x] = d[y] * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


@tangent(*optional(sc, "ndtr"))
def ndtr_tangent(y, x):
    d[y] = d[x] * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


@adjoint(*optional(sc, "log_ndtr"), cases=unary())
def log_ndtr(y, x):
    d[x] = d[y] * np.exp(-0.5 * x * x - y) / math.sqrt(2.0 * math.pi)


@tangent(*optional(sc, "log_ndtr"))
def log_ndtr_tangent(y, x):
    d[y] = d[x] * np.exp(-0.5 * x * x - y) / math.sqrt(2.0 * math.pi)


@adjoint(*optional(sc, "ndtri"), cases=unary(_probability))
def ndtri(y, x):
    d[x] = d[y] * math.sqrt(2.0 * math.pi) * np.exp(0.5 * y * y)


@tangent(*optional(sc, "ndtri"))
def ndtri_tangent(y, x):
    d[y] = d[x] * math.sqrt(2.0 * math.pi) * np.exp(0.5 * y * y)


def polygamma_like(n, x):
    """``sc.polygamma(n, x)`` in ``x``'s floating dtype: SciPy computes it in float64 even
    for a float32 ``x``, which would make a float32 gradient float64."""
    y = sc.polygamma(n, x)
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind == "f" and y.dtype != dtype:
        return y.astype(dtype)
    return y


def _polygamma_cases(rng):
    return [((0, positive(rng, (3,))), {}), ((1, positive(rng, ())), {})]


@adjoint(*optional(sc, "polygamma"), *((polygamma_like,) if sc is not None else ()),
         cases=_polygamma_cases, static_args=(0,))
def polygamma(y, n, x):
    d[x] = d[y] * polygamma_like(n + 1, x)


@tangent(*optional(sc, "polygamma"), *((polygamma_like,) if sc is not None else ()))
def polygamma_tangent(y, n, x):
    d[y] = d[x] * polygamma_like(n + 1, x)


@adjoint(*optional(sc, "gammaln"), cases=unary(positive))
def gammaln(y, x):
    d[x] = d[y] * sc.psi(x)


@tangent(*optional(sc, "gammaln"))
def gammaln_tangent(y, x):
    d[y] = d[x] * sc.psi(x)


@adjoint(*optional(sc, "digamma"), cases=unary(positive))
def digamma(y, x):
    d[x] = d[y] * polygamma_like(1, x)


@tangent(*optional(sc, "digamma"))
def digamma_tangent(y, x):
    d[y] = d[x] * polygamma_like(1, x)


@adjoint(*optional(sc, "gamma"), cases=unary(positive))
def gamma(y, x):
    d[x] = d[y] * y * sc.psi(x)


@tangent(*optional(sc, "gamma"))
def gamma_tangent(y, x):
    d[y] = d[x] * y * sc.psi(x)


@adjoint(*optional(sc, "xlogy"), cases=binary_few(real, positive))
def xlogy(z, x, y):
    # (where x == 0, xlogy is 0 for every y: its slope in y is 0, not 0 / 0 at y == 0;
    # the denominator is made safe there, so no nan reaches a derivative taken again)
    d[x] = unbroadcast(d[z] * np.log(y), x)
    d[y] = unbroadcast(d[z] * x / np.where(x == 0, 1.0, y), y)


@tangent(*optional(sc, "xlogy"))
def xlogy_tangent(z, x, y):
    d[z] = d[x] * np.log(y) + d[y] * x / np.where(x == 0, 1.0, y)


@adjoint(*optional(sc, "xlog1py"), cases=binary_few(real, positive))
def xlog1py(z, x, y):
    d[x] = unbroadcast(d[z] * np.log1p(y), x)
    d[y] = unbroadcast(d[z] * x / np.where(x == 0, 1.0, 1.0 + y), y)


@tangent(*optional(sc, "xlog1py"))
def xlog1py_tangent(z, x, y):
    d[z] = d[x] * np.log1p(y) + d[y] * x / np.where(x == 0, 1.0, 1.0 + y)


@adjoint(*optional(sc, "entr"), cases=unary(positive))
def entr(y, x):
    d[x] = -d[y] * (np.log(x) + 1.0)


@tangent(*optional(sc, "entr"))
def entr_tangent(y, x):
    d[y] = -d[x] * (np.log(x) + 1.0)


@adjoint(*optional(sc, "i0"), cases=unary())
def i0(y, x):
    d[x] = d[y] * sc.i1(x)


@tangent(*optional(sc, "i0"))
def i0_tangent(y, x):
    d[y] = d[x] * sc.i1(x)


@adjoint(*optional(sc, "i1"), cases=unary(positive))
def i1(y, x):
    # i1'(x) = i0(x) - i1(x) / x; near 0, where that quotient is 0 / 0 and cancels when
    # differentiated again, its series 1/2 + 3 x**2 / 16 + 5 x**4 / 384
    small = np.abs(x) < 1e-3
    d[x] = d[y] * np.where(small, 0.5 + x * x * (3.0 / 16.0 + x * x * (5.0 / 384.0)),
                           sc.i0(x) - y / np.where(small, 1.0, x))


@tangent(*optional(sc, "i1"))
def i1_tangent(y, x):
    small = np.abs(x) < 1e-3
    d[y] = d[x] * np.where(small, 0.5 + x * x * (3.0 / 16.0 + x * x * (5.0 / 384.0)),
                           sc.i0(x) - y / np.where(small, 1.0, x))


def _logsumexp_cases(rng):
    x = real(rng, (2, 3))
    return [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": 1, "keepdims": True}),
            ((x,), {"axis": (0, 1)}), ((real(rng, (4,)),), {})]


@adjoint(*optional(sc, "logsumexp"), cases=_logsumexp_cases)
def logsumexp(y, a, axis=None, keepdims=False):
    d[a] = expand_reduced(d[y], a, axis, keepdims) * np.exp(a - expand_reduced(y, a, axis, keepdims))


@tangent(*optional(sc, "logsumexp"))
def logsumexp_tangent(y, a, axis=None, keepdims=False):
    d[y] = np.sum(d[a] * np.exp(a - expand_reduced(y, a, axis, keepdims)), axis=axis,
                  keepdims=keepdims)


def _softmax_cases(rng):
    x = real(rng, (2, 3))
    return [((x,), {}), ((x,), {"axis": 1}), ((x,), {"axis": 0}), ((real(rng, (4,)),), {})]


@adjoint(*optional(sc, "softmax"), cases=_softmax_cases)
def softmax(y, x, axis=None):
    d[x] = y * (d[y] - np.sum(d[y] * y, axis=axis, keepdims=True))


@tangent(*optional(sc, "softmax"))
def softmax_tangent(y, x, axis=None):
    d[y] = y * (d[x] - np.sum(d[x] * y, axis=axis, keepdims=True))


@adjoint(*optional(sc, "log_softmax"), cases=_softmax_cases)
def log_softmax(y, x, axis=None):
    d[x] = d[y] - np.exp(y) * np.sum(d[y], axis=axis, keepdims=True)


@tangent(*optional(sc, "log_softmax"))
def log_softmax_tangent(y, x, axis=None):
    d[y] = d[x] - np.sum(d[x] * np.exp(y), axis=axis, keepdims=True)


# Name each rule by its public SciPy spelling (SciPy's ufuncs do not say which module
# they come from, and its Python functions live in private modules).
if sc is not None:
    _named = set()
    for _name in dir(sc):
        _obj = getattr(sc, _name)
        if _obj is getattr(np, _name, None):   # np.sinc, re-exported
            continue
        try:
            _rule = RULES.get(_obj)
        except TypeError:
            continue
        if _rule is not None and id(_rule) not in _named:   # digamma before its alias psi
            _rule.name = f"scipy.special.{_name}"
            _named.add(id(_rule))
    del _named, _name, _obj, _rule
