"""Calls of the user's own functions: differentiated by derived functions, recursively.

A call ``y = g(a, b)`` of a Python function with source gets no rule: its adjoint is
``ba_, bb_ = dgda_b(a, b, by)``, where ``dgda_b = tl.vjp(g, wrt=<active arguments>)``
is derived by the same pipeline (and cached), and its tangent is
``dy = dgda_b_jvp(a, b, (da, db))``. The callee recomputes its own primal values
inside its derivative (joint mode), so nothing about its internals is stored by the
caller. A function that calls itself refers to its own derived function by name, so
recursion of any data-independent depth works.
"""
from __future__ import annotations

import contextvars
import inspect
import os
import types
import weakref

import gast
import numpy as np

from .naming import walk
from .errors import TransformError, short_filename
from .parse import parse, resolve_static
from .rules.registry import draw_error, is_random_source, iterator_error

# (function, mode, wrt) of the derivations under way in this thread, innermost last.
_under_way: contextvars.ContextVar = contextvars.ContextVar("tangentlike_under_way", default=())


def is_user_function(obj) -> bool:
    return isinstance(obj, types.FunctionType)


class CallSite:
    """A call of a user function, its arguments bound to the callee's parameters."""

    def __init__(self, func: types.FunctionType, positional: list, keywords: dict,
                 active: tuple):
        self.func = func
        self.positional = positional   # an expression for every positional parameter
        self.keywords = keywords       # keyword-only parameter -> expression
        # positions (names, for keyword-only parameters) whose argument carries a derivative
        self.active = active

    def argument(self, position):
        """The expression passed for ``position``, an item of ``active``."""
        return self.keywords[position] if isinstance(position, str) else \
            self.positional[position]


