"""emit: a generated ``gast.FunctionDef`` -> source text -> a live Python function.

The text is what the standard library prints (``gast`` -> ``ast`` -> ``ast.unparse``):
for the forms generated code is made of, a printer of our own writes that same text
straight from the gast tree (five times as fast); any other form goes the standard way.
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
from .parse import source_line

_counter = itertools.count()
_MARKER = "__tangentlike_comment_{}__"
_MARKER_RE = re.compile(r"^(\s*)__tangentlike_comment_(\d+)__$")


def to_source(fdefs: list, filename: str) -> str:
    """Print the generated functions, with comments back to the user's lines."""
    comments = []
    trees = [_with_comments(f, filename, comments) for f in fdefs]
    try:
        return _Printer(comments).module(trees)
    except _Unsupported:   # a form the printer leaves to ast.unparse
        pass
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
    if kind is gast.Name:
        if isinstance(node.ctx, gast.Param):
            return ast.arg(arg=node.id, annotation=to_ast(node.annotation),
                           type_comment=node.type_comment)
        return ast.Name(id=node.id, ctx=_CONTEXTS[node.ctx.__class__])
    if kind is gast.Constant:
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value, kind=None))
        return ast.Constant(value=value, kind=node.kind)
    new = _AST_CLASS[kind]()
    attributes = node.__dict__
    for field in new._fields:
        value = attributes.get(field)
        if value.__class__ is list:
            setattr(new, field, [to_ast(v) for v in value])
        else:
            setattr(new, field, to_ast(value))
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
    return gast.Expr(value=gast.Name(id=_MARKER.format(index), ctx=gast.Load(), annotation=None,
                                     type_comment=None))


def _describe(origin, filename) -> str:
    line = source_line(filename, origin.lineno)
    end = getattr(origin, "end_lineno", None)
    if end is not None and end > origin.lineno:
        line += " ..."
    return f"{short_filename(filename)}:{origin.lineno}: {line}"


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
    func.source = source
    return func


# -- printing -------------------------------------------------------------------------
class _Unsupported(Exception):
    """A node the printer leaves to ast.unparse."""


# ast.unparse's precedence levels (ast._Precedence): a node is parenthesized when the
# level its place asks for is higher than its own
_TUPLE, _YIELD, _TEST, _OR, _AND, _NOT, _CMP, _EXPR = 2, 3, 4, 5, 6, 7, 8, 9
_BXOR, _BAND, _SHIFT, _ARITH, _TERM, _FACTOR, _POWER, _ATOM = 10, 11, 12, 13, 14, 15, 16, 18
_BINOPS = {gast.Add: ("+", _ARITH), gast.Sub: ("-", _ARITH), gast.Mult: ("*", _TERM),
           gast.MatMult: ("@", _TERM), gast.Div: ("/", _TERM), gast.Mod: ("%", _TERM),
           gast.FloorDiv: ("//", _TERM), gast.LShift: ("<<", _SHIFT),
           gast.RShift: (">>", _SHIFT), gast.BitOr: ("|", _EXPR), gast.BitXor: ("^", _BXOR),
           gast.BitAnd: ("&", _BAND), gast.Pow: ("**", _POWER)}
_UNARYOPS = {gast.USub: "-", gast.UAdd: "+", gast.Invert: "~"}
_COMPAREOPS = {gast.Eq: "==", gast.NotEq: "!=", gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">",
               gast.GtE: ">=", gast.Is: "is", gast.IsNot: "is not", gast.In: "in",
               gast.NotIn: "not in"}
_INFINITY = "1e" + repr(sys.float_info.max_10_exp + 1)   # what ast.unparse writes for inf


