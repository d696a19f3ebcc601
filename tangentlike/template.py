"""The template engine: derivative rules are real Python functions.

A rule is written as a function whose parameters are the primal's result followed by
the primal's arguments; keyword parameters with defaults are the supported keywords::

    @adjoint(np.tanh)
    def tanh(y, x):
        d[x] = d[y] * (1.0 - y * y)

``d[v]`` means "the derivative of v". Instantiating a template substitutes each
parameter by the expression bound to it in the user's code, each ``d[v]`` read by the
name of v's derivative, hands each ``d[v] = e`` to the caller (which decides between
a first write and an accumulation), renames the template's own temporaries to fresh
names, and folds ``if`` tests that are static once keyword values are known, so a
rule can specialise on ``axis=None`` without leaving the test in generated code.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import operator
import textwrap
import types
from typing import Any, Callable, Optional

import gast
import numpy as np

from .naming import CHILD_FIELDS, Transformer, contains, instances, locate, name_ids, walk
from .runtime import list_as_array, power, quotient
from .parse import LeaveToGast, to_gast, to_gast_in_place


def clone(node):
    """A deep copy of a syntax tree (fields copied, other attributes shared): much
    faster than copy.deepcopy, which the passes would otherwise spend most time in."""
    if isinstance(node, list):
        return [clone(n) for n in node]
    if not isinstance(node, gast.AST):
        return node
    if node.__class__ in _SHARED:
        return node
    new = node.__class__.__new__(node.__class__)
    attributes = new.__dict__
    attributes.update(node.__dict__)   # leaves (names, numbers, None) are shared
    for name in _COPIED_FIELDS[node.__class__]:
        value = attributes.get(name)
        if isinstance(value, list):
            attributes[name] = [clone(v) for v in value]
        elif isinstance(value, gast.AST):
            attributes[name] = clone(value)
    return new


def substituted(tree, values: dict, names: dict = None):
    """A copy of ``tree`` in which each read of a name of ``values`` is a copy of its
    expression, placed where the read was, and each name of ``names`` (read or
    written) is renamed: a helper's body written out for given arguments, or an
    expression compared with another for one value of a variable."""
    return _Substituted(values, names or {}).visit(clone(tree))


class _Substituted(Transformer):
    def __init__(self, values, names):
        self.values, self.names = values, names

    def visit_Name(self, node):
        if node.id in self.values and node.ctx.__class__ is gast.Load:
            value = clone(self.values[node.id])
            locate(value, node)
            return value
        if node.id in self.names:
            node.id = self.names[node.id]
        return node


class _CopiedFields(dict):
    """node class -> the fields a copy copies: ``CHILD_FIELDS`` but ``ctx`` and ``op``,
    which hold one context or operator, shared by the copies (see _SHARED) and so
    already in place. (A comparison's ``ops`` is a list: the copy gets its own.)"""

    def __missing__(self, kind):
        fields = self[kind] = tuple(f for f in CHILD_FIELDS[kind] if f not in ("ctx", "op"))
        return fields


_COPIED_FIELDS = _CopiedFields()


def _subclasses(base) -> set:
    return {kind for kind in vars(gast).values()
            if isinstance(kind, type) and issubclass(kind, base) and kind is not base}


# Contexts (Load, Store) and operators (Add, USub, ...): nodes without fields or
# attributes that no pass changes (they replace them), so copies share them.
_SHARED = frozenset().union(*(_subclasses(base) for base in (
    gast.expr_context, gast.operator, gast.unaryop, gast.boolop, gast.cmpop)))


class _Derivative:
    """``d[x]``: the derivative of ``x``. Only meaningful inside a rule template."""

    def __getitem__(self, name):
        raise RuntimeError("d[...] is a placeholder for rule templates; it is never evaluated")

    def __setitem__(self, name, value):
        raise RuntimeError("d[...] is a placeholder for rule templates; it is never evaluated")


d = _Derivative()


def constant(value) -> bool:
    """In a rule's ``if`` test: whether the user's code wrote this argument as a number
    (``x ** 3``). Decided when the rule is instantiated (static_value), so the test
    never reaches generated code; the constant branch may then fold the number into
    the formula. (Outside a template: whether ``value`` is a Python number.)"""
    return isinstance(value, (int, float)) and not isinstance(value, bool)

_NO_DEFAULT = inspect.Parameter.empty


class Template:
    """A parsed rule function: positional parameters, keyword defaults and body."""

    def __init__(self, func: Callable, positional: list, keywords: dict):
        self.func = func
        self.positional = positional   # result name first, then the primal's positional inputs
        self.keywords = keywords       # supported keyword -> default value
        self._body: Optional[list] = None
        self._read_names: Optional[set] = None

    def __repr__(self):
        name = getattr(self.func, "__qualname__", None) or repr(self.func)
        return f"Template({name}, {self.positional}, {self.keywords})"

    @classmethod
    def from_function(cls, func: Callable) -> "Template":
        positional, keywords = [], {}
        for name, default in _parameters(func):
            if default is _NO_DEFAULT:
                if keywords:
                    raise TypeError(f"rule {func.__name__}: required parameter after keywords")
                positional.append(name)
            else:
                keywords[name] = default
        return cls(func, positional, keywords)

    @property
    def body(self) -> list:
        """The template's statements, parsed on first use (keeps import cheap)."""
        if self._body is None:
            fdef = _definition(self.func)
            body = [s for s in fdef.body
                    if not (isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant))]
            if _names_the_placeholder_otherwise(self.func):
                _name_the_placeholder(body, self.func.__globals__)
            self._body = body
        return self._body

    @property
    def read_names(self) -> set:
        """Every name the template's body mentions (computed once)."""
        if self._read_names is None:
            self._read_names = set(name_ids(self.body))
        return self._read_names

    @property
    def names(self) -> list:
        return self.positional + list(self.keywords)

    @property
    def namespace(self) -> dict:
        return self.func.__globals__


