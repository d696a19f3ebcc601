"""Products of vectors and matrices, and np.linalg.

``matmul`` and ``@`` are differentiated for vectors, matrices and stacks of matrices.
For ``Z = A B``, ``dA = dZ Bᵀ`` and ``dB = Aᵀ dZ``, a vector being a one-row matrix on
the left and a one-column matrix on the right: ``product_grad_left/right`` pick the
direct formula for each combination of 1-D and 2-D operands, and reshape stacks of
matrices. ``dot`` is the same product for 1-D and 2-D operands, a multiplication when an
operand is a scalar, and a sum over the last axis of ``a`` and the second-to-last of
``b`` for N-D operands: ``dot_grad_left/right`` handle those and use
``product_grad_left/right`` for the rest.
The np.linalg functions work on one matrix at a time, except inv, solve, det and
slogdet, which also take stacks of matrices.
"""
import operator
import warnings

import numpy as np

from ..runtime import expand_reduced, unbroadcast
from ..template import d
from .domains import nonzero, real
from .optional import optional
from .reductions import tie_weights
from .registry import adjoint, nondifferentiable, refuses, tangent

# the subscripts einsum may use: string.ascii_letters (that module is not imported for it)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def as_row(a):
    """A vector as a (1, n) matrix; a matrix unchanged."""
    return np.reshape(a, (1, -1)) if np.ndim(a) == 1 else a


def as_column(b):
    """A vector as an (n, 1) matrix; a matrix unchanged."""
    return np.reshape(b, (-1, 1)) if np.ndim(b) == 1 else b


def _dot_cases(rng):
    return [((real(rng, (3,)), real(rng, (3,))), {}), ((real(rng, (2, 3)), real(rng, (3,))), {}),
            ((real(rng, (3,)), real(rng, (3, 2))), {}),
            ((real(rng, (2, 3)), real(rng, (3, 4))), {})]


def _dot_only_cases(rng):
    # a scalar operand (a float, a 0-d array) multiplies; N-D operands that matmul
    # would broadcast as stacks are summed over a's last and b's second-to-last axis
    return [((real(rng, (3,)), real(rng, ())), {}), ((real(rng, ()), real(rng, (2, 3))), {}),
            ((real(rng, ()), real(rng, ())), {}), ((np.array(real(rng, ())), real(rng, (3,))), {}),
            ((real(rng, (3, 4)), real(rng, (2, 4, 3))), {}),
            ((real(rng, (2, 2, 3)), real(rng, (2, 3, 2))), {}),
            ((real(rng, (2, 3, 4)), real(rng, (4,))), {}), ((real(rng, (3,)), real(rng, (2, 3, 2))), {})]


@adjoint(np.dot, cases=lambda rng: _dot_cases(rng) + _dot_only_cases(rng))
def dot(z, a, b):
    if a is b:   # np.dot(x, x): one sum (for a vector, 2 g x)
        d[a] = dot_grad_left(d[z], a, a) + dot_grad_right(d[z], a, a)
    else:
        d[a] = dot_grad_left(d[z], a, b)
        d[b] = dot_grad_right(d[z], a, b)


@tangent(np.dot)
def dot_tangent(z, a, b):
    d[z] = np.dot(d[a], b) + np.dot(a, d[b])


def dot_grad_left(g, a, b):
    """The adjoint of ``a`` in ``z = np.dot(a, b)`` for the adjoint ``g`` of z."""
    an, bn = np.ndim(a), np.ndim(b)
    if an == 0:   # z = a * b
        return np.sum(g * b)
    if bn == 0:
        return np.multiply(g, b)
    if an == 1 or bn <= 2:   # the same product as a @ b
        return product_grad_left(g, a, b)
    # z[i..., j..., m] = sum_k a[i..., k] b[j..., k, m]: contract g's j..., m with b's
    return np.tensordot(g, b, (list(range(an - 1, np.ndim(g))), list(range(bn - 2)) + [bn - 1]))


def dot_grad_right(g, a, b):
    """The adjoint of ``b`` in ``z = np.dot(a, b)`` for the adjoint ``g`` of z."""
    an, bn = np.ndim(a), np.ndim(b)
    if bn == 0:   # z = a * b
        return np.sum(g * a)
    if an == 0:
        return np.multiply(g, a)
    if an == 1 or bn <= 2:
        return product_grad_right(g, a, b)
    # contract a's i... with g's i..., giving (k, j..., m); k goes before m
    return np.moveaxis(np.tensordot(a, g, (list(range(an - 1)), list(range(an - 1)))), 0, bn - 2)


def matmul_shape(a, b):
    """The shape of ``as_row(a) @ as_column(b)``: ``a @ b`` with the axes of length 1
    that matmul drops for a vector operand, and the broadcast batch axes."""
    rows, cols = np.shape(as_row(a)), np.shape(as_column(b))
    return np.broadcast_shapes(rows[:-2], cols[:-2]) + (rows[-2], cols[-1])


nondifferentiable(matmul_shape)


def product_grad_left(g, a, b):
    """The adjoint of ``a`` in ``z = a @ b`` (or ``np.dot`` of 1-D/2-D operands) for
    the adjoint ``g`` of z: ``g @ b.T``, a vector being a row on the left and a column
    on the right."""
    an, bn = np.ndim(a), np.ndim(b)
    if an == 2 and bn == 2:
        return g @ np.transpose(b)
    if an == 1 and bn == 1:
        return np.multiply(g, b)
    if an == 2 and bn == 1:
        return np.outer(g, b)
    if an == 1 and bn == 2:
        return b @ g
    g = np.reshape(g, matmul_shape(a, b))   # stacks of matrices: batch axes broadcast
    return np.reshape(unbroadcast(g @ np.swapaxes(as_column(b), -1, -2), as_row(a)),
                      np.shape(a))


def product_grad_right(g, a, b):
    """The adjoint of ``b`` in ``z = a @ b``: ``a.T @ g`` (see product_grad_left)."""
    an, bn = np.ndim(a), np.ndim(b)
    if an == 2 and bn == 2:
        return np.transpose(a) @ g
    if an == 1 and bn == 1:
        return np.multiply(g, a)
    if an == 2 and bn == 1:
        return g @ a
    if an == 1 and bn == 2:
        return np.outer(a, g)
    g = np.reshape(g, matmul_shape(a, b))
    return np.reshape(unbroadcast(np.swapaxes(as_row(a), -1, -2) @ g, as_column(b)),
                      np.shape(b))


