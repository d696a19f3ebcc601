"""Peers: other ways to get the same gradient, each optional.

Each peer turns a case into ``(fn, args, to_numpy)``: calling ``fn(*args)`` computes the
gradient (finished: JAX results are blocked on), ``to_numpy`` turns its result into what
``tl.grad`` returns (an array/float, or a tuple for a tuple ``wrt``). Input conversion
(NumPy to tensors, device_put) happens once, outside the timed call.

autograd, JAX and PyTorch run the case's own code object with ``np`` bound to their
NumPy-like module (see :func:`with_numpy`); tangent-ad reads the source like
tangentlike. ``jax.jit`` is measured in a child process (``python peers.py jit KEY``)
so that a compile that takes too long (XLA unrolls Python loops) can be stopped.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
import types
from typing import Callable, Dict, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import cases as cases_mod  # noqa: E402
from timing import measure_interleaved  # noqa: E402

PEER_NAMES = ("autograd", "jax", "jax.jit", "torch", "tangent-ad")
DISTRIBUTIONS = {"autograd": "autograd", "jax": "jax", "jax.jit": "jax", "torch": "torch",
                 "tangent-ad": "tangent-ad"}


class Unavailable(Exception):
    """The peer is not installed or cannot be imported."""


def with_numpy(f: Callable, module) -> Callable:
    """``f``'s own code with the global name ``np`` bound to ``module``."""
    namespace = dict(f.__globals__)
    namespace["np"] = module
    return types.FunctionType(f.__code__, namespace, f.__name__, f.__defaults__, f.__closure__)


def _split(case, args):
    wrt = case.wrt_tuple
    return tuple(args[i] for i in wrt), tuple(a for i, a in enumerate(args) if i not in wrt)