def _parameters(func) -> list:
    """(name, default or _NO_DEFAULT) of each parameter of ``func``, in the order of
    ``inspect.signature(func).parameters``. A plain function's are read from its code
    object and defaults: every rule is registered at import, and inspect.signature
    would take about 4 ms of ``import tangentlike`` for them all."""
    code = getattr(func, "__code__", None)
    if not isinstance(func, types.FunctionType) or code is None \
            or "__wrapped__" in func.__dict__ or "__signature__" in func.__dict__:
        return [(p.name, p.default) for p in inspect.signature(func).parameters.values()]
    names, count = code.co_varnames, code.co_argcount
    defaults = func.__defaults__ or ()
    first_default = count - len(defaults)
    out = [(names[i], defaults[i - first_default] if i >= first_default else _NO_DEFAULT)
           for i in range(count)]
    kwonly = names[count:count + code.co_kwonlyargcount]
    rest = count + len(kwonly)
    if code.co_flags & inspect.CO_VARARGS:   # (*args comes before the keyword-only ones)
        out.append((names[rest], _NO_DEFAULT))
        rest += 1
    kwdefaults = func.__kwdefaults__ or {}
    out += [(name, kwdefaults.get(name, _NO_DEFAULT)) for name in kwonly]
    if code.co_flags & inspect.CO_VARKEYWORDS:
        out.append((names[rest], _NO_DEFAULT))
    return out


_parsed_files: dict = {}


def _definition(func) -> gast.FunctionDef:
    """The ``def`` of a rule. Its own lines are parsed when they parse alone (a tenth of
    a millisecond, where a whole rules module takes several); otherwise it is found in
    its whole module's syntax tree, parsed once by the standard library (inspect's block
    finder cuts some decorated functions short on Python 3.9). Only the one definition
    is converted to gast (in place when parsed alone: nothing else holds it)."""
    code = func.__code__
    lines = linecache.getlines(code.co_filename)
    if lines:
        node = _parsed_alone(func, lines)
        if node is not None:
            try:
                return to_gast_in_place(node)
            except LeaveToGast:   # (type parameters: parsed again, by gast)
                return gast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
        tree = _parsed_files.get(code.co_filename)
        if tree is None:
            tree = _parsed_files[code.co_filename] = ast.parse("".join(lines))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == func.__name__ and (
                    node.lineno == code.co_firstlineno
                    or any(d.lineno == code.co_firstlineno for d in node.decorator_list)):
                return to_gast(node)
    return gast.parse(textwrap.dedent(inspect.getsource(func))).body[0]


def _parsed_alone(func, lines) -> Optional[ast.FunctionDef]:
    """``func``'s ``def``, parsed on its own: the lines from the ``def`` after its
    decorators (which the rule does not need, and which take a third of the time to
    parse) up to the next line indented no deeper. None when that text is not exactly
    one definition of ``func`` (then the caller parses the whole module)."""
    start = func.__code__.co_firstlineno - 1
    if not 0 <= start < len(lines):
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    end, seen_def = start, False
    for end in range(start, len(lines) + 1):
        if end == len(lines):
            break
        text = lines[end]
        stripped = text.lstrip()
        if stripped and not stripped.startswith("#") and len(text) - len(stripped) <= indent:
            if seen_def:
                break
            seen_def = stripped.startswith(("def ", "async def "))
            if seen_def:
                start = end
    try:   # (blank lines first: the nodes get their lines in the file, without a walk)
        text = "".join(lines[start:end])
        tree = ast.parse("\n" * start + (textwrap.dedent(text) if indent else text))
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef) \
            or tree.body[0].name != func.__name__:
        return None
    return tree.body[0]


