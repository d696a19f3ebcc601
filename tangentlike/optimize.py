"""optimize: make generated derivative code as lean as a hand-written one.

Consumes the ``gast.FunctionDef`` made by reverse (statements tagged with ``.phase``).
Produces the same function with:

1. ``fold_constants``: arithmetic on constants in adjoint code is evaluated, and
   ``e ** 1`` and ``e / 1`` become ``e``
   (``bz * 2 * x ** (2 - 1)`` -> ``bz * 2 * x``).
2. ``propagate_copies``: after ``a = b``, reads of ``a`` become reads of ``b`` for as
   long as neither is reassigned (``bx = by`` disappears, and so does ``b = a`` then:
   ``b`` already holds it); an adjoint reset to zero
   propagates the same way, and constant folding then turns ``0.0 + g`` into ``g``.
   Arrays changed by element writes keep their names.
3. ``eliminate_dead_code``: assignments whose value nobody reads are removed, when the
   value has no effect (a call of an unknown function is always kept: it may print, or
   draw random numbers the primal depends on). Before it, ``drop_write_only_lists``
   removes the appends to a local list that nothing reads (a list comprehension whose
   result is unused), and the loops left with nothing to do go with the dead code.
4. ``fold_negations`` (signs.py): negations of adjoint rules cancel or become
   subtractions (``bt3 = -bp * p / t3; bt1 = bt3 * t2; bz = -bt1`` loses both).
   In a version, ``join_accumulations`` first makes ``t = e1; t = t + e2`` of one line
   one sum, so a negated term of it becomes a subtraction too.
5. ``drop_unread_saves``: a variable that the adjoint reads only where it holds its
   final value (``x`` in ``return np.sum(x * x)`` after a loop that updates ``x``) was
   saved at every assignment in the loop and restored in the reversed loop; when no
   restored value is ever read, the pushes and pops go.
6. ``batch_outer_products``: in a loop, ``X = X + np.outer(u, v)`` of two vectors, with
   ``X`` used nowhere else in the loop, collects ``u`` and ``v`` and adds one matrix
   product after the loop, ``np.array(us).T @ np.array(vs)`` (the adjoint of ``W @ h``
   in an RNN step: one product of T x H matrices instead of T outer products and T
   matrix additions). A vector whose elements are written is collected too when each
   turn makes it anew before writing it and changes it no more after the product (the
   reversed LSTM step's ``bz``: ``_fresh_each_turn``).
7. ``merge_element_updates``: two contributions to one element in a row,
   ``bw[i] += bt5; bw[i] += bt3``, become one update ``bw[i] += bt5 + bt3`` (an
   element update reads and writes the array: one of each is saved). In a version, also
   across updates of other elements of the array proved apart (``bx[i, 0]`` and
   ``bx[i, 1]``, or rows ``i`` and ``t11 = i + 1`` of ints) and assignments of numbers,
   moving the later update up or, where it reads a number assigned in between, the
   earlier one down (``_merge_down``).
8. ``reuse_quotients``: ``a * b / c`` where an earlier ``q = a / c`` of the same block
   still holds becomes ``q * b`` (the quotient rule's two adjoints, ``be = bp / t2`` and
   ``(bp * p / t2).sum(...)``: one array pass fewer; the same value up to rounding).
9. ``fold_constant_factors``: ``t = g * 2`` read once, in ``2.0 * t * x``, goes into it:
   ``4.0 * g * x`` (the seed's arithmetic in ``2 * np.dot(x, x)``: one statement and one
   multiplication fewer per call); ``t = 1.0 * g`` of a float ``g`` (a version's adjoint
   is for the seed 1.0: reverse.seed_factor) read once as an operand of an arithmetic
   operation, ``t @ A``, goes into it as ``g @ A`` (one array pass fewer, the same bits;
   the operation makes a new value, so no name comes to share g's array); then
   ``fold_unit_factors``: ``t = e1; t = t + e2`` of one user line become ``t = e1 + e2``,
   and ``1.0 * v`` of a float operand becomes ``v`` (``x @ A @ x``: ``bx = t1 + A @ x``);
   ``fold_unit_copies``: ``t = 1.0 * a`` read only by arithmetic before t is assigned
   again reads ``a`` (``bmu = 1.0 * mu; bmu = bmu + bz`` is ``bmu = mu + bz``);
   and ``items_times_a_number``: ``t = a * dt`` read only as ``t[0]``, ``t[1]`` right
   after becomes ``a[0] * dt``, ``a[1] * dt`` (a simulation step's small rows); and
   ``rows_from_items`` and ``split_row_updates``: updates of a small row go to its items.

   ``keep_unchanged_parts``: ``t = g[i].copy(); g[i] = 0.0; ...; g[i] += t`` with
   nothing between reading or writing g (the adjoint of ``x[i] += v``: the write's
   adjoint clears g[i], the read's puts it back) becomes ``t = g[i]``: g does not
   change, so t may be a view of it (read only as an operand, nowhere after).

10. ``collect_terms`` (collect.py): an elementwise adjoint whose terms cancel
   (``bout / 1000 * t6 * p - bout / 1000 * y * (t2 * p)``) is written collected,
   ``bout / 1000 * (p - y)``, when that makes fewer array operations.
11. ``simplify_numbers`` (numbers.py): where the guard proves arguments numbers, the
   names surely holding numbers lose the tests and checks meant for arrays, and the
   tangent ``dx = 1.0`` of a forward version is read as its constant
   (``dt1 = dx * np.cos(x)`` -> ``dt1 = np.cos(x)``).

12. ``share_repeated_calls`` (versions, before copy propagation): a NumPy ufunc called
   again on the same operands at the top level (``p = np.exp(z) / (1 + np.exp(z))``)
   reads the first call's result.
13. ``spread_over_picks`` (versions, after collect_terms): ``g = add_at_item(c, p, (r,
   y)); bz = g - p * g.sum(axis=1, keepdims=True)`` with one pick per row (r is
   np.arange(n)) is ``bz = p * -c; bz[r, y] += c`` (a cross-entropy with integer labels).
   ``merge_where_shares`` (versions, after collect_terms): the two shares of
   ``np.where(c, h, k * h)``'s adjoint, ``a = np.where(c, g, 0.0); b = np.where(c, 0.0,
   g); a = a + b * k``, are one ``a = np.where(c, g, g * k)`` (a leaky ReLU).
   ``select_where_shares`` (versions, after it): the two shares read by one sum,
   ``A * P + B * Q``, are one ``np.where(c, P, Q)`` (a piecewise function, a Huber loss).
   ``correlate_without_padding`` (versions): ``np.correlate(zero_padded(h, ...), v,
   'valid')`` (a convolution's adjoint) is ``correlate_of_padded(h, v, s)``, no copy.
   ``fold_logistic_negations`` (versions): ``logistic_times(-m, k)`` negated (the
   softplus share of ``np.logaddexp(0, -m)``) is ``logistic_of_negated_times(m, -k)``.
   ``hoist_invariants`` (versions): arithmetic of a loop's invariants (``t1 = p[0]``,
   ``t7 = 0.5 * dt``) goes before a loop of int constants that runs.
   ``spread_constants`` (versions, before it): ``g = 0.5 + np.zeros((200, 8), ...)``
   read only by elementwise arithmetic is the number 0.5 there, and a smaller array
   made of it (``bt1 = 0.5 / var``, (8,)) is computed at its own size (a Gaussian NLL
   with a diagonal covariance: 1.36x -> 1.22x the hand-written gradient).
   ``factor_sums`` (versions, after it): ``(a * B).sum(axis=0)`` with a factor ``a``
   the same along the summed axes is ``a * B.sum(axis=0)`` (and a quotient's
   ``B.sum(axis=0) / a``), a product named once and summed once written into the sum
   (the Gaussian NLL: 1.22x -> 0.89x the hand-written gradient).
   ``pairwise_sums`` (versions, before factor_sums): the adjoint ``G[:, :, None] * c *
   D`` of pairwise differences ``D = U[:, None, :] - V[None, :, :]``, read only summed
   along axis 0 or 1, is not made: the sums are ``g.sum(axis=1)[:, None] * U -
   g.dot(V)`` and ``g.T.dot(U) - g.sum(axis=0)[:, None] * V`` of ``g = G * c`` (a
   repulsion energy of 50 points: 1.28x -> 1.14x the hand-written gradient).
   ``constants_as_arrays`` (versions, last): a number written in arithmetic or a
   comparison with a float64 array (``4.0 * x``, ``1.0 - z``, ``x > 0.0``) is read from
   a 0-d float64 array bound once (``f64_4_0 * x``): NumPy 2 takes about 0.2 us to
   convert a Python number operand at each operation, as long as the operation itself
   on a few hundred elements. The same values and dtypes.
   ``products_by_method`` (versions, after it): a matrix product of two float64 arrays
   of one or two axes, ``a @ b`` or ``np.dot(a, b)``, is ``a.dot(b)`` (the same BLAS
   call without the ufunc's dispatch, about 0.5 us less), ``np.outer`` of two float64
   vectors ``a[:, None] * b``. The same values.
   ``reductions_by_method`` (versions, after it): ``np.sum(a, axis=1)`` (np.mean,
   np.max, np.min, np.prod) of a float64 array is ``a.sum(axis=1)``, the same ufunc
   reduction without the function's dispatch (a cosine similarity loss of 128 x 16:
   1.28x -> 1.11x, softmax cross-entropy 1.15x -> 1.00x the hand-written gradient).
   ``middle_axis_sums`` (versions, last): a float64 array of three axes summed along
   the middle one is ``np.einsum('ijk->ik', g)``: the same additions, without NumPy's
   inner loop over the short last axis (pairwise differences' adjoints).
   ``collect_item_adjoints`` (versions): ``t = add_grads(t, add_at_item(g, L, i))`` in a
   reversed ``range`` loop (the adjoint of ``for h in hs:`` over a list) collects each
   turn's g and makes the list's adjoint once after the loop, not a list of zeros per turn.

Each pass is one function; ``optimize`` runs them in that order (8 to 11 in
versions specialized to argument shapes only, see specialize.py; 12 first).
"""
from __future__ import annotations

import operator

import gast
import numpy as np

from .naming import (INNER_FIELDS, Transformer, contains, load_store_counts, name_counts,
                     name_ids, name_nodes, read_and_assigned, same_tree, statements, walk)
from . import rules
from .collect import collect_terms
from .numbers import simplify_numbers
from .runtime import (add_grads, broadcast_like, cast_back, in_place, part_of, seeded,
                      shaped, zero_at, zeros_like, zeros_plus)
from .rules.arithmetic import logistic_of_negated_times, logistic_times
from .rules.numeric import correlate_of_padded
from .rules.selection import clip_share, share as selection_share
from .rules.shapes import add_at_item, items_read_in_turns, zero_padded
from .signs import fold_negations

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv, gast.Pow: operator.pow}


def optimize(fdef: gast.FunctionDef, bound: dict = None, specialized: bool = False,
             numbers: dict = None, user_globals: dict = None,
             elements: dict = None) -> gast.FunctionDef:
    """``bound``: the generated code's global names and their objects; ``specialized``:
    a version for argument shapes (the last passes run only there: the generic
    derivative, made by tl.grad itself, is used only until the first call);
    ``numbers``: its parameters that the guard proves numbers, ``elements``: its array
    parameters' dimensions and elements (numbers.py), read with ``user_globals``."""
    fdef.body = fold_constants(fdef.body)
    if specialized:
        share_repeated_calls(fdef.body, bound or {})
    # statement -> its (read, assigned) names, kept from one pass to the next for the
    # statements that no pass in between changed (copy propagation finds them, the
    # dead-code passes read them). Keyed by the statement itself, not its id: the memo
    # keeps it alive, so a statement a pass makes cannot get the id of one it dropped
    # and with it the dropped one's names (a stale entry made the kept initialisations
    # depend on where objects were allocated)
    names = {}
    zeroed = set()
    fdef.body = propagate_copies(fdef.body, zeroed=zeroed, learned=names)
    fdef.body = fold_constants(fdef.body, zeroed)   # again where propagated zeros landed
    for stmt in [s for s in names if id(s) in zeroed]:
        del names[stmt]
    fdef.body = drop_write_only_lists(fdef.body, {a.id for a in fdef.args.args})
    fdef.body = eliminate_dead_code(fdef.body, memo=names)
    changed = set()
    if specialized:
        join_accumulations(fdef.body, changed)
    fdef.body = fold_negations(fdef.body, bound, changed)
    # `bx = 0.0 + g` (and `bz = bt1`) are copies
    folded = set()
    fdef.body = propagate_copies(fdef.body, zeroed=folded, renamed=changed, memo=names)
    if folded:   # (a constant put in: `bw = 0.001 * 2 * w` is `0.002 * w`)
        fdef.body = fold_constants(fdef.body, folded)
    for stmt in [s for s in names if id(s) in changed or id(s) in folded]:
        del names[stmt]
    fdef.body = drop_unread_saves(fdef.body, names)  # (eliminates dead code first)
    fdef.body = drop_unread_element_saves(fdef.body, names)
    fdef.body = batch_outer_products(fdef.body, fdef)
    fdef.body = merge_element_updates(fdef.body)
    keep_unchanged_parts(fdef.body, bound or {})
    if specialized:
        sequences = getattr(fdef, "sequences", None)
        if sequences:
            gather_items(fdef.body, _with_items(fdef.body, sequences, bound or {}), bound or {})
        _refold(fdef.body, getattr(fdef, "floats", frozenset()),
                getattr(fdef, "numbers", frozenset()))
        rows = getattr(fdef, "rows", None)
        if rows:
            rows_from_items(fdef.body, rows, fdef.ints, bound or {})
        if rows and split_row_updates(fdef.body, rows, fdef.ints):
            fdef.body = merge_element_updates(fdef.body, fdef.ints,
                                              getattr(fdef, "numbers", frozenset()))
        if rows:
            read_row_items(fdef.body, rows, fdef.ints)
        collect_terms(fdef, eliminate_dead_code)   # (collect.py)
        spread_over_picks(fdef.body, bound or {})
        factor_products(fdef.body, getattr(fdef, "floats", frozenset()))
        merge_where_shares(fdef.body, bound or {})
        select_where_shares(fdef.body, bound or {}, getattr(fdef, "doubles", frozenset()))
        clip_selections(fdef.body, bound or {}, getattr(fdef, "double_arrays", frozenset()))
        clip_shares(fdef.body, bound if bound is not None else {},
                    getattr(fdef, "double_arrays", frozenset()))
        correlate_without_padding(fdef.body, bound or {})
        fold_logistic_negations(fdef.body, bound or {})
        hoist_invariants(fdef.body, bound or {})
        collect_item_adjoints(fdef.body, bound or {})
        if numbers and simplify_numbers(fdef, numbers, bound or {}, user_globals or {},
                                        elements):
            folded = set()
            fdef.body = propagate_copies(fdef.body, zeroed=folded)
            fdef.body = eliminate_dead_code(fold_constants(fdef.body, folded))
        spread_constants(fdef.body, bound or {}, getattr(fdef, "double_shapes", {}),
                         getattr(fdef, "numbers", frozenset()))
        pairwise_sums(fdef.body, bound or {}, getattr(fdef, "double_shapes", {}),
                      getattr(fdef, "numbers", frozenset()))
        factor_sums(fdef.body, bound or {}, getattr(fdef, "double_shapes", {}),
                    getattr(fdef, "numbers", frozenset()))
        # again: the passes since may have made negations (`bz = -(bt8 * z)` of
        # collect_terms) that the statements reading them can fold
        fdef.body = fold_negations(fdef.body, bound)
        constants_as_arrays(fdef.body, bound if bound is not None else {},
                            getattr(fdef, "double_arrays", frozenset()),
                            getattr(fdef, "numbers", frozenset()))
        params = {arg.id for arg in fdef.args.args + fdef.args.kwonlyargs}
        zeros_from_copies(fdef.body, bound if bound is not None else {})
        # (the three find the arrays' numbers of axes once, _array_ranks, unless a
        # rewrite may have changed them)
        known = products_by_method(fdef.body, bound or {}, getattr(fdef, "double_ranks", {}),
                                   getattr(fdef, "numbers", frozenset()),
                                   getattr(fdef, "ints", frozenset()), params)
        known = reductions_by_method(fdef.body, bound or {}, getattr(fdef, "double_ranks", {}),
                                     getattr(fdef, "numbers", frozenset()),
                                     getattr(fdef, "ints", frozenset()), params, known)
        middle_axis_sums(fdef.body, bound or {}, getattr(fdef, "double_ranks", {}),
                         getattr(fdef, "numbers", frozenset()),
                         getattr(fdef, "ints", frozenset()), params, known)
    restore_result_names(fdef)
    return fdef


def clip_selections(body: list, bound: dict, doubles: frozenset) -> None:
    """In place, at the top level (versions, after select_where_shares): ``g =
    np.where(t, r, np.sign(r))`` with ``t = a <= 1.0`` (or ``<``) and ``a = np.abs(r)``,
    r a float64 array (``doubles``) and none of the three names assigned elsewhere, is
    ``g = np.clip(r, -1.0, 1.0)``: r where abs(r) is at most 1, its sign elsewhere,
    which is r clipped to [-1, 1], also at r = -0.0, +-1, +-inf and nan (the sign of nan
    is nan). One pass instead of the selection and the sign's (a Huber loss written
    with np.where, whose selection select_where_shares made; abs and the comparison go
    too when nothing else reads them: 1000 rows, 1.17x -> about 1.0x the hand-written
    ``np.clip(r, -1, 1) @ X``)."""
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    if np_name is None or not doubles or not any(
            stmt.__class__ is gast.Assign and stmt.value.__class__ is gast.Call
            and stmt.value.func.__class__ is gast.Attribute
            and stmt.value.func.attr == "where" for stmt in body):
        return   # (no selection at the top level: no walk)
    defs = {}
    for stmt in body:
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name:
            defs[stmt.targets[0].id] = stmt.value
    stores = load_store_counts(body)[1]

    def np_call(node, attr, count):
        return node.__class__ is gast.Call and not node.keywords \
            and len(node.args) == count and node.func.__class__ is gast.Attribute \
            and node.func.attr == attr and node.func.value.__class__ is gast.Name \
            and node.func.value.id == np_name

    dropped = set()
    for stmt in body:
        value = stmt.value if stmt.__class__ is gast.Assign else None
        if not np_call(value, "where", 3):
            continue
        t, r, sign = value.args
        if not (t.__class__ is gast.Name and r.__class__ is gast.Name and r.id in doubles
                and np_call(sign, "sign", 1) and sign.args[0].__class__ is gast.Name
                and sign.args[0].id == r.id):
            continue
        test = defs.get(t.id)
        if not (test.__class__ is gast.Compare and len(test.ops) == 1
                and test.ops[0].__class__ in (gast.LtE, gast.Lt)
                and test.left.__class__ is gast.Name and _exact_constant(test.comparators[0])
                and test.comparators[0].value == 1):
            continue
        a = test.left.id
        if not (np_call(defs.get(a), "absolute", 1) or np_call(defs.get(a), "abs", 1)):
            continue
        if defs[a].args[0].__class__ is not gast.Name or defs[a].args[0].id != r.id \
                or any(stores.get(n) != 1 for n in (t.id, a, r.id)):
            continue
        stmt.value = gast.Call(
            func=gast.Attribute(value=_name(np_name), attr="clip", ctx=gast.Load()),
            args=[_name(r.id), gast.Constant(value=-1.0, kind=None),
                  gast.Constant(value=1.0, kind=None)], keywords=[])
        dropped.update((t.id, a))
    for _ in range(2 if dropped else 0):   # the comparison, then abs, when unread now
        loads = {n.id for n in walk(body)
                 if n.__class__ is gast.Name and n.ctx.__class__ is gast.Load}
        body[:] = [stmt for stmt in body if not (
            stmt.__class__ is gast.Assign and len(stmt.targets) == 1
            and stmt.targets[0].__class__ is gast.Name
            and stmt.targets[0].id in dropped - loads)]


def clip_shares(body: list, bound: dict, doubles: frozenset) -> None:
    """In place, at the top level (versions): the adjoint of ``c = np.minimum(np.maximum(r,
    -k), k)`` (k > 0 a number, r a float64 array: ``doubles``),

        t = np.maximum(r, -k)
        bt = g * share(t, k, float64, np.less)
        br = bt * share(r, -k, float64, np.greater)

    with bt read nowhere else and t, r, bt assigned once, is ``br = g * clip_share(r, k,
    float64)``: one mask of abs(r) < k (1/2 at r == -k and r == k, as the two shares'
    product is) instead of two shares of four passes each and a product. The same
    numbers: each share is 0, 1/2 or 1 and at most one of them is not 1 where the other
    is not 0, so ``(g * s1) * s2`` is ``g * (s1 * s2)``, inf and nan of g included."""
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    share_name = next((n for n, obj in bound.items() if obj is selection_share), None)
    float_name = next((n for n, obj in bound.items() if obj is np.float64 or
                       isinstance(obj, np.dtype) and obj == np.float64), None)
    if None in (np_name, share_name, float_name) or not doubles \
            or bound.get("clip_share", clip_share) is not clip_share:
        return
    defs = {}
    for stmt in body:
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name:
            defs[stmt.targets[0].id] = stmt.value
    loads, stores = load_store_counts(body)
    if "clip_share" in stores or "clip_share" in loads:
        return   # (a name of the function's own)

    def number(node):
        if node.__class__ is gast.UnaryOp and node.op.__class__ is gast.USub:
            value = number(node.operand)
            return None if value is None else -value
        return float(node.value) if _exact_constant(node) else None

    def shared(node, cmp):
        """(x, y's number) of ``share(x, y, float64, np.<cmp>)``, x a name, else None."""
        if node.__class__ is gast.Call and not node.keywords and len(node.args) == 4 \
                and node.func.__class__ is gast.Name and node.func.id == share_name:
            x, y, dtype, wins = node.args
            if x.__class__ is gast.Name and dtype.__class__ is gast.Name \
                    and dtype.id == float_name and wins.__class__ is gast.Attribute \
                    and wins.value.__class__ is gast.Name and wins.value.id == np_name \
                    and wins.attr == cmp and number(y) is not None:
                return x.id, number(y)
        return None

    def times_share(node, cmp):
        """(g, x, y's number) of ``g * share(...)`` or ``share(...) * g``, else None."""
        if node.__class__ is not gast.BinOp or node.op.__class__ is not gast.Mult:
            return None
        for g, call in ((node.left, node.right), (node.right, node.left)):
            found = shared(call, cmp)
            if found is not None:
                return (g,) + found
        return None

    dropped = []
    for index, stmt in enumerate(body):
        if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
                or stmt.targets[0].__class__ is not gast.Name:
            continue
        outer = times_share(stmt.value, "greater")   # br = bt * share(r, -k, ...)
        if outer is None or outer[0].__class__ is not gast.Name:
            continue
        bt, r, low = outer[0].id, outer[1], outer[2]
        inner = defs.get(bt)
        inner = None if inner is None else times_share(inner, "less")
        if inner is None or r not in doubles or not 0.0 < inner[2] < np.inf \
                or low != -inner[2]:
            continue
        g, t, k = inner
        made = defs.get(t)   # t = np.maximum(r, -k)
        if not (made.__class__ is gast.Call and not made.keywords and len(made.args) == 2
                and made.func.__class__ is gast.Attribute and made.func.attr == "maximum"
                and made.func.value.__class__ is gast.Name
                and made.func.value.id == np_name
                and made.args[0].__class__ is gast.Name and made.args[0].id == r
                and number(made.args[1]) == -k):
            continue
        if any(stores.get(n) != 1 for n in (t, r, bt)) or loads.get(bt) != 1 \
                or g.__class__ is gast.Name and stores.get(g.id) != 1:
            continue
        position = next((i for i, s in enumerate(body[:index]) if s.__class__ is gast.Assign
                         and s.targets[0].__class__ is gast.Name
                         and s.targets[0].id == bt), None)
        if position is None:
            continue
        bound["clip_share"] = clip_share
        stmt.value = gast.BinOp(
            left=g, op=gast.Mult(),
            right=gast.Call(func=_name("clip_share"),
                            args=[_name(r), gast.Constant(value=k, kind=None),
                                  _name(float_name)], keywords=[]))
        dropped.append(body[position])
    if dropped:
        body[:] = [stmt for stmt in body if not any(stmt is d for d in dropped)]


_ARRAY_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div)
_ARRAY_COMPARISONS = (gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Eq, gast.NotEq)
# NumPy functions of two operands where a number and a float64 0-d array of its value
# give the same (float64 or bool) result
_ARRAY_UFUNCS = frozenset({np.add, np.subtract, np.multiply, np.true_divide, np.maximum,
                           np.minimum, np.fmax, np.fmin, np.greater, np.greater_equal,
                           np.less, np.less_equal, np.equal, np.not_equal, np.logaddexp,
                           np.arctan2, np.hypot})


