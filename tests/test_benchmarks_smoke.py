"""The benchmark's cases (benchmarks/cases.py) are right: tangentlike's gradient equals the
hand-written gradient on every case, at small sizes. No timing here: the benchmark itself is
`python benchmarks/run.py`; this only guards its definitions. Needs no peer library."""
import os
import sys

import numpy as np
import pytest

import tangentlike as tl

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "benchmarks"))
import cases  # noqa: E402


@pytest.mark.parametrize("case", cases.CASES, ids=[c.key for c in cases.CASES])
def test_tangentlike_matches_hand_written_gradient(case):
    assert cases.check_case(case, small=True) is None


def test_while_if_other_branch():
    for a in (-0.3, 0.3, 700.0):
        got, want = tl.grad(cases.while_if)(a), cases.while_if_hand(a)
        assert cases.compare(got, want, 0) is None, (a, got, want)


@pytest.mark.parametrize("key", ["mlp_64", "rnn", "spring", "logreg", "logreg_lae", "heat",
                                 "pairs", "relu_mlp", "attention", "rnn_list", "euler", "rk4",
                                 "lorenz", "huber", "conv1d", "pendulum", "lstm", "labels_xent",
                                 "ridge", "rnn_items", "bilinear", "linear_l2", "repulsion",
                                 "chain_roll", "gauss_diag", "logistic_map", "fixed_point",
                                 "sigmoid_dict", "softplus_xent", "logreg_pm", "rnn_bias",
                                 "walls", "heat_slices", "grow_while"])
def test_hand_written_gradients_match_finite_differences(key):
    """The hand-written gradients are the reference: check them independently."""
    case = cases.BY_KEY[key]
    args = list(case.args(small=True))
    grads = cases.as_tuple(case.hand(*args), case.wrt)
    rng = np.random.default_rng(5)
    for i, g in zip(case.wrt_tuple, grads):
        direction = _like(args[i], lambda a: rng.standard_normal(np.shape(a)))
        eps = 1e-6
        plus, minus = list(args), list(args)
        plus[i] = _moved(args[i], direction, eps)
        minus[i] = _moved(args[i], direction, -eps)
        numeric = (case.f(*plus) - case.f(*minus)) / (2 * eps)
        along = sum(np.sum(np.asarray(a) * d)
                    for a, d in zip(cases.leaves(g), cases.leaves(direction)))
        np.testing.assert_allclose(along, numeric, rtol=1e-5)


def _like(value, leaf):
    """``value``'s structure (a dict, list or tuple of arrays, or an array) of leaf(each)."""
    if isinstance(value, dict):
        return {k: _like(v, leaf) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_like(v, leaf) for v in value)
    return leaf(value)


def _moved(value, direction, eps):
    if isinstance(value, dict):
        return {k: _moved(v, direction[k], eps) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_moved(v, d, eps) for v, d in zip(value, direction))
    return value + eps * direction


def test_compare_reports_a_wrong_gradient():
    assert cases.compare(np.ones(3), np.ones(3), 0) is None
    assert "difference" in cases.compare(np.ones(3) * 1.1, np.ones(3), 0)
    assert "shape" in cases.compare(np.ones(2), np.ones(3), 0)


def test_transform_only_functions_are_differentiable():
    for f, wrt, _ in cases.TRANSFORM_ONLY.values():
        assert tl.grad(f, wrt=wrt).source
    W1, b1, W2, b2, x = cases.mlp_args(8)(small=True)
    target = np.eye(3)[:, [0, 1, 2, 0]]
    tl.check_grads(cases.twenty_lines, (W1, b1, W2, b2, x, target), order=1, modes=("rev",))
