"""Readable, collision-free names for generated code.

``bx`` is the adjoint of ``x``, ``x_1`` the second version of a reassigned ``x``,
``t1, t2, ...`` are temporaries of nested expressions. Every name is checked against
all names the user's function mentions, so nothing generated shadows user code.
"""
from __future__ import annotations

import ast
import re
from typing import Any, ClassVar, Iterable

import gast


def statements(body: list):
    """Every statement of ``body``, nested ones included (no expressions are visited)."""
    for stmt in body:
        yield stmt
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if inner and isinstance(inner, list):   # (no generator for an empty one)
                yield from statements(inner)


class _ChildFields(dict):
    """node class -> its fields that may hold nodes or lists of nodes, in order: the
    walks skip the others (a name's id, an attribute's name, a constant's value, ...),
    which never do. Found on first use."""

    LEAVES = frozenset(("id", "attr", "arg", "type_comment", "kind", "is_async", "level",
                        "module", "conversion", "simple", "asname"))
    OF_CLASS: ClassVar[dict] = {
        "Constant": {"value"}, "FunctionDef": {"name"}, "AsyncFunctionDef": {"name"},
        "ClassDef": {"name"}, "alias": {"name"}, "Global": {"names"}, "Nonlocal": {"names"}}

    def __missing__(self, kind):
        leaves = self.LEAVES | self.OF_CLASS.get(kind.__name__, set())
        fields = self[kind] = tuple(f for f in kind._fields if f not in leaves)
        return fields


CHILD_FIELDS = _ChildFields()


class _InnerFields(dict):
    """node class -> its ``CHILD_FIELDS`` but for those that only ever hold a context or
    an operator (``ctx``, ``op``, ``ops``: nodes with nothing below them). The searches
    for names and for nodes of given classes, which never look for those, skip them:
    a walk of a derivative meets about as many of them as of all other nodes."""

    SKIPPED = frozenset(("ctx", "op", "ops"))

    def __missing__(self, kind):
        fields = self[kind] = tuple(f for f in CHILD_FIELDS[kind] if f not in self.SKIPPED)
        return fields


INNER_FIELDS = _InnerFields()


def walk(tree):
    """Every node of ``tree`` (a node or a list of nodes), in no particular order: what
    ``gast.walk`` gives but for contexts and operators below the root (nodes with nothing
    below them that no pass looks for: a name's context is read from the name, an
    operation's operator from the operation), twice as fast (the passes walk trees a
    great deal). Fields are read from the node's ``__dict__``: gast classes have no
    defaults for them."""
    stack = list(tree) if isinstance(tree, list) else [tree]
    AST, children = gast.AST, INNER_FIELDS
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        yield node
        attributes = node.__dict__
        for field in children[node.__class__]:
            value = attributes.get(field)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)


def _name_nodes(tree, also=()) -> list:
    """The ``Name`` nodes ``walk`` would visit (and those of the classes in ``also``), in
    a list (one walk, no generator: the passes ask for names a great deal). Contexts and
    operators are not visited: they have nothing to find (``also`` holds no such class)."""
    found_nodes = []
    AST, Name, children = gast.AST, gast.Name, INNER_FIELDS
    stack = list(tree) if isinstance(tree, list) else [tree]
    pop, push, found = stack.pop, stack.append, found_nodes.append
    while stack:
        node = pop()
        attributes = node.__dict__
        if node.__class__ is Name:
            found(node)
            if attributes.get("annotation") is None:
                continue
        elif also and node.__class__ in also:
            found(node)
        for field in children[node.__class__]:
            value = attributes.get(field)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
    return found_nodes


def instances(tree, kind) -> list:
    """The nodes of class ``kind`` (exactly) in ``tree`` (a node or a list of nodes), in
    ``walk``'s order; not a context or an operator class (see INNER_FIELDS)."""
    found_nodes = []
    AST, children = gast.AST, INNER_FIELDS
    stack = list(tree) if isinstance(tree, list) else [tree]
    pop, push, found = stack.pop, stack.append, found_nodes.append
    while stack:
        node = pop()
        if node.__class__ is kind:
            found(node)
        attributes = node.__dict__
        for field in children[node.__class__]:
            value = attributes.get(field)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
    return found_nodes


_NEW_NAME = gast.Name.__new__
_LOAD = gast.Load()


def name_node(name: str, ctx=_LOAD) -> gast.Name:
    """``gast.Name(name, ctx, None, None)`` (to read, by default), made without gast's
    constructor, which sets the fields one by one with setattr: names are two in five
    of the nodes a derivation makes, and this makes them two and a half times as fast.
    The node is the same (its fields in their order). Contexts hold nothing and no pass
    changes one: names share them."""
    node = _NEW_NAME(gast.Name)
    fields = node.__dict__
    fields["id"] = name
    fields["ctx"] = ctx
    fields["annotation"] = None
    fields["type_comment"] = None
    return node


