"""Every registered rule, checked by finite differences to first and second order.

The test walks the registry: each primitive's example calls (its ``cases``, drawn from
its input domain) become small functions ``f(x0, x1, ...)`` that call the primitive,
and ``check_grads`` compares reverse mode with central differences.
"""
import numpy as np
import pytest

import tangentlike as tl
from tangentlike.rules import RULES, load_optional

load_optional()   # SciPy's rules, when SciPy is installed, are walked too
from util import make_function


def _cases():
    rng = np.random.default_rng(1234)
    out = []
    for prim, rule in RULES.items():
        if rule.cases is None:
            out.append(pytest.param(rule, None, None, id=f"{rule.name}-no-cases"))
            continue
        for i, (args, kwargs) in enumerate(rule.cases(rng)):
            out.append(pytest.param(rule, args, kwargs, id=f"{rule.name}-{i}"))
    return out


def _function_of(rule, args, kwargs):
    """Source of ``f(x0, ...) = prim(x0, ..., **kwargs)`` with static arguments inlined."""
    namespace, params, call, values = _call_of(rule, args, kwargs)
    result = rule.primitive(*args, **kwargs)
    if isinstance(result, tuple) and type(result) is not tuple:
        # a named tuple (np.linalg.eigh, slogdet, svd): unpacked as users do
        items = ", ".join(f"t[{i}]" for i in range(len(result)))
        source = f"def f({', '.join(params)}):\n    t = {call}\n    return ({items},)\n"
    else:
        source = f"def f({', '.join(params)}):\n    return {call}\n"
    return make_function(source, namespace), tuple(values)


def _call_of(rule, args, kwargs):
    """The namespace, parameters, call text ``prim(x0, ..., **kwargs)`` (static arguments
    inlined) and parameter values of a function calling the rule's primitive."""
    namespace = {"prim": rule.primitive, "np": np}
    params, call_args, values = [], [], []
    for i, a in enumerate(args):
        if i in rule.static_args:
            literal = _literal(a)
            if literal is None:
                namespace[f"s{i}"] = a
                literal = f"s{i}"
            call_args.append(literal)
        else:
            params.append(f"x{i}")
            call_args.append(f"x{i}")
            values.append(a)
    for k, v in kwargs.items():
        call_args.append(f"{k}={v!r}")   # keywords are literals, as users write them
    return namespace, params, f"prim({', '.join(call_args)})", values


def _literal(value):
    """``repr(value)`` when it reads back as the same value (shapes, axes), else None."""
    if isinstance(value, (int, float, str, tuple, type(None))):
        try:
            if eval(repr(value), {}) == value:
                return repr(value)
        except (SyntaxError, NameError):   # inf, nan
            pass
    return None


@pytest.mark.parametrize("rule,args,kwargs", _cases())
def test_rule_first_and_second_order(rule, args, kwargs):
    assert args is not None, f"rule {rule.name} has no test cases: give it cases=..."
    f, values = _function_of(rule, args, kwargs)
    tl.check_grads(f, values, order=2)


def test_every_rule_has_cases():
    missing = sorted(r.name for r in RULES.values() if r.cases is None)
    assert not missing, f"rules without test cases: {missing}"


# -- float32 ----------------------------------------------------------------------------------
def _float32(value):
    """``value`` with its float64 arrays and Python floats made float32 (else as it is)."""
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    if isinstance(value, float):
        return np.float32(value)
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (np.ndarray, float)) for v in value):
        items = [_float32(v) for v in value]
        return value._make(items) if hasattr(value, "_make") else type(value)(items)
    return value


def _float32_function(rule, args, kwargs):
    """``s(x0, ...) = sum(prim(x0, ...) * w)`` with float32 inputs and weights, or None
    when the primitive's result is not float32 for float32 inputs (np.float_power, np.cov,
    np.interp, SciPy's polygamma compute in float64: the gradient follows the result)."""
    args = [a if i in rule.static_args else _float32(a) for i, a in enumerate(args)]
    if not any(i not in rule.static_args and isinstance(a, (np.ndarray, np.floating))
               for i, a in enumerate(args)):
        return None
    with np.errstate(all="ignore"):
        result = rule.primitive(*args, **kwargs)
    parts = list(result) if isinstance(result, tuple) else [result]
    if not parts or any(not isinstance(p, (np.ndarray, np.floating))
                        or p.dtype != np.float32 for p in parts):
        return None
    namespace, params, call, values = _call_of(rule, args, kwargs)
    terms = []
    for j, part in enumerate(parts):
        namespace[f"w{j}"] = np.linspace(0.5, 1.5, np.size(part), dtype=np.float32).reshape(
            np.shape(part))
        terms.append(f"np.sum(t{f'[{j}]' if isinstance(result, tuple) else ''} * w{j})")
    source = (f"def s({', '.join(params)}):\n    t = {call}\n"
              f"    return {' + '.join(terms)}\n")
    return make_function(source, namespace), tuple(values)


def _float32_cases():
    rng = np.random.default_rng(1234)
    out = []
    for prim, rule in RULES.items():
        if rule.cases is None or rule.adjoint is None:
            continue
        for i, (args, kwargs) in enumerate(rule.cases(rng)):
            out.append(pytest.param(rule, args, kwargs, id=f"{rule.name}-{i}"))
    return out


# Was a bug: scipy.special.digamma's adjoint used sc.polygamma(1, x), float64 for a float32
# x; np.linalg.eigh and svd built float64 eye matrices; math.fmod's rule raised TypeError
# on a NumPy float32 (math.trunc); tl.hessian and tl.jacobian always returned float64.
@pytest.mark.parametrize("rule,args,kwargs", _float32_cases())
def test_rule_keeps_float32_at_first_and_second_order(rule, args, kwargs):
    made = _float32_function(rule, args, kwargs)
    if made is None:
        pytest.skip("the primitive's result is not float32 for float32 inputs")
    f, values = made
    for i, value in enumerate(values):
        if not isinstance(value, (np.ndarray, np.floating)) or value.dtype != np.float32:
            continue
        with np.errstate(all="ignore"):
            g = tl.grad(f, wrt=i)(*values)
            assert np.asarray(g).dtype == np.float32, f"gradient of x{i}: {np.asarray(g).dtype}"
            # the generic derivative too (the fallback after MAX_VERSIONS versions), and
            # vjp and jvp (was a bug: the generic's gradient met float64 values)
            g = tl.grad(f, wrt=i).generic(*values)
            assert np.asarray(g).dtype == np.float32, f"generic, x{i}: {np.asarray(g).dtype}"
            g = tl.vjp(f, wrt=i).generic(*values, 1.0)
            assert np.asarray(g).dtype == np.float32, f"vjp, x{i}: {np.asarray(g).dtype}"
            t = tl.jvp(f, wrt=i)(*values, np.ones_like(value))
            assert np.asarray(t).dtype == np.float32, f"jvp, x{i}: {np.asarray(t).dtype}"
            if np.size(value) <= 4:
                h = tl.hessian(f, wrt=i)(*values)
                assert h.dtype == np.float32, f"Hessian of x{i}: {h.dtype}"
