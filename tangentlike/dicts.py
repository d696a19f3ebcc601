"""dicts: a dict the function builds itself becomes one variable per key.

A function may keep its values in a dict of its own::

    cache = {"h": np.tanh(W @ x)}               cache_h = np.tanh(W @ x)
    cache["y"] = V @ cache["h"]          ->     cache_y = V @ cache_h
    for name, v in cache.items():               total = total + np.sum(cache_h * cache_h)
        total = total + np.sum(v * v)           total = total + np.sum(cache_y * cache_y)

When every key is a constant, the dict is a set of named variables and the rest of the
pipeline sees exactly that (a scalar replacement of the aggregate, run on the parsed
function before anything else reads it). The rewrite keeps Python's meaning: a name
and a dict's slot both hold a reference, so ``cache["y"] += 1`` changes the same object
``cache_y += 1`` does, and a display's values are all computed before any is stored.

The dict must be built by a display (``{"h": ...}``, ``{}``) or ``dict(h=...)`` at the
top level of the function, and used only as

- ``d[k]`` and ``d[k] = ...`` (``d[k] += ...``) with a constant key ``k``; a new key only
  at the top level (in a loop or a branch, the keys it has afterwards would depend on
  the path taken);
- ``f(..., **d)`` (``f(..., key=d_key, ...)``);
- ``len(d)``, ``k in d``, ``k not in d`` (constants: the keys are known at each line;
  an ``if`` on one of them is the branch it takes);
- ``for k in d``, ``for k in d.keys()``, ``for v in d.values()``, ``for k, v in
  d.items()``: one copy of the loop's body per key, in the dict's order (Python's), the
  key a constant in it (so ``d[k]`` reads a variable); so is a loop over a display of
  constants whose body reads ``d[k]`` (``for k in ("W", "b"): d[k] = d[k] - g[k]``). A
  body with ``break``, ``continue`` or ``return`` at its level, or assigning the loop's
  key, stays refused.

A dict comprehension over a display of constant keys (``{k: f(k) for k in ("a", "b")}``)
is first written as the display it builds, and a namedtuple built at the top level and
read only by its fields (``p = P(w=x, b=y)``, ``p.w``, ``p[0]``) as the dict ``{"w": x,
"b": y}`` read by ``p["w"]``.

Any other use of it (returned, passed to a call, copied, a method such as ``d.get``, a
key that is not a constant, a dict built inside a loop or a branch, used inside a
nested function) is a TransformError at that use, saying what is supported. A dict
given as an argument is not touched here: its keys are known only at the call
(specialize.py, unroll.py).
"""
from __future__ import annotations

import builtins
import copy

import gast

from .naming import Namer, contains, locate, names_in, walk

_USES = ("it is used only by `d[key]` and `d[key] = ...` with a constant key, `f(**d)`, "
         "`len(d)`, `key in d` and loops over `d`, `d.keys()`, `d.values()` or `d.items()`")
_HINT = ("keep the values in separate variables, or build the dict outside the function "
         "and pass it as an argument")


def split_dicts(parsed) -> None:
    """Rewrite the dicts ``parsed``'s function builds as variables, in place (see the
    module docstring); a TransformError at a use it cannot rewrite."""
    fdef = parsed.node
    for stmt in fdef.body:
        display = _comprehension_display(stmt)
        if display is not None:
            stmt.value = display
    _namedtuples_as_dicts(parsed)
    names = {stmt.targets[0].id for stmt in fdef.body if _display_assignment(parsed, stmt)}
    if not names:
        return
    params = {a.id for a in fdef.args.args + fdef.args.kwonlyargs + fdef.args.posonlyargs}
    names -= params
    if names:
        fdef.body = _Splitter(parsed, names).body(fdef.body, top=True)


