"""Functions of another module, called from differentiated code in the tests."""
import collections

import numpy as np

SCALE = 3.0


def softplus(x):
    return np.log1p(np.exp(x)) * SCALE


def affine(x, w, b=0.5):
    return w * x + b


def split(x):
    return np.sin(x), x * x


def applied_twice(fn, x):
    return fn(x) * 2.0


def layer(x, w, act=np.tanh):
    return act(x * w)


# (fix22) helpers returning a dict display or a namedtuple, read by their callers' keys
Moments = collections.namedtuple("Moments", "mean var")


def moments(x):
    m = np.mean(x)
    return {"mean": m, "var": np.mean((x - m) ** 2)}


def moments_nt(x):
    m = np.mean(x)
    return Moments(m, np.mean((x - m) ** 2))


class Regression:
    """(fix22) a base class whose subclass is defined in another file (test_methods)."""

    def __init__(self, scale):
        self.scale = scale

    def predict(self, w, x):
        return np.tanh(x * w) * self.scale

    def loss(self, w, x):
        return np.sum(self.predict(w, x) ** 2)