def _matmul_cases(rng):
    return _dot_cases(rng) + [((real(rng, (2, 2, 3)), real(rng, (3, 4))), {}),
                              ((real(rng, (3,)), real(rng, (2, 3, 2))), {}),
                              ((real(rng, (2, 1, 2, 3)), real(rng, (3, 3, 2))), {})]


@adjoint(np.matmul, operator.matmul, *optional(np.linalg, "matmul"), cases=_matmul_cases)
def matmul(z, a, b):
    if a is b:   # x @ x: one sum (for a vector, 2 g x), as for np.dot(x, x)
        d[a] = product_grad_left(d[z], a, a) + product_grad_right(d[z], a, a)
    else:
        d[a] = product_grad_left(d[z], a, b)
        d[b] = product_grad_right(d[z], a, b)


@tangent(np.matmul, operator.matmul, *optional(np.linalg, "matmul"))
def matmul_tangent(z, a, b):
    d[z] = d[a] @ b + a @ d[b]

def _grad_cases(rng):
    out = []
    for (a, b), _ in _matmul_cases(rng):
        out.append(((real(rng, np.shape(np.matmul(a, b))), a, b), {}))
    return out


# Both helpers are linear in g and in the other operand. From <R, a'> = <g, a' @ b>:
# d[g] = d[R] @ b and d[b] = product_grad_right(g, d[R], b); likewise on the right.
@adjoint(product_grad_left, cases=_grad_cases, static_args=(1,))
def product_grad_left_(r, g, a, b):
    d[g] = np.matmul(d[r], b)
    d[b] = product_grad_right(g, d[r], b)


@tangent(product_grad_left)
def product_grad_left_tangent(r, g, a, b):
    d[r] = product_grad_left(d[g], a, b) + product_grad_left(g, a, d[b])


@adjoint(product_grad_right, cases=_grad_cases, static_args=(2,))
def product_grad_right_(r, g, a, b):
    d[g] = np.matmul(a, d[r])
    d[a] = product_grad_left(g, a, d[r])


@tangent(product_grad_right)
def product_grad_right_tangent(r, g, a, b):
    d[r] = product_grad_right(d[g], a, b) + product_grad_right(g, d[a], b)



def _dot_grad_cases(rng):
    out = []
    for (a, b), _ in _dot_cases(rng) + _dot_only_cases(rng):
        out.append(((real(rng, np.shape(np.dot(a, b))), a, b), {}))
    return out


# Like product_grad_left/right: linear in g and in the other operand, and the
# transpose of g -> dot_grad_left(g, a, b) is a -> np.dot(a, b).
@adjoint(dot_grad_left, cases=_dot_grad_cases, static_args=(1,))
def dot_grad_left_(r, g, a, b):
    d[g] = np.dot(d[r], b)
    d[b] = dot_grad_right(g, d[r], b)


@tangent(dot_grad_left)
def dot_grad_left_tangent(r, g, a, b):
    d[r] = dot_grad_left(d[g], a, b) + dot_grad_left(g, a, d[b])


@adjoint(dot_grad_right, cases=_dot_grad_cases, static_args=(2,))
def dot_grad_right_(r, g, a, b):
    d[g] = np.dot(a, d[r])
    d[a] = dot_grad_left(g, a, d[r])


@tangent(dot_grad_right)
def dot_grad_right_tangent(r, g, a, b):
    d[r] = dot_grad_right(d[g], a, b) + dot_grad_right(g, d[a], b)


def _vector_cases(rng):
    return [((real(rng, (3,)),), {}), ((real(rng, (2, 3)),), {})]


@adjoint(as_row, as_column, cases=_vector_cases)
def as_matrix(y, a):
    d[a] = np.reshape(d[y], np.shape(a))


@tangent(as_row)
def as_row_tangent(y, a):
    d[y] = as_row(d[a])


@tangent(as_column)
def as_column_tangent(y, a):
    d[y] = as_column(d[a])


# -- products ------------------------------------------------------------------------------
def _pair_cases(*shapes):
    def cases(rng):
        return [((real(rng, sa), real(rng, sb)), {}) for sa, sb in shapes]
    return cases


@adjoint(np.outer, cases=_pair_cases(((3,), (2,)), ((2, 2), (3,))))
@adjoint(*optional(np.linalg, "outer"), cases=_pair_cases(((3,), (2,))))
def outer(y, a, b):
    d[a] = np.reshape(np.dot(d[y], np.ravel(b)), np.shape(a))
    d[b] = np.reshape(np.dot(np.ravel(a), d[y]), np.shape(b))


@tangent(np.outer, *optional(np.linalg, "outer"))
def outer_tangent(y, a, b):
    d[y] = np.outer(d[a], b) + np.outer(a, d[b])


