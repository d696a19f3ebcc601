"""Products of vectors and matrices.

``dot``, ``matmul`` and ``@`` are differentiated for 1-D and 2-D operands. A vector
is viewed as a one-row matrix on the left and a one-column matrix on the right, so
one matrix formula covers every combination: for ``Z = A B``, ``dA = dZ Bᵀ`` and
``dB = Aᵀ dZ``, each reshaped back to its operand.
"""
import operator

import numpy as np

from ..template import d
from .domains import real
from .registry import adjoint, nondifferentiable, tangent


def as_row(a):
    """A vector as a (1, n) matrix; a matrix unchanged."""
    return np.reshape(a, (1, -1)) if np.ndim(a) == 1 else a


def as_column(b):
    """A vector as an (n, 1) matrix; a matrix unchanged."""
    return np.reshape(b, (-1, 1)) if np.ndim(b) == 1 else b


def product_shape(a, b):
    """The shape of ``as_row(a) @ as_column(b)``."""
    if not (1 <= np.ndim(a) <= 2 and 1 <= np.ndim(b) <= 2):
        raise ValueError(
            "tangentlike differentiates np.dot, np.matmul and @ for 1-D and 2-D operands; "
            f"got {np.ndim(a)}-D and {np.ndim(b)}-D (use * for a scalar, or np.einsum)")
    return (np.shape(as_row(a))[0], np.shape(as_column(b))[1])


nondifferentiable(product_shape)


def _dot_cases(rng):
    return [((real(rng, (3,)), real(rng, (3,))), {}), ((real(rng, (2, 3)), real(rng, (3,))), {}),
            ((real(rng, (3,)), real(rng, (3, 2))), {}),
            ((real(rng, (2, 3)), real(rng, (3, 4))), {})]


@adjoint(np.dot, np.matmul, operator.matmul, cases=_dot_cases)
def dot(z, a, b):
    g = np.reshape(d[z], product_shape(a, b))
    d[a] = np.reshape(np.dot(g, np.transpose(as_column(b))), np.shape(a))
    d[b] = np.reshape(np.dot(np.transpose(as_row(a)), g), np.shape(b))


@tangent(np.dot, np.matmul, operator.matmul)
def dot_tangent(z, a, b):
    d[z] = np.dot(d[a], b) + np.dot(a, d[b])


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
