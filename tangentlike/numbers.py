"""numbers: what a version proves about the numbers it computes (a pass of optimize).

Consumes the optimized ``gast.FunctionDef`` of a version specialized to its arguments'
kinds (specialize.py), whose guard proves which parameters are Python or NumPy numbers.
Infers, for each local name, whether every value it ever holds is

- ``FLOAT``: a Python float or a NumPy float64 (never an array, never an int, never
  a float32, which ``1.0 * v`` may make a float64 under NumPy 1's casting);
- ``NUMBER``: some real or complex number, Python's or NumPy's (never an array);

or neither. The inference is flow-insensitive and solved to the greatest fixed point
over all assignments, loops included: a name is a ``FLOAT`` when each of its
assignments is, given what the others are. Numbers come from numeric constants, number
parameters, arithmetic of numbers, ``math`` functions, NumPy ufuncs of numbers (a
ufunc of scalars makes a scalar), ``abs``/``min``/``max``/``float``/``int``, the
helpers of derivative code given numbers (``quotient``, ``power``, ``scaled_power``,
``broadcast_like``, ``unbroadcast``, ``zeros_like``, ``sign_of``, ``larger``,
``smaller``), and an element of an array argument (never assigned anew) read by as
many numbers as it has dimensions, ``x[t]`` (a float64 array's is a ``FLOAT``; looked
for only beside number arguments). A value read from anywhere else (a global, another
subscript, another helper's result) is unknown.

With that, the version is simplified where the proof makes code pointless:

1. ``g if g.__class__ is not ndarray else shaped(g, x)``, the gradient of a Python
   number, is ``g`` when g is a number: its test never fails.
2. grad's check of the output, ``if out.__class__ is not float and out.__class__ is not
   float64: require_scalar(out, ...)``, goes when ``out`` is a number: it passes them.
3. A name of the derivative's own code (not the user's: ``dt = 0.01`` keeps its name)
   assigned a numeric constant once, and nowhere else (the tangent ``dx = 1.0`` of a
   forward version), is replaced by the constant where it is read, and then, in the
   derivative's own statements, ``1.0 * e`` and ``e * 1.0`` of a float ``e`` are ``e``,
   ``-1.0 * e`` is ``-e`` (the same bits: a float times one is itself). ``dt2 = -dx;
   dt3 = dt2 * x + t2 * dx`` becomes ``dt3 = -x + t2``.
4. The runtime helpers do their work inline where their arguments are numbers:
   ``broadcast_like(t, y)`` and ``unbroadcast(t, y)`` are ``t``, ``shaped(g, x)`` of a
   number for a float argument is ``g``, ``zeros_like(x)`` of a float is ``0.0``, and
   ``quotient(a, b)`` is ``a / b if b else quotient(a, b)`` (only a zero divisor raises
   in Python's division: the helper gives NumPy's inf or nan there).

Arrays, 0-d arrays included, are never numbers here: ``shaped`` is what turns a 0-d
array gradient into a number.
"""
from __future__ import annotations

import builtins
import functools
import math
import types

import gast
import numpy as np

from .naming import Transformer, name_nodes, walk
from .runtime import (broadcast_like, power, quotient, require_output, require_scalar,
                      scaled_power, shaped, unbroadcast, zeros_like)
from .template import clone

FLOAT, NUMBER = "float", "number"
# a name that holds None at some times (`result = None` before the paths that return):
# what arithmetic or a call reads of it is a number, or it raises
MAYBE_FLOAT, MAYBE_NUMBER, NONE = "float or None", "number or None", "None"
_SURE = {FLOAT: FLOAT, NUMBER: NUMBER, MAYBE_FLOAT: FLOAT, MAYBE_NUMBER: NUMBER}
_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.FloorDiv, gast.Mod, gast.Pow)
# math functions whose result is a float for any real arguments
_MATH_FLOATS = {getattr(math, name) for name in (
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "copysign", "cos", "cosh",
    "degrees", "erf", "erfc", "exp", "expm1", "fabs", "fmod", "gamma", "hypot", "ldexp",
    "lgamma", "log", "log10", "log1p", "log2", "pow", "radians", "sin", "sinh", "sqrt",
    "tan", "tanh", "fsum") if hasattr(math, name)}


