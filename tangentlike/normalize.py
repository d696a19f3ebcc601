"""normalize: the user's function -> a small core language (A-normal form).

Consumes a :class:`~tangentlike.parse.Parsed` function. Produces a
:class:`Normalized` function whose body contains exactly these forms, where an *atom*
is a local name, a constant, or a reference to a global (``np.pi``)::

    name = atom
    name = atom <binop> atom                  # + - * / // % ** @
    name = <unaryop> atom                     # -a, +a, not a, ~a
    name = atom <cmp> atom                    # one comparison
    name = f(atom, ..., key=atom)             # f resolved at transform time: .callee
    name = atom[index]                        # index: atoms, slices of atoms, tuples
    name = (atom, ...)                        # tuple or list literal
    name = atom.attr                          # non-differentiable attributes (dtype)
    name = lst.pop()                          # lists used as stacks
    lst.append(atom)
    name[index] = atom                        # into an array the function created
    f(atom, ...)                              # a call kept for its effect (print)
    return atom  |  return (atom, ...)

Nested expressions become temporaries ``t1, t2, ...``; ``x += y`` becomes
``t = x + y; x = in_place(t, x)`` (an array keeps its dtype and shape, as NumPy's
in-place operation does; ``x += 1.0`` is just ``x = x + 1.0``); ``a = b = e`` and ``a, b = e`` are split; array methods and attributes
(``x.T``, ``x.sum(axis=0)``, ``x.reshape(2, 3)``, ``x.shape``) become calls of their
NumPy functions. Every variable is assigned once (a reassigned ``x`` becomes ``x_1``),
so the adjoint can read any primal value without saving it.

Every statement carries ``.origin``: the user's statement it came from (its line).
Anything outside this language raises :class:`TransformError` at the user's line.
"""
from __future__ import annotations

import ast
import functools
import inspect
import operator
import textwrap
import types
import weakref
from typing import Optional

import gast
import numpy as np

from . import rules
from .calls import (RANDOM_DRAWS, _bound_names, _in, _slicing, _view_base, is_random_source,
                    is_user_function, mutated_parameters, returns_new)
from .entry import complex_part
from .errors import TransformError, short_filename
from .exits import lower_exits, mark_unassigned_returns
from .naming import (GlobalBinder, Namer, Transformer, contains, locate, name_node, names_in,
                     read_and_assigned, walk)
from .parse import MISSING, Parsed, parse, resolve_static
from .rules.linalg import MATRIX_ONLY
from .rules.optional import optional
from .rules.numeric import trapezoid_at
from .rules.pymath import largest, smallest
from .rules.shapes import PAD_COPY_MODES, end_shape, last_item, pad_index
from .runtime import (astype, check_assertion, field_of, in_place, list_copy, inplace_guard, keys_of, memory_order,
                      no_grad, overlap_guard, raise_exception, require_assigned, require_matrix,
                      require_items, require_method, require_sequence, require_super,
                      require_unpacked, require_writable,
                      returns_no_number,
                      row_guard,
                      stop_gradient, zeros_like)
from .template import clone, substituted

BINOPS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.BitAnd: operator.and_, gast.BitOr: operator.or_, gast.BitXor: operator.xor,
    gast.LShift: operator.lshift, gast.RShift: operator.rshift,
}
UNARYOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
            gast.Invert: operator.invert}
COMPAREOPS = {gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Lt: operator.lt,
              gast.LtE: operator.le, gast.Gt: operator.gt, gast.GtE: operator.ge,
              gast.Is: operator.is_, gast.IsNot: operator.is_not, gast.In: operator.contains,
              gast.NotIn: operator.contains}

# Array methods -> the NumPy function called with the array first.
METHODS = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "dot": np.dot, "reshape": np.reshape, "transpose": np.transpose, "ravel": np.ravel,
    "flatten": np.ravel, "copy": np.copy, "squeeze": np.squeeze, "clip": np.clip,
    "cumsum": np.cumsum, "cumprod": np.cumprod, "var": np.var, "std": np.std,
    "argmax": np.argmax, "argmin": np.argmin, "argsort": np.argsort, "any": np.any,
    "all": np.all, "trace": np.trace, "diagonal": np.diagonal, "swapaxes": np.swapaxes,
    "round": np.round, "conj": np.conj, "conjugate": np.conj, "repeat": np.repeat,
    "take": np.take, "nonzero": np.nonzero, "item": float,
}
# Methods whose positional arguments after the array form one shape (x.reshape(2, 3)).
SHAPE_VARARGS = {"reshape", "transpose"}
# Array attributes -> the NumPy function of the array.
ATTRIBUTES = {"T": np.transpose, "shape": np.shape, "ndim": np.ndim, "size": np.size,
              "real": np.real, "imag": np.imag}
if hasattr(np, "matrix_transpose"):   # NumPy 2 (and its `.mT`); was refused until hunt20
    ATTRIBUTES["mT"] = np.matrix_transpose
PLAIN_ATTRIBUTES = {"dtype"}
# What to write instead of a method of a list, dict or string (no NumPy function to call).
_LIST_HINT = ("lists support `.append()` and `.pop()`: build a new list (`[a] + items` "
              "of a literal, `items[::-1]`) or use a NumPy array")
_METHOD_HINTS = {
    **dict.fromkeys(("insert", "reverse", "remove", "index", "count", "clear"),
                    _LIST_HINT),
    "extend": ("`lst.extend(...)` of a display (`lst.extend([a, b])`) or of a comprehension "
               "not reading `lst` is supported: write `lst.extend([v for v in items])`, or "
               "append in a loop"),
    **dict.fromkeys(("get", "keys", "values", "items", "update", "setdefault"),
                    "read a dict by key (`d[\"a\"]`), or pass the values as arguments"),
    **dict.fromkeys(("upper", "lower", "format", "split", "join", "strip", "replace",
                     "startswith", "endswith", "encode", "decode"),
                    "compute strings outside the differentiated function and pass the "
                    "result in"),
}


# a method that is not an array's (nor a list's, a dict's or a string's): an object's own
_OWN_METHOD_HINT = ("methods of your own objects are differentiated only as `self.{name}(...)` "
                    "in a method of a class defined at module level (`self` its first "
                    "parameter), or of a parameter annotated with such a class (`m: Model`): "
                    "annotate the parameter, or call a plain function that takes the values "
                    "it needs as arguments (`def {name}(k, x)` called as `{name}(obj.k, x)`)")


class Origin:
    """Where a generated statement comes from: a line range of the user's file (a value:
    equal to another of the same lines, as emit's comments compare them)."""

    __slots__ = ("lineno", "end_lineno", "text")

    def __init__(self, lineno: int, end_lineno: Optional[int] = None,
                 text: Optional[str] = None):
        self.lineno, self.end_lineno = lineno, end_lineno
        self.text = text   # (the line, when the file no longer has it: parse._finish)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.lineno, self.end_lineno) == (other.lineno, other.end_lineno)

    def __hash__(self):
        return hash((self.lineno, self.end_lineno))

    def __repr__(self):
        return f"Origin(lineno={self.lineno!r}, end_lineno={self.end_lineno!r})"

    @classmethod
    def of(cls, node) -> Optional["Origin"]:
        if node is None or getattr(node, "lineno", None) is None:
            return None
        return cls(node.lineno, getattr(node, "end_lineno", None),
                   node.__dict__.get("line_text"))

    def __deepcopy__(self, memo):
        return self


class Normalized:
    """A function in the core language, with the names and bindings made for it."""

    def __init__(self, parsed: Parsed, params: list, body: list, namer: Namer,
                 binder: GlobalBinder, locals: set = None, versions: dict = None,
                 user_locals: set = None, facts: dict = None, assigned: list = None):
        self.parsed = parsed
        self.params = params     # parameter names, in order
        self.body = body         # statements of the core language
        self.namer = namer
        self.binder = binder     # library objects the generated code refers to
        self.locals = set() if locals is None else locals   # every local name after renaming
        self.versions = {} if versions is None else versions   # renamed -> user's name
        # the user's own local names
        self.user_locals = set() if user_locals is None else user_locals
        # what the passes find out about the statements whatever the arguments' shapes
        # (activity, which locals are stacks, ...): found by the first derivation and
        # shared with the copies its versions derive from (see Kept)
        self.facts = {} if facts is None else facts
        self.assigned: Optional[list] = assigned   # analyze.body_assignments, on first use
        self._nodes: Optional[list] = None   # see nodes()

    @property
    def filename(self) -> str:
        return self.parsed.filename

    def nodes(self) -> list:
        """Every node of the statements, in ``walk``'s order, as a list made on first use:
        several analyses look at every node (a list is read ten times as fast as the tree
        is walked), and the statements do not change once normalized (see
        analyze.body_assignments)."""
        if self._nodes is None:
            self._nodes = list(walk(self.body))
        return self._nodes


class Kept:
    """A normalized function kept to derive its versions (specialize.py) without parsing
    and normalizing it again: ``again(func)`` gives a fresh copy, as parse and normalize
    would make it, for the function object it came from.

    Made before the normalized function is derived (reverse changes its name tables:
    they are copied now), and kept with ``keep()`` after that: its statements are kept
    as they are, since deriving changes none of them (it sets a while loop's ``trips``
    again each time; tests/test_specialize.py checks this), and copied for each version.

    It keeps no reference to the function: the cache of derived functions must not
    keep a function alive. So only a function without a closure is kept (its closure
    values could be anything), and the user functions it calls are weak references.
    ``again`` gives None (parse and normalize again) when the function's code is not
    the code kept, or a function it calls is gone."""

    def __init__(self, func, normalized: Normalized):
        self.code = func.__code__
        self.params, self.locals = list(normalized.params), set(normalized.locals)
        self.versions, self.user_locals = dict(normalized.versions), set(normalized.user_locals)
        self.taken, self.temps = set(normalized.namer.taken), normalized.namer._temps
        self.bound, self.by_id = dict(normalized.binder.bound), dict(normalized.binder._by_id)
        self.facts = normalized.facts   # (filled by the first derivation)
        self.normalized = normalized   # until keep()

    @staticmethod
    def keeps(func) -> bool:
        return not func.__closure__

    def keep(self) -> None:
        """Keep the statements, now that the first derivation is done with them, and of
        the parsed function what later passes read: its name, parameters and line."""
        normalized, self.normalized = self.normalized, None
        parsed = normalized.parsed
        self.filename = parsed.filename
        self.node = gast.FunctionDef(name=parsed.node.name, args=parsed.node.args, body=[],
                                     decorator_list=[], returns=None, type_comment=None,
                                     type_params=[])
        self.node.lineno = parsed.node.lineno
        self.body = normalized.body
        self.weak = _weak_callees(normalized.nodes())
        # (the helpers given a function that normalize wrote out, which the entry
        # guards: helper_with_function_argument)
        self.inlined = [(chain, weakref.ref(helper), used)
                        for chain, helper, used in parsed.inlined]

    def again(self, func) -> Optional[Normalized]:
        if func.__code__ is not self.code or func.__closure__:
            return None
        body = clone(self.body)
        if self.weak and not _strong_callees(body):
            return None
        parsed = Parsed(func, self.node, self.filename, {})
        parsed.inlined = tuple((chain, ref(), used) for chain, ref, used in self.inlined)
        if any(helper is None for _, helper, _ in parsed.inlined):
            return None
        namer = Namer(self.taken)
        namer._temps = self.temps
        user_locals = set(self.user_locals)
        binder = GlobalBinder(namer, _user_lookup(parsed, user_locals))
        binder.bound, binder._by_id = dict(self.bound), dict(self.by_id)
        return Normalized(parsed, list(self.params), body, namer, binder, set(self.locals),
                          dict(self.versions), user_locals, self.facts)