def _namedtuples_as_dicts(parsed) -> None:
    """``p = P(w=x, b=y)`` of a namedtuple class ``P`` at the top level, ``p`` assigned
    nowhere else and read only by its fields (``p.w``, ``p[0]``), not in a nested
    function: the dict display ``p = {"w": x, "b": y}`` (the values in the order the call
    computes them) read as ``p["w"]``, which split_dicts makes variables. A namedtuple
    used otherwise (returned, passed, unpacked) is left as it is."""
    fdef = parsed.node
    params = {a.id for a in fdef.args.args + fdef.args.kwonlyargs + fdef.args.posonlyargs}
    for stmt in fdef.body:
        if not (stmt.__class__ is gast.Assign and len(stmt.targets) == 1
                and stmt.targets[0].__class__ is gast.Name
                and stmt.value.__class__ is gast.Call and stmt.targets[0].id not in params):
            continue
        name, call = stmt.targets[0].id, stmt.value
        cls = _resolved(parsed, call.func)
        if not (isinstance(cls, type) and issubclass(cls, tuple)
                and isinstance(getattr(cls, "_fields", None), tuple)):
            continue
        pairs = _fields_given(cls, call)
        reads = _field_reads(fdef, name, stmt, cls._fields)
        if pairs is None or reads is None:
            continue
        stmt.value = gast.copy_location(gast.Dict(
            keys=[gast.Constant(value=k, kind=None) for k, _ in pairs],
            values=[v for _, v in pairs]), call)
        fdef.body = [_FieldReads(dict(reads)).visit(s) for s in fdef.body]


class _FieldReads(gast.NodeTransformer):
    """``p.w`` and ``p[0]`` (the nodes of ``fields``, by id) -> ``p["w"]``."""

    def __init__(self, fields: dict):
        self.fields = fields

    def generic_visit(self, node):
        node = super().generic_visit(node)
        field = self.fields.get(id(node))
        if field is None:
            return node
        read = gast.Subscript(value=node.value, slice=gast.Constant(value=field, kind=None),
                              ctx=gast.Load())
        return gast.copy_location(read, node)


def _resolved(parsed, func):
    """The object the call's function ``P`` or ``module.P`` names, or None."""
    if func.__class__ is gast.Name:
        return parsed.lookup(func.id, None)
    if func.__class__ is gast.Attribute:
        owner = _resolved(parsed, func.value)
        return getattr(owner, func.attr, None) if owner is not None else None
    return None


def _fields_given(cls, call):
    """[(field, value node)] of ``P(...)``, in the order the call computes them, the
    defaults (numbers) last; None when the call is not that simple."""
    fields = cls._fields
    if len(call.args) > len(fields) or any(a.__class__ is gast.Starred for a in call.args) \
            or any(k.arg is None or k.arg not in fields for k in call.keywords):
        return None
    pairs = list(zip(fields, call.args)) + [(k.arg, k.value) for k in call.keywords]
    given = [f for f, _ in pairs]
    if len(set(given)) != len(given):
        return None
    defaults = getattr(cls, "_field_defaults", {})
    for field in fields:
        if field not in given:
            value = defaults.get(field, _NO_KEY)
            if type(value) not in (int, float, bool, str) and value is not None:
                return None
            pairs.append((field, gast.Constant(value=value, kind=None)))
    return pairs


def _field_reads(fdef, name, built, fields):
    """[(id of the node, field)] of the reads ``name.field`` and ``name[i]`` (``i`` an integer
    constant) in ``fdef``'s body after ``built``, when they are the only uses of
    ``name`` (assigned by ``built`` only, read in no nested function); else None."""
    reads, seen = [], set()
    for node in walk(fdef.body):
        if node.__class__ in (gast.FunctionDef, gast.Lambda, gast.AsyncFunctionDef) and \
                contains(node, gast.Name, lambda n: n.id == name):
            return None
        if node.__class__ is gast.Attribute and node.value.__class__ is gast.Name and \
                node.value.id == name and node.attr in fields and \
                node.ctx.__class__ is gast.Load:
            reads.append((id(node), node.attr))
            seen.add(id(node.value))
        elif node.__class__ is gast.Subscript and node.value.__class__ is gast.Name and \
                node.value.id == name and node.ctx.__class__ is gast.Load and \
                -len(fields) <= _index(node.slice) < len(fields):
            reads.append((id(node), fields[_index(node.slice)]))
            seen.add(id(node.value))
    for node in walk(fdef.body):
        if node.__class__ is gast.Name and node.id == name and id(node) not in seen and \
                node is not built.targets[0]:
            return None
    return reads


