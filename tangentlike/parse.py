"""parse: a function object -> its syntax tree, located in the user's file.

Consumes a Python function (a ``def`` or an isolatable ``lambda``). Produces a
:class:`Parsed`: the ``gast.FunctionDef`` whose nodes carry the line numbers of the
user's real file, without its decorators, plus the namespaces the body
reads (closure cells, globals, builtins) so that later passes resolve every free name
to one Python object at transform time.

A function without retrievable source (a builtin, a C function, code made by
``exec`` or typed at a REPL) is a :class:`TransformError` that says so.
"""
from __future__ import annotations
import __future__

import ast
import builtins
import dis
import functools
import inspect
import linecache
import os
import re
import sys
import textwrap
import types
import weakref
from typing import Any

import gast

from .aliases import split_function_variables
from .dicts import split_dicts
from .errors import GENERATED, TransformError, short_filename
from .naming import walk

_MISSING = object()
_REQUIRED = object()
_NOT_COMPILED = object()   # (_check_unchanged: the def is compiled when checked)


class Parsed:
    """A parsed function and where its free names point. (Plain classes, not dataclasses,
    here and in the other modules: each dataclass compiles its methods at import.)"""

    def __init__(self, func: types.FunctionType, node: gast.FunctionDef, filename: str,
                 closure: dict = None):
        self.func, self.node, self.filename = func, node, filename
        self.closure = {} if closure is None else closure
        # (chain, helper, defaults used) of the helpers a version inlined (inline.py)
        self.inlined = ()
        # whether a top-level loop goes over a tuple or list display (unroll.py)
        self.loops_over_displays = False
        # whether a matrix product has a negated operand (algebra.py)
        self.negated_products = False

    @property
    def globals(self) -> dict:
        return self.func.__globals__

    def lookup(self, name: str, default: Any = _REQUIRED) -> Any:
        """The object a free name of the body refers to, the way Python would find it."""
        if name in self.closure:
            return self.closure[name]
        if name in self.globals:
            return self.globals[name]
        b = self.globals.get("__builtins__", builtins)
        b = b if isinstance(b, dict) else vars(b)
        if name in b:
            return b[name]
        if default is _REQUIRED:
            raise KeyError(name)
        return default

    def error(self, message: str, node: Any = None, hint: str = None) -> TransformError:
        lineno = getattr(node, "lineno", None) if node is not None else None
        if lineno is None:
            lineno = self.node.lineno
        filename = self.filename
        if filename in GENERATED:   # differentiating a derivative again
            filename, lineno = user_line(filename, lineno)
            message += f" (while differentiating `{self.node.name}`, a derivative, again)"
        return TransformError(message, filename, lineno, hint)

    @property
    def where(self) -> str:
        return f"{short_filename(self.filename)}:{self.node.lineno}"


_ORIGIN = re.compile(r"^\s*# (?:adjoint of )?(.+?):(\d+): ")


def user_line(filename: str, lineno: int) -> tuple:
    """(file, line) of the user's statement that line ``lineno`` of the derivative
    compiled as ``filename`` was made from: the nearest comment above it names the line
    of the function derived, itself perhaps a derivative (higher orders). Where no
    comment names one (the checks at the top), the derivative's own line."""
    while filename in GENERATED:   # (errors.Generated: whose lines its comments name)
        parent = GENERATED[filename].parent
        lines = linecache.getlines(filename)
        for text in reversed(lines[:lineno]):
            found = _ORIGIN.match(text)
            if found and found.group(1) == short_filename(parent):
                filename, lineno = parent, int(found.group(2))
                break
        else:
            return filename, lineno
    return filename, lineno


