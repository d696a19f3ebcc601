"""Benchmark cases: each is a user function ``f``, a hand-written NumPy gradient and
input builders.

``f`` is plain NumPy written the way a user would, as a module-level ``def`` so that
tangentlike (and tangent-ad) can read its source. The peers (autograd, JAX, PyTorch)
run the *same* code object with the global name ``np`` bound to their own NumPy-like
module (``autograd.numpy``, ``jax.numpy``, ``torch``), so every implementation
differentiates literally the same user code; a case can override that in ``peers``.

The hand-written gradient is what a competent person would write for speed: reuse of
forward values, closed forms where they are obvious, no generic helpers. It returns
what ``tl.grad(f, wrt=case.wrt)`` returns: one array or float for an int ``wrt``, a
tuple for a tuple ``wrt``. :func:`check_case` checks that both agree.

This module imports only NumPy, so the smoke test and the fresh-process
transformation timings do not pay for any peer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple, Union

import numpy as np

# ---------------------------------------------------------------------------------
# a. 2 * np.dot(x, x)


def twice_dot(x):
    return 2 * np.dot(x, x)


def twice_dot_hand(x):
    return 4.0 * x


def twice_dot_args(n):
    def build(small=False):
        size = min(n, 1000) if small else n
        return (np.random.default_rng(0).standard_normal(size),)
    return build


# ---------------------------------------------------------------------------------
# b. 1000-step scalar loop on a float


def scalar_loop(x):
    for i in range(1000):
        x = np.sin(x) * 1.01 + 0.1 * x
    return x


def scalar_loop_hand(x):
    xs = []
    for i in range(1000):
        xs.append(x)
        x = np.sin(x) * 1.01 + 0.1 * x
    g = 1.0
    for i in range(999, -1, -1):
        g = g * (np.cos(xs[i]) * 1.01 + 0.1)
    return g


def scalar_loop_args(small=False):
    return (0.7,)


# ---------------------------------------------------------------------------------
# c. tanh MLP, batch 32 in columns: x is (64, 32), b1 (H, 1), W2 (10, H), b2 (10, 1)


def mlp(W1, b1, W2, b2, x):
    h = np.tanh(W1 @ x + b1)
    y = W2 @ h + b2
    return np.sum(y * y)


def mlp_hand(W1, b1, W2, b2, x):
    h = np.tanh(W1 @ x + b1)
    gy = 2.0 * (W2 @ h + b2)
    gW2 = gy @ h.T
    gb2 = gy.sum(axis=1, keepdims=True)
    ga = (W2.T @ gy) * (1.0 - h * h)
    gW1 = ga @ x.T
    gb1 = ga.sum(axis=1, keepdims=True)
    return gW1, gb1, gW2, gb2


def mlp_params(params, x):
    W1, b1, W2, b2 = params
    h = np.tanh(W1 @ x + b1)
    y = W2 @ h + b2
    return np.sum(y * y)


def mlp_params_hand(params, x):
    W1, b1, W2, b2 = params
    h = np.tanh(W1 @ x + b1)
    gy = 2.0 * (W2 @ h + b2)
    ga = (W2.T @ gy) * (1.0 - h * h)
    return (ga @ x.T, ga.sum(axis=1, keepdims=True), gy @ h.T, gy.sum(axis=1, keepdims=True))


def mlp_params_args(small=False):
    W1, b1, W2, b2, x = mlp_args(64)(small)
    return ((W1, b1, W2, b2), x)


def mlp_args(hidden, n_in=64, n_out=10, batch=32):
    def build(small=False):
        H = min(hidden, 8) if small else hidden
        d, o, b = (5, 3, 4) if small else (n_in, n_out, batch)
        rng = np.random.default_rng(1)
        return (rng.standard_normal((H, d)) / np.sqrt(d), 0.1 * rng.standard_normal((H, 1)),
                rng.standard_normal((o, H)) / np.sqrt(H), 0.1 * rng.standard_normal((o, 1)),
                rng.standard_normal((d, b)))
    return build


# ---------------------------------------------------------------------------------
# d. the seed's while/if function on a scalar


def while_if(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    c = b if np.sum(b) > 0 else 100 * b
    return c


def while_if_hand(a):
    b = a * 2
    scale = 2.0
    while np.linalg.norm(b) < 1000:
        b = b * 2
        scale = scale * 2.0
    return scale if np.sum(b) > 0 else 100.0 * scale


def while_if_args(small=False):
    return (0.3,)


# ---------------------------------------------------------------------------------
# e. logistic regression: mean log-loss, gradient w.r.t. the weights


def logreg(w, X, y):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logreg_hand(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y) / y.shape[0]


def logreg_args(small=False):
    n, d = (50, 5) if small else (1000, 20)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d)
    y = (X @ w_true + 0.5 * rng.standard_normal(n) > 0).astype(float)
    return (0.1 * rng.standard_normal(d), X, y)


# ---------------------------------------------------------------------------------
# e2. logistic regression on the logits with labels in {-1, 1}: the softplus
# np.logaddexp(0, -y * z), the stable spelling of -log(sigmoid(y * z))


def logreg_logaddexp(w, X, y):
    return np.mean(np.logaddexp(0.0, -y * (X @ w)))


def logreg_logaddexp_hand(w, X, y):
    s = -y / (1.0 + np.exp(y * (X @ w)))
    return s @ X / y.shape[0]


def logreg_logaddexp_args(small=False):
    w, X, y = logreg_args(small)
    return (w, X, 2.0 * y - 1.0)


# ---------------------------------------------------------------------------------
# f. RNN unrolled over the rows of xs (50 steps), loss on the final state


def rnn(Wh, Wx, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


def rnn_hand(Wh, Wx, xs, h0):
    T, H = xs.shape[0], h0.shape[0]
    hs = np.empty((T + 1, H))
    hs[0] = h0
    for t in range(T):
        hs[t + 1] = np.tanh(Wh @ hs[t] + Wx @ xs[t])
    ga = np.empty((T, H))       # adjoints of the pre-activations, one row per step
    gh = 2.0 * hs[T]
    WhT = Wh.T
    for t in range(T - 1, -1, -1):
        g = gh * (1.0 - hs[t + 1] * hs[t + 1])
        ga[t] = g
        gh = WhT @ g
    return ga.T @ hs[:T], ga.T @ xs


def rnn_args(small=False):
    H, D, T = (4, 3, 5) if small else (32, 16, 50)
    rng = np.random.default_rng(3)
    return (rng.standard_normal((H, H)) / np.sqrt(H), rng.standard_normal((H, D)) / np.sqrt(D),
            rng.standard_normal((T, D)), 0.5 * rng.standard_normal(H))


# ---------------------------------------------------------------------------------
# g. a ring of 64 masses and springs, 1000 leapfrog (kick-drift) steps; gradient of the
#    sum of squared final positions w.r.t. the initial positions and the spring constant


def spring(x0, v0, k):
    x = x0
    v = v0
    for step in range(1000):
        force = k * (np.roll(x, 1) + np.roll(x, -1) - 2 * x)
        v = v + 0.01 * force
        x = x + 0.01 * v
    return np.sum(x * x)


def spring_hand(x0, v0, k):
    x = x0
    v = v0
    laps = []
    for step in range(1000):
        lap = np.roll(x, 1) + np.roll(x, -1) - 2 * x
        laps.append(lap)
        v = v + 0.01 * (k * lap)
        x = x + 0.01 * v
    gx = 2.0 * x
    gv = np.zeros_like(v)
    gk = 0.0
    for step in range(999, -1, -1):
        gv = gv + 0.01 * gx             # x = x + dt * v
        ga = 0.01 * gv                  # v = v + dt * force
        gk += np.dot(ga, laps[step])    # force = k * lap
        gf = k * ga                     # the laplacian is symmetric
        gx = gx + np.roll(gf, 1) + np.roll(gf, -1) - 2 * gf
    return gx, gk


def spring_args(small=False):
    n = 8 if small else 64
    rng = np.random.default_rng(4)
    return (rng.standard_normal(n), np.zeros(n), 30.0)


# ---------------------------------------------------------------------------------
# Transformation-time only: a 20-line function (the "20-line function" target)


def twenty_lines(W1, b1, W2, b2, x, target):
    a1 = W1 @ x + b1
    h1 = np.tanh(a1)
    a2 = W2 @ h1 + b2
    m = np.max(a2, axis=0, keepdims=True)
    e = np.exp(a2 - m)
    s = np.sum(e, axis=0, keepdims=True)
    p = e / s
    logp = np.log(p + 1e-12)
    nll = -np.sum(target * logp, axis=0)
    loss = np.mean(nll)
    reg = 0.0
    for W in (W1, W2):
        reg = reg + np.sum(W * W)
    if loss > 10.0:
        loss = 10.0 + np.log1p(loss - 10.0)
    total = loss + 1e-4 * reg
    scale = np.sqrt(np.mean(h1 * h1)) + 1.0
    total = total * scale
    out = total / scale
    return out


def twenty_lines_args(small=False):
    rng = np.random.default_rng(5)
    return (rng.standard_normal((16, 8)), rng.standard_normal((16, 1)),
            rng.standard_normal((4, 16)), rng.standard_normal((4, 1)),
            rng.standard_normal((8, 5)), np.eye(4)[:, [0, 1, 2, 3, 0]])


# ---------------------------------------------------------------------------------
# h. more of the same kind (not in the list): a softmax classifier, least
# squares, the Rosenbrock function, a GRU and a loop that reads arrays by index


def softmax_xent(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(Y * np.log(p)) / X.shape[0]


def softmax_xent_hand(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    return X.T @ (p - Y) / X.shape[0]


def softmax_args(small=False):
    rng = np.random.default_rng(5)
    n, d, k = (8, 5, 3) if small else (64, 20, 10)
    return (0.1 * rng.standard_normal((d, k)), rng.standard_normal((n, d)),
            np.eye(k)[rng.integers(0, k, n)])


def least_squares(w, A, b):
    r = A @ w - b
    return 0.5 * np.sum(r * r)


def least_squares_hand(w, A, b):
    return A.T @ (A @ w - b)


def least_squares_args(small=False):
    rng = np.random.default_rng(6)
    m, n = (10, 4) if small else (200, 50)
    return rng.standard_normal(n), rng.standard_normal((m, n)), rng.standard_normal(m)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hand(x):
    g = np.zeros_like(x)
    a = x[1:] - x[:-1] ** 2
    g[1:] += 200.0 * a
    g[:-1] += -400.0 * a * x[:-1] - 2.0 * (1.0 - x[:-1])
    return g


def rosenbrock_args(small=False):
    return (np.random.default_rng(7).standard_normal(10 if small else 100),)


def gru(Wz, Wh, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        x = xs[t]
        z = 1.0 / (1.0 + np.exp(-(Wz @ h + x)))
        c = np.tanh(Wh @ h + x)
        h = (1.0 - z) * h + z * c
    return np.sum(h * h)


def gru_hand(Wz, Wh, xs, h0):
    hs, zs, cs = [h0], [], []
    h = h0
    for t in range(xs.shape[0]):
        x = xs[t]
        z = 1.0 / (1.0 + np.exp(-(Wz @ h + x)))
        c = np.tanh(Wh @ h + x)
        h = (1.0 - z) * h + z * c
        hs.append(h)
        zs.append(z)
        cs.append(c)
    gh = 2.0 * h
    gWz, gWh = np.zeros_like(Wz), np.zeros_like(Wh)
    for t in reversed(range(xs.shape[0])):
        hp, z, c = hs[t], zs[t], cs[t]
        ga = gh * (c - hp) * z * (1.0 - z)
        gb = gh * z * (1.0 - c * c)
        gWz += np.outer(ga, hp)
        gWh += np.outer(gb, hp)
        gh = gh * (1.0 - z) + Wz.T @ ga + Wh.T @ gb
    return gWz, gWh


def gru_args(small=False):
    rng = np.random.default_rng(8)
    h, steps = (4, 3) if small else (16, 30)
    return (rng.standard_normal((h, h)) / 4, rng.standard_normal((h, h)) / 4,
            rng.standard_normal((steps, h)), rng.standard_normal(h))


def indexed_loop(w, x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + w[i] * np.sin(x[i] * w[i])
    return s


def indexed_loop_hand(w, x):
    g = np.zeros_like(w)
    for i in range(x.shape[0]):
        g[i] = np.sin(x[i] * w[i]) + w[i] * x[i] * np.cos(x[i] * w[i])
    return g


def indexed_loop_args(small=False):
    rng = np.random.default_rng(9)
    n = 5 if small else 100
    return rng.standard_normal(n), rng.standard_normal(n)


# ---------------------------------------------------------------------------------
# i. more of the kinds of code people differentiate: an explicit heat equation stepped
# with slices, a pairwise energy by broadcasting, a ReLU MLP with a softmax
# cross-entropy, one attention head and a tanh RNN that keeps its states in a list


def heat(u0, alpha):
    u = u0
    for step in range(200):
        lap = u[:-2] - 2.0 * u[1:-1] + u[2:]
        inner = u[1:-1] + alpha * lap
        u = np.concatenate((u[:1], inner, u[-1:]))
    return np.sum(u * u)


def heat_hand(u0, alpha):
    u = u0
    laps = []
    for step in range(200):
        lap = u[:-2] - 2.0 * u[1:-1] + u[2:]
        laps.append(lap)
        u = np.concatenate((u[:1], u[1:-1] + alpha * lap, u[-1:]))
    g = 2.0 * u
    galpha = 0.0
    for step in range(199, -1, -1):
        gi = g[1:-1]
        galpha += np.dot(gi, laps[step])
        s = alpha * gi      # the adjoint of lap; the stencil is symmetric
        g = g.copy()
        g[:-2] += s
        g[1:-1] -= 2.0 * s
        g[2:] += s
    return g, galpha


def heat_args(small=False):
    n = 10 if small else 100
    return (np.random.default_rng(10).standard_normal(n), 0.2)


def pair_energy(X):
    diff = X[:, None, :] - X[None, :, :]
    r2 = np.sum(diff * diff, axis=-1) + 1.0
    return np.sum(1.0 / r2)


def pair_energy_hand(X):
    diff = X[:, None, :] - X[None, :, :]
    r2 = np.sum(diff * diff, axis=-1) + 1.0
    w = -2.0 / (r2 * r2)
    return 2.0 * np.sum(w[:, :, None] * diff, axis=1)   # each pair appears twice


def pair_energy_args(small=False):
    return (np.random.default_rng(11).standard_normal((5 if small else 100, 3)),)


def relu_mlp(W1, b1, W2, b2, X, Y):
    h = np.maximum(X @ W1 + b1, 0.0)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def relu_mlp_hand(W1, b1, W2, b2, X, Y):
    a = X @ W1 + b1
    h = np.maximum(a, 0.0)
    z = h @ W2 + b2
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    gz = (e / np.sum(e, axis=1, keepdims=True) - Y) / X.shape[0]
    ga = (gz @ W2.T) * (a > 0)
    return X.T @ ga, ga.sum(axis=0), h.T @ gz, gz.sum(axis=0)


def relu_mlp_args(small=False):
    rng = np.random.default_rng(17)
    n, d, H, k = (6, 4, 5, 3) if small else (64, 32, 64, 10)
    return (rng.standard_normal((d, H)) / np.sqrt(d), 0.1 * rng.standard_normal(H),
            rng.standard_normal((H, k)) / np.sqrt(H), 0.1 * rng.standard_normal(k),
            rng.standard_normal((n, d)), np.eye(k)[rng.integers(0, k, n)])


def attention(Q, K, V):
    s = Q @ K.T / np.sqrt(Q.shape[1])
    s = s - np.max(s, axis=1, keepdims=True)
    e = np.exp(s)
    p = e / np.sum(e, axis=1, keepdims=True)
    out = p @ V
    return np.sum(out * out)


def attention_hand(Q, K, V):
    c = 1.0 / np.sqrt(Q.shape[1])
    s = Q @ K.T * c
    e = np.exp(s - np.max(s, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    gout = 2.0 * (p @ V)
    gp = gout @ V.T
    gs = p * (gp - np.sum(gp * p, axis=1, keepdims=True)) * c
    return gs @ K, gs.T @ Q, p.T @ gout


def attention_args(small=False):
    rng = np.random.default_rng(18)
    n, d = (4, 3) if small else (64, 32)
    return tuple(rng.standard_normal((n, d)) for _ in range(3))


def rnn_list(W, U, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + U @ xs[t]))
    H = np.stack(hs[1:])
    return np.sum(H * H)


def rnn_list_hand(W, U, xs, h0):
    T = xs.shape[0]
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(W @ hs[-1] + U @ xs[t]))
    H = np.stack(hs)
    gh = np.zeros_like(h0)
    ga = np.empty((T, h0.shape[0]))   # adjoints of the pre-activations, one row per step
    for t in range(T - 1, -1, -1):
        gh = gh + 2.0 * H[t + 1]
        g = gh * (1.0 - H[t + 1] * H[t + 1])
        ga[t] = g
        gh = W.T @ g
    return ga.T @ H[:T], ga.T @ xs


def rnn_list_args(small=False):
    H, D, T = (4, 3, 5) if small else (32, 16, 50)
    rng = np.random.default_rng(22)
    return (rng.standard_normal((H, H)) / np.sqrt(H), rng.standard_normal((H, D)) / np.sqrt(D),
            rng.standard_normal((T, D)), 0.5 * rng.standard_normal(H))


# name -> (function, wrt, args): functions timed for their transformation only
TRANSFORM_ONLY = {"twenty_lines": (twenty_lines, (0, 1, 2, 3), twenty_lines_args)}


# ---------------------------------------------------------------------------------
# j. a simulation integrated into a preallocated array: explicit Euler steps of an
# oscillator, x[i + 1] = x[i] + dt * f(x[i])


def euler(x0, p):
    n = 100
    x = np.zeros((n + 1, 2))
    x[0] = x0
    dt = 0.01
    for i in range(n):
        x[i + 1] = x[i] + dt * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def euler_hand(x0, p):
    n = 100
    dt = 0.01
    x = np.zeros((n + 1, 2))
    x[0] = x0
    for i in range(n):
        x[i + 1] = x[i] + dt * np.array([x[i, 1], -p * x[i, 0]])
    g0, g1 = 2.0 * x[n]
    gp = 0.0
    for i in range(n - 1, -1, -1):
        gp -= dt * x[i, 0] * g1
        g0, g1 = g0 - dt * p * g1, g1 + dt * g0
    return np.array([g0, g1]), gp


def euler_args(small=False):
    return (np.array([1.0, 0.5]), 1.5)


# ---------------------------------------------------------------------------------
# k. a tanh MLP whose layers come as a list of (W, b) pairs read by a loop (rows are
# examples: x is (32, 64), layers 64 -> 64 -> 64 -> 10), and an RK4 integrator of a
# 2-state Lotka-Volterra system kept in small arrays (50 steps)


def mlp_list(params, x):
    h = x
    for W, b in params[:-1]:
        h = np.tanh(h @ W + b)
    W, b = params[-1]
    y = h @ W + b
    return np.sum(y * y)


def mlp_list_hand(params, x):
    hs = [x]
    for W, b in params[:-1]:
        hs.append(np.tanh(hs[-1] @ W + b))
    W, b = params[-1]
    gy = 2.0 * (hs[-1] @ W + b)
    grads = [(hs[-1].T @ gy, gy.sum(axis=0))]
    g = gy @ W.T
    for i in range(len(params) - 2, -1, -1):
        ga = g * (1.0 - hs[i + 1] * hs[i + 1])
        grads.append((hs[i].T @ ga, ga.sum(axis=0)))
        g = ga @ params[i][0].T
    return grads[::-1]


def mlp_list_args(small=False):
    sizes, batch = ([5, 4, 4, 3], 6) if small else ([64, 64, 64, 10], 32)
    rng = np.random.default_rng(15)
    params = [(rng.standard_normal((a, b)) / np.sqrt(a), 0.1 * rng.standard_normal(b))
              for a, b in zip(sizes[:-1], sizes[1:])]
    return (params, rng.standard_normal((batch, sizes[0])))


def rk4(z0, p):
    z = z0
    dt = 0.01
    for i in range(50):
        k1 = np.array([p[0] * z[0] - p[1] * z[0] * z[1], p[2] * z[0] * z[1] - p[3] * z[1]])
        z2 = z + 0.5 * dt * k1
        k2 = np.array([p[0] * z2[0] - p[1] * z2[0] * z2[1], p[2] * z2[0] * z2[1] - p[3] * z2[1]])
        z3 = z + 0.5 * dt * k2
        k3 = np.array([p[0] * z3[0] - p[1] * z3[0] * z3[1], p[2] * z3[0] * z3[1] - p[3] * z3[1]])
        z4 = z + dt * k3
        k4 = np.array([p[0] * z4[0] - p[1] * z4[0] * z4[1], p[2] * z4[0] * z4[1] - p[3] * z4[1]])
        z = z + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum(z ** 2)


def _lotka_volterra(z, p):
    return np.array([p[0] * z[0] - p[1] * z[0] * z[1], p[2] * z[0] * z[1] - p[3] * z[1]])


def _lotka_volterra_vjp(z, p, g):
    """(g^T df/dz, g^T df/dp) of _lotka_volterra at (z, p)."""
    gz = np.array([g[0] * (p[0] - p[1] * z[1]) + g[1] * p[2] * z[1],
                   -g[0] * p[1] * z[0] + g[1] * (p[2] * z[0] - p[3])])
    gp = np.array([g[0] * z[0], -g[0] * z[0] * z[1], g[1] * z[0] * z[1], -g[1] * z[1]])
    return gz, gp


def rk4_hand(z0, p):
    dt = 0.01
    z = z0
    stages = []
    for i in range(50):
        k1 = _lotka_volterra(z, p)
        z2 = z + 0.5 * dt * k1
        k2 = _lotka_volterra(z2, p)
        z3 = z + 0.5 * dt * k2
        k3 = _lotka_volterra(z3, p)
        z4 = z + dt * k3
        k4 = _lotka_volterra(z4, p)
        stages.append((z, z2, z3, z4))
        z = z + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    gz = 2.0 * z
    gp = np.zeros(4)
    for i in range(49, -1, -1):
        z1, z2, z3, z4 = stages[i]
        c = dt / 6.0 * gz
        gz4, gp4 = _lotka_volterra_vjp(z4, p, c)
        gz3, gp3 = _lotka_volterra_vjp(z3, p, 2.0 * c + dt * gz4)
        gz2, gp2 = _lotka_volterra_vjp(z2, p, 2.0 * c + 0.5 * dt * gz3)
        gz1, gp1 = _lotka_volterra_vjp(z1, p, c + 0.5 * dt * gz2)
        gz = gz + gz4 + gz3 + gz2 + gz1
        gp = gp + gp4 + gp3 + gp2 + gp1
    return gz, gp


def rk4_args(small=False):
    return (np.array([1.0, 0.7]), np.array([1.1, 0.4, 0.1, 0.4]))


# ---------------------------------------------------------------------------------
# l. explicit Euler of the 3-state Lorenz system, the state rebuilt as a small array at
# every step (100 steps); the hand-written gradient runs the function's own forward
# pass and its backward loop on numbers, as euler_hand does


def lorenz(x0, s):
    x = x0
    dt = 0.005
    for i in range(100):
        dx = np.array([s * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], x[0] * x[1] - 2.6 * x[2]])
        x = x + dt * dx
    return np.sum(x * x)


def lorenz_hand(x0, s):
    dt = 0.005
    x = x0
    states = []
    for i in range(100):
        states.append(x)
        dx = np.array([s * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], x[0] * x[1] - 2.6 * x[2]])
        x = x + dt * dx
    g0, g1, g2 = 2.0 * x
    gs = 0.0
    for i in range(99, -1, -1):
        a, b, c = states[i]
        h0, h1, h2 = dt * g0, dt * g1, dt * g2
        gs += h0 * (b - a)
        g0, g1, g2 = (g0 - s * h0 + h1 * (28.0 - c) + h2 * b, g1 + s * h0 - h1 + h2 * a,
                      g2 - h1 * a - 2.6 * h2)
    return np.array([g0, g1, g2]), gs


def lorenz_args(small=False):
    return (np.array([1.0, 1.0, 1.05]), 10.0)


# ---------------------------------------------------------------------------------
# m. more kinds (session perf18): a Huber loss written with np.where, a 1-D convolution
# by np.convolve, a damped pendulum stepped by RK2 (the hand-written gradient on NumPy's
# numbers, as lorenz_hand) and an LSTM of 20 steps


def huber(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a <= 1.0, 0.5 * r * r, a - 0.5))


def huber_hand(w, X, y):
    return np.clip(X @ w - y, -1.0, 1.0) @ X


def huber_args(small=False):
    rng = np.random.default_rng(30)
    n, d = (12, 3) if small else (1000, 20)
    return rng.standard_normal(d), rng.standard_normal((n, d)), rng.standard_normal(n)


def conv1d(k, x, y):
    out = np.convolve(x, k, "valid")
    return np.sum((out - y) ** 2)


def conv1d_hand(k, x, y):
    r = 2.0 * (np.convolve(x, k, "valid") - y)
    return np.correlate(x, r, "valid")[::-1]


def conv1d_args(small=False):
    rng = np.random.default_rng(31)
    n, m = (12, 3) if small else (500, 7)
    return rng.standard_normal(m), rng.standard_normal(n), rng.standard_normal(n - m + 1)


def pendulum(x0, p):
    x = x0
    dt = 0.02
    for i in range(100):
        k1 = np.array([x[1], -p[0] * np.sin(x[0]) - p[1] * x[1]])
        xm = x + 0.5 * dt * k1
        k2 = np.array([xm[1], -p[0] * np.sin(xm[0]) - p[1] * xm[1]])
        x = x + dt * k2
    return np.sum(x * x)


def pendulum_hand(x0, p):
    dt = 0.02
    a, b = x0
    p0, p1 = p
    tape = []
    for i in range(100):
        ma = a + 0.5 * dt * b
        mb = b + 0.5 * dt * (-p0 * np.sin(a) - p1 * b)
        tape.append((a, b, ma, mb))
        a, b = a + dt * mb, b + dt * (-p0 * np.sin(ma) - p1 * mb)
    ga, gb = 2.0 * a, 2.0 * b
    gp0 = gp1 = 0.0
    for i in range(99, -1, -1):
        a, b, ma, mb = tape[i]
        h = dt * gb                     # x = x + dt * k2(xm)
        gma = -h * p0 * np.cos(ma)
        gmb = dt * ga - h * p1
        gp0 -= h * np.sin(ma)
        gp1 -= h * mb
        q = 0.5 * dt * gmb              # xm = x + dt / 2 * k1(x)
        gp0 -= q * np.sin(a)
        gp1 -= q * b
        ga, gb = ga + gma - q * p0 * np.cos(a), gb + gmb + 0.5 * dt * gma - q * p1
    return np.array([ga, gb]), np.array([gp0, gp1])


def pendulum_args(small=False):
    return (np.array([1.0, 0.0]), np.array([9.81, 0.3]))


def lstm(W, xs, h0, c0):
    h = h0
    c = c0
    H = h0.shape[0]
    for t in range(xs.shape[0]):
        z = W @ np.concatenate([xs[t], h])
        i = 1.0 / (1.0 + np.exp(-z[:H]))
        f = 1.0 / (1.0 + np.exp(-z[H:2 * H]))
        o = 1.0 / (1.0 + np.exp(-z[2 * H:3 * H]))
        g = np.tanh(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h * h)


def lstm_hand(W, xs, h0, c0):
    H, D, T = h0.shape[0], xs.shape[1], xs.shape[0]
    h, c = h0, c0
    tape = []
    for t in range(T):
        u = np.concatenate([xs[t], h])
        z = W @ u
        i = 1.0 / (1.0 + np.exp(-z[:H]))
        f = 1.0 / (1.0 + np.exp(-z[H:2 * H]))
        o = 1.0 / (1.0 + np.exp(-z[2 * H:3 * H]))
        g = np.tanh(z[3 * H:])
        cp = c
        c = f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        tape.append((u, i, f, o, g, cp, tc))
    gh = 2.0 * h
    gc = np.zeros_like(c)
    gz = np.empty((T, 4 * H))           # adjoints of the pre-activations, one row per step
    for t in range(T - 1, -1, -1):
        u, i, f, o, g, cp, tc = tape[t]
        gc = gc + gh * o * (1.0 - tc * tc)
        gz[t, :H] = gc * g * i * (1.0 - i)
        gz[t, H:2 * H] = gc * cp * f * (1.0 - f)
        gz[t, 2 * H:3 * H] = gh * tc * o * (1.0 - o)
        gz[t, 3 * H:] = gc * i * (1.0 - g * g)
        gc = gc * f
        gh = (gz[t] @ W)[D:]
    return gz.T @ np.array([entry[0] for entry in tape])


def lstm_args(small=False):
    rng = np.random.default_rng(32)
    H, D, T = (3, 2, 4) if small else (16, 8, 20)
    return (rng.standard_normal((4 * H, D + H)) / 5, rng.standard_normal((T, D)),
            0.1 * rng.standard_normal(H), 0.1 * rng.standard_normal(H))


# ---------------------------------------------------------------------------------
# cross-entropy with integer labels, the softmax's exponentials written twice


def labels_xent(W, X, y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    n = X.shape[0]
    return -np.mean(np.log(p[np.arange(n), y]))


def labels_xent_hand(W, X, y):
    z = X @ W
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    n = X.shape[0]
    p[np.arange(n), y] -= 1.0
    return X.T @ p / n


def labels_xent_args(small=False):
    rng = np.random.default_rng(41)
    n, d, k = (6, 4, 3) if small else (64, 20, 10)
    return (0.1 * rng.standard_normal((d, k)), rng.standard_normal((n, d)),
            rng.integers(0, k, n))


# ---------------------------------------------------------------------------------
# ridge regression by np.linalg.solve, differentiated by the targets


def ridge(y, X, lam):
    A = X.T @ X + lam * np.eye(X.shape[1])
    w = np.linalg.solve(A, X.T @ y)
    return np.sum(w * w)


def ridge_hand(y, X, lam):
    A = X.T @ X + lam * np.eye(X.shape[1])
    w = np.linalg.solve(A, X.T @ y)
    return X @ np.linalg.solve(A.T, 2.0 * w)


def ridge_args(small=False):
    rng = np.random.default_rng(42)
    n, d = (8, 3) if small else (100, 10)
    return rng.standard_normal(n), rng.standard_normal((n, d)), 0.5


# ---------------------------------------------------------------------------------
# tanh RNN keeping its states in a list, its loss summed by `for h in hs[1:]`


def rnn_items(W, U, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + U @ xs[t]))
    loss = 0.0
    for h in hs[1:]:
        loss = loss + np.sum(h * h)
    return loss


def rnn_items_hand(W, U, xs, h0):
    T = xs.shape[0]
    H = np.zeros((T + 1, h0.shape[0]))
    H[0] = h0
    for t in range(T):
        H[t + 1] = np.tanh(W @ H[t] + U @ xs[t])
    gW = np.zeros_like(W)
    gh = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        ga = (gh + 2.0 * H[t + 1]) * (1.0 - H[t + 1] ** 2)
        gW += np.outer(ga, H[t])
        gh = W.T @ ga
    return gW


def rnn_items_args(small=False):
    rng = np.random.default_rng(43)
    H, D, T = (3, 2, 4) if small else (16, 8, 20)
    return (0.3 * rng.standard_normal((H, H)), 0.3 * rng.standard_normal((H, D)),
            rng.standard_normal((T, D)), 0.1 * rng.standard_normal(H))


# ---------------------------------------------------------------------------------
# a bilinear form x^T A y (the gradient is one matrix-vector product: the entry's cost)


def bilinear(x, A, y):
    return x @ A @ y


def bilinear_hand(x, A, y):
    return A @ y


def bilinear_args(small=False):
    rng = np.random.default_rng(44)
    n = 5 if small else 50
    return rng.standard_normal(n), rng.standard_normal((n, n)), rng.standard_normal(n)


# ---------------------------------------------------------------------------------
# a linear model with L2 of five small arguments (session perf20): the guard's cost


def linear_l2(W, b, x, y, lam):
    r = W @ x + b - y
    return np.sum(r * r) + lam * np.sum(W * W)


def linear_l2_hand(W, b, x, y, lam):
    g = 2.0 * (W @ x + b - y)
    return np.outer(g, x) + 2.0 * lam * W, g


def linear_l2_args(small=False):
    rng = np.random.default_rng(45)
    m, n = (3, 2) if small else (4, 6)
    return (rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n),
            rng.standard_normal(m), 0.1)


# ---------------------------------------------------------------------------------
# pairwise repulsion by broadcasting X[:, None, :] - X[None, :, :] (session perf20)


def repulsion(X):
    D = X[:, None, :] - X[None, :, :]
    r2 = np.sum(D * D, axis=2) + 1.0
    return np.sum(1.0 / r2)


def repulsion_hand(X):
    D = X[:, None, :] - X[None, :, :]
    r2 = np.sum(D * D, axis=2) + 1.0
    G = -1.0 / (r2 * r2)
    return 4.0 * (G.sum(axis=1)[:, None] * X - G @ X)


def repulsion_args(small=False):
    return (np.random.default_rng(46).standard_normal((5 if small else 50, 3)),)


# ---------------------------------------------------------------------------------
# a damped spring chain on a ring by np.roll, 1000 steps (session perf20)


def chain_roll(x0, v0, k):
    x, v = x0, v0
    dt, c = 0.01, 0.1
    for t in range(1000):
        a = -k * (2.0 * x - np.roll(x, 1) - np.roll(x, -1)) - c * v
        v = v + dt * a
        x = x + dt * v
    return np.sum(x * x)


def chain_roll_hand(x0, v0, k):
    x, v = x0, v0
    dt, c = 0.01, 0.1
    for t in range(1000):
        a = -k * (2.0 * x - np.roll(x, 1) - np.roll(x, -1)) - c * v
        v = v + dt * a
        x = x + dt * v
    gx, gv = 2.0 * x, np.zeros_like(x)
    for t in range(1000):   # (linear: the backward steps need no forward state)
        gv = gv + dt * gx
        ga = dt * gv
        gx = gx - k * (2.0 * ga - np.roll(ga, 1) - np.roll(ga, -1))
        gv = gv - c * ga
    return gx


def chain_roll_args(small=False):
    rng = np.random.default_rng(47)
    n = 5 if small else 32
    return rng.standard_normal(n), rng.standard_normal(n), 2.0


# ---------------------------------------------------------------------------------
# Gaussian negative log-likelihood, diagonal covariance (session perf20)


def gauss_diag(mu, logvar, X):
    var = np.exp(logvar)
    d = X - mu
    return 0.5 * np.sum(d * d / var + logvar + np.log(2.0 * np.pi))


def gauss_diag_hand(mu, logvar, X):
    iv = np.exp(-logvar)
    d = X - mu
    return -iv * np.sum(d, axis=0), 0.5 * (X.shape[0] - np.sum(d * d, axis=0) * iv)


def gauss_diag_args(small=False):
    rng = np.random.default_rng(48)
    n, d = (6, 3) if small else (200, 8)
    return rng.standard_normal(d), 0.1 * rng.standard_normal(d), rng.standard_normal((n, d))


# ---------------------------------------------------------------------------------
# a tanh MLP written as a class: tl.grad(model.loss), loss calling self.predict
# (session perf21)


class MLPModel:
    def predict(self, params, x):
        W1, b1, W2, b2 = params
        h = np.tanh(W1 @ x + b1)
        return W2 @ h + b2

    def loss(self, params, x, y):
        r = self.predict(params, x) - y
        return np.sum(r * r)


MLP_MODEL = MLPModel()


def mlp_function(params, x, y):
    """MLPModel.loss as one function: what the peers differentiate (they swap the
    global ``np`` of the function they are given, not of a class's methods)."""
    W1, b1, W2, b2 = params
    h = np.tanh(W1 @ x + b1)
    r = W2 @ h + b2 - y
    return np.sum(r * r)


def mlp_method_hand(params, x, y):
    W1, b1, W2, b2 = params
    h = np.tanh(W1 @ x + b1)
    gy = 2.0 * (W2 @ h + b2 - y)
    ga = (W2.T @ gy) * (1.0 - h * h)
    return (ga @ x.T, ga.sum(axis=1, keepdims=True), gy @ h.T, gy.sum(axis=1, keepdims=True))


def mlp_method_args(small=False):
    W1, b1, W2, b2, x = mlp_args(64)(small)
    y = np.random.default_rng(49).standard_normal((W2.shape[0], x.shape[1]))
    return ((W1, b1, W2, b2), x, y)


# ---------------------------------------------------------------------------------
# cosine similarity of rows, summed (session perf21)


def cosine(a, b):
    na = np.sqrt(np.sum(a * a, axis=1))
    nb = np.sqrt(np.sum(b * b, axis=1))
    return np.sum(np.sum(a * b, axis=1) / (na * nb))


def cosine_hand(a, b):
    na = np.sqrt((a * a).sum(axis=1))
    nb = np.sqrt((b * b).sum(axis=1))
    inv = 1.0 / (na * nb)
    c = (a * b).sum(axis=1) * inv
    return inv[:, None] * b - (c / (na * na))[:, None] * a


def cosine_args(small=False):
    rng = np.random.default_rng(50)
    n, d = (5, 3) if small else (128, 16)
    return rng.standard_normal((n, d)), rng.standard_normal((n, d))


# ---------------------------------------------------------------------------------
# Gaussian mixture log-likelihood with a logsumexp over components (session perf21)


def gmm(mu, logs, X):
    z = (X[:, None] - mu[None, :]) / np.exp(logs)
    lp = -0.5 * z * z - logs
    m = np.max(lp, axis=1, keepdims=True)
    return -np.sum(m[:, 0] + np.log(np.sum(np.exp(lp - m), axis=1)))


def gmm_hand(mu, logs, X):
    s = np.exp(-logs)
    z = (X[:, None] - mu) * s
    lp = -0.5 * z * z - logs
    e = np.exp(lp - lp.max(axis=1, keepdims=True))
    R = e / e.sum(axis=1, keepdims=True)
    return -(R * z).sum(axis=0) * s, -(R * (z * z - 1.0)).sum(axis=0)


def gmm_args(small=False):
    rng = np.random.default_rng(51)
    k, n = (3, 6) if small else (5, 500)
    return rng.standard_normal(k), 0.1 * rng.standard_normal(k), rng.standard_normal(n)


# ---------------------------------------------------------------------------------
# 1-D wave equation, leapfrog u_next = 2u - u_prev + c * lap(u), 500 steps
# (session perf21)


def wave(u0, c):
    u_prev = u0
    u = u0
    for t in range(500):
        lap = np.zeros_like(u)
        lap[1:-1] = u[2:] - 2.0 * u[1:-1] + u[:-2]
        u_next = 2.0 * u - u_prev + c * lap
        u_prev = u
        u = u_next
    return np.sum(u * u)


def wave_hand(u0, c):
    u_prev, u = u0, u0
    laps = []
    for t in range(500):
        lap = np.zeros_like(u)
        lap[1:-1] = u[2:] - 2.0 * u[1:-1] + u[:-2]
        laps.append(lap)
        u_prev, u = u, 2.0 * u - u_prev + c * lap
    gu, gp, gc = 2.0 * u, np.zeros_like(u), 0.0
    for t in range(499, -1, -1):   # (u_prev, u) <- (u, 2u - u_prev + c lap(u))
        gc += np.dot(gu, laps[t])
        gl = c * gu[1:-1]
        g = 2.0 * gu + gp
        g[2:] += gl
        g[1:-1] -= 2.0 * gl
        g[:-2] += gl
        gp = -gu
        gu = g
    return gu + gp, gc


def wave_args(small=False):
    x = np.linspace(0.0, 1.0, 8 if small else 64)
    return np.exp(-100.0 * (x - 0.5) ** 2), 0.2


# ---------------------------------------------------------------------------------
# the kinds of issue 6 written the way other people write them (session perf23):
# np.einsum and np.linalg.norm for the squared norm, a logistic map, a while loop
# with a tolerance, MLPs with parameters in a dict or a list, logistic regression on
# labels in {-1, 1}, an RNN with a per-step loss, masses between walls, heat by slices,
# a branch and a while loop on arrays


def einsum_square(x):
    return 2.0 * np.einsum("i,i->", x, x)


def norm_square(x):
    return 2 * np.linalg.norm(x) ** 2


def logistic_map(r):
    x = 0.3
    for i in range(1000):
        x = r * x * (1.0 - x)
    return x


def logistic_map_hand(r):
    xs = []
    x = 0.3
    for i in range(1000):
        xs.append(x)
        x = r * x * (1.0 - x)
    g, gr = 1.0, 0.0
    for i in range(999, -1, -1):
        xi = xs[i]
        gr += g * xi * (1.0 - xi)
        g = g * r * (1.0 - 2.0 * xi)
    return gr


def logistic_map_args(small=False):
    return (2.8,)


def fixed_point(a):
    x = 1.0
    x_old = 0.0
    while abs(x - x_old) > 1e-12:
        x_old = x
        x = a * np.cos(x)
    return x


def fixed_point_hand(a):
    xs = []
    x, x_old = 1.0, 0.0
    while abs(x - x_old) > 1e-12:
        x_old = x
        xs.append(x)
        x = a * np.cos(x)
    gx, ga = 1.0, 0.0
    for xi in reversed(xs):
        ga += gx * np.cos(xi)
        gx = -gx * a * np.sin(xi)
    return ga


def fixed_point_args(small=False):
    return (0.5,)


def sigmoid_dict(params, X, Y):
    h1 = 1.0 / (1.0 + np.exp(-(X @ params["W1"] + params["b1"])))
    h2 = 1.0 / (1.0 + np.exp(-(h1 @ params["W2"] + params["b2"])))
    out = h2 @ params["W3"] + params["b3"]
    return np.mean((out - Y) ** 2)


def sigmoid_dict_hand(params, X, Y):
    W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    h1 = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
    h2 = 1.0 / (1.0 + np.exp(-(h1 @ W2 + b2)))
    go = 2.0 * (h2 @ W3 + b3 - Y) / Y.size
    g2 = (go @ W3.T) * h2 * (1.0 - h2)
    g1 = (g2 @ W2.T) * h1 * (1.0 - h1)
    return {"W1": X.T @ g1, "b1": g1.sum(axis=0), "W2": h1.T @ g2, "b2": g2.sum(axis=0),
            "W3": h2.T @ go, "b3": go.sum(axis=0)}


def sigmoid_dict_args(small=False):
    rng = np.random.default_rng(61)
    n, d, h, o = (4, 3, 5, 2) if small else (64, 32, 64, 4)
    params = {"W1": rng.standard_normal((d, h)) / np.sqrt(d), "b1": np.zeros(h),
              "W2": rng.standard_normal((h, h)) / np.sqrt(h), "b2": np.zeros(h),
              "W3": rng.standard_normal((h, o)) / np.sqrt(h), "b3": np.zeros(o)}
    return params, rng.standard_normal((n, d)), rng.standard_normal((n, o))


def softplus_xent(params, X, Y):
    W1, b1, W2, b2 = params
    h = np.log(1.0 + np.exp(X @ W1 + b1))
    logits = h @ W2 + b2
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def softplus_xent_hand(params, X, Y):
    W1, b1, W2, b2 = params
    a = X @ W1 + b1
    h = np.log1p(np.exp(a))
    logits = h @ W2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    gl = (p * Y.sum(axis=1, keepdims=True) - Y) / X.shape[0]
    gh = (gl @ W2.T) / (1.0 + np.exp(-a))
    return [X.T @ gh, gh.sum(axis=0), h.T @ gl, gl.sum(axis=0)]


def softplus_xent_args(small=False):
    rng = np.random.default_rng(62)
    n, d, h, o = (5, 3, 4, 3) if small else (128, 20, 50, 10)
    return ([rng.standard_normal((d, h)) / np.sqrt(d), np.zeros(h),
             rng.standard_normal((h, o)) / np.sqrt(h), np.zeros(o)],
            rng.standard_normal((n, d)), np.eye(o)[rng.integers(0, o, n)])


def logreg_pm(w, b, X, y):
    margins = y * (X @ w + b)
    return np.mean(np.log(1.0 + np.exp(-margins)))


def logreg_pm_hand(w, b, X, y):
    s = -y / (1.0 + np.exp(y * (X @ w + b))) / y.shape[0]
    return s @ X, np.sum(s)


def logreg_pm_args(small=False):
    w, X, y = logreg_args(small)
    return w, 0.1, X, 2.0 * y - 1.0


def rnn_bias(W, U, b, xs, ys, h0):
    hs = [h0]
    loss = 0.0
    for t in range(len(xs)):
        h = np.tanh(W @ hs[-1] + U @ xs[t] + b)
        hs.append(h)
        loss = loss + np.sum((h - ys[t]) ** 2)
    return loss


def rnn_bias_hand(W, U, b, xs, ys, h0):
    hs = [h0]
    for t in range(len(xs)):
        hs.append(np.tanh(W @ hs[-1] + U @ xs[t] + b))
    gW, gU, gb = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    gh = np.zeros_like(h0)
    for t in range(len(xs) - 1, -1, -1):
        h = hs[t + 1]
        gh = gh + 2.0 * (h - ys[t])
        ga = gh * (1.0 - h * h)
        gW += np.outer(ga, hs[t])
        gU += np.outer(ga, xs[t])
        gb += ga
        gh = W.T @ ga
    return gW, gU, gb


def rnn_bias_args(small=False):
    rng = np.random.default_rng(65)
    H, D, T = (3, 2, 4) if small else (32, 8, 40)
    return (rng.standard_normal((H, H)) / np.sqrt(H), rng.standard_normal((H, D)) / np.sqrt(D),
            0.1 * rng.standard_normal(H), rng.standard_normal((T, D)),
            0.5 * rng.standard_normal((T, H)), np.zeros(H))


def walls(x0, k):
    # 4 masses on 5 springs between walls at 0 and 5, semi-implicit Euler with damping
    x = x0
    v = np.zeros_like(x0)
    dt = 0.01
    for step in range(1000):
        ext = np.concatenate(([0.0], x, [5.0]))
        stretch = ext[1:] - ext[:-1] - 1.0
        f = k[1:] * stretch[1:] - k[:-1] * stretch[:-1]
        v = v + dt * f - 0.01 * v
        x = x + dt * v
    return np.sum((x - x0) ** 2)


def walls_hand(x0, k):
    dt = 0.01
    x, v = x0, np.zeros_like(x0)
    ss = []
    for step in range(1000):
        s = np.diff(np.concatenate(([0.0], x, [5.0]))) - 1.0
        ss.append(s)
        v = v + dt * (k[1:] * s[1:] - k[:-1] * s[:-1]) - 0.01 * v
        x = x + dt * v
    gx = 2.0 * (x - x0)
    gx0 = -gx
    gv = np.zeros_like(x)
    gk = np.zeros_like(k)
    for step in range(999, -1, -1):
        s = ss[step]
        gv = gv + dt * gx
        gf = dt * gv
        gv = 0.99 * gv
        gk[1:] += gf * s[1:]
        gk[:-1] -= gf * s[:-1]
        gs = np.zeros_like(s)
        gs[1:] += gf * k[1:]
        gs[:-1] -= gf * k[:-1]
        gx = gx + gs[:-1] - gs[1:]
    return gx + gx0, gk


def walls_args(small=False):
    return np.array([1.1, 2.0, 2.9, 4.1]), np.array([1.0, 2.0, 1.5, 1.0, 2.5])


def heat_slices(u0, alpha):
    u = u0.copy()
    for step in range(500):
        u_new = u.copy()
        u_new[1:-1] = u[1:-1] + alpha * (u[2:] - 2 * u[1:-1] + u[:-2])
        u = u_new
    return np.sum(u ** 2)


def heat_slices_hand(u0, alpha):
    u = u0
    laps = []
    for step in range(500):
        lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
        laps.append(lap)
        u = u.copy()
        u[1:-1] += alpha * lap
    g = 2.0 * u
    ga = 0.0
    for step in range(499, -1, -1):
        gi = g[1:-1]
        ga += np.dot(gi, laps[step])
        s = alpha * gi
        g = g.copy()
        g[2:] += s
        g[1:-1] -= 2.0 * s
        g[:-2] += s
    return g, ga


def heat_slices_args(small=False):
    x = np.linspace(0, 1, 10 if small else 100)
    return np.sin(np.pi * x) + 0.1 * np.cos(7 * x), 0.25


def grow_while(x):
    if np.sum(x) > 0:
        y = np.sin(x)
    else:
        y = np.cos(x)
    s = np.sum(y * y)
    while s < 100.0:
        y = 1.5 * y
        s = np.sum(y * y)
    return s


def grow_while_hand(x):
    pos = np.sum(x) > 0
    y = np.sin(x) if pos else np.cos(x)
    s = np.sum(y * y)
    scale = 1.0
    while s < 100.0:
        y = 1.5 * y
        scale *= 1.5
        s = np.sum(y * y)
    gy = 2.0 * y * scale
    return gy * np.cos(x) if pos else -gy * np.sin(x)


def grow_while_args(small=False):
    return (np.random.default_rng(67).standard_normal(5 if small else 50),)


# ---------------------------------------------------------------------------------


@dataclass
class Case:
    key: str
    label: str
    f: Callable
    wrt: Union[int, Tuple[int, ...]]
    hand: Callable
    args: Callable[..., tuple]          # args(small=False) -> the inputs
    loop: bool = False                  # report the gradient's peak memory
    # peer name -> replacement for f in that peer's idiom (default: f with np swapped)
    peers: Dict[str, Callable] = field(default_factory=dict)
    note: Optional[str] = None

    @property
    def wrt_tuple(self) -> Tuple[int, ...]:
        return self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)


