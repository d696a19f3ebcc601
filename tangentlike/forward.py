"""forward: the core language -> a function that computes tangents (forward mode).

Consumes a :class:`~tangentlike.normalize.Normalized` function, its
:class:`~tangentlike.analyze.Activity` and the ``wrt`` parameters. Produces a
``gast.FunctionDef`` that takes the primal arguments and the input tangent(s) and
returns the output tangent: the primal program with, beside each active statement, the
statement that computes its tangent. Control flow keeps its shape: a loop of the
derivative is the user's loop with a tangent line under each primal line.

Conventions: ``dx`` is the tangent of ``x``. An input without a tangent contributes
zero, which the rule engine simplifies away (``dx * y + x * 0`` is ``dx * y``); when a
zero was dropped from a broadcasting operation the result is widened to its primal's
shape with ``broadcast_like``. A variable given a constant gets ``zeros_like``.
"""
from __future__ import annotations


import gast
import numpy as np

from . import rules
from .analyze import Activity, appended, assignments, dependencies, given_sequences, written
from .calls import bind_call, derived_call, is_user_function, refusal_without_rule
from .naming import walk
from .normalize import Normalized
from .reverse import (_assign, _load, bind_arguments, carries_nothing, derived_again,
                      early_return_check, primitive_of, return_line, wrap_errstate, wrap_no_grad)
from .runtime import (broadcast_like, cast_back, indexable_tangent, like, output_zeros_like,
                      require_output, require_real_output, require_scalar, require_tangent,
                      require_tangents, seeded, shaped, zeros_like)
from .template import (clone, drop_zeros, instantiate, is_zero, list_reader, list_safe,
                       python_number_safe, zero)


def _not_a_number(value) -> bool:
    return isinstance(value, gast.Constant) and (
        value.value is None or isinstance(value.value, (str, bytes)))


def _may_hold_text(value, carries) -> bool:
    """Whether ``value`` is a tuple or list display with an item that carries no tangent
    (a key, a label: its tangent is zeros_like's 0.0 for text, and an output holding it
    is checked where it is returned)."""
    return isinstance(value, (gast.Tuple, gast.List)) and \
        not all(carries(e) for e in value.elts)


def _zero_is_a_number(value) -> bool:
    """Whether ``value`` is a constant whose zero derivative is zeros_like's 0.0: a number,
    None or text (``("label", x * 2.0)``)."""
    return isinstance(value, gast.Constant) and (
        value.value is None or type(value.value) in (bool, int, float, str, bytes))


def forward(fn: Normalized, activity: Activity, wrt: list, name: str,
            as_tuple: bool = False, checked: bool = True) -> gast.FunctionDef:
    """Build the tangent function (see the module docstring). ``checked``: with the
    checks of the tangents, which a jvp called by another derivative leaves out."""
    builder = _Forward(fn, activity, wrt, as_tuple, checked)
    builder.typed_outputs = True
    fdef = builder.build(name)
    builder.check_early_returns(fdef.body, gradient=False)
    return fdef


def forward_gradient(fn: Normalized, activity: Activity, param: str, mode: str, name: str,
                     as_tuple: bool, like: str, python_float: bool,
                     sequences: tuple = ()) -> gast.FunctionDef:
    """``grad`` (``value_and_grad``) of a function of one number ``param``, in forward
    mode: the version for a float argument (see pipeline.build). With one input, one
    forward pass gives the whole gradient, the derivative carried beside each value from
    the input's tangent 1.0 (another seed scales it at the end); reverse mode would save
    a loop's values each turn to read them back in a second, reversed loop. ``like``:
    the name of a stand-in with the argument's type, which the gradient takes (its
    guard vouches for it); ``python_float``: whether that is a Python float and no
    argument makes the derivative a float32 (then the gradient needs no cast_back).
    ``sequences``: the parameters the version's guard does not prove arrays or numbers
    (lists, tuples, dicts: see analyze.given_sequences)."""
    return _Forward(fn, activity, [param], False, checked=False, sequences=sequences).gradient(
        name, mode, as_tuple, like, python_float)


