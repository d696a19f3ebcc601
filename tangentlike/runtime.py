"""The few helpers that generated derivative code calls.

Generated code prefers inline Python; these exist only where a hand-written gradient
would need the same logic (undoing NumPy broadcasting, zeros of the right kind).
Everything here is stateless, so derived functions are re-entrant and thread-safe.
"""
from __future__ import annotations

import dataclasses
import inspect
import numbers

import sys

import numpy as np

from .errors import NonScalarOutput, NoNumberReturned, TransformError, at_user_def


def _shape(x):
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def unbroadcast(g, x):
    """Sum ``g`` over the axes that broadcasting added to ``x``; the result has x's shape."""
    target = _shape(x)
    shape = _shape(g)
    if shape == target:
        return g
    if len(shape) < len(target):  # a zero adjoint kept as a scalar
        return _widened(_weak(g, x), target)
    lead = len(shape) - len(target)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
        if lead:
            g = np.reshape(g, g.shape[lead:])   # the leading axes have length one now
    # a size-one axis left where x has more (a zero adjoint times an operand of shape (1,)
    # for x of shape (3,)) is widened
    return g if _shape(g) == target else _widened(g, target)


def _weak(g, x):
    """A Python number ``g`` (a zero adjoint kept as a number) as a 0-d array of x's
    floating dtype: spread over x's shape it is an array of x's dtype (float32 stays
    float32), as NumPy's arithmetic between a Python number and x would give."""
    if type(g) is float and isinstance(x, np.ndarray) and x.dtype.kind in "fc":
        return np.asarray(g, dtype=x.dtype)
    return g


def _widened(g, target):
    """``g`` broadcast to ``target``; the scalar zero adjoint times an operand (``0.0 *
    x``) has the operand's shape, which need not broadcast to the target: it is zeros."""
    try:
        return np.broadcast_to(g, target)
    except ValueError:
        if np.any(g):
            raise
        return np.zeros(target, dtype=np.result_type(g, 1.0))


def broadcast_like(t, y):
    """A derivative ``t`` widened to the shape of its primal ``y`` (a tangent after a zero
    input was dropped, an adjoint that is still the scalar zero). A list or tuple ``t``
    for an array ``y`` (the tangent of ``z + x`` for a list ``x``) is read as the array
    it stands for, as NumPy read ``x`` (was: the list, which the next rule's arithmetic
    repeated or refused, `2.0 * dz`)."""
    if isinstance(y, (tuple, list, dict)):
        return zeros_like(y) if _scalar_zero(t) else t
    if t.__class__ is list or t.__class__ is tuple:
        # the caller's list of numbers as the tangent of an array that NumPy made of it
        # (np.add(xs, w)): an array, which the next rule computes with (was: the list
        # passed on where the shapes matched, and `-dt1` of it raised)
        t = np.asarray(t)
    shape = _shape(y)
    if _shape(t) == shape:
        return t
    return np.broadcast_to(_weak(t, y), shape)


def require_scalar(value, filename=None, lineno=None, derivative=False):
    """``grad`` differentiates a scalar: refuse an array output instead of summing it,
    at the user's return statement (``filename``, ``lineno``) when it is known; for the
    output of a ``derivative`` (``tl.grad(tl.grad(f))``), at the user's ``def``."""
    require_number(value, "grad", "a number")
    if not derivative:
        require_real_output(value, filename, lineno)
    if getattr(value, "ndim", 0) != 0 or isinstance(value, (tuple, list)):
        message = f"grad needs a scalar output, got {_output_kind(value)}"
        hint = "use tl.vjp(f)(*args, seed) for non-scalar outputs, or reduce it (np.sum, np.mean)"
        if derivative:
            message += (", the output of a derivative (the gradient of an array or list "
                        "argument, or a tuple of gradients)")
            hint = ("for second derivatives use tl.hessian(f), tl.hvp(f)(*args, v) or "
                    "tl.jacobian(tl.grad(f)); tl.vjp(tl.grad(f)) takes a seed shaped like "
                    "the gradient")
        if lineno is None:
            raise TypeError(f"{message}; {hint}")
        raise NonScalarOutput(message, filename, lineno, hint)


def require_real_output(value, filename=None, lineno=None, derivative=False):
    """A function whose output is a truth value (``x > 0``, ``np.all(...)``) or an
    integer NumPy computed (``np.argmax(x)``, a count of bools) is not a number to
    differentiate: its derivative would be zeros, silently, whatever the user meant.
    Refused at the user's return statement in every mode (reverse and forward place it
    where the output carries no derivative, and grad's require_scalar on each path).
    A Python int passes: it is a constant written in the code (``return 0``); so does
    the output of a ``derivative`` derived again (its zeros, at a higher order)."""
    if value.__class__ is float or derivative:
        return
    what = _truth_or_integer(value)
    if what is None:
        return
    message = (f"the function returns {what}, not a number to differentiate "
               "(its derivative is zero wherever it is defined)")
    hint = ("return the real-valued quantity the truth value or integer is computed "
            "from (for example a sum of floats instead of a count), or compute it "
            "outside the differentiated function; float(...) of it makes the zero "
            "derivative explicit")
    raise NoNumberReturned(message, filename, lineno, hint)


def _truth_or_integer(value):
    """A description of ``value`` when it is a bool, a NumPy bool or integer, an array
    of them, or a tuple or list holding one; None otherwise."""
    if isinstance(value, (tuple, list)):
        for part in value:
            what = _truth_or_integer(part)
            if what is not None:
                return f"{what} in its {type(value).__name__}"
        return None
    if isinstance(value, (bool, np.bool_)):
        return f"a truth value ({value!r})"
    if isinstance(value, np.integer):
        return f"an integer ({value!r})"
    if isinstance(value, np.ndarray) and value.dtype.kind in "biu":
        kind = "truth values" if value.dtype.kind == "b" else "integers"
        return f"an array of {kind} ({value.dtype}, shape {value.shape})"
    return None


def require_number(value, mode: str, needs: str):
    """Refuse None, a string or another object that is not a number (an object of the
    user's class, a function) as the output of the path taken: its derivative would be
    zeros, silently, or fail inside the derivative (the one check behind require_scalar,
    require_seed, require_output)."""
    if not isinstance(value, _OUTPUTS):   # (None and strings among them)
        got = repr(value) if value is None or isinstance(value, (str, bytes)) else \
            f"an object of class {type(value).__name__}"
        raise at_user_def(TypeError(
            f"{mode} needs {needs} as the function's output, got {got}: "
            "the path taken returns no number (check the arguments' types, "
            "and that every path of the function returns a value)"))


# what an output may be (require_number): numbers (NumPy's too), arrays, containers
_OUTPUTS = (float, int, np.ndarray, np.generic, tuple, list, dict, numbers.Number)


def _output_kind(value) -> str:
    """"an output of shape (3,)", or for a tuple or list whose parts differ in shape
    (which np.shape cannot take) "a list of 2 parts"."""
    try:
        return f"an output of shape {np.shape(value)}"
    except ValueError:
        return f"a {type(value).__name__} of {len(value)} parts"


