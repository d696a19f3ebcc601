"""scalarize: in a version, a small state array that a loop rebuilds from its items
becomes one number per item.

``x = x + dt * np.array([s * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], ...])`` in
a loop: each turn makes three arrays of three elements, and its adjoint updates their
elements one by one (``bx[2] -= g``), at a NumPy call or an element write apiece. The
version's guard fixes the argument's shape (3,) and float64 dtype, so the loop is as
well written

    dx_0 = s * (x_1 - x_0)
    dx_1 = x_0 * (28.0 - x_2) - x_1
    dx_2 = x_0 * x_1 - 2.6 * x_2
    x_0 = x_0 + dt * dx_0
    x_1 = x_1 + dt * dx_1
    x_2 = x_2 + dt * dx_2

with the same values: every item is a float64 NumPy scalar (an element of a float64
array, or arithmetic or a NumPy function of one with numbers), and ``+ - * /`` of
float64 arrays work element by element with the same rounding as on the scalars. The
array is made again (``x = np.array([x_0, x_1, x_2])``) before a statement that reads
it otherwise (``np.sum(x * x)``).

A local name ``v`` is made numbers when every assignment to it is ``v = p`` (a 1-D
float64 array parameter of at most MAX_ITEMS elements that nothing can change: read
only as elements, in arithmetic or by NumPy functions that make new arrays),
``v = np.array([a, b, ...])`` of float64 scalar items, ``np.array`` of float constants
or ``np.zeros(k)`` (whose elements, and those of arithmetic of such arrays only, are
Python floats: never read as elements, nor divided by each other, where Python's
division would raise at a zero), or ``+ - * /`` (and ``np.abs``, ``np.sqrt``,
``np.square``) of such names, ``np.array`` displays of the same length and numbers;
it is read only as ``v[c]`` (a constant in range), in such assignments, or,
outside loops, where the array made again is read into a new array or a number
(``x * x``, ``np.sum(x)``, ``len(x)``, ``return x``: nothing else can hold it and change
it in place); and every read comes after an assignment that surely ran (so an
unassigned read fails as before, naming ``v``). Only versions change: the generic
derivative keeps the arrays.
"""
from __future__ import annotations

import math

import gast
import numpy as np

from .naming import locate, walk
from .template import clone

MAX_ITEMS = 8   # the most elements a state array made numbers may have

_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div)
_SCALAR_OPS = _ARITHMETIC + (gast.Pow, gast.Mod, gast.FloorDiv)
# NumPy functions of numbers that give a float64 NumPy scalar for one
_UFUNCS = {"sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "arctan",
           "arcsin", "arccos", "abs", "absolute", "square", "log1p", "expm1", "maximum",
           "minimum", "hypot", "arctan2", "sign", "fabs"}
_MATH = {"sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "atan",
         "asin", "acos", "hypot", "atan2", "fabs", "log1p", "expm1"}
_EXACT = {"abs", "absolute", "fabs", "sqrt", "square"}
# NumPy functions whose result is a new array or a number, never their argument or a
# view of it
_FRESH = {"sum", "mean", "prod", "dot", "vdot", "inner", "outer", "cross", "max", "min",
          "var", "std", "cumsum", "sin", "cos", "tan", "exp", "log", "sqrt", "tanh",
          "sinh", "cosh", "abs", "absolute", "square", "maximum", "minimum", "clip",
          "concatenate", "stack", "hstack", "vstack", "where", "allclose", "isfinite",
          "isnan", "any", "all", "argmax", "argmin", "sign", "arctan2", "hypot", "copy"}
_SCOPES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef,
           gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)
_ARRAY_ATTRIBUTES = {"shape", "size", "ndim", "dtype"}


def maybe_scalarizes(func) -> bool:
    """Whether ``func`` calls something named ``array`` (``np.array([...])``): a quick
    test, before parsing, that a version may have a state array to make numbers."""
    return getattr(func, "user_def", None) is None and "array" in func.__code__.co_names


def scalarized_body(parsed, signature: dict):
    """The body of the parsed function with its small state arrays made numbers (module
    docstring), for the version of ``signature``; None when there is none to make."""
    return _Scalarizer(parsed, signature).run()


