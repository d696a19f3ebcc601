"""emit: a generated ``gast.FunctionDef`` -> source text -> a live Python function.

The text is what the standard library prints (``gast`` -> ``ast`` -> ``ast.unparse``),
written directly from the ``gast`` tree by :class:`_Printer` for the forms derivatives
are made of, several times as fast; any other form is left to ``ast.unparse``.
Before each group of statements that comes from one user statement the emitter writes
a comment with the user's ``file:line`` and that line, marked ``adjoint of`` in the
reverse sweep.

The function is compiled under a file name such as ``<tangentlike dfdx of f.py:3>``
whose text is registered in ``linecache``, so tracebacks, pdb and ``inspect.getsource``
show the generated code. It runs with the user's module globals (a global rebound
later is seen as Python would see it); the library objects it calls (``np``,
``unbroadcast``) and the user's closure variables reach it as closure cells of a
small factory, which keeps the user's module untouched.
"""
from __future__ import annotations

import ast
import itertools
import linecache
import re
import sys
import textwrap
import types

import gast

from .errors import short_filename
from .naming import name_node
from .parse import source_line

_counter = itertools.count()
_NEW_EXPR = gast.Expr.__new__
_MARKER = "__tangentlike_comment_{}__"
_MARKER_RE = re.compile(r"^(\s*)__tangentlike_comment_(\d+)__$")


def to_source(fdefs: list, filename: str) -> str:
    """Print the generated functions, with comments back to the user's lines."""
    comments = []
    trees = [_with_comments(f, filename, comments) for f in fdefs]
    if len(trees) == 1:
        try:
            return _Printer(comments).function(trees[0])
        except _Unprintable:
            pass
    return unparsed(trees, comments)


def unparsed(trees: list, comments: list) -> str:
    """``to_source`` by the standard library: ``ast.unparse`` of the trees (functions with
    comment markers) converted to ``ast``, each marker line replaced by its comment."""
    tree = ast.Module(body=[to_ast(t) for t in trees], type_ignores=[])
    text = ast.unparse(tree)
    lines = []
    for line in text.splitlines():
        m = _MARKER_RE.match(line)
        lines.append(m.group(1) + comments[int(m.group(2))] if m else line)
    return "\n".join(lines) + "\n"


def to_ast(node):
    """The ``ast`` tree ``ast.unparse`` prints for a ``gast`` tree (what
    ``gast.gast_to_ast`` gives, in one pass over the tree, several times as fast).

    Each node becomes the ``ast`` class of the same name with that class's fields (the
    gast classes have the same names; their extra fields, such as a ``Name``'s
    ``annotation``, are dropped); a ``Name`` in a parameter list becomes an ``ast.arg``
    and an except clause's name a string, as in gast's own conversion. Two fixes for
    printing on the way:

    - a negative number as a constant prints as ``-0.7``, which next to ``**`` would read
      as ``-(0.7 ** 2)``: it becomes a negation, which prints with parentheses where
      precedence needs them;
    - ``ast.unparse`` reads each statement's ``lineno`` (to look up type comments), so
      statements get their gast node's line, or 1; expressions need none.
    """
    if isinstance(node, list):
        return [to_ast(n) for n in node]
    if not isinstance(node, gast.AST):
        return node
    kind = node.__class__
    # (the fields by position, in the class's order: several times as fast as by keyword)
    if kind is gast.Name:
        if isinstance(node.ctx, gast.Param):
            return ast.arg(node.id, to_ast(node.annotation), node.type_comment)
        return ast.Name(node.id, _CONTEXTS[node.ctx.__class__])
    if kind is gast.Constant:
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            return ast.UnaryOp(ast.USub(), ast.Constant(-value, None))
        return ast.Constant(value, node.kind)
    cls = _AST_CLASS[kind]
    attributes = node.__dict__
    values = []
    for field in cls._fields:
        value = attributes.get(field)
        if value.__class__ is list:
            value = [to_ast(v) for v in value]
        elif isinstance(value, gast.AST):   # (else a name, a number, None: as it is)
            value = to_ast(value)
        values.append(value)
    new = cls(*values)   # (every field given: Python 3.13 warns of missing ones, 3.15 refuses)
    if kind is gast.ExceptHandler and node.name is not None:
        new.name = node.name.id
    if isinstance(new, ast.stmt):
        new.lineno = attributes.get("lineno") or 1
    return new