def require_assigned(names, *values):
    """Put by normalize before a return whose value reads a variable that a path may
    leave unassigned: the read itself raises UnboundLocalError there, as in the
    function. A derivative that saves the variable's values first sets it to None
    (reverse.py), so None is unassigned too for the names given in ``names`` (one per
    value, None for a variable the function itself may set to None)."""
    for name, value in zip(names, values):
        if value is None and name is not None:
            raise UnboundLocalError(
                f"cannot access local variable {name!r} where it is not associated with "
                f"a value" if sys.version_info >= (3, 11) else
                f"local variable {name!r} referenced before assignment")


def require_returned(value, derivative, /, *args, **kwargs):
    """After ``t = h(x)`` in a reverse-mode derivative, where a path of the user's ``h``
    returns no number: None means the path taken is one, and h's ``derivative``, run on
    the same arguments, raises NoNumberReturned at h's line, as jvp does (the caller
    would compute with None: `h(x) * 2.0`, Python's TypeError)."""
    if value is None:
        derivative(*args, **kwargs)


def returns_no_number(filename, lineno, message, hint):
    """Put by normalize at the start of a path that returns no number (exits.py): taking
    it is an error at its line, in every mode."""
    raise NoNumberReturned(message, filename, lineno, hint)


def require_tangents(tangents, names):
    """``jvp`` with a tuple ``wrt`` takes one tangent per argument in a tuple (or list):
    refuse another structure instead of failing on an index, or ignoring extra ones."""
    if not isinstance(tangents, (tuple, list)) or len(tangents) != len(names):
        given = (f"a {type(tangents).__name__} of {len(tangents)}"
                 if isinstance(tangents, (tuple, list)) else f"a {type(tangents).__name__}")
        raise at_user_def(TypeError(
            f"jvp: wrt names {len(names)} arguments ({', '.join(names)}), so the "
            f"tangent must be a tuple of {len(names)} tangents, one per "
            f"argument, not {given}"))


def require_tangent(tangent, value, name):
    """``jvp``'s tangent of the argument ``name`` must be shaped like it (a list, tuple or
    dict like it for a container): a smaller one would broadcast into a wrong result
    (the tangent ``1.0`` of a vector gave ``np.sum(x)`` the derivative 1.0), and None or
    a string would fail inside the derivative. The tangent, as the derivative reads it:
    the scalar zero, which stands for zeros, becomes zeros like an array or a
    container (the derivative may index it); anything else is passed as it was given
    (a list of numbers stays one: NumPy's rules read it as an array, template.list_safe)."""
    problem = _tangent_problem(tangent, value)
    if problem is None:
        if _zero_seed(tangent) and (isinstance(value, (list, tuple, dict)) or
                                    isinstance(value, np.ndarray) and value.ndim):
            return zeros_like(value)
        if (tangent.__class__ is float or tangent.__class__ is int) and isinstance(
                value, (np.floating, np.ndarray)) and value.dtype.kind == "f":
            # a Python number as the tangent of a NumPy float or a 0-d array: of the
            # argument's kind, as NumPy's arithmetic reads it beside the caller's list
            # (`ds / xs` of a Python float ds and a list xs raised where `s / xs` worked)
            return np.asarray(tangent, dtype=value.dtype) if isinstance(value, np.ndarray) \
                else value.dtype.type(tangent)
        return tangent
    if tangent is None or isinstance(tangent, (str, bytes)) or _not_numbers(tangent):
        raise at_user_def(TypeError(
            f"jvp: the tangent of `{name}` must be a number or an array shaped "
            f"like `{name}` (a list, tuple or dict like it for a container), "
            f"not {_not_numbers(tangent) or repr(tangent)}"))
    raise at_user_def(ValueError(
        f"jvp: the tangent of `{name}` {problem}: give a tangent shaped like "
        f"the argument"))


def _tangent_problem(tangent, value):
    """What is wrong with ``tangent`` as the tangent of ``value`` (None: nothing)."""
    if _zero_seed(tangent):
        return None
    if tangent is None or isinstance(tangent, (str, bytes)):
        return f"is {tangent!r}"
    if isinstance(value, dict):
        if not isinstance(tangent, dict) or tangent.keys() != value.keys():
            return (f"has {_structure(tangent)}, but the argument is a dict with the keys "
                    f"{sorted(map(str, value))}")
        parts = [(tangent[k], value[k]) for k in value]
    elif isinstance(value, (list, tuple)) and isinstance(tangent, (list, tuple, dict)):
        if isinstance(tangent, dict) or len(tangent) != len(value):
            return (f"has {_structure(tangent)}, but the argument is a "
                    f"{type(value).__name__} of {len(value)}")
        parts = list(zip(tangent, value))
    else:
        try:
            shape = np.shape(value)
        except ValueError:   # a list or tuple of parts of different shapes
            return (f"has {_structure(tangent)}, but the argument is a "
                    f"{type(value).__name__} of {len(value)} parts")
        if np.shape(tangent) != shape:
            return f"has shape {np.shape(tangent)}, but the argument has shape {shape}"
        what = _not_numbers(tangent)
        return None if what is None else f"is {what}"
    for part_tangent, part in parts:
        problem = _tangent_problem(part_tangent, part)
        if problem is not None:
            return f"has a part that {problem}"
    return None


def _structure(value) -> str:
    if isinstance(value, dict):
        return f"a dict with the keys {sorted(map(str, value))}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"shape {np.shape(value)}"


def require_seed(value, seed):
    """``vjp`` differentiates ``<seed, f(*args)>``: the seed must have the structure and
    shape of the output (a smaller one would broadcast into a gradient of the wrong
    shape). Returns the seed; the scalar zero as the seed of a tuple output becomes a
    tuple of zeros (the derivative reads its parts; a caller's derivative passes the
    scalar zero when it does not use the result on the path taken)."""
    require_number(value, "vjp", "a number, an array or a tuple of them")
    if _zero_seed(seed):
        return _zeros_of_parts(value) if isinstance(value, tuple) else seed
    if isinstance(value, (tuple, list)) and isinstance(seed, np.ndarray) and seed.ndim \
            and len(seed) == len(value):
        # the adjoint of np.array(items) / np.stack(items) of the returned items: one row
        # per item (a caller's derivative passes it to a helper returning a list)
        seed = list(seed)
    if isinstance(value, (tuple, list)):
        # (the adjoint of a list may be shorter: the seeds of its last items, see add_grads)
        if not isinstance(seed, (tuple, list)) or len(seed) != len(value) and not (
                isinstance(value, list) and len(seed) < len(value)):
            raise at_user_def(ValueError(
                f"vjp: the output is a {type(value).__name__} of {len(value)}, so the seed "
                f"must be a tuple of {len(value)} seeds, one per part, not {_described(seed)}"))
        for part, part_seed in zip(value[len(value) - len(seed):], seed):
            require_seed(part, part_seed)
    else:
        require_seed_shape(np.shape(value), seed)
    return seed


def _zeros_of_parts(value):
    """The scalar zero for each part of a tuple (of tuples) output."""
    return tuple(_zeros_of_parts(part) if isinstance(part, tuple) else 0.0
                 for part in value)