def constants_as_arrays(body: list, bound: dict, doubles: frozenset,
                        numbers: frozenset) -> None:
    """In place (versions, after the other passes): in ``+ - * /`` and comparisons whose
    other operand is surely a float64 array of at least one axis (a name the version
    proves one, ``doubles``, or arithmetic of those with numbers), a number constant becomes a 0-d float64 array
    bound under a name of its value (``4.0 * x`` -> ``f64_4_0 * x``). NumPy 2 converts
    a Python number operand at every operation (about 0.2 us: ``2 * np.dot(x, x)``'s
    gradient at n=4, ``4.0 * x``, took 0.57 us, ``f64_4_0 * x`` 0.36 us); the array is
    float64 as the number would be there (the array's dtype wins over a Python number's
    and equals this one's), so the values, nan and inf included, and the dtypes are the
    same. A name assigned a number once at the top level (``dt = 0.01``, read in a
    loop's ``dt * f``) is read as that number's array there. So for the number
    operands of NumPy's functions of two operands
    (``np.maximum(h, 0.0)``), of np.where's two values and of np.clip's bounds. An int
    is taken only where float64 holds it exactly; ``**`` keeps its number (NumPy
    squares for ``x ** 2``). The arrays are read-only and never a result."""
    if not doubles:
        return
    taken = None
    made = {}
    # names assigned a number once, at the top level (``dt = 0.01``): read as that number
    stores = load_store_counts(body)[1]
    fixed = {stmt.targets[0].id: stmt.value for stmt in body
             if stmt.__class__ is gast.Assign and len(stmt.targets) == 1
             and stmt.targets[0].__class__ is gast.Name and _exact_constant(stmt.value)
             and stores.get(stmt.targets[0].id) == 1}

    def constant(node):
        """The Constant node ``node`` is or names (fixed), else None."""
        if _exact_constant(node):
            return node
        return fixed.get(node.id) if node.__class__ is gast.Name else None

    def double(node) -> bool:
        cls = node.__class__
        if cls is gast.Name:
            return node.id in doubles
        if cls is gast.BinOp and node.op.__class__ in _ARRAY_ARITHMETIC:
            left, right = node.left, node.right
            return double(left) and (double(right) or _operand_number(right, numbers)) \
                or double(right) and _operand_number(left, numbers)
        if cls is gast.UnaryOp and node.op.__class__ in (gast.USub, gast.UAdd):
            return double(node.operand)
        return False

    def array_of(constant):
        nonlocal taken
        value = float(constant.value)
        key = value.hex()   # (-0.0 and 0.0 are two constants)
        if key not in made:
            if taken is None:
                taken = set(name_counts(body)) | set(bound)
            text = repr(value).replace("-", "m").replace(".", "_").replace("+", "p")
            name = _fresh(f"f64_{text}", taken)
            bound[name] = _constant_array(value)
            made[key] = name
        return _name(made[key])

    np_name = next((n for n, obj in bound.items() if obj is np), None)
    for node in walk(body):
        cls = node.__class__
        if cls is gast.BinOp and node.op.__class__ in _ARRAY_ARITHMETIC:
            if constant(node.left) is not None and double(node.right):
                node.left = array_of(constant(node.left))
            elif constant(node.right) is not None and double(node.left):
                node.right = array_of(constant(node.right))
        elif cls is gast.Call and np_name is not None and not node.keywords \
                and node.func.__class__ is gast.Attribute \
                and node.func.value.__class__ is gast.Name and node.func.value.id == np_name:
            # np.maximum(h, 0.0), np.where(c, x, 0.0), np.clip(r, -1.0, 1.0)
            target, args = getattr(np, node.func.attr, None), node.args
            pair = args if target in _ARRAY_UFUNCS and len(args) == 2 else \
                args[1:] if target is np.where and len(args) == 3 else None
            if pair is not None:
                first, second = pair
                if _exact_constant(first) and double(second):
                    pair[0] = array_of(first)
                elif _exact_constant(second) and double(first):
                    pair[1] = array_of(second)
                if target is np.where:
                    node.args[1:] = pair
            elif target is np.clip and len(args) == 3 and double(args[0]) \
                    and all(_exact_constant(a) for a in args[1:]):
                node.args[1:] = [array_of(a) for a in args[1:]]
        elif cls is gast.Compare and len(node.ops) == 1 \
                and node.ops[0].__class__ in _ARRAY_COMPARISONS:
            if _exact_constant(node.left) and double(node.comparators[0]):
                node.left = array_of(node.left)
            elif _exact_constant(node.comparators[0]) and double(node.left):
                node.comparators[0] = array_of(node.comparators[0])


def spread_constants(body: list, bound: dict, shapes: dict, numbers: frozenset) -> None:
    """In place (versions): a number spread over an array, ``g = 0.5 + np.zeros((200, 8),
    dtype=np.result_type(float64, 0.5))`` (the adjoint of np.sum where a rule needs the
    array), at the top level, is read as the number where each read of it is in
    elementwise arithmetic (``+ - * /``, negation) with float64 arrays of known shapes,
    numbers and such spread values: an operation that gives the spread's full shape
    anyway computes the same elements (``(g / var) * t2``), and one that gives a smaller
    array, assigned once to a name (``bt1 = g / var``: (8,), not (200, 8)), makes that
    name a spread value too, computed at its own size. A read anywhere else (a
    reduction, a call, a return, a loop) leaves the spread as it is, and so does one
    where the number alone would meet only numbers in a division or a power (Python's
    ZeroDivisionError where NumPy gives inf). The values, nan and inf included, and the
    dtypes (float64 arrays) are the same, with fewer passes over the full shape (the
    Gaussian NLL's ``0.5 + np.zeros(...)``, then ``bt6 / var``, of 200 x 8)."""
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    if np_name is None or not shapes:
        return
    stores = load_store_counts(body)[1]
    for k, stmt in enumerate(body):
        c, full = _spread_number(stmt, np_name, bound)
        if c is None or stores.get(stmt.targets[0].id) != 1:
            continue
        spread = {stmt.targets[0].id: ((), full)}
        made = _spread_reads(body[k + 1:], spread, shapes, numbers, stores)
        if made is None:
            continue
        name = stmt.targets[0].id
        for later in body[k + 1:]:
            _substitute_name(later, name, c)
        body[k] = None
    body[:] = [stmt for stmt in body if stmt is not None]


def _spread_number(stmt, np_name, bound):
    """(c, S) of ``g = c + np.zeros(S, dtype=np.result_type(float64, c))`` (or without
    the dtype) with a float constant c and a constant shape S, else (None, None)."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name \
            or stmt.value.__class__ is not gast.BinOp or stmt.value.op.__class__ is not gast.Add:
        return None, None
    c, zeros = stmt.value.left, stmt.value.right
    if c.__class__ is not gast.Constant or type(c.value) is not float \
            or zeros.__class__ is not gast.Call or zeros.func.__class__ is not gast.Attribute \
            or zeros.func.attr != "zeros" or zeros.func.value.__class__ is not gast.Name \
            or zeros.func.value.id != np_name or len(zeros.args) != 1:
        return None, None
    shape = zeros.args[0]
    if shape.__class__ is gast.Tuple and all(e.__class__ is gast.Constant for e in shape.elts):
        shape = tuple(e.value for e in shape.elts)
    elif shape.__class__ is gast.Constant:
        shape = shape.value
    if type(shape) is not tuple or not all(type(n) is int for n in shape):
        return None, None
    for keyword in zeros.keywords:
        dtype = keyword.value
        # dtype=np.result_type(float64, c): float64
        if keyword.arg != "dtype" or dtype.__class__ is not gast.Call \
                or dtype.func.__class__ is not gast.Attribute \
                or dtype.func.attr != "result_type" or dtype.keywords \
                or dtype.func.value.__class__ is not gast.Name \
                or dtype.func.value.id != np_name or len(dtype.args) != 2 \
                or dtype.args[0].__class__ is not gast.Name \
                or not _is_float64(bound.get(dtype.args[0].id)) \
                or not same_tree(dtype.args[1], c):
            return None, None
    return c, shape


def _spread_reads(block: list, spread: dict, shapes: dict, numbers: frozenset,
                  stores: dict):
    """Whether every read of the names of ``spread`` (name -> (its value's shape, the
    shape it is spread over)) in the statements ``block`` is elementwise arithmetic
    that may read the smaller value (spread_constants); ``spread`` gets the names
    assigned such smaller values. None when one is not."""

    def sizes(node):
        """(shape with the spread values, shape with the arrays), None when ``node`` is
        not elementwise arithmetic of known shapes; raise _Unspread where a spread
        number would meet numbers only in a division or a power."""
        cls = node.__class__
        if cls is gast.Constant:
            return ((), ()) if type(node.value) in (int, float) else None
        if cls is gast.Name:
            if node.id in spread:
                return spread[node.id]
            if node.id in numbers:
                return (), ()
            if node.id in shapes and stores.get(node.id, 0) <= 1:
                return shapes[node.id], shapes[node.id]
            return None
        if cls is gast.UnaryOp and node.op.__class__ in (gast.USub, gast.UAdd):
            return sizes(node.operand)
        if cls is gast.BinOp and node.op.__class__ in (gast.Add, gast.Sub, gast.Mult,
                                                        gast.Div):
            left, right = sizes(node.left), sizes(node.right)
            if left is None or right is None:
                return None
            small = _broadcast(left[0], right[0])
            if small == () and node.op.__class__ is gast.Div and _reads_spread(node, spread):
                raise _Unspread()
            return small, _broadcast(left[1], right[1])
        return None

    def check(node) -> None:
        """Raise _Unspread unless each read of a spread name in ``node`` is in
        arithmetic giving its full shape."""
        if node.__class__ is gast.Name:
            if node.id in spread:
                raise _Unspread()
            return
        if not isinstance(node, gast.expr) or not _reads_spread(node, spread):
            return
        found = sizes(node)
        if found is not None and found[0] == found[1]:
            return
        for child in gast.iter_child_nodes(node):
            check(child)

    try:
        for stmt in block:
            if not _reads_spread(stmt, spread):
                continue
            if stmt.__class__ not in (gast.Assign, gast.AugAssign):
                return None
            found = sizes(stmt.value)
            target = stmt.targets[0] if stmt.__class__ is gast.Assign \
                and len(stmt.targets) == 1 else None
            if found is not None and found[0] != found[1] and found[0] != () \
                    and target.__class__ is gast.Name and stores.get(target.id) == 1 \
                    and _broadcast(found[0], found[1]) == found[1]:
                spread[target.id] = found   # (a smaller array spread: its own size)
                continue
            check(stmt.value)
            for target in (stmt.targets if stmt.__class__ is gast.Assign else [stmt.target]):
                check(target)
    except _Unspread:
        return None
    return spread


def _is_float64(obj) -> bool:
    return (obj is np.float64 or obj.__class__ is np.dtype(np.float64).__class__
            and obj == np.float64)


class _Unspread(Exception):
    pass


def _reads_spread(node, spread: dict) -> bool:
    return any(n.__class__ is gast.Name and n.id in spread for n in walk(node))


def _broadcast(a: tuple, b: tuple):
    """The shape of an operation of arrays of shapes a and b (they are known to
    broadcast: the version computed them)."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def _substitute_name(stmt, name: str, constant) -> None:
    """Reads of ``name`` in ``stmt`` become ``constant`` (in place)."""
    for node in walk(stmt):
        for field, value in gast.iter_fields(node):
            if value.__class__ is gast.Name and value.id == name:
                setattr(node, field, gast.Constant(value=constant.value, kind=None))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item.__class__ is gast.Name and item.id == name:
                        value[i] = gast.Constant(value=constant.value, kind=None)


def factor_sums(body: list, bound: dict, shapes: dict, numbers: frozenset) -> None:
    """In place (versions): a sum along axes of a product (or a quotient) whose factor
    (divisor) is the same along those axes, ``(a * B).sum(axis=0)`` of ``a`` (8,) and
    ``B`` (200, 8), is the factor times the sum, ``a * B.sum(axis=0)`` (``B.sum(axis=0)
    / a``): one pass over B fewer. Each operand is a number or a float64 array whose
    shape the version knows (``B`` of the product's own shape; ``a``'s axes are the
    last ones, none of them summed), at the top level; the operand of the sum may be a
    name assigned such a product once before and read nowhere else (``bd = a * (2.0 *
    d); bmu = -bd.sum(axis=0)``), which then goes. Only the adjoint's sums: the primal's
    values stay those of the function. The same values up to rounding (see
    docs/conventions.md for ``inf * 0``)."""
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    if np_name is None or not shapes:
        return
    loads, stores = load_store_counts(body)
    known = {name: shape for name, shape in shapes.items() if stores.get(name, 0) <= 1}
    defs = {}   # name -> its top-level assignment (assigned once)
    dropped = set()
    position = {}
    for k, stmt in enumerate(body):
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name:
            position[stmt.targets[0].id] = k
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name \
                and stores.get(stmt.targets[0].id) == 1:
            if getattr(stmt, "phase", None) == "adjoint":   # (the primal's values stay
                # as the function computes them)
                factorer = _SumFactorer(known, numbers, np_name, defs, loads,
                                        (body, position), dropped)
                factorer.here = k
                factorer.visit(stmt)
            name = stmt.targets[0].id
            shape = _arithmetic_shape(stmt.value, known, numbers, np_name)
            if shape is not None and name not in known:
                known[name] = shape
            defs[name] = stmt
    if dropped:
        body[:] = [stmt for stmt in body if id(stmt) not in dropped]


# methods of arrays that change nothing (factor_sums)
_READING_METHODS = frozenset({"sum", "dot", "max", "min", "mean", "prod", "copy", "astype",
                              "reshape", "transpose"})


class _SumFactorer(Transformer):
    def __init__(self, known, numbers, np_name, defs, loads, places, dropped):
        self.known, self.numbers, self.np_name = known, numbers, np_name
        self.defs, self.loads, self.dropped = defs, loads, dropped
        # the top-level statements, and a name assigned once -> the index of its
        # assignment; the index of the statement visited (factor_sums sets it)
        self.body, self.position = places
        self.here = None

    def unchanged_since(self, name: str) -> bool:
        """Whether the names read by the assignment of ``name`` (once, at the top level)
        hold the same values in the statement visited: the statements between are
        assignments to other plain names that give them to no call but NumPy's
        functions and arrays' methods."""
        start = self.position.get(name)
        if start is None or self.here is None or start >= self.here:
            return False
        read = {n.id for n in walk(self.defs[name].value) if n.__class__ is gast.Name}
        for stmt in self.body[start + 1:self.here]:
            mentioned = {n.id for n in walk(stmt) if n.__class__ is gast.Name}
            if not read & mentioned:
                continue
            if stmt.__class__ is not gast.Assign \
                    or any(t.__class__ is not gast.Name or t.id in read for t in stmt.targets):
                return False
            for call in walk(stmt.value):
                if call.__class__ is gast.Call and not (
                        call.func.__class__ is gast.Attribute
                        and (call.func.value.__class__ is gast.Name
                             and call.func.value.id == self.np_name
                             or call.func.attr in _READING_METHODS)) \
                        and read & {n.id for n in walk(call) if n.__class__ is gast.Name}:
                    return False
        return True

    def visit_Call(self, node):
        self.generic_visit(node)
        while True:
            found = _summed_axes(node, self.np_name)
            if found is None:
                return node
            operand, axes = found
            inlined = None
            if operand.__class__ is gast.Name and self.loads.get(operand.id) == 1 \
                    and operand.id in self.defs and id(self.defs[operand.id]) not in self.dropped \
                    and self.unchanged_since(operand.id):   # (its operands the same here)
                inlined = self.defs[operand.id]
                operand = inlined.value
            factored = self.factored(operand, axes, node)
            if factored is None:
                return node
            if inlined is not None:
                self.dropped.add(id(inlined))
            node = factored
            if node.__class__ is not gast.BinOp:
                return node
            # (the sum inside may have a factor of its own: `a * (2.0 * d)`)
            inner = node.right if node.op.__class__ is gast.Mult else node.left
            setattr(node, "right" if node.op.__class__ is gast.Mult else "left",
                    self.visit_Call(inner))
            return node

    def factored(self, operand, axes, call):
        """``a * sum(B)`` (``sum(B) / a``) for the sum ``call`` along ``axes`` of
        ``operand``, or None."""
        if operand.__class__ is not gast.BinOp \
                or operand.op.__class__ not in (gast.Mult, gast.Div):
            return None
        full = _arithmetic_shape(operand, self.known, self.numbers, self.np_name)
        if full is None:
            return None
        axes = tuple(range(len(full))) if axes is None else axes
        if any(not -len(full) <= a < len(full) for a in axes):
            return None
        axes = {a % len(full) for a in axes}
        pairs = [(operand.left, operand.right)] if operand.op.__class__ is gast.Div else \
            [(operand.left, operand.right), (operand.right, operand.left)]
        for many, factor in pairs:   # (the divisor: the right operand)
            shape = _arithmetic_shape(factor, self.known, self.numbers, self.np_name)
            if shape is None or _arithmetic_shape(many, self.known, self.numbers,
                                                  self.np_name) != full:
                continue
            if any(a >= len(full) - len(shape) for a in axes):
                continue   # (a summed axis of the factor's own)
            summed = _with_operand(call, many)
            if operand.op.__class__ is gast.Div:
                return gast.BinOp(left=summed, op=gast.Div(), right=factor)
            return gast.BinOp(left=factor, op=gast.Mult(), right=summed)
        return None


def pairwise_sums(body: list, bound: dict, shapes: dict, numbers: frozenset) -> None:
    """In place (versions): the adjoint ``bD = G[:, :, None] * c * D`` of pairwise
    differences ``D = U[:, None, :] - V[None, :, :]`` (n x m x k), read only summed
    along axis 1 or 0, is not made: its sums are matrix products of the n x m matrix
    ``g = G * c``, ``sum_j g_ij (U_ik - V_jk) = g.sum(axis=1)[:, None] * U - g.dot(V)``
    and ``sum_i g_ij (U_ik - V_jk) = g.T.dot(U) - g.sum(axis=0)[:, None] * V`` (``+``
    for a sum of the views), as a hand-written gradient of a pairwise energy computes
    them: no n x m x k array in the adjoint. Float64 arrays of known shapes, adjoint
    statements at the top level; the same values up to rounding (docs/conventions.md
    for inf and nan)."""
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    if np_name is None or not shapes or not any(
            stmt.__class__ is gast.Assign and getattr(stmt, "phase", None) == "adjoint"
            and any(_spread_view(f) for f in _factors(stmt.value)) for stmt in body):
        return   # (no adjoint is a product with a factor G[:, :, None]: no counts, no walk)
    loads, stores = load_store_counts(body)
    known = {name: shape for name, shape in shapes.items() if stores.get(name, 0) <= 1}
    # the parameters assigned, and the names whose elements are written or that are
    # given to a call other than NumPy's functions and arrays' reading methods
    params = {name for name in shapes if name not in {
        stmt.targets[0].id for stmt in body if stmt.__class__ is gast.Assign
        and len(stmt.targets) == 1 and stmt.targets[0].__class__ is gast.Name}}
    changed = {name for name in params if stores.get(name)} | _maybe_changed(body, np_name)
    defs = {}
    for stmt in body:
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name \
                and stores.get(stmt.targets[0].id) == 1:
            name = stmt.targets[0].id
            defs[name] = stmt.value
            shape = _arithmetic_shape(stmt.value, known, numbers, np_name)
            if shape is not None and name not in known:
                known[name] = shape
    for k, stmt in enumerate(body):
        if stmt.__class__ is not gast.Assign or getattr(stmt, "phase", None) != "adjoint" \
                or len(stmt.targets) != 1 or stmt.targets[0].__class__ is not gast.Name \
                or stores.get(stmt.targets[0].id) != 1:
            continue
        found = _pairwise_product(stmt.value, defs, known, numbers, np_name)
        if found is None:
            continue
        g, sign, U, V, (n, m, width) = found
        if U in changed or V in changed:
            continue   # (the sums read them later than the differences did)
        name = stmt.targets[0].id
        sums = _sums_of(body[k + 1:], name, np_name)
        if sums is None or len(sums) != loads.get(name):
            continue
        g_name = _fresh(f"{name}_pairs", set(stores) | set(loads) | set(bound))
        stmt.targets[0] = gast.Name(id=g_name, ctx=gast.Store(), annotation=None,
                                    type_comment=None)
        stmt.value = g
        op = "-" if sign < 0 else "+"
        formulas = {1: f"{g_name}.sum(axis=1)[:, None] * {U} {op} {g_name}.dot({V})",
                    0: f"{g_name}.T.dot({U}) {op} {g_name}.sum(axis=0)[:, None] * {V}"}
        replaced = {}
        for call, axis, keepdims, negated in sums:
            text = formulas[axis]
            if negated:
                text = f"-({text})"
            if keepdims:
                text = f"({text})" + ("[:, None, :]" if axis == 1 else "[None, :, :]")
            replaced[id(call)] = gast.parse(text).body[0].value
        for later in body[k + 1:]:
            _ReplaceCalls(replaced).visit(later)


def _maybe_changed(body: list, np_name: str) -> set:
    """The names whose elements or attributes a statement of ``body`` writes (``a[i] =
    v``, ``a[i] += v``), or that are given to a call other than NumPy's functions and
    arrays' reading methods (which may change them in place)."""
    out = set()
    for node in walk(body):
        cls = node.__class__
        if cls in (gast.Subscript, gast.Attribute) and node.ctx.__class__ is not gast.Load:
            base = node.value
            while base.__class__ in (gast.Subscript, gast.Attribute):
                base = base.value
            if base.__class__ is gast.Name:
                out.add(base.id)
        elif cls is gast.Call and not (
                node.func.__class__ is gast.Attribute
                and (node.func.value.__class__ is gast.Name and node.func.value.id == np_name
                     or node.func.attr in _READING_METHODS)):
            out.update(n.id for n in walk(node) if n.__class__ is gast.Name)
    return out


class _ReplaceCalls(Transformer):
    def __init__(self, replaced):
        self.replaced = replaced

    def visit_Call(self, node):
        if id(node) in self.replaced:
            return self.replaced[id(node)]
        return self.generic_visit(node)


def _pairwise_product(value, defs, known, numbers, np_name):
    """(g, sign, U, V, (n, m, k)) when ``value`` is ``G[:, :, None] * c * D`` (factors
    in any order, c numbers) of ``D`` = ``U[:, None, :] - V[None, :, :]`` (sign -1, or
    ``+``: 1) of float64 matrices U (n, k), V (m, k) and G (n, m); g is ``G * c``."""
    factors = _factors(value)
    pairs = [f for f in factors if f.__class__ is gast.Name and f.id in defs
             and _pairwise_difference(defs[f.id], defs, known) is not None]
    if len(pairs) != 1:
        return None
    sign, U, V, shape = _pairwise_difference(defs[pairs[0].id], defs, known)
    rest = [f for f in factors if f is not pairs[0]]
    spread = [f for f in rest if _spread_view(f) and known.get(f.value.id) == shape[:2]]
    if len(spread) != 1 or known.get(U) != (shape[0], shape[2]) \
            or known.get(V) != (shape[1], shape[2]):
        return None
    others = [f for f in rest if f is not spread[0]]
    if not all(_arithmetic_shape(f, known, numbers, np_name) == () for f in others):
        return None
    g = gast.Name(id=spread[0].value.id, ctx=gast.Load(), annotation=None, type_comment=None)
    for f in others:
        g = gast.BinOp(left=g, op=gast.Mult(), right=f)
    return g, sign, U, V, shape


def _factors(value) -> list:
    """The factors of the product ``value`` (``a * b * c``: [a, b, c]; [value] for
    another expression), left to right."""
    factors, stack = [], [value]
    while stack:
        node = stack.pop()
        if node.__class__ is gast.BinOp and node.op.__class__ is gast.Mult:
            stack += (node.right, node.left)
        else:
            factors.append(node)
    return factors


def _spread_view(node) -> bool:
    """Whether ``node`` is ``G[:, :, None]`` (G a name)."""
    return node.__class__ is gast.Subscript and node.value.__class__ is gast.Name \
        and _index_pattern(node.slice) == ("all", "all", "new")


def _pairwise_difference(value, defs, known):
    """(sign, U, V, (n, m, k)) of ``U[:, None, :] - V[None, :, :]`` (sign -1; ``+``: 1;
    the views named once or written in place), else None."""
    if value.__class__ is not gast.BinOp or value.op.__class__ not in (gast.Sub, gast.Add):
        return None

    def view(node):
        if node.__class__ is gast.Name and node.id in defs:
            node = defs[node.id]
        if node.__class__ is not gast.Subscript or node.value.__class__ is not gast.Name \
                or len(known.get(node.value.id, ())) != 2:
            return None, None
        return node.value.id, _index_pattern(node.slice)

    (U, first), (V, second) = view(value.left), view(value.right)
    if U is None or V is None or first not in (("all", "new", "all"), ("all", "new")) \
            or second not in (("new", "all", "all"), ("new", "all"), ("new",)):
        return None
    n, k = known[U]
    m, k2 = known[V]
    if k != k2:
        return None
    return (-1 if value.op.__class__ is gast.Sub else 1), U, V, (n, m, k)


def _index_pattern(index) -> tuple:
    """``[:, None, :]`` -> ("all", "new", "all"); None for any other index."""
    parts = index.elts if index.__class__ is gast.Tuple else [index]
    out = []
    for p in parts:
        if p.__class__ is gast.Slice and p.lower is p.upper is p.step is None:
            out.append("all")
        elif p.__class__ is gast.Constant and p.value is None:
            out.append("new")
        else:
            return None
    return tuple(out)


def _sums_of(block, name, np_name):
    """[(call, axis, keepdims, negated)] of the sums of ``name`` (or ``-name``) along
    axis 0 or 1 of its three in the top-level adjoint assignments of ``block``; None
    when a read of ``name`` is anything else."""

    def read(node):
        """Whether ``node`` is ``name`` (False) or ``-name`` (True); None otherwise."""
        if node.__class__ is gast.UnaryOp and node.op.__class__ is gast.USub:
            return True if read(node.operand) is False else None
        return False if node.__class__ is gast.Name and node.id == name else None

    sums, reads = [], 0
    for stmt in block:
        if not any(n.__class__ is gast.Name and n.id == name for n in walk(stmt)):
            continue
        if stmt.__class__ is not gast.Assign or getattr(stmt, "phase", None) != "adjoint":
            return None
        for node in walk(stmt.value):
            if node.__class__ is gast.Name and node.id == name:
                reads += 1
            if node.__class__ is not gast.Call:
                continue
            func = node.func
            if func.__class__ is not gast.Attribute or func.attr != "sum":
                continue
            if func.value.__class__ is gast.Name and func.value.id == np_name:
                negated = read(node.args[0]) if len(node.args) == 1 else None
            else:
                negated = None if node.args else read(func.value)
            if negated is None:
                continue
            keywords = {kw.arg: kw.value for kw in node.keywords}
            if set(keywords) - {"axis", "keepdims"} or "axis" not in keywords:
                return None
            axis, keepdims = keywords["axis"], keywords.get("keepdims")
            if axis.__class__ is gast.Tuple and len(axis.elts) == 1:
                axis = axis.elts[0]
            axis = axis.value if axis.__class__ is gast.Constant else None
            if type(axis) is tuple and len(axis) == 1:
                axis = axis[0]
            if type(axis) is not int or axis % 3 not in (0, 1):
                return None
            if keepdims is not None and (keepdims.__class__ is not gast.Constant
                                         or type(keepdims.value) is not bool):
                return None
            sums.append((node, axis % 3, bool(keepdims is not None and keepdims.value),
                         negated))
    return sums if reads == len(sums) else None


def _summed_axes(call, np_name):
    """(operand, axes or None for all) of ``e.sum(axis=...)``, ``e.sum()`` or
    ``np.sum(e, axis=...)`` with constant axes and no other argument, else None."""
    func = call.func
    if func.__class__ is not gast.Attribute or func.attr != "sum":
        return None
    if func.value.__class__ is gast.Name and func.value.id == np_name:
        if len(call.args) != 1:
            return None
        operand = call.args[0]
    elif call.args:
        return None
    else:
        operand = func.value
    if len(call.keywords) > 1 or call.keywords and call.keywords[0].arg != "axis":
        return None
    if not call.keywords:
        return operand, None
    axis = call.keywords[0].value
    if axis.__class__ is gast.Tuple and all(e.__class__ is gast.Constant for e in axis.elts):
        axis = gast.Constant(value=tuple(e.value for e in axis.elts), kind=None)
    if axis.__class__ is not gast.Constant:
        return None
    axes = axis.value if type(axis.value) is tuple else (axis.value,)
    if not axes or not all(type(a) is int for a in axes) or len(set(axes)) != len(axes):
        return None
    return operand, axes


