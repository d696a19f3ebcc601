"""parse finds a def's lines without inspect where it can (parse._quick_parse): the same
syntax tree as from inspect.getsourcelines, or None (then inspect is used)."""
import inspect
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
    lines, first = inspect.getsourcelines(func)
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
    if name != "decorated":   # (only tangentlike's own decorators are allowed)
        assert tangentlike.parse.parse(f).node.name == "f"


def test_a_wrapped_function_is_read_by_inspect():
    import functools

    def inner(x):
        return np.sin(x)

    @functools.wraps(inner)
    def wrapper(x):
        return inner(x)
    assert parse_module._quick_parse(wrapper) is None