class _Classes(dict):
    """gast class -> the ast class of the same name, found on first use."""

    def __missing__(self, kind):
        self[kind] = getattr(ast, kind.__name__)
        return self[kind]


_AST_CLASS = _Classes()
_CONTEXTS = {gast.Load: ast.Load(), gast.Store: ast.Store(), gast.Del: ast.Del()}


def _with_comments(fdef, filename, comments):
    fdef.body = _comment_body(fdef.body, filename, comments)
    return fdef


def _comment_body(body, filename, comments, last=None):
    out = []
    for stmt in body:
        note = getattr(stmt, "comment", None)   # the entry statements say why they are there
        if note is not None:
            comments.append(f"# {note}")
            out.append(_marker(len(comments) - 1))
        origin, phase = getattr(stmt, "origin", None), getattr(stmt, "phase", None)
        key = (origin, phase)
        if origin is not None and key != last and not isinstance(stmt, gast.Return):
            text = _describe(origin, filename)
            prefix = "adjoint of " if phase == "adjoint" else ""
            comments.append(f"# {prefix}{text}")
            out.append(_marker(len(comments) - 1))
        last = key
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _comment_body(getattr(stmt, field), filename, comments, key))
        out.append(stmt)
    return out


def _marker(index: int) -> gast.Expr:
    # (without gast's constructor, as naming.name_node: a statement a comment, about a
    # hundred in a derivative)
    marker = _NEW_EXPR(gast.Expr)
    marker.__dict__["value"] = name_node(_MARKER.format(index))
    marker.comment_index = index   # (what _Printer writes instead)
    return marker


def _describe(origin, filename) -> str:
    line = getattr(origin, "text", None) or source_line(filename, origin.lineno)
    end = getattr(origin, "end_lineno", None)
    if end is not None and end > origin.lineno:
        line += " ..."
    return f"{short_filename(filename)}:{origin.lineno}: {line}"


# -- printing ---------------------------------------------------------------------------
class _Unprintable(Exception):
    """A form _Printer leaves to ``ast.unparse``."""


# The precedences of ``ast.unparse`` (its _Precedence, as numbers): a subexpression is
# put in parentheses when its own binds less tightly than its place asks for.
(_NAMED_EXPR, _TUPLE, _YIELD, _TEST, _OR, _AND, _NOT, _CMP, _BOR, _BXOR, _BAND, _SHIFT,
 _ARITH, _TERM, _FACTOR, _POWER, _AWAIT, _ATOM) = range(1, 19)
_BINOPS = {gast.Add: ("+", _ARITH), gast.Sub: ("-", _ARITH), gast.Mult: ("*", _TERM),
           gast.MatMult: ("@", _TERM), gast.Div: ("/", _TERM), gast.Mod: ("%", _TERM),
           gast.FloorDiv: ("//", _TERM), gast.LShift: ("<<", _SHIFT),
           gast.RShift: (">>", _SHIFT), gast.BitOr: ("|", _BOR), gast.BitXor: ("^", _BXOR),
           gast.BitAnd: ("&", _BAND), gast.Pow: ("**", _POWER)}
_UNARYOPS = {gast.USub: ("-", _FACTOR), gast.UAdd: ("+", _FACTOR),
             gast.Invert: ("~", _FACTOR), gast.Not: ("not ", _NOT)}
_CMPOPS = {gast.Eq: "==", gast.NotEq: "!=", gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">",
           gast.GtE: ">=", gast.Is: "is", gast.IsNot: "is not", gast.In: "in",
           gast.NotIn: "not in"}
_BOOLOPS = {gast.And: (" and ", _AND), gast.Or: (" or ", _OR)}
# a float too large for a literal: what ast.unparse writes for infinity
_INFINITY = "1e" + repr(sys.float_info.max_10_exp + 1)
# Python 3.9 and 3.10 print every tuple in parentheses; later ones only where needed
_BARE_TUPLES = sys.version_info >= (3, 11)


