"""A dict the function builds itself (dicts.py): one variable per constant key.

Each program is checked against finite differences, first and second order, in both
modes, for the generic derivative and for the version of its arguments (called twice,
then with another shape); the errors of the uses that are not rewritten point at the
use's line (``# <- error``).
"""
from collections import namedtuple

import numpy as np
import pytest

import tangentlike as tl
from util import make_function

X = np.array([0.3, -0.6, 0.9, 0.4])
W = np.array([[0.5, -0.2, 0.1, 0.7], [0.3, 0.8, -0.4, 0.2]])

PROGRAMS = {
    "display": """
        def f(x):
            d = {"a": x * 2.0, "b": np.sin(x)}
            return np.sum(d["a"] * d["b"])
    """,
    "empty_then_writes": """
        def f(x):
            cache = {}
            cache["h"] = np.tanh(x)
            cache["y"] = cache["h"] * x
            return np.sum(cache["y"] ** 2)
    """,
    "dict_call": """
        def f(x):
            p = dict(scale=3.0, shift=x[0])
            return np.sum(p["scale"] * x + p["shift"])
    """,
    "augmented": """
        def f(x):
            d = {"s": 0.0}
            for i in range(3):
                d["s"] += np.sum(x ** (i + 1))
            return d["s"]
    """,
    "items_loop": """
        def f(x):
            params = {"w": x, "v": x[1:] * 3.0}
            reg = 0.0
            for name, p in params.items():
                reg = reg + np.sum(p * p)
            return reg
    """,
    "keys_loop_reads_by_key": """
        def f(x):
            d = {"a": x, "b": np.cos(x)}
            total = 0.0
            for k in d:
                total = total + np.sum(d[k] * x)
            return total
    """,
    "values_loop": """
        def f(x):
            d = {0: x, 1: x * x}
            total = 0.0
            for v in d.values():
                total = total + np.sum(np.exp(v))
            return total
    """,
    "len_and_in": """
        def f(x):
            d = {"a": x}
            if "b" not in d:
                d["b"] = x * 0.5
            return np.sum(d["a"] * d["b"]) * len(d)
    """,
    "rebuilt": """
        def f(x):
            d = {"a": x, "b": x * 2.0}
            d = {"a": d["b"], "b": d["a"]}   # the values before the new dict is stored
            return np.sum(d["a"] * np.sin(d["b"]))
    """,
    "branch_writes_existing_key": """
        def f(x):
            d = {"h": x}
            if np.sum(x) > 0.0:
                d["h"] = np.tanh(d["h"])
            else:
                d["h"] = d["h"] * 3.0
            return np.sum(d["h"] ** 2)
    """,
    "in_place_through_the_dict": """
        def f(x):
            d = {"a": x * 1.0}
            d["a"] *= x
            return np.sum(d["a"])
    """,
    "loop_over_key_names": """
        def f(x):
            p = {"w": x, "v": x * 2.0}
            g = {"w": np.cos(x), "v": x * x}
            for k in ("w", "v"):
                p[k] = p[k] - 0.1 * g[k]
            return np.sum(p["w"] * p["v"])
    """,
    "keys_of_every_kind": """
        def f(x):
            d = {1: x, True: x * 3.0, 1.5: x * 2.0, "my key": x, None: x}   # True is 1
            d_1 = 2.0
            return np.sum(d[1] * d[1.5] * d_1 * d["my key"] * d[None]) + len(d)
    """,
    "accumulator_in_a_loop_with_branches": """
        def f(x):
            acc = {"s": 0.0}
            for v in x:
                if v > 0:
                    acc["s"] = acc["s"] + v ** 2
                else:
                    acc["s"] -= v
            return acc["s"]
    """,
    "keywords": """
        def f(x):
            options = dict(axis=0, keepdims=True)
            m = x.reshape(2, 2)
            return np.sum(np.sum(m * m, **options) * np.max(m, **options))
    """,
    "matrix_and_loop": """
        def f(W, x):
            layers = {"W": W, "b": np.ones(2)}
            h = x
            for _ in range(2):
                h = np.tanh(layers["W"] @ h[:4] + layers["b"]).repeat(2)
            return np.sum(h)
    """,
}