def _wrong_keyword(func, call):
    """The keyword of ``call`` that ``func`` has no parameter for, or that names one the
    positional arguments already give (errors name its own line, also on a continuation
    line of the call); else the call."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return call
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return call
    named = {p.name for p in params if p.kind is not p.POSITIONAL_ONLY}
    taken = {p.name for p in params[:len(call.args)]}
    for kw in call.keywords:
        if (kw.arg not in named or kw.arg in taken) and getattr(kw, "lineno", None):
            return kw
    return call


def _callee_name(call) -> str:
    func = call.func
    parts = []
    while isinstance(func, gast.Attribute):
        parts.append(func.attr)
        func = func.value
    parts.append(func.id if isinstance(func, gast.Name) else "...")
    return ".".join(reversed(parts))


# function -> {subclass: the function as the subclass's method} (method_for_class)
_AS_METHOD_OF: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def method_for_class(func, cls):
    """``func``, a method of a class ``Model`` at module level, as the method of its
    subclass ``cls`` (``Sub.loss`` where ``Sub`` overrides only ``predict``, or
    ``super().loss(...)`` in a method of ``Sub``): a copy of the function marked
    ``__tangentlike_class__ = Sub`` (normalize._defining_class), so that its
    ``self.predict(...)`` calls are ``Sub``'s (normalize.own_method_call, guarded as
    ever: an object whose ``predict`` is another is refused when it runs). One copy per
    function and class, so that its derivatives are cached as the function's are. The
    function itself when ``cls`` is its class or no subclass of it, or has no global
    name in the function's module (the derivative then refuses an object of ``cls``
    whose methods are others when it runs)."""
    from .normalize import _defining_class
    owner = _defining_class(func)
    if owner is None or cls is owner or not issubclass(cls, owner) or \
            "<locals>" in cls.__qualname__:
        return func
    parts = cls.__qualname__.split(".")
    found = func.__globals__.get(parts[0])
    for part in parts[1:]:
        found = getattr(found, part, None)
    if found is not cls:
        return func
    copies = _AS_METHOD_OF.setdefault(func, {})
    copy = copies.get(cls)
    if copy is None or any(getattr(copy, part) is not getattr(func, part) for part in (
            "__code__", "__defaults__", "__kwdefaults__", "__closure__")):
        # (made again when the function was changed since: as Python would run it)
        copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                                  func.__defaults__, func.__closure__)
        copy.__kwdefaults__ = func.__kwdefaults__
        copy.__dict__.update(func.__dict__)
        copy.__annotations__ = dict(func.__annotations__)
        copy.__module__, copy.__doc__ = func.__module__, func.__doc__
        copy.__qualname__ = func.__qualname__
        copy.__tangentlike_class__ = cls   # (a copy's class is that one: cls is owner)
        copies[cls] = copy
    return copy


def bind_call(pass_, value, carries) -> CallSite:
    """Bind the call's arguments to the callee's signature (defaults filled in); a
    method called on ``self`` of a subclass (``method_of``, normalize.class_method_call)
    is derived as that subclass's (method_for_class)."""
    func = value.callee
    method_of = value.__dict__.get("method_of")
    if method_of is not None:
        func = method_for_class(func, method_of)
    made_by = getattr(func, "__tangentlike_made_by__", None)
    if made_by is not None:   # what tl.hessian, tl.jacobian, tl.hvp return
        raise pass_.error(
            f"`{_callee_name(value)}` is the function {made_by[0]} returns, which loops over "
            "derived functions in Python and cannot itself be differentiated", node=value,
            hint="compose the transformations themselves: tl.grad(tl.grad(f)), "
            "tl.jvp(tl.grad(f)), tl.jacobian(tl.grad(f)), given a module-level name and "
            "called by it")
    try:
        sig = inspect.signature(func)
        bound = sig.bind(*value.args, **{k.arg: k.value for k in value.keywords})
    except (TypeError, ValueError) as exc:
        raise pass_.error(f"cannot call `{func.__qualname__}` with these arguments: {exc}",
                          node=_wrong_keyword(func, value)) from None
    positional, keywords = [], {}
    for name, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise pass_.error(f"`{func.__qualname__}` takes *args or **kwargs, which cannot "
                              "be differentiated", node=value, hint="name each argument")
        if name in bound.arguments:
            expr = bound.arguments[name]
        else:
            expr = _default(pass_, func, name, param.default)
        if param.kind == param.KEYWORD_ONLY:
            keywords[name] = expr
        else:
            positional.append(expr)
    # positions, then the names of keyword-only parameters (a `wrt` of the callee)
    active = tuple(i for i, e in enumerate(positional) if carries(e)) + \
        tuple(name for name, expr in keywords.items() if carries(expr))
    return CallSite(func, positional, keywords, active)


def _default(pass_, func, name, default):
    if isinstance(default, (int, float, complex, str, bool, type(None))):
        return gast.Constant(value=default, kind=None)
    binder_name = pass_.binder.name_for(f"{func.__name__}_{name}", default)
    return gast.Name(id=binder_name, ctx=gast.Load(), annotation=None, type_comment=None)


_UFUNC_METHODS = {
    "reduce": "call the NumPy function it stands for, which has rules: np.sum for "
              "np.add.reduce, np.prod for np.multiply.reduce, np.max (np.min) for "
              "np.maximum.reduce (np.minimum.reduce), with the same axis",
    "accumulate": "call the NumPy function it stands for, which has rules: np.cumsum for "
                  "np.add.accumulate, np.cumprod for np.multiply.accumulate, or write it as a "
                  "loop",
    "outer": "broadcast instead: `np.{ufunc}(a[:, None], b[None, :])` (np.outer for "
             "np.multiply.outer)",
    "reduceat": "reduce each slice in a loop (np.sum(x[i:j]), ...)",
}