def _name_the_placeholder(body: list, namespace: dict) -> None:
    """``tl.d[x]`` (or ``D[x]`` after ``from tangentlike import d as D``) in a user's
    rule is ``d[x]``: the placeholder reached by another name (in place)."""
    for node in walk(body):
        if not isinstance(node, gast.Subscript):
            continue
        value = node.value
        if isinstance(value, gast.Name) and value.id != "d":
            found = namespace.get(value.id)
        elif isinstance(value, gast.Attribute) and value.attr == "d" \
                and isinstance(value.value, gast.Name):
            found = getattr(namespace.get(value.value.id), "d", None)
        else:
            continue
        if found is d:
            node.value = gast.Name(id="d", ctx=gast.Load(), annotation=None, type_comment=None)


def _names_the_placeholder_otherwise(func) -> bool:
    """Whether a global name ``func``'s code reads (its own or that of the code inside
    it) may reach the placeholder by another name than ``d``: is it (``D``), or holds it
    as ``.d`` (``tl.d``; an attribute that cannot be read counts as one). The library's
    rules write ``d[x]``: their bodies need no walk (_name_the_placeholder, 0.2 ms on
    the first derivation of a process for the dozen rules of a 20-line function)."""
    namespace, names, codes = func.__globals__, set(), [func.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    if any(name != "d" and namespace.get(name) is d for name in names):
        return True
    if "d" not in names:
        return False
    for name in names:
        try:
            if getattr(namespace.get(name), "d", None) is d:
                return True
        except Exception:   # (an object whose attributes cannot be read)
            return True
    return False


def is_derivative(node) -> Optional[str]:
    """The parameter name ``v`` if ``node`` is ``d[v]``, else None."""
    if (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name)
            and node.value.id == "d" and isinstance(node.slice, gast.Name)):
        return node.slice.id
    return None


def instantiate(template: Template, bind: dict, dname: Callable[[str], Optional[gast.expr]],
                write: Callable[[str, gast.expr], list], fresh: Callable[[str], str],
                global_name: Callable[[str, Any], str],
                simplify: Callable[[gast.expr], gast.expr] = None) -> list:
    """Expand ``template`` into statements.

    bind: parameter -> expression of the user's code (a Name or a Constant).
    dname(param): the expression that holds d[param] when read, or None if unknown.
    write(param, expr): the statements that add ``expr`` to d[param]; [] drops it.
    fresh(hint): a new unused name for a template temporary.
    global_name(name, obj): the name under which the generated code reaches a global.
    simplify(expr): applied to every computed value (tangent rules drop zeros with it);
        a temporary that simplifies to the zero placeholder is zero where it is read.
    """
    simplify = simplify or _unchanged
    body = _fold_static(template.body, bind, template.namespace)   # what the bindings keep
    local_names = {}
    out = []
    # a copy of a template's node, substituted (the template's own nodes stay as they are)
    substitute = _Substitute(set(template.names), bind, dname, local_names, fresh,
                             global_name, template.namespace).copy

    body = list(body)
    while body:
        stmt = body.pop(0)
        if isinstance(stmt, gast.If) and simplify is not _unchanged:
            # a test the shapes decide (``np.ndim(b) == 1`` of a vector in a version):
            # the branch taken, as if the template had only it
            test = simplify(substitute(stmt.test))
            value = static_value(test, {}) if isinstance(test, gast.Compare) and all(
                isinstance(n, (gast.Constant, gast.Compare, gast.cmpop))
                for n in walk(test)) else _UNKNOWN
            if value is not _UNKNOWN:
                body[:0] = stmt.body if value else stmt.orelse
                continue
        if isinstance(stmt, gast.If):
            # A test only known at run time: each branch computes the contributions
            # into temporaries (0.0 where a branch has none), written once after it.
            contributions = {}
            stmt = clone(stmt)   # its writes are rewritten in place
            _lift_writes(stmt, contributions, fresh)
            local_names.update({n: n for n in contributions.values()})
            stmt = substitute(stmt)
            for node in walk(stmt):
                if isinstance(node, gast.Assign):
                    node.value = simplify(node.value)
                    if is_zero(node.value):
                        node.value = gast.Constant(value=0.0, kind=None)
            out.append(stmt)
            for param, name in contributions.items():
                out.extend(write(param, gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                                  type_comment=None)))
            continue
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            param = is_derivative(target)
            if param is not None:
                out.extend(write(param, simplify(substitute(stmt.value))))
                continue
            if isinstance(target, gast.Name):
                value = simplify(substitute(stmt.value))
                if is_zero(value):
                    local_names[target.id] = ZERO_NAME
                    continue
                local_names[target.id] = fresh(target.id)
                stmt = _copy_node(stmt)
                stmt.value = value
                stmt.targets = [gast.Name(id=local_names[target.id], ctx=gast.Store(),
                                          annotation=None, type_comment=None)]
                out.append(stmt)
                continue
        out.append(substitute(stmt))
    if any(getattr(value, "from_default", False) for value in bind.values()):
        for stmt in out:
            _drop_default_keywords(stmt, template.namespace)
    return out


