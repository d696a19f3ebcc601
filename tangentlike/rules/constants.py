"""Functions whose results are constants for differentiation: shapes, sizes,
constructors, integer-valued and boolean functions. Calling them inside
differentiated code is fine; no derivative flows through them."""
import builtins
import math
import operator

import numpy as np

from .. import runtime
from .registry import nondifferentiable

nondifferentiable(
    # Python builtins
    len, range, reversed, int, bool, isinstance, print, round, enumerate, zip, type, tuple, list, slice,
    builtins.all, builtins.any,
    # comparisons and logic
    operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge,
    operator.not_, operator.truth,
    # NumPy: shapes, constructors, integer and boolean valued functions
    np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty, np.zeros_like,
    np.ones_like, np.empty_like, np.arange, np.linspace, np.eye, np.identity,
    np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.argmax, np.argmin,
    np.argsort, np.isnan, np.isinf, np.isfinite, np.equal, np.not_equal, np.less,
    np.less_equal, np.greater, np.greater_equal, np.logical_and, np.logical_or,
    np.logical_not, np.all, np.any, np.count_nonzero, np.nonzero, np.result_type,
    np.broadcast_shapes, np.flatnonzero, np.argwhere,
    # math
    math.floor, math.ceil, math.isnan, math.isinf, math.isfinite, math.copysign,
    # tangentlike's own markers
    runtime.stop_gradient, runtime.zeros_like,
)