CASES = [
    Case("dot_4", "2*np.dot(x,x), n=4", twice_dot, 0, twice_dot_hand, twice_dot_args(4)),
    Case("dot_1e3", "2*np.dot(x,x), n=1e3", twice_dot, 0, twice_dot_hand, twice_dot_args(1000)),
    Case("dot_1e6", "2*np.dot(x,x), n=1e6", twice_dot, 0, twice_dot_hand,
         twice_dot_args(1000000)),
    Case("scalar_loop", "scalar loop, 1000 steps", scalar_loop, 0, scalar_loop_hand,
         scalar_loop_args, loop=True),
    Case("mlp_64", "tanh MLP 64 hidden, batch 32", mlp, (0, 1, 2, 3), mlp_hand, mlp_args(64)),
    Case("mlp_512", "tanh MLP 512 hidden, batch 32", mlp, (0, 1, 2, 3), mlp_hand,
         mlp_args(512)),
    Case("mlp_params", "tanh MLP 64 hidden, batch 32, parameters in a tuple", mlp_params, 0,
         mlp_params_hand, mlp_params_args),
    Case("while_if", "while/if (seed), scalar", while_if, 0, while_if_hand, while_if_args),
    Case("logreg", "logistic regression 1000x20", logreg, 0, logreg_hand, logreg_args),
    Case("logreg_lae", "logistic regression 1000x20, np.logaddexp(0, -y * z)",
         logreg_logaddexp, 0, logreg_logaddexp_hand, logreg_logaddexp_args),
    Case("rnn", "RNN 50 steps, H=32, D=16", rnn, (0, 1), rnn_hand, rnn_args, loop=True),
    Case("spring", "spring ring 64, 1000 steps", spring, (0, 2), spring_hand, spring_args,
         loop=True),
    Case("softmax", "softmax cross-entropy 64x20x10", softmax_xent, 0, softmax_xent_hand,
         softmax_args),
    Case("lsq", "least squares 200x50", least_squares, 0, least_squares_hand,
         least_squares_args),
    Case("rosen", "Rosenbrock n=100", rosenbrock, 0, rosenbrock_hand, rosenbrock_args),
    Case("gru", "GRU 30 steps, H=16", gru, (0, 1), gru_hand, gru_args, loop=True),
    Case("indexed", "loop reading w[i], x[i], 100 steps", indexed_loop, 0, indexed_loop_hand,
         indexed_loop_args, loop=True),
    Case("heat", "heat equation n=100, 200 steps", heat, (0, 1), heat_hand, heat_args,
         loop=True),
    Case("pairs", "pairwise energy, 100 points", pair_energy, 0, pair_energy_hand,
         pair_energy_args),
    Case("relu_mlp", "ReLU MLP + softmax 64x32x64x10", relu_mlp, (0, 1, 2, 3), relu_mlp_hand,
         relu_mlp_args),
    Case("attention", "attention head 64x32", attention, (0, 1, 2), attention_hand,
         attention_args),
    Case("rnn_list", "RNN with a list of states, 50 steps", rnn_list, (0, 1), rnn_list_hand,
         rnn_list_args, loop=True),
    Case("euler", "Euler steps into a preallocated array, 100 steps", euler, (0, 1),
         euler_hand, euler_args, loop=True),
    Case("mlp_list", "tanh MLP 64-64-64-10, batch 32, layers in a list of (W, b) read by a loop",
         mlp_list, 0, mlp_list_hand, mlp_list_args),
    Case("rk4", "RK4 of a 2-state Lotka-Volterra system, 50 steps", rk4, (0, 1), rk4_hand,
         rk4_args, loop=True),
    Case("lorenz", "Euler of a 3-state Lorenz system kept in small arrays, 100 steps", lorenz,
         (0, 1), lorenz_hand, lorenz_args, loop=True),
    Case("huber", "Huber loss by np.where, 1000x20", huber, 0, huber_hand, huber_args),
    Case("conv1d", "1-D convolution by np.convolve, 500 points, 7 taps", conv1d, 0, conv1d_hand,
         conv1d_args),
    Case("pendulum", "damped pendulum, RK2 in small arrays, 100 steps", pendulum, (0, 1),
         pendulum_hand, pendulum_args, loop=True),
    Case("lstm", "LSTM 20 steps, H=16, D=8", lstm, 0, lstm_hand, lstm_args, loop=True),
    Case("labels_xent", "cross-entropy, integer labels, exp written twice, 64x20x10",
         labels_xent, 0, labels_xent_hand, labels_xent_args),
    Case("ridge", "ridge regression by np.linalg.solve, 100x10, by the targets", ridge, 0,
         ridge_hand, ridge_args),
    Case("rnn_items", "tanh RNN, states in a list summed by a loop over it, 20 steps",
         rnn_items, 0, rnn_items_hand, rnn_items_args, loop=True),
    Case("bilinear", "bilinear form x @ A @ y, n=50", bilinear, 0, bilinear_hand,
         bilinear_args),
    Case("linear_l2", "linear model with L2, five small arguments (4x6)", linear_l2, (0, 1),
         linear_l2_hand, linear_l2_args),
    Case("repulsion", "pairwise repulsion by broadcasting, 50 points", repulsion, 0,
         repulsion_hand, repulsion_args),
    Case("chain_roll", "damped spring chain by np.roll, 32 masses, 1000 steps", chain_roll, 0,
         chain_roll_hand, chain_roll_args, loop=True),
    Case("gauss_diag", "Gaussian NLL, diagonal covariance, 200x8", gauss_diag, (0, 1),
         gauss_diag_hand, gauss_diag_args),
    Case("mlp_method", "tanh MLP 64 hidden, batch 32, as a class: tl.grad(model.loss)",
         MLP_MODEL.loss, 0, mlp_method_hand, mlp_method_args,
         peers={name: mlp_function for name in ("autograd", "jax", "torch", "tangent-ad")}),
    Case("cosine", "cosine similarity of rows, 128x16", cosine, 0, cosine_hand, cosine_args),
    Case("gmm", "Gaussian mixture log-likelihood, logsumexp, 500 points, 5 components", gmm,
         (0, 1), gmm_hand, gmm_args),
    Case("wave", "1-D wave equation, leapfrog, 64 points, 500 steps", wave, (0, 1), wave_hand,
         wave_args, loop=True),
    Case("einsum_1e6", "2.0 * np.einsum('i,i->', x, x), n=1e6", einsum_square, 0,
         twice_dot_hand, twice_dot_args(1000000)),
    Case("norm2_4", "2 * np.linalg.norm(x) ** 2, n=4", norm_square, 0, twice_dot_hand,
         twice_dot_args(4)),
    Case("logistic_map", "logistic map, 1000 steps, by its rate", logistic_map, 0,
         logistic_map_hand, logistic_map_args, loop=True),
    Case("fixed_point", "while |x - x_old| > tol: x = a cos x", fixed_point, 0,
         fixed_point_hand, fixed_point_args, loop=True),
    Case("sigmoid_dict", "sigmoid MLP 32-64-64-4, batch 64, parameters in a dict, MSE",
         sigmoid_dict, 0, sigmoid_dict_hand, sigmoid_dict_args),
    Case("softplus_xent", "softplus MLP 20x50x10, batch 128, parameters in a list, "
         "softmax cross-entropy", softplus_xent, 0, softplus_xent_hand, softplus_xent_args),
    Case("logreg_pm", "logistic regression 1000x20 with a bias, labels in {-1, 1}, "
         "np.log(1 + np.exp(-m))", logreg_pm, (0, 1), logreg_pm_hand, logreg_pm_args),
    Case("rnn_bias", "tanh RNN with a bias, list of states, per-step loss, 40 steps, H=32",
         rnn_bias, (0, 1, 2), rnn_bias_hand, rnn_bias_args, loop=True),
    Case("walls", "4 masses on springs between walls, np.concatenate padding, 1000 steps",
         walls, (0, 1), walls_hand, walls_args, loop=True),
    Case("heat_slices", "heat equation by u_new = u.copy(); u_new[1:-1] = ..., n=100, "
         "500 steps", heat_slices, (0, 1), heat_slices_hand, heat_slices_args, loop=True),
    Case("grow_while", "if on a sign, then a while loop growing an array, n=50", grow_while, 0,
         grow_while_hand, grow_while_args),
]