def _copy_node(node):
    """A new node with the same fields and attributes (the children are shared)."""
    new = node.__class__.__new__(node.__class__)
    new.__dict__.update(node.__dict__)
    return new


def _drop_default_keywords(tree, namespace):
    """``np.sum(g, axis=None)`` -> ``np.sum(g)``: a keyword the user did not pass whose
    value is also the called function's own default."""
    for node in instances(tree, gast.Call):
        if node.keywords:
            node.keywords = [k for k in node.keywords
                             if not (getattr(k.value, "from_default", False)
                                     and _default_of(node.func, k.arg, namespace) == k.value.value)]


_NO_VALUE = object()


def _default_of(func, keyword, namespace):
    path = []
    while isinstance(func, gast.Attribute):
        path.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name) or func.id not in namespace:
        return _NO_VALUE
    obj = namespace[func.id]
    for attr in reversed(path):
        obj = getattr(obj, attr, None)
    try:
        param = inspect.signature(obj).parameters.get(keyword)
    except (TypeError, ValueError):
        return _NO_VALUE
    if param is None or param.default is inspect.Parameter.empty:
        return _NO_VALUE
    return param.default


def _lift_writes(stmt, names: dict, fresh) -> set:
    """Turn ``d[p] = e`` inside ``stmt`` into ``c_p = e``; pad branches with 0.0."""
    if isinstance(stmt, gast.Assign):
        param = is_derivative(stmt.targets[0])
        if param is None:
            return set()
        names.setdefault(param, fresh("c" + param))
        stmt.targets = [gast.Name(id=names[param], ctx=gast.Store(), annotation=None,
                                  type_comment=None)]
        return {param}
    if not isinstance(stmt, gast.If):
        return set()
    branches = [stmt.body, stmt.orelse]
    written = [set().union(*[_lift_writes(s, names, fresh) for s in b]) for b in branches]
    every = written[0] | written[1]
    for branch, done in zip(branches, written):
        for param in sorted(every - done):
            branch.append(gast.Assign(
                targets=[gast.Name(id=names[param], ctx=gast.Store(), annotation=None,
                                   type_comment=None)],
                value=gast.Constant(value=0.0, kind=None), type_comment=None))
    return every


class _Substitute:
    """Copies of a template's nodes in which parameters become their bindings, ``d[v]``
    reads the expression ``dname(v)``, the template's temporaries get fresh names and
    its globals the names the generated code reaches them by. Copying and substituting
    is one pass (as ``clone`` then an in-place rewrite would be, in the same order)."""

    def __init__(self, params, bind, dname, local_names, fresh, global_name, namespace):
        self.params, self.bind, self.dname = params, bind, dname
        self.local_names, self.fresh = local_names, fresh
        self.global_name, self.namespace = global_name, namespace

    def copy(self, node):
        kind = node.__class__
        if kind is gast.Name:
            return self.name(node)
        if kind is gast.Subscript:
            param = is_derivative(node)
            if param is not None:
                expr = self.dname(param)
                if expr is None:
                    raise ValueError(f"template reads d[{param}], which is not available")
                return clone(expr)
        new = kind.__new__(kind)
        attributes = new.__dict__
        attributes.update(node.__dict__)   # leaves (names, numbers, None) are shared
        AST, copy = gast.AST, self.copy
        for name in _COPIED_FIELDS[kind]:   # (contexts and operators shared, as clone does)
            value = attributes.get(name)
            if isinstance(value, list):
                attributes[name] = [copy(v) if isinstance(v, AST) else v for v in value]
            elif isinstance(value, AST):
                attributes[name] = copy(value)
        return new

    def name(self, node):
        name = node.id
        if name in self.params:
            return clone(self.bind[name])
        local = self.local_names
        if name in local:
            if local[name] == ZERO_NAME:
                return zero()
            name = local[name]
        elif isinstance(node.ctx, gast.Store):
            local[name] = self.fresh(name)
            name = local[name]
        elif name in self.namespace:
            name = self.global_name(name, self.namespace[name])
        new = clone(node)
        new.id = name
        return new


