"""Comprehensions as the loops they are: a step of normalize, before early exits.

A list comprehension is a loop that appends to a new list, and that is how it is
differentiated::

    ys = [x * k for k in range(n) if k != 2]        ys = []
                                                    for k in range(n):
                                                        if k != 2:
                                                            ys.append(x * k)

Anywhere else in a statement, the list gets a name of its own, built just before the
statement (``s = sum([v * v for v in xs])`` builds ``items`` and then computes
``s = sum(items)``). A generator expression given to a call (``sum(v * v for v in xs)``,
``np.array(f(v) for v in xs)`` is not: ``np.stack``, ``max``, ``sum`` and the others read
it whole, as they read the list the same loop builds.

A comprehension's variables are its own: one whose name the function also uses elsewhere
is renamed.

A list that only the loop of a comprehension with one ``for`` and no ``if`` builds (a
new name, or a name the function assigns nowhere else and reads only as an operand of
``+`` or ``*``, by an index, in ``len`` or a NumPy function, or as what a loop goes
over: nothing else can hold it and change it) is marked with the iterable. Where that
has a length known before the function runs (a display, ``range(3)``), so has the list,
and normalize joins it to another list (``[a * 2.0 for a in (x, y)] + [y]``) as it joins
displays.

``lst.extend(items)`` of a display or a comprehension (a statement) is the appends it
makes: ``lst.append(item)`` for each item of the display, the comprehension's loop
appending to ``lst`` itself. Not when ``items`` reads ``lst``: Python makes ``items``
before adding the first one.

Left as they are, and refused by normalize at their line: a comprehension in
a lambda, in a conditional expression or an ``and``/``or`` (building it first would
evaluate it where Python may not), in a ``while`` condition (evaluated at every turn), a
generator expression stored in a variable (a generator runs once; a list would run
again), and set and dict comprehensions.
"""
from __future__ import annotations

from collections import Counter

import gast

from .naming import contains, walk

# Where a comprehension is not built before its statement: it may not be evaluated.
_DEFERRED = (gast.Lambda, gast.IfExp, gast.BoolOp)


def lower_comprehensions(body: list, namer) -> list:
    """``body`` with each list comprehension (and generator expression given to a call)
    built by a loop before the statement that reads it (module docstring). normalize
    calls it for a body that has one."""
    uses = Counter(n.id for n in walk(body) if isinstance(n, gast.Name))
    stores = Counter(n.id for n in walk(body) if isinstance(n, gast.Name)
                     and not isinstance(n.ctx, gast.Load))
    built_only_here = {name for name, count in stores.items() if count == 1} - \
        _held_elsewhere(body)
    return _Lowering(namer, uses, built_only_here).block(body)


def _held_elsewhere(body) -> set:
    """The names read somewhere other than as an operand of ``+`` or ``*``, by an
    index, as the argument of ``len`` or of a NumPy function (``np.stack(L)``), or as
    what a loop or comprehension goes over: where another name, a container or a
    function could get hold of the object (``K = L``, ``[L]``, ``h(L)``, ``L.append``)."""
    allowed = set()
    for node in walk(body):
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Mult)):
            allowed.update((id(node.left), id(node.right)))
        elif isinstance(node, gast.Subscript):
            allowed.add(id(node.value))
        elif isinstance(node, (gast.For, gast.comprehension)):
            allowed.add(id(node.iter))
        elif isinstance(node, gast.Call) and (
                isinstance(node.func, gast.Name) and node.func.id == "len" or
                isinstance(node.func, gast.Attribute) and isinstance(node.func.value, gast.Name)
                and node.func.value.id in ("np", "numpy")):
            allowed.update(id(a) for a in node.args)
    return {n.id for n in walk(body) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load) and id(n) not in allowed}