def _not_a_function_hint(obj) -> str:
    """What to differentiate instead of ``obj``, which is not a plain function."""
    inner = getattr(obj, "__func__", None)
    if isinstance(obj, types.MethodType) and isinstance(inner, types.FunctionType):
        owner = obj.__self__
        if isinstance(owner, type):   # a classmethod
            return (f"differentiate the function itself, with the class as its first "
                    f"argument: `tl.grad({owner.__name__}.{inner.__name__}.__func__, "
                    f"wrt=1)({owner.__name__}, x)`")
        return (f"differentiate the function itself, with the object as its first argument: "
                f"`tl.grad({type(owner).__name__}.{inner.__name__}, wrt=1)(obj, x)`")
    if isinstance(obj, functools.partial) and isinstance(obj.func, types.FunctionType):
        return (f"differentiate `{obj.func.__name__}` itself and pass the fixed arguments "
                f"when calling the derivative: `tl.grad({obj.func.__name__}, wrt=...)(...)`")
    if isinstance(getattr(obj, "__wrapped__", None), types.FunctionType):
        return (f"differentiate the undecorated function: "
                f"`tl.grad({obj.__wrapped__.__name__}.__wrapped__)`")
    call = inspect.getattr_static(type(obj), "__call__", None)
    held = [name for name, value in getattr(obj, "__dict__", {}).items()
            if isinstance(value, types.FunctionType)]
    if isinstance(call, types.FunctionType) and len(held) == 1:
        # a decorator made as a class, which keeps the function it decorates
        return (f"differentiate the function the object holds, `tl.grad(obj.{held[0]})`, or "
                f"its class's `__call__`, with the object as its first argument: "
                f"`tl.grad({type(obj).__name__}.__call__, wrt=1)(obj, x)`")
    if isinstance(call, types.FunctionType):
        return (f"differentiate its class's `__call__`, with the object as its first "
                f"argument: `tl.grad({type(obj).__name__}.__call__, wrt=1)(obj, x)`")
    return ("pass a function defined with `def` in a file; builtins and C functions need a "
            "rule (see tangentlike.rules)")


def parse(func: Any) -> Parsed:
    """Parse ``func`` into a :class:`Parsed` (see the module docstring); one nested too
    deeply for the recursion of ``ast``/``gast`` is a TransformError at its ``def``."""
    try:
        return _parse(func)
    except RecursionError:
        pass   # (raised outside the handler: no RecursionError as its context)
    raise too_deep(func)


def too_deep(func) -> TransformError:
    """The error of a function whose transformation exceeds Python's recursion limit
    (parse, pipeline.derive), at its `def` line."""
    func = getattr(func, "__tangentlike_generic__", func)
    user_def = getattr(func, "user_def", None)   # a derived function: the user's def
    code = getattr(func, "__code__", None)
    filename, lineno = user_def or ((code.co_filename, code.co_firstlineno) if code else
                                    (None, None))
    if not user_def and filename:
        # the `def` (or lambda) line, after the decorators
        lines = linecache.getlines(filename)
        for number in range(lineno, min(lineno + 50, len(lines) + 1)):
            text = lines[number - 1].lstrip()
            if text.startswith(("def ", "async def ")) or "lambda" in text:
                lineno = number
                break
    return TransformError(
        f"`{getattr(func, '__name__', 'f')}` is nested too deeply to be differentiated: "
        f"transforming it exceeds Python's recursion limit ({sys.getrecursionlimit()}), "
        "as an expression of hundreds of operations (a sum of hundreds of terms written "
        "as one expression) or blocks nested hundreds deep do", filename, lineno,
        hint="split the long expression into several statements (`s = a + b`, then "
        "`s = s + c`, ...), or a loop over the terms")


