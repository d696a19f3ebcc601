"""specialize: derivatives specialized to the shapes of the arguments they are called with.

``tl.grad(f)`` derives the *generic* derivative at once (any argument shapes; its
source is ``df.source``) and returns a small entry function with the same signature.
The first call with given kinds of arguments runs the generic derivative; when they
come again the entry derives again (``Dispatcher.first_sight``: as a JIT compiler
tiers, so a one-off call never pays for a version; ``STRICT`` derives at the first
call), this time knowing which arguments are Python numbers and the exact shape of
every array argument. Knowing them, the shape
analysis (``shapeclass.py``) proves far more shapes equal, so the specialized code drops
the ``unbroadcast`` calls, rank tests and scalar checks the generic code needs, and saves
fewer values in loops. Its first line is a guard that sends a call with other argument
kinds or shapes back here, to find (or derive) the version for those; after
``MAX_VERSIONS`` versions, such calls use the generic derivative.

The newest version a derived function gets is taken into its entry
(``inline_version``): a call that fits its guard then runs the version's code without a
second call. Nothing here is on the hot path but the guard's comparisons (about 0.1-0.3
microseconds) and, for arguments of other kinds, one call to their version.
"""
from __future__ import annotations

import os
from typing import Callable

import numpy as np

from .emit import compile_function
from .entry import (NOT_GIVEN, complex_message, complex_part, refuse_masked,
                    refuse_sequence_arithmetic, require_scalar_seed)
from .errors import TransformError, at_user_def, register_generated
from .shapeclass import SCALAR

MAX_VERSIONS = 8
MAX_SEEN = 64   # the most argument kinds a dispatcher remembers having run once
FIRST_SIGHT = object()   # (Dispatcher.__call__: the generic derivative serves this call)
SPARE_CELLS = 12   # an entry's cells for the names of the version it may take in
# The test suite sets this: a failure to derive a version is raised, not hidden by the
# generic derivative (which is always right, but slower).
STRICT = bool(os.environ.get("TANGENTLIKE_STRICT_SPECIALIZE"))

_NUMBERS = (float, int, np.float64, np.float32, np.float16, np.int64, np.int32)
# a number's stand-in: one object of each type, so that versions binding it (`x_like`)
# share it and the entry can take each in turn (inline_version)
_ONES = {kind: kind(1) for kind in _NUMBERS}


MAX_ITEMS = 16   # the most arrays and numbers a list, tuple or dict argument is specialized to


class Items:
    """The guard kind of a list, tuple or dict argument: its class and its items' kinds
    (an array's ``(ndarray, shape, dtype)``, a number's class, or Items again), for a
    dict its keys (str, in order) too."""
    __slots__ = ("cls", "items", "keys", "_hash")

    def __init__(self, cls, items: tuple, keys: tuple = None):
        self.cls, self.items, self.keys = cls, items, keys
        self._hash = hash((cls, items, keys))

    def __eq__(self, other):
        return other.__class__ is Items and self.cls is other.cls \
            and self.items == other.items and self.keys == other.keys

    def __hash__(self):
        return self._hash

    def leaves(self):
        """The kinds of the arrays and numbers in it, depth first."""
        for item in self.items:
            if item.__class__ is Items:
                yield from item.leaves()
            else:
                yield item

    def places(self) -> list:
        """What picks each item: its index, or its key for a dict."""
        return list(self.keys) if self.keys is not None else list(range(len(self.items)))

    def __repr__(self):
        return f"{self.cls.__name__} of {len(self.items)}"


def argument_class(value, _count=None):
    """(guard kind, shape class, stand-in) of one argument, or None when it is not
    specialized. The stand-in has the argument's type, shape and dtype (shapeclass.py).
    A list, tuple or dict (with str keys) of at most MAX_ITEMS arrays and numbers,
    nested too, is specialized to its length, keys and items' kinds."""
    kind = value.__class__
    if kind is np.ndarray:
        shape, dtype = value.shape, value.dtype
        return ((kind, shape, dtype), SCALAR if shape == () else ("shape", shape),
                np.broadcast_to(np.ones((), dtype=dtype), shape))
    if kind in _NUMBERS:
        return kind, SCALAR, _ONES[kind]
    if (kind is tuple or kind is list or kind is dict) and value:
        keys = tuple(value) if kind is dict else None
        if keys is not None and any(k.__class__ is not str for k in keys):
            return None
        count = [0] if _count is None else _count
        found = []
        for item in (value.values() if keys is not None else value):
            count[0] += 1
            if count[0] > MAX_ITEMS:
                return None
            one = argument_class(item, count)
            if one is None or isinstance(one[0], tuple) and one[0][2].kind == "c":
                return None   # (complex items: the dispatcher's key says where)
            found.append(one)
        kinds = tuple(f[0] for f in found)
        if keys is not None:
            return (Items(dict, kinds, keys), ("keyed", tuple(zip(keys, (f[1] for f in found)))),
                    dict(zip(keys, (f[2] for f in found))))
        return (Items(kind, kinds), ("tuple", tuple(f[1] for f in found)),
                kind(f[2] for f in found))
    return None


