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

So are loops over ``range(len(params))`` (copies read ``params[0]``, ``params[1]``,
...) and over a dict argument's ``items()``, ``keys()`` or ``values()`` (the guard
fixes its keys, in order; a key the copies read is the constant itself). A list
comprehension, or a generator expression given to a call, over such items, over a
display, or over ``range(...)`` whose bounds the version knows (constants, sizes of
array arguments), becomes the display of its items (``_Displays``):
``sum(np.sum(W * W) for W in (W1, W2))`` is ``sum([np.sum(W1 * W1), np.sum(W2 *
W2)])``, whose items' shapes are known.

A ``for`` loop directly in the body of a top-level loop that stays a loop is unrolled
the same way (_inner_unrolled), also over ``range(...)`` whose bounds the version
knows: ``for step in range(n):`` around ``for c in (0.0, 0.5, 0.5, 1.0):`` has a
straight-line body. There, and in the function's body, a list made empty and filled by
appends whose every use is a read the number of appends before it decides (``ks[-1]``,
``ks[k]``, ``len(ks)``, ``not ks``) becomes one name per item (_ListNames): the
derivative sees names of known shapes, not a list on its stack.
"""
from __future__ import annotations

import gast
import numpy as np

from .naming import Transformer, locate, names_in, walk
from .specialize import MAX_ITEMS, Items
from .template import clone

# the most statements the copies of a loop's body may have in all
MAX_STATEMENTS = 200

# statements that change what the rest of a loop's body runs: such a loop stays a loop
_CONTROL = (gast.Break, gast.Continue, gast.Return, gast.Yield, gast.YieldFrom,
            gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef,
            gast.Global, gast.Nonlocal, gast.Try, gast.With)


def unrolled_body(node: gast.FunctionDef, signature: dict, shadowed=()):
    """The body of the function ``node`` (as parsed) with its top-level loops over
    items of different kinds unrolled, for the version of ``signature`` (parameter ->
    (guard kind, shape class, stand-in)), and its loops over displays; None when there
    is no such loop. ``shadowed``: the names of ``range``, ``len``, ``zip`` and
    ``enumerate`` that a global or closure variable of the function holds (not the
    builtins: not unrolled)."""
    sequences = {name: kind for name, (kind, _, _) in signature.items()
                 if kind.__class__ is Items and kind.cls in (list, tuple, dict)}
    if not sequences and not loops_over_displays(node):
        return None
    sequences = {name: kind for name, kind in sequences.items()
                 if _only_read(node, name)}
    # the function's own names: what a call in the loop could not rebind
    assigned = {n.id for n in walk(node.body) if n.__class__ is gast.Name
                and not isinstance(n.ctx, gast.Load)}
    local = assigned | {a.id for a in _parameters(node)} | set(shadowed)
    # the shapes of the array arguments the function never rebinds (_ranged)
    sizes = {name: value.shape for name, (_, _, value) in signature.items()
             if isinstance(value, np.ndarray) and name not in assigned}
    body, changed = [], False
    for stmt in node.body:
        copies = _unrolled(stmt, sequences, local) if stmt.__class__ is gast.For else None
        if copies is None:
            if stmt.__class__ in (gast.For, gast.While):
                changed = _inner_unrolled(stmt, sequences, local, sizes) or changed
            body.append(stmt)
        else:
            body.extend(copies)
            changed = True
    if changed:   # (the lists the copies fill: names, see _ListNames)
        taken = names_in(node)
        blocks = [body] + [s.body for s in body if s.__class__ in (gast.For, gast.While)]
        for block in blocks:
            block[:] = _ListNames([node.args] + body, taken).rewritten(block)
    displays = _Displays(sequences, local, sizes)
    body = [displays.visit(stmt) for stmt in body]
    return body if changed or displays.changed else None


def _inner_unrolled(loop, sequences: dict, local: set, sizes: dict) -> bool:
    """Unroll the ``for`` loops directly in the body of the top-level loop ``loop`` (one
    that stays a loop), as top-level ones are, and those over ``range(...)`` whose
    bounds the version knows (``sizes``: see _ranged): ``for step in range(n):`` around
    ``for c in (0.0, 0.5, 0.5, 1.0):`` or ``for k in range(4):`` runs the copies of the
    inner body at each step, as straight-line code. Whether it unrolled one."""
    body, changed = [], False
    for stmt in loop.body:
        copies = _unrolled(stmt, sequences, local, sizes) \
            if stmt.__class__ is gast.For else None
        if copies is None:
            body.append(stmt)
        else:
            body.extend(copies)
            changed = True
    loop.body = body
    return changed


def loops_over_displays(node: gast.FunctionDef) -> bool:
    """Whether a top-level statement of ``node``'s body is a ``for`` loop over a tuple or
    list display (or ``zip``/``enumerate`` of one), or a comprehension, or a ``for`` loop
    in a top-level loop's body, goes over one or over ``range(...)``: a quick test,
    before parsing again for a version."""
    loops = [(stmt, False) for stmt in node.body if stmt.__class__ is gast.For]
    loops += [(inner, True) for stmt in node.body if stmt.__class__ in (gast.For, gast.While)
              for inner in stmt.body if inner.__class__ is gast.For]   # (and ranges)
    loops += [(n.generators[0], True) for n in walk(node.body)
              if n.__class__ in (gast.ListComp, gast.GeneratorExp)]
    for loop, comprehension in loops:
        iter_ = loop.iter
        parts = iter_.args if iter_.__class__ is gast.Call \
            and iter_.func.__class__ is gast.Name \
            and iter_.func.id in ("zip", "enumerate") else [iter_]
        if any(p.__class__ in (gast.Tuple, gast.List)
               or comprehension and _range_call(p) for p in parts):
            return True
    return False


def _only_read(node: gast.FunctionDef, name: str) -> bool:
    """Whether the function reads the parameter ``name`` only by subscripts, ``len`` or
    as what a ``for`` loop or a comprehension (or ``zip``/``enumerate`` there) goes
    over: it neither rebinds nor changes it, nor hands it to anything that could."""
    allowed = set()
    for sub in walk(node):
        cls = sub.__class__
        if cls is gast.Subscript and isinstance(sub.ctx, gast.Load):
            allowed.add(id(sub.value))
        elif cls is gast.For or cls is gast.comprehension:
            for part in _iterated(sub.iter) or ():
                allowed.add(id(_base(part) or _viewed(part)))
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
    if all(_base(p) is not None or p.__class__ in (gast.Tuple, gast.List)
           or _viewed(p) is not None or _range_call(p) for p in parts):   # (range(len(x)) too)
        return parts
    return None


def _viewed(expr):
    """The Name of ``d`` in ``d.items()``, ``d.keys()`` or ``d.values()``, else None."""
    if expr.__class__ is gast.Call and expr.func.__class__ is gast.Attribute \
            and expr.func.attr in ("items", "keys", "values") and not expr.args \
            and not expr.keywords and expr.func.value.__class__ is gast.Name:
        return expr.func.value
    return None


def _zip_or_enumerate(iter_):
    """"zip" or "enumerate" for a loop over their call (as _iterated found it), else
    None."""
    if iter_.__class__ is gast.Call and iter_.func.__class__ is gast.Name \
            and iter_.func.id in ("zip", "enumerate"):
        return iter_.func.id
    return None


def _range_call(expr) -> bool:
    return expr.__class__ is gast.Call and expr.func.__class__ is gast.Name \
        and expr.func.id == "range" and 1 <= len(expr.args) <= 3 and not expr.keywords


def _ranged(expr, sizes: dict):
    """The numbers of ``range(...)`` whose bounds the version knows (at most MAX_ITEMS of
    them), else None: constant ints, ``x.shape[k]`` and ``len(x)`` of the array
    arguments in ``sizes`` (name -> shape, for those the function never rebinds), and
    sums and differences of those."""
    if not _range_call(expr):
        return None
    bounds = [_known(a, sizes) for a in expr.args]
    if None in bounds or len(bounds) == 3 and bounds[2] == 0:
        return None
    numbers = range(*bounds)
    return list(numbers) if len(numbers) <= MAX_ITEMS else None


def _known(node, sizes: dict):
    """The int ``node`` (a bound of a range) is in the version, or None."""
    cls = node.__class__
    if cls is gast.Constant:
        return node.value if type(node.value) is int else None
    if cls is gast.UnaryOp and node.op.__class__ is gast.USub:
        value = _known(node.operand, sizes)
        return None if value is None else -value
    if cls is gast.BinOp and node.op.__class__ in (gast.Add, gast.Sub):
        left, right = _known(node.left, sizes), _known(node.right, sizes)
        if left is None or right is None:
            return None
        return left + right if node.op.__class__ is gast.Add else left - right
    if cls is gast.Subscript and node.value.__class__ is gast.Attribute \
            and node.value.attr == "shape" and node.value.value.__class__ is gast.Name:
        shape, k = sizes.get(node.value.value.id), _known(node.slice, {})
        if shape is not None and k is not None and -len(shape) <= k < len(shape):
            return shape[k]
        return None
    if cls is gast.Call and node.func.__class__ is gast.Name and node.func.id == "len" \
            and len(node.args) == 1 and not node.keywords \
            and node.args[0].__class__ is gast.Name:
        shape = sizes.get(node.args[0].id)
        return shape[0] if shape else None
    return None


def _counted(expr):
    """The Name of ``x`` in ``range(len(x))``, else None."""
    if expr.__class__ is gast.Call and expr.func.__class__ is gast.Name \
            and expr.func.id == "range" and len(expr.args) == 1 and not expr.keywords:
        inner = expr.args[0]
        if inner.__class__ is gast.Call and inner.func.__class__ is gast.Name \
                and inner.func.id == "len" and len(inner.args) == 1 and not inner.keywords \
                and inner.args[0].__class__ is gast.Name:
            return inner.args[0]
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


def _unrolled(loop: gast.For, sequences: dict, local: set, ranges: dict = None):
    """The statements ``loop`` unrolls to, or None when it stays a loop (``ranges``: as
    _turns has it)."""
    if loop.orelse or any(isinstance(n, _CONTROL) for n in walk(loop.body)):
        return None
    assigned = {n.id for n in walk([loop.target] + loop.body)
                if n.__class__ is gast.Name and not isinstance(n.ctx, gast.Load)}
    found = _turns(loop, sequences, local - assigned, local, ranges)
    if found is None:
        return None
    targets, turns = found
    size = sum(1 for n in walk(loop.body) if isinstance(n, gast.stmt))
    if not turns or len(turns) * size > MAX_STATEMENTS:
        return None
    # a target the body does not assign that takes constants (`for k in ('W1', 'W2')`,
    # enumerate's counter): the copies read the constant itself (`p['W1']`, a key the
    # version's passes know)
    rebound = {n.id for n in walk(loop.body)
               if n.__class__ is gast.Name and not isinstance(n.ctx, gast.Load)}
    out = []
    for values in turns:
        constants = {}
        for target, value in _pairs(targets, clone(values)):
            assign = gast.Assign(targets=[clone(target)], value=value,
                                 type_comment=None)
            locate(assign, loop)   # (the loop's line)
            out.append(assign)
            if target.__class__ is gast.Name and target.id not in rebound \
                    and _fixed(value, set()):
                constants[target.id] = value
        body = clone(loop.body)
        if constants:
            _ConstantReads(constants).visit(gast.Module(body=body, type_ignores=[]))
        out.extend(body)
    return out


def _turns(loop, sequences: dict, readable: set, local: set, ranges: dict = None):
    """(targets, the values they take at each turn) of a ``for`` loop or a comprehension
    whose items the version knows (``_items``; ``readable`` and ``ranges`` as there),
    or None. ``zip``/``enumerate`` need one target per sequence (enumerate's counter
    first) and are the builtins (not names in ``local``)."""
    parts = _iterated(loop.iter)
    if parts is None:
        return None
    items = [_items(part, sequences, readable, ranges) for part in parts]
    if None in items:
        return None
    func = _zip_or_enumerate(loop.iter)
    if func in local:
        return None   # (not the builtin)
    targets = [loop.target]
    if func is not None:
        if loop.target.__class__ not in (gast.Tuple, gast.List) \
                or len(loop.target.elts) != (2 if func == "enumerate" else len(parts)) \
                or any(e.__class__ is gast.Starred for e in loop.target.elts):
            return None
        targets = loop.target.elts
    turns = []
    for turn in range(min(len(i) for i in items)):
        values = [i[turn] for i in items]
        if func == "enumerate":
            values.insert(0, gast.Constant(value=turn, kind=None))
        turns.append(values)
    return targets, turns


class _Displays(Transformer):
    """A list comprehension, or a generator expression given to a call (which the
    derivatives read as the list it makes: comprehensions.py), over a display or a
    sequence argument the function only reads becomes the display of its items:
    ``sum(np.sum(W * W) for W in (W1, W2))`` is ``sum([np.sum(W1 * W1), np.sum(W2 *
    W2)])``. Only one ``for`` without ``if``s, whose targets are names, and an element
    without comprehensions, lambdas or ``:=`` of its own. The same values: nothing in
    an expression rebinds the function's names between the display and the items."""

    def __init__(self, sequences: dict, local: set, sizes: dict):
        self.sequences, self.local, self.sizes = sequences, local, sizes
        self.changed = False

    def visit_FunctionDef(self, node):   # (and lambdas, classes: names of their own)
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    def visit_Call(self, node):
        self.generic_visit(node)
        node.args = [self.listed(a) if a.__class__ is gast.GeneratorExp else a
                     for a in node.args]
        return node

    def visit_ListComp(self, node):
        self.generic_visit(node)
        return self.listed(node)

    def listed(self, node):
        if len(node.generators) != 1:
            return node
        loop = node.generators[0]
        if loop.ifs or loop.is_async or any(
                n.__class__ in (gast.ListComp, gast.GeneratorExp, gast.SetComp,
                                gast.DictComp, gast.Lambda, gast.NamedExpr)
                for n in walk(node.elt)):
            return node
        found = _turns(loop, self.sequences, self.local, self.local, self.sizes)
        if found is None or any(t.__class__ is not gast.Name for t in found[0]):
            return node
        targets, turns = found
        elts = []
        for values in turns:
            elt = clone(node.elt)
            _ConstantReads(dict(zip((t.id for t in targets), values))).visit(
                gast.Expr(value=elt))
            elts.append(elt)
        self.changed = True
        return gast.copy_location(gast.List(elts=elts, ctx=gast.Load()), node)


