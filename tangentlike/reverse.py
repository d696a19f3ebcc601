"""reverse: the core language -> a function that computes the adjoint (reverse mode).

Consumes a :class:`~tangentlike.normalize.Normalized` function, its
:class:`~tangentlike.analyze.Activity` and the ``wrt`` parameters. Produces a
``gast.FunctionDef``: the primal statements in order, then the adjoint of each active
statement in reverse order, then ``return`` of the gradients.

Conventions of the generated code:

- ``bx`` holds the adjoint of ``x``. For a variable assigned once outside control flow,
  the first contribution is a plain assignment (``bx = ...``) and later ones accumulate
  (``bx = bx + ...``), never in place, so no adjoint aliases an array being mutated.
- The seed (output cotangent) is a parameter named after the returned value
  (``bloss`` for ``return loss``, ``bout`` otherwise); ``grad`` gives it the default 1.0.
- A value whose adjoint never received a contribution is zero: its statement's adjoint
  is skipped (zero propagation), and a ``wrt`` input that nothing reached gets
  ``zeros_like``.
- The log of a softmax or a sigmoid adds its closed-form derivative to the adjoint of
  the composite's input instead of its rule's (composites.py), and a shift whose
  adjoint is provably zero (the maximum subtracted before a softmax) is a constant
  (invariance.py).

Control flow is reversed structurally:

- ``if c:`` becomes ``if c:`` around the reversed branches (``c`` is read again, so it
  is restored like any other value the adjoint reads).
- ``for i in range(a, b, s):`` becomes ``for i in reversed(range(a, b, s)):``: the
  index is recomputed, not stored.
- ``while c:`` counts its trips; the adjoint runs ``for _ in range(trips):``.
- Variables assigned inside control flow keep one name. Their adjoints start at zero,
  always accumulate, and are reset to zero once the assignment they belong to has
  been reversed. When the adjoint reads such a variable, each assignment pushes the old
  value on ``stack`` and the reversed assignment pops it back, so every adjoint reads
  the value its statement saw. Nothing else is stored: straight-line code keeps no
  stack, and a loop stores only the values its adjoint reads.

Every generated statement carries ``.origin`` (the user's statement) and ``.phase``
(``"primal"`` or ``"adjoint"``) for the comments the emitter writes.
"""
from __future__ import annotations

import builtins
import operator

import gast
import numpy as np

from .naming import (Transformer, contains, name_ids, name_node, name_nodes, read_and_assigned,
                     same_tree,
                     statements, walk)
from . import rules
from .analyze import (Activity, appended, assignments, body_assignments, containers,
                      dependencies, given_sequences, list_variables, reads_low_precision,
                      structured_arguments, through_copies, written)
from .composites import fused_adjoints
from .invariance import single_definitions, zero_adjoint_shifts
from .calls import bind_call, derived_call, is_user_function, refusal_without_rule
from .normalize import BINOPS, UNARYOPS, Normalized
from . import shapeclass
from .shapeclass import (SCALAR, ShapeRewriter, broadcast_static, maybe_zero, shape_classes,
                         shares_shape, static_shape)
from .rules.shapes import add_at_item
from .rules.arithmetic import logistic_times
from .runtime import (add_grads, broadcast_like, cast_back, field_of, in_place, inplace_guard,
                      no_grad, own_copy, require_returned,
                      part_of, require_real_output, require_scalar,
                      require_seed, require_seed_shape, seeded, shaped, unbroadcast,
                      written_part,
                      zero_at, zeros_like)
from .template import clone, instantiate, substituted, list_reader, list_safe, python_number_safe


def reverse(fn: Normalized, activity: Activity, wrt: list, mode: str, name: str,
            as_tuple: bool = False, signature: dict = None,
            stand_ins: dict = None, seed: str = None) -> gast.FunctionDef:
    """Build the adjoint function (see the module docstring). ``mode`` is one of
    ``"grad"``, ``"value_and_grad"`` or ``"vjp"``; with ``as_tuple`` the gradients are
    returned as a tuple even for one ``wrt`` input. ``signature`` gives the shape
    classes of the parameters of a specialized derivative (specialize.py), ``stand_ins``
    stand-ins of their values (shapeclass.stand_ins); ``seed`` the seed's name if free
    (a version's is its generic derivative's: specialize.inline_version needs it)."""
    if not signature:
        return _built(_Reverse(fn, activity, wrt, mode, as_tuple, seed=seed), name)
    taken, temps = set(fn.namer.taken), fn.namer._temps
    lost = set()
    for _ in range(4):
        try:
            return _built(_Reverse(fn, activity, wrt, mode, as_tuple, signature, stand_ins,
                                   carried_shapes=frozenset(lost), seed=seed), name)
        except _CarriedShapeLost as error:
            # a loop turn did not leave this adjoint the array it started with: derive
            # again without assuming so (the names the attempt took are free again,
            # except those it bound to library objects, which stay bound)
            lost.add(error.args[0])
            fn.namer.taken, fn.namer._temps = set(taken) | set(fn.binder.bound), temps
    return _built(_Reverse(fn, activity, wrt, mode, as_tuple, signature, stand_ins,
                           seed=seed), name)


def _built(builder: "_Reverse", name: str) -> gast.FunctionDef:
    """``builder.build(name)``, with the builder's shape rewriter dropped after it: the
    rewriter's closure reads the builder, a reference cycle that kept the whole pass
    (its tables, the trees it made) alive until the collector ran."""
    try:
        return builder.build(name)
    finally:
        builder._rewriter = None


# full reductions: their result is a scalar (_Reverse.scalar_by_construction)
_REDUCTIONS = {"sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "logsumexp",
               "det", "trace", "norm"}


class _CarriedShapeLost(Exception):
    """A reversed loop's turn did not end with an adjoint it assumed to start with an
    array of its value's shape (see _Reverse.loop_carried)."""


# Contexts have no fields and no pass changes one (template._SHARED: copies share them),
# so the names made here share two. (The most frequent nodes the pass makes: see
# naming.name_node.)
_LOAD, _STORE = gast.Load(), gast.Store()


def _load(name):
    return name_node(name, _LOAD)


def _store(name):
    return name_node(name, _STORE)


def return_line(fn, origin, binder) -> list:
    """The arguments after the output of ``require_scalar(out, ...)``: ``source_file,
    lineno`` of the user's return statement ``origin``, which its error names; for a
    derivative derived again (its lines are generated), the user's ``def`` and True,
    the output being a derivative's (forward.forward_gradient has the same check)."""
    filename = fn.parsed.filename
    user_def = getattr(fn.parsed.func, "user_def", None)
    if user_def is not None and filename.startswith("<tangentlike "):
        return [_load(binder.name_for("source_file", user_def[0])),
                gast.Constant(value=user_def[1], kind=None),
                gast.Constant(value=True, kind=None)]
    if origin is None or filename.startswith("<tangentlike "):
        return []
    return [_load(binder.name_for("source_file", filename)),
            gast.Constant(value=origin.lineno, kind=None)]


def carries_nothing(value, carries) -> bool:
    """Whether the output ``value`` of a return (a name, a tuple of names and constants,
    or, stored by an early return, a comparison or `not`) does not depend on the inputs
    in wrt (``carries(name)``): its derivative is zeros, and a truth value or an
    integer there is refused (require_real_output). A number written in the code is not
    checked (``return 0``)."""
    parts = value.elts if isinstance(value, gast.Tuple) else [value]
    if any(isinstance(p, (gast.Compare, gast.BoolOp)) or isinstance(p, gast.UnaryOp)
           and isinstance(p.op, gast.Not) for p in parts):
        return True
    return any(isinstance(p, gast.Name) for p in parts) and all(
        isinstance(p, gast.Constant) and p.value.__class__ is not bool
        or isinstance(p, gast.Name) and not carries(p.id) for p in parts)


def derived_again(fn) -> bool:
    """Whether require_real_output does not check ``fn``'s output: generated code (a
    derivative derived again, at a higher order), whose output is a derivative, or a
    helper derived for its caller's derivative (pipeline: not ``checked``), whose
    caller computes with a truth value or an integer as it likes (`x * mask(x)`)."""
    return fn.parsed.filename.startswith("<tangentlike ") or \
        not getattr(fn, "real_output", True)


def early_return_check(stmt, fn, binder, helper=require_scalar) -> list:
    """``require_scalar(result, file, line)`` after the ``result = v`` of a ``return``
    inside control flow (exits.py), at that return's line, or nothing for the
    function's last ``return``, whose check comes after it. The check at the end names
    the last ``return``, not the one the path took (a ``return x * s`` in a loop was
    reported at the final ``return s``). Reverse and forward mode both place it."""
    origin, last = getattr(stmt, "origin", None), fn.body[-1].origin
    if not (stmt.__class__ is gast.Assign and getattr(stmt, "final_result", False)
            and stmt.targets[0].__class__ is gast.Name) \
            or origin is None or last is None or origin.lineno == last.lineno:
        return []
    args = [_load(stmt.targets[0].id)] + return_line(fn, origin, binder)
    call = gast.Call(func=_load(binder.name_for(helper.__name__, helper)),
                     args=args, keywords=[])
    call.callee = helper
    return [gast.Expr(value=call)]


def _assign(name, value):
    return gast.Assign([_store(name)], value, None)