def quietly(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with warnings and printing suppressed (tangent-ad's generated
    code triggers a SyntaxWarning when it is compiled)."""
    import contextlib
    import io
    import warnings
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _version(dist: str) -> str:
    from importlib.metadata import version
    return version(dist)


def _configure_jax():
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1").strip()
    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return jax


class Autograd:
    name = "autograd"

    def __init__(self):
        try:
            import autograd
            import autograd.numpy as anp
        except Exception as exc:  # noqa: BLE001 - any import failure means "skip"
            raise Unavailable(f"{type(exc).__name__}: {exc}")
        self.autograd, self.anp = autograd, anp
        self.version = _version("autograd")

    def gradient(self, case, args):
        f = with_numpy(case.peers.get(self.name, case.f), self.anp)
        if not isinstance(case.wrt, tuple):
            return self.autograd.grad(f, case.wrt), tuple(args), lambda g: g
        positions, n = case.wrt, len(args)

        def packed(active, *rest):
            active, rest = iter(active), iter(rest)
            return f(*[next(active) if i in positions else next(rest) for i in range(n)])

        active, rest = _split(case, args)
        return self.autograd.grad(packed, 0), (active,) + rest, tuple


class Jax:
    name = "jax"

    def __init__(self):
        try:
            self.jax = _configure_jax()
            import jax.numpy as jnp
        except Exception as exc:  # noqa: BLE001
            raise Unavailable(f"{type(exc).__name__}: {exc}")
        self.jnp = jnp
        self.version = f"{_version('jax')} (jaxlib {_version('jaxlib')})"

    def derivative(self, case):
        f = with_numpy(case.peers.get("jax", case.f), self.jnp)
        return self.jax.grad(f, argnums=case.wrt)

    def inputs(self, args):
        return tuple(self.jax.tree_util.tree_map(lambda a: self.jax.device_put(np.asarray(a)), a)
                     for a in args)

    def to_numpy(self, g):
        if isinstance(g, dict):
            return {k: self.to_numpy(x) for k, x in g.items()}
        if isinstance(g, (tuple, list)):
            return type(g)(self.to_numpy(x) for x in g)
        return np.asarray(g)

    def gradient(self, case, args):
        g = self.derivative(case)
        block = self.jax.block_until_ready
        return (lambda *a: block(g(*a))), self.inputs(args), self.to_numpy


class Torch:
    name = "torch"

    def __init__(self):
        try:
            import torch
        except Exception as exc:  # noqa: BLE001
            raise Unavailable(f"{type(exc).__name__}: {exc}")
        torch.set_num_threads(1)
        self.torch = torch
        self.version = torch.__version__

    def gradient(self, case, args):
        torch = self.torch
        f = with_numpy(case.peers.get(self.name, case.f), torch)
        def tensor(a, active):
            if isinstance(a, dict):   # parameters by name: one tensor each
                return {k: tensor(x, active) for k, x in a.items()}
            if isinstance(a, (tuple, list)):   # a tuple of parameters: one tensor each
                return type(a)(tensor(x, active) for x in a)
            t = torch.tensor(np.asarray(a), dtype=torch.float64)
            return t.requires_grad_(True) if active else t

        wrt = case.wrt_tuple
        tensors = [tensor(a, i in wrt) for i, a in enumerate(args)]
        counts = [len(cases_mod.leaves(args[i])) for i in wrt]

        def grad(*a):
            return torch.autograd.grad(f(*a), [t for i in wrt for t in cases_mod.leaves(a[i])])

        def to_numpy(g):
            g, out = [x.detach().numpy() for x in g], []
            for i, n in zip(wrt, counts):
                part, g = g[:n], g[n:]
                out.append(dict(zip(sorted(args[i]), part)) if isinstance(args[i], dict) else
                           tuple(part) if isinstance(args[i], (tuple, list)) else part[0])
            return tuple(out) if isinstance(case.wrt, tuple) else out[0]

        return grad, tuple(tensors), to_numpy


class TangentAD:
    name = "tangent-ad"

    def __init__(self):
        try:
            self.version = _version("tangent-ad")
            import tangent
        except Exception as exc:  # noqa: BLE001
            raise Unavailable(f"{type(exc).__name__}: {exc}")
        self.tangent = tangent

    def derivative(self, case):
        return quietly(self.tangent.grad, case.peers.get(self.name, case.f), wrt=case.wrt_tuple)

    def gradient(self, case, args):
        return self.derivative(case), tuple(args), lambda g: g


class JaxJit:
    """Measured in a child process: see :func:`jit_child`."""
    name = "jax.jit"

    def __init__(self):
        import importlib.util
        if importlib.util.find_spec("jax") is None:
            raise Unavailable("jax is not installed")
        self.version = f"{_version('jax')} (jaxlib {_version('jaxlib')})"


LOADERS = {"autograd": Autograd, "jax": Jax, "jax.jit": JaxJit, "torch": Torch,
           "tangent-ad": TangentAD}


def load(names) -> Tuple[Dict[str, object], Dict[str, str]]:
    """The peers among ``names`` that import, and why the others were skipped."""
    loaded, skipped = {}, {}
    for name in names:
        try:
            loaded[name] = LOADERS[name]()
        except Unavailable as exc:
            skipped[name] = str(exc)
        except Exception as exc:  # noqa: BLE001 - a broken install is skipped, loudly
            skipped[name] = f"broken: {type(exc).__name__}: {exc}"
    return loaded, skipped


def jit_child(key: str, min_time: float, repeat: int) -> dict:
    """In this (child) process: jit the JAX gradient of case ``key``, time the first
    call (trace + compile + run) and the steady state, check it against the hand
    gradient."""
    peer = Jax()
    case = cases_mod.BY_KEY[key]
    args = case.args()
    jitted = peer.jax.jit(peer.derivative(case))
    inputs = peer.inputs(args)
    block = peer.jax.block_until_ready
    start = time.perf_counter()
    try:
        result = block(jitted(*inputs))
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
    compile_s = time.perf_counter() - start
    mismatch = cases_mod.compare(peer.to_numpy(result), case.hand(*args), case.wrt)
    if mismatch:
        return {"compile_s": compile_s, "mismatch": mismatch}
    samples = measure_interleaved({"jit": (lambda *a: block(jitted(*a)), inputs)}, min_time,
                                  repeat)["jit"]
    return {"compile_s": compile_s, "seconds": statistics.median(samples),
            "best_seconds": min(samples)}


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "jit":
        print(json.dumps(jit_child(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))))
    else:
        sys.exit("usage: python peers.py jit CASE_KEY MIN_TIME REPEAT")