class _ConstantReads(Transformer):
    """Reads of the names in ``constants`` become copies of their values."""

    def __init__(self, constants: dict):
        self.constants = constants

    def visit_Name(self, node):
        value = self.constants.get(node.id)
        if value is None or not isinstance(node.ctx, gast.Load):
            return node
        return gast.copy_location(clone(value), node)


def _pairs(targets: list, values: list) -> list:
    """(target, value) of each assignment of a turn: ``k, v = ('W1', d['W1'])`` of a
    dict's items is ``k = 'W1'`` and ``v = d['W1']`` (the key a constant the body reads;
    a value reads no target: the function never rebinds ``d``)."""
    pairs = []
    for target, value in zip(targets, values):
        if target.__class__ in (gast.Tuple, gast.List) and value.__class__ is gast.Tuple \
                and len(target.elts) == len(value.elts) and value.elts \
                and value.elts[0].__class__ is gast.Constant \
                and not any(e.__class__ is gast.Starred for e in target.elts):
            pairs.extend(zip(target.elts, value.elts))
        else:
            pairs.append((target, value))
    return pairs


def _items(part, sequences: dict, readable: set, ranges: dict = None):
    """The expressions of the items ``part`` (a display, or ``x`` or ``x[a:b:c]`` of a
    sequence argument) goes over, in order; None when the loop cannot be unrolled over
    it. A display's items may read only the local names in ``readable`` (names the loop
    does not assign: see the module docstring). With ``ranges`` (the array arguments'
    shapes: see _ranged), also ``range(...)`` whose bounds the version knows."""
    if part.__class__ in (gast.Tuple, gast.List):
        return part.elts if all(_fixed(e, readable) for e in part.elts) else None
    if _range_call(part) and ("range" in readable or "len" in readable):
        return None   # (not the builtins)
    counted = _counted(part)
    if counted is not None and counted.id in sequences \
            and sequences[counted.id].cls is not dict:
        # range(len(x)): the guard fixes x's length
        return [gast.Constant(value=i, kind=None)
                for i in range(len(sequences[counted.id].items))]
    if _range_call(part):
        numbers = None if ranges is None else _ranged(part, ranges)
        return None if numbers is None else \
            [gast.Constant(value=i, kind=None) for i in numbers]
    viewed = _viewed(part)
    if viewed is not None:   # d.items(): the guard fixes d's keys, in order
        kind = sequences.get(viewed.id)
        if kind is None or kind.cls is not dict:
            return None
        view = part.func.attr
        keys = [gast.Constant(value=key, kind=None) for key in kind.keys]
        values = [_item(viewed, key) for key in kind.keys]
        if view == "keys":
            return keys
        if view == "values":
            return values
        return [gast.Tuple(elts=[k, v], ctx=gast.Load()) for k, v in zip(keys, values)]
    base = _base(part)
    if base is None or base.id not in sequences or sequences[base.id].cls is dict:
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