def _with_operand(call, operand):
    """The sum ``call`` of another operand."""
    new = gast.Call(func=gast.Attribute(value=operand, attr="sum", ctx=gast.Load()),
                    args=[], keywords=call.keywords)
    if call.func.value.__class__ is gast.Name and call.args:   # np.sum(e, axis=...)
        new = gast.Call(func=call.func, args=[operand], keywords=call.keywords)
    return new


def _arithmetic_shape(node, known: dict, numbers: frozenset, np_name: str):
    """The shape of ``node``, elementwise arithmetic (``+ - * /``, negation) and sums
    (factor_sums' forms) of numbers and float64 arrays of ``known`` shapes, else
    None."""
    cls = node.__class__
    if cls is gast.Constant:
        return () if type(node.value) in (int, float) else None
    if cls is gast.Name:
        if node.id in numbers:
            return ()
        return known.get(node.id)
    if cls is gast.UnaryOp and node.op.__class__ in (gast.USub, gast.UAdd):
        return _arithmetic_shape(node.operand, known, numbers, np_name)
    if cls is gast.BinOp and node.op.__class__ in (gast.Add, gast.Sub, gast.Mult, gast.Div):
        left = _arithmetic_shape(node.left, known, numbers, np_name)
        right = _arithmetic_shape(node.right, known, numbers, np_name)
        if left is None or right is None:
            return None
        return _broadcast(left, right)
    if cls is gast.Call:
        found = _summed_axes(node, np_name)
        if found is None:
            return None
        shape = _arithmetic_shape(found[0], known, numbers, np_name)
        if shape is None or shape == ():
            return None
        axes = range(len(shape)) if found[1] is None else found[1]
        if any(not -len(shape) <= a < len(shape) for a in axes):
            return None
        axes = {a % len(shape) for a in axes}
        return tuple(n for i, n in enumerate(shape) if i not in axes)
    return None


_CONSTANT_ARRAYS = {}   # value.hex() -> its read-only 0-d float64 array


def _constant_array(value: float):
    """The one read-only 0-d float64 array of ``value``: every version binds the same
    object under the same name, so a version taken into an entry after another
    (specialize.inline_version) finds the cell of that name holding it already."""
    key = value.hex()
    array = _CONSTANT_ARRAYS.get(key)
    if array is None:
        array = np.array(value, dtype=np.float64)
        array.flags.writeable = False
        array = _CONSTANT_ARRAYS.setdefault(key, array)   # (threads: one object)
    return array


# NumPy functions of one float64 array that give a float64 array of its shape
_SAME_RANK_UFUNCS = frozenset(("tanh", "exp", "log", "sin", "cos", "tan", "sqrt", "abs",
                               "absolute", "negative", "square", "sign", "expm1", "log1p"))
_NUMBER = -1   # (_array_rank: a number, or a 0-d array of a number constant)


def products_by_method(body: list, bound: dict, ranks: dict, numbers: frozenset,
                       ints: frozenset, params: set) -> dict:
    """In place (versions, last): a matrix product of two float64 arrays of one or two axes,
    ``a @ b`` or ``np.dot(a, b)``, is ``a.dot(b)``, and ``np.outer(a, b)`` of two float64
    vectors is ``a[:, None] * b``. For such arrays the method is the function NumPy runs
    for them, the same BLAS call and the same values (nan and inf included), without the
    matmul ufunc's dispatch or np.dot's ``__array_function__`` (about 0.4-0.7 us a call:
    ``A @ y`` of 50 x 50 takes 1.4 us, ``A.dot(y)`` 0.7 us); np.outer is that product
    written in Python. ``ranks`` maps the names the version proves float64 arrays to
    their number of axes; a name assigned only arithmetic, matrix products, float ufuncs
    and ``np.zeros``-like calls of those (an adjoint ``bh = bh + W.T @ bt``) counts too
    (``_array_ranks``). Other operands (numbers, other dtypes, subclasses, 0-d or 3-d
    arrays, where ``@`` and ``dot`` differ) keep their product.

    Returns the numbers of axes it found when they still hold after its rewrites (the
    next passes need not find them again), else None: ``a.dot(b)`` made of ``a @ b``
    has the product's (``_array_rank``), but one made of ``np.dot(a, b)``, which
    ``_array_rank`` does not know, and ``np.outer``'s product may have more."""
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    if not ranks or np_name is None:
        return None
    known = _array_ranks(body, bound, ranks, numbers, ints, np_name, params)
    calls = []   # (a call rewritten: the ranks are found again)

    def rank(node):
        found = _array_rank(node, known, bound, numbers, ints, np_name)
        return found if found is not None and found >= 1 else None

    def method(left, right):
        return gast.Call(func=gast.Attribute(value=left, attr="dot", ctx=gast.Load()),
                         args=[right], keywords=[])

    class Products(Transformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            if node.op.__class__ is gast.MatMult and rank(node.left) in (1, 2) \
                    and rank(node.right) in (1, 2):
                return method(node.left, node.right)
            return node

        def visit_Call(self, node):
            self.generic_visit(node)
            func = node.func
            if func.__class__ is not gast.Attribute or func.value.__class__ is not gast.Name \
                    or func.value.id != np_name or node.keywords or len(node.args) != 2:
                return node
            left, right = node.args
            if func.attr == "dot" and rank(left) is not None and rank(right) is not None:
                calls.append(node)
                return method(left, right)
            if func.attr == "outer" and rank(left) == 1 and rank(right) == 1:
                calls.append(node)
                column = gast.Subscript(value=left, slice=gast.Tuple(elts=[
                    gast.Slice(lower=None, upper=None, step=None),
                    gast.Constant(value=None, kind=None)], ctx=gast.Load()), ctx=gast.Load())
                return gast.BinOp(left=column, op=gast.Mult(), right=right)
            return node

    products = Products()
    for k, stmt in enumerate(body):
        body[k] = products.visit(stmt)
    return None if calls else known


# NumPy's reductions whose function, given an ndarray, runs the array's method (the same
# ufunc reduce, with the same arguments in the same order)
_REDUCTION_METHODS = ("sum", "mean", "max", "min", "prod", "copy")


def zeros_from_copies(body: list, bound: dict) -> None:
    """In place (versions): an adjoint made of zeros, updated by elements, then added to
    a copy that only that addition reads,

        bu_new = zero_at(bu, slice(1, -1, None))
        bu = np.zeros((100,), dtype=float64)
        bu[:-2] += bt7
        bu[1:-1] -= bt3
        bu = bu + bu_new

    (the adjoint of ``u_new = u.copy(); u_new[1:-1] = ...``, a heat equation stepped
    with slices), starts as that copy instead, ``bu = zeros_plus(bu_new, (100,))``: no
    array of zeros and no pass adding it each step. zero_at's result is a copy no other
    name holds; zeros_plus gives it itself when it is a float64 array of the shape (else
    the sum, as before), so the updates land in it; a part that the updates add back
    whole, read before the copy, is not zeroed either (_keep_part_read_back). The same
    values up to the order of the additions. Heat by slices, 100 points, 500 steps:
    1.44x -> 1.07x the hand-written gradient."""
    zeros_name = next((n for n, obj in bound.items() if obj is zero_at), None)
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    if zeros_name is None or np_name is None:
        return
    loads, stores = load_store_counts(body)
    for block in [body] + [inner for stmt in statements(body) for field in ("body", "orelse")
                           for inner in [getattr(stmt, field, None)]
                           if isinstance(inner, list) and inner]:
        _zeros_from_copies(block, bound, loads, stores, zeros_name, np_name)


def _zeros_from_copies(block, bound, loads, stores, zeros_name, np_name) -> None:
    copies = {}   # name -> position of its zero_at(...) assignment in block
    for k, stmt in enumerate(block):
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name \
                and stmt.value.__class__ is gast.Call \
                and stmt.value.func.__class__ is gast.Name \
                and stmt.value.func.id == zeros_name:
            copies[stmt.targets[0].id] = k
            continue
        shape = _float64_zeros(stmt, bound, np_name)
        if shape is None:
            continue
        a = stmt.targets[0].id
        for m in range(k + 1, len(block)):
            later = block[m]
            b = _added_copy(later, a)
            if b is not None:
                if b in copies and copies[b] < k and loads.get(b) == 1 \
                        and stores.get(b) == 1:
                    helper = _bound_as(bound, zeros_plus, set(loads) | set(stores))
                    if helper is not None:
                        stmt.value = gast.Call(
                            func=_name(helper),
                            args=[_name(b), gast.Constant(value=shape, kind=None)],
                            keywords=[])
                        block[m] = None
                        _keep_part_read_back(block, copies[b], k, m, a)
                break
            if not _updates_elements_only(later, a):
                break
    block[:] = [stmt for stmt in block if stmt is not None]


def _keep_part_read_back(block, j, k, m, a: str) -> None:
    """After zeros_from_copies made ``a`` start as ``b = zero_at(g, slice(1, -1, None))``
    (block[j]): where the updates of ``a`` (block[k + 1:m]) add back ``x = g[1:-1]``,
    read before the copy (``bu[1:-1] += bt9``, the adjoint of ``u_new[1:-1] = u[1:-1] +
    ...``), that part need not be zeroed to have x added: b is ``g.copy(order='K')`` and
    the update goes (the same elements, up to the order of the additions)."""
    call = block[j].value
    if len(call.args) != 2 or call.keywords or call.args[0].__class__ is not gast.Name:
        return
    g, index = call.args[0].id, _constant_slice(call.args[1])
    if index is None:
        return
    views = {}   # x -> position of x = g[index] before the copy, g unchanged since
    for i in range(j - 1, -1, -1):
        stmt = block[i]
        if g in _changed_names(stmt):
            break
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name \
                and stmt.value.__class__ is gast.Subscript \
                and stmt.value.value.__class__ is gast.Name and stmt.value.value.id == g \
                and _constant_slice(stmt.value.slice) == index:
            views.setdefault(stmt.targets[0].id, i)
    updates = [i for i in range(k + 1, m) if block[i] is not None
               and block[i].__class__ is gast.AugAssign
               and block[i].op.__class__ is gast.Add
               and block[i].value.__class__ is gast.Name and block[i].value.id in views
               and block[i].target.__class__ is gast.Subscript
               and block[i].target.value.__class__ is gast.Name
               and block[i].target.value.id == a
               and _constant_slice(block[i].target.slice) == index]
    if len(updates) != 1:
        return
    x = block[updates[0]].value.id
    if any(x in _changed_names(block[i]) for i in range(views[x] + 1, updates[0])
           if block[i] is not None):
        return
    block[j].value = gast.Call(func=gast.Attribute(value=_name(g), attr="copy",
                                                   ctx=gast.Load()),
                               args=[], keywords=[gast.keyword(
                                   arg="order", value=gast.Constant(value="K", kind=None))])
    block[updates[0]] = None


def _constant_slice(node):
    """(lower, upper, step) of a slice of int constants, ``1:-1`` or ``slice(1, -1,
    None)``, else None."""
    if node.__class__ is gast.Slice:
        parts = [node.lower, node.upper, node.step]
    elif node.__class__ is gast.Call and node.func.__class__ is gast.Name \
            and node.func.id == "slice" and not node.keywords and len(node.args) == 3:
        parts = list(node.args)
    else:
        return None
    values = []
    for part in parts:
        if part is None:
            values.append(None)
        elif part.__class__ is gast.Constant and (part.value is None or type(part.value) is int):
            values.append(part.value)
        elif part.__class__ is gast.UnaryOp and part.op.__class__ is gast.USub \
                and part.operand.__class__ is gast.Constant \
                and type(part.operand.value) is int:
            values.append(-part.operand.value)
        else:
            return None
    return tuple(values)


def _float64_zeros(stmt, bound, np_name):
    """S of ``a = np.zeros(S, dtype=float64)`` with a constant S of at least one axis."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name:
        return None
    call = stmt.value
    if call.__class__ is not gast.Call or call.func.__class__ is not gast.Attribute \
            or call.func.attr != "zeros" or call.func.value.__class__ is not gast.Name \
            or call.func.value.id != np_name or len(call.args) != 1 \
            or call.args[0].__class__ is not gast.Constant \
            or type(call.args[0].value) is not tuple or not call.args[0].value \
            or len(call.keywords) != 1 or call.keywords[0].arg != "dtype" \
            or call.keywords[0].value.__class__ is not gast.Name \
            or not _is_float64(bound.get(call.keywords[0].value.id)):
        return None
    return call.args[0].value


def _added_copy(stmt, a: str):
    """b of ``a = a + b`` or ``a = b + a`` with a name b, else None."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name or stmt.targets[0].id != a \
            or stmt.value.__class__ is not gast.BinOp \
            or stmt.value.op.__class__ is not gast.Add:
        return None
    sides = [stmt.value.left, stmt.value.right]
    if not all(side.__class__ is gast.Name for side in sides):
        return None
    ids = [side.id for side in sides]
    if ids.count(a) != 1:
        return None
    return ids[1 - ids.index(a)]


def _updates_elements_only(stmt, a: str) -> bool:
    """Whether ``stmt`` leaves ``a`` alone but for ``a[i] op= e`` with e not reading it."""
    if stmt.__class__ is gast.AugAssign and stmt.target.__class__ is gast.Subscript \
            and stmt.target.value.__class__ is gast.Name and stmt.target.value.id == a:
        return a not in name_ids(stmt.value) and a not in name_ids(stmt.target.slice)
    return a not in name_ids(stmt)


def reductions_by_method(body: list, bound: dict, ranks: dict, numbers: frozenset,
                         ints: frozenset, params: set, known: dict = None) -> dict:
    """In place (versions, after products_by_method): ``np.sum(a, axis=1)`` (np.mean,
    np.max, np.min, np.prod) of a float64 array of at least one axis (products_by_method's
    ``_array_ranks``) is ``a.sum(axis=1)``, the same arguments: for an ndarray NumPy's
    function reduces with the same ufunc as the method does, after its Python-level
    dispatch (about 1 us a call: ``np.sum(a, axis=1)`` of 128 x 16 takes 2.5 us,
    ``a.sum(axis=1)`` 1.5 us). The same values, nan and inf included. So also
    ``np.copy(a)`` (how ``u.copy()`` is normalized), ``a.copy(order="K")``: the same
    layout too (440 ns -> 150 ns for 100 elements, a heat equation's step).

    ``known``: the numbers of axes ``_array_ranks`` gives (found if None); returned, as
    its rewrites keep them (``_array_rank`` of ``a.sum(...)`` is that of ``np.sum(a,
    ...)``, and neither knows ``prod``)."""
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    if not ranks or np_name is None:
        return None
    if known is None:
        known = _array_ranks(body, bound, ranks, numbers, ints, np_name, params)

    class Reductions(Transformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            func = node.func
            if func.__class__ is not gast.Attribute or func.attr not in _REDUCTION_METHODS \
                    or func.value.__class__ is not gast.Name or func.value.id != np_name \
                    or not node.args or node.args[0].__class__ is gast.Starred \
                    or any(k.arg is None for k in node.keywords):
                return node
            found = _array_rank(node.args[0], known, bound, numbers, ints, np_name)
            if found is None or found == _NUMBER or found < 1:
                return node
            keywords = node.keywords
            if func.attr == "copy":
                if len(node.args) > 1 or keywords:
                    return node
                keywords = [gast.keyword(arg="order", value=gast.Constant(value="K",
                                                                         kind=None))]
            return gast.Call(func=gast.Attribute(value=node.args[0], attr=func.attr,
                                                 ctx=gast.Load()),
                             args=node.args[1:], keywords=keywords)

    reductions = Reductions()
    for k, stmt in enumerate(body):
        body[k] = reductions.visit(stmt)
    return known


def middle_axis_sums(body: list, bound: dict, ranks: dict, numbers: frozenset,
                     ints: frozenset, params: set, known: dict = None) -> None:
    """In place (versions, last): the sum of a float64 array of three axes along its
    middle one, ``g.sum(axis=(1,), keepdims=True)`` (the adjoint of ``X[:, None, :]``
    in pairwise differences) or ``np.sum(g, axis=1)``, is ``np.einsum('ijk->ik', g)`` (``[:, None, :]`` for
    keepdims). NumPy's reduction along a middle axis followed by a short one runs an
    inner loop of that short axis per element: (50, 50, 3) summed along axis 1 takes
    50-100 us, np.einsum 20 us, adding in the same order (the same values, bit for bit,
    the sign of a zero too). ``ranks`` etc. as for products_by_method, ``known`` as for
    reductions_by_method."""
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    if np_name is None or not ranks:
        return
    candidates = [(node, _summed(node, np_name)) for node in walk(body)
                  if node.__class__ is gast.Call]
    candidates = [(node, of) for node, of in candidates
                  if of is not None and _middle_axis(node) is not None]
    if not candidates:
        return
    if known is None:
        known = _array_ranks(body, bound, ranks, numbers, ints, np_name, params)
    for node, of in candidates:
        if known.get(of.id) != 3:
            continue
        summed = gast.Call(func=gast.Attribute(value=_name(np_name), attr="einsum",
                                               ctx=gast.Load()),
                           args=[gast.Constant(value="ijk->ik", kind=None), of],
                           keywords=[])
        if _middle_axis(node):   # (keepdims)
            summed = gast.Subscript(value=summed, slice=gast.Tuple(elts=[
                gast.Slice(lower=None, upper=None, step=None), gast.Constant(value=None, kind=None),
                gast.Slice(lower=None, upper=None, step=None)], ctx=gast.Load()), ctx=gast.Load())
        # (in place: the node is the Call wherever it is)
        node.__class__, node.__dict__ = summed.__class__, dict(summed.__dict__)


def _summed(call, np_name: str):
    """The name g of ``g.sum(...)`` or ``np.sum(g, ...)``, else None."""
    func = call.func
    if func.__class__ is not gast.Attribute or func.attr != "sum" \
            or func.value.__class__ is not gast.Name:
        return None
    if func.value.id == np_name:
        return call.args[0] if len(call.args) == 1 and call.args[0].__class__ is gast.Name \
            else None
    return func.value if not call.args else None


def _middle_axis(call):
    """keepdims (a bool) of ``g.sum(axis=1)`` or ``g.sum(axis=(1,), keepdims=...)``, else
    None."""
    keywords = {k.arg: k.value for k in call.keywords}
    axis, keep = keywords.pop("axis", None), keywords.pop("keepdims", None)
    if keywords or axis is None or axis.__class__ is not gast.Constant:
        return None
    if axis.value not in (1, (1,)) or axis.value is True:
        return None
    if keep is None:
        return False
    return keep.value if keep.__class__ is gast.Constant and keep.value.__class__ is bool \
        else None


def _array_ranks(body: list, bound: dict, ranks: dict, numbers: frozenset,
                 ints: frozenset, np_name: str, params: set) -> dict:
    """``ranks`` and the names every assignment of which (``x = e``, ``x += e``) makes a
    float64 array of one number of axes (``_array_rank``), or a number (``_NUMBER``), found by assuming it of every
    such name and dropping those it fails for until none does. ``params`` (the
    function's parameters, which hold what the caller gave before any assignment) are
    not assumed."""
    stores, values = {}, {}
    for node in walk(body):
        cls = node.__class__
        if cls is gast.Name and node.ctx.__class__ is not gast.Load:
            stores[node.id] = stores.get(node.id, 0) + 1
        elif cls is gast.Assign and len(node.targets) == 1 \
                and node.targets[0].__class__ is gast.Name:
            values.setdefault(node.targets[0].id, []).append(node.value)
        elif cls is gast.AugAssign and node.target.__class__ is gast.Name \
                and node.op.__class__ in _ARRAY_ARITHMETIC:
            # (in place: the array stays what it was when the operand is no larger)
            values.setdefault(node.target.id, []).append(gast.BinOp(
                left=_name(node.target.id), op=node.op, right=node.value))
    assumed = {name: None for name, found in values.items()
               if name not in ranks and name not in bound and name not in params
               and len(found) == stores[name]}
    while True:
        changed = True
        while changed:
            changed = False
            for name in list(assumed):
                found = {_array_rank(value, ranks, bound, numbers, ints, np_name, assumed)
                         for value in values[name]}
                found.discard("assumed")
                if None in found or _NUMBER in found and (
                        len(found) > 1 or assumed[name] not in (None, _NUMBER)):
                    del assumed[name]   # (a number at one assignment, an array at another)
                    changed = True
                elif not found:
                    continue
                elif found == {_NUMBER}:
                    if assumed[name] is None:
                        assumed[name] = _NUMBER   # (``t12 = 32``, ``bt10 = 1.0 / t12``)
                        changed = True
                elif assumed[name] is None or max(found) > assumed[name]:
                    assumed[name] = max(found)
                    changed = True
                elif len(found) > 1 or max(found) != assumed[name]:
                    del assumed[name]   # (an assignment of fewer axes)
                    changed = True
        # a name assigned only values of names assumed (``h = h * 2.0``) is not one
        circular = [name for name, found in assumed.items() if found is None]
        if not circular:
            return dict(ranks, **assumed)
        for name in circular:
            del assumed[name]


def _array_rank(node, known: dict, bound: dict, numbers: frozenset, ints: frozenset,
                np_name: str, assumed: dict = None):
    """The number of axes of the float64 array ``node`` surely makes given ``known``'s,
    ``_NUMBER`` for a number, or None. With ``assumed`` (names taken to be arrays, their
    axes not yet known where None), "assumed" for a value that depends on one of those
    only."""
    cls = node.__class__
    if cls is gast.Name:
        name = node.id
        if name in known:
            return known[name]
        if assumed is not None and name in assumed:
            return "assumed" if assumed[name] is None else assumed[name]
        if name in numbers or name in ints:
            return _NUMBER
        value = bound.get(name)
        if value.__class__ is np.ndarray and value.ndim == 0 and value.dtype == np.float64:
            return _NUMBER   # (optimize.constants_as_arrays's)
        return None
    if _exact_constant(node):
        return _NUMBER
    def rank(child):
        return _array_rank(child, known, bound, numbers, ints, np_name, assumed)
    if cls is gast.BinOp:
        left, right = rank(node.left), rank(node.right)
        if left is None or right is None:
            return None
        op = node.op.__class__
        if op is gast.MatMult:
            if left == "assumed" or right == "assumed":
                return "assumed"
            if left in (1, 2) and right in (1, 2) and left + right > 2:
                return left + right - 2
            return None
        if op not in _ARRAY_ARITHMETIC and op is not gast.Pow:
            return None
        ranks = [r for r in (left, right) if r != "assumed"]
        return max(ranks) if ranks else "assumed"
    if cls is gast.UnaryOp:
        return rank(node.operand) if node.op.__class__ in (gast.USub, gast.UAdd) else None
    if cls is gast.Attribute:
        return rank(node.value) if node.attr == "T" else None
    if cls is gast.Subscript:
        index, of = node.slice, rank(node.value)
        if of is None or of == _NUMBER:
            return None
        if (of == "assumed" or of >= 2) and (index.__class__ is gast.Name and index.id in ints or
                        index.__class__ is gast.Constant and index.value.__class__ is int):
            return of if of == "assumed" else of - 1
        parts = index.elts if index.__class__ is gast.Tuple else [index]
        if all(p.__class__ is gast.Slice or p.__class__ is gast.Constant and p.value is None
               for p in parts) and (of == "assumed" or sum(
                   p.__class__ is gast.Slice for p in parts) <= of):
            # slices and new axes (``g[:, :, None]``, ``u[1:-1]``): a view, None adds an axis
            return of if of == "assumed" else of + sum(
                p.__class__ is gast.Constant for p in parts)
        return None
    if cls is gast.Call and node.func.__class__ is gast.Attribute and node.func.attr in (
            "sum", "max", "min", "mean"):
        # a reduction along axes: np.sum(a, axis=1, keepdims=True), a.sum(axis=(0,))
        func, args = node.func, node.args
        if func.value.__class__ is gast.Name and func.value.id == np_name:
            of = args[0] if len(args) == 1 else None
        else:
            of = func.value if not args else None
        found = None if of is None else rank(of)
        if found is None or found == _NUMBER:
            return None
        keywords = {k.arg: k.value for k in node.keywords}
        axis, keep = keywords.pop("axis", None), keywords.pop("keepdims", None)
        axes = [axis] if axis is None or axis.__class__ is not gast.Tuple else axis.elts
        axes = [a.value for a in axes if a.__class__ is gast.Constant]
        if len(axes) == 1 and axes[0].__class__ is tuple:   # (a folded ``axis=(1,)``)
            axes = list(axes[0])
        if keywords or axis is None or not axes or not all(
                a.__class__ is int for a in axes) or keep is not None and not (
                    keep.__class__ is gast.Constant and keep.value.__class__ is bool):
            return None
        if found == "assumed":
            return found
        found = found if keep is not None and keep.value else found - len(axes)
        return found if found >= 1 else None
    if cls is gast.Call and not node.keywords and node.func.__class__ is gast.Name \
            and bound.get(node.func.id) is selection_share and len(node.args) == 4:
        # share(x, 0.0, float64, np.greater) (np.maximum's adjoint): float64 of x's shape
        x, y, dtype = node.args[:3]
        found = [rank(x), rank(y)]
        if dtype.__class__ is not gast.Name or bound.get(dtype.id) != np.float64 \
                or None in found:
            return None
        arrays = [r for r in found if r not in (_NUMBER, "assumed")]
        return max(arrays) if arrays else "assumed" if "assumed" in found else None
    if cls is gast.Call and not node.keywords and node.func.__class__ is gast.Name \
            and bound.get(node.func.id) is clip_share and len(node.args) == 3:
        # clip_share(r, 1.0, float64) (clip_shares): float64 of r's shape
        found = rank(node.args[0])
        return found if found != _NUMBER else None
    if cls is gast.Call and not node.keywords and node.func.__class__ is gast.Attribute:
        func, args = node.func, node.args
        if func.value.__class__ is gast.Name and func.value.id == np_name:
            if func.attr in _SAME_RANK_UFUNCS and len(args) == 1 or func.attr in (
                    "zeros_like", "ones_like") and len(args) == 1:
                found = rank(args[0])
                return found if found != _NUMBER else None
            if func.attr in ("maximum", "minimum") and len(args) == 2:
                found = [rank(a) for a in args]
                if None in found:
                    return None
                arrays = [r for r in found if r not in (_NUMBER, "assumed")]
                return max(arrays) if arrays else "assumed" if "assumed" in found else None
            if func.attr in ("zeros", "ones") and len(args) == 1:
                shape = args[0]
                if shape.__class__ is gast.Tuple:
                    return len(shape.elts) if shape.elts and all(
                        rank(e) == _NUMBER for e in shape.elts) else None
                return 1 if rank(shape) == _NUMBER else None
            return None
        if func.attr == "copy" and not args:
            found = rank(func.value)
            return found if found != _NUMBER else None
        if func.attr == "dot" and len(args) == 1:   # (a product made a method above)
            return rank(gast.BinOp(left=func.value, op=gast.MatMult(), right=args[0]))
    return None


def _exact_constant(node) -> bool:
    """A float, or an int that float64 holds exactly (not a bool)."""
    if node.__class__ is not gast.Constant:
        return False
    value = node.value
    return value.__class__ is float or value.__class__ is int and abs(value) <= 2 ** 53


def _operand_number(node, numbers) -> bool:
    """A number operand that leaves a float64 array's dtype as it is."""
    return _exact_constant(node) or node.__class__ is gast.Name and node.id in numbers


def collect_item_adjoints(body: list, bound: dict) -> None:
    """In place (versions): in ``for i in reversed(range(n))`` (a reversed loop over a
    list's items, ``for h in hs[1:]``), ``t = add_grads(t, add_at_item(g, L, i))`` made a
    list of zeros for every item of L and added it to t's, at every turn (O(n^2) array
    operations: a tanh RNN of 20 steps summing its states in a list, 6.6x the
    hand-written gradient). With t read nowhere else in the loop, L and i not assigned
    in it, no exit from it, and g a new array each turn (arithmetic) read nowhere else,
    each turn appends g to a list of its own (``bt_items.append(bh)``) and after the loop
    ``t = items_read_in_turns(bt_items, L)`` (rules/shapes.py) makes what the turns'
    sums made (from ``t = 0.0`` just before the loop; else it is added to t)."""
    name = "items_read_in_turns"
    adder = next((n for n, obj in bound.items() if obj is add_grads), None)
    picker = next((n for n, obj in bound.items() if obj is add_at_item), None)
    if adder is None or picker is None or bound.get(name, items_read_in_turns) \
            is not items_read_in_turns:
        return
    loops = [s for s in statements(body) if s.__class__ is gast.For and _reversed_range(s)]
    if not loops:
        return
    counts = name_counts(body)
    if name in counts and name not in bound:
        return   # (a local of that name)
    names = set(counts)
    for block in [body] + [getattr(s, f) for s in statements(body)
                           for f in ("body", "orelse") if isinstance(getattr(s, f, None), list)]:
        for k in range(len(block) - 1, -1, -1):
            loop = block[k]
            if loop.__class__ is gast.For and any(loop is other for other in loops):
                k += _collect_in_loop(block, k, loop, counts, names, adder, picker, name,
                                      bound)


def _reversed_range(loop) -> bool:
    it = loop.iter
    return not loop.orelse and loop.target.__class__ is gast.Name \
        and it.__class__ is gast.Call and it.func.__class__ is gast.Name \
        and it.func.id == "reversed" and len(it.args) == 1 and not it.keywords \
        and it.args[0].__class__ is gast.Call and it.args[0].func.__class__ is gast.Name \
        and it.args[0].func.id == "range" and len(it.args[0].args) == 1 \
        and not any(n.__class__ in (gast.Break, gast.Continue, gast.Return)
                    for n in walk(loop.body))


def _collect_in_loop(block, k, loop, counts, names, adder, picker, helper, bound) -> int:
    """Rewrites of collect_item_adjoints in ``loop`` (``block[k]``); how many statements
    it put before the loop."""
    i = loop.target.id
    assigned = set()
    for node in walk(loop.body):
        if node.__class__ is gast.Name and node.ctx.__class__ is not gast.Load:
            assigned.add(node.id)
        elif node.__class__ is gast.Attribute and node.value.__class__ is gast.Name:
            assigned.add(node.value.id)   # (L.append(...) changes L)
        elif node.__class__ is gast.Subscript and node.ctx.__class__ is not gast.Load \
                and node.value.__class__ is gast.Name:
            assigned.add(node.value.id)   # (L[k] = v changes L)
    in_loop = {}
    for node in walk(loop.body):
        if node.__class__ is gast.Name:
            in_loop[node.id] = in_loop.get(node.id, 0) + 1
    added = 0
    for index, stmt in enumerate(loop.body):
        found = _item_adjoint_sum(stmt, adder, picker, i)
        if found is None:
            continue
        t, g, lst = found
        if in_loop.get(t) != 2 or i in assigned or lst in assigned or lst == t \
                or counts.get(g) != 2 or in_loop.get(g) != 2 or not any(
                    _assigns_new_value(before, g) for before in loop.body[:index]):
            continue
        items = _fresh(f"{t}_items", names)
        start = _assign_list(items)
        collected = gast.Call(func=_name(helper), args=[_name(items), _name(lst)],
                              keywords=[])
        previous = block[k - 1] if k else None
        if previous is not None and previous.__class__ is gast.Assign \
                and len(previous.targets) == 1 and previous.targets[0].__class__ is gast.Name \
                and previous.targets[0].id == t and previous.value.__class__ is gast.Constant \
                and previous.value.value == 0.0 and type(previous.value.value) is float:
            block[k - 1] = start   # (t = 0.0 before: t is what the turns collect)
        else:
            collected = gast.Call(func=_name(adder), args=[_name(t), collected], keywords=[])
            block.insert(k, start)
            k += 1
            added += 1
        made = gast.Assign(targets=[gast.Name(id=t, ctx=gast.Store(), annotation=None,
                                              type_comment=None)],
                           value=collected, type_comment=None)
        for new in (start, made):
            new.origin, new.phase = getattr(stmt, "origin", None), "adjoint"
        block.insert(k + 1, made)
        loop.body[index] = _append(items, _name(g), stmt)
        bound[helper] = items_read_in_turns
    return added


def _item_adjoint_sum(stmt, adder, picker, i):
    """(t, g, L) of ``t = add_grads(t, add_at_item(g, L, i))`` of names, else None."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name:
        return None
    t, value = stmt.targets[0].id, stmt.value
    if not (value.__class__ is gast.Call and value.func.__class__ is gast.Name
            and value.func.id == adder and len(value.args) == 2 and not value.keywords
            and value.args[0].__class__ is gast.Name and value.args[0].id == t):
        return None
    pick = value.args[1]
    if not (pick.__class__ is gast.Call and pick.func.__class__ is gast.Name
            and pick.func.id == picker and len(pick.args) == 3 and not pick.keywords
            and all(a.__class__ is gast.Name for a in pick.args) and pick.args[2].id == i):
        return None
    return t, pick.args[0].id, pick.args[1].id


def _assigns_new_value(stmt, name) -> bool:
    """Whether ``stmt`` is ``name = <arithmetic>``: a new array (or number) each time."""
    return stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
        and stmt.targets[0].__class__ is gast.Name and stmt.targets[0].id == name \
        and (stmt.value.__class__ in (gast.BinOp, gast.UnaryOp)
             or _makes_new_array(stmt.value))


def share_repeated_calls(body: list, bound: dict) -> None:
    """``t2 = np.exp(z)`` after ``t1 = np.exp(z)`` in the function's top-level block, with
    nothing assigned to z or t1 in between, becomes ``t2 = t1`` (copy propagation then
    reads t1): a NumPy ufunc of the same operands gives the same values (the user wrote
    ``np.exp(z)`` twice). Neither name may be changed in place anywhere (an element
    write, ``+=``): the two would then be one array; nor may an operand (``y[:2] = ...``
    between the calls gives the second call other values)."""
    keys = [_ufunc_call(stmt, bound) for stmt in body]
    calls = [key for key in keys if key is not None]
    if len(set(calls)) == len(calls):
        return   # no call made twice: nothing to share (and no walk of the body)
    changed_in_place = set()
    for node in walk(body):
        cls = node.__class__
        if cls is gast.AugAssign:
            target = node.target
            changed_in_place.add(getattr(target, "id", getattr(target.value, "id", None))
                                 if target.__class__ in (gast.Name, gast.Subscript) else None)
        elif cls is gast.Subscript and not isinstance(node.ctx, gast.Load) \
                and node.value.__class__ is gast.Name:
            changed_in_place.add(node.value.id)
    made = {}   # (ufunc, operands) -> the name holding its value
    mentioned = set()   # the names the entries of ``made`` hold or read
    for stmt, key in zip(body, keys):
        stored = _stores(stmt)
        if stored and not mentioned.isdisjoint(stored):   # (else every entry stays)
            made = {k: name for k, name in made.items()
                    if name not in stored and not any(o[1] in stored for o in k[1])}
            mentioned = set(made.values())
            mentioned.update(o[1] for k in made for o in k[1])
        if key is None:
            continue
        target = stmt.targets[0].id
        first = made.get(key)
        if first is not None and first not in changed_in_place \
                and target not in changed_in_place \
                and not any(o[1] in changed_in_place for o in key[1]):
            stmt.value = gast.Name(id=first, ctx=gast.Load(), annotation=None,
                                   type_comment=None)
        elif target not in (o[1] for o in key[1]):
            made[key] = target
            mentioned.add(target)
            mentioned.update(o[1] for o in key[1])


def factor_products(body: list, floats: frozenset) -> None:
    """In place, in each block (versions): ``u = F * b; v = F * c; w = u - v`` (or ``+``,
    the two products in either order) in a row, u and v read nowhere else, F the same
    expression both times with no call, b and c names of floats (``floats``), becomes
    ``w = F * (b - c)``: one product of the full shape instead of two (the adjoint of
    ``(A - P) ** 2 - (A - N) ** 2`` summed by rows, a triplet margin loss 1.22x ->
    1.07x). The same value up to rounding; where ``F * b`` and ``F * c`` are inf - inf
    or inf * 0 (F inf and b or c zero, or products that overflow), the chained form is
    nan and this one may be finite or inf (docs/conventions.md)."""
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                factor_products(inner, floats)
    counts = None
    k = 0
    while k + 2 < len(body):
        first, second, total = body[k], body[k + 1], body[k + 2]
        found = _factored(first, second, total, floats)
        if found is None:
            k += 1
            continue
        if counts is None:
            counts = name_counts(body)
        u, v = first.targets[0].id, second.targets[0].id
        if counts.get(u) != 2 or counts.get(v) != 2:
            k += 1
            continue
        total.value = found
        del body[k:k + 2]
        counts = None


def _factored(first, second, total, floats):
    """F * (b op c) for ``u = F * b; v = F * c; w = u op v`` (see factor_products)."""
    products = []
    for stmt in (first, second):
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)
                and isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Mult)
                and isinstance(stmt.value.right, gast.Name)
                and stmt.value.right.id in floats
                and not contains(stmt.value.left, gast.Call)):
            return None
        products.append((stmt.targets[0].id, stmt.value.left, stmt.value.right.id))
    (u, F, b), (v, G, c) = products
    if not same_tree(F, G) or u == v or {u, v} & (set(name_ids(F)) | {b, c}):
        return None
    value = getattr(total, "value", None)
    if not (isinstance(total, gast.Assign) and len(total.targets) == 1
            and isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub))
            and isinstance(value.left, gast.Name) and isinstance(value.right, gast.Name)):
        return None
    order = (value.left.id, value.right.id)
    if order == (u, v):
        left, right = b, c
    elif order == (v, u):
        left, right = c, b
    else:
        return None
    inner = gast.BinOp(left=_name(left), op=value.op.__class__(), right=_name(right))
    return gast.BinOp(left=F, op=gast.Mult(), right=inner)


def spread_over_picks(body: list, bound: dict) -> None:
    """In place, at the top level (versions): ``g = add_at_item(c, p, (r, y)); bz = g -
    p * g.sum(axis=1, keepdims=True)`` (the log-softmax's closed form over a pick of one
    element per row: ``-np.mean(np.log(p[np.arange(n), y]))``), g read nowhere else, c
    a float constant, the call tagged ``one_per_row`` by the shape rewriter (p an
    (n, k) float matrix, r and y int arrays of n elements) and r assigned only
    ``np.arange(...)`` (so r is np.arange(n): every row picked once), becomes ``bz = p *
    -c; bz[r, y] += c``: each row of g sums to c exactly, so the values are g's and
    ``p * c``'s difference, c - p * c at the picks and -(p * c) elsewhere, inf and nan
    included (but for the sign of a zero), without the array of zeros, the scatter into
    it and its row sums (a cross-entropy with integer labels, 64 x 10: 1.24x -> 1.0x
    the hand-written gradient)."""
    counts = None
    for k in range(len(body) - 1):
        first, second = body[k], body[k + 1]
        pick = _picks_one_per_row(first)
        if pick is None:
            continue
        g, c, p, r, y = pick
        if not _spread_by_row_sums(second, g, p):
            continue
        if counts is None:
            counts = name_counts(body)
            aranges = _only_aranges(body, bound)
        if counts.get(g) != 3 or r not in aranges:
            continue
        target = second.targets[0]
        first.targets = [gast.Name(id=target.id, ctx=gast.Store(), annotation=None,
                                   type_comment=None)]
        first.value = gast.BinOp(left=_name(p), op=gast.Mult(),
                                 right=gast.Constant(value=-c, kind=None))
        update = gast.AugAssign(
            target=gast.Subscript(value=_name(target.id),
                                  slice=gast.Tuple(elts=[_name(r), _name(y)], ctx=gast.Load()),
                                  ctx=gast.Store()),
            op=gast.Add(), value=gast.Constant(value=c, kind=None))
        update.phase, update.origin = second.phase, getattr(second, "origin", None)
        body[k + 1] = update


def _picks_one_per_row(stmt):
    """(g, c, p, r, y) of ``g = add_at_item(c, p, (r, y))`` tagged one_per_row, c a float
    constant, else None."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
            and getattr(stmt.value, "one_per_row", False)):
        return None
    c, p, index = stmt.value.args
    if not (isinstance(c, gast.Constant) and type(c.value) is float and np.isfinite(c.value)
            and c.value != 0.0):
        return None
    r, y = index.elts
    return stmt.targets[0].id, c.value, p.id, r.id, y.id


def _spread_by_row_sums(stmt, g: str, p: str) -> bool:
    """Whether ``stmt`` is ``bz = g - p * g.sum(axis=1, keepdims=True)`` (bz not g, p)."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id not in (g, p)):
        return False
    value = stmt.value
    if not (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Sub)
            and isinstance(value.left, gast.Name) and value.left.id == g
            and isinstance(value.right, gast.BinOp) and isinstance(value.right.op, gast.Mult)
            and isinstance(value.right.left, gast.Name) and value.right.left.id == p):
        return False
    total = value.right.right
    return isinstance(total, gast.Call) and isinstance(total.func, gast.Attribute) \
        and total.func.attr == "sum" and isinstance(total.func.value, gast.Name) \
        and total.func.value.id == g and not total.args \
        and sorted((k.arg, getattr(k.value, "value", None)) for k in total.keywords) == \
        [("axis", 1), ("keepdims", True)] \
        and all(isinstance(k.value, gast.Constant) for k in total.keywords)


def _only_aranges(body: list, bound: dict) -> set:
    """The names every binding of which in ``body`` is NumPy's ``np.arange(n)`` (one
    argument; ``bound``: the generated code's global names and their objects)."""
    seen, other = set(), set()
    for stmt in statements(body):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name):
            value = stmt.value
            if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                    and value.func.attr == "arange" and isinstance(value.func.value, gast.Name) \
                    and bound.get(value.func.value.id) is np \
                    and len(value.args) == 1 and not value.keywords:
                seen.add(stmt.targets[0].id)
                continue
        other |= _stores(stmt)
    return seen - other


