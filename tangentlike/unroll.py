"""unroll: in a version, a top-level ``for`` loop over the items of a list or tuple
argument becomes one copy of its body per item.

``for W, b in params[:-1]: h = np.tanh(h @ W + b)`` with layers of different sizes:
as a loop, no shape analysis can give ``W``, ``b`` or ``h`` one shape, so the reversed
loop keeps the generic helpers (``unbroadcast``, ``add_at_item`` into zeros for every
item, ``add_grads``) at every turn (and even with items of one kind, the item read
by the loop's counter keeps them). The version's guard fixes the argument's length and
the kind (class, shape, dtype) of each item, so the loop is as well written

    W, b = params[0]
    h = np.tanh(h @ W + b)
    W, b = params[1]
    h = np.tanh(h @ W + b)

and every statement of the copies has shapes the version knows. The same values: the
guard holds for the argument as it is at the call, and the function neither rebinds
the argument nor hands it anywhere (it only reads its items, its length, or loops over
it), so the loop goes over those items in that order. A body with ``break``,
``continue``, ``return``, ``yield``, a nested function or class, or a loop with an
``else`` stays a loop, and so does one whose copies would have more than
MAX_STATEMENTS statements in all. Only versions are unrolled: the generic derivative
keeps the loop (any length), and a version of at most MAX_ITEMS items (specialize.py)
has at most that many copies.
"""
from __future__ import annotations

import copy

import gast

from .naming import locate, walk
from .specialize import Items

# the most statements the copies of a loop's body may have in all
MAX_STATEMENTS = 200

# statements that change what the rest of a loop's body runs: such a loop stays a loop
_CONTROL = (gast.Break, gast.Continue, gast.Return, gast.Yield, gast.YieldFrom,
            gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef,
            gast.Global, gast.Nonlocal, gast.Try, gast.With)


def unrolled_body(node: gast.FunctionDef, signature: dict):
    """The body of the function ``node`` (as parsed) with its top-level loops over
    items of different kinds unrolled, for the version of ``signature`` (parameter ->
    (guard kind, shape class, stand-in)); None when there is no such loop."""
    sequences = {name: kind for name, (kind, _, _) in signature.items()
                 if kind.__class__ is Items and kind.cls in (list, tuple)}
    if not sequences:
        return None
    sequences = {name: kind for name, kind in sequences.items()
                 if _only_read(node, name)}
    body, changed = [], False
    for stmt in node.body:
        copies = _unrolled(stmt, sequences) if stmt.__class__ is gast.For else None
        if copies is None:
            body.append(stmt)
        else:
            body.extend(copies)
            changed = True
    return body if changed else None


def _only_read(node: gast.FunctionDef, name: str) -> bool:
    """Whether the function reads the parameter ``name`` only by subscripts, ``len`` or
    as what a ``for`` loop (or ``zip``/``enumerate`` there) goes over: it neither
    rebinds nor changes it, nor hands it to anything that could."""
    allowed = set()
    for sub in walk(node):
        cls = sub.__class__
        if cls is gast.Subscript and isinstance(sub.ctx, gast.Load):
            allowed.add(id(sub.value))
        elif cls is gast.For:
            for part in _iterated(sub.iter) or ():
                allowed.add(id(part))
        elif cls is gast.Call and sub.func.__class__ is gast.Name and sub.func.id == "len" \
                and len(sub.args) == 1:
            allowed.add(id(sub.args[0]))
    for sub in walk(node):
        if sub.__class__ is gast.Name and sub.id == name and (
                not isinstance(sub.ctx, gast.Load) or id(sub) not in allowed):
            if sub in node.args.args or sub in node.args.posonlyargs \
                    or sub in node.args.kwonlyargs:
                continue   # (the parameter itself)
            return False
    return True


def _iterated(iter_):
    """The Names a loop's ``iter`` goes over (``x``, ``x[a:b]``, ``zip(x, y)``,
    ``enumerate(x)``), or None for anything else."""
    if iter_.__class__ is gast.Call and iter_.func.__class__ is gast.Name \
            and iter_.func.id in ("zip", "enumerate") and not iter_.keywords \
            and (iter_.args and iter_.func.id == "zip" or len(iter_.args) == 1):
        parts = [_base(a) for a in iter_.args]
        return None if None in parts else parts
    base = _base(iter_)
    return None if base is None else [base]


def _base(expr):
    """The Name of ``x`` or of ``x[a:b:c]`` (constant int bounds), else None."""
    if expr.__class__ is gast.Name:
        return expr
    if expr.__class__ is gast.Subscript and expr.value.__class__ is gast.Name \
            and expr.slice.__class__ is gast.Slice \
            and all(_int_or_none(b) for b in (expr.slice.lower, expr.slice.upper,
                                               expr.slice.step)):
        return expr.value
    return None


def _int_or_none(node) -> bool:
    if node is None:
        return True
    if node.__class__ is gast.UnaryOp and node.op.__class__ is gast.USub:
        node = node.operand
    return node.__class__ is gast.Constant and type(node.value) is int


def _constant(node):
    if node is None:
        return None
    if node.__class__ is gast.UnaryOp:
        return -node.operand.value
    return node.value


def _indices(expr, kind):
    """The indices of ``kind``'s items that ``expr`` (``x`` or ``x[a:b:c]``) goes over."""
    places = list(range(len(kind.items)))
    if expr.__class__ is gast.Subscript:
        s = expr.slice
        if _constant(s.step) == 0:
            return None
        places = places[slice(_constant(s.lower), _constant(s.upper), _constant(s.step))]
    return places


def _unrolled(loop: gast.For, sequences: dict):
    """The statements ``loop`` unrolls to, or None when it stays a loop."""
    if loop.orelse or any(isinstance(n, _CONTROL) for n in walk(loop.body)):
        return None
    parts = _iterated(loop.iter)
    if parts is None or any(p.id not in sequences for p in parts):
        return None
    func = loop.iter.func.id if loop.iter.__class__ is gast.Call else None
    exprs = loop.iter.args if func is not None else [loop.iter]
    indices = [_indices(e, sequences[p.id]) for e, p in zip(exprs, parts)]
    if None in indices:
        return None
    count = min(len(i) for i in indices)
    size = sum(1 for n in walk(loop.body) if isinstance(n, gast.stmt))
    if count == 0 or count * size > MAX_STATEMENTS:
        return None
    targets = [loop.target]
    if func is not None:
        if loop.target.__class__ not in (gast.Tuple, gast.List) \
                or len(loop.target.elts) != (2 if func == "enumerate" else len(exprs)) \
                or any(e.__class__ is gast.Starred for e in loop.target.elts):
            return None
        targets = loop.target.elts
    out = []
    for turn in range(count):
        if func == "enumerate":
            values = [gast.Constant(value=turn, kind=None), _item(parts[0], indices[0][turn])]
        else:
            values = [_item(p, i[turn]) for p, i in zip(parts, indices)]
        for target, value in zip(targets, values):
            assign = gast.Assign(targets=[copy.deepcopy(target)], value=value,
                                 type_comment=None)
            locate(assign, loop)   # (the loop's line)
            out.append(assign)
        out.extend(copy.deepcopy(loop.body))
    return out


def _item(name: gast.Name, index: int):
    return gast.Subscript(value=gast.Name(id=name.id, ctx=gast.Load(), annotation=None,
                                          type_comment=None),
                          slice=gast.Constant(value=index, kind=None), ctx=gast.Load())