def _annotated_class(parsed, annotation):
    """The class a parameter's annotation names (``Model``, ``models.Model``, or the
    string ``"Model"``), or None."""
    if isinstance(annotation, gast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = gast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if not isinstance(annotation, (gast.Name, gast.Attribute)):
        return None
    found = resolve_static(parsed, annotation)
    return found if isinstance(found, type) else None


def _global_chain(cls, parsed):
    """The names (``["Model"]``, ``["Outer", "Inner"]``) by which ``parsed``'s function
    reaches the class ``cls`` through its globals, or None."""
    chain = cls.__qualname__.split(".")
    if "<locals>" in chain or chain[0] not in parsed.globals or chain[0] in parsed.closure:
        return None
    owner = parsed.globals[chain[0]]
    for part in chain[1:]:
        owner = getattr(owner, part, None)
    return chain if owner is cls else None


def _chain_node(chain):
    """``Outer.Inner`` for the names ``["Outer", "Inner"]``."""
    node = _load(chain[0])
    for part in chain[1:]:
        node = gast.Attribute(value=node, attr=part, ctx=gast.Load())
    return node


def _defining_class(func):
    """The module-level class (or a class nested in one) whose attribute ``func``'s code
    is, by its qualified name (``Model.loss``), or None (a function of a class made inside a
    function, or not its class's attribute any more)."""
    made_for = getattr(func, "__tangentlike_class__", None)
    if made_for is not None:   # (calls.method_for_class: a method as a subclass's)
        return made_for
    parts = getattr(func, "__qualname__", "").split(".")
    if len(parts) < 2 or "<locals>" in parts:
        return None
    owner = getattr(func, "__globals__", {}).get(parts[0])
    for part in parts[1:-1]:
        owner = getattr(owner, part, None)
    if not isinstance(owner, type) or getattr(inspect.getattr_static(
            owner, parts[-1], None), "__code__", None) is not func.__code__:
        return None   # (by its code: a function derived again is a copy, entry.Rederived)
    return owner


class _WeakCallee:
    def __init__(self, obj):
        self.ref = weakref.ref(obj)


def _weak_callees(nodes) -> bool:
    """Make the user functions the calls among ``nodes`` call weak references; whether
    there are any."""
    weak = False
    for node in nodes:   # (the attribute is the node's own: read from its __dict__)
        callee = node.__dict__.get("callee")
        if callee is not None and is_user_function(callee):
            node.callee = _WeakCallee(callee)
            weak = True
    return weak


def _strong_callees(tree) -> bool:
    """Give ``tree`` its callees back; False if one of them is gone."""
    for node in walk(tree):
        callee = node.__dict__.get("callee")
        if callee.__class__ is _WeakCallee:
            node.callee = callee.ref()
            if node.callee is None:
                return False
    return True


def _user_lookup(parsed, user_locals):
    """What a name means in the user's function (MISSING for its locals): the binder's
    lookup (as _Normalizer.user_object answers; a function of its own, which the binder
    may keep without keeping the pass)."""
    def lookup(name):
        if name in user_locals:
            return MISSING
        return parsed.lookup(name, MISSING)
    return lookup


def normalize(parsed: Parsed) -> Normalized:
    """Rewrite ``parsed`` into the core language (see the module docstring)."""
    return _Normalizer(parsed).run()


class _Normalizer:
    def __init__(self, parsed: Parsed):
        self.parsed = parsed
        self.namer = Namer(names_in(parsed.node))
        fdef = parsed.node
        self.params = [a.id for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
        body = fdef.body
        if contains(body, (gast.ListComp, gast.GeneratorExp, gast.Call),
                    lambda n: n.__class__ is not gast.Call
                    or n.func.__class__ is gast.Attribute and n.func.attr == "extend"):
            # (comprehensions.py is imported by the first function that has one; it
            # writes `lst.extend(items)` as the appends it makes, too)
            from .comprehensions import lower_comprehensions
            body = lower_comprehensions(body, self.namer)
        mark_unassigned_returns(body, self.params)
        self.body = lower_exits(body, self.namer, fdef, check_returns=True)
        self.user_locals = set(self.params) | _assigned_names(self.body)
        # (the user's locals, kept up to date in place: a lookup of its own, not a method
        # of this pass, which the binder would keep alive in a reference cycle)
        self.binder = GlobalBinder(self.namer, _user_lookup(parsed, self.user_locals))
        # Variables assigned inside if/for/while keep one name (no SSA versions).
        self.mutable = _assigned_in_compound(self.body)
        self.stacks = set()   # lists the body appends to or pops from
        self.depth = 0
        self.created = {}   # local -> whether every value it held is a new array
        # the locals that hold a new array here: assigned one, and nothing since, on every
        # path to here (kept with the lengths of lists: known_lengths); a write into one
        # writes into that array (`z = z.copy(); z[0] = v` after a loop that assigned z a
        # helper's result, also in a loop or a branch below the copy)
        self.fresh = set()
        self.list_displays = set()   # locals last assigned a list display
        self.constant_lists = set()   # locals last assigned a list display of numbers
        self.sequences = {}  # local -> length of the list/tuple literal it holds here
        # local -> the length of the list a comprehension built, which nothing else changes
        # (comprehensions.py: `items_of`)
        self.built = {}
        self.exit_lengths = None   # (the lengths known at the end of the last block)
        self.computed = set()   # those among them whose literal holds a variable
        self.tuples = set()  # locals among those that hold tuples
        # locals that last held a dict: whether the function built it (`dict(a=x)`), or
        # copied one it was given (for write_item's message and `.copy()`)
        self.dicts = {}
        self.loads = {}     # how often the body reads each name
        self.keyed = set()  # names the body reads by a string key (`opts["a"]`): dicts
        copies = []         # (target, receiver) of each `target = receiver.copy()`
        # names assigned what may be a read-only view (`y = np.diag(x)` of a matrix): their
        # `y += v` checks that y can be written, as NumPy does (stmt_AugAssign)
        self.read_only = set()
        for node in walk(self.body):
            if isinstance(node, gast.Assign) and isinstance(node.value, gast.Call) \
                    and _called_name(node.value.func) in READ_ONLY_VIEWS:
                self.read_only |= {t.id for t in node.targets if isinstance(t, gast.Name)}
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                self.loads[node.id] = self.loads.get(node.id, 0) + 1
            elif isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant) \
                    and isinstance(node.slice.value, str):
                keyed = node.value.func.value if _is_copy(node.value) else node.value
                if isinstance(keyed, gast.Name):
                    self.keyed.add(keyed.id)
            elif isinstance(node, gast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], gast.Name) and _is_copy(node.value):
                copies.append((node.targets[0].id, node.value.func.value.id))
            elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and node.func.attr in ("append", "pop") \
                    and isinstance(node.func.value, gast.Name):
                self.stacks.add(node.func.value.id)
        for _ in copies:   # the copy of a dict is a dict
            self.keyed |= {receiver for target, receiver in copies if target in self.keyed}
        # what is copied into a list the body appends to or pops from is a list
        self.listed = {receiver for target, receiver in copies if target in self.stacks}
        # versions that may hold a list or tuple display (a copy of one too), whose `+`
        # joins them: the variables assigned in ifs and loops (one name for all their
        # values) from the start, as a turn may read a display assigned further down
        self.displayed = _displayed(self.body) & self.mutable
        self.lists_of_lists = set()   # those among them whose display holds such values
        self.local_functions = {}   # name -> FunctionDef of a local def or lambda
        self.not_lists = {}   # user variable -> the class (not list) that made its value
        self.inlining = []          # names of the local functions being inlined
        self.current = {p: p for p in self.params}   # user's name -> current version
        self.versions = {p: p for p in self.params}
        self.out = []
        self.origin = None
        self.no_grad = 0
        self.errstate = ()   # the settings of the `with np.errstate(...)` blocks around
        self.returned = False

    def user_object(self, name):
        """What ``name`` means in the user's function (MISSING for its locals)."""
        if name in self.user_locals:
            return MISSING
        return self.parsed.lookup(name, MISSING)

    def error(self, message, node, hint=None) -> TransformError:
        return self.parsed.error(message, node, hint)

    # -- statements -------------------------------------------------------------
    def run(self) -> Normalized:
        self.refuse_changing_methods_as_values()
        for stmt in self.body:
            if self.returned:
                raise self.error("code after `return` is never run", stmt,
                                 hint="remove the unreachable statements")
            self.statement(stmt)
        if not self.returned:
            raise self.error("the function does not return a value", self.parsed.node,
                             hint="end the function with `return <value>`")
        if not self.parsed.filename.startswith("<tangentlike "):
            # generated derivatives restore what they overwrite before reading it again
            check = _AliasCheck(self)
            check.block(self.out, _AliasState.of(self.params))
            self.out = check.guarded(self.out)
        locals_ = set(self.versions)
        normalized = Normalized(self.parsed, self.params, self.out, self.namer, self.binder,
                                locals_, self.versions, self.user_locals)
        return normalized

    def refuse_changing_methods_as_values(self) -> None:
        """``map(items.__setitem__, ...)``, ``f = items.append``, ``reduce(..., d.update)``,
        ``helper(z.fill)``: a method that changes its object, taken as a value (not
        called where it is written) changes the object wherever it is called, out of
        the derivative's sight, which would read the object as it was (a wrong
        gradient, silently). Refused at its line."""
        called, methods = set(), []
        for node in walk(self.parsed.node.body):
            if isinstance(node, gast.Call):
                called.add(id(node.func))
            elif isinstance(node, gast.Attribute) and node.attr in _CHANGING_METHODS:
                methods.append(node)
        for node in methods:
            if isinstance(node.ctx, gast.Load) and id(node) not in called \
                    and isinstance(node.value, gast.Name) and node.value.id in self.user_locals:
                owner = node.value.id
                raise self.error(
                    f"`{owner}.{node.attr}` is taken as a value (given to a function or "
                    f"kept in a variable), and it changes `{owner}` where it is called: "
                    "the derivative cannot follow that change", node,
                    hint=f"make the change a statement here, in a loop if needed: "
                    f"{_change_as_statement(owner, node.attr)}")

    def emit(self, stmt):
        stmt.origin = Origin.of(self.origin)
        stmt.no_grad = self.no_grad > 0
        if self.errstate:
            stmt.errstate = self.errstate
        self.out.append(stmt)
        return stmt

    def nested(self, statements, before=None, after=None, loop=False):
        """Normalize ``statements`` into a new block (the body of a compound statement);
        ``before``/``after`` add statements of their own around them. The block may be
        skipped, so the lengths of lists known after it are those it leaves as they were
        (``self.exit_lengths`` keeps the ones at its end); the body of a loop (``loop``)
        also starts without the lengths of the names it assigns (a turn may start with
        the value the turn before left)."""
        outer, self.out = self.out, []
        self.depth += 1
        functions = dict(self.local_functions)
        entry = self.known_lengths()
        if loop:
            assigned = _assigned_names(statements)
            self.forget_lengths(name for name in assigned
                                if not self.keeps_length(statements, name))
            self.fresh -= assigned   # (a turn may start with what the turn before left)
        try:
            if before is not None:
                before()
            for stmt in statements:
                self.statement(stmt)
            if after is not None:
                after()
            self.exit_lengths = self.known_lengths()
            self.join_lengths(entry)
            return self.out
        finally:
            self.out = outer
            self.depth -= 1
            for name, fdef in self.local_functions.items():
                if functions.get(name) is not fdef:   # defined in this block only
                    self.local_functions[name] = _Conditional(fdef)

    def statement(self, stmt):
        outer, self.origin = self.origin, stmt
        try:
            method = getattr(self, "stmt_" + type(stmt).__name__, None)
            if method is None:
                raise self.error(*_unsupported_statement(stmt))
            method(stmt)
        finally:
            self.origin = outer

    def stmt_Expr(self, stmt):
        value = stmt.value
        cls = value.__dict__.get("inlined_method")
        if cls is not None:   # (inline.py: `self.predict(...)` written out in a version)
            self.method_guard(value, _global_chain(cls, self.parsed), value.func.attr,
                              _load(self.current[value.func.value.id]),
                              _method_line(value.func).lineno)
            return
        if isinstance(value, gast.Constant):  # docstring or bare constant
            return
        if isinstance(value, (gast.Yield, gast.YieldFrom, gast.Await)):
            raise self.error(*_unsupported_statement(value))
        if not isinstance(value, gast.Call):
            if any(isinstance(n, gast.Call) for n in gast.walk(value)):
                self.expr(value)   # its calls run (`lst.pop() if lst else 0.0`)
            return  # otherwise a bare expression has no effect
        call = self.call(value)
        if getattr(call, "callee", None) is list.pop:   # the popped value is discarded,
            self.bind_new(None, call)                     # but the derivative pops too
            return
        self.emit(gast.Expr(value=call))

    def stmt_Pass(self, stmt):
        pass

    def stmt_Assert(self, stmt):
        """``assert test, message``: checked when the derived function runs, by
        ``check_assertion(test, message)``. A message that is not a literal is replaced
        by the assertion's place (Python computes it only when the test fails)."""
        test = self.atom(stmt.test)
        message = stmt.msg.value if isinstance(stmt.msg, gast.Constant) else \
            f"assertion failed at {short_filename(self.parsed.filename)}:" \
            f"{self.parsed.error('', stmt).lineno}"
        call = gast.Call(func=_load(self.binder.name_for("check_assertion", check_assertion)),
                         args=[test, gast.Constant(value=message, kind=None)], keywords=[])
        call.callee = check_assertion
        self.emit(gast.Expr(value=call))

    def stmt_Raise(self, stmt):
        """``raise E`` (``from C``): raised when the derived function runs that path, by
        ``raise_exception(E, C)``, as Python raises it. E and C are computed without a
        derivative (a path that raises returns nothing to differentiate)."""
        if stmt.exc is None:
            raise self.error("a bare `raise` re-raises the exception being handled, and "
                             "try/except cannot be differentiated", stmt,
                             hint="raise an exception by name: `raise ValueError(...)`")
        self.no_grad += 1
        try:
            args = [self.atom(stmt.exc)]
            if stmt.cause is not None:
                args.append(self.atom(stmt.cause))
        finally:
            self.no_grad -= 1
        call = gast.Call(func=_load(self.binder.name_for("raise_exception", raise_exception)),
                         args=args, keywords=[])
        call.callee = raise_exception
        self.emit(gast.Expr(value=call))

    # -- functions defined inside the function: inlined where they are called ----------
    def stmt_FunctionDef(self, stmt):
        if stmt.decorator_list:
            raise self.error("decorated functions inside a differentiated function are not "
                             "supported", stmt.decorator_list[0],
                             hint="define it without decorators")
        if stmt.args.vararg or stmt.args.kwarg:
            raise self.error("local functions with *args or **kwargs are not supported", stmt,
                             hint="name each argument")
        fdef = gast.copy_location(gast.FunctionDef(
            name=stmt.name, args=self.defaults_now(stmt.name, stmt.args), body=stmt.body,
            decorator_list=[], returns=None, type_comment=None, type_params=[]), stmt)
        self.local_functions[stmt.name] = fdef

    def local_lambda(self, name, lam):
        ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
        fdef = gast.FunctionDef(name=name, args=self.defaults_now(name, lam.args), body=[ret],
                                decorator_list=[], returns=None, type_comment=None,
                                type_params=[])
        self.local_functions[name] = gast.copy_location(fdef, lam)

    def defaults_now(self, name, args):
        """``args`` of a local def or lambda whose defaults that are not constants are
        computed where it is defined, as Python does (``def g(v, c=a)`` keeps the ``a`` of
        that line when ``a`` is reassigned before the call), into variables of their own."""
        def now(param, value):
            if value is None or isinstance(value, gast.Constant):
                return value
            return _normalized(self.bind_new(f"{name}_{param.id}", self.expr(value)))
        positional = args.posonlyargs + args.args
        given = positional[len(positional) - len(args.defaults):]
        return gast.arguments(
            args=args.args, posonlyargs=args.posonlyargs, vararg=args.vararg,
            kwonlyargs=args.kwonlyargs, kwarg=args.kwarg,
            defaults=[now(p, v) for p, v in zip(given, args.defaults)],
            kw_defaults=[now(p, v) for p, v in zip(args.kwonlyargs, args.kw_defaults)])

    def inline(self, node, fdef):
        """A call of a local function or lambda: its body, with fresh names, in place.
        Free names read the caller's variables as they are at the call, like a closure."""
        if self.inlining.count(fdef.name) > 8:
            raise self.error(f"the local function `{fdef.name}` calls itself", node,
                             hint="define recursive functions at module level")
        params = [a.id for a in fdef.args.posonlyargs + fdef.args.args]
        keyword_only = [a.id for a in fdef.args.kwonlyargs]
        if len(node.args) > len(params):
            raise self.error(f"`{fdef.name}` takes {len(params)} positional arguments", node)
        bound = dict(zip(params, node.args))
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in params + keyword_only or kw.arg in bound:
                raise self.error(f"`{fdef.name}` got an unexpected keyword argument", kw)
            bound[kw.arg] = kw.value
        defaults = dict(zip(params[len(params) - len(fdef.args.defaults):], fdef.args.defaults))
        defaults.update({a.id: v for a, v in zip(fdef.args.kwonlyargs, fdef.args.kw_defaults)
                         if v is not None})
        for p in params + keyword_only:
            if p not in bound:
                if p not in defaults:
                    raise self.error(f"`{fdef.name}` is called without its argument `{p}`", node)
                bound[p] = defaults[p]
        body = clone(fdef.body)
        local = set(params + keyword_only) | _assigned_names(body)
        renames = {name: self.namer.fresh(name) for name in sorted(local)}
        body = lower_exits(body, self.namer, fdef)
        local |= _assigned_names(body) - local
        for name in _assigned_names(body):
            renames.setdefault(name, self.namer.fresh(name))
        body = [_Rename(renames).visit(stmt) for stmt in body]
        if not body or not isinstance(body[-1], gast.Return):
            body.append(gast.copy_location(gast.Return(value=gast.Constant(value=None, kind=None)),
                                           fdef))
        new_names = set(renames.values())
        self.user_locals |= new_names
        if self.depth:
            self.mutable |= new_names
        else:
            self.mutable |= _assigned_in_compound(body)
        for p in params + keyword_only:   # arguments are evaluated in the caller's scope
            self.bind_user(renames[p], self.expr(bound[p]))
        self.inlining.append(fdef.name)
        try:
            for stmt in body[:-1]:
                self.statement(stmt)
            ret = body[-1]
            if ret.value is None:
                return gast.Constant(value=None, kind=None)
            return self.expr(ret.value)
        finally:
            self.inlining.pop()

    def stmt_Assign(self, stmt):
        where = getattr(stmt, "returns_no_number", None)
        if where is not None:
            self.emit(self.no_number_guard(where))
        if getattr(stmt, "unassigned", None):
            self.emit(self.assigned_guard(stmt.unassigned, stmt))
        if isinstance(stmt.value, gast.Lambda) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name):
            self.local_lambda(stmt.targets[0].id, stmt.value)
            return
        lambdas = _lambdas_unpacked(stmt)
        if lambdas:   # sq, cu = lambda v: v * v, lambda v: v * v * v
            for name, lam in lambdas:
                self.local_lambda(name, lam)
            return
        value = self.expr(stmt.value)
        targets = stmt.targets
        if len(targets) > 1:
            # a = b = e  ->  t = e; a = t; b = t
            atom = self.atomize(value, stmt.value)
            for target in targets:
                self.assign(target, atom, stmt)
            return
        self.assign(targets[0], value, stmt)
        items = getattr(stmt, "items_of", None)
        if items is not None and self.count_of(items) is not None:
            self.built[self.current[targets[0].id]] = self.count_of(items)
        if getattr(stmt, "final_result", False) and self.out:
            last = self.out[-1]
            if isinstance(last, gast.Assign) and isinstance(last.targets[0], gast.Name) \
                    and self.versions.get(last.targets[0].id) == targets[0].id:
                last.final_result = True

    def stmt_AnnAssign(self, stmt):
        if stmt.value is None:
            return
        self.assign(stmt.target, self.expr(stmt.value), stmt)

    def stmt_AugAssign(self, stmt):
        target = stmt.target
        if isinstance(target, gast.Subscript):
            # y[i] += v  ->  t = y[i]; y[i] = t + v (the index evaluated once)
            index = self.index(target.slice)
            old = self.bind_new(None, gast.Subscript(value=self.atom(target.value),
                                                     slice=index, ctx=gast.Load()))
            new = gast.BinOp(left=old, op=stmt.op, right=self.atom(stmt.value))
            self.write_item(gast.Subscript(value=target.value, slice=_Ready(index),
                                           ctx=gast.Store()), new, stmt)
            return
        if not isinstance(target, gast.Name):
            raise self.error("augmented assignment to an attribute is not supported", stmt,
                             hint="use a local variable")
        load = gast.Name(id=target.id, ctx=gast.Load(), annotation=None, type_comment=None)
        gast.copy_location(load, target)
        binop = gast.BinOp(left=load, op=stmt.op, right=stmt.value)
        gast.copy_location(binop, stmt)
        old = self.current.get(target.id)
        if old is not None and target.id in self.read_only:
            # NumPy refuses to write into a read-only view, where `y = y + v` would not
            check = gast.Call(func=_load(self.binder.name_for("require_writable",
                                                              require_writable)),
                              args=[_load(old)], keywords=[])
            check.callee = require_writable
            self.emit(gast.copy_location(gast.Expr(value=check), stmt))
        value = self.expr(binop)
        if old is not None and not (isinstance(stmt.value, gast.Constant) and type(
                stmt.value.value) in (int, float, bool)):
            # on an array the result is written into the array, which keeps its dtype
            # (and shape): z = in_place(z * v, z); a number's result is the same either way
            value = self.builtin_call(in_place, [self.atomize(value, binop), _load(old)])
            gast.copy_location(value, stmt)
        self.assign(target, value, stmt)
        if old is not None:
            # on an array, Python changes the object itself: other names of it see that
            self.out[-1].inplace = old

    def stmt_Return(self, stmt):
        if self.depth:
            raise self.error("`return` inside `if` or a loop is not supported yet", stmt,
                             hint="assign the result to a variable and return it at the end")
        if getattr(stmt, "unassigned", None):
            self.emit(self.assigned_guard(stmt.unassigned, stmt))
        if stmt.value is None:
            raise self.error("the function returns nothing to differentiate", stmt,
                             hint="return the value to differentiate")
        value = stmt.value
        if isinstance(value, gast.Constant) and (value.value is None or isinstance(
                value.value, (str, bytes)) or value.value is Ellipsis):
            # (the derivative of a constant would be zeros, silently)
            raise self.error(f"the function returns {value.value!r}, not a number to "
                             "differentiate", stmt, hint="return the value to differentiate")
        if isinstance(value, gast.Tuple):
            elts = [self.atom(e) for e in self.spliced(value.elts, "a tuple display")]
            ret = gast.Return(value=gast.Tuple(elts=elts, ctx=gast.Load()))
        else:
            expr = self.expr(value)
            if not _is_atom(expr):
                expr = self.bind_new("out", expr)
            ret = gast.Return(value=expr)
        self.emit(ret)
        self.returned = True

    def stmt_With(self, stmt):
        if len(stmt.items) == 1 and stmt.items[0].optional_vars is None:
            ctx = stmt.items[0].context_expr
            target = ctx.func if isinstance(ctx, gast.Call) else ctx
            obj = resolve_static(self.parsed, target) if not self._is_local_ref(target) else MISSING
            if obj is no_grad and not (isinstance(ctx, gast.Call) and not ctx.args
                                       and not ctx.keywords):
                # `with tl.no_grad:` (the class, which Python refuses as a context
                # manager) or `with tl.no_grad(1.0):` (which it cannot make)
                raise self.error("`tl.no_grad` is used without its call, or with arguments, "
                                 "which Python refuses when the function runs", ctx,
                                 hint="write `with tl.no_grad():`")
            if obj is no_grad:
                self.no_grad += 1
                try:
                    for inner in stmt.body:
                        self.statement(inner)
                finally:
                    self.no_grad -= 1
                return
            if obj is np.errstate and isinstance(ctx, gast.Call):
                outer = self.errstate
                self.errstate = self.errstate_of(ctx, outer)
                try:
                    for inner in stmt.body:
                        self.statement(inner)
                finally:
                    self.errstate = outer
                return
        raise self.error("`with` blocks other than `with tl.no_grad():` and `with "
                         "np.errstate(...):` are not supported", stmt,
                         hint="move the context manager outside the differentiated function")

    def errstate_of(self, call, outer) -> tuple:
        """The settings ``np.errstate(divide="ignore", ...)`` makes inside ``outer``'s
        (nested blocks: the inner one's keywords win, ``all=`` sets the four first), as
        sorted (category, setting) pairs: the statements of the block, and their
        derivative's, run under them (reverse.wrap_errstate)."""
        settings = dict(outer)
        keywords = {}
        for kw in call.keywords:
            if kw.arg not in ERRSTATE_CATEGORIES + ("all",) or call.args or not (
                    isinstance(kw.value, gast.Constant) and kw.value.value in ERRSTATE_SETTINGS):
                raise self.error("`np.errstate` is supported with the keywords divide, over, "
                                 "under, invalid and all, each given one of "
                                 f"{', '.join(map(repr, ERRSTATE_SETTINGS))} written in the "
                                 "call", kw if kw.arg is not None else call,
                                 hint='write it as `with np.errstate(divide="ignore", '
                                 'invalid="ignore"):`')
            keywords[kw.arg] = kw.value.value
        if call.args:
            raise self.error("`np.errstate` takes its settings as keywords", call,
                             hint='write it as `with np.errstate(divide="ignore"):`')
        if "all" in keywords:
            settings.update((category, keywords["all"]) for category in ERRSTATE_CATEGORIES)
        settings.update((k, v) for k, v in keywords.items() if k != "all")
        return tuple(sorted(settings.items()))

    def decision(self, atom):
        """An atom the reverse pass can read again: a variable that control flow may
        reassign (or a list that may shrink) is first turned into ``bool(...)``, so the
        recorded decision is the one taken."""
        if isinstance(atom, gast.Name) and (atom.id in self.mutable or
                                            self.versions.get(atom.id) in self.stacks):
            return self.bind_new(None, self.builtin_call(bool, [atom]))
        return atom

    def snapshot(self, atom):
        """A loop bound the reverse pass reads again, copied if control flow may reassign
        the variable it came from."""
        if isinstance(atom, gast.Name) and atom.id in self.mutable:
            return self.bind_new(None, atom)
        return atom

    def stmt_If(self, stmt):
        test = self.decision(self.atom(stmt.test))
        entry = self.known_lengths()
        body = self.nested(stmt.body, before=getattr(stmt, "before", None))
        taken = self.exit_lengths
        self.restore_lengths(entry)   # (the else branch starts where the if did)
        orelse = self.nested(stmt.orelse)
        self.after_branches(taken)
        self.emit(gast.If(test=test, body=body or [gast.Pass()], orelse=orelse))

    # A list's length is known where it was assigned a display (`L = [a, b]`), so that
    # `L + [c]` can be written as one display; after an `if`, where both ends agree, and
    # after a loop, where the loop's end agrees with what it was before the loop. The
    # names that hold a new array (`fresh`) are followed the same way.
    def known_lengths(self):
        return dict(self.sequences), set(self.tuples), set(self.computed), set(self.fresh)

    def after_branches(self, taken):
        """After an if/else whose first branch ended with the lengths ``taken`` and the
        second was the last block: one of the two ends is reached."""
        self.restore_lengths(self.exit_lengths)
        self.join_lengths(taken)

    def restore_lengths(self, known):
        self.sequences, self.tuples, self.computed, self.fresh = (
            dict(known[0]), set(known[1]), set(known[2]), set(known[3]))

    def join_lengths(self, other):
        """Keep the lengths that ``other`` (the facts of another path) agrees with."""
        lengths, tuples, computed, fresh = other
        for name in list(self.sequences):
            if lengths.get(name) != self.sequences[name] or \
                    (name in tuples) != (name in self.tuples):
                del self.sequences[name]
                self.tuples.discard(name)
        self.computed |= computed
        self.fresh &= fresh

    def keeps_length(self, statements, name):
        """Whether every assignment of ``name`` in ``statements`` is a display of the
        length (and kind) it has now: a loop's turns then all start with that length."""
        if name not in self.sequences:
            return False
        kind = gast.Tuple if name in self.tuples else gast.List
        displays, stores = set(), []
        for node in walk(statements):
            if isinstance(node, gast.Name) and node.id == name and \
                    isinstance(node.ctx, gast.Store):
                stores.append(node)
            elif isinstance(node, gast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.value, kind) \
                    and len(node.value.elts) == self.sequences[name] \
                    and not any(isinstance(e, gast.Starred) for e in node.value.elts):
                displays.add(id(node.targets[0]))
        return all(id(node) in displays for node in stores)

    def forget_lengths(self, names):
        for name in names:
            self.sequences.pop(name, None)
            self.tuples.discard(name)

    def stmt_For(self, stmt):
        iterator = stmt.iter
        callee = None
        if isinstance(iterator, gast.Call) and not self._is_local_ref(iterator.func):
            callee = resolve_static(self.parsed, iterator.func)
        backwards = False
        if callee is reversed and len(iterator.args) == 1 and isinstance(iterator.args[0],
                                                                          gast.Call):
            inner = iterator.args[0]
            if not self._is_local_ref(inner.func) and \
                    resolve_static(self.parsed, inner.func) is range:
                iterator, callee, backwards = inner, range, True
        if callee is range:
            if iterator.keywords or not 1 <= len(iterator.args) <= 3:
                raise self.error("range() takes one to three positional arguments", iterator)
            bounds = [self.snapshot(self.atom(a)) for a in iterator.args]
            if not isinstance(stmt.target, gast.Name):
                raise self.error("a loop over range() needs one loop variable", stmt)
            index = stmt.target.id
            if _assigns_name(stmt.body, index) or \
                    _left_early(stmt.body) and self.read_outside(index, stmt):
                # the body reassigns the loop variable (j = j + m), or the loop runs out
                # its turns after a break (exits.py) and j is read after it: the loop
                # runs on a counter of its own, which the reversed loop recomputes, and j
                # is an ordinary variable set from it at each turn (saved where
                # reassigned), while not broken
                counter = self.namer.fresh(index)
                self.versions[counter] = None
                self.emit_loop(counter, bounds, stmt.body, [(stmt.target, _load(counter))],
                               stmt, backwards=backwards)
            else:
                self.current[index] = index
                self.versions[index] = index
                self.emit_loop(index, bounds, stmt.body, [], backwards=backwards)
        else:
            self.sequence_loop(stmt, iterator, callee)
        for inner in stmt.orelse:  # no break: the else block always runs
            self.statement(inner)

    def refuse_zip_keywords(self, call):
        """``zip(xs, ys, strict=True)``: the loop over indices stops at the shortest
        sequence, as zip does, but does not check that they are as long."""
        for kw in call.keywords:
            raise self.error(f"the keyword `{kw.arg}` of `zip` is not supported in a "
                             "differentiated function", kw.value if kw.arg else call,
                             hint="check the lengths before the loop (`assert len(xs) == "
                             "len(ys)`) and call `zip(xs, ys)` without it")

    def sequence_loop(self, stmt, iterator, callee):
        """``for v in seq`` / ``enumerate(seq)`` / ``zip(a, b)`` -> a loop over indices."""
        target = stmt.target
        self.refuse_changing_the_walked_list(stmt, iterator)
        start = None
        if callee is enumerate:
            given = list(iterator.args[1:]) + [k.value for k in iterator.keywords
                                               if k.arg == "start"]
            if not iterator.args or len(given) > 1 or \
                    len(given) != len(iterator.args) - 1 + len(iterator.keywords) or not (
                    isinstance(target, gast.Tuple) and len(target.elts) == 2):
                raise self.error("use `for i, v in enumerate(seq):` or "
                                 "`enumerate(seq, start)`", stmt)
            if given:   # evaluated once, before the loop, as Python does
                start = self.bind_new(None, self.atom(given[0]))
            inner = iterator.args[0]
            if isinstance(inner, gast.Call) and not self._is_local_ref(inner.func) and \
                    resolve_static(self.parsed, inner.func) is zip:
                # for i, (a, b) in enumerate(zip(xs, ys))
                names = target.elts[1]
                self.refuse_zip_keywords(inner)
                if not (isinstance(names, gast.Tuple)
                                          and len(names.elts) == len(inner.args)):
                    raise self.error("use `for i, (a, b) in enumerate(zip(xs, ys)):` with "
                                     "one name per sequence", stmt)
                seqs, targets = [self.sequence(a) for a in inner.args], names.elts
            else:
                seqs, targets = [self.sequence(inner)], [target.elts[1]]
            counter = target.elts[0]
        elif callee is zip:
            self.refuse_zip_keywords(iterator)
            if not (isinstance(target, gast.Tuple)
                                         and len(target.elts) == len(iterator.args)):
                raise self.error("use `for a, b in zip(xs, ys):` with one name per sequence",
                                 stmt)
            seqs, targets, counter = [self.sequence(a) for a in iterator.args], target.elts, None
        elif callee is reversed:
            seqs, targets, counter = [self.sequence(iterator)], [target], None
        elif _dict_view(iterator):
            seqs, targets, counter = [self.sequence(iterator)], [target], None
        elif isinstance(iterator, (gast.Name, gast.Attribute, gast.Subscript, gast.Tuple,
                                   gast.List, gast.BinOp, gast.UnaryOp, gast.IfExp)) \
                or callee is not None and (rules.lookup(callee) is not None
                                           or rules.is_nondifferentiable(callee)
                                           or is_user_function(callee)) \
                or isinstance(iterator, gast.Call) and isinstance(iterator.func, gast.Attribute) \
                and iterator.func.attr in METHODS and (callee is None or callee is MISSING) \
                or isinstance(iterator, gast.Call) and isinstance(iterator.func, gast.Name) \
                and iterator.func.id in self.local_functions:
            # (arithmetic, a user function's result, a local function's (inlined), and
            # array methods such as `x.ravel()`, are evaluated once)
            seqs, targets, counter = [self.atom(iterator)], [target], None
        else:
            raise self.error("this kind of loop is not supported", stmt.iter,
                             hint="loop over range(...), an array, a list, enumerate, zip "
                             "or a dict's items(), keys() or values()")
        for seq in seqs:
            self.sequence_check(seq, stmt)
        # a list appended to (a stack) is walked in a copy, `list(lst)`, as a read by
        # position copies it: the adjoint of the loop then sees the list as it was
        seqs = [self.frozen(s) if self._is_stack(s) else self.snapshot(s) for s in seqs]
        lengths = [self.bind_new(None, self.builtin_call(len, [s])) for s in seqs]
        if len(lengths) > 1:
            bound = self.bind_new(None, self.builtin_call(min, lengths))
        else:
            bound = lengths[0]
        if counter is not None and isinstance(counter, gast.Name) and start is None \
                and not _assigns_name(stmt.body, counter.id) \
                and not (_left_early(stmt.body) and self.read_outside(counter.id, stmt)):
            index = counter.id
            self.current[index] = index
            self.versions[index] = index
        else:
            index = self.namer.fresh("i")
            self.versions[index] = None
            if counter is not None:   # enumerate's counter, reassigned in the body
                targets, seqs = [counter] + list(targets), [None] + list(seqs)
        picks = []
        for seq, tgt in zip(seqs, targets):
            if seq is None and start is not None:   # enumerate(seq, start)'s counter
                picks.append((tgt, gast.BinOp(left=_load(index), op=gast.Add(),
                                              right=_load(start.id))))
                continue
            item = _load(index) if seq is None else \
                gast.Subscript(value=seq, slice=_load(index), ctx=gast.Load())
            view = getattr(seq, "dict_view", None)
            if view is not None and view[0] != "keys":
                item = self.dict_item(item, *view)
            picks.append((tgt, item))
        self.emit_loop(index, [bound], stmt.body, picks, stmt)

    def read_outside(self, name: str, loop) -> bool:
        """Whether the function may read ``name`` outside ``loop`` (after it, or in a
        later turn of an outer loop). Inside an inlined local function the names are
        renamed copies, so the answer there is always yes."""
        if self.inlining:
            return True
        inside = sum(1 for n in walk(loop)
                     if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load))
        return self.loads.get(name, 0) > inside

    def refuse_changing_the_walked_list(self, stmt, iterator):
        """``for v in lst: lst.append(...)``: Python's loop walks the items appended while
        it runs (and stops early after a pop), the loop by position made here walks the
        items there were at its start: refused, as its derivative would be of another
        function."""
        walked = self.walked_by(iterator)
        for node in walk(stmt.body):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and node.func.attr in ("append", "pop", "extend", "insert", "remove",
                                           "clear") \
                    and isinstance(node.func.value, gast.Name) and node.func.value.id in walked:
                name = node.func.value.id
                raise self.error(
                    f"`{name}.{node.func.attr}(...)` inside a `for` loop over `{name}`: the "
                    f"loop would walk the items it adds (or stop early after a pop), which "
                    f"is not supported", node,
                    hint=f"loop over a copy (`for v in list({name}):`), or over "
                    f"`range(n)` with the number of turns you want")

    def walked_by(self, node) -> set:
        """The user's lists a loop over ``node`` walks (``lst``, ``zip(lst, other)``,
        ``enumerate(lst)``; a copy, ``list(lst)`` or ``reversed(lst)``, is not changed
        by the loop)."""
        if isinstance(node, gast.Name):
            return {node.id} & self.user_locals
        if isinstance(node, gast.Call) and not self._is_local_ref(node.func) and \
                resolve_static(self.parsed, node.func) in (enumerate, zip):
            return set().union(*(self.walked_by(a) for a in node.args))
        return set()

    def located(self, lineno) -> list:
        """``source_file, lineno``: the user's file and a line of it, for the checks that
        name it when the derived function runs. The file is a global of the generated
        code (its path is not written into the code)."""
        return [_load(self.binder.name_for("source_file", self.parsed.filename)),
                gast.Constant(value=lineno, kind=None)]

    def sequence_check(self, seq, where):
        """``require_sequence(seq, file, line)`` before a loop over a parameter: a dict or
        a set argument would be read by position, so it is refused when it runs."""
        if isinstance(seq, gast.Name) and seq.id in self.params:
            call = gast.Call(func=_load(self.binder.name_for("require_sequence",
                                                             require_sequence)),
                             args=[_load(seq.id),
                                   *self.located(self.parsed.error("", where).lineno)],
                             keywords=[])
            call.callee = require_sequence
            self.emit(gast.Expr(value=call))

    def sequence(self, node):
        """An atom for a sequence a loop walks by index: ``reversed(seq)`` (an iterator,
        which has no length and cannot be indexed) is walked as ``seq[::-1]``; a dict's
        ``d.items()``, ``d.keys()``, ``d.values()`` as the list of its keys made before
        the loop (as Python's view is), the atom marked ``dict_view`` = (the view, d):
        the loop picks ``d[k]`` at each turn, the value the view gives then."""
        if _dict_view(node):
            owner = self.snapshot(self.atom(node.func.value))
            keys = self.bind_new(None, self.builtin_call(keys_of, [owner]))
            keys.dict_view = (node.func.attr, owner)
            return keys
        if isinstance(node, gast.Call) and not self._is_local_ref(node.func) and \
                resolve_static(self.parsed, node.func) is reversed:
            if len(node.args) != 1 or node.keywords:
                raise self.error("reversed() takes one argument", node)
            self.sequence_check(node.args[0], node)
            step = gast.Slice(lower=None, upper=None, step=gast.Constant(value=-1, kind=None))
            node = gast.copy_location(gast.Subscript(value=node.args[0], slice=step,
                                                     ctx=gast.Load()), node)
        return self.atom(node)

    def dict_item(self, key, view, owner):
        """What a loop over ``owner.values()`` or ``owner.items()`` picks at a turn, given
        the key's read (``keys[i]``): made when picked (the key first: operations on
        atoms), ``d[k]`` or ``(k, d[k])``."""
        def picked():
            k = self.bind_new(None, clone(key))
            value = gast.Subscript(value=clone(owner), slice=k, ctx=gast.Load())
            if view == "values":
                return value
            return gast.Tuple(elts=[_load(k.id), self.bind_new(None, value)], ctx=gast.Load())
        return picked

    def emit_loop(self, index, bounds, body, picks, stmt=None, backwards=False):
        def pick():
            for tgt, item in picks:
                self.assign(tgt, item() if callable(item) else item, stmt)

        if picks and _left_early(body):
            # after a break the loop runs out its turns doing nothing (exits.py): the loop
            # variables keep the values of the turn that broke
            guard = body[0]
            guard.before = pick
            try:
                block = self.nested(body, loop=True)
            finally:
                guard.before = None   # (the tree may be normalized again)
        else:
            block = self.nested(body, before=pick, loop=True)
        func = _load(self.binder.name_for("range", range))
        call = gast.Call(func=func, args=bounds, keywords=[])
        call.callee = range
        if backwards:
            call = gast.Call(func=_load(self.binder.name_for("reversed", reversed)),
                             args=[call], keywords=[])
            call.callee = reversed
        loop = gast.For(target=gast.Name(id=index, ctx=gast.Store(), annotation=None,
                                         type_comment=None),
                        iter=call, body=block or [gast.Pass()], orelse=[], type_comment=None)
        self.emit(loop)

    def builtin_call(self, fn, args):
        call = gast.Call(func=_load(self.binder.name_for(fn.__name__, fn)), args=args,
                         keywords=[])
        call.callee = fn
        return call

    def stmt_While(self, stmt):
        flag = self.namer.fresh("cond")
        self.mutable.add(flag)
        self.bind_user(flag, self.expr(stmt.test))

        def retest():
            self.origin = stmt
            self.bind_user(flag, self.expr(stmt.test))

        block = self.nested(stmt.body, after=retest, loop=True)
        self.emit(gast.While(test=_load(flag), body=block, orelse=[]))
        for inner in stmt.orelse:
            self.statement(inner)


    # -- assignment ----------------------------------------------------------------
    def assign(self, target, value, stmt):
        if isinstance(target, gast.Name):
            self.bind_user(target.id, value)
        elif isinstance(target, (gast.Tuple, gast.List)):
            self.unpack(target, value, stmt)
        elif isinstance(target, gast.Subscript):
            self.write_item(target, value, stmt)
        elif isinstance(target, gast.Starred):
            raise self.error("starred assignment is not supported", stmt,
                             hint="index the sequence explicitly")
        else:
            raise self.error("assignment to an attribute is not supported", stmt,
                             hint="use a local variable")

    def write_item(self, target, value, stmt):
        """``y[i] = v`` into an array the function created itself."""
        inner = target.value
        if isinstance(inner, gast.Subscript) and isinstance(inner.value, gast.Name) \
                and inner.value.id in self.user_locals:
            # z[i][j] = v: z[i] is a view of a row of a 2-D array (a copy of the item of
            # a list, or of a number), which the write would change behind z's back
            z = inner.value.id
            raise self.error(f"assignment into an element of an element (`{z}[i][j] = ...`) "
                             "is not supported", stmt,
                             hint=f"write one index with a comma: `{z}[i, j] = ...` (an "
                             "array of two dimensions)")
        if not (isinstance(target.value, gast.Name) and target.value.id in self.user_locals):
            raise self.error("assignment into an element of something other than a local "
                             "array is not supported", stmt,
                             hint="assign into a local array created with np.zeros(...) "
                             "or x.copy()")
        name = self.current.get(target.value.id, target.value.id)
        if name in self.sequences or self.versions.get(name, name) in self.stacks \
                or name in self.list_displays:
            raise self.error(f"item assignment into the list `{target.value.id}` is not "
                             "supported", stmt, hint="build a new list (`items = [a, b]`), "
                             "or use an array: `z = np.array(items); z[i] = v`")
        # A derivative (generated code) writes only where the user's function wrote,
        # which was checked when it was derived, or restores what such a write
        # overwrote (`z = stack.pop(); z[i] = stack.pop()`), which the flow-insensitive
        # `created` cannot tell from a write into a view
        generated = self.parsed.filename.startswith("<tangentlike ")
        if not generated and name in self.dicts:
            raise self.error(
                f"item assignment into `{target.value.id}`, a dict, is not supported",
                stmt, hint="derivatives do not flow through dicts: keep the values in separate "
                "variables, or in a tuple or a NumPy array")
        if not generated and not self.created.get(name, False) and name not in self.fresh:
            raise self.error(
                f"assignment into `{target.value.id}`, an array this function did not create",
                stmt, hint=f"write into a new array: `{target.value.id} = "
                f"{target.value.id}.copy()` or np.zeros(...) first (inputs are never mutated)")
        index = self.index(target.slice)
        atom = self.atomize(value, stmt)
        if isinstance(atom, gast.Name) and atom.id == name:
            # `z[::-1] = z`: NumPy copies the overlapping value first; so does the core
            # language, so the value's adjoint is not the one the write clears
            atom = self.bind_new(None, self.numpy_call(np.copy, [atom], [], stmt))
        write = gast.Assign(targets=[gast.Subscript(value=_load(name), slice=index,
                                                    ctx=gast.Store())],
                            value=atom, type_comment=None)
        if self.origin is not None:
            gast.copy_location(write, self.origin)
        self.emit(write)

    def unpack(self, target, value, stmt):
        starred = any(isinstance(e, gast.Starred) for e in target.elts)
        if isinstance(value, gast.Constant) and isinstance(value.value, tuple) \
                and (starred or len(value.value) == len(target.elts)):
            value = gast.Tuple(elts=[gast.Constant(value=v, kind=None) for v in value.value],
                               ctx=gast.Load())
        if starred:
            self.unpack_starred(target, value, stmt)
            return
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
            # a, b = b, a: read every element before writing any target.
            elts = [self.bind_new(None, e) if isinstance(e, gast.Name) and e.id in self.mutable
                    else e for e in value.elts]
            for t, e in zip(target.elts, elts):
                self.assign(t, e, stmt)
            return
        whole = self.atomize(value, stmt)
        for i, t in enumerate(target.elts):
            item = gast.Subscript(value=whole, slice=gast.Constant(value=i, kind=None),
                                  ctx=gast.Load())
            self.assign(t, item, stmt)

    def unpack_starred(self, target, value, stmt):
        """``a, *rest = xs`` of a display or of a list or tuple of a length the function
        knows here: ``a = xs[0]`` and ``rest`` the list ``[xs[1], ...]``, as Python makes
        it; of anything else refused at the line."""
        starred = [k for k, e in enumerate(target.elts) if isinstance(e, gast.Starred)]
        if isinstance(value, (gast.Tuple, gast.List)):
            items = list(value.elts)
        else:
            length = self.sequences.get(value.id) if isinstance(value, gast.Name) else None
            if length is None and len(starred) == 1:
                self.unpack_starred_by_position(target, value, stmt)
                return
            if length is None or len(starred) != 1:
                raise self.error(
                    "starred assignment (`a, *rest = xs`) is supported for a list or tuple "
                    "whose length the function knows here (a display, `xs = (a, b, c)`), "
                    "not this value", stmt,
                    hint="index the sequence explicitly: `a = xs[0]` and `rest = xs[1:]`")
            whole = self.atomize(value, stmt)
            items = [gast.Subscript(value=whole, slice=gast.Constant(value=i, kind=None),
                                    ctx=gast.Load()) for i in range(length)]
        k, after = starred[0], len(target.elts) - starred[0] - 1
        if len(items) < len(target.elts) - 1:
            raise self.error(f"not enough values to unpack (expected at least "
                             f"{len(target.elts) - 1}, got {len(items)})", stmt,
                             hint="the sequence is shorter than the names it is unpacked into")
        # (every item read before any target is written: `a, *b = b`)
        items = [self.bind_new(None, e) if isinstance(e, gast.Subscript)
                 or isinstance(e, gast.Name) and e.id in self.mutable else e for e in items]
        rest = items[k:len(items) - after]
        parts = items[:k] + [gast.List(elts=rest, ctx=gast.Load())] + items[len(items) - after:]
        for t, e in zip(target.elts, parts):
            self.assign(t.value if isinstance(t, gast.Starred) else t, e, stmt)

    def unpack_starred_by_position(self, target, value, stmt):
        """``a, *rest, b = item`` of an item of unknown length (``for a, *rest in
        pairs``): ``a = item[0]``, ``rest = list(item[1:-1])``, ``b = item[-1]``, after a
        check that it has enough items (require_unpacked: Python's ValueError)."""
        whole = self.atomize(value, stmt)
        if isinstance(whole, gast.Name) and whole.id in self.mutable:
            whole = self.bind_new(None, whole)   # (`a, *b = b`: read before written)
        k = next(i for i, e in enumerate(target.elts) if isinstance(e, gast.Starred))
        after = len(target.elts) - k - 1
        check = gast.Call(func=_load(self.binder.name_for("require_unpacked",
                                                          require_unpacked)),
                          args=[whole, gast.Constant(value=k + after, kind=None),
                                *self.located(self.parsed.error("", stmt).lineno)],
                          keywords=[])
        check.callee = require_unpacked
        self.emit(gast.copy_location(gast.Expr(value=check), stmt))

        def index(i):
            return gast.Constant(value=i, kind=None) if i >= 0 else \
                gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=-i, kind=None))
        items = [self.bind_new(None, gast.Subscript(value=whole, slice=index(i),
                                                    ctx=gast.Load()))
                 for i in list(range(k)) + list(range(-after, 0))]
        part = gast.Slice(lower=gast.Constant(value=k, kind=None),
                          upper=index(-after) if after else None, step=None)
        sliced = self.bind_new(None, gast.Subscript(value=whole, slice=part, ctx=gast.Load()))
        rest = gast.Call(func=_load(self.binder.name_for("list", list)), args=[sliced],
                         keywords=[])
        rest.callee = list
        parts = items[:k] + [rest] + items[k:]
        for t, e in zip(target.elts, parts):
            self.assign(t.value if isinstance(t, gast.Starred) else t, e, stmt)

    def bind_user(self, name, value):
        """Assign ``value`` to the user's variable ``name`` (a new version if reassigned)."""
        self.local_functions.pop(name, None)   # (a local def or lambda of that name is gone)
        # an object made by a class other than list (collections.deque()): its .append
        # is not a list's (method_call)
        callee = getattr(value, "callee", None) if isinstance(value, gast.Call) else None
        if isinstance(callee, type) and not issubclass(callee, list) \
                and hasattr(callee, "append"):
            self.not_lists[name] = callee
        else:
            self.not_lists.pop(name, None)
        if isinstance(value, gast.Name) and self.versions.get(value.id, value.id) == name:
            # `z = z`: z stays what it was (an array the function created stays one)
            created, fresh = self.created.get(value.id), value.id in self.fresh
            self._bind_user(name, value)
            if created is None:
                self.created.pop(self.current[name], None)
            else:
                self.created[self.current[name]] = created
            if fresh:
                self.fresh.add(self.current[name])
            if value.id in self.built:   # (`ys = ys` after the comprehension built ys)
                self.built[self.current[name]] = self.built[value.id]
            return
        self._bind_user(name, value)

    def _bind_user(self, name, value):
        if name in self.mutable:
            # One name for every assignment; never read the target in its own statement.
            if any(isinstance(n, gast.Name) and n.id == name for n in walk(value)):
                value = self.bind_new(None, value)
            self._assign(name, value)
            self.current[name] = name
            self.versions[name] = name
            return
        if name in self.current:
            new = self.namer.fresh(name)
        else:
            new = name
            self.namer.reserve(name)
        self._assign(new, value)
        self.current[name] = new
        self.versions[new] = name

    def bind_new(self, hint, value) -> gast.Name:
        name = self.namer.fresh(hint) if hint else self.namer.temp()
        self._assign(name, value)
        self.versions[name] = None
        return _load(name)

    def _assign(self, name, value):
        # `t = z + x; z = t`: a copy of a new array that nothing else reads stays new
        fresh = _fresh_array(value) or (
            isinstance(value, gast.Name) and self.created.get(value.id, False)
            and (self.versions.get(value.id, "") is None or self.loads.get(value.id) == 1))
        if not (isinstance(value, gast.Constant) and value.value is None):   # `z = None` first
            self.created[name] = fresh and self.created.get(name, True)
        if fresh:
            self.fresh.add(name)
        else:
            self.fresh.discard(name)
        if isinstance(value, gast.List):   # (in a loop too, unlike `sequences`)
            self.list_displays.add(name)
        else:
            self.list_displays.discard(name)
        if isinstance(value, gast.List) and all(map(_constant_item, value.elts)):
            self.constant_lists.add(name)
        else:
            self.constant_lists.discard(name)
        if isinstance(value, gast.Call) and getattr(value, "callee", None) is dict:
            self.dicts[name] = not getattr(value, "copies_a_given_dict", False)
        else:
            self.dicts.pop(name, None)
        if self.may_be_a_sequence(value):
            self.displayed.add(name)
            if isinstance(value, (gast.List, gast.Tuple)) and any(
                    self.may_hold_a_list(e) for e in value.elts):
                self.lists_of_lists.add(name)
        elif name not in self.mutable:
            self.displayed.discard(name)
        length = _literal_length(value)
        copied = value.id if isinstance(value, gast.Name) and value.id in self.sequences \
            else None   # (`L = K`, or the result of `[a, b] if c else [d, e]`)
        if (length is not None or copied is not None) and name not in self.stacks \
                and self.versions.get(name, name) not in self.stacks:
            if copied is not None:
                self.sequences[name] = self.sequences[copied]
                for table in (self.computed, self.tuples):
                    table.discard(name)
                    if copied in table:
                        table.add(name)
            else:
                self.sequences[name] = length
                self.computed.discard(name)
                if any(not _constant_atom(e) for e in getattr(value, "elts", ())):
                    self.computed.add(name)
                self.tuples.discard(name)
                if isinstance(value, gast.Tuple) or isinstance(value, gast.Constant):
                    self.tuples.add(name)
        else:   # (a variable assigned in ifs and loops keeps its name: forget its display)
            self.sequences.pop(name, None)
            self.tuples.discard(name)
            self.computed.discard(name)
        stmt = gast.Assign([name_node(name, _STORE)], value, None)   # (the statement the
        # pass makes most: by position, gast's constructor is slower with keywords)
        if self.origin is not None:
            gast.copy_location(stmt, self.origin)
        self.emit(stmt)

    def atomize(self, expr, node=None) -> gast.expr:
        if _is_atom(expr):
            return expr
        return self.bind_new(None, expr)

    # -- expressions -------------------------------------------------------------
    def atom(self, node) -> gast.expr:
        return self.atomize(self.expr(node), node)

    def expr(self, node) -> gast.expr:
        """Normalize ``node`` into one operation on atoms (or an atom)."""
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.error(*_unsupported_expression(node))
        out = method(node)
        if getattr(out, "lineno", None) is None and hasattr(node, "lineno"):
            gast.copy_location(out, node)
        return out

    def expr_Constant(self, node):
        if isinstance(node.value, complex):
            raise self.error(
                f"complex numbers are not supported (`{node.value!r}`)", node,
                "tangentlike differentiates real-valued code, and its derivative rules are "
                "those of real arguments: write the real and imaginary parts as separate "
                "real variables")
        return node

    def expr_Name(self, node):
        if getattr(node, "normalized", False):   # an atom of a call rewritten here
            return node
        if node.id in self.local_functions:
            # (a call by name is inlined before its name is read: this is another use)
            raise self.error(f"the local function `{node.id}` is used as a value (stored, "
                             "passed or returned); a function defined inside the "
                             "differentiated function can only be called by its name", node,
                             hint=f"call it where it is needed (`{node.id}(...)`), or define "
                             "it at module level")
        if node.id in self.user_locals:
            if node.id not in self.current:
                raise self.error(f"local variable {node.id!r} is read before it is assigned",
                                 node)
            return _load(self.current[node.id])
        value = self.parsed.lookup(node.id, MISSING)
        if value is MISSING:
            raise self.error(f"name {node.id!r} is not defined", node,
                             hint="define it before the function is differentiated")
        what = complex_part(value) if not self.no_grad else None
        if what is not None:   # (an argument that is one: entry.refuse_complex)
            raise self.error(
                f"complex numbers are not supported (`{node.id}` is {what})", node,
                "tangentlike differentiates real-valued code, and its derivative rules are "
                "those of real arguments: keep the real and imaginary parts in separate "
                "real variables, or compute with it inside `with tl.no_grad():`")
        if isinstance(value, np.matrix):   # (an argument that is one: entry.refuse_masked)
            raise self.error(f"`{node.id}` is an np.matrix, whose `*` is the matrix product "
                             "and `**` a matrix power: the derivative rules are those of "
                             "plain arrays, which multiply element by element", node,
                             hint=f"make `{node.id}` an array (`np.asarray(...)`) and write "
                             "matrix products with `@`")
        return node

    def expr_JoinedStr(self, node):
        """An f-string is a string, which has no derivative: the values it formats are
        computed first, and the string made from them, without a derivative."""
        self.no_grad += 1
        try:
            return self.bind_new(None, self.formatted(node))
        finally:
            self.no_grad -= 1

    def formatted(self, node):
        """``node`` (an f-string, or the format spec inside one) with atoms for the
        values it formats."""
        parts = []
        for part in node.values:
            if isinstance(part, gast.FormattedValue):
                spec = part.format_spec and self.formatted(part.format_spec)
                part = gast.FormattedValue(value=self.atom(part.value),
                                           conversion=part.conversion, format_spec=spec)
            parts.append(part)
        return gast.JoinedStr(values=parts)

    def expr_BinOp(self, node):
        if isinstance(node.op, (gast.Add, gast.Mult)):
            node = self.joined_operands(node)
            joined = self.sequence_op(node)
            if joined is not None:
                return joined
        return gast.BinOp(left=self.operand_atom(node.left), op=node.op,
                          right=self.operand_atom(node.right))

    def operand_atom(self, node):
        """The atom of an operand (which joined_operands may have evaluated already)."""
        return self.atomize(node) if getattr(node, "evaluated", False) else self.atom(node)

    def joined_operands(self, node):
        """``node`` (a ``+`` or ``*``) with each operand that is itself a ``+`` or ``*``
        evaluated first: the list it makes when it joins or repeats lists of known
        lengths (`[a] + [b] + [c]` is `([a] + [b]) + [c]`), else its value; Python
        evaluates the left operand before the right one."""
        left, right = node.left, node.right
        if _adds_or_multiplies(left):
            left = self.operand_value(left)
        if _adds_or_multiplies(right):
            if isinstance(left, (gast.List, gast.Tuple)):
                left = _evaluated(type(left)(elts=self.sequence_elements(left), ctx=gast.Load()))
            elif self.sliced_positions(left) is not None:   # `L[::-1] + ...`: its items
                kind = gast.Tuple if _is_tuple(left, self) else gast.List
                left = _evaluated(kind(elts=self.sequence_elements(left), ctx=gast.Load()))
            elif not isinstance(left, (gast.Name, gast.Constant)):
                left = _evaluated(self.atom(left))
            right = self.operand_value(right)
        if left is node.left and right is node.right:
            return node
        return gast.copy_location(gast.BinOp(left=left, op=node.op, right=right), node)

    def operand_value(self, node):
        """The list display that the ``+`` or ``*`` ``node`` makes of lists of known
        lengths, else the atom of its value."""
        node = self.joined_operands(node)
        joined = self.sequence_op(node)
        return _evaluated(joined if joined is not None else self.atom(node))

    def sequence_length(self, node):
        """The length of a list or tuple known at transform time (a literal, or a local
        bound to one and never appended to), else None."""
        if isinstance(node, (gast.List, gast.Tuple)):
            return None if any(isinstance(e, gast.Starred) for e in node.elts) \
                else len(node.elts)
        if isinstance(node, gast.Constant) and isinstance(node.value, tuple):
            return len(node.value)   # (a tuple of constants, joined_operands made it)
        if isinstance(node, gast.Name) and node.id in self.current:
            version = self.current[node.id]
            return self.sequences.get(version, self.built.get(version))
        positions = self.sliced_positions(node)
        return None if positions is None else len(positions)

    def sliced_positions(self, node):
        """The positions ``L[1:]`` (``L[:-1]``, ``L[::2]``) takes of a local list or tuple
        ``L`` of known length, the bounds integer constants (or left out); else None."""
        if not (isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice)
                and isinstance(node.value, gast.Name)):
            return None
        length = self.sequence_length(node.value)
        bounds = [None if b is None else _int_constant(b)
                  for b in (node.slice.lower, node.slice.upper, node.slice.step)]
        if length is None or any(b is None and given is not None for b, given in zip(
                bounds, (node.slice.lower, node.slice.upper, node.slice.step))) \
                or bounds[2] == 0:
            return None
        return range(length)[slice(*bounds)]

    def count_of(self, items):
        """The number of items of the iterable ``items`` (of a comprehension) when it is
        written in the code: a display, ``range`` of integer constants; else None."""
        length = _literal_length(items)
        if length is not None:
            return None if any(isinstance(e, gast.Starred) for e in items.elts) else length
        if isinstance(items, gast.Call) and not items.keywords and \
                not self._is_local_ref(items.func) and \
                resolve_static(self.parsed, items.func) is range and \
                1 <= len(items.args) <= 3 and \
                all(_int_constant(a) is not None for a in items.args):
            bounds = [_int_constant(a) for a in items.args]
            return len(range(*bounds)) if bounds[2:] != [0] else None
        return None

    def may_be_a_sequence(self, value) -> bool:
        """Whether the value assigned may be a list or tuple: a display, a copy of one,
        a slice of one, an item of a display of them, ``list(...)``, ``tuple(...)``."""
        if _literal_length(value) is not None:
            return True
        if isinstance(value, gast.Name):
            return value.id in self.displayed
        if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
            return self.part_may_be_a_sequence(value.value.id, value.slice)
        return isinstance(value, gast.Call) and _makes_a_sequence(getattr(value, "callee", None))

    def part_may_be_a_sequence(self, held, index) -> bool:
        """Whether ``held[index]`` (``held`` a version) may be a list or tuple: a slice
        of one, or an item of a display of them."""
        return held in self.lists_of_lists or isinstance(index, gast.Slice) and (
            held in self.displayed or self.versions.get(held, held) in self.stacks)

    def refuse_joining_sum(self, node) -> None:
        """``sum(items, [])`` (or a start that is a tuple, or a variable holding a list)
        joins the lists: refused at the line, as the derivative took it for NumPy's
        elementwise sum (its ValueError from inside the derivative, in every mode)."""
        start = node.args[1] if len(node.args) > 1 else next(
            (kw.value for kw in node.keywords if kw.arg == "start"), None)
        if start is None or not (isinstance(start, (gast.List, gast.Tuple))
                                 or self.may_hold_a_list(start)):
            return
        raise self.error("`sum()` with a list or tuple as its start joins the lists, which "
                         "cannot be differentiated", node,
                         hint="join them with `+` (`A + B`) or write one display "
                         "(`[a, b, c]`), or stack arrays with np.concatenate")

    def may_hold_a_list(self, node) -> bool:
        """Whether the local ``node`` names may hold a list or tuple display (or a list
        the body appends to) here."""
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name):
            return self.part_may_be_a_sequence(self.current.get(node.value.id, node.value.id),
                                               node.slice)
        if isinstance(node, gast.Subscript):   # `[a, b][:1]`
            return isinstance(node.value, (gast.List, gast.Tuple)) and \
                isinstance(node.slice, gast.Slice)
        if isinstance(node, gast.Call):   # `list(x) + list(y)`
            return not self._is_local_ref(node.func) and \
                _makes_a_sequence(resolve_static(self.parsed, node.func))
        if not isinstance(node, gast.Name):
            return False
        version = self.current.get(node.id, node.id)   # (a temporary is its own version)
        return version in self.displayed or self.versions.get(version, version) in self.stacks

    def sequence_elements(self, node):
        if isinstance(node, (gast.List, gast.Tuple)):
            if getattr(node, "evaluated", False):   # (joined_operands made it)
                return list(node.elts)
            return [self.atom(e) for e in node.elts]
        if isinstance(node, gast.Constant):
            return [gast.Constant(value=v, kind=None) for v in node.value]
        positions = self.sliced_positions(node)
        if positions is not None:   # `L[1:]`: the items it takes
            node = node.value
        else:
            positions = range(self.sequence_length(node))
        seq = _load(self.current[node.id])
        return [self.bind_new(None, gast.Subscript(value=seq, slice=gast.Constant(
            value=i, kind=None), ctx=gast.Load())) for i in positions]

    def sequence_op(self, node):
        """``[a] + [b]`` and ``[a] * 2`` of lists (tuples) of known length become one
        literal, ``[a, b]`` and ``[a, a]``; other concatenations and repetitions of a
        list are refused (their derivative would be that of numeric ``+`` and ``*``)."""
        made = {}   # `list(points[:1])`, `tuple(points)` of a known length: its items
        for field in ("left", "right"):
            side = getattr(node, field)
            if isinstance(side, gast.Call) and len(side.args) == 1 and not side.keywords \
                    and not isinstance(side.args[0], gast.Starred) \
                    and not self._is_local_ref(side.func) \
                    and resolve_static(self.parsed, side.func) in (list, tuple) \
                    and self.sequence_length(side.args[0]) is not None:
                made[field] = resolve_static(self.parsed, side.func)
                parts = {"left": node.left, "right": node.right, field: side.args[0]}
                node = gast.copy_location(gast.BinOp(op=node.op, **parts), node)
        left, right = self.sequence_length(node.left), self.sequence_length(node.right)
        if left is None and right is None:
            held = [side for side in (node.left, node.right) if self.may_hold_a_list(side)]
            if held and (isinstance(node.op, gast.Add) or any(
                    isinstance(side, gast.Constant) and type(side.value) is int
                    for side in (node.left, node.right))):
                # `L + K` of lists whose lengths depend on the path: Python joins them,
                # the derivative of a numeric `+` would add them (a wrong gradient)
                word = "tuple" if _is_tuple(held[0], self) else "list"
                raise self.error(f"`{'+' if isinstance(node.op, gast.Add) else '*'}` of a "
                                 f"{word} whose length is not known when the function is "
                                 "differentiated is not supported", node,
                                 hint="build the list in one literal `[a, b, c]`, append to "
                                 "it, or use np.concatenate on arrays")
            return None
        kind = gast.Tuple if _is_tuple(node.left if left is not None else node.right,
                                       self) else gast.List
        if made:
            kind = gast.Tuple if made.get("left", made.get("right")) is tuple else gast.List
        word = "tuple" if kind is gast.Tuple else "list"
        if isinstance(node.op, gast.Add):
            if left is not None and right is not None:
                elts = self.sequence_elements(node.left) + self.sequence_elements(node.right)
                return _display(kind, elts)
            known = node.left if left is not None else node.right
            if _int_literal(known):   # shapes: (2,) + np.shape(x)
                return None
            if isinstance(known, (gast.List, gast.Tuple)) and all(map(_constant_item,
                                                                       known.elts)):
                raise self.error(
                    f"`+` of a {word} of numbers and a value that may be a list (which "
                    "Python joins to it) or an array (which NumPy adds to it element by "
                    "element) is not supported", node,
                    hint=f"to add element by element, write the {word} as an array "
                    "(`np.array([...])`) or call `np.add(a, b)`; to join lists, build the "
                    "list in one literal `[a, b, c]` or append to it")
            raise self.error(f"`+` of a {word} whose length is not known when the function "
                             "is differentiated is not supported", node,
                             hint="build the list in one literal `[a, b, c]`, append to it, "
                             "or use np.concatenate on arrays")
        count = node.right if left is not None else node.left
        seq = node.left if left is not None else node.right
        if isinstance(count, gast.Constant) and type(count.value) is int:
            elts = self.sequence_elements(seq)
            return _display(kind, elts * max(count.value, 0))
        if isinstance(seq, gast.Constant) or isinstance(seq, (gast.List, gast.Tuple)) and \
                all(map(_constant_item, seq.elts)) or \
                isinstance(seq, gast.Name) and self.current.get(seq.id) in self.constant_lists:
            return None   # [0.0] * n: constants (also through a name, as a derivative has)
        raise self.error(f"`*` of a {word} by a count not written in the code is not "
                         "supported", node, hint="write the count as a number (`[v] * 3`), "
                         "or use np.full(n, v) / np.tile on arrays")

    def expr_UnaryOp(self, node):
        if isinstance(node.op, (gast.USub, gast.UAdd)) and isinstance(node.operand, gast.Constant) \
                and isinstance(node.operand.value, (int, float, complex)) \
                and not isinstance(node.operand.value, bool):
            value = node.operand.value
            return gast.Constant(value=-value if isinstance(node.op, gast.USub) else value,
                                 kind=None)
        return gast.UnaryOp(op=node.op, operand=self.atom(node.operand))

    def expr_Compare(self, node):
        if len(node.ops) != 1:
            # `a < b < c` -> `a < b and b < c`, each operand evaluated once (all of them,
            # before the first comparison: they are values, not effects)
            # (as expr_BoolOp does for `and`: `t = a < b; if t: t = b < c`)
            operands = [self.atom(node.left)] + [self.atom(c) for c in node.comparators]

            def compare(k):
                return gast.Compare(left=clone(operands[k]), ops=[node.ops[k]],
                                    comparators=[clone(operands[k + 1])])
            result = self.namer.temp()
            self.mutable.add(result)
            self.versions[result] = None
            self._assign(result, compare(0))
            for k in range(1, len(node.ops)):
                test = self.decision(_load(result))
                body = self.nested([], before=lambda k=k: self._assign(result, compare(k)))
                self.emit(gast.If(test=test, body=body, orelse=[]))
            return _load(result)
        return gast.Compare(left=self.atom(node.left), ops=node.ops,
                            comparators=[self.atom(node.comparators[0])])

    def expr_Tuple(self, node):
        elts = [self.atom(e) for e in self.spliced(node.elts, "a tuple display")]
        if all(isinstance(e, gast.Constant) for e in elts):
            return gast.Constant(value=tuple(e.value for e in elts), kind=None)
        return gast.Tuple(elts=elts, ctx=gast.Load())

    def expr_List(self, node):
        return gast.List(elts=[self.atom(e) for e in self.spliced(node.elts, "a list display")],
                         ctx=gast.Load())

    def expr_Subscript(self, node):
        value = self.atom(node.value)
        if _is_minus_one(node.slice) and self._is_stack(value):
            # hs[-1] of a list appended to later: the item itself, no copy of the list
            call = gast.Call(func=_load(self.binder.name_for("last_item", last_item)),
                             args=[value], keywords=[])
            call.callee = last_item
            return call
        value = self.frozen(value)
        return gast.Subscript(value=value, slice=self.index(node.slice), ctx=gast.Load())

    def index(self, node):
        if isinstance(node, _Ready):
            return node.index
        if isinstance(node, gast.Slice):
            return gast.Slice(*(None if part is None else self.atom(part)
                                for part in (node.lower, node.upper, node.step)))
        if isinstance(node, gast.Tuple):
            return gast.Tuple(elts=[self.index(e) for e in node.elts], ctx=gast.Load())
        return self.atom(node)

    def _is_local_ref(self, node) -> bool:
        while isinstance(node, gast.Attribute):
            node = node.value
        return isinstance(node, gast.Name) and node.id in self.user_locals

    def expr_Attribute(self, node):
        if self._is_global_ref(node):
            # A global reference such as np.pi: a constant atom.
            value = resolve_static(self.parsed, node)
            if value is MISSING:
                raise self.error(f"cannot resolve `{_dotted(node)}`", node,
                                 hint="define or import it before the function is differentiated")
            if type(value) is float and isinstance(resolve_static(self.parsed, node.value),
                                                   types.ModuleType):
                node.module_number = True   # np.pi, math.inf: a number (shapeclass)
            return node
        obj = self.atom(node.value)
        if node.attr in ATTRIBUTES:
            return self.numpy_call(ATTRIBUTES[node.attr], [obj], [], node)
        if node.attr in PLAIN_ATTRIBUTES:
            return gast.Attribute(value=obj, attr=node.attr, ctx=gast.Load())
        # another attribute (a field of a configuration object given as an argument):
        # `getattr(obj, "attr")`, a constant of the derivative; refused by the derivative
        # where obj carries a derivative (reverse.py, forward.py: calls.attribute_refusal). Of
        # a parameter, perhaps a namedtuple: `field_of(obj, "attr", file, line)`, whose
        # derivative goes to that field (rules/shapes.py; refused when it runs for an
        # object of another kind that carries a derivative)
        if isinstance(node.value, gast.Name) and node.value.id in self.params:
            return self.library_call(field_of, [obj, gast.Constant(value=node.attr, kind=None),
                                             *self.located(_method_line(node).lineno)])
        call = gast.Call(func=_load(self.binder.name_for("getattr", getattr)),
                         args=[obj, gast.Constant(value=node.attr, kind=None)], keywords=[])
        call.callee = getattr
        call.lineno = _method_line(node).lineno   # (where a refusal of it points)
        # (a field of the namedtuple a helper returned that was not written out here:
        # inline._AggregateInliner.check_left says why)
        call.aggregate_refusal = getattr(node, "aggregate_refusal", None)
        return call

    def expr_Call(self, node):
        if any(isinstance(a, gast.Starred) for a in node.args):
            node = gast.copy_location(gast.Call(func=node.func, args=self.spliced(
                node.args, "a call", lambda e, before: self.starred_arity(node, e, before)),
                keywords=node.keywords), node)
        return self.call(node)

    def starred_arity(self, node, starred, before: int):
        """The number of items of ``*params`` (a list, tuple or array the function is
        given) among the positional arguments of a call of ``h`` (a function of a
        global name, a ufunc, or ``self.method`` in a method of a module-level class)
        whose positional parameters after the ``before`` arguments given first have no
        defaults: those the other arguments after it leave (`model(x, *params)` of `def
        model(x, w, b)`: 2), checked when it runs (require_items); None for any other
        call."""
        value = starred.value
        after = node.args[[id(a) for a in node.args].index(id(starred)) + 1:]
        if any(isinstance(a, gast.Starred) for a in after) or not isinstance(value, gast.Name) or \
                not isinstance(node.func, (gast.Name, gast.Attribute)) or \
                isinstance(node.func, gast.Name) and node.func.id in self.local_functions:
            return None
        if self._is_global_ref(node.func):
            callee = resolve_static(self.parsed, node.func)
        else:   # `self.predict(x, *params)`: its class's method, after the object
            callee = self.own_method(node.func)
            if callee is None:
                return None
            before += 0 if isinstance(callee, staticmethod) else 1
            callee = getattr(callee, "__func__", callee)
        if isinstance(callee, np.ufunc):   # (np.add(*parts): its inputs)
            count = callee.nin - before - len(after)
        else:
            try:
                params = list(inspect.signature(callee).parameters.values())
            except (TypeError, ValueError):
                return None
            if any(p.kind is p.VAR_POSITIONAL for p in params):
                return None
            rest = [p for p in params
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][before:]
            named = {k.arg for k in node.keywords}
            if any(p.default is not p.empty or p.name in named for p in rest):
                return None
            count = len(rest) - len(after)
        if count <= 0:
            return None
        call = gast.Call(func=_load(self.binder.name_for("require_items", require_items)),
                         args=[_load(self.current.get(value.id, value.id)),
                               gast.Constant(value=count, kind=None),
                               *self.located(self.parsed.error("", starred).lineno),
                               gast.Constant(value=value.id, kind=None),
                               gast.Constant(value=_dotted(node.func), kind=None)],
                         keywords=[])
        call.callee = require_items
        self.emit(gast.copy_location(gast.Expr(value=call), node))
        return count

    def own_method(self, func):
        """The function (or staticmethod) ``self.predict`` names in a method of a
        module-level class, ``self`` its first parameter; None for anything else."""
        args = self.parsed.node.args
        params = args.posonlyargs + args.args
        cls = _defining_class(self.parsed.func)
        if cls is None or not params or not isinstance(func, gast.Attribute) or \
                not isinstance(func.value, gast.Name) or func.value.id != params[0].id:
            return None
        method = inspect.getattr_static(cls, func.attr, None)
        inner = getattr(method, "__func__", method) if isinstance(method, staticmethod) \
            else method
        return method if is_user_function(inner) else None

    def spliced(self, elts: list, where: str, arity=None) -> list:
        """The items ``elts`` of a call's arguments or of a display with each ``*xs``
        written out as ``xs[0], ..., xs[n - 1]``, where ``xs`` is a display or a list or
        tuple of a length the function knows here (assigned a display: `xs = (a, b)`);
        ``*`` of anything else is refused at its line."""
        out = []
        for e in elts:
            if not isinstance(e, gast.Starred):
                out.append(e)
                continue
            value = e.value
            if isinstance(value, (gast.Tuple, gast.List)):
                out.extend(self.spliced(value.elts, where))
                continue
            length = None
            if isinstance(value, gast.Name):
                length = self.sequences.get(self.current.get(value.id, value.id))
            if length is None and arity is not None:
                length = arity(e, len(out))
            if length is None:
                written = value.id if isinstance(value, gast.Name) else "..."
                raise self.error(
                    f"`*{written}` in {where} is supported for a list or tuple whose length "
                    "the function knows where it is used (a display, `xs = (a, b)`, or one "
                    "built from displays), or given to a function whose positional "
                    "parameters have no defaults (`model(x, *params)`), not this one", e,
                    hint="pass the items one by one (`h(xs[0], xs[1])`), or give the "
                    "function that takes them a list or tuple parameter")
            out.extend(gast.copy_location(gast.Subscript(
                value=gast.Name(id=value.id, ctx=gast.Load(), annotation=None,
                                type_comment=None),
                slice=gast.Constant(value=i, kind=None), ctx=gast.Load()), e)
                for i in range(length))
        return out

    def own_method_call(self, node):
        """``self.predict(w, x)`` (``self(w, x)``: ``__call__``) in a method of a
        module-level class ``Model`` (``self`` its first parameter, never assigned), or
        ``m.predict(w, x)`` of a parameter annotated ``m: Model``: ``Model.predict(self, w,
        x)`` (see class_method_call). None for any other call."""
        func = node.func
        args = self.parsed.node.args
        params = args.posonlyargs + args.args + args.kwonlyargs
        receiver = func.value if isinstance(func, gast.Attribute) else func
        param = next((p for p in params if isinstance(receiver, gast.Name)
                      and p.id == receiver.id), None)
        if param is None or self.current.get(receiver.id) is None:
            return None
        if any(isinstance(n, gast.Name) and n.id == param.id
               and not isinstance(n.ctx, gast.Load) for n in walk(self.parsed.node.body)):
            return None   # (`self` rebound: another object)
        cls = _defining_class(self.parsed.func) if param is params[0] else None
        if cls is None:   # (`m: Model`: a parameter annotated with its class)
            cls = _annotated_class(self.parsed, param.annotation)
        if cls is None:
            return None
        attr = func.attr if isinstance(func, gast.Attribute) else "__call__"
        return self.class_method_call(node, cls, attr, _load(self.current[receiver.id]))

    def receiving_class(self, owner, node):
        """The class a call ``Owner.method(self, ...)`` derives the method for: the class
        the function itself is a method of (derived for), when ``self``, its first
        parameter, never assigned, is the call's first argument and that class is a
        subclass of ``owner``; else ``owner``."""
        args = self.parsed.node.args
        params = args.posonlyargs + args.args
        first = node.args[0] if node.args else None
        receiving = _defining_class(self.parsed.func)
        if receiving is None or not params or not isinstance(first, gast.Name) or \
                first.id != params[0].id or not issubclass(receiving, owner) or any(
                    isinstance(n, gast.Name) and n.id == params[0].id
                    and not isinstance(n.ctx, gast.Load) for n in walk(self.parsed.node.body)):
            return owner
        return receiving

    def super_call(self, node):
        """``super().loss(w, x, y)`` in a method of a module-level class ``Reg`` (``self``
        its first parameter, never assigned): ``Model.loss(self, w, x, y)`` of the class
        after ``Reg`` in its MRO that defines ``loss``, as Python resolves it for an
        object of ``Reg`` (a subclass of Reg with another base order is refused when it
        runs, require_method of the method itself); None for any other call."""
        func, inner = node.func, node.func.value
        if not (isinstance(inner.func, gast.Name) and not inner.args and not inner.keywords
                and resolve_static(self.parsed, inner.func) is super):
            return None
        args = self.parsed.node.args
        params = args.posonlyargs + args.args
        # (the class the `def` is written in, Python's `__class__` cell, and the class
        # the method is derived for: a subclass inheriting it, method_for_class)
        cls = self.parsed.closure.get("__class__")
        receiving = _defining_class(self.parsed.func)
        where = _method_line(func)
        if not isinstance(cls, type) or receiving is None or not params or any(
                isinstance(n, gast.Name) and n.id == params[0].id
                and not isinstance(n.ctx, gast.Load) for n in walk(self.parsed.node.body)):
            raise self.error("`super()` is supported in a method of a class defined at "
                             "module level, its object the method's first parameter", where,
                             hint="call the base class's method by its name: "
                             f"`Base.{func.attr}(self, ...)`")
        base = next((c for c in cls.__mro__[1:] if func.attr in vars(c)), None)
        method = vars(base).get(func.attr) if base is not None else None
        chain = _global_chain(base, self.parsed) if base is not None else None
        if chain is None or not is_user_function(method):
            raise self.error(f"`super().{func.attr}()` of `{cls.__name__}` is not a method of "
                             "a class with a global name in this module, defined with `def`",
                             where, hint="call the function wanted by its name")
        # the method found must be the one Python finds for the object (its class's MRO
        # may put another class between them)
        guard = gast.Call(func=_load(self.binder.name_for("require_super", require_super)),
                          args=[_load(self.current[params[0].id]),
                                _chain_node(_global_chain(cls, self.parsed) or [cls.__name__]),
                                gast.Constant(value=func.attr, kind=None),
                                _chain_node(chain), *self.located(where.lineno)],
                          keywords=[])
        guard.callee = require_super
        self.emit(gast.copy_location(gast.Expr(value=guard), node))
        target = gast.Attribute(value=_chain_node(chain), attr=func.attr, ctx=gast.Load())
        call = gast.copy_location(gast.Call(
            func=gast.copy_location(target, func), args=[_load(params[0].id)] + list(node.args),
            keywords=node.keywords), node)
        call.method_of = receiving   # (its `self.predict(...)` is the object's class's)
        return call

    def class_method_call(self, node, cls, attr: str, receiver):
        """``obj.predict(w, x)`` of an object of the module-level class ``cls`` (``obj``
        read by ``receiver``): ``Model.predict(obj, w, x)``, a call of a helper like any
        other (derived by calls.py; the entry guards ``Model.predict`` rebound since,
        deriving again), after ``require_method(obj, "predict", Model, ...)``, which
        refuses an object whose ``predict`` is another (a subclass's, or its own). A
        staticmethod is called without the object; a classmethod is refused. None when
        ``attr`` is no function of ``cls`` or ``cls`` has no global name."""
        method = inspect.getattr_static(cls, attr, None)
        static = isinstance(method, staticmethod)
        if static:
            method = method.__func__
        where = _method_line(node.func) if isinstance(node.func, gast.Attribute) else node
        if isinstance(method, classmethod):
            raise self.error(f"`.{attr}()` is a classmethod of `{cls.__name__}`, which is not "
                             "supported here", where, hint="make it a `@staticmethod` (or "
                             "a method), or call a module-level function")
        chain = _global_chain(cls, self.parsed)
        if not is_user_function(method) or chain is None:
            return None
        owner = self.method_guard(node, chain, attr, receiver, where.lineno)
        target = gast.Attribute(value=owner, attr=attr, ctx=gast.Load())
        args = list(node.args) if static else [clone(receiver)] + list(node.args)
        call = gast.copy_location(gast.Call(func=gast.copy_location(target, node.func),
                                            args=args, keywords=node.keywords), node)
        if not static:
            # (derived as the method of `cls`, calls.method_for_class: `Sub.residual`,
            # inherited, calls `Sub.predict` on `self`)
            call.method_of = cls
        return call

    def method_guard(self, node, chain, attr: str, receiver, lineno: int):
        """Emit ``require_method(obj, "predict", Model, ...)`` for a call of
        ``obj.predict`` made ``Model.predict(obj, ...)`` (``Model`` reached by the names
        ``chain``) or written out in a version (inline.py); the class's expression."""
        owner = _load(chain[0])   # (the class's global name: the entry guards it)
        for part in chain[1:]:
            owner = gast.Attribute(value=owner, attr=part, ctx=gast.Load())
        guard = gast.Call(func=_load(self.binder.name_for("require_method", require_method)),
                          args=[receiver, gast.Constant(value=attr, kind=None), clone(owner),
                                *self.located(lineno)], keywords=[])
        guard.callee = require_method
        self.emit(gast.copy_location(gast.Expr(value=guard), node))
        return owner

    def _is_global_ref(self, node) -> bool:
        """``np``, ``np.linalg``, ``math.pi``: a name chain rooted at a non-local name."""
        while isinstance(node, gast.Attribute):
            node = node.value
        return isinstance(node, gast.Name) and node.id not in self.user_locals

    def call(self, node):
        func = node.func
        if isinstance(func, gast.Name) and func.id in self.local_functions:
            fdef = self.local_functions[func.id]
            if isinstance(fdef, _Conditional):
                raise self.error(f"`{func.id}` is defined inside an `if` or a loop and called "
                                 "after it: which definition reaches the call is not known "
                                 "when the function is differentiated", node,
                                 hint=f"define `{func.id}` once before the `if` (branch inside "
                                 "it), or call it inside the block that defines it")
            return self.inline(node, fdef)
        if isinstance(func, gast.Lambda) and not func.args.vararg and not func.args.kwarg:
            # `(lambda t: t * t)(x)`: inlined as a lambda given a name is where it is called
            # (its defaults computed first, as Python computes them before the arguments)
            ret = gast.copy_location(gast.Return(value=func.body), func.body)
            fdef = gast.copy_location(gast.FunctionDef(
                name="lambda", args=self.defaults_now("lambda", func.args), body=[ret],
                decorator_list=[], returns=None, type_comment=None, type_params=[]), func)
            return self.inline(node, fdef)
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Call):
            base = self.super_call(node)
            if base is not None:
                return self.call(base)
        if isinstance(func, gast.Attribute) and not self._is_global_ref(func.value):
            own = self.own_method_call(node)
            return self.method_call(node) if own is None else self.call(own)
        if isinstance(func, gast.Name) and self._is_local_ref(func):
            own = self.own_method_call(node)   # (`self(w, x)`: its class's __call__)
            if own is not None:
                return self.call(own)
        if self._is_local_ref(func):
            raise self.error("calling a function held in a local variable is not supported",
                             node, hint="call it by its own name, or define it with `def`")
        if not isinstance(func, (gast.Name, gast.Attribute)):
            what = {gast.Call: "the result of a call", gast.Subscript: "an item of a "
                    "container", gast.Lambda: "a lambda written in place"}.get(
                        type(func), "the value of an expression")
            raise self.error(f"calling {what} is not supported: each call must name the "
                             "function it calls, which is found when differentiating", node,
                             hint="give the function a name at module level (for example "
                             "`dg = tl.grad(g)` or `vf = np.vectorize(h)`) and call it by "
                             "that name, or call a function defined with `def`")
        callee = resolve_static(self.parsed, func)
        if callee is MISSING:
            raise self.error(f"cannot resolve the function `{_dotted(func)}`", node,
                             hint="define or import it before the function is differentiated")
        if isinstance(callee, types.MethodType) and is_user_function(callee.__func__) \
                and not isinstance(callee.__self__, type) and isinstance(func, gast.Attribute):
            # `MODEL.loss(w)` of an object a global name holds: `Model.loss(MODEL, w)`
            bound = self.class_method_call(node, type(callee.__self__), func.attr,
                                           clone(func.value))
            if bound is not None:
                return self.call(bound)
        if is_user_function(inspect.getattr_static(type(callee), "__call__", None)) \
                and not isinstance(callee, (type, types.FunctionType, types.MethodType)) \
                and not any(is_user_function(v) for v in getattr(callee, "__dict__", {}).values()):
            # `SCALER(x)` of an object with a `__call__` a global name holds: its class's
            bound = self.class_method_call(node, type(callee), "__call__", clone(func))
            if bound is not None:
                return self.call(bound)
        _refuse_callable_object(self, callee, node)
        self.check_global_change(func, callee, node)
        inlined = self.helper_with_function_argument(node, callee)
        if inlined is not None:
            return inlined
        if callee in (eval, exec, compile, globals, locals, vars):
            raise self.error(f"`{callee.__name__}` inside a differentiated function is not "
                             "supported: the code it runs is invisible to the derivative",
                             node, hint="write the computation as ordinary code")
        if callee in (setattr, delattr, object.__setattr__, object.__delattr__):
            # (as `obj.v = value`: the derivative would not follow the value through it)
            raise self.error(f"`{_dotted(func)}` changes an attribute of an object, which "
                             "is not supported (as `obj.attr = value` is not)", node,
                             hint="keep the value in a local variable, or return it")
        for arg in node.args:
            if isinstance(arg, gast.Starred):
                raise self.error("`*args` in a call is not supported", arg,   # (its line)
                                 hint="pass the arguments one by one")
        for kw in node.keywords:
            if kw.arg is None:
                raise self.error("`**kwargs` in a call is not supported", kw,
                                 hint="pass the keyword arguments one by one")
            if kw.arg == "dtype":   # np.asarray(x, dtype=complex), np.sum(x, dtype=...)
                self.refuse_complex_dtype(self.static_dtype(kw.value), kw.value)
        if callee is sum:
            self.refuse_joining_sum(node)
        if callee in (max, min) and len(node.args) > 2 and not node.keywords:
            # max(a, b, c) -> max(max(a, b), c): the rule takes two numbers
            nested = node.args[0]
            for arg in node.args[1:]:
                nested = gast.copy_location(gast.Call(func=clone(node.func),
                                                      args=[nested, arg], keywords=[]), node)
            return self.expr(nested)
        padded = self.copying_pad(node, callee) or self.reduction_keywords(node, callee) \
            or self.sampled_trapezoid(node, callee)
        if padded is not None:
            return self.expr(gast.copy_location(padded, node))
        self.diff_with_ends(node, callee)
        if callee in (max, min) and len(node.args) == 1 and not node.keywords:
            # max(items) of one list, tuple or array (a generator is a list by now)
            callee = largest if callee is max else smallest
            func = _load(self.binder.name_for(callee.__name__, callee))
        if callee in (np.float32, np.float16) and len(node.args) == 1 and not node.keywords:
            # np.float32(x): the cast astype(x, 'float32') (a NumPy float32 of a number, a
            # float32 array of an array or a list), whose rule passes the derivative on
            call = gast.Call(func=_load(self.binder.name_for("astype", astype)),
                             args=[self.atom(node.args[0]),
                                   gast.Constant(value=np.dtype(callee).name, kind=None)],
                             keywords=[])
            call.callee = astype
            return call
        self.check_mutation(node, callee)
        args = [self.as_array_argument(callee, i, a, self.frozen(self.atom(a)))
                for i, a in enumerate(node.args)]
        keywords = [gast.copy_location(gast.keyword(arg=k.arg,
                                                    value=self.frozen(self.atom(k.value))), k)
                    for k in node.keywords if not _without_effect(callee, k)]
        if args and _in(callee, MATRIX_ONLY) \
                and not self.parsed.filename.startswith("<tangentlike "):
            self.matrix_check(args[0], _dotted(func), node)
        if callee is np.einsum:
            self.refuse_einsum_form(node)
        refusal = rules.registry.refusal_of(callee)
        if refusal is not None and not self.parsed.filename.startswith("<tangentlike "):
            self.refusal_check(refusal, args, keywords, node)
        self.mutated_arguments(node, callee, args, keywords)
        keywords = _renamed_keywords(callee, keywords)
        args, keywords = self.cast_first(callee, args, keywords)
        args, keywords = self.resolved_order(callee, args, keywords, node)
        call = gast.Call(func=func, args=args, keywords=keywords)
        call.callee = callee
        if "method_of" in node.__dict__:
            call.method_of = node.method_of
        elif func.__class__ is gast.Attribute and is_user_function(callee):
            # `Sub.residual(obj, ...)` of a method `Sub` inherits (a derivative's own
            # code calls it so, derived again): Sub's, as for `self.residual(...)`; and
            # `Model.loss(self, ...)` in a method derived for a subclass `Sub` of Model
            # (`super().loss(...)`, written so): Sub's, `self` being a Sub
            owner = resolve_static(self.parsed, func.value)
            if isinstance(owner, type) and inspect.getattr_static(owner, func.attr, None) \
                    is callee:
                call.method_of = self.receiving_class(owner, node)
        module = self.module_reached(func)
        if module is not None:
            # (entry.rebindable_callees guards it; held weakly: copy.deepcopy of the tree
            # takes a weak reference as it is, and cannot copy a module)
            call.module = weakref.ref(module)
        return call

    def refuse_function_given_away(self, node, callee, parsed, functions, bound):
        """A helper of another module that calls a function it is given here (``apply(sq,
        x)`` with ``def apply(fn, x): return fn(x) * 2.0`` in ``other.py``, or its default
        ``act=np.tanh``) is refused at this call, the line where the user can act: it is
        written out in place only in its own file's functions (its names are its
        module's). Was: at the helper's line, which does not name the call."""
        loads, stores = read_and_assigned(parsed.node.body)
        called = next((name for name in functions if name not in stores and any(
            isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id == name
            for n in walk(parsed.node.body))), None)
        if called is None:
            return
        line = next(n.lineno for n in walk(parsed.node.body) if isinstance(n, gast.Call)
                    and isinstance(n.func, gast.Name) and n.func.id == called)
        given = f"the function given here as `{called}`" if called in bound.arguments \
            else f"its default `{called}`"
        raise self.error(
            f"`{callee.__qualname__}` ({short_filename(parsed.filename)}:{line}) calls "
            f"{given}: a helper that calls a function it is given is differentiated only "
            "when it is defined in the same file as its caller (it is written out where "
            "it is called)", node,
            hint=f"define `{callee.__name__}` (or a copy of it) in this file, or call the "
            "function here and pass its result to a helper that takes values")

    def helper_with_function_argument(self, node, callee):
        """A call of a helper of the same file, without closure, that is given a
        function (``layer(x, w, act=np.sin)``, or a default ``def layer(x, w,
        act=np.tanh)``): the helper's body in place, as for a local function, with the
        parameter replaced by the expression that names the function (``np.sin(x @ w)``),
        so its rules apply; its derived function could not call a function held in a
        variable. None for any other call."""
        if not is_user_function(callee) or callee.__closure__ or \
                rules.lookup(callee) is not None or rules.is_nondifferentiable(callee) or \
                hasattr(callee, "entry_checks") or any(
                    isinstance(a, gast.Starred) for a in node.args) or any(
                    k.arg is None for k in node.keywords):
            return None
        try:
            sig = inspect.signature(callee)
            bound = sig.bind(*node.args, **{k.arg: k.value for k in node.keywords})
        except (TypeError, ValueError):
            return None   # (the call's own error, made where such calls are derived)
        functions = [name for name, param in sig.parameters.items()
                     if (_names_function(self, bound.arguments[name])
                         if name in bound.arguments else _is_function(param.default))]
        if not functions:
            return None
        parsed = parse(callee)
        if callee.__globals__ is not self.parsed.globals or \
                parsed.filename != self.parsed.filename:
            self.refuse_function_given_away(node, callee, parsed, functions, bound)
            return None
        where = f"`{callee.__name__}` is given the function `{functions[0]}`"
        fdef = parsed.node
        if fdef.name in self.inlining:
            raise self.error(f"{where} and calls itself: it is written out where it is "
                             "called, which a recursion cannot be", node,
                             hint="call the function by its own name inside the helper")
        args = fdef.args
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values()):
            return None
        params = [a.id for a in args.posonlyargs + args.args]
        sources = dict(zip(params[len(params) - len(args.defaults):], args.defaults))
        sources.update({a.id: v for a, v in zip(args.kwonlyargs, args.kw_defaults)
                        if v is not None})
        loads, stores = read_and_assigned(fdef.body)
        clash = sorted((loads - stores - set(sig.parameters)) & self.user_locals)
        if clash or set(functions) & stores:
            what = f"reads `{clash[0]}`, a variable of the caller too" if clash else \
                "assigns that parameter"
            raise self.error(f"{where} and {what}: its body cannot be written in place",
                             node, hint="rename the variable, or call the function by its "
                             "own name inside the helper")
        given, keywords = {}, []
        for name, param in sig.parameters.items():
            if name in bound.arguments:
                expr = bound.arguments[name]
            elif isinstance(param.default, _CONSTANT_DEFAULTS):
                expr = gast.Constant(value=param.default, kind=None)
            else:
                expr = sources.get(name)
                if expr is None or resolve_static(self.parsed, expr) is not param.default:
                    raise self.error(
                        f"{where}, and the default of `{name}` is not a name of this module "
                        "(it was computed when the helper was defined)", node,
                        hint=f"pass `{name}` in the call")
            if name in functions:
                given[name] = expr
            else:
                keywords.append(gast.keyword(arg=name, value=expr))
        if set().union(*(names_in(e) for e in given.values())) & (
                stores | set(sig.parameters)):
            return None   # (the helper's own variable of that name: its line refuses the call)
        body = [substituted(stmt, given) for stmt in fdef.body]
        kept = [a for a in args.posonlyargs + args.args + args.kwonlyargs
                if a.id not in given]
        helper = gast.copy_location(gast.FunctionDef(
            name=fdef.name, args=gast.arguments(
                args=[], posonlyargs=[], vararg=None, kwonlyargs=kept, kwarg=None,
                defaults=[], kw_defaults=[None] * len(kept)),
            body=body, decorator_list=[], returns=None, type_comment=None, type_params=[]),
            fdef)
        call = gast.copy_location(gast.Call(func=clone(node.func), args=[],
                                            keywords=keywords), node)
        chain, root = [], node.func
        while isinstance(root, gast.Attribute):
            chain.append(root.attr)
            root = root.value
        if isinstance(root, gast.Name):   # (the entry guards it as a called helper:
            # entry.rebindable_callees; rebound, or its defaults changed, derives again)
            used = len(bound.arguments) < len(sig.parameters)
            self.parsed.inlined = tuple(self.parsed.inlined) + (
                ((root.id, *reversed(chain)), callee, used),)
        return self.inline(call, helper)

    def module_reached(self, func):
        """The module ``M`` of a call ``M.sin(x)`` (``M.linalg.norm(x)``) reached through
        a global or closure name, as it was when the call was resolved; None otherwise."""
        root = func
        while isinstance(root, gast.Attribute):
            root = root.value
        if root is func or not isinstance(root, gast.Name) or root.id in self.user_locals:
            return None
        value = self.parsed.lookup(root.id, None)
        return value if isinstance(value, types.ModuleType) else None

    def library_call(self, fn, args: list, keywords=()) -> gast.Name:
        """A call of a library function on atoms, bound to a new name (an atom); a NumPy
        function is written as ``np.name``."""
        if getattr(np, fn.__name__, None) is fn:
            func = gast.Attribute(value=_load(self.binder.name_for("np", np)), attr=fn.__name__,
                                  ctx=gast.Load())
        else:
            func = _load(self.binder.name_for(fn.__name__, fn))
        call = gast.Call(func=func, args=args, keywords=list(keywords))
        call.callee = fn
        return _normalized(self.bind_new(None, call))

    def ready_atom(self, node) -> gast.expr:
        """``node`` as an atom that normalizing again leaves as it is."""
        return _normalized(self.frozen(self.atom(node)))

    def end_like(self, end, array, axis) -> gast.Name:
        """``np.broadcast_to(end, end_shape(end, array, axis))``: the atom ``end`` shaped
        to be joined to ``array`` along ``axis``."""
        shape = self.library_call(end_shape, [clone(end), clone(array), clone(axis)])
        return self.library_call(np.broadcast_to, [clone(end), shape])

    def joined(self, parts: list, axis) -> gast.Name:
        """``np.concatenate((parts...), axis=axis)`` of atoms."""
        parts = _normalized(self.bind_new(None, gast.Tuple(elts=parts, ctx=gast.Load())))
        return self.library_call(np.concatenate, [parts],
                                 [gast.keyword(arg="axis", value=clone(axis))])

    def copying_pad(self, node, callee):
        """``np.pad(a, w, mode="wrap")`` -> ``a[pad_index(a, w, "wrap")]`` for the modes
        that copy elements of ``a`` into the border (edge, wrap, reflect, symmetric):
        the derivative of indexing adds the border's adjoint back where it was copied
        from. None for another call (the constant mode is np.pad's own rule)."""
        if callee is not np.pad or not 2 <= len(node.args) <= 3:
            return None
        mode = node.args[2] if len(node.args) == 3 else None
        for kw in node.keywords:
            if kw.arg != "mode" or mode is not None:
                return None
            mode = kw.value
        if not (isinstance(mode, gast.Constant) and mode.value in PAD_COPY_MODES):
            return None
        array = self.ready_atom(node.args[0])
        index = self.library_call(pad_index, [clone(array), self.ready_atom(node.args[1]),
                                              gast.Constant(value=mode.value, kind=None)])
        return gast.Subscript(value=array, slice=index, ctx=gast.Load())

    def sampled_trapezoid(self, node, callee):
        """``np.trapezoid(y, x, axis=k)`` (or ``np.trapz``) given sample points ``x`` ->
        ``trapezoid_at(y, x, k)``, whose rules follow ``x`` too (np.trapezoid's rule
        takes ``dx`` only). None for another call, or one without ``x`` (or ``x=None``)."""
        if not _in(callee, _TRAPEZOIDS):
            return None
        names = ("y", "x", "dx", "axis")
        given = dict(zip(names, node.args))
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in given:
                return None   # (NumPy's own error, or the rule's refusal of the keyword)
            given[kw.arg] = kw.value
        x = given.get("x")
        if "y" not in given or x is None or isinstance(x, gast.Constant) and x.value is None:
            return None
        axis = given.get("axis", gast.Constant(value=-1, kind=None))
        # (dx is not read when x is given, as in NumPy; it is computed all the same)
        if "dx" in given:
            self.atom(given["dx"])
        return self.library_call(trapezoid_at, [self.ready_atom(given["y"]),
                                                self.ready_atom(x), self.ready_atom(axis)])

    def reduction_keywords(self, node, callee):
        """``initial=`` and ``where=`` of a reduction, written with what has rules:
        ``np.sum(x, where=m, initial=v)`` -> ``np.sum(np.where(m, x, 0.0)) + v`` (and
        ``np.prod``'s with 1.0 and ``*``), ``np.mean(x, where=m)`` -> the sum over ``m``
        divided by its count, ``np.max(x, axis=k, where=m, initial=v)`` -> ``np.max`` of
        ``np.where(m, x, v)`` joined with ``v`` along ``k`` (raveled for no axis). The
        call without those keywords is changed in place; the expression to normalize is
        returned (None when the call has neither keyword, or a form NumPy refuses or
        that stays refused: ``where=`` of a maximum without ``initial=``, a tuple of
        axes, ``keepdims`` without an axis)."""
        keywords = {kw.arg: kw.value for kw in node.keywords}
        initial, where = keywords.get("initial"), keywords.get("where")
        if (initial is None and where is None) or not node.args:
            return None
        identity = next((v for f, v in _REDUCTION_IDENTITY if f is callee), None)
        extreme = _in(callee, _EXTREMES)
        if identity is None and not extreme and not (callee is np.mean and initial is None):
            return None
        if extreme and initial is None:
            return None
        rest = [kw for kw in node.keywords if kw.arg not in ("initial", "where")]
        if extreme:
            axis = next((kw.value for kw in rest if kw.arg == "axis"),
                        node.args[1] if len(node.args) > 1 else None)
            no_axis = axis is None or isinstance(axis, gast.Constant) and axis.value is None
            keepdims = next((kw.value for kw in rest if kw.arg == "keepdims"), None)
            if isinstance(axis, gast.Tuple) or no_axis and not (
                    keepdims is None or isinstance(keepdims, gast.Constant) and not keepdims.value):
                return None
        x = self.ready_atom(node.args[0])
        if extreme:
            initial = self.ready_atom(initial)
        if where is not None:
            where = self.ready_atom(where)
            fill = initial if extreme else gast.Constant(value=identity or 0.0, kind=None)
            x = self.library_call(np.where, [where, x, clone(fill)])
        if callee is np.mean:   # (where= only): the sum over the mask, by its count
            mask = self.library_call(np.broadcast_to, [clone(where),
                                                       self.library_call(np.shape, [clone(x)])])
            positional = [self.ready_atom(a) for a in node.args[1:]]
            keywords = [gast.copy_location(
                gast.keyword(arg=kw.arg, value=self.ready_atom(kw.value)), kw) for kw in rest]
            total = self.library_call(np.sum, [x] + positional, keywords)
            count = self.library_call(np.sum, [mask] + [clone(a) for a in positional],
                                      [gast.keyword(arg=kw.arg, value=clone(kw.value))
                                       for kw in keywords if kw.arg != "dtype"])
            return gast.BinOp(left=total, op=gast.Div(), right=count)
        if extreme:
            if no_axis:
                x = self.library_call(np.ravel, [x])
                axis = gast.Constant(value=0, kind=None)
            axis = self.ready_atom(axis)
            x = self.joined([x, self.end_like(initial, x, axis)], axis)
            node.args, node.keywords = [x] + node.args[1:], rest
            return node
        node.args, node.keywords = [x] + node.args[1:], rest
        if initial is None:
            return node
        op = gast.Add() if identity == 0.0 else gast.Mult()
        return gast.BinOp(left=node, op=op, right=initial)

    def diff_with_ends(self, node, callee) -> None:
        """``np.diff(a, n, axis, prepend=p, append=q)`` -> ``np.diff(j, n, axis)`` of
        ``j = np.concatenate((np.broadcast_to(p, end_shape(p, a, axis)), a, ...), axis)``:
        what NumPy does with the ends, written with functions that have rules. Changes
        ``node`` in place."""
        ends = {kw.arg: kw.value for kw in node.keywords if kw.arg in ("prepend", "append")}
        if callee is not np.diff or not ends or len(node.args) > 3:
            return
        rest = [kw for kw in node.keywords if kw.arg not in ends]
        if any(kw.arg not in ("n", "axis") for kw in rest):
            return
        axis = next((kw.value for kw in rest if kw.arg == "axis"),
                    node.args[2] if len(node.args) == 3 else gast.Constant(value=-1, kind=None))
        a = self.ready_atom(node.args[0])
        axis = self.ready_atom(axis)
        parts = [a]
        for key in ("prepend", "append"):
            if key in ends:
                end = self.end_like(self.ready_atom(ends[key]), a, axis)
                parts.insert(0 if key == "prepend" else len(parts), end)
        node.args = [self.joined(parts, axis)] + node.args[1:2]
        node.keywords = [kw for kw in rest if kw.arg != "axis"] + [
            gast.keyword(arg="axis", value=clone(axis))]

    def as_array_argument(self, callee, position, arg, atom):
        """``np.tanh([s, 2.0])`` -> ``np.tanh(np.asarray([s, 2.0]))``: a NumPy function
        makes an array of a list or tuple it is given, and so does the call written here,
        so the rules (and the derivatives of the list's items) see an array; a rule's
        arithmetic on the list itself would join lists or fail. Only for a display
        holding a value that is not a literal (shapes and axes stay as written), or a
        variable holding a list or tuple display (``L = [s, 2.0]; np.tanh(L)``), at a
        position the rule differentiates, of a function that takes an array there (not
        the joiners, whose argument is a sequence of arrays, nor the conversions)."""
        held = isinstance(atom, gast.Name) and atom.id in self.computed   # L = [s, 2.0]
        if not held and (not isinstance(arg, (gast.List, gast.Tuple)) or
                         all(isinstance(n, (gast.Constant, gast.List, gast.Tuple, gast.UnaryOp,
                                            gast.Load, gast.USub, gast.UAdd))
                             for n in walk(arg))):
            return atom
        module = getattr(callee, "__module__", None) or ""
        if not (isinstance(callee, np.ufunc) or module.startswith("numpy")) \
                or _in(callee, _TAKES_SEQUENCES):
            return atom
        rule = rules.lookup(callee)
        if rule is None or position in rule.static_args:
            return atom
        if held:   # (a computed shape or axis, `np.sum(x, (0, k))`, stays a tuple)
            template = rule.adjoint or rule.tangent
            names = template.names[1:] if template is not None else ()
            if position >= len(names) or any(word in names[position]
                                             for word in ("axis", "axes", "shape")):
                return atom
        call = gast.Call(func=_load(self.binder.name_for("asarray", np.asarray)), args=[atom],
                         keywords=[])
        call.callee = np.asarray
        return self.bind_new(None, call)

    def cast_first(self, callee, args, keywords):
        """``np.sum(x, dtype=d)`` -> ``np.sum(astype(x, d))``, and ``np.exp(x, dtype=d)``
        -> ``np.exp(astype(x, d))``: a reduction given a dtype sums (multiplies, ...) in
        that dtype, and a ufunc computes in it, as on its inputs cast first. The cast has
        its rule, so the derivative follows (a cast to an integer dtype has none)."""
        dtype = next((k for k in keywords if k.arg == "dtype"), None)
        ufunc = isinstance(callee, np.ufunc)
        if dtype is None or not (ufunc or _in(callee, REDUCTIONS_WITH_DTYPE)):
            return args, keywords
        keywords = [k for k in keywords if k is not dtype]
        if isinstance(dtype.value, gast.Constant) and dtype.value.value is None:
            return args, keywords
        cast = _load(self.binder.name_for("astype", astype))
        inputs = len(args) if ufunc else min(len(args), 1)
        dtype_value = self.static_dtype(dtype.value) or dtype.value
        for i in range(inputs):
            call = gast.Call(func=clone(cast), args=[args[i], clone(dtype_value)], keywords=[])
            call.callee = astype
            args[i] = self.bind_new(None, call)
        return args, keywords

    def refuse_complex_dtype(self, dtype, node):
        """A cast to a complex dtype known when deriving (``x.astype(complex)``), refused
        at its line; one known only when the function runs is refused then, by
        runtime.astype, without the line."""
        if isinstance(dtype, gast.Constant) and isinstance(dtype.value, str) and \
                np.dtype(dtype.value).kind == "c":
            raise self.error(f"a cast to {dtype.value} is not supported: tangentlike "
                             "differentiates real-valued code, and its derivative rules are "
                             "those of real arguments, so a gradient through complex values "
                             "would be wrong", node,
                             hint="keep the real and imaginary parts as separate real arrays")

    def static_dtype(self, node):
        """A dtype known when deriving (``np.float32``, ``float``, ``"f4"``) as the
        constant of its name, ``'float32'``: the cast's rule then decides at derivation
        time whether the cast is differentiable (no run-time ``np.issubdtype`` test).
        None for anything else."""
        if isinstance(node, gast.Constant):
            value = node.value
        elif isinstance(node, (gast.Name, gast.Attribute)) and not self._is_local_ref(node):
            value = resolve_static(self.parsed, node)
            if not (isinstance(value, np.dtype) or isinstance(value, type) and (
                    issubclass(value, np.generic) or value in (float, int, bool, complex))):
                return None
        else:
            return None
        try:
            return gast.Constant(value=np.dtype(value).name, kind=None)
        except (TypeError, ValueError):
            return None

    def matrix_check(self, matrix, name, node):
        """``require_matrix(a, file, line, name)`` before the call: its rule takes one
        matrix at a time, and a stack is refused when the function runs."""
        call = gast.Call(func=_load(self.binder.name_for("require_matrix", require_matrix)),
                         args=[clone(matrix), *self.located(self.parsed.error("", node).lineno),
                               gast.Constant(value=name, kind=None)], keywords=[])
        call.callee = require_matrix
        self.emit(gast.Expr(value=call))

    def refuse_einsum_form(self, node):
        """The rules of np.einsum take its subscripts as a string and one to three
        operands: refuse more operands, or the sublist form (``np.einsum(a, [0, 1], b,
        [1, 2])``), here. Were (hunt20): an internal TypeError or AttributeError from the
        rules, and in forward mode a silently wrong tangent (0.0) of the sublist form."""
        def sublist(a):   # ([0, 1], (0, Ellipsis)): operands are written otherwise
            return isinstance(a, (gast.List, gast.Tuple)) and a.elts and all(
                isinstance(e, gast.Constant) and type(e.value) in (int, type(Ellipsis))
                for e in a.elts)
        literal = isinstance(node.args[0], gast.Constant) if node.args else False
        if len(node.args) > 4 or not literal and any(sublist(a) for a in node.args[1:]):
            raise self.parsed.error(
                "np.einsum is differentiated with its subscripts as a string and one to "
                "three operands, not in the sublist form or with more operands", node,
                hint="write the subscripts as a string (`np.einsum('ij,jk->ik', a, b)`), "
                     "and a product of four or more operands as einsums of up to three")

    def refusal_check(self, refusal, args, keywords, node):
        """``guard(file, line, *args, **keywords)`` before a call of a primitive whose
        rules cover only some values of its arguments (``rules.registry.refuses``):
        other values, known when the function runs, are refused at this line. Only
        when the call passes the parameter that calls for the check, if one is named."""
        guard, only_with = refusal
        where = node
        if only_with is not None:
            name, position = only_with
            given = [k for k in keywords if k.arg == name]
            if given:   # (the keyword's own line, on a continuation line of the call)
                where = given[0]
            elif position is not None and len(node.args) > position:
                where = node.args[position]
            else:
                return
        call = gast.Call(func=_load(self.binder.name_for(guard.__name__, guard)),
                         args=[*self.located(self.parsed.error("", where).lineno),
                               *(clone(a) for a in args)],
                         keywords=[gast.keyword(arg=k.arg, value=clone(k.value))
                                   for k in keywords])
        call.callee = guard
        self.emit(gast.Expr(value=call))

    def check_global_change(self, func, callee, node):
        """Refuse a method that changes a global list, dict, set or array in place
        (``HISTORY.append(x)``, ``BUFFER.fill(x)``): the derivative would read the global
        as a constant, missing the change (and a second call sees what the first did)."""
        owner = getattr(callee, "__self__", None)
        if isinstance(func, gast.Attribute) and func.attr in _CHANGING_METHODS \
                and isinstance(owner, (list, dict, set, bytearray, np.ndarray)):
            name = _dotted(func.value)
            raise self.error(f"`{name}.{func.attr}(...)` changes `{name}` in place, a value "
                             "from outside the function (a global or a closure variable), "
                             "which cannot be differentiated", node,
                             hint=f"make a local copy (`items = list({name})` or "
                             f"`{name}.copy()`) and return what changes, or pass it as an "
                             "argument")

    def check_mutation(self, node, callee):
        """Refuse a NumPy function that changes an argument in place (``np.copyto``,
        ``np.put``, ``out=``): the derivative cannot follow the change."""
        mutation = rules.mutation_of(callee)
        name = _dotted(node.func)
        if mutation is not None:
            raise self.error(f"`{name}` changes its argument in place, which cannot be "
                             "differentiated", node, hint=mutation[1])
        if isinstance(callee, np.ufunc) or getattr(callee, "__module__", "") and \
                str(getattr(callee, "__module__", "")).startswith("numpy"):
            # (`out` comes after the operands: no function takes it first or second)
            position = callee.nin if isinstance(callee, np.ufunc) else \
                _out_position_of(callee) if len(node.args) > 2 else None
            if position is not None and len(node.args) > position:
                raise self.error(f"the argument `out` of `{name}` (given by position, "
                                 f"argument {position + 1}) writes into an existing array, "
                                 "which cannot be differentiated", node.args[position],
                                 hint=f"assign the result instead: `z = {name}(...)` "
                                 f"with the first {position} argument(s) only")
            for kw in node.keywords:
                if kw.arg == "out" and not (isinstance(kw.value, gast.Constant)
                                            and kw.value.value is None):
                    raise self.error(f"the keyword `out` of `{name}` writes into an existing "
                                     "array, which cannot be differentiated", kw.value,
                                     hint=f"assign the result instead: `z = {name}(...)`")

    def mutated_arguments(self, node, callee, args, keywords):
        """A user function that changes an argument in place: refused when it writes into
        it or appends to it. One that may (``p += v``, also on a view of ``p``: in place
        only on an array or a list) gets a check before the call that refuses an array or
        a list when the derived function runs: the derivative calls the function for its
        value and then differentiates it at the argument it was given, which the call
        changed (a number passes: ``p += v`` makes a new number)."""
        if not _derived_callee(callee):
            return
        changed = mutated_parameters(callee)
        if not changed:
            return
        call = gast.Call(func=node.func, args=node.args, keywords=node.keywords)
        name = _dotted(node.func)
        for user_arg, param in _bound_names(callee, call).items():
            if param not in changed or user_arg not in self.user_locals:
                continue
            kind, lineno, what = changed[param]
            where = f" at {short_filename(callee.__code__.co_filename)}:{lineno}" if lineno else ""
            if kind == "changes":
                raise self.error(
                    f"`{name}` changes its argument `{user_arg}` in place "
                    f"({what}{where}): the derivative cannot follow a change made inside "
                    "another function", node,
                    hint=f"return the new value from `{name}` and assign it, "
                    f"or write into a copy there (`{param} = {param}.copy()` first)")
        atoms = gast.Call(func=node.func, args=args, keywords=keywords)
        for atom_name, param in _bound_names(callee, atoms).items():
            if param not in changed:
                continue
            kind, lineno, what = changed[param]
            where = f" at {short_filename(callee.__code__.co_filename)}:{lineno}" if lineno else ""
            shown = self.versions.get(atom_name) or "its argument"
            shown = f"`{shown}`" if shown != "its argument" else shown
            if kind == "row":
                reason = (f"`{name}` changes an item of {shown} in place when that item "
                          f"is an array or a list, a row of a 2-D array ({what}{where}): "
                          "the derivative cannot follow a change made inside another "
                          "function")
                hint = (f"in `{name}`, assign a new value instead of updating in place "
                        "(`v = v + w`, not `v += w`), or copy the item first there "
                        f"(`{param}[...].copy()`)")
                self.emit(self.runtime_guard(_load(atom_name), reason, hint, node, others=[],
                                             guard=row_guard))
                continue
            reason = (f"`{name}` changes {shown} in place when it is an array or a list "
                      f"({what}{where}): the derivative cannot follow a change made inside "
                      "another function")
            hint = (f"in `{name}`, assign a new value instead of updating in place "
                    f"(`v = v + w`, not `v += w`), or copy first there (`{param} = "
                    f"{param}.copy()`); numbers are fine")
            self.emit(self.runtime_guard(_load(atom_name), reason, hint, node))

    def runtime_guard(self, value, reason, hint, node, others=None, guard=inplace_guard):
        """``inplace_guard(value, file, line, reason, hint, *others)``: refuses ``value``
        when it is an array or a list that one of ``others`` (default: ``value``) shares;
        or ``guard`` (``row_guard``: an item of ``value`` is an array or list) with those
        arguments."""
        func = _load(self.binder.name_for(guard.__name__, guard))
        others = [value] if others is None else others
        call = gast.Call(func=func, args=[value, *self.located(getattr(node, "lineno", None)),
                                          gast.Constant(value=reason, kind=None),
                                          gast.Constant(value=hint, kind=None)] + others,
                         keywords=[])
        call.callee = guard
        return gast.Expr(value=call)

    def assigned_guard(self, names, where):
        """``require_assigned(y)`` before a return whose value reads ``y``, which a path
        may leave unassigned (exits.mark_unassigned_returns): reading it raises
        UnboundLocalError, as in the function, in every mode (whatever the mode reads of
        the output)."""
        # (a name the function may set to None itself is not checked for None)
        nullable = {t.id for node in walk(self.parsed.node.body) if isinstance(node, gast.Assign)
                    and isinstance(node.value, gast.Constant) and node.value.value is None
                    for t in node.targets if isinstance(t, gast.Name)}
        checked = gast.Constant(value=tuple(None if n in nullable else n for n in names),
                                kind=None)
        call = gast.Call(func=_load(self.binder.name_for("require_assigned", require_assigned)),
                         args=[checked] + [self.atom(_load(name)) for name in names],
                         keywords=[])
        call.callee = require_assigned
        return gast.copy_location(gast.Expr(value=call), where)

    def no_number_guard(self, where):
        """``returns_no_number(file, line, reason, hint)``, which raises: the start of a
        path that returns no number (exits.py marks them)."""
        name = self.parsed.node.name
        if isinstance(where, gast.Return):
            shown = "nothing" if where.value is None else repr(where.value.value)
            reason = (f"the path taken returns {shown}, not a number to differentiate")
            hint = "return a number on every path the derivative takes"
        else:
            last = getattr(self.parsed.node.body[-1], "end_lineno", None)
            reason = (f"the path taken reaches the end of `{name}`"
                      + (f" (line {last})" if last else "")
                      + " without a `return`, so it returns None, not a number to "
                      "differentiate")
            hint = "end every path with `return <value>`"
        call = gast.Call(func=_load(self.binder.name_for("returns_no_number", returns_no_number)),
                         args=[*self.located(where.lineno), gast.Constant(value=reason, kind=None),
                               gast.Constant(value=hint, kind=None)], keywords=[])
        call.callee = returns_no_number
        return gast.Expr(value=call)

    def _is_stack(self, atom) -> bool:
        return isinstance(atom, gast.Name) and self.versions.get(atom.id, atom.id) in self.stacks

    def frozen(self, atom):
        """A list that is appended to (a stack) passes a copy, ``list(lst)``: the adjoint
        of the call then sees the list as the call saw it."""
        if isinstance(atom, gast.Name) and self.versions.get(atom.id, atom.id) in self.stacks:
            return self.bind_new(None, self.builtin_call(list, [atom]))
        return atom

    def draw(self, node):
        """``rng.normal(0.0, 1.0, size=n)``: a draw from a random generator (a
        ``np.random.Generator`` or ``RandomState``, or any object with such a method),
        kept as the call: a constant where what it is given is, and refused by the
        derivative where an argument carries a derivative (rules.registry.draw_error)."""
        func = node.func
        args = [self.atom(a) for a in node.args]
        keywords = [gast.copy_location(gast.keyword(arg=k.arg, value=self.atom(k.value)), k)
                    for k in node.keywords]
        call = gast.Call(func=gast.Attribute(value=self.atom(func.value), attr=func.attr,
                                             ctx=gast.Load()), args=args, keywords=keywords)
        call.callee = rules.registry.random_draw
        return call

    def method_call(self, node):
        func = node.func
        name = func.attr
        if name in ("append", "pop") and isinstance(func.value, gast.Name) \
                and func.value.id in self.user_locals:
            made_by = self.not_lists.get(func.value.id)
            if made_by is not None:
                raise self.error(
                    f"`{func.value.id}.{name}(...)` of a {made_by.__module__}.{made_by.__name__}:"
                    " tangentlike differentiates the appends and pops of lists only", node,
                    hint=f"make `{func.value.id}` a list (`{func.value.id} = []`)")
            return self.list_call(node)
        if name == "astype":
            given = list(node.args) + [k.value for k in node.keywords if k.arg == "dtype"]
            others = [k.arg for k in node.keywords if k.arg != "dtype" and not (
                k.arg == "copy" and isinstance(k.value, gast.Constant) and k.value.value is True)]
            if len(given) != 1 or others:
                raise self.error("`.astype()` is supported with a dtype only" + (
                    f", not with `{others[0]}=`" if others else ""),
                    next((k for k in node.keywords if others and k.arg == others[0]), node),
                    hint="write `x.astype(dtype)` (a new array)")
            obj = self.atom(func.value)
            args = [self.static_dtype(a) or self.atom(a) for a in given]
            self.refuse_complex_dtype(args[0], given[0])
            call = gast.Call(func=_load(self.binder.name_for("astype", astype)),
                             args=[obj] + args, keywords=[])
            call.callee = astype
            return call
        if name == "copy" and isinstance(func.value, gast.Name) and not node.args:
            obj = self.atom(func.value)
            known = obj.id if isinstance(obj, gast.Name) else None
            if self.dicts.get(known):
                raise self.error("`.copy()` of a dict is not supported", node,
                                 hint="read the values from the dict itself, or keep them "
                                 "in separate variables")
            if known in self.dicts or func.value.id in self.keyed:   # read by a key
                call = self.builtin_call(dict, [obj])   # the copy of a dict is a dict
                call.copies_a_given_dict = True
                return call
            if known in self.sequences and known not in self.tuples \
                    or self.versions.get(known, known) in self.stacks:
                return self.builtin_call(list, [obj])   # a list's copy is a list
            if func.value.id in self.listed:
                # (a parameter's, perhaps a list: a list then; an array's copy has no
                # pop or append, which raise as they do in f)
                return self.builtin_call(list_copy, [obj])
        if name == "insert" and isinstance(func.value, gast.Name) \
                and func.value.id in self.user_locals:
            return self.list_insert(node)
        if name in RANDOM_DRAWS and name not in METHODS and isinstance(func.value, gast.Name) \
                and (func.value.id in self.user_locals
                     or is_random_source(self.parsed.lookup(func.value.id, None))):
            return self.draw(node)
        if name not in METHODS:
            if getattr(np, name, None) in rules.RULES:   # (np.put changes x: refused too)
                default = ("call the corresponding NumPy function instead "
                           "(`np.{name}(x, ...)` for `x.{name}(...)`)")
            elif hasattr(np.ndarray, name):
                default = ("an array's `.{name}()` has no derivative rule: write it with NumPy "
                           "functions or indexing")
            else:
                default = _OWN_METHOD_HINT
            raise self.error(f"the method `.{name}()` is not supported", _method_line(func),
                             hint=_METHOD_HINTS.get(name, default).format(name=name))
        if name == "item" and (node.args or node.keywords):
            raise self.error("`.item()` with an index is not supported", _method_line(func),
                             hint="index first: `x[i].item()` or `float(x[i])`")
        self.check_method_out(node, METHODS[name])
        obj = self.atom(func.value)
        if name in ("conj", "conjugate") and not node.args and not node.keywords:
            # the array itself on a real array (``x.conj() is x``; complex values are
            # refused), where ``np.conj(x)`` would be a new one: a change made through
            # the result is a change of ``x``
            return obj
        args = [self.atom(a) for a in node.args]
        if name in SHAPE_VARARGS and len(args) > 1:
            args = [self.expr_Tuple(gast.Tuple(elts=args, ctx=gast.Load()))]
            if not _is_atom(args[0]):
                args = [self.atomize(args[0])]
        keywords = [gast.copy_location(gast.keyword(arg=k.arg, value=self.atom(k.value)), k)
                    for k in node.keywords if not _without_effect(METHODS[name], k)]
        return self.numpy_call(METHODS[name], [obj] + args, keywords, node)

    def check_method_out(self, node, fn):
        """Refuse the ``out`` of an array method (``x.clip(0.0, 1.0, out=x)``,
        ``x.sum(0, None, y)``), which writes into an existing array as that of the NumPy
        function does (check_mutation); ``out=None`` is the default, left out. The method's
        arguments are the function's without the array."""
        name = f"{_dotted(node.func.value)}.{node.func.attr}"
        position = _out_position_of(fn)
        if position is not None and 0 < position <= len(node.args):
            raise self.error(f"the argument `out` of `{name}()` (given by position, argument "
                             f"{position}) writes into an existing array, which cannot be "
                             "differentiated", node.args[position - 1],
                             hint=f"assign the result instead: `z = {name}(...)` with the "
                             f"first {position - 1} argument(s) only")
        for kw in node.keywords:
            if kw.arg == "out" and not _without_effect(fn, kw):
                raise self.error(f"the keyword `out` of `{name}()` writes into an existing "
                                 "array, which cannot be differentiated", kw.value,
                                 hint=f"assign the result instead: `z = {name}(...)`")

    def list_insert(self, node):
        """``lst.insert(i, v)`` at the function's top level (not in an ``if`` or a loop,
        where a name assigned keeps one name) of a list display of known length, ``i`` an
        integer constant, no other name holding the list: ``lst = lst[:i] + [v] + lst[i:]``,
        which Python's slices make the same list (a negative or too large ``i`` too),
        joined item by item."""
        lst = node.func.value.id
        index = _int_constant(node.args[0]) if len(node.args) == 2 else None
        known = self.sequence_length(node.func.value) is not None and \
            self.current.get(lst) not in self.tuples
        shared = _shared_list(lst, self.parsed, self.user_function)
        if node.keywords or len(node.args) != 2 or shared is not None or lst in self.params \
                or self.current.get(lst) in self.tuples:
            why = (f"`{lst}` is also held by {shared}" if shared is not None else
                   f"`{lst}` is a parameter (the caller's list)" if lst in self.params else
                   f"`{lst}` is a tuple" if self.current.get(lst) in self.tuples else
                   "it takes an index and a value, by position")
            raise self.error(f"`{lst}.insert(...)` is supported on a list of the function's "
                             f"own: {why}", node,
                             hint="build the list in the order wanted (append, then read it "
                             "reversed with `lst[::-1]`), or join displays: `[v] + lst`")
        if index is None or not known or self.depth:
            return self.list_insert_by_pops(node)
        value = _load(lst)
        before = gast.Subscript(value=value, slice=gast.Slice(
            lower=None, upper=clone(node.args[0]), step=None), ctx=gast.Load())
        after = gast.Subscript(value=clone(value), slice=gast.Slice(
            lower=clone(node.args[0]), upper=None, step=None), ctx=gast.Load())
        joined = gast.BinOp(left=gast.BinOp(left=before, op=gast.Add(), right=gast.List(
            elts=[node.args[1]], ctx=gast.Load())), op=gast.Add(), right=after)
        assign = gast.Assign(targets=[gast.Name(id=lst, ctx=gast.Store(), annotation=None,
                                                type_comment=None)],
                             value=joined, type_comment=None)
        self.statement(gast.copy_location(assign, node))
        return gast.Constant(value=None, kind=None)

    def list_insert_by_pops(self, node):
        """``lst.insert(i, v)`` where the list's length or ``i`` is known only when it runs
        (in an ``if`` or a loop, or of a list appended to): the pops and appends it is,
        which the derivative follows as any (``tail`` a fresh list)::

            n = len(lst); p = min(max(i + n if i < 0 else i, 0), n)   # insert's position
            for k in range(n - p): tail.append(lst.pop())
            lst.append(v)
            for k in range(n - p): lst.append(tail.pop())
        """
        lst = node.func.value.id
        names = {hint: self.namer.fresh(f"{lst}_{hint}") for hint in ("i", "v", "n", "at",
                                                                      "tail", "k")}
        template = ast.parse(
            "{i} = I\n{v} = V\n{n} = len({lst})\n"
            "{at} = min(max({i} + {n} if {i} < 0 else {i}, 0), {n})\n{tail} = []\n"
            "for {k} in range({n} - {at}):\n    {tail}.append({lst}.pop())\n"
            "{lst}.append({v})\n"
            "for {k} in range({n} - {at}):\n    {lst}.append({tail}.pop())\n".format(
                lst=lst, **names))
        stmts = gast.ast_to_gast(template).body
        stmts[0].value, stmts[1].value = node.args   # (evaluated in Python's order)
        for stmt in stmts[2:]:
            locate(stmt, node)
        locate(stmts[0], node, shallow=True)
        locate(stmts[1], node, shallow=True)
        self.user_locals |= set(names.values())
        for stmt in stmts:
            self.statement(stmt)
        return gast.Constant(value=None, kind=None)

    def user_function(self, func) -> bool:
        """Whether the call's function ``func`` is a function of the user's (which may
        keep what it is given) or a local function."""
        if isinstance(func, gast.Name) and func.id in self.local_functions:
            return True
        return self._is_local_ref(func) or is_user_function(resolve_static(self.parsed, func))

    def list_call(self, node):
        """``lst.append(v)`` and ``lst.pop()`` of a local list (a stack)."""
        name = node.func.attr
        if node.keywords or (name == "append" and len(node.args) != 1) or \
                (name == "pop" and node.args):
            raise self.error("only `lst.append(value)` and `lst.pop()` are supported on lists",
                             node, hint="index the list explicitly")
        receiver = self.expr_Name(node.func.value)
        args = [self.atom(a) for a in node.args]
        call = gast.Call(func=gast.Attribute(value=receiver, attr=name, ctx=gast.Load()),
                         args=args, keywords=[])
        call.callee = list.append if name == "append" else list.pop
        return call

    def numpy_call(self, fn, args, keywords, node):
        if getattr(fn, "__module__", None) == "builtins":   # x.item() -> float(x)
            call = self.builtin_call(fn, args)
            call.keywords = keywords
            return call
        np_name = self._numpy_name()
        func = gast.Attribute(value=_load(np_name), attr=fn.__name__, ctx=gast.Load())
        args, keywords = self.cast_first(fn, args, _renamed_keywords(fn, keywords))
        args, keywords = self.resolved_order(fn, args, keywords, node)
        call = gast.Call(func=func, args=args, keywords=keywords)
        call.callee = fn
        return call

    def resolved_order(self, callee, args, keywords, node):
        """``np.ravel(a, order='K')`` -> ``np.ravel(a, order=memory_order(a, 'K', file,
        line))``, also ``'A'``, np.reshape's ``'A'`` and an order held in a variable: these
        read ``a``'s memory layout, which the derivative's arrays do not share, so the
        call (and its rules) is given the index order NumPy uses for ``a``, 'C' or 'F'."""
        position = 1 if callee is np.ravel else 2 if callee is np.reshape else None
        if position is None or not args:
            return args, keywords
        given = args[position] if len(args) > position else next(
            (k.value for k in keywords if k.arg == "order"), None)
        if given is None or isinstance(given, gast.Constant) and given.value in ("C", "F"):
            return args, keywords
        order = self.library_call(memory_order, [clone(args[0]), clone(given),
                                                 *self.located(self.parsed.error("", node).lineno)])
        if len(args) > position:
            return args[:position] + [order] + args[position + 1:], keywords
        return args, [gast.copy_location(gast.keyword(arg="order", value=order), k)
                      if k.arg == "order" else k for k in keywords]

    def _numpy_name(self) -> str:
        return self.binder.name_for("np", np)

    def expr_IfExp(self, node):
        """``a if c else b`` -> ``if c: t = a`` / ``else: t = b``."""
        result = self.namer.temp()
        self.mutable.add(result)
        self.versions[result] = None
        test = self.decision(self.atom(node.test))
        body = self.nested([], before=lambda: self._assign(result, self.expr(node.body)))
        taken = self.exit_lengths
        orelse = self.nested([], before=lambda: self._assign(result, self.expr(node.orelse)))
        self.after_branches(taken)
        self.emit(gast.If(test=test, body=body, orelse=orelse))
        return _load(result)

    def expr_BoolOp(self, node):
        """``a and b`` -> ``t = a; if t: t = b`` (``or``: ``if not t``), short-circuiting."""
        result = self.namer.temp()
        self.mutable.add(result)
        self.versions[result] = None
        self._assign(result, self.expr(node.values[0]))
        for value in node.values[1:]:
            test = _load(result)
            if isinstance(node.op, gast.Or):
                test = self.bind_new(None, gast.UnaryOp(op=gast.Not(), operand=test))
            else:
                test = self.decision(test)
            body = self.nested([], before=lambda: self._assign(result, self.expr(value)))
            self.emit(gast.If(test=test, body=body, orelse=[]))
        return _load(result)


