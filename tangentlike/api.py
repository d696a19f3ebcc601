"""The public transformations.

Reverse modes return an entry with the derivative's signature (specialize.py): it calls
the version of the derivative specialized to the kinds and shapes of the arguments
(derived on the first such call), whose first line is a guard; the generic derivative
is ``df.source``. Forward mode returns the generated function itself. Derived functions
are cached by (function, code, closure values, options), so decorating or calling
``tl.grad(f)`` twice does the work once, and a function whose code or closure changes
is derived again.
"""
from __future__ import annotations

import inspect
import threading
import types
import weakref
from typing import Any, Callable, Union

import numpy as np

from .entry import guards_hold
from .pickling import named_for_pickle
from .pipeline import derive, wrt_item

Wrt = Union[int, str, tuple]

_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# Derivations run one at a time (parsing is not safe from several threads at once on
# some CPython versions); calling derived functions takes no lock at all.
_lock = threading.RLock()


def _wrt_key(wrt):
    """``wrt`` with the type of each item, so that ``True`` or ``1.0`` never hit the
    cache entry of ``1`` (they are errors, not positions)."""
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    items = [wrt_item(w) for w in items]   # (np.array(1) is the position 1, and hashable)
    return (isinstance(wrt, (tuple, list)), tuple((type(w), w) for w in items))


def _transform(func, mode: str, wrt, verbose: int, checked: bool = True):
    """The derived function (cached). ``checked=False``: for a call inside a derivative,
    whose arguments are values of the caller, not the user's (calls.py)."""
    key = (mode, _wrt_key(wrt), _code_key(func), checked)
    try:
        per_func = _cache.get(func)
        derived = per_func.get(key) if per_func is not None else None
    except TypeError:   # an unhashable function or wrt: derive() says what is wrong
        derived = None
    if derived is not None and not guards_hold(derived):
        derived = None   # a function it calls through a global was rebound: derive again
    if derived is None:
        with _lock:
            # another thread may have derived it while this one waited: one derivation,
            # one derived function (tl.grad(f) from 8 threads at once gives one object)
            try:
                derived = _cache.get(func, {}).get(key)
            except TypeError:
                derived = None
            if derived is None or not guards_hold(derived):
                derived = derive(func, mode, wrt, checked)
                try:
                    _cache.setdefault(func, {})[key] = derived
                except TypeError:
                    pass
    if verbose:
        print(derived.source)
    return derived


def _code_key(func):
    """What a derivation depends on besides the function object: its code, the
    identity of its closure values (a closure that now holds another function means
    calls resolve differently, so the function is derived again) and of its defaults
    (the derivative's own defaults are the function's when it was derived; it holds
    them, so their identities are not reused while the entry lives)."""
    code = getattr(func, "__code__", None)
    cells = getattr(func, "__closure__", None) or ()
    values = []
    for cell in cells:
        try:
            values.append(id(cell.cell_contents))
        except ValueError:
            values.append(None)
    defaults = tuple(map(id, getattr(func, "__defaults__", None) or ()))
    kwdefaults = tuple((k, id(v)) for k, v in (getattr(func, "__kwdefaults__", None)
                                               or {}).items())
    return (code, tuple(values), defaults, kwdefaults)


def _check_verbose(mode: str, verbose) -> None:
    """``verbose`` is a flag: refuse anything but a bool or an int (``verbose="x"`` was
    taken as true, and a misspelled option's value went unnoticed)."""
    if not isinstance(verbose, (bool, int, np.integer)):
        raise TypeError(f"tl.{mode}: verbose must be True or False (or 1 or 0), "
                        f"not {verbose!r}")


def _decorator(mode: str, func, wrt, verbose):
    _check_verbose(mode, verbose)
    if func is None:
        return _later(mode, lambda f: _transform(f, mode, wrt, verbose))
    method = _of_method(func, wrt, lambda f, w: _transform(f, mode, w, verbose))
    if method is not None:
        return method
    derived = _transform(func, mode, wrt, verbose)
    named_for_pickle(derived, mode, func, wrt)   # (pickle.dumps(tl.grad(f)): by reference)
    return derived