def locate(node, where, shallow: bool = False) -> None:
    """Give ``node`` (and, unless ``shallow``, what it holds) the place of ``where`` in
    the user's source: a statement made from others (an inlined helper's, a loop's
    unrolled copy) names that line in comments and errors."""
    for sub in ([node] if shallow else walk(node)):
        for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            if attr in getattr(sub, "_attributes", ()):
                setattr(sub, attr, getattr(where, attr, None))

def name_nodes(tree, also: tuple = ()) -> list:
    """Every ``Name`` node in ``tree`` (a node or a list of nodes), and every node of the
    classes in ``also`` (not a context or an operator class), in ``walk``'s order."""
    return _name_nodes(tree, also)


def name_ids(tree) -> list:
    """The id of every ``Name`` in ``tree`` (a node or a list of nodes), in ``walk``'s
    order."""
    return [node.id for node in _name_nodes(tree)]


def read_and_assigned(tree) -> tuple:
    """(names read, names assigned) in ``tree`` (a node or a list of nodes)."""
    loads, stores = set(), set()
    Load, Store = gast.Load, gast.Store
    for node in _name_nodes(tree):
        ctx = node.ctx.__class__
        if ctx is Load:
            loads.add(node.id)
        elif ctx is Store:
            stores.add(node.id)
    return loads, stores


def name_counts(tree) -> dict:
    """How often each name occurs in ``tree`` (a node or a list of nodes), reads and
    writes."""
    counts = {}
    get = counts.get
    for node in _name_nodes(tree):
        counts[node.id] = get(node.id, 0) + 1
    return counts


def load_store_counts(tree) -> tuple:
    """(reads, writes) of ``tree`` (a node or a list of nodes): how often each name is
    read, and how often it is bound (assigned, deleted, a parameter)."""
    loads, stores = {}, {}
    for node in _name_nodes(tree):
        counts = loads if node.ctx.__class__ is gast.Load else stores
        counts[node.id] = counts.get(node.id, 0) + 1
    return loads, stores


def same_tree(a, b) -> bool:
    """Whether two trees are alike: ``gast.dump(a) == gast.dump(b)`` (same classes, same
    fields, leaves of the same type and repr; attributes such as line numbers are not
    compared), without printing them."""
    if a.__class__ is not b.__class__:
        return False
    if isinstance(a, gast.AST):
        return all(same_tree(getattr(a, field, None), getattr(b, field, None))
                   for field in a._fields)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b))
    return a is b or repr(a) == repr(b)


def contains(tree, classes, test=None) -> bool:
    """Whether some node of ``tree`` is an instance of ``classes`` for which ``test``
    (if given) is true: ``any(...)`` over ``walk(tree)``, without a generator, stopping
    at the first one found. Contexts and operators are not looked at (``classes`` is
    never one of theirs)."""
    stack = list(tree) if isinstance(tree, list) else [tree]
    AST, children = gast.AST, INNER_FIELDS
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if isinstance(node, classes) and (test is None or test(node)):
            return True
        attributes = node.__dict__
        for field in children[node.__class__]:
            value = attributes.get(field)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
    return False


_NAME = "name"   # (Transformer._leaf)
_CONTEXTS_AND_OPERATORS = tuple(
    kind for kind in vars(gast).values() if isinstance(kind, type) and issubclass(
        kind, (gast.expr_context, gast.operator, gast.unaryop, gast.boolop, gast.cmpop)))
# ast.NodeVisitor's visit_Constant only calls the visit_Num, visit_Str, ... methods of
# Python 3.7, if a class has them, and otherwise visits nothing below the constant
_CONSTANT_SHIM = getattr(ast.NodeVisitor, "visit_Constant", None)
_OLD_CONSTANTS = ("Num", "Str", "Bytes", "NameConstant", "Ellipsis")