def _makes_a_sequence(callee) -> bool:
    """Whether ``callee`` may make a list or tuple: list, tuple, sorted, or a function of
    the user's that returns one (not a derivative, which returns its gradients, nor a
    helper of the library's)."""
    return callee is list or callee is tuple or callee is sorted \
        or is_user_function(callee) and rules.lookup(callee) is None \
        and not callee.__code__.co_filename.startswith("<tangentlike ") \
        and (getattr(callee, "__module__", None) or "").partition(".")[0] != "tangentlike" \
        and _returns_a_sequence(callee.__code__)


@functools.lru_cache(maxsize=256)
def _returns_a_sequence(code) -> bool:
    """Whether the user's function of ``code`` may return a list or tuple: a ``return``
    of a display, of ``list(...)``/``tuple(...)``, or of a name it assigns one (so its
    result joined by ``+`` is Python's join, not NumPy's sum). A function whose source
    cannot be read may."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(code)))
    except (OSError, TypeError, SyntaxError):
        return True
    shown = {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
             and _a_sequence(node.value) for target in node.targets
             if isinstance(target, ast.Name)}
    return any(isinstance(node, ast.Return) and node.value is not None
               and (_a_sequence(node.value) or isinstance(node.value, ast.Name)
                    and node.value.id in shown) for node in ast.walk(tree))


def _a_sequence(value) -> bool:
    return isinstance(value, (ast.List, ast.Tuple, ast.ListComp)) or \
        isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
        and value.func.id in ("list", "tuple", "sorted")


def _displayed(body) -> set:
    """The names ``body`` assigns a list or tuple display, or the value of such a name,
    anywhere (also as a branch of a conditional expression)."""
    found, copies = set(), []
    for node in walk(body):
        if isinstance(node, gast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], gast.Name):
            value = node.value
            values = [value.body, value.orelse] if isinstance(value, gast.IfExp) else \
                value.values if isinstance(value, gast.BoolOp) else [value]
            if any(isinstance(v, (gast.List, gast.Tuple)) for v in values):
                found.add(node.targets[0].id)
            copies += [(node.targets[0].id, v.id) for v in values if isinstance(v, gast.Name)]
    for _ in copies:
        grown = {target for target, source in copies if source in found} - found
        if not grown:
            break
        found |= grown
    return found


def _assigned_in_compound(body) -> set:
    out = set()
    for stmt in body:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            for node in walk(stmt):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                    out.add(node.id)
    return out


class _Rename(Transformer):
    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            node.id = self.renames[node.id]
        return node

    def visit_FunctionDef(self, node):
        if node.name in self.renames:
            node.name = self.renames[node.name]
        self.generic_visit(node)
        return node


class _Conditional:
    """A local function defined inside a block, seen from after the block."""

    __slots__ = ("fdef",)

    def __init__(self, fdef: gast.FunctionDef):
        self.fdef = fdef


class _Ready(gast.AST):
    """An index that is already normalized (y[i] += v evaluates i once)."""

    _fields = ()

    def __init__(self, index):
        self.index = index


# Functions whose result may be a view of an argument (or the argument itself).
VIEWS = {np.reshape, np.transpose, np.ravel, np.squeeze, np.expand_dims, np.swapaxes,
         np.moveaxis, np.rollaxis, np.diagonal, np.real, np.imag, np.asarray, np.asanyarray,
         np.atleast_1d, np.atleast_2d, np.atleast_3d, np.broadcast_to, np.split,
         np.array_split, np.hsplit, np.vsplit, np.dsplit, np.flip, np.fliplr, np.flipud,
         np.rot90, stop_gradient, np.ascontiguousarray, np.asfortranarray, np.require,
         np.asarray_chkfinite, np.real_if_close, np.broadcast_arrays,
         *optional(np, "matrix_transpose", "unstack"), *optional(np.linalg, "matrix_transpose")}


# functions (and array methods) whose result may be a read-only view of their argument
READ_ONLY_VIEWS = ("diag", "diagonal", "broadcast_to")


def _called_name(func) -> Optional[str]:
    """The last name of a called expression (``diag`` of ``np.diag`` or ``x.diagonal``)."""
    return func.attr if isinstance(func, gast.Attribute) else \
        func.id if isinstance(func, gast.Name) else None


def _unwrapped(objects) -> frozenset:
    """``objects`` with each one perhaps viewed (``("maybe", o)``, a row) as ``o``."""
    return frozenset(o[1] if o[0] == "maybe" else o for o in objects)


def _index_value(normalizer, index):
    """A subscript's index as a value (``z[::2]`` -> ``slice(None, None, 2)``)."""
    if isinstance(index, gast.Slice):
        parts = [clone(p) if p is not None else gast.Constant(value=None, kind=None)
                 for p in (index.lower, index.upper, index.step)]
        return gast.Call(func=_load(normalizer.binder.name_for("slice", slice)), args=parts,
                         keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_value(normalizer, e) for e in index.elts],
                          ctx=gast.Load())
    return clone(index)