def ufunc_method_refusal(pass_, primitive, call):
    """The TransformError for a ufunc's method without a rule (``np.add.reduce(x, axis=0)``,
    ``np.maximum.accumulate``, ``np.multiply.outer``), named as written with the function
    to call instead (not "no derivative rule for `ufunc.reduce`", whose hint to register
    one cannot be followed); None for any other call."""
    owner = getattr(primitive, "__self__", None)
    method = getattr(primitive, "__name__", "")
    if not isinstance(owner, np.ufunc) or method not in _UFUNC_METHODS:
        return None
    return pass_.error(f"the ufunc method `np.{owner.__name__}.{method}` has no derivative rule",
                       node=call, hint=_UFUNC_METHODS[method].format(ufunc=owner.__name__))


def attribute_refusal(pass_, primitive, call):
    """The TransformError for ``getattr(obj, "attr")`` (how the normalizer reads
    ``obj.attr`` of a local object: a constant field of a configuration object, say)
    where ``obj`` carries a derivative; None for any other call."""
    if primitive is not getattr or len(call.args) != 2 \
            or not isinstance(call.args[1], gast.Constant):
        return None
    attr = call.args[1].value
    if getattr(call, "aggregate_refusal", None) is not None:
        return call.aggregate_refusal   # (of a namedtuple a helper returned: why)
    return pass_.error(
        f"the attribute `.{attr}` of a value that carries a derivative is not supported: "
        "tangentlike differentiates numbers, arrays, lists, tuples and dicts, not the fields "
        "of other objects; a namedtuple's fields are read where it is an argument, or "
        "where it is built in the function (or by a helper written out into it) and read "
        "only by its fields", node=call,
        hint=f"pass the field as an argument of its own (`f(x, obj.{attr})`), or keep the "
        "values in a tuple or a dict; for a namedtuple a helper returns, call the helper "
        "by its name at the top level of the function (`s = helper(x)`, not "
        "`module.helper(x)`, not in a loop or an `if`), or make it return a tuple and "
        "unpack that (`a, b = helper(x)`)")


def namedtuple_refusal(pass_, primitive, call):
    """The TransformError for building a namedtuple of values that carry a derivative
    where dicts.py could not make it variables (it is returned, passed or unpacked);
    None for any other call."""
    if not (isinstance(primitive, type) and issubclass(primitive, tuple)
            and isinstance(getattr(primitive, "_fields", None), tuple)):
        return None
    return pass_.error(
        f"building the namedtuple `{primitive.__name__}` of values that carry a derivative is "
        f"supported as `p = {primitive.__name__}(...)` at the function's top level, `p` read "
        "only by its fields (`p.w`, `p[0]`), not used as a whole (returned, passed, "
        "unpacked)", node=call,
        hint="read the fields where they are needed, or keep the values in a tuple; a "
        "namedtuple given as an argument is differentiated by its fields")


def dict_refusal(pass_, primitive, call):
    """The TransformError for ``dict(...)`` where dicts.py could not make it variables
    (passed whole, ``h(dict(a=x, b=y))``, or returned): it has no rule, but a dict the
    function builds is supported in the uses it names; None for any other call."""
    if primitive is not dict:
        return None
    return pass_.error(
        "`dict(...)` builds a dict of values that carry a derivative, which is supported "
        "as `d = dict(a=..., b=...)` (or `d = {...}`) at the function's top level, `d` read "
        "by constant keys (`d[\"a\"]`) or passed on as keywords (`h(**d)`), not used as a "
        "whole (passed as one argument, returned)", node=call,
        hint="pass the values as arguments of their own (`h(a, b)`, or `d = dict(a=a, "
        "b=b)` then `h(**d)` for `def h(a, b)`), or return a tuple and unpack it "
        "(`m, v = stats(x)`); a dict given as an argument of the function differentiated "
        "works with any use")


