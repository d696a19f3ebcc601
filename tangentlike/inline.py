"""inline: in a version, a call of a small helper of the user's becomes the helper's body.

``h = _dense(W1, b1, X)`` with ``def _dense(W, b, h): return np.tanh(h @ W + b)``: as a
call, the caller's adjoint calls the helper's derived vjp (calls.py), which computes the
helper's forward pass again (joint mode) and, not knowing the caller's shapes, keeps
the generic ``unbroadcast``/``broadcast_like``; in a loop each turn pays a call of the
vjp. Written out, ``h = np.tanh(X @ W1 + b1)``, every statement has the shapes the
version knows and the reverse pass reuses the forward values. Only versions are
inlined: the generic derivative keeps its calls.

Only where it is surely the same computation:

- the statement is ``target = helper(...)``, ``name op= helper(...)`` or ``return
  helper(...)``, in the body or in the body of an ``if``/``for``/``while`` of it (or
  such a call inside the statement's value that Python evaluates after nothing but
  names, constants and modules' attributes: ``return _mse(p, y) + c``,
  ``np.sum(_sq(x))``; it becomes a statement ``_mse_value = _mse(p, y)`` of its own
  first); the call's function is a global name the caller does not bind (nor its
  closure) that holds a plain ``def`` of the same module (the same globals), without
  closure cells or decorators, not a lambda, a generator, a recursive function, a
  derived function, or a function with a rule or declared constant;
- the helper's body is assignments to plain names (and ``if``s of such) and one
  ``return`` at its end (a docstring allowed), with no lambda, comprehension, ``:=``,
  yield or nested def; it reads a local only after assigning it and changes no
  parameter in place (calls.mutated_parameters); none of its free names is bound in
  the caller (or a closure variable of it), so each means in the caller what it meant
  in the helper;
- or, in a method of a module-level class, the call is ``self.predict(...)`` of the
  method's first parameter (never rebound) and ``predict`` is a plain function (or a
  staticmethod) of that class, of the same module: it is written out with ``self``
  bound to its first parameter, after a statement that normalize makes the check the
  call has, ``require_method(self, 'predict', Model, ...)`` (an object that finds
  another ``predict``, its subclass's or its own, is refused as the call refuses it);
  the entry guards ``Model.predict`` as it guards a called method;
- the arguments bind as Python binds them (keywords, defaults that are numbers,
  strings, booleans or None); no ``*args``/``**kwargs``.

A parameter the helper does not rebind, given a name or a constant, is that name or
constant; any other argument is assigned to a fresh name first, in the order the call
evaluates them. The helper's locals get fresh names (``_dense_z`` for ``z``). Its
statements keep its own lines, so the comments and the errors of the version name the
helper's lines. Helpers that call helpers are inlined to a depth of MAX_DEPTH, and at
most MAX_STATEMENTS statements per version. The version's entry guards each inlined
helper as it guards a called one: a helper rebound since (or its defaults, when used)
derives the function again (entry.rebindable_callees reads ``Parsed.inlined``).
"""
from __future__ import annotations

import copy
import dis
import functools
import inspect
import types

import gast

from .calls import is_user_function, mutated_parameters
from .errors import TransformError, short_filename
from .exits import _always_returns, no_number
from .naming import Transformer, locate, names_in, walk
from .normalize import _defining_class, _global_chain
from .parse import parse
from .rules.registry import is_nondifferentiable, lookup
from .template import substituted

# the most helper statements one version inlines, and how deep helpers calling helpers go
MAX_STATEMENTS = 50
_MISSING = object()   # (a name the caller cannot find: never the helper's object)
MAX_DEPTH = 3

# what a helper's body may not hold
_REFUSED = (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp,
            gast.NamedExpr, gast.Yield, gast.YieldFrom, gast.Await, gast.FunctionDef,
            gast.AsyncFunctionDef, gast.ClassDef, gast.Global, gast.Nonlocal, gast.Starred)

_NOT_PLAIN = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | \
    inspect.CO_VARARGS | inspect.CO_VARKEYWORDS

_SIMPLE_DEFAULTS = (int, float, complex, str, bool, type(None))


