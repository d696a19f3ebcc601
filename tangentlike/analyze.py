"""analyze: which values carry derivatives.

Consumes a :class:`~tangentlike.normalize.Normalized` function and the names of the
``wrt`` parameters. Produces an :class:`Activity`: a value is *varied* when it depends
differentiably on a ``wrt`` input, *useful* when it reaches the output through
differentiable operations, and *active* when both. Statements whose target is not
active get no derivative code at all.

Requires the core language of normalize (one operation per statement). The analysis
iterates to a fixed point, so it stays correct for code with loops.
"""
from __future__ import annotations

import math
import types

import gast
import numpy as np

from .naming import name_ids
from . import rules
from .rules.optional import optional
from .rules.pymath import spread
from .rules.shapes import add_at_item, broadcast_back, split_like, unbroadcast_like
from .runtime import (add_at, add_grads, broadcast_like, in_place, like,
                      output_zeros_like, require_output, shaped, zeros_like)


class Activity:
    """Which names are varied (depend differentiably on a ``wrt`` input) and which
    useful (reach the output through differentiable operations); active: both."""

    def __init__(self, varied: set, useful: set):
        self.varied, self.useful = varied, useful

    @property
    def active(self) -> set:
        return self.varied & self.useful

    def is_active(self, name: str) -> bool:
        return name in self.varied and name in self.useful


NONDIFF_OPS = (gast.FloorDiv, gast.BitAnd, gast.BitOr, gast.BitXor, gast.LShift,
               gast.RShift, gast.Not, gast.Invert)


def dependencies(value, stmt=None) -> list:
    """The local names a value depends on *differentiably*."""
    if stmt is not None and getattr(stmt, "no_grad", False):
        return []
    if isinstance(value, gast.Name):
        return [value.id]
    if isinstance(value, gast.BinOp):
        if isinstance(value.op, NONDIFF_OPS):
            return []
        return _names([value.left, value.right])
    if isinstance(value, gast.UnaryOp):
        return [] if isinstance(value.op, NONDIFF_OPS) else _names([value.operand])
    if isinstance(value, gast.Call):
        callee = getattr(value, "callee", None)
        if callee is list.pop:
            return _names([value.func.value])
        if rules.iterator_error(callee) is not None:
            return _names(value.args)   # carries its arguments: refused where active
        if rules.is_nondifferentiable(callee):
            return []
        return _names(value.args + [k.value for k in value.keywords])
    if isinstance(value, gast.Subscript):
        return _names([value.value])
    if isinstance(value, (gast.Tuple, gast.List)):
        return _names(value.elts)
    return []  # constants, comparisons, global references, .dtype


def _names(nodes) -> list:
    return [n.id for n in nodes if isinstance(n, gast.Name)]


def appended(stmt):
    """The list of ``lst.append(v)`` (a statement), else None."""
    if isinstance(stmt, gast.Expr) and getattr(stmt.value, "callee", None) is list.append:
        return stmt.value.func.value.id
    return None


def list_variables(nodes) -> set:
    """Locals used as stacks (``lst.append``, ``lst.pop()``): their adjoints are lists.
    ``nodes``: every node of the body (Normalized.nodes)."""
    out = set()
    for node in nodes:
        if isinstance(node, gast.Call) and getattr(node, "callee", None) in (list.append,
                                                                            list.pop):
            out.add(node.func.value.id)
    return out


def written(stmt):
    """The array ``y`` of an element write ``y[i] = v``, else None."""
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
        return stmt.targets[0].value.id
    return None


def assignments(body):
    """(target name, value, statement) of every assignment, nested bodies included;
    ``lst.append(v)`` and ``y[i] = v`` count as assignments of ``lst`` and ``y``."""
    for stmt in body:
        array = written(stmt)
        if array is not None:
            yield array, stmt.value, stmt
        elif isinstance(stmt, gast.Assign):
            yield stmt.targets[0].id, stmt.value, stmt
        else:
            stack = appended(stmt)
            if stack is not None:
                yield stack, stmt.value, stmt
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if inner:   # (no generator for the empty bodies of other statements)
                yield from assignments(inner)


def body_assignments(fn) -> list:
    """``assignments(fn.body)`` of a normalized function, as a list made on first use:
    the passes ask for it many times, and its statements do not change once normalized
    (the derivations copy what they change; tests/test_specialize.py checks this)."""
    if fn.assigned is None:
        fn.assigned = list(assignments(fn.body))
    return fn.assigned