def require_seed_shape(shape: tuple, seed):
    """``require_seed`` of an output whose shape is known beforehand. Returns the seed;
    the scalar zero as the seed of an array output becomes zeros of its shape (a
    caller's derivative passes it when it does not use the result on the path taken)."""
    if type(seed) is not float and (seed is None or isinstance(seed, (str, bytes))
                                    or _not_numbers(seed)):
        raise at_user_def(TypeError(
            f"vjp: the seed must be a number or an array shaped like the output (a tuple of "
            f"them for a tuple output), not {_not_numbers(seed) or repr(seed)}"))
    if isinstance(seed, (list, tuple)):
        raise at_user_def(TypeError(
            f"vjp: the output is an array of shape {shape}, so the seed must be "
            f"an array of that shape, not a {type(seed).__name__}: pass "
            f"np.asarray(seed)"))
    if np.shape(seed) != shape:
        if _zero_seed(seed):
            return np.zeros(shape)
        raise at_user_def(ValueError(
            f"vjp: the seed has shape {np.shape(seed)}, but the output has "
            f"shape {shape}: give a seed shaped like the output"))
    return seed


def _not_numbers(x):
    """What makes the array ``x`` (a seed or a tangent) other than an array of numbers:
    text, dates or raw bytes, or the arithmetic of a masked array, an np.matrix or a
    subclass that redefines an operator, where the rules use that of plain arrays (a
    description); None for anything else."""
    if not isinstance(x, np.ndarray):
        return None
    if x.dtype.kind not in "biufcO":
        return f"an array of {x.dtype}"
    if x.dtype.kind == "O":   # an object array: of numbers only (None would fail inside)
        for item in x.flat:
            if not isinstance(item, (int, float, complex, np.number, np.bool_)):
                return f"an object array holding {item!r}"
    if type(x) is np.ndarray:
        return None
    from .entry import _unlike_plain_arrays   # (entry imports the modules that import this)
    return _unlike_plain_arrays(x)


def _zero_seed(seed) -> bool:
    """The scalar zero, which stands for zeros of any shape and structure: a caller's
    derivative passes it to a callee's when the callee's result is not used on the
    path taken (``u = normalize(x)`` read only after an early return not taken), or a
    NumPy float zero (that scalar zero after arithmetic with a NumPy number: ``0.0 *
    np.sin(0.5)``, in a derivative derived again)."""
    return (type(seed) is float or isinstance(seed, np.floating)) and seed == 0.0


def _described(seed) -> str:
    if isinstance(seed, (tuple, list)):
        return f"a {type(seed).__name__} of {len(seed)}"
    return f"one of shape {np.shape(seed)}"


def inplace_guard(value, filename, lineno, message, hint, *others):
    """Before ``x += v`` (or a write into a row read earlier) when another name of
    ``x``'s value is read afterwards: on a number it makes a new value (fine), on an
    array or a list Python changes the object itself, which the derivative cannot
    follow: refuse with ``message`` and ``hint``."""
    if isinstance(value, (np.ndarray, list)) and any(_holds(other, value) for other in others):
        raise TransformError(message, filename, lineno, hint)


def row_guard(value, filename, lineno, message, hint):
    """Before a call of a function that takes an item of its argument and changes it in
    place (``r = z[0]; r += v``): an item of a 1-D array is a number (fine), but a row of
    a 2-D array is a view of it, and an item of a list or dict may be an array or list,
    which the call changes: refuse with ``message`` and ``hint``."""
    if value.__class__ is np.ndarray:
        if value.ndim >= 2:
            raise TransformError(message, filename, lineno, hint)
        return
    items = value.values() if isinstance(value, dict) else value \
        if isinstance(value, (list, tuple)) else ()
    if any(isinstance(item, (np.ndarray, list)) for item in items):
        raise TransformError(message, filename, lineno, hint)