def _unchanged(expr):
    return expr


def _fold_static(body: list, bind: dict, namespace: dict = None) -> list:
    """``body`` without the ``if`` statements whose test is known from constant
    bindings (the branch taken stays). ``body`` is left as it is: an ``if`` that stays
    is a new node sharing the unchanged parts."""
    out = []
    for stmt in body:
        if isinstance(stmt, gast.If):
            value = static_value(stmt.test, bind, namespace)
            if value is not _UNKNOWN:
                out.extend(_fold_static(stmt.body if value else stmt.orelse, bind, namespace))
                continue
            kept = gast.If(test=stmt.test, body=_fold_static(stmt.body, bind, namespace),
                           orelse=_fold_static(stmt.orelse, bind, namespace))
            stmt = gast.copy_location(kept, stmt)
        out.append(stmt)
    return out


_UNKNOWN = object()


# what a rule's test may call or read when deciding it at derivation time: questions
# about a dtype, which a constant binding (``astype(x, 'float32')``) answers
_STATIC_CALLS = (np.issubdtype, np.dtype)


def _static_global(node, namespace):
    """The object a test's ``np.issubdtype`` or ``np.inexact`` names, if it may be
    evaluated at derivation time (NumPy's type hierarchy and dtype questions), else
    _UNKNOWN."""
    if namespace is None:
        return _UNKNOWN
    if isinstance(node, gast.Name):
        obj = namespace.get(node.id, _UNKNOWN)
        return obj if obj is np else _UNKNOWN
    if isinstance(node, gast.Attribute):
        base = _static_global(node.value, namespace)
        if base is not np:
            return _UNKNOWN
        obj = getattr(np, node.attr, _UNKNOWN)
        if obj in _STATIC_CALLS or isinstance(obj, type) and issubclass(obj, np.generic):
            return obj
    return _UNKNOWN


def static_value(expr, bind: dict, namespace: dict = None) -> Any:
    """Evaluate ``expr`` if it only reads constants (after binding), else _UNKNOWN.
    With the rule's ``namespace``, it may also ask NumPy about dtypes
    (``np.issubdtype(dtype, np.inexact)`` of a constant dtype).

    ``a is b`` between two parameters is decided by their bindings: true when both are
    the same variable of the user's code (``x * x``), false otherwise (a rule's ``else``
    branch must then be the general formula, right even if two variables alias).
    ``constant(y)`` is decided by its binding: true when the user wrote a number."""
    if (isinstance(expr, gast.Compare) and len(expr.ops) == 1
            and isinstance(expr.ops[0], (gast.Is, gast.IsNot))
            and isinstance(expr.left, gast.Name) and isinstance(expr.comparators[0], gast.Name)
            and expr.left.id in bind and expr.comparators[0].id in bind):
        a, b = bind[expr.left.id], bind[expr.comparators[0].id]
        same = isinstance(a, gast.Name) and isinstance(b, gast.Name) and a.id == b.id
        return same if isinstance(expr.ops[0], gast.Is) else not same
    if (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name)
            and namespace is not None and namespace.get(expr.func.id) is constant
            and len(expr.args) == 1 and not expr.keywords
            and isinstance(expr.args[0], gast.Name) and expr.args[0].id in bind):
        return isinstance(bind[expr.args[0].id], gast.Constant)
    if isinstance(expr, gast.BoolOp):
        # decided as soon as a known operand ends it (``axis is None and ord is None``
        # with an axis of 0 and an ord the code computes: false)
        stop = isinstance(expr.op, gast.Or)
        for operand in expr.values:
            value = static_value(operand, bind, namespace)
            if value is _UNKNOWN or bool(value) is stop:
                return value
        return value
    env = {}
    asks_numpy = False
    for node in walk(expr):
        if isinstance(node, gast.Call):
            if _static_global(node.func, namespace) not in _STATIC_CALLS or node.keywords:
                return _UNKNOWN
            asks_numpy = True
        elif isinstance(node, gast.Attribute):
            if _static_global(node, namespace) is _UNKNOWN:
                return _UNKNOWN
        elif isinstance(node, gast.Name):
            if node.id not in bind and _static_global(node, namespace) is np:
                env[node.id] = np
                continue
            bound = bind.get(node.id)
            if not isinstance(bound, gast.Constant):
                return _UNKNOWN
            env[node.id] = bound.value
        elif isinstance(node, (gast.Subscript, gast.Lambda)):
            return _UNKNOWN
    if asks_numpy:
        try:
            return bool(eval(_compiled(expr), {"__builtins__": {}}, env))
        except (TypeError, ValueError):   # (not a dtype: decided when it runs)
            return _UNKNOWN
    value = _evaluated(expr, env)
    if value is not _UNKNOWN:
        return value
    return eval(_compiled(expr), {"__builtins__": {}}, env)