def program(name):
    return make_function(PROGRAMS[name], {"np": np})


def arguments(f, scale=1.0):
    return (W * scale, X * scale) if f.__code__.co_argcount == 2 else (X * scale,)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_finite_differences(name):
    f = program(name)
    tl.check_grads(f, arguments(f), order=2)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_versions_agree_with_the_generic_derivative(name):
    f = program(name)
    df = tl.grad(f, wrt=tuple(range(f.__code__.co_argcount)))
    for args in (arguments(f), arguments(f), arguments(f, 0.5)):
        expected = df.generic(*args)
        got = df(*args)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert df.versions


def test_generated_code_names_the_keys():
    f = program("empty_then_writes")
    source = tl.grad(f).source
    assert "cache_h" in source and "cache_y" in source
    assert "{" not in source.split("\n", 1)[1]


def test_order_of_items_is_the_dicts():
    f = make_function("""
        def f(x):
            d = {"b": x, "a": x * 2.0}
            d["c"] = x * 3.0
            out = 0.0
            k = 1.0
            for name, v in d.items():
                out = out * 2.0 + np.sum(v) * k
                k = k + 1.0
            return out
    """, {"np": np})
    # 4 * (1 * s) + 2 * (2 * 2s) + 3 * 3s with s = sum(x)
    np.testing.assert_allclose(tl.grad(f)(X), np.full(4, 4.0 + 8.0 + 9.0))


def test_loop_key_read_after_the_loop():
    f = make_function("""
        def f(x):
            d = {"a": x, "bb": x * 2.0}
            for k in d:
                pass
            return np.sum(d["bb"]) * len(k)
    """, {"np": np})
    np.testing.assert_allclose(tl.grad(f)(X), np.full(4, 4.0))


def test_input_not_mutated():
    f = program("in_place_through_the_dict")
    x = X.copy()
    tl.grad(f)(x)
    np.testing.assert_array_equal(x, X)


REFUSED = {
    "returned": """
        def f(x):
            d = {"a": x}
            return d  # <- error
    """,
    "passed_to_a_call": """
        def f(x):
            d = {"a": x}
            return np.sum(h(d))  # <- error
    """,
    "method": """
        def f(x):
            d = {"a": x}
            return np.sum(d.get("a"))  # <- error
    """,
    "key_not_a_constant": """
        def f(x):
            d = {"a": x}
            k = "a"
            return np.sum(d[k])  # <- error
    """,
    "key_added_in_a_branch": """
        def f(x):
            d = {"a": x}
            if x[0] > 0.0:
                d["b"] = x  # <- error
            return np.sum(d["a"])
    """,
    "built_in_a_loop": """
        def f(x):
            s = 0.0
            for i in range(2):
                d = {"a": x * i}  # <- error
                s = s + np.sum(d["a"])
            return s
    """,
    "missing_key": """
        def f(x):
            d = {"a": x}
            return np.sum(d["b"])  # <- error
    """,
    "loop_with_break": """
        def f(x):
            d = {"a": x, "b": x}
            s = 0.0
            for v in d.values():  # <- error
                s = s + np.sum(v)
                if s > 1.0:
                    break
            return s
    """,
    "nested_function": """
        def f(x):
            d = {"a": x}
            def g():  # <- error
                return d["a"]
            return np.sum(g())
    """,
    "key_computed": """
        def f(x):
            d = {("a" + "b"): x}  # <- error
            return np.sum(d["ab"])
    """,
}


def h(d):
    return d["a"]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_other_uses_are_refused_at_their_line(name):
    source = REFUSED[name]
    f = make_function(source, {"np": np, "h": h})
    lines = [line.strip() for line in __import__("textwrap").dedent(source).splitlines()]
    line = next(i for i, text in enumerate(lines) if text.endswith("# <- error"))
    with pytest.raises(tl.TransformError) as info:
        tl.grad(f)(X)
    assert info.value.lineno == f.__code__.co_firstlineno + line - 1
    assert "dict" in str(info.value) or "key" in str(info.value)


