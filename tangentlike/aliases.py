"""aliases: a local variable that holds one of some known functions is its choice.

A function may pick the function it calls and keep it in a variable::

    act = np.tanh if relu is False else np.sin       act = 0 if relu is False else 1
    return layer(x, w, act)                    ->    if act == 0:
                                                         return layer(x, w, np.tanh)
                                                     else:
                                                         return layer(x, w, np.sin)

Each assignment of such a variable is a function written by a name the function does
not bind (``np.tanh``, a helper of the module), or a conditional expression of such;
the variable then holds the number of its choice, computed where Python computes it,
and each statement that reads it is written once per function, the variable's name
replaced by the function's, under an ``if`` on that number (no ``if`` for one function
assigned once at the top level before any read). The
rest of the pipeline sees calls of named functions, and a helper given one
(normalize.helper_with_function_argument) is written out with it. Read before it is
assigned, the variable raises the UnboundLocalError Python raises.

Only where it is surely the same computation: the variable is assigned only by such
``=`` statements and read only as a call's function or a call's argument, in
assignments, ``return`` and expression statements (not a test of an ``if`` or a loop's
iterable), and not in a nested function or lambda. Any other variable is left alone
(normalize refuses a call of a function held in a local variable).
"""
from __future__ import annotations

import copy

import gast

from .naming import locate, walk

_SIMPLE = (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Return, gast.Expr)
_NESTED = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)


def split_function_variables(parsed) -> None:
    """Rewrite the variables of ``parsed``'s function that hold a choice of known
    functions, in place (see the module docstring)."""
    fdef = parsed.node
    args = fdef.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    stored = {n.id for n in walk(fdef.body)
              if n.__class__ is gast.Name and not isinstance(n.ctx, gast.Load)}
    local = params | stored
    # (a first look, cheap on a long derivative: `name = <global names>` somewhere)
    candidates = {s.targets[0].id for s in walk(fdef.body) if _candidate(s, local)}
    for name in sorted(candidates - params):
        choices = _choices(parsed, fdef.body, name, local)
        if choices:
            fdef.body = _rewritten(fdef.body, name, choices,
                                   len(choices) == 1 and _assigned_first(fdef.body, name))