def refusal_without_rule(pass_, primitive, call):
    """The TransformError for a call of ``primitive``, which has no rule, where more is
    to be said than "no derivative rule": an attribute read as a call, a ufunc's method,
    a namedtuple built whole, an iterator outside a loop, a random draw; else None."""
    for refusal in (attribute_refusal, ufunc_method_refusal, namedtuple_refusal,
                    dict_refusal):
        error = refusal(pass_, primitive, call)
        if error is not None:
            return error
    for explained in (iterator_error, draw_error):
        found = explained(primitive)
        if found is not None:
            return pass_.error(found[0], node=call, hint=found[1])
    return None


def derived_call(pass_, site: CallSite, mode: str, node) -> gast.expr:
    """An expression naming the derived function of the callee (vjp or jvp)."""
    from .api import _transform   # the public entry point: cached, recursive

    key = (site.func, mode, (site.active, True))   # tuple results, as derived below
    under_way = _under_way.get()
    if under_way and under_way[-1][0] == key:
        return gast.Name(id=under_way[-1][1], ctx=gast.Load(), annotation=None,
                         type_comment=None)
    if any(k == key for k, _ in under_way):
        raise pass_.error(f"`{site.func.__qualname__}` is part of a mutual recursion, which "
                          "cannot be differentiated yet", node=node,
                          hint="merge the mutually recursive functions into one")
    drawn = draws_at(site.func)
    if drawn is not None:
        where = f"line {drawn[1]}" if drawn[0] == pass_.fn.parsed.filename else \
            f"{short_filename(drawn[0])}:{drawn[1]}"
        raise pass_.error(
            f"`{site.func.__qualname__}` draws random numbers ({where}): its "
            "derivative would run it again and draw other numbers than this call did",
            node=node, hint=f"draw the numbers here and pass them to "
            f"`{site.func.__qualname__}` as an argument")
    try:
        # not checked: an argument may be an int there (`h(max(0, x))`, a sum of no
        # items), a value of the caller to differentiate at, not the user's input
        derived = _transform(site.func, mode, site.active, 0, checked=False)
    except TransformError as exc:
        refusal = getattr(pass_.fn.parsed, "aggregate_refusals", {}).get(site.func)
        if refusal is not None:
            # (a helper returning a dict that was not written out into the caller, whose
            # `return {...}` is refused: inline._AggregateInliner.check_left says why)
            raise refusal from None
        if exc.lineno is None:   # no source: say so at the call site
            raise pass_.error(f"cannot differentiate the call of `{site.func.__qualname__}`: "
                              f"{exc.reason}", node=node, hint=exc.hint) from None
        if _in_library(exc.filename) and not _in_library(pass_.fn.parsed.filename):
            # a function of Python's library or an installed package (copy.deepcopy,
            # statistics.mean): the user's line is the call, not a line inside it
            raise pass_.error(
                f"cannot differentiate the call of `{_name_of(site.func)}`, library code: "
                f"{exc.reason} (at {short_filename(exc.filename)}:{exc.lineno})", node=node,
                hint="compute the value with NumPy functions and your own code, or give "
                "the function a rule (@tl.adjoint) or declare it constant "
                "(tl.nondifferentiable)") from None
        raise
    name = pass_.binder.name_for(derived.__name__, derived)
    node = gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
    # (a path of the callee returns no number: reverse checks the call's value)
    node.returns_nothing = getattr(getattr(derived, "generic", derived), "returns_nothing", False)
    return node


# the methods of NumPy's random generators that draw samples (or seed): a call of one on a
# local variable (a generator the function makes or is given) or on a generator or random
# module a free name holds is kept as it is (normalize.draw); not shuffle and permuted
# (which change their argument), nor f, power and logistic (names of other things too)
RANDOM_DRAWS = frozenset((
    "beta", "binomial", "chisquare", "choice", "dirichlet", "exponential", "gamma",
    "geometric", "gumbel", "hypergeometric", "integers", "laplace", "lognormal",
    "logseries", "multinomial", "multivariate_hypergeometric", "multivariate_normal",
    "negative_binomial", "noncentral_chisquare", "noncentral_f", "normal", "pareto",
    "permutation", "poisson", "rand", "randint", "randn", "random", "random_integers",
    "random_sample", "rayleigh", "seed", "standard_cauchy", "standard_exponential",
    "standard_gamma", "standard_normal", "standard_t", "triangular", "uniform", "vonmises",
    "wald", "weibull", "zipf"))


