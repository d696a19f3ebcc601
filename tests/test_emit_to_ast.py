"""emit.to_ast gives the tree gast.gast_to_ast gives (with emit's two printing fixes),
for hand-written code of many forms and for the generated derivatives of the golden
functions; emit's own printer writes the text ast.unparse writes of that tree."""
import ast
import types

import gast
import golden_functions as gf
import numpy as np
import pytest

import tangentlike as tl
from tangentlike import emit

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
    """to_ast converts each generated function as gast does, and emit's printer gives the
    text ast.unparse gives of it (comments included)."""
    import copy
    seen = []
    original = emit._Printer.function

    def checked(printer, tree):
        seen.append(tree)
        _same(copy.deepcopy(tree))
        text = original(printer, tree)
        assert text == emit.unparsed([copy.deepcopy(tree)], printer.comments)
        return text
    monkeypatch.setattr(emit._Printer, "function", checked)
    derive()(*args)   # the generic derivative, then the version for these arguments
    assert seen


def _functions(tree):
    for node in gast.walk(tree):
        if isinstance(node, gast.FunctionDef):
            yield node


def _printed_both_ways(fdef):
    """(emit._Printer's text or None when it leaves the function to ast.unparse, the
    standard library's text)."""
    import copy
    try:
        fast = emit._Printer([]).function(copy.deepcopy(fdef))
    except emit._Unprintable:
        fast = None
    return fast, emit.unparsed([copy.deepcopy(fdef)], [])


EXPRESSIONS = '''
def forms(a, b=-1.5, /, c=2, *args, d, e=-3, **kw):
    x = -a ** 2 + (-a) ** 2 - a ** -b - (a - b) - (a ** b) ** c + a ** b ** c
    x = a @ b.T @ (a + b).T * (a / b) / (a * b) // c % d
    x = -(-a) + +a - ~a + (not a) + -(a * b) + (-1) ** 2 + -1 ** 2 + 1 .real + (-1).real
    x = a if b else c if d else e
    x = (a if b else c) if d else (a, b) if e else a
    x = not a and b or c and (d or e) and not (a and b)
    x = a < b <= c == d != e is a is not b in c not in d
    x = (a < b) + (a < b < c) * (not a) + (a and b) * (a or b)
    x = f(a, b, c) + f(a, k=b, **kw) + f()(a)[b](c).d
    x = a[1:2, ::3, :b, c:, :], a[()], a[(1, 2)], a[1,], a[...], a[-1:-2:-1]
    x = (), (1,), (1, 2), [], [1], [1, (2, 3)], ((1, 2),)
    a, b = c, d = x
    (a, b), c = x
    for i, (j, k) in x:
        pass
    for (i) in x:
        continue
    else:
        break
    x += -1
    x[0] -= a, b
    x.y *= (a, b)
    x = 1e400, -1e400, float('nan'), 0.0, -0.0, 1j, -1j, 1 + 2j, True, None, ..., b'x'
    x = 'a\\nb', "it's", 'say "hi"', u'x', '\\x0c\\u2028', 10 ** 400, -10 ** 400
    x = a.b.c, True .real, (1.5).real, 'x'.join, [].count, ().count
    (a, b)
    a, b
    -a
    f(a)
    while a:
        if a:
            pass
        elif b:
            pass
        elif c:
            pass
        else:
            return
        if a:
            pass
        else:
            if b:
                pass
            x = 1
    return a, b
'''


def test_the_printer_writes_what_ast_unparse_writes():
    """emit._Printer (the fast printer of derivatives) gives ast.unparse's text, on this
    Python, for every function of tangentlike's and its tests' own source that it
    prints, and for a function of many forms written for it."""
    import pathlib
    root = pathlib.Path(__file__).parent.parent
    printed = 0
    sources = [EXPRESSIONS] + [path.read_text() for path in sorted(
        (root / "tangentlike").rglob("*.py")) + sorted((root / "tests").glob("*.py"))]
    for source in sources:
        for fdef in _functions(gast.parse(source)):
            fast, slow = _printed_both_ways(fdef)
            if fast is not None:
                assert fast == slow
                printed += 1
    assert printed > 100
    fast, slow = _printed_both_ways(next(_functions(gast.parse(EXPRESSIONS))))
    assert fast == slow


def test_the_printer_leaves_other_forms_to_ast_unparse():
    for source in ['def f(x):\n    """doc"""\n    return x\n',
                   'def f(x):\n    return [y for y in x]\n',
                   'def f(x: int):\n    return x\n',
                   '@dec\ndef f(x):\n    return x\n',
                   'def f(x):\n    def g():\n        pass\n    return x\n',
                   'def f(x):\n    return f(*x)\n',
                   'def f(x):\n    return {1, 2} | x\n']:
        tree = gast.parse(source).body[0]
        if source.endswith("{1, 2} | x\n"):   # a frozenset constant
            tree.body[0].value.left = gast.Constant(value=frozenset((1, 2)), kind=None)
        fast, slow = _printed_both_ways(tree)
        assert fast is None and slow


def test_the_printer_writes_tuple_constants_as_ast_unparse_does():
    """Constant folding makes tuple constants (shapes): ``ast.unparse`` writes their
    items with repr, infinities and nan as numbers too large to be floats."""
    tree = gast.parse("def f(x):\n    return g(x)\n").body[0]
    tree.body[0].value.args = [gast.Constant(value=v, kind=None) for v in (
        (4, 5), (4,), (), (1, -2.5, float("inf"), -float("inf"), float("nan"), "a", (3,), None,
                          True, 1j))]
    fast, slow = _printed_both_ways(tree)
    assert fast == slow