def _user_method(func):
    """(the function, the object) of a method bound to an object (or, a classmethod, to
    a class) whose function is a plain Python function (a derived one too: the
    derivative of a bound method is one), or of an object whose class's ``__call__`` is
    one; else None."""
    if isinstance(func, types.MethodType) and isinstance(func.__func__, types.FunctionType):
        return func.__func__, func.__self__
    if isinstance(func, (types.FunctionType, types.MethodType, type)) or func is None:
        return None
    call = inspect.getattr_static(type(func), "__call__", None)
    held = [v for v in getattr(func, "__dict__", {}).values()
            if isinstance(v, types.FunctionType)]
    if isinstance(call, types.FunctionType) and not held:
        # an object of the user's class with a `__call__` (a model called as `model(x)`):
        # its bound `__call__`; one that keeps a function (a decorator made as a class)
        # is refused with the hint to differentiate that function (parse)
        return call, func
    return None


def _of_method(method, wrt, transform):
    """The derivative of ``obj.method`` (a method of the user's class bound to ``obj``):
    the derivative of the function underneath, ``transform(type(obj).method, wrt)``,
    bound to the object as the method is (so ``.source`` is the function's, and a
    transformation of it is one of a bound method again: higher orders). The object is
    not differentiated: ``wrt`` counts the parameters after ``self`` (a position 0 is the
    first of them), and naming ``self`` is a TransformError. The function's derivative
    is cached by the function (api._transform), not by the object: it takes the object
    as an argument, so another object is never served this one's values, and what the
    body reads of ``self`` (``self.W``, ``self.scale``) is read when it runs, as Python
    reads it. None when ``method`` is not such a method."""
    found = _user_method(method)
    if found is None:
        return None
    func, obj = found
    func = _for_subclass(func, obj)
    return types.MethodType(transform(func, _after_self(func, wrt)), obj)


def _for_subclass(func, obj):
    """``func``, a method of a class at module level, bound to ``obj``: as the method of
    obj's class (calls.method_for_class: ``sub.loss`` of a ``Sub`` that overrides only
    ``predict`` calls ``Sub.predict``)."""
    from .calls import method_for_class
    return method_for_class(func, type(obj))


def _after_self(func, wrt):
    """``wrt`` of a bound method (positions counted after ``self``) as a ``wrt`` of its
    function: a position one more (a negative one counts from the end, the same), a
    name the same; ``self`` itself is refused."""
    from .errors import TransformError
    from .pipeline import wrt_item
    code = func.__code__
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    out = []
    for item in items:
        position = wrt_item(item)
        if isinstance(position, (int, np.integer)) and not isinstance(position, bool):
            after = code.co_varnames[1:code.co_argcount]
            if not -len(after) <= position < len(after):
                raise TransformError(
                    f"`wrt={item!r}` is out of range: the method `{func.__name__}` has "
                    f"{len(after)} positional parameter(s) after the object it is bound to",
                    *_def_line(func), hint=f"choose one of {list(after)}")
            position = position + 1 if position >= 0 else position
        elif params and position == params[0]:
            raise TransformError(
                f"`{position}` is the object the method is bound to, which is not "
                f"differentiated", *_def_line(func),
                hint="wrt counts and names the method's parameters after it; to "
                "differentiate with respect to an attribute of the object, pass it as "
                "an argument")
        out.append(position)
    return type(wrt)(out) if isinstance(wrt, (tuple, list)) else out[0]


def _later(mode: str, transform):
    """What ``tl.<mode>(wrt=...)`` without a function returns: a decorator that applies
    ``transform`` to the one function it is given."""
    def decorate(*functions):
        if len(functions) != 1:
            raise TypeError(f"tl.{mode}() without a function is a decorator: apply it "
                            f"to one function (`@tl.{mode}(wrt=...)` above a def, or "
                            f"`tl.{mode}(f, wrt=...)`), got {len(functions)} arguments")
        return transform(functions[0])
    return decorate