class _AliasState:
    """What each local may be: ``points`` the objects it is (or is a view of),
    ``contains`` the objects inside it (a list's items), ``stale`` the locals whose
    object was changed in place through another name (-> every change that may have
    done it, each ``(statement, by, perhaps)``: a read checks each of them, as any one
    may be the one that ran)."""

    def __init__(self, points: dict, contains: dict, stale: dict):
        self.points, self.contains, self.stale = points, contains, stale

    @classmethod
    def of(cls, params):
        return cls({p: frozenset([("param", p)]) for p in params}, {}, {})

    def copy(self):
        return _AliasState(dict(self.points), dict(self.contains), dict(self.stale))

    def merge(self, other):
        for mine, theirs in ((self.points, other.points), (self.contains, other.contains)):
            for name, objects in theirs.items():
                mine[name] = mine.get(name, frozenset()) | objects
        for name, changes in other.stale.items():
            for change in changes:
                self.made_stale(name, change)
        return self

    def made_stale(self, name, change):
        earlier = self.stale.get(name, ())
        if change not in earlier:
            self.stale[name] = earlier + (change,)

    def reach(self, name):
        return self.points.get(name, frozenset()) | self.contains.get(name, frozenset())


def _older(obj, site: int):
    """``obj`` (an object of _AliasCheck's tables), as an older object if made at
    ``site`` (see _AliasCheck.renew)."""
    kind, where = obj
    if kind == "maybe":
        return (kind, _older(where, site))
    return (kind, ("older", site)) if where == site else obj