def simplify_numbers(fdef: gast.FunctionDef, params: dict, bound: dict,
                     user_globals: dict, elements: dict = None) -> bool:
    """Simplify ``fdef`` in place (module docstring); ``params`` maps the parameters
    the guard proves numbers to FLOAT or NUMBER, ``elements`` its array parameters to
    (number of dimensions, FLOAT or NUMBER for an element), ``bound`` and
    ``user_globals`` give the objects of the code's free names. Whether anything
    changed."""
    if not params:   # (elements alone seldom simplify anything: no walk for them)
        return False
    nodes = list(walk(fdef.body))   # (the analyses below read these, not the tree)
    elements = _unchanged_arrays(nodes, elements or {})
    changed = False
    for round_ in range(4):   # (a constant propagated may make another name a constant)
        if round_:
            nodes = list(walk(fdef.body))
        locals_ = _local_names(fdef, params, nodes)
        kinds = number_kinds(fdef, params, bound, user_globals, elements, nodes, locals_)
        infer = _Infer(kinds, bound, user_globals, locals_, elements)
        step = _Simplify(infer, _constants(fdef, params, nodes))
        fdef.body = step.block(fdef.body)
        changed |= step.changed
        if not step.propagated:
            break
    return changed


def _unchanged_arrays(nodes: list, elements: dict) -> dict:
    """Of ``elements``, the arrays never assigned anew and read by an element
    somewhere (``x[t]``, ``x[i, j]``: no slice); ``nodes``: the version's nodes."""
    if not elements:
        return {}
    stored, read = set(), set()
    for node in nodes:
        if node.__class__ is gast.Name and not isinstance(node.ctx, gast.Load):
            stored.add(node.id)
        elif node.__class__ is gast.Subscript and node.value.__class__ is gast.Name \
                and node.value.id in elements \
                and not any(n.__class__ is gast.Slice for n in walk(node.slice)):
            read.add(node.value.id)
    return {name: found for name, found in elements.items()
            if name in read and name not in stored}


def number_kinds(fdef: gast.FunctionDef, params: dict, bound: dict,
                 user_globals: dict, elements: dict = None, nodes: list = None,
                 locals_: set = None) -> dict:
    """name -> FLOAT or NUMBER for the names of ``fdef`` that surely hold numbers.
    ``nodes``: ``walk(fdef.body)`` in a list, ``locals_``: ``_local_names`` (made here
    if not given)."""
    if nodes is None:
        nodes = list(walk(fdef.body))
    assigned, unknown = {}, set()
    for node in nodes:
        cls = node.__class__
        if cls is gast.Assign:
            if len(node.targets) == 1 and node.targets[0].__class__ is gast.Name:
                assigned.setdefault(node.targets[0].id, []).append(node.value)
                continue
        elif cls is gast.AugAssign and node.target.__class__ is gast.Name:
            value = gast.BinOp(left=gast.Name(id=node.target.id, ctx=gast.Load(),
                                              annotation=None, type_comment=None),
                               op=node.op, right=node.value)
            assigned.setdefault(node.target.id, []).append(value)
            continue
        elif cls is gast.For and node.target.__class__ is gast.Name \
                and _is_range(node.iter, bound, user_globals):
            assigned.setdefault(node.target.id, []).append(gast.Constant(value=0, kind=None))
            continue
        elif cls in (gast.FunctionDef, gast.Lambda, gast.ListComp, gast.GeneratorExp,
                     gast.SetComp, gast.DictComp):
            unknown.update(n.id for n in walk(node) if n.__class__ is gast.Name)
    for node in nodes:   # every other store: tuple targets, for targets, del...
        if node.__class__ is gast.Name and not isinstance(node.ctx, gast.Load):
            if node.id not in assigned:
                unknown.add(node.id)
    for node in nodes:
        if node.__class__ in (gast.Assign, gast.AugAssign, gast.For):
            targets = node.targets if node.__class__ is gast.Assign else [node.target]
            if len(targets) != 1 or targets[0].__class__ is not gast.Name or (
                    node.__class__ is gast.For and not _is_range(node.iter, bound,
                                                                  user_globals)):
                unknown.update(n.id for t in targets for n in walk(t)
                               if n.__class__ is gast.Name)
    # a parameter the guard does not prove a number holds what the caller gave until
    # the body assigns it (an array x of `x = x / c` in a branch): not a number
    args = fdef.args
    unknown.update(a.id for a in args.posonlyargs + args.args + args.kwonlyargs
                   if a.id not in params)
    kinds = {name: FLOAT for name in assigned if name not in unknown}
    for name, kind in params.items():
        if name in unknown:
            continue
        if name in assigned:
            kinds[name] = _join(kinds.get(name, FLOAT), kind)
        else:
            kinds[name] = kind
    infer = _Infer(kinds, bound, user_globals,
                   _local_names(fdef, params, nodes) if locals_ is None else locals_, elements)
    changed = True
    while changed:
        changed = False
        for name, values in assigned.items():
            if name not in kinds:
                continue
            kind = params.get(name, FLOAT) if name in params else FLOAT
            for value in values:
                kind = _join(kind, infer.kind(value))
                if kind is None:
                    break
            if kind != kinds[name]:
                changed = True
                if kind is None:
                    del kinds[name]
                else:
                    kinds[name] = kind
    return kinds


