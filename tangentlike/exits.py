"""Early exits as guard flags: the first step of normalize.

``break``, ``continue`` and a ``return`` inside ``if`` or a loop become assignments of
flags, and the statements they would skip are guarded by those flags::

    for i in range(n):              broke = False
        if x > 9:                   for i in range(n):
            break                       if not broke:
        x = x * 2                           if x > 9:
                                                broke = True
                                            if not broke:
                                                x = x * 2

- ``continue`` sets a flag that is cleared at the start of each iteration;
- ``break`` sets a flag that guards the rest of the body (a ``for`` loop runs out its
  remaining iterations doing nothing; a ``while`` loop adds ``and not broke`` to its
  test) and the ``else`` block of the loop;
- ``return v`` inside control flow stores ``result = v`` and sets ``returned``, which
  ends every enclosing loop and guards everything after it; the function ends with
  ``return result``.

The flags are ordinary booleans, so the reverse pass records and replays them like any
other branch decision. A function whose only ``return`` is its last statement is left
as it is.

With ``check_returns`` (the function being differentiated, not a local function inlined
into it), a path that returns no number is marked for normalize, which puts a call
that raises at the start of that path (``returns_no_number`` in runtime.py): the
``result = v`` of a ``return None``, ``return "text"`` or bare ``return`` carries
``.returns_no_number`` (the ``Return``), and when the body may reach its end without a
``return``, an ``if not returned: result = None`` is added whose assignment carries
the function's ``def``. Every mode then refuses such a path when it is taken, at its
line, instead of differentiating a constant (zeros).
"""
from __future__ import annotations

from typing import Optional

import gast

from .naming import read_and_assigned

COMPOUND = (gast.If, gast.For, gast.While, gast.With)


def _name(id_, store=False):
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None,
                     type_comment=None)


def _set(flag, value, where):
    stmt = gast.Assign(targets=[_name(flag, True)], value=value, type_comment=None)
    return gast.copy_location(stmt, where)


def _true():
    return gast.Constant(value=True, kind=None)


def _not_any(flags, where):
    test = _name(flags[0]) if len(flags) == 1 else gast.BoolOp(op=gast.Or(),
                                                                values=[_name(f) for f in flags])
    return gast.copy_location(gast.UnaryOp(op=gast.Not(), operand=test), where)


def _loop_exits(body, kind) -> bool:
    """Whether ``body`` has a ``kind`` (Break/Continue) belonging to this loop."""
    for stmt in body:
        if isinstance(stmt, kind):
            return True
        if isinstance(stmt, (gast.If, gast.With)):
            if _loop_exits(stmt.body, kind) or _loop_exits(getattr(stmt, "orelse", []), kind):
                return True
        if isinstance(stmt, (gast.For, gast.While)) and _loop_exits(stmt.orelse, kind):
            return True   # an inner loop's `else:` belongs to this loop (hunt19)
    return False


def _returns(node) -> bool:
    """Whether a ``return`` is below ``node``, not in a nested function or class
    definition, looking only in the lists of statements (as _exits_below does: no
    expression holds one)."""
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, gast.Return):
                    return True
                if isinstance(item, _HOLDS_STATEMENTS) and not isinstance(item, _DEFINITIONS) \
                        and _returns(item):
                    return True
    return False


def needs_lowering(body) -> bool:
    return any(isinstance(stmt, COMPOUND) and _exits_below(stmt) for stmt in body)


_EXITS = (gast.Return, gast.Break, gast.Continue)
_DEFINITIONS = (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)
_HOLDS_STATEMENTS = (gast.stmt, gast.excepthandler) + (
    (gast.match_case,) if hasattr(gast, "match_case") else ())


def _exits_below(node) -> bool:
    """Whether a return, break or continue is below ``node``, not in a nested function or
    class definition, looking only in the lists of statements (of bodies, branches,
    handlers and cases), the only places statements can be."""
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, _EXITS):
                    return True
                if isinstance(item, _HOLDS_STATEMENTS) and not isinstance(item, _DEFINITIONS) \
                        and _exits_below(item):
                    return True
    return False


class _Loop:
    """The flags of a loop being lowered: set by its ``break`` and its ``continue``
    (None when it has none)."""

    def __init__(self, broke: Optional[str], skip: Optional[str]):
        self.broke, self.skip = broke, skip