class _AliasCheck:
    """Refuse reading a second name of an array or list after the object was changed in
    place through the first (``w = z; z[0] = x; return w[0]``, ``y = x; x += 1.0``,
    ``other = items; other.append(v)``): the core language treats every assignment as
    a new value, so the derivative would not see the change. Reads by an integer index
    (``z[i]``) are taken as copies, reads by slices (``z[1:]``) as views; the items of a
    list literal are followed, what is appended to a list is not."""

    def __init__(self, normalizer):
        self.normalizer = normalizer
        self.guards = {}   # id of an in-place `x += v` that may be on a number -> names
        self.sites = set()   # ids of the statements whose objects are in the tables
        self.overlaps = set()   # ids of writes `z[i] = v` of a v that may be a view of z

    def guarded(self, body):
        """``body`` with a run-time check before each in-place update that is wrong only
        on arrays and lists (``s = x; s += v`` is fine on numbers)."""
        out = []
        for stmt in body:
            for field_ in ("body", "orelse"):
                if isinstance(stmt, (gast.If, gast.For, gast.While)):
                    setattr(stmt, field_, self.guarded(getattr(stmt, field_)))
            if id(stmt) in self.guards:
                out.append(self.guard(stmt, sorted(self.guards[id(stmt)])))
            if id(stmt) in self.overlaps:
                out.append(self.overlap_check(stmt))
            out.append(stmt)
        return out

    def overlap_check(self, stmt):
        """``overlap_guard(z, index, v, file, line, reason, hint)`` before a write
        ``z[index] = v`` of a ``v`` that may be a view of ``z``: refused when it runs if
        NumPy would read elements of v that the write has already changed."""
        normalizer = self.normalizer
        target = stmt.targets[0]
        first = normalizer.versions.get(target.value.id) or target.value.id
        reason = (f"this write into `{first}` reads elements of `{first}` that it has already "
                  f"overwritten: the value written is a view of `{first}` that overlaps the "
                  "elements written, and NumPy copies them one at a time, so the result "
                  "depends on the order it copies in, which the derivative cannot follow")
        hint = f"write a copy of the value: `{first}[...] = (...).copy()`"
        func = _load(normalizer.binder.name_for("overlap_guard", overlap_guard))
        call = gast.Call(func=func, args=[_load(target.value.id),
                                          _index_value(normalizer, target.slice),
                                          _load(stmt.value.id),
                                          *normalizer.located(_line_of(stmt)),
                                          gast.Constant(value=reason, kind=None),
                                          gast.Constant(value=hint, kind=None)], keywords=[])
        call.callee = overlap_guard
        check = gast.Expr(value=call)
        check.origin, check.no_grad = stmt.origin, False
        gast.copy_location(check, stmt)
        return check

    def guard(self, stmt, others):
        normalizer = self.normalizer
        inplace = getattr(stmt, "inplace", None)
        changed = inplace if inplace is not None else stmt.targets[0].value.id
        first = normalizer.versions.get(changed) or changed
        users = [normalizer.versions[o] for o in others if normalizer.versions.get(o)]
        # a value the normalizer made (the iterator of a `for` loop) has no user's name
        names = ", ".join(f"`{n}`" for n in users) if users else \
            "a value made from it (a `for` loop iterating over it, or the right side of " \
            "`a, b = z[i], z[j]`, for example)"
        if users and len(users) < len(others):   # (either may be the one that shares it)
            names += " (or a value made from it: a `for` loop iterating over it, for example)"
        if inplace is not None:
            shared = ("names the same array or a view of it (they share memory) or holds it,"
                      if users else "holds it,")
            reason = (f"the augmented assignment changes `{first}` in place (an array), but "
                      f"{names} {shared} and is read afterwards: Python changes both, and the "
                      "derivative cannot follow a change seen through a second name")
            hint = (f"copy first where `{first}` is taken from the other array (`{first} = "
                    f"<the view>.copy()`), or give the other name its own copy (`.copy()`), "
                    f"or write `{first} = {first} + ...` (a new array) instead of "
                    f"`{first} += ...`")
        else:
            reason = (f"this statement writes into `{first}`, but {names} was read from it "
                      "by an index that gave a view (a row of a 2-D array), or holds it (a "
                      "list it was appended to), and is read afterwards: the derivative "
                      "cannot follow a change seen through a second name")
            row = normalizer.versions.get(others[0]) or "row"
            hint = (f"read the row as a copy (`{row} = {first}[...].copy()`), or append a "
                    f"copy (`.append({first}.copy())`), or read it after the write"
                    + ("" if users else f"; to swap rows write `{first}[[i, j]] = "
                       f"{first}[[j, i]]`"))
        func = _load(normalizer.binder.name_for("inplace_guard", inplace_guard))
        call = gast.Call(func=func, args=[_load(changed), *normalizer.located(_line_of(stmt)),
                                          gast.Constant(value=reason, kind=None),
                                          gast.Constant(value=hint, kind=None)]
                         + [_load(o) for o in others], keywords=[])
        call.callee = inplace_guard
        check = gast.Expr(value=call)
        check.origin, check.no_grad = stmt.origin, False
        gast.copy_location(check, stmt)
        return check

    def block(self, body, state):
        for stmt in body:
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt, state):
        if isinstance(stmt, gast.If):
            self.reads(stmt.test, stmt, state)
            body = self.block(stmt.body, state.copy())
            return body.merge(self.block(stmt.orelse, state.copy()))
        if isinstance(stmt, (gast.For, gast.While)):
            self.reads(stmt.iter if isinstance(stmt, gast.For) else stmt.test, stmt, state)
            if isinstance(stmt, gast.For):
                state.points.pop(stmt.target.id, None)
                state.stale.pop(stmt.target.id, None)
            for _ in range(2):   # a second pass sees what the end of the body did
                state = state.copy().merge(self.block(stmt.body, state.copy()))
            return state
        self.reads(stmt, stmt, state)
        value = getattr(stmt, "value", None)
        if isinstance(value, gast.Call):
            callee = getattr(value, "callee", None)
            if callee in (list.append, list.pop):
                receiver = value.func.value.id
                params = sorted(o[1] for o in state.points.get(receiver, frozenset())
                                if o[0] == "param")
                if params:
                    # the caller's list: the derivative would change it at each call
                    # (and the gradient would not have the list's structure)
                    self.refuse_change_of_an_argument(receiver, params[0], callee, stmt)
                # What is appended is not followed: lists used as stacks save values
                # that the code then reassigns (allocation sites would blur loop rounds).
                self.changed(state.points.get(receiver, frozenset()), receiver, stmt, state)
                if callee is list.append and value.args and isinstance(value.args[0], gast.Name):
                    # ... but a change in place of what was appended is checked when it
                    # runs (inplace_guard looks into the list)
                    held = frozenset(o if o[0] == "maybe" else ("maybe", o)
                                     for o in state.reach(value.args[0].id))
                    state.contains[receiver] = state.contains.get(receiver, frozenset()) | held
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):
                receiver = target.value.id
                if isinstance(value, gast.Name) and _unwrapped(state.reach(value.id)) \
                        & _unwrapped(state.points.get(receiver, frozenset())):
                    # `z[::2] = z[:3]`: perhaps a view of z written into z
                    self.overlaps.add(id(stmt))
                self.changed(state.points.get(receiver, frozenset()), receiver, stmt, state)
            elif isinstance(target, gast.Name) and getattr(stmt, "final_result", False):
                # `result = v` of a `return v` inside control flow: the rest of the
                # function is skipped from there, so nothing changes v while result
                # holds it (`for ...: out[i] = ...; if done: return out`)
                state.points[target.id] = frozenset([("new", id(stmt))])
                self.sites.add(id(stmt))
                state.contains[target.id] = frozenset()
                state.stale.pop(target.id, None)
            elif isinstance(target, gast.Name):
                points, contains = self.value(value, stmt, state, target.id)
                if id(stmt) in self.sites:   # (else no object of it is there to renew)
                    self.renew(state, stmt)
                self.sites.add(id(stmt))
                old = getattr(stmt, "inplace", None)
                if old is not None:
                    objects = frozenset(o for o in state.points.get(old, frozenset())
                                        if o[0] != "tuple")
                    self.changed(objects, old, stmt, state, also=target.id)
                    points = state.points.get(old, frozenset()) | points
                state.points[target.id] = points
                state.contains[target.id] = contains
                state.stale.pop(target.id, None)
        return state

    def value(self, value, stmt, state, target=None):
        """(points, contains) of a value assigned to ``target``; an object is (kind,
        id): kind "array" or "list" (surely changed in place by `+=`), "tuple" (never),
        "new" or "param" (a number or an array: unknown)."""
        new = frozenset([("new", id(stmt))])
        if isinstance(value, gast.Name) and value.id not in state.points \
                and value.id not in self.normalizer.user_locals and isinstance(
                    self.normalizer.user_object(value.id),
                    (list, dict, set, bytearray, np.ndarray)):
            # a global list, dict or array: changing it through this name is refused
            return frozenset([("global", value.id)]), frozenset()
        if isinstance(value, gast.Name):
            return state.points.get(value.id, frozenset()), state.contains.get(value.id,
                                                                               frozenset())
        viewed = self.global_viewed(value, state)
        if viewed:
            return new | viewed, frozenset()
        if isinstance(value, (gast.List, gast.Tuple)):
            inside = frozenset().union(*(state.reach(e.id) for e in value.elts
                                         if isinstance(e, gast.Name)))
            kind = "list" if isinstance(value, gast.List) else "tuple"
            return frozenset([(kind, id(stmt))]), inside
        if isinstance(value, gast.Call) and getattr(value, "callee", None) in ARRAYS \
                and not _may_share(value):
            return frozenset([("array", id(stmt))]), frozenset()
        if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
            name = value.value.id
            if _slicing(value.slice):
                versions = self.normalizer.versions
                if target is not None and versions.get(target, target) in self.normalizer.stacks:
                    # a slice the body appends to or pops from: of a list, a new list (an
                    # array has no pop: f raises there); perhaps a view still (an array's,
                    # on a path that does not reach the pop): changes through it are
                    # checked when they run, as through its items (`list(xs)` below)
                    maybe = frozenset(o if o[0] == "maybe" else ("maybe", o)
                                      for o in state.reach(name))
                    return new | maybe, state.contains.get(name, frozenset()) | maybe
                return new | state.reach(name), state.contains.get(name, frozenset())
            # an integer index gives a copy of a number, but a view of a row of an array
            # of two or more dimensions: checked when the function runs
            maybe = frozenset(o if o[0] == "maybe" else ("maybe", o)
                              for o in state.reach(name))
            return new | maybe | state.contains.get(name, frozenset()), frozenset()
        if isinstance(value, gast.Call):
            callee = getattr(value, "callee", None)
            if callee is list.pop:
                return new | state.contains.get(value.func.value.id, frozenset()), frozenset()
            if callee in (list, tuple):
                if not (value.args and isinstance(value.args[0], gast.Name)):
                    return new, frozenset()
                # a new list of the same items: of a list argument, its arrays (or the
                # rows of an array), which a change in place through an item changes
                name = value.args[0].id
                items = frozenset(o if o[0] == "maybe" else ("maybe", o)
                                  for o in state.reach(name))
                return new, state.contains.get(name, frozenset()) | items
            if callee in VIEWS or _derived_callee(callee) and not returns_new(callee) \
                    or _may_share(value):
                args = [a for a in value.args + [k.value for k in value.keywords]
                        if isinstance(a, gast.Name)]
                inside = frozenset().union(*(state.reach(a.id) for a in args))
                return new | inside, inside
        return new, frozenset()

    def global_viewed(self, value, state) -> frozenset:
        """``("global", G)`` when ``value`` may be a view of a global (or closure) array,
        list, dict or tuple ``G``, or an array or list held in it: ``G[1:]``, ``G.T``,
        ``G.conj()``, ``np.asarray(G)``, a row ``G[0]`` of a 2-D ``G``, an item ``L[0]``
        of a list of arrays: a change in place through it changes ``G``."""
        base = _view_base(value)
        if base is not None:
            changeable = isinstance(self.normalizer.user_object(base),
                                    (list, dict, set, bytearray, np.ndarray))
        elif isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
            base = value.value.id
            held = self.normalizer.user_object(base)
            items = held.values() if isinstance(held, dict) else \
                held if isinstance(held, (list, tuple)) else ()
            changeable = isinstance(held, np.ndarray) and held.ndim >= 2 or any(
                isinstance(item, (np.ndarray, list, dict)) for item in items)
        if base is None or not changeable or base in state.points \
                or base in self.normalizer.user_locals:
            return frozenset()
        return frozenset([("global", base)])

    @staticmethod
    def renew(state, stmt):
        """``stmt`` makes a new object (``z = np.zeros(3)`` in a loop): what other names
        hold from an earlier run of it is another, older object. Without this, the
        Jacobi pattern (``new = np.zeros(n); new[i] = ...; x = new`` in a loop) took `x`
        (last turn's array) for a second name of this turn's."""
        site = id(stmt)
        for table in (state.points, state.contains):
            for name, objects in table.items():
                for obj in objects:   # (most hold no object made here: left as they are)
                    while obj[0] == "maybe":
                        obj = obj[1]
                    if obj[1] == site:
                        table[name] = frozenset(_older(o, site) for o in objects)
                        break

    def changed(self, objects, by, stmt, state, also=None):
        """``objects`` were changed in place through ``by``: every other name of them is
        stale (``by=None``: a call changed them, its arguments too)."""
        # `r = z[0]; r += v` changes z itself when z has two or more dimensions (the row
        # is a view): every name of z is perhaps stale, checked when the function runs
        through_row = frozenset(o[1] for o in objects if o[0] == "maybe")
        if through_row and by is not None:
            rows = through_row | frozenset(("maybe", o) for o in through_row)
            for name in set(state.points) | set(state.contains):
                if name not in (by, also) and state.reach(name) & rows:
                    state.made_stale(name, (stmt, by, True))
        objects = frozenset(o for o in objects if o[0] != "maybe")
        if not objects:
            return
        changed_globals = sorted(o[1] for o in objects if o[0] == "global")
        if changed_globals:
            name = changed_globals[0]
            through = self.normalizer.versions.get(by) if by is not None else None
            raise self.normalizer.error(
                f"this statement changes `{name}` in place"
                + (f" (through `{through}`)" if through and through != name else "")
                + ", a value from outside the function (a global or a closure variable), "
                "which cannot be differentiated",
                getattr(stmt, "origin", None) or stmt,
                hint=f"make a local copy (`{through or 'y'} = {name}.copy()` or "
                f"`list({name})`) and return what changes, or pass it as an argument")
        maybe = frozenset(("maybe", o) for o in objects)
        for name in set(state.points) | set(state.contains):
            if name in (by, also):
                continue
            if state.reach(name) & objects:
                state.made_stale(name, (stmt, by, False))
            elif by is not None and state.reach(name) & maybe:
                state.made_stale(name, (stmt, by, True))

    def reads(self, node, stmt, state):
        if not state.stale:
            return   # (the usual case: no walk)
        for sub in gast.walk(node):
            if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) \
                    and sub.id in state.stale:
                self.read_stale(sub.id, state, stmt)

    def read_stale(self, name, state, stmt):
        """A read of ``name`` after changes in place through another name: refused if
        one of them surely changed what ``name`` holds (the first such), else each one
        that may have is checked when it runs (any of them may be the one that ran:
        `if c: z += v` then `z *= 2.0`, or one in each branch of an `if`)."""
        checked = []
        for change, by, maybe in state.stale[name]:
            if maybe:
                # perhaps a row view of the array changed: checked when it runs
                if getattr(change, "inplace", None) is not None or (
                        isinstance(change, gast.Assign)
                        and isinstance(change.targets[0], gast.Subscript)):
                    checked.append(change)
                continue
            if getattr(change, "inplace", None) is not None and not any(
                    kind in ("array", "list") for kind, _ in state.reach(name)
                    & state.points.get(change.targets[0].id, frozenset())):
                # what both names hold is perhaps a number (a parameter, say, where
                # the other value may be an array): checked when the function runs
                checked.append(change)
                continue
            raise self.refuse(name, change, by, stmt)
        for change in checked:
            self.guards.setdefault(id(change), set()).add(name)

    def refuse_change_of_an_argument(self, receiver, param, callee, stmt):
        versions = self.normalizer.versions
        name = versions.get(receiver) or receiver
        method = "append" if callee is list.append else "pop"
        through = f" (through `{name}`)" if name != param else ""
        raise self.normalizer.error(
            f"`{name}.{method}(...)` changes the list `{param}` passed as an argument"
            f"{through}: the caller's list would change at each call of the derivative",
            getattr(stmt, "origin", None) or stmt,
            hint=f"work on a copy: `{name} = list({param})` first (arguments are never "
            "changed)")

    def refuse(self, name, change, by, read):
        versions = self.normalizer.versions
        second = versions.get(name)
        first = versions.get(by) if by is not None else None
        line = _line_of(read)
        at = f" (read at line {line})" if line is not None else ""
        if second is None:
            # a value the normalizer made, such as the iterator of a `for` loop
            changed = f"`{first}`" if first is not None else "its argument"
            reason = (f"this statement changes {changed} in place, but the same array or "
                      f"list is read afterwards{at} through a value made from it (a `for` "
                      "loop iterating over it, for example): the derivative cannot follow "
                      "a change seen through a second name")
            hint = ("iterate over (or keep) a copy: `.copy()`" if first is None else
                    f"iterate over (or keep) a copy: `{first}.copy()`")
            if first is not None and getattr(change, "inplace", None) is not None:
                hint += f"; or write `{first} = {first} + ...` instead of `+=`"
        elif first is None:
            reason = (f"this call changes `{second}` in place, and it is read afterwards"
                      f"{at}: the derivative cannot follow a change made inside another "
                      "function")
            hint = "make the function return the new value (`a = a + b` there, not `a += b`)"
        else:
            reason = (f"this statement changes `{first}` in place, but `{second}` names the "
                      f"same array or list and is read afterwards{at}: the derivative "
                      "cannot follow a change seen through a second name")
            hint = f"use one name, or give `{second}` its own copy (`{second} = {first}.copy()`)"
            if getattr(change, "inplace", None) is not None:
                hint += f"; for numbers write `{first} = {first} + ...` instead of `+=`"
        return self.normalizer.error(reason, getattr(change, "origin", None) or change,
                                     hint=hint)