def overlap_guard(array, index, value, filename, lineno, message, hint):
    """Before ``z[index] = v`` where ``v`` may be a view of ``z`` (``z[::2] = z[:3]``):
    NumPy may copy the elements one by one without copying ``v`` first, and then reads
    elements of ``v`` that it has already overwritten; the derivative takes the write as
    if ``v`` were copied first. Whether NumPy's result differs from that depends only on
    the memory layout, so the same write is done on a scratch buffer of that layout
    whose elements are all different (their positions): refuse where the results
    differ. Only when the two arrays share memory (a float array and its view)."""
    if not (isinstance(array, np.ndarray) and isinstance(value, np.ndarray)) \
            or value.size < 2 or array.dtype != value.dtype or array.dtype.kind != "f" \
            or not np.may_share_memory(array, value):
        return
    spans = [_span(a) for a in (array, value)]
    low, high = min(s[0] for s in spans), max(s[1] for s in spans)
    size = array.dtype.itemsize
    if any((s[0] - low) % size for s in spans):   # (not element-aligned: not a float view)
        return
    scratch = np.arange((high - low) // size, dtype=array.dtype)
    a, v = (np.ndarray(x.shape, x.dtype, buffer=scratch, strides=x.strides,
                       offset=x.__array_interface__["data"][0] - low) for x in (array, value))
    expected = a.copy()
    try:
        expected[index] = v.copy()
        a[index] = v
    except (ValueError, IndexError, TypeError):
        return   # (the write itself raises NumPy's error, as in the function)
    if not np.array_equal(a, expected):
        raise TransformError(message, filename, lineno, hint)


def memory_order(a, order, filename, lineno):
    """The index order, ``"C"`` or ``"F"``, in which ``np.ravel(a, order)`` (or
    ``np.reshape``) reads ``a``: ``"A"`` is Fortran order for a Fortran-contiguous ``a``,
    ``"K"`` the order of ``a``'s memory (steps along each axis in decreasing or
    increasing size; a reversed axis counts as its forward one, as NumPy reads it). The
    derivative's arrays do not share a's layout, so its rules are given this order.
    ``"K"`` of a view whose memory is in neither order is refused."""
    if order not in ("A", "K"):
        return order   # ("C", "F"; another value is NumPy's own error at the call)
    a = np.asarray(a)
    if order == "A":
        return "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"
    steps = [abs(s) for n, s in zip(a.shape, a.strides) if n > 1]
    if all(p >= q for p, q in zip(steps, steps[1:])):
        return "C"
    if all(p <= q for p, q in zip(steps, steps[1:])):
        return "F"
    raise TransformError(
        "`order='K'` reads this array in the order of its memory, which is neither C nor "
        "Fortran order here (a view with its axes permuted), and the derivative cannot "
        "follow that order", filename, lineno,
        hint="give `order='C'` or `order='F'`, the order you mean")


def _span(a):
    """(lowest, highest + 1) byte address of the elements of the array ``a``."""
    start = a.__array_interface__["data"][0]
    low = start + sum(min(0, (n - 1) * s) for n, s in zip(a.shape, a.strides))
    high = start + sum(max(0, (n - 1) * s) for n, s in zip(a.shape, a.strides))
    return low, high + a.dtype.itemsize


def check_assertion(ok, message):
    """``assert test, message`` of the user's function: the test is checked when the
    derived function runs, as Python checks it (no derivative flows through it)."""
    if not ok:
        raise AssertionError(message)


_NO_CAUSE = object()


def raise_exception(exc, cause=_NO_CAUSE):
    """``raise exc`` (``raise exc from cause``) of the user's function: raised where the
    derived function runs that path, as Python raises it."""
    if cause is _NO_CAUSE:
        raise exc
    raise exc from cause


def keys_of(d) -> list:
    """The keys of ``d`` in their order: what a loop over ``d.keys()``, ``d.values()`` or
    ``d.items()`` walks (normalize reads ``d[k]`` for each key ``k``)."""
    return list(d.keys())


def require_sequence(seq, filename, lineno):
    """Before a ``for`` loop over a parameter: the loop reads ``seq[i]`` for i below
    ``len(seq)``, which is what Python's loop gives for an array, a list, a tuple or a
    string, but not for a dict (its keys; ``d[0]`` would be a value, or a KeyError) or a
    set: refuse them where the loop is. A number or a 0-d array, which a loop cannot
    walk, raises Python's own error (the derivative's `len(seq)` said *len() of unsized
    object*)."""
    if not isinstance(seq, (list, tuple)) and np.ndim(seq) == 0 and \
            not isinstance(seq, (str, bytes, dict, set, frozenset)):
        iter(seq)   # TypeError: iteration over a 0-d array; 'float' object is not iterable
    if isinstance(seq, (dict, set, frozenset)):
        kind = type(seq).__name__
        raise TransformError(
            f"a `for` loop over a {kind} is not supported in a differentiated function "
            f"(the derivative reads the items by position)", filename, lineno,
            hint="loop over `d.items()`, `d.keys()` or `d.values()`, or over the keys "
            "written in the code (`for k in ('a', 'b'):`)" if kind == "dict" else
            "pass a list or an array")


def require_super(obj, cls, attr, base, filename, lineno):
    """Before ``Model.loss(self, ...)`` written for ``super().loss(...)`` in a method of
    ``cls`` (normalize.super_call): the method Python's ``super()`` finds for ``obj`` is
    ``base``'s (a class of obj's between ``cls`` and ``base`` in its MRO would give
    another, which the derivative does not call)."""
    found = getattr(super(cls, obj), attr, None)
    if getattr(found, "__func__", found) is not inspect.getattr_static(base, attr, None):
        raise TransformError(
            f"`super().{attr}()` of this `{type(obj).__name__}` is not `{base.__name__}."
            f"{attr}`, which the derivative calls (its class puts another class between "
            f"`{cls.__name__}` and `{base.__name__}`)", filename, lineno,
            hint=f"call the method wanted by its name: `{base.__name__}.{attr}(self, ...)`")


def require_items(seq, count, filename, lineno, name, callee):
    """Before ``h(x, *params)`` written ``h(x, params[0], params[1])`` (normalize
    .starred_arity): ``params`` gives exactly the ``count`` positional arguments ``h``
    still takes (else Python's TypeError, as the call would raise), and is read by
    position as its unpacking would (a list, a tuple or an array)."""
    if isinstance(seq, (dict, set, frozenset)) or not hasattr(seq, "__len__"):
        raise TransformError(
            f"`*{name}` of a {type(seq).__name__} is not supported here (it is read by "
            "position)", filename, lineno, hint="pass a list, a tuple or an array")
    if len(seq) != count:
        raise TypeError(f"{callee}() takes {count} more positional argument(s) from "
                        f"`*{name}`, but {len(seq)} were given")


def require_unpacked(seq, least, filename, lineno):
    """Before ``a, *rest = item`` of an item whose length the function does not know
    (``for a, *rest in pairs``), written ``a = item[0]``, ``rest = list(item[1:])``:
    ``item`` has at least ``least`` items, else Python's ValueError, as the unpacking
    would raise (indexing would read the same item twice)."""
    if isinstance(seq, (dict, set, frozenset)) or not hasattr(seq, "__len__"):
        raise TransformError(
            f"starred unpacking of a {type(seq).__name__} is not supported here (it is "
            "read by position)", filename, lineno, hint="unpack a list, a tuple or an array")
    if len(seq) < least:
        raise ValueError(f"not enough values to unpack (expected at least {least}, got "
                         f"{len(seq)})")


def list_copy(x):
    """``x.copy()`` of a parameter the function then appends to or pops from (normalize):
    of a list, a list (``list(x)``); of anything else its own copy (an array's has no
    ``pop`` or ``append``, which raise as they do in the function)."""
    return list(x) if isinstance(x, list) else x.copy()


def field_of(obj, name, filename, lineno):
    """``obj.name`` of a parameter ``obj`` (normalize): a field of a namedtuple (which
    carries a derivative when ``obj`` does: rules/shapes.py), or a constant field of any
    other object (a configuration). ``filename, lineno``: the user's line, for
    field_position."""
    return getattr(obj, name)


def field_position(obj, name, filename, lineno) -> int:
    """The position of the field ``name`` of the namedtuple ``obj`` (the adjoint of
    ``obj.name`` adds there); a TransformError at the user's line for an object of
    another kind, whose fields tangentlike does not differentiate."""
    fields = getattr(type(obj), "_fields", None)
    if isinstance(obj, tuple) and isinstance(fields, tuple) and name in fields:
        return fields.index(name)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj).__name__
        annotated = "; ".join(f"{f.name}: {getattr(f.type, '__name__', f.type)}"
                              for f in dataclasses.fields(obj))
        raise TransformError(
            f"the attribute `.{name}` of a dataclass (`{cls}`) that carries a derivative is "
            f"not supported: tangentlike differentiates the fields of a namedtuple (its "
            f"gradient a namedtuple of the fields' gradients), not of a dataclass, whose "
            f"fields it cannot rebuild as its gradient", filename, lineno,
            hint=f"declare `{cls}` as a typed namedtuple, written as the dataclass is: "
            f"`class {cls}(typing.NamedTuple): {annotated}` instead of "
            f"`@dataclasses.dataclass class {cls}:` (made and read the same way, "
            f"`{cls}(...)`, `obj.{name}`; immutable), or pass the fields as arguments")
    raise TransformError(
        f"the attribute `.{name}` of a value that carries a derivative is supported for "
        f"the fields of a namedtuple only, not of a {type(obj).__name__}: tangentlike "
        "differentiates numbers, arrays, lists, tuples and dicts, not the fields of other "
        "objects", filename, lineno,
        hint=f"pass the field as an argument of its own (`f(x, obj.{name})`), or keep the "
        "values in a namedtuple, a tuple or a dict")


def require_matrix(a, filename, lineno, name):
    """Before a call of an np.linalg function whose rule takes one matrix at a time
    (``np.linalg.eigh``, ``svd``, ...): refuse a stack of matrices, whose derivative the
    rule would get wrong. (Fewer than 2 dimensions: NumPy's own error, from the call.)"""
    if np.ndim(a) > 2:
        raise TransformError(
            f"tangentlike differentiates `{name}` of one matrix (a 2-D array), not of a "
            f"stack of matrices (an array of shape {np.shape(a)})", filename, lineno,
            hint="loop over the matrices (`for m in a:`) and call it on each")


def _holds(other, value) -> bool:
    """Whether ``other`` is ``value``, shares its memory, or is a list, tuple or dict
    holding such an item (``items = [z]`` holds ``z``; so does a dict argument ``d``
    whose ``d["a"]`` is ``z``)."""
    if other is value:
        return True
    if isinstance(other, (list, tuple)):
        return any(_holds(item, value) for item in other)
    if isinstance(other, dict):
        return any(_holds(item, value) for item in other.values())
    return isinstance(other, np.ndarray) and isinstance(value, np.ndarray) and \
        np.shares_memory(other, value)


