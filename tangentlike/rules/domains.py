"""Input domains of the rules, for the registry's finite-difference test.

A domain draws a value of a given shape from where a primitive is smooth
(``positive`` for ``log``, away from zero for ``abs``). ``unary`` and ``binary`` build
the standard example calls of an elementwise primitive: scalars, vectors, matrices and
every way NumPy broadcasting combines them.
"""
from __future__ import annotations

import numpy as np


def real(rng, shape):
    return _draw(rng.uniform(-2.0, 2.0, shape))


def positive(rng, shape):
    return _draw(rng.uniform(0.5, 2.0, shape))


def unit(rng, shape):
    """Inside (-1, 1), away from its ends (arcsin, arctanh)."""
    return _draw(rng.uniform(-0.8, 0.8, shape))


def above_one(rng, shape):
    """In (1.2, 3) (arccosh)."""
    return _draw(rng.uniform(1.2, 3.0, shape))


def nonzero(rng, shape):
    """Away from zero, either sign (abs, sign-dependent rules)."""
    return _draw(rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape))


def _draw(value):
    return float(value) if np.ndim(value) == 0 else value


def unary(domain=real):
    def cases(rng):
        return [((domain(rng, ()),), {}), ((domain(rng, (3,)),), {}),
                ((domain(rng, (2, 3)),), {})]
    return cases


BROADCAST_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((), (3,)), ((3,), ()),
                    ((2, 1), (1, 3)), ((2, 3), (2, 3))]


def binary(domain_x=real, domain_y=real):
    def cases(rng):
        return [((domain_x(rng, sx), domain_y(rng, sy)), {}) for sx, sy in BROADCAST_SHAPES]
    return cases


def binary_few(domain_x=real, domain_y=real):
    """Like ``binary`` with four broadcasting combinations instead of seven."""
    def cases(rng):
        return [((domain_x(rng, sx), domain_y(rng, sy)), {})
                for sx, sy in [((), ()), ((2, 3), (3,)), ((), (3,)), ((2, 1), (1, 3))]]
    return cases


def _on_grid(rng, shape, grid):
    return _draw(rng.choice(grid, shape) + rng.uniform(-0.05, 0.05, shape))


def pairs_without_ties(rng):
    """Broadcasting pairs whose elements differ by at least 0.3 (maximum, minimum)."""
    xs, ys = [-1.8, -1.0, -0.2, 0.6, 1.4], [-1.4, -0.6, 0.2, 1.0, 1.8]
    return [((_on_grid(rng, sx, xs), _on_grid(rng, sy, ys)), {}) for sx, sy in BROADCAST_SHAPES]


def between_multiples(rng):
    """Pairs (x, y) with x / y at least 0.2 away from an integer (mod, fmod)."""
    out = []
    for sx, sy in [((), ()), ((3,), (3,)), ((2, 3), ()), ((2, 3), (3,))]:
        y = nonzero(rng, sy)
        q = rng.integers(-2, 3, sx) + rng.uniform(0.2, 0.8, sx)
        out.append(((_draw(q * np.asarray(y)), y), {}))
    return out
