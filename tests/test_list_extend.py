"""``lst.extend(items)`` of a list the function builds (comprehensions.py): the appends it
makes, for a display, a list comprehension or a generator expression. Checked against
finite differences (first and second order, both modes), versions against the generic
derivative, and the refusals at their line."""
import numpy as np
import pytest

import tangentlike as tl
from util import make_function

X = np.array([0.3, -0.6, 0.9, 0.4])

PROGRAMS = {
    "display": """
        def f(x):
            parts = [x]
            parts.extend([x * 2.0, np.sin(x)])
            return np.sum(np.stack(parts) ** 2)
    """,
    "tuple_of_numbers": """
        def f(x):
            terms = []
            terms.extend((x[0] * x[1], np.exp(x[2])))
            return sum(terms)
    """,
    "comprehension_in_a_loop": """
        def f(x):
            out = []
            for k in range(3):
                out.extend([v * k for v in x[:2]])
            return np.sum(np.array(out) ** 2)
    """,
    "generator_after_appends": """
        def f(x):
            feats = [np.sum(x)]
            feats.extend(np.sum(x ** p) for p in (2, 3))
            feats.append(np.max(x))
            return sum(f * f for f in feats)
    """,
    "empty_display": """
        def f(x):
            L = [x]
            L.extend([])
            return np.sum(L[0] * L[-1])
    """,
    "branch": """
        def f(x):
            L = []
            if x[0] > 0.0:
                L.extend([x, x * x])
            else:
                L.extend([np.cos(x)])
            return np.sum(np.stack(L))
    """,
}


def program(name):
    return make_function(PROGRAMS[name], {"np": np})


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_finite_differences(name):
    tl.check_grads(program(name), (X,), order=2)
    tl.check_grads(program(name), (-X,), order=2)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_versions_agree_with_the_generic_derivative(name):
    df = tl.grad(program(name))
    for x in (X, X, X[::-1].copy()):
        np.testing.assert_allclose(df(x), df.generic(x), rtol=1e-12, atol=1e-12)


REFUSED = {
    "reads_itself": """
        def f(x):
            L = [x]
            L.extend([L[0] * 2.0])  # <- error
            return np.sum(np.stack(L))
    """,
    "of_a_variable": """
        def f(x):
            L = [x]
            M = [x * 2.0]
            L.extend(M)  # <- error
            return np.sum(np.stack(L))
    """,
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_other_extends_are_refused_at_their_line(name):
    source = REFUSED[name]
    f = make_function(source, {"np": np})
    lines = __import__("textwrap").dedent(source).splitlines()
    line = next(i for i, text in enumerate(lines) if text.endswith("# <- error"))
    with pytest.raises(tl.TransformError) as info:
        tl.grad(f)(X)
    assert info.value.lineno == f.__code__.co_firstlineno + line - 1
    assert "extend" in str(info.value)