class Dispatcher:
    """Finds or derives the version of a derivative for the kinds of its arguments."""

    def __init__(self, derive_version: Callable, generic, params: list, constants=True):
        self.derive_version = derive_version   # signature -> function (or None)
        self.generic = generic
        self.params = params
        # whether some parameter is not differentiated: the generic derivative does not
        # check those for complex values (key() does), so calls to it go through here
        self.constants = constants
        code = generic.__code__
        self.seed = code.co_varnames[code.co_argcount - 1]   # the seed comes last
        # vjp/jvp of a function with defaults: the seed defaults to NOT_GIVEN (entry.py)
        self.seed_last = bool(generic.__defaults__) and generic.__defaults__[-1] is NOT_GIVEN
        self.versions = {}
        # the keys called once, for which the generic derivative ran (tiering, below)
        self.seen = set()
        # whether the function's code is no longer the code it was derived from
        # (pipeline.derive sets it: a version is derived from the code of its time)
        self.code_changed = lambda: False
        self.entry = None          # set by make_entry
        self.cell = None           # the entry's cell holding what it calls
        self.inlined = None        # the version the entry runs (inline_version)
        self.live = set()          # the names of the entry's cells its code has read
        # ((parameter, depth), other, file, line) of each `a * b`, `a + b` that repeats
        # or joins a list when a wrt parameter holds one (analyze.sequence_arithmetic)
        self.sequence_ops = ()
        # parameters that may size arrays (np.zeros((n + 1, 2))): an int there is
        # specialized to its value (pipeline.size_params)
        self.sized = frozenset()
        # (name, read) of the closure and global variables the function reads that held
        # arrays when it was derived: a float array there is specialized to its shape
        # too, read when the dispatcher keys a call (pipeline.free_arrays)
        self.free = ()

    def __call__(self, *args, **kwargs):
        key, signature = self.key(args, kwargs)
        version = self.versions.get(key)
        if version is None:
            from .api import _lock   # all derivations, one at a time (see api.py)
            with _lock:
                version = self.versions.get(key)
                if version is None and self.first_sight(key, signature):
                    # the first call of these kinds runs the generic derivative (the
                    # entry keeps calling here, so the next call of them comes back)
                    version = FIRST_SIGHT
                elif version is None:
                    version = self.derive(signature, key)
                    self.seen.discard(key)
                    if version is not self.generic or len(self.versions) < MAX_VERSIONS:
                        self.versions[key] = version   # (not one key per shape ever seen)
                    if version is not self.generic:
                        # the newest version runs in the entry: a new kind of argument
                        # is mostly one the calls that follow will have too
                        inline_version(self, version)
            if version is FIRST_SIGHT:   # (outside the lock: the gradient runs)
                return self.generic(*args, **kwargs)
        if version is not self.inlined:
            # the entry sends what its guard refuses to the version last called here;
            # the generic derivative is called through here when key() has checks it
            # lacks (constants' complex values, arithmetic repeating a list argument)
            self.cell.cell_contents = \
                self if version is self.generic and (self.constants or self.sequence_ops) \
                else version
        return version(*args, **kwargs)

    def key(self, args, kwargs):
        values = dict(zip(self.params + [self.seed], args))
        values.update(kwargs)
        if self.seed_last and values.get(self.seed, NOT_GIVEN) is NOT_GIVEN:
            # vjp/jvp with f's defaults left out: the last argument given is the seed, so
            # positions do not name parameters yet; the generic derivative sorts it out
            return None, {}
        if self.sequence_ops:
            refuse_sequence_arithmetic(self.sequence_ops, values)
        key, signature = [], {}
        for name in self.params:
            found = argument_class(values[name]) if name in values else None
            if found is not None and found[0] is int and name in self.sized:
                value = values[name]   # (the shape analysis knows it: _number)
                found = (int, ("scalar", "value", value), value)
                key.append((int, value))
            else:
                key.append(None if found is None else found[0])
            if found is not None:
                signature[name] = found
            elif name in values:
                # an argument that is not specialized (a complex number, a list): derive()
                # would not see its complex values
                refuse_masked(values[name], name)
                what = complex_part(values[name])
                if what is not None:
                    raise at_user_def(TypeError(complex_message(name, what)))
        for name, read in self.free:   # (after the parameters: keys start with theirs)
            value = read()
            if value.__class__ is np.ndarray and value.dtype.kind == "f":
                found = argument_class(value)
                key.append(found[0])
            elif value.__class__ is int and name in self.sized:   # (a step count)
                found = (int, ("scalar", "value", value), value)
                key.append((int, value))
            else:
                found = None
                key.append(None)
            if found is not None:
                signature[name] = found
        return tuple(key), signature

    def first_sight(self, key, signature) -> bool:
        """Whether this call is the first with these kinds of arguments, which then runs
        the generic derivative: a version is derived when the kinds come again, as a
        JIT compiler tiers, so a one-off call (a script, ``check_grads``) never pays for
        one. (Under STRICT, set by the tests, the first call derives the version.)
        Called under the lock."""
        if STRICT or key in self.seen or len(self.versions) >= MAX_VERSIONS \
                or not signature or self.code_changed():
            return False   # (derive() then serves these at once)
        self.refuse_complex(signature)
        if len(self.seen) >= MAX_SEEN:
            self.seen.clear()   # (not one key per shape ever called once)
        self.seen.add(key)
        return True

    def refuse_complex(self, signature) -> None:
        """The TypeError of a complex argument the generic derivative would not see (it
        checks only the differentiated ones)."""
        for name, (found, _, _) in signature.items():
            for kind in leaf_kinds(found):
                if isinstance(kind, tuple) and kind[2].kind == "c" or not isinstance(
                        kind, tuple) and issubclass(kind, (complex, np.complexfloating)):
                    what = "complex" if not isinstance(kind, tuple) else \
                        f"an array of {kind[2]}"
                    raise at_user_def(TypeError(complex_message(name, what)))

    def derive(self, signature, key=None):
        self.refuse_complex(signature)
        if len(self.versions) >= MAX_VERSIONS or not signature:
            return self.generic
        if key in self.seen and self.code_changed():
            # the generic derivative ran these kinds when the function had its old code:
            # the version would be of the new code, so the same call would give another
            # result (a first call after the change gets the new code's version at once,
            # as before tiering)
            return self.generic
        try:
            version = self.derive_version(signature)
        except TransformError:   # e.g. a global deleted since: fail as the generic does
            return self.generic
        except Exception:   # noqa: BLE001 - a bug here must never cost a right answer
            if STRICT:
                raise
            return self.generic
        return self.generic if version is None else version