class _Forward:
    def __init__(self, fn, activity, wrt, as_tuple, checked=True, sequences=None):
        self.fn, self.activity, self.wrt, self.as_tuple = fn, activity, wrt, as_tuple
        self.checked = checked
        # jvp's: each output's tangent in the output's type and dtype (cast_back), as a
        # gradient has its argument's (grad's: forward_gradient casts to the argument's)
        self.typed_outputs = False
        # the parameters that may hold a list the caller gave (None: any of them)
        self.sequences = sequences
        self.namer, self.binder = fn.namer, fn.binder
        self.tangent_names = {}
        self.origin = None
        self.written_arrays = {t for t, _, s in assignments(fn.body) if written(s) is not None}

    def error(self, message, hint=None, node=None):
        where = node if getattr(node, "lineno", None) is not None else self.origin
        return self.fn.parsed.error(message, where, hint)

    def tan(self, name: str) -> str:
        if name not in self.tangent_names:
            self.tangent_names[name] = self.namer.fresh("d" + name)
        return self.tangent_names[name]

    def carries(self, atom) -> bool:
        """Whether an atom has a (nonzero) tangent."""
        return isinstance(atom, gast.Name) and atom.id in self.activity.varied

    def given_tangents(self) -> frozenset:
        """The tangents of the names that may hold a list or tuple the caller gave
        (analyze.given_sequences): the caller's list of numbers as it was given, whose
        items keep their type (``dx[0]`` of ``[1.0, 0.0]`` is a Python float), which a
        NumPy rule's expression reads as an array (template.list_safe)."""
        return frozenset(self.tangent_names[n] for n in given_sequences(self.fn, self.sequences)
                         if n in self.tangent_names)

    def zeros_like(self, name: str):
        helper = self.binder.name_for("zeros_like", zeros_like)
        return gast.Call(func=_load(helper), args=[_load(name)], keywords=[])

    # -- the function ---------------------------------------------------------
    def build(self, name: str) -> gast.FunctionDef:
        body = self.fn.body
        ret = body[-1]
        for p in self.wrt:
            self.tan(p)
        if len(self.wrt) == 1 and not self.as_tuple:
            seed = self.tan(self.wrt[0])
            unpack = []
        else:
            seed = self.namer.fresh("tangents")
            check = gast.Call(func=_load(self.binder.name_for("require_tangents",
                                                              require_tangents)),
                              args=[_load(seed), gast.Tuple(elts=[gast.Constant(
                                  value=p, kind=None) for p in self.wrt], ctx=gast.Load())],
                              keywords=[])
            check.callee = require_tangents
            unpack = [gast.Expr(value=check)] + [_assign(self.tan(p), gast.Subscript(
                value=_load(seed), slice=gast.Constant(value=i, kind=None), ctx=gast.Load()))
                for i, p in enumerate(self.wrt)]
        if self.checked:
            unpack += self.tangent_checks()
        # (a number standing for the tangent of a 0-d array the body indexes: `x[()]`)
        helper = None
        for p in self.wrt:
            if _indexed(body, p):
                helper = helper or self.binder.name_for("indexable_tangent", indexable_tangent)
                unpack.append(_assign(self.tan(p), gast.Call(
                    func=_load(helper), args=[_load(self.tan(p))], keywords=[])))
        # a parameter outside wrt that the body reassigns from a varied value (in a loop,
        # in a branch) is read with a tangent that must exist before: it starts at zero
        user = self.fn.parsed.node.args
        for a in user.posonlyargs + user.args + user.kwonlyargs:
            if a.id not in self.wrt and a.id in self.activity.varied:
                unpack.append(_assign(self.tan(a.id), self.zeros_like(a.id)))
        for s in unpack:
            s.phase, s.origin = "primal", None
        stmts = unpack + self.block(body[:-1])
        self.origin = ret.origin
        value = ret.value
        if carries_nothing(value, lambda name: self.carries(_load(name))) \
                and not derived_again(self.fn):
            # (a truth value or an integer NumPy computed: refused at the return line,
            # as reverse mode does)
            check = gast.Expr(value=self.call("require_real_output", require_real_output,
                                              [clone(value)] + self.return_line()))
            check.phase, check.origin = "primal", ret.origin
            stmts.append(check)
        if isinstance(value, gast.Tuple):
            result = gast.Tuple(elts=[self.output(e) for e in value.elts], ctx=gast.Load())
        else:
            result = self.output(value)
        out = gast.Return(value=result)
        out.origin, out.phase = ret.origin, "primal"
        return self.function(name, seed, stmts + [out])

    def gradient(self, name: str, mode: str, as_tuple: bool, like: str,
                 python_float: bool) -> gast.FunctionDef:
        """The tangent function of ``build`` made grad's: the tangent of the output is
        the gradient (shaped like the argument, in its dtype), beside the value for
        ``value_and_grad``; an output that may not be a number is checked as grad checks
        it, at the user's return line. The tangent of the input is 1.0 and another seed
        scales the gradient at the end, as a reverse version's (``seeded``), so the
        gradient has the same type for every seed (an integer seed makes no integer
        derivative)."""
        fdef = self.build(name)
        self.check_early_returns(fdef.body)
        seed = fdef.args.args[-1]
        start = _assign(seed.id, gast.Constant(value=1.0, kind=None))
        start.origin, start.phase = None, "primal"
        seed.id = self.namer.fresh("bout")
        fdef.body.insert(0, start)
        tangent = fdef.body[-1].value
        value = self.fn.body[-1].value
        shaped_tangent = self.call("shaped", shaped, [tangent, _load(like)])
        if not python_float:
            grad = self.call("cast_back", cast_back, [shaped_tangent, _load(like)])
        elif isinstance(tangent, gast.Name):
            # a Python float's gradient: a number as it is, a 0-d array made a number
            grad = gast.IfExp(test=gast.Compare(
                left=gast.Attribute(value=clone(tangent), attr="__class__", ctx=gast.Load()),
                ops=[gast.IsNot()], comparators=[_load(self.binder.name_for(
                    "ndarray", np.ndarray))]), body=clone(tangent), orelse=shaped_tangent)
        else:
            grad = shaped_tangent
        if as_tuple:
            grad = gast.Tuple(elts=[grad], ctx=gast.Load())
        result = grad if mode == "grad" else gast.Tuple(elts=[clone(value), grad],
                                                        ctx=gast.Load())
        checks = []
        if not (isinstance(value, gast.Constant) and isinstance(value.value, (int, float))):
            check = gast.Expr(value=self.call("require_scalar", require_scalar,
                                              [clone(value)] + self.return_line()))
            if isinstance(value, gast.Name):   # (a Python or NumPy float passes two tests)
                check = gast.If(test=gast.BoolOp(op=gast.And(), values=[gast.Compare(
                    left=gast.Attribute(value=clone(value), attr="__class__", ctx=gast.Load()),
                    ops=[gast.IsNot()], comparators=[_load(self.binder.name_for(kind.__name__,
                                                                                kind))])
                    for kind in (float, np.float64)]), body=[check], orelse=[])
            checks.append(check)
        scaled = self.call("seeded", seeded, [clone(grad), _load(seed.id)])
        if mode == "value_and_grad":
            scaled = gast.Tuple(elts=[clone(value), scaled], ctx=gast.Load())
        scale = gast.If(test=gast.Compare(left=_load(seed.id), ops=[gast.NotEq()],
                                          comparators=[gast.Constant(value=1.0, kind=None)]),
                        body=[gast.Return(value=scaled)], orelse=[])
        scale.comment = "the derivative above is for the seed 1.0: any other scales it"
        out = gast.Return(value=result)
        for s in checks + [scale, out]:
            s.origin, s.phase = self.fn.body[-1].origin, "primal"
        fdef.body[-1:] = checks + [scale, out]
        return fdef

    def check_early_returns(self, body: list, gradient=True) -> None:
        """In place: reverse.early_return_check after each ``result = v`` of a
        ``return`` inside control flow (for jvp, not ``gradient``, of a ``v`` that
        carries no tangent: require_real_output)."""
        for k in range(len(body) - 1, -1, -1):
            stmt = body[k]
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    self.check_early_returns(getattr(stmt, field), gradient)
            if gradient:
                checks = early_return_check(stmt, self.fn, self.binder)
            elif getattr(stmt, "final_result", False) and not derived_again(self.fn) \
                    and carries_nothing(stmt.value, lambda name: self.carries(_load(name))):
                # (jvp: a truth value or an integer returned there, refused at that return)
                checks = early_return_check(stmt, self.fn, self.binder, require_real_output)
            else:
                checks = []
            for check in checks:
                check.origin, check.phase = stmt.origin, "primal"
                body.insert(k + 1, check)

    def call(self, name: str, obj, args: list) -> gast.Call:
        call = gast.Call(func=_load(self.binder.name_for(name, obj)), args=args, keywords=[])
        call.callee = obj
        return call

    def return_line(self) -> list:
        # (for a derivative derived again, the user's def: was a plain TypeError without
        # a line for `tl.grad(tl.grad(f), wrt=1)` of a scalar `s`, which takes this path)
        return return_line(self.fn, self.fn.body[-1].origin, self.binder)

    def tangent_checks(self) -> list:
        """``if type(dx) is not float or type(x) is not float: dx = require_tangent(dx,
        x, 'x')`` per argument in wrt: a tangent not shaped like its argument is refused,
        the scalar zero becomes zeros like it (a Python float with a Python float tangent
        passes with two tests)."""
        float_name = self.binder.name_for("float", float)
        type_name = self.binder.name_for("type", type)
        helper = self.binder.name_for("require_tangent", require_tangent)
        checks = []
        for p in self.wrt:
            tests = [gast.Compare(left=gast.Call(func=_load(type_name), args=[_load(v)],
                                                 keywords=[]),
                                  ops=[gast.IsNot()], comparators=[_load(float_name)])
                     for v in (self.tan(p), p)]
            call = gast.Call(func=_load(helper), args=[_load(self.tan(p)), _load(p),
                                                       gast.Constant(value=p, kind=None)],
                             keywords=[])
            call.callee = require_tangent
            check = gast.If(test=gast.BoolOp(op=gast.Or(), values=tests),
                            body=[_assign(self.tan(p), call)], orelse=[])
            check.entry_check = True   # (left out at higher order: see entry.add_entry)
            checks.append(check)
        if checks:
            names = ", ".join(self.tan(p) for p in self.wrt)
            checks[0].comment = (f"{names} must be shaped like {', '.join(self.wrt)} (a "
                                 "smaller tangent would broadcast)")
        return checks

    def output(self, atom):
        """The tangent of the output ``atom``; an output that may not be a number (None,
        a string) is checked, as grad's and vjp's are."""
        if self.carries(atom):
            tangent = _load(self.tan(atom.id))
            if atom.id in self.fn.params and self.checked and not any(
                    target == atom.id for target, _, _ in assignments(self.fn.body)):
                # a list of numbers returned as it was given: its tangent, read as an
                # array at the entry (require_tangent), is a list again
                helper = self.binder.name_for("like", like)
                return gast.Call(func=_load(helper), args=[tangent, _load(atom.id)],
                                 keywords=[])
            if not any(target == atom.id and (_not_a_number(value)
                                              or _may_hold_text(value, self.carries))
                       for target, value, _ in assignments(self.fn.body)):
                if self.typed_outputs:
                    # (the rules compute in NumPy's dtypes: a float64 log of an int base
                    # beside float32 values, a float32 tangent of np.cov's float64)
                    return self.call("cast_back", cast_back, [tangent, _load(atom.id)])
                return tangent
            # (`y = None`, then a number on some paths: dy is zeros of None on the others)
            helper = self.binder.name_for("require_output", require_output)
            return gast.Call(func=_load(helper), args=[_load(atom.id), tangent], keywords=[])
        helper = self.binder.name_for("output_zeros_like", output_zeros_like)
        return gast.Call(func=_load(helper), args=[clone(atom)], keywords=[])

    def function(self, name, seed, body) -> gast.FunctionDef:
        user = self.fn.parsed.node.args
        params = [gast.Name(id=a.id, ctx=gast.Param(), annotation=None, type_comment=None)
                  for a in user.posonlyargs + user.args]
        params.append(gast.Name(id=seed, ctx=gast.Param(), annotation=None, type_comment=None))
        kwonly = [gast.Name(id=a.id, ctx=gast.Param(), annotation=None, type_comment=None)
                  for a in user.kwonlyargs]
        args = gast.arguments(args=params, posonlyargs=[], vararg=None, kwonlyargs=kwonly,
                              kw_defaults=[clone(v) for v in user.kw_defaults],
                              kwarg=None, defaults=[])
        fdef = gast.FunctionDef(name=name, args=args, body=body, decorator_list=[],
                                returns=None, type_comment=None, type_params=[])
        fdef.lineno = self.fn.parsed.node.lineno
        return fdef

    # -- statements ------------------------------------------------------------------
    def block(self, stmts) -> list:
        out = []
        for stmt in stmts:
            origin = self.origin = getattr(stmt, "origin", None)
            for s in self.statement(stmt):
                s.phase = "primal"
                # the user's statement keeps its arithmetic: constant folding would turn
                # its copy `y = x + 0.0` into `y = x`, and a write `y[0] = v` into the caller's x
                s.derived = not getattr(s, "user_statement", False) and not isinstance(
                    s, (gast.If, gast.For, gast.While))
                s.no_grad = getattr(stmt, "no_grad", False)
                s.errstate = getattr(stmt, "errstate", ())
                if getattr(s, "origin", None) is None:
                    s.origin = origin
                out.append(s)
        return wrap_errstate(wrap_no_grad(out, self.binder), self.binder)

    def statement(self, stmt) -> list:
        array = written(stmt)
        if array is not None:   # y[i] = v  ->  dy[i] = dv
            out = [_user_copy(stmt)]
            if self.activity.is_active(array):
                value = stmt.value
                tangent = _load(self.tan(value.id)) if self.carries(value) else \
                    gast.Constant(value=0.0, kind=None)
                out.append(gast.Assign(targets=[gast.Subscript(
                    value=_load(self.tan(array)), slice=clone(stmt.targets[0].slice),
                    ctx=gast.Store())], value=tangent, type_comment=None))
            return out
        if isinstance(stmt, gast.Assign):
            return [_user_copy(stmt)] + self.tangent(stmt)
        lst = appended(stmt)
        if lst is not None and self.activity.is_active(lst):   # dlst.append(dv)
            value = stmt.value.args[0]
            tangent = _load(self.tan(value.id)) if self.carries(value) else self.output(value)
            push = gast.Call(func=gast.Attribute(value=_load(self.tan(lst)), attr="append",
                                                 ctx=gast.Load()), args=[tangent], keywords=[])
            return [_user_copy(stmt), gast.Expr(value=push)]
        if isinstance(stmt, gast.If):
            return [gast.If(test=clone(stmt.test), body=self.block(stmt.body),
                            orelse=self.block(stmt.orelse))]
        if isinstance(stmt, gast.For):
            return [gast.For(target=clone(stmt.target), iter=clone(stmt.iter),
                             body=self.block(stmt.body), orelse=[], type_comment=None)]
        if isinstance(stmt, gast.While):
            return [gast.While(test=clone(stmt.test), body=self.block(stmt.body),
                               orelse=[])]
        return [_user_copy(stmt)]

    def tangent_call(self, value, result) -> list:
        """``dy = dgda_b_jvp(a, b, (da, db))``: the callee's own derived jvp (calls.py)."""
        site = bind_call(self, value, self.carries)
        helper = derived_call(self, site, "jvp", value)
        tangents = gast.Tuple(elts=[_load(self.tan(site.argument(i).id)) for i in site.active],
                              ctx=gast.Load())
        call = gast.Call(func=helper, args=[clone(a) for a in site.positional]
                         + [tangents],
                         keywords=[gast.keyword(arg=k, value=clone(v))
                                   for k, v in site.keywords.items()])
        return [_assign(result, call)]

    def tangent(self, stmt) -> list:
        out = self.tangent_value(stmt)
        target = stmt.targets[0].id
        if out and target in self.written_arrays:
            # element writes go into this tangent: it must be an array of its own; a
            # popped tangent is the one pushed with the popped value (restores in place
            # must reach its views), so it is only made an array
            last = out[-1]
            helper = self.binder.name_for("np", np)
            popped = getattr(stmt.value, "callee", None) is list.pop
            last.value = gast.Call(func=gast.Attribute(
                value=_load(helper), attr="asarray" if popped else "array",
                ctx=gast.Load()), args=[last.value], keywords=[])
        return out

    def tangent_value(self, stmt) -> list:
        target = stmt.targets[0].id
        if not self.activity.is_active(target):
            return []
        result = self.tan(target)
        value = stmt.value
        if getattr(value, "callee", None) is list.pop:   # dv = dlst.pop()
            receiver = value.func.value.id
            if not self.activity.is_active(receiver):   # a constant list: no tangent to pop
                return [_assign(result, self.zeros_like(target))]
            return [_assign(result, gast.Call(func=gast.Attribute(
                value=_load(self.tan(receiver)), attr="pop", ctx=gast.Load()), args=[],
                keywords=[]))]
        deps = dependencies(value, stmt)
        if not any(d in self.activity.varied for d in deps):
            if isinstance(value, gast.Constant) and (value.value is None or type(
                    value.value) in (bool, int, float)):
                # (a number's zero, as zeros_like gives it; None's is never read: a path
                # that leaves it None raises at the output)
                return [_assign(result, gast.Constant(value=0.0, kind=None))]
            return [_assign(result, self.zeros_like(target))]
        if isinstance(value, gast.Name):
            return [_assign(result, _load(self.tan(value.id)))]
        if isinstance(value, (gast.Tuple, gast.List)):
            # (an item that carries none: zeros like it, 0.0 for text such as a dict's
            # key or a label written in the display; output() checks such a display
            # where it is returned)
            elts = [_load(self.tan(e.id)) if self.carries(e) else
                    self.zeros_like(e.id) if isinstance(e, gast.Name) else
                    gast.Constant(value=0.0, kind=None) if _zero_is_a_number(e) else
                    self.output(e) for e in value.elts]
            return [_assign(result, type(value)(elts=elts, ctx=gast.Load()))]
        primitive, inputs, keywords = primitive_of(self, value)
        rule = rules.lookup(primitive)
        if rule is None and is_user_function(primitive):
            return self.tangent_call(value, result)
        refusal = refusal_without_rule(self, primitive, value) if rule is None else None
        if refusal is not None:
            raise refusal
        if rule is None or rule.tangent is None:
            qual = rules.registry.qualified_name(primitive)
            raise self.error(
                f"no forward-mode (tangent) rule for `{qual}`", node=value,
                hint=f"register one with @tl.tangent({qual}) (see docs/custom-rules.md), "
                "or use reverse mode (tl.grad / tl.vjp)")
        template = rule.tangent
        bind = bind_arguments(self, rule, template, target, inputs, keywords, value)
        result_param = template.positional[0]
        dropped = []

        def dname(param):
            if param == result_param:
                raise self.error(f"the tangent rule of `{rule.name}` reads its own result's "
                                 "tangent")
            atom = bind[param]
            if self.carries(atom):
                return _load(self.tan(atom.id))
            if not isinstance(atom, gast.Constant):   # a constant cannot widen the shape
                dropped.append(param)
            return zero()

        def write(param, expr):
            if is_zero(expr):
                return [_assign(result, self.zeros_like(target))]
            if dropped:
                helper = self.binder.name_for("broadcast_like", broadcast_like)
                expr = gast.Call(func=_load(helper), args=[expr, _load(target)], keywords=[])
            return [_assign(result, expr)]

        tangents = set(self.tangent_names.values())

        reader, operands = list_reader(primitive, inputs)
        if reader is not None:
            given = self.given_tangents()
            lists = given_sequences(self.fn, self.sequences) | given
            if operands is not None:   # (and their tangents)
                lists &= set(operands) | {self.tan(n) for n in operands
                                          if n in self.tangent_names}
                given &= lists
        else:
            lists = ()

        def simplify(expr):
            expr = drop_zeros(expr, tangents)
            if lists:   # (first: `dx / x` of two lists is an operator of lists)
                expr = list_safe(expr, lists.__contains__,
                                 self.binder.name_for(reader.__name__, reader), given)
            return python_number_safe(expr, _unknown, self.binder.name_for("np", np),
                                      self.binder.name_for)

        return instantiate(template, bind, dname, write, self.namer.fresh, self.binder.name_for,
                           simplify)


def _user_copy(stmt):
    """A copy of the user's statement, marked as such (``block`` folds the others)."""
    copy = clone(stmt)
    copy.user_statement = True
    return copy


def _unknown(expr) -> bool:
    """Forward mode derives no versions: no operand is known to be an array."""
    return False


def _indexed(body, name: str) -> bool:
    """Whether ``body`` reads an item of the variable ``name`` (``name[...]``)."""
    return any(node.__class__ is gast.Subscript and node.value.__class__ is gast.Name
               and node.value.id == name for node in walk(body))
