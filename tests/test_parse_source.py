"""parse finds a def's lines without inspect where it can (parse._quick_parse): the same
syntax tree as from inspect.getsourcelines, or None (then inspect is used)."""
import ast
import inspect
import linecache
import sys
import pathlib
import types

import gast
import golden_functions
import numpy as np
import pytest
from util import make_function

import tangentlike
from tangentlike import api, emit, normalize, optimize, reverse, shapeclass
from tangentlike import parse as parse_module
from tangentlike.rules import linalg, reductions


def _by_inspect(func):
    lines, first = inspect.getsourcelines(func.__code__)   # (a wrapper's own lines)
    return parse_module._parsed(lines, max(first, 1))


def _functions(module):
    for value in vars(module).values():
        if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
            yield value
        elif isinstance(value, type) and value.__module__ == module.__name__:
            yield from (v for v in vars(value).values() if isinstance(v, types.FunctionType))


MODULES = [golden_functions, tangentlike.pipeline, parse_module, api, emit, normalize,
           optimize, reverse, shapeclass, linalg, reductions]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_same_tree_as_inspect(module):
    checked = 0
    for func in _functions(module):
        quick = parse_module._quick_parse(func)
        if quick is None:
            continue
        expected = _by_inspect(func)
        if expected is None:   # inspect's lines do not parse alone (Python 3.9 on some defs)
            continue
        assert gast.dump(quick, include_attributes=True) == \
            gast.dump(expected, include_attributes=True), func
        checked += 1
    assert checked


SOURCES = {
    "decorated": "def same(*a):\n    return lambda f: f\n\n@same(1,\n2)\n@same()\n"
                 "def f(x):\n    return x\n\n\ny = 1\n",
    "one line": "def f(x): return x * 2.0\ny = 1\n",
    "comment at column 0": "def f(x):\n    y = x\n# a comment\n    return y\n",
    "string at column 0": 'def f(x):\n    s = """\nmore\n"""\n    return x\n',
    "backslash": "def f(x):\n    y = x + \\\n1.0\n    return y\n",
    "bracket": "def f(x):\n    y = (x +\n1.0)\n    return y\n",
    "signature over lines": "def f(\nx):\n    return x\n",
    "nested": "def outer():\n    def f(x):\n        return x\n    return f\n",
    "trailing comment": "def f(x):\n    return x\n    # done\n\n# next\nz = 2\n",
}


@pytest.mark.parametrize("name", SOURCES)
def test_edge_cases(name):
    namespace = {}
    f = make_function(SOURCES[name], namespace,
                      name={"nested": "outer", "decorated": "f"}.get(name, "f"))
    if name == "nested":
        f = f()
    quick = parse_module._quick_parse(f)
    if quick is not None:
        assert gast.dump(quick, include_attributes=True) == \
            gast.dump(_by_inspect(f), include_attributes=True)
    assert tangentlike.parse.parse(f).node.name == "f"


def test_a_wrapper_is_read_as_its_own_code():
    # (inspect.getsource(wrapper) is the source of `inner`, which is not what runs)
    import functools

    def inner(x):
        return np.sin(x)

    @functools.wraps(inner)
    def wrapper(x):
        return 2.0 * inner(x)
    assert parse_module._quick_parse(wrapper).body[0].name == "wrapper"
    assert tangentlike.parse.parse(wrapper).node.name == "wrapper"


# -- parse.to_gast gives what gast.ast_to_gast gives -----------------------------------------
REPOSITORY = pathlib.Path(__file__).parent.parent
FILES = sorted(str(p.relative_to(REPOSITORY)) for folder in ("tangentlike", "tests", "benchmarks")
               for p in (REPOSITORY / folder).rglob("*.py"))


def _converted_alike(tree, text=None):
    """to_gast, and to_gast_in_place of a tree parsed again from ``text``, give what
    gast.ast_to_gast gives."""
    expected = gast.dump(gast.ast_to_gast(tree), include_attributes=True)
    assert gast.dump(parse_module.to_gast(tree), include_attributes=True) == expected
    again = ast.parse(text) if text is not None else tree
    assert gast.dump(parse_module.to_gast_in_place(again), include_attributes=True) == expected


@pytest.mark.parametrize("path", FILES)
def test_to_gast_of_the_repository_sources(path):
    text = (REPOSITORY / path).read_text()
    _converted_alike(ast.parse(text), text)


def test_to_gast_of_more_forms():
    source = SOURCES_MORE
    if sys.version_info >= (3, 10):
        source += SOURCES_MATCH
    if sys.version_info >= (3, 11):
        source += SOURCES_EXCEPT_STAR
    source += "\n" + "\n".join(SOURCES.values())
    _converted_alike(ast.parse(source), source)


SOURCES_MORE = '''
import os.path as p, sys
from . import a as b
async def g(a, /, b: int = 2, *args, c=-3, d, **kw) -> float:
    async with a as (x, y):
        pass
    async for i in b:
        await i
    return [i async for i in a]
class K(object, metaclass=type):
    attribute: int = -2
def f(x):
    global q
    try:
        raise ValueError("x") from None
    except (TypeError, ValueError) as error:
        pass
    y = (z := 3) + f"{x!r:>{y}}" + x[1:-2:3, ..., None] + b"x" + 1j
    del y
    lambda u, *w, v=-1, **k: u
    return {k: v for k, v in x if k}, {i for i in x}, (j for j in x), *x
'''
SOURCES_MATCH = '''
def m(x):
    match x:
        case [1, *rest] if rest:
            pass
        case {"k": v, **others}:
            pass
        case Point(x=0) | None as z:
            pass
        case _:
            pass
'''
SOURCES_EXCEPT_STAR = '''
def e(x):
    try:
        pass
    except* (TypeError, ValueError) as error:
        pass
'''


def test_to_gast_of_every_rule():
    from tangentlike.rules import registry
    from tangentlike.template import _parsed_alone
    checked = 0
    for rule in registry.RULES.values():
        for template in (rule.adjoint, rule.tangent):
            if template is None:
                continue
            lines = linecache.getlines(template.func.__code__.co_filename)
            node = _parsed_alone(template.func, lines)
            if node is not None:
                _converted_alike(node)   # (last: converts node in place)
                checked += 1
    assert checked > 100


def test_operator_instructions_read_from_the_bytes_are_the_ones_dis_finds():
    """parse._operators reads the operator instructions of a code object from its bytes
    (the check that a function's text is its code compares them): the same instructions
    and arguments as ``dis.get_instructions``, for every function of the library."""
    import dis
    import types

    import tangentlike
    from tangentlike import parse as parse_module

    codes = []
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("tangentlike"):
            codes += [f.__code__ for f in vars(module).values()
                      if isinstance(f, types.FunctionType)]
    assert len(codes) > 100 and tangentlike
    while codes:
        code = codes.pop()
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        expected = [(i.opname, i.arg) for i in dis.get_instructions(code)
                    if i.opname.startswith(parse_module._OPERATORS)]
        assert parse_module._operators(code) == expected, code