def guard_source(signature: dict, names: dict) -> str:
    """The condition under which a version derived for ``signature`` applies; ``names``
    gives the generated code's name of each argument class (and an int that sizes
    arrays is tested for its value)."""
    return " and ".join(_tests(param, kind, names) + (
        f" and {param} == {cls[2]!r}" if cls[:2] == ("scalar", "value") else "")
        for param, (kind, cls, _) in signature.items())


def _tests(value: str, kind, names: dict) -> str:
    if kind.__class__ is Items:
        # (a dict's keys in their order: its gradient is a dict in that order)
        tests = [f"{value}.__class__ is {names[kind.cls]}",
                 f"tuple({value}) == {kind.keys!r}" if kind.keys is not None
                 else f"len({value}) == {len(kind.items)}"]
        tests += [_tests(f"{value}[{place!r}]", item, names)
                  for place, item in zip(kind.places(), kind.items)]
        return " and ".join(tests)
    if isinstance(kind, tuple):
        cls, shape, dtype = kind
        # `is` first: NumPy's dtype of each builtin type is one object, so the usual
        # array passes by identity; `==` then admits exactly what the dispatcher's
        # key admits (a dtype equal to it but another object, e.g. with metadata)
        return (f"{value}.__class__ is {names[cls]} and {value}.shape == {shape!r} "
                f"and ({value}.dtype is {names[dtype]} or {value}.dtype == {names[dtype]})")
    return f"{value}.__class__ is {names[kind]}"


