"""emit: a generated ``gast.FunctionDef`` -> source text -> a live Python function.

The text is printed by the standard library (``gast`` -> ``ast`` -> ``ast.unparse``).
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
    # its name in Python's own errors (`dfdx() got an unexpected keyword argument 'b'`),
    # not `__tangentlike_factory__.<locals>.dfdx`
    func.__qualname__ = name
    if hasattr(func.__code__, "co_qualname"):   # (what those errors print, 3.11+)
        func.__code__ = func.__code__.replace(co_qualname=name)
    func.source = source
    return func