# == fix21 (issue #7): a dict or namedtuple a helper returns ================================
Stats = namedtuple("Stats", ["mean", "var", "scale"], defaults=[1.0])


def _stats(x, ddof=0.0):
    m = np.mean(x)
    v = np.sum((x - m) ** 2) / (np.size(x) - ddof)
    return {"mean": m, "var": v}


def _stats_nt(x, *, k=2.0):
    m = np.mean(x)
    return Stats(mean=m, var=np.mean((x - m) ** k))


def reads_a_dict_a_helper_returns(x):
    s = _stats(x, ddof=1.0)
    t = _stats(x * 2.0)
    return s["mean"] * s["var"] + t["var"]


def reads_a_namedtuple_a_helper_returns(x, y):
    r = _stats_nt(x, k=2.0)
    q = _stats_nt(y)
    w = _stats_nt(x).var * 0.5
    return r.mean + 2.0 * r.var * r.scale + q[1] + w


def returns_a_dict_a_helper_returns(x):
    s = _stats(x)
    return s  # <- error


# Was (issue #7): `s = stats(x)` of a helper returning a dict display was refused at the
# helper's `return {...}` (*a dict display is supported only as `d = {...}`*), and a
# namedtuple's field read `r.mean` at its line (*the attribute `.mean` of a value that
# carries a derivative*). Now such a helper (of the same module, with the conditions of
# inline.py) is written out where a top-level statement calls it (inline_aggregate_
# helpers, in parse before split_dicts), so `s` is a dict the function builds: one
# variable per key, every mode and order, the versions too.
@pytest.mark.parametrize("func, args", [
    (reads_a_dict_a_helper_returns, (X,)),
    (reads_a_namedtuple_a_helper_returns, (X, X[:3] * 2.0)),
])
def test_a_dict_or_namedtuple_a_helper_returns_is_read_by_its_keys(func, args):
    tl.check_grads(func, args, order=2, modes=("rev", "fwd"))
    if func is reads_a_dict_a_helper_returns:
        x = X
        n, m = np.size(x), np.mean(x)
        v1, v2 = np.sum((x - m) ** 2) / (n - 1), np.mean((2 * x - 2 * m) ** 2)
        want = (v1 / n + m * 2 * (x - m) / (n - 1)) + 8 * (x - m) / n
        for _ in range(2):
            np.testing.assert_allclose(tl.grad(func)(x), want, rtol=1e-12)
        assert np.isclose(func(x), m * v1 + v2)


def test_a_dict_a_helper_returns_used_whole_is_refused_at_the_use():
    with pytest.raises(tl.TransformError, match="used here as a whole") as info:
        tl.grad(returns_a_dict_a_helper_returns)
    assert info.value.lineno == returns_a_dict_a_helper_returns.__code__.co_firstlineno + 2


def test_a_helper_returning_a_dict_rebound_derives_again(monkeypatch):
    df = tl.grad(reads_a_dict_a_helper_returns)
    before = df(X)

    def doubled(x, ddof=0.0):
        m = np.mean(x)
        return {"mean": 2.0 * m, "var": np.sum((x - m) ** 2) / (np.size(x) - ddof)}
    monkeypatch.setitem(globals(), "_stats", doubled)
    np.testing.assert_allclose(df(X), tl.grad(reads_a_dict_a_helper_returns)(X))
    assert not np.allclose(df(X), before)


# == fix22 (issue #7): the leftovers of helpers returning a dict or a namedtuple ===========
from other_module import Moments, moments, moments_nt  # noqa: E402
import other_module  # noqa: E402


def reads_helpers_of_another_module(x):
    s = moments(x * 2.0)
    r = moments_nt(x)
    w = moments_nt(x).var * s["mean"]
    return s["var"] * r.mean + r.var + w


def reads_two_helpers_on_one_line(x):
    y = moments(x)["mean"] + moments_nt(x).var
    return _stats(x)["var"] + _stats_nt(x).var * y


def calls_a_dict_helper_in_a_loop(x):
    t = 0.0
    for i in range(2):
        s = _stats(x * (i + 1.0))  # <- error
        t = t + s["var"]
    return t


