"""check_grads: compare derivatives with finite differences, for pytest users.

For a random output cotangent ``w`` and a random input direction ``u``, reverse mode
gives ``<vjp(w), u>``, forward mode gives ``<w, jvp(u)>`` and central differences give
``<w, (f(x + eps u) - f(x - eps u)) / 2 eps>``. All must agree. For ``order=2`` the same
check runs on each derived function itself (a plain function with source): reverse over
reverse, forward over reverse, reverse over forward and forward over forward.
"""
from __future__ import annotations

import numpy as np

from .api import _bind_all, _for_subclass, _user_method, jvp, vjp
from .pipeline import wrt_item

MODES = {"rev": vjp, "fwd": jvp}


def check_grads(f, args, order: int = 2, modes=("rev", "fwd"), wrt=None, eps: float = None,
                rtol: float = None, atol: float = None, seed: int = 0) -> None:
    """Raise ``AssertionError`` unless ``f``'s derivatives at ``args`` match finite
    differences up to ``order``, in each of ``modes`` (``"rev"``, ``"fwd"``).

    ``wrt``: positions of the arguments to check (default: every float argument).
    ``eps`` (the step of the central differences), ``rtol`` and ``atol``: by default
    1e-6, 1e-5 and 1e-6 when f computes in float64; when an argument or f's output
    holds a float32 (or float16), whose rounding drowns so short a step, a step and
    tolerances made for that precision (``_tolerances``).
    """
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"check_grads: args must be a tuple of f's arguments, such as "
                        f"(x,), not {type(args).__name__}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"check_grads: order must be 1 or more, not {order!r}")
    if eps is not None and (isinstance(eps, bool) or not isinstance(
            eps, (float, int, np.floating, np.integer)) or not eps > 0):
        raise ValueError(f"check_grads: eps, the step of the finite differences, must be a "
                         f"positive number (1e-6 by default), not {eps!r}")
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if tolerance is None:
            continue
        if isinstance(tolerance, bool) or not isinstance(
                tolerance, (float, int, np.floating, np.integer)) or not tolerance >= 0:
            raise ValueError(f"check_grads: {name}, a tolerance, must be a number 0 or more, "
                             f"not {tolerance!r}")
    # f's defaulted arguments too: the derived functions take the seed after all of them
    try:
        args = tuple(_bind_all(f, args)) if callable(f) else tuple(args)
    except ValueError:   # (no signature: a ufunc on Python 3.9; the transform refuses it)
        args = tuple(args)
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"check_grads: unknown mode {mode!r}; use 'rev' and/or 'fwd'")
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if _is_float(a))
    wrt = tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)
    wrt = tuple(wrt_item(w) for w in wrt)   # (np.array(1) is the position 1)
    if not wrt:
        raise ValueError("check_grads: no float argument to differentiate")
    for w in wrt:
        if not isinstance(w, (int, np.integer)) or isinstance(w, bool) or \
                not 0 <= w < len(args):
            raise ValueError(f"check_grads: wrt={w!r} is not the position of one of the "
                             f"{len(args)} arguments (0 to {len(args) - 1})")
    method = _user_method(f)
    if method is not None:   # obj.method: its function, given the object first
        f, args, wrt = _for_subclass(*method), (method[1],) + args, tuple(w + 1 for w in wrt)
    _check(f, args, order, modes, wrt, (eps, rtol, atol, None), seed)


def _check(f, args, order, modes, wrt, tolerances, seed):
    """``tolerances``: (eps, rtol, atol, agree), those not given None at the top level,
    where the first-order check resolves them (_tolerances); the higher orders keep its."""
    rng = np.random.default_rng(seed)
    tolerances = _check_first_order(f, args, wrt, modes, tolerances, rng, order)
    if order > 1:
        out = f(*args)
        for k, mode in enumerate(modes):
            extra = _random_like(out, rng) if mode == "rev" else \
                tuple(_random_like(args[i], rng) for i in wrt)
            _check(MODES[mode](f, wrt=wrt), args + (extra,), order - 1, modes,
                   wrt + (len(args),), tolerances, seed + 1 + k)