def merge_where_shares(body: list, bound: dict) -> None:
    """In each block, ``a = np.where(c, g, 0.0)``, ``b = np.where(c, 0.0, g)`` and ``a = a
    + b * k`` (or ``k * b``) in a row, k a finite number and b read nowhere else, become
    ``a = np.where(c, g, g * k)``: the adjoint of ``np.where(c, h, k * h)`` (a leaky
    ReLU) in one selection instead of two and a product and a sum over the whole array.
    The same values (g + 0.0 * k is g, 0.0 + g * k is g * k, inf and nan included) but
    for the sign of a zero."""
    if any(_where_share(stmt, bound) for stmt in statements(body)):   # (else no walk)
        _merge_where_shares(body, bound, name_counts(body))


def _merge_where_shares(body: list, bound: dict, counts: dict) -> None:
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                _merge_where_shares(inner, bound, counts)
    index = 0
    while index + 2 < len(body):
        first, second, third = body[index:index + 3]
        taken, other = _where_share(first, bound), _where_share(second, bound)
        if taken is None or other is None or taken[3] != "taken" or other[3] != "other" \
                or taken[1:3] != other[1:3] or counts.get(other[0]) != 2:   # (b = ..., + b)
            index += 1
            continue
        a, condition, g = taken[0], taken[1], taken[2]
        factor = _sum_with_product(third, a, other[0])
        if factor is None or a in (condition, g):
            index += 1
            continue
        first.value.args[2] = gast.BinOp(left=_name(g), op=gast.Mult(),
                                         right=gast.Constant(value=factor, kind=None))
        del body[index + 1:index + 3]
        index += 1


def _where_share(stmt, bound: dict):
    """(target, c, g, "taken") of ``t = np.where(c, g, 0.0)``, (target, c, g, "other") of
    ``t = np.where(c, 0.0, g)``, c and g names; else None."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name:
        return None
    value = stmt.value
    if value.__class__ is not gast.Call or value.keywords or len(value.args) != 3 \
            or value.func.__class__ is not gast.Attribute or value.func.attr != "where" \
            or value.func.value.__class__ is not gast.Name \
            or bound.get(value.func.value.id) is not np \
            or value.args[0].__class__ is not gast.Name:
        return None
    condition, left, right = value.args
    if left.__class__ is gast.Name and _is_number(right, 0.0):
        return stmt.targets[0].id, condition.id, left.id, "taken"
    if right.__class__ is gast.Name and _is_number(left, 0.0):
        return stmt.targets[0].id, condition.id, right.id, "other"
    return None


def _sum_with_product(stmt, a: str, b: str):
    """k of ``a = a + b * k`` (or ``a + k * b``), k a finite number; else None."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name or stmt.targets[0].id != a:
        return None
    value = stmt.value
    if value.__class__ is not gast.BinOp or value.op.__class__ is not gast.Add \
            or value.left.__class__ is not gast.Name or value.left.id != a \
            or value.right.__class__ is not gast.BinOp \
            or value.right.op.__class__ is not gast.Mult:
        return None
    for name, number in ((value.right.left, value.right.right),
                         (value.right.right, value.right.left)):
        if name.__class__ is gast.Name and name.id == b and _is_number(number) \
                and np.isfinite(number.value):
            return number.value
    return None


def select_where_shares(body: list, bound: dict, doubles: frozenset) -> None:
    """In place, in each block (versions, after merge_where_shares): the two shares of
    ``np.where(c, x, y)``'s adjoint read by one sum, ``A * P + B * Q`` (or ``T = A * P;
    T = T + B * Q`` in a row; a share may stand alone, a factor of 1, and either may
    come first), become one selection: ``np.where(c, P, Q)`` of the seed 1.0's masks
    ``A = c.astype(float64)``, ``B = (~c).astype(float64)``, and ``np.where(c, g * P,
    g * Q)`` of ``A = np.where(c, g, 0.0)``, ``B = np.where(c, 0.0, g)``. A and B are
    read nowhere else; c and g do not change in between; P or Q is surely a float64
    array (``doubles``: the version's float64 array names; _float64_valued) or both are
    float constants, so the selection has the sum's float64 dtype. A piecewise function
    ``np.where(x > 0, x * x, 0.5 * x)`` or a Huber loss costs one selection instead of
    two casts (or selections), two products and a sum over the array. The chosen side's
    values; where the side not chosen has an inf or nan derivative, the sum was nan (0 *
    inf) and this is the chosen side's (docs/conventions.md), and a zero may lose its
    sign."""
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                select_where_shares(inner, bound, doubles)
    np_name = next((name for name, obj in bound.items() if obj is np), None)
    if np_name is None:
        return
    counts = None
    k = 0
    while k + 1 < len(body):
        taken = _any_share(body[k], bound)
        other = _any_share(body[k + 1], bound)
        if taken is None or other is None or {taken[3], other[3]} != {"taken", "other"} \
                or taken[1:3] != other[1:3]:
            k += 1
            continue
        if taken[3] == "other":
            taken, other = other, taken
        if counts is None:
            counts = name_counts(body)
        found = _selected_sum(body, k + 2, taken, other, doubles, np_name, counts)
        if found is None:
            k += 1
            continue
        index, drop = found
        del body[index + 1:index + 1 + drop]
        del body[k:k + 2]
        counts = None


def _any_share(stmt, bound: dict):
    """(target, c, g, "taken" or "other") of a share of np.where's adjoint: the masks
    ``t = c.astype(float64)`` and ``t = (~c).astype(float64)`` (g None), or
    _where_share's ``t = np.where(c, g, 0.0)``, ``t = np.where(c, 0.0, g)``; else None."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name:
        return None
    value = stmt.value
    if value.__class__ is gast.Call and value.func.__class__ is gast.Attribute \
            and value.func.attr == "astype" and len(value.args) == 1 and not value.keywords \
            and value.args[0].__class__ is gast.Name \
            and isinstance(bound.get(value.args[0].id), np.dtype) \
            and bound[value.args[0].id] == np.float64:
        condition, side = value.func.value, "taken"
        if condition.__class__ is gast.UnaryOp and condition.op.__class__ is gast.Invert:
            condition, side = condition.operand, "other"
        if condition.__class__ is gast.Name:
            return stmt.targets[0].id, condition.id, None, side
        return None
    return _where_share(stmt, bound)


def _selected_sum(body: list, start: int, taken, other, doubles, np_name, counts):
    """(index, statements to drop after it) where ``body[index]`` now assigns the
    selection of the shares ``taken`` and ``other`` (select_where_shares), else None.
    ``counts``: the names' occurrences in the block; a share occurs twice, or is the
    name the sum reading it assigns (``A = c.astype(float64); ...; A = A + B * Q``)."""
    a, condition, g = taken[0], taken[1], taken[2]
    b = other[0]
    kept = {condition, g, a, b}
    index = start
    while index < len(body):   # (assignments of other names between: no change of c, g)
        stmt = body[index]
        if a in name_ids(stmt) or b in name_ids(stmt):
            break
        if not (stmt.__class__ is gast.Assign and len(stmt.targets) == 1
                and stmt.targets[0].__class__ is gast.Name
                and stmt.targets[0].id not in kept) or any(
                    arg.__class__ is gast.Name and arg.id in kept
                    for call in walk(stmt.value) if call.__class__ is gast.Call
                    for arg in call.args):
            return None
        index += 1
    if index == len(body):
        return None
    stmt = body[index]
    if not (stmt.__class__ is gast.Assign and len(stmt.targets) == 1
            and stmt.targets[0].__class__ is gast.Name):
        return None
    target, value = stmt.targets[0].id, stmt.value
    drop = 0
    terms = None
    if value.__class__ is gast.BinOp and value.op.__class__ in (gast.Add, gast.Sub):
        terms = _share_terms(value.left, value.right, value.op.__class__ is gast.Sub, a, b)
    if terms is None and index + 1 < len(body):   # T = A * P; T = T + B * Q
        after = body[index + 1]
        if after.__class__ is gast.Assign and len(after.targets) == 1 \
                and after.targets[0].__class__ is gast.Name and after.targets[0].id == target \
                and after.value.__class__ is gast.BinOp \
                and after.value.op.__class__ in (gast.Add, gast.Sub) \
                and after.value.left.__class__ is gast.Name and after.value.left.id == target \
                and target not in name_ids(after.value.right):
            terms = _share_terms(value, after.value.right,
                                 after.value.op.__class__ is gast.Sub, a, b)
            drop = 1
    if terms is None or target in (condition, g):
        return None
    for share in (a, b):
        if counts.get(share) != 2 and not (
                share == target and not drop and name_ids(value).count(share) == 1):
            return None
    sides = []
    for factor, negated in terms:
        if g is not None:
            side = _name(g) if factor is None else \
                gast.BinOp(left=_name(g), op=gast.Mult(), right=factor)
        else:
            side = gast.Constant(value=1.0, kind=None) if factor is None else factor
        if negated:
            side = gast.Constant(value=-side.value, kind=None) \
                if side.__class__ is gast.Constant else gast.UnaryOp(op=gast.USub(), operand=side)
        sides.append(side)
    if not (any(_float64_valued(side, doubles, np_name) for side in sides) or all(
            side.__class__ is gast.Constant and type(side.value) is float for side in sides)):
        return None
    stmt.value = gast.Call(
        func=gast.Attribute(value=_name(np_name), attr="where", ctx=gast.Load()),
        args=[_name(condition)] + sides, keywords=[])
    return index, drop


def _share_terms(first, second, subtracted: bool, a: str, b: str):
    """((P, negated), (Q, negated)) of the terms ``A * P`` and ``B * Q`` (either order,
    either operand; P None for a share standing alone) of ``first + second`` (``first -
    second`` if ``subtracted``: the second term negated), else None."""
    found = {}
    for term, negated in ((first, False), (second, subtracted)):
        for share in (a, b):
            if term.__class__ is gast.Name and term.id == share:
                found[share] = (None, negated)
            elif term.__class__ is gast.BinOp and term.op.__class__ is gast.Mult:
                for one, factor in ((term.left, term.right), (term.right, term.left)):
                    if one.__class__ is gast.Name and one.id == share \
                            and share not in name_ids(factor):
                        found[share] = (factor, negated)
                        break
    if set(found) != {a, b}:
        return None
    return found[a], found[b]


_FLOAT_UFUNCS = frozenset(("sign", "abs", "absolute", "exp", "log", "sin", "cos", "tan",
                           "tanh", "sqrt", "square", "negative", "expm1", "log1p"))


def _float64_valued(node, doubles: frozenset, np_name: str) -> bool:
    """Whether ``node`` surely makes a float64 array (or one of a higher type): a name
    of ``doubles``, arithmetic with such an operand, its negation, or a float ufunc of
    it (``np.sign(r)``)."""
    cls = node.__class__
    if cls is gast.Name:
        return node.id in doubles
    if cls is gast.BinOp:
        return node.op.__class__ in (gast.Add, gast.Sub, gast.Mult, gast.Div) and (
            _float64_valued(node.left, doubles, np_name)
            or _float64_valued(node.right, doubles, np_name))
    if cls is gast.UnaryOp:
        return node.op.__class__ is gast.USub \
            and _float64_valued(node.operand, doubles, np_name)
    if cls is gast.Call:
        return node.func.__class__ is gast.Attribute and node.func.attr in _FLOAT_UFUNCS \
            and node.func.value.__class__ is gast.Name and node.func.value.id == np_name \
            and len(node.args) == 1 and not node.keywords \
            and _float64_valued(node.args[0], doubles, np_name)
    return False


def correlate_without_padding(body: list, bound: dict) -> None:
    """In place, in each block (versions): ``g = zero_padded(h, ((s, s),))`` (the adjoint
    of np.convolve or np.correlate in mode 'valid') read only as ``np.correlate(g, v,
    'valid')``, later in the block, with h not changed in between, goes, and those reads
    are ``correlate_of_padded(h, v, s)`` (rules/numeric.py): for 1-D arrays a
    correlation or a full convolution of h itself, without the padded copy (a 1-D
    convolution's kernel gradient, 500 points and 7 taps: 1.41x -> 1.1x the hand-written
    ``np.correlate(x, r, 'valid')[::-1]``)."""
    name = "correlate_of_padded"
    if bound.get(name, correlate_of_padded) is not correlate_of_padded:
        return
    np_name = next((n for n, obj in bound.items() if obj is np), None)
    padder = next((n for n, obj in bound.items() if obj is zero_padded), None)
    if np_name is None or padder is None:
        return
    counts = name_counts(body)
    if name in counts and name not in bound:
        return   # (a local of that name)
    _correlate_without_padding(body, bound, counts, np_name, padder, name)


def _correlate_without_padding(body, bound, counts, np_name, padder, name):
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                _correlate_without_padding(inner, bound, counts, np_name, padder, name)
    dropped = set()
    for index, stmt in enumerate(body):
        padded = _zero_padded_pair(stmt, padder)
        if padded is None:
            continue
        g, h, before = padded
        reads, wanted = [], counts.get(g, 0) - 1
        for later in body[index + 1:]:
            mentions = sum(1 for node in walk(later)
                           if node.__class__ is gast.Name and node.id == g)
            calls = [node for node in walk(later) if node.__class__ is gast.Call
                     and _correlates_valid(node, g, np_name)]
            if mentions != len(calls):
                break
            reads += calls
            if len(reads) == wanted or h in _changed_names(later):
                break
        if not reads or len(reads) != wanted:
            continue
        for call in reads:
            call.func = _name(name)
            call.args = [_name(h), call.args[1], gast.Constant(value=before, kind=None)]
        bound[name] = correlate_of_padded
        dropped.add(id(stmt))
    if dropped:
        body[:] = [stmt for stmt in body if id(stmt) not in dropped]


def _zero_padded_pair(stmt, padder: str):
    """(g, h, s) of ``g = zero_padded(h, ((s, s),))`` (h a name, s an int), else None."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name:
        return None
    value = stmt.value
    if value.__class__ is not gast.Call or value.func.__class__ is not gast.Name \
            or value.func.id != padder or len(value.args) != 2 or value.keywords \
            or value.args[0].__class__ is not gast.Name \
            or value.args[1].__class__ is not gast.Constant:
        return None
    width = value.args[1].value
    if not (isinstance(width, tuple) and len(width) == 1 and isinstance(width[0], tuple)
            and len(width[0]) == 2 and width[0][0] == width[0][1]
            and type(width[0][0]) is int and width[0][0] >= 0):
        return None
    g, h = stmt.targets[0].id, value.args[0].id
    return (g, h, width[0][0]) if g != h else None