def _local_names(fdef, params, nodes: list = None) -> set:
    return {n.id for n in (walk(fdef.body) if nodes is None else nodes)
            if n.__class__ is gast.Name and not isinstance(n.ctx, gast.Load)} | set(params) \
        | {a.id for a in fdef.args.args + fdef.args.posonlyargs + fdef.args.kwonlyargs}


def _join(a, b):
    if a is None or b is None:
        return None
    if a == NONE or b == NONE:
        other = b if a == NONE else a
        return {FLOAT: MAYBE_FLOAT, NUMBER: MAYBE_NUMBER}.get(other, other)
    base = FLOAT if _SURE[a] == _SURE[b] == FLOAT else NUMBER
    return base if a in (FLOAT, NUMBER) and b in (FLOAT, NUMBER) else \
        {FLOAT: MAYBE_FLOAT, NUMBER: MAYBE_NUMBER}[base]


def _sure(kind):
    """The kind of what an operation that raises on None reads of a value of ``kind``."""
    return _SURE.get(kind)


def _is_range(node, bound, user_globals) -> bool:
    """Whether ``node`` is ``range(...)`` or ``reversed(range(...))`` (an adjoint's loop)."""
    if node.__class__ is not gast.Call or node.func.__class__ is not gast.Name:
        return False
    callee = _resolve(node.func, bound, user_globals, ())
    if callee is reversed and len(node.args) == 1 and not node.keywords:
        return _is_range(node.args[0], bound, user_globals)
    return callee is range


def _resolve(node, bound, user_globals, locals_):
    """The object a free name or an attribute chain of one (``np.sin``) stands for, or
    None."""
    chain = []
    while node.__class__ is gast.Attribute:
        chain.append(node.attr)
        node = node.value
    if node.__class__ is not gast.Name or node.id in locals_:
        return None
    missing = object()
    obj = bound.get(node.id, missing)
    if obj is missing:
        obj = user_globals.get(node.id, missing)
    if obj is missing:
        obj = getattr(builtins, node.id, None)
    for attr in reversed(chain):
        if not isinstance(obj, types.ModuleType):
            return None
        obj = getattr(obj, attr, None)
    return obj


