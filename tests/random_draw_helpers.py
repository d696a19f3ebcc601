"""Helpers in a module of their own for tests/test_random_draws.py: a draw two calls
down, in another file."""
import numpy as np


def noisy(x):
    return x + np.random.randn(3)


def doubled_then_noisy(x):
    y = x * 2.0
    return noisy(y)