def _item(name: gast.Name, index):
    return gast.Subscript(value=gast.Name(id=name.id, ctx=gast.Load(), annotation=None,
                                          type_comment=None),
                          slice=gast.Constant(value=index, kind=None), ctx=gast.Load())


class _ListNames(Transformer):
    """In a block of straight-line statements that unrolling made (the function's body,
    or a top-level loop's), a list the block makes empty and fills by appends
    (``ks = []``, then ``ks.append(f(x))`` statements) becomes one name per item:
    ``ks_0 = f(x)``, and the reads ``ks[k]`` (k a constant int, or a sum or difference
    of those and ``len(ks)``), ``len(ks)`` and ``not
    ks`` become that name or the constant they are at that point (the number of appends
    before them is known), and ``a if True else b`` is ``a``. The derivative then sees
    names of known shapes, not a list on the stack. Only when every other use of the
    name in the function is one of those reads, after the ``[]``, in the block, outside
    nested functions and lambdas (which could read the list later), at an index in
    range; else the list stays."""

    def __init__(self, scope: list, taken: set):
        self.scope, self.taken = scope, taken   # (the parameters and the body)

    def rewritten(self, block: list) -> list:
        for start, stmt in enumerate(block):
            if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                    and stmt.targets[0].__class__ is gast.Name \
                    and stmt.value.__class__ is gast.List and not stmt.value.elts:
                out = self.named(stmt.targets[0].id, block[start + 1:])
                if out is not None:
                    return block[:start] + self.rewritten(out)
        return block

    def named(self, name: str, rest: list):
        """``rest`` (what follows ``name = []``) with the list's items as names, or
        None."""
        uses = sum(1 for n in walk(self.scope) if n.__class__ is gast.Name and n.id == name)
        if any(n.__class__ in (gast.Global, gast.Nonlocal) and name in n.names
               for n in walk(self.scope)) or uses != 1 + sum(1 for n in walk(rest)
                           if n.__class__ is gast.Name and n.id == name) \
                or sum(1 for n in walk(self.scope) if n.__class__ is gast.Name
                       and n.id == name and not isinstance(n.ctx, gast.Load)) != 1:
            return None   # (read elsewhere, or bound again)
        self.name, self.items, out = name, [], []
        for stmt in rest:
            if not any(n.__class__ is gast.Name and n.id == name for n in walk(stmt)):
                out.append(stmt)
                continue
            value = _appended(stmt, name)
            if value is not None:
                item = self.fresh(name)
                assign = gast.Assign(targets=[gast.Name(id=item, ctx=gast.Store(),
                                                        annotation=None, type_comment=None)],
                                     value=value, type_comment=None)
                locate(assign, stmt, shallow=True)
                self.items.append(item)
                out.append(assign)
                continue
            if any(n.__class__ in (gast.Lambda, gast.FunctionDef, gast.AsyncFunctionDef,
                                   gast.ClassDef) for n in walk(stmt)):
                return None
            stmt = self.visit(clone(stmt))
            if any(n.__class__ is gast.Name and n.id == name for n in walk(stmt)):
                return None   # (a use it cannot name)
            out.append(stmt)
        return out

    def fresh(self, name: str) -> str:
        k = len(self.items)
        while f"{name}_{k}" in self.taken:
            k += 1
        self.taken.add(f"{name}_{k}")
        return f"{name}_{k}"

    def is_list(self, node) -> bool:
        return node.__class__ is gast.Name and node.id == self.name

    def visit_UnaryOp(self, node):
        if node.op.__class__ is gast.Not and self.is_list(node.operand):
            return gast.copy_location(gast.Constant(value=not self.items, kind=None), node)
        self.generic_visit(node)
        return node

    def visit_Call(self, node):
        if node.func.__class__ is gast.Name and node.func.id == "len" and not node.keywords \
                and len(node.args) == 1 and self.is_list(node.args[0]) \
                and not any(n.__class__ is gast.Name and n.id == "len" and
                            not isinstance(n.ctx, gast.Load) for n in walk(self.scope)):
            return gast.copy_location(gast.Constant(value=len(self.items), kind=None), node)
        self.generic_visit(node)
        return node

    def visit_Subscript(self, node):
        if self.is_list(node.value) and isinstance(node.ctx, gast.Load):
            k = _known(self.visit(node.slice), {})   # (ks[len(ks) - 1] too)
            if k is not None and -len(self.items) <= k < len(self.items):
                return gast.copy_location(gast.Name(id=self.items[k], ctx=gast.Load(),
                                                    annotation=None, type_comment=None),
                                          node)
            return node   # (an IndexError: the list stays)
        self.generic_visit(node)
        return node

    def visit_IfExp(self, node):
        node.test = _compared(self.visit(node.test))
        if node.test.__class__ is gast.Constant and type(node.test.value) is bool:
            return self.visit(node.body if node.test.value else node.orelse)
        self.generic_visit(node)
        return node


