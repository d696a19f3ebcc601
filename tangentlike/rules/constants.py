"""Functions whose results are constants for differentiation: shapes, sizes,
constructors, integer-valued and boolean functions. Calling them inside
differentiated code is fine; no derivative flows through them."""
import builtins
import math
import operator

import numpy as np

from .. import runtime
from .optional import optional
from .registry import mutating, mutating_in, nondifferentiable

nondifferentiable(
    # Python builtins
    len, range, reversed, int, bool, isinstance, print, round, enumerate, zip, type, slice,
    builtins.all, builtins.any,
    # comparisons and logic
    operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge,
    operator.not_, operator.truth,
    # NumPy: shapes, constructors, integer and boolean valued functions
    np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty, np.zeros_like,
    np.ones_like, np.empty_like, np.eye, np.identity,
    np.sign, np.floor, np.ceil, np.round, *optional(np, "around"), np.rint, np.trunc, np.argmax,
    np.argmin, np.argsort, np.isnan, np.isinf, np.isfinite, np.equal, np.not_equal, np.less,
    np.less_equal, np.greater, np.greater_equal, np.logical_and, np.logical_or,
    np.logical_not, np.all, np.any, np.count_nonzero, np.nonzero, np.result_type,
    np.broadcast_shapes, np.flatnonzero, np.argwhere,
    # math
    math.floor, math.ceil, math.isnan, math.isinf, math.isfinite,
    # tangentlike's own markers
    runtime.stop_gradient, runtime.zeros_like, runtime.inplace_guard, runtime.overlap_guard,
    runtime.memory_order, runtime.require_matrix, runtime.check_assertion, runtime.raise_exception,
    runtime.returns_no_number, runtime.require_assigned, runtime.output_zeros_like,
    runtime.require_tangents, runtime.keys_of, runtime.row_guard, runtime.require_writable,
    runtime.require_returned, runtime.require_method,
)

nondifferentiable(
    # logic and integer arithmetic (masks, indices)
    operator.and_, operator.or_, operator.xor, operator.invert, operator.lshift,
    operator.rshift, operator.floordiv, operator.is_, operator.is_not, operator.contains,
    np.logical_xor, np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert,
    np.left_shift, np.right_shift, np.gcd, np.lcm, np.floor_divide,
    # tests, comparisons of whole arrays, piecewise-constant functions
    np.isclose, np.allclose, np.array_equal, np.array_equiv, np.signbit, np.isreal,
    np.iscomplex, np.isrealobj, np.iscomplexobj, np.isscalar, np.isneginf, np.isposinf,
    np.fix, np.heaviside, np.searchsorted, np.digitize,
    # index computations
    np.argpartition, np.lexsort, np.nanargmax, np.nanargmin, np.unravel_index,
    np.ravel_multi_index, np.tri, np.tril_indices, np.triu_indices, np.diag_indices,
    np.tril_indices_from, np.triu_indices_from, np.diag_indices_from, np.indices,
    # integer-valued functions of arrays
    np.linalg.matrix_rank,
    # dtypes and memory
    np.issubdtype, np.promote_types, np.can_cast, np.may_share_memory, np.shares_memory,
)

# Functions that change an argument in place: refused, with what to write instead.
mutating(np.copyto, 0, "assign a new array: `z = np.array(x)` (or `z = np.where(mask, x, z)`)")
mutating(np.put, 0, "build a new array: `z = x.copy(); z[index] = values`")
mutating(np.place, 0, "build a new array: `z = np.where(mask, values, x)`")
mutating(np.putmask, 0, "build a new array: `z = np.where(mask, values, x)`")
mutating(np.fill_diagonal, 0, "build a new array: `z = x.copy(); z[i, i] = value`")
mutating(np.put_along_axis, 0, "build a new array: `z = x.copy(); z[index] = values`")
mutating_in("numpy.random", "shuffle", 0, "use `x[np.random.permutation(len(x))]`")
mutating(np.ndarray.fill, 0, "use `np.full_like(x, value)`")
mutating(np.ndarray.sort, 0, "use `x = np.sort(x)`")
mutating(np.ndarray.resize, 0, "use `x = np.resize(x, shape)`")
# the operator module's writes, and the methods of lists and dicts called through their
# class (`list.append(items, v)`): the same changes as `items[i] = v`, `items.append(v)`
mutating(operator.setitem, 0, "write `z[i] = v` into a list or array the function made")
mutating(operator.delitem, 0, "build a new list or array without the item")
for _write in (operator.iadd, operator.isub, operator.imul, operator.itruediv,
               operator.ifloordiv, operator.imod, operator.ipow, operator.imatmul,
               operator.iconcat):
    mutating(_write, 0, f"write the operation itself (`a = a + b` for `{_write.__name__}`): "
             "on an array or a list it changes the argument in place")
for _write in (list.append, list.extend, list.insert, list.remove, list.pop, list.clear,
               list.sort, list.reverse, list.__setitem__, list.__delitem__,
               dict.__setitem__, dict.__delitem__, dict.update, dict.pop, dict.setdefault,
               dict.clear, dict.popitem):
    mutating(_write, 0, "call the method on the list itself (`items.append(v)`), or build "
             "a new list or dict")