class _Infer:
    def __init__(self, kinds, bound, user_globals, locals_, elements=None):
        self.kinds, self.bound, self.user_globals = kinds, bound, user_globals
        self.locals, self.elements = locals_, elements or {}
        self._ufunc_kinds = {}

    def kind(self, node):
        """FLOAT, NUMBER or None (unknown) for the value of the expression ``node``."""
        cls = node.__class__
        if cls is gast.Constant:
            value = node.value
            if value is None:
                return NONE
            if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
                return None
            return FLOAT if isinstance(value, float) else NUMBER
        if cls is gast.Name:
            return self.kinds.get(node.id) if node.id in self.locals else None
        if cls is gast.UnaryOp:
            if node.op.__class__ in (gast.USub, gast.UAdd):
                return _sure(self.kind(node.operand))
            return None
        if cls is gast.BinOp:
            if node.op.__class__ not in _ARITHMETIC:
                return None
            left, right = _sure(self.kind(node.left)), _sure(self.kind(node.right))
            if left is None or right is None:
                return None
            # (a negative float to a fractional power is complex; an int or a complex
            # number beside a float is no float)
            if node.op.__class__ is not gast.Pow and left == right == FLOAT:
                return FLOAT
            return NUMBER
        if cls is gast.IfExp:
            return _join(self.kind(node.body), self.kind(node.orelse))
        if cls is gast.Call:
            return self.call(node)
        if cls is gast.Subscript:
            return self.element(node)
        return None

    def element(self, node):
        """An element of an array argument, read by as many numbers as it has dimensions
        (which can only be integers: another number is an IndexError), is a number of
        the array's kind."""
        if node.value.__class__ is not gast.Name or node.value.id not in self.elements:
            return None
        ndim, kind = self.elements[node.value.id]
        index = node.slice.elts if node.slice.__class__ is gast.Tuple else [node.slice]
        if len(index) != ndim or any(self.kind(i) not in (FLOAT, NUMBER) for i in index):
            return None   # (x[None] adds an axis)
        return kind

    def call(self, node):
        if node.keywords or any(a.__class__ is gast.Starred for a in node.args):
            return None
        callee = _resolve(node.func, self.bound, self.user_globals, self.locals)
        if callee is None:
            return None
        raw = [self.kind(a) for a in node.args]
        if callee in _PASSING:   # (the value returned is an argument, None or not)
            return _PASSING[callee](*raw) if None not in raw else None
        args = [_sure(a) for a in raw]
        if any(a is None for a in args):
            return None
        if callee in _MATH_FLOATS:
            return FLOAT
        if isinstance(callee, types.BuiltinFunctionType) and \
                getattr(callee, "__module__", None) == "math":
            return NUMBER
        if callee is float:
            return FLOAT
        if callee in _helpers():
            return _helpers()[callee](*args)
        if callee is int:
            return NUMBER
        if callee in (abs, min, max) and args:
            kind = FLOAT
            for a in args:
                kind = _join(kind, a)
            return kind
        if isinstance(callee, np.ufunc) and callee.nout == 1 and len(args) == callee.nin:
            if all(a == FLOAT for a in args) and self.ufunc_of_floats(callee) == FLOAT:
                return FLOAT
            return NUMBER
        return None

    def ufunc_of_floats(self, ufunc):
        """FLOAT when ``ufunc`` of float64 numbers is a float64 (np.sin, np.add; not
        np.isnan's bool)."""
        if ufunc not in self._ufunc_kinds:
            try:
                with np.errstate(all="ignore"):
                    result = ufunc(*[np.float64(0.5)] * ufunc.nin)
                found = FLOAT if type(result) is np.float64 else NUMBER
            except Exception:   # noqa: BLE001 - no loop for float64: not a float
                found = NUMBER
            self._ufunc_kinds[ufunc] = found
        return self._ufunc_kinds[ufunc]


# The helpers that return one of their arguments as it is (for numbers), with the kind
# of what they return.
_PASSING = {
    # a tangent widened to its primal's shape, an adjoint summed to its primal's shape:
    # a number's is itself
    broadcast_like: lambda t, y: t,
    unbroadcast: lambda t, y: t,
    # the tangent, once the output is checked
    require_output: lambda value, tangent: tangent,
}


@functools.lru_cache(maxsize=None)
def _helpers() -> dict:
    """The kind of what each helper of derivative code (the runtime's, the rules')
    gives for numbers of the kinds given (its arguments are known numbers)."""
    from .rules.pymath import sign_of
    from .rules.selection import larger, smaller
    return {
        # np.sign, a Python float for a Python number
        sign_of: lambda x: x,
        # the shares of max(x, y) and min(x, y): a float for two Python numbers, else a
        # NumPy number of their floating dtype
        larger: _join,
        smaller: _join,
        # a / b, or NumPy's inf or nan where b is a Python zero
        quotient: _join,
        # x ** y, or NumPy's value where Python's would raise or be complex; c times it
        power: _join,
        scaled_power: lambda c, x, e: _join(c, _join(x, e)),
        # 0.0 for a Python float or a float64 (a float32's is a 0-d array)
        zeros_like: lambda x: FLOAT if x == FLOAT else None,
    }