def _correlates_valid(call, g: str, np_name: str) -> bool:
    """Whether ``call`` is ``np.correlate(g, v, 'valid')`` (v not reading g)."""
    func = call.func
    return func.__class__ is gast.Attribute and func.attr == "correlate" \
        and func.value.__class__ is gast.Name and func.value.id == np_name \
        and len(call.args) == 3 and not call.keywords \
        and call.args[0].__class__ is gast.Name and call.args[0].id == g \
        and call.args[2].__class__ is gast.Constant and call.args[2].value == "valid" \
        and g not in name_ids(call.args[1])


def _changed_names(stmt) -> set:
    """The names ``stmt`` assigns or changes in place (element writes, ``+=``)."""
    changed = set(_stores(stmt))
    for node in walk(stmt):
        if node.__class__ is gast.Subscript and node.ctx.__class__ is not gast.Load:
            base = node.value
            while base.__class__ in (gast.Subscript, gast.Attribute):
                base = base.value
            if base.__class__ is gast.Name:
                changed.add(base.id)
        elif node.__class__ is gast.AugAssign and node.target.__class__ is gast.Name:
            changed.add(node.target.id)
    return changed


def fold_logistic_negations(body: list, bound: dict) -> None:
    """In place (versions): the softplus share of a logistic loss ``np.logaddexp(0, -m)``
    without its two negations. ``u = logistic_times(t, k); v = -u`` in a row (u read
    nowhere else) is ``v = logistic_times(t, -k)``; and ``t = -m`` read only there, m
    a name assigned at most once and no array of the function changed in place, goes:
    the call is ``logistic_of_negated_times(m, k)`` (rules/arithmetic.py). The same
    bits, two passes over the array fewer (``np.sum(np.logaddexp(0.0, -m))`` of the
    margins ``m = y * (X @ w)``, 1000 x 20: 1.28x -> 1.1x the hand-written gradient)."""
    helper = next((n for n, obj in bound.items() if obj is logistic_times), None)
    if helper is None:
        return
    counts = name_counts(body)
    _fold_logistic_negations(body, helper, counts)
    name = "logistic_of_negated_times"
    if bound.get(name, logistic_of_negated_times) is not logistic_of_negated_times \
            or name in counts and name not in bound:
        return
    in_place = False
    stores = {}
    for node in walk(body):
        cls = node.__class__
        if cls is gast.AugAssign or cls is gast.Subscript and node.ctx.__class__ is not gast.Load:
            in_place = True
            break
        if cls is gast.Name and node.ctx.__class__ is not gast.Load:
            stores[node.id] = stores.get(node.id, 0) + 1
    if in_place:
        return
    negations, assigned = {}, set()
    for stmt in body:   # (m assigned nowhere, or once before t = -m: one value of m)
        value = getattr(stmt, "value", None)
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name \
                and value.__class__ is gast.UnaryOp and value.op.__class__ is gast.USub \
                and value.operand.__class__ is gast.Name \
                and counts.get(stmt.targets[0].id) == 2 \
                and stores.get(value.operand.id, 0) == (value.operand.id in assigned):
            negations[stmt.targets[0].id] = (stmt, value.operand.id)
        assigned |= _stores(stmt)
    if not negations:
        return
    done = set()
    for node in walk(body):
        if node.__class__ is gast.Call and node.func.__class__ is gast.Name \
                and node.func.id == helper and len(node.args) == 2 and not node.keywords \
                and node.args[0].__class__ is gast.Name and node.args[0].id in negations:
            stmt, m = negations[node.args[0].id]
            node.func = _name(name)
            node.args[0] = _name(m)
            bound[name] = logistic_of_negated_times
            done.add(id(stmt))
    if done:
        body[:] = [stmt for stmt in body if id(stmt) not in done]


def _fold_logistic_negations(body: list, helper: str, counts: dict) -> None:
    """``u = logistic_times(t, k); v = -u`` -> ``v = logistic_times(t, -k)`` in each
    block (see fold_logistic_negations)."""
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                _fold_logistic_negations(inner, helper, counts)
    k = 0
    while k + 1 < len(body):
        first, second = body[k], body[k + 1]
        call = getattr(first, "value", None)
        negated = getattr(second, "value", None)
        if first.__class__ is gast.Assign and second.__class__ is gast.Assign \
                and len(first.targets) == 1 == len(second.targets) \
                and first.targets[0].__class__ is gast.Name \
                and second.targets[0].__class__ is gast.Name \
                and call.__class__ is gast.Call and call.func.__class__ is gast.Name \
                and call.func.id == helper and len(call.args) == 2 and not call.keywords \
                and _is_number(call.args[1]) \
                and negated.__class__ is gast.UnaryOp and negated.op.__class__ is gast.USub \
                and negated.operand.__class__ is gast.Name \
                and negated.operand.id == first.targets[0].id \
                and counts.get(first.targets[0].id) == 2:
            call.args[1] = gast.Constant(value=-call.args[1].value, kind=None)
            first.targets = second.targets
            del body[k + 1]
        k += 1


def hoist_invariants(body: list, bound: dict) -> None:
    """In place (versions): in a ``for`` loop over ``range`` (or ``reversed(range)``) of
    int constants that runs at least once, a top-level assignment ``t = e`` of the
    loop's body whose value reads nothing the loop assigns (nor an array the loop
    changes in place, nor one sharing its memory) and is arithmetic on names, numbers
    and elements ``p[0]`` (no call), ``t`` assigned there only and read in the body only
    after it, goes before the loop: it is the same value at every turn. A simulation's
    parameters (``t1 = p[0]; t2 = -t1``, ``t7 = 0.5 * dt``), which the reversed loop
    computes again at every turn, are computed once per loop (a pendulum stepped by
    RK2, 100 steps: 1.25x -> 1.0x a hand-written gradient on NumPy's numbers)."""
    views = []   # (_views_of_arrays of body, made for the first loop with candidates)
    ints = None   # (found at the first loop: most versions have none)
    for stmt in statements(body):
        if stmt.__class__ is gast.For and not stmt.orelse:
            if ints is None:
                ints = _int_constants(body)
            if _runs(stmt.iter, bound, ints):
                _hoist_from(stmt, body, views)


def _int_constants(body: list) -> dict:
    """The names assigned once in ``body``, an int constant at its top level (``n =
    100``), and their values."""
    stores = load_store_counts(body)[1]
    return {stmt.targets[0].id: stmt.value.value for stmt in body
            if stmt.__class__ is gast.Assign and len(stmt.targets) == 1
            and stmt.targets[0].__class__ is gast.Name
            and stmt.value.__class__ is gast.Constant and type(stmt.value.value) is int
            and stores.get(stmt.targets[0].id) == 1}


def _runs(iterated, bound: dict, ints: dict) -> bool:
    """Whether ``iterated`` is ``range(...)`` or ``reversed(range(...))`` of int
    constants (or names of ``ints``, each assigned one) with at least one item (the
    builtins)."""
    if iterated.__class__ is gast.Call and iterated.func.__class__ is gast.Name \
            and iterated.func.id == "reversed" and bound.get("reversed", reversed) is reversed \
            and len(iterated.args) == 1 and not iterated.keywords:
        iterated = iterated.args[0]
    if not (iterated.__class__ is gast.Call and iterated.func.__class__ is gast.Name
            and iterated.func.id == "range" and bound.get("range", range) is range
            and not iterated.keywords and 1 <= len(iterated.args) <= 3):
        return False
    bounds = [a.value if a.__class__ is gast.Constant and type(a.value) is int
              else ints.get(a.id) if a.__class__ is gast.Name else None
              for a in iterated.args]
    return None not in bounds and len(range(*bounds)) > 0


def _hoist_from(loop, body: list, views: list) -> None:
    """Moves the invariant assignments of ``loop``'s body before it (hoist_invariants);
    ``body`` holds ``loop`` somewhere in its blocks; ``views``: [_views_of_arrays of
    body] once made (the first loop that has a candidate makes it)."""
    block = _block_of(body, loop)
    if block is None:
        return
    stores = {}
    for node in walk(loop):
        if node.__class__ is gast.Name and node.ctx.__class__ is not gast.Load:
            stores[node.id] = stores.get(node.id, 0) + 1
    if not any(stmt.__class__ is gast.Assign and len(stmt.targets) == 1
               and stmt.targets[0].__class__ is gast.Name
               and stores.get(stmt.targets[0].id) == 1 and _invariant_value(stmt.value)
               and not any(stores.get(name) for name in name_ids(stmt.value))
               for stmt in loop.body):
        return   # (no candidate: what a statement needs whatever comes before it)
    if not views:
        views.append(_views_of_arrays(body, frozenset()))
    changed = set()   # (arrays the loop changes in place, and what shares their memory)
    bases = set()   # (the names of those arrays: each one's views are added once)
    for node in walk(loop.body):
        base = None
        if node.__class__ is gast.Subscript and node.ctx.__class__ is not gast.Load:
            base = node.value
        elif node.__class__ is gast.AugAssign:
            base = node.target
        while base.__class__ in (gast.Subscript, gast.Attribute):
            base = base.value
        if base.__class__ is gast.Name:
            if base.id not in bases:
                bases.add(base.id)
                changed.add(base.id)
                changed |= views[0].get(base.id, set())
        elif base is not None:
            return   # (a change of something else in place)
    hoisted = []
    seen_reads = set()
    exits = False
    for stmt in list(loop.body):
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name and not exits:
            t = stmt.targets[0].id
            reads = set(name_ids(stmt.value))
            if stores.get(t) == 1 and t not in seen_reads and t not in reads \
                    and _invariant_value(stmt.value) \
                    and not any(stores.get(name) for name in reads) \
                    and not reads & changed and t not in changed:
                loop.body.remove(stmt)
                hoisted.append(stmt)
                stores[t] = 0   # (its readers may go too)
                continue
        seen_reads |= set(name_ids(stmt))
        exits = exits or contains(stmt, (gast.Break, gast.Continue, gast.Return, gast.Raise))
    if hoisted:
        if not loop.body:
            loop.body.append(gast.Pass())
        at = block.index(loop)
        block[at:at] = hoisted


def _block_of(body: list, target):
    """The list (``body`` or a block inside it) that holds ``target``."""
    if any(stmt is target for stmt in body):
        return body
    for stmt in body:
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                found = _block_of(inner, target)
                if found is not None:
                    return found
    return None


def _invariant_value(node) -> bool:
    """Whether ``node`` is arithmetic of names, numbers and elements of names at int
    constants (``-p[0] * 0.5``): no call, nothing that may change anything."""
    cls = node.__class__
    if cls is gast.Name:
        return True
    if cls is gast.Constant:
        return type(node.value) in (int, float)
    if cls is gast.BinOp:
        return node.op.__class__ in (gast.Add, gast.Sub, gast.Mult, gast.Div) \
            and _invariant_value(node.left) and _invariant_value(node.right)
    if cls is gast.UnaryOp:
        return node.op.__class__ is gast.USub and _invariant_value(node.operand)
    if cls is gast.Subscript:
        index = node.slice
        entries = index.elts if index.__class__ is gast.Tuple else [index]
        return node.value.__class__ is gast.Name and all(
            e.__class__ is gast.Constant and type(e.value) is int for e in entries)
    return False


def _ufunc_call(stmt, bound: dict):
    """(ufunc, operands) of ``t = np.<ufunc>(a, ...)`` with names and numbers as its
    operands and no keywords, else None."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name:
        return None
    value = stmt.value
    if value.__class__ is not gast.Call or value.keywords \
            or value.func.__class__ is not gast.Attribute \
            or value.func.value.__class__ is not gast.Name \
            or bound.get(value.func.value.id) is not np:
        return None
    ufunc = getattr(np, value.func.attr, None)
    if not isinstance(ufunc, np.ufunc) or len(value.args) != ufunc.nin:
        return None
    operands = []
    for arg in value.args:
        if arg.__class__ is gast.Name:
            operands.append(("name", arg.id))
        elif arg.__class__ is gast.Constant and type(arg.value) in (int, float):
            operands.append(("number", repr(arg.value)))
        else:
            return None
    return ufunc, tuple(operands)


# the helpers of adjoint code that read a list argument without changing it
_READS_A_LIST = (add_at_item, add_grads, shaped, cast_back, zeros_like, seeded,
                 broadcast_like, part_of)


def _with_items(body: list, sequences: dict, bound: dict) -> dict:
    """``sequences`` (name -> a stand-in list, tuple or dict) and the names assigned
    once, as ``t = s[k]``, an item of one of them that is a list, tuple or dict itself
    (``(W1, b1), (W2, b2) = params``)."""
    stores = {}
    for node in name_nodes(body):
        if not isinstance(node.ctx, gast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
    found = dict(sequences)
    for stmt in statements(body):
        if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 \
                and stmt.targets[0].__class__ is gast.Name \
                and stores.get(stmt.targets[0].id) == 1 \
                and stmt.value.__class__ is gast.Subscript \
                and stmt.value.value.__class__ is gast.Name \
                and stmt.value.value.id in found \
                and stmt.value.slice.__class__ is gast.Constant:
            outer, k = found[stmt.value.value.id], stmt.value.slice.value
            item = (outer.get(k) if type(k) is str and outer.__class__ is dict else
                    outer[k] if type(k) is int and outer.__class__ is not dict
                    and -len(outer) <= k < len(outer) else None)
            if item.__class__ in (list, tuple, dict):
                found[stmt.targets[0].id] = item
    lists = {name for name, value in found.items() if value.__class__ in (list, dict)}
    if lists:   # (a list's length is the guard's only while nothing can change it)
        changed = _lists_maybe_changed(body, lists, bound)
        found = {name: value for name, value in found.items() if name not in changed}
    return found


def _lists_maybe_changed(body: list, lists: set, bound: dict) -> set:
    """The names of ``lists`` that the code may change (or hand to what may): each read
    of one must be a subscript's, a ``for`` loop's, or an argument of ``len`` or of a
    helper of the adjoint that only reads it."""
    allowed = set()
    for node in walk(body):
        cls = node.__class__
        if cls is gast.Subscript and node.value.__class__ is gast.Name \
                and isinstance(node.ctx, gast.Load):
            allowed.add(id(node.value))
        elif cls is gast.For and node.iter.__class__ is gast.Name:
            allowed.add(id(node.iter))
        elif cls is gast.Call and node.func.__class__ is gast.Name and (
                node.func.id == "len" and "len" not in bound
                or any(bound.get(node.func.id) is f for f in _READS_A_LIST)):
            allowed.update(id(a) for a in node.args if a.__class__ is gast.Name)
    return {node.id for node in walk(body) if node.__class__ is gast.Name
            and node.id in lists and isinstance(node.ctx, gast.Load) and id(node) not in allowed}


def gather_items(body: list, sequences: dict, bound: dict, taken: set = None) -> None:
    """In place, in each block of a version: the adjoint of a list or tuple whose length
    the version knows (``sequences``: name -> a stand-in list or tuple), written item by
    item, ``bp = add_at_item(g3, p, 3); bp = add_grads(bp, add_at_item(g2, p, 2)); ...``
    (each ``add_at_item`` makes zeros for the other items, each ``add_grads`` adds
    them), becomes the sequence of its items' adjoints, ``bp = (g0, g1, g2, g3)``, made
    where the last of them was added; an item nothing reached is ``zeros_like(p[i])``,
    as add_at_item makes it. The items' adjoints are read where they were added: none of
    their names may be assigned between the first and the last addition, nor the
    target read. ``taken``: the names the function uses (so that a helper it calls is
    not named like one of them)."""
    if taken is None:
        taken = set(name_ids(body))
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                gather_items(inner, sequences, bound, taken)
    chains = {}   # target -> (sequence, {index: [adjoints]}, [positions], names read)
    done = []
    for i, stmt in enumerate(body):
        item = _item_adjoint(stmt, sequences, bound)
        if item is not None:
            target, accumulates, seq, index, value = item
            chain = chains.get(target)
            if accumulates and chain is not None and chain[0] == seq:
                chain[1].setdefault(index, []).append(value)
                chain[2].append(i)
                chain[3].update(name_ids(value))
                continue
        if chains:   # (a statement ends the chains it reads or writes into)
            reads, writes = read_and_assigned(stmt)
            for target in [t for t, c in chains.items()
                           if t in reads or t in writes or writes & c[3]]:
                done.append((target, chains.pop(target)))
        if item is not None and not item[1]:
            target, _, seq, index, value = item
            chains[target] = (seq, {index: [value]}, [i], set(name_ids(value)))
    done.extend(chains.items())
    drop = set()
    for target, (seq, items, positions, _) in done:
        whole = sequences[seq]
        places = list(whole) if whole.__class__ is dict else list(range(len(whole)))
        if len(positions) < 2 and len(items) == len(places):
            continue   # (nothing to gather)
        missing = len(items) < len(places)   # (an item nothing reached: zeros_like)
        repeated = any(len(found) > 1 for found in items.values())   # (add_grads)
        zeros = _bound_as(bound, zeros_like, taken) if missing else None
        adds = _bound_as(bound, add_grads, taken) if repeated else None
        if missing and zeros is None or repeated and adds is None:
            continue   # (the helper's name is the user's: left as it is)
        parts = []
        for k in places:
            found = items.get(k)
            if not found:
                parts.append(gast.Call(func=_name(zeros), args=[gast.Subscript(
                    value=_name(seq), slice=gast.Constant(value=k, kind=None),
                    ctx=gast.Load())], keywords=[]))
                continue
            total = found[0]
            for more in found[1:]:
                total = gast.Call(func=_name(adds), args=[total, more], keywords=[])
            parts.append(total)
        last = body[positions[-1]]
        if whole.__class__ is dict:
            last.value = gast.Dict(keys=[gast.Constant(value=k, kind=None) for k in places],
                                   values=parts)
        else:
            last.value = (gast.List if whole.__class__ is list else gast.Tuple)(
                elts=parts, ctx=gast.Load())
        drop.update(positions[:-1])
    if drop:
        body[:] = [s for i, s in enumerate(body) if i not in drop]


def _bound_as(bound: dict, obj, taken: set):
    """The generated code's name of the library function ``obj``: the one it has, or its
    own name, bound now, if neither the code nor ``bound`` uses it; else None."""
    for name, value in bound.items():
        if value is obj:
            return name
    if obj.__name__ in bound or obj.__name__ in taken:
        return None
    bound[obj.__name__] = obj
    return obj.__name__


def _item_adjoint(stmt, sequences, bound):
    """(target, whether it adds to the target, sequence, index, adjoint) of
    ``t = add_at_item(g, s, k)`` or ``t = add_grads(t, add_at_item(g, s, k))`` with ``s``
    a sequence of known length and ``k`` an int; None for any other statement."""
    if stmt.__class__ is not gast.Assign or len(stmt.targets) != 1 \
            or stmt.targets[0].__class__ is not gast.Name \
            or getattr(stmt, "phase", None) != "adjoint":
        return None
    target, value = stmt.targets[0].id, stmt.value
    accumulates = False
    if _calls(value, bound, add_grads) and len(value.args) == 2 \
            and value.args[0].__class__ is gast.Name and value.args[0].id == target:
        accumulates, value = True, value.args[1]
    if not _calls(value, bound, add_at_item) or len(value.args) != 3:
        return None
    g, seq, index = value.args
    if seq.__class__ is not gast.Name or seq.id not in sequences:
        return None
    if index.__class__ is gast.UnaryOp and index.op.__class__ is gast.USub \
            and index.operand.__class__ is gast.Constant:
        k = -index.operand.value
    elif index.__class__ is gast.Constant:
        k = index.value
    else:
        return None
    whole = sequences[seq.id]
    if {seq.id, target} & set(name_ids(g)):
        return None
    if whole.__class__ is dict:
        return (target, accumulates, seq.id, k, g) if type(k) is str and k in whole else None
    length = len(whole)
    if type(k) is not int or not -length <= k < length:
        return None
    return target, accumulates, seq.id, k % length, g


def _calls(node, bound, obj) -> bool:
    return node.__class__ is gast.Call and node.func.__class__ is gast.Name \
        and not node.keywords and bound.get(node.func.id) is obj


def _refold(body: list, floats: frozenset, numbers: frozenset) -> None:
    """reuse_quotients and fold_constant_factors, with what they look for found in one
    walk."""
    factors = {f[0] for f in map(_constant_factor, statements(body)) if f is not None}
    counts, sites = {}, set()
    for node in name_nodes(body, also=(gast.BinOp,)):
        if node.__class__ is gast.Name:
            if node.id in factors:
                counts[node.id] = counts.get(node.id, 0) + 1
        elif _quotient_site(node):
            sites.add(id(node))
    if sites:
        # (a quotient reused reads other names: the counts follow, without a walk)
        moved = {}
        reuse_quotients(body, sites, moved)
        for name, change in moved.items():
            if name in factors:
                count = counts.get(name, 0) + change
                if count:
                    counts[name] = count
                else:
                    counts.pop(name, None)
    if factors:
        fold_constant_factors(body, counts, floats)
    if floats:
        fold_unit_factors(body, floats, numbers)
        fold_unit_copies(body, floats)
    if numbers:
        items_times_a_number(body, numbers)


def rows_from_items(body: list, rows: dict, ints: frozenset, bound: dict) -> None:
    """In place, in each block: ``t = np.zeros((k,))`` (float64), then only element
    updates ``t[c] += e`` (``-=``; c an int, e a name or a number), then ``B[i] += t`` of
    a row of a float64 matrix with rows of k items (``rows``), ``i`` an int (``ints``),
    and ``t`` mentioned nowhere else: the updates go straight into the row, ``B[i, c] +=
    e``, where ``B[i] += t`` was (the adjoint of ``x, v = xs[i]`` in a simulation step:
    no array of zeros, no update of a whole row, about 0.5 µs a step). Each ``e`` must
    hold the same value there: no statement in between assigns it. The same values up
    to rounding (``B + (e0 + e1)`` becomes ``(B + e0) + e1``)."""
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                rows_from_items(inner, rows, ints, bound)
    counts = None
    index = 0
    while index < len(body):
        made = _zeros_row(body[index], bound)
        if made is None:
            index += 1
            continue
        t, k = made
        if counts is None:
            counts = {}
            for node in walk(body):
                if node.__class__ is gast.Name:
                    counts[node.id] = counts.get(node.id, 0) + 1
        found = _items_then_row(body, index, t, k, rows, ints)
        if found is None or counts.get(t) != 2 + len(found[0]):
            index += 1
            continue
        updates, row = found
        target = row.target
        moved = []
        for update in updates:
            element = gast.Tuple(elts=[clone_number(target.slice), gast.Constant(
                value=update.target.slice.value % k, kind=None)], ctx=gast.Load())
            new = gast.AugAssign(target=gast.Subscript(value=_name(target.value.id),
                                                       slice=element, ctx=gast.Store()),
                                 op=update.op.__class__(), value=update.value)
            new.phase, new.origin = row.phase, getattr(row, "origin", None)
            moved.append(new)
        drop = {id(body[index]), id(row)} | {id(u) for u in updates}
        position = next(n for n, stmt in enumerate(body) if stmt is row)
        body[position + 1:position + 1] = moved
        body[:] = [stmt for stmt in body if id(stmt) not in drop]


def _zeros_row(stmt, bound):
    """(t, k) of an adjoint ``t = np.zeros((k,))`` or ``np.zeros(k)`` (float64), else
    None."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
            and getattr(stmt, "phase", None) == "adjoint"
            and isinstance(stmt.value, gast.Call) and len(stmt.value.args) == 1):
        return None
    call = stmt.value
    func = call.func
    if not (isinstance(func, gast.Attribute) and func.attr == "zeros"
            and isinstance(func.value, gast.Name) and bound.get(func.value.id) is np):
        return None
    for keyword in call.keywords:
        dtype = bound.get(keyword.value.id) if isinstance(keyword.value, gast.Name) else None
        if keyword.arg != "dtype" or not (dtype is np.float64 or dtype is float or (
                isinstance(dtype, np.dtype) and dtype == np.float64)):
            return None
    size = call.args[0]
    value = size.value if isinstance(size, gast.Constant) else None
    if isinstance(size, gast.Tuple) and len(size.elts) == 1 \
            and isinstance(size.elts[0], gast.Constant):
        value = (size.elts[0].value,)
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if type(value) is not int or value < 1:
        return None
    return stmt.targets[0].id, value