def given_sequences(fn, params=None, items=True) -> frozenset:
    """The names that may hold a list or tuple the caller gave (``f([0.3, 0.6])`` of a
    function that reads it as an array): the parameters (those of ``params``, when
    given: a version's guard proves the others arrays or numbers), and the names
    assigned one of them or a part of one (``y = x``, ``y = x[1:]``, ``row = x[i]``), as
    a list of numbers stays a list there. A NumPy rule reads them as arrays
    (template.list_safe). ``items=False``: only the names assigned one of them or a
    slice of one (``row = x[i]`` of a list of numbers is a number). Made on first use,
    as body_assignments."""
    start = tuple(fn.params if params is None else params)
    key = ("given_sequences", start, items)
    found = fn.facts.get(key)
    if found is None:
        names = set(start)
        grew = bool(names)
        while grew:
            grew = False
            for target, value, stmt in body_assignments(fn):
                if target in names or stmt.__class__ is not gast.Assign:
                    continue
                while value.__class__ is gast.Subscript and (
                        items or value.slice.__class__ is gast.Slice):
                    value = value.value
                if value.__class__ is gast.Name and value.id in names:
                    names.add(target)
                    grew = True
        found = fn.facts[key] = frozenset(names)
    return found


# Functions whose result is a tuple or a list whatever their arguments.
CONTAINER_FUNCTIONS = {list, tuple, np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit,
                       np.linalg.eigh, np.linalg.svd, np.linalg.slogdet, split_like,
                       *optional(np, "unstack")}
# Helpers of generated code whose result has the structure of the arguments at these
# positions (a list for a list).
STRUCTURE_OF = {like: (1,), add_at: (1,), add_at_item: (1,), broadcast_like: (0, 1),
                zeros_like: (0,), add_grads: (0, 1), shaped: (0,), spread: (1,),
                output_zeros_like: (0,), require_output: (1,),
                unbroadcast_like: (1,), broadcast_back: (1,), in_place: (0,)}
# helpers that pass their first argument through (with another dtype): a container only
# when it is one
_PASS_THROUGH = (in_place,)


def containers(body, user_function=lambda callee: False) -> set:
    """Locals that may hold a tuple or a list, solved to a fixed point: tuple and list
    literals, results of functions that return them (``list``, ``np.split``,
    ``user_function`` callees), of helpers given one (``like(g, lst)``), copies of them,
    and values popped from a list that one was appended to. Their adjoints may be
    containers too, so they accumulate with ``add_grads`` instead of ``+``."""
    out, holders = set(), set()   # holders: lists some of whose elements are containers

    def holds(atom, names):
        return isinstance(atom, gast.Name) and atom.id in names

    changed = True
    while changed:
        changed = False
        for target, value, stmt in assignments(body):
            if appended(stmt) is not None:
                if holds(value.args[0], out) and target not in holders:
                    holders.add(target)
                    changed = True
                continue
            if written(stmt) is not None:
                continue
            container = holder = False
            if isinstance(value, (gast.Tuple, gast.List)):
                container = True
                holder = any(holds(e, out) for e in value.elts)
            elif isinstance(value, gast.Name):
                container, holder = value.id in out, value.id in holders
            elif isinstance(value, gast.Call):
                callee = getattr(value, "callee", None)
                if callee is list.pop:
                    container = value.func.value.id in holders
                elif callee in CONTAINER_FUNCTIONS or user_function(callee) \
                        and callee not in _PASS_THROUGH:
                    container = True
                    holder = callee in (list, tuple) and any(holds(a, holders)
                                                             for a in value.args)
                elif callee in STRUCTURE_OF:
                    container = any(holds(value.args[i], out) for i in STRUCTURE_OF[callee]
                                    if i < len(value.args))
            if container and target not in out:
                out.add(target)
                changed = True
            if holder and target not in holders:
                holders.add(target)
                changed = True
    return out


# Calls whose rule gives an argument an adjoint of that argument's own structure (a list
# of adjoints for a list): ``sum(xs)``, ``list(xs)``, ``np.concatenate(xs)``... A second
# contribution to the adjoint of such an argument is added with add_grads, as ``+`` would
# concatenate two lists of adjoints.
STRUCTURED_ARGUMENT = {sum: (0,), math.fsum: (0,), list: (0,), tuple: (0,),
                       np.concatenate: (0,), np.stack: (0,), np.hstack: (0,),
                       np.vstack: (0,), np.dstack: (0,), np.column_stack: (0,)}