BY_KEY = {case.key: case for case in CASES}


def as_tuple(g, wrt):
    return tuple(g) if isinstance(wrt, tuple) else (g,)


def leaves(g) -> list:
    """The arrays of a gradient, in order: a tuple, list or dict argument's gradient is
    one of the same structure (a dict's by its sorted keys: JAX gives a dict sorted)."""
    if isinstance(g, dict):
        g = [g[k] for k in sorted(g)]
    if isinstance(g, (tuple, list)):
        return [leaf for item in g for leaf in leaves(item)]
    return [g]


def compare(got, want, wrt, rtol=1e-6) -> Optional[str]:
    """None if ``got`` equals the hand-written ``want`` (gradients for ``wrt``), else a
    description of the first difference."""
    got, want = as_tuple(got, wrt), as_tuple(want, wrt)
    if len(got) != len(want):
        return f"{len(got)} gradients, expected {len(want)}"
    pairs = [(i, g, w) for i, (gs, ws) in zip(wrt if isinstance(wrt, tuple) else (wrt,),
                                              zip(got, want))
             for g, w in zip(leaves(gs), leaves(ws))]
    if sum(len(leaves(g)) for g in got) != len(pairs):
        return "gradients of another structure than the hand-written ones"
    for i, g, w in pairs:
        g = np.asarray(g, dtype=float)
        w = np.asarray(w, dtype=float)
        if g.shape != w.shape:
            return f"argument {i}: shape {g.shape}, expected {w.shape}"
        atol = 1e-9 * max(1.0, float(np.max(np.abs(w))) if w.size else 1.0)
        if not np.allclose(g, w, rtol=rtol, atol=atol):
            err = float(np.max(np.abs(g - w)))
            return f"argument {i}: max abs difference {err:.3g} (scale {np.max(np.abs(w)):.3g})"
    return None


def check_case(case: Case, small: bool = False) -> Optional[str]:
    """Compare tangentlike's gradient of ``case.f`` with the hand-written one."""
    import tangentlike as tl
    args = case.args(small=small)
    return compare(tl.grad(case.f, wrt=case.wrt)(*args), case.hand(*args), case.wrt)