def grad(func: Callable = None, wrt: Wrt = 0, *, verbose: int = 0) -> Callable:
    """The gradient of a scalar-valued function.

    ``tl.grad(f)`` and ``@tl.grad`` / ``@tl.grad(wrt=(0, 'y'))`` return a function that
    takes ``f``'s arguments and returns the gradient with respect to ``wrt`` (a
    position, a parameter name, or a tuple of those; then a tuple of gradients). The
    gradient has the structure of its argument (float for float, array for array).

    The derived function is generated Python; ``df.source`` shows it, ``verbose=1``
    prints it. It takes ``f``'s parameters and then the output's seed, 1.0 by default
    (``tl.grad(f)(x, 2.0)`` of ``f(x, a=1.0)`` sets ``a``). An integer (or integer
    array) passed where ``wrt`` points is a ``TypeError``: it has no derivative.
    """
    return _decorator("grad", func, wrt, verbose)


def value_and_grad(func: Callable = None, wrt: Wrt = 0, *, verbose: int = 0) -> Callable:
    """Like :func:`grad`, but the derived function returns ``(value, gradient)``."""
    return _decorator("value_and_grad", func, wrt, verbose)


def vjp(func: Callable = None, wrt: Wrt = 0, *, verbose: int = 0) -> Callable:
    """The vector-Jacobian product of a function with any output.

    ``tl.vjp(f)(*args, seed)`` returns the gradient of ``<seed, f(*args)>`` with respect
    to ``wrt``: ``seed`` has the structure of ``f``'s output (a tuple for a tuple). The
    seed is always the last positional argument: ``args`` may leave out ``f``'s trailing
    defaulted arguments, as in ``f(*args)``.
    """
    return _decorator("vjp", func, wrt, verbose)


def jvp(func: Callable = None, wrt: Wrt = 0, *, verbose: int = 0) -> Callable:
    """The Jacobian-vector product (forward mode).

    ``tl.jvp(f)(*args, tangent)`` returns the tangent of ``f``'s output when the ``wrt``
    input moves along ``tangent`` (a tuple of tangents for a tuple ``wrt``), always the
    last positional argument (as for :func:`vjp`). The derived code is ``f``'s own code
    with a tangent statement beside each primal statement.
    """
    return _decorator("jvp", func, wrt, verbose)


def _bind_all(func, args, kwargs=None):
    """``args`` completed with ``func``'s defaults (derived functions take them all);
    with ``kwargs``: (positional arguments, keyword-only arguments)."""
    sig = inspect.signature(func)
    bound = sig.bind(*args, **(kwargs or {}))
    bound.apply_defaults()
    return bound.args if kwargs is None else (bound.args, bound.kwargs)


def hvp(func: Callable = None, wrt: Wrt = 0, *, verbose: int = 0) -> Callable:
    """Hessian-vector products, forward over reverse: ``tl.hvp(f)(*args, v)`` returns
    ``H @ v`` (the directional derivative of the gradient along ``v``) with the structure
    of the ``wrt`` input (a tuple of vectors for a tuple ``wrt``)."""
    _check_verbose("hvp", verbose)
    if func is None:
        return _later("hvp", lambda f: hvp(f, wrt, verbose=verbose))
    method = _of_method(func, wrt, lambda f, w: hvp(f, w, verbose=verbose))
    if method is not None:
        return method
    # by name: a negative position would count from the gradient's seed parameter
    tangent_of_gradient = jvp(grad(func, wrt), _wrt_names(func, wrt), verbose=verbose)

    def hessian_vector_product(*args, **kwargs):
        try:
            *primal, v = args
            primal, keywords = _bind_all(func, primal, kwargs)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{hessian_vector_product.__name__}() takes f's arguments "
                            f"followed by the vector v ({exc})") from None
        return tangent_of_gradient(*primal, 1.0, v, **keywords)

    hessian_vector_product.source = tangent_of_gradient.source
    hessian_vector_product.__name__ = f"hvp_{getattr(func, '__name__', 'f')}"
    _made_by(hessian_vector_product, "tl.hvp", func)
    return hessian_vector_product