class _Printer:
    """The text ``unparsed`` gives for one function (with its comment markers), for the
    forms derivatives are made of: plain statements, ``if``/``for``/``while``, and
    expressions of names, numbers, strings, operators, calls, attributes, subscripts,
    tuples and lists. Any other form (a comprehension, a lambda, a nested function, a
    docstring, a type comment, ``*args`` in a call, ...) raises _Unprintable.
    tests/test_emit_to_ast.py compares both on many functions."""

    def __init__(self, comments: list):
        self.comments = comments
        self.lines = []

    # -- statements
    def function(self, fdef) -> str:
        if fdef.__class__ is not gast.FunctionDef or fdef.decorator_list or fdef.returns \
                or fdef.type_comment is not None or getattr(fdef, "type_params", None) \
                or _docstring(fdef.body):
            raise _Unprintable
        self.lines.append(f"def {fdef.name}({self.arguments(fdef.args)}):")
        self.block(fdef.body, "    ")
        return "\n".join(self.lines) + "\n"

    def block(self, body: list, indent: str) -> None:
        lines, expr = self.lines, self.expr
        for stmt in body:
            kind = stmt.__class__
            if kind is gast.Assign:
                if stmt.type_comment is not None:
                    raise _Unprintable
                targets = "".join(expr(t, _TUPLE) + " = " for t in stmt.targets)
                lines.append(indent + targets + expr(stmt.value, _TEST))
            elif kind is gast.Expr:
                index = stmt.__dict__.get("comment_index")
                if index is not None:
                    lines.append(indent + self.comments[index])
                else:
                    lines.append(indent + expr(stmt.value, _YIELD))
            elif kind is gast.AugAssign:
                lines.append(f"{indent}{expr(stmt.target, _TEST)} {_BINOPS[stmt.op.__class__][0]}= "
                             f"{expr(stmt.value, _TEST)}")
            elif kind is gast.Return:
                value = stmt.value
                lines.append(indent + "return" if value is None
                             else f"{indent}return {expr(value, _TEST)}")
            elif kind is gast.If:
                lines.append(f"{indent}if {expr(stmt.test, _TEST)}:")
                self.block(stmt.body, indent + "    ")
                while len(stmt.orelse) == 1 and stmt.orelse[0].__class__ is gast.If:
                    stmt = stmt.orelse[0]   # (else: if ... prints as elif)
                    lines.append(f"{indent}elif {expr(stmt.test, _TEST)}:")
                    self.block(stmt.body, indent + "    ")
                self.orelse(stmt.orelse, indent)
            elif kind is gast.For:
                if stmt.type_comment is not None:
                    raise _Unprintable
                lines.append(f"{indent}for {expr(stmt.target, _TUPLE)} in "
                             f"{expr(stmt.iter, _TEST)}:")
                self.block(stmt.body, indent + "    ")
                self.orelse(stmt.orelse, indent)
            elif kind is gast.While:
                lines.append(f"{indent}while {expr(stmt.test, _TEST)}:")
                self.block(stmt.body, indent + "    ")
                self.orelse(stmt.orelse, indent)
            elif kind is gast.Pass:
                lines.append(indent + "pass")
            elif kind is gast.Break:
                lines.append(indent + "break")
            elif kind is gast.Continue:
                lines.append(indent + "continue")
            else:
                raise _Unprintable

    def orelse(self, body: list, indent: str) -> None:
        if body:
            self.lines.append(indent + "else:")
            self.block(body, indent + "    ")

    def arguments(self, args) -> str:
        """A ``def``'s parameters (as ``ast.unparse`` writes them)."""
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + args.defaults
        parts = []
        for i, (param, default) in enumerate(zip(positional, defaults), 1):
            part = self.param(param)
            if default is not None:
                part += "=" + self.expr(default, _TEST)
            if i == len(args.posonlyargs):
                part += ", /"
            parts.append(part)
        if args.vararg is not None or args.kwonlyargs:
            parts.append("*" + (self.param(args.vararg) if args.vararg is not None else ""))
        for param, default in zip(args.kwonlyargs, args.kw_defaults):
            part = self.param(param)
            if default is not None:
                part += "=" + self.expr(default, _TEST)
            parts.append(part)
        if args.kwarg is not None:
            parts.append("**" + self.param(args.kwarg))
        return ", ".join(parts)

    @staticmethod
    def param(node) -> str:
        if node.__class__ is not gast.Name or node.annotation is not None:
            raise _Unprintable
        return node.id

    # -- expressions
    def expr(self, node, precedence: int) -> str:
        """``node`` printed in a place that asks for ``precedence``."""
        printer = _EXPRESSIONS.get(node.__class__)
        if printer is None:
            raise _Unprintable
        return printer(self, node, precedence)

    def name(self, node, precedence) -> str:
        if node.annotation is not None:
            raise _Unprintable
        return node.id

    def constant(self, node, precedence) -> str:
        value = node.value
        kind = value.__class__
        if node.kind is not None and kind is not str:
            raise _Unprintable
        if kind is float or kind is int:
            if value < 0:   # (to_ast's negation: see there)
                text = "-" + _number(-value)
                return "(" + text + ")" if precedence > _FACTOR else text
            return _number(value)
        if kind is str:
            return ("u" if node.kind == "u" else "") + repr(value)
        if value is None or kind is bool or kind is bytes:
            return repr(value)
        if kind is complex:
            return _number(value)
        if value is Ellipsis:
            return "..."
        if kind is tuple:   # (a shape, folded)
            items = [_number(v) if isinstance(v, (float, complex)) else repr(v) for v in value]
            return "(" + (items[0] + "," if len(items) == 1 else ", ".join(items)) + ")"
        raise _Unprintable   # (a frozenset, a subclass of a number)

    def attribute(self, node, precedence) -> str:
        value = node.value
        text = self.expr(value, _ATOM)
        # 3.__abs__() is a syntax error: ast.unparse writes 3 .__abs__()
        if value.__class__ is gast.Constant and isinstance(value.value, int) and not (
                value.value.__class__ is int and value.value < 0):
            text += " "
        return text + "." + node.attr

    def call(self, node, precedence) -> str:
        expr = self.expr
        parts = [expr(arg, _TEST) for arg in node.args]
        for keyword in node.keywords:
            if keyword.arg is None:
                parts.append("**" + expr(keyword.value, _TEST))
            else:
                parts.append(keyword.arg + "=" + expr(keyword.value, _TEST))
        return expr(node.func, _ATOM) + "(" + ", ".join(parts) + ")"

    def binop(self, node, precedence) -> str:
        operator, own = _BINOPS[node.op.__class__]
        if own == _POWER:   # (right-associative)
            left, right = own + 1, own
        else:
            left, right = own, own + 1
        text = f"{self.expr(node.left, left)} {operator} {self.expr(node.right, right)}"
        return "(" + text + ")" if precedence > own else text

    def unaryop(self, node, precedence) -> str:
        operator, own = _UNARYOPS[node.op.__class__]
        text = operator + self.expr(node.operand, own)
        return "(" + text + ")" if precedence > own else text

    def compare(self, node, precedence) -> str:
        expr = self.expr
        text = expr(node.left, _CMP + 1) + "".join(
            f" {_CMPOPS[op.__class__]} {expr(value, _CMP + 1)}"
            for op, value in zip(node.ops, node.comparators))
        return "(" + text + ")" if precedence > _CMP else text

    def boolop(self, node, precedence) -> str:
        operator, own = _BOOLOPS[node.op.__class__]
        # (each operand asks for more than the one before it, as in ast.unparse)
        text = operator.join(self.expr(value, own + i)
                             for i, value in enumerate(node.values, 1))
        return "(" + text + ")" if precedence > own else text

    def ifexp(self, node, precedence) -> str:
        expr = self.expr
        text = (f"{expr(node.body, _TEST + 1)} if {expr(node.test, _TEST + 1)} else "
                f"{expr(node.orelse, _TEST)}")
        return "(" + text + ")" if precedence > _TEST else text

    def subscript(self, node, precedence) -> str:
        index = node.slice
        if index.__class__ is gast.Tuple and index.elts:
            inside = self.items(index.elts)
        else:
            inside = self.expr(index, _TEST)
        return self.expr(node.value, _ATOM) + "[" + inside + "]"

    def slice(self, node, precedence) -> str:
        expr = self.expr
        text = (expr(node.lower, _TEST) if node.lower is not None else "") + ":"
        if node.upper is not None:
            text += expr(node.upper, _TEST)
        if node.step is not None:
            text += ":" + expr(node.step, _TEST)
        return text

    def tuple(self, node, precedence) -> str:
        if not node.elts:
            return "()"
        text = self.items(node.elts)
        return text if _BARE_TUPLES and precedence <= _TUPLE else "(" + text + ")"

    def list(self, node, precedence) -> str:
        return "[" + ", ".join(self.expr(elt, _TEST) for elt in node.elts) + "]"

    def items(self, elts: list) -> str:
        """Tuple items: a single one with a trailing comma."""
        if len(elts) == 1:
            return self.expr(elts[0], _TEST) + ","
        return ", ".join(self.expr(elt, _TEST) for elt in elts)