def indexable_tangent(t):
    """The tangent of a parameter the function indexes, as an array where it is a Python
    number: a number stands for the tangent of a 0-d array or a NumPy scalar (grad's
    seed 1.0, a float given to jvp), which ``x[()]``, ``x[...]`` and ``x[None]`` index;
    ``1.0[()]`` would fail. (A Python float ``x`` has no items: ``f`` raises first.)"""
    if t.__class__ is float or t.__class__ is int:
        return np.asarray(t)
    return t


def list_as_array(x):
    """``x``, or for a list or tuple of numbers the array NumPy reads it as: how the
    derivative of ``b ** xs`` (NumPy's power of a list) reads ``xs``
    (template.list_reader). A number stays a number (``np.asarray`` would make a Python
    float a NumPy one)."""
    if x.__class__ is list or x.__class__ is tuple:
        return np.asarray(x)
    return x


def zeros_like(x):
    """The zero derivative of ``x``: 0.0 for a Python number, an array for an array, 0.0
    for text (a key a loop walks, `for k in ('a', 'b')`, saved and restored with the
    derivative's values: no derivative; an output that is text is refused before)."""
    if isinstance(x, (float, int, str, bytes)):
        return 0.0
    if isinstance(x, list):
        return [zeros_like(v) for v in x]
    if isinstance(x, tuple):
        return tuple(zeros_like(v) for v in x)
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, np.generic) and x.dtype.kind in "fc":   # a NumPy number: one too
        return x.dtype.type(0)   # (np.zeros_like would give a 0-d array)
    try:
        return np.zeros_like(x, dtype=np.result_type(x, 1.0))
    except TypeError:   # an object NumPy has no dtype for: a value with no derivative
        raise at_user_def(TypeError(
            f"a derivative is made of numbers and arrays, but the function computes an "
            f"object of class {type(x).__name__} (returned, or in a list it returns) on "
            "the path taken: return a number, an array or a tuple of them")) from None


def output_zeros_like(value):
    """The tangent of an output that does not depend on the ``wrt`` inputs (jvp): zeros
    like it, once it is known to be a number, an array or a container of them."""
    require_output(value)
    return zeros_like(value)


def require_output(value, tangent=None):
    """``jvp`` differentiates a function that returns numbers: refuse None or a string
    returned on the path taken (the tangent would be zeros, silently); ``tangent``
    passes through."""
    require_number(value, "jvp", "a number, an array or a tuple of them")
    if isinstance(value, (tuple, list)):
        for part in value:
            require_output(part)
    return tangent


def expand_reduced(g, x, axis, keepdims):
    """Reshape the result ``g`` of a reduction over ``axis`` so it broadcasts against x."""
    if axis is None or keepdims:
        return g
    return np.expand_dims(g, axis)


# -- Python numbers at the edges --------------------------------------------------------
# Derivative code divides and raises to powers that may be negative; where both operands
# are Python numbers, Python raises at the edges (ZeroDivisionError, OverflowError) where
# NumPy gives inf or nan with a RuntimeWarning. The rule instantiation (template.py,
# python_number_safe) writes these two helpers only where both operands may be Python
# numbers: arrays never raise, so they take the first line.
def quotient(a, b):
    """``a / b``; where b is a Python zero, NumPy's signed inf (or nan for 0 / 0)."""
    try:
        return a / b
    except ZeroDivisionError:
        return float(np.true_divide(float(a), float(b)))


def power(x, y):
    """``x ** y``; NumPy's value (inf, nan) where Python raises (0.0 to a negative
    power, an overflow) or gives a complex number (a negative base to a fractional
    power of real numbers)."""
    try:
        z = x ** y
    except (ZeroDivisionError, OverflowError):
        return float(np.power(float(x), float(y)))
    if type(z) is complex and not isinstance(x, complex) and not isinstance(y, complex):
        return float(np.power(float(x), float(y)))
    return z


def scaled_power(c, x, e):
    """``c * x ** e`` (with ``power``'s edges), exactly zero where ``c`` is zero. The
    derivative of ``x ** y`` in x is ``scaled_power(y, x, y - 1)``: where y == 0,
    ``x ** 0`` is 1 for every x and its slope is zero, not ``0 * 0.0 ** -1``, which is
    ``0 * inf = nan`` at x == 0 (``x ** k`` with a loop counter k from 0). ``x`` may be
    the list or tuple of numbers that ``np.power`` was given."""
    if x.__class__ is list or x.__class__ is tuple:
        x = np.asarray(x)
    if isinstance(c, np.ndarray) and c.ndim:
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = c * np.power(x, e)
        return np.where(c == 0, 0.0, slope)
    if c == 0:   # (zero with the kind, shape and dtype of c * x ** e)
        return 0.0 * c * x ** (0 * e)
    return c * power(x, e)


def stop_gradient(x):
    """Inside differentiated code: the value of ``x``, treated as a constant."""
    return x


class no_grad:
    """Inside differentiated code, ``with tl.no_grad():`` makes the block's values constants.

    At run time it does nothing at all.
    """

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def in_place(t, z):
    """The new value of ``z`` after ``z op= v``, given ``t = z op v``. On a NumPy array
    Python writes the result into ``z`` itself, which keeps its dtype and shape (a
    float32 ``z *= np.float64(2.0)`` stays float32) and refuses a result it cannot hold,
    as NumPy does; on anything else ``z op= v`` is ``z = z op v``."""
    if not isinstance(z, np.ndarray):
        return t
    if isinstance(t, (list, tuple)):   # (the tangent of `z += x` for a list x: its own)
        t = np.asarray(t)
    if np.shape(t) != z.shape:
        raise ValueError(f"non-broadcastable output operand with shape {z.shape} doesn't "
                         f"match the broadcast shape {np.shape(t)}")
    dtype = np.result_type(t)
    if dtype != z.dtype:
        if not np.can_cast(dtype, z.dtype, "same_kind"):
            raise TypeError(f"Cannot cast ufunc output from {dtype!r} to {z.dtype!r} with "
                            "casting rule 'same_kind'")
        return np.asarray(t, dtype=z.dtype)
    return t if isinstance(t, np.ndarray) else np.asarray(t)   # a 0-d array stays one