def inner_axes(a, b, operand):
    """The axes np.tensordot contracts in the adjoint of ``np.inner(a, b)`` for the
    given operand (0 for a, 1 for b)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:   # a product with a scalar
        if np.ndim((a, b)[operand]) == 0:      # the scalar's adjoint sums over everything
            n = np.ndim((b, a)[operand])
            return (tuple(range(n)), tuple(range(n)))
        return ((), ())
    na, nb = np.ndim(a) - 1, np.ndim(b) - 1
    if operand == 0:
        return (tuple(range(na, na + nb)), tuple(range(nb)))
    return (tuple(range(na)), tuple(range(na)))


nondifferentiable(inner_axes)


@adjoint(np.inner, cases=_pair_cases(((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)), ((3,), ()),
                                      ((), (2, 3)), ((), ())))
def inner(y, a, b):
    if a is b:   # np.inner(x, x): one sum (for a vector, 2 g x), as for np.dot(x, x)
        d[a] = np.tensordot(d[y], a, inner_axes(a, a, 0)) + \
            np.tensordot(d[y], a, inner_axes(a, a, 1))
    else:
        d[a] = np.tensordot(d[y], b, inner_axes(a, b, 0))
        d[b] = np.tensordot(d[y], a, inner_axes(a, b, 1))


@tangent(np.inner)
def inner_tangent(y, a, b):
    d[y] = np.inner(d[a], b) + np.inner(a, d[b])


@adjoint(np.vdot, cases=_pair_cases(((3,), (3,)), ((2, 3), (6,))))
def vdot(y, a, b):
    d[a] = np.reshape(d[y] * np.ravel(b), np.shape(a))
    d[b] = np.reshape(d[y] * np.ravel(a), np.shape(b))


@tangent(np.vdot)
def vdot_tangent(y, a, b):
    d[y] = np.vdot(d[a], b) + np.vdot(a, d[b])


def _vecdot_cases(rng):
    return [((real(rng, (3,)), real(rng, (3,))), {}), ((real(rng, (2, 3)), real(rng, (3,))), {}),
            ((real(rng, (3, 2)), real(rng, (3, 2))), {"axis": 0})]


@adjoint(*optional(np, "vecdot"), *optional(np.linalg, "vecdot"), cases=_vecdot_cases)
def vecdot(y, x1, x2, axis=-1):
    d[x1] = unbroadcast(np.expand_dims(d[y], axis) * x2, x1)
    d[x2] = unbroadcast(np.expand_dims(d[y], axis) * x1, x2)


@tangent(*optional(np, "vecdot"), *optional(np.linalg, "vecdot"))
def vecdot_tangent(y, x1, x2, axis=-1):
    d[y] = np.sum(d[x1] * x2 + x1 * d[x2], axis=axis)


def _contraction(a, b, axes):
    na, nb = np.ndim(a), np.ndim(b)
    if np.ndim(axes) == 0:
        summed_a, summed_b = list(range(na - axes, na)), list(range(axes))
    else:
        summed_a, summed_b = [np.atleast_1d(ax).tolist() for ax in axes]
        summed_a = [i % na for i in summed_a]
        summed_b = [i % nb for i in summed_b]
    kept_a = [i for i in range(na) if i not in summed_a]
    kept_b = [i for i in range(nb) if i not in summed_b]
    return summed_a, summed_b, kept_a, kept_b


def tensordot_axes(a, b, axes, operand):
    """The axes argument of the np.tensordot that gives the adjoint of
    ``np.tensordot(a, b, axes)`` for operand 0 (``tensordot(g, b, ...)``) or 1
    (``tensordot(a, g, ...)``)."""
    summed_a, summed_b, kept_a, kept_b = _contraction(a, b, axes)
    if operand == 0:
        return (list(range(len(kept_a), len(kept_a) + len(kept_b))), kept_b)
    return (kept_a, list(range(len(kept_a))))


def tensordot_order(a, b, axes, operand):
    """The transposition that puts that adjoint's axes back in the operand's order."""
    summed_a, summed_b, kept_a, kept_b = _contraction(a, b, axes)
    if operand == 0:
        order = kept_a + [summed_a[j] for j in np.argsort(summed_b)]
    else:
        order = [summed_b[j] for j in np.argsort(summed_a)] + kept_b
    return tuple(int(i) for i in np.argsort(order))


nondifferentiable(tensordot_axes, tensordot_order)


def _tensordot_cases(rng):
    return [((real(rng, (2, 3)), real(rng, (3, 4))), {"axes": 1}),
            ((real(rng, (2, 3, 4)), real(rng, (3, 4, 2))), {}),
            ((real(rng, (2, 3, 4)), real(rng, (4, 2))), {"axes": ((0, 2), (1, 0))}),
            ((real(rng, (3,)), real(rng, (2,))), {"axes": 0})]


@adjoint(np.tensordot, *optional(np.linalg, "tensordot"), cases=_tensordot_cases)
def tensordot(y, a, b, axes=2):
    d[a] = np.transpose(np.tensordot(d[y], b, tensordot_axes(a, b, axes, 0)),
                        tensordot_order(a, b, axes, 0))
    d[b] = np.transpose(np.tensordot(a, d[y], tensordot_axes(a, b, axes, 1)),
                        tensordot_order(a, b, axes, 1))


@tangent(np.tensordot, *optional(np.linalg, "tensordot"))
def tensordot_tangent(y, a, b, axes=2):
    d[y] = np.tensordot(d[a], b, axes) + np.tensordot(a, d[b], axes)


# np.einsum: the adjoint of each operand is an einsum of the output's adjoint with the
# other operands, followed by einsum_place for letters the operand repeats (diagonals)
# or that appear nowhere else (broadcast).
def _einsum_spec(subscripts, operands):
    """Explicit (input subscripts, output subscript), '...' spelled out in letters."""
    subscripts = subscripts.replace(" ", "")
    inputs, _, output = subscripts.partition("->")
    inputs = inputs.split(",")
    used = set(subscripts)
    free = [c for c in _LETTERS if c not in used]
    ellipsis = max([np.ndim(op) - len(s) + 3 for s, op in zip(inputs, operands) if "..." in s],
                   default=0)
    letters = "".join(free[:ellipsis])
    inputs = [s.replace("...", letters[ellipsis - (np.ndim(op) - len(s) + 3):])
              for s, op in zip(inputs, operands)]
    if "->" not in subscripts:
        joined = "".join(inputs)
        output = letters + "".join(sorted(c for c in set(joined)
                                          if joined.count(c) == 1 and c not in letters))
    else:
        output = output.replace("...", letters)
    return inputs, output


def einsum_adjoint(subscripts, operand, *operands):
    """Subscripts of the einsum of (output adjoint, other operands) that gives the
    adjoint of ``operands[operand]``, before einsum_place."""
    inputs, output = _einsum_spec(subscripts, operands)
    others = [s for i, s in enumerate(inputs) if i != operand]
    kept = "".join(dict.fromkeys(c for c in inputs[operand] if c in output + "".join(others)))
    return ",".join([output] + others) + "->" + kept


def einsum_placement(subscripts, operand, *operands):
    """``"src->dst"`` for einsum_place: from that einsum's result to the operand."""
    inputs, output = _einsum_spec(subscripts, operands)
    if len(inputs) == 1:
        return output + "->" + inputs[0]
    return einsum_adjoint(subscripts, operand, *operands).split("->")[1] + "->" + inputs[operand]


def reversed_spec(spec):
    src, dst = spec.split("->")
    return dst + "->" + src


nondifferentiable(einsum_adjoint, einsum_placement, reversed_spec)