def structured_arguments(nodes, user_function=lambda callee: False) -> set:
    """Names passed where the adjoint the call gives back may be a list or tuple shaped
    like the argument: the sequence of ``sum``, ``list``, the joiners
    (STRUCTURED_ARGUMENT), and every argument of a user function (whose derivative
    gives a list argument a list adjoint). ``nodes``: every node of the body
    (Normalized.nodes)."""
    out = set()
    for node in nodes:
        if not isinstance(node, gast.Call):
            continue
        callee = getattr(node, "callee", None)
        try:
            positions = STRUCTURED_ARGUMENT.get(callee)
        except TypeError:   # unhashable
            positions = None
        if positions is None and user_function(callee):
            positions = range(len(node.args))
        for i in positions or ():
            if i < len(node.args) and isinstance(node.args[i], gast.Name):
                out.add(node.args[i].id)
        if user_function(callee):
            out |= {k.value.id for k in node.keywords if isinstance(k.value, gast.Name)}
    return out


def through_copies(names: set, body) -> set:
    """``names`` with every local that a copy ``a = b`` ties to one of them, in either
    direction: the adjoint of ``b`` accumulates the adjoint of ``a``, so when ``a`` may
    be a container (it is read by index, say) so may ``b``'s adjoint. (A derived
    function's prologue for defaulted arguments copies each parameter: without this the
    adjoint of the copied tuple of tangents was added to a number with ``+``.)"""
    out = set(names)
    copies = [(target, value.id) for target, value, stmt in assignments(body)
              if isinstance(value, gast.Name) and isinstance(stmt, gast.Assign)
              and written(stmt) is None]
    changed = True
    while changed:
        changed = False
        for a, b in copies:
            if (a in out) != (b in out):
                out |= {a, b}
                changed = True
    return out


def returned_names(body) -> set:
    out = set()
    for stmt in body:
        if isinstance(stmt, gast.Return):
            out.update(name_ids(stmt.value))
        for field in ("body", "orelse"):
            out |= returned_names(getattr(stmt, field, []) or [])
    return out


def analyze(fn, wrt) -> Activity:
    """Compute the :class:`Activity` of ``fn`` with respect to the ``wrt`` names."""
    edges = [(target, dependencies(value, stmt)) for target, value, stmt in body_assignments(fn)]
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for target, deps in edges:
            if target not in varied and any(d in varied for d in deps):
                varied.add(target)
                changed = True
    # `v = lst.pop()` also shrinks lst: where lst is useful, so is v, so that the
    # derivative pops the derivative of lst along with it (even if v is never read).
    pops = [(target, value.func.value.id) for target, value, _ in body_assignments(fn)
            if getattr(value, "callee", None) is list.pop]
    useful = returned_names(fn.body)
    changed = True
    while changed:
        changed = False
        # (last first: usefulness flows from the returns back, so straight-line code
        # needs one round, not one per statement; the closure is the same in any order)
        for target, deps in reversed(edges):
            if target in useful:
                new = [d for d in deps if d not in useful]
                if new:
                    useful.update(new)
                    changed = True
        for target, lst in pops:
            if lst in useful and target not in useful:
                useful.add(target)
                changed = True
    return Activity(varied, useful)


def discarded_call(fn, activity: Activity):
    """The first statement that calls, for what it does and not for its result, a
    function without a derivative rule (not a user function, not declared constant, not
    tangentlike's own) on a value that carries a derivative: ``heapq.heappush(h, v)``,
    ``np.ndarray.__setitem__(z, i, v)``. Such a call changes its arguments in place,
    which the derivative cannot follow (a function that returns a value is refused where
    its result is differentiated). None when there is none."""
    for node in fn.nodes():
        if not isinstance(node, gast.Expr) or not isinstance(node.value, gast.Call):
            continue
        callee = getattr(node.value, "callee", None)
        if callee is None or callee in (list.append, list.pop) or \
                isinstance(callee, types.FunctionType) or rules.lookup(callee) is not None \
                or rules.is_nondifferentiable(callee) or \
                str(getattr(callee, "__module__", "")).startswith("tangentlike"):
            continue
        if any(d in activity.varied for d in dependencies(node.value, node)):
            return node
    return None


