"""emit.to_ast gives the tree gast.gast_to_ast gives (with emit's two printing fixes),
for hand-written code of many forms and for the generated derivatives of the golden
functions."""
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
    seen = []
    original = emit.to_ast

    def checked(tree):
        if isinstance(tree, gast.FunctionDef):   # (the recursion goes to the original)
            monkeypatch.setattr(emit, "to_ast", original)
            seen.append(tree)
            _same(tree)
            monkeypatch.setattr(emit, "to_ast", checked)
        return original(tree)
    monkeypatch.setattr(emit, "to_ast", checked)
    derive()(*args)   # the generic derivative, then the version for these arguments
    assert seen