def _index(node) -> float:
    """The integer constant ``node`` is (``1``, ``-1``), else infinity."""
    sign = 1
    if node.__class__ is gast.UnaryOp and node.op.__class__ is gast.USub:
        node, sign = node.operand, -1
    if node.__class__ is gast.Constant and type(node.value) is int:
        return sign * node.value
    return float("inf")


def _comprehension_display(stmt):
    """The display ``{"a": f("a"), "b": f("b")}`` that ``d = {k: f(k) for k in ("a",
    "b")}`` (a dict comprehension at the top level, one ``for`` over a display of
    constants, no ``if``, the key the loop's name) builds, with the same values in the
    same order; None for any other statement."""
    if stmt.__class__ is not gast.Assign or stmt.value.__class__ is not gast.DictComp:
        return None
    comp = stmt.value
    if len(comp.generators) != 1:
        return None
    loop = comp.generators[0]
    if loop.ifs or loop.is_async or loop.target.__class__ is not gast.Name or \
            comp.key.__class__ is not gast.Name or comp.key.id != loop.target.id or \
            loop.iter.__class__ not in (gast.Tuple, gast.List) or \
            any(_key(e) is _NO_KEY for e in loop.iter.elts) or \
            contains(comp.value, (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp,
                                  gast.GeneratorExp, gast.NamedExpr)):
        return None
    keys, values = [], []
    for element in loop.iter.elts:
        key = _key(element)
        value = copy.deepcopy(comp.value)
        holder = [value]
        _substitute(holder, loop.target.id, key)
        keys.append(gast.copy_location(gast.Constant(value=key, kind=None), element))
        values.append(holder[0])
    return gast.copy_location(gast.Dict(keys=keys, values=values), comp)


def _display_assignment(parsed, stmt) -> bool:
    """Whether ``stmt`` is ``name = {...}`` or ``name = dict(key=...)``."""
    return stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
        and stmt.targets[0].__class__ is gast.Name and _display(parsed, stmt.value) is not None


def _display(parsed, value):
    """[(key node, value node)] of a dict display or of ``dict(key=...)``; None for any
    other expression (``{**other}``, ``dict(pairs)``, a ``dict`` that is not Python's)."""
    if value.__class__ is gast.Dict:
        if all(k is not None for k in value.keys):
            return list(zip(value.keys, value.values))
        return None
    if value.__class__ is gast.Call and value.func.__class__ is gast.Name \
            and value.func.id == "dict" and not value.args \
            and all(k.arg is not None for k in value.keywords) \
            and parsed.lookup("dict", None) is dict:
        return [(gast.Constant(value=k.arg, kind=None), k.value) for k in value.keywords]
    return None


def _key(node):
    """The constant ``node`` is, as a key (a hashable constant), or ``_NO_KEY``."""
    if node.__class__ is gast.Constant:
        try:
            hash(node.value)
        except TypeError:
            return _NO_KEY
        return node.value
    return _NO_KEY


_NO_KEY = object()