class _Reverse:
    def __init__(self, fn: Normalized, activity: Activity, wrt: list, mode: str,
                 as_tuple: bool, signature: dict = None, stand_ins: dict = None,
                 carried_shapes: frozenset = None, seed: str = None):
        self.fn, self.activity, self.wrt, self.mode = fn, activity, wrt, mode
        self.seed_wanted = seed
        # A version's adjoints of variables reassigned in loops (not single, not
        # loop-locals): their static shapes are followed through resets, branches and
        # loops too, and a reversed loop assumes that one holding an array of its
        # value's shape on entry holds one at the start of every turn; a turn that does
        # not end so raises _CarriedShapeLost (reverse derives again, not assuming it
        # of the adjoints in ``carried_shapes``). None: not followed.
        self.carried_shapes = carried_shapes
        self.not_assumed = carried_shapes or frozenset()
        self.as_tuple = as_tuple
        self.namer, self.binder = fn.namer, fn.binder
        self.adjoint_names = {}   # primal name -> adjoint name
        self.primal_of = {}       # adjoint name -> primal name
        self.written = set()      # adjoints that hold a value (first write done)
        self.origin = None
        facts = fn.facts.get("reverse")   # (a version's are its first derivation's)
        if facts is None:
            facts = fn.facts["reverse"] = _facts(fn)
        # assigned once, outside control flow; stacks (their adjoints are lists too);
        # assigned once per iteration and read only later in that iteration (adjoints
        # first-written inside the reversed body, never reset); adjoints that may be
        # containers (they accumulate elementwise, add_grads, not with +)
        self.single, self.lists, self.loop_locals, self.containers = (
            set(names) for names in facts[:4])
        self.first_defs = _first_definitions(fn)  # top-level assignments with no old value
        self.classes = shape_classes(   # values that provably share a shape
            fn, signature, [p for p, v in (stand_ins or {}).items()
                            if isinstance(v, np.ndarray) and v.dtype.kind in "iu"])
        # id(statement) -> closed-form adjoint of the log of a softmax or a sigmoid
        # (composites.py)
        self.fused = fused_adjoints(fn)
        # shifts whose adjoint is exactly zero (the max subtracted before a softmax): as
        # if constant (invariance.py)
        dropped = zero_adjoint_shifts(fn, self.ndim)
        if dropped:
            self.activity = Activity(activity.varied - dropped, activity.useful)
        self.specialized = bool(signature)
        self.given = stand_ins or {}   # of the parameters, as the guard checks them
        self.floats = self.numbers = frozenset()   # names surely holding floats (seed_factor)
        self.doubles = frozenset()   # names surely holding float64 arrays (versions)
        self.stand_ins = shapeclass.stand_ins(fn, stand_ins) if stand_ins else {}
        # passed to sum(...), list(...), np.concatenate(...) or a user function: a list
        # there gets a list adjoint, so more contributions add with add_grads too
        self.structured = set(facts[4])
        self.loop_depth = 0
        self.loop_targets = []    # targets of the for loops being reversed (outermost first)
        self.recomputed = set()   # loop-locals read back by index, not saved (recompute)
        self.written_arrays = None   # arrays element writes change (found when needed)
        self.restores = []        # (marker statement, variable) placed in the adjoint
        self.trip_counters = []   # while loops' counters nested in other loops
        self.writes_seen = False  # y[i] = v statements save the elements they overwrite
        self._fresh = None        # fresh array written by element -> its aliases (fresh_aliases)
        self._first_writes = None   # ids of writes into an array just made (first_writes)
        self._rows_written_once = None   # ids of writes of a row read later only (rows_written_once)
        self.zero_padded = set()  # adjoints that may hold the scalar 0.0 (branch pads)
        self.adjoint_static = {}  # adjoint -> static shape of its value (shapeclass.py)
        self.tuple_adjoints = {}  # adjoint -> length of the tuple literal it was given
        self.tuple_parts = {}     # such an adjoint -> static shapes of the tuple's items
        # A version's adjoints that are a smaller value spread over their shape (the
        # adjoints of np.sum and np.mean, `bt = s + np.zeros(S)`, np.full(S, g)),
        # adjoint -> (g, S): elementwise rules may read g (see with_spread_seed).
        self.spread = {}
        # A version's adjoints of a list or tuple display that only sum() reads, when
        # every item has the shape of the sum: adjoint -> g, the sum's adjoint, which
        # each item gets (not spread(g, items) and a part() per item, which read the
        # items' values). See spread_over_display.
        self.spread_items = {}
        # the names that hold the number an adjoint spreads (spread_number)
        self.spread_numbers = set()
        self._displays = None   # such displays: name -> the display (displays_summed)
        # A version's adjoints of array parameters read by index in a loop: they start
        # as zeros of their own, and each element's contribution is added in place
        # (`bw[i] += g`, not a new array per turn). See loop_inits and accumulate.
        self.in_place = set()
        # id of a call of the user's function that may return None -> its check (adjoint_call)
        self.none_checks = {}
        # A version's adjoints that hold an array of their own right now: made fresh in
        # the block being reversed (`bu = bu + add_at_item(g, u, i)`, a new array of u's
        # shape) and read by nothing since, so the next element contributions add in
        # place (`bu[j] += h`). Only within one block: see adjoint and owns.
        self.owned = set()
        self.carried = set()   # of those, the ones a loop starts with (reversed_body)
        self.relied = set()    # owned adjoints changed in place (in the loop reversed)
        self.kept_owned = set()   # of the carried ones, those owned after the loop
        self.reset = set()   # adjoints just reset to zero, nothing added since
        self.branch_depth = 0
        self.seed = None
        self._rewriter = None      # shape_rewriter(), made once
        self._by_class = None      # shape class -> the names of that class (of_class)

    def ndim(self, name: str):
        """The number of dimensions of a value when a version's shapes give it, else None."""
        key = self.classes.get(name)
        return len(key[1]) if key is not None and key[0] == "shape" else None

    def error(self, message, hint=None, node=None):
        where = node if getattr(node, "lineno", None) is not None else self.origin
        return self.fn.parsed.error(message, where, hint)

    def adj(self, name: str) -> str:
        if name not in self.adjoint_names:
            self.adjoint_names[name] = self.namer.adjoint(name)
            self.primal_of[self.adjoint_names[name]] = name
        return self.adjoint_names[name]

    def zero(self, name: str):
        """The zero adjoint of ``name``: [] for a list, the scalar 0.0 otherwise (it
        broadcasts; gradients returned to the user get their input's shape back)."""
        if name in self.lists:
            return gast.List(elts=[], ctx=gast.Load())
        return gast.Constant(value=0.0, kind=None)

    # -- the function -----------------------------------------------------------
    def build(self, name: str) -> gast.FunctionDef:
        body = self.fn.body
        ret = body[-1]
        self.stack = self.namer.fresh("stack")
        # values that carry no derivative (counters, masks, indices) go to a tape of their
        # own: a derivative of this code then sees that what it pops carries none either
        self.no_grad_stack = self.namer.fresh("no_grad_stack")
        self.tapes_used = set()
        mutable = sorted(n for n in self.activity.active
                         if n not in self.single and n not in self.loop_locals)
        self.written.update(self.adj(n) for n in mutable)
        inits = []
        for n in mutable:
            zeros = self.carried_zeros(n, body)
            if zeros is not None:
                self.adjoint_static[self.adj(n)] = self.classes[n]
            inits.append(_assign(self.adj(n), zeros or self.zero(n)))
        seed = self.seed = self.seed_name(ret.value)
        if self.mode == "vjp":
            # a caller's derivative passes the scalar zero as the seed when the result
            # is not used on the path it took (runtime._zero_seed): the rules that need
            # the seed's shape give it the output's (broadcast_like)
            self.zero_padded.add(seed)
        self.origin = ret.origin
        adjoint = self.mark_all(inits + self.seed_outputs(ret.value, seed), ret.origin)
        if self.mode != "vjp" and seed in self.primal_of:
            self.adjoint_static.setdefault(seed, SCALAR)   # grad's seed: a number
        adjoint.extend(self.adjoint_block(body[:-1]))
        unit_seed = self.seed_factor(adjoint, seed)
        saved = self.saved_variables(adjoint)
        primal = self.primal_block(body[:-1], saved)
        if self.carries_nothing(ret.value) and not derived_again(self.fn):
            # (a truth value or an integer NumPy computed: refused at the return line)
            check = gast.Expr(value=gast.Call(
                func=_load(self.binder.name_for("require_real_output", require_real_output)),
                args=[clone(ret.value)] + self.return_line(ret), keywords=[]))
            primal.extend(self.mark_all([check], ret.origin, "primal"))
        if self.mode != "vjp" and not self.scalar_by_construction(ret.value):
            check = gast.Expr(value=gast.Call(
                func=_load(self.binder.name_for("require_scalar", require_scalar)),
                args=[clone(ret.value)] + self.return_line(ret), keywords=[]))
            primal.extend(self.mark_all([check], ret.origin, "primal"))
        if self.mode == "vjp":
            primal.extend(self.mark_all([self.seed_check(ret.value, seed)], ret.origin,
                                        "primal"))
        value = clone(ret.value)
        if self.mode == "value_and_grad" and (set(self.activity.active) - self.single
                                              or saved):
            # the adjoint restores overwritten values: keep the result from before it
            kept = self.namer.fresh("value")
            primal.extend(self.mark_all([_assign(kept, value)], ret.origin, "primal"))
            value = _load(kept)
        self.resolve_restores(saved)
        if saved or self.trip_counters or self.writes_seen:
            setup = [_assign(tape, gast.List(elts=[], ctx=gast.Load()))
                     for tape in (self.stack, self.no_grad_stack) if tape in self.tapes_used]
            defined = {t for t, _, s in body_assignments(self.fn) if id(s) in self.first_defs}
            setup += [_assign(v, gast.Constant(value=None, kind=None))
                      for v in sorted(saved) if v not in self.fn.params and v not in defined]
            primal = self.mark_all(setup, None, "primal") + primal
        self.origin = ret.origin
        self.zeros_first = []
        self.saved, self.arguments_kept = saved, {}
        grads = [self.gradient(p) for p in self.wrt]
        primal = self.mark_all(self.zeros_first, None, "primal") + primal
        if len(grads) == 1 and not self.as_tuple:
            result = grads[0]
        else:
            result = gast.Tuple(elts=grads, ctx=gast.Load())
        scale = []
        if unit_seed:
            scale = [self.scaled_return(
                result, value if self.mode == "value_and_grad" else None, seed)]
            scale[0].phase = "adjoint"   # (its comment says what it is: no user line)
        if self.mode == "value_and_grad":
            result = gast.Tuple(elts=[value, result], ctx=gast.Load())
        out = gast.Return(value=result)
        out.origin, out.phase = ret.origin, "adjoint"
        fdef = self.function(name, seed, _without_dropped(primal + adjoint + scale + [out]))
        preferred = [self.adj(p) for p in self.wrt]
        fdef.preferred = preferred if self.mode != "value_and_grad" else None
        fdef.floats, fdef.numbers, fdef.doubles = self.floats, self.numbers, self.doubles
        # (for optimize.constants_as_arrays: those of at least one axis, never a number)
        fdef.double_arrays = frozenset(name for name in self.doubles
                                       if self.stand_ins[name].ndim)
        # (for optimize.products_by_method: their numbers of axes)
        fdef.double_ranks = {name: self.stand_ins[name].ndim for name in fdef.double_arrays}
        # (for optimize.spread_constants: their shapes)
        fdef.double_shapes = {name: self.stand_ins[name].shape for name in fdef.double_arrays}
        fdef.rows, fdef.ints = self.small_rows()
        # for optimize.gather_items: the names that hold a list or tuple of known length
        fdef.sequences = {name: value for name, value in self.stand_ins.items()
                          if value.__class__ in (list, tuple, dict)}
        return fdef

    def function(self, name, seed, body) -> gast.FunctionDef:
        user = self.fn.parsed.node.args
        posargs = user.posonlyargs + user.args
        params = [gast.Name(id=a.id, ctx=gast.Param(), annotation=None, type_comment=None)
                  for a in posargs]
        defaults = [clone(v) for v in user.defaults]
        seed_param = gast.Name(id=seed, ctx=gast.Param(), annotation=None, type_comment=None)
        if self.mode == "vjp":
            defaults = []   # the seed is required and comes last
            params.append(seed_param)
        else:
            params.append(seed_param)
            defaults.append(gast.Constant(value=1.0, kind=None))
        kwonly = [gast.Name(id=a.id, ctx=gast.Param(), annotation=None, type_comment=None)
                  for a in user.kwonlyargs]
        args = gast.arguments(args=params, posonlyargs=[], vararg=None, kwonlyargs=kwonly,
                              kw_defaults=[clone(v) for v in user.kw_defaults],
                              kwarg=None, defaults=defaults)
        fdef = gast.FunctionDef(name=name, args=args, body=body, decorator_list=[],
                                returns=None, type_comment=None, type_params=[])
        fdef.lineno = self.fn.parsed.node.lineno
        return fdef

    @staticmethod
    def mark_all(stmts, origin, phase="adjoint"):
        for s in stmts:
            s.phase = phase
            if getattr(s, "origin", None) is None:
                s.origin = origin
        return stmts

    def seed_check(self, value, seed: str) -> gast.stmt:
        """``vjp``'s check that the seed is shaped like the output: against the output's
        shape where it is known (a version, or a number), so the output itself need not
        be computed for it; against the output otherwise."""
        key = self.classes.get(value.id) if isinstance(value, gast.Name) else None
        if key == SCALAR or isinstance(value, gast.Constant):
            helper, shape = require_seed_shape, gast.Tuple(elts=[], ctx=gast.Load())
        elif key is not None and key[0] == "shape":
            helper, shape = require_seed_shape, gast.Tuple(
                elts=[gast.Constant(value=n, kind=None) for n in key[1]], ctx=gast.Load())
        else:
            helper, shape = require_seed, clone(value)
        check = gast.Call(func=_load(self.binder.name_for(helper.__name__, helper)),
                          args=[shape, _load(seed)], keywords=[])
        if isinstance(value, gast.Tuple) or helper is require_seed_shape and shape.elts:
            # the adjoint reads the seed's parts: the scalar zero becomes zeros of parts;
            # a version's adjoint has the output's shape: the scalar zero becomes zeros
            # of it (its gradients would be numbers, not shaped like their arguments)
            return _assign(seed, check)
        return gast.Expr(value=check)

    def carries_nothing(self, value) -> bool:
        """Whether the output ``value`` (a name, or a tuple of names and constants)
        does not depend on the inputs in wrt, its derivative zeros whatever they are:
        where a truth value or an integer is returned (require_real_output). A number
        written in the code is not checked (``return 0``)."""
        return carries_nothing(value, lambda name: self.activity.is_active(name))

    def scalar_by_construction(self, value) -> bool:
        """Whether the output is a scalar whatever the inputs: a full reduction
        (``np.sum(x)``), a ``math`` function, or arithmetic on such values. Only other
        outputs need ``grad``'s run-time check that the output is a scalar. A walk with a
        list of names still to see, not recursion: a function of a few hundred lines
        defines its output through as many names (was a RecursionError)."""
        definitions = None
        seen = set()
        pending = [value]
        while pending:
            value = pending.pop()
            if isinstance(value, gast.Constant):
                continue
            if not isinstance(value, gast.Name) or value.id in seen:
                return False
            if self.classes.get(value.id) == SCALAR:
                continue
            seen.add(value.id)
            if definitions is None:
                definitions = {}
                for target, rhs, _ in body_assignments(self.fn):
                    definitions.setdefault(target, []).append(rhs)
            defs = definitions.get(value.id, ())
            if len(defs) != 1:
                return False
            rhs = defs[0]
            if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, gast.MatMult):
                return False   # `@` of numbers is an error, which running the line must raise
            if isinstance(rhs, (gast.BinOp, gast.UnaryOp, gast.Name)):
                pending += [rhs] if isinstance(rhs, gast.Name) else \
                    [rhs.right, rhs.left] if isinstance(rhs, gast.BinOp) else [rhs.operand]
                continue
            if not isinstance(rhs, gast.Call):
                return False
            callee = getattr(rhs, "callee", None)
            if getattr(callee, "__module__", None) == "math" or callee is float:
                continue
            if not (getattr(callee, "__name__", None) in _REDUCTIONS
                    and (getattr(callee, "__module__", None) or "").startswith(("numpy", "scipy"))
                    and not rhs.keywords and len(rhs.args) == 1):
                return False
        return True

    def known_array(self, expr) -> bool:
        """Whether the derivative expression ``expr`` is surely an array (its static
        shape, in a specialized version, has axes)."""
        have = static_shape(expr, self.shape_rewriter())
        return have is not None and have[0] == "shape" and len(have[1]) > 0

    def may_be_list(self, name: str, items=True) -> bool:
        """Whether ``name`` may hold a list or tuple of numbers the caller gave
        (analyze.given_sequences), which a NumPy rule reads as an array: not in a
        version that knows it is an array or a number."""
        if name not in given_sequences(self.fn, items=items):
            return False
        key = self.classes.get(name)
        return key is None or key[0] not in ("shape", "scalar")

    def known_nonzero(self, expr) -> bool:
        """Whether ``expr`` is a name of a number the version knows is not zero (a size,
        ``X.shape[0]``): dividing by it cannot raise."""
        key = self.classes.get(expr.id) if isinstance(expr, gast.Name) else None
        return key is not None and key[:2] == ("scalar", "value") and type(key[2]) is int \
            and key[2] != 0

    def of_class(self, key) -> set:
        """The names whose shape class is ``key`` (to be read, not changed)."""
        if self._by_class is None:
            self._by_class = {}
            for name, k in self.classes.items():
                self._by_class.setdefault(k, set()).add(name)
        return self._by_class.get(key, set())

    def loop_carried(self, name: str) -> bool:
        """Whether the static shape of adjoint ``name`` is followed as a carried one
        (see __init__): of a variable reassigned in loops, of a concrete shape."""
        if self.carried_shapes is None:
            return False
        primal = self.primal_of.get(name)
        key = self.classes.get(primal)
        return primal is not None and key is not None and key[0] == "shape" \
            and primal not in self.single and primal not in self.loop_locals \
            and primal not in self.lists

    def loop_carried_array(self, name: str) -> bool:
        """Whether the loop-carried adjoint ``name`` surely holds an array of its
        value's shape now (not the scalar zero)."""
        return self.loop_carried(name) and \
            self.shape_rewriter().adjoint_shape(name) == self.classes[self.primal_of[name]]

    def carried_static(self) -> dict:
        if self.carried_shapes is None:   # (the generic derivative: none followed)
            return {}
        return {n: k for n, k in self.adjoint_static.items() if self.loop_carried(n)}

    def merge_carried(self, *states):
        """After paths that may be taken or not (branches, a loop's turns or none):
        a carried adjoint keeps its static shape only where every path agrees."""
        for name in set().union(*states):
            if any(state.get(name) != states[0].get(name) for state in states):
                self.adjoint_static.pop(name, None)

    def shape_rewriter(self) -> ShapeRewriter:
        """The rewriter of derivative expressions where shapes are known (one for the
        pass: what it reads of the pass's adjoints, it reads when asked)."""
        if self._rewriter is None:
            self._rewriter = self._make_shape_rewriter()
        return self._rewriter

    def _make_shape_rewriter(self) -> ShapeRewriter:
        primal_of = self.primal_of

        def adjoint_shape(name):
            """What the adjoint ``name`` holds now: the static shape of its last first
            write, if it is first-written in its block (never the scalar zero then)."""
            if name in self.spread_numbers:
                return SCALAR
            if name not in primal_of:
                return None
            primal = primal_of[name]
            known = self.adjoint_static.get(name)
            if known is not None and name not in self.zero_padded and \
                    primal not in self.lists and (primal in self.single or
                                                  primal in self.loop_locals):
                return known
            if known is not None and known == self.classes.get(primal) \
                    and self.loop_carried(name) and name not in self.zero_padded \
                    and name in self.written:
                return known
            return maybe_zero(self.classes.get(primal))
        rewriter = ShapeRewriter(self.classes, self.binder.bound, adjoint_shape,
                                 self.binder.name_for("np", np), self.stand_ins,
                                 self.binder.name_for)
        if self.specialized:
            rewriter.displays = _list_displays(self.fn)
        return rewriter

    # -- seeds and results ----------------------------------------------------------
    def representative(self, name):
        """An expression with the same shape as variable ``name`` that is always at hand:
        a parameter of its shape class that is never reassigned, or 0.0 for a scalar.
        Reading it instead of ``name`` where only the shape matters spares saving and
        even computing ``name``. None when there is none."""
        key = self.classes.get(name)
        if key == SCALAR:
            return gast.Constant(value=0.0, kind=None)
        if key is not None and key[0] == "param" and key[1] in self.single \
                and key[1] != name:
            return _load(key[1])
        if key is not None and key[0] == "shape":   # a specialized derivative
            for param in self.fn.params:
                if self.classes.get(param) == key and param in self.single and param != name:
                    return _load(param)
        return None

    def return_line(self, ret) -> list:
        return return_line(self.fn, ret.origin, self.binder)

    def seed_name(self, value) -> str:
        own = None   # the returned variable's adjoint, if the seed can be it
        if isinstance(value, gast.Name):
            if (value.id not in self.fn.params and value.id in self.single
                    and self.activity.is_active(value.id)):
                own = self.adj(value.id)
        wanted = self.seed_wanted
        if wanted is not None and wanted != own and wanted not in self.fn.namer.taken:
            return self.namer.fresh(wanted)
        return own or self.namer.fresh("bout")

    def seed_outputs(self, value, seed) -> list:
        if isinstance(value, gast.Name):
            if self.adjoint_names.get(value.id) == seed:
                self.written.add(seed)
                return []
            return self.accumulate(value, _load(seed))
        if isinstance(value, gast.Tuple):
            out = []
            for i, elt in enumerate(value.elts):
                item = gast.Subscript(value=_load(seed), slice=gast.Constant(value=i, kind=None),
                                      ctx=gast.Load())
                out.extend(self.accumulate(elt, item))
            return out
        return []

    def seed_factor(self, adjoint: list, seed: str) -> bool:
        """In a version of ``grad`` or ``value_and_grad``, the adjoint is computed for the
        seed 1.0, the seed almost every call has (so ``1.0 * bout * r`` folds to ``r``
        and ``bout * 2 * x`` to ``2.0 * x``), and the gradients are scaled by any other
        seed at the end (``scaled_return``): the adjoint is linear in its seed, through
        loops and branches too. Whether it did (not where the adjoint assigns the seed's
        name: the adjoint of a returned variable that other statements also read)."""
        if self.mode == "vjp" or not self.specialized:
            return False
        found = name_nodes(adjoint, also=(gast.Subscript,))   # (one walk for both)
        nodes = [n for n in found if n.__class__ is gast.Name and n.id == seed]
        if not nodes or any(not isinstance(n.ctx, gast.Load) for n in nodes):
            return False
        if any(n.__class__ is gast.Subscript and n.value.__class__ is gast.Name
               and n.value.id == seed for n in found):
            return False   # (a tuple output, which grad refuses when it runs: `1.0[0]`)
        one = _SeedAsOne(seed, self.shape_rewriter())
        for stmt in adjoint:
            one.visit(stmt)
        # for optimize.fold_constant_factors: the values for which 1.0 * v is v, bit for bit
        # (float arrays, and Python or NumPy float64 numbers: whatever NumPy's casting
        # rules, 1.0 * v and v have one type, and an item of a float array times such
        # a number is the item of the product)
        self.floats = frozenset(name for name, value in self.stand_ins.items()
                                if isinstance(value, float) or (
                                    isinstance(value, np.ndarray) and value.dtype.kind == "f"))
        # (and those of them that are numbers, not arrays: 1.0 * v may be v anywhere)
        self.numbers = frozenset(name for name in self.floats
                                 if isinstance(self.stand_ins[name], float))
        # (for optimize.select_where_shares: the float64 arrays, whose dtype wins over
        # any number's)
        self.doubles = frozenset(name for name in self.floats
                                 if isinstance(self.stand_ins[name], np.ndarray)
                                 and self.stand_ins[name].dtype == np.float64)
        return True

    def small_rows(self) -> tuple:
        """For optimize.split_row_updates, in a version: the adjoints of float64 matrices
        with rows of at most 4 items, mapped to the row length, and the names that
        surely hold ints (loop counters)."""
        rows = {}
        for name, adjoint in self.adjoint_names.items():
            value = self.stand_ins.get(name)
            if isinstance(value, np.ndarray) and value.ndim == 2 \
                    and value.dtype == np.float64 and 1 <= value.shape[1] <= 4:
                rows[adjoint] = value.shape[1]
        ints = frozenset(name for name, value in self.stand_ins.items() if type(value) is int)
        return rows, ints

    def scaled_return(self, grads, value, seed: str) -> gast.stmt:
        """``if bout != 1.0: return seeded(grads, bout)`` (with the value first for
        value_and_grad), before the return of a version whose adjoint is for the seed
        1.0 (seed_factor)."""
        helper = self.binder.name_for("seeded", seeded)
        result = gast.Call(func=_load(helper), args=[clone(grads), _load(seed)], keywords=[])
        if value is not None:
            result = gast.Tuple(elts=[clone(value), result], ctx=gast.Load())
        test = gast.Compare(left=_load(seed), ops=[gast.NotEq()],
                            comparators=[gast.Constant(value=1.0, kind=None)])
        scale = gast.If(test=test, body=[gast.Return(value=result)], orelse=[])
        scale.comment = "the adjoint above is for the seed 1.0: any other scales the gradients"
        return scale

    def gradient(self, param: str):
        value = self.gradient_value(param)
        if param in self.given:
            given = self.given[param]
            if isinstance(given, (np.ndarray, np.generic)) and given.dtype.kind == "f" \
                    and given.dtype != np.float64 or \
                    type(given) is float and self.low_precision_arguments() or \
                    isinstance(given, (np.ndarray, np.generic)) and self.low_precision_given() or \
                    isinstance(given, (list, tuple, dict)) or \
                    isinstance(given, np.generic) or \
                    type(given) is np.ndarray and given.ndim == 0:
                # (a list, tuple or dict: its structure and items as cast_back makes them:
                # np.array(xs) of a list has an array adjoint, a float item a float)
                # A version for a float32 (float16) array or NumPy scalar: its gradient
                # in its dtype, whatever float64 value (a global, a Python float seed)
                # the adjoint met. Float64 versions pay nothing. A Python float beside
                # float32 arguments: a float, not the float32 NumPy's arithmetic makes.
                # A 0-d array's gradient is a 0-d array (its arithmetic makes a NumPy
                # number), a NumPy number's one of its type (the seed may be a float).
                helper = self.binder.name_for("cast_back", cast_back)
                value = gast.Call(func=_load(helper), args=[value, self.like(param)],
                                  keywords=[])
            return value
        if self.adjoint_names.get(param) in self.written:
            # The generic derivative knows no dtypes: a float32 (float16) input gets its
            # gradient in its dtype, whatever float64 value (a global, np.eye(n), a
            # float64 argument) the adjoint met, as a version's gets (above). And a
            # list or tuple argument (never specialized) gets a list (tuple) like it,
            # also where the adjoint is an array with a row per item (np.array(xs)).
            # (zeros_like has the input's dtype and structure already.)
            helper = self.binder.name_for("cast_back", cast_back)
            return gast.Call(func=_load(helper), args=[value, self.like(param)], keywords=[])
        return value

    def gradient_value(self, param: str):
        if self.adjoint_names.get(param) in self.written:
            key = self.classes.get(param)
            known = key is not None and key[0] == "shape" and \
                self.shape_rewriter().adjoint_shape(self.adj(param)) == key
            control_flow = bool(set(self.activity.active) - self.single)
            stack = param in self.containers and not self.surely_array(param) \
                and self.classes.get(param) != SCALAR
            if (control_flow and not known) or (self.specialized and key == SCALAR) or stack:
                # A list read from its end has a stack of the last entries' adjoints.
                # Control flow: a zero that stayed the scalar 0.0 gets the input's shape.
                # A version for a scalar argument: a 0-d array gradient becomes a scalar.
                helper = self.binder.name_for("shaped", shaped)
                call = gast.Call(func=_load(helper), args=[_load(self.adj(param)),
                                                           self.like(param)], keywords=[])
                if not stack and type(self.given.get(param)) in (float, int):
                    # the gradient of a Python number: shaped changes only a 0-d array
                    # (into a NumPy scalar), so the usual number passes one class test,
                    # not a call: ``ba if ba.__class__ is not ndarray else shaped(ba, a)``
                    ndarray = self.binder.name_for("ndarray", np.ndarray)
                    test = gast.Compare(
                        left=gast.Attribute(value=_load(self.adj(param)), attr="__class__",
                                            ctx=gast.Load()),
                        ops=[gast.IsNot()], comparators=[_load(ndarray)])
                    return gast.IfExp(test=test, body=_load(self.adj(param)), orelse=call)
                return call
            return _load(self.adj(param))
        helper = self.binder.name_for("zeros_like", zeros_like)
        zero = gast.Call(func=_load(helper), args=[_load(param)], keywords=[])
        if not self.specialized:
            # (the generic knows no types: zeros_like's 0.0 for NumPy's float64, a
            # Python float too, made the float64 of cast_back, as a version gives it)
            zero = gast.Call(func=_load(self.binder.name_for("cast_back", cast_back)),
                             args=[zero, self.like(param)], keywords=[])
        if param in self.single:
            return zero
        # The function rebinds the parameter (`if c: x = np.sum(x)`) and no derivative
        # reaches it: its zero is made at the top, from the argument itself, not from
        # whatever the name holds at the end (was: a scalar 0.0 for an array argument)
        name = self.namer.fresh(self.adj(param))
        self.zeros_first.append(_assign(name, zero))
        return _load(name)

    def low_precision_given(self) -> bool:
        """Whether the guard vouches for a float32 (float16) array or scalar among the
        arguments or the closure and global arrays the version reads: the gradient of a
        float64 array that only meets it (``np.sum(GF * x)``: ``bx = GF``) is a float32."""
        return any(isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind == "f"
                   and v.dtype.itemsize < 8
                   for given in self.given.values() for v in shapeclass.leaves(given))

    def low_precision_arguments(self) -> bool:
        """Whether some argument of this version is a float32 (float16) array or scalar,
        or may be one: a parameter the version is not specialized to (a list, a bool, a
        default left out) may hold float32 values."""
        args = self.fn.parsed.node.args
        if any(a.id not in self.given for a in args.posonlyargs + args.args + args.kwonlyargs):
            return True
        if reads_low_precision(self.fn):   # (a float32 global, a cast to float32)
            return True
        return any(isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind == "f"
                   and v.dtype.itemsize < 8
                   for given in self.given.values() for v in shapeclass.leaves(given))

    def like(self, param: str):
        """What has ``param``'s type, shape and dtype at the end of the adjoint: the
        parameter itself, or in a version, where the parameter is reassigned, the
        stand-in its guard vouches for (then its last value need not be restored)."""
        if param in self.given and param not in self.single:
            return _load(self.binder.name_for(param + "_like", self.given[param]))
        if param not in self.single and param not in self.saved:
            # The generic derivative of a function that rebinds the parameter where the
            # adjoint does not restore it (`if c: x = np.sin(s)`): the argument as it
            # came, kept at the top (was: the rebound value, a scalar gradient for an
            # array argument, which a second order then reshaped)
            if param not in self.arguments_kept:
                name = self.namer.fresh(param + "_given")
                self.zeros_first.append(_assign(name, _load(param)))
                self.arguments_kept[param] = name
            return _load(self.arguments_kept[param])
        return _load(param)

    # -- accumulation ------------------------------------------------------------
    def accumulate(self, target, value, spread=None) -> list:
        """Statements adding ``value`` to the adjoint of ``target`` (an atom);
        ``spread``: (g, S) when value is g spread over shape S."""
        if not isinstance(target, gast.Name) or target.id not in self.activity.varied:
            return []
        name = self.adj(target.id)
        if self.specialized and value.__class__ is gast.Call \
                and self.spread_over_display(target.id, name, value):
            return []
        fresh = []
        original = value
        if name not in self.written and self.indexed_part(value, target.id) is not None:
            zeros = self.own_zeros(target.id)   # the first of x[i:j]'s contributions
            if zeros is not None:
                self.written.add(name)
                self.in_place.add(name)
                self.adjoint_static[name] = self.classes[target.id]
                fresh = [_assign(name, zeros)]
        if (name not in self.written or name in self.reset) and name not in self.in_place \
                and self.indexed_part(value, target.id) is not None:
            zeros = self.zeros_of(target.id)   # the first contribution since the reset
            if zeros is not None:
                self.written.add(name)
                self.owned.add(name)
                self.adjoint_static[name] = self.classes[target.id]
                fresh = [_assign(name, zeros)]
        self.reset.discard(name)
        if name in self.in_place or name in self.owned and name not in self.spread:
            part = self.indexed_part(value, target.id)
            if part is not None:   # bw[i] += g: the array is this adjoint's own
                g, index = self.one_element(target.id, *part)
                self.relied.add(name)
                return fresh + [gast.AugAssign(
                    target=gast.Subscript(value=_load(name), slice=index, ctx=gast.Store()),
                    op=gast.Add(), value=g)]
        if name in self.written and name not in self.spread \
                and (target.id not in self.structured or self.surely_array(target.id)):
            part = self.indexed_part(value, target.id)
            key = self.classes.get(target.id)
            if part is not None and self.zeros_made(target.id) is not None \
                    and self.shape_rewriter().adjoint_shape(name) == key:
                # bu = bu + add_at_item(g, u, i), an array of u's shape: a copy of bu then
                # bu[i] += g (one pass and no array of zeros fewer; u is not read)
                g, index = self.one_element(target.id, *part)
                copy = gast.Call(func=_load(self.binder.name_for("own_copy", own_copy)),
                                 args=[_load(name)], keywords=[])
                self.owned.add(name)
                self.relied.add(name)
                self.adjoint_static[name] = key
                self.tuple_adjoints.pop(name, None)
                self.tuple_parts.pop(name, None)
                return [_assign(name, copy), gast.AugAssign(
                    target=gast.Subscript(value=_load(name), slice=index, ctx=gast.Store()),
                    op=gast.Add(), value=g)]
        rewriter = self.shape_rewriter()
        shape = static_shape(value, rewriter)
        was_spread = self.spread.pop(name, None)
        kept = []
        if name not in self.written and self.may_be_spread(target.id):
            spread = spread or self.spread_part(target.id, value)
            if spread is not None:
                self.spread[name] = spread
        if name not in self.written and spread is None:
            number = self.spread_number(target.id, value)
            if number is not None:
                # the number as it is now, for the rules that read it instead of the
                # array: the names it reads may change before them (the sum's own
                # adjoint is reset, bs = 0.0)
                number_name = self.namer.fresh(name + "_number")
                self.spread_numbers.add(number_name)
                kept = [_assign(number_name, number)]
                self.spread[name] = (_load(number_name), self.classes[target.id])
        if name in self.written:
            have = rewriter.adjoint_shape(name)
            widened = self.widened(value)
            if widened is not None and have is not None and have[0] == "shape" \
                    and widened[1] == have[1] \
                    and broadcast_static(static_shape(widened[0], rewriter), have) == have:
                value = widened[0]   # added to an array of that shape: no spreading
                shape = static_shape(value, rewriter)
            shape = broadcast_static(have, shape)
            if was_spread is not None and target.id not in self.structured \
                    and not self.loop_depth and static_shape(value, rewriter) == was_spread[1]:
                # the adjoint so far is g spread: value + g is the same array (once: not
                # in a loop, where the adjoint holds more than g from the second turn)
                self.written.add(name)
                self.adjoint_static[name] = was_spread[1]
                return [_assign(name, gast.BinOp(left=value, op=gast.Add(),
                                                 right=clone(was_spread[0])))]
            if target.id in self.structured and not self.surely_array(target.id):
                # may be a tuple or list: add elementwise
                helper = _load(self.binder.name_for("add_grads", add_grads))
                value = gast.Call(func=helper, args=[_load(name), value], keywords=[])
            else:
                value = gast.BinOp(left=_load(name), op=gast.Add(), right=value)
        if self.owns(target.id, value, shape, original):
            self.owned.add(name)
        else:
            self.owned.discard(name)
        self.written.add(name)
        self.adjoint_static[name] = shape
        if isinstance(value, gast.Tuple):   # (the first write: a sum would be add_grads)
            self.tuple_adjoints[name] = len(value.elts)
            self.tuple_parts[name] = [static_shape(elt, rewriter) for elt in value.elts]
        else:
            self.tuple_adjoints.pop(name, None)
            self.tuple_parts.pop(name, None)
        return kept + [_assign(name, value)]

    def spread_over_display(self, primal: str, name: str, value) -> bool:
        """Whether ``value``, the adjoint ``name`` of ``primal``, is ``spread(g, primal)``
        (the adjoint of ``sum(primal)``) of a display ``primal = [a, b]`` that only this
        sum reads, g the final adjoint of a number or of an array of the items' common
        shape: then each item's adjoint gets g (adjoint_assign, spread_items)."""
        if getattr(self.binder.bound.get(getattr(value.func, "id", None)), "__name__",
                   None) != "spread" or len(value.args) != 2 \
                or value.args[1].__class__ is not gast.Name or value.args[1].id != primal \
                or name in self.written:
            return False
        g = value.args[0]
        if g.__class__ is gast.Name:
            origin = self.primal_of.get(g.id)
            if origin is None or origin not in self.single:
                return False   # (an adjoint that may still change)
        elif g.__class__ is not gast.Constant:
            return False
        if self._displays is None:
            self._displays = _displays_summed(self.fn)
        display = self._displays.get(primal)
        if display is None:
            return False
        rewriter = self.shape_rewriter()
        have = static_shape(g, rewriter)
        if have is None or any(static_shape(elt, rewriter) != have for elt in display.elts):
            return False
        self.spread_items[name] = g
        self.written.add(name)
        return True

    def owns(self, primal: str, value, shape, contribution) -> bool:
        """Whether ``adjoint = value`` gives the adjoint of ``primal`` an array nobody
        else holds, into which element contributions may add in place: a version's
        float64 array of ``primal``'s shape made by ``add_at_item(g, primal, i)`` (zeros
        with g at i), by ``adjoint + ...`` or other arithmetic (a new array). Copies
        (``bu = bt``) and adjoints that may be spread, lists or containers are never owned."""
        name = self.adj(primal)
        key = self.classes.get(primal)
        if shape is None and self.indexed_part(contribution, primal) is not None:
            # zeros of primal's shape with the contribution at its index, added to what
            # the adjoint held before
            have = self.shape_rewriter().adjoint_shape(name) if value is not contribution \
                else key
            shape = broadcast_static(have, key) if have is not None else None
        if shape != key or self.zeros_made(primal) is None:
            return False
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) \
                and isinstance(value.left, gast.Name) and value.left.id == name:
            # a new array, unless the adjoint so far may be the scalar zero, which the
            # optimizer drops: then `bz = bz + bt` is `bz = bt`, an array others may hold
            have = self.shape_rewriter().adjoint_shape(name)
            return have == key or _surely_new(value.right) or \
                self.indexed_part(value.right, primal) is not None   # (zeros with g at i)
        if isinstance(value, gast.BinOp) and isinstance(value.op, (
                gast.Add, gast.Sub, gast.Mult, gast.Div)) and _surely_new(value) \
                and name not in self.containers \
                and any(isinstance(n, gast.Name) and self.classes.get(n.id) == key
                        and isinstance(self.stand_ins.get(n.id), np.ndarray)
                        and self.stand_ins[n.id].dtype == np.float64 for n in walk(value)):
            # bx = g * (2.0 * x): arithmetic with a float64 array of x's shape makes a
            # new array of at least float64
            return True
        return self.indexed_part(value, primal) is not None

    def zeros_of(self, primal: str):
        """``np.zeros(S, dtype=float64)`` for the adjoint of ``primal`` when that may be
        an array of the adjoint's own (see owns): in a version, ``primal`` is a float64
        array of the concrete shape S (then so is every adjoint add_at_item makes for it)
        and its adjoint is not spread. None otherwise."""
        made = self.zeros_made(primal)
        if made is None:
            return None
        np_name, shape, dtype_name = made
        zeros = gast.Attribute(value=_load(np_name), attr="zeros", ctx=gast.Load())
        return gast.Call(func=zeros, args=[gast.Constant(value=shape, kind=None)],
                         keywords=[gast.keyword(arg="dtype", value=_load(dtype_name))])

    def zeros_made(self, primal: str):
        """(name of np, S, name of float64) of zeros_of(primal), or None: what tells
        whether there are such zeros without making their nodes (the names bound as
        zeros_of binds them)."""
        stand_in = self.stand_ins.get(primal)
        key = self.classes.get(primal)
        if not self.specialized or not isinstance(stand_in, np.ndarray) \
                or stand_in.ndim == 0 or stand_in.dtype != np.float64 \
                or key != ("shape", stand_in.shape) or not self.surely_array(primal) \
                or self.adj(primal) in self.spread:
            return None
        np_name = self.binder.name_for("np", np)
        dtype = stand_in.dtype
        return np_name, stand_in.shape, self.binder.name_for(str(dtype), dtype)

    # -- the adjoint sweep ----------------------------------------------------------
    def adjoint_block(self, stmts) -> list:
        out = []
        for stmt in reversed(stmts):
            origin = self.origin = getattr(stmt, "origin", None)
            adjoint = self.mark_all(self.adjoint(stmt), origin)
            errstate = getattr(stmt, "errstate", ())
            if errstate:
                for s in adjoint:
                    s.errstate = errstate
            out.extend(adjoint)
        return wrap_errstate(out, self.binder)

    def adjoint(self, stmt) -> list:
        # The adjoint of a statement that assigns u reads bu (split_like(bu) may be a
        # view of it, a copy bv = bu holds it): bu is no longer owned. Both branches of
        # an if start with what the code after it left, and what both leave owned stays
        # so (adjoint_if); a reversed loop's first turn starts with what the code after
        # the loop left, the next ones with what the last turn left, and what the loop
        # kept owned through its turns stays so after it (reversed_body).
        if isinstance(stmt, gast.If):
            self.carried, self.reset = set(), set()
            out = self.adjoint_if(stmt)
            self.reset = set()
            return out
        if isinstance(stmt, (gast.For, gast.While)):
            self.carried = self.owned
            self.owned, self.reset, self.kept_owned = set(), set(), set()
            out = self.adjoint_compound(stmt)
            self.owned, self.reset = self.kept_owned, set()
            return out
        array = self.adjoint_names.get(written(stmt))
        own_write = array in self.owned and array not in self.spread \
            and self.basic_index(stmt.targets[0].slice) is not None
        for target in {t for t, _, _ in assignments([stmt])} | {written(stmt)} - {None}:
            self.owned.discard(self.adjoint_names.get(target))
            self.reset.discard(self.adjoint_names.get(target))
        if written(stmt) is not None:
            return self.adjoint_write(stmt, own_write)
        if isinstance(stmt, gast.Assign):
            out = self.adjoint_assign(stmt)
            target = stmt.targets[0].id
            if target not in self.single:
                if self.activity.is_active(target) and out is not None and \
                        target not in self.loop_locals:
                    out.append(_assign(self.adj(target), self.zero(target)))
                    self.reset.add(self.adj(target))
                    if self.loop_carried(self.adj(target)):
                        self.adjoint_static.pop(self.adj(target), None)   # the zero now
                if id(stmt) not in self.first_defs:
                    out = (out or []) + [self.restore(target)]
            self.owned.discard(self.adjoint_names.get(target))
            return out or []
        if appended(stmt) is not None:
            return self.adjoint_append(stmt)
        return []

    def adjoint_compound(self, stmt) -> list:
        if isinstance(stmt, gast.If):
            return self.adjoint_if(stmt)
        if isinstance(stmt, gast.For):
            return self.adjoint_for(stmt)
        if isinstance(stmt, gast.While):
            return self.adjoint_while(stmt)
        return []

    def adjoint_write(self, stmt, own=False) -> list:
        """``y[i] = v`` -> ``bv += by[i]``; ``by`` is zero at ``i`` before the write; the
        old elements come back from the stack. When ``by`` is an array of its own (see
        owns) and ``i`` a basic index, ``bv`` takes a copy of ``by[i]`` and ``by[i] = 0.0``
        clears it in place."""
        array = written(stmt)
        index = index_expression(self, stmt.targets[0].slice)
        out = []
        last = self.first_write(stmt) and self._first_writes[id(stmt)] \
            or self.row_written_once(stmt)
        if self.activity.is_active(array) and own:
            name = self.adj(array)
            index = self.basic_index(stmt.targets[0].slice)
            value = stmt.value
            if isinstance(value, gast.Name) and value.id in self.activity.varied:
                element = gast.Subscript(value=_load(name), slice=clone(index),
                                         ctx=gast.Load())
                shape = self.element_shape(array, index)
                if shape != () and not last:   # (an element of by is a number, not a view)
                    element = gast.Call(func=gast.Attribute(value=element, attr="copy",
                                                            ctx=gast.Load()),
                                        args=[], keywords=[])
                key = self.classes.get(value.id)
                shaped = element if _fits(key, shape) else gast.Call(
                    func=_load(self.binder.name_for("unbroadcast", unbroadcast)),
                    args=[element, clone(value)], keywords=[])
                out.extend(self.accumulate(value, shaped))
                if shaped is element and out and isinstance(out[-1], gast.Assign) \
                        and out[-1].value is element:   # bv = by[i].copy(): v's shape
                    self.adjoint_static[self.adj(value.id)] = \
                        SCALAR if shape == () else ("shape", shape)
            if not last:   # (else nothing reads by after this: see first_writes)
                out.append(gast.Assign(targets=[gast.Subscript(
                    value=_load(name), slice=clone(index), ctx=gast.Store())],
                    value=gast.Constant(value=0.0, kind=None), type_comment=None))
            self.owned.add(name)
            self.relied.add(name)
        elif self.activity.is_active(array):
            badj = _load(self.adj(array))
            value = stmt.value
            if isinstance(value, gast.Name) and value.id in self.activity.varied:
                part = gast.Call(func=_load(self.binder.name_for("written_part",
                                                                 written_part)),
                                 args=[badj, clone(index)], keywords=[])
                if self.specialized:   # by[i] when by is an array of a known shape
                    part = self.shape_rewriter().visit(part)
                shape = self.element_shape(array, stmt.targets[0].slice)
                # (v of y[i]'s shape: nothing to sum, and v is not read for its shape)
                shaped = part if shape is not None and shape != () and _fits(
                    self.classes.get(value.id), shape) else gast.Call(
                    func=_load(self.binder.name_for("unbroadcast", unbroadcast)),
                    args=[part, clone(value)], keywords=[])
                out.extend(self.accumulate(value, shaped))
            if not last:
                cleared = gast.Call(func=_load(self.binder.name_for("zero_at", zero_at)),
                                    args=[clone(badj), clone(index)], keywords=[])
                out.append(_assign(self.adj(array), cleared))
        restore = gast.Assign(targets=[gast.Subscript(value=_load(array), slice=clone(
            stmt.targets[0].slice), ctx=gast.Store())], value=_pop(self.tape(array)),
            type_comment=None)
        if self.first_write(stmt):
            return out
        restore.keep = True
        self.mark_element_save(restore, array)
        self.writes_seen = True
        return out + [restore]

    def row_written_once(self, stmt) -> bool:
        if self._rows_written_once is None:
            self._rows_written_once = rows_written_once(self.fn.body)
        return id(stmt) in self._rows_written_once

    def first_write(self, stmt) -> bool:
        if self._first_writes is None:
            self._first_writes = first_writes(self.fn.body)
        return id(stmt) in self._first_writes

    def mark_element_save(self, stmt, array) -> None:
        """Tag the save (or restore) of an element of ``array`` for
        optimize.drop_unread_element_saves when ``array`` is fresh (fresh_aliases)."""
        if self._fresh is None:
            self._fresh = fresh_aliases(self.fn, self.stand_ins)
        aliases = self._fresh.get(array)
        if aliases is not None:
            stmt.element_of, stmt.aliases = array, aliases

    def adjoint_append(self, stmt) -> list:
        """``lst.append(v)`` -> ``bv = bv + blst.pop()``: the stack of adjoints unwinds."""
        lst = appended(stmt)
        if not self.activity.is_active(lst):
            return []
        # An element nobody read back has no adjoint entry: the stack is then empty.
        popped = gast.IfExp(test=_load(self.adj(lst)), body=_pop(self.adj(lst)),
                            orelse=gast.Constant(value=0.0, kind=None))
        value = stmt.value.args[0]
        if isinstance(value, gast.Name) and value.id in self.activity.varied:
            part = self.namer.fresh("b" + value.id + "_")
            take = _assign(part, popped)
            take.keep = True   # the pop must happen even if the value turns out unused
            if self.adj(value.id) not in self.written:
                self.zero_padded.add(self.adj(value.id))   # the part may be 0.0
            return [take] + self.accumulate(value, _load(part))
        return [gast.Expr(value=popped)]

    def adjoint_pop(self, stmt) -> list:
        """``v = lst.pop()`` -> ``blst.append(bv)`` (0.0 when v carries nothing)."""
        lst = stmt.value.func.value.id
        target = stmt.targets[0].id
        if not self.activity.is_active(lst):
            return None
        name = self.adj(target)
        value = _load(name) if name in self.written and self.activity.is_active(target) \
            else gast.Constant(value=0.0, kind=None)
        return [_push(self.adj(lst), value)]

    def restore(self, name):
        """A placeholder for ``name = stack.pop()``, kept only if ``name`` is saved."""
        marker = gast.Pass()
        self.restores.append((marker, name))
        return marker

    def adjoint_assign(self, stmt):
        target = stmt.targets[0].id
        if getattr(stmt.value, "callee", None) is list.pop:
            return self.adjoint_pop(stmt)
        if not self.activity.is_active(target) or getattr(stmt, "no_grad", False):
            return None
        result = self.adj(target)
        if result not in self.written:
            return None   # zero adjoint: nothing flows back through this statement
        value = stmt.value
        if isinstance(value, gast.Name):
            if (result in self.zero_padded or target not in self.single) \
                    and self.adj(value.id) not in self.written \
                    and not self.loop_carried_array(result):
                self.zero_padded.add(self.adj(value.id))   # a copy of what may be 0.0
            return self.accumulate(value, _load(result))
        if isinstance(value, (gast.Constant, gast.Attribute)):
            return []   # a constant or a global: nothing to differentiate
        if isinstance(value, (gast.Tuple, gast.List)) and result in self.spread_items:
            out = []   # the items of what sum() read: each gets the sum's adjoint
            for elt in value.elts:
                out.extend(self.accumulate(elt, clone(self.spread_items[result])))
            return out
        if isinstance(value, (gast.Tuple, gast.List)):   # t = (a, b): ba += bt[0], ...
            out = []
            have = static_shape(_load(result), self.shape_rewriter())
            # an adjoint known to be an array with a row per element, or a tuple of one
            # part per element (given in this turn, never reset): bt[0], bt[1], ...
            rows = have is not None and have[0] == "shape" and have[1][:1] == (len(value.elts),) \
                or self.tuple_adjoints.get(result) == len(value.elts) \
                and result not in self.zero_padded \
                and (target in self.single or target in self.loop_locals)
            for i, elt in enumerate(value.elts):
                index = gast.Constant(value=i, kind=None)
                if rows:
                    pass
                elif target in self.lists or isinstance(value, gast.List):
                    # a list's adjoint is a stack that may cover only its last elements
                    index = gast.Constant(value=i - len(value.elts), kind=None)
                if not rows and (target in self.lists or isinstance(value, gast.List)
                                 or result in self.zero_padded or target not in self.single):
                    # a stack of adjoints may be short, an adjoint may still be 0.0
                    item = gast.Call(func=_load(self.binder.name_for("part", part_of)),
                                     args=[_load(result), index], keywords=[])
                    if isinstance(elt, gast.Name):   # then so may the part's adjoint
                        self.zero_padded.add(self.adj(elt.id))
                else:
                    item = gast.Subscript(value=_load(result), slice=index, ctx=gast.Load())
                added = self.accumulate(elt, item)
                out.extend(added)
                parts = self.tuple_parts.get(result) if rows else None
                if parts is not None and added and isinstance(added[-1], gast.Assign) \
                        and added[-1].value is item and parts[i] is not None \
                        and parts[i][0] == "shape":
                    # bv = bt[1], the tuple's item: an array of that item's shape
                    self.adjoint_static[self.adj(elt.id)] = parts[i]
            return out
        if not any(d in self.activity.varied for d in dependencies(value, stmt)):
            # a constant, a non-differentiable function of anything, or a function of
            # constants only (the target varies through another assignment: a value a
            # derivative restores, `t = np.where(mask)` then `t = stack.pop()`)
            return []
        fused = self.fused.get(id(stmt))
        if fused is not None and target in self.single and result not in self.zero_padded:
            return self.adjoint_fused(fused, _load(result))
        primitive, inputs, keywords = primitive_of(self, value)
        rule = rules.lookup(primitive)
        if rule is None and is_user_function(primitive):
            return self.adjoint_call(value, result)
        refusal = refusal_without_rule(self, primitive, value) if rule is None else None
        if refusal is not None:
            raise refusal
        if rule is None or rule.adjoint is None:
            qual = rules.registry.qualified_name(primitive)
            raise self.error(
                f"no derivative rule for `{qual}`", node=value,
                hint=f"register one with @tl.adjoint({qual}) (and @tl.tangent for forward "
                f"mode), declare it constant with tl.nondifferentiable({qual}), or wrap "
                "the call in tl.stop_gradient(...); see docs/custom-rules.md")
        template = rule.adjoint
        bind = bind_arguments(self, rule, template, target, inputs, keywords, value)
        result_param = template.positional[0]
        seed = _load(result)
        maybe_zero_seed = target not in self.single or result in self.zero_padded
        key = self.classes.get(target)
        if key is not None and key[0] == "shape":
            # concrete shapes (a specialized version): the seed's own static shape says
            # whether it may be the scalar zero (also when it is a copy of such an adjoint)
            maybe_zero_seed = static_shape(seed, self.shape_rewriter()) != key
        if maybe_zero_seed and not _elementwise(primitive, inputs, keywords) \
                and not self.fills_array(primitive, inputs):
            # A zero adjoint may still be the scalar 0.0: give it its value's shape.
            helper = self.binder.name_for("broadcast_like", broadcast_like)
            seed = gast.Call(func=_load(helper), args=[seed, _load(target)], keywords=[])
        same_shape = self.of_class(key) if shares_shape(key) else set()
        unbroadcast_name = self.binder.name_for("unbroadcast", unbroadcast)

        def dname(param):   # (instantiate copies it)
            return seed if param == result_param else None

        passes_zero = maybe_zero_seed and _elementwise(primitive, inputs, keywords)

        def write(param, expr):
            target_name = bind[param]
            name = self.adj(target_name.id) if isinstance(target_name, gast.Name) else None
            first = name is not None and name not in self.written
            out = self.accumulate(target_name, expr)
            if passes_zero and first and name in self.written:
                # an elementwise rule passes a seed that is still the scalar zero on as a
                # scalar (0.0 * c): so may this adjoint be, unless its shape is known
                known = self.adjoint_static.get(name)
                if known is None or known[0] not in ("shape", "scalar"):
                    self.zero_padded.add(name)
            return out

        def fits(g, x):
            key = self.classes.get(x)
            if key is None or key[0] != "shape":
                return True   # classes of the generic derivative: equal shapes either way
            have = static_shape(g, self.shape_rewriter())
            return have == key or have == maybe_zero(key)

        reader, operands = list_reader(primitive, inputs)
        may_be_list = self.may_be_list if operands is None else \
            (lambda name: name in operands and self.may_be_list(name))

        def simplify(expr):
            # (the first and third rewrites change only the calls they test for: without
            # one, their walk of the expression would give it back as it is)
            if contains(expr, gast.Call, lambda call: call.func.__class__ is gast.Name
                        and call.func.id == unbroadcast_name):
                expr = drop_unbroadcast(expr, unbroadcast_name, same_shape, fits)
            expr = self.shape_rewriter().visit(expr)
            np_name = self.binder.name_for("np", np)
            broadcast_like_name = self.binder.name_for("broadcast_like", broadcast_like)
            if contains(expr, gast.Call, lambda call: _ShapeOnly.rewrites(
                    call, unbroadcast_name, np_name, broadcast_like_name)):
                expr = _ShapeOnly(unbroadcast_name, np_name, self.representative,
                                  broadcast_like_name).visit(expr)
            if reader is not None:   # (first: `x ** 0.5` of a list is an operator
                # of a list, which python_number_safe would write power(x, 0.5))
                expr = list_safe(expr, may_be_list,
                                 self.binder.name_for(reader.__name__, reader))
            return python_number_safe(expr, self.known_array, np_name, self.binder.name_for,
                                      self.known_nonzero)

        if result in self.spread and primitive in (np.sum, np.mean):
            out = self.reduction_of_spread(result, primitive, inputs, keywords, template, bind,
                                           simplify)
            if out is not None:
                return out
        if result in self.spread and (_elementwise(primitive, inputs, keywords)
                                      or primitive is np.where and not keywords) \
                and primitive not in (np.sum, np.mean):
            out = self.with_spread_seed(result, template, bind, simplify)
            if out is not None:
                return out
        return instantiate(template, bind, dname, write, self.namer.fresh, self.binder.name_for,
                           simplify)

    def adjoint_fused(self, fused, seed) -> list:
        """The closed-form adjoint of the log of a softmax or a sigmoid, or of the square
        of a norm (composites.py), added to the adjoint of its input."""
        if fused.kind == "norm_squared":   # 2 * by * x
            twice = gast.BinOp(gast.Constant(2.0, None), gast.Mult(), seed)
            if self.may_be_list(fused.x):   # a list or tuple the caller gave, which
                # np.linalg.norm reads as an array: NumPy's product reads it so too
                return self.accumulate(_load(fused.x), gast.Call(
                    func=gast.Attribute(_load(self.binder.name_for("np", np)), "multiply",
                                        _LOAD), args=[twice, _load(fused.x)], keywords=[]))
            return self.accumulate(_load(fused.x), gast.BinOp(twice, gast.Mult(),
                                                              _load(fused.x)))
        p = _load(fused.p)
        out = []
        if fused.kind == "log_softmax_item":   # bL put in place, then as log_softmax's
            axis, index = fused.extra
            spread = self.spread.get(seed.id) if isinstance(seed, gast.Name) else None
            stand_in = self.stand_ins.get(fused.p)
            if spread is not None and isinstance(stand_in, np.ndarray) \
                    and stand_in.dtype == np.float64 \
                    and static_shape(spread[0], self.shape_rewriter()) == SCALAR:
                # a number spread over the picked elements (the mean of their logs): the
                # number put at each of them is the same array (float64, as p is), and
                # the spread need not be made
                seed = clone(spread[0])
            else:
                spread = None
            picked = self.namer.fresh("g")
            call = gast.Call(
                func=_load(self.binder.name_for("add_at_item", add_at_item)),
                args=[seed, _load(fused.p), index_expression(self, clone(index))],
                keywords=[])
            if self.specialized and spread is not None:
                # (a number at one element of each row: optimize.spread_over_picks)
                self.shape_rewriter().mark_one_per_row(call)
            out.append(_assign(picked, call))
            seed = _load(picked)
        else:
            axis = fused.extra
        if fused.kind in ("log_softmax", "log_softmax_item"):
            keywords = [gast.keyword("axis", gast.Constant(axis, None)),
                        gast.keyword("keepdims", gast.Constant(True, None))]
            key = self.classes.get(fused.p)
            if key is not None and key[0] == "shape":   # an array: its method (faster)
                total = gast.Call(func=gast.Attribute(seed, "sum", _LOAD), args=[],
                                  keywords=keywords)
            else:
                total = gast.Call(func=gast.Attribute(_load(self.binder.name_for("np", np)),
                                                      "sum", _LOAD),
                                  args=[seed], keywords=keywords)
            value = gast.BinOp(seed, gast.Sub(), gast.BinOp(p, gast.Mult(), total))
        elif fused.kind == "log_sigmoid":   # bL * (1 - p)
            kind, name = fused.extra
            if kind == "u":
                value = gast.BinOp(seed, gast.Mult(), gast.BinOp(_load(name), gast.Mult(), p))
            elif kind == "v":
                value = gast.BinOp(seed, gast.Div(), _load(name))
            else:   # (a helper's sigmoid)
                value = gast.BinOp(seed, gast.Mult(), gast.BinOp(
                    gast.Constant(1, None), gast.Sub(), p))
        else:   # log(1 - p): -bL * p
            value = gast.UnaryOp(gast.USub(), gast.BinOp(seed, gast.Mult(), p))
        name = self.adj(fused.x)
        first = name not in self.written
        out += self.accumulate(_load(fused.x), value)
        key = self.classes.get(fused.p)
        if first and name in self.written and key is not None and key[0] == "shape" \
                and self.classes.get(fused.x) == key:
            # an array of x's shape (the seed is one of p's, the shape of x)
            self.adjoint_static[name] = key
        return out

    # -- spread adjoints (versions) -------------------------------------------------------
    def spread_part(self, primal: str, value):
        """(g, S) when ``value``, the first write of ``primal``'s adjoint, is g spread
        over S, the primal's shape: ``g + np.zeros(S, ...)`` or ``np.full(S, g, ...)``
        (the adjoints of np.sum and np.mean), with g final by now; else None."""
        key = self.classes.get(primal)
        widened = self.widened(value)
        if widened is None or key is None or widened[1] != key[1] \
                or not self.is_steady(widened[0]):
            return None
        have = static_shape(widened[0], self.shape_rewriter())
        if have is None or broadcast_static(have, key) != key:
            return None
        return widened[0], key

    def widened(self, value):
        """(g, S) when ``value`` is ``g + np.zeros(S, ...)`` or ``np.full(S, g, ...)``
        with a constant S: g spread over shape S (how reductions' adjoints write it)."""
        np_name = self.binder.name_for("np", np)

        def np_call(node, name):
            return (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
                    and node.func.attr == name and isinstance(node.func.value, gast.Name)
                    and node.func.value.id == np_name and node.args
                    and isinstance(node.args[0], gast.Constant))

        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) \
                and np_call(value.right, "zeros"):
            return value.left, value.right.args[0].value
        if np_call(value, "full") and len(value.args) == 2:
            return value.args[1], value.args[0].value
        return None

    def sum_of_spread(self, target, expr, full, result, small, key, rewriter, unbroadcast_name):
        """``g * n`` for the contribution ``full`` = ``np.sum(e)`` (or ``unbroadcast(e, x)``)
        to a number ``x`` when ``e`` reads the adjoint ``result`` spread from the number
        ``small`` over the n elements of the shape ``key`` only elementwise, and ``expr``
        (e with ``small`` read instead) is a number ``g``: the sum of n copies of g,
        without making the array (the adjoint of ``t = a + x`` for an array a). float64
        values only (the sum's dtype)."""
        target_key = self.classes.get(target.id) if isinstance(target, gast.Name) else None
        if not (target_key is not None and (target_key == SCALAR or target_key[0] == "shape")
                and isinstance(full, gast.Call) and len(full.args) <= 2
                and (not full.keywords or target_key != SCALAR)
                and isinstance(full.func, (gast.Name, gast.Attribute))):
            return None
        np_name = self.binder.name_for("np", np)
        func = full.func
        if target_key != SCALAR:
            # unbroadcast(e, x) (or e.sum(axis=...)) to an array x that e's shape S
            # broadcasts x to: each of x's elements gets the sum of size(S) / size(x)
            # copies of g
            if broadcast_static(target_key, key) != key or not np.prod(target_key[1]) \
                    or static_shape(full, rewriter) != target_key:
                return None   # (an empty x: no copies to count)
            if isinstance(func, gast.Name) and func.id == unbroadcast_name \
                    and len(full.args) == 2:
                inner = full.args[0]
            elif isinstance(full, gast.Call) and isinstance(func, gast.Attribute) \
                    and func.attr == "sum" and not full.args:
                inner = func.value
            else:
                return None
            if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) \
                    and expr.func.id == unbroadcast_name and len(expr.args) == 2:
                expr = expr.args[0]
        elif isinstance(func, gast.Name):
            if func.id != unbroadcast_name or len(full.args) != 2 \
                    or not same_tree(full.args[1], target):
                return None
            inner = full.args[0]
        elif func.attr == "sum" and isinstance(func.value, gast.Name) \
                and func.value.id == np_name and len(full.args) == 1:
            inner = full.args[0]
        elif func.attr == "sum" and not full.args and not full.keywords:
            inner = func.value   # e.sum(), as a version writes np.sum(e) of an array
        else:
            return None
        if not same_tree(substituted(inner, {result: small}), expr):
            return None
        if _elementwise_shape(inner, rewriter, self.binder.bound, _load(result)) != key \
                or _elementwise_shape(expr, rewriter, self.binder.bound, small) != SCALAR:
            return None
        if not all(getattr(self.stand_ins.get(n.id), "dtype", None) == np.float64
                   for n in walk(inner) if isinstance(n, gast.Name) and n.id in self.stand_ins):
            return None
        if target_key == SCALAR:
            size = gast.Constant(value=float(np.prod(key[1])), kind=None)
            return gast.BinOp(left=clone(expr), op=gast.Mult(), right=size)
        size = gast.Constant(value=float(np.prod(key[1]) // np.prod(target_key[1])), kind=None)
        return gast.Call(func=gast.Attribute(_load(np_name), "full", _LOAD), args=[
            gast.Constant(value=target_key[1], kind=None),
            gast.BinOp(left=clone(expr), op=gast.Mult(), right=size)], keywords=[])

    def spread_number(self, primal: str, value):
        """The number g when ``value``, the first write of ``primal``'s adjoint, is g
        spread over the primal's shape, ``g + np.zeros(S, ...)`` (the adjoint of ``s =
        np.sum(y * y)``), with a g that may change before the adjoint is read (so not
        spread_part's): in a loop's reversed body, of a primal assigned once an
        iteration and read only later in it (its adjoint is first-written in each
        reversed iteration and read in it), or after one, of a primal that may_be_spread.
        The elementwise rules may then read g, kept in a name of its own, instead of the
        array (by = by + bt5_number * 2.0 * y: no array of zeros and no pass over it
        each turn). Else None."""
        key = self.classes.get(primal)
        if not (key is not None and key[0] == "shape" and key[1] and (
                self.specialized and self.loop_depth and primal in self.loop_locals
                or self.may_be_spread(primal))):
            return None
        widened = self.widened(value)
        if widened is None or widened[1] != key[1]:
            return None
        g = widened[0]
        if static_shape(g, self.shape_rewriter()) == SCALAR or g.__class__ is gast.Name \
                and self.classes.get(self.primal_of.get(g.id)) == SCALAR:
            return g   # (the adjoint of a number, as a loop carries it, is a number)
        return None

    def may_be_spread(self, primal: str) -> bool:
        """Whether ``primal``'s adjoint may be kept as a smaller value spread: in a
        version, an array assigned once in straight-line code, so nothing between its
        adjoint's first write and its reads can change that value's names."""
        key = self.classes.get(primal)
        return (self.specialized and not self.loop_depth and not self.branch_depth
                and primal in self.single and key is not None and key[0] == "shape"
                and key != SCALAR)

    def is_steady(self, expr) -> bool:
        """``expr`` is arithmetic, np.expand_dims and np.reshape (or new axes,
        ``g[:, None]``) on constants and on final adjoints (of values assigned once,
        outside control flow)."""
        np_name = self.binder.name_for("np", np)
        axes = set()   # the indices of subscripts that only add axes
        for node in walk(expr):
            if id(node) in axes:
                continue
            if isinstance(node, gast.Subscript):
                parts = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
                if not all(isinstance(p, gast.Constant) and p.value is None
                           or isinstance(p, gast.Slice) and p.lower is p.upper is p.step is None
                           for p in parts):
                    return False
                axes.update(id(n) for n in walk(node.slice))
            elif isinstance(node, gast.Name):
                if node.id == np_name or node.id == self.seed and self.mode != "vjp":
                    continue   # grad's seed: a number, as the output is
                if self.primal_of.get(node.id) not in self.single:
                    return False
            elif isinstance(node, gast.Call):
                if not (isinstance(node.func, gast.Attribute) and not node.keywords
                        and node.func.attr in ("expand_dims", "reshape")
                        and isinstance(node.func.value, gast.Name)
                        and node.func.value.id == np_name
                        and all(isinstance(a, gast.Constant) for a in node.args[1:])):
                    return False
            elif not isinstance(node, (gast.Constant, gast.BinOp, gast.UnaryOp, gast.operator,
                                       gast.unaryop, gast.expr_context, gast.Attribute)):
                return False
        return True

    def reduction_of_spread(self, result, primitive, inputs, keywords, template, bind,
                            simplify):
        """The adjoint of ``y = np.sum(x, axis=a)`` (or np.mean) whose adjoint is a number
        g spread over y's shape: g (for a mean, g over the number of elements averaged)
        spread over x's shape, so the rules after it read that number instead of an
        array made of it (``-np.mean(np.sum(Y * np.log(p), axis=1))``: ``g * Y``, not
        ``np.expand_dims(zeros - g, 1) * Y``). None otherwise (then the plain rule)."""
        small, key_y = self.spread[result]
        if len(inputs) != 1 or not isinstance(inputs[0], gast.Name) \
                or set(keywords) - {"axis", "keepdims"} or key_y[0] != "shape" \
                or static_shape(small, self.shape_rewriter()) != SCALAR:
            return None
        x = inputs[0]
        key_x = self.classes.get(x.id)
        if key_x is None or key_x[0] != "shape" or not key_x[1] or not self.may_be_spread(x.id):
            return None
        g = small
        if primitive is np.mean:
            size_x, size_y = int(np.prod(key_x[1])), int(np.prod(key_y[1]))
            if not size_y or size_x % size_y:
                return None
            g = gast.BinOp(clone(small), gast.Div(),
                           gast.Constant(value=float(size_x // size_y), kind=None))
        writes = []
        body = instantiate(template, bind,
                           lambda p: _load(result) if p == template.positional[0] else None,
                           lambda p, e: writes.append((p, e)) or [],
                           self.namer.fresh, self.binder.name_for, simplify)
        if body or len(writes) != 1:
            return None   # (template temporaries: the plain rule)
        return self.accumulate(bind[writes[0][0]], writes[0][1], (g, key_x))

    def full_float_adjoint(self, primal: str, key, rewriter) -> bool:
        """Whether the adjoint of ``primal`` is written, outside loops or carried by
        them as an array of its value's shape (loop_carried_array), and holds a float64
        array of shape ``key`` (of ``primal``'s own float64 shape): adding a number or a
        smaller array to it gives an array of that shape and dtype, as adding the same
        value spread over ``key`` would."""
        name = self.adj(primal)
        stand_in = self.stand_ins.get(primal)
        return ((not self.loop_depth or self.loop_carried_array(name))
                and name in self.written and name not in self.spread
                and self.classes.get(primal) == key and rewriter.adjoint_shape(name) == key
                and isinstance(stand_in, np.ndarray) and stand_in.dtype == np.float64
                and primal not in self.structured)

    def with_spread_seed(self, result, template, bind, simplify):
        """The rule's statements reading the value g that the adjoint ``result``
        spreads, instead of the array: where a contribution with g still has its
        target's full shape through elementwise arithmetic, it is the same array. One
        that comes out smaller (``g * 100.0``) keeps reading the array, and its target's
        adjoint is spread too. Any other contribution reads the array, as the plain rule
        does. None when the rule has temporaries (then the plain rule)."""
        small, key = self.spread[result]
        result_param = template.positional[0]

        def contributions(seed):
            writes = []
            body = instantiate(template, bind,
                               lambda p: seed if p == result_param else None,
                               lambda p, e: writes.append((p, e)) or [],
                               self.namer.fresh, self.binder.name_for, simplify)
            return None if body else writes   # template temporaries: the plain rule

        with_small, with_array = contributions(small), contributions(_load(result))
        if with_small is None or with_array is None:
            return None
        out = []
        rewriter = self.shape_rewriter()
        unbroadcast_name = self.binder.name_for("unbroadcast", unbroadcast)
        for (param, expr), (_, full) in zip(with_small, with_array):
            target = bind[param]
            summed = self.sum_of_spread(target, expr, full, result, small, key, rewriter,
                                        unbroadcast_name)
            if summed is not None:   # np.sum of g spread over S: g times S's size
                out.append((target, summed, None))
                continue
            if not isinstance(target, gast.Name) or self.classes.get(target.id) != key:
                out.append((target, full, None))
                continue
            if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) \
                    and expr.func.id == unbroadcast_name:
                expr = expr.args[0]   # to the target's own (full) shape: no sum
            shape = _elementwise_shape(expr, rewriter, self.binder.bound, small)
            if shape == key:
                out.append((target, expr, None))
            elif shape is not None and broadcast_static(shape, key) == key \
                    and self.full_float_adjoint(target.id, key, rewriter):
                # added to an adjoint that is a float64 array of the spread's shape
                # already: the same array
                out.append((target, expr, None))
            elif shape is not None and broadcast_static(shape, key) == key \
                    and self.is_steady(expr) and self.may_be_spread(target.id):
                out.append((target, full, (expr, key)))
            else:
                out.append((target, full, None))
        return [s for target, expr, spread in out
                for s in self.accumulate(target, expr, spread)]

    def adjoint_call(self, value, result) -> list:
        """``ba_, bb_ = dgda_b(a, b, by)``: the callee's own derived vjp (calls.py)."""
        site = bind_call(self, value, lambda e: isinstance(e, gast.Name)
                         and e.id in self.activity.varied)
        if not site.active:
            return []
        helper = derived_call(self, site, "vjp", value)
        parts = [self.namer.fresh("b" + site.argument(i).id + "_") for i in site.active]
        call = gast.Call(func=helper, args=[clone(a) for a in site.positional]
                         + [_load(result)],
                         keywords=[gast.keyword(arg=k, value=clone(v))
                                   for k, v in site.keywords.items()])
        if getattr(helper, "returns_nothing", False):
            # a path of the callee returns None: there the primal's caller would compute
            # with None (`h(x) * 2.0`: Python's TypeError); the callee's derivative, run on
            # the same arguments, raises NoNumberReturned at its line, as jvp does
            check = gast.Call(func=_load(self.binder.name_for("require_returned",
                                                              require_returned)),
                              args=[_load(self.primal_of[result]), clone(helper)]
                              + [clone(a) for a in site.positional]
                              + [gast.Constant(value=0.0, kind=None)],
                              keywords=[gast.keyword(arg=k, value=clone(v))
                                        for k, v in site.keywords.items()])
            check.callee = require_returned
            self.none_checks[id(value)] = [gast.Expr(value=check)]
        if len(parts) == 1:   # `bx = dfdx(x, by)[0]`: prints the same on every Python
            out = [_assign(parts[0], gast.Subscript(
                value=call, slice=gast.Constant(value=0, kind=None), ctx=gast.Load()))]
        else:
            target = gast.Tuple(elts=[_store(p) for p in parts], ctx=gast.Store())
            out = [gast.Assign(targets=[target], value=call, type_comment=None)]
        for i, part in zip(site.active, parts):
            out.extend(self.accumulate(site.argument(i), _load(part)))
        return out

    def adjoint_if(self, stmt) -> list:
        before = set(self.written)
        owned_before = set(self.owned)
        carried_before = self.carried_static()
        self.branch_depth += 1
        body = self.adjoint_block(stmt.body)
        after_body, self.written = self.written - self.local_adjoints(stmt.body), set(before)
        owned_body = self.owned - self.local_adjoints(stmt.body)
        # (the else block starts from before the if)
        self.owned, self.reset = owned_before, set()
        carried_body = self.carried_static()
        for name in carried_body:
            del self.adjoint_static[name]
        self.adjoint_static.update(carried_before)
        orelse = self.adjoint_block(stmt.orelse)
        self.merge_carried(carried_body, self.carried_static())
        self.branch_depth -= 1
        after_else = self.written - self.local_adjoints(stmt.orelse)
        # An adjoint first written on one side only is zero on the other.
        for name in sorted(after_body - after_else):
            orelse.append(self.mark_all([_assign(name, self.zero_of_adjoint(name))],
                                        stmt.origin)[0])
        for name in sorted(after_else - after_body):
            body.append(self.mark_all([_assign(name, self.zero_of_adjoint(name))],
                                      stmt.origin)[0])
        self.zero_padded |= after_body ^ after_else
        self.in_place -= after_body ^ after_else   # 0.0 on one side: no array to add into
        self.written = after_body | after_else
        # owned after the if: what both sides leave an array of its own
        self.owned = owned_body & (self.owned - self.local_adjoints(stmt.orelse))
        if not body and not orelse:
            return []
        return [gast.If(test=clone(stmt.test), body=body or [gast.Pass()],
                        orelse=orelse)]

    def zero_of_adjoint(self, adjoint_name):
        return self.zero(self.primal_of[adjoint_name])

    def loop_inits(self, body) -> list:
        """Adjoints that a loop body accumulates into but that have no value yet start
        at zero before the reversed loop (a first write inside it would repeat). The
        body's own loop-locals are first-written in each reversed iteration instead."""
        out = []
        inside = {t for t, _, _ in assignments(body)} & self.loop_locals
        for target, value, stmt in assignments(body):
            if not self.activity.is_active(target):
                continue
            for dep in dependencies(value, stmt):
                if dep in self.activity.varied and dep not in inside:
                    name = self.adj(dep)
                    if name not in self.written:
                        self.written.add(name)
                        zeros = self.own_zeros(dep, body)
                        if zeros is None:
                            self.zero_padded.add(name)
                        else:
                            self.in_place.add(name)
                            self.adjoint_static[name] = self.classes[dep]
                        out.append(_assign(name, zeros or self.zero(dep)))
        return out

    def own_zeros(self, param: str, body=None) -> object:
        """``np.zeros(S, dtype=D)`` for the adjoint of ``param`` when it may be updated in
        place: in a version, an array parameter that is never reassigned (its adjoint is
        then read only as the gradient, so no other name holds its array), read by index
        (in the loop ``body``, if given). None otherwise."""
        stand_in = self.given.get(param)
        if not isinstance(stand_in, np.ndarray) or stand_in.ndim == 0 \
                or stand_in.dtype != np.float64 \
                or param not in self.fn.params or param not in self.single \
                or param in self.lists:
            return None   # (float64: the dtype add_at_item's adjoint would have)
        if body is not None and not any(
                isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
                and value.value.id == param for _, value, _ in assignments(body)):
            return None
        dtype = stand_in.dtype
        np_name = self.binder.name_for("np", np)
        zeros = gast.Attribute(value=_load(np_name), attr="zeros", ctx=gast.Load())
        return gast.Call(func=zeros, args=[gast.Constant(value=stand_in.shape, kind=None)],
                         keywords=[gast.keyword(arg="dtype", value=_load(
                             self.binder.name_for(str(dtype), dtype)))])

    def carried_zeros(self, primal: str, body) -> object:
        """``np.zeros(S, dtype=float64)`` as the first value of the adjoint of
        ``primal`` when a loop of ``body`` sums or averages it whole (``total = total +
        np.sum(h)``), reassigns it, and it is a float64 array of concrete shape S in a
        version: the adjoint enters the reversed loop as an array of its value's shape,
        so each turn adds the sum's adjoint to it as the number it is
        (full_float_adjoint), not first spread into an array of zeros (np.zeros and
        np.result_type per turn). One array of zeros per call instead; None otherwise."""
        stand_in = self.stand_ins.get(primal)
        if self.carried_shapes is None or not isinstance(stand_in, np.ndarray) \
                or stand_in.ndim == 0 or stand_in.dtype != np.float64 \
                or self.classes.get(primal) != ("shape", stand_in.shape) \
                or primal in self.not_assumed or not self.loop_carried(self.adj(primal)) \
                or not any(isinstance(loop, (gast.For, gast.While)) and any(
                    getattr(value, "callee", None) in (np.sum, np.mean)
                    and len(value.args) == 1 and not value.keywords
                    and isinstance(value.args[0], gast.Name) and value.args[0].id == primal
                    for _, value, _ in assignments(loop.body))
                    for loop in statements(body)):
            return None
        np_name = self.binder.name_for("np", np)
        zeros = gast.Attribute(value=_load(np_name), attr="zeros", ctx=gast.Load())
        return gast.Call(func=zeros, args=[gast.Constant(value=stand_in.shape, kind=None)],
                         keywords=[gast.keyword(arg="dtype", value=_load(
                             self.binder.name_for("float64", stand_in.dtype)))])

    def surely_array(self, name: str) -> bool:
        """Whether ``name`` holds an array of a concrete shape on every run (a version's
        shape class says so; lists and tuples get no such class), so its adjoint adds
        with ``+``."""
        key = self.classes.get(name)
        return key is not None and key[0] == "shape" and name not in self.lists

    def fills_array(self, primitive, inputs) -> bool:
        """Whether the rule of ``x[index]`` writes the seed into zeros of x's shape
        (``add_at``), which broadcasts a seed that is still the scalar zero: x is an array
        of a concrete shape (a version), not a list or tuple."""
        if primitive is not operator.getitem or not inputs \
                or not isinstance(inputs[0], gast.Name):
            return False
        key = self.classes.get(inputs[0].id)
        return key is not None and key[0] == "shape" and inputs[0].id not in self.lists

    def indexed_part(self, value, param: str):
        """(g, index) when ``value`` is ``add_at_item(g, param, index)`` (the adjoint of
        ``param[index]``) with a basic index: ints (or names of numbers) and slices."""
        if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
                and self.binder.bound.get(value.func.id) is add_at_item
                and len(value.args) == 3 and not value.keywords
                and isinstance(value.args[1], gast.Name) and value.args[1].id == param):
            return None
        index = value.args[2]
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        subscript = []
        for part in parts:
            if isinstance(part, gast.Call) and isinstance(part.func, gast.Name) \
                    and self.binder.bound.get(part.func.id) is slice and not part.keywords \
                    and len(part.args) <= 3:   # slice(1, None, None): x[1:]
                bounds = list(part.args) + [gast.Constant(value=None, kind=None)] * (
                    3 - len(part.args))
                if not all(self.is_number_name(b) or isinstance(b, gast.Constant) and (
                        b.value is None or type(b.value) is int) for b in bounds):
                    return None
                lower, upper, step = (None if isinstance(b, gast.Constant) and b.value is None
                                      else b for b in bounds)
                part = gast.Slice(lower=lower, upper=upper, step=step)
            elif isinstance(part, gast.Name):
                if not self.is_number_name(part):
                    return None
            elif isinstance(part, gast.Constant):
                items = part.value if isinstance(part.value, tuple) else (part.value,)
                if not all(isinstance(v, (int, slice)) and not isinstance(v, bool)
                           for v in items):
                    return None
            else:
                return None
            subscript.append(part)
        if isinstance(index, gast.Tuple):
            index = gast.Tuple(elts=subscript, ctx=gast.Load())
        else:
            index = subscript[0]
        return value.args[0], index

    def one_element(self, primal: str, g, index) -> tuple:
        """(g, index) of an update ``bu[i:j] += g`` of the adjoint of a vector, written
        ``bu[i] += g[0]`` when the slice holds one element (``u[:1]``, ``u[-1:]``, a
        boundary in a simulation): NumPy adds in place into one element of an array
        in about 2 µs, into a number in 0.1 µs; the same sum."""
        key = self.classes.get(primal)
        if not (isinstance(index, gast.Slice) and key is not None and key[0] == "shape"
                and len(key[1]) == 1 and index.step is None):
            return g, index
        bounds = []
        for bound in (index.lower, index.upper):
            if isinstance(bound, gast.UnaryOp) and isinstance(bound.op, gast.USub) \
                    and isinstance(bound.operand, gast.Constant):
                bound = gast.Constant(value=-bound.operand.value, kind=None)
            if bound is not None and not (isinstance(bound, gast.Constant)
                                          and type(bound.value) is int):
                return g, index
            bounds.append(None if bound is None else bound.value)
        picked = range(key[1][0])[slice(*bounds)]
        if len(picked) != 1:
            return g, index
        have = static_shape(g, self.shape_rewriter())
        if have == ("shape", (1,)):
            g = gast.Subscript(value=g, slice=gast.Constant(value=0, kind=None),
                               ctx=gast.Load())
        elif have != SCALAR:
            return g, index
        return g, gast.Constant(value=picked[0], kind=None)

    def is_number_name(self, node) -> bool:
        key = self.classes.get(node.id) if isinstance(node, gast.Name) else None
        return key is not None and key[0] == "scalar"

    def local_adjoints(self, block) -> set:
        """Adjoints of the block-local variables of ``block``: dead once it is reversed."""
        inside = {t for t, _, _ in assignments(block)} & self.loop_locals
        return {self.adjoint_names.get(n) for n in inside}

    def basic_index(self, index):
        """The index ``y[index]`` of an element write as an expression of basic parts
        (ints, names of numbers, slices bounded by them), or None (see indexed_part)."""
        index = index_expression(self, index)
        probe = gast.Call(func=_load(self.binder.name_for("add_at_item", add_at_item)),
                          args=[gast.Constant(value=0.0, kind=None), _load("_"), index],
                          keywords=[])
        part = self.indexed_part(probe, "_")
        return None if part is None else part[1]

    def element_shape(self, array: str, index):
        """The shape of ``array[index]`` for a basic ``index`` of ints, numbers and
        slices with constant bounds into an array of a concrete shape, or None."""
        key = self.classes.get(array)
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        if key is None or key[0] != "shape" or len(parts) > len(key[1]):
            return None
        if all(isinstance(p, (gast.Name, gast.Constant)) for p in parts):
            return tuple(key[1][len(parts):])

        def bound(node):
            if node is None or isinstance(node, gast.Constant) and node.value is None:
                return None
            if isinstance(node, gast.Constant) and type(node.value) is int:
                return node.value
            raise ValueError

        picks = []
        try:
            for p, size in zip(parts, key[1]):
                if isinstance(p, gast.Slice):
                    picks.append(slice(bound(p.lower), bound(p.upper), bound(p.step)))
                elif isinstance(p, (gast.Name, gast.Constant)) and size:
                    picks.append(0)   # an int: the axis goes
                else:
                    return None
            return np.broadcast_to(np.float64(0.0), key[1])[tuple(picks)].shape
        except (ValueError, IndexError):
            return None

    def reversed_body(self, loop) -> list:
        # The adjoints that are arrays of their own before the reversed loop stay so in
        # its turns (element contributions add in place) if each turn leaves them so;
        # one that a turn changes in place but does not leave so (a copy, the scalar zero
        # of a reset) is made an array of its own again at the end of the turn.
        carried, self.carried = self.carried, set()
        relied, self.relied = self.relied, set()
        self.owned = set(carried)
        # the carried adjoints that hold an array of their value's shape before the loop,
        # assumed to hold one at the start of each turn (checked at the end of the turn)
        on_entry = self.carried_static()
        assumed = {n for n, k in on_entry.items()
                   if k == self.classes[self.primal_of[n]] and n not in self.zero_padded
                   and n in self.written and n not in self.not_assumed}
        for name in set(on_entry) - assumed:   # not assumed: unknown from the turn's start
            del self.adjoint_static[name]
        self.loop_depth += 1
        body = self.adjoint_block(loop.body)
        self.loop_depth -= 1
        np_name = self.binder.name_for("np", np)
        # owned after the loop: what it started with (it may run no turn) and each turn
        # leaves owned, or makes an array of its own again below
        self.kept_owned = carried & (self.owned | self.relied)
        for name in sorted(carried & self.relied - self.owned):
            shape = gast.Constant(value=self.classes[self.primal_of[name]][1], kind=None)
            spread = gast.Call(func=gast.Attribute(value=_load(np_name), attr="broadcast_to",
                                                   ctx=gast.Load()),
                               args=[_load(name), shape], keywords=[])
            body.append(_assign(name, gast.Call(func=gast.Attribute(
                value=_load(np_name), attr="array", ctx=gast.Load()), args=[spread],
                keywords=[])))
            if self.loop_carried(name):
                self.adjoint_static[name] = self.classes[self.primal_of[name]]
        for name in assumed:
            if self.adjoint_static.get(name) != on_entry[name] or name in self.zero_padded \
                    or name not in self.written:
                raise _CarriedShapeLost(name)
        self.merge_carried(on_entry, self.carried_static())   # (the loop may not run)
        self.relied |= relied
        self.written -= self.local_adjoints(loop.body)
        return body

    def adjoint_for(self, stmt) -> list:
        inits = self.loop_inits(stmt.body)
        self.loop_targets.append(stmt.target.id)
        body = self.reversed_body(stmt)
        body = self.recompute(stmt, body) + body
        self.loop_targets.pop()
        index = stmt.target.id
        restore = [self.restore(index)]
        if not body:
            return inits + restore
        if getattr(stmt.iter, "callee", None) is builtins.reversed:   # reversed(range(...))
            iterator = clone(stmt.iter.args[0])
        else:
            reversed_name = _load(self.binder.name_for("reversed", builtins.reversed))
            iterator = gast.Call(func=reversed_name, args=[clone(stmt.iter)],
                                 keywords=[])
            iterator.callee = builtins.reversed
        loop = gast.For(target=_store(index), iter=iterator, body=body, orelse=[],
                        type_comment=None)
        return inits + [loop] + restore

    def adjoint_while(self, stmt) -> list:
        inits = self.loop_inits(stmt.body)
        body = self.reversed_body(stmt)
        stmt.trips = None
        if not body:
            return inits
        counter = stmt.trips = self.namer.fresh("trips")
        out = list(inits)
        if self.loop_depth > 0:
            self.trip_counters.append(counter)
            out.append(_assign(counter, _pop(self.tape(counter))))
        range_name = _load(self.binder.name_for("range", range))
        loop = gast.For(target=_store(self.namer.fresh("_")),
                        iter=gast.Call(func=range_name, args=[_load(counter)], keywords=[]),
                        body=body, orelse=[], type_comment=None)
        return out + [loop]

    # -- the primal sweep ----------------------------------------------------------
    def tape(self, name: str) -> str:
        """The list that saves the values of ``name`` for the adjoint: ``stack`` when it
        carries a derivative (is varied), else ``no_grad_stack`` (a loop's trip count, a
        counter, a mask). Each tape is popped in the reverse order of its pushes."""
        tape = self.stack if name in self.activity.varied else self.no_grad_stack
        self.tapes_used.add(tape)
        return tape

    def saved_variables(self, adjoint) -> set:
        """Variables assigned in control flow whose values the adjoint reads (and does
        not recompute)."""
        candidates = {v for v in self.fn.locals if v not in self.single
                      and v not in self.recomputed}
        if not candidates:   # (straight-line code: no walk of the adjoint)
            return set()
        return candidates.intersection(read_and_assigned(adjoint)[0])

    def recompute(self, loop, body) -> list:
        """Statements that give the reversed ``body`` of a for loop the elements its
        turn read by index (``t3 = w[i]``, ``t7 = x[j:t6]``), read again instead of saved
        at every turn: loop-locals at the top of the loop body, taken from an array
        nothing changes, at an index of loop counters, constants, names assigned once and
        ints computed from those (``t6 = j + n``, recomputed too); and numbers computed in
        one operation from those (``t5 = -p``, ``t7 = np.sin(t6)``)."""
        reads = read_and_assigned(body)[0]
        if self.written_arrays is None:
            self.written_arrays = {written(s) for s in statements(self.fn.body)} - {None}
        steady = (self.single - self.lists - self.written_arrays) | set(self.loop_targets)
        known = set(steady)   # and the loop-locals recomputable so far

        def atom(node):
            return node is None or isinstance(node, gast.Constant) and (
                node.value is None or type(node.value) is int) \
                or isinstance(node, gast.Name) and node.id in known

        def number(node):
            return atom(node) or isinstance(node, gast.Constant) and type(node.value) is float

        final = {}
        if any(written(stmt) is not None for stmt in loop.body):   # (a row of an array)
            if self._fresh is None:
                self._fresh = fresh_aliases(self.fn, self.stand_ins)
            final = rows_read_final(self.fn, loop, self._fresh)
        candidates = []
        for stmt in loop.body:
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)):
                continue
            target, value = stmt.targets[0].id, stmt.value
            if target not in self.loop_locals:
                continue
            if (self.classes.get(target) or ("",))[0] == "scalar" and (
                    isinstance(value, gast.BinOp) and isinstance(
                        value.op, (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Div,
                                   gast.Pow))
                    and number(value.left) and number(value.right)
                    or isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub)
                    and number(value.operand)):
                # an int of counters and sizes, or a number of numbers that stay (-p):
                # recomputed in one operation, cheaper than saved and restored
                candidates.append(stmt)
                known.add(target)
                continue
            if (self.classes.get(target) or ("",))[0] == "scalar" \
                    and isinstance(value, gast.Call) and not value.keywords and value.args \
                    and isinstance(getattr(value, "callee", None), np.ufunc) \
                    and all(number(arg) for arg in value.args):
                # a ufunc of such numbers (np.sin(t6)): about what a save and a restore
                # cost, and then the loop may need no primal turns at all
                candidates.append(stmt)
                known.add(target)
                continue
            if not (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
                    and (value.value.id in steady - set(self.loop_targets)
                         or _final_row(value, final))):
                continue
            index = value.slice
            parts = index.elts if isinstance(index, gast.Tuple) else [index]
            if all(isinstance(p, gast.Constant) and not isinstance(p.value, bool)
                   or isinstance(p, gast.Name) and p.id in known
                   or isinstance(p, gast.Slice) and atom(p.lower) and atom(p.upper)
                   and atom(p.step) for p in parts):
                candidates.append(stmt)
                known.add(target)
        # only those the reversed body reads, and what they read
        needed, out = set(reads), []
        for stmt in reversed(candidates):
            target = stmt.targets[0].id
            if target in needed:
                needed |= read_and_assigned([stmt])[0]
                out.append(stmt)
        out.reverse()
        for stmt in out:
            self.recomputed.add(stmt.targets[0].id)
        copies = [clone(stmt) for stmt in out]
        for stmt in copies:
            if _final_row(stmt.value, final):
                # what restores of the array's elements put back is not what it reads
                # (optimize.drop_unread_element_saves)
                stmt.reads_final = stmt.value.value.id
        return copies

    def primal_block(self, stmts, saved) -> list:
        out = []
        for stmt in stmts:
            for s in self.mark_all(self.primal(stmt, saved), getattr(stmt, "origin", None),
                                   "primal"):
                s.no_grad = getattr(stmt, "no_grad", False)
                s.errstate = getattr(stmt, "errstate", ())
                out.append(s)
        return wrap_errstate(wrap_no_grad(out, self.binder), self.binder)

    def primal(self, stmt, saved) -> list:
        array = written(stmt)
        if array is not None and self.first_write(stmt):
            return [clone(stmt)]   # what it overwrites is never read back (first_writes)
        if array is not None:   # save the elements about to be overwritten
            old = gast.Subscript(value=_load(array), slice=clone(stmt.targets[0].slice),
                                 ctx=gast.Load())
            np_name = self.binder.name_for("np", np)
            saved_copy = gast.Call(func=gast.Attribute(value=_load(np_name), attr="copy",
                                                       ctx=gast.Load()), args=[old], keywords=[])
            push = _push(self.tape(array), saved_copy)
            self.mark_element_save(push, array)
            return [push, clone(stmt)]
        if isinstance(stmt, gast.Assign):
            name = stmt.targets[0].id
            save = [_save(self.tape(name), name)] if name in saved and id(stmt) not in self.first_defs \
                else []
            if self.needless_in_place(stmt.value):
                return save + [_assign(name, clone(stmt.value.args[0]))]
            key = self.classes.get(name)
            if key is not None and key[:2] == ("scalar", "value") and type(key[2]) is int \
                    and (isinstance(stmt.value, gast.Subscript) or getattr(
                        stmt.value, "callee", None) in (np.shape, len, np.size, np.ndim)):
                # a size the version knows (n = X.shape[0]): that int, read once
                return save + [_assign(name, gast.Constant(value=key[2], kind=None))]
            return save + [clone(stmt)] + self.none_checks.get(id(stmt.value), []) \
                + self.early_return_check(stmt)
        if isinstance(stmt, gast.If):
            return [gast.If(test=clone(stmt.test),
                            body=self.primal_block(stmt.body, saved) or [gast.Pass()],
                            orelse=self.primal_block(stmt.orelse, saved))]
        if isinstance(stmt, gast.For):
            save = [_save(self.tape(stmt.target.id), stmt.target.id)] \
                if stmt.target.id in saved else []
            loop = gast.For(target=clone(stmt.target), iter=clone(stmt.iter),
                            body=self.primal_block(stmt.body, saved) or [gast.Pass()],
                            orelse=[], type_comment=None)
            return save + [loop]
        if isinstance(stmt, gast.While):
            counter = stmt.trips
            body = self.primal_block(stmt.body, saved)
            if counter is None:
                return [gast.While(test=clone(stmt.test), body=body, orelse=[])]
            body.append(_assign(counter, gast.BinOp(left=_load(counter), op=gast.Add(),
                                                    right=gast.Constant(value=1, kind=None))))
            out = [_assign(counter, gast.Constant(value=0, kind=None)),
                   gast.While(test=clone(stmt.test), body=body, orelse=[])]
            if counter in self.trip_counters:
                out.append(_push(self.tape(counter), counter))
            return out
        if self.needless_guard(stmt):
            return []
        return [clone(stmt)]

    def early_return_check(self, stmt) -> list:
        if not getattr(stmt, "final_result", False):
            return []
        if self.mode == "vjp" or self.scalar_by_construction(stmt.targets[0]):
            # (a truth value or an integer returned there: refused at that return)
            if not self.carries_nothing(stmt.value) or derived_again(self.fn):
                return []
            return early_return_check(stmt, self.fn, self.binder, require_real_output)
        return early_return_check(stmt, self.fn, self.binder)

    def needless_guard(self, stmt) -> bool:
        """Whether ``stmt`` is an ``inplace_guard(value, ..., *others)`` that cannot fire:
        in a version, every one of ``others`` is a number, which shares no memory with
        the array written (``th = s[i, 0]`` of a 2-D ``s`` is a copy of the element)."""
        call = stmt.value if isinstance(stmt, gast.Expr) else None
        if getattr(call, "callee", None) is not inplace_guard:
            return False
        others = call.args[5:]
        return bool(others) and all(isinstance(o, gast.Name) and _holds_no_reference(
            self.stand_ins.get(o.id)) for o in others)

    def needless_in_place(self, value) -> bool:
        """Whether ``in_place(t, z)`` is t: z is a number, or (in a version) t is an
        array of z's dtype and shape."""
        if getattr(value, "callee", None) is not in_place \
                or not all(isinstance(a, gast.Name) for a in value.args):
            return False
        t, z = (a.id for a in value.args)
        if self.classes.get(z) == SCALAR:
            return True
        t_like, z_like = self.stand_ins.get(t), self.stand_ins.get(z)
        if z_like is not None and not isinstance(z_like, np.ndarray):
            return True
        key = self.classes.get(z)
        return isinstance(t_like, np.ndarray) and isinstance(z_like, np.ndarray) \
            and t_like.dtype == z_like.dtype and key is not None and key[0] == "shape" \
            and self.classes.get(t) == key

    def resolve_restores(self, saved):
        for marker, name in self.restores:
            if name in saved:
                pop = _assign(name, _pop(self.tape(name)))
                marker.__class__ = gast.Assign
                marker.__dict__.update(pop.__dict__)
                marker.keep = True
                marker.restores = name   # optimize.drop_unread_saves pairs it with _save
            else:
                marker.drop = True

