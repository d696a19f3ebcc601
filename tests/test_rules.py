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
    call = f"prim({', '.join(call_args)})"
    result = rule.primitive(*args, **kwargs)
    if isinstance(result, tuple) and type(result) is not tuple:
        # a named tuple (np.linalg.eigh, slogdet, svd): unpacked as users do
        items = ", ".join(f"t[{i}]" for i in range(len(result)))
        source = f"def f({', '.join(params)}):\n    t = {call}\n    return ({items},)\n"
    else:
        source = f"def f({', '.join(params)}):\n    return {call}\n"
    return make_function(source, namespace), tuple(values)


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