def draws_at(func, seen=None):
    """(filename, line) of a random draw in ``func`` or in a function of the user's it
    calls, else None. Deriving a call of such a function would be wrong: the caller's
    derivative calls it and then its derivative, which runs its body again and draws
    other numbers than the call did. A draw is a call of a method of NumPy's random
    generators (``np.random.normal``, ``rng.standard_normal``: RANDOM_DRAWS) on
    anything but a generator the function makes itself (``rng = np.random.default_rng(0)``
    draws the same numbers each time)."""
    seen = set() if seen is None else seen
    if func.__code__ in seen:
        return None
    seen.add(func.__code__)
    try:
        parsed = parse(func)
    except TransformError:
        return None   # (its derivative says what is wrong with it)
    made = {t.id for stmt in walk(parsed.node) if isinstance(stmt, gast.Assign)
            and _makes_generator(stmt.value, parsed) for t in stmt.targets
            if isinstance(t, gast.Name)}
    for node in walk(parsed.node):
        if not isinstance(node, gast.Call):
            continue
        target = node.func
        if isinstance(target, gast.Attribute) and target.attr in RANDOM_DRAWS:
            owner = resolve_static(parsed, target.value)
            if not (isinstance(target.value, gast.Name) and target.value.id in made) \
                    and not isinstance(owner, types.ModuleType) or is_random_source(owner):
                return parsed.filename, node.lineno
        callee = resolve_static(parsed, target)
        if is_random_source(getattr(callee, "__self__", None)):
            return parsed.filename, node.lineno
        if is_user_function(callee):
            inner = draws_at(callee, seen)
            if inner is not None:
                return inner
    return None


# NumPy functions that return a new value (never an argument or a view of one), besides
# the ufuncs: a helper returning one of them holds nothing of its arguments
_NEW_VALUES = frozenset((np.sum, np.mean, np.prod, np.dot, np.matmul, np.max, np.min,
                         np.amax, np.amin, np.var, np.std, np.linalg.norm, np.trace,
                         np.inner, np.vdot, np.zeros, np.ones, np.full,
                         np.zeros_like, np.ones_like, np.full_like, np.copy, np.stack,
                         np.concatenate, np.where, np.clip, float, abs, sum, len))


def returns_new(func) -> bool:
    """Whether every value ``func`` returns is new, never one of its arguments or a part
    of one: each return gives arithmetic, a comparison, a constant, a call of a ufunc or
    of _NEW_VALUES (without out=), or a local name assigned only such values (or
    updated by ``+=``). The caller's alias check may then take the result for a value of
    its own (``s = h(a, x); a[0] = 5.0`` changes nothing ``s`` holds)."""
    try:
        parsed = parse(func)
    except TransformError:
        return False

    def new(value) -> bool:
        if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant)):
            return True
        if isinstance(value, gast.Call) and not any(k.arg == "out" for k in value.keywords):
            callee = resolve_static(parsed, value.func)
            return isinstance(callee, np.ufunc) or _in(callee, _NEW_VALUES)
        return False

    assigned = {}
    for node in walk(parsed.node):
        if isinstance(node, gast.Assign):
            for target in node.targets:
                for name in walk(target):
                    if isinstance(name, gast.Name):
                        ok = isinstance(target, gast.Name) and new(node.value)
                        assigned[name.id] = assigned.get(name.id, True) and ok
        elif isinstance(node, (gast.For, gast.AnnAssign, gast.NamedExpr, gast.With)):
            for name in walk(node.target if hasattr(node, "target") else node):
                if isinstance(name, gast.Name) and isinstance(name.ctx, gast.Store):
                    assigned[name.id] = False
    args = parsed.node.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    returns = [node.value for node in walk(parsed.node) if isinstance(node, gast.Return)]
    return bool(returns) and all(
        value is not None and (new(value) or isinstance(value, gast.Name)
                               and value.id not in params and assigned.get(value.id, False))
        for value in returns)