def _candidate(stmt, local: set) -> bool:
    """Whether ``stmt`` is ``name = f`` (or a conditional expression of such), every
    ``f`` a chain of attributes of a name the function does not bind."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name:
        return False
    leaves = _leaves(stmt.value)
    if leaves is None:
        return False
    for leaf in leaves:
        while leaf.__class__ is gast.Attribute:
            leaf = leaf.value
        if leaf.__class__ is not gast.Name or leaf.id in local:
            return False
    return True


def _choices(parsed, body: list, name: str, local: set):
    """The functions ``name`` may hold (expressions, in order), or None when it is not
    such a variable."""
    found = {}
    for node in walk(body):
        if isinstance(node, (gast.Global, gast.Nonlocal)) and name in node.names:
            return None
        if isinstance(node, _NESTED) and any(
                n.__class__ is gast.Name and n.id == name for n in walk(node)):
            return None
    assigned = [s for s in walk(body) if isinstance(s, gast.stmt) and any(
        n.__class__ is gast.Name and n.id == name and not isinstance(n.ctx, gast.Load)
        for n in walk(_targets(s)))]
    for stmt in assigned:
        if not _candidate(stmt, local):
            return None
        for leaf in _leaves(stmt.value):
            obj = _resolved(parsed, leaf)
            if obj is None or not callable(obj) or isinstance(obj, type):
                return None
            found.setdefault(gast.dump(leaf), leaf)
    stores = [n for n in walk(body) if n.__class__ is gast.Name and n.id == name
              and not isinstance(n.ctx, gast.Load)]
    if not assigned or len(stores) != len(assigned):
        return None   # (also a comprehension's variable of that name: another variable)
    for stmt in (s for s in walk(body) if isinstance(s, gast.stmt)):
        reads = [n for n in walk(_own_parts(stmt)) if n.__class__ is gast.Name
                 and n.id == name and isinstance(n.ctx, gast.Load)]
        if not reads:
            continue
        if not isinstance(stmt, _SIMPLE) or stmt in assigned:
            return None
        allowed = {id(c.func) for c in walk(stmt) if c.__class__ is gast.Call} | \
            {id(a) for c in walk(stmt) if c.__class__ is gast.Call for a in c.args} | \
            {id(k.value) for c in walk(stmt) if c.__class__ is gast.Call for k in c.keywords}
        if any(id(n) not in allowed for n in reads):
            return None
    return list(found.values())


def _targets(stmt) -> list:
    """What ``stmt`` stores into (its own targets, not those of statements inside it)."""
    if isinstance(stmt, gast.Assign):
        return stmt.targets
    if isinstance(stmt, (gast.AugAssign, gast.AnnAssign, gast.For, gast.AsyncFor)):
        return [stmt.target]
    if isinstance(stmt, (gast.With, gast.AsyncWith)):
        return [i.optional_vars for i in stmt.items if i.optional_vars is not None]
    if isinstance(stmt, gast.Delete):
        return stmt.targets
    if isinstance(stmt, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
        return [gast.Name(id=stmt.name, ctx=gast.Store(), annotation=None,
                          type_comment=None)]
    return [n for n in walk(stmt) if n.__class__ is gast.NamedExpr]


def _own_parts(stmt) -> list:
    """The expressions of ``stmt`` itself, not of the statements in its body."""
    return [v for field, v in gast.iter_fields(stmt)
            if field not in ("body", "orelse", "finalbody", "handlers")
            and isinstance(v, gast.AST)] + \
        [x for field, v in gast.iter_fields(stmt) if isinstance(v, list)
         and field not in ("body", "orelse", "finalbody", "handlers")
         for x in v if isinstance(x, gast.AST)]


def _leaves(expr):
    """The functions a conditional expression of names chooses from, or None."""
    if expr.__class__ is gast.IfExp:
        body, orelse = _leaves(expr.body), _leaves(expr.orelse)
        return None if body is None or orelse is None else body + orelse
    if expr.__class__ in (gast.Name, gast.Attribute):
        return [expr]
    return None


def _resolved(parsed, expr):
    if expr.__class__ is gast.Name:
        return parsed.lookup(expr.id, None)
    base = _resolved(parsed, expr.value)
    return None if base is None else getattr(base, expr.attr, None)


def _assigned_first(body: list, name: str) -> bool:
    """Whether ``name`` is assigned once, by a statement of the function's top level
    that comes before every statement reading it (so no path reads it unassigned)."""
    for stmt in body:
        targets = _targets(stmt)
        if stmt.__class__ is gast.Assign and any(
                t.__class__ is gast.Name and t.id == name for t in targets):
            rest = [n for s in body[body.index(stmt) + 1:] for n in walk(s)]
            return not any(n.__class__ is gast.Name and n.id == name
                           and not isinstance(n.ctx, gast.Load) for n in rest)
        if any(n.__class__ is gast.Name and n.id == name for n in walk(stmt)):
            return False
    return False


def _rewritten(body: list, name: str, choices: list, direct: bool) -> list:
    keys = [gast.dump(c) for c in choices]
    out = []
    for stmt in body:
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name and stmt.targets[0].id == name:
            stmt.value = _numbered(stmt.value, keys)
            out.append(stmt)
            continue
        reads = any(n.__class__ is gast.Name and n.id == name and isinstance(n.ctx, gast.Load)
                    for n in walk(_own_parts(stmt)))
        if reads:
            out.extend(_per_choice(stmt, name, choices, direct))
            continue
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                setattr(stmt, field, _rewritten(inner, name, choices, direct))
        out.append(stmt)
    return out


def _numbered(expr, keys: list):
    """``expr`` with each function replaced by its number among ``keys``."""
    if expr.__class__ is gast.IfExp:
        expr.body, expr.orelse = _numbered(expr.body, keys), _numbered(expr.orelse, keys)
        return expr
    number = gast.Constant(value=keys.index(gast.dump(expr)), kind=None)
    locate(number, expr)
    return number


def _per_choice(stmt, name: str, choices: list, direct: bool) -> list:
    """``stmt`` once per function, under an ``if`` on the variable's number (``direct``:
    one function, surely assigned: ``stmt`` with it, no ``if``)."""
    copies = [_replaced(copy.deepcopy(stmt), name, c) for c in choices]
    if direct:
        return copies
    chain = [copies[-1]] if len(copies) > 1 else []   # (one: `if act == 0:`, which reads
    for k in range(len(copies) - 1 - bool(chain), -1, -1):   # act where Python would)
        test = gast.Compare(left=gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                           type_comment=None),
                            ops=[gast.Eq()], comparators=[gast.Constant(value=k, kind=None)])
        branch = gast.If(test=test, body=[copies[k]], orelse=chain)
        locate(branch, stmt, shallow=True)
        locate(test, stmt)
        chain = [branch]
    return chain


def _replaced(stmt, name: str, choice):
    """``stmt`` with every read of ``name`` replaced by the expression ``choice``."""
    class Replace(gast.NodeTransformer):
        def visit_Name(self, node):
            if node.id == name and isinstance(node.ctx, gast.Load):
                new = copy.deepcopy(choice)
                locate(new, node)
                return new
            return node
    return Replace().visit(stmt)