class _Printer:
    """The text ``ast.unparse(to_ast(tree))`` gives, printed straight from the gast tree
    for the forms generated code is made of (statements, arithmetic, calls, subscripts,
    tuples and lists, comparisons, conditional expressions), with the comment markers
    (see _with_comments) written as their comments. Any other form raises _Unsupported:
    then ast.unparse prints the function. tests/test_emit_to_ast.py checks both give the
    same text."""

    def __init__(self, comments):
        self.comments = comments
        self.out = []
        self.indent = ""

    def module(self, fdefs) -> str:
        for fdef in fdefs:
            self.function(fdef)
        return "".join(self.out) + "\n"

    # -- statements ---------------------------------------------------------------
    def line(self, text):
        if self.out:
            self.out.append("\n")
        self.out.append(self.indent + text)

    def block(self, body):
        self.out.append(":")
        outer = self.indent
        self.indent = outer + "    "
        for stmt in body:
            self.statement(stmt)
        self.indent = outer

    def function(self, node):
        if node.__class__ is not gast.FunctionDef or node.decorator_list or node.returns \
                or getattr(node, "type_params", None) or node.type_comment is not None:
            raise _Unsupported
        body = node.body
        if body and body[0].__class__ is gast.Expr and body[0].value.__class__ is gast.Constant \
                and isinstance(body[0].value.value, str):
            raise _Unsupported   # a docstring
        if self.out:
            self.out.append("\n")
        self.line(f"def {node.name}({self.arguments(node.args)})")
        self.block(body)

    def arguments(self, args) -> str:
        if args.vararg is not None or args.kwarg is not None:
            raise _Unsupported
        parts = []
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + args.defaults
        for index, (a, d) in enumerate(zip(positional, defaults), 1):
            text = self.parameter(a)
            if d is not None:
                text += "=" + self.expr(d, _TEST)
            if index == len(args.posonlyargs):
                text += ", /"
            parts.append(text)
        if args.kwonlyargs:
            parts.append("*")
            for a, d in zip(args.kwonlyargs, args.kw_defaults):
                parts.append(self.parameter(a) + ("" if d is None else
                                                  "=" + self.expr(d, _TEST)))
        return ", ".join(parts)

    @staticmethod
    def parameter(node) -> str:
        if node.__class__ is not gast.Name or node.annotation is not None \
                or node.type_comment is not None:
            raise _Unsupported
        return node.id

    def statement(self, node):
        kind = node.__class__
        if getattr(node, "type_comment", None) is not None:
            raise _Unsupported
        if kind is gast.Assign:
            targets = "".join(self.expr(t, _TUPLE) + " = " for t in node.targets)
            self.line(targets + self.expr(node.value, _TEST))
        elif kind is gast.Expr:
            value = node.value
            if value.__class__ is gast.Name:
                m = _MARKER_RE.match(value.id)
                if m:
                    self.line(self.comments[int(m.group(2))])
                    return
            self.line(self.expr(value, _YIELD))
        elif kind is gast.Return:
            self.line("return" if node.value is None else
                      "return " + self.expr(node.value, _TEST))
        elif kind is gast.If:
            self.line("if " + self.expr(node.test, _TEST))
            self.block(node.body)
            while len(node.orelse) == 1 and node.orelse[0].__class__ is gast.If:
                node = node.orelse[0]
                self.line("elif " + self.expr(node.test, _TEST))
                self.block(node.body)
            if node.orelse:
                self.line("else")
                self.block(node.orelse)
        elif kind is gast.For:
            self.line(f"for {self.expr(node.target, _TUPLE)} in {self.expr(node.iter, _TEST)}")
            self.block(node.body)
            if node.orelse:
                self.line("else")
                self.block(node.orelse)
        elif kind is gast.While:
            self.line("while " + self.expr(node.test, _TEST))
            self.block(node.body)
            if node.orelse:
                self.line("else")
                self.block(node.orelse)
        elif kind is gast.AugAssign:
            self.line(f"{self.expr(node.target, _TEST)} {_BINOPS[node.op.__class__][0]}= "
                      f"{self.expr(node.value, _TEST)}")
        elif kind is gast.With:
            items = []
            for item in node.items:
                text = self.expr(item.context_expr, _TEST)
                if item.optional_vars is not None:
                    text += " as " + self.expr(item.optional_vars, _TEST)
                items.append(text)
            self.line("with " + ", ".join(items))
            self.block(node.body)
        elif kind is gast.Pass:
            self.line("pass")
        elif kind is gast.Break:
            self.line("break")
        elif kind is gast.Continue:
            self.line("continue")
        elif kind is gast.Raise:
            if node.exc is None:
                if node.cause is not None:
                    raise _Unsupported
                self.line("raise")
            else:
                text = "raise " + self.expr(node.exc, _TEST)
                if node.cause is not None:
                    text += " from " + self.expr(node.cause, _TEST)
                self.line(text)
        else:
            raise _Unsupported

    # -- expressions ---------------------------------------------------------------
    def expr(self, node, level) -> str:
        """``node`` printed in a place that asks for precedence ``level``."""
        kind = node.__class__
        if kind is gast.Name:
            return node.id
        if kind is gast.Constant:
            value = node.value
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                # (emit.to_ast: a negative number prints as a negation)
                text = "-" + _constant(-value)
                return f"({text})" if level > _FACTOR else text
            if value.__class__ is tuple:
                return "(" + _items([_constant(v) for v in value]) + ")"
            if value is ...:
                return "..."
            return ("u" if node.kind == "u" else "") + _constant(value)
        if kind is gast.BinOp:
            op, own = _BINOPS[node.op.__class__]
            if own == _POWER:   # right-associative
                left, right = own + 1, own
            else:
                left, right = own, own + 1
            text = f"{self.expr(node.left, left)} {op} {self.expr(node.right, right)}"
            return f"({text})" if level > own else text
        if kind is gast.Call:
            parts = [self.expr(a, _TEST) for a in node.args]
            for k in node.keywords:
                value = self.expr(k.value, _TEST)
                parts.append("**" + value if k.arg is None else f"{k.arg}={value}")
            return f"{self.expr(node.func, _ATOM)}({', '.join(parts)})"
        if kind is gast.Attribute:
            value = node.value
            text = self.expr(value, _ATOM)
            if value.__class__ is gast.Constant and isinstance(value.value, int) \
                    and not (not isinstance(value.value, bool) and value.value < 0):
                text += " "
            return f"{text}.{node.attr}"
        if kind is gast.Subscript:
            index = node.slice
            if index.__class__ is gast.Tuple and index.elts:
                inside = _items([self.expr(e, _TEST) for e in index.elts])
            else:
                inside = self.expr(index, _TEST)
            return f"{self.expr(node.value, _ATOM)}[{inside}]"
        if kind is gast.UnaryOp:
            if node.op.__class__ is gast.Not:
                text = "not " + self.expr(node.operand, _NOT)
                return f"({text})" if level > _NOT else text
            text = _UNARYOPS[node.op.__class__] + self.expr(node.operand, _FACTOR)
            return f"({text})" if level > _FACTOR else text
        if kind is gast.Tuple:
            text = _items([self.expr(e, _TEST) for e in node.elts])
            return f"({text})" if not node.elts or level > _TUPLE else text
        if kind is gast.List:
            return "[" + ", ".join(self.expr(e, _TEST) for e in node.elts) + "]"
        if kind is gast.Compare:
            text = self.expr(node.left, _CMP + 1) + "".join(
                f" {_COMPAREOPS[op.__class__]} {self.expr(e, _CMP + 1)}"
                for op, e in zip(node.ops, node.comparators))
            return f"({text})" if level > _CMP else text
        if kind is gast.Slice:
            text = "" if node.lower is None else self.expr(node.lower, _TEST)
            text += ":"
            if node.upper is not None:
                text += self.expr(node.upper, _TEST)
            if node.step is not None:
                text += ":" + self.expr(node.step, _TEST)
            return text
        if kind is gast.IfExp:
            text = (f"{self.expr(node.body, _TEST + 1)} if {self.expr(node.test, _TEST + 1)} "
                    f"else {self.expr(node.orelse, _TEST)}")
            return f"({text})" if level > _TEST else text
        if kind is gast.BoolOp:
            own = _AND if node.op.__class__ is gast.And else _OR
            word = " and " if own == _AND else " or "
            parts, inner = [], own
            for value in node.values:
                inner = min(inner + 1, _ATOM)
                parts.append(self.expr(value, inner))
            text = word.join(parts)
            return f"({text})" if level > own else text
        if kind is gast.Starred:
            return "*" + self.expr(node.value, _EXPR)
        raise _Unsupported


def _items(texts: list) -> str:
    """ast.unparse's items_view: a one-item sequence gets a trailing comma."""
    return texts[0] + "," if len(texts) == 1 else ", ".join(texts)


def _constant(value) -> str:
    """ast.unparse's _write_constant."""
    if isinstance(value, (float, complex)):
        return repr(value).replace("inf", _INFINITY).replace("nan", f"({_INFINITY}-{_INFINITY})")
    return repr(value)