class _Scalarizer:
    def __init__(self, parsed, signature):
        self.node = parsed.node
        self.globals = parsed.globals
        args = self.node.args
        self.params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
        self.signature = signature

    # -- what is what ------------------------------------------------------------
    def run(self):
        node = self.node
        if node.args.vararg or node.args.kwarg:
            return None
        self.numpy = {n for n, v in self.globals.items() if v is np}
        self.math = {n for n, v in self.globals.items() if v is math}
        names = [n for n in walk(node.body) if n.__class__ is gast.Name]
        self.assigned = {n.id for n in names if not isinstance(n.ctx, gast.Load)}
        if self.assigned & (self.numpy | self.math) or any(
                isinstance(n, (gast.Global, gast.Nonlocal)) for n in walk(node.body)):
            return None
        self.numpy = {n for n in self.numpy if n not in self.params}
        self.math = {n for n in self.math if n not in self.params}
        if not self.numpy:
            return None
        self.taken = {n.id for n in names} | set(self.params)
        # names inside nested scopes: not made numbers, nor read as numbers
        self.scoped = {n.id for s in walk(node.body) if isinstance(s, _SCOPES)
                       for n in walk(s) if n.__class__ is gast.Name}
        self.looped = {id(n) for loop in walk(node.body)
                       if loop.__class__ in (gast.For, gast.While)
                       for n in walk(loop.body + loop.orelse)}
        self.rows = self._row_params()
        self.numbers = self._number_names()
        self.defs = self._definitions()
        # name -> its length (None: not known yet); names are dropped until every one
        # left fits (module docstring)
        self.candidates = {name: None for name in self.defs
                           if name not in self.scoped and name not in self.params}
        for name in self.candidates:   # (a first guess, checked below)
            for stmt in self.defs[name]:
                value = stmt and stmt.value
                if value.__class__ is gast.Name and value.id in self.rows:
                    self.candidates[name] = self.rows[value.id]
                elif self._made(value) is not None:
                    self.candidates[name] = len(self._made(value))
                elif self._constants(value) is not None:
                    self.candidates[name] = len(self._constants(value))
        while True:
            self.strict = self._strict()
            sizes = {name: self._size(name) for name in self.candidates}
            found = {n: k for n, k in sizes.items()
                     if k not in (None, False) and k != self.candidates[n]}
            if found:   # (an element of an array of a length not known yet is no number)
                self.candidates.update(found)
                continue
            dropped = [n for n, k in sizes.items() if k in (None, False)] or \
                [n for n in self.candidates if not self._reads_fit(n)]
            if not dropped:
                break
            for name in dropped:
                del self.candidates[name]
        if not self.candidates or not self._in_a_loop() or not self._surely_assigned():
            return None
        self.parts = {v: self._part_names(v, k) for v, k in self.candidates.items()}
        return self._block(node.body)

    def _row_params(self) -> dict:
        """1-D float64 array parameters of at most MAX_ITEMS elements the function only
        reads, as ``v = p`` or where nothing can change it (``p[c]``, ``p * 2``,
        ``np.sum(p)``): name -> length."""
        rows = {}
        for p in self.params:
            found = self.signature.get(p)
            kind = found[0] if found else None
            if not isinstance(kind, tuple) or kind[0] is not np.ndarray \
                    or len(kind[1]) != 1 or not 1 <= kind[1][0] <= MAX_ITEMS \
                    or kind[2] != np.float64 or p in self.assigned or p in self.scoped:
                continue
            rows[p] = kind[1][0]
        self.numbers = set()   # (_fresh_read's numbers: none known yet)
        for parent in walk(self.node.body):
            for field, child in gast.iter_fields(parent):
                for node in child if isinstance(child, list) else [child]:
                    if node.__class__ is gast.Name and node.id in rows and not (
                            parent.__class__ is gast.Assign and field == "value"
                            and len(parent.targets) == 1
                            and parent.targets[0].__class__ is gast.Name
                            or self._fresh_read(parent, field)):
                        del rows[node.id]
        return rows

    def _number_names(self) -> set:
        """Names that surely hold a number: number parameters, counters of ``range``
        loops, and locals every assignment of which is a number (a fixed point)."""
        numbers = {p for p in self.params if self.signature.get(p) is not None
                   and self.signature[p][0] in (float, int, np.float64)
                   and p not in self.assigned}
        local = {}
        for stmt in walk(self.node.body):
            if stmt.__class__ is gast.For and stmt.target.__class__ is gast.Name:
                call = stmt.iter
                ok = call.__class__ is gast.Call and call.func.__class__ is gast.Name \
                    and call.func.id == "range" and "range" not in self.globals \
                    and "range" not in self.assigned
                local.setdefault(stmt.target.id, []).append(ok or None)
            elif stmt.__class__ is gast.Assign:
                for t in stmt.targets:
                    for n in walk(t):
                        if n.__class__ is gast.Name:
                            ok = t.__class__ is gast.Name and len(stmt.targets) == 1
                            local.setdefault(n.id, []).append(stmt.value if ok else None)
            elif isinstance(stmt, (gast.AugAssign, gast.AnnAssign, gast.With,
                                   gast.NamedExpr, gast.Try, gast.ExceptHandler)) \
                    or stmt.__class__ in (gast.For, gast.AsyncFor, gast.Delete):
                for n in walk(stmt.target if hasattr(stmt, "target") else stmt):
                    if n.__class__ is gast.Name and not isinstance(n.ctx, gast.Load):
                        local.setdefault(n.id, []).append(None)
        numbers |= {n for n, values in local.items() if n not in self.params}
        self.number_locals = local
        changed = True
        while changed:
            changed = False
            for name in list(numbers - set(self.params)):
                values = local.get(name, [None])
                if name in self.scoped or any(
                        v is None or (v is not True and not self._scalar(v, numbers))
                        for v in values):
                    numbers.discard(name)
                    changed = True
        return numbers

    def _definitions(self) -> dict:
        """Each local name -> its assignments: the Assign statements of one Name target,
        or None for any other kind of binding."""
        defs = {}
        for stmt in walk(self.node.body):
            if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                    and stmt.targets[0].__class__ is gast.Name:
                defs.setdefault(stmt.targets[0].id, []).append(stmt)
        for sub in walk(self.node.body):
            if sub.__class__ is gast.Name and not isinstance(sub.ctx, gast.Load) \
                    and sub.id in defs:
                if not any(s is not None and sub is s.targets[0] for s in defs[sub.id]):
                    defs[sub.id].append(None)
        return defs

    # -- expressions -----------------------------------------------------------
    def _scalar(self, e, numbers=None) -> bool:
        """Whether ``e`` surely gives a number (not an array)."""
        numbers = self.numbers if numbers is None else numbers
        cls = e.__class__
        if cls is gast.Constant:
            return type(e.value) in (int, float)
        if cls is gast.Name:
            return e.id in numbers
        if cls is gast.Subscript:
            return self._element(e) is not None
        if cls is gast.BinOp:
            return isinstance(e.op, _SCALAR_OPS) and self._scalar(e.left, numbers) \
                and self._scalar(e.right, numbers)
        if cls is gast.UnaryOp:
            return isinstance(e.op, (gast.USub, gast.UAdd)) and self._scalar(e.operand, numbers)
        if cls is gast.Call:
            return self._function(e) and all(self._scalar(a, numbers) for a in e.args)
        return False

    def _float64(self, e) -> bool:
        """Whether the number ``e`` (``_scalar``) surely is a float64 NumPy scalar."""
        cls = e.__class__
        if cls is gast.Subscript:
            return True   # an element of a float64 array
        if cls is gast.BinOp:
            return self._float64(e.left) or self._float64(e.right)
        if cls is gast.UnaryOp:
            return self._float64(e.operand)
        if cls is gast.Call:   # NumPy's function of numbers: a NumPy scalar
            return e.func.value.id in self.numpy and any(self._float64(a) for a in e.args)
        return False

    def _element(self, e):
        """(array, index) of ``v[c]``: an element of a state array or a row parameter."""
        if e.__class__ is not gast.Subscript or e.value.__class__ is not gast.Name:
            return None
        c = _constant_int(e.slice)
        name = e.value.id
        size = self.rows.get(name) if name in self.rows else \
            getattr(self, "candidates", {}).get(name) if name in getattr(
                self, "strict", ()) else None
        if c is None or size is None or not -size <= c < size:
            return None
        return name, c % size

    def _function(self, call) -> bool:
        f = call.func
        return not call.keywords and f.__class__ is gast.Attribute \
            and f.value.__class__ is gast.Name \
            and (f.value.id in self.numpy and f.attr in _UFUNCS
                 or f.value.id in self.math and f.attr in _MATH) \
            and hasattr(self.globals[f.value.id], f.attr)

    def _elementwise(self, e, size: list) -> bool:
        """Whether ``e`` is ``+ - * /`` (and exact NumPy functions) of state arrays,
        ``np.array`` of float64 numbers (all of one length: ``size``) and numbers."""
        cls = e.__class__
        k = None
        if cls is gast.Name and e.id in self.candidates:
            k = self.candidates[e.id]
        elif self._array_leaf(e):
            k = len(self._made(e))
        elif self._constants(e) is not None:
            k = len(self._constants(e))
        elif cls is gast.BinOp and isinstance(e.op, _ARITHMETIC):
            if e.op.__class__ is gast.Div and not self._scalar(e) and not (
                    self._strict_in(e.left) or self._strict_in(e.right)):
                return False   # (Python's division of two floats raises at a zero)
            return self._elementwise(e.left, size) and self._elementwise(e.right, size)
        elif cls is gast.UnaryOp and isinstance(e.op, (gast.USub, gast.UAdd)):
            return self._elementwise(e.operand, size)
        elif self._exact(e):
            return self._elementwise(e.args[0], size)
        else:
            return self._scalar(e)
        if k is not None:
            if size and size[0] != k:
                return False
            size[:] = [k]
        return True

    def _leaves(self, e) -> list:
        """The operands of an elementwise expression."""
        if e.__class__ is gast.BinOp:
            return self._leaves(e.left) + self._leaves(e.right)
        if e.__class__ is gast.UnaryOp:
            return self._leaves(e.operand)
        if self._exact(e):
            return self._leaves(e.args[0])
        return [e]

    def _constants(self, value):
        """The items of ``np.array([1.5, -9.81])`` of float constants, or of
        ``np.zeros(k)`` (float zeros), or None: an array of Python floats."""
        if value.__class__ is not gast.Call or value.func.__class__ is not gast.Attribute \
                or value.func.value.__class__ is not gast.Name \
                or value.func.value.id not in self.numpy or value.keywords \
                or len(value.args) != 1:
            return None
        if value.func.attr == "zeros":
            k = _constant_int(value.args[0])
            return [gast.Constant(value=0.0, kind=None)] * k \
                if k is not None and 1 <= k <= MAX_ITEMS else None
        items = self._made(value)
        if items is None or not 1 <= len(items) <= MAX_ITEMS:
            return None
        for item in items:
            inner = item.operand if item.__class__ is gast.UnaryOp \
                and item.op.__class__ is gast.USub else item
            if inner.__class__ is not gast.Constant or type(inner.value) is not float:
                return None
        return items

    def _strict(self) -> set:
        """The state arrays whose elements are surely float64 NumPy scalars (the others'
        may be Python floats: of constants, np.zeros, arithmetic of those): every
        assignment is of an argument, of float64 items, or arithmetic with one of
        those."""
        strict = set(self.candidates)
        changed = True
        while changed:
            changed = False
            for name in list(strict):
                for stmt in self.defs[name]:
                    value = stmt and stmt.value
                    if value is None or self._constants(value) is not None or (
                            self._made(value) is None and not (
                                value.__class__ is gast.Name and value.id in self.rows)
                            and not any(self._strict_leaf(n, strict)
                                        for n in self._leaves(value))):
                        strict.discard(name)
                        changed = True
                        break
        return strict

    def _strict_leaf(self, e, strict) -> bool:
        return e.__class__ is gast.Name and e.id in strict or self._array_leaf(e)

    def _strict_in(self, e) -> bool:
        """Whether the elementwise expression ``e`` has a float64 array operand."""
        return any(self._strict_leaf(n, self.strict) for n in self._leaves(e))

    def _array_leaf(self, e) -> bool:
        """``np.array([a, b, ...])`` of float64 numbers."""
        items = self._made(e)
        return items is not None and 1 <= len(items) <= MAX_ITEMS and all(
            self._scalar(i) and self._float64(i) for i in items)

    def _exact(self, e) -> bool:
        """``np.abs(a)``, ``np.sqrt(a)``, ``np.square(a)``: NumPy functions exact on each
        element (the same on an array and on its elements)."""
        return e.__class__ is gast.Call and len(e.args) == 1 and not e.keywords \
            and e.func.__class__ is gast.Attribute and e.func.value.__class__ is gast.Name \
            and e.func.value.id in self.numpy and e.func.attr in _EXACT

    def _made(self, value):
        """The items of ``np.array([a, b, ...])``, or None."""
        if value.__class__ is gast.Call and value.func.__class__ is gast.Attribute \
                and value.func.attr == "array" and value.func.value.__class__ is gast.Name \
                and value.func.value.id in self.numpy and len(value.args) == 1 \
                and not value.keywords and value.args[0].__class__ in (gast.List, gast.Tuple):
            return value.args[0].elts
        return None

    def _size(self, name: str):
        """The length of the state array ``name`` when each assignment fits, False when
        one does not, None when its length is not known yet."""
        size = []
        for stmt in self.defs[name]:
            if stmt is None:
                return False
            value = stmt.value
            items = self._made(value)
            if value.__class__ is gast.Name and value.id in self.rows:
                k = self.rows[value.id]
            elif self._constants(value) is not None:
                k = len(self._constants(value))
            elif items is not None:
                if not 1 <= len(items) <= MAX_ITEMS or not all(
                        self._scalar(i) and self._float64(i) for i in items):
                    return False
                k = len(items)
            else:
                found = []
                if not self._elementwise(value, found) or not any(
                        n.__class__ is gast.Name and n.id in self.candidates
                        or self._array_leaf(n) or self._constants(n) is not None
                        for n in self._leaves(value)):
                    return False
                if not found:
                    continue   # (the lengths of its arrays are not known yet)
                k = found[0]
            if size and size[0] != k:
                return False
            size[:] = [k]
        return size[0] if size else None

    def _reads_fit(self, name: str) -> bool:
        """Whether each read of the state array ``name`` is an element, a part of an
        elementwise assignment to a state array, or a read of the array made again
        whose result is a new array or a number (module docstring): nothing can hold
        that array and change it in place where the function would change ``name``'s."""
        fits = set()
        for stmt in walk(self.node.body):
            if stmt.__class__ is gast.Assign and stmt.targets[0].__class__ is gast.Name \
                    and stmt.targets[0].id in self.candidates and len(stmt.targets) == 1 \
                    and self._made(stmt.value) is None and self._constants(stmt.value) is None:
                fits |= {id(n) for n in walk(stmt.value) if n.__class__ is gast.Name}
        for parent in walk(self.node.body):
            if parent.__class__ is gast.While and _reads(parent.test, name):
                return False
            for field, child in gast.iter_fields(parent):
                for node in child if isinstance(child, list) else [child]:
                    if node.__class__ is gast.Name and node.id == name \
                            and isinstance(node.ctx, gast.Load) and id(node) not in fits \
                            and not (isinstance(parent.ctx, gast.Load)
                                     and self._element(parent) is not None
                                     if parent.__class__ is gast.Subscript else False) \
                            and (id(node) in self.looped
                                 or not self._fresh_read(parent, field)):
                        return False   # (an array made again at every turn: no faster)
        return True

    def _fresh_read(self, parent, field: str) -> bool:
        """Whether reading a state array as the ``field`` of ``parent`` makes a new
        array or a number (or returns it): ``x + y``, ``np.sum(x)``, ``x[i]`` of a
        number i, ``x.shape``, ``len(x)``, ``x < 0``, ``return x``."""
        cls = parent.__class__
        if cls in (gast.BinOp, gast.UnaryOp, gast.Return):
            return True
        if cls is gast.Compare:
            return not any(isinstance(op, (gast.Is, gast.IsNot, gast.In, gast.NotIn))
                           for op in parent.ops)
        if cls is gast.Subscript:   # (a read: an element written is no number's)
            return field == "value" and isinstance(parent.ctx, gast.Load) and (
                _constant_int(parent.slice) is not None or (
                parent.slice.__class__ is gast.Name and parent.slice.id in self.numbers))
        if cls is gast.Attribute:
            return parent.attr in _ARRAY_ATTRIBUTES
        if cls is gast.Call and field == "args" and not parent.keywords:
            f = parent.func
            if f.__class__ is gast.Name:
                return f.id == "len" and "len" not in self.globals \
                    and "len" not in self.assigned
            return f.__class__ is gast.Attribute and f.value.__class__ is gast.Name \
                and f.value.id in self.numpy and f.attr in _FRESH
        return False

    def _in_a_loop(self) -> bool:
        for loop in walk(self.node.body):
            if loop.__class__ in (gast.For, gast.While):
                for stmt in walk(loop.body):
                    if stmt.__class__ is gast.Assign and stmt.targets[0].__class__ is \
                            gast.Name and stmt.targets[0].id in self.candidates:
                        return True
        return False

    def _surely_assigned(self) -> bool:
        """Whether every read of a state array comes after an assignment to it that
        surely ran: earlier in the same block or in a block around it."""
        def block(stmts, known):
            known = set(known)
            for stmt in stmts:
                if stmt.__class__ in (gast.For, gast.While, gast.If):
                    head = stmt.iter if stmt.__class__ is gast.For else stmt.test
                    if _reads_any(head, set(self.candidates) - known):
                        return False
                    for inner in (stmt.body, stmt.orelse):
                        if not block(inner, known):
                            return False
                    continue
                if any(isinstance(s, gast.stmt) for s in walk(stmt) if s is not stmt):
                    return False   # (a try, a with: not looked into)
                value = stmt.value if stmt.__class__ is gast.Assign else stmt
                if _reads_any(value, set(self.candidates) - known):
                    return False
                if stmt.__class__ is gast.Assign and stmt.targets[0].__class__ is gast.Name:
                    known.add(stmt.targets[0].id)
            return True
        return block(self.node.body, set())

    # -- the rewrite -------------------------------------------------------------
    def _part_names(self, name: str, size: int) -> list:
        parts = []
        for c in range(size):
            part, n = f"{name}_{c}", 0
            while part in self.taken:
                n += 1
                part = f"{name}_{c}_{n}"
            self.taken.add(part)
            parts.append(part)
        return parts

    def _block(self, stmts) -> list:
        out = []
        for stmt in stmts:
            if stmt.__class__ in (gast.For, gast.While, gast.If):
                head = stmt.iter if stmt.__class__ is gast.For else stmt.test
                out.extend(self._rebuilt(head, stmt))
                if stmt.__class__ is gast.For:
                    stmt.iter = self._numbers(stmt.iter)
                else:
                    stmt.test = self._numbers(stmt.test)
                stmt.body = self._block(stmt.body)
                stmt.orelse = self._block(stmt.orelse)
                out.append(stmt)
            elif stmt.__class__ is gast.Assign and stmt.targets[0].__class__ is gast.Name \
                    and stmt.targets[0].id in self.candidates:
                out.extend(self._assignments(stmt))
            else:
                out.extend(self._rebuilt(stmt, stmt))
                out.append(self._numbers(stmt))
        return out

    def _rebuilt(self, tree, stmt) -> list:
        """``v = np.array([v_0, v_1, ...])`` before ``stmt`` for each state array ``v``
        that ``tree`` reads as an array."""
        elements = {id(s.value) for s in walk(tree) if s.__class__ is gast.Subscript
                    and self._element(s) is not None and s.value.id in self.candidates}
        names = sorted({n.id for n in walk(tree) if n.__class__ is gast.Name
                        and n.id in self.candidates and isinstance(n.ctx, gast.Load)
                        and id(n) not in elements})
        out = []
        for name in names:
            np_name = sorted(self.numpy)[0]
            value = gast.Call(func=gast.Attribute(value=_name(np_name), attr="array",
                                                  ctx=gast.Load()),
                              args=[gast.List(elts=[_name(p) for p in self.parts[name]],
                                              ctx=gast.Load())], keywords=[])
            assign = gast.Assign(targets=[_name(name, gast.Store())], value=value,
                                 type_comment=None)
            locate(assign, stmt)
            out.append(assign)
        return out

    def _numbers(self, tree):
        """``tree`` with each element ``v[c]`` of a state array read as its number."""
        if tree.__class__ is gast.Subscript and self._element(tree) is not None \
                and tree.value.id in self.candidates:
            name, c = self._element(tree)
            return _located(_name(self.parts[name][c]), tree)
        for field, value in gast.iter_fields(tree):
            if isinstance(value, list):
                setattr(tree, field, [self._numbers(v) if isinstance(v, gast.AST) else v
                                      for v in value])
            elif isinstance(value, gast.AST):
                setattr(tree, field, self._numbers(value))
        return tree

    def _assignments(self, stmt) -> list:
        """``v = ...`` of a state array as one assignment per element."""
        name = stmt.targets[0].id
        parts = self.parts[name]
        value = stmt.value
        items = self._made(value)
        if value.__class__ is gast.Name and value.id in self.rows:
            values = [gast.Subscript(value=_name(value.id), slice=gast.Constant(
                value=c, kind=None), ctx=gast.Load()) for c in range(len(parts))]
        elif self._constants(value) is not None:
            values = [clone(i) for i in self._constants(value)]
        elif items is not None:
            values = [self._numbers(i) for i in items]
        else:
            values = [self._numbers(self._component(clone(value), c))
                      for c in range(len(parts))]
        # an element read after another is assigned (x = np.array([x[1], x[0]])): one
        # tuple assignment then
        together = any(n.__class__ is gast.Name and n.id in parts[:c]
                       for c, v in enumerate(values) for n in walk(v))
        if together:
            assign = gast.Assign(
                targets=[gast.Tuple(elts=[_name(p, gast.Store()) for p in parts],
                                    ctx=gast.Store())],
                value=gast.Tuple(elts=values, ctx=gast.Load()), type_comment=None)
            out = [assign]
        else:
            out = [gast.Assign(targets=[_name(p, gast.Store())], value=v, type_comment=None)
                   for p, v in zip(parts, values)]
        for s in out:
            locate(s, stmt)
        return out

    def _component(self, e, c: int):
        """Element c of the elementwise expression ``e``."""
        if e.__class__ is gast.Name and e.id in self.candidates:
            return _located(_name(self.parts[e.id][c]), e)
        if self._array_leaf(e):
            return self._made(e)[c]
        if self._constants(e) is not None:
            return clone(self._constants(e)[c])
        if e.__class__ is gast.BinOp:
            e.left, e.right = self._component(e.left, c), self._component(e.right, c)
        elif e.__class__ is gast.UnaryOp:
            e.operand = self._component(e.operand, c)
        elif self._exact(e):
            e.args = [self._component(e.args[0], c)]
        return e


def _constant_int(node):
    if node.__class__ is gast.UnaryOp and node.op.__class__ is gast.USub \
            and node.operand.__class__ is gast.Constant and type(node.operand.value) is int:
        return -node.operand.value
    if node.__class__ is gast.Constant and type(node.value) is int:
        return node.value
    return None


def _reads(trees, name: str) -> bool:
    return any(n.__class__ is gast.Name and n.id == name for n in walk(trees))


def _reads_any(tree, names: set) -> bool:
    return any(n.__class__ is gast.Name and n.id in names and isinstance(n.ctx, gast.Load)
               for n in walk(tree))


def _name(name: str, ctx=None):
    return gast.Name(id=name, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def _located(node, where):
    locate(node, where)
    return node