_COMPARISONS = {gast.Eq: int.__eq__, gast.NotEq: int.__ne__, gast.Lt: int.__lt__,
                gast.LtE: int.__le__, gast.Gt: int.__gt__, gast.GtE: int.__ge__}


def _compared(test):
    """``test`` as a bool Constant when it compares two ints the version knows (``k ==
    0`` of an unrolled ``for k in range(4)``, ``len(ks) > 1``), else itself."""
    if test.__class__ is gast.Compare and len(test.ops) == 1 \
            and test.ops[0].__class__ in _COMPARISONS:
        left, right = _known(test.left, {}), _known(test.comparators[0], {})
        if left is not None and right is not None:
            value = _COMPARISONS[test.ops[0].__class__](left, right)
            return gast.copy_location(gast.Constant(value=value, kind=None), test)
    return test


def _appended(stmt, name: str):
    """The value of ``name.append(value)`` as a statement (that does not read ``name``
    again), else None."""
    if stmt.__class__ is not gast.Expr:
        return None
    call = stmt.value
    if call.__class__ is gast.Call and call.func.__class__ is gast.Attribute \
            and call.func.attr == "append" and call.func.value.__class__ is gast.Name \
            and call.func.value.id == name and len(call.args) == 1 and not call.keywords \
            and call.args[0].__class__ is not gast.Starred \
            and not any(n.__class__ is gast.Name and n.id == name
                        for n in walk(call.args[0])):
        return call.args[0]
    return None