def require_method(obj, name, cls, filename, lineno):
    """Put by normalize before ``self.name(...)`` in a method of ``cls``, which the
    derivative calls as ``cls.name(self, ...)`` (the entry guards ``cls.name`` itself):
    the object must find ``name`` where ``cls`` does, not in a subclass that defines its
    own or in the object itself (its derivative would be another's)."""
    if obj.__class__ is cls and name not in getattr(obj, "__dict__", ()):
        return
    found = inspect.getattr_static(obj, name, None)
    if found is not inspect.getattr_static(cls, name, None):
        owner = "the object itself" if name in getattr(obj, "__dict__", ()) else \
            f"its class `{type(obj).__name__}`"
        sub = type(obj)
        module = sys.modules.get(cls.__module__)
        if owner != "the object itself" and issubclass(sub, cls) and \
                getattr(module, sub.__name__, None) is not sub:
            # (calls.method_for_class derives cls's method as the subclass's where the
            # subclass has a name in cls's module: the name the generated code reads)
            raise TransformError(
                f"`.{name}()` of this `{sub.__name__}` is not `{cls.__name__}.{name}`, which "
                f"the derivative calls: `{sub.__name__}` overrides `{name}`, and a method "
                f"of `{cls.__name__}` is differentiated as a subclass's (calling its "
                f"`{name}`) only where the subclass has a global name in the module of "
                f"`{cls.__name__}` ({cls.__module__}), which `{sub.__name__}` "
                f"({sub.__module__}) has not", filename, lineno,
                hint=f"define `{sub.__name__}` in the module of `{cls.__name__}` (or give "
                f"it a name there: `{cls.__module__}.{sub.__name__} = {sub.__name__}`), or "
                f"define the method differentiated in `{sub.__name__}` too, with its own "
                f"body (not a call of `{cls.__name__}`'s)")
        raise TransformError(
            f"`.{name}()` of this `{type(obj).__name__}` is not `{cls.__name__}.{name}`, which "
            f"the derivative calls: {owner} defines another `{name}`", filename, lineno,
            hint=f"differentiate a method of the class whose `{name}` is meant (define the "
            f"method differentiated in `{type(obj).__name__}` too), or call the function "
            f"wanted by its name")


def require_writable(z):
    """Before ``z op= v`` of a variable that may hold a read-only view (``np.diag`` of a
    matrix, ``np.diagonal``, ``np.broadcast_to``): NumPy refuses to write into it, and
    so does the derivative, which computes ``z op v`` as a new value (in_place)."""
    if isinstance(z, np.ndarray) and not z.flags.writeable:
        raise ValueError("output array is read-only")


def astype(x, dtype):
    """``x.astype(dtype)``: the rule registry's handle on the array method. A cast to a
    complex dtype is refused (see entry.complex_message)."""
    if np.dtype(dtype).kind == "c":
        raise TypeError(f"x.astype({np.dtype(dtype)}): tangentlike differentiates "
                        "real-valued code, and its derivative rules are those of real "
                        "arguments, so a gradient through complex values would be wrong: "
                        "keep the real and imaginary parts as separate real arrays")
    if not hasattr(x, "astype"):   # the tangent of a cast that is still the scalar zero
        return np.asarray(x, dtype=dtype)[()]
    return x.astype(dtype)


def cast_back(g, x):
    """The adjoint ``g`` of a cast of ``x`` (``x.astype(float)``, ``np.asarray(x,
    dtype=...)``, ``float(x)``) in x's floating dtype: a gradient has the dtype of its
    argument, so the float32 ``x`` of ``np.sum(x.astype(float) ** 2)`` gets a float32
    gradient; a Python float gets a float (not the float32 that arithmetic with float32
    values makes), also as an item of a list, tuple or dict; a 0-d array a 0-d array
    (not the NumPy number its arithmetic makes) and a NumPy number a NumPy number of its
    dtype. Anything else (an int, an integer array) passes through."""
    if isinstance(x, (list, tuple)):
        return _like_items(g, x)
    if isinstance(x, dict):   # each item as its own (a float beside float32 arrays)
        if isinstance(g, dict):
            if all(k in x and _already_like(v, x[k]) for k, v in g.items()):
                return g   # (the common case, arrays of their items' dtypes: one look each)
            # (each value as a list's item: a float for a float, a 0-d array for one)
            return {k: _item_like(v, x[k]) if k in x else v for k, v in g.items()}
        return g
    if type(x) is float:   # a number: a float, also beside float32 data
        if type(g) is np.ndarray and g.ndim == 0:
            g = g[()]
        if isinstance(g, np.floating) and g.dtype.itemsize < 8:
            return float(g)
        return g
    if type(g) is np.ndarray and g.ndim == 0 and isinstance(x, (float, np.generic)):
        g = g[()]   # a number's gradient is a number
    elif type(x) is np.ndarray and x.ndim == 0 and isinstance(g, (float, int, np.generic)):
        # a 0-d array's gradient is a 0-d array (NumPy's arithmetic makes a NumPy number)
        return np.asarray(g, dtype=x.dtype if x.dtype.kind == "f" else None)
    elif isinstance(x, np.ndarray) and isinstance(g, (list, tuple)):
        g = like(g, x)   # (the adjoint of a gradient that was given back as a list)
    dtype = getattr(x, "dtype", None)
    if dtype is None or dtype.kind != "f" or not isinstance(x, (np.ndarray, np.generic)):
        return g
    if isinstance(g, (np.ndarray, np.generic)):
        return g if g.dtype == dtype else g.astype(dtype)
    if isinstance(g, (float, int)) and (isinstance(x, np.generic) or x.ndim == 0):
        return dtype.type(g)   # (a number of x's dtype, as for a 0-d array's gradient)
    return g   # the scalar zero stays one (shaped gives it x's shape)


def _like_items(g, x):
    """The gradient ``g`` of a list or tuple ``x`` as a list (tuple) like x, each item
    of its item's kind (a Python float for a float): the adjoint of ``np.array(xs)``
    is one array with a row per item."""
    if type(g) is type(x) and len(g) == len(x) and all(map(_already_like, g, x)):
        return g   # (the common case, a list of arrays: one look at each item)
    if isinstance(g, np.ndarray) and g.ndim and len(g) == len(x) or \
            isinstance(g, (list, tuple)) and len(g) == len(x):
        items = [_item_like(gi, xi) for gi, xi in zip(g, x)]
        if isinstance(x, list):
            return items
        # a namedtuple's gradient is a namedtuple of its class (its fields by name)
        return x._make(items) if hasattr(x, "_fields") and hasattr(x, "_make") \
            else tuple(items)
    if (isinstance(g, np.ndarray) and g.ndim or isinstance(g, (list, tuple))) \
            and len(g) > len(x):
        raise TypeError(_SEQUENCE_ARITHMETIC.format(kind=type(x).__name__, n=len(x), m=len(g)))
    return g   # the scalar zero, a stack of the last items' adjoints (shaped pads it)


# A gradient longer than its list argument: the function repeated or joined the list
# (`x * 2`, `x + y`), Python's arithmetic of sequences, which the rules (NumPy's
# elementwise arithmetic) do not follow.
_SEQUENCE_ARITHMETIC = (
    "the gradient of a {kind} argument of length {n} came out with {m} items: the function "
    "applies `*` by an integer or `+` of two sequences to it, which repeats or joins a "
    "{kind} in Python (NumPy computes element by element), and the derivative follows "
    "NumPy's arithmetic: pass an array (`np.asarray(x)`), or convert inside the function "
    "(`x = np.asarray(x)`) before the arithmetic")


def _already_like(g, x) -> bool:
    kind = type(x)
    if type(g) is not kind:
        return False
    if kind is np.ndarray:
        return g.dtype is x.dtype or x.dtype.kind != "f"
    if kind is list or kind is tuple:
        return len(g) == len(x) and all(map(_already_like, g, x))
    return True


def _item_like(g, x):
    if type(x) is float and isinstance(g, (np.ndarray, np.generic)) and np.ndim(g) == 0:
        return float(g)
    return cast_back(g, x)