def _items_then_row(body, start, t, k, rows, ints):
    """(the updates t[c] += e, the row update B[i] += t) after ``t = np.zeros((k,))`` at
    ``body[start]``, as rows_from_items takes them, else None."""
    updates, pending = [], set()
    for stmt in body[start + 1:]:
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, (gast.Add, gast.Sub)) \
                and isinstance(stmt.target, gast.Subscript) \
                and isinstance(stmt.target.value, gast.Name) and stmt.target.value.id == t:
            index, value = stmt.target.slice, stmt.value
            if not (isinstance(index, gast.Constant) and type(index.value) is int
                    and -k <= index.value < k) or not (
                    isinstance(value, gast.Name) or _is_number(value)) or (
                    isinstance(value, gast.Name) and value.id == t):
                return None
            updates.append(stmt)
            if isinstance(value, gast.Name):
                pending.add(value.id)
            continue
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, gast.Add) \
                and isinstance(stmt.value, gast.Name) and stmt.value.id == t:
            target = stmt.target
            if not (isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name)
                    and rows.get(target.value.id) == k and (
                        (isinstance(target.slice, gast.Name) and target.slice.id in ints)
                        or (isinstance(target.slice, gast.Constant)
                            and type(target.slice.value) is int))):
                return None
            return (updates, stmt) if updates else None
        if isinstance(stmt, (gast.If, gast.For, gast.While, gast.Return)) or \
                pending & _stores(stmt) or t in name_ids(stmt):
            return None
    return None


def split_row_updates(body: list, rows: dict, ints: frozenset) -> bool:
    """In place: ``B[i] += r`` (``-=``) of a row of a float64 matrix ``B`` with rows of
    k <= 4 items (``rows``: such adjoints and k), ``i`` an int (an int constant, or a name
    in ``ints``), ``r`` a row ``B[j]`` read earlier in the same block (and neither
    rebound since), becomes k element updates, ``B[i, 0] += r[0]`` ...:
    an update of one element costs about a third of a row update of a tiny array (the
    adjoint of ``x[i + 1] = x[i] + dt * f(x[i])`` in a simulation filling a trajectory).
    The same values: ``r[c]`` is ``B[j, c]``, which the updates of the other items of
    row i do not change. (The element updates of one item then merge:
    merge_element_updates.) Whether it changed anything."""
    changed = False
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                changed = split_row_updates(inner, rows, ints) or changed
    out = []
    for index, stmt in enumerate(body):
        split = _row_update(stmt, rows, ints)
        if split is not None and _row_of(body[:index], split[0], split[2], ints):
            array, row, value, k = split
            for c in range(k):
                element = gast.Tuple(elts=[row, gast.Constant(value=c, kind=None)],
                                     ctx=gast.Load())
                update = gast.AugAssign(
                    target=gast.Subscript(value=_name(array), slice=element, ctx=gast.Store()),
                    op=stmt.op.__class__(),
                    value=gast.Subscript(value=_name(value),
                                         slice=gast.Constant(value=c, kind=None),
                                         ctx=gast.Load()))
                update.phase, update.origin = stmt.phase, getattr(stmt, "origin", None)
                row = clone_number(row)
                out.append(update)
            changed = True
            continue
        out.append(stmt)
    body[:] = out
    return changed


def _row_update(stmt, rows, ints):
    """(B, i, r, k) of an adjoint ``B[i] += r`` (or ``-=``) as split_row_updates
    takes it, else None."""
    if not (isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, (gast.Add, gast.Sub))
            and getattr(stmt, "phase", None) == "adjoint"
            and isinstance(stmt.target, gast.Subscript)
            and isinstance(stmt.target.value, gast.Name) and stmt.target.value.id in rows
            and isinstance(stmt.value, gast.Name)):
        return None
    index = stmt.target.slice
    if not ((isinstance(index, gast.Name) and index.id in ints) or
            (isinstance(index, gast.Constant) and type(index.value) is int)):
        return None
    array = stmt.target.value.id
    return array, index, stmt.value.id, rows[array]


def _row_of(before: list, array: str, value: str, ints: frozenset) -> bool:
    """Whether ``value`` is ``array[j]`` (j an int constant or a name in ``ints``), a row
    of the array, assigned among the statements ``before`` and neither it nor ``array``
    rebound since. (Element writes into ``array`` since then change the row as they
    change ``array[j]`` in the row update itself: reads at the same place.)"""
    for stmt in reversed(before):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == value:
            read = stmt.value
            index = getattr(read, "slice", None)
            return isinstance(read, gast.Subscript) and isinstance(read.value, gast.Name) \
                and read.value.id == array and (
                    (isinstance(index, gast.Name) and index.id in ints) or
                    (isinstance(index, gast.Constant) and type(index.value) is int))
        if isinstance(stmt, (gast.If, gast.For, gast.While)) or \
                {value, array} & _stores(stmt) - {None}:
            return False
    return False


def read_row_items(body: list, rows: dict, ints: frozenset) -> None:
    """In place: ``v = B[j]`` (B a float64 matrix of rows of k <= 4 items, ``rows``; j an
    int, a name in ``ints`` or an int constant) read afterwards only by items ``v[c]``
    of int constants, becomes ``v_c = B[j, c]``, one read of each item, with the items'
    reads reading those names: no view of the row, and an item read once (the reversed
    step of Euler steps into a preallocated array: 1.27x -> 1.22x its hand-written
    gradient). The same values: while the items are read, nothing rebinds B, j or v, and
    the only writes into B are element updates of elements proved apart from row j
    (_apart: another row, ``t11 = i + 1`` beside ``i``), no name that may share B's
    memory being written or given to a call."""
    views = None
    for stmt in statements(body):
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                views = _read_row_items(inner, rows, ints, views, body)
    _read_row_items(body, rows, ints, views, body)


def _read_row_items(block: list, rows: dict, ints: frozenset, views, whole: list):
    for k, stmt in enumerate(list(block)):
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)
                and isinstance(stmt.value, gast.Subscript)
                and isinstance(stmt.value.value, gast.Name)
                and stmt.value.value.id in rows
                and ((isinstance(stmt.value.slice, gast.Name) and stmt.value.slice.id in ints)
                     or (isinstance(stmt.value.slice, gast.Constant)
                         and type(stmt.value.slice.value) is int))):
            continue
        v, array, row = stmt.targets[0].id, stmt.value.value.id, stmt.value.slice
        if views is None:
            views = _views_of_arrays(whole, ints)
        items = _items_read(block, k, v, array, row, rows[array], ints, views, whole)
        if not items:
            continue
        taken = set(name_ids(whole))
        names = {c: _fresh(f"{v}_{c}", taken) for c in sorted({c for c, _ in items})}
        reads = []
        for c, name in names.items():
            read = gast.Assign(
                targets=[gast.Name(id=name, ctx=gast.Store(), annotation=None,
                                   type_comment=None)],
                value=gast.Subscript(value=_name(array), slice=gast.Tuple(
                    elts=[clone_number(row), gast.Constant(value=c, kind=None)],
                    ctx=gast.Load()), ctx=gast.Load()),
                type_comment=None)
            read.phase, read.origin = getattr(stmt, "phase", None), getattr(stmt, "origin", None)
            reads.append(read)
        _ItemsAsNames({id(node): names[c] for c, node in items}).visit_block(block)
        at = block.index(stmt)
        block[at:at + 1] = reads
    return views


class _ItemsAsNames(Transformer):
    """The subscripts given (by id) read as the names given (read_row_items)."""

    def __init__(self, names: dict):
        self.names = names

    def visit_block(self, block: list) -> None:
        block[:] = [self.visit(stmt) for stmt in block]

    def visit_Subscript(self, node):
        name = self.names.get(id(node))
        if name is not None:
            return _name(name)
        self.generic_visit(node)
        return node


def _items_read(block, k, v, array, row, width, ints, views, whole):
    """[(c, the node v[c])] of every read of v after ``v = array[row]`` at block[k], if
    all of v's uses are such reads of int constants 0 <= c < width in the statements
    after it in the block, with nothing in between that could change those items."""
    uses = sum(1 for node in walk(whole) if node.__class__ is gast.Name and node.id == v)
    items, found = [], 1
    aliases = views.get(array, set()) - {v}   # (v's own uses are the items read)
    entries = [row]
    last = k
    for pos in range(k + 1, len(block)):
        stmt = block[pos]
        here = [node for node in walk(stmt) if isinstance(node, gast.Subscript)
                and isinstance(node.value, gast.Name) and node.value.id == v]
        for node in here:
            if not (isinstance(node.slice, gast.Constant) and type(node.slice.value) is int
                    and 0 <= node.slice.value < width and isinstance(node.ctx, gast.Load)):
                return None
            items.append((node.slice.value, node))
        found += sum(1 for node in walk(stmt) if node.__class__ is gast.Name and node.id == v)
        if here:
            last = pos
        if found == uses:
            break
    else:
        return None
    if found != uses or len(items) != uses - 1:
        return None
    names = {array, v} | ({row.id} if isinstance(row, gast.Name) else set())
    for pos in range(k + 1, last + 1):
        stmt = block[pos]
        if isinstance(stmt, (gast.If, gast.For, gast.While)) or _stores(stmt) & names:
            return None
        if _element_update(stmt) and stmt.target.value.id == array:
            written = _index_entries(stmt.target)
            if not all(_apart(written, entries + [gast.Constant(value=c, kind=None)],
                              block[:pos], ints) for c, _ in items):
                return None
            rest = [stmt.value] + list(walk(stmt.target.slice))
            if any(node.__class__ is gast.Name and node.id in aliases | {array}
                   for r in rest for node in walk(r)):
                return None
            continue
        if any(node.__class__ is gast.Name and node.id in aliases | {array}
               for node in walk(stmt)) and (
                contains(stmt, gast.Call) or not isinstance(stmt, gast.Assign)
                or set(name_ids(stmt.targets)) & (aliases | {array})):
            return None
    return items


def items_times_a_number(body: list, numbers: frozenset) -> list:
    """In place, in each block of the adjoint: ``t = a * s`` (``s * a``; ``s`` a float
    number: a name in ``numbers`` or a float constant) followed at once by the only reads
    of ``t``, ``u = t[0]; v = t[1]``, becomes ``u = a[0] * s; v = a[1] * s``: the items
    times the number, not the whole (small) array first. The adjoint of ``np.array([p,
    q])`` scaled by a time step, in a simulation step: two multiplications of numbers
    instead of one of a 2-element array, several times as slow. The same values: an
    item of a float array times a Python (or NumPy float64) number is that item of the
    product (with NumPy 1.x, whose scalars follow other casting rules, a float32 item
    times a float is a float64: rounding only, the gradient is cast back)."""
    if not _has_items_of_a_product(body, numbers):
        return body   # (the usual case: no walk of the whole function)
    counts = {}
    for node in walk(body):
        if node.__class__ is gast.Name:
            counts[node.id] = counts.get(node.id, 0) + 1
    _items_times_a_number(body, numbers, counts)
    return body


def _has_items_of_a_product(body: list, numbers: frozenset) -> bool:
    """Whether some block has ``t = a * s`` followed by ``u = t[c]``."""
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and _has_items_of_a_product(inner, numbers):
                return True
    for stmt, after in zip(body, body[1:]):
        product = _array_times_number(stmt, numbers)
        if product is not None and _item_read(after, product[0]) is not None:
            return True
    return False


def _items_times_a_number(body: list, numbers: frozenset, counts: dict) -> None:
    dropped = set()
    for index, stmt in enumerate(body):
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                _items_times_a_number(inner, numbers, counts)
        product = _array_times_number(stmt, numbers)
        if product is None:
            continue
        t, a, number, number_first = product
        reads = []
        for later in body[index + 1:]:
            item = _item_read(later, t)
            if item is None:
                break
            reads.append(later)
        taken = {r.targets[0].id for r in reads}
        if not reads or counts.get(t) != 1 + len(reads) or a in taken or \
                (isinstance(number, gast.Name) and number.id in taken):
            continue
        for read in reads:
            part = gast.Subscript(value=_name(a), slice=read.value.slice, ctx=gast.Load())
            factor = clone_number(number)
            read.value = gast.BinOp(left=factor if number_first else part, op=gast.Mult(),
                                    right=part if number_first else factor)
        dropped.add(id(stmt))
    if dropped:
        body[:] = [stmt for stmt in body if id(stmt) not in dropped]


def _array_times_number(stmt, numbers):
    """(t, a, the number node, whether it comes first) of an adjoint ``t = a * s`` or
    ``t = s * a`` with a float number ``s``, else None."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
            and getattr(stmt, "phase", None) == "adjoint"
            and isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Mult)):
        return None
    left, right = stmt.value.left, stmt.value.right

    def number(node):
        return (isinstance(node, gast.Constant) and type(node.value) is float) or \
            (isinstance(node, gast.Name) and node.id in numbers)
    t = stmt.targets[0].id
    for a, s, first in ((left, right, False), (right, left, True)):
        if isinstance(a, gast.Name) and number(s) and not number(a) and t not in (
                a.id, getattr(s, "id", None)):
            return t, a.id, s, first
    return None


def _item_read(stmt, t):
    """Whether ``stmt`` is ``u = t[c]`` of an int constant c, in the adjoint."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], gast.Name) \
            and getattr(stmt, "phase", None) == "adjoint" \
            and isinstance(stmt.value, gast.Subscript) \
            and isinstance(stmt.value.value, gast.Name) and stmt.value.value.id == t \
            and isinstance(stmt.value.slice, gast.Constant) \
            and type(stmt.value.slice.value) is int:
        return stmt
    return None


def clone_number(node):
    if isinstance(node, gast.Constant):
        return gast.Constant(value=node.value, kind=None)
    return _name(node.id)


def fold_unit_factors(body: list, floats: frozenset, numbers: frozenset) -> list:
    """In place, in each block of the adjoint: two contributions of one user line to an
    adjoint in a row, ``t = e1; t = t + e2`` (e2 not reading t), become one, ``t = e1 +
    e2``; then ``1.0 * v`` of a float ``v`` (``floats``) that is an operand of an
    arithmetic operation becomes ``v`` (the same bits; the operation makes a new value,
    so no name comes to share v's array), and so does ``t = 1.0 * v`` of a float
    number ``v`` (``numbers``: a number is never changed in place). For the seed 1.0 of a version
    (reverse.seed_factor): ``x @ A @ x`` gives ``bx = t1 + A @ x``, not ``bx = 1.0 * t1;
    bx = bx + A @ x``."""
    kept = []
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                fold_unit_factors(inner, floats, numbers)
        stmt = _joined(kept, stmt)
        if getattr(stmt, "phase", None) == "adjoint" and isinstance(stmt, gast.Assign):
            _UnitOperands(floats, floats).visit(stmt.value)
            stmt.value = _UnitOperands(numbers, floats).unit(stmt.value)
        kept.append(stmt)
    body[:] = kept
    return body


def fold_unit_copies(body: list, floats: frozenset, top: list = None) -> None:
    """In place, in each block (versions): ``t = 1.0 * a`` of a float array or number
    ``a`` (``floats``; the seed 1.0 times ``a``, as the adjoint of ``0.5 * a ** 2``
    gives) whose every read, up to the statement of the block that assigns ``t`` again
    (or, t occurring nowhere else in the function, the end of the block), is an operand
    of arithmetic (``t + g``, ``t / n``, ``-t``), goes: those reads read ``a``. Each of them makes a
    new value, so no name comes to share a's array, and ``1.0 * a`` is ``a`` bit for
    bit: one pass over the array fewer (a VAE's KL term ``bmu = 1.0 * mu; bmu = bmu +
    bz`` is ``bmu = mu + bz``). Nothing between may assign a, change it in place or
    pass it to a call. ``top``: the function's body (``body`` itself at first)."""
    top = body if top is None else top
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                fold_unit_copies(inner, floats, top)
    dropped = set()
    for index, stmt in enumerate(body):
        factor = _constant_factor(stmt)
        if factor is None or factor[2] != 1.0 or factor[1] not in floats:
            continue
        t, a = factor[0], factor[1]
        reads, seen, rebound = [], 1, False
        for later in body[index + 1:]:
            occurrences = sum(1 for node in walk(later)
                              if node.__class__ is gast.Name and node.id == t)
            rebinds = later.__class__ is gast.Assign and len(later.targets) == 1 \
                and later.targets[0].__class__ is gast.Name and later.targets[0].id == t
            if occurrences:
                operands = _arithmetic_operands(later.value, t) \
                    if later.__class__ is gast.Assign else []
                if len(operands) != occurrences - rebinds:
                    reads = None   # (a read of another kind, or t changed in place)
                    break
                reads += operands
                seen += occurrences
            if rebinds:
                rebound = True   # (the reads after it read another value)
                break
            if _may_change(later, a):
                break   # (t occurring after this: the counts differ)
        if not reads or not rebound and name_counts(top).get(t) != seen:
            continue
        for parent, field in reads:
            if isinstance(parent, list):
                parent[field] = _name(a)
            else:
                setattr(parent, field, _name(a))
        dropped.add(id(stmt))
    if dropped:
        body[:] = [stmt for stmt in body if id(stmt) not in dropped]


def _may_change(stmt, a: str) -> bool:
    """Whether ``stmt`` may assign ``a`` or change its array: anything but an
    assignment of a name, or one that stores a or passes it to a call."""
    if not (stmt.__class__ is gast.Assign and len(stmt.targets) == 1
            and stmt.targets[0].__class__ is gast.Name):
        return True
    return stmt.targets[0].id == a or any(
        arg.__class__ is gast.Name and arg.id == a for call in walk(stmt.value)
        if call.__class__ is gast.Call for arg in call.args)


_NEW_VALUE_CALLS = frozenset(("dot", "inner", "outer", "matmul"))


def _arithmetic_operands(tree, t: str) -> list:
    """(parent, field) of each read of ``t`` in ``tree`` that is an operand of an
    arithmetic operation or a negation, or an argument of NumPy's products (``np.dot(t,
    u)``), which make new values."""
    found = []
    for node in walk(tree):
        if node.__class__ is gast.Call and _numpy_call(node) and not node.keywords \
                and node.func.attr in _NEW_VALUE_CALLS:
            found += [(node.args, k) for k, arg in enumerate(node.args)
                      if arg.__class__ is gast.Name and arg.id == t]
            continue
        if node.__class__ is gast.BinOp and node.op.__class__ in _ARITHMETIC:
            for field in ("left", "right"):
                operand = getattr(node, field)
                if operand.__class__ is gast.Name and operand.id == t:
                    found.append((node, field))
        elif node.__class__ is gast.UnaryOp and node.op.__class__ is gast.USub \
                and node.operand.__class__ is gast.Name and node.operand.id == t:
            found.append((node, "operand"))
    return found


def join_accumulations(body: list, joined: set = None) -> list:
    """In place, in each block: ``t = e1; t = t + e2`` of one user line's adjoint
    become ``t = e1 + e2`` (as fold_unit_factors does), so that fold_negations sees
    the sum: ``bX = np.reshape(bt2, ...) + np.reshape(bt1, ...)`` with ``bt2`` a negated
    sum is ``np.reshape(bt1, ...) - np.reshape(bt2, ...)``, no negation of the array
    summed (the adjoint of ``X[:, None, :] - X[None, :, :]``). ``joined`` (if given)
    learns the ids of the statements it changed."""
    kept = []
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                join_accumulations(inner, joined)
        first = _joined(kept, stmt)
        if first is not stmt and joined is not None:
            joined.add(id(first))
        kept.append(first)
    body[:] = kept
    return body


def _joined(kept: list, stmt):
    """``stmt``, or ``kept``'s last statement joined with it (taken off ``kept``) when
    ``stmt`` accumulates onto it (_accumulates_onto)."""
    if kept and _accumulates_onto(kept[-1], stmt):
        first = kept.pop()
        first.value = gast.BinOp(left=first.value, op=gast.Add(), right=stmt.value.right)
        return first
    return stmt


def _accumulates_onto(first, stmt) -> bool:
    """Whether ``stmt`` is ``t = t + e`` right after ``first``, ``t = e1``, both of the
    adjoint of one user line, e not reading t."""
    if not (isinstance(first, gast.Assign) and isinstance(stmt, gast.Assign)
            and getattr(first, "phase", None) == "adjoint" == getattr(stmt, "phase", None)
            and _line(first) is not None and _line(first) == _line(stmt)
            and len(first.targets) == 1 == len(stmt.targets)
            and isinstance(first.targets[0], gast.Name)
            and isinstance(stmt.targets[0], gast.Name)):
        return False
    t, value = first.targets[0].id, stmt.value
    return stmt.targets[0].id == t and isinstance(value, gast.BinOp) \
        and isinstance(value.op, gast.Add) and isinstance(value.left, gast.Name) \
        and value.left.id == t and t not in name_ids(value.right) \
        and t not in name_ids(first.value)


def _line(stmt):
    return getattr(getattr(stmt, "origin", None), "lineno", None)


class _UnitOperands(Transformer):
    """``1.0 * v`` (``v * 1.0``) of a float ``v`` as an operand of an arithmetic
    operation: ``v`` (see fold_unit_factors). ``names``: the names ``v`` may be; ``v``
    may also be arithmetic making a new float value (of ``floats``, _float_valued), as
    ``1.0 * (1.0 - t2 * t2)``, the seed 1.0 times the adjoint of ``np.tanh``."""

    def __init__(self, names, floats):
        self.names, self.floats = names, floats

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if node.op.__class__ in _ARITHMETIC:
            node.left, node.right = self.unit(node.left), self.unit(node.right)
        return node

    def unit(self, operand):
        if operand.__class__ is gast.BinOp and operand.op.__class__ is gast.Mult:
            for one, v in ((operand.left, operand.right), (operand.right, operand.left)):
                if _is_number(one, 1) and (isinstance(v, gast.Name) and v.id in self.names
                                           or _float_valued(v, self.floats)):
                    return v
        return operand


def _float_valued(node, floats: frozenset) -> bool:
    """Whether ``node`` is arithmetic making a new float value: an operand is a float
    (a name in ``floats``, a float constant, such arithmetic itself), or it divides."""
    if node.__class__ is not gast.BinOp or node.op.__class__ not in _ARITHMETIC:
        return False
    return node.op.__class__ is gast.Div or any(
        operand.__class__ is gast.Name and operand.id in floats
        or operand.__class__ is gast.Constant and operand.value.__class__ is float
        or _float_valued(operand, floats) for operand in (node.left, node.right))


# -- 5. saves nobody reads back ------------------------------------------------------
def drop_unread_saves(body: list, memo: dict = None) -> list:
    """Without the pushes and pops of variables no restored value of which is read.

    Each save (``stack.append(x)``, see reverse.py) has its restore (``x = stack.pop()``)
    in the mirrored place of the adjoint, so dropping every save and restore of one
    name leaves the stack's other entries paired as before. ``memo``: statements' names
    known from an earlier dead-code pass (see eliminate_dead_code)."""
    memo = {} if memo is None else memo
    restores = {}
    body = eliminate_dead_code(body, restores=restores, memo=memo)
    unread = {name for name, read in restores.items() if not read}
    if not unread:
        return body
    return eliminate_dead_code(_without(body, lambda s: getattr(s, "saves", None) in unread
                                        or getattr(s, "restores", None) in unread), memo=memo)


def drop_unread_element_saves(body: list, memo: dict = None) -> list:
    """Without the saves and restores of the elements of an array the function made
    itself (``x = np.zeros(...)``; ``x[i] = v`` saves ``x[i]`` first, the adjoint puts
    it back) when, from the first restore on, nothing reads the array or a name that may
    share its memory (reverse.fresh_aliases tagged them with those names): the values
    put back are never looked at. ``memo`` as for drop_unread_saves."""
    tagged = {}   # array -> its aliases
    first = {}    # array -> index of the top-level statement of its first restore
    for index, top in enumerate(body):
        for stmt in statements([top]):
            array = getattr(stmt, "element_of", None)
            if array is not None:
                tagged[array] = stmt.aliases
                if isinstance(stmt, gast.Assign):
                    first.setdefault(array, index)
    if not tagged:
        return body
    unread = set()
    for array, aliases in tagged.items():
        start = first.get(array, len(body))
        if all(_reads_only_restoring(stmt, array, aliases) for top in body[start:]
               for stmt in statements([top])):
            unread.add(array)
    if not unread:
        return body
    # (then the saves of the array's name may go too: the element restores read it)
    return drop_unread_saves(_without(body, lambda s: getattr(s, "element_of", None)
                                      in unread), memo=memo)


def _reads_only_restoring(stmt, array, aliases) -> bool:
    """Whether ``stmt`` reads none of ``aliases`` (a restore of ``array``'s elements
    writes it: that is no read of it)."""
    if isinstance(stmt, (gast.If, gast.While)):
        return _loads(stmt.test).isdisjoint(aliases)
    if isinstance(stmt, gast.For):
        return _loads(stmt.iter).isdisjoint(aliases)
    if getattr(stmt, "element_of", None) == array or getattr(stmt, "reads_final", None) == array:
        return True   # (reads_final: reads elements no restore changes, see reverse.recompute)
    return _loads(stmt).isdisjoint(aliases)


def _without(body: list, dropped) -> list:
    """``body`` without the statements ``dropped`` says are, in nested blocks too."""
    kept = []
    for stmt in body:
        if dropped(stmt):
            continue
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                inner = _without(inner, dropped)
                setattr(stmt, field, inner or [gast.Pass()] if field == "body" else inner)
        kept.append(stmt)
    return kept