# node class -> the _Printer method that prints it (functions of the class: a table of
# each printer's bound methods would hold the printer in a reference cycle)
_EXPRESSIONS = {
    gast.Name: _Printer.name, gast.Constant: _Printer.constant,
    gast.Attribute: _Printer.attribute, gast.Call: _Printer.call, gast.BinOp: _Printer.binop,
    gast.UnaryOp: _Printer.unaryop, gast.Compare: _Printer.compare,
    gast.BoolOp: _Printer.boolop, gast.IfExp: _Printer.ifexp,
    gast.Subscript: _Printer.subscript, gast.Slice: _Printer.slice,
    gast.Tuple: _Printer.tuple, gast.List: _Printer.list}


def _number(value) -> str:
    """A number as ast.unparse writes it (infinity too large to be a float literal, nan
    as infinity minus infinity)."""
    text = repr(value)
    if not isinstance(value, int):
        text = text.replace("inf", _INFINITY).replace("nan", f"({_INFINITY}-{_INFINITY})")
    return text


def _docstring(body: list) -> bool:
    """Whether ``body`` starts with a string statement (which ast.unparse prints as a
    docstring)."""
    first = body[0] if body else None
    return first.__class__ is gast.Expr and first.value.__class__ is gast.Constant \
        and isinstance(first.value.value, str)