def primitive_of(pass_, value):
    """(primitive object, positional input expressions, keyword expressions) of a value
    of the core language. ``pass_`` provides ``error`` and ``binder``."""
    if isinstance(value, gast.BinOp):
        return BINOPS[type(value.op)], [value.left, value.right], {}
    if isinstance(value, gast.UnaryOp):
        return UNARYOPS[type(value.op)], [value.operand], {}
    if isinstance(value, gast.Call):
        return value.callee, list(value.args), {k.arg: k.value for k in value.keywords}
    if isinstance(value, gast.Subscript):
        return operator.getitem, [value.value, index_expression(pass_, value.slice)], {}
    if isinstance(value, (gast.Tuple, gast.List)):
        raise pass_.error("differentiating through a tuple or list literal is not "
                          "supported yet", hint="use np.stack or separate variables")
    raise pass_.error(f"cannot differentiate a `{type(value).__name__}` expression")


def index_expression(pass_, index):
    """A subscript's index as an ordinary expression (slices become slice(...))."""
    if isinstance(index, gast.Slice):
        parts = [p if p is not None else gast.Constant(value=None, kind=None)
                 for p in (index.lower, index.upper, index.step)]
        func = _load(pass_.binder.name_for("slice", builtins.slice))
        return gast.Call(func=func, args=parts, keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[index_expression(pass_, e) for e in index.elts],
                          ctx=gast.Load())
    return index


