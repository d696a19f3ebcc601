"""Module-level helpers for tests/test_perf_issue6.py (their globals are rebound there)."""
import numpy as np

G = np.ones(3)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logreg_l2(w, X, y, lam):
    p = sigmoid(X @ w)
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    return loss + 0.5 * lam * np.sum(w ** 2)


def row_sums(a):
    return np.sum(a, axis=1)


def uses_row_sums(X, w):
    r = row_sums(X * w)
    return np.sum(r * r) + np.sum(r)


def times_global(z):
    return z * G


def uses_global(x):
    t = times_global(x)
    return np.sum(t * t)


def twice_sigmoid(z):
    return 2.0 * sigmoid(z)


def uses_nested(x):
    s = twice_sigmoid(x)
    return np.sum(s * x)


def helper(z):
    return z * 2.0


def uses_helper(x):
    h = helper(x)
    return np.sum(h * x)