class Transformer(gast.NodeTransformer):
    """``gast.NodeTransformer`` with the same behaviour (a ``visit_X`` method's result
    replaces the node; None removes it from a list, a list is spliced in), about twice as
    fast: each subclass finds the method for a node class once, fields are read from the
    node's ``__dict__``, a list is rebuilt only from the first item whose visit
    changed it, and leaves the subclass has no method for (contexts, operators,
    constants, names without an annotation) are not visited: their visit would only
    give them back."""

    _methods: ClassVar[dict] = {}
    _leaves: ClassVar[dict] = {}
    _visited_fields: ClassVar[dict] = CHILD_FIELDS

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._methods = {}   # node class -> the method that visits it
        cls._leaves = {}    # node class -> whether its visit gives it back (see _leaf)
        # the fields generic_visit looks at: not those of contexts and operators, unless
        # the class has a method for one of them
        cls._visited_fields = CHILD_FIELDS if any(
            hasattr(cls, "visit_" + kind.__name__) for kind in _CONTEXTS_AND_OPERATORS) \
            else INNER_FIELDS

    def visit(self, node):
        method = self._methods.get(node.__class__)
        if method is None:
            method = getattr(self.__class__, "visit_" + node.__class__.__name__, None)
            if method is None or self._leaf(node.__class__) is True:
                method = self.__class__.generic_visit   # (what the shim would call)
            self._methods[node.__class__] = method
        return method(self, node)

    @classmethod
    def _leaf(cls, kind) -> object:
        """True when visiting a node of class ``kind`` gives it back and does nothing (no
        method of this class visits it, and it has no nodes below it: a context, an
        operator, a constant); NAME for a ``Name``, which has none when it has no
        annotation; False otherwise."""
        method = getattr(cls, "visit_" + kind.__name__, None)
        if method is not None and not (method is _CONSTANT_SHIM and not any(
                hasattr(cls, "visit_" + old) for old in _OLD_CONSTANTS)):
            found = False
        elif kind is gast.Name:
            found = _NAME
        else:
            found = not kind._fields or kind is gast.Constant
        cls._leaves[kind] = found
        return found

    def generic_visit(self, node):
        AST = gast.AST
        leaves = self._leaves
        attributes = node.__dict__
        for field in self._visited_fields[node.__class__]:
            value = attributes.get(field)
            if isinstance(value, AST):
                leaf = leaves.get(value.__class__)
                if leaf is None:
                    leaf = self._leaf(value.__class__)
                if leaf is True or leaf is _NAME and value.annotation is None:
                    continue
                new = self.visit(value)
                if new is None:
                    delattr(node, field)
                elif new is not value:
                    setattr(node, field, new)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, AST):
                        leaf = leaves.get(item.__class__)
                        if leaf is None:
                            leaf = self._leaf(item.__class__)
                        if leaf is True or leaf is _NAME and item.annotation is None:
                            continue
                        new = self.visit(item)
                        if new is not item:
                            value[:] = self._spliced(value, i, new)
                            break
        return node

    def _spliced(self, items: list, i: int, new) -> list:
        """``items`` with the visit of item ``i`` (which gave ``new``) and of the rest."""
        out = items[:i]
        for k in range(i, len(items)):
            item = items[k]
            if k > i:
                if not isinstance(item, gast.AST):
                    out.append(item)
                    continue
                new = self.visit(item)
            if new is None:
                continue
            if isinstance(new, gast.AST):
                out.append(new)
            else:
                out.extend(new)
        return out


def names_in(tree) -> set:
    """Every identifier a tree mentions (variables, parameters, attributes' roots, the
    names of functions and classes it defines)."""
    return {node.id if node.__class__ is gast.Name else node.name
            for node in _name_nodes(tree, also=(gast.FunctionDef, gast.ClassDef))}


_NOT_WORD = re.compile(r"\W")
_NUMBERED = re.compile(r"_\d+$")


class Namer:
    def __init__(self, taken: Iterable[str] = ()):
        self.taken = set(taken)
        self._temps = 0

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def fresh(self, hint: str) -> str:
        # (an ASCII identifier, as nearly every hint is, has no character to replace)
        base = hint if hint.isascii() and hint.isidentifier() else _NOT_WORD.sub("_", hint)
        base = base or "t"
        if base[0].isdigit():
            base = "_" + base
        if base not in self.taken:
            self.taken.add(base)
            return base
        stem = _NUMBERED.sub("", base)
        i = 1
        while f"{stem}_{i}" in self.taken:
            i += 1
        name = f"{stem}_{i}"
        self.taken.add(name)
        return name

    def temp(self) -> str:
        while True:
            self._temps += 1
            name = f"t{self._temps}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def adjoint(self, name: str) -> str:
        return self.fresh("b" + name)


class GlobalBinder:
    """The names under which generated code reaches library objects (``np``, helpers).

    A library object is bound under its usual name unless the user's function uses that
    name for something else; then it gets a fresh one.
    """

    def __init__(self, namer: Namer, user_lookup):
        self.namer = namer
        self.user_lookup = user_lookup   # name -> the user's object, or a sentinel
        self.bound = {}                  # generated name -> object
        self._by_id = {}

    def name_for(self, name: str, obj: Any) -> str:
        key = (name, id(obj))
        if key in self._by_id:
            return self._by_id[key]
        if name in self.bound and self.bound[name] is obj:
            return name
        user = self.user_lookup(name)
        if name not in self.bound and (user is obj or name not in self.namer.taken):
            chosen = name
            self.namer.reserve(name)
        else:
            chosen = self.namer.fresh(name)
        self.bound[chosen] = obj
        self._by_id[key] = chosen
        return chosen