def _parse(func: Any) -> Parsed:
    """Parse ``func`` into a :class:`Parsed` (see the module docstring)."""
    # a derived function: its entry (specialize.py) stands for the generic derivative
    func = getattr(func, "__tangentlike_generic__", func)
    made_by = getattr(func, "__tangentlike_made_by__", None)
    if made_by is not None:
        what, user = made_by
        code = getattr(user, "__code__", None)
        raise TransformError(
            f"cannot differentiate the function {what} returns: it loops over derived "
            "functions in Python and has no source of its own to transform",
            code.co_filename if code else None, code.co_firstlineno if code else None,
            hint="compose the transformations themselves: tl.grad(tl.grad(f)), "
            "tl.jvp(tl.grad(f)), tl.jacobian(tl.grad(f)), tl.jacobian(tl.jacobian(f))")
    if not isinstance(func, types.FunctionType):
        what = getattr(func, "__name__", type(func).__name__)
        raise TransformError(
            f"cannot differentiate {what!r}: it is a {type(func).__name__}, not a Python "
            "function with source", hint=_not_a_function_hint(func))
    code = func.__code__
    filename = code.co_filename
    module = _quick_parse(func)
    # the def compiled alone to check the text against the code (see _check_unchanged)
    compiled = module.compiled if module is not None else _NOT_COMPILED
    lines_read = module.lines if module is not None else None   # (else linecache's now)
    if module is None:
        try:
            # of the code: inspect would read a wrapper's __wrapped__ function instead
            lines, first = inspect.getsourcelines(code)
        except (OSError, TypeError):
            if os.path.isfile(filename):
                raise TransformError(
                    f"cannot find the source of {func.__qualname__!r} at line "
                    f"{code.co_firstlineno} of {short_filename(filename)}: the file changed "
                    "since it was imported", filename, None, hint=_RELOAD) from None
            raise TransformError(
                f"cannot differentiate {func.__qualname__!r}: its source is not available "
                f"(defined in {filename!r})",
                hint="define the function with `def` in a .py file (not through exec, eval "
                "or an interactive prompt without source)") from None
        # The first line of a module-level block is line 1 (getsourcelines says 0).
        first = max(first, 1)
        module = _parsed(lines, first)
        if module is None and func.__name__ == "<lambda>":
            # A lambda inside a larger expression: its lines are not a whole statement.
            module = _whole_file(func)
            if module is not None:
                return _finish(func, _isolate_lambda(module, func, filename, True), filename)
        if module is None:
            text = textwrap.dedent("".join(lines))
            module = _parse_fragment(text, func, filename, first)
            for node in walk(module):
                if getattr(node, "lineno", None) is not None:
                    node.lineno += first - 1
                    if getattr(node, "end_lineno", None) is not None:
                        node.end_lineno += first - 1
    if func.__name__ == "<lambda>":
        node = _isolate_lambda(module, func, filename)
    else:
        node = _find_def(module, func, filename)
    return _finish(func, node, filename, compiled, lines_read)


def _finish(func, node, filename: str, compiled=_NOT_COMPILED, lines=None) -> Parsed:
    if not filename.startswith("<tangentlike "):   # (generated code does not change)
        _check_unchanged(func, node, filename, compiled, lines)
        if lines is not None and lines is not linecache.getlines(filename, func.__globals__):
            # read from the text it was compiled from, which the file no longer has: the
            # generated code's comments quote that text (source_line), not the file's
            for stmt in walk(node):
                if isinstance(stmt, gast.stmt) and 0 < stmt.lineno <= len(lines):
                    stmt.line_text = lines[stmt.lineno - 1].strip()
    parsed = Parsed(func, node, filename, _closure(func))
    _check_signature(parsed)
    node.decorator_list = [d for d in node.decorator_list if not _strip_decorator(parsed, d)]
    from .inline import inline_aggregate_helpers   # (inline reads helpers with parse)
    inline_aggregate_helpers(parsed)   # (`s = stats(x)` of a helper returning a dict)
    split_dicts(parsed)   # (a dict of the function's own is variables from here on)
    split_function_variables(parsed)   # (and a variable holding a known function, its choice)
    return parsed


def _parsed(lines: list, first: int):
    """The module of ``lines``, whose first one is line ``first`` of its file (blank
    lines first: the nodes get the lines of the user's file as parsed); None when they
    do not parse alone."""
    tree = _source_tree(lines, first)
    return to_gast(tree) if tree is not None else None


