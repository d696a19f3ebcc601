"""tangentlike demo: differentiate two small NumPy functions, show the generated code,
and check the gradients against central finite differences.

Run from the repository root after installing the package:

    pip install . && python examples/demo.py

Exits with status 1 if any gradient differs from finite differences by more than 1e-6.
"""
import sys

import numpy as np

import tangentlike as tl

TOLERANCE = 1e-6


def layer_loss(W, b, x):
    """A tanh layer followed by a squared-norm loss."""
    h = np.tanh(W @ x + b)
    loss = np.sum(h * h)
    return loss


def twice_squared_norm(x):
    return 2 * np.dot(x, x)


def numeric_gradient(f, args, i, eps=1e-6):
    """Central differences of f with respect to args[i], one element at a time."""
    x = np.array(args[i], dtype=float)
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[k] += eps
        minus[k] -= eps
        f_plus = f(*args[:i], plus, *args[i + 1:])
        f_minus = f(*args[:i], minus, *args[i + 1:])
        grad[k] = (f_plus - f_minus) / (2 * eps)
    return grad


def check(f, args, wrt):
    """Print the generated gradient of f, evaluate it, compare with finite differences.

    Returns the largest absolute error over all differentiated arguments.
    """
    df = tl.grad(f, wrt=wrt)
    print(f"=== gradient of {f.__name__} with respect to {wrt} ===")
    print(df.source)
    grads = df(*args)
    if not isinstance(wrt, tuple):   # one input: the gradient itself, not a tuple
        wrt, grads = (wrt,), (grads,)
    worst = 0.0
    for i, g in zip(wrt, grads):
        error = float(np.max(np.abs(g - numeric_gradient(f, args, i))))
        print(f"argument {i}: gradient shape {np.shape(g)}, "
              f"max abs error vs finite differences {error:.2e}")
        worst = max(worst, error)
    print()
    return worst


def main():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 4))
    b = rng.standard_normal(3)
    x = rng.standard_normal(4)
    errors = {
        "layer_loss": check(layer_loss, (W, b, x), wrt=(0, 1, 2)),
        "twice_squared_norm": check(twice_squared_norm, (x,), wrt=0),
    }
    failed = [name for name, error in errors.items() if not error <= TOLERANCE]
    if failed:
        print(f"FAILED: error above {TOLERANCE:g} for {', '.join(failed)}")
        return 1
    print(f"OK: every gradient matches finite differences within {TOLERANCE:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