def describe(signature: dict) -> str:
    """``x: ndarray (64,), k: float, n: int 100`` for the guard's comment."""
    return ", ".join(f"{param}: {_described(kind)}" + (
        f" {cls[2]!r}" if cls[:2] == ("scalar", "value") else "")
        for param, (kind, cls, _) in signature.items())


def _described(kind) -> str:
    if kind.__class__ is Items:
        if kind.keys is not None:
            return "dict (" + ", ".join(f"{k!r}: {_described(i)}"
                                        for k, i in zip(kind.keys, kind.items)) + ")"
        return f"{kind.cls.__name__} ({', '.join(map(_described, kind.items))})"
    if isinstance(kind, tuple):
        return f"{kind[2]} {kind[1]!r}"
    return kind.__name__


def leaf_kinds(kind):
    """The kinds of the arrays and numbers an argument's kind stands for."""
    return list(kind.leaves()) if kind.__class__ is Items else [kind]


def make_entry(generic, dispatcher: Dispatcher, label: str, seed_check: bool = False):
    """The function ``tl.grad`` returns: ``generic``'s signature, calling the current
    version (the dispatcher until the first call). With ``seed_check`` (``grad`` and
    ``value_and_grad``, whose seed is optional) a seed that is not a Python float is
    first looked at by ``require_scalar_seed``: an array seed would scale the gradient
    element by element, silently."""
    code = generic.__code__
    positional = list(code.co_varnames[:code.co_argcount])
    kwonly = list(code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount])
    posonly = code.co_posonlyargcount   # (f's positional-only parameters: a "/" after them)
    formal = ", ".join(positional[:posonly] + (["/"] if posonly else []) + positional[posonly:]
                       + (["*"] + kwonly if kwonly else []))
    actual = ", ".join(positional + [f"{k}={k}" for k in kwonly])
    name = generic.__name__
    # the entry's own globals, under names no parameter of the function has (and that
    # come before the names of a version's cells: `A0` sorts before `A_`, `M`, `_a`, `a`,
    # whose `M_when_derived` and `W_like` came first of `_0version`'s, and the version
    # was not taken in; inline_version keeps these two cells where they are)
    version_name, seed_check_name = (_unused(n, positional + kwonly)
                                     for n in ("A0version", "A0require_scalar_seed"))
    check = ""
    if seed_check:
        seed = positional[-1]
        check = (f"    if {seed}.__class__ is not float:\n"
                 f"        {seed_check_name}({seed}, {seed!r})\n")
    # spare cells for inline_version: a name read only after the return is still one
    # (named to come after the two above: cells are in the order of their names)
    spare = [_unused(f"_zspare{i}", positional + kwonly) for i in range(SPARE_CELLS)]
    source = (f"def {name}({formal}):\n{check}    return {version_name}({actual})\n"
              f"    {'; '.join(spare)}   # (spare cells)\n")
    bindings = {version_name: dispatcher, seed_check_name: require_scalar_seed}
    bindings.update(dict.fromkeys(spare))
    entry = compile_function(source, name, bindings, generic.__globals__, label)
    entry.__defaults__ = generic.__defaults__
    entry.__kwdefaults__ = generic.__kwdefaults__
    entry.__doc__ = generic.__doc__
    entry.source = generic.source
    entry.generic = entry.__tangentlike_generic__ = generic
    entry.versions = dispatcher.versions
    for attribute in ("guards", "entry_checks", "user_cells", "rederived"):
        setattr(entry, attribute, getattr(generic, attribute))
    dispatcher.entry = entry
    register_generated(entry.__code__, generic.__code__.co_filename, generic.user_def)
    dispatcher.cell = entry.__closure__[entry.__code__.co_freevars.index(version_name)]
    dispatcher.entry_names = (version_name, seed_check_name if seed_check else None,
                              f"def {name}({formal}):\n{check}")
    return entry


