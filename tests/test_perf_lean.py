"""Cheaper generated code and runtime helpers that give the same values as before:
shortcuts taken only where they are exact (no tie at a maximum, an array made fresh in
the function), with the cases next to them where they must not be taken."""
import numpy as np
import pytest

import tangentlike as tl
from tangentlike.rules.reductions import tie_weights

RNG = np.random.default_rng(71)


def per_slot_weights(a, y, axis):
    """tie_weights the long way: 1/k at the k elements equal to their slot's y."""
    equal = (a == np.expand_dims(y, axis)).astype(float)
    with np.errstate(invalid="ignore"):
        return equal / equal.sum(axis=axis, keepdims=True)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("a", [
    np.array([[1.0, 3.0, 2.0], [4.0, 0.0, -1.0]]),                # no tie: the shortcut
    np.array([[1.0, 3.0, 3.0], [4.0, 0.0, -1.0]]),                # a tie in one slot
    np.array([[1.0, 1.0, 0.0], [np.nan, 2.0, 3.0]]),              # a tie and a NaN slot:
    np.array([[5.0, 1.0, 0.0], [np.nan, 2.0, 3.0]]),              # as many equal as slots
    np.array([[np.inf, 1.0, 0.0], [-np.inf, -np.inf, -np.inf]]),  # inf and -inf maxima
])
@pytest.mark.parametrize("axis", [0, 1])
def test_tie_weights_per_slot(a, axis):
    for y, keepdims in ((np.max(a, axis=axis), False),
                        (np.max(a, axis=axis, keepdims=True), True)):
        got = tie_weights(a, y, axis=axis, keepdims=keepdims)
        np.testing.assert_array_equal(got, per_slot_weights(a, np.max(a, axis=axis), axis))


def softmax_rows(z):
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    return np.sum(e / np.sum(e, axis=1, keepdims=True) * z)


def test_max_of_rows_with_and_without_ties():
    z = RNG.standard_normal((4, 3))
    tl.check_grads(softmax_rows, (z,), order=2, modes=("rev",))
    z[1, 0] = z[1, 2] = 5.0   # a tie in one row: split evenly, as np.max's rule says
    g = tl.grad(lambda z: np.sum(np.max(z, axis=1) * np.arange(1.0, 5.0)))(z)
    want = np.zeros((4, 3))
    for i in range(4):
        ties = z[i] == z[i].max()
        want[i, ties] = (i + 1.0) / ties.sum()
    np.testing.assert_array_equal(g, want)