def _wrt_names(func, wrt):
    """``wrt`` as parameter names, checked as ``grad`` checks it (a TransformError for
    an unknown, repeated or out-of-range one)."""
    from .parse import parse
    from .pipeline import select_wrt
    with _lock:   # (parsing, as deriving, one thread at a time)
        names = select_wrt(parse(func), wrt)
    return tuple(names) if isinstance(wrt, (tuple, list)) else names[0]


def _positional(func, wrt, what: str) -> int:
    """The position of the one parameter ``wrt`` names: ``jacobian`` and ``hessian``
    differentiate a positional parameter (keyword-only ones are passed through)."""
    from .errors import TransformError
    from .parse import parse
    name = _wrt_names(func, wrt)
    with _lock:
        parsed = parse(func)
    params = [a.id for a in parsed.node.args.posonlyargs + parsed.node.args.args]
    if name not in params:
        raise TransformError(
            f"{what} differentiates a positional parameter, and `{name}` is keyword-only",
            parsed.filename, parsed.node.lineno,
            hint=f"make `{name}` a positional parameter, or use tl.vjp/tl.jvp/tl.hvp, "
            "whose derived functions take keyword arguments")
    return params.index(name)


def _input_array(value, func, position: int, what: str):
    """The argument ``jacobian``/``hessian`` differentiate, as an array: a number, an
    array or a (nested) list of numbers. None, a string, a dict or a list of parts of
    different shapes has no Jacobian matrix: an ArgumentTypeError (a TypeError) at the
    ``def`` of ``func`` that says so (was NumPy's error from inside; a plain TypeError
    without the line until edge14)."""
    try:
        x = None if isinstance(value, (dict, str, bytes)) or value is None else \
            np.asarray(value)
    except ValueError:
        x = None
    if x is None or x.dtype == object or x.dtype.kind in "USVMm":
        from .errors import ArgumentTypeError
        name = list(inspect.signature(func).parameters)[position]
        kind = "None" if value is None else f"a {type(value).__name__}" + (
            " of parts of different shapes" if isinstance(value, (list, tuple)) else "")
        if x is not None and x.dtype != object:   # (text, bytes, dates, records)
            kind = f"an array of {x.dtype}" if isinstance(value, np.ndarray) else \
                f"a {type(value).__name__} of {x.dtype} values"
        raise ArgumentTypeError(
            f"{what} differentiates with respect to a number or an array, but `{name}` is "
            f"{kind}: pass the part you need as an argument of its own, or use "
            "tl.grad/tl.vjp/tl.jvp, which take containers", *_def_line(func))
    if x.dtype.kind == "c":   # (refused before the cast to floats warns and drops it)
        from .entry import complex_message, complex_part
        from .errors import ArgumentTypeError
        name = list(inspect.signature(func).parameters)[position]
        raise ArgumentTypeError(complex_message(name, complex_part(value) or
                                                f"an array of {x.dtype}"), *_def_line(func))
    _require_real(value, func, position)
    return x


def _require_real(value, func, position: int) -> None:
    """Refuse an integer (or another value grad refuses where it differentiates) with
    grad's ArgumentTypeError at the ``def`` of ``func``, before ``jacobian`` runs ``func``
    (was the program's own error first: `if n > 0.0` of an integer array)."""
    from .entry import require_real
    from .errors import ArgumentTypeError
    name = list(inspect.signature(func).parameters)[position]
    try:
        require_real(value, name)
    except ArgumentTypeError:
        raise
    except TypeError as exc:   # (no generated code is calling: a plain TypeError)
        raise ArgumentTypeError(str(exc), *_def_line(func)) from None


