"""What tangentlike can differentiate: ``tl.supported()``.

    >>> import tangentlike as tl
    >>> tl.supported()["numpy.tanh"] == {"reverse", "forward"}
    True

Each function is listed under every public name it has in NumPy, ``numpy.linalg``,
``math``, ``operator``, the builtins and (when it is installed) ``scipy.special``:
``numpy.abs`` and ``numpy.absolute`` are the same function. Functions with rules
registered by users appear under their module-qualified name. tangentlike's own helpers
(the functions its generated code calls) are left out.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .rules.registry import load_optional
from .rules import registry

# Where public spellings are looked up, in this order (scipy.special is added by
# _namespaces() when it is installed, so that importing tangentlike never imports SciPy).
NAMESPACES = [("numpy", np), ("numpy.linalg", np.linalg), ("math", math),
              ("operator", operator), ("", builtins)]


def _namespaces() -> list:
    if not any(name == "scipy.special" for name, _ in NAMESPACES):
        try:
            import scipy.special
            NAMESPACES.append(("scipy.special", scipy.special))
        except ImportError:   # pragma: no cover - SciPy is optional
            pass
    return NAMESPACES


def supported(constants: bool = False) -> dict:
    """A dict mapping the qualified name of each function tangentlike differentiates
    (``"numpy.tanh"``, ``"numpy.linalg.inv"``, ``"math.sin"``, ``"operator.add"``, ``"max"``)
    to the set of modes its rules support: ``{"reverse", "forward"}`` (``tl.grad``,
    ``tl.vjp`` and ``tl.jvp``, ``tl.hvp`` need the respective rule).

    With ``constants=True``, instead the functions that may be called inside
    differentiated code but carry no derivative (``numpy.shape``, ``numpy.argmax``,
    comparisons, ...), each mapped to ``{"constant"}``.
    """
    load_optional()
    _namespaces()
    if constants:
        return {name: {"constant"} for obj in list(registry.NONDIFF)
                for name in public_names(obj, registry.NONDIFF[obj])}
    out = {}
    for obj, rule in list(registry.RULES.items()):
        modes = registry.modes(rule)
        if not modes:
            continue
        for name in public_names(obj, rule.name):
            out[name] = set(modes)
    return out


def public_names(obj, registered_name: str) -> list:
    """The public spellings of ``obj``; its registered name if it has none, and none at
    all for tangentlike's own helpers."""
    names = []
    for prefix, module in NAMESPACES:
        for attr, value in vars(module).items():
            if attr.startswith("_") or value is not obj:
                continue
            names.append(f"{prefix}.{attr}" if prefix else attr)
    if names:
        return sorted(set(names))
    if registered_name.startswith("tangentlike."):
        return []
    return [registered_name]