def _source_tree(lines: list, first: int):
    """The standard library's tree of ``lines`` (see _parsed), or None."""
    try:
        return ast.parse("\n" * (first - 1) + textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None


def to_gast(tree):
    """The ``gast`` tree of an ``ast`` tree: what ``gast.ast_to_gast`` gives, in one pass,
    about four times as fast (tests/test_parse_source.py compares them on this
    repository's source files and every rule).

    Each node becomes the gast class of the same name with the ast node's fields and
    locations; as in gast's own conversion, a parameter (``ast.arg``) is a ``Name`` in
    the ``Param`` context, a ``Name`` has no annotation, an except clause's name is a
    ``Name``, and a definition has ``type_params`` (empty before Python 3.12). Type
    parameters (3.12) are left to gast itself."""
    try:
        return _to_gast(tree)
    except LeaveToGast:
        return gast.ast_to_gast(tree)


class LeaveToGast(Exception):
    """A tree with nodes that only gast's own conversion handles (type parameters)."""


def _to_gast(node):
    if isinstance(node, list):
        return [_to_gast(n) for n in node]
    if not isinstance(node, ast.AST):
        return node
    kind = node.__class__
    if kind is ast.Name:
        context = _CONTEXTS[node.ctx.__class__]
        new = _NAME.__new__(_NAME)   # (gast's constructor loops over its arguments: slow)
        new.__dict__.update(id=node.id, ctx=context.__new__(context), annotation=None,
                            type_comment=None)
    elif kind is ast.arg:
        new = gast.Name(node.arg, gast.Param(), _to_gast(node.annotation), node.type_comment)
    else:
        cls = _gast_class(kind, node)
        new = cls.__new__(cls)   # (gast's constructor checks its arguments: slow)
        fields, given = new.__dict__, node.__dict__
        for field in node._fields:
            value = given[field] if field in given else getattr(node, field, _NO_FIELD)
            if value.__class__ is list:
                fields[field] = [_to_gast(item) for item in value]
            elif isinstance(value, ast.AST):
                fields[field] = _to_gast(value)
            elif value is not _NO_FIELD:   # (a name, a number, None: as it is)
                fields[field] = value
        if kind is ast.ExceptHandler and node.name:
            new.name = gast.Name(node.name, gast.Store(), None, None)
        elif kind in _DEFINITIONS and "type_params" not in node._fields:
            new.type_params = []
        elif kind is ast.alias and not node._attributes:   # (Python 3.9)
            new.lineno = new.col_offset = new.end_lineno = new.end_col_offset = None
    given, fields = node.__dict__, new.__dict__
    for name in node._attributes:
        if name in given:
            fields[name] = given[name]
    return new


# operators and contexts: the parser shares one instance of each class among all trees
# (ast class -> gast class)
_SHARED = {kind: getattr(gast, kind.__name__)
           for base in (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
           for kind in base.__subclasses__() if kind.__module__ in ("ast", "_ast")}


def to_gast_in_place(tree):
    """``to_gast(tree)`` for a tree that nothing else holds, made by turning its own
    nodes into gast nodes instead of copying them: each node's class becomes the gast
    class of the same name and its fields stay where they are (a ``Name`` gains the
    gast fields, an ``arg`` becomes a ``Name``, shared operators and contexts are
    replaced by new gast ones), twice as fast as ``to_gast`` (rule templates are parsed
    this way; tests/test_parse_source.py compares the two on every rule). The tree must
    not be used as an ``ast`` tree afterwards. Raises ``LeaveToGast`` (the tree then
    half converted) for type parameters."""
    AST, Name, arg, shared_classes, classes = ast.AST, ast.Name, ast.arg, _SHARED, _GAST_CLASSES
    stack = [tree]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        kind = node.__class__
        fields = node.__dict__
        if kind is Name:
            context = _CONTEXTS[fields["ctx"].__class__]
            node.__class__ = _NAME
            fields["ctx"] = context.__new__(context)
            fields["annotation"] = fields["type_comment"] = None
            continue
        if kind is arg:   # (the same fields, in the order to_gast gives them)
            named = {"id": fields.pop("arg"), "ctx": gast.Param(),
                     "annotation": fields.pop("annotation", None),
                     "type_comment": fields.pop("type_comment", None)}
            named.update(fields)
            fields.clear()
            fields.update(named)
            node.__class__ = _NAME
            if named["annotation"] is not None:
                push(named["annotation"])
            continue
        cls = classes.get(kind) or _gast_class(kind, node)
        for name in kind._fields:
            value = fields[name] if name in fields else getattr(node, name, _NO_FIELD)
            if value.__class__ is list:
                for i, item in enumerate(value):
                    shared = shared_classes.get(item.__class__)
                    if shared is not None:
                        value[i] = shared.__new__(shared)
                    elif isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                shared = shared_classes.get(value.__class__)
                if shared is not None:
                    fields[name] = shared.__new__(shared)
                else:
                    push(value)
            elif value is not _NO_FIELD and name not in fields:
                fields[name] = value
        if kind is ast.ExceptHandler and node.name:
            fields["name"] = gast.Name(node.name, gast.Store(), None, None)
        elif kind in _DEFINITIONS and "type_params" not in kind._fields:
            fields["type_params"] = []
        elif kind is ast.alias and not kind._attributes:   # (Python 3.9)
            node.lineno = node.col_offset = node.end_lineno = node.end_col_offset = None
        node.__class__ = cls
    return tree


def _gast_class(kind, node):
    cls = _GAST_CLASSES.get(kind)
    if cls is None:
        cls = getattr(gast, kind.__name__, None)
        if cls is None or isinstance(node, _TYPE_PARAM):
            raise LeaveToGast
        _GAST_CLASSES[kind] = cls
    return cls


_GAST_CLASSES: dict = {}
_NAME = gast.Name
_CONTEXTS = {ast.Load: gast.Load, ast.Store: gast.Store, ast.Del: gast.Del}
_NO_FIELD = object()
_TYPE_PARAM = getattr(ast, "type_param", ())
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _quick_parse(func):
    """The module of ``func``'s ``def`` alone, found without inspect: its lines run from
    the code's first line (a decorator or the ``def``) to the next line indented no
    deeper than the ``def``. inspect's search tokenizes them (and compiles its regular
    expressions on first use, 2 ms). None, and inspect finds the lines, for a lambda or
    when those lines are not exactly that one definition (a line of a string or of a
    bracket less indented than the ``def`` ends them early: they do not parse then)."""
    code = func.__code__
    if func.__name__ == "<lambda>":
        return None
    filename = code.co_filename
    if not (filename.startswith("<") and filename.endswith(">")):
        linecache.checkcache(filename)   # as inspect does: the file may have changed
    lines = _source_lines(func)
    start = code.co_firstlineno - 1
    end = definition_end(lines, start)
    if end is None:
        return None
    tree = _source_tree(lines[start:end], start + 1)
    if tree is None or len(tree.body) != 1 \
            or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) \
            or tree.body[0].name != code.co_name:
        return None
    # The check that the text is the code (_finish) compiles the def as the standard
    # library parsed it (unless done for these lines already), before it becomes gast
    compiled = _NOT_COMPILED
    if _unchanged.get(code, (None, None))[1] is not lines \
            and not filename.startswith("<tangentlike "):
        compiled = _compiled_alone(None, code, tree.body[0])
    try:
        module = to_gast_in_place(tree)
    except LeaveToGast:   # (type parameters: to_gast leaves them to gast)
        module = _parsed(lines[start:end], start + 1)
    module.compiled = compiled
    module.lines = lines
    return module


def definition_end(lines: list, start: int):
    """The index after the last line of the definition (decorators first) that starts at
    ``lines[start]``: the next line, after the ``def`` line, that is indented no deeper
    than it and is not blank or a comment. None when ``start`` is out of range."""
    if not 0 <= start < len(lines):
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    seen_def = False
    for end in range(start, len(lines)):
        text = lines[end]
        stripped = text.lstrip()
        if stripped and not stripped.startswith("#") and len(text) - len(stripped) <= indent:
            if seen_def:
                return end
            seen_def = stripped.startswith(("def ", "async def "))
    return len(lines)


def _check_unchanged(func, node, filename: str, compiled=_NOT_COMPILED, lines=None) -> None:
    """Refuse a function whose file changed since it was compiled: the text read now
    would be differentiated instead of the code that runs. The text's ``def`` (or
    lambda) is compiled alone and compared with the function's code on what does not
    depend on where it is compiled (module, class, enclosing function, future imports):
    the parameters, the lines of the body that have instructions, the constants other
    than qualified names, the operators, and every name read or assigned (demangled; a
    closure's names are globals when compiled alone, so all kinds of names are pooled).
    Nested code objects (comprehensions, local functions, lambdas) are compared too.
    Anything that does not compile alone (``nonlocal``, ...) is not checked, nor a
    module whose code an import hook rewrote (pytest's assert rewriting leaves names
    such as ``@py_builtins`` in its globals). ``compiled``: what ``_compiled_alone``
    gives, if known (_quick_parse compiles the standard library's tree of the def).
    """
    code = func.__code__
    if lines is None:   # (the lines ``node`` was read from: linecache's, or _source_lines')
        lines = linecache.getlines(filename, func.__globals__)
    if _unchanged.get(code, (None, None))[1] is lines:
        return   # checked against these lines already (linecache makes new ones on a change)
    if any(name.startswith("@") for name in func.__globals__):
        return   # pytest rewrote the module's asserts: its code is not its text's
    if compiled is _NOT_COMPILED:
        compiled = _compiled_alone(node, code)
    if compiled is None or _fingerprint(compiled, node) == _fingerprint(code, node):
        _unchanged[code] = (filename, lines)
        return
    raise TransformError(
        f"the source of {func.__qualname__!r} in {short_filename(filename)} changed since "
        "it was imported: its text is not the code that runs", filename, node.lineno,
        hint=_RELOAD)


def _source_lines(func) -> list:
    """The lines of the file of ``func``'s code: those it was found to match, if it was
    (an old function object after its module was edited and reloaded runs the text it
    was compiled from, and its derivative, derived again when a callee the reload
    rebound fails its guard, is of that text), else linecache's."""
    code = func.__code__
    filename, verified = _unchanged.get(code, (None, None))
    if filename == code.co_filename:   # (equal code objects of other files compare equal)
        return verified
    return linecache.getlines(code.co_filename, func.__globals__)


# code object -> (its file's name, the list of the file's lines it was found to match)
# (about 1 ms a check: a compile and two walks of the instructions)
_unchanged: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

_RELOAD = "reload the module (importlib.reload) or restart Python, then differentiate it again"


def _compiled_alone(node, code, source_def=None):
    """The code object of ``node`` (a FunctionDef, or a lambda's FunctionDef built by
    _isolate_lambda from the Lambda it keeps in ``.lam``) compiled on its own; of
    ``source_def`` (the def as the standard library parsed it) instead, if given."""
    lam = getattr(node, "lam", None)
    flags = 0
    for name in __future__.all_feature_names:
        flag = getattr(__future__, name).compiler_flag
        if code.co_flags & flag:
            flags |= flag
    if source_def is not None:
        # as below: no decorators (nor a return annotation, which is not the function's
        # code either), a copy of the def without them
        source_def = _copy_ast(source_def)
        source_def.decorator_list, source_def.returns = [], None
        tree = ast.Module(body=[source_def], type_ignores=[])
        mode = "exec"
    elif lam is not None:
        tree = gast.Expression(body=lam)
        mode = "eval"
    else:
        fdef = gast.FunctionDef(name=node.name, args=node.args, body=node.body,
                                decorator_list=[], returns=None, type_comment=None,
                                type_params=[])
        tree = gast.Module(body=[gast.copy_location(fdef, node)], type_ignores=[])
        mode = "exec"
    try:
        if source_def is None:
            tree = gast.gast_to_ast(tree)
            ast.fix_missing_locations(tree)
        module = compile(tree, code.co_filename, mode, flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError, TypeError):
        return None
    name = "<lambda>" if lam is not None else (source_def or node).name
    found = [c for c in module.co_consts if isinstance(c, types.CodeType) and c.co_name == name]
    return found[0] if len(found) == 1 else None


def _copy_ast(node):
    """A new node with the same fields and attributes (the children are shared)."""
    new = node.__class__.__new__(node.__class__)
    new.__dict__.update(node.__dict__)
    return new


def _fingerprint(code, node):
    params = [_demangled(p) for p in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]]
    body = node.lam.body if getattr(node, "lam", None) is not None else node.body[0]
    first = body.lineno
    lines, consts, names, operators = set(), set(), set(), []
    codes = [code]
    while codes:
        c = codes.pop()
        operators += _operators(c)
        lines.update(line for _, line in dis.findlinestarts(c)
                     if line is not None and line >= first)
        inner = [k for k in c.co_consts if isinstance(k, types.CodeType)]
        codes += inner
        qualified = tuple(k.co_name for k in inner)
        if "__qualname__" in c.co_names:
            # a class body stores its own qualified name, which names the enclosing
            # class or function (``Model.f.<locals>.Box``; ``f.<locals>.Box`` alone)
            qualified += (c.co_name,)
        for k in c.co_consts:
            if isinstance(k, types.CodeType) or isinstance(k, str) and k.endswith(qualified):
                continue   # (before 3.11 a nested function's qualified name is a constant)
            consts.add((type(k).__name__, repr(k)))
        for name in c.co_names + c.co_varnames + c.co_freevars + c.co_cellvars:
            if name != "__class__":   # (the cell of zero-argument super())
                names.add(_demangled(name))
    return params, lines, consts, names, sorted(operators)