def add_at(g, x, index):
    """The adjoint of ``x[index]``: zeros shaped like ``x`` with ``g`` added at ``index``.

    Integer-array indices may repeat, so they accumulate with ``np.add.at``. Also the
    adjoint of ``part_of(x, index)``: an entry that a stack of adjoints ``x`` does not
    have was read as 0.0, so nothing flows back to it.
    """
    if isinstance(x, list) and isinstance(index, int) and -len(x) <= index < 0:
        # a list's adjoint is a stack that covers its last elements (add_grads aligns
        # such stacks on the right): entries before the one read are zero, left out
        return [g] + [zeros_like(v) for v in x[len(x) + index + 1:]]
    if isinstance(x, list) and isinstance(index, slice) and index.stop is None \
            and index.step in (None, 1) and isinstance(g, list) and len(g) == len(x[index]):
        return list(g)   # hs[1:]: a stack of the last elements, those before are zero
    if isinstance(x, (list, tuple)) and isinstance(index, (tuple, list, np.ndarray)):
        x = np.asarray(x)   # (a list given to a NumPy function, np.sort(items): an array)
    elif isinstance(x, (list, tuple)):
        out = [zeros_like(v) for v in x]
        if not isinstance(index, int) or -len(out) <= index < len(out):
            out[index] = g
        return out if isinstance(x, list) else tuple(out)   # named tuples: plain tuples
    if isinstance(x, dict):
        out = {k: zeros_like(v) for k, v in x.items()}
        out[index] = g
        return out
    if isinstance(x, float):   # the scalar zero that stands for an adjoint array
        return np.sum(g)
    out = np.zeros(_shape(x), dtype=np.result_type(x, g, 1.0))
    if out.size == 0:   # NumPy reads nothing from an empty array and checks no index
        return out      # there (np.take(np.zeros((0, 0)), [3], axis=1)): nothing flows
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic(index) -> bool:
    if isinstance(index, tuple):
        return all(_is_basic(i) for i in index)
    if isinstance(index, np.ndarray):
        return index.dtype == bool
    return not isinstance(index, list)


def add_grads(a, b):
    """``a + b`` for adjoints that may be containers (tuples, lists, dicts of arrays)."""
    if a.__class__ is np.ndarray and b.__class__ is np.ndarray:
        return a + b   # (the usual case, as below, without the tests of containers)
    if _scalar_zero(b) and isinstance(a, (list, tuple, dict)):
        # the scalar zero (an adjoint not reached, or the tangent of a constant one)
        # added to a container: the container; to an empty stack, the scalar zero, which
        # stands for zeros of any structure (broadcast_like widens a tangent to its list)
        if isinstance(a, list):
            return list(a) if a else 0.0
        return dict(a) if isinstance(a, dict) else a
    if isinstance(a, list) and not a:   # an empty stack of adjoints takes b's entries
        return list(b)
    if isinstance(b, list) and not b:
        return a
    if isinstance(a, list) and isinstance(b, list) and len(b) == 1 and len(a) > 1:
        # the adjoint of the last item added to the stack (a list's last state read
        # in a loop): only the last entry changes
        out = a[:-1]
        out.append(add_grads(a[-1], b[0]))
        return out
    if isinstance(a, list) and isinstance(b, (tuple, list)) and len(a) != len(b):
        # a stack of adjoints covers the last elements of its list: align on the right;
        # the longer one's first entries have nothing to add (the other's are zero)
        short, long_ = (a, b) if len(a) < len(b) else (b, a)
        lead = len(long_) - len(short)
        tail = [add_grads(x, y) for x, y in zip(a[len(a) - len(short):],
                                                  b[len(b) - len(short):])]
        return list(long_[:lead]) + tail
    if isinstance(a, np.ndarray) and isinstance(b, list):
        a, b = b, a
    if isinstance(a, list) and isinstance(b, np.ndarray) and b.ndim and len(a) < len(b):
        # a stack of adjoints of a list's last elements, and the adjoint of the array
        # made of the list (np.array(items)): add each entry to its row (a + b would
        # broadcast a short stack over every row)
        out = b.astype(np.result_type(b, *a), copy=True)
        for row, g in enumerate(a, start=len(b) - len(a)):
            out[row] += g
        return out
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if all(x.__class__ in _FLOATS for x in a) and all(y.__class__ in _FLOATS for y in b):
            # numbers (a list of floats read by index: L-BFGS's alphas): add_grads of two
            # floats is their sum, without its tests per item
            out = [x + y for x, y in zip(a, b)]
        else:
            out = [add_grads(x, y) for x, y in zip(a, b)]
        return out if isinstance(a, list) else tuple(out)
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: add_grads(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k))
                for k in {**a, **b}}
    if isinstance(a, float) and a == 0.0 and not isinstance(b, float) or \
            _scalar_zero(a) and isinstance(b, (list, tuple, dict)):
        return b
    return a + b


_ZERO_F64 = np.zeros(1)
_FLOATS = (float, np.float64)


def own_copy(g):
    """A new array of the values of the adjoint ``g``, for element contributions to add
    into in place: ``g + zeros`` of float64, so a float32 adjoint becomes float64 and a
    complex one stays complex, as ``g + add_at_item(...)`` would make them."""
    return g + _ZERO_F64


def part_of(g, index):
    """``g[index]`` of an adjoint that may still be the scalar zero, or a stack of
    adjoints that never received this entry. A NumPy scalar zero (the scalar zero times
    a float32 number) stands for zeros as the Python one does."""
    if isinstance(g, float) or _scalar_zero(g):
        return g
    if isinstance(g, list) and isinstance(index, int) and not -len(g) <= index < len(g):
        return 0.0   # a stack of adjoints holds the entries of the last elements only
    if isinstance(g, np.ndarray) and g.size == 0:
        return _empty_selection(g, index)
    return g[index]


def _empty_selection(g, index):
    """``g[index]`` of an empty array ``g``, where the primal's selection (``np.take`` of
    an empty array) did not check the indices and NumPy's indexing (2.1 on) does: the
    empty array of the shape the selection has, read from zeros whose indexed axes are
    long enough for the indices."""
    try:
        return g[index]
    except IndexError:
        parts = index if isinstance(index, tuple) else (index,)
        if any(p is Ellipsis or p is None for p in parts):
            raise
        shape = list(g.shape)
        for axis, part in enumerate(parts):
            if isinstance(part, slice):
                continue
            part = np.asarray(part)
            if part.dtype.kind not in "iu" or axis >= len(shape):
                raise
            if part.size:
                shape[axis] = max(shape[axis], int(part.max()) + 1, -int(part.min()))
        return np.zeros(shape, g.dtype)[index]


def _scalar_zero(g) -> bool:
    """The scalar zero, which stands for zeros of any shape: a float 0.0, or a NumPy
    scalar or 0-d array zero (the scalar zero of an adjoint made by arithmetic with a
    NumPy number, ``0.0 * c`` for a float32 ``c``)."""
    if isinstance(g, float):
        return g == 0.0
    return isinstance(g, (np.generic, np.ndarray)) and g.ndim == 0 and g == 0


