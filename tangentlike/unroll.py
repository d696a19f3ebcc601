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

A top-level loop over a tuple or list display (``for W in (W1, W2): reg = reg +
np.sum(W * W)``, ``for W, b in ((W1, b1), (W2, b2))``, ``enumerate([0.5, 2.0])``) is
unrolled the same way, its copies reading the display's items: a loop over a display
makes a list of the items for its reversed pass to read again and sums the items'
adjoints into zeros of a tuple, where the copies know each item's shape. The items
must be names and numbers (or displays of them) that the loop's body and target do not
assign: Python makes the display before the first turn, and a copy reads the item at
its own turn, so the two agree only when nothing rebinds the names in between.
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
    (guard kind, shape class, stand-in)), and its loops over displays; None when there
    is no such loop."""
    sequences = {name: kind for name, (kind, _, _) in signature.items()
                 if kind.__class__ is Items and kind.cls in (list, tuple)}
    if not sequences and not loops_over_displays(node):
        return None
    sequences = {name: kind for name, kind in sequences.items()
                 if _only_read(node, name)}
    # the function's own names: what a call in the loop could not rebind
    local = {n.id for n in walk(node.body) if n.__class__ is gast.Name
             and not isinstance(n.ctx, gast.Load)} | {a.id for a in _parameters(node)}
    body, changed = [], False
    for stmt in node.body:
        copies = _unrolled(stmt, sequences, local) if stmt.__class__ is gast.For else None
        if copies is None:
            body.append(stmt)
        else:
            body.extend(copies)
            changed = True
    return body if changed else None


def loops_over_displays(node: gast.FunctionDef) -> bool:
    """Whether a top-level statement of ``node``'s body is a ``for`` loop over a tuple or
    list display (or ``zip``/``enumerate`` of one): a quick test, before parsing again
    for a version."""
    for stmt in node.body:
        if stmt.__class__ is gast.For:
            iter_ = stmt.iter
            parts = iter_.args if iter_.__class__ is gast.Call \
                and iter_.func.__class__ is gast.Name \
                and iter_.func.id in ("zip", "enumerate") else [iter_]
            if any(p.__class__ in (gast.Tuple, gast.List) for p in parts):
                return True
    return False


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
                allowed.add(id(_base(part)))
        elif cls is gast.Call and sub.func.__class__ is gast.Name and sub.func.id == "len" \
                and len(sub.args) == 1:
            allowed.add(id(sub.args[0]))
    for sub in walk(node):
        if sub.__class__ is gast.Name and sub.id == name and (
                not isinstance(sub.ctx, gast.Load) or id(sub) not in allowed):
            if sub in _parameters(node):
                continue   # (the parameter itself)
            return False
    return True


def _parameters(node: gast.FunctionDef) -> list:
    args = node.args
    return args.posonlyargs + args.args + args.kwonlyargs + \
        [a for a in (args.vararg, args.kwarg) if a is not None]


def _iterated(iter_):
    """What a loop's ``iter`` goes over: ``x``, ``x[a:b:c]`` or a tuple or list display,
    or each argument of ``zip(...)`` or ``enumerate(...)`` that is one of those; None for
    anything else."""
    parts = [iter_]
    if iter_.__class__ is gast.Call and iter_.func.__class__ is gast.Name \
            and iter_.func.id in ("zip", "enumerate") and not iter_.keywords \
            and (iter_.args and iter_.func.id == "zip" or len(iter_.args) == 1):
        parts = iter_.args
    if all(_base(p) is not None or p.__class__ in (gast.Tuple, gast.List) for p in parts):
        return parts
    return None


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


def _unrolled(loop: gast.For, sequences: dict, local: set):
    """The statements ``loop`` unrolls to, or None when it stays a loop."""
    if loop.orelse or any(isinstance(n, _CONTROL) for n in walk(loop.body)):
        return None
    parts = _iterated(loop.iter)
    if parts is None:
        return None
    assigned = {n.id for n in walk([loop.target] + loop.body)
                if n.__class__ is gast.Name and not isinstance(n.ctx, gast.Load)}
    items = [_items(part, sequences, local - assigned) for part in parts]
    if None in items:
        return None
    count = min(len(i) for i in items)
    size = sum(1 for n in walk(loop.body) if isinstance(n, gast.stmt))
    if count == 0 or count * size > MAX_STATEMENTS:
        return None
    func = loop.iter.func.id if loop.iter.__class__ is gast.Call else None
    targets = [loop.target]
    if func is not None:
        if loop.target.__class__ not in (gast.Tuple, gast.List) \
                or len(loop.target.elts) != (2 if func == "enumerate" else len(parts)) \
                or any(e.__class__ is gast.Starred for e in loop.target.elts):
            return None
        targets = loop.target.elts
    out = []
    for turn in range(count):
        values = [copy.deepcopy(i[turn]) for i in items]
        if func == "enumerate":
            values.insert(0, gast.Constant(value=turn, kind=None))
        for target, value in zip(targets, values):
            assign = gast.Assign(targets=[copy.deepcopy(target)], value=value,
                                 type_comment=None)
            locate(assign, loop)   # (the loop's line)
            out.append(assign)
        out.extend(copy.deepcopy(loop.body))
    return out


def _items(part, sequences: dict, readable: set):
    """The expressions of the items ``part`` (a display, or ``x`` or ``x[a:b:c]`` of a
    sequence argument) goes over, in order; None when the loop cannot be unrolled over
    it. A display's items may read only the local names in ``readable`` (names the loop
    does not assign: see the module docstring)."""
    if part.__class__ in (gast.Tuple, gast.List):
        return part.elts if all(_fixed(e, readable) for e in part.elts) else None
    base = _base(part)
    if base.id not in sequences:
        return None
    indices = _indices(part, sequences[base.id])
    return None if indices is None else [_item(base, i) for i in indices]


def _fixed(expr, readable: set) -> bool:
    """Whether ``expr`` is a constant, a name in ``readable``, or a display of those."""
    cls = expr.__class__
    if cls is gast.Constant:
        return True
    if cls is gast.UnaryOp and expr.op.__class__ in (gast.USub, gast.UAdd):
        return expr.operand.__class__ is gast.Constant
    if cls is gast.Name:
        return expr.id in readable
    if cls in (gast.Tuple, gast.List):
        return all(_fixed(e, readable) for e in expr.elts)
    return False


def _item(name: gast.Name, index: int):
    return gast.Subscript(value=gast.Name(id=name.id, ctx=gast.Load(), annotation=None,
                                          type_comment=None),
                          slice=gast.Constant(value=index, kind=None), ctx=gast.Load())