def no_number(value) -> bool:
    """Whether a returned expression is a constant that is not a number (None, a string,
    bytes, ``...``); ``value`` is None for a bare ``return``."""
    return value is None or isinstance(value, gast.Constant) and (
        value.value is None or value.value is Ellipsis or isinstance(value.value, (str, bytes)))


def _always_returns(body) -> bool:
    """Whether every path through ``body`` ends in a ``return`` (as far as can be seen
    without running it: a loop other than ``while True`` may run zero times)."""
    for stmt in body:
        if isinstance(stmt, gast.Return):
            return True
        if isinstance(stmt, gast.If) and _always_returns(stmt.body) \
                and _always_returns(stmt.orelse):
            return True
        if isinstance(stmt, gast.With) and _always_returns(stmt.body):
            return True
        if isinstance(stmt, gast.While) and isinstance(stmt.test, gast.Constant) \
                and stmt.test.value is True and not _loop_exits(stmt.body, gast.Break):
            return True
    return False


class _Lowering:
    def __init__(self, namer, check_returns=False):
        self.namer = namer
        self.check_returns = check_returns
        self.returned = namer.fresh("returned")
        self.result = namer.fresh("result")

    def function(self, body, where) -> list:
        out = [_set(self.returned, gast.Constant(value=False, kind=None), where),
               _set(self.result, gast.Constant(value=None, kind=None), where)]
        out += self.block(body, None)
        if self.check_returns and not _always_returns(body):
            none = _set(self.result, gast.Constant(value=None, kind=None), where)
            none.returns_no_number = where
            end = gast.If(test=_not_any([self.returned], where), body=[none], orelse=[])
            out.append(gast.copy_location(end, body[-1] if body else where))
        ret = gast.Return(value=_name(self.result))
        out.append(gast.copy_location(ret, body[-1] if body else where))
        return out

    def exits(self, stmt, loop) -> list:
        """The flags that ``stmt`` may set and that skip what follows it."""
        flags = []
        if _returns(stmt):
            flags.append(self.returned)
        if loop is not None and isinstance(stmt, (gast.If, gast.With, gast.For, gast.While)):
            if loop.broke and _loop_exits([stmt], gast.Break):
                flags.append(loop.broke)
            if loop.skip and _loop_exits([stmt], gast.Continue):
                flags.append(loop.skip)
        return flags

    def block(self, stmts, loop) -> list:
        out = []
        for k, stmt in enumerate(stmts):
            rest = stmts[k + 1:]
            if isinstance(stmt, gast.Return):
                value = stmt.value if stmt.value is not None else gast.Constant(value=None,
                                                                                  kind=None)
                assign = _set(self.result, value, stmt)
                if getattr(stmt, "unassigned", None):
                    assign.unassigned = stmt.unassigned
                if self.check_returns:
                    # nothing of the function runs after it (normalize's alias check)
                    assign.final_result = True
                    if no_number(stmt.value):
                        assign.returns_no_number = stmt
                out += [assign, _set(self.returned, _true(), stmt)]
                return out
            if isinstance(stmt, gast.Break):
                out.append(_set(loop.broke, _true(), stmt))
                return out
            if isinstance(stmt, gast.Continue):
                out.append(_set(loop.skip, _true(), stmt))
                return out
            if isinstance(stmt, gast.If):
                new = gast.If(test=stmt.test, body=self.block(stmt.body, loop) or [gast.Pass()],
                              orelse=self.block(stmt.orelse, loop))
                out.append(gast.copy_location(new, stmt))
            elif isinstance(stmt, gast.With):
                new = gast.With(items=stmt.items, body=self.block(stmt.body, loop),
                                type_comment=None)
                out.append(gast.copy_location(new, stmt))
            elif isinstance(stmt, (gast.For, gast.While)):
                out += self.loop(stmt, loop)
            else:
                out.append(stmt)
                continue
            flags = self.exits(stmt, loop)
            if flags and rest:
                guard = gast.If(test=_not_any(flags, rest[0]), body=self.block(rest, loop),
                                orelse=[])
                out.append(gast.copy_location(guard, rest[0]))
                return out
        return out

    def loop(self, stmt, outer) -> list:
        inner = _Loop(self.namer.fresh("broke") if _loop_exits(stmt.body, gast.Break) else None,
                      self.namer.fresh("skip") if _loop_exits(stmt.body, gast.Continue) else None)
        body = self.block(stmt.body, inner)
        if inner.skip:
            body = [_set(inner.skip, gast.Constant(value=False, kind=None), stmt)] + body
        ends = [f for f in (inner.broke, self.returned if _returns(stmt) else None) if f]
        out = []
        if inner.broke:
            out.append(_set(inner.broke, gast.Constant(value=False, kind=None), stmt))
        if isinstance(stmt, gast.For):
            if ends:
                guard = gast.copy_location(gast.If(test=_not_any(ends, stmt), body=body,
                                                   orelse=[]), stmt)
                guard.loop_guard = True   # normalize sets the loop variable inside it
                body = [guard]
            new = gast.For(target=stmt.target, iter=stmt.iter, body=body, orelse=[],
                           type_comment=None)
        else:
            test = stmt.test
            if ends:
                test = gast.BoolOp(op=gast.And(), values=[test, _not_any(ends, stmt)])
            new = gast.While(test=gast.copy_location(test, stmt.test), body=body, orelse=[])
        out.append(gast.copy_location(new, stmt))
        if stmt.orelse:   # runs when the loop was not left by break (or return)
            orelse = self.block(stmt.orelse, outer)
            if ends:
                orelse = [gast.copy_location(gast.If(test=_not_any(ends, stmt.orelse[0]),
                                                     body=orelse, orelse=[]), stmt.orelse[0])]
            out += orelse
        return out


