"""Functions whose generated derivative source is pinned by tests/test_golden.py.

The generated code's comments name this file and its line numbers: append new
functions at the end so the lines of existing ones stay put, then regenerate with
``TANGENTLIKE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py``.
"""
import numpy as np


def tanh_sum(x):
    y = np.tanh(x)
    return np.sum(y)


def twice_dot(x):
    y = 2 * np.dot(x, x)
    return y


def two_inputs(x, y):
    z = np.sin(x) * y
    return np.sum(z)


def reassigned(x):
    x = x * 2
    x = np.sin(x)
    return np.sum(x)


def mean_over_axis(x):
    m = np.mean(x, axis=0)
    return np.sum(m ** 2)


def elementwise_product(x, y):
    return x * np.exp(y)


def loop_with_branch(x, n):
    for i in range(n):
        if x > 1.0:
            x = x * 0.5
        else:
            x = np.sin(x) + x
    return x


def cubic(x):
    return x ** 3 + np.sin(x)


def scaled_with_default(x, scale=2.0):
    return scale * np.sin(x)


def calls_helper(x):
    return np.sum(cubic(x))


def comprehension(x):
    ys = [np.sin(v) * k for k, v in enumerate(x) if v > 0.0]
    return sum(ys)