def _compiled(expr):
    """The code of a template's test, compiled once."""
    code = getattr(expr, "compiled", None)
    if code is None:
        tree = gast.Expression(body=clone(expr))
        code = compile(gast.gast_to_ast(gast.fix_missing_locations(tree)), "<rule>", "eval")
        expr.compiled = code
    return code


_COMPARE = {gast.Is: operator.is_, gast.IsNot: operator.is_not, gast.Eq: operator.eq,
            gast.NotEq: operator.ne}


def _evaluated(expr, env: dict) -> Any:
    """The value of a test made of names in ``env``, constants, ``is``, ``is not``,
    ``==``, ``!=`` (one each), ``and``, ``or`` and ``not``, as Python evaluates it
    (``axis is None or keepdims``, the usual tests of rules: compiling each one costs
    more than deriving its statement); _UNKNOWN for any other expression."""
    kind = expr.__class__
    if kind is gast.Name:
        return env[expr.id]
    if kind is gast.Constant:
        return expr.value
    if kind is gast.Compare:
        compare = _COMPARE.get(expr.ops[0].__class__)
        if compare is None or len(expr.ops) != 1:
            return _UNKNOWN
        left = _evaluated(expr.left, env)
        right = left if left is _UNKNOWN else _evaluated(expr.comparators[0], env)
        return _UNKNOWN if right is _UNKNOWN else compare(left, right)
    if kind is gast.UnaryOp and expr.op.__class__ is gast.Not:
        value = _evaluated(expr.operand, env)
        return value if value is _UNKNOWN else not value
    if kind is gast.BoolOp:
        values = [_evaluated(v, env) for v in expr.values]   # (constants: no effects)
        if any(value is _UNKNOWN for value in values):
            return _UNKNOWN
        stop = expr.op.__class__ is gast.Or   # the first true value ends an `or`
        for value in values[:-1]:
            if bool(value) is stop:
                return value
        return values[-1]
    return _UNKNOWN


# -- zeros in tangent templates --------------------------------------------------------
ZERO_NAME = "__tangentlike_zero__"


def zero() -> gast.Name:
    """The placeholder for ``d[x]`` of an ``x`` that carries no derivative."""
    return gast.Name(id=ZERO_NAME, ctx=gast.Load(), annotation=None, type_comment=None)


def is_zero(node) -> bool:
    return isinstance(node, gast.Name) and node.id == ZERO_NAME


def _has_zero(node) -> bool:
    return any(is_zero(n) for n in walk(node))


def drop_zeros(expr, tangent_names: set):
    """Simplify an expression that is linear in tangents, some of them zero.

    ``z + 0 -> z``, ``0 * a -> 0``, ``f(0) -> 0`` when all of ``f``'s tangent arguments
    are zero, otherwise the zero becomes the constant ``0.0``. Returns the simplified
    expression (possibly the zero placeholder itself).
    """
    if not _has_zero(expr):
        return expr
    return _DropZeros(tangent_names).visit(expr)


class _DropZeros(Transformer):
    def __init__(self, tangent_names):
        self.tangent_names = tangent_names

    def carries_tangent(self, node) -> bool:
        return any(is_zero(n) or (isinstance(n, gast.Name) and n.id in self.tangent_names)
                   for n in walk(node))

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = is_zero(node.left), is_zero(node.right)
        if isinstance(node.op, gast.Add):
            if left:
                return node.right
            if right:
                return node.left
        elif isinstance(node.op, gast.Sub):
            if right:
                return node.left
            if left:
                return gast.UnaryOp(op=gast.USub(), operand=node.right)
        elif isinstance(node.op, (gast.Mult, gast.MatMult)):
            if left or right:
                return zero()
        elif isinstance(node.op, (gast.Div, gast.FloorDiv)):
            if left:
                return zero()
        if left or right:
            return _as_constant_zero(node)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        return zero() if is_zero(node.operand) else node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        return zero() if is_zero(node.value) else node

    def visit_Call(self, node):
        self.generic_visit(node)
        args = list(node.args) + [k.value for k in node.keywords]
        carrying = [a for a in args if self.carries_tangent(a)]
        if carrying and all(is_zero(a) for a in carrying):
            return zero()
        return _as_constant_zero(node)


