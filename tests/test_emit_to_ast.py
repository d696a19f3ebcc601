"""emit.to_ast gives the tree gast.gast_to_ast gives (with emit's two printing fixes),
and emit's own printer the text ast.unparse gives of that tree, for hand-written code
of many forms and for the generated derivatives of the golden functions."""
import ast
import copy
import types

import gast
import golden_functions as gf
import numpy as np
import pytest

import tangentlike as tl
from tangentlike import emit, pipeline

SOURCE = '''
async def g(a, /, b: int = 2, *args, c=-3, d, **kw) -> float:
    """doc"""
    async with a as (x, y):
        pass
    async for i in b:
        await i
    return -1.5 ** 2


@decorator(1)
def f(x, y=-1.0, *, z=None):
    global q
    a = x * -2.0 + y
    a += 1
    b: int = 3
    c = [x, y, {1.5: a, **{}}, {1, 2}, (3,), -x, not x, ~x]
    d = x[1:-2:3, ..., None] if a > 0 else x[::2]
    e = [i for i in c if i] + list((j for j in c)) + [{k: v for k, v in c}, {i for i in c}]
    f = lambda u, *w, v=-1: u + v
    print(f"{a!r:>{b}} {c}", end="")
    del c[0]
    while a < 10 and not b or c:
        a = a + 1
        if a == 5:
            break
        elif a in c or a is not None:
            continue
    else:
        pass
    for i, j in zip(x, y):
        with open(i) as h, open(j):
            yield from h
    try:
        raise ValueError("x") from None
    except (TypeError, ValueError) as error:
        assert error, "message"
    except Exception:
        pass
    else:
        pass
    finally:
        pass
    class K(object, metaclass=type):
        attribute = -2
    x @= y
    return (a, b), x.T, -(-0.5) ** 2, -True, *c


def h(x, y=1.0, *, z, w=2):
    nonlocal_free = [x for x in range(3)]
    return x if y else -1
'''


def _reference(tree):
    """gast's conversion, then emit's fixes: negative numbers as negations, a line
    number on every statement."""
    out = gast.gast_to_ast(tree)
    for node in ast.walk(out):
        if isinstance(node, ast.stmt) and getattr(node, "lineno", None) is None:
            node.lineno = 1
        for field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if isinstance(item, ast.Constant) and isinstance(item.value, (int, float)) \
                        and not isinstance(item.value, bool) and item.value < 0:
                    negation = ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-item.value))
                    if isinstance(value, list):
                        value[i] = negation
                    else:
                        setattr(node, field, negation)
    return out


def _same(tree, to_ast=emit.to_ast):
    converted = to_ast(tree)
    assert ast.dump(converted) == ast.dump(_reference(tree))
    assert all(isinstance(n.lineno, int) for n in ast.walk(converted)
               if isinstance(n, ast.stmt))


def test_hand_written_forms():
    tree = gast.parse(SOURCE)
    tree.body[0].body.append(gast.Expr(value=gast.Constant(value=-7, kind=None)))  # no lineno
    _same(tree)


def _fresh(f):
    """A copy of ``f`` that no cache has seen."""
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


X = np.array([0.5, -1.0, 2.0])
M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


@pytest.mark.parametrize("derive, args", [
    (lambda: tl.grad(_fresh(gf.tanh_sum)), (X,)),
    (lambda: tl.grad(_fresh(gf.reassigned)), (X,)),
    (lambda: tl.grad(_fresh(gf.mean_over_axis)), (M,)),
    (lambda: tl.grad(_fresh(gf.loop_with_branch)), (0.5, 3)),
    (lambda: tl.grad(_fresh(gf.calls_helper)), (X,)),
    (lambda: tl.vjp(_fresh(gf.elementwise_product), wrt=(0, 1)), (X, X, X)),
    (lambda: tl.jvp(_fresh(gf.tanh_sum)), (X, X)),
    (lambda: tl.grad(tl.grad(_fresh(gf.cubic))), (0.5,)),
    (lambda: tl.grad(_fresh(gf.scaled_with_default)), (0.5,))])
def test_generated_derivatives(derive, args, monkeypatch):
    seen = []
    original = emit.to_source

    def checked(fdefs, filename):
        for tree in fdefs:
            seen.append(tree)
            _same(tree)
        _printed_alike(fdefs, filename)
        return original(fdefs, filename)
    monkeypatch.setattr(pipeline, "to_source", checked)
    derive()(*args)   # the generic derivative, then the version for these arguments
    assert seen


# Forms emit's printer prints itself (the others go to ast.unparse: SOURCE above).
PRINTED = '''
def f(x, y=-1.0, *, z=None, w=(1, -2.5), v=(3,)):
    a = x * -2.0 + y
    a += 1
    b, c = (x, y)
    c = [x, y, (3,), (), -x, not x, ~x, +x, -(-0.5) ** 2, (-2) ** -1, 2 ** 3 ** 4, (2 ** 3) ** 4]
    d = x[1:-2:3, ..., None] if a > 0 else x[::2]
    d = x[(1, 2)], x[:, 0], x[()], x[a:], x[:b], x[i,], x[-1]
    e = (a if b else c) if (d if a else b) else (0 if 1 else 2)
    f = a - (b - c) - d, a / (b * c), a * (b / c), (a @ b).T, -a.T, (-a).T, 1 .real, (-1).real
    g = a < b < c, (a < b) < c, a is not b, a not in b, not a == b, (not a) == b, a == (not b)
    h = a and b or c, a and (b or c), (a or b) and c, not (a and b), a or b or c
    print(*c, end='', **d), f(x)(y)[z].w, (a + b)(c), 1e309, -1e309, float('nan'), 'it\\'s', u'x'
    if a:
        pass
    elif b:
        return
    elif c:
        return (a, b)
    else:
        raise ValueError('no') from None
    if a:
        pass
    else:
        if b:
            pass
        x = 1
    for i, j in zip(x, y):
        while a < 10 and (not b or c):
            a = a + 1
            if a == 5:
                break
            continue
        else:
            pass
    else:
        raise
    with no_grad(), open(x) as (p, q):
        return a, b


def g():
    return -1
'''


def _printed_alike(fdefs, filename="<test>"):
    fdefs = copy.deepcopy(fdefs)
    comments = []
    trees = [emit._with_comments(f, filename, comments) for f in fdefs]
    printed = emit._Printer(comments).module(trees)
    unparsed = ast.unparse(ast.Module(body=[emit.to_ast(t) for t in trees], type_ignores=[]))
    lines = []
    for line in unparsed.splitlines():
        m = emit._MARKER_RE.match(line)
        lines.append(m.group(1) + comments[int(m.group(2))] if m else line)
    assert printed == "\n".join(lines) + "\n"


def test_printer_prints_what_ast_unparse_prints():
    tree = gast.parse(PRINTED)
    _printed_alike(tree.body)
    for fdef in tree.body:
        for node in gast.walk(fdef):
            if isinstance(node, gast.Constant) and node.value == 1e309:   # (parsed: inf)
                assert node.value == float("inf")


def test_printer_leaves_other_forms_to_ast_unparse():
    with pytest.raises(emit._Unsupported):
        emit._Printer([]).module(gast.parse(SOURCE).body[:1])
    text = emit.to_source(gast.parse(SOURCE).body[1:2], "<test>")
    assert text == ast.unparse(emit.to_ast(gast.parse(SOURCE).body[1])) + "\n"