def _keyword_node(call, key):
    """The keyword ``key=`` of ``call`` (errors about a keyword name its own line, also
    on a continuation line of the call), else the call itself."""
    for kw in getattr(call, "keywords", ()):
        if kw.arg == key and getattr(kw, "lineno", None) is not None:
            return kw
    return call


def bind_arguments(pass_, rule, template, target, inputs, keywords, call=None) -> dict:
    """Map a template's parameters to the call's result and argument expressions
    (``call``, the call itself, for the line of an error about one of its keywords)."""
    names = template.names[1:]
    if len(inputs) > len(names):
        raise pass_.error(f"`{rule.name}` is called with more positional arguments than "
                          "its rule supports")
    bind = {template.positional[0]: _load(target)}
    bind.update(zip(names, inputs))
    for key, value in keywords.items():
        if key not in names:
            raise pass_.error(f"the keyword `{key}` of `{rule.name}` is not supported",
                              hint="call it without that keyword",
                              node=_keyword_node(call, key))
        bind[key] = value
    for key, default in template.keywords.items():
        if key not in bind:
            bind[key] = gast.Constant(value=default, kind=None)
            bind[key].from_default = True
        elif key not in template.read_names and not (   # (read for a keyword given only)
                isinstance(bind[key], gast.Constant) and bind[key].value == default):
            raise pass_.error(f"the keyword `{key}` of `{rule.name}` is not supported",
                              hint="call it without that keyword",
                              node=_keyword_node(call, key))
    missing = [n for n in template.positional[1:] if n not in bind]
    if missing:
        given = len(inputs) + sum(1 for k in keywords if k in names)
        needed = len(template.positional) - 1
        raise pass_.error(f"`{rule.name}` is called with {given} argument(s), but tangentlike "
                          f"differentiates it only when called with {needed}")
    return bind