# -- 9. a constant factor of a number read once ------------------------------------------
def fold_constant_factors(body: list, counts: dict, floats: frozenset = frozenset()) -> list:
    """See the module docstring; ``counts``: how often each candidate ``t`` occurs in
    the function. In place, in each block: ``t = a * C`` (or ``C * a``; a a name, C a
    number) of the adjoint, with ``t`` occurring nowhere else but once in a later
    statement of the block as ``C2 * t`` (or ``t * C2``), neither ``a`` nor ``t``
    changed in between: that product becomes ``(C * C2) * a`` and the statement goes.
    The same value up to rounding. ``floats``: names whose values are surely floats (or
    float arrays), for which ``1.0 * a`` is ``a``, bit for bit."""
    dropped = set()
    for index, stmt in enumerate(body):
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                fold_constant_factors(inner, counts, floats)
        factor = _constant_factor(stmt)
        if factor is None or counts.get(stmt.targets[0].id) != 2:
            continue
        t, a, c = factor
        for later in body[index + 1:]:
            if t in name_ids(later):
                if isinstance(later, gast.Assign) and isinstance(later.targets[0], gast.Name) \
                        and getattr(later, "phase", None) == "adjoint":
                    folder = _FactorInto(t, a, c, c == 1.0 and a in floats)
                    later.value = folder.visit(later.value)
                    if folder.done:
                        dropped.add(id(stmt))
                break
            if not (isinstance(later, gast.Assign) and isinstance(later.targets[0], gast.Name)) \
                    or later.targets[0].id == a or any(
                        isinstance(arg, gast.Name) and arg.id == a for call in walk(later.value)
                        if isinstance(call, gast.Call) for arg in call.args):
                break   # (a block, an element write, a call: a may change)
    if dropped:
        body[:] = [stmt for stmt in body if id(stmt) not in dropped]
    return body


def _constant_factor(stmt):
    """(t, a, C) of an adjoint ``t = a * C`` or ``t = C * a``, else None."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and getattr(stmt, "phase", None) == "adjoint"
            and isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Mult)):
        return None
    left, right = stmt.value.left, stmt.value.right
    if _is_number(left):
        left, right = right, left
    if isinstance(left, gast.Name) and _is_number(right) and left.id != stmt.targets[0].id:
        return stmt.targets[0].id, left.id, right.value
    return None


_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.MatMult, gast.Pow)


class _FactorInto(Transformer):
    def __init__(self, t, a, c, unit=False):
        self.t, self.a, self.c, self.done = t, a, c, False
        self.unit = unit   # t is a itself: any arithmetic operand t may read a

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if self.done:
            return node
        if self.unit and node.op.__class__ in _ARITHMETIC:
            for field in ("left", "right"):
                operand = getattr(node, field)
                if isinstance(operand, gast.Name) and operand.id == self.t:
                    self.done = True
                    setattr(node, field, gast.Name(id=self.a, ctx=gast.Load(),
                                                   annotation=None, type_comment=None))
                    return node
        if not isinstance(node.op, gast.Mult):
            return node
        left, right = node.left, node.right
        if _is_number(right):
            left, right = right, left
        if _is_number(left) and isinstance(right, gast.Name) and right.id == self.t:
            self.done = True
            return gast.BinOp(left=gast.Constant(value=left.value * self.c, kind=None),
                              op=gast.Mult(), right=gast.Name(id=self.a, ctx=gast.Load(),
                                                             annotation=None,
                                                             type_comment=None))
        return node


# -- 8. a quotient computed again --------------------------------------------------------
def _quotient_site(node) -> bool:
    """Whether the BinOp ``node`` is ``x * y / c`` (c a name)."""
    return isinstance(node.op, gast.Div) and isinstance(node.right, gast.Name) \
        and isinstance(node.left, gast.BinOp) and isinstance(node.left.op, gast.Mult)


def reuse_quotients(body: list, sites: set, moved: dict = None) -> None:
    """See the module docstring. In each block, in place: ``q = a / c`` (names) is
    available until one of q, a, c is assigned again; a later adjoint statement's
    ``a * b / c`` or ``b * a / c`` (among ``sites``: ids of such nodes) becomes
    ``q * b``. ``moved`` (if given) learns how many more times each name occurs
    (-1 for a and c, +1 for q, each time)."""
    available = {}   # (a, c) -> q
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                reuse_quotients(inner, sites, moved)
        if available:
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
                # an element write, a call, a block: whatever it mentions may change
                stored = set(name_ids(stmt))
            else:
                if getattr(stmt, "phase", None) == "adjoint":
                    _requotient(stmt.value, sites, available, moved)
                # what it assigns, and the names its calls are given (a call may change
                # them), in one walk (its target is a name: no call there)
                found = name_nodes(stmt, also=(gast.Call,))
                stored = {n.id for n in found
                          if n.__class__ is gast.Name and n.ctx.__class__ is gast.Store}
                stored.update(a.id for call in found if call.__class__ is gast.Call
                              for a in call.args if isinstance(a, gast.Name))
            available = {k: q for k, q in available.items()
                         if q not in stored and k[0] not in stored and k[1] not in stored}
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Div) \
                and isinstance(stmt.value.left, gast.Name) \
                and isinstance(stmt.value.right, gast.Name):
            q = stmt.targets[0].id
            a, c = stmt.value.left.id, stmt.value.right.id
            if q not in (a, c):
                available[(a, c)] = q


def _requotient(expr, sites: set, available: dict, moved: dict = None) -> None:
    """Turn the ``a * b / c`` nodes of ``expr`` with ``q = a / c`` available into
    ``q * b``, in place (``moved``: see reuse_quotients)."""
    for node in walk(expr):
        if id(node) not in sites:
            continue
        c = node.right.id
        left, right = node.left.left, node.left.right
        for a, b in ((left, right), (right, left)):
            if isinstance(a, gast.Name) and (a.id, c) in available:
                q = available[(a.id, c)]
                node.left = gast.Name(id=q, ctx=gast.Load(), annotation=None,
                                      type_comment=None)
                node.op, node.right = gast.Mult(), b
                if moved is not None:
                    for name, change in ((a.id, -1), (c, -1), (q, 1)):
                        moved[name] = moved.get(name, 0) + change
                break


# -- 7. updates of one element in a row -------------------------------------------------
def merge_element_updates(body: list, ints: frozenset = frozenset(),
                          numbers: frozenset = frozenset()) -> list:
    """See the module docstring: ``T += a; T -= b`` with ``T`` the same subscript both
    times becomes ``T += a - b`` (and so on for the four pairs of signs); updates of
    other arrays in between (``bv[j] += c``) stay where they are, when neither side reads
    the other's array. Each update broadcasts to ``T``'s shape, so their sum does too.

    With ``ints`` (a version's names proved Python ints), the later update also moves
    up past updates of other elements of its own array and past assignments of numbers
    (``bx[i, 0] += bt6; bp = bp - bt5; bx[i, 1] += bt4; bx[i, 0] += bt12[0]`` is
    ``bx[i, 0] += bt6 + bt12[0]; bp = ...; bx[i, 1] += bt4``: the reversed step of a
    simulation filling a trajectory makes two element updates instead of four) when
    the elements are proved apart (_apart) and what the moved update reads, also
    through a row of the array read before (``bt12 = bx[t11]``), is none of them.
    ``numbers``: names the version proves numbers (``t6 = x[i, 0]``), which share no
    array's memory (with ints, the later update also takes the value of an earlier
    one that cannot move up to it: _merge_down)."""
    views = _views_of_arrays(body, ints | numbers) if _has_element_updates(body) else {}
    return _merge_element_updates(body, ints, views)


def _has_element_updates(body: list) -> bool:
    return any(_element_update(stmt) for stmt in statements(body))


def _merge_element_updates(body: list, ints: frozenset, views: dict) -> list:
    merged = []
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner:
                setattr(stmt, field, _merge_element_updates(inner, ints, views))
        earlier = None
        if _element_update(stmt):
            earlier = _earlier_update(stmt, merged, views)
            if earlier is None and ints:
                earlier = _earlier_update_apart(stmt, merged, ints, views)
        if earlier is None:
            merged.append(stmt)
            continue
        # same sign: T += a + b, T -= a + b; opposite: T += a - b, T -= a - b
        op = gast.Add() if isinstance(stmt.op, earlier.op.__class__) else gast.Sub()
        earlier.value = gast.BinOp(left=earlier.value, op=op, right=stmt.value)
    if ints:
        _merge_down(merged, ints, views)
    return merged


def _merge_down(body: list, ints: frozenset, views: dict) -> None:
    """In place (versions): an element update that cannot move up to the earlier
    update of its element because it reads a number assigned in between (``bx[i, 0] +=
    bt10; bt6 = bt7 * t5; bx[i, 0] += bt6 + bt15_0``) takes the earlier one's value
    instead: the earlier update moves down to it past the same statements the other
    way, updates of other elements of its array proved apart, of other arrays, and
    assignments of numbers, none reading the array nor assigning what it reads
    (``bx[i, 0] += bt10 + (bt6 + bt15_0)``; ``bx[i, 2] -= bt10; ...; bx[i, 2] +=
    bt15_2`` is ``bx[i, 2] += bt15_2 - bt10``): a 3-state Euler step into a
    preallocated array makes three element updates per reversed step instead of five."""
    k = 0
    while k < len(body):
        later = _later_update(body, k, ints, views) if _element_update(body[k]) else None
        if later is None:
            k += 1
            continue
        first, second = body[k], body[later]
        if isinstance(first.op, second.op.__class__):   # T += a; T += b: T += a + b
            second.value = gast.BinOp(left=first.value, op=gast.Add(), right=second.value)
        else:   # T -= a; T += b: T += b - a (and T += a; T -= b: T -= b - a)
            second.value = gast.BinOp(left=second.value, op=gast.Sub(), right=first.value)
        del body[k]


def _later_update(body: list, k: int, ints: frozenset, views: dict):
    """The position of the next update of ``body[k]``'s element, if ``body[k]`` (an
    element update) can move down to it (_merge_down), else None."""
    first = body[k]
    array = first.target.value.id
    aliases = views.get(array, set())
    index = _index_entries(first.target)
    reads = set(name_ids(first.value))
    index_names = set(name_ids(first.target.slice))
    if array in reads or reads & aliases or index_names & (aliases | {array}) \
            or not all(_one_axis(entry, ints) for entry in index):
        return None

    def apart_reads(value, j):
        # what value reads of the array, only through rows read before, are other elements
        names = set(name_ids(value))
        if array in names:
            return False
        rows = _rows_read(value, names & aliases, array, body[:j])
        return rows is not None and all(_apart(index, r, body[:j], ints) for r in rows)

    for j in range(k + 1, len(body)):
        other = body[j]
        if _element_update(other) and other.target.value.id == array:
            if set(name_ids(other.target.slice)) & (aliases | {array}) \
                    or not apart_reads(other.value, j):
                return None
            if same_tree(other.target, first.target):
                return j
            if not _apart(_index_entries(other.target), index, body[:j], ints):
                return None
            continue
        if _element_update(other):   # of another array
            if not _update_apart(other, array, reads, aliases, views):
                return None
            continue
        if isinstance(other, gast.Assign) and len(other.targets) == 1 \
                and isinstance(other.targets[0], gast.Name):
            target = other.targets[0].id
            if target in reads or target in index_names or not apart_reads(other.value, j) \
                    or target in aliases or target == array:
                return None
            if not _numpy_calls_only(other.value):
                return None
            continue
        return None
    return None


def _views_of_arrays(body: list, ints: frozenset) -> dict:
    """name -> the names that may share its memory, by the assignments anywhere in
    ``body``: a name assigned a part or an attribute of another or the other itself
    (``bt12 = bx[t11]``, ``r = b.T``, ``bz = bt3``) shares memory with it, and so on;
    one assigned a call's result may be any array the call is given (``bx =
    add_at_item(bt13, x, -1)``: bt13, x and what shares their memory). Arithmetic makes
    new values; ``ints`` hold none."""
    parts, calls = {}, {}
    for stmt in statements(body):
        if isinstance(stmt, (gast.Assign, gast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            value = stmt.value
        elif isinstance(stmt, gast.For):
            targets, value = [stmt.target], stmt.iter
        else:
            continue
        edges = calls if contains(value, gast.Call) else parts
        read = _memory_names(value) - ints
        for a in {n for t in targets for n in name_ids(t)} - ints:
            for b in read - {a}:
                edges.setdefault(a, set()).add(b)
                edges.setdefault(b, set()).add(a)

    # the names connected by parts, found once for each group of them (a search from
    # every name is quadratic in the number of names)
    groups = {}   # name -> its group (itself included); a name of no part: none
    for name in parts:
        if name not in groups:
            members, todo = {name}, [name]
            while todo:
                for m in parts[todo.pop()]:   # (edges go both ways: m is in parts)
                    if m not in members:
                        members.add(m)
                        todo.append(m)
            for m in members:
                groups[m] = members
    reached = {}   # id of a group -> its names and the groups of what its calls are given
    views = {}
    for name in set(parts) | set(calls):
        group = groups.get(name) or {name}
        close = reached.get(id(group)) if name in groups else None
        if close is None:
            close = set(group)
            for n in group:
                for m in calls.get(n, ()):
                    close |= groups.get(m) or {m}
            if name in groups:
                reached[id(group)] = close
        views[name] = close - {name}
    return views


def _memory_names(value) -> set:
    """The names whose memory ``value`` may share: itself, the arrays it is a part or
    an attribute of, those a call is given; none for arithmetic or a constant."""
    if isinstance(value, gast.Name):
        return {value.id}
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant)):
        return set()
    if isinstance(value, (gast.Subscript, gast.Attribute, gast.Starred)):
        return _memory_names(value.value)
    if isinstance(value, gast.Call):
        names = set()
        for arg in list(value.args) + [k.value for k in value.keywords]:
            names |= _memory_names(arg)
        if isinstance(value.func, gast.Attribute):   # (a method: a.reshape(...))
            names |= _memory_names(value.func.value)
        return names
    if isinstance(value, (gast.Tuple, gast.List)):
        return set().union(*map(_memory_names, value.elts)) if value.elts else set()
    if isinstance(value, gast.IfExp):
        return _memory_names(value.body) | _memory_names(value.orelse)
    return set(name_ids(value))


def _earlier_update_apart(stmt, before: list, ints: frozenset, views: dict):
    """The update of ``stmt``'s element among the statements ``before`` it, if ``stmt``
    can move up to it past updates of other elements of its array and assignments of
    numbers (merge_element_updates)."""
    array = stmt.target.value.id
    aliases = views.get(array, set())
    index = _index_entries(stmt.target)
    reads = set(name_ids(stmt.value))
    if index is None or array in reads or array in aliases or \
            set(name_ids(stmt.target.slice)) & (aliases | {array}):
        return None
    # the elements stmt's value reads through rows of the array read before
    rows = _rows_read(stmt.value, reads & aliases, array, before)
    if rows is None:
        return None
    for k in range(len(before) - 1, -1, -1):
        other = before[k]
        if _element_update(other) and other.target.value.id == array:
            entries = _index_entries(other.target)
            # what it reads of the array, only through rows read before, are other elements
            other_reads = set(name_ids(other.value)) | set(name_ids(other.target.slice))
            other_rows = _rows_read(other.value, other_reads & aliases, array, before[:k])
            if array in other_reads or other_rows is None or \
                    not all(_apart(index, r, before[:k], ints) for r in other_rows):
                return None
            if same_tree(other.target, stmt.target):
                # stmt's reads of rows now come before this update of its element
                if all(_apart(r, index, before[:k], ints) for r in rows):
                    return other
                return None
            if not (_apart(entries, index, before[:k], ints)
                    and all(_apart(entries, r, before[:k], ints) for r in rows)):
                return None
            continue
        if _element_update(other):   # of another array
            if not _update_apart(other, array, reads, aliases, views):
                return None
            continue
        if isinstance(other, gast.Assign) and len(other.targets) == 1 \
                and isinstance(other.targets[0], gast.Name):
            target, read = other.targets[0].id, set(name_ids(other.value))
            if target in reads or target in name_ids(stmt.target.slice) or \
                    read & (aliases | {array}) or target in aliases or target == array:
                return None
            if not _numpy_calls_only(other.value):
                return None
            continue
        return None
    return None


def _update_apart(other, array: str, reads: set, aliases: set, views: dict) -> bool:
    """Whether ``other``, an update of an element of an array other than ``array``, and
    an update of ``array`` (its views ``aliases``) whose value reads ``reads`` may pass
    each other: neither writes what the other reads, through views either."""
    written = other.target.value.id
    return not (written in reads | aliases or views.get(written, set()) & reads
                or set(name_ids(other)) & (aliases | {array}))


def _numpy_calls_only(value) -> bool:
    """Whether every call in ``value`` is one of NumPy's functions, which change no
    operand without out= (an assignment of it may pass an element update)."""
    return all(_numpy_call(node) for node in walk(value) if isinstance(node, gast.Call))


def _numpy_call(call) -> bool:
    """Whether ``call`` is ``np.f(...)`` without an ``out=``."""
    func = call.func
    return isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
        and func.value.id == "np" and not any(k.arg == "out" for k in call.keywords)


def _index_entries(target):
    """The entries of a subscript's index (a tuple's items, or the one index)."""
    index = target.slice
    return list(index.elts) if isinstance(index, gast.Tuple) else [index]


def _rows_read(value, views: set, array: str, before: list):
    """The indexes of the elements of ``array`` that ``value`` reads through ``views``
    (each read ``v[c]`` of a constant ``c``, ``v = array[e]`` the last assignment of v
    in ``before``, neither v nor e's names assigned since): [[e, c], ...], or None if
    it reads one otherwise."""
    rows = []
    for node in walk(value):
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
                and node.value.id in views:
            row = _row_view(node.value.id, array, before)
            if row is None or not (isinstance(node.slice, gast.Constant)
                                   and type(node.slice.value) is int):
                return None
            rows.append([row, node.slice])
    counted = sum(1 for node in walk(value) if isinstance(node, gast.Name) and node.id in views)
    return rows if counted == len(rows) else None


def _row_view(view: str, array: str, before: list):
    """e, where ``view = array[e]`` (e a name or an int constant) is the last
    assignment of ``view`` among ``before``, with neither view nor e assigned since."""
    for k in range(len(before) - 1, -1, -1):
        stmt = before[k]
        stored = _stores(stmt)
        if view in stored:
            value = getattr(stmt, "value", None)
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                    and value.value.id == array and isinstance(value.slice, (gast.Name, gast.Constant)):
                e = value.slice
                if isinstance(e, gast.Name) and any(e.id in _stores(s) for s in before[k + 1:]):
                    return None
                return e
            return None
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            return None
    return None


def _apart(a: list, b: list, before: list, ints: frozenset) -> bool:
    """Whether two indexes of one array (lists of entries) are surely other elements:
    at some position, after entries that are alike and each index one axis (ints or int
    constants), two non-negative int constants that differ, or two ints ``u`` and ``v``
    with ``u = v + c`` (c a nonzero int constant) the last assignment of u in
    ``before``, neither assigned since."""
    for x, y in zip(a, b):
        if not (_one_axis(x, ints) and _one_axis(y, ints)):
            return False
        if isinstance(x, gast.Constant) and isinstance(y, gast.Constant):
            if x.value != y.value and x.value >= 0 and y.value >= 0:
                return True
        elif isinstance(x, gast.Name) and isinstance(y, gast.Name):
            if _offset_of(x.id, y.id, before) or _offset_of(y.id, x.id, before):
                return True
        if not same_tree(x, y):
            return False
    return False


def _one_axis(entry, ints: frozenset) -> bool:
    return (isinstance(entry, gast.Constant) and type(entry.value) is int) or \
        (isinstance(entry, gast.Name) and entry.id in ints)


def _offset_of(u: str, v: str, before: list) -> bool:
    """Whether ``u = v + c`` or ``u = v - c`` (c a nonzero int constant) is the last
    assignment of u among ``before``, with neither u nor v assigned since."""
    for k in range(len(before) - 1, -1, -1):
        stmt = before[k]
        if u in _stores(stmt):
            value = getattr(stmt, "value", None)
            if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                    and isinstance(value, gast.BinOp)
                    and isinstance(value.op, (gast.Add, gast.Sub))):
                return False
            pairs = [(value.left, value.right)]
            if isinstance(value.op, gast.Add):
                pairs.append((value.right, value.left))
            if not any(isinstance(n, gast.Name) and n.id == v and isinstance(c, gast.Constant)
                       and type(c.value) is int and c.value != 0 for n, c in pairs):
                return False
            return not any(v in _stores(s) for s in before[k + 1:])
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            return False
    return False


def keep_unchanged_parts(body: list, bound: dict) -> None:
    """In place: see the module docstring (after 7). ``bound``: the code's global names
    and their objects."""
    if not any(_copies_a_part(stmt) for stmt in statements(body)):
        return   # (the usual case, found without walking every expression)
    loads = {}
    for node in walk(body):
        if node.__class__ is gast.Name and isinstance(node.ctx, gast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
    _keep_unchanged_parts(body, loads, bound)


def _keep_unchanged_parts(block: list, loads: dict, bound: dict) -> None:
    for stmt in block:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                _keep_unchanged_parts(inner, loads, bound)
    i = 0
    while i < len(block) - 2:
        end = _part_put_back(block, i, loads, bound)
        if end is not None:
            block[i].value = block[i].value.func.value   # g[i] of g[i].copy()
            del block[end]
            del block[i + 1]
        i += 1


# NumPy functions that make a new array of their arguments (never a view of one)
_NEW_ARRAY = {np.dot, np.vdot, np.inner, np.outer, np.matmul, np.sum, np.mean}


def _part_put_back(block: list, i: int, loads: dict, bound: dict):
    """The index of ``g[i] += t`` when ``block[i]`` is ``t = g[i].copy()``, the next
    statement ``g[i] = 0.0`` and the ones between neither read nor write g, nor assign
    t or the index's names, and read t only as an operand of arithmetic or an argument
    of a NumPy function that makes a new array; else None."""
    stmt = block[i]
    if not _copies_a_part(stmt):
        return None
    t, part = stmt.targets[0].id, stmt.value.func.value
    g = part.value.id
    index_names = set(name_ids(part.slice))
    clear = block[i + 1]
    if not (isinstance(clear, gast.Assign) and len(clear.targets) == 1
            and _same_part(clear.targets[0], part) and isinstance(clear.value, gast.Constant)
            and clear.value.value == 0.0 and type(clear.value.value) is float):
        return None
    reads = 0
    for k in range(i + 2, len(block)):
        other = block[k]
        if isinstance(other, gast.AugAssign) and isinstance(other.op, gast.Add) \
                and _same_part(other.target, part) and isinstance(other.value, gast.Name) \
                and other.value.id == t:
            return k if reads + 1 == loads.get(t, 0) else None
        if not isinstance(other, (gast.Assign, gast.AugAssign, gast.Expr)):
            return None   # (blocks of their own: not looked into)
        names = {n.id for n in walk(other) if n.__class__ is gast.Name}
        if g in names:
            return None
        stored = {n.id for n in walk(other)
                  if n.__class__ is gast.Name and isinstance(n.ctx, gast.Store)}
        if t in stored or stored & index_names:
            return None
        if t in names:
            uses = sum(1 for n in walk(other) if n.__class__ is gast.Name and n.id == t)
            if uses != sum(1 for n in _copying_operands(other, bound)
                           if n.__class__ is gast.Name and n.id == t):
                return None
            reads += uses
    return None


def _copies_a_part(stmt) -> bool:
    """Whether ``stmt`` is ``t = g[i].copy()``."""
    return (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call)
            and not stmt.value.args and not stmt.value.keywords
            and isinstance(stmt.value.func, gast.Attribute) and stmt.value.func.attr == "copy"
            and isinstance(stmt.value.func.value, gast.Subscript)
            and isinstance(stmt.value.func.value.value, gast.Name))


def _copying_operands(stmt, bound: dict) -> list:
    """The operands in ``stmt`` whose value goes only into a new array: of arithmetic,
    of a NumPy ufunc or of a function of _NEW_ARRAY."""
    out = []
    for node in walk(stmt):
        if isinstance(node, gast.BinOp):
            out += [node.left, node.right]
        elif isinstance(node, gast.UnaryOp):
            out.append(node.operand)
        elif isinstance(node, gast.Call) and not node.keywords \
                and isinstance(node.func, gast.Attribute) \
                and isinstance(node.func.value, gast.Name) \
                and bound.get(node.func.value.id) is np:
            function = getattr(np, node.func.attr, None)
            if function in _NEW_ARRAY or isinstance(function, np.ufunc):
                out += node.args
    return out


def _same_part(a, b) -> bool:
    """Whether two subscripts are the same array and index (loaded or stored)."""
    return isinstance(a, gast.Subscript) and same_tree(a.value, b.value) \
        and same_tree(a.slice, b.slice)


def _earlier_update(stmt, before: list, views: dict):
    """The update of ``stmt``'s element among the element updates just ``before`` it,
    if ``stmt`` can move up to it: neither reads the other's array, nor a name that may
    share its memory (``views``)."""
    array = stmt.target.value.id
    reads = set(name_ids(stmt.value))
    aliases = views.get(array, set())
    for other in reversed(before):
        if not _element_update(other):
            return None
        if same_tree(other.target, stmt.target):
            return None if array in reads or reads & aliases else other
        written = other.target.value.id
        if written in reads or views.get(written, set()) & reads or contains(
                other, gast.Name, lambda n: n.id == array or n.id in aliases):
            return None
    return None


def _element_update(stmt) -> bool:
    return (isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, (gast.Add, gast.Sub))
            and isinstance(stmt.target, gast.Subscript)
            and isinstance(stmt.target.value, gast.Name))


# -- 6. outer products accumulated in loops -------------------------------------------
def batch_outer_products(body, fdef) -> list:
    """See the module docstring. Only the products the shape rewriter made of vectors
    (``.vectors``), of names that no element write changes later."""
    if not any(contains(loop.body, gast.Call, lambda call: getattr(call, "vectors", False))
               for loop in statements(body) if isinstance(loop, gast.For)):
        return body   # nothing to batch in a loop (the usual case): no further walks
    names = set(name_ids(fdef))
    written = {n.value.id for n in walk(fdef)
               if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store)
               and isinstance(n.value, gast.Name)}
    return _batch_block(body, names, written)


def _batch_block(body, names, written) -> list:
    out = []
    for stmt in body:
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _batch_block(getattr(stmt, field), names, written))
        if isinstance(stmt, gast.For):
            before, after, new_body = [], [], []
            collected = {}   # name -> the list collecting it this iteration
            shared = {}      # a list of rows -> the `if rows:` after the loop using it
            for inner in stmt.body:
                found = _accumulated_outer(inner, stmt, written)
                if found is None:
                    if collected:
                        stored = _stores(inner)
                        collected = {k: v for k, v in collected.items() if k not in stored}
                    new_body.append(inner)
                    continue
                target, call = found
                np_name = call.func.value.id
                lists = []
                for arg, suffix in zip(call.args, ("rows", "cols")):
                    if arg.id not in collected:   # the same vector collected once
                        name = _fresh(f"{target}_{suffix}", names)
                        before.append(_assign_list(name))
                        new_body.append(_append(name, arg, inner))
                        collected[arg.id] = name
                    lists.append(collected[arg.id])
                rows, cols = lists

                def stack(lst):   # np.array of equal vectors: np.stack's rows, 4x faster
                    return gast.Call(func=gast.Attribute(value=_name(np_name), attr="array",
                                                         ctx=gast.Load()),
                                     args=[_name(lst)], keywords=[])
                # the rows' matrix is made once for every product that reads them (the
                # adjoints of W @ h and U @ x in an RNN step share g)
                check = shared.get(rows)
                if check is None:
                    stacked = _fresh(f"{rows}_T", names)
                    made = gast.Assign(
                        targets=[gast.Name(id=stacked, ctx=gast.Store(), annotation=None,
                                           type_comment=None)],
                        value=gast.Attribute(value=stack(rows), attr="T", ctx=gast.Load()),
                        type_comment=None)
                    check = shared[rows] = gast.If(test=_name(rows), body=[made], orelse=[])
                    for new in (made, check):
                        new.origin, new.phase = getattr(inner, "origin", None), "adjoint"
                    after.append(check)
                stacked = check.body[0].targets[0].id
                total = gast.BinOp(left=_name(target), op=gast.Add(),
                                   right=gast.BinOp(left=_name(stacked), op=gast.MatMult(),
                                                    right=stack(cols)))
                add = gast.Assign(targets=[gast.Name(id=target, ctx=gast.Store(),
                                                     annotation=None, type_comment=None)],
                                  value=total, type_comment=None)
                check.body.append(add)
                for new in (add, *before):
                    new.origin, new.phase = getattr(inner, "origin", None), "adjoint"
            stmt.body = new_body
            out.extend(before)
            out.append(stmt)
            out.extend(after)
            continue
        out.append(stmt)
    return out


def _accumulated_outer(stmt, loop, written):
    """(X, call) for ``X = X + np.outer(u, v)`` with X used nowhere else in ``loop``."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Add)):
        return None
    target, left, call = stmt.targets[0].id, stmt.value.left, stmt.value.right
    if not (isinstance(left, gast.Name) and left.id == target and isinstance(call, gast.Call)
            and getattr(call, "vectors", False) and len(call.args) == 2
            and all(isinstance(a, gast.Name) and (a.id not in written
                                                  or _fresh_each_turn(a.id, loop, stmt))
                    for a in call.args)):
        return None
    uses = sum(1 for n in walk(loop) if isinstance(n, gast.Name) and n.id == target)
    return (target, call) if uses == 2 else None   # its own store and load only


def _fresh_each_turn(name, loop, outer) -> bool:
    """Whether the vector ``name`` that the statement ``outer`` (of ``loop``'s body)
    reads is a new array each turn, complete by then, and not changed afterwards: the
    body assigns it once, at its top level before ``outer``, a new array
    (``bz = np.zeros((64,), ...)``), writes into its elements only between that and
    ``outer`` (``bz[:H] += bt8``), and otherwise only reads it as an operand of
    arithmetic (``bz @ W``, a new array). The reversed LSTM step's ``bz``: the
    collected vectors are each turn's own arrays, as they were when multiplied."""
    body = loop.body
    if outer not in body:
        return False
    end = body.index(outer)
    start = None
    for k, stmt in enumerate(body):
        uses = [n for n in walk(stmt) if isinstance(n, gast.Name) and n.id == name]
        if not uses:
            continue
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == name:
            if start is not None or k > end or len(uses) != 1 \
                    or not _makes_new_array(stmt.value):
                return False
            start = k
            continue
        if isinstance(stmt, (gast.Assign, gast.AugAssign)) and start is not None \
                and start < k < end and _writes_elements_of(stmt, name) and len(uses) == 1:
            continue
        if k == end:
            continue   # (the outer product: its own reads)
        if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Expr)) and start is not None \
                and k > start and all(_arithmetic_operand(n, stmt) for n in uses):
            continue
        return False
    return start is not None


