"""check_grads: compare derivatives with finite differences, for pytest users.

For a random output cotangent ``w`` and a random input direction ``u``, reverse mode
gives ``<vjp(w), u>``; central differences give ``<w, (f(x + eps u) - f(x - eps u)) / 2 eps>``.
The two must agree. For ``order=2`` the same check runs on the derived function itself
(a plain function with source), which checks the derivative of the derivative.
"""
from __future__ import annotations

import numpy as np

from .api import vjp


def check_grads(f, args, order: int = 2, modes=("rev",), wrt=None, eps: float = 1e-6,
                rtol: float = 1e-5, atol: float = 1e-6, seed: int = 0) -> None:
    """Raise ``AssertionError`` unless ``f``'s derivatives at ``args`` match finite
    differences up to ``order``.

    ``wrt``: positions of the arguments to check (default: every float argument).
    ``modes``: ``("rev",)``; forward mode is not available yet and is refused rather
    than skipped.
    """
    args = tuple(args)
    for mode in modes:
        if mode != "rev":
            raise ValueError(f"check_grads: mode {mode!r} is not available yet (only 'rev')")
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if _is_float(a))
    wrt = tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)
    if not wrt:
        raise ValueError("check_grads: no float argument to differentiate")
    rng = np.random.default_rng(seed)
    _check_vjp(f, args, wrt, eps, rtol, atol, rng, order)
    if order > 1:
        out = f(*args)
        w = _random_like(out, rng)
        check_grads(vjp(f, wrt=wrt), args + (w,), order - 1, modes, wrt + (len(args),), eps,
                    rtol, atol, seed + 1)


def _check_vjp(f, args, wrt, eps, rtol, atol, rng, order):
    out = f(*args)
    w = _random_like(out, rng)
    directions = {i: _random_like(args[i], rng) for i in wrt}

    def shifted(step):
        moved = list(args)
        for i, u in directions.items():
            moved[i] = _axpy(step, u, args[i])
        return _inner(w, f(*moved))

    numeric = (shifted(eps) - shifted(-eps)) / (2 * eps)
    grads = vjp(f, wrt=wrt)(*args, w)
    analytic = sum(_inner(grads[k], directions[i]) for k, i in enumerate(wrt))
    if not abs(numeric - analytic) <= atol + rtol * max(abs(numeric), abs(analytic)):
        name = getattr(f, "__name__", "f")
        raise AssertionError(
            f"check_grads({name}, order {order}): reverse mode gives {analytic!r}, finite "
            f"differences give {numeric!r} (wrt positions {wrt})")


def _is_float(x) -> bool:
    if isinstance(x, (tuple, list)):
        return bool(x) and all(_is_float(v) for v in x)
    if isinstance(x, bool):
        return False
    if isinstance(x, float):
        return True
    return isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating)


def _random_like(x, rng):
    if isinstance(x, (tuple, list)):
        return type(x)(_random_like(v, rng) for v in x)
    if np.ndim(x) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(x))


def _axpy(a, u, x):
    if isinstance(x, (tuple, list)):
        return type(x)(_axpy(a, ui, xi) for ui, xi in zip(u, x))
    return x + a * u


def _inner(a, b) -> float:
    if isinstance(a, (tuple, list)):
        return sum(_inner(ai, bi) for ai, bi in zip(a, b))
    return float(np.sum(np.asarray(a) * np.asarray(b)))
