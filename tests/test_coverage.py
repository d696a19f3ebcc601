"""Coverage: tl.supported(), docs/coverage.md, and behaviour the registry test cannot
reach (calls as users write them, inputs at the conventions' special points).

Every rule is also checked to second order at its own example calls by test_rules.py.
"""
import importlib.util
import math
import operator
import pathlib

import numpy as np
import pytest

import tangentlike as tl
from tangentlike.rules import RULES

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def _make_coverage():
    spec = importlib.util.spec_from_file_location("make_coverage", DOCS / "make_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- tl.supported() and the generated table ----------------------------------------------
def test_supported_maps_qualified_names_to_modes():
    supported = tl.supported()
    both = {"reverse", "forward"}
    for name in ["numpy.tanh", "numpy.linalg.inv", "math.sin", "operator.add", "numpy.abs",
                 "numpy.absolute", "numpy.einsum", "numpy.linalg.slogdet", "max", "sum"]:
        assert supported[name] == both, name
    assert "numpy.shape" not in supported
    assert not any(name.startswith("tangentlike.") for name in supported)


def test_supported_constants():
    constants = tl.supported(constants=True)
    for name in ["numpy.shape", "numpy.argmax", "numpy.floor", "numpy.zeros_like", "len",
                 "operator.lt", "numpy.isclose"]:
        assert constants[name] == {"constant"}, name
    assert "numpy.tanh" not in constants
    assert not any(name.startswith("numpy.random") for name in constants)


def test_at_least_160_numpy_functions_in_both_modes():
    count = sum(1 for rule in RULES.values()
                if rule.name.startswith("numpy") and rule.adjoint and rule.tangent)
    assert count >= 160


ISSUE_FUNCTIONS = """
sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh deg2rad rad2deg
degrees radians sinc exp exp2 expm1 log log2 log10 log1p logaddexp logaddexp2 power
float_power square reciprocal cbrt sqrt abs clip where maximum minimum fmax fmin hypot
arctan2 real imag conj sum mean prod max min amax amin var std cumsum cumprod nansum
nanmean average reshape transpose swapaxes moveaxis expand_dims squeeze concatenate stack
hstack vstack split tile repeat broadcast_to flip fliplr flipud roll pad diag diagonal triu
tril trace ravel copy atleast_1d atleast_2d dot matmul outer inner tensordot einsum kron
cross sort take take_along_axis linalg.inv linalg.solve linalg.det linalg.slogdet
linalg.norm linalg.cholesky linalg.eigh linalg.svd linalg.pinv
""".split()


@pytest.mark.parametrize("name", ISSUE_FUNCTIONS)
def test_functions_named_in_the_issue_are_supported(name):
    assert tl.supported()[f"numpy.{name}"] == {"reverse", "forward"}


@pytest.mark.parametrize("name", ["shape", "zeros_like", "argmax", "floor", "sign", "less",
                                  "isclose", "ndim", "size"])
def test_constants_named_in_the_issue(name):
    assert f"numpy.{name}" in tl.supported(constants=True)


def test_coverage_doc_is_up_to_date():
    make_coverage = _make_coverage()
    written = (DOCS / "coverage.md").read_text(encoding="utf-8")
    if make_coverage.environment() not in written:
        pytest.skip(f"docs/coverage.md was generated in another environment than "
                    f"{make_coverage.environment()}")
    assert written == make_coverage.render(), \
        "docs/coverage.md is out of date: run python docs/make_coverage.py"


# -- calls as users write them -------------------------------------------------------------
A = np.array([[1.3, 0.2, -0.4], [0.1, 0.9, 0.3], [-0.2, 0.5, 1.6]])
V = np.array([0.7, -1.3, 0.4])


def unpack_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet * sign


def unpack_eigh(a):
    w, v = np.linalg.eigh(a + a.T)
    return np.sum(w * w) + np.sum(v[:, 0] ** 2 * np.arange(3.0))


def svd_values_and_vectors(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(s) + np.sum(np.abs(u[:, 0] * vh[0, :]))


def svd_values(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) ** 2)


def norm_orders(x):
    return (np.linalg.norm(x, np.inf) + np.linalg.norm(x, ord=1) + np.linalg.norm(x, 3)
            + np.linalg.norm(x))


def join_and_split(x, y):
    z = np.concatenate([x, 2.0 * y])
    s = np.stack((x, y), axis=1)
    a, b = np.split(z, 2)
    return np.sum(a * b) + np.sum(s[:, 0] * s[:, 1]) + np.sum(np.hstack([x, y]) ** 2)


def methods(x):
    return (x.max() + x.min(axis=0).sum() + x.prod() + x.clip(-0.45, 0.45).sum() + x.var()
            + x.std(axis=1).sum() + (x.cumsum() ** 2).sum() + (x.ravel() ** 2).sum()
            + x.flatten().sum() + x.copy().sum() + x[None].squeeze().sum() + x.trace()
            + x.diagonal().sum() + (x.swapaxes(0, 1) ** 3).sum() + x.conj().sum()
            + (x.repeat(2) ** 2).sum() + x.take([0, 2]).sum() + (x.T @ x).sum()
            + x.real.sum() + x.dot(x).sum() + x.cumprod().sum())


def pad_with_value(x, c):
    return np.sum(np.pad(x, 1, constant_values=c) ** 2)


def einsum_forms(a, v):
    return (np.einsum("ij,j->i", a, v).sum() + np.einsum("ii", a) + np.einsum("i,i", v, v)
            + np.einsum("ij,jk,k->", a, a, v) + np.sum(np.einsum("ij->ji", a) * a))


def python_scalars(x, y):
    return (max(x, y) * min(x, y) + math.atan2(y, x) + math.hypot(x, y) + math.erf(x)
            + math.lgamma(y + 2.0) + pow(y, 2.0) + abs(x) + float(y) + sum([x, y, x * y]))


def average_with_weights(x, w):
    return np.average(x, axis=1, weights=w).sum() + np.average(x, weights=np.abs(x) + 1.0)


CASES = [
    (unpack_slogdet, (A,)), (unpack_eigh, (A,)), (svd_values_and_vectors, (A,)),
    (svd_values, (A[:, :2],)), (norm_orders, (V,)), (join_and_split, (V, V[::-1] * 1.5)),
    (methods, (A,)), (pad_with_value, (A, 0.7)), (einsum_forms, (A, V)),
    (python_scalars, (0.7, 0.3)), (average_with_weights, (A, np.array([0.5, 1.0, 2.0]))),
]


@pytest.mark.parametrize("func,args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_user_code_to_second_order(func, args):
    tl.check_grads(func, args, order=2)


# -- conventions at special points (docs/conventions.md) ------------------------------------
def total_abs(x):
    return np.sum(np.abs(x))


def largest(x):
    return np.max(x)


def pairwise_max(x, y):
    return np.sum(np.maximum(x, y))


def clipped(x):
    return np.sum(np.clip(x, 0.0, 1.0))


def sorted_weighted(x):
    return np.sum(np.sort(x) * np.arange(1.0, 5.0))


def median(x):
    return np.median(x)


def product(x):
    return np.prod(x)


def running_product(x):
    return np.sum(np.cumprod(x))


def builtin_max(a, b):
    return max(a, b)


def nan_mean(x):
    return np.nanmean(x)


@pytest.mark.parametrize("func,args,expected", [
    (total_abs, (np.array([0.0, 1.0, -2.0]),), [0.0, 1.0, -1.0]),
    (largest, (np.array([1.0, 3.0, 3.0, 2.0]),), [0.0, 0.5, 0.5, 0.0]),
    (clipped, (np.array([0.0, 1.0, 0.5, 2.0]),), [0.5, 0.5, 1.0, 0.0]),
    (sorted_weighted, (np.array([2.0, 1.0, 2.0, 0.0]),), [3.0, 2.0, 4.0, 1.0]),
    (median, (np.array([2.0, 2.0, 5.0]),), [0.0, 1.0, 0.0]),
    (product, (np.array([0.0, 2.0, 3.0]),), [6.0, 0.0, 0.0]),
    (product, (np.array([0.0, 0.0, 3.0]),), [0.0, 0.0, 0.0]),
    (running_product, (np.array([2.0, 0.0, 3.0]),), [1.0, 8.0, 0.0]),
    (nan_mean, (np.array([1.0, np.nan, 3.0, 3.0]),), [1 / 3, 0.0, 1 / 3, 1 / 3]),
], ids=["abs", "max", "clip", "sort", "median", "prod-zero", "prod-zeros", "cumprod-zero",
        "nanmean"])
def test_conventions(func, args, expected):
    np.testing.assert_allclose(tl.grad(func)(*args), expected)
    direction = np.linspace(0.5, 1.5, len(expected))
    np.testing.assert_allclose(tl.jvp(func)(*args, direction), np.dot(expected, direction))


def test_ties_between_two_inputs_split_evenly():
    gx, gy = tl.grad(pairwise_max, wrt=(0, 1))(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    np.testing.assert_allclose(gx, [0.5, 0.0])
    np.testing.assert_allclose(gy, [0.5, 1.0])
    assert tl.grad(builtin_max, wrt=(0, 1))(1.0, 1.0) == (0.5, 0.5)


def test_products_with_a_zero_are_exact_to_first_order():
    tl.check_grads(product, (np.array([0.0, 1.5, -0.7]),), order=1)
    tl.check_grads(running_product, (np.array([1.5, 0.0, -0.7, 2.0]),), order=1)


def test_nan_reductions_ignore_nans_to_second_order():
    x = np.array([[0.3, np.nan, 1.2], [np.nan, -0.4, 0.8]])

    def f(x):
        # (elementwise functions before the reduction would put 0 * nan in the derivative)
        return (np.nansum(x) ** 2 + np.nanmean(x, axis=0).sum() * np.nanvar(x)
                + np.nanstd(x, axis=1).sum() + np.nanmax(x) + np.sum(np.nancumsum(x) ** 2))

    tl.check_grads(f, (x,), order=2)


def test_operators_modulo_and_floor_division():
    def f(x, y):
        return np.sum(x % y + (x // y) * x)

    tl.check_grads(f, (np.array([2.7, -1.3]), np.array([1.1, 0.9])), order=2)


def test_operator_module_names_resolve():
    assert tl.supported()["operator.mod"] == {"reverse", "forward"}
    assert operator.floordiv in tl.rules.NONDIFF