def _constants(fdef, params, nodes: list = None) -> dict:
    """Names assigned a numeric constant once at the top level of ``fdef``, and nowhere
    else (no parameters), with their constants. ``nodes``: ``walk(fdef.body)`` in a
    list, if already made."""
    counts, candidates = {}, []
    for node in (walk(fdef.body) if nodes is None else nodes):
        if node.__class__ is gast.Name and not isinstance(node.ctx, gast.Load):
            counts[node.id] = counts.get(node.id, 0) + 1
    params = set(params) | {a.id for a in fdef.args.args + fdef.args.posonlyargs
                            + fdef.args.kwonlyargs}
    for i, stmt in enumerate(fdef.body):
        if _derived(stmt) and stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name \
                and stmt.value.__class__ is gast.Constant \
                and type(stmt.value.value) in (int, float):
            name = stmt.targets[0].id
            if counts.get(name) == 1 and name not in params:
                candidates.append((i, name, stmt))
    # (assigned once, here, and not read before: every read sees the constant)
    found, read, done = {}, set(), 0
    for i, name, stmt in candidates:
        for earlier in fdef.body[done:i]:   # (the reads of the statements before it)
            read.update(n.id for n in name_nodes(earlier) if isinstance(n.ctx, gast.Load))
        done = i
        if name not in read:
            found[name] = stmt
    return found