# Methods of lists, dicts, sets and arrays that change the object itself.
_CHANGING_METHODS = {"append", "extend", "insert", "pop", "remove", "clear", "sort",
                     "reverse", "update", "setdefault", "popitem", "add", "discard",
                     "fill", "resize", "put", "itemset", "partition", "setfield",
                     "byteswap", "__setitem__", "__delitem__", "__iadd__", "__imul__"}


def _change_as_statement(owner: str, method: str) -> str:
    """How to write the change ``owner.method`` makes as a statement (the hint of
    refuse_changing_methods_as_values)."""
    if method == "__setitem__":
        return f"`{owner}[i] = v`"
    if method in ("__iadd__", "__imul__"):
        return f"`{owner} = {owner} {'+' if method == '__iadd__' else '*'} v`"
    if method == "fill":
        return f"`{owner} = np.full_like({owner}, v)`"
    return f"`{owner}.{method}(v)`"


def _out_position_of(callee):
    try:
        return _out_position(callee)   # (cached: inspect.signature is slow)
    except TypeError:   # unhashable
        return _out_position.__wrapped__(callee)


@functools.lru_cache(maxsize=None)
def _out_position(callee):
    """The position of the `out` parameter of a NumPy function that takes it by position
    (`np.sin(x, z)`, `np.cumsum(x, 0, None, z)`, `np.dot(a, b, z)`), or None."""
    try:
        params = list(inspect.signature(callee).parameters.values())
    except (TypeError, ValueError):
        return callee.nin if isinstance(callee, np.ufunc) else None
    for i, param in enumerate(params):
        if param.name == "out":
            return i if param.kind in (param.POSITIONAL_ONLY,
                                       param.POSITIONAL_OR_KEYWORD) else None
        if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            return None
    return None