def einsum_place(t, spec, x):
    """``t`` (subscripts ``src``) as an array shaped like ``x`` (subscripts ``dst``):
    letters missing from src are broadcast, a letter repeated in dst puts t on that
    diagonal (zeros elsewhere). The adjoint of ``np.einsum("dst->src", x)``."""
    src, dst = spec.split("->")
    if src == dst:
        return t
    sizes = dict(zip(dst, np.shape(x)))
    dtype = np.result_type(t, np.asarray(x), np.float16)   # float32 stays float32
    if not isinstance(t, np.ndarray):   # einsum makes a Python number a float64 array
        t = np.asarray(t, dtype=dtype)
    free = (c for c in _LETTERS if c not in set(src) | set(dst))
    target, subs, extras, seen = "", [src], [], set()
    for c in dst:
        if c in seen:
            new = next(free)
            target += new
            subs.append(c + new)
            extras.append(np.eye(sizes[c], dtype=dtype))
            continue
        seen.add(c)
        target += c
        if c not in src:
            subs.append(c)
            extras.append(np.ones(sizes[c], dtype=dtype))
    return np.einsum(",".join(subs) + "->" + target, t, *extras)


def _einsum_place_cases(rng):
    return [((real(rng, (3,)), "i->ii", real(rng, (3, 3))), {}),
            ((real(rng, (2,)), "i->ij", real(rng, (2, 3))), {}),
            ((real(rng, ()), "->ii", real(rng, (2, 2))), {}),
            ((real(rng, (2, 3)), "ij->ij", real(rng, (2, 3))), {})]


@adjoint(einsum_place, cases=_einsum_place_cases, static_args=(1, 2))
def einsum_place_(y, t, spec, x):
    d[t] = np.einsum(reversed_spec(spec), d[y])


@tangent(einsum_place)
def einsum_place_tangent(y, t, spec, x):
    d[y] = einsum_place(d[t], spec, x)


def _einsum_cases(rng):
    m, v = real(rng, (2, 3)), real(rng, (3,))
    return [(("ij,jk->ik", m, real(rng, (3, 4))), {}), (("ij,j", m, v), {}),
            (("i,i->", v, real(rng, (3,))), {}), (("ij->j", m), {}), (("ii->i", real(rng, (3, 3))), {}),
            (("ii", real(rng, (3, 3))), {}), (("...j,j->...", real(rng, (2, 2, 3)), v), {}),
            (("ij,jk,k->i", m, real(rng, (3, 2)), real(rng, (2,))), {}),
            (("i,j->ij", v, real(rng, (2,))), {"optimize": True})]


@adjoint(np.einsum, cases=_einsum_cases, static_args=(0,))
def einsum(y, subscripts, a, b=None, c=None, optimize=False):
    # operands are counted from the (literal) subscripts, a test that is decided now;
    # unbroadcast: np.einsum broadcasts a dimension of size 1 against the same letter's
    # larger one (`"ij,j->i"` of shapes (2, 3) and (1,)): that operand's adjoint is summed
    # over it, and the others' (size 1 there) widened
    if "," not in subscripts:
        d[a] = einsum_place(d[y], einsum_placement(subscripts, 0, a), a)
    elif c is None:
        d[a] = unbroadcast(einsum_place(np.einsum(einsum_adjoint(subscripts, 0, a, b), d[y], b,
                                                  optimize=optimize),
                                        einsum_placement(subscripts, 0, a, b), a), a)
        d[b] = unbroadcast(einsum_place(np.einsum(einsum_adjoint(subscripts, 1, a, b), d[y], a,
                                                  optimize=optimize),
                                        einsum_placement(subscripts, 1, a, b), b), b)
    else:
        d[a] = unbroadcast(einsum_place(np.einsum(einsum_adjoint(subscripts, 0, a, b, c), d[y],
                                                  b, c, optimize=optimize),
                                        einsum_placement(subscripts, 0, a, b, c), a), a)
        d[b] = unbroadcast(einsum_place(np.einsum(einsum_adjoint(subscripts, 1, a, b, c), d[y],
                                                  a, c, optimize=optimize),
                                        einsum_placement(subscripts, 1, a, b, c), b), b)
        d[c] = unbroadcast(einsum_place(np.einsum(einsum_adjoint(subscripts, 2, a, b, c), d[y],
                                                  a, b, optimize=optimize),
                                        einsum_placement(subscripts, 2, a, b, c), c), c)


@tangent(np.einsum)
def einsum_tangent(y, subscripts, a, b=None, c=None, optimize=False):
    if "," not in subscripts:
        d[y] = np.einsum(subscripts, d[a], optimize=optimize)
    elif c is None:
        d[y] = (np.einsum(subscripts, d[a], b, optimize=optimize)
                + np.einsum(subscripts, a, d[b], optimize=optimize))
    else:
        d[y] = (np.einsum(subscripts, d[a], b, c, optimize=optimize)
                + np.einsum(subscripts, a, d[b], c, optimize=optimize)
                + np.einsum(subscripts, a, b, d[c], optimize=optimize))


def kron_shapes(a, b):
    """Shapes that interleave the axes of a and b: (np.kron(a, b) as (a0, b0, a1, b1, ...),
    a as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...))."""
    n = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (n - np.ndim(a)) + np.shape(a)
    sb = (1,) * (n - np.ndim(b)) + np.shape(b)
    return (sum(zip(sa, sb), ()), sum(((k, 1) for k in sa), ()), sum(((1, k) for k in sb), ()))


def kron_axes(a, b, operand):
    """The axes of the interleaved shape that belong to the other operand."""
    n = max(np.ndim(a), np.ndim(b))
    return tuple(range(1 - operand, 2 * n, 2))


nondifferentiable(kron_shapes, kron_axes)


@adjoint(np.kron, cases=_pair_cases(((2,), (3,)), ((2, 2), (3, 2)), ((2, 3), (2,))))
def kron(y, a, b):
    g = np.reshape(d[y], kron_shapes(a, b)[0])
    d[a] = np.reshape(np.sum(g * np.reshape(b, kron_shapes(a, b)[2]), axis=kron_axes(a, b, 0)),
                      np.shape(a))
    d[b] = np.reshape(np.sum(g * np.reshape(a, kron_shapes(a, b)[1]), axis=kron_axes(a, b, 1)),
                      np.shape(b))


@tangent(np.kron)
def kron_tangent(y, a, b):
    d[y] = np.kron(d[a], b) + np.kron(a, d[b])


