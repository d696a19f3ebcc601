"""User-defined rules: tl.adjoint, tl.tangent, tl.nondifferentiable and tl.d.

Black boxes (SciPy's C code, np.vectorize) get rules registered by a fixture that
removes them again, so the registry that tests/test_rules.py walks stays unchanged.
"""
import math

import numpy as np
import pytest

import tangentlike as tl
from tangentlike import d
from tangentlike.rules import NONDIFF, RULES
from tangentlike.rules.registry import load_optional
from tangentlike.rules.domains import binary, positive, real, unary
from tangentlike.runtime import unbroadcast

scipy_special = pytest.importorskip("scipy.special")


# -- black boxes: no source tangentlike can read ---------------------------------------------
def my_black_box(x):
    """SciPy's C implementation of Dawson's integral F; F'(x) = 1 - 2 x F(x)."""
    return scipy_special.dawsn(x)


def my_erf(x):
    return scipy_special.erf(x)


squash = np.vectorize(lambda v: math.tanh(v) if v > 0 else v)


def scaled_softplus(x, beta):
    return np.logaddexp(0.0, beta * x) / beta


def count_positive(x):
    return np.count_nonzero(x > 0)


def uses_black_box(x):
    return np.sum(my_black_box(x) ** 2) + np.sum(np.sin(x) * my_black_box(2.0 * x))


def uses_erf(x):
    return np.sum(my_erf(x) * x)


def uses_squash(x):
    return np.sum(squash(x) ** 2)


def uses_softplus(x, beta):
    return np.sum(scaled_softplus(x, beta) ** 2)


def uses_count(x):
    return np.sum(x * x) / count_positive(x)


def uses_jv(z):
    return np.sum(scipy_special.jv(1.5, z) * z)


def _register():
    @tl.adjoint(my_black_box, cases=unary())
    def my_black_box_adjoint(y, x):
        d[x] = d[y] * (1.0 - 2.0 * x * y)

    @tl.tangent(my_black_box)
    def my_black_box_tangent(y, x):
        d[y] = d[x] * (1.0 - 2.0 * x * y)

    @tl.adjoint(my_erf, cases=unary())
    def my_erf_adjoint(y, x):
        d[x] = d[y] * (2.0 / np.sqrt(np.pi)) * np.exp(-x * x)

    @tl.tangent(my_erf)
    def my_erf_tangent(y, x):
        d[y] = d[x] * (2.0 / np.sqrt(np.pi)) * np.exp(-x * x)

    @tl.adjoint(squash, cases=unary())
    def squash_adjoint(y, x):
        d[x] = d[y] * np.where(x > 0, 1.0 - y * y, 1.0)

    @tl.tangent(squash)
    def squash_tangent(y, x):
        d[y] = d[x] * np.where(x > 0, 1.0 - y * y, 1.0)

    @tl.adjoint(scaled_softplus, cases=binary(real, positive))
    def scaled_softplus_adjoint(y, x, beta):
        s = scipy_special.expit(beta * x)
        d[x] = unbroadcast(d[y] * s, x)
        d[beta] = unbroadcast(d[y] * (x * s - y) / beta, beta)

    @tl.tangent(scaled_softplus)
    def scaled_softplus_tangent(y, x, beta):
        s = scipy_special.expit(beta * x)
        d[y] = d[x] * s + d[beta] * (x * s - y) / beta

    @tl.adjoint(scipy_special.jv, cases=lambda rng: [((1.5, positive(rng, (3,))), {})],
                static_args=(0,))
    def jv_adjoint(y, v, z):
        d[z] = d[y] * 0.5 * (scipy_special.jv(v - 1, z) - scipy_special.jv(v + 1, z))

    @tl.tangent(scipy_special.jv)
    def jv_tangent(y, v, z):
        d[y] = d[z] * 0.5 * (scipy_special.jv(v - 1, z) - scipy_special.jv(v + 1, z))

    tl.nondifferentiable(count_positive)


BLACK_BOXES = [my_black_box, my_erf, squash, scaled_softplus, scipy_special.jv]


@pytest.fixture
def rules():
    """Register the rules of this module for one test, then restore the registry."""
    # SciPy's own rules first: registered on first use, during the test, the restore
    # below would drop them for good (the registry counts them loaded)
    load_optional()
    saved_rules, saved_nondiff = dict(RULES), dict(NONDIFF)
    _register()
    yield
    RULES.clear()
    RULES.update(saved_rules)
    NONDIFF.clear()
    NONDIFF.update(saved_nondiff)