# reductions whose initial= and where= normalize writes out (reduction_keywords)
_REDUCTION_IDENTITY = ((np.sum, 0.0), (np.nansum, 0.0), (np.prod, 1.0), (np.nanprod, 1.0))
_EXTREMES = (np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin)
# np.trapezoid (NumPy 2) and np.trapz (before 2.4): given sample points, sampled_trapezoid
_TRAPEZOIDS = tuple(optional(np, "trapezoid", "trapz"))


def _normalized(node):
    """Mark an atom made by normalize itself (a temporary's name): expr_Name keeps it."""
    if isinstance(node, gast.Name):
        node.normalized = True
    return node


def _without_effect(callee, keyword) -> bool:
    """A keyword left out: ``out=None`` given to a NumPy function (the default), and the
    algorithm of ``np.sort`` (``kind=``: the sorted values are the same)."""
    if keyword.arg == "kind" and callee is np.sort:
        return True
    return keyword.arg == "out" and isinstance(keyword.value, gast.Constant) \
        and keyword.value.value is None and (isinstance(callee, np.ufunc) or str(
            getattr(callee, "__module__", "") or "").startswith("numpy"))


# NumPy functions whose argument is a sequence of arrays (or that make the array
# themselves): a list given to them stays a list (normalize.as_array_argument).
_TAKES_SEQUENCES = {np.concatenate, np.stack, np.hstack, np.vstack, np.dstack,
                    np.column_stack, np.block, np.array, np.asarray, np.asanyarray,
                    np.ascontiguousarray, np.copy}