@refuses(np.cross)
def cross_refusal(a, b, axis=None):
    """None unless ``np.cross(a, b, axis=axis)`` mixes a 2-component vector with a
    3-component one (NumPy 2 deprecates 2-component vectors), which the rules do not
    differentiate: then (reason, hint). Was (until hunt20) a ValueError from inside the
    derivative, without the user's line."""
    axis = -1 if axis is None else axis
    sizes = (np.shape(a)[axis], np.shape(b)[axis])
    if 2 in sizes and sizes != (2, 2):
        return (f"tangentlike differentiates np.cross of two 3-component or two "
                f"2-component vectors, not of {sizes[0]} and {sizes[1]} components",
                "give both vectors 3 components (a zero third one)")
    return None


def planar(a, b, axis):
    """Whether ``np.cross(a, b, axis=axis)`` takes 2-component vectors (then its result is
    the scalar a0 b1 - a1 b0, without the vector axis); a 2-component vector with a
    3-component one is refused before the call (cross_refusal)."""
    axis = -1 if axis is None else axis
    return (np.shape(a)[axis], np.shape(b)[axis]) == (2, 2)


def vector_axis(axis):
    return -1 if axis is None else axis


nondifferentiable(planar, vector_axis)


def numpy_crosses_planar() -> bool:
    """Whether this NumPy's np.cross takes 2-component vectors (deprecated in NumPy 2.0,
    an error since 2.5)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.cross([1.0, 0.0], [0.0, 1.0])
    except ValueError:
        return False
    return True


def _cross_cases(rng):
    cases = [((real(rng, (3,)), real(rng, (3,))), {}),
             ((real(rng, (2, 3)), real(rng, (3,))), {}),
             ((real(rng, (3, 2)), real(rng, (3, 2))), {"axis": 0})]
    if numpy_crosses_planar():
        cases += [((real(rng, (2,)), real(rng, (2,))), {}),
                  ((real(rng, (3, 2)), real(rng, (2,))), {})]
    return cases


@adjoint(np.cross, cases=_cross_cases)
def cross(y, a, b, axis=None):
    if planar(a, b, axis):
        # y = a0 b1 - a1 b0
        k = vector_axis(axis)
        d[a] = unbroadcast(np.stack([d[y] * np.take(b, 1, axis=k),
                                     -(d[y] * np.take(b, 0, axis=k))], axis=k), a)
        d[b] = unbroadcast(np.stack([-(d[y] * np.take(a, 1, axis=k)),
                                     d[y] * np.take(a, 0, axis=k)], axis=k), b)
    else:
        # <g, a x b> = <a, b x g> = <b, g x a>
        d[a] = unbroadcast(np.cross(b, d[y], axis=axis), a)
        d[b] = unbroadcast(np.cross(d[y], a, axis=axis), b)


@tangent(np.cross)
def cross_tangent(y, a, b, axis=None):
    d[y] = np.cross(d[a], b, axis=axis) + np.cross(a, d[b], axis=axis)


@adjoint(*optional(np.linalg, "cross"), cases=lambda rng: _cross_cases(rng)[:2])
def linalg_cross(y, a, b, axis=-1):
    d[a] = unbroadcast(np.cross(b, d[y], axis=axis), a)
    d[b] = unbroadcast(np.cross(d[y], a, axis=axis), b)


@tangent(*optional(np.linalg, "cross"))
def linalg_cross_tangent(y, a, b, axis=-1):
    d[y] = np.cross(d[a], b, axis=axis) + np.cross(a, d[b], axis=axis)


# -- np.linalg ------------------------------------------------------
def well_conditioned(rng, shape):
    """A random matrix near the identity (invertible, far from singular)."""
    return np.eye(*shape) + 0.3 * real(rng, shape)


def symmetric(rng, shape):
    """A random symmetric matrix with well separated eigenvalues."""
    q = np.linalg.qr(real(rng, shape))[0]
    return q @ np.diag(np.arange(1.0, shape[0] + 1.0) * 0.8 - 1.5) @ q.T


def positive_definite(rng, shape):
    m = real(rng, shape)
    return m @ m.T + shape[0] * np.eye(shape[0])


def _square_cases(domain, stacks=False):
    def cases(rng):
        out = [((domain(rng, (2, 2)),), {}), ((domain(rng, (3, 3)),), {})]
        if stacks:   # (n, n, n): which axes are transposed matters
            out.append(((np.stack([domain(rng, (3, 3)) for _ in range(3)]),), {}))
        return out
    return cases


# inv, solve, det and slogdet also take stacks of matrices (..., n, n): the formulas
# transpose the last two axes only (np.transpose would reverse a stack's axes too).
def matrix_transpose(a):
    """``a`` with its last two axes swapped (a stack of matrices transposed)."""
    return np.swapaxes(a, -1, -2)


def as_matrices(y):
    """A value per matrix of a stack (``det`` of shape (...)) as (..., 1, 1), to scale
    each matrix of the stack."""
    return np.expand_dims(np.expand_dims(y, -1), -1)


def solve_vector(a, b):
    """``np.linalg.solve(a, b)`` for a right-hand side of vectors (..., n), one per matrix
    of ``a`` (NumPy takes a 2-D b as a matrix, and a 1-D b as one vector for the stack)."""
    return np.linalg.solve(a, np.expand_dims(b, -1))[..., 0]


@adjoint(np.linalg.inv, cases=_square_cases(well_conditioned, stacks=True))
def inv(y, a):
    d[a] = -(matrix_transpose(y) @ d[y] @ matrix_transpose(y))


@tangent(np.linalg.inv)
def inv_tangent(y, a):
    d[y] = -(y @ d[a] @ y)


def _solve_cases(rng):
    stack = np.stack([well_conditioned(rng, (3, 3)) for _ in range(3)])
    return [((well_conditioned(rng, (3, 3)), real(rng, (3,))), {}),
            ((well_conditioned(rng, (2, 2)), real(rng, (2, 3))), {}),
            ((stack, real(rng, (3,))), {}), ((stack, real(rng, (3, 3, 2))), {}),
            ((stack, real(rng, (3, 2))), {})]


# y = a^-1 b: d[b] = a^-T g and d[a] = -d[b] y^T, per matrix of a stack. A 1-D b is one
# vector for every matrix (y is (..., n)); otherwise b holds matrices (..., n, k).
@adjoint(np.linalg.solve, cases=_solve_cases)
def solve(y, a, b):
    if np.ndim(b) == 1:
        gb = solve_vector(matrix_transpose(a), d[y])
        d[b] = unbroadcast(gb, b)
        d[a] = unbroadcast(-(np.expand_dims(gb, -1) * np.expand_dims(y, -2)), a)
    else:
        gb = np.linalg.solve(matrix_transpose(a), d[y])
        d[b] = unbroadcast(gb, b)
        d[a] = unbroadcast(-(gb @ matrix_transpose(y)), a)


@tangent(np.linalg.solve)
def solve_tangent(y, a, b):
    if np.ndim(b) == 1:
        d[y] = solve_vector(a, d[b] - (d[a] @ np.expand_dims(y, -1))[..., 0])
    else:
        d[y] = np.linalg.solve(a, d[b] - d[a] @ y)


@adjoint(np.linalg.det, cases=_square_cases(well_conditioned, stacks=True))
def det(y, a):
    d[a] = as_matrices(d[y] * y) * matrix_transpose(np.linalg.inv(a))


@tangent(np.linalg.det)
def det_tangent(y, a):
    d[y] = y * np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1)


@adjoint(np.linalg.slogdet, cases=_square_cases(well_conditioned, stacks=True))
def slogdet(y, a):
    # y = (sign, log|det a|); the sign is locally constant
    d[a] = as_matrices(d[y][1]) * matrix_transpose(np.linalg.inv(a))


@tangent(np.linalg.slogdet)
def slogdet_tangent(y, a):
    d[y] = (np.zeros_like(y[0]), np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1))


# Their rules take one matrix (2-D) at a time: normalize puts a check before each call
# that refuses a stack of matrices when it runs (runtime.require_matrix).
MATRIX_ONLY = {np.linalg.eigh, np.linalg.eigvalsh, np.linalg.cholesky, np.linalg.svd,
               np.linalg.pinv, *optional(np.linalg, "svdvals")}


def symmetric_part(a, uplo):
    """The symmetric matrix that np.linalg.eigh (and cholesky) read from ``a``'s lower
    (``uplo="L"``) or upper triangle."""
    if uplo == "L":
        return np.tril(a) + np.transpose(np.tril(a, -1))
    return np.triu(a) + np.transpose(np.triu(a, 1))


def symmetric_adjoint(g, uplo):
    """The adjoint of ``symmetric_part``: the adjoint with respect to ``a`` of a function
    of the symmetric matrix read from ``a``'s triangle, given its adjoint ``g``."""
    if uplo == "L":
        return np.tril(g) + np.tril(np.transpose(g), -1)
    return np.triu(g) + np.triu(np.transpose(g), 1)