def calls_a_namedtuple_helper_in_an_if(x):
    if np.sum(x) > 0.0:
        r = _stats_nt(x)  # <- error
        return r.var
    return np.sum(x)


def reads_a_namedtuple_of_a_module_attribute(x):
    r = other_module.moments_nt(x)  # <- error
    return r.var


def reads_a_field_of_a_module_attribute_call(x):
    return other_module.moments_nt(x).var  # <- error


def reads_a_key_of_a_module_attribute_call(x):
    return other_module.moments(x)["var"]  # <- error


def calls_a_constant_dict_helper_in_a_loop(x):
    t = 0.0
    for i in range(2):
        c = _stats(np.array([1.0, 2.0 + i]))
        t = t + c["var"] * np.sum(x * x)
    return t


# Was: a helper of another module returning a dict was refused at its `return {...}`,
# one returning a namedtuple at the field read with *the attribute `.var` of a value that
# carries a derivative is not supported ... not the fields of other objects* (misleading:
# a namedtuple is a tuple); `stats(x)["var"] + stats_nt(x).var` on one line was refused at
# `.var`. Now a helper of another module is written out as one of the caller's module
# is, where the names it reads mean the same objects in the caller (its statements at
# the caller's line); the second call of a line is written out after a key read.
@pytest.mark.parametrize("func", [reads_helpers_of_another_module, reads_two_helpers_on_one_line,
                                  calls_a_constant_dict_helper_in_a_loop])
def test_helpers_returning_aggregates_elsewhere_are_written_out(func):
    x = X
    for derived in (tl.grad(func), tl.value_and_grad(func)):
        first, second = derived(x), derived(x)   # the generic derivative, the version
        np.testing.assert_allclose(np.asarray(second, dtype=object)[-1] if isinstance(
            second, tuple) else second, first[-1] if isinstance(first, tuple) else first,
            rtol=1e-12)
    tl.check_grads(func, (x,), order=2, modes=("rev", "fwd"))


# Where the helper cannot be written out (a call inside a loop or an `if`: split_dicts
# makes variables of the dicts of the top level only; a module attribute call), the
# error is at the call and says what works (was: the helper's `return {...}` line, or
# the misleading field message; for a module attribute call until fix23 the field
# message at the read, or the helper's `return {...}` line, now the call, with the
# import line that makes it work).
@pytest.mark.parametrize("func, words", [
    (calls_a_dict_helper_in_a_loop, "inside a loop"),
    (calls_a_namedtuple_helper_in_an_if, "inside a loop, an `if`"),
    (reads_a_namedtuple_of_a_module_attribute, "called as an attribute of its module"),
    (reads_a_field_of_a_module_attribute_call, "call `moments_nt(x)` at the top level"),
    (reads_a_key_of_a_module_attribute_call, "call `moments(x)` at the top level"),
])
def test_helpers_returning_aggregates_not_written_out_are_refused_at_the_call(func, words):
    import inspect
    lines = inspect.getsource(func).splitlines()
    line = next(i for i, text in enumerate(lines) if text.endswith("# <- error"))
    with pytest.raises(tl.TransformError) as info:
        tl.grad(func)(X)
    assert info.value.lineno == func.__code__.co_firstlineno + line
    assert words in str(info.value)


def test_a_namedtuple_helper_of_another_module_needs_its_class_imported():
    source = """
        def f(x):
            r = moments_nt(x)
            return r.var
    """
    f = make_function(source, {"np": np, "moments_nt": moments_nt})
    with pytest.raises(tl.TransformError, match="import `Moments` from `other_module` into "
                       "this module beside `moments_nt` \\(`from other_module import Moments`\\)"):
        tl.grad(f)(X)
    g = make_function(source, {"np": np, "moments_nt": moments_nt, "Moments": Moments})
    tl.check_grads(g, (X,), order=2, modes=("rev", "fwd"))
    # (fix23) called as an attribute of its module: the import line that makes it work
    h = make_function(source.replace("moments_nt(x)", "other_module.moments_nt(x)"),
                      {"np": np, "other_module": other_module})
    with pytest.raises(tl.TransformError, match="`from other_module import Moments, "
                       "moments_nt`"):
        tl.grad(h)(X)