def _def_line(func) -> tuple:
    """The file and ``def`` line of the user's function (its decorators' lines come
    before it), where errors about its arguments point."""
    from .parse import parse
    with _lock:
        parsed = parse(func)
    return parsed.filename, parsed.node.lineno


def _made_by(result, what: str, func) -> None:
    """Mark a function that jacobian, hessian or hvp return: a Python loop over derived
    functions, which cannot itself be differentiated (parse.py says so)."""
    result.__tangentlike_made_by__ = (what, func)


def jacobian(func: Callable = None, wrt: Wrt = 0, *, mode: str = "auto") -> Callable:
    """The Jacobian: ``tl.jacobian(f)(*args)`` has shape ``out.shape + in.shape``; of a
    number output with respect to a number argument a number of its type, as its
    gradient is.

    ``mode="reverse"`` builds it a row at a time with ``vjp``, ``mode="forward"`` a
    column at a time with ``jvp``; ``"auto"`` picks forward mode when the input has
    fewer elements than the output. A tuple ``wrt`` gives a tuple of Jacobians, and so
    does an output whose parts differ in shape (one per part, a column at a time).
    Keyword arguments are passed on to ``f``.
    """
    if func is None:
        return _later("jacobian", lambda f: jacobian(f, wrt, mode=mode))
    method = _of_method(func, wrt, lambda f, w: jacobian(f, w, mode=mode))
    if method is not None:
        return method
    if mode not in ("auto", "reverse", "forward"):
        raise ValueError(f"jacobian: mode must be 'auto', 'reverse' or 'forward', not {mode!r}")
    if isinstance(wrt, (tuple, list)):
        _wrt_names(func, wrt)   # (refuses an empty or repeated wrt)
        parts = [jacobian(func, w, mode=mode) for w in wrt]
        positions = [_positional(func, w, "tl.jacobian") for w in wrt]

        def jacobians(*args, **kwargs):
            bound = _bind_all(func, args, kwargs)[0]
            for position in positions:   # (all of them before the first part runs func)
                _input_array(bound[position], func, position, "tl.jacobian")
            return tuple(p(*args, **kwargs) for p in parts)
        jacobians.__name__ = f"jacobian_{getattr(func, '__name__', 'f')}"
        _made_by(jacobians, "tl.jacobian", func)
        return jacobians
    position = _positional(func, wrt, "tl.jacobian")
    row_of, column_of = vjp(func, wrt), jvp(func, wrt)

    def jacobian_of(*args, **kwargs):
        args, keywords = _bind_all(func, args, kwargs)
        given = args[position]
        x = _input_array(given, func, position, "tl.jacobian")
        raw = func(*args, **keywords)
        if isinstance(raw, (tuple, list)) and len({np.shape(p) for p in raw}) > 1:
            parts = _jacobians_of_parts(lambda *a: column_of(*a, **keywords), args, x, raw)
            return tuple(_number_if_number(given, part) for part in parts)
        out = np.asarray(raw)
        dtype = _float_dtype(x, out)
        x, out = x.astype(dtype, copy=False), out.astype(dtype, copy=False)
        forward = mode == "forward" or (mode == "auto" and x.size < out.size)
        if forward:
            columns = [np.asarray(column_of(*args, _basis(x, j), **keywords), dtype=dtype)
                       for j in range(x.size)]
            matrix = np.stack(columns, axis=-1) if columns else \
                np.zeros(out.shape + (0,), dtype)
        else:
            rows = [np.asarray(row_of(*args, _basis(out, i), **keywords), dtype=dtype).ravel()
                    for i in range(out.size)]
            matrix = np.stack(rows, axis=0) if rows else np.zeros((0, x.size), dtype)
        return _number_if_number(given, matrix.reshape(out.shape + x.shape))

    jacobian_of.__name__ = f"jacobian_{getattr(func, '__name__', 'f')}"
    _made_by(jacobian_of, "tl.jacobian", func)
    return jacobian_of