def _in(obj, collection) -> bool:
    """``obj in collection`` for objects that may be unhashable."""
    try:
        return obj in collection
    except TypeError:
        return False


def _makes_generator(value, parsed) -> bool:
    """Whether ``value`` makes a random generator from constants (np.random.default_rng(0))."""
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr in ("default_rng", "RandomState", "Generator") \
        and all(isinstance(a, gast.Constant) for a in value.args) and not value.keywords \
        and is_random_source(resolve_static(parsed, value.func.value))


def _in_library(filename) -> bool:
    """Whether ``filename`` is a file of Python's standard library or of an installed
    package (site-packages), not the user's."""
    if not filename or filename.startswith("<"):
        return False
    import sysconfig
    roots = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    path = os.path.realpath(filename)
    return any(path.startswith(os.path.realpath(root) + os.sep) for root in roots)


def _name_of(func) -> str:
    module = getattr(func, "__module__", None)
    return f"{module}.{func.__qualname__}" if module else func.__qualname__


class under_way:
    """Context manager marking a derivation as under way (for recursive calls)."""

    def __init__(self, func, mode, wrt, name):
        self.entry = ((func, mode, wrt), name)

    def __enter__(self):
        self.token = _under_way.set(_under_way.get() + (self.entry,))
        return self

    def __exit__(self, *exc):
        _under_way.reset(self.token)
        return False


# Methods that change the object they are called on; NumPy functions that change their
# first argument.
MUTATING_METHODS = {"append", "pop", "extend", "insert", "remove", "clear", "sort", "reverse",
                    "fill", "resize", "itemset", "put", "setdefault", "update", "popitem"}
MUTATING_FUNCTIONS = {"copyto", "put", "place", "putmask", "fill_diagonal", "shuffle",
                      "put_along_axis"}