def _line_of(stmt):
    origin = getattr(stmt, "origin", None)
    return origin.lineno if origin is not None else getattr(stmt, "lineno", None)


def _refuse_callable_object(pass_, callee, node) -> None:
    """A bound method, a callable instance or a ``functools.partial`` of user code has
    no rule and is not a function tangentlike can read: say what it is and what to
    call instead (rather than "no derivative rule for `<object at 0x...>`")."""
    if is_user_function(callee) or rules.lookup(callee) is not None \
            or rules.is_nondifferentiable(callee):
        return
    name = _dotted(node.func)
    if isinstance(callee, types.MethodType) and is_random_source(callee.__self__):
        return   # Python's random.gauss, random.seed: draws (rules.registry.draw_error where varied)
    if isinstance(callee, types.MethodType) and is_user_function(callee.__func__):
        owner = callee.__self__
        owner = owner.__name__ if isinstance(owner, type) else type(owner).__name__
        raise pass_.error(
            f"`{name}` is a method bound to {'the class' if isinstance(callee.__self__, type) else 'an object of'} "
            f"`{owner}`; tangentlike differentiates calls of plain functions", node,
            hint=f"call a function that takes the values it needs as arguments (a "
            f"`@staticmethod` such as `{owner}.{callee.__func__.__name__}(...)` works, "
            "or a module-level `def`)")
    if isinstance(callee, functools.partial):
        raise pass_.error(
            f"`{name}` is a functools.partial; tangentlike differentiates calls of plain "
            "functions", node, hint=f"call `{getattr(callee.func, '__name__', 'the function')}`"
            " itself with all its arguments")
    wrapped = getattr(callee, "__wrapped__", None)
    if is_user_function(wrapped) and not isinstance(callee, types.FunctionType) \
            and not _numpy_function(wrapped):
        # functools.lru_cache / cache: a C object around the user's function (NumPy's
        # own functions without a rule, `np.fft.rfft`, are C dispatchers around Python
        # functions too: they are calls without a rule, refused where they are active)
        raise pass_.error(
            f"`{name}` is a {type(callee).__name__} around the function "
            f"`{wrapped.__name__}`, not a function tangentlike can read", node,
            hint=f"call the function itself, `{name}.__wrapped__(...)` (its cache does not "
            "change its values), or define it without the decorator")
    call = next((vars(k)["__call__"] for k in type(callee).__mro__ if "__call__" in vars(k)),
                None)
    if is_user_function(call) and not isinstance(callee, type):
        raise pass_.error(
            f"`{name}` is an object of the class `{type(callee).__name__}`, called through "
            "its `__call__` method; tangentlike differentiates calls of plain functions",
            node, hint="call a function that takes the values it needs as arguments "
            "(a module-level `def` or a `@staticmethod`)")


def _numpy_function(func) -> bool:
    """A function of NumPy's own source (``np.fft.rfft``, ``np.linalg.matrix_rank``)."""
    return (getattr(func, "__module__", None) or "").split(".")[0] == "numpy"


def _derived_callee(callee) -> bool:
    """A user function that a derivative calls by deriving it (not a rule's primitive)."""
    return is_user_function(callee) and rules.lookup(callee) is None \
        and not rules.is_nondifferentiable(callee)


# Keywords NumPy accepts under two names: the name the rule's template uses.
KEYWORD_ALIASES = {np.clip: {"min": "a_min", "max": "a_max"}}


def _is_minus_one(node) -> bool:
    """The index ``-1`` (a constant, or the negation of the constant 1)."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        node, sign = node.operand, -1
    else:
        sign = 1
    return isinstance(node, gast.Constant) and type(node.value) is int \
        and sign * node.value == -1


def _renamed_keywords(callee, keywords):
    """``np.clip(x, min=a)`` -> ``np.clip(x, a_min=a, a_max=None)`` (NumPy wants both
    bounds under the old names)."""
    try:
        aliases = KEYWORD_ALIASES.get(callee)
    except TypeError:   # unhashable
        return keywords
    if not aliases or not any(k.arg in aliases for k in keywords):
        return keywords
    out = [gast.copy_location(gast.keyword(arg=aliases.get(k.arg, k.arg), value=k.value), k)
           for k in keywords]
    given = {k.arg for k in out}
    out += [gast.keyword(arg=name, value=gast.Constant(value=None, kind=None))
            for name in aliases.values() if name not in given]
    return out


# NumPy reductions whose `dtype=` is the dtype their input is reduced in.
REDUCTIONS_WITH_DTYPE = (np.sum, np.mean, np.prod, np.cumsum, np.cumprod, np.nansum,
                         np.nanmean, np.nanprod, np.nancumsum, np.nancumprod, np.std,
                         np.var, np.nanstd, np.nanvar, np.trace)

# Functions whose result is always an array (never a number).
ARRAYS = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like,
          np.full_like, np.copy, np.array, np.eye, np.identity, np.arange, np.linspace,
          np.stack, np.concatenate, np.vstack, np.hstack, np.tile, np.kron}

# Functions whose result is always a new array (never a view of an argument), so that
# the function may write into it.
CONSTRUCTORS = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like,
                np.empty_like, np.full_like, np.copy, np.array, np.eye, np.identity,
                np.arange, np.linspace, np.stack, np.concatenate, np.vstack, np.hstack,
                np.cumsum, np.cumprod, np.dot, np.matmul, np.outer, np.roll, np.where,
                np.clip, np.sort, np.tile, np.repeat, np.kron, np.diff, np.sum, np.mean,
                np.prod, np.linalg.solve, np.linalg.inv, np.linalg.pinv, zeros_like}


def _is_copy(value) -> bool:
    """Whether ``value`` is ``name.copy()``."""
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr == "copy" and isinstance(value.func.value, gast.Name) \
        and not value.args and not value.keywords


def _fresh_array(value) -> bool:
    """Whether a value of the core language is a new array (safe to write into); an
    array popped from a list comes back to the variable that pushed it (generated code
    restores its arrays this way)."""
    if isinstance(value, (gast.BinOp, gast.UnaryOp)):
        return True
    if isinstance(value, gast.Call):
        callee = getattr(value, "callee", None)
        return callee in CONSTRUCTORS and not _may_share(value) or \
            isinstance(callee, np.ufunc) or callee in (list.pop, in_place)
    return False


def _may_share(call) -> bool:
    """``np.array(z, copy=False)`` (or ``copy=None``), ``np.nan_to_num(z, copy=False)``:
    the result may be ``z`` itself, not a new array."""
    return getattr(call, "callee", None) in (np.array, np.nan_to_num) and any(
        k.arg == "copy" and not (isinstance(k.value, gast.Constant) and k.value.value is True)
        for k in call.keywords)


def _constant_atom(node) -> bool:
    """A constant, or the negation of one (``-1``)."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        node = node.operand
    return isinstance(node, gast.Constant)


def _literal_length(value):
    if isinstance(value, (gast.List, gast.Tuple)):
        return len(value.elts)
    if isinstance(value, gast.Constant) and isinstance(value.value, tuple):
        return len(value.value)
    return None


def _display(kind, elts):
    """The list or tuple display of the atoms ``elts``; a tuple of constants is one
    constant, as expr_Tuple makes it."""
    if kind is gast.Tuple and all(isinstance(e, gast.Constant) for e in elts):
        return gast.Constant(value=tuple(e.value for e in elts), kind=None)
    return kind(elts=elts, ctx=gast.Load())


def _evaluated(node):
    """``node``, an atom or a display of atoms, marked as such (normalize.joined_operands)."""
    node.evaluated = True
    return node


def _adds_or_multiplies(node) -> bool:
    return isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Mult))


def _int_constant(node):
    """The value of an integer constant (``3``, ``-1``), else None."""
    sign = 1
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        node, sign = node.operand, -1
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


def _constant_item(node) -> bool:
    """An item of a list display that is a constant: ``2.0``, ``-1.0``, ``None``..."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        node = node.operand
    return isinstance(node, gast.Constant)


def _int_literal(node) -> bool:
    """A list/tuple literal of integers (a shape), also as one constant."""
    if isinstance(node, gast.Constant):
        return isinstance(node.value, tuple) and all(type(v) is int for v in node.value)
    return isinstance(node, (gast.List, gast.Tuple)) and all(
        isinstance(e, gast.Constant) and type(e.value) is int for e in node.elts)


def _is_tuple(node, normalizer) -> bool:
    if isinstance(node, gast.Tuple) or isinstance(node, gast.Constant) and \
            isinstance(node.value, tuple):
        return True
    if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice):
        node = node.value   # (a slice of a tuple is a tuple)
    return isinstance(node, gast.Name) and normalizer.current.get(node.id) in normalizer.tuples


def _load(name: str) -> gast.Name:
    return name_node(name, _LOAD)   # (one context for all: see reverse._load)


_LOAD, _STORE = gast.Load(), gast.Store()


def _is_atom(node) -> bool:
    if isinstance(node, (gast.Name, gast.Constant)):
        return True
    if isinstance(node, gast.Attribute):  # global reference (np.pi)
        return _is_atom(node.value) and not isinstance(node.value, gast.Constant)
    return False


def _method_line(func: gast.Attribute):
    """Where a method's name is: the line of ``.tolist`` in ``(x\n .tolist())``, a
    continuation line of a call whose receiver starts on another."""
    return types.SimpleNamespace(lineno=getattr(func, "end_lineno", None) or func.lineno)


def _dotted(node) -> str:
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return _dotted(node.value) + "." + node.attr
    return type(node).__name__


_CONSTANT_DEFAULTS = (int, float, complex, str, bytes, bool, type(None))


def _shared_list(name, parsed, user_function):
    """What else may hold the list ``name`` (a description), or None: ``name`` is read
    only as ``name[...]``, ``name.method(...)``, ``for v in name`` or an argument of a
    library function (which keeps no reference), nowhere else in the function."""
    allowed = set()
    for node in walk(parsed.node):
        if isinstance(node, (gast.Subscript, gast.Attribute)) and \
                isinstance(node.value, gast.Name):
            allowed.add(id(node.value))
        elif isinstance(node, gast.For) and isinstance(node.iter, gast.Name):
            allowed.add(id(node.iter))
        elif isinstance(node, gast.Call) and not user_function(node.func):
            allowed.update(id(a) for a in node.args)
    for node in walk(parsed.node):
        if isinstance(node, gast.Name) and node.id == name and \
                isinstance(node.ctx, gast.Load) and id(node) not in allowed:
            return f"another name or container (line {getattr(node, 'lineno', '?')})"
    return None

# np.errstate's keywords (but `all`, which sets the four) and their settings
ERRSTATE_CATEGORIES = ("divide", "over", "under", "invalid")
ERRSTATE_SETTINGS = ("ignore", "warn", "raise", "call", "print", "log")


def _is_function(value) -> bool:
    """Whether ``value`` is a function (a ``def``, a NumPy ufunc or function, a builtin
    such as ``math.sin``), not a class or a callable object."""
    return isinstance(value, (types.FunctionType, types.BuiltinFunctionType, np.ufunc)) or \
        callable(value) and not isinstance(value, type) and \
        str(getattr(value, "__module__", None) or "").startswith("numpy") and \
        hasattr(value, "__name__")


def _names_function(normalizer, expr) -> bool:
    """Whether ``expr`` names a function through global names (``np.sin``, ``relu``), or
    is the name of a local def or lambda (inlined where the helper calls it)."""
    if isinstance(expr, gast.Name) and expr.id in normalizer.local_functions:
        return not isinstance(normalizer.local_functions[expr.id], _Conditional)
    if not isinstance(expr, (gast.Name, gast.Attribute)) or normalizer._is_local_ref(expr):
        return False
    return _is_function(resolve_static(normalizer.parsed, expr))


def _assigned_names(body) -> set:
    return read_and_assigned(body)[1]


_STATEMENT_HINTS = {
    "Try": ("try/except cannot be differentiated",
            "move error handling outside the differentiated function"),
    "Global": ("`global` declarations are not supported",
               "pass the value as an argument and return the new value"),
    "Nonlocal": ("`nonlocal` declarations are not supported",
                 "pass the value as an argument and return the new value"),
    "ClassDef": ("classes defined inside a differentiated function are not supported",
                 "define the class at module level"),

    "AsyncFunctionDef": ("async functions are not supported", "use a plain `def`"),
    "Import": ("`import` inside a differentiated function is not supported",
               "import at module level"),
    "ImportFrom": ("`import` inside a differentiated function is not supported",
                   "import at module level"),
    "Delete": ("`del` is not supported", "let the variable go out of scope instead"),
    "AsyncFor": ("async loops are not supported", "use a plain loop"),
    "AsyncWith": ("async with is not supported", "move it outside the function"),
    "Match": ("`match` statements are not supported", "use if/elif"),
    "Assert": ("`assert` is not supported in differentiated code",
               "check inputs before calling the function"),
    "Yield": ("generators (`yield`) cannot be differentiated", "return a value instead"),
    "YieldFrom": ("generators (`yield from`) cannot be differentiated", "return a value instead"),
    "Await": ("`await` cannot be differentiated", "call a plain function"),
    "Break": ("`break` outside a loop", "remove it"),
    "Continue": ("`continue` outside a loop", "remove it"),
    "TryStar": ("try/except* cannot be differentiated", "move error handling outside"),
    "TypeAlias": ("`type` aliases are not supported here", "define them at module level"),
}

_EXPRESSION_HINTS = {
    "Lambda": ("a lambda is supported only when assigned to a name and called",
               "assign each lambda to a name of its own (`f = lambda v: ...`, or "
               "`f, g = lambda v: ..., lambda v: ...`) and call it (`f(...)`), or use `def`"),
    "ListComp": ("a list comprehension in a lambda, a conditional expression, `and`/`or` "
                 "or a `while` condition is not supported (it may not be evaluated there)",
                 "build the list on a line of its own first: `items = [...]`"),
    "SetComp": ("set comprehensions are not supported", "use NumPy operations"),
    "DictComp": ("a dict comprehension is supported only as `d = {k: ... for k in ("
                 "\"a\", \"b\")}` at the function's top level (keys from a display of "
                 "constants, no `if`), not this one",
                 "write the dict as a display, `{\"a\": x, \"b\": y}`, or keep the values "
                 "in separate variables"),
    "GeneratorExp": ("a generator expression is supported only as the argument of a call "
                     "(`sum(v * v for v in xs)`), and not in a lambda, a conditional "
                     "expression, `and`/`or` or a `while` condition (it may not be "
                     "evaluated there)",
                     "compute the call on a line of its own first (`total = sum(v * v for "
                     "v in xs)`), or make it a list (`items = [...]`)"),
    "NamedExpr": ("the walrus operator `:=` is not supported", "assign on its own line"),
    "Yield": ("generators (`yield`) cannot be differentiated", "return a value instead"),
    "YieldFrom": ("generators (`yield from`) cannot be differentiated", "return a value instead"),
    "Await": ("`await` cannot be differentiated", "call a plain function"),
    "Starred": ("starred expressions are not supported", "pass elements explicitly"),
    "Dict": ("a dict display is supported only as `d = {...}` (or `d = dict(...)`) at the "
             "top level of the function, with constant keys, and `d` then used by its keys",
             "assign the dict to a name first (`d = {...}`) and read it by its keys or "
             "pass it on as keywords (`h(**d)`); a dict is not returned or passed whole: "
             "return a tuple (`return m, v`) and unpack it at the call (`m, v = stats(x)`), "
             "or keep the values in separate variables"),
    "Set": ("set literals are not supported", "use a tuple"),
}


def _lambdas_unpacked(stmt) -> list:
    """``[(name, lambda), ...]`` of ``a, b = lambda ..., lambda ...`` (names, all
    different, unpacking a display of as many lambdas), each as if assigned on a line of
    its own; [] for any other assignment."""
    if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], (gast.Tuple, gast.List)) \
            or not isinstance(stmt.value, (gast.Tuple, gast.List)):
        return []
    names, values = stmt.targets[0].elts, stmt.value.elts
    if len(names) != len(values) or not all(isinstance(n, gast.Name) for n in names) \
            or not all(isinstance(v, gast.Lambda) for v in values) \
            or len({n.id for n in names}) != len(names):
        return []
    return [(n.id, v) for n, v in zip(names, values)]


def _unsupported_statement(node):
    kind = type(node).__name__
    message, hint = _STATEMENT_HINTS.get(kind, (f"`{kind}` statements are not supported",
                                                "rewrite the function without it"))
    return message, node, hint


def _unsupported_expression(node):
    kind = type(node).__name__
    message, hint = _EXPRESSION_HINTS.get(kind, (f"`{kind}` expressions are not supported",
                                                 "rewrite the expression"))
    return message, node, hint


def _dict_view(iterator) -> bool:
    """Whether a loop goes over ``d.items()``, ``d.keys()`` or ``d.values()``."""
    return isinstance(iterator, gast.Call) and isinstance(iterator.func, gast.Attribute) \
        and iterator.func.attr in ("items", "keys", "values") \
        and not iterator.args and not iterator.keywords


def _assigns_name(body, name: str) -> bool:
    """Whether a statement of ``body`` (nested blocks included) assigns ``name``."""
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Store)
               for stmt in body for n in walk(stmt))


def _left_early(body) -> bool:
    """Whether ``body`` is a loop's body guarded by its break (or return) flags."""
    return len(body) == 1 and getattr(body[0], "loop_guard", False)
