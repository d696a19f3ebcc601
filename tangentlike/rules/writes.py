"""Helpers that the adjoints of element writes (``y[i] = v``) call: linear in ``g``."""

from ..runtime import add_at, landed_only, like, list_copy, part_of, shaped, written_part, zero_at
from ..template import d
from .domains import real
from .registry import adjoint, tangent
from .shapes import unbroadcast_like


def _cases(rng):
    return [((real(rng, (4, 3)), 1), {}), ((real(rng, (5,)), slice(1, 3)), {})]


def _repeated_cases(rng):
    return [((real(rng, (5,)), [0, 2, 0]), {}), ((real(rng, (3, 2)), ([1, 1], [0, 0])), {})]


@adjoint(part_of, cases=_cases, static_args=(1,))
def part(y, g, index):
    d[g] = add_at(d[y], g, index)


@adjoint(written_part, cases=lambda rng: _cases(rng) + _repeated_cases(rng), static_args=(1,))
def written_part_(y, g, index):
    d[g] = add_at(landed_only(d[y], g, index), g, index)


@tangent(written_part)
def written_part_tangent(y, g, index):
    d[y] = written_part(d[g], index)


@adjoint(landed_only, static_args=(1, 2), cases=lambda rng: [
    ((real(rng, (3,)), real(rng, (5,)), [0, 2, 0]), {}),
    ((real(rng, (2,)), real(rng, (5,)), slice(1, 3)), {})])
def landed_only_(z, v, y, index):
    d[v] = landed_only(d[z], y, index)


@tangent(landed_only)
def landed_only_tangent(z, v, y, index):
    d[z] = landed_only(d[v], y, index)


@tangent(part_of)
def part_tangent(y, g, index):
    d[y] = part_of(d[g], index)


@adjoint(zero_at, cases=_cases, static_args=(1,))
def zero_at_(y, g, index):
    d[g] = zero_at(d[y], index)


@tangent(zero_at)
def zero_at_tangent(y, g, index):
    d[y] = zero_at(d[g], index)


def _like_cases(rng):
    return [((real(rng, (3,)), real(rng, (3,))), {})]


@adjoint(like, cases=_like_cases, static_args=(1,))
def like_(y, g, x):
    d[g] = like(d[y], g)


@tangent(like)
def like_tangent(y, g, x):
    d[y] = like(d[g], x)


def _list_cases(rng):
    return [(([real(rng, (3,)), real(rng, ())],), {})]


@adjoint(list, list_copy, cases=_list_cases)
def list_(y, x):
    d[x] = like(d[y], x)


@tangent(list)
def list_tangent(y, x):
    d[y] = list(d[x])


@tangent(list_copy)
def list_copy_tangent(y, x):
    d[y] = list_copy(d[x])


def _tuple_cases(rng):
    return [((real(rng, (3,)),), {}), (([real(rng, (3,)), real(rng, ())],), {})]


@adjoint(tuple, cases=_tuple_cases)
def tuple_(y, x):
    d[x] = like(d[y], x)


@tangent(tuple)
def tuple_tangent(y, x):
    d[y] = tuple(d[x])


def _shaped_cases(rng):
    return [((real(rng, (3,)), real(rng, (3,))), {}), ((real(rng, ()), real(rng, ())), {})]


@adjoint(shaped, cases=_shaped_cases, static_args=(1,))
def shaped_(y, g, x):
    d[g] = unbroadcast_like(d[y], g)


@tangent(shaped)
def shaped_tangent(y, g, x):
    d[y] = shaped(d[g], x)