def _as_constant_zero(node):
    """Replace remaining zero placeholders directly below ``node`` by ``0.0``."""
    for name, value in gast.iter_fields(node):
        if is_zero(value):
            setattr(node, name, gast.Constant(value=0.0, kind=None))
        elif isinstance(value, list):
            setattr(node, name, [gast.Constant(value=0.0, kind=None) if is_zero(v) else v
                                 for v in value])
    for kw in getattr(node, "keywords", []) or []:
        if is_zero(kw.value):
            kw.value = gast.Constant(value=0.0, kind=None)
    return node


# -- Python numbers at the edges ----------------------------------------------------------
_NUMPY_RESULTS = ("where", "sum", "mean", "prod", "dot", "asarray", "array", "full",
                  "zeros", "ones", "zeros_like", "ones_like", "expand_dims", "reshape")


def reads_arrays(callee) -> bool:
    """Whether ``callee`` is a NumPy function (a ufunc, or one of NumPy's modules), or a
    helper of the library marked ``reads_arrays`` (rules.arithmetic.logistic), which
    reads a list or tuple of numbers as an array."""
    return isinstance(callee, np.ufunc) or \
        str(getattr(callee, "__module__", None) or "").startswith("numpy") or \
        getattr(callee, "reads_arrays", False) is True


def list_reader(callee, inputs) -> tuple:
    """How the derivative of ``callee`` reads a name that may hold a list or tuple of
    numbers the caller gave (list_safe), and which of its ``inputs`` may be one (None:
    any): ``np.asarray`` for a NumPy function, any input; None where it need not. For
    ``**`` (and ``pow``) ``list_as_array``, the exponent only: Python has no power of a
    list, so a ``b ** xs`` that ran is NumPy's (a NumPy float or array ``b``) and its
    derivative's ``xs - 1`` must read the list as an array, while a Python float
    exponent stays one; a list base reaches the rule only through ``scaled_power``,
    which reads it, as ``xs ** 2`` raised in ``f``. ``list_as_array`` too for the second
    operand of ``-``, whose tangent is negated alone where the first has none. (The
    other operators' rules read an operand only beside the adjoint or tangent.)"""
    if reads_arrays(callee):
        return np.asarray, None
    if callee is operator.pow or callee is pow or callee is power:
        exponent = inputs[1] if len(inputs) > 1 else None
        names = (exponent.id,) if exponent.__class__ is gast.Name else ()
        return list_as_array, names
    if callee is operator.sub and len(inputs) == 2:
        # (`w - xs` of an array w: the tangent `-dxs` of the caller's list where w has none)
        names = (inputs[1].id,) if inputs[1].__class__ is gast.Name else ()
        return list_as_array, names
    return None, ()


def list_safe(expr, may_be_list: Callable[[str], bool], asarray_name: str,
              tangents: frozenset = frozenset()):
    """``expr`` (a NumPy rule's derivative expression) with each name that
    ``may_be_list`` (a parameter, which may hold the list ``[0.3, 0.6]``) and that is an
    operand of an operator written ``asarray(x)``: NumPy reads a list given to it as an
    array, but ``1.0 + x`` of a list fails (and ``x * 2`` would repeat it). Arrays and
    numbers known as such in a version keep the plain name. ``tangents``: names of
    such lists' tangents (forward mode), which a tangent rule also indexes with NumPy's
    indices (``dx[sort_index(x)]``) or reads an attribute of: there too they are
    written ``asarray(dx)``."""
    def unsafe(node):
        if node.__class__ in (gast.Subscript, gast.Attribute):
            return node.value.__class__ is gast.Name and node.value.id in tangents
        return any(n.__class__ is gast.Name and may_be_list(n.id)
                   for n in _operands(node))
    kinds = (gast.BinOp, gast.UnaryOp, gast.Compare)
    if tangents:
        kinds += (gast.Subscript, gast.Attribute)
    if not contains(expr, kinds, unsafe):
        return expr
    return _ListSafe(may_be_list, asarray_name, tangents).visit(expr)