class _Splitter(gast.NodeTransformer):
    """One walk of the body in order; ``keys[d]`` is ``{key: variable}`` of the keys
    ``d`` has at the statement being rewritten (None before it is built)."""

    def __init__(self, parsed, names: set):
        self.parsed = parsed
        self.keys = dict.fromkeys(names)
        self.namer = Namer(names_in(parsed.node))
        self.variables = {}   # (dict, key) -> its variable, the same for every display
        self.may_add = False  # a store may add a key (a statement at the top level)

    def error(self, message: str, node):
        return self.parsed.error(message, node, _HINT)

    def body(self, stmts: list, top: bool) -> list:
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt, top))
        return out

    def statement(self, stmt, top: bool) -> list:
        if _display_assignment(self.parsed, stmt) and stmt.targets[0].id in self.keys:
            return self.built(stmt, top)
        if stmt.__class__ is gast.For and self.dict_of_loop(stmt) is not None:
            return self.unrolled(stmt, top)
        if stmt.__class__ is gast.For and self.keys_of_display(stmt) is not None:
            return self.copies(stmt, [(k, None) for k in self.keys_of_display(stmt)],
                               stmt.target, None, top, "a loop over keys of a dict the "
                               "function builds")
        if stmt.__class__ is gast.If:
            stmt.test = self.rewritten(stmt.test, False)
            if stmt.test.__class__ is gast.Constant:   # (`if "b" not in d:`: known here)
                return self.body(stmt.body if stmt.test.value else stmt.orelse, top)
        if stmt.__class__ in (gast.If, gast.For, gast.While, gast.With):
            for field in ("test", "iter", "target", "items"):
                if hasattr(stmt, field):
                    setattr(stmt, field, self.rewritten(getattr(stmt, field), False))
            inner = top and stmt.__class__ is gast.With   # (a `with` body runs once)
            stmt.body = self.body(stmt.body, inner)
            if getattr(stmt, "orelse", None):
                stmt.orelse = self.body(stmt.orelse, False)
            return [stmt]
        if stmt.__class__ is gast.Assign:
            stmt.value = self.rewritten(stmt.value, False)   # (read before the stores)
            stmt.targets = [self.rewritten(t, top) for t in stmt.targets]
            return [stmt]
        if stmt.__class__ in (gast.AugAssign, gast.AnnAssign):
            stmt.value = self.rewritten(stmt.value, False)
            stmt.target = self.rewritten(stmt.target, top and stmt.__class__ is gast.AnnAssign)
            return [stmt]
        return [self.rewritten(stmt, False)]

    def rewritten(self, node, may_add: bool):
        if node is None or not contains(node, gast.Name, lambda n: n.id in self.keys):
            return node
        self.may_add = may_add
        if isinstance(node, list):
            return [self.visit(n) for n in node]
        return self.visit(node)

    # -- building and looping --------------------------------------------------------

    def built(self, stmt, top: bool) -> list:
        name = stmt.targets[0].id
        if not top:
            raise self.error(f"`{name}`, a dict the function builds, is built inside a "
                             f"loop or a branch here: it is supported when built at the "
                             f"top level of the function and {_USES}", stmt)
        pairs = _display(self.parsed, stmt.value)
        keys = [_key(k) for k, _ in pairs]
        for (node, _), key in zip(pairs, keys):
            if key is _NO_KEY:
                raise self.error(f"a key of `{name}`, a dict the function builds, is not a "
                                 f"constant: such a dict is supported when {_USES}", node)
        values = [self.rewritten(v, False) for _, v in pairs]
        self.keys[name] = {key: self.variable(name, key) for key in keys}
        if not pairs:
            return []
        targets = [gast.Name(id=self.keys[name][key], ctx=gast.Store(), annotation=None,
                             type_comment=None) for key in keys]
        if len(pairs) == 1:
            stmt.targets, stmt.value = targets, values[0]
        else:   # (all the values first, as the display computes them)
            stmt.targets = [gast.Tuple(elts=targets, ctx=gast.Store())]
            stmt.value = gast.Tuple(elts=values, ctx=gast.Load())
            locate(stmt.targets[0], stmt, shallow=True)
            locate(stmt.value, stmt, shallow=True)
        for target in targets:
            locate(target, stmt, shallow=True)
        return [stmt]

    def variable(self, name: str, key) -> str:
        if (name, key) not in self.variables:
            self.variables[name, key] = self.namer.fresh(f"{name}_{key}")
        return self.variables[name, key]

    def dict_of_loop(self, loop):
        """The dict a ``for`` goes over (its name), and what of it: None, or (name,
        'keys' / 'values' / 'items')."""
        it = loop.iter
        if it.__class__ is gast.Name and it.id in self.keys:
            return it.id, "keys"
        if it.__class__ is gast.Call and it.func.__class__ is gast.Attribute \
                and it.func.value.__class__ is gast.Name and it.func.value.id in self.keys \
                and it.func.attr in ("keys", "values", "items") \
                and not it.args and not it.keywords:
            return it.func.value.id, it.func.attr
        return None

    def unrolled(self, loop, top: bool) -> list:
        name, view = self.dict_of_loop(loop)
        keys = self.present(name, loop)
        target = loop.target
        if view == "items":
            if not (target.__class__ in (gast.Tuple, gast.List) and len(target.elts) == 2
                    and all(t.__class__ is gast.Name for t in target.elts)):
                raise self.error(f"a loop over `{name}.items()`, a dict the function builds, "
                                 "is supported with a target `key, value`", loop)
            key_target, value_target = target.elts
        elif target.__class__ is not gast.Name:
            raise self.error(f"a loop over `{name}`, a dict the function builds, is "
                             "supported with one name as its target", loop)
        else:
            key_target, value_target = (target, None) if view == "keys" else (None, target)
        return self.copies(loop, keys.items(), key_target, value_target, top,
                           f"a loop over `{name}`, a dict the function builds,")

    def keys_of_display(self, loop):
        """The constants of a loop over a display of them (``for k in ("W", "b")``) whose
        body reads a dict the function builds by its variable (``d[k]``); else None."""
        it, target = loop.iter, loop.target
        if not (it.__class__ in (gast.Tuple, gast.List) and target.__class__ is gast.Name
                and all(_key(e) is not _NO_KEY for e in it.elts)):
            return None
        if not contains(loop.body, gast.Subscript, lambda n: n.value.__class__ is gast.Name
                        and n.value.id in self.keys and n.slice.__class__ is gast.Name
                        and n.slice.id == target.id):
            return None
        return [_key(e) for e in it.elts]

    def copies(self, loop, items, key_target, value_target, top: bool, what: str) -> list:
        """The body of ``loop`` once per (key, variable of its value) of ``items``, the key
        a constant in it."""
        if _leaves_early(loop.body) or key_target is not None and any(
                n.__class__ is gast.Name and n.id == key_target.id and n.ctx.__class__ is not
                gast.Load for n in walk(loop.body)):
            raise self.error(f"{what} becomes one copy of its body per key: a body with "
                             "`break`, `continue` or `return`, or that assigns the key, is "
                             "not supported", loop)
        key_elsewhere = key_target is not None and any(
            n.__class__ is gast.Name and n.id == key_target.id
            for n in walk([s for s in self.parsed.node.body if s is not loop]))
        out = []
        for key, variable in items:
            copied = copy.deepcopy(loop.body)
            if key_target is not None:
                _substitute(copied, key_target.id, key)
            first = []
            if key_target is not None and key_elsewhere:
                first.append(_assign(key_target.id, gast.Constant(value=key, kind=None),
                                     loop))
            if value_target is not None:
                first.append(_assign(value_target.id, gast.Name(
                    id=variable, ctx=gast.Load(), annotation=None, type_comment=None), loop))
            out.extend(first + self.body(copied, False))
        out.extend(self.body(loop.orelse, top))   # (no break: the else always runs)
        return out

    def present(self, name: str, node) -> dict:
        keys = self.keys[name]
        if keys is None:
            raise self.error(f"`{name}`, a dict the function builds, is read before it is "
                             "built", node)
        return keys

    # -- expressions -------------------------------------------------------------------

    def visit_Subscript(self, node):
        if not (node.value.__class__ is gast.Name and node.value.id in self.keys):
            return self.generic_visit(node)
        name = node.value.id
        key = _key(node.slice)
        if key is _NO_KEY:
            raise self.error(f"`{name}[...]`: the key of `{name}`, a dict the function "
                             f"builds, is not a constant here; such a dict is supported "
                             f"when {_USES}", node)
        keys = self.present(name, node)
        ctx = node.ctx.__class__
        if key not in keys:
            if ctx is not gast.Store:
                raise self.error(f"`{name}` has no key {key!r} here (a KeyError in Python)",
                                 node)
            if not self.may_add:
                raise self.error(f"the key {key!r} is added to `{name}`, a dict the "
                                 "function builds, inside a loop or a branch: which keys "
                                 "it has afterwards would depend on the path taken", node)
            keys[key] = self.variable(name, key)
        if ctx is gast.Del:
            raise self.error(f"`del {name}[...]`: keys are not removed from a dict the "
                             f"function builds; it is supported when {_USES}", node)
        return gast.copy_location(gast.Name(id=keys[key], ctx=node.ctx, annotation=None,
                                            type_comment=None), node)

    def visit_Call(self, node):
        if node.func.__class__ is gast.Name and node.func.id == "len" \
                and len(node.args) == 1 and not node.keywords \
                and node.args[0].__class__ is gast.Name and node.args[0].id in self.keys \
                and self.parsed.lookup("len", None) is builtins.len:
            size = len(self.present(node.args[0].id, node))
            return gast.copy_location(gast.Constant(value=size, kind=None), node)
        keywords = []
        for keyword in node.keywords:   # f(x, **options): f(x, axis=options_axis)
            value = keyword.value
            if keyword.arg is None and value.__class__ is gast.Name and value.id in self.keys:
                keys = self.present(value.id, node)
                if not all(isinstance(k, str) and k.isidentifier() for k in keys):
                    raise self.error(f"`**{value.id}`: a key of `{value.id}` is not a name",
                                     node)
                keywords.extend(gast.keyword(arg=k, value=gast.copy_location(gast.Name(
                    id=v, ctx=gast.Load(), annotation=None, type_comment=None), value))
                    for k, v in keys.items())
            else:
                keywords.append(keyword)
        node.keywords = keywords
        return self.generic_visit(node)

    def visit_Compare(self, node):
        if len(node.ops) == 1 and node.ops[0].__class__ in (gast.In, gast.NotIn) \
                and node.comparators[0].__class__ is gast.Name \
                and node.comparators[0].id in self.keys and _key(node.left) is not _NO_KEY:
            found = _key(node.left) in self.present(node.comparators[0].id, node)
            found = found if node.ops[0].__class__ is gast.In else not found
            return gast.copy_location(gast.Constant(value=found, kind=None), node)
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in self.keys:
            raise self.error(f"`{node.id}`, a dict the function builds, is used here as a "
                             f"whole (returned, passed, copied or rebound): it is supported "
                             f"when {_USES}", node)
        return node

    def visit_FunctionDef(self, node):
        if contains(node, gast.Name, lambda n: n.id in self.keys):
            raise self.error("a dict the function builds is used inside a nested function: "
                             f"it is supported when {_USES} in the function itself", node)
        return node

    visit_Lambda = visit_FunctionDef