def _makes_new_array(value) -> bool:
    """``np.zeros(...)``, ``np.zeros_like(...)``, ...: a call making a new array."""
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr in ("zeros", "zeros_like", "empty", "empty_like", "full",
                                "full_like", "ones", "ones_like") \
        and isinstance(value.func.value, gast.Name)


def _writes_elements_of(stmt, name) -> bool:
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
        else getattr(stmt, "target", None)
    return isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) \
        and target.value.id == name and not any(
            isinstance(n, gast.Name) and n.id == name for n in walk(stmt.value)) \
        and not any(isinstance(n, gast.Name) and n.id == name for n in walk(target.slice))


def _arithmetic_operand(node, stmt) -> bool:
    """Whether the read ``node`` in ``stmt`` is an operand of a binary operation (whose
    result is a new array), not a name kept or passed on."""
    return any(isinstance(n, gast.BinOp) and (n.left is node or n.right is node)
               for n in walk(stmt))


def _fresh(base, names) -> str:
    name, k = base, 1
    while name in names:
        k += 1
        name = f"{base}_{k}"
    names.add(name)
    return name


def _name(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def _assign_list(name):
    return gast.Assign(targets=[gast.Name(id=name, ctx=gast.Store(), annotation=None,
                                          type_comment=None)],
                       value=gast.List(elts=[], ctx=gast.Load()), type_comment=None)


def _append(lst, arg, like):
    call = gast.Call(func=gast.Attribute(value=_name(lst), attr="append", ctx=gast.Load()),
                     args=[arg], keywords=[])
    stmt = gast.Expr(value=call)
    stmt.origin, stmt.phase = getattr(like, "origin", None), "adjoint"
    return stmt


# -- 7. names of the results ----------------------------------------------------------
def restore_result_names(fdef: gast.FunctionDef) -> None:
    """Give returned gradients their own names back: copy propagation may have left
    ``return bh_1`` where the gradient of ``x`` is meant; rename it ``bx`` when that
    name is free. ``fdef.preferred`` lists the wanted names, one per result."""
    preferred = getattr(fdef, "preferred", None)
    ret = fdef.body[-1] if fdef.body else None
    if not preferred or not isinstance(ret, gast.Return) or ret.value is None:
        return
    results = ret.value.elts if isinstance(ret.value, gast.Tuple) else [ret.value]
    if len(results) != len(preferred):
        return
    params = {a.id for a in fdef.args.args + fdef.args.kwonlyargs}
    results = [r.args[0] if isinstance(r, gast.Call) and r.args else r   # shaped(bx, x)
               for r in results]
    candidates = [(result, name) for result, name in zip(results, preferred)
                  if isinstance(result, gast.Name) and result.id != name
                  and result.id not in params]
    if not candidates:
        return   # every result has its name already, or is no name (cast_back(...))
    names = name_nodes(fdef)   # (one walk: the names to rename are among them)
    used = {node.id for node in names}
    renames = {}
    for result, name in candidates:
        if name not in used and result.id not in renames:
            renames[result.id] = name
            used.add(name)
    if renames:
        for node in names:
            if node.id in renames:
                node.id = renames[node.id]


# -- 1. constant folding ----------------------------------------------------------
def fold_constants(body: list, only: set = None) -> list:
    """Fold the adjoint statements of ``body`` (only those whose id is in ``only``, if
    given: one pass folds a statement as far as it goes, so a statement needs folding
    again only where copy propagation put a constant in it)."""
    folder = _Folder()
    for stmt in body:
        if getattr(stmt, "phase", None) == "adjoint" or getattr(stmt, "derived", False):
            if (only is None or id(stmt) in only) and _foldable(stmt):
                folder.visit(stmt)
            elif only is not None and isinstance(stmt, (gast.If, gast.For, gast.While)):
                fold_constants(stmt.body, only)
                fold_constants(stmt.orelse, only)
        elif isinstance(stmt, (gast.If, gast.For, gast.While)):
            fold_constants(stmt.body, only)
            fold_constants(stmt.orelse, only)
    return body


def _foldable(stmt) -> bool:
    """Whether ``_Folder`` may change ``stmt``: every fold needs a constant or a negation
    in it. A walk is cheaper than the transformer's visit of every node."""
    return contains(stmt, (gast.Constant, gast.UnaryOp))


def _is_number(node, value=None) -> bool:
    if not isinstance(node, gast.Constant) or isinstance(node.value, bool):
        return False
    if not isinstance(node.value, (int, float)):
        return False
    return value is None or node.value == value


class _Folder(Transformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right, op = node.left, node.right, type(node.op)
        if _is_number(left) and _is_number(right) and op in _FOLD:
            try:
                return gast.Constant(value=_FOLD[op](left.value, right.value), kind=None)
            except (ArithmeticError, ValueError):
                return node
        if op in (gast.Pow, gast.Div) and _is_number(right, 1):
            return left
        if op is gast.Add and _is_number(left, 0) and not _is_number(right):
            return right   # an adjoint that starts at zero: 0.0 + g is g
        if op in (gast.Add, gast.Sub) and _is_number(right, 0) and not _is_number(left):
            return left
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if (isinstance(func, gast.Attribute) and func.attr == "negative"
                and isinstance(func.value, gast.Name) and func.value.id == "np"
                and len(node.args) == 1 and not node.keywords and _is_number(node.args[0])):
            return gast.Constant(value=-node.args[0].value, kind=None)   # np.roll's shift
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.USub):
            if _is_number(node.operand):
                return gast.Constant(value=-node.operand.value, kind=None)
            if isinstance(node.operand, gast.UnaryOp) and isinstance(node.operand.op, gast.USub):
                return node.operand.operand
        return node


# -- 2. copy propagation ------------------------------------------------------------
def _stores(stmt) -> set:
    return read_and_assigned(stmt)[1]


def _rename(tree, copies: dict, stores: set = None, loads: set = None) -> tuple:
    """Reads of a name in ``copies`` inside ``tree`` become reads of its source (a name,
    or a constant: a new Constant node in the read's place), in place. ``stores``, if
    given, learns the names ``tree`` assigns, and ``loads`` those it reads (once
    renamed), in the same walk. (Whether a read was renamed, whether a constant was put
    in.)"""
    if not copies and stores is None and loads is None:
        return False, False
    renamed = constant = False
    AST, Name, Load, Store, Constant = gast.AST, gast.Name, gast.Load, gast.Store, gast.Constant
    stack = [tree]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        attributes = node.__dict__
        if node.__class__ is Name:
            ctx = attributes["ctx"].__class__
            if ctx is Store:
                if stores is not None:
                    stores.add(attributes["id"])
            elif ctx is Load and loads is not None:
                loads.add(attributes["id"])
            if attributes.get("annotation") is None:
                continue   # (nothing inside to rename or store)
        for field in INNER_FIELDS[node.__class__]:   # (not contexts and operators)
            value = attributes.get(field)
            if value.__class__ is list:
                for i, item in enumerate(value):
                    if item.__class__ is Name and item.id in copies \
                            and item.ctx.__class__ is Load:
                        value[i] = item = _source_of(item, copies)
                        renamed = True
                        if item.__class__ is Constant:
                            constant = True
                            continue
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                if value.__class__ is Name and value.id in copies \
                        and value.ctx.__class__ is Load:
                    value = _source_of(value, copies)
                    renamed = True
                    constant = constant or value.__class__ is Constant
                    setattr(node, field, value)
                push(value)
    return renamed, constant


def _copied(node, copies) -> bool:
    return isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) \
        and node.id in copies


def _source_of(node, copies):
    source = copies[node.id]
    if isinstance(source, gast.Constant):
        return gast.Constant(value=source.value, kind=None)
    node.id = source
    return node


def propagate_copies(body: list, copies: dict = None, mutated: set = None,
                     zeroed: set = None, renamed: set = None, memo: dict = None,
                     learned: dict = None) -> list:
    """Replace reads of ``a`` by ``b`` after ``a = b`` while neither is reassigned.

    A compound statement first forgets every copy involving a name it assigns anywhere
    inside (a loop body runs again after its own assignments), then propagates the rest
    into its test and bodies. Arrays that element writes (``a[i] = v``) change keep
    their names: reading one through another name would hide that the two are one
    array, from the reader and from the next differentiation. ``zeroed`` (if given)
    learns the ids of the statements where a constant was put in, ``renamed`` those of
    the statements (not loops or branches) where any read was renamed. ``memo``: the
    (read, assigned) names of statements not changed since they were found (see
    eliminate_dead_code; with ``renamed``, which holds the ids of those changed since):
    a statement that reads none of the copies is not walked. ``learned`` (without
    ``memo``): learns the (read, assigned) names of each statement, as renamed, that
    the pass walked (for the dead-code passes' memo).
    """
    copies = dict(copies or {})
    if mutated is None:
        mutated = {n.targets[0].value.id for n in statements(body)
                   if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Subscript)
                   and isinstance(n.targets[0].value, gast.Name)}
    kept = []
    for stmt in body:
        kept.append(stmt)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            stored = _stores(stmt)
            # an adjoint zero before a loop that each turn ends by resetting to zero is
            # zero at the start of every turn, and after the loop
            steady = {name: value for name, value in copies.items()
                      if name in stored and isinstance(value, gast.Constant)
                      and isinstance(stmt, (gast.For, gast.While))
                      and _reset_at_end(stmt.body, name, value)}
            copies = _forget(copies, stored)
            copies.update(steady)
            for field in ("test", "iter"):
                if getattr(stmt, field, None) is not None and \
                        _rename_expression(stmt, field, copies)[1] and zeroed is not None:
                    zeroed.add(id(stmt))
            stmt.body = propagate_copies(stmt.body, copies, mutated, zeroed,
                                         renamed, memo, learned) or [gast.Pass()]
            stmt.orelse = propagate_copies(stmt.orelse, copies, mutated, zeroed, renamed, memo,
                                           learned)
            continue
        known = memo.get(stmt) if memo is not None and id(stmt) not in renamed \
            and isinstance(stmt, _MEMOIZED) else None   # (not a Pass made since)
        if known is not None and known[0].isdisjoint(copies):
            stored, changed, constant = set(known[1]), False, False   # nothing to rename
        elif isinstance(stmt, gast.Assign):
            stored = set()   # (renaming reads changes no assigned name)
            loads = set() if learned is not None else None
            for target in stmt.targets:
                if isinstance(target, gast.Name):
                    stored.add(target.id)
                else:
                    _rename(target, {}, stored, loads)
            changed, constant = _rename_expression(stmt, "value", copies, stored, loads)
            if loads is not None:
                learned[stmt] = (loads, stored)
        else:
            stored = set()
            loads = set() if learned is not None and isinstance(stmt, _MEMOIZED) else None
            changed, constant = _rename(stmt, copies, stored, loads)
            if loads is not None:
                learned[stmt] = (loads, stored)
        if constant and zeroed is not None:
            zeroed.add(id(stmt))   # ``zeroed``: the statements where a zero was put in
        if changed and renamed is not None:
            renamed.add(id(stmt))
        if (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name)
                and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id == stmt.value.id and not getattr(stmt, "keep", False)):
            kept.pop()   # `bx = bt9` after `bt9 = bx`: bx already holds it
            continue
        copies = _forget(copies, stored)
        if (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name)
                and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id != stmt.value.id
                and not {stmt.targets[0].id, stmt.value.id} & mutated):
            copies[stmt.targets[0].id] = stmt.value.id
        elif (isinstance(stmt, gast.Assign) and getattr(stmt, "phase", None) == "adjoint"
              and isinstance(stmt.targets[0], gast.Name) and _is_number(stmt.value)):
            # an adjoint reset to zero, or a number (in a version, the seed 1.0 times a
            # rule's constant factor: see reverse.seed_factor)
            copies[stmt.targets[0].id] = stmt.value
    return kept


_MEMOIZED = (gast.Assign, gast.AugAssign, gast.Expr)


def _reset_at_end(body: list, name: str, zero) -> bool:
    """Whether every turn of a loop with this ``body`` ends with ``name = zero`` (the
    same constant): its last assignment of ``name`` is that, at the body's top level, and
    no break or continue cuts a turn short."""
    for stmt in reversed(body):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == name:
            value = stmt.value
            return isinstance(value, gast.Constant) and repr(value.value) == repr(zero.value) \
                and not contains(body, (gast.Break, gast.Continue))
        if name in _stores(stmt):
            return False
    return False


def _rename_expression(stmt, field: str, copies: dict, stores: set = None,
                       loads: set = None) -> tuple:
    """``_rename`` of ``stmt.field``, which may itself be a copied name."""
    value = getattr(stmt, field)
    if _copied(value, copies):
        value = _source_of(value, copies)
        setattr(stmt, field, value)
        if loads is not None and value.__class__ is gast.Name:
            loads.add(value.id)
        return True, value.__class__ is gast.Constant
    return _rename(value, copies, stores, loads)


def _forget(copies: dict, names: set) -> dict:
    if names.isdisjoint(copies) and names.isdisjoint(copies.values()):
        return copies   # (nothing to forget: most statements assign a name no copy
        # involves, and rebuilding the table at each made the pass quadratic)
    return {a: b for a, b in copies.items()
            if a not in names and (not isinstance(b, str) or b not in names)}


# -- 3. dead code ---------------------------------------------------------------
def _loads(node) -> set:
    return read_and_assigned(node)[0]


def _through(stmt, live: set, memo: dict) -> None:
    """``live`` (updated in place) before ``stmt`` from ``live`` after it: minus what it
    stores, plus what it reads. ``memo`` keeps each statement's names for the rest of
    the pass (loops are solved by going over their bodies several times)."""
    names = memo.get(stmt)
    if names is None:
        names = memo[stmt] = read_and_assigned(stmt)
    loads, stores = names
    live -= stores
    live |= loads


def _pure(stmt) -> bool:
    if getattr(stmt, "phase", None) == "adjoint":
        return True
    for node in walk(stmt.value):
        if isinstance(node, gast.Call):
            callee = getattr(node, "callee", None)
            if rules.lookup(callee) is None and (not rules.is_nondifferentiable(callee)
                                                 or callee is print):
                return False
            if callee is in_place:   # z op= v raises where NumPy would (a shape it
                return False         # cannot hold), even when z is not read after
    return True


def _removable(stmt, live) -> bool:
    return (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id not in live and not getattr(stmt, "keep", False)
            and _pure(stmt))


def _live_in(body: list, live: set, memo: dict) -> set:
    """Names live before ``body`` when ``live`` are live after it (no rewriting)."""
    live = set(live)
    for stmt in reversed(body):
        if isinstance(stmt, gast.If):
            live = (_live_in(stmt.body, live, memo) | _live_in(stmt.orelse, live, memo)
                    | _loads(stmt.test))
        elif isinstance(stmt, (gast.For, gast.While)):
            live = _loop_head(stmt, live, memo)
        elif not _removable(stmt, live):
            _through(stmt, live, memo)
    return live


def _loop_head(loop, live_after: set, memo: dict) -> set:
    """Names live at a loop's head: after it, in its test or iterable, or in its body
    (but for a ``for`` loop's target, which each turn assigns before its body runs)."""
    header = loop.test if isinstance(loop, gast.While) else loop.iter
    head = set(live_after) | _loads(header)
    assigned = set() if isinstance(loop, gast.While) else set(name_ids(loop.target))
    while True:
        new = head | (_live_in(loop.body, head, memo) - assigned)
        if new == head:
            return head
        head = new


def _idle_range_loop(loop, live_after: set) -> bool:
    """Whether ``loop`` is ``for i in range(n): pass`` with ``i`` read by nobody after
    it (its primal turns left nothing to do, see reverse.recompute): it goes."""
    if not (isinstance(loop, gast.For) and not loop.orelse
            and all(isinstance(s, gast.Pass) for s in loop.body)
            and isinstance(loop.target, gast.Name) and loop.target.id not in live_after):
        return False
    it = loop.iter
    if isinstance(it, gast.Call) and getattr(it, "callee", None) is reversed \
            and len(it.args) == 1 and not it.keywords:
        it = it.args[0]   # (a reversed loop of the adjoint)
    return isinstance(it, gast.Call) and getattr(it, "callee", None) is range \
        and not it.keywords and all(isinstance(a, (gast.Name, gast.Constant)) for a in it.args)


def drop_write_only_lists(body: list, params: set) -> list:
    """Remove ``L.append(v)`` (of a name or a constant) for every local list ``L`` that
    is only ever assigned a list display and appended to: nothing reads it, so its
    items are dead (``L = [v * v for v in x]`` with ``L`` unused). The displays are then
    dead code too."""
    if not _may_write_only(body, params):
        return body
    appends, displays, uses, copies = [], {}, {}, []
    for node in walk(body):
        if isinstance(node, gast.Expr) and _appends_atom(node.value):
            appends.append(node)
        elif isinstance(node, gast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], gast.Name):
            if isinstance(node.value, gast.List):
                displays[node.targets[0].id] = displays.get(node.targets[0].id, 0) + 1
            elif isinstance(node.value, gast.Name):
                copies.append((node.targets[0].id, node.value.id))
        elif isinstance(node, gast.Name):
            uses[node.id] = uses.get(node.id, 0) + 1
    if not appends:
        return body
    for target, source in copies:   # a copy nothing reads is no use (dead code next)
        if uses[target] == 1:
            uses[source] -= 1
    appended = {}
    for stmt in appends:
        name = stmt.value.func.value.id
        appended[name] = appended.get(name, 0) + 1
    # every use of the name is a display's target or an append's list
    dead = {name for name, count in appended.items()
            if name in displays and name not in params
            and uses[name] == count + displays[name]}
    if not dead:
        return body
    drop = {id(stmt) for stmt in appends if stmt.value.func.value.id in dead}
    return _without_statements(body, drop)


def _may_write_only(body: list, params: set) -> bool:
    """Whether some statement of ``body`` is ``L.append(v)`` of a list ``L`` that is not
    a parameter, that some statement assigns a list display and that no statement pops
    (a stack of the adjoint: read): drop_write_only_lists has something to look at.
    Appends, pops and assignments are statements: found without walking every
    expression, as drop_write_only_lists must (it counts every name)."""
    appended, displayed, popped = set(), set(), set()
    for stmt in statements(body):
        if stmt.__class__ is gast.Expr:
            if _appends_atom(stmt.value):
                appended.add(stmt.value.func.value.id)
        elif stmt.__class__ is gast.Assign and len(stmt.targets) == 1:
            value = stmt.value
            if value.__class__ is gast.List and stmt.targets[0].__class__ is gast.Name:
                displayed.add(stmt.targets[0].id)
            elif value.__class__ is gast.Call and value.func.__class__ is gast.Attribute \
                    and value.func.attr == "pop" and value.func.value.__class__ is gast.Name:
                popped.add(value.func.value.id)
    return bool((appended & displayed) - popped - set(params))


def _appends_atom(call) -> bool:
    """Whether ``call`` is ``L.append(v)`` of a name ``L`` and a name or a constant."""
    return (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and call.func.attr == "append" and isinstance(call.func.value, gast.Name)
            and len(call.args) == 1 and not call.keywords
            and isinstance(call.args[0], (gast.Name, gast.Constant)))


def _without_statements(body: list, drop: set) -> list:
    """``body`` without the statements whose ids are in ``drop``, at any depth."""
    kept = []
    for stmt in body:
        if id(stmt) in drop:
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block:
                setattr(stmt, field, _without_statements(block, drop) or (
                    [gast.Pass()] if field == "body" else []))
        kept.append(stmt)
    return kept


def eliminate_dead_code(body: list, live: set = frozenset(), restores: dict = None,
                        memo: dict = None) -> list:
    """Remove assignments nobody reads; loops are solved to a fixed point. Restores
    (``x = stack.pop()``) always stay; ``restores`` (if given) learns for each restored
    name whether any restored value is read. ``memo`` maps statements (not their ids) to their
    (read, assigned) names; a caller may keep it for the next pass, dropping the
    statements it changes in between."""
    live = set(live)
    memo = {} if memo is None else memo   # statement -> its names (_through)
    kept = []
    for stmt in reversed(body):
        if isinstance(stmt, gast.Pass):
            continue
        restored = getattr(stmt, "restores", None)
        if restored is not None and restores is not None:
            restores[restored] = restores.get(restored, False) or restored in live
        if isinstance(stmt, gast.If):
            stmt.body = eliminate_dead_code(stmt.body, live, restores, memo) or [gast.Pass()]
            stmt.orelse = eliminate_dead_code(stmt.orelse, live, restores, memo)
            if all(isinstance(s, gast.Pass) for s in stmt.body + stmt.orelse):
                continue   # both branches came out empty
            live = (_live_in(stmt.body, live, memo) | _live_in(stmt.orelse, live, memo)
                    | _loads(stmt.test))
        elif isinstance(stmt, (gast.For, gast.While)):
            head = _loop_head(stmt, live, memo)
            while True:
                stmt.body = eliminate_dead_code(stmt.body, head, restores, memo) \
                    or [gast.Pass()]
                # what the body left is live at the head: fewer names when a statement
                # reading one went (`m31 = s28 * s` read only by a test that went). The
                # code before the loop is pruned with the head _live_in finds for the
                # pruned loop: with the head of the whole body, the loop kept
                # `m31 = s28 * s` while an enclosing `if` dropped `s28 = ...` (hunt19)
                pruned = _loop_head(stmt, live, memo)
                if pruned == head:
                    break
                head = pruned
            if _idle_range_loop(stmt, live):
                continue
            live = head
        elif _removable(stmt, live) or _adds_zero(stmt):
            continue
        else:
            _through(stmt, live, memo)
        kept.append(stmt)
    kept.reverse()
    return kept


def _adds_zero(stmt) -> bool:
    """``bx[i] += 0.0``: an adjoint that came out zero, added in place (no effect)."""
    return (isinstance(stmt, gast.AugAssign) and isinstance(stmt.op, (gast.Add, gast.Sub))
            and isinstance(stmt.target, gast.Subscript)
            and getattr(stmt, "phase", None) == "adjoint"
            and isinstance(stmt.value, gast.Constant) and stmt.value.value == 0
            and not isinstance(stmt.value.value, bool))
