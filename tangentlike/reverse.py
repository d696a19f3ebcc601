"""reverse: the core language -> a function that computes the adjoint (reverse mode).

Consumes a :class:`~tangentlike.normalize.Normalized` function, its
:class:`~tangentlike.analyze.Activity` and the ``wrt`` parameters. Produces a
``gast.FunctionDef``: the primal statements in order, then the adjoint of each active
statement in reverse order, then ``return`` of the gradients.

Conventions of the generated code:

- ``bx`` holds the adjoint of ``x``. Its first contribution is a plain assignment
  (``bx = ...``), later ones accumulate (``bx = bx + ...``), never in place, so no
  adjoint ever aliases an array the user can see being mutated.
- The seed (output cotangent) is a parameter named after the returned value
  (``bloss`` for ``return loss``, ``bout`` otherwise); ``grad`` gives it the default 1.0.
- A value whose adjoint never received a contribution is zero: its statement's adjoint
  is skipped (zero propagation), and a ``wrt`` input that nothing reached gets
  ``zeros_like``.

Every generated statement carries ``.origin`` (the user's statement) and ``.phase``
(``"primal"`` or ``"adjoint"``) for the comments the emitter writes.
"""
from __future__ import annotations

import builtins
import copy
import operator

import gast

from . import rules
from .analyze import Activity
from .errors import TransformError
from .normalize import BINOPS, UNARYOPS, Normalized
from .runtime import zeros_like
from .template import instantiate


def reverse(fn: Normalized, activity: Activity, wrt: list, mode: str, name: str,
            as_tuple: bool = False) -> gast.FunctionDef:
    """Build the adjoint function (see the module docstring). ``mode`` is one of
    ``"grad"``, ``"value_and_grad"`` or ``"vjp"``; with ``as_tuple`` the gradients are
    returned as a tuple even for one ``wrt`` input."""
    return _Reverse(fn, activity, wrt, mode, as_tuple).build(name)


def _load(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def _store(name):
    return gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)


def _assign(name, value):
    return gast.Assign(targets=[_store(name)], value=value, type_comment=None)