def maybe_inlines(func, other_modules: bool = False) -> bool:
    """Whether ``func`` reads a global name that holds a function of its module (of any
    module, with ``other_modules``) without closure cells: a quick test, before parsing,
    that a version may inline something."""
    if getattr(func, "user_def", None) is not None:   # (a derived function)
        return False
    glob, filename = func.__globals__, func.__code__.co_filename
    for name in func.__code__.co_names:
        helper = glob.get(name)
        if is_user_function(helper) and not helper.__closure__ and (other_modules or (
                helper.__globals__ is glob and helper.__code__.co_filename == filename)):
            return True
    cls = _defining_class(func)   # (a method: `self.predict(...)`, a method of its class)
    return cls is not None and any(
        _method_of(cls, name)[0] is not None for name in func.__code__.co_names)


def _method_of(cls, attr: str) -> tuple:
    """(function, whether a staticmethod) that ``obj.attr`` calls for an object of the
    class ``cls`` that finds ``attr`` where ``cls`` does; (None, False) when that is no
    plain function or staticmethod of it (a classmethod, a property, an attribute)."""
    found = inspect.getattr_static(cls, attr, None)
    if isinstance(found, staticmethod):
        return (found.__func__, True) if is_user_function(found.__func__) else (None, False)
    return (found, False) if is_user_function(found) else (None, False)


def inline_helpers(parsed) -> bool:
    """Inline the helper calls of ``parsed.node``'s body in place (see the module
    docstring); set ``parsed.inlined`` to (chain, helper, defaults used) of each one.
    Whether anything was inlined."""
    if getattr(parsed.func, "user_def", None) is not None \
            or parsed.filename.startswith("<tangentlike "):
        return False
    inliner = _Inliner(parsed)
    body = inliner.block(parsed.node.body, (), 0)
    if not inliner.inlined:
        return False
    parsed.node.body = body
    parsed.inlined = tuple(getattr(parsed, "inlined", ())) + tuple(inliner.inlined)
    return True


# the code of the functions inline_aggregate_helpers is inlining into (derivations run one
# at a time: pipeline's lock)
_AGGREGATING: set = set()


def inline_aggregate_helpers(parsed) -> bool:
    """In every mode (parse, before split_dicts): a top-level ``s = stats(x)`` of a
    helper of the same module whose value is a dict display of constant keys (``return
    {"mean": m, "var": v}``) or a namedtuple it builds (``return Stats(m, v)``) is the
    helper's body written out (as a version inlines helpers, with their conditions),
    so that ``s`` is a dict (a namedtuple) the function builds, which split_dicts makes
    one variable per key when it is read only by its keys (``s["mean"]``, ``r.mean``).
    Its derivative would otherwise have to return a dict (or a namedtuple's fields).
    Adds to ``parsed.inlined``; whether anything was inlined."""
    code = parsed.func.__code__
    if getattr(parsed.func, "user_def", None) is not None \
            or parsed.filename.startswith("<tangentlike ") or code in _AGGREGATING \
            or not (maybe_inlines(parsed.func, other_modules=True)
                    or _reads_an_aggregate_helper_of_a_module(parsed.func)):
        return False
    _AGGREGATING.add(code)   # (parsing a helper inlines in it: not in a cycle of them)
    try:
        inliner = _AggregateInliner(parsed)
        body = inliner.block(parsed.node.body, (), 0)
    finally:
        _AGGREGATING.discard(code)
    if not inliner.inlined:
        return False
    parsed.node.body = body
    parsed.inlined = tuple(getattr(parsed, "inlined", ())) + tuple(inliner.inlined)
    return True