def wrap_no_grad(stmts: list, binder) -> list:
    """Put runs of statements from ``with tl.no_grad():`` back in such a block, so that
    differentiating the generated code again treats them as constants too."""
    out, run = [], []
    for stmt in stmts + [None]:
        if stmt is not None and getattr(stmt, "no_grad", False) and (not run or getattr(
                stmt, "errstate", ()) == getattr(run[0], "errstate", ())):
            run.append(stmt)
            continue
        if run:
            ctx = gast.Call(func=_load(binder.name_for("no_grad", no_grad)), args=[],
                            keywords=[])
            block = gast.With(items=[gast.withitem(context_expr=ctx, optional_vars=None)],
                              body=run, type_comment=None)
            block.origin, block.phase = run[0].origin, run[0].phase
            block.errstate = getattr(run[0], "errstate", ())   # (wrap_errstate)
            out.append(block)
            run = []
        if stmt is not None and getattr(stmt, "no_grad", False):
            run.append(stmt)   # (a run under other np.errstate settings)
        elif stmt is not None:
            out.append(stmt)
    return out


def wrap_errstate(stmts: list, binder) -> list:
    """Put runs of statements from ``with np.errstate(...):`` (normalize marks them with
    its settings) back in such a block, the primal statements and their derivative's
    alike: what the user silenced stays silent in the derivative, and differentiating
    the generated code again keeps the block. A block inside one of the same settings
    (the body of an ``if`` in it) is written once."""
    if not any(getattr(s, "errstate", ()) for s in stmts):
        return stmts
    out, run, state = [], [], ()
    for stmt in stmts + [None]:
        now = getattr(stmt, "errstate", ()) if stmt is not None else ()
        if run and now != state:
            call = gast.Call(func=gast.Attribute(value=_load(binder.name_for("np", np)),
                                                 attr="errstate", ctx=gast.Load()),
                             args=[], keywords=[gast.keyword(arg=k, value=gast.Constant(
                                 value=v, kind=None)) for k, v in state])
            block = gast.With(items=[gast.withitem(context_expr=call, optional_vars=None)],
                              body=_without_errstate(run, state), type_comment=None)
            block.origin, block.phase = run[0].origin, getattr(run[0], "phase", None)
            block.errstate_block = state
            block.no_grad = all(getattr(s, "no_grad", False) for s in run)
            out.append(block)
            run = []
        if stmt is None:
            break
        if now:
            run.append(stmt)
            state = now
        else:
            out.append(stmt)
    return out


