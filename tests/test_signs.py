"""Negations folded into the arithmetic around them (tangentlike/signs.py): fewer
operations, bit-for-bit the same values."""
import ast

import gast
import numpy as np
import pytest

import tangentlike as tl
from tangentlike.signs import fold_negations

RNG = np.random.default_rng(7)


def folded(source: str, bound=None) -> str:
    """The body of ``def f(...)`` in ``source`` after fold_negations, every assignment
    taken for an adjoint statement."""
    fdef = gast.parse(source).body[0]
    for node in gast.walk(fdef):
        if isinstance(node, gast.Assign):
            node.phase = "adjoint"
    fdef.body = fold_negations(fdef.body, bound)
    return ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(fdef)))


def negations(source: str) -> int:
    return sum(isinstance(node, ast.USub) for node in ast.walk(ast.parse(source)))


def run(source: str, args, **names):
    namespace = {"np": np, **names}
    exec(compile(source, "<test>", "exec"), namespace)
    return namespace["f"](*args)


CASES = {
    "chain": """
def f(g, p, t, u):
    a = -g * p / t
    b = a * u
    c = -b
    return c
""",
    "sum_becomes_difference": """
def f(g, p, t, u):
    a = -(g / t)
    b = u + a
    return b
""",
    "accumulation": """
def f(g, p, t, u):
    a = -g
    b = a * p
    c = b / t
    d = (-c * u).sum(axis=(1,), keepdims=True)
    c = c + d
    return c
""",
    "matmul_and_transpose": """
def f(g, p, t, u):
    a = -g
    b = a.T @ p
    c = -b
    return c
""",
    "two_negated_terms": """
def f(g, p, t, u):
    a = -g
    b = -p
    c = a - b
    return c * t
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_folding_is_exact_and_removes_negations(name):
    source = CASES[name]
    after = folded(source)
    args = [RNG.standard_normal((3, 3)) for _ in range(4)]
    np.testing.assert_array_equal(run(after, args), run(source, args))
    assert negations(after) < negations(source), after


def test_a_chain_loses_both_negations():
    after = folded(CASES["chain"])
    assert "a = g * p / t" in after and "c = b" in after and negations(after) == 0


def test_a_value_read_elsewhere_keeps_its_sign():
    source = """
def f(g, p, t, u):
    a = -g
    for i in range(2):
        p = p + a
    return p
"""
    after = folded(source)
    assert "a = -g" in after   # the loop reads it: nothing to owe


def test_a_negated_argument_of_an_unknown_call_stays_written_out():
    source = """
def f(g, p, t, u):
    a = -g
    b = np.roll(a, 1)
    return b
"""
    after = folded(source)
    assert negations(after) == 1
    args = [RNG.standard_normal(4) for _ in range(4)]
    np.testing.assert_array_equal(run(after, args), run(source, args))


def test_a_sum_of_negated_values_is_a_negated_sum():
    source = """
def f(g, p, t, u):
    a = g / t
    b = np.sum(-a, axis=0)
    return b
"""
    after = folded(source, {"np": np})
    assert "b = -np.sum(a, axis=0)" in after
    args = [RNG.standard_normal((3, 3)) for _ in range(4)]
    np.testing.assert_array_equal(run(after, args), run(source, args))


def logistic_loss(w, X, y):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def softmax_cross_entropy(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(Y * np.log(p)) / X.shape[0]


def test_softmax_cross_entropy_version_has_no_negation():
    W, X = RNG.standard_normal((4, 3)), RNG.standard_normal((6, 4))
    Y = np.eye(3)[RNG.integers(0, 3, 6)]
    df = tl.grad(softmax_cross_entropy)
    df(W, X, Y)
    (version,) = df.versions.values()
    # the adjoint subtracts: no array is negated (the closed form of the log of the
    # softmax, bz = bL - p * bL.sum(...), reads bL twice, so the sign of the loss stays
    # on the number 1.0 / n, the seed 1.0's: another seed scales the gradient at the end)
    tree = ast.parse(version.source)
    values = {node.targets[0].id: node.value for node in ast.walk(tree)
              if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    negated = [node.operand for node in ast.walk(tree)
               if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)]
    assert len(negated) <= 1
    for operand in negated:
        number = values[operand.id]
        assert isinstance(number, ast.BinOp) and isinstance(number.left, ast.Constant) \
            and number.left.value == 1.0, ast.unparse(number)
    tl.check_grads(softmax_cross_entropy, (W, X, Y), order=2, modes=("rev", "fwd"))


def test_logistic_loss_is_right():
    w, X = RNG.standard_normal(3), RNG.standard_normal((8, 3))
    y = (RNG.random(8) > 0.5).astype(float)
    tl.check_grads(logistic_loss, (w, X, y), order=2, modes=("rev", "fwd"))
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    np.testing.assert_allclose(tl.grad(logistic_loss)(w, X, y), X.T @ (p - y) / 8,
                               rtol=1e-10)


def test_negations_stay_inside_helpers_that_may_return_containers():
    # add_at_item gives a tuple of adjoints for a tuple x: a tuple has no negation
    from tangentlike.rules.shapes import add_at_item
    source = """
def f(g, p, t, u):
    a = -g
    b = add_at_item(a, t, 1)
    return b
"""
    after = folded(source, {"np": np, "add_at_item": add_at_item})
    assert "add_at_item(-g, t, 1)" in after or "a = -g" in after
    args = (np.ones(2), None, (np.zeros(2), np.zeros(2)), None)
    assert isinstance(run(after, args, add_at_item=add_at_item), tuple)


def test_a_negation_moves_out_of_numpy_functions_that_move_elements():
    source = """
def f(g, p, t, u):
    a = -g
    b = np.roll(np.expand_dims(a, 0), 1)
    c = -b
    return c
"""
    after = folded(source, {"np": np})
    assert negations(after) == 0
    args = [RNG.standard_normal(4) for _ in range(4)]
    np.testing.assert_array_equal(run(after, args), run(source, args))


def _pair_energy(X):
    diff = X[:, None, :] - X[None, :, :]
    r2 = np.sum(diff * diff, axis=-1) + 1.0
    return np.sum(1.0 / r2)


def test_a_version_negates_the_summed_part_not_the_array():
    # the adjoint of X[None, :, :] in `-` is a negated sum: a version joins the two
    # contributions of the line to bX first, so the sign goes into a subtraction
    X = np.random.default_rng(5).standard_normal((6, 3))
    df = tl.grad(_pair_energy)
    got = df(X)
    (version,) = [v for v in df.versions.values() if v is not df.generic]
    assert "(-bdiff)" not in version.source and "-np.reshape" not in version.source
    assert " - np.reshape(" in version.source
    np.testing.assert_allclose(got, df.generic(X, 1.0), rtol=1e-12)
    tl.check_grads(_pair_energy, (X,), order=2)