def _symmetric_part_cases(rng):
    return [((real(rng, (3, 3)), "L"), {}), ((real(rng, (2, 2)), "U"), {})]


@adjoint(symmetric_part, cases=_symmetric_part_cases, static_args=(1,))
def symmetric_part_(y, a, uplo):
    d[a] = symmetric_adjoint(d[y], uplo)


@tangent(symmetric_part)
def symmetric_part_tangent(y, a, uplo):
    d[y] = symmetric_part(d[a], uplo)


@adjoint(symmetric_adjoint, cases=_symmetric_part_cases, static_args=(1,))
def symmetric_adjoint_(y, g, uplo):
    d[g] = symmetric_part(d[y], uplo)


@tangent(symmetric_adjoint)
def symmetric_adjoint_tangent(y, g, uplo):
    d[y] = symmetric_adjoint(d[g], uplo)


def _eigh_cases(rng):
    a = symmetric(rng, (3, 3))
    return [((a,), {}), ((a + np.triu(real(rng, (3, 3)), 1),), {}),
            ((symmetric(rng, (2, 2)),), {"UPLO": "U"})]


@adjoint(np.linalg.eigh, cases=_eigh_cases)
def eigh(y, a, UPLO="L"):
    # y = (w, v) with a = v diag(w) v^T; distinct eigenvalues
    w = y[0]
    v = y[1]
    eye = np.eye(np.size(w), dtype=w.dtype)
    gaps = (1.0 - eye) / (np.expand_dims(w, 0) - np.expand_dims(w, 1) + eye)   # 1 / (w_j - w_i)
    inner = np.diag(d[y][0]) + gaps * (np.transpose(v) @ d[y][1])
    d[a] = symmetric_adjoint(v @ inner @ np.transpose(v), UPLO)


@tangent(np.linalg.eigh)
def eigh_tangent(y, a, UPLO="L"):
    w = y[0]
    v = y[1]
    eye = np.eye(np.size(w), dtype=w.dtype)
    gaps = (1.0 - eye) / (np.expand_dims(w, 0) - np.expand_dims(w, 1) + eye)
    rotated = np.transpose(v) @ symmetric_part(d[a], UPLO) @ v
    d[y] = (np.diag(rotated), v @ (gaps * rotated))