def _without_errstate(stmts: list, state: tuple) -> list:
    """``stmts`` with the ``with np.errstate(...)`` blocks of the settings ``state``
    inside them (made for the blocks of an ``if`` or a loop) written as their bodies."""
    out = []
    for stmt in stmts:
        if getattr(stmt, "errstate_block", None) == state:
            out.extend(_without_errstate(stmt.body, state))
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                setattr(stmt, field, _without_errstate(block, state))
        out.append(stmt)
    return out


def _elementwise(primitive, inputs, keywords) -> bool:
    """Rules whose adjoint broadcasts a scalar zero d[result] correctly."""
    if primitive in (operator.matmul, np.matmul):
        return False
    if primitive is in_place:   # d[t] = d[y]: a scalar zero passes as it is
        return True
    if primitive in (np.sum, np.mean):   # full reductions only (not along an axis)
        return len(inputs) == 1 and "axis" not in keywords
    return (primitive in BINOPS.values() or primitive in UNARYOPS.values()
            or isinstance(primitive, np.ufunc)
            or getattr(primitive, "__module__", None) == "math")


def _elementwise_shape(expr, rewriter, bound, seed):
    """The static shape of ``expr`` when ``seed`` enters it through elementwise
    arithmetic, comparisons and elementwise ufunc calls only (so the value is the same
    whether seed is a smaller value or that value spread); None otherwise."""
    return _seeded_shape(expr, seed, set(name_ids(seed)), rewriter, bound)