X = np.array([0.5, -1.0, 2.0])


@pytest.mark.parametrize("func,args", [(uses_black_box, (X,)), (uses_erf, (X,)),
                                       (uses_squash, (np.array([-0.5, 0.3, 1.2]),)),
                                       (uses_softplus, (X, 1.5)), (uses_jv, (X + 1.5,))],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_black_box_with_rules_to_second_order(rules, func, args):
    tl.check_grads(func, args, order=1)
    tl.check_grads(func, args, order=2)


def test_rule_values(rules):
    g = tl.grad(uses_erf)(X)
    expected = scipy_special.erf(X) + X * 2.0 / np.sqrt(np.pi) * np.exp(-X * X)
    np.testing.assert_allclose(g, expected)
    np.testing.assert_allclose(tl.jvp(uses_erf)(X, np.ones(3)), np.sum(expected))


def test_rule_appears_in_generated_code_instead_of_the_source(rules):
    source = tl.grad(uses_black_box).source
    assert "my_black_box(x)" in source
    assert "1.0 - 2.0 * x" in source
    assert "dawsn" not in source


def test_bessel_rule_calling_itself_works_to_third_order(rules):
    tl.check_grads(uses_jv, (np.array([0.5, 1.0, 3.0]),), order=3)


def test_only_needed_derivatives_are_generated(rules):
    source = tl.grad(uses_softplus, wrt=1).source
    assert "bx" not in source and "bbeta" in source
    forward = tl.jvp(uses_softplus, wrt=0).source
    assert "dbeta" not in forward


def test_hessian_and_hvp_use_both_rules(rules):
    h = tl.hessian(uses_erf)(X)
    v = np.array([1.0, 0.5, -2.0])
    np.testing.assert_allclose(tl.hvp(uses_erf)(X, v), h @ v, rtol=1e-10, atol=1e-12)


def test_nondifferentiable_function_is_a_constant(rules):
    g = tl.grad(uses_count)(X)
    np.testing.assert_allclose(g, 2.0 * X / 2)
    tl.check_grads(uses_count, (X,), order=2)
    assert any(name.endswith("count_positive") for name in tl.supported(constants=True))


def test_user_rules_are_listed_by_supported(rules):
    names = tl.supported()
    assert names[f"{__name__}.my_black_box"] == {"reverse", "forward"}
    assert names["scipy.special.jv"] == {"reverse", "forward"}


def test_registry_is_restored_after_the_fixture():
    for func in BLACK_BOXES:
        assert func not in RULES
    assert count_positive not in NONDIFF
    assert "scipy.special.jv" not in tl.supported()


def test_adjoint_only_rule_supports_reverse_mode_only(rules):
    def half_box(x):
        return scipy_special.dawsn(x)

    @tl.adjoint(half_box)
    def half_box_adjoint(y, x):
        d[x] = d[y] * (1.0 - 2.0 * x * y)

    def uses_half_box(x):
        return np.sum(half_box(x))

    assert tl.supported()[f"{__name__}.{half_box.__qualname__}"] == {"reverse"}
    tl.check_grads(uses_half_box, (X,), order=1, modes="rev")
    with pytest.raises(tl.TransformError) as info:
        tl.jvp(uses_half_box)
    assert "@tl.tangent(" in str(info.value)


# -- the error for a missing rule says how to add one --------------------------------------------
def calls_unregistered(x):
    return np.sum(scipy_special.dawsn(x) ** 2)


def test_missing_rule_error_shows_how_to_add_one():
    with pytest.raises(tl.TransformError) as info:
        tl.grad(calls_unregistered)
    message = str(info.value)
    assert "no derivative rule" in message and "dawsn" in message
    assert "@tl.adjoint(" in message
    assert "nondifferentiable(" in message
    assert "scipy_special.dawsn(x)" in message   # the offending line
    assert info.value.lineno == calls_unregistered.__code__.co_firstlineno + 1

    with pytest.raises(tl.TransformError) as info:
        tl.jvp(calls_unregistered)
    assert "@tl.tangent(" in str(info.value)


def test_public_names_are_the_rule_modules_objects():
    import tangentlike.rules
    import tangentlike.template
    assert tl.adjoint is tangentlike.rules.adjoint
    assert tl.tangent is tangentlike.rules.tangent
    assert tl.nondifferentiable is tangentlike.rules.nondifferentiable
    assert tl.d is tangentlike.template.d
    with pytest.raises(RuntimeError):
        tl.d[0]