def _leaves_early(body: list) -> bool:
    """Whether a ``break``/``continue`` of this loop (not of an inner one) or a
    ``return`` at the body's own level is in ``body``."""
    for stmt in body:
        if stmt.__class__ in (gast.Break, gast.Continue, gast.Return):
            return True
        if stmt.__class__ in (gast.If, gast.With, gast.Try):
            inner = stmt.body + getattr(stmt, "orelse", []) + getattr(stmt, "finalbody", [])
            if _leaves_early(inner) or contains(inner, gast.Return):
                return True
        elif stmt.__class__ in (gast.For, gast.While) and contains(stmt, gast.Return):
            return True
    return False


def _substitute(body: list, name: str, key) -> None:
    """Every read of ``name`` in ``body`` becomes the constant ``key``."""
    for node in walk(body):
        for field, value in gast.iter_fields(node):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if _read_of(item, name):
                        value[i] = gast.copy_location(gast.Constant(value=key, kind=None),
                                                      item)
            elif _read_of(value, name):
                setattr(node, field, gast.copy_location(gast.Constant(value=key, kind=None),
                                                        value))


def _read_of(node, name: str) -> bool:
    return node.__class__ is gast.Name and node.id == name and node.ctx.__class__ is gast.Load


def _assign(name: str, value, where):
    stmt = gast.Assign(targets=[gast.Name(id=name, ctx=gast.Store(), annotation=None,
                                          type_comment=None)], value=value, type_comment=None)
    locate(stmt, where, shallow=True)
    locate(value, where)
    return stmt