def inline_version(dispatcher: Dispatcher, version) -> None:
    """Take ``version`` into its entry: the entry's code becomes the version's own, after
    the entry's seed check, and its guard sends other arguments to what the entry called
    before (``A0version``: the version it last called, or the dispatcher). Each new
    version is taken in, the newest replacing the one before.

    A function's cells are fixed when it is made, so the entry was made with spare cells
    (make_entry) to hold the version's names. Calls running the entry's previous code
    (another thread, a recursion) read their cells while the code is replaced, so a cell
    that code has read (``dispatcher.live``) keeps its place and its object: the new code
    may read it only under the same name for the same object, and takes the other cells.
    The entry stays as it is when the version reads the user's closure (its cells are the
    user's), needs more cells than are free, or its names would clash."""
    entry = dispatcher.entry
    if entry is None or version.user_cells or getattr(version, "source", None) is None:
        return
    code, own = entry.__code__, version.__code__
    count = code.co_argcount + code.co_kwonlyargcount
    if (own.co_argcount, own.co_kwonlyargcount, own.co_posonlyargcount, own.co_flags & 12) \
            != (code.co_argcount, code.co_kwonlyargcount, code.co_posonlyargcount,
                code.co_flags & 12) or own.co_varnames[:count] != code.co_varnames[:count]:
        return   # (12: *args, **kwargs)
    try:
        bindings = dict(zip(own.co_freevars,
                            (cell.cell_contents for cell in version.__closure__ or ())))
    except ValueError:   # (an empty cell)
        return
    again = [name for name, value in bindings.items() if value is dispatcher]
    version_name, seed_check_name, head = dispatcher.entry_names
    fixed = [version_name] + ([seed_check_name] if seed_check_name else [])
    # the version's own names may not be the entry's: its locals and globals would read
    # the entry's cells (its free names may, for the same objects: below)
    own_names = set(own.co_varnames) | set(own.co_names) | set(own.co_cellvars)
    body = version.source.partition("\n")[2]   # (after its def line: its defaults' names
    # are the version's own, the entry has its values)
    if len(again) != 1 or own_names & set(code.co_freevars + tuple(fixed)) or \
            set(own.co_freevars) & set(fixed) or f"return {again[0]}(" not in body:
        return
    del bindings[again[0]]
    cells = dict(zip(code.co_freevars, entry.__closure__))
    live = dispatcher.live | set(fixed)
    if any(name in live and cells[name].cell_contents is not value
           for name, value in bindings.items()):
        return
    names = _cell_names(code.co_freevars, live, set(bindings) - live)
    if names is None or own_names & set(names):
        return
    spare = [name for name in names if name not in bindings and name not in fixed]
    body = body.replace(f"return {again[0]}(", f"return {version_name}(", 1).rstrip("\n")
    source = f"{head}{body}\n" + (f"    {'; '.join(spare)}   # (spare cells)\n"
                                 if spare else "")
    made = compile_function(source, entry.__name__,
                            dict(bindings, **dict.fromkeys(fixed + spare)),
                            entry.__globals__, version.label).__code__
    if made.co_freevars != tuple(names):
        return   # (calls running the entry's code read its cells where they were)
    for name, cell in zip(names, entry.__closure__):
        if name not in live:
            cell.cell_contents = bindings.get(name)
    register_generated(made, *version.generated_at)
    entry.__code__ = made
    dispatcher.inlined = version
    dispatcher.live = live | set(bindings)


def _cell_names(current: tuple, live: set, new: set):
    """The names of the entry's cells (``current`` now) for code that reads the ``new``
    names beside the ``live`` ones, or None if they do not fit. Python orders a
    function's cells by their names: each live name keeps its cell, each new one takes a
    free cell where its name sorts among them, and a cell is left free before it where
    there are enough (for the next version's names that sort beside it). The other cells
    are spare, named after the name before them (``float0`` after ``float``)."""
    names = [name if name in live else None for name in current]
    room = names.count(None) - len(new)
    start = 0
    for name in sorted(new):
        before = [i for i, n in enumerate(names) if n is not None and n < name]
        after = [i for i, n in enumerate(names) if n is not None and n > name]
        low, high = max(before, default=-1) + 1, min(after, default=len(names))
        free = [i for i in range(max(low, start), high) if names[i] is None]
        if not free:
            return None
        # (a free cell before each new name where there is room)
        place = free[1] if len(free) > 1 and room >= len(new) else free[0]
        names[place] = name
        start = place + 1
    for i, name in enumerate(names):
        if name is None:
            if i == 0:
                return None
            names[i] = names[i - 1] + "0"
    if names != sorted(set(names)):
        return None
    return names


def _unused(name: str, taken: list) -> str:
    """``name``, or ``name_1``, ``name_2``... if a parameter already has it."""
    found, n = name, 0
    while found in taken:
        n += 1
        found = f"{name}_{n}"
    return found