def _check_first_order(f, args, wrt, modes, tolerances, rng, order) -> tuple:
    """Check the first derivatives; return the tolerances, resolved."""
    # derived first: what cannot be differentiated (not a function, a construct without
    # support) is the transformation's error, before f is called
    derived = {mode: MODES[mode](f, wrt=wrt) for mode in modes}
    out = f(*args)
    eps, rtol, atol, agree = tolerances = _tolerances(args + (out,), *tolerances)
    w = _random_like(out, rng)
    directions = {i: _random_like(args[i], rng) for i in wrt}

    def shifted(step):
        moved = list(args)
        for i, u in directions.items():
            moved[i] = _axpy(step, u, args[i])
        return _inner(w, f(*moved))

    results = {}
    for mode in modes:
        if mode == "rev":
            derived[mode](*args, w)   # (the first call of these kinds runs the generic
            # derivative; the second derives and runs the version, which is checked)
            grads = derived[mode](*args, w)
            results[mode] = sum(_inner(grads[k], directions[i]) for k, i in enumerate(wrt))
            # the version specialized to these arguments' shapes must agree with the
            # generic derivative (tangentlike/specialize.py)
            generic = derived[mode].generic(*args, w)
            other = sum(_inner(generic[k], directions[i]) for k, i in enumerate(wrt))
            if not _close(results[mode], other, agree, agree * 1e-3):
                raise AssertionError(
                    f"check_grads({getattr(f, '__name__', 'f')}, order {order}): the "
                    f"derivative specialized to these shapes gives {results[mode]!r}, the "
                    f"generic one {other!r}")
        else:
            results[mode] = _inner(w, derived[mode](*args, tuple(directions[i] for i in wrt)))
    # after the derivatives: what they refuse (an output that is not a number, a
    # function that cannot be differentiated) is their error, not one of these sums
    numeric = (shifted(eps) - shifted(-eps)) / (2 * eps)
    name = getattr(f, "__name__", "f")
    for mode, analytic in results.items():
        if not _close(numeric, analytic, rtol, atol):
            word = "reverse" if mode == "rev" else "forward"
            raise AssertionError(
                f"check_grads({name}, order {order}): {word} mode gives {analytic!r}, finite "
                f"differences give {numeric!r} (wrt positions {wrt})")
    if len(results) == 2 and not _close(results["rev"], results["fwd"], agree,
                                             agree * 1e-3):
        raise AssertionError(f"check_grads({name}, order {order}): forward mode gives "
                             f"{results['fwd']!r}, reverse mode {results['rev']!r}")
    return tolerances


def _tolerances(values: tuple, eps, rtol, atol, agree) -> tuple:
    """(eps, rtol, atol, agree): the step of the central differences and their tolerances,
    where not given float64's 1e-6, 1e-5 and 1e-6 or, when ``values`` (f's arguments and
    output) hold a float of less precision (float32, float16), a step near the cube root
    of its resolution (where rounding and truncation of a central difference are of one
    size: 5e-3 for float32) and tolerances a hundred times the error left there;
    ``agree``, the relative tolerance between two exact derivatives (the modes, a version
    and the generic derivative), which differ by rounding alone: 1e-9 in float64, a
    thousand times the resolution in less. Resolved ones (``agree`` given) stay."""
    if agree is not None:
        return eps, rtol, atol, agree
    resolution = 0.0
    if eps is None or rtol is None or atol is None:
        resolution = max((float(np.finfo(d).eps) for d in _float_dtypes(values)), default=0.0)
    if resolution <= np.finfo(np.float64).eps:
        step, relative, absolute, agree = 1e-6, 1e-5, 1e-6, 1e-9
    else:
        step = resolution ** (1 / 3)
        relative = absolute = 100 * step * step
        agree = 1000 * resolution
    return (step if eps is None else eps, relative if rtol is None else rtol,
            absolute if atol is None else atol, agree)


def _float_dtypes(values) -> list:
    """The dtypes of the NumPy floats in ``values`` (containers walked)."""
    found = []
    for v in values:
        if isinstance(v, (tuple, list)):
            found += _float_dtypes(v)
        elif isinstance(v, dict):
            found += _float_dtypes(tuple(v.values()))
        elif isinstance(v, (np.ndarray, np.floating)) and np.issubdtype(v.dtype, np.floating):
            found.append(v.dtype)
    return found


def _close(a, b, rtol, atol) -> bool:
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _is_float(x) -> bool:
    if isinstance(x, (tuple, list)):
        return bool(x) and all(_is_float(v) for v in x)
    if isinstance(x, dict):
        return bool(x) and all(_is_float(v) for v in x.values())
    if isinstance(x, bool):
        return False
    if isinstance(x, (float, np.floating)):   # (np.float32 too: was taken for no float)
        return True
    return isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating)


def _random_like(x, rng):
    if isinstance(x, list):
        return [_random_like(v, rng) for v in x]
    if isinstance(x, tuple):
        return _tuple_like(x, [_random_like(v, rng) for v in x])
    if isinstance(x, dict):
        return {k: _random_like(v, rng) for k, v in x.items()}
    if np.ndim(x) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(x))


def _axpy(a, u, x):
    if isinstance(x, (tuple, list)):
        out = [_axpy(a, ui, xi) for ui, xi in zip(u, x)]
        return out if isinstance(x, list) else _tuple_like(x, out)
    if isinstance(x, dict):
        return {k: _axpy(a, u[k], x[k]) for k in x}
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return np.asarray(x + a * u)   # a 0-d array stays one (not a NumPy float, which
        # f may treat otherwise: `xs * s` of a list)
    return x + a * u


def _tuple_like(x, items):
    """``items`` as a tuple of ``x``'s class: a namedtuple stays one (its fields read by
    name)."""
    return x._make(items) if hasattr(x, "_fields") and hasattr(x, "_make") else tuple(items)


def _inner(a, b) -> float:
    if isinstance(a, (tuple, list)):
        return sum(_inner(ai, bi) for ai, bi in zip(a, b))
    if isinstance(a, dict):
        return sum(_inner(a[k], b[k]) for k in a)
    return float(np.sum(np.asarray(a) * np.asarray(b)))