# Instructions of arithmetic, comparisons and subscripts: the same wherever the code is
# compiled (loads and stores are not: a closure's names are globals when compiled alone).
_OPERATORS = ("BINARY_", "INPLACE_", "UNARY_", "COMPARE_OP", "IS_OP", "CONTAINS_OP")
_OPERATOR_CODES = frozenset(op for op, name in enumerate(dis.opname) if name.startswith(_OPERATORS))


def _operators(code) -> list:
    """(name, argument) of the operator instructions of ``code`` (not of the code inside
    it), read from its bytes: what ``dis.get_instructions`` gives, with the argument
    itself where it gives the argument's text (which only depends on the argument), at a
    tenth of the cost. Each instruction is two bytes (a cache entry too, from Python 3.11:
    never an operator); an EXTENDED_ARG widens the next one's argument; an instruction
    below HAVE_ARGUMENT has none (None, as dis says)."""
    found, extended, raw = [], 0, code.co_code
    for i in range(0, len(raw), 2):
        op, arg = raw[i], raw[i + 1] | extended
        extended = arg << 8 if op == dis.EXTENDED_ARG else 0
        if op in _OPERATOR_CODES:
            found.append((dis.opname[op], arg if op >= dis.HAVE_ARGUMENT else None))
    return found


def _demangled(name: str) -> str:
    """``__x`` for a private name mangled in a class (``_Model__x``)."""
    if name.startswith("_") and not name.startswith("__"):
        head, sep, tail = name[1:].partition("__")
        if sep and head and tail and not tail.endswith("__"):
            return "__" + tail
    return name