def _seeded_shape(part, seed, seed_names: set, rewriter, bound):
    """(_elementwise_shape) The static shape of ``part``, None when ``seed`` (which
    reads ``seed_names``) enters it through anything but elementwise operations."""
    if same_tree(part, seed) or not any(
            isinstance(n, gast.Name) and n.id in seed_names for n in walk(part)):
        return static_shape(part, rewriter)
    if isinstance(part, gast.UnaryOp) and isinstance(part.op, (gast.USub, gast.UAdd)):
        return _seeded_shape(part.operand, seed, seed_names, rewriter, bound)
    parts = None
    if isinstance(part, gast.BinOp) and isinstance(part.op, (gast.Add, gast.Sub,
                                                             gast.Mult, gast.Div,
                                                             gast.Pow)):
        parts = [part.left, part.right]
    elif isinstance(part, gast.Compare) and len(part.ops) == 1:
        parts = [part.left, part.comparators[0]]
    elif isinstance(part, gast.Call) and not part.keywords \
            and isinstance(part.func, gast.Attribute) \
            and isinstance(part.func.value, gast.Name):
        ufunc = getattr(bound.get(part.func.value.id), part.func.attr, None)
        if isinstance(ufunc, np.ufunc) and ufunc.signature is None \
                or ufunc is np.where and len(part.args) == 3:
            parts = part.args
    elif isinstance(part, gast.Call) and not part.keywords \
            and isinstance(part.func, gast.Name) \
            and bound.get(part.func.id) is logistic_times:
        parts = part.args   # (a number times logistic(t), elementwise)
    if not parts:
        return None
    shape = _seeded_shape(parts[0], seed, seed_names, rewriter, bound)
    for other in parts[1:]:
        shape = broadcast_static(shape, _seeded_shape(other, seed, seed_names, rewriter, bound))
    return shape


class _DropUnbroadcast(Transformer):
    def __init__(self, name, same_shape, fits=None):
        self.name, self.same_shape, self.fits = name, same_shape, fits

    def visit_Call(self, node):
        self.generic_visit(node)
        if (isinstance(node.func, gast.Name) and node.func.id == self.name
                and len(node.args) == 2 and isinstance(node.args[1], gast.Name)
                and node.args[1].id in self.same_shape
                and (self.fits is None or self.fits(node.args[0], node.args[1].id))):
            return node.args[0]
        return node


class _ShapeOnly(Transformer):
    """In ``unbroadcast(g, x)``, ``broadcast_like(g, x)`` and ``np.shape(x)`` only x's shape matters: read a
    representative of x's shape class instead (see _Reverse.representative)."""

    def __init__(self, unbroadcast_name, np_name, representative, broadcast_like_name=None):
        self.unbroadcast_name, self.np_name = unbroadcast_name, np_name
        self.broadcast_like_name = broadcast_like_name
        self.representative = representative

    @staticmethod
    def rewrites(call, unbroadcast_name, np_name, broadcast_like_name) -> bool:
        """Whether ``call`` is one visit_Call may rewrite."""
        func = call.func
        return isinstance(func, gast.Name) and func.id in (unbroadcast_name,
                                                           broadcast_like_name) \
            or (isinstance(func, gast.Attribute) and func.attr == "shape"
                and isinstance(func.value, gast.Name) and func.value.id == np_name)

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not self.rewrites(node, self.unbroadcast_name, self.np_name,
                             self.broadcast_like_name):
            return node
        position = 1 if isinstance(func, gast.Name) else 0
        if len(node.args) > position and isinstance(node.args[position], gast.Name):
            other = self.representative(node.args[position].id)
            if other is not None:
                node.args[position] = other
        return node


def drop_unbroadcast(expr, name, same_shape, fits=None):
    """``unbroadcast(g, x)`` -> ``g`` where x provably has the result's shape (g has it).
    ``fits(g, x)``, if given, must also agree (concrete shapes: a result whose adjoint may
    still be the scalar zero times a smaller operand does not have the result's shape)."""
    return _DropUnbroadcast(name, same_shape, fits).visit(expr)


def _derived_through_its_code(callee) -> bool:
    """A user function called (differentiated through its own derivative), not one of
    tangentlike's own helpers (require_scalar, unbroadcast, cast_back in a derivative
    derived again) nor a function with a rule or declared nondifferentiable."""
    return is_user_function(callee) and rules.lookup(callee) is None \
        and not rules.is_nondifferentiable(callee) \
        and not (getattr(callee, "__module__", None) or "").startswith("tangentlike.")


def _fits(key, shape) -> bool:
    """Whether a value of shape class ``key`` written into an element of shape ``shape``
    (y[i] = v) gives it as it is, so that the element's adjoint is v's with no
    unbroadcast: v of that very shape, or a list (tuple) of k numbers into a row of k
    items (xs[i + 1] = [x + dt * v, v - dt * k * x]), whose adjoint is then that row's."""
    if shape is None:
        return False
    if key == (SCALAR if shape == () else ("shape", shape)):
        return True
    return len(shape) == 1 and key is not None and key[0] == "tuple" \
        and len(key[1]) == shape[0] and all(k == SCALAR for k in key[1])


class _SeedAsOne(Transformer):
    """Reads of the seed become the constant 1.0 (see Reverse.seed_factor), and
    ``np.where(c, 1.0, 0.0)`` (np.where's adjoint for the seed 1.0) of a bool array
    then the cast it is (ShapeRewriter.mask): one walk for both (a call's arguments are
    visited before the call, so its mask sees their seed as 1.0)."""

    def __init__(self, seed: str, rewriter):
        self.seed = seed
        self.rewriter = rewriter

    def visit_Name(self, node):
        return gast.Constant(value=1.0, kind=None) if node.id == self.seed else node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, gast.Attribute) and func.attr == "where" and len(node.args) == 3 \
                and not node.keywords and isinstance(func.value, gast.Name) \
                and func.value.id == self.rewriter.np_name:
            return self.rewriter.mask(*node.args) or node
        return node


def _facts(fn) -> tuple:
    """What _Reverse finds out about ``fn``'s statements whatever the arguments' shapes:
    (single assignments, stacks, loop-locals, possible containers, structured arguments),
    see _Reverse.__init__."""
    lists = list_variables(fn.nodes())
    single = _single_assignments(fn) - lists
    loop_locals = _loop_locals(fn, lists)
    holders = through_copies(
        _indexed_names(fn) | lists | containers(fn.body, is_user_function), fn.body)
    structured = holders | through_copies(
        structured_arguments(fn.nodes(), _derived_through_its_code), fn.body)
    return (frozenset(single), frozenset(lists), frozenset(loop_locals), frozenset(holders),
            frozenset(structured))


def _loop_locals(fn, lists) -> set:
    """Variables assigned once, at the top level of a loop body or a branch, and read
    only after that assignment within the same block."""
    loads, counts, blocks = {}, {}, []
    for node in fn.nodes():
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
        elif isinstance(node, (gast.For, gast.While, gast.If)):
            blocks += [node.body, node.orelse]
    for target, _, stmt in body_assignments(fn):
        counts[target] = counts.get(target, 0) + 1
    out = set()
    for block in blocks:
        later = {}   # name -> its loads in the statements after the current one
        for stmt in reversed(block):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                name = stmt.targets[0].id
                if counts.get(name) == 1 and name not in fn.params and name not in lists \
                        and later.get(name, 0) == loads.get(name, 0):
                    out.add(name)
            for n in walk(stmt):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                    later[n.id] = later.get(n.id, 0) + 1
    return out


def _single_assignments(fn) -> set:
    """Names assigned exactly once, outside control flow (parameters never reassigned)."""
    counts, nested = {}, set()
    _count_assignments(fn.body, 0, counts, nested)
    single = {n for n, c in counts.items() if c == 1 and n not in nested}
    single -= set(fn.params)
    single |= {p for p in fn.params if p not in counts and p not in nested}
    return single


def _count_assignments(body: list, depth: int, counts: dict, nested: set) -> None:
    """(_single_assignments) Count the assignments of each name in ``body`` (nested
    ``depth`` blocks deep) into ``counts``; ``nested`` learns the names assigned in a
    nested block, loop targets and arrays written by element."""
    for stmt in body:
        if written(stmt) is not None:
            nested.add(written(stmt))   # its adjoint changes at each element write
        elif isinstance(stmt, gast.Assign):
            name = stmt.targets[0].id
            counts[name] = counts.get(name, 0) + 1
            if depth:
                nested.add(name)
        elif isinstance(stmt, gast.For):
            nested.add(stmt.target.id)
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                _count_assignments(inner, depth + 1, counts, nested)


def _indexed_names(fn) -> set:
    """Names read by index: directly (``x[i]``), through ``part_of(x, i)`` (how a
    derivative reads the parts of a list's adjoint) or by a field's name (``field_of(p,
    'w', ...)``, perhaps of a namedtuple), so possibly containers."""
    out = set()
    for node in fn.nodes():
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name):
            out.add(node.value.id)
        elif isinstance(node, gast.Call) and getattr(node, "callee", None) in (part_of, field_of) \
                and node.args and isinstance(node.args[0], gast.Name):
            out.add(node.args[0].id)
    return out