def compile_function(source: str, name: str, bindings: dict, user_globals: dict, label: str,
                     user_cells: dict = None):
    """Compile ``source`` (which defines ``name``) into a function.

    ``bindings`` maps the free names the code reads from outside the user's globals
    (library objects) to their objects; ``user_cells`` maps the user's closure variables
    to the user's own cells, shared so that rebinding them later is seen, as in Python.
    """
    user_cells = user_cells or {}
    bindings = dict(bindings)
    bindings.update({k: None for k in user_cells})
    filename = f"<tangentlike {name} of {label} #{next(_counter)}>"
    params = ", ".join(sorted(bindings))
    factory = "__tangentlike_factory__"
    text = (f"def {factory}({params}):\n" + textwrap.indent(source, "    ")
            + f"\n    return {name}\n")
    code = compile(text, filename, "exec")
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {}
    exec(code, user_globals, namespace)
    func = namespace[factory](**bindings)
    if user_cells:
        cells = tuple(user_cells.get(var, cell)
                      for var, cell in zip(func.__code__.co_freevars, func.__closure__))
        shared = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                                    func.__defaults__, cells)
        shared.__kwdefaults__ = func.__kwdefaults__
        for var, cell in zip(func.__code__.co_freevars, cells):
            if var == name:   # a recursive function calls the rebuilt function
                cell.cell_contents = shared
        func = shared
    # its name in Python's own errors (`dfdx() got an unexpected keyword argument 'b'`),
    # not `__tangentlike_factory__.<locals>.dfdx`
    func.__qualname__ = name
    if hasattr(func.__code__, "co_qualname"):   # (what those errors print, 3.11+)
        func.__code__ = func.__code__.replace(co_qualname=name)
    func.source = source
    return func