def _closure(func: types.FunctionType) -> dict:
    cells = func.__closure__ or ()
    out = {}
    for name, cell in zip(func.__code__.co_freevars, cells):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # an empty cell: the name is assigned later in the outer scope
            pass
    return out


def _parse_fragment(text: str, func, filename: str, first: int) -> gast.Module:
    # Try the fragment as an expression wrapped in parentheses, line by line shorter.
    lines = text.splitlines()
    for end in range(len(lines), 0, -1):
        chunk = "\n".join(lines[:end]).strip()
        candidates = [chunk, f"({chunk})"]
        # brackets opened on earlier lines and closed on this one (`lambda ...)]`): drop
        # them one at a time, since the lambda's own calls end with `)` too
        rest = chunk.rstrip()
        while rest and rest[-1] in ",)]}":
            rest = rest[:-1].rstrip()
            candidates.append(f"({rest})")
        for candidate in candidates:
            try:
                return gast.parse(candidate)
            except SyntaxError:
                continue
    raise TransformError(
        f"cannot isolate the source of {func.__qualname__!r}", filename, first,
        hint="define it with `def` on its own lines")


def _find_def(module: gast.Module, func, filename: str) -> gast.FunctionDef:
    name = func.__code__.co_name   # the def's own name, even if __name__ or __code__ changed
    for node in gast.walk(module):
        if isinstance(node, gast.FunctionDef) and node.name == name:
            return node
        if isinstance(node, gast.AsyncFunctionDef) and node.name == name:
            raise TransformError(
                "async functions cannot be differentiated", filename, node.lineno,
                hint="differentiate a plain `def` that the async code calls")
    raise TransformError(f"cannot find the definition of {func.__qualname__!r} in its source",
                         filename, func.__code__.co_firstlineno,
                         hint="if its file was edited since it was imported: " + _RELOAD)