def mutated_parameters(func, _seen=None) -> dict:
    """The parameters a user function changes in place, read from its source:
    ``{name: (kind, lineno, what)}`` with kind ``"changes"`` (``p[i] = v``,
    ``p.append(v)``, ``np.copyto(p, v)``, ``out=p``, or passing ``p`` on to a function
    that does), ``"augmented"`` (``p += v``: in place when ``p`` is an array) or
    ``"row"`` (``r = p[0]; r += v``: in place when ``p`` has rows or items that are
    arrays or lists, a 2-D array, a list of arrays). A
    parameter rebound (``p = p.copy()``) on every path to a statement is the function's
    own there: rebound in both branches of an ``if``, after it; in a loop's body, there
    only (the loop may run no turn). A derivative's ``p[i] = stack.pop()`` puts back
    what its replay of the function overwrote, in the same array: it changes a
    parameter only where that replay did. Functions without source count as changing
    nothing."""
    seen = set() if _seen is None else _seen
    if func in seen:
        return {}
    seen.add(func)
    try:
        parsed = parse(func)
    except TransformError:
        return {}
    args = parsed.node.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    generated = parsed.filename.startswith("<tangentlike ")
    out = {}
    views = {}   # local -> the parameter it may be a view of (`v = p[1:]`, `v = p.T`)
    # local -> the parameter it may be an item of (`r = p[0]`: a number of a 1-D array,
    # but a row of a 2-D one and an item of a list, which `r += v` changes in place)
    rows = {}

    def note(name, kind, node, what, rebound):
        if name in rows and name not in views:
            name, kind = rows[name], "row"
        name = views.get(name, name)
        if name in params and name not in rebound and name not in out:
            out[name] = (kind, getattr(node, "lineno", None), what)

    def statement(stmt, rebound, top) -> set:
        """Note what ``stmt`` (a simple statement, or a compound statement's own
        expressions) changes; the names it rebinds. ``top``: at the body's top level."""
        if generated and _restores(stmt):
            return set()
        for node in walk(stmt):
            if isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) \
                    and isinstance(node.value, gast.Name):
                note(node.value.id, "changes", node, f"`{node.value.id}[...] = ...`", rebound)
            elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
                target = node.target.id
                what = f"`{target} {_AUGMENTED.get(type(node.op), '...')}= ...`"
                if target in views:
                    what += f" on a view of `{views[target]}`"
                note(target, "augmented", node, what, rebound)
            elif isinstance(node, gast.Call):
                _mutating_call(parsed, node, lambda *a: note(*a, rebound), seen)
            elif isinstance(node, gast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], gast.Name):
                base = _view_base(node.value)
                base = views.get(base, base)
                item = _item_base(node.value)
                item = views.get(item, item)
                if base in params and base not in rebound:
                    views[node.targets[0].id] = base
                elif item in params and item not in rebound:
                    rows[node.targets[0].id] = item
                elif node is stmt and top:
                    views.pop(node.targets[0].id, None)
                    rows.pop(node.targets[0].id, None)
        if isinstance(stmt, (gast.Assign, gast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            return {t.id for t in targets if isinstance(t, gast.Name) and t.id not in views
                    and t.id not in rows}
        return set()

    def block(stmts, rebound, top) -> set:
        """The names rebound on every path to the end of ``stmts``."""
        for stmt in stmts:
            if isinstance(stmt, gast.If):
                statement(stmt.test, rebound, top)
                rebound = block(stmt.body, rebound, False) & block(stmt.orelse, rebound, False)
            elif isinstance(stmt, (gast.For, gast.While)):
                statement(stmt.iter if isinstance(stmt, gast.For) else stmt.test, rebound, top)
                # twice: a later turn sees the views the body made (`y[0] = 1.0; y = p`
                # writes into p from the second turn on)
                block(stmt.body, rebound, False)
                block(stmt.body, rebound, False)
                block(stmt.orelse, rebound, False)
            else:
                rebound = rebound | statement(stmt, rebound, top)
        return rebound

    block(parsed.node.body, frozenset(), True)
    return out


def _restores(stmt) -> bool:
    """``z[i] = stack.pop()``: a derivative putting back an element its replay of the
    function overwrote."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Subscript)):
        return False
    value = stmt.value
    return isinstance(value, gast.Call) and not value.args and \
        isinstance(value.func, gast.Attribute) and value.func.attr == "pop" and \
        isinstance(value.func.value, gast.Name)


_AUGMENTED = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.FloorDiv: "//",
              gast.Mod: "%", gast.Pow: "**", gast.MatMult: "@", gast.BitAnd: "&",
              gast.BitOr: "|", gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>"}

# Array methods and NumPy functions whose result may be a view of the array (or the
# array itself), and attributes that are views of it.
VIEW_METHODS = {"reshape", "ravel", "transpose", "squeeze", "swapaxes", "view", "T",
                "diagonal", "real", "imag", "expand_dims", "moveaxis", "flip", "atleast_1d",
                "atleast_2d", "asarray", "atleast_3d", "asanyarray", "ascontiguousarray",
                "asfortranarray", "require", "asarray_chkfinite", "real_if_close", "rot90",
                "fliplr", "flipud", "rollaxis", "broadcast_to", "matrix_transpose",
                "permute_dims"}
VIEW_ATTRIBUTES = {"T", "real", "imag", "mT"}
# methods that give the array itself on a real array (``z.conj() is z``; np.conj(z) is new)
SELF_METHODS = {"conj", "conjugate"}
# functions whose items are views of their first argument (``np.split(z, 2)[0]``)
SPLITTING = {"split", "array_split", "hsplit", "vsplit", "dsplit", "unstack",
             "broadcast_arrays"}


def _view_base(value):
    """The name ``value`` may be a view of, or None: ``p``, ``p[1:]``, ``p.T``,
    ``p.reshape(...)``, ``np.reshape(p, ...)``, ``p.conj()``, ``np.split(p, 2)[0]``.
    (``p[i]`` is a number on a 1-D array and is not followed.)"""
    if isinstance(value, gast.Name):
        return value.id
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
            and _slicing(value.slice):
        return value.value.id
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Call) \
            and isinstance(value.value.func, gast.Attribute) \
            and value.value.func.attr in SPLITTING:
        value = value.value   # np.split(p, 2)[0]: a view of p, as p[:n] is
        return value.args[0].id if value.args and isinstance(value.args[0], gast.Name) \
            else None
    if isinstance(value, gast.Attribute) and value.attr in VIEW_ATTRIBUTES \
            and isinstance(value.value, gast.Name):
        return value.value.id
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
            and value.func.attr in VIEW_METHODS | SELF_METHODS:
        receiver = value.func.value   # p.reshape(...), or np.reshape(p, ...)
        if isinstance(receiver, gast.Name) and receiver.id not in ("np", "numpy"):
            return receiver.id
        if value.func.attr in VIEW_METHODS and value.args \
                and isinstance(value.args[0], gast.Name):
            return value.args[0].id
    return None


def _mutating_call(parsed, node, note, seen):
    func = node.func
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
            and func.attr in MUTATING_METHODS:
        note(func.value.id, "changes", node, f"`{func.value.id}.{func.attr}(...)`")
    for kw in node.keywords:
        if kw.arg == "out" and isinstance(kw.value, gast.Name):
            note(kw.value.id, "changes", node, f"`out={kw.value.id}`")
    if isinstance(func, gast.Attribute) and func.attr in MUTATING_FUNCTIONS and node.args \
            and isinstance(node.args[0], gast.Name):
        note(node.args[0].id, "changes", node, f"`{func.attr}({node.args[0].id}, ...)`")
    if isinstance(func, gast.Name):
        callee = parsed.lookup(func.id, None)
        if is_user_function(callee) and not _has_rule(callee):
            inner = mutated_parameters(callee, seen)
            for name, param in _bound_names(callee, node).items():
                if param in inner and inner[param][0] == "changes":
                    note(name, "changes", node,
                         f"`{func.id}(...)`, which changes its argument `{param}`")


def _has_rule(func) -> bool:
    """Whether ``func`` is a primitive (a rule, or declared constant), not a function the
    derivative derives: its source is not the user's (the runtime's ``add_grads``, which
    a derivative derived again calls, builds new lists and arrays, but its
    ``out = a[:-1]; out.append(...)`` read as a change of ``a`` refused the call)."""
    from . import rules
    return rules.lookup(func) is not None or rules.is_nondifferentiable(func)


def _item_base(value):
    """The name ``value`` is an item of (``p[0]``, ``p[i, 1]``: an index that takes no
    view on its own), or None."""
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
            and not _slicing(value.slice):
        return value.value.id
    return None


def _slicing(index) -> bool:
    """Whether an index takes a view: a slice, ``None`` or ``...`` in it."""
    if isinstance(index, gast.Slice):
        return True
    if isinstance(index, gast.Tuple):
        return any(_slicing(e) for e in index.elts)
    return isinstance(index, gast.Constant) and (index.value is None or index.value is Ellipsis)


def _bound_names(func, call) -> dict:
    """The caller's plain names passed to ``func`` by ``call``: {caller's name: parameter}."""
    try:
        params = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return {}
    out = {}
    for i, arg in enumerate(call.args):
        if isinstance(arg, gast.Name) and i < len(params):
            out[arg.id] = params[i]
    for kw in call.keywords:
        if kw.arg is not None and isinstance(kw.value, gast.Name):
            out[kw.value.id] = kw.arg
    return out