def _number_if_number(given, matrix):
    """The Jacobian or Hessian of a number (or 0-d) output with respect to a number
    argument (a Python float, a NumPy number) or a 0-d array, which is its gradient or
    its derivative: of the argument's type and dtype (conventions.md "Types of
    derivatives"); ``matrix`` itself otherwise."""
    if matrix.shape:
        return matrix
    if isinstance(given, (float, np.floating)):
        return type(given)(matrix[()])
    if isinstance(given, np.ndarray) and given.dtype.kind == "f":
        return matrix.astype(given.dtype, copy=False)
    return matrix


def _jacobians_of_parts(column_of, args, x, parts) -> tuple:
    """The Jacobians of an output that is a tuple (or list) of parts of different shapes
    (``return np.sum(x), x * 2.0``): a tuple with one per part, of shape
    ``part.shape + x.shape``, a column at a time with ``jvp``."""
    parts = [np.asarray(p) for p in parts]
    dtype = _float_dtype(x, *parts)
    x = x.astype(dtype, copy=False)
    columns = [column_of(*args, _basis(x, j)) for j in range(x.size)]
    out = []
    for k, part in enumerate(parts):
        if columns:
            matrix = np.stack([np.asarray(c[k], dtype=dtype) for c in columns], axis=-1)
        else:
            matrix = np.zeros(part.shape + (0,), dtype)
        out.append(matrix.reshape(part.shape + x.shape))
    return tuple(out)


def hessian(func: Callable = None, wrt: Wrt = 0) -> Callable:
    """The Hessian of a scalar function: shape ``in.shape + in.shape``, one
    Hessian-vector product (forward over reverse) per input element; of a number
    argument (a float, a NumPy number) a number of its type, as its gradient is."""
    if func is None:
        return _later("hessian", lambda f: hessian(f, wrt))
    method = _of_method(func, wrt, lambda f, w: hessian(f, w))
    if method is not None:
        return method
    if isinstance(wrt, (tuple, list)):
        from .errors import TransformError
        raise TransformError(f"tl.hessian takes one argument in `wrt`, not {wrt!r}",
                             *_def_line(func),
                             hint="for the block of arguments i and j use "
                             "tl.jacobian(tl.grad(f, wrt=i), wrt=j)")
    position = _positional(func, wrt, "tl.hessian")
    product = hvp(func, wrt)

    def hessian_of(*args, **kwargs):
        args, keywords = _bind_all(func, args, kwargs)
        given = args[position]
        x = _input_array(given, func, position, "tl.hessian")
        x = x.astype(_float_dtype(x), copy=False)
        columns = [np.asarray(product(*args, _basis(x, j), **keywords),
                              dtype=x.dtype).reshape(x.shape)
                   for j in range(x.size)]
        matrix = np.stack(columns, axis=-1).reshape(x.shape + x.shape) if columns else \
            np.zeros(x.shape + x.shape, x.dtype)
        return _number_if_number(given, matrix)   # (a number's Hessian is a number)

    hessian_of.__name__ = f"hessian_{getattr(func, '__name__', 'f')}"
    _made_by(hessian_of, "tl.hessian", func)
    return hessian_of


def _float_dtype(*arrays):
    """The dtype of a Jacobian or Hessian: the floating dtype of its arrays (float32 for
    float32 inputs and outputs), float64 when none is floating (integers, complex)."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    return np.result_type(*floats) if floats else np.dtype(float)


def _basis(x, k):
    """The k-th unit vector shaped like x, in x's dtype (a number for a 0-d x: a float
    for float64, a NumPy scalar of x's dtype otherwise)."""
    e = np.zeros(np.shape(x), dtype=x.dtype)
    e.flat[k] = 1.0
    if e.ndim == 0:
        return float(e) if e.dtype == float else e[()]
    return e


def derivative_source(derived: Any) -> str:
    """The generated source of a derived function (same as ``derived.source``)."""
    return derived.source