class _Inliner:
    def __init__(self, parsed):
        self.parsed = parsed
        node = parsed.node
        # the names the caller binds (or reaches through its closure): a helper whose
        # free names are among them would read the caller's values instead
        self.bound = {n.id for n in walk(node) if n.__class__ is gast.Name
                      and not isinstance(n.ctx, gast.Load)}
        self.bound |= {n.name for n in walk(node)
                       if isinstance(n, (gast.FunctionDef, gast.ClassDef))}
        self.bound |= set(parsed.closure) | set(parsed.func.__code__.co_varnames)
        self.taken = names_in(node)
        self.fresh_names = set()   # the names inlining made
        self.budget = MAX_STATEMENTS
        self.inlined = []
        # whether a helper of another module is written out (its free names must name
        # the same objects in the caller: inline_aggregate_helpers only)
        self.other_modules = False
        # in a method of a module-level class, ``self.predict(...)`` (of its first
        # parameter, never rebound) calls the class's own method: its class and chain
        self.cls = _defining_class(parsed.func)
        self.chain = None if self.cls is None else _global_chain(self.cls, parsed)
        params = node.args.posonlyargs + node.args.args
        self.receiver = params[0].id if self.chain is not None and params else None
        if any(n.__class__ is gast.Name and n.id == self.receiver
               and not isinstance(n.ctx, gast.Load) for s in node.body for n in walk(s)):
            self.receiver = None

    def block(self, body: list, active: tuple, depth: int) -> list:
        out = []
        for stmt in body:
            cls = stmt.__class__
            if cls in (gast.For, gast.While, gast.If):   # (a helper's: only an if)
                stmt.body = self.block(stmt.body, active, depth)
                stmt.orelse = self.block(stmt.orelse, active, depth)
                out.append(stmt)
                continue
            done = self.statement(stmt, active, depth)
            out.extend([stmt] if done is None else done)
        return out

    def statement(self, stmt, active: tuple, depth: int):
        """The statements ``stmt`` inlines to, or None."""
        cls = stmt.__class__
        if cls is gast.Assign or cls is gast.Return or \
                (cls is gast.AugAssign and stmt.target.__class__ is gast.Name):
            call = stmt.value
        else:
            return None
        if depth >= MAX_DEPTH or call is None:
            return None
        helper, static = self.helper_called(call), False
        if helper is None:
            helper, static = self.method_called(call)
        if helper is None:
            return self.hoisted(stmt, active, depth)
        if helper in active:
            return None
        found = self.helper_body(helper)
        if found is None:
            return None
        node, body, ret = found
        method = call.func.__class__ is gast.Attribute
        receiver = [] if static or not method else [call.func.value]
        bound = self.bind(helper, call, receiver)
        if bound is None:
            return None
        arguments, defaults_used = bound
        size = sum(1 for s in body for n in walk(s) if isinstance(n, gast.stmt))
        if size + len(arguments) + 1 > self.budget:
            return None
        self.budget -= size + len(arguments) + 1
        out, names = [], {}
        if method:   # (normalize checks that the object finds the method where its
            # class does, as it does before the call: require_method)
            check = gast.Expr(value=gast.Call(func=copy.copy(call.func), args=[], keywords=[]))
            check.value.inlined_method = self.cls
            locate(check, stmt)
            out.append(check)
        params = [a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
        stored = {n.id for s in body for n in walk(s) if n.__class__ is gast.Name
                  and isinstance(n.ctx, gast.Store)}
        loaded = {n.id for s in body + [ret] for n in walk(s) if n.__class__ is gast.Name
                  and isinstance(n.ctx, gast.Load)}
        values = {}   # parameter -> the constant it is given
        # (`t is None` of a constant would be a SyntaxWarning: such parameters get a name)
        identities = {o.id for s in body + [ret] for n in walk(s)
                      if n.__class__ is gast.Compare
                      and any(op.__class__ in (gast.Is, gast.IsNot) for op in n.ops)
                      for o in [n.left] + n.comparators if o.__class__ is gast.Name}
        for param, expr in arguments:
            if expr.__class__ is gast.Name and param not in stored and param in loaded:
                names[param] = expr.id
                continue
            if _constant(expr) and param not in stored and param not in identities:
                values[param] = expr
                continue
            names[param] = self.fresh(f"{helper.__name__}_{param}")
            assign = gast.Assign(targets=[_name(names[param], gast.Store())], value=expr,
                                 type_comment=None)
            locate(assign, stmt)
            done = self.statement(assign, active, depth)   # (`_pair(x, _twice(x))`)
            out.extend([assign] if done is None else done)
        for local in sorted(stored - set(params)):
            names[local] = self.fresh(f"{helper.__name__}_{local}")
        inner = [substituted(s, values, names) for s in body]
        value = substituted(ret.value, values, names)
        if helper.__globals__ is not self.parsed.globals:
            # (a helper of another file: its statements name the caller's line, where
            # its errors are reported and its comments point)
            for s in inner:
                locate(s, stmt)
            locate(value, stmt)
            ret = stmt
        chain = tuple(self.chain) + (call.func.attr,) if method else (call.func.id,)
        self.inlined.append((chain, helper, defaults_used))
        if cls is gast.Assign and all(t.__class__ is gast.Name for t in stmt.targets):
            last = copy.copy(stmt)   # (`h = value`, at the helper's return line)
            last.value = value
            locate(last, ret, shallow=True)
            out.extend(self.block(inner + [last], active + (helper,), depth + 1))
            return out
        # the returned value at the helper's line, then the caller's statement at its own
        # (its errors: `return` of an array to grad, unpacking, a write's shape). A value
        # returned is named as normalize names one, so the version's seed has the
        # generic derivative's name (specialize.inline_version needs the same)
        result = self.fresh("out" if cls is gast.Return else f"{helper.__name__}_value")
        returned = gast.Assign(targets=[_name(result, gast.Store())], value=value,
                               type_comment=None)
        locate(returned, ret, shallow=True)
        last = copy.copy(stmt)
        last.value = _name(result, gast.Load())
        locate(last.value, stmt)
        out.extend(self.block(inner + [returned], active + (helper,), depth + 1))
        out.append(last)
        return out

    def helper_called(self, call):
        """The helper ``call`` calls by a name the caller does not bind, or None."""
        if call.__class__ is not gast.Call or call.func.__class__ is not gast.Name \
                or call.func.id in self.bound or call.func.id in self.fresh_names:
            return None
        helper = self.parsed.lookup(call.func.id, None)
        return helper if self.plain(helper) else None

    def method_called(self, call) -> tuple:
        """(the method, whether a staticmethod) that ``call``, ``self.predict(...)`` of the
        caller's own object, calls, found on the caller's class; (None, False) otherwise."""
        if call.__class__ is not gast.Call:
            return None, False
        func = call.func
        if func.__class__ is not gast.Attribute \
                or func.value.__class__ is not gast.Name or self.receiver is None \
                or func.value.id != self.receiver:
            return None, False
        helper, static = _method_of(self.cls, func.attr)
        return (helper, static) if self.plain(helper) else (None, False)

    def hoisted(self, stmt, active: tuple, depth: int):
        """The statements of ``stmt`` with the helper calls inside its value that Python
        evaluates after nothing but names, constants and attributes of modules (``z +
        _sq(a)``, ``np.sum(_made(x))``) made statements of their own before it
        (``_sq_value = _sq(a)``), inlined; None when there is none."""
        found = []
        self.first_calls(stmt.value, found)
        out, replaced = [], {}
        for call in found:
            name = self.fresh(f"{_called_name(call.func)}_value")
            assign = gast.Assign(targets=[_name(name, gast.Store())], value=call,
                                 type_comment=None)
            locate(assign, stmt, shallow=True)
            done = self.statement(assign, active, depth)
            if done is None:
                break   # (a call left: what comes after it is evaluated after a call)
            out.extend(done)
            replaced[id(call)] = name
        if not replaced:
            return None
        stmt.value = _Replacer(replaced).visit(stmt.value)
        out.append(stmt)
        return out

    def first_calls(self, node, found: list) -> bool:
        """Append to ``found`` the helper calls of ``node`` that Python evaluates after
        nothing but names, constants, attributes of modules and such calls; whether
        everything ``node`` evaluates is such (else nothing after it is looked at)."""
        cls = node.__class__
        if cls is gast.Name or cls is gast.Constant:
            return True
        if cls is gast.Attribute:
            return self.module(node.value) is not None
        if cls is gast.Tuple or cls is gast.List:
            return all(self.first_calls(e, found) for e in node.elts)
        if cls is gast.Call:
            if self.helper_called(node) is not None \
                    or self.method_called(node)[0] is not None:
                found.append(node)
                return True
            parts = [node.func] + node.args + [k.value for k in node.keywords]
            all(self.first_calls(e, found) for e in parts)
        elif cls is gast.BinOp:
            self.first_calls(node.left, found) and self.first_calls(node.right, found)
        elif cls is gast.UnaryOp:
            self.first_calls(node.operand, found)
        elif cls is gast.Subscript:
            self.first_calls(node.value, found) and self.first_calls(node.slice, found)
        return False   # (an operation: it may raise, or do anything)

    def module(self, node):
        """The module ``node`` (``np``, ``np.linalg``) reads, or None."""
        if node.__class__ is gast.Name:
            found = None if node.id in self.bound else self.parsed.lookup(node.id, None)
        elif node.__class__ is gast.Attribute:
            owner = self.module(node.value)
            found = None if owner is None else getattr(owner, node.attr, None)
        else:
            return None
        return found if isinstance(found, types.ModuleType) else None

    def plain(self, helper) -> bool:
        """Whether ``helper`` is a function this module may inline (its def only)."""
        if not is_user_function(helper) or helper.__name__ == "<lambda>" \
                or helper.__closure__ or (helper.__globals__ is not self.parsed.globals
                                          and not self.other_modules) \
                or helper.__code__.co_flags & _NOT_PLAIN \
                or helper is self.parsed.func \
                or helper.__code__ is self.parsed.func.__code__:
            return False
        for attr in ("user_def", "__tangentlike_generic__", "__tangentlike_made_by__",
                     "entry_checks", "__wrapped__", "__signature__"):
            if hasattr(helper, attr):
                return False
        return lookup(helper) is None and not is_nondifferentiable(helper)

    def helper_body(self, helper):
        """(def, statements before the return, the return) of an inlinable helper, or
        None."""
        try:
            parsed = parse(helper)
        except TransformError:
            return None
        node = parsed.node
        if (parsed.filename != self.parsed.filename and not self.other_modules) \
                or node.decorator_list or parsed.closure or node.args.vararg \
                or node.args.kwarg:
            return None
        body = list(node.body)
        if body and body[0].__class__ is gast.Expr and body[0].value.__class__ is \
                gast.Constant and isinstance(body[0].value.value, str):
            body = body[1:]   # (a docstring)
        if not body or body[-1].__class__ is not gast.Return or body[-1].value is None:
            return None
        ret, body = body[-1], body[:-1]
        params = {a.id for a in node.args.posonlyargs + node.args.args
                  + node.args.kwonlyargs}
        if any(isinstance(n, _REFUSED) for s in body + [ret] for n in walk(s)):
            return None
        locals_ = {n.id for s in body for n in walk(s) if n.__class__ is gast.Name
                   and isinstance(n.ctx, gast.Store)} | params
        free = free_names(body, ret, locals_)
        if free & (self.bound | self.fresh_names):
            return None   # (the caller binds a name the helper reads as a global)
        if helper.__globals__ is not self.parsed.globals and any(
                self.parsed.lookup(n, _MISSING) is not parsed.lookup(n, None) for n in free):
            return None   # (a helper of another module: its names must mean in the
            # caller what they mean in its module, `np` and the namedtuple class)
        assigned = _assigned_first(body, set(params), locals_)
        if assigned is None or _reads(ret.value) & locals_ - assigned:
            return None   # (a local read before it is surely assigned, or a statement
            # other than an assignment or an `if` of such)
        if helper.__name__ in names_in(node.body) or mutated_parameters(helper):
            return None   # (recursive, or changes an argument in place)
        if self.computes_with_nothing(parsed, body + [ret], 0):
            return None   # (a None it is given by a call raises Python's TypeError at
            # its own line, as in every other mode: not the caller's NoNumberReturned)
        self.taken |= names_in(node)
        return node, body, ret

    def computes_with_nothing(self, parsed, stmts: list, depth: int) -> bool:
        """Whether ``stmts`` (a helper's body) call a function of the user's that may
        return no number (a path returning None, or reaching its end), directly or through
        helpers that return what such a call returns. The helper's derivative, or its
        own code where the caller's derivative calls it, computes with that None as
        Python does (its TypeError at the helper's line); written out in the caller, the
        caller's check of the call (NoNumberReturned at the callee) would see it first,
        and the version would raise another error than the generic derivative and jvp."""
        for node in (n for s in stmts for n in walk(s)):
            if node.__class__ is not gast.Call:
                continue
            if node.func.__class__ is gast.Name:
                callee = parsed.lookup(node.func.id, None)
            elif self.cls is not None and node.func.__class__ is gast.Attribute \
                    and node.func.value.__class__ is gast.Name:   # (a method's own method)
                callee = _method_of(self.cls, node.func.attr)[0]
            else:
                continue
            if not is_user_function(callee) or depth > MAX_DEPTH:
                continue
            try:
                inner = parse(callee)
            except TransformError:
                continue
            returns = [n for n in walk(inner.node) if n.__class__ is gast.Return]
            if not _always_returns(inner.node.body) or any(no_number(r.value) for r in returns) \
                    or self.computes_with_nothing(inner, [
                        r for r in returns if r.value.__class__ is gast.Call], depth + 1):
                return True
        return False

    def bind(self, helper, call, receiver=()):
        """[(parameter, expression)] in the order the call evaluates its arguments (the
        defaults left out last), and whether a default was used; None when the call
        does not bind or a default is not a simple constant. ``receiver``: [the object]
        a method is called on, its first argument."""
        if any(a.__class__ is gast.Starred for a in call.args) \
                or any(k.arg is None for k in call.keywords):
            return None
        args = list(receiver) + list(call.args)
        try:
            sig = inspect.signature(helper)
            bound = sig.bind(*args, **{k.arg: k.value for k in call.keywords})
        except (TypeError, ValueError):
            return None   # (the call raises as it is: left to the call)
        by_expr = {id(expr): name for name, expr in bound.arguments.items()}
        order = [by_expr[id(e)] for e in args + [k.value for k in call.keywords]]
        arguments = [(name, bound.arguments[name]) for name in order]
        defaults_used = False
        for name, param in sig.parameters.items():
            if name in bound.arguments:
                continue
            if not isinstance(param.default, _SIMPLE_DEFAULTS):
                return None
            arguments.append((name, _constant_node(param.default)))
            defaults_used = True
        return arguments, defaults_used

    def fresh(self, hint: str) -> str:
        name, i = hint, 0
        while name in self.taken:
            i += 1
            name = f"{hint}_{i}"
        self.taken.add(name)
        self.fresh_names.add(name)
        return name


class _AggregateInliner(_Inliner):
    """The _Inliner of inline_aggregate_helpers: only helpers whose value is a dict
    display of constant keys or a namedtuple they build, only at the top level of the
    body (where split_dicts makes such a value variables) and in the helpers written
    out."""

    def __init__(self, parsed):
        super().__init__(parsed)
        self.other_modules = True

    def block(self, body: list, active: tuple, depth: int) -> list:
        out = []
        for stmt in body:
            if stmt.__class__ in (gast.Assign, gast.Return):
                done = self.statement(stmt, active, depth)
                if depth == 0:   # (the caller's statement, with the calls left in it)
                    self.check_left(stmt if done is None else done[-1], "")
            else:
                done = None
                if depth == 0 and isinstance(stmt, _COMPOUND):
                    self.check_left(stmt, "but this call is inside a loop, an `if`, a "
                                    "`with` or a `try`")
            out.extend([stmt] if done is None else done)
        return out

    def first_calls(self, node, found: list) -> bool:
        # (`stats_nt(x).var`, `stats(x)["var"]`: the call is evaluated first, then its
        # field or key read, which raises nothing that the caller's next call would not)
        if node.__class__ is gast.Attribute and node.value.__class__ is gast.Call \
                and self.helper_called(node.value) is not None:
            found.append(node.value)
            return True
        if node.__class__ is gast.Subscript and node.value.__class__ is gast.Call \
                and node.slice.__class__ is gast.Constant \
                and isinstance(node.slice.value, str) \
                and self.helper_called(node.value) is not None:
            found.append(node.value)
            return True
        return super().first_calls(node, found)

    def method_called(self, call) -> tuple:
        return None, False   # (a method of self is written out in versions only)

    def helper_called(self, call):
        return self.aggregate_helper(super().helper_called(call))

    def helper_of_a_module(self, call):
        """The helper returning a dict display or a namedtuple that ``call`` calls as an
        attribute of a module (``other_module.moments_nt(x)``), which is not written out
        (its names are the module's, not the caller's); None for any other call."""
        func = call.func
        if func.__class__ is not gast.Attribute or func.value.__class__ is not gast.Name \
                or func.value.id in self.bound:
            return None
        module = self.parsed.lookup(func.value.id, None)
        if not isinstance(module, types.ModuleType):
            return None
        helper = vars(module).get(func.attr)   # (not its __getattr__: it may warn)
        return self.aggregate_helper(helper) if self.plain(helper) else None

    def aggregate_helper(self, helper):
        """``helper`` if its value is a dict display of constant keys or a namedtuple it
        builds, else None."""
        if helper is None or not _may_build_an_aggregate(helper):
            return None
        try:
            node = parse(helper).node
        except TransformError:
            return None
        ret = node.body[-1] if node.body else None
        if ret.__class__ is not gast.Return or ret.value is None:
            return None
        value = ret.value
        if value.__class__ is gast.Dict:
            return helper if all(k.__class__ is gast.Constant and isinstance(k.value, str)
                                 for k in value.keys) else None
        if value.__class__ is gast.Call and value.func.__class__ is gast.Name:
            made = helper.__globals__.get(value.func.id)
            if isinstance(made, type) and issubclass(made, tuple) and \
                    isinstance(getattr(made, "_fields", None), tuple):
                return helper
        return None

    def check_left(self, stmt, where: str) -> None:
        """A TransformError at ``stmt`` when it calls a helper returning a dict display
        (or a namedtuple whose fields the function reads) that was not written out: its
        derivative would return a dict (a namedtuple's fields), which is not supported.
        ``where``: where the call is, when that is why (else: the helper's names)."""
        for call in (n for n in walk(stmt) if n.__class__ is gast.Call):
            helper = self.helper_called(call)
            by_module = None
            if helper is None:
                helper = self.helper_of_a_module(call)
                if helper is None:
                    continue
                by_module = call.func.value.id
            ret = parse(helper).node.body[-1]
            if ret.__class__ is not gast.Return or \
                    ret.value.__class__ not in (gast.Dict, gast.Call):
                continue   # (its code was rewritten since: derived on its own)
            kind = "a dict" if ret.value.__class__ is gast.Dict else \
                f"the namedtuple `{ret.value.func.id}`"
            if ret.value.__class__ is not gast.Dict and not self.field_reads(call, helper, ret):
                continue   # (a namedtuple unpacked or returned whole: a tuple)
            name = call.func.id if by_module is None else call.func.attr
            reason, hint = where, (f"call it at the top level, before the loop or the `if` "
                                   f"(`s = {name}(x)`), or make it return a tuple and "
                                   f"unpack it (`a, b = {name}(x)`)")
            if by_module is not None:
                helper_parsed = parse(helper)
                needed = sorted(n for n in _global_reads(helper_parsed.node) | {name}
                                if self.parsed.lookup(n, _MISSING)
                                is not helper_parsed.lookup(n, None))
                reason = (f"but here it is called as an attribute of its module "
                          f"(`{by_module}.{name}(...)`), and only a helper called by its "
                          f"name is written out")
                hint = (f"call `{name}(x)` at the top level of the function" + (
                    f", imported into this module with what it reads (`from "
                    f"{helper.__module__} import {', '.join(needed)}`)" if needed else "")
                    + f", or make it return a tuple and unpack it "
                    f"(`a, b = {by_module}.{name}(x)`)")
            elif not reason:
                helper_parsed = parse(helper)
                differ = sorted(n for n in _global_reads(helper_parsed.node)
                                if self.parsed.lookup(n, _MISSING)
                                is not helper_parsed.lookup(n, None))
                if not differ:
                    continue   # (another condition: the error the call meets is its own)
                names = ", ".join(f"`{n}`" for n in differ)
                reason = (f"but {names}, which it reads, "
                          f"{'is' if len(differ) == 1 else 'are'} not in this module what "
                          f"{'it is' if len(differ) == 1 else 'they are'} in its module "
                          f"`{helper.__module__}`")
                hint = (f"import {names} from `{helper.__module__}` into this module "
                        f"beside `{name}` (`from {helper.__module__} import "
                        f"{', '.join(differ)}`), or make it return a tuple and unpack it "
                        f"(`a, b = {name}(x)`)")
            where_returned = f"{short_filename(helper.__code__.co_filename)}:{ret.lineno}"
            read = '["key"]' if ret.value.__class__ is gast.Dict else ".field"
            error = self.parsed.error(
                f"`{name}(...)` returns {kind} (at {where_returned}): a helper returning a "
                f"dict display or a namedtuple is written out into the function that calls "
                f"it, so that its keys or fields become variables, at the top level of the "
                f"function's body (`s = {name}(x)` or `{name}(x){read}`), {reason}", call,
                hint=hint)
            # raised where the derivative meets it (not here: the function may be parsed
            # only to be called with constants): a dict helper's derivative is refused
            # (calls.derived_call), a namedtuple's field read is (calls.attribute_refusal)
            if ret.value.__class__ is gast.Dict:
                refusals = getattr(self.parsed, "aggregate_refusals", {})
                refusals.setdefault(helper, error)
                self.parsed.aggregate_refusals = refusals
            for node in self.field_reads(call, helper, ret):
                node.aggregate_refusal = error

    def field_reads(self, call, helper, ret) -> list:
        """The reads of a field of the namedtuple ``helper`` returns from ``call`` in the
        function: ``stats_nt(x).var``, or ``s.var`` of an ``s = stats_nt(x)``."""
        if ret.value.__class__ is not gast.Call:
            return []
        cls = helper.__globals__.get(ret.value.func.id)
        fields = set(getattr(cls, "_fields", ()))
        names = {t.id for n in walk(self.parsed.node) if n.__class__ is gast.Assign
                 and n.value is call for t in n.targets if t.__class__ is gast.Name}
        return [n for n in walk(self.parsed.node) if n.__class__ is gast.Attribute
                and n.attr in fields and (n.value is call or n.value.__class__ is gast.Name
                                          and n.value.id in names)]


_COMPOUND = (gast.For, gast.While, gast.If, gast.With, gast.Try)


def _global_reads(node) -> set:
    """The names a function reads that it does not bind (its globals and builtins)."""
    stored = {n.id for n in walk(node) if n.__class__ is gast.Name
              and not isinstance(n.ctx, gast.Load)}
    args = node.args
    stored |= {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    return {n.id for n in walk(node) if n.__class__ is gast.Name
            and isinstance(n.ctx, gast.Load)} - stored


def _reads_an_aggregate_helper_of_a_module(func) -> bool:
    """Whether ``func`` may call ``module.helper(...)`` of a module it reads as a global
    and a helper that may build a dict display or a namedtuple: a quick test, before
    parsing, that _AggregateInliner.check_left may have to say how to call it."""
    glob, names = func.__globals__, func.__code__.co_names
    modules = [glob[n] for n in names if isinstance(glob.get(n), types.ModuleType)]
    # (a module's own names: its __getattr__ may warn, or import)
    return any(is_user_function(vars(m).get(n)) and _may_build_an_aggregate(vars(m)[n])
               for m in modules for n in names)


def _may_build_an_aggregate(helper) -> bool:
    """A quick test, before parsing ``helper``: whether its code builds a dict display
    or reads a global name holding a namedtuple class."""
    glob = helper.__globals__
    return _builds_a_dict(helper.__code__) or any(
        isinstance(glob.get(n), type) and issubclass(glob[n], tuple)
        and hasattr(glob[n], "_fields") for n in helper.__code__.co_names)


@functools.lru_cache(maxsize=1024)
def _builds_a_dict(code) -> bool:
    return any(i.opname in ("BUILD_MAP", "BUILD_CONST_KEY_MAP")
               for i in dis.get_instructions(code))


def free_names(body: list, ret, locals_: set) -> set:
    """The names the helper's statements read that are not its own."""
    return {n.id for s in body + [ret] for n in walk(s) if n.__class__ is gast.Name
            and isinstance(n.ctx, gast.Load)} - locals_


def _reads(expr) -> set:
    return {n.id for n in walk(expr) if n.__class__ is gast.Name}


def _assigned_first(body: list, assigned: set, locals_: set):
    """The locals surely assigned after ``body`` (assignments to plain names and ``if``s
    of such), given those assigned before; None when a statement is something else or
    reads a local that may not be assigned yet (Python's UnboundLocalError)."""
    assigned = set(assigned)
    for stmt in body:
        if stmt.__class__ is gast.Assign and all(_plain_target(t) for t in stmt.targets):
            if _reads(stmt.value) & locals_ - assigned:
                return None
            assigned |= {n.id for t in stmt.targets for n in walk(t)
                         if n.__class__ is gast.Name}
        elif stmt.__class__ is gast.If:
            if _reads(stmt.test) & locals_ - assigned:
                return None
            then = _assigned_first(stmt.body, assigned, locals_)
            other = _assigned_first(stmt.orelse, assigned, locals_)
            if then is None or other is None:
                return None
            assigned = then & other
        else:
            return None
    return assigned


def _plain_target(target) -> bool:
    if target.__class__ is gast.Name:
        return True
    return target.__class__ in (gast.Tuple, gast.List) and all(
        e.__class__ is gast.Name for e in target.elts)


def _called_name(func) -> str:
    """``helper`` of ``helper(...)``, ``predict`` of ``self.predict(...)``."""
    return func.attr if func.__class__ is gast.Attribute else func.id


def _name(name: str, ctx):
    return gast.Name(id=name, ctx=ctx, annotation=None, type_comment=None)


class _Replacer(Transformer):
    """Calls (by id) replaced by names."""

    def __init__(self, names):
        self.names = names

    def visit_Call(self, node):
        if id(node) in self.names:
            return _name(self.names[id(node)], gast.Load())
        return self.generic_visit(node)


def _constant(expr) -> bool:
    """Whether ``expr`` is a constant: reading it again is evaluating it once."""
    if expr.__class__ is gast.UnaryOp and expr.op.__class__ in (gast.USub, gast.UAdd):
        expr = expr.operand
        return expr.__class__ is gast.Constant and type(expr.value) in (int, float)
    return expr.__class__ is gast.Constant


def _constant_node(value):
    """The expression of a default ``value`` (a negative number as ``-number``)."""
    if type(value) in (int, float) and value < 0:
        return gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=-value, kind=None))
    return gast.Constant(value=value, kind=None)