def _operands(node):
    if node.__class__ is gast.BinOp:
        return (node.left, node.right)
    if node.__class__ is gast.UnaryOp:
        return (node.operand,)
    return [node.left] + list(node.comparators)


class _ListSafe(Transformer):
    def __init__(self, may_be_list, asarray_name, tangents):
        self.may_be_list, self.asarray_name = may_be_list, asarray_name
        self.tangents = tangents

    def as_array(self, node):
        if node.__class__ is gast.Name and self.may_be_list(node.id):
            return gast.Call(func=gast.Name(id=self.asarray_name, ctx=gast.Load(),
                                            annotation=None, type_comment=None),
                             args=[node], keywords=[])
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        node.left, node.right = self.as_array(node.left), self.as_array(node.right)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        node.operand = self.as_array(node.operand)
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        node.left = self.as_array(node.left)
        node.comparators = [self.as_array(c) for c in node.comparators]
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if node.value.__class__ is gast.Name and node.value.id in self.tangents:
            node.value = self.as_array(node.value)
        return node

    visit_Attribute = visit_Subscript


def python_number_safe(expr, is_array: Callable[[gast.expr], bool], np_name: str,
                       global_name: Callable[[str, Any], str],
                       nonzero: Callable[[gast.expr], bool] = lambda node: False):
    """``expr`` (a rule's derivative expression) with each division, and each power
    whose exponent is not a constant >= 0, written ``quotient(a, b)`` / ``power(x, y)``
    (runtime.py) where both operands may be Python numbers: there Python raises at the
    edges (``0.0 / 0.0``, ``0.0 ** -0.5``) where NumPy gives inf or nan, and gives a
    complex number for a negative base to a fractional power (``(-2.0) ** 0.5``) where
    NumPy gives nan. An operand that is an array (``is_array``, known from its shape
    class in a specialized version) or the result of a NumPy function keeps the plain
    operator, which is what a hand-written gradient would write, and so does a division
    by a number known not to be zero (``nonzero``: a size in a version). (A constant
    integer exponent >= 0 cannot raise where the primal, with a larger one, did not.)"""
    if not contains(expr, gast.BinOp, _divides_or_raises):
        return expr
    return _PythonNumberSafe(is_array, np_name, global_name, nonzero).visit(expr)


def _divides_or_raises(node) -> bool:
    return isinstance(node.op, (gast.Div, gast.Pow))


class _PythonNumberSafe(Transformer):
    def __init__(self, is_array, np_name, global_name, nonzero):
        self.is_array, self.np_name, self.global_name = is_array, np_name, global_name
        self.nonzero = nonzero

    def numpy_valued(self, node) -> bool:
        """Whether ``node`` is surely a NumPy value (an array or a NumPy scalar)."""
        if isinstance(node, gast.Call):
            func = node.func
            if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                    and func.value.id == self.np_name:
                target = getattr(np, func.attr, None)
                return isinstance(target, np.ufunc) or func.attr in _NUMPY_RESULTS
            return False
        if isinstance(node, gast.BinOp) and isinstance(
                node.op, (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)):
            return self.numpy_valued(node.left) or self.numpy_valued(node.right)
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
            return self.numpy_valued(node.operand)
        return self.is_array(node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        right = node.right
        constant = _constant(right)
        if isinstance(node.op, gast.Div):
            if constant is not None and constant != 0 or self.nonzero(right):
                return node
            helper = quotient
        elif isinstance(node.op, gast.Pow):
            if constant is not None and constant >= 0 and float(constant).is_integer():
                return node
            helper = power
        else:
            return node
        if self.numpy_valued(node.left) or self.numpy_valued(right):
            return node
        return gast.Call(func=gast.Name(id=self.global_name(helper.__name__, helper),
                                        ctx=gast.Load(), annotation=None, type_comment=None),
                         args=[node.left, right], keywords=[])


def _constant(node):
    """The value of a number written with constants (``3 - 1``, ``-0.5``), or None."""
    if isinstance(node, gast.Constant):
        value = node.value
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and value == value else None
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        value = _constant(node.operand)
        return None if value is None else -value if isinstance(node.op, gast.USub) else value
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub, gast.Mult)):
        left, right = _constant(node.left), _constant(node.right)
        if left is None or right is None:
            return None
        value = left + right if isinstance(node.op, gast.Add) else \
            left - right if isinstance(node.op, gast.Sub) else left * right
        return value if value == value else None
    return None