@adjoint(np.linalg.eigvalsh, cases=_eigh_cases)
def eigvalsh(y, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    d[a] = symmetric_adjoint((v * d[y]) @ np.transpose(v), UPLO)


@tangent(np.linalg.eigvalsh)
def eigvalsh_tangent(y, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    d[y] = np.diag(np.transpose(v) @ symmetric_part(d[a], UPLO) @ v)


@adjoint(np.linalg.cholesky, cases=_square_cases(positive_definite))
def cholesky(y, a):
    # a = y y^T reads a's lower triangle; phi(m) = tril(m) with a halved diagonal
    inv_y = np.linalg.inv(y)
    m = np.transpose(y) @ d[y]
    phi = np.tril(m) - 0.5 * np.diag(np.diag(m))
    d[a] = symmetric_adjoint(np.transpose(inv_y) @ phi @ inv_y, "L")


@tangent(np.linalg.cholesky)
def cholesky_tangent(y, a):
    inv_y = np.linalg.inv(y)
    m = inv_y @ symmetric_part(d[a], "L") @ np.transpose(inv_y)
    d[y] = y @ (np.tril(m) - 0.5 * np.diag(np.diag(m)))


@refuses(np.linalg.svd)
def svd_refusal(a, full_matrices=True, compute_uv=True, hermitian=False):
    """None if the rules differentiate ``np.linalg.svd(a, ...)``, else (reason, hint):
    the extra columns of u or vh that full_matrices=True adds for a non-square matrix
    are not unique."""
    if compute_uv and full_matrices and np.ndim(a) == 2 and np.shape(a)[0] != np.shape(a)[1]:
        return ("tangentlike differentiates the singular vectors of a non-square matrix "
                "with np.linalg.svd(a, full_matrices=False) only",
                "pass full_matrices=False (or compute_uv=False for the singular values)")
    return None


def singular_count(a, full_matrices):
    """min(m, n), after refusing singular vectors that are not unique (svd_refusal)."""
    problem = svd_refusal(a, full_matrices)
    if problem is not None:
        raise NotImplementedError(problem[0])
    return min(np.shape(a))


nondifferentiable(singular_count)


def _svd_cases(rng):
    return [((real(rng, (3, 3)),), {}), ((real(rng, (4, 2)),), {"full_matrices": False}),
            ((real(rng, (2, 3)),), {"full_matrices": False}),
            ((real(rng, (3, 2)),), {"compute_uv": False}), ((real(rng, (2, 4)),), {"compute_uv": False})]


@adjoint(np.linalg.svd, cases=_svd_cases)
def svd(y, a, full_matrices=True, compute_uv=True, hermitian=False):
    # a = u diag(s) vh with distinct nonzero singular values; the vectors need
    # full_matrices=False unless a is square
    if compute_uv:
        u = y[0]
        s = y[1]
        vh = y[2]
        eye = np.eye(singular_count(a, full_matrices), dtype=s.dtype)
        gaps = (1.0 - eye) / (np.expand_dims(s * s, 0) - np.expand_dims(s * s, 1) + eye)
        j = gaps * (np.transpose(u) @ d[y][0])
        k = gaps * (vh @ np.transpose(d[y][2]))
        core = (j + np.transpose(j)) * s + np.expand_dims(s, 1) * (k + np.transpose(k)) + np.diag(d[y][1])
        outside_u = (d[y][0] - u @ (np.transpose(u) @ d[y][0])) / s
        outside_v = (np.transpose(d[y][2]) - np.transpose(vh) @ (vh @ np.transpose(d[y][2]))) / s
        d[a] = u @ core @ vh + outside_u @ vh + u @ np.transpose(outside_v)
    else:
        usv = np.linalg.svd(a, full_matrices=False)
        d[a] = (usv[0] * d[y]) @ usv[2]


@tangent(np.linalg.svd)
def svd_tangent(y, a, full_matrices=True, compute_uv=True, hermitian=False):
    if compute_uv:
        u = y[0]
        s = y[1]
        vh = y[2]
        eye = np.eye(singular_count(a, full_matrices), dtype=s.dtype)
        gaps = (1.0 - eye) / (np.expand_dims(s * s, 0) - np.expand_dims(s * s, 1) + eye)
        ds = np.transpose(u) @ d[a] @ np.transpose(vh)
        du = (u @ (gaps * (ds * s + np.transpose(ds * s)))
              + (d[a] @ np.transpose(vh) - u @ ds) / s)
        dv = (np.transpose(vh) @ (gaps * (np.expand_dims(s, 1) * ds + np.transpose(np.expand_dims(s, 1) * ds)))
              + (np.transpose(d[a]) @ u - np.transpose(vh) @ np.transpose(ds)) / s)
        d[y] = (du, np.diag(ds), np.transpose(dv))
    else:
        usv = np.linalg.svd(a, full_matrices=False)
        d[y] = np.diag(np.transpose(usv[0]) @ d[a] @ np.transpose(usv[2]))


@adjoint(*optional(np.linalg, "svdvals"), cases=lambda rng: [((real(rng, (3, 2)),), {}),
                                                            ((real(rng, (2, 3)),), {})])
def svdvals(y, x):
    usv = np.linalg.svd(x, full_matrices=False)
    d[x] = (usv[0] * d[y]) @ usv[2]


@tangent(*optional(np.linalg, "svdvals"))
def svdvals_tangent(y, x):
    usv = np.linalg.svd(x, full_matrices=False)
    d[y] = np.diag(np.transpose(usv[0]) @ d[x] @ np.transpose(usv[2]))


def _pinv_cases(rng):
    return [((well_conditioned(rng, (3, 3)),), {}), ((real(rng, (3, 2)),), {}),
            ((real(rng, (2, 3)),), {})]


@adjoint(np.linalg.pinv, cases=_pinv_cases)
def pinv(y, a):
    # a of full rank; y = a^+ (n x m)
    yt = np.transpose(y)
    g = d[y]
    gt = np.transpose(d[y])
    d[a] = (-(yt @ g @ yt) + (np.eye(np.shape(a)[0], dtype=y.dtype) - a @ y) @ gt @ y @ yt
            + yt @ y @ gt @ (np.eye(np.shape(a)[1], dtype=y.dtype) - y @ a))


@tangent(np.linalg.pinv)
def pinv_tangent(y, a):
    yt = np.transpose(y)
    dat = np.transpose(d[a])
    d[y] = (-(y @ d[a] @ y) + y @ yt @ dat @ (np.eye(np.shape(a)[0], dtype=y.dtype) - a @ y)
            + (np.eye(np.shape(a)[1], dtype=y.dtype) - y @ a) @ dat @ yt @ y)


# -- norms ---------------------------------------------------------------------------------
@refuses(np.linalg.norm, only_with=("ord", 1))
def norm_refusal(x, ord=None, axis=None, keepdims=False):
    """None if the rules differentiate ``np.linalg.norm(x, ord, axis)``, else (reason,
    hint): of the matrix norms, only the Frobenius norm is."""
    matrix = (axis is None and np.ndim(x) == 2) or (np.ndim(axis) == 1 and len(axis) == 2)
    if matrix and ord is not None and not (isinstance(ord, str) and ord == "fro"):
        return (f"tangentlike differentiates np.linalg.norm of a matrix for ord=None or "
                f"'fro' only, not ord={ord!r}",
                "use a vector norm over one axis (axis=0 or 1), or np.sum")
    return None


def norm_axis(x, ord, axis):
    """``axis`` of np.linalg.norm, after refusing the matrix norms tangentlike does not
    differentiate (norm_refusal)."""
    problem = norm_refusal(x, ord, axis)
    if problem is not None:
        raise NotImplementedError(problem[0])
    return axis


nondifferentiable(norm_axis)


def finite_order(p):
    """``p`` where the p-norm formula applies, 2.0 where it does not (p = inf or 0)."""
    return 2.0 if np.isinf(p) or p == 0 else p


nondifferentiable(finite_order)


def _norm_cases(rng):
    x, m = nonzero(rng, (4,)), nonzero(rng, (2, 3))
    return [((x,), {}), ((m,), {}), ((m, None, 1), {}), ((m, "fro", (0, 1)), {}),
            ((x, 1), {}), ((x, 3), {}), ((x, np.inf), {}), ((m, -np.inf, 0), {}),
            ((m, 2, 1), {"keepdims": True}), ((x, 0.5), {})]


# For a vector p-norm r, d r / d x = sign(x) (|x| / r)^(p - 1); for p = inf (or -inf)
# the largest (smallest) |x_i| takes it all, split evenly between ties; for p = 0 (a
# count) it is 0. A test of ``ord`` that is not a literal (np.inf) stays in the code,
# so the general formula is written without branches. At the zero vector (r = 0, every
# component 0) the rules divide by 1.0 instead (``q``): the derivative is the
# subgradient 0, as for abs at 0, not 0 / 0 (docs/conventions.md).
@adjoint(np.linalg.norm, cases=_norm_cases, static_args=(1, 2))
def norm(y, x, ord=None, axis=None, keepdims=False):
    if axis is None and ord is None:
        # the 2-norm of all the elements (no matrix norm to refuse): one number times x
        # (y + (y == 0): y, and 1.0 at the zero vector as q below; cheaper than np.where
        # on a number)
        d[x] = np.multiply(d[y] / (y + (y == 0)), x)   # a ufunc: x may be a list
    else:
        g = expand_reduced(d[y], x, norm_axis(x, ord, axis), keepdims)
        r = expand_reduced(y, x, axis, keepdims)
        q = np.where(r == 0, 1.0, r)   # (the zero vector: see above)
        if ord is None or ord == "fro" or ord == 2:
            d[x] = np.multiply(g, x) / q   # a ufunc: x may be a list
        else:
            p = float(ord)
            slope = np.sign(x) * (np.abs(x) / q) ** (finite_order(p) - 1.0)
            d[x] = g * np.where(np.isinf(p), np.sign(x) * tie_weights(np.abs(x), r, axis=axis, keepdims=True),
                                slope) * (p != 0)


@tangent(np.linalg.norm)
def norm_tangent(y, x, ord=None, axis=None, keepdims=False):
    r = expand_reduced(y, x, norm_axis(x, ord, axis), keepdims)
    q = np.where(r == 0, 1.0, r)   # (the zero vector: see above)
    if ord is None or ord == "fro" or ord == 2:
        d[y] = np.sum(np.multiply(d[x], x) / q, axis=axis, keepdims=keepdims)
    else:
        p = float(ord)
        slope = np.sign(x) * (np.abs(x) / q) ** (finite_order(p) - 1.0)
        d[y] = np.sum(d[x] * np.where(np.isinf(p), np.sign(x) * tie_weights(np.abs(x), r, axis=axis, keepdims=True),
                                      slope) * (p != 0), axis=axis, keepdims=keepdims)


def _vector_norm_cases(rng):
    x, m = nonzero(rng, (4,)), nonzero(rng, (2, 3))
    return [((x,), {}), ((m,), {}), ((m,), {"axis": 1, "ord": 1}), ((x,), {"ord": 3}),
            ((m,), {"axis": 0, "keepdims": True})]


@adjoint(*optional(np.linalg, "vector_norm"), cases=_vector_norm_cases)
def vector_norm(y, x, axis=None, keepdims=False, ord=2):
    g = expand_reduced(d[y], x, axis, keepdims)
    r = expand_reduced(y, x, axis, keepdims)
    q = np.where(r == 0, 1.0, r)   # (the zero vector: see above)
    if ord == 2:
        d[x] = np.multiply(g, x) / q   # a ufunc: x may be a list
    else:
        p = float(ord)
        slope = np.sign(x) * (np.abs(x) / q) ** (finite_order(p) - 1.0)
        d[x] = g * np.where(np.isinf(p), np.sign(x) * tie_weights(np.abs(x), r, axis=axis, keepdims=True),
                            slope) * (p != 0)


@tangent(*optional(np.linalg, "vector_norm"))
def vector_norm_tangent(y, x, axis=None, keepdims=False, ord=2):
    r = expand_reduced(y, x, axis, keepdims)
    q = np.where(r == 0, 1.0, r)   # (the zero vector: see above)
    if ord == 2:
        d[y] = np.sum(np.multiply(d[x], x) / q, axis=axis, keepdims=keepdims)
    else:
        p = float(ord)
        slope = np.sign(x) * (np.abs(x) / q) ** (finite_order(p) - 1.0)
        d[y] = np.sum(d[x] * np.where(np.isinf(p), np.sign(x) * tie_weights(np.abs(x), r, axis=axis, keepdims=True),
                                      slope) * (p != 0), axis=axis, keepdims=keepdims)


def matrix_norm_refusal(x, keepdims=False, ord="fro"):
    """None if the rules differentiate ``np.linalg.matrix_norm(x, ord=ord)``, else
    (reason, hint): they take the Frobenius norm only."""
    if not (isinstance(ord, str) and ord == "fro"):
        return (f"tangentlike differentiates np.linalg.matrix_norm for ord='fro' only, "
                f"not ord={ord!r}", "leave ord out, or use np.linalg.vector_norm over an axis")
    return None


refuses(*optional(np.linalg, "matrix_norm"), only_with=("ord", None))(matrix_norm_refusal)


def frobenius_only(ord):
    problem = matrix_norm_refusal(None, ord=ord)
    if problem is not None:
        raise NotImplementedError(problem[0])
    return (-2, -1)


nondifferentiable(frobenius_only)


@adjoint(*optional(np.linalg, "matrix_norm"),
         cases=lambda rng: [((real(rng, (2, 3)),), {}), ((real(rng, (2, 2, 3)),), {"keepdims": True})])
def matrix_norm(y, x, keepdims=False, ord="fro"):
    q = np.where(y == 0, 1.0, y)   # (the zero matrix: as for norm)
    d[x] = expand_reduced(d[y] / q, x, frobenius_only(ord), keepdims) * x


@tangent(*optional(np.linalg, "matrix_norm"))
def matrix_norm_tangent(y, x, keepdims=False, ord="fro"):
    d[y] = np.sum(d[x] * np.asarray(x), axis=frobenius_only(ord), keepdims=keepdims) / np.where(
        y == 0, 1.0, y)