def mark_unassigned_returns(body: list, params) -> None:
    """Mark each ``return`` whose value reads a local that a path reaching it may leave
    unassigned (``while x > 1.0: y = x; ...`` then ``return y``, the loop run zero
    times): ``.unassigned`` is those names. Python raises UnboundLocalError there; the
    derivatives read the output in their own ways (a version of vjp not at all), so
    normalize puts a read of the names that no mode drops before the return."""
    found = []

    def local(name) -> bool:   # (the function's own names, found once they are asked for)
        if not found:
            found.append(_locals(body))
        return name in found[0]

    _flow(body, set(params), local)


def _locals(body) -> set:
    """The names the function's own scope assigns (not those of comprehensions and
    lambdas, which have their own)."""
    found, stack = set(), list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp,
                             gast.GeneratorExp)):
            continue
        if isinstance(node, (gast.FunctionDef, gast.ClassDef)):
            found.add(node.name)
            continue
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            found.add(node.id)
        stack.extend(gast.iter_child_nodes(node))
    return found


def _flow(body, assigned: set, local):
    """The names surely assigned after ``body`` when ``assigned`` are before it (None:
    no path leaves it at its end); marks the returns on the way. ``local(name)``:
    whether the function assigns ``name``."""
    for stmt in body:
        if isinstance(stmt, gast.Return):
            if stmt.value is not None:
                # (a comprehension's own names are assigned inside the value)
                read, inner = read_and_assigned(stmt.value)
                missing = sorted(n for n in read - assigned - inner if local(n))
                if missing:
                    stmt.unassigned = missing
            return None
        if isinstance(stmt, (gast.Raise, gast.Break, gast.Continue)):
            return None
        if isinstance(stmt, gast.If):
            then = _flow(stmt.body, set(assigned), local)
            other = _flow(stmt.orelse, set(assigned), local)
            if then is None and other is None:
                return None
            assigned = then if other is None else other if then is None else then & other
        elif isinstance(stmt, (gast.For, gast.While)):
            # (the body may run zero times: what it assigns is not sure after it)
            inside = set(assigned) | (read_and_assigned(stmt.target)[1]
                                      if isinstance(stmt, gast.For) else set())
            _flow(stmt.body, inside, local)
            if stmt.orelse:
                after = _flow(stmt.orelse, set(assigned), local)
                assigned = assigned if after is None else after
        elif isinstance(stmt, gast.With):
            inside = set(assigned) | read_and_assigned(
                [item.optional_vars for item in stmt.items if item.optional_vars is not None])[1]
            after = _flow(stmt.body, inside, local)
            if after is None:
                return None
            assigned = after
        elif isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            assigned = assigned | {stmt.name}
        elif isinstance(stmt, gast.Assign):
            assigned = assigned | read_and_assigned(stmt.targets)[1]
        elif isinstance(stmt, (gast.AugAssign, gast.AnnAssign)):
            assigned = assigned | read_and_assigned(stmt.target)[1]
        # (other statements assign nothing: del, import, walrus are refused by normalize)
    return assigned


def lower_exits(body: list, namer, where, check_returns: bool = False) -> list:
    """``body`` without break/continue/return inside control flow (module docstring)."""
    if not needs_lowering(body):
        return body
    return _Lowering(namer, check_returns).function(body, where)