def _whole_file(func):
    """The module of the whole file that defines ``func`` (its nodes at their real lines
    and columns), or None when it does not parse."""
    lines = linecache.getlines(func.__code__.co_filename, func.__globals__)
    try:
        return to_gast(ast.parse("".join(lines)))
    except (SyntaxError, ValueError):
        return None


def _code_spans(code) -> list:
    """The (line, column, end line, end column) of the instructions of ``code`` that
    record a source range (Python 3.11+, unless -X no_debug_ranges): for a lambda, the
    parts of its body. Empty when none do."""
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return []
    return [(line, col, end, end_col) for line, end, col, end_col in positions()
            if None not in (line, end, col, end_col) and (line, col) != (end, end_col)]


def _contains(node, spans) -> bool:
    start = (node.lineno, node.col_offset)
    stop = (node.end_lineno, node.end_col_offset)
    return all(start <= (line, col) and (end, end_col) <= stop
               for line, col, end, end_col in spans)


def _isolate_lambda(module: gast.Module, func, filename: str,
                    exact_columns: bool = False) -> gast.FunctionDef:
    """The lambda of ``module`` that ``func`` was made from: the one starting on the
    code's first line with its parameters, told apart from others there by the source
    ranges its code records (exact columns needed: ``module`` is the whole file) or by
    its compiled body."""
    code = func.__code__
    names = list(code.co_varnames[: code.co_argcount])
    found = []
    for node in gast.walk(module):
        if isinstance(node, gast.Lambda):
            params = [a.id for a in node.args.args]
            if params == names and node.lineno == code.co_firstlineno:
                found.append(node)
    spans = _code_spans(code) if len(found) > 1 else []
    if spans and not exact_columns:
        # (the lines were dedented: their columns are not the file's)
        whole = _whole_file(func)
        if whole is not None:
            return _isolate_lambda(whole, func, filename, True)
    if spans:
        inside = [n for n in found if _contains(n, spans)]
        # a lambda inside another holds its ranges too: the innermost is the one
        found = [n for n in inside if not any(
            m is not n and _contains(n, [(m.lineno, m.col_offset, m.end_lineno,
                                          m.end_col_offset)]) for m in inside)] or found
    if len(found) > 1:
        # Tell identical-looking lambdas apart by their compiled body.
        same = [n for n in found if _lambda_code(n) == (code.co_code, code.co_consts[1:])]
        found = same if same else found
    if len(found) != 1:
        raise TransformError(
            f"cannot tell which lambda on this line to differentiate "
            f"({len(found)} candidates)", filename, code.co_firstlineno,
            hint="give the function a name with `def`, or put the lambda on a line of its own")
    lam = found[0]
    ret = gast.Return(value=lam.body)
    gast.copy_location(ret, lam.body)
    fdef = gast.FunctionDef(name="f", args=lam.args, body=[ret], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    gast.copy_location(fdef, lam)
    fdef.lam = lam   # (compiled alone to check that the file did not change)
    return fdef


def _lambda_code(node: gast.Lambda):
    expr = gast.Expression(body=node)
    try:
        code = compile(gast.gast_to_ast(gast.fix_missing_locations(expr)), "<lambda>", "eval")
    except (SyntaxError, ValueError, TypeError):
        return None
    inner = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    return inner.co_code, inner.co_consts[1:]


def _check_signature(parsed: Parsed) -> None:
    args = parsed.node.args
    if args.vararg is not None or args.kwarg is not None:
        hint = "name each argument explicitly"
        if hasattr(parsed.func, "__wrapped__"):
            hint = ("this is the wrapper a decorator made: differentiate the undecorated "
                    "function (`tl.grad(f.__wrapped__)`), or give the wrapper f's parameters")
        raise parsed.error("functions with *args or **kwargs cannot be differentiated",
                           parsed.node, hint=hint)


def _strip_decorator(parsed: Parsed, dec) -> bool:
    """Every decorator is left out of the parsed ``def``. The function object being
    differentiated has this ``def``'s own code, so whatever a decorator did is not in
    it: a decorator that returns the function itself (tangentlike's own, one that
    registers it) changes nothing, and one that returns a wrapper made the function
    that is reached here through the wrapper (a wrapper is parsed as its own ``def``,
    its ``functools.wraps`` left out the same way)."""
    return True


def resolve_static(parsed: Parsed, node) -> Any:
    """Resolve ``name`` or ``module.attr.attr`` to an object, or ``_MISSING``."""
    if isinstance(node, gast.Name):
        return parsed.lookup(node.id, _MISSING)
    if isinstance(node, gast.Attribute):
        base = resolve_static(parsed, node.value)
        if base is _MISSING:
            return _MISSING
        return getattr(base, node.attr, _MISSING)
    return _MISSING


MISSING = _MISSING


def source_line(filename: str, lineno: int) -> str:
    return linecache.getline(filename, lineno).strip()