class _Simplify(Transformer):
    """One round of the module docstring's simplifications."""

    def __init__(self, infer, constants):
        self.infer, self.constants = infer, constants
        self.kinds, self.bound = infer.kinds, infer.bound
        self.changed = self.propagated = False
        self.fold = False   # (in the derivative's own statements only: _derived)

    def block(self, body: list) -> list:
        kept = []
        for stmt in body:
            if stmt.__class__ is gast.Assign and stmt.targets[0].__class__ is gast.Name \
                    and self.constants.get(stmt.targets[0].id) is stmt:
                self.changed = self.propagated = True
                continue   # (read below as its constant)
            if self.needless_check(stmt):
                self.changed = True
                continue
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                    setattr(stmt, field, self.block(inner))
            self.fold = _derived(stmt)
            self.visit_expressions(stmt)
            kept.append(stmt)
        return kept

    def visit_expressions(self, stmt):
        for field, value in gast.iter_fields(stmt):
            if isinstance(value, gast.expr):
                setattr(stmt, field, self.visit(value))
            elif isinstance(value, list) and value and isinstance(value[0], gast.expr):
                setattr(stmt, field, [self.visit(v) for v in value])

    def number(self, node) -> bool:
        return node.__class__ is gast.Name and self.kinds.get(node.id) in (FLOAT, NUMBER)

    def a_float(self, node) -> bool:
        """A float (a float64, an int) surely: a float name, or one bound to a float (the
        stand-in of a float argument)."""
        if self.float_(node):
            return True
        obj = _resolve(node, self.bound, self.infer.user_globals, self.infer.locals)
        return type(obj) in (float, int, np.float64)

    def number_or_none(self, node) -> bool:
        return node.__class__ is gast.Name and node.id in self.kinds

    def float_(self, node) -> bool:
        return node.__class__ is gast.Name and self.kinds.get(node.id) == FLOAT

    def needless_check(self, stmt) -> bool:
        """grad's output check of a number (2. of the module docstring)."""
        if stmt.__class__ is gast.If and not stmt.orelse and len(stmt.body) == 1:
            test = stmt.test
            tests = test.values if test.__class__ is gast.BoolOp else [test]
            if all(_class_test(t) is not None for t in tests):
                return self.needless_check(stmt.body[0]) and all(
                    _class_test(t).id == stmt.body[0].value.args[0].id for t in tests)
            return False
        if stmt.__class__ is gast.Expr and stmt.value.__class__ is gast.Call:
            call = stmt.value
            func = call.func
            return func.__class__ is gast.Name and _is_require_scalar(self.bound.get(func.id)) \
                and call.args and self.number(call.args[0])
        return False

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.constants:
            return gast.Constant(value=self.constants[node.id].value.value, kind=None)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        tested = _class_test(node.test, constants=True)
        if tested is None or self.bound.get(node.test.comparators[0].id) is not np.ndarray:
            return node
        if tested.__class__ is gast.Name and node.body.__class__ is gast.Name \
                and node.body.id == tested.id and self.number_or_none(node.body) \
                or tested.__class__ is gast.Constant and node.body.__class__ is gast.Constant \
                and node.body.value == tested.value:
            # (a constant there: the tested name was one, replaced by 3. above)
            self.changed = True
            return node.body
        return node

    def visit_Call(self, node):
        """``broadcast_like(t, y)`` and ``unbroadcast(t, y)`` of numbers are ``t``;
        ``shaped(g, x)`` of a number g for a float x is g; ``zeros_like(x)`` of a float
        is ``0.0``; ``quotient(a, b)`` of a number ``b`` is ``a / b`` where b is not
        zero."""
        self.generic_visit(node)
        if node.keywords or node.func.__class__ is not gast.Name:
            return node
        callee = _resolve(node.func, self.bound, self.infer.user_globals, self.infer.locals)
        if callee is shaped and len(node.args) == 2 \
                and self.infer.kind(node.args[0]) is not None and self.a_float(node.args[1]):
            self.changed = True
            return node.args[0]   # (a number's gradient for a float: itself)
        if (callee is broadcast_like or callee is unbroadcast) and len(node.args) == 2 \
                and all(self.infer.kind(a) is not None for a in node.args):
            self.changed = True
            return node.args[0]
        if callee is zeros_like and len(node.args) == 1 and self.float_expr(node.args[0]):
            self.changed = True
            return gast.Constant(value=0.0, kind=None)
        if callee is quotient and len(node.args) == 2 and self.number_or_none(node.args[1]) \
                and self.infer.kind(node.args[0]) is not None \
                and not getattr(node, "zero_only", False):
            # (only a zero makes a / b raise: the call is left for that case alone)
            self.changed = node.zero_only = True
            return gast.IfExp(test=clone(node.args[1]),
                              body=gast.BinOp(left=clone(node.args[0]), op=gast.Div(),
                                              right=clone(node.args[1])),
                              orelse=node)
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if not self.fold or node.op.__class__ is not gast.Mult:
            return node
        for one, other in ((node.left, node.right), (node.right, node.left)):
            if one.__class__ is gast.Constant and type(one.value) is float \
                    and one.value in (1.0, -1.0) and self.float_expr(other):
                self.changed = True
                if one.value == 1.0:
                    return other
                return gast.UnaryOp(op=gast.USub(), operand=other)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if self.fold and node.op.__class__ is gast.USub \
                and node.operand.__class__ is gast.Constant \
                and type(node.operand.value) in (int, float):
            return gast.Constant(value=-node.operand.value, kind=None)
        return node

    def float_expr(self, node) -> bool:
        return self.infer.kind(node) == FLOAT


def _derived(stmt) -> bool:
    """Whether ``stmt`` is the derivative's own, not a statement of the user's function
    (whose names and arithmetic stay as written: ``dt = 0.01`` keeps its name)."""
    return getattr(stmt, "phase", None) == "adjoint" or getattr(stmt, "derived", False) \
        or getattr(stmt, "origin", True) is None


def _class_test(test, constants: bool = False):
    """The name ``v`` of ``v.__class__ is not K``, or None; with ``constants``, also
    the constant ``c`` of ``c.__class__ is not K`` when c is a Python int or float."""
    if test.__class__ is gast.Compare and len(test.ops) == 1 \
            and test.ops[0].__class__ is gast.IsNot \
            and test.left.__class__ is gast.Attribute and test.left.attr == "__class__" \
            and test.comparators[0].__class__ is gast.Name:
        tested = test.left.value
        if tested.__class__ is gast.Name or constants and tested.__class__ is gast.Constant \
                and type(tested.value) in (int, float):
            return tested
    return None


def _is_require_scalar(obj) -> bool:
    return obj is require_scalar