class _Reverse:
    def __init__(self, fn: Normalized, activity: Activity, wrt: list, mode: str,
                 as_tuple: bool):
        self.fn, self.activity, self.wrt, self.mode = fn, activity, wrt, mode
        self.as_tuple = as_tuple
        self.namer, self.binder = fn.namer, fn.binder
        self.adjoint_names = {}   # primal name -> adjoint name
        self.written = set()      # adjoints that hold a value (first write done)
        self.origin = None

    def error(self, message, hint=None):
        return self.fn.parsed.error(message, self.origin, hint)

    def adj(self, name: str) -> str:
        if name not in self.adjoint_names:
            self.adjoint_names[name] = self.namer.adjoint(name)
        return self.adjoint_names[name]

    # -- the function -----------------------------------------------------------
    def build(self, name: str) -> gast.FunctionDef:
        body = self.fn.body
        ret = body[-1]
        primal = [self.mark(copy.deepcopy(s), "primal") for s in body[:-1]]
        seed = self.seed_name(ret.value)
        self.origin = ret.origin
        adjoint = self.mark_all(self.seed_outputs(ret.value, seed), ret.origin)
        for stmt in reversed(body[:-1]):
            self.origin = stmt.origin
            adjoint.extend(self.mark_all(self.statement(stmt), stmt.origin))
        self.origin = ret.origin
        grads = [self.gradient(p) for p in self.wrt]
        if len(grads) == 1 and not self.as_tuple:
            result = grads[0]
        else:
            result = gast.Tuple(elts=grads, ctx=gast.Load())
        if self.mode == "value_and_grad":
            result = gast.Tuple(elts=[copy.deepcopy(ret.value), result], ctx=gast.Load())
        out = gast.Return(value=result)
        out.origin, out.phase = ret.origin, "adjoint"
        return self.function(name, seed, primal + adjoint + [out])

    def function(self, name, seed, body) -> gast.FunctionDef:
        user = self.fn.parsed.node.args
        posargs = user.posonlyargs + user.args
        params = [gast.Name(id=a.id, ctx=gast.Param(), annotation=None, type_comment=None)
                  for a in posargs]
        defaults = [copy.deepcopy(v) for v in user.defaults]
        seed_param = gast.Name(id=seed, ctx=gast.Param(), annotation=None, type_comment=None)
        if self.mode == "vjp":
            defaults = []   # the seed is required and comes last
            params.append(seed_param)
        else:
            params.append(seed_param)
            defaults.append(gast.Constant(value=1.0, kind=None))
        kwonly = [gast.Name(id=a.id, ctx=gast.Param(), annotation=None, type_comment=None)
                  for a in user.kwonlyargs]
        args = gast.arguments(args=params, posonlyargs=[], vararg=None, kwonlyargs=kwonly,
                              kw_defaults=[copy.deepcopy(v) for v in user.kw_defaults],
                              kwarg=None, defaults=defaults)
        fdef = gast.FunctionDef(name=name, args=args, body=body, decorator_list=[],
                                returns=None, type_comment=None, type_params=[])
        fdef.lineno = self.fn.parsed.node.lineno
        return fdef

    @staticmethod
    def mark(stmt, phase):
        stmt.phase = phase
        return stmt

    def mark_all(self, stmts, origin):
        for s in stmts:
            s.phase = "adjoint"
            if getattr(s, "origin", None) is None:
                s.origin = origin
        return stmts

    # -- seeds and results ----------------------------------------------------------
    def seed_name(self, value) -> str:
        if isinstance(value, gast.Name):
            if value.id not in self.fn.params and self.activity.is_active(value.id):
                return self.adj(value.id)
        return self.namer.fresh("bout")

    def seed_outputs(self, value, seed) -> list:
        if isinstance(value, gast.Name):
            if value.id in self.adjoint_names and self.adjoint_names[value.id] == seed:
                self.written.add(seed)
                return []
            return self.accumulate(value, _load(seed))
        if isinstance(value, gast.Tuple):
            out = []
            for i, elt in enumerate(value.elts):
                item = gast.Subscript(value=_load(seed), slice=gast.Constant(value=i, kind=None),
                                      ctx=gast.Load())
                out.extend(self.accumulate(elt, item))
            return out
        return []

    def gradient(self, param: str):
        if self.adjoint_names.get(param) in self.written:
            return _load(self.adj(param))
        helper = self.binder.name_for("zeros_like", zeros_like)
        return gast.Call(func=_load(helper), args=[_load(param)], keywords=[])

    # -- accumulation ------------------------------------------------------------
    def accumulate(self, target, value) -> list:
        """Statements adding ``value`` to the adjoint of ``target`` (an atom)."""
        if not isinstance(target, gast.Name) or target.id not in self.activity.varied:
            return []
        name = self.adj(target.id)
        if name in self.written:
            value = gast.BinOp(left=_load(name), op=gast.Add(), right=value)
        self.written.add(name)
        return [_assign(name, value)]

    # -- statements ----------------------------------------------------------------
    def statement(self, stmt) -> list:
        if not isinstance(stmt, gast.Assign):
            return []
        target = stmt.targets[0].id
        if not self.activity.is_active(target) or getattr(stmt, "no_grad", False):
            return []
        result = self.adj(target)
        if result not in self.written:
            return []   # zero adjoint: nothing flows back through this statement
        value = stmt.value
        if isinstance(value, gast.Name):
            return self.accumulate(value, _load(result))
        primitive, inputs, keywords = self.primitive(value)
        rule = rules.lookup(primitive)
        if rule is None or rule.adjoint is None:
            raise self.error(f"no derivative rule for `{rules.registry.qualified_name(primitive)}`",
                             hint="register one with @tangentlike.rules.adjoint(...) or wrap "
                             "the value in tl.stop_gradient(...)")
        bind = self.bind(rule, target, inputs, keywords)
        template = rule.adjoint
        result_param = template.positional[0]

        def dname(param):
            return _load(result) if param == result_param else None

        def write(param, expr):
            return self.accumulate(bind[param], expr)

        return instantiate(template, bind, dname, write, self.namer.fresh, self.binder.name_for)

    def primitive(self, value):
        """(primitive object, positional input expressions, keyword expressions)."""
        if isinstance(value, gast.BinOp):
            return BINOPS[type(value.op)], [value.left, value.right], {}
        if isinstance(value, gast.UnaryOp):
            return UNARYOPS[type(value.op)], [value.operand], {}
        if isinstance(value, gast.Call):
            return value.callee, list(value.args), {k.arg: k.value for k in value.keywords}
        if isinstance(value, gast.Subscript):
            return operator.getitem, [value.value, self.index_expression(value.slice)], {}
        if isinstance(value, (gast.Tuple, gast.List)):
            raise self.error("differentiating through a tuple or list literal is not "
                             "supported yet", hint="use np.stack or separate variables")
        raise self.error(f"cannot differentiate a `{type(value).__name__}` expression")

    def index_expression(self, index):
        """A subscript's index as an ordinary expression (slices become slice(...))."""
        if isinstance(index, gast.Slice):
            parts = [p if p is not None else gast.Constant(value=None, kind=None)
                     for p in (index.lower, index.upper, index.step)]
            func = _load(self.binder.name_for("slice", builtins.slice))
            return gast.Call(func=func, args=parts, keywords=[])
        if isinstance(index, gast.Tuple):
            return gast.Tuple(elts=[self.index_expression(e) for e in index.elts],
                              ctx=gast.Load())
        return index

    def bind(self, rule, target, inputs, keywords) -> dict:
        template = rule.adjoint
        names = template.names[1:]
        if len(inputs) > len(names):
            raise self.error(f"`{rule.name}` is called with more positional arguments than "
                             "its rule supports")
        bind = {template.positional[0]: _load(target)}
        bind.update(zip(names, inputs))
        for key, value in keywords.items():
            if key not in names:
                raise self.error(f"the keyword `{key}` of `{rule.name}` is not supported",
                                 hint="call it without that keyword")
            bind[key] = value
        used = {n.id for s in template.body for n in gast.walk(s) if isinstance(n, gast.Name)}
        for key, default in template.keywords.items():
            if key not in bind:
                bind[key] = gast.Constant(value=default, kind=None)
            elif key not in used and not (isinstance(bind[key], gast.Constant)
                                          and bind[key].value == default):
                raise self.error(f"the keyword `{key}` of `{rule.name}` is not supported",
                                 hint="call it without that keyword")
        missing = [n for n in template.positional[1:] if n not in bind]
        if missing:
            raise self.error(f"`{rule.name}` is called without its argument `{missing[0]}`")
        return bind


__all__ = ["reverse", "TransformError"]