class _Lowering:
    def __init__(self, namer, uses: Counter, built_only_here: set):
        self.namer = namer
        self.uses = uses   # how often each name occurs in the function
        # the names assigned once in the function, whose methods it never calls
        self.built_only_here = built_only_here

    def block(self, body: list) -> list:
        out = []
        for stmt in body:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt) -> list:
        extended = _extended(stmt)
        if extended is not None:   # lst.extend(items): appends
            lst, items = extended
            if items.__class__ in (gast.List, gast.Tuple):
                appends = [gast.Expr(value=gast.Call(
                    func=gast.Attribute(value=_name(lst), attr="append", ctx=gast.Load()),
                    args=[item], keywords=[])) for item in items.elts]
                for node in walk(appends):
                    if getattr(node, "lineno", None) is None \
                            and isinstance(node, (gast.stmt, gast.expr)):
                        gast.copy_location(node, stmt)
                return self.block(appends)
            before = []
            self.build(items, before, target=lst, extend=True)
            return before
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.block(getattr(stmt, field)))
        before = []
        for field in _header_fields(stmt):
            value = getattr(stmt, field)
            if isinstance(value, list):
                setattr(stmt, field, [self.expression(v, before, stmt) for v in value])
            elif isinstance(value, gast.AST):
                setattr(stmt, field, self.expression(value, before, stmt))
        return before + [stmt]

    def expression(self, node, before: list, stmt):
        """``node`` with its comprehensions replaced by the lists that ``before`` builds."""
        if isinstance(node, _DEFERRED):
            return node
        if isinstance(node, gast.ListComp) and not _is_async(node):
            target = None
            if isinstance(stmt, gast.Assign) and stmt.value is node and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], gast.Name) \
                    and not any(isinstance(n, gast.Name) and n.id == stmt.targets[0].id
                                for n in walk(node)):
                target = stmt.targets[0].id      # `ys = [...]`: build ys itself
            return self.build(node, before, target)
        if isinstance(node, gast.Call):
            node.func = self.expression(node.func, before, stmt)
            node.args = [self.build(a, before) if isinstance(a, gast.GeneratorExp)
                         and not _is_async(a) else self.expression(a, before, stmt)
                         for a in node.args]
            for keyword in node.keywords:
                keyword.value = self.expression(keyword.value, before, stmt)
            return node
        if isinstance(node, (gast.GeneratorExp, gast.SetComp, gast.DictComp)):
            return node
        for field, value in gast.iter_fields(node):
            if isinstance(value, list):
                setattr(node, field, [self.expression(v, before, stmt)
                                      if isinstance(v, gast.AST) else v for v in value])
            elif isinstance(value, gast.expr):
                setattr(node, field, self.expression(value, before, stmt))
        return node

    def build(self, comp, before: list, target=None, extend=False) -> gast.Name:
        """Statements into ``before`` that build the list of ``comp``; its name.
        ``extend``: append to the list ``target`` has (``target.extend(comp)``)."""
        renamed = self.own_names(comp)
        if renamed:
            _rename(comp, renamed)
        name = target or self.namer.fresh("items")
        append = gast.Expr(value=gast.Call(
            func=gast.Attribute(value=_name(name), attr="append", ctx=gast.Load()),
            args=[comp.elt], keywords=[]))
        body = [append]
        for generator in reversed(comp.generators):
            for test in reversed(generator.ifs):
                body = [gast.If(test=test, body=body, orelse=[])]
            body = [gast.For(target=generator.target, iter=generator.iter, body=body,
                             orelse=[], type_comment=None)]
        start = gast.Assign(targets=[_name(name, store=True)],
                            value=gast.List(elts=[], ctx=gast.Load()), type_comment=None)
        if len(comp.generators) == 1 and not comp.generators[0].ifs and (
                target is None or target in self.built_only_here):
            start.items_of = comp.generators[0].iter   # one item of the list per item of it
        statements = body if extend else [start] + body
        for node in walk(statements):
            if getattr(node, "lineno", None) is None and isinstance(node, (gast.stmt,
                                                                           gast.expr)):
                gast.copy_location(node, comp)
        # the loop's own statements may hold comprehensions too (nested ones)
        before.extend(self.block(statements))
        return _name(name)

    def own_names(self, comp) -> dict:
        """The comprehension's variables that the function also uses elsewhere, renamed."""
        own = {n.id for g in comp.generators for n in walk(g.target)
               if isinstance(n, gast.Name)}
        inside = Counter(n.id for n in walk(comp) if isinstance(n, gast.Name))
        return {name: self.namer.fresh(name) for name in sorted(own)
                if self.uses[name] > inside[name]}


def _extended(stmt):
    """(lst, items) of a statement ``lst.extend(items)`` whose ``items`` is a list or
    tuple display (no starred item), a list comprehension or a generator expression,
    not reading ``lst``: Python makes ``items`` before it adds the first one, and the
    appends that stand for the call would change ``lst`` as they go. None otherwise (the
    call stays, refused by normalize)."""
    call = stmt.value if stmt.__class__ is gast.Expr else None
    if not (call.__class__ is gast.Call and call.func.__class__ is gast.Attribute
            and call.func.attr == "extend" and call.func.value.__class__ is gast.Name
            and len(call.args) == 1 and not call.keywords):
        return None
    lst, items = call.func.value.id, call.args[0]
    if contains(items, gast.Name, lambda n: n.id == lst):
        return None
    if items.__class__ in (gast.List, gast.Tuple) \
            and not any(e.__class__ is gast.Starred for e in items.elts) \
            or items.__class__ in (gast.ListComp, gast.GeneratorExp) and not _is_async(items):
        return lst, items
    return None


def _header_fields(stmt) -> tuple:
    """The expression fields of ``stmt`` evaluated once, before its blocks."""
    if isinstance(stmt, gast.While):
        return ()                     # its test is evaluated at every turn
    if isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
        return ()
    if isinstance(stmt, gast.If):
        return ("test",)
    if isinstance(stmt, gast.For):
        return ("iter",)
    return tuple(field for field, value in gast.iter_fields(stmt)
                 if isinstance(value, gast.expr) or field == "targets")


def _is_async(comp) -> bool:
    return any(g.is_async for g in comp.generators)


def _rename(node, renamed: dict) -> None:
    for n in walk(node):
        if isinstance(n, gast.Name) and n.id in renamed:
            n.id = renamed[n.id]


def _name(id_, store=False):
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None,
                     type_comment=None)