def reads_low_precision(fn) -> bool:
    """Whether the function reads a float32 (float16) value that is not an argument, or
    may: a global or closure variable holding float data (a float64 may be rebound to a
    float32 after the version is made, and no guard looks at values), or a cast to such a
    dtype (``np.float32(x)``, ``x.astype(np.float32)``: a dtype's name by then). NumPy's
    arithmetic with it makes the gradient of a Python float a float32, so a version takes
    it back to a float."""
    found = fn.facts.get("reads_low_precision")
    if found is None:
        found = False
        for node in fn.nodes():
            if isinstance(node, gast.Constant):
                found = node.value in ("float32", "float16", "half", "single")
            elif isinstance(node, gast.Name) and node.id not in fn.locals:
                # any float data a global or closure name holds: rebound to a float32
                # later (no guard sees values), it would make the gradient a float32
                value = fn.parsed.lookup(node.id, None)
                found = type(value) is float or isinstance(value, (np.ndarray, np.generic)) \
                    and value.dtype.kind == "f"
            if found:
                break
        fn.facts["reads_low_precision"] = found
    return found


# -- Python's arithmetic of sequences ---------------------------------------------------
def sequence_arithmetic(fn) -> list:
    """``(mine, other, statement)`` for each ``a * b`` or ``a + b`` of the body that
    repeats or joins a list or tuple when a parameter holds one. ``mine`` is
    ``(parameter, depth)``: ``a`` is that parameter or a value read from it (``x[1:]``,
    ``list(x)``, ``x * 2`` at depth 0; ``x[i]`` at depth 1, a list only in a list of
    lists). ``other`` is what it is repeated by or joined to: another ``(parameter,
    depth)`` for ``+``; for ``*`` a parameter name (a sequence only with an integer), or
    None for a value that is an integer whatever the arguments (a literal, a loop
    counter, ``len(...)``). The rules follow NumPy's elementwise arithmetic, so a derived
    function refuses such a list when it is called (specialize.Dispatcher)."""
    params = set(fn.params)
    origin = {p: (p, 0) for p in params}   # local -> (parameter, depth) it may hold
    counters = {loop.target.id for loop in _loops(fn.body)
                if isinstance(loop.target, gast.Name)
                and getattr(loop.iter, "callee", None) in (range, reversed)}
    found = []
    for target, value, stmt in body_assignments(fn):
        if not isinstance(stmt, gast.Assign) or written(stmt) is not None:
            continue
        source = None if isinstance(value, gast.BinOp) else _sequence_source(value, origin)
        if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Mult)):
            for mine, other in ((value.left, value.right), (value.right, value.left)):
                held = _sequence_source(mine, origin)
                if held is None:
                    continue
                if isinstance(value.op, gast.Add):
                    joined = _sequence_source(other, origin)
                    if joined is not None:
                        found.append((held, joined, stmt))
                        source = held   # (a sequence when both are)
                elif isinstance(other, gast.Constant) and type(other.value) in (int, bool) \
                        or isinstance(other, gast.Name) and other.id in counters:
                    found.append((held, None, stmt))
                    source = held
                elif isinstance(other, gast.Name) and other.id in params:
                    found.append((held, other.id, stmt))   # (refused when it runs)
        if target not in params:
            if source is not None:
                origin[target] = source
            else:
                origin.pop(target, None)
        if isinstance(value, gast.Call) and getattr(value, "callee", None) in (len, int) \
                or isinstance(value, gast.Constant) and type(value.value) is int:
            counters.add(target)
    return found


def _sequence_source(expr, origin):
    """``(parameter, depth)`` whose list or tuple ``expr`` may be, or None."""
    if isinstance(expr, gast.Name):
        return origin.get(expr.id)
    if isinstance(expr, gast.Subscript):
        base = _sequence_source(expr.value, origin)
        if base is None:
            return None
        return base if isinstance(expr.slice, gast.Slice) else (base[0], base[1] + 1)
    if isinstance(expr, gast.Call) and getattr(expr, "callee", None) in (list, tuple) \
            and len(expr.args) == 1:
        return _sequence_source(expr.args[0], origin)
    return None


def _loops(body):
    for stmt in body:
        if isinstance(stmt, gast.For):
            yield stmt
        for field in ("body", "orelse"):
            yield from _loops(getattr(stmt, field, []) or [])