def _list_displays(fn) -> dict:
    """The names assigned once (anywhere), a list display of names, and read once (an
    LSTM's ``t5 = [t4, h]`` for ``np.concatenate(t5)``): name -> the display's names.
    No other statement can change such a list."""
    _, stores, loads = single_definitions(fn)
    displays = {}
    for node in fn.nodes():
        if node.__class__ is gast.Assign and len(node.targets) == 1 \
                and node.targets[0].__class__ is gast.Name \
                and node.value.__class__ is gast.List and node.value.elts \
                and all(e.__class__ is gast.Name for e in node.value.elts):
            name = node.targets[0].id
            if stores.get(name) == 1 and loads.get(name) == 1:
                displays[name] = [e.id for e in node.value.elts]
    return displays


def _displays_summed(fn) -> dict:
    """The names assigned once, at the top level, a list or tuple display of names and
    numbers that one ``sum(name)`` reads and nothing else: name -> the display."""
    defs, _, loads = single_definitions(fn)
    displays = {name: stmt.value for name, stmt in defs.items()
                if stmt.value.__class__ in (gast.List, gast.Tuple) and stmt.value.elts
                and loads.get(name) == 1
                and all(e.__class__ in (gast.Name, gast.Constant) for e in stmt.value.elts)}
    if not displays:
        return displays
    summed = {node.args[0].id for node in walk(fn.body)
              if node.__class__ is gast.Call and getattr(node, "callee", None) is builtins.sum
              and len(node.args) == 1 and not node.keywords
              and node.args[0].__class__ is gast.Name}
    return {name: value for name, value in displays.items() if name in summed}


def _first_definitions(fn) -> set:
    """ids of assignments that give a variable its first value, so there is no old value
    to save: the first top-level assignment, or the only assignment outside loops."""
    counts = {}
    for target, _, stmt in body_assignments(fn):
        if isinstance(stmt, gast.Assign) and written(stmt) is None:
            counts[target] = counts.get(target, 0) + 1

    out = set()
    _first_in(fn.body, False, True, counts, set(fn.params), out)
    return out


def _first_in(body: list, in_loop: bool, top: bool, counts: dict, seen: set,
              out: set) -> None:
    """(_first_definitions) ``out`` learns the ids of the first definitions in
    ``body`` (in a loop: ``in_loop``; the function's own statements: ``top``), given how
    often each name is assigned (``counts``) and the names assigned before (``seen``,
    which learns the top level's)."""
    for stmt in body:
        if isinstance(stmt, gast.Assign) and written(stmt) is None:
            name = stmt.targets[0].id
            if name not in seen and (top or (counts[name] == 1 and not in_loop)):
                out.add(id(stmt))
        loop = in_loop or isinstance(stmt, (gast.For, gast.While))
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                _first_in(inner, loop, False, counts, seen, out)
        if top and isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name):
            seen.add(stmt.targets[0].id)   # (a value of the core language assigns nothing)
        elif top:
            seen.update(n.id for n in walk(stmt) if isinstance(n, gast.Name)
                        and isinstance(n.ctx, gast.Store))


# Calls that return an array of their own (no view, no alias of an argument).
_FRESH_CALLS = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like,
                np.empty_like, np.full_like, np.copy, np.eye, np.identity, np.arange,
                np.linspace}


def _fresh_value(value) -> bool:
    if isinstance(value, (gast.BinOp, gast.UnaryOp)):
        return True   # a new object (the core language's x += y is x = x + y)
    if not isinstance(value, gast.Call):
        return False
    callee = getattr(value, "callee", None)
    if callee is np.array:   # copies unless told not to
        return not any(k.arg == "copy" for k in value.keywords)
    try:
        return callee in _FRESH_CALLS
    except TypeError:   # an unhashable callee
        return False


def first_writes(body: list) -> dict:
    """Ids of the element writes ``y[i] = v`` into an array ``y`` that the same block
    made just before, of nothing differentiable (``y = np.zeros(...)``), with only other such
    writes in between and nothing else mentioning ``y`` since: the elements they
    overwrite need no saving. In the adjoint, what runs after such a write's restore is
    the adjoint of the statements before it in its block, down to the one that made
    ``y``: none of them reads ``y``, and the array is new there (no other name holds
    it), so nobody could see the restored elements.

    Each id maps to whether the write is the first into ``y`` since it was made: after
    its adjoint nothing reads ``by`` (the earlier statements do not mention ``y``), so
    ``by[i]`` need not be cleared, nor copied before."""
    found = {}
    made = {}   # arrays made in this block and mentioned since only as written ones ->
    #             whether nothing was written into them yet
    for stmt in body:
        array = written(stmt)
        if array in made and array not in name_ids(stmt.value) \
                and array not in name_ids(stmt.targets[0].slice):
            found[id(stmt)] = made[array]
            made[array] = False
            continue
        mentioned = set(name_ids(stmt))
        made = {name: alone for name, alone in made.items() if name not in mentioned}
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            for field in ("body", "orelse"):
                found.update(first_writes(getattr(stmt, field)))
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and _fresh_value(stmt.value) and not dependencies(stmt.value, stmt):
            # (np.zeros(n), np.zeros_like(u): no derivative flows through the statement,
            # so its adjoint reads neither the array nor its adjoint)
            made[stmt.targets[0].id] = True
    return found


def rows_written_once(body: list) -> set:
    """Ids of the element writes ``y[i + c, ...] = v`` (c > 0) in a top-level loop
    ``for i in range(n)`` (or ``range(k, n)``, k >= 0) into an array ``y`` made before
    the loop (``y = np.zeros(...)``) where everything that touches ``y`` before the write
    runs, touches other rows: before the loop only rows ``y[k]`` below the first one the
    loop writes; in the loop only rows ``i + d`` with d <= c, d < c before the write
    (a trajectory: ``x[i + 1] = x[i] + dt * f(x[i])``). In the adjoint, which runs in
    the opposite order, nothing after the write's adjoint touches ``by[i + c]``: it
    need not be cleared, nor copied before."""
    found = set()
    assigned = _assignment_counts(body)
    for position, loop in enumerate(body):
        found_loop = _row_loop(loop, assigned)
        if found_loop is None:
            continue
        start, offsets = found_loop
        for array in sorted({written(s) for s in loop.body} - {None}):
            rows = _rows_touched(loop.body, array, offsets)   # [(stmt, d, column)] or None
            before = _rows_before(body[:position], array, assigned)
            if rows is None or before is None:
                continue
            top = max(d for _, d, _ in rows)
            for index, (stmt, c, column) in enumerate(rows):
                # (x[i + 1, 0] = a before x[i + 1, 1] = b touches another element)
                if written(stmt) == array and c > 0 and c == top \
                        and all(d < c or column is not None and other is not None
                                and other != column
                                for s_, d, other in rows[:index] if s_ is not stmt) \
                        and all(k < start + c for k in before):
                    found.add(id(stmt))
    return found


def _assignment_counts(body) -> dict:
    """Name -> the number of statements assigning it anywhere in ``body``."""
    assigned = {}
    for stmt in statements(body):
        for node in walk(stmt if not isinstance(stmt, (gast.If, gast.For, gast.While))
                         else [stmt.target] if isinstance(stmt, gast.For) else []):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                assigned[node.id] = assigned.get(node.id, 0) + 1
    return assigned


def _row_loop(loop, assigned):
    """(start, offsets) of ``for i in range(n)`` (or ``range(k, n)``, k >= 0) whose
    counter nothing else assigns; offsets maps ``i`` and the names of ``i + d`` (d >= 0)
    assigned once at the top of its body to d. None for another statement."""
    if not isinstance(loop, gast.For) or not isinstance(loop.target, gast.Name) \
            or loop.orelse or assigned.get(loop.target.id) != 1:
        return None
    it = loop.iter
    if getattr(it, "callee", None) is not builtins.range or it.keywords \
            or not 1 <= len(it.args) <= 2:
        return None
    start = 0
    if len(it.args) == 2:
        first = it.args[0]
        if not (isinstance(first, gast.Constant) and type(first.value) is int
                and first.value >= 0):
            return None
        start = first.value
    counter = loop.target.id
    offsets = {counter: 0}
    for stmt in loop.body:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Add) \
                and assigned.get(stmt.targets[0].id) == 1:
            left, right = stmt.value.left, stmt.value.right
            if isinstance(right, gast.Name):
                left, right = right, left
            if isinstance(left, gast.Name) and left.id == counter \
                    and isinstance(right, gast.Constant) and type(right.value) is int \
                    and right.value >= 0:
                offsets[stmt.targets[0].id] = right.value
    return start, offsets


def rows_read_final(fn, loop, aliases: dict) -> dict:
    """For a top-level loop ``for i in range(n)`` (see rows_written_once): array ->
    (offsets, limit) for each array made before the loop, written only in this loop's
    body at rows ``i + c`` (c >= limit > 0, nothing but subscripts by ``i + d`` in the
    body) and by no element write after it, through no other name either (``aliases``:
    fresh_aliases). A row ``i + d`` with d < limit, read at turn i, is never written
    again: the reversed turn may read it again instead of saving what was read."""
    body = fn.body
    if not any(stmt is loop for stmt in body):
        return {}
    position = next(k for k, stmt in enumerate(body) if stmt is loop)
    assigned = _assignment_counts(body)
    found_loop = _row_loop(loop, assigned)
    if found_loop is None:
        return {}
    _, offsets = found_loop
    out = {}
    for array in sorted({written(s) for s in loop.body} - {None}):
        names = aliases.get(array)
        if names is None or _rows_before(body[:position], array, assigned) is None:
            continue
        rows = _rows_touched(loop.body, array, offsets)
        if rows is None or any(isinstance(stmt, (gast.If, gast.For, gast.While))
                               for stmt, _, _ in rows):
            continue
        writes = [c for stmt, c, _ in rows if written(stmt) == array]
        others = [stmt for stmt in statements(body) if written(stmt) in names
                  and not (written(stmt) == array and any(stmt is s for s in loop.body))]
        if not writes or min(writes) <= 0 or any(
                not any(stmt is s for s in body[:position]) for stmt in others):
            continue   # (element writes before the loop are done by the time it runs)
        out[array] = (offsets, min(writes))
    return out


def _final_row(value, final: dict) -> bool:
    """Whether ``value`` reads a row that is never written again (rows_read_final)."""
    if not (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
            and value.value.id in final):
        return False
    offsets, limit = final[value.value.id]
    lead = _leading(value.slice)
    return isinstance(lead, gast.Name) and lead.id in offsets and offsets[lead.id] < limit


def _leading(index):
    return index.elts[0] if isinstance(index, gast.Tuple) and index.elts else index


def _rows_touched(body, array, offsets):
    """(statement, d, column) for each mention of ``array`` in ``body``, in order, when
    each is a subscript whose first index is a name of ``i + d``; column: its second
    index when that is an int (``x[i, 1]``), else None (the whole row, a slice of it);
    None for another mention."""
    rows = []
    for stmt in body:
        if getattr(getattr(stmt, "value", None), "callee", None) is inplace_guard:
            continue   # a test of the whole array: no element of it, nor of its adjoint
        subscripts = set()
        for node in walk(stmt):
            if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
                    and node.value.id == array:
                lead = _leading(node.slice)
                if not (isinstance(lead, gast.Name) and lead.id in offsets) \
                        or array in name_ids(node.slice):
                    return None
                subscripts.add(id(node.value))
                index = node.slice
                second = index.elts[1] if isinstance(index, gast.Tuple) \
                    and len(index.elts) == 2 else None
                column = second.value if isinstance(second, gast.Constant) \
                    and type(second.value) is int and second.value >= 0 else None
                rows.append((stmt, offsets[lead.id], column))
        if any(isinstance(node, gast.Name) and node.id == array
               and id(node) not in subscripts for node in walk(stmt)):
            return None   # the whole array, or inside a nested block's test
    return rows


def _rows_before(body, array, assigned):
    """The constant first indices of the mentions of ``array`` in ``body`` (top-level
    statements before the loop) when ``array`` is made there, once, new and of nothing
    differentiable, and mentioned otherwise only by such subscripts; else None."""
    if assigned.get(array) != 1:
        return None
    made, rows = False, []
    for stmt in body:
        if array not in name_ids(stmt):
            continue
        if not made:
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                    and stmt.targets[0].id == array and _fresh_value(stmt.value)
                    and not dependencies(stmt.value, stmt)
                    and array not in name_ids(stmt.value)):
                return None
            made = True
            continue
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            return None
        subscripts = set()
        for node in walk(stmt):
            if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
                    and node.value.id == array:
                lead = _leading(node.slice)
                if not (isinstance(lead, gast.Constant) and type(lead.value) is int
                        and lead.value >= 0):
                    return None
                subscripts.add(id(node.value))
                rows.append(lead.value)
        if any(isinstance(node, gast.Name) and node.id == array
               and id(node) not in subscripts for node in walk(stmt)):
            return None
    return rows if made else None


def _holds_no_reference(stand_in) -> bool:
    """A value of this kind cannot share memory with an array: a number (a NumPy scalar
    is a copy of the element it was read from)."""
    return isinstance(stand_in, (bool, int, float, complex, np.generic))


def _new_array(value, stand_in) -> bool:
    """Whether ``value`` makes a new array of numbers, sharing no memory with its operands:
    arithmetic whose result (``stand_in``) is such an array."""
    return isinstance(value, (gast.BinOp, gast.UnaryOp)) and isinstance(stand_in, np.ndarray) \
        and stand_in.dtype.kind in "biufc"


def fresh_aliases(fn, stand_ins: dict) -> dict:
    """Arrays written by element (``y[i] = v``) that the function makes itself, mapped to
    the names that may share their memory or hold them (themselves included).

    An array is fresh when it is no parameter and every assignment of its name makes a
    new object (np.zeros, np.copy, arithmetic, ...). The element saves and restores of a
    fresh array matter only to code that reads it after a restore: through its name or
    one of the names found here (views ``t = y[i]``, containers ``lst.append(y)``, and
    whatever is computed from those, unless it is a number or, in a version, a new array
    of numbers made by arithmetic: ``t = 0.01 * y``). optimize drops them when
    the adjoint reads none of these names. A function that returns something made from
    the array keeps them all."""
    found = {}
    for target, value, stmt in body_assignments(fn):
        if written(stmt) is not None:
            found.setdefault(target, True)
        elif appended(stmt) is not None or not _fresh_value(value):
            found[target] = False
    fresh = {name for name, ok in found.items() if ok and name not in fn.params}
    if not fresh:
        return {}
    stored = {}
    for stmt in statements(fn.body):
        for node in walk(stmt if not isinstance(stmt, (gast.If, gast.For, gast.While))
                         else [stmt.test if isinstance(stmt, (gast.If, gast.While))
                               else stmt.target]):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                stored.setdefault(node.id, []).append(stmt)
    flows = []   # (names a simple statement reads, names that may then hold them)
    for stmt in statements(fn.body):
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            if isinstance(stmt, gast.For):   # the target takes the iterable's items
                flows.append((set(name_ids(stmt.iter)), set(name_ids(stmt.target))))
            continue
        reads, assigned = read_and_assigned(stmt)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            target = stmt.targets[0].id
            holders = set() if _holds_no_reference(stand_ins.get(target)) or _new_array(
                stmt.value, stand_ins.get(target)) else {target}
        elif written(stmt) is not None:   # y[i] = v: y may hold v (a list does)
            reads, holders = set(name_ids(stmt.value)), {written(stmt)}
        elif getattr(getattr(stmt, "value", None), "callee", None) is inplace_guard:
            continue   # a test: it keeps no reference
        else:   # lst.append(v), a call: every name involved may hold the others
            holders = reads | assigned
        flows.append((reads, holders))
    out = {}
    ret = fn.body[-1] if fn.body and isinstance(fn.body[-1], gast.Return) else None
    returned = set(name_ids(ret.value)) if ret is not None and ret.value is not None else set()
    for array in sorted(fresh):
        if any(s is not None and not (isinstance(s, gast.Assign) and s.targets[0].__class__
                                      is gast.Name and s.targets[0].id == array)
               for s in stored.get(array, [])):
            continue   # assigned otherwise too (a loop's target, a tuple's element)
        aliases = {array}
        changed = True
        while changed:
            changed = False
            for reads, holders in flows:
                if not reads.isdisjoint(aliases) and not holders <= aliases:
                    aliases |= holders
                    changed = True
        if returned.isdisjoint(aliases):
            out[array] = frozenset(aliases)
    return out


def _without_dropped(body: list) -> list:
    out = []
    for stmt in body:
        if getattr(stmt, "drop", False):
            continue
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                setattr(stmt, field, _without_dropped(inner) or [gast.Pass()]
                        if field == "body" else _without_dropped(inner))
        out.append(stmt)
    return out


def _push(stack: str, value):
    """``stack.append(value)``; ``value`` a name or an expression."""
    item = value if isinstance(value, gast.AST) else _load(value)
    call = gast.Call(func=gast.Attribute(value=_load(stack), attr="append", ctx=gast.Load()),
                     args=[item], keywords=[])
    return gast.Expr(value=call)


def _save(stack, name):
    """``stack.append(name)``, the value a restore (``name = stack.pop()``) takes back."""
    push = _push(stack, name)
    push.saves = name
    return push


def _pop(stack):
    return gast.Call(func=gast.Attribute(value=_load(stack), attr="pop", ctx=gast.Load()),
                     args=[], keywords=[])



def _surely_new(node) -> bool:
    """Arithmetic that makes a new array, even after constant folding (which turns
    ``g / 1``, ``g ** 1``, ``g + 0`` and ``0 + g`` into ``g``)."""
    if not isinstance(node, gast.BinOp):
        return False
    def number(n, value):
        return isinstance(n, gast.Constant) and not isinstance(n.value, bool) and \
            isinstance(n.value, (int, float)) and n.value == value
    if isinstance(node.op, (gast.Pow, gast.Div)) and number(node.right, 1):
        return False
    if isinstance(node.op, (gast.Add, gast.Sub)) and number(node.right, 0):
        return False
    return not (isinstance(node.op, gast.Add) and number(node.left, 0))