def aligned_index(g, x, index):
    """The position in ``g``, the adjoint of the list (or tuple) ``x``, of ``x[index]``:
    a list adjoint shorter than x is a stack of the adjoints of x's last entries
    (aligned on the right), so a position counted from the left moves by the missing
    entries (below 0: an entry the stack does not hold, whose adjoint is zero). A slice
    ``x[a:b]`` is the entries the stack holds of it, which are its last ones: the stack
    of their adjoints (was: the slice of the stack counted from the left, so that
    `points[1:][0]` of a two-item list got the empty stack, a zero, in reverse over
    reverse)."""
    if isinstance(g, list) and isinstance(x, (list, tuple)) and len(g) < len(x):
        missing = len(x) - len(g)
        if type(index) is int and 0 <= index:
            index -= missing
            return index if index >= 0 else len(g)   # (part_of gives 0.0 past the end)
        if type(index) is slice and index.step in (None, 1):
            start, stop, _ = index.indices(len(x))
            return slice(max(start, missing) - missing, max(stop, missing) - missing)
    return index


def written_part(g, index):
    """The adjoint of the value ``v`` of an element write ``y[index] = v``, from the
    adjoint ``g`` of y: ``part_of(g, index)``, except that where an integer-array index
    repeats an element only the last write of it lands (NumPy's rule), so only that
    entry of v gets the adjoint."""
    if isinstance(g, np.ndarray) and not _is_basic(index):
        return landed_only(g[index], g, index)
    return part_of(g, index)


def landed_only(v, y, index):
    """``v`` (shaped like ``y[index]``) with zeros where a write ``y[index] = v`` does
    not land: an element that a repeated integer-array index writes again later."""
    if _is_basic(index):
        return v
    order = np.arange(np.size(v)).reshape(np.shape(v))
    slots = np.full(np.shape(y), -1, dtype=order.dtype)
    slots[index] = order   # NumPy's own choice of which repeated write wins
    landed = slots[index] == order
    return v if landed.all() else np.where(landed, v, 0)


def _whole(index) -> bool:
    """Whether ``index`` is ``()`` or ``...``, the index of a 0-d array's element."""
    return index is Ellipsis or isinstance(index, tuple) and (
        not index or all(i is Ellipsis for i in index))


def zero_at(g, index):
    """A copy of the adjoint ``g`` with zeros at ``index`` (the elements an element
    write overwrote carry no derivative back). The scalar zero stays as it is (also as
    a NumPy zero), and so does any number the index cannot apply to: it stands for an
    adjoint still uniform (at second order, the adjoint of that scalar zero, which no
    input depends on)."""
    if g.__class__ is np.ndarray and g.ndim and g.dtype.kind == "f":
        g = g.copy(order="K")   # (the usual adjoint: np.array's copy, without its cost)
        g[index] = 0.0
        return g
    if isinstance(g, float) or _scalar_zero(g) or np.ndim(g) == 0 and not _whole(index):
        return g
    g = np.array(g, dtype=np.result_type(g, 1.0))
    g[index] = 0.0
    return g


def zeros_plus(g, shape):
    """``np.zeros(shape) + g``: ``g`` itself when it is a float64 array of that shape
    (optimize.zeros_from_copies passes only a copy no other name holds, zero_at's)."""
    if g.__class__ is np.ndarray and g.shape == shape and g.dtype == np.float64:
        return g
    return np.zeros(shape) + g


def like(g, x):
    """The adjoint ``g`` as the same kind of value as ``x``: a list for a list, an array
    for an array (adjoints of lists built by ``append`` travel as lists), a scalar for a
    Python number (which ``add_grads`` broadcast, or which stood for a zero container).
    The scalar zero stays as it is."""
    if isinstance(x, float) and not isinstance(g, float):
        return 0.0 if isinstance(g, (list, tuple, dict)) else np.sum(g)
    if isinstance(g, float):
        return g
    if isinstance(x, list) and not isinstance(g, list):
        return list(g)
    if isinstance(x, tuple) and not isinstance(g, tuple):
        if isinstance(g, list) and len(g) < len(x):   # a stack of the last entries
            return tuple(zeros_like(v) for v in x[:len(x) - len(g)]) + tuple(g)
        return tuple(g)
    if isinstance(x, np.ndarray) and isinstance(g, (list, tuple)):
        if x.ndim and 0 < len(g) < len(x) or x.ndim > 1 and any(
                isinstance(v, float) for v in g):
            # the adjoint of a list built by append holds the adjoints of its last
            # entries only (pushed as they were popped): the others are zero; and an
            # entry may still be the scalar zero where the rows are arrays
            out = np.zeros(x.shape, dtype=np.result_type(x, *g, 1.0))
            for i, v in enumerate(g, len(x) - len(g)):
                out[i] = v
            return out
        return np.asarray(g) if len(g) else np.zeros_like(x)
    return g


def seeded(g, seed):
    """The gradients ``g`` a version returns, computed for ``grad``'s seed 1.0, for the
    ``seed`` given: the adjoint is linear in its seed (reverse.seed_factor). A tuple of
    gradients, or the list gradient of a list argument, item by item; a float32 (float16)
    array gradient stays in its dtype, as a version gives it for any seed (cast_back), and
    a 0-d array or NumPy number gradient keeps its type."""
    if isinstance(g, (list, tuple)):
        return type(g)(seeded(item, seed) for item in g)
    if isinstance(g, dict):
        return {key: seeded(item, seed) for key, item in g.items()}
    if g is None:
        return None
    scaled = g * seed
    if type(g) is np.ndarray and g.dtype.kind == "f" and g.dtype != np.float64 \
            and getattr(scaled, "dtype", g.dtype) != g.dtype:
        scaled = scaled.astype(g.dtype)
    if type(g) is np.ndarray and g.ndim == 0 and type(scaled) is not np.ndarray:
        return np.asarray(scaled)   # a 0-d array stays one (its arithmetic makes a number)
    if isinstance(g, np.floating) and isinstance(scaled, (float, np.floating)) \
            and type(scaled) is not type(g):
        return type(g)(scaled)   # a NumPy number's gradient is one of its dtype
    if type(g) is float and isinstance(scaled, np.floating) and scaled.dtype.itemsize < 8:
        return float(scaled)   # a float's gradient is a float (cast_back), whatever the seed
    return scaled


def shaped(g, x):
    """The gradient ``g`` of input ``x`` with x's structure: a zero gradient that stayed
    the scalar 0.0 (or a NumPy 0.0) becomes zeros shaped like ``x``, and the gradient of a scalar ``x``
    (a float, a NumPy scalar) that came out as a 0-d array becomes a scalar."""
    if type(g) is float and not isinstance(x, (float, int)):
        if isinstance(x, (list, tuple, dict)):   # a container keeps its structure
            return zeros_like(x)
        return g + zeros_like(x)
    if isinstance(g, np.generic) and type(x) is np.ndarray and x.ndim:
        return g + zeros_like(x)   # the scalar zero that became a NumPy one (0.0 / t)
    if type(g) is np.ndarray and g.ndim == 0 and isinstance(x, (float, np.generic)):
        return g[()]
    if type(g) is list and isinstance(x, list) and len(g) < len(x):
        # a stack of adjoints holds the last entries' only: the others are zeros
        return [zeros_like(v) for v in x[:len(x) - len(g)]] + g
    return g
