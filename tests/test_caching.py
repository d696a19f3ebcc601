"""Derived functions are cached by function and options; a function whose code or closure
changes is derived again; globals and closure variables rebound after derivation are
seen the way Python would see them."""
import math
import textwrap
import types

import numpy as np
import pytest

import tangentlike as tl
from util import make_function


def bug(reason):
    return pytest.mark.xfail(strict=True, reason="BUG: " + reason)


def loss(x, w):
    return np.sum(np.tanh(x * w))


X3 = np.array([0.3, -0.6, 0.9])


# -- one derived function per (function, options) --------------------------------------------
@pytest.mark.parametrize("transform", [tl.grad, tl.value_and_grad, tl.vjp, tl.jvp],
                         ids=lambda t: t.__name__)
def test_same_function_and_options_give_the_same_object(transform):
    assert transform(loss) is transform(loss)
    assert transform(loss, wrt=1) is transform(loss, wrt=1)
    assert transform(loss, wrt=(0, 1)) is transform(loss, wrt=(0, 1))
    assert transform(wrt=(0, 1))(loss) is transform(loss, wrt=(0, 1))   # decorator form


def test_different_options_give_different_objects():
    made = [tl.grad(loss), tl.grad(loss, wrt=1), tl.grad(loss, wrt=(0,)),
            tl.grad(loss, wrt=(0, 1)), tl.value_and_grad(loss), tl.vjp(loss), tl.jvp(loss)]
    assert len({id(d) for d in made}) == len(made)
    np.testing.assert_allclose(tl.grad(loss, wrt=(0,))(X3, 0.5)[0], tl.grad(loss)(X3, 0.5))


def test_wrt_by_name_and_by_position_agree():
    np.testing.assert_allclose(tl.grad(loss, wrt="w")(X3, 0.5), tl.grad(loss, wrt=1)(X3, 0.5))


def test_cache_does_not_keep_functions_alive():
    import gc
    import weakref

    def factory(k):
        def scaled(x):
            return x * k
        return scaled

    func = factory(2.0)
    assert tl.grad(func)(1.0) == 2.0
    ref = weakref.ref(func)
    del func
    gc.collect()
    assert ref() is None


def test_a_function_held_only_by_its_derivative_gets_versions():
    """``tl.grad(make_loss(2.0))``: the dispatcher holds the function weakly (above),
    so versions are derived from a copy of it (its code, globals, closure cells), not
    the slower generic derivative; the function itself is still not kept alive."""
    import gc
    import weakref

    def make_loss(scale):
        def loss(w, X, y):
            return np.sum(np.sin(X @ w) * y) * scale
        return loss

    func = make_loss(2.0)
    ref = weakref.ref(func)
    d = tl.grad(func)
    del func
    gc.collect()
    assert ref() is None
    w, X, y = np.linspace(-1.0, 1.0, 3), np.linspace(0.0, 1.0, 12).reshape(4, 3), np.ones(4)
    expected = 2.0 * X.T @ (np.cos(X @ w) * y)
    np.testing.assert_allclose(d(w, X, y), expected)
    (version,) = d.versions.values()
    assert "specialized to w: float64 (3,)" in version.source
    np.testing.assert_allclose(d(w, X, y), expected)


# -- changed code ------------------------------------------------------------------------------
def test_function_whose_code_changes_is_derived_again():
    first = make_function("def f(x):\n    return x * 2.0\n")
    second = make_function("def f(x):\n    return x * x * x\n")
    df = tl.grad(first)
    assert df(1.0) == 2.0
    first.__code__ = second.__code__
    assert first(2.0) == 8.0
    assert tl.grad(first) is not df
    assert tl.grad(first)(2.0) == 12.0
    assert df(1.0) == 2.0            # the old derived function is a plain function


def cube(x):
    return x * x * x


def test_function_whose_code_changes_to_a_differently_named_one_is_derived_again():
    def doubled(x):
        return x * 2.0

    assert tl.grad(doubled)(1.0) == 2.0
    doubled.__code__ = cube.__code__
    assert tl.grad(doubled)(2.0) == 12.0


def test_function_redefined_with_the_same_name_is_derived_again():
    old = make_function("def f(x):\n    return np.sin(x)\n", {"np": np})
    namespace = old.__globals__
    df_old = tl.grad(namespace["f"])
    exec(compile("def f(x):\n    return np.cos(x)\n", "<redefined>", "exec"), namespace)
    new = make_function("def f(x):\n    return np.cos(x)\n", {"np": np})
    namespace["f"] = new                         # the name now means another function
    assert tl.grad(namespace["f"]) is not df_old
    assert np.isclose(tl.grad(namespace["f"])(0.5), -np.sin(0.5))
    assert np.isclose(df_old(0.5), np.cos(0.5))  # the old function keeps its derivative


# -- closures --------------------------------------------------------------------------------------
def make_closure():
    scale = 2.0
    act = np.tanh

    def f(x):
        return np.sum(act(x) * scale)

    def set_scale(value):
        nonlocal scale
        scale = value

    def set_act(func):
        nonlocal act
        act = func

    return f, set_scale, set_act


def test_closure_variable_rebound_after_derivation_is_seen():
    f, set_scale, _ = make_closure()
    df = tl.grad(f)
    np.testing.assert_allclose(df(X3), 2.0 * (1 - np.tanh(X3) ** 2))
    set_scale(3.0)
    np.testing.assert_allclose(df(X3), 3.0 * (1 - np.tanh(X3) ** 2))   # shared cell
    np.testing.assert_allclose(tl.grad(f)(X3), 3.0 * (1 - np.tanh(X3) ** 2))
    np.testing.assert_allclose(tl.jvp(f)(X3, np.ones(3)), 3.0 * np.sum(1 - np.tanh(X3) ** 2))


def test_closure_holding_a_different_function_is_derived_again():
    f, _, set_act = make_closure()
    df = tl.grad(f)
    set_act(np.sin)
    assert tl.grad(f) is not df
    np.testing.assert_allclose(tl.grad(f)(X3), 2.0 * np.cos(X3))
    set_act(np.tanh)
    np.testing.assert_allclose(tl.grad(f)(X3), 2.0 * (1 - np.tanh(X3) ** 2))


# Was a bug: a derived function made before a closure cell was rebound to another function
# mixed them: its primal called the new function (np.sin) while its adjoint applied the
# old one's rule (tanh: 1 - out**2), which is neither derivative.
def test_old_derived_function_after_closure_function_rebound_is_not_mixed():
    f, _, set_act = make_closure()
    df = tl.grad(f)
    df(X3)   # its version for these arguments is derived before the rebinding too
    set_act(np.sin)
    np.testing.assert_allclose(df(X3), 2.0 * np.cos(X3))       # as f now behaves
    set_act(np.tanh)
    np.testing.assert_allclose(df(X3), 2.0 * (1 - np.tanh(X3) ** 2))


def test_closure_over_a_user_function_rebound_is_derived_again():
    def make():
        def square(v):
            return v * v

        def f(x):
            return np.sum(inner(x))

        inner = square

        def set_inner(func):
            nonlocal inner
            inner = func

        return f, set_inner

    f, set_inner = make()
    np.testing.assert_allclose(tl.grad(f)(X3), 2.0 * X3)
    set_inner(cube)
    np.testing.assert_allclose(tl.grad(f)(X3), 3.0 * X3 ** 2)


# -- globals ------------------------------------------------------------------------------------------
GLOBALS_SOURCE = """
SCALE = 2.0
act = np.tanh

def helper(v):
    return v * v

def uses_constant(x):
    return np.sum(x * SCALE)

def uses_function(x):
    return np.sum(act(x))

def uses_helper(x):
    return np.sum(helper(x))
"""


def globals_module():
    f = make_function(GLOBALS_SOURCE, {"np": np}, name="uses_constant")
    return f.__globals__


def test_global_constant_rebound_after_derivation_is_seen():
    module = globals_module()
    f = module["uses_constant"]
    df, vg, jf = tl.grad(f), tl.value_and_grad(f), tl.jvp(f)
    np.testing.assert_allclose(df(X3), np.full(3, 2.0))
    module["SCALE"] = 5.0          # as `global SCALE; SCALE = 5.0` in that module would do
    np.testing.assert_allclose(df(X3), np.full(3, 5.0))
    assert np.isclose(vg(X3)[0], f(X3))
    assert np.isclose(jf(X3, np.ones(3)), 15.0)
    np.testing.assert_allclose(tl.grad(f)(X3), np.full(3, 5.0))


def test_global_deleted_after_derivation_is_a_name_error_like_python():
    module = globals_module()
    df = tl.grad(module["uses_constant"])
    del module["SCALE"]
    with pytest.raises(NameError):
        module["uses_constant"](X3)
    with pytest.raises(NameError):
        df(X3)


def test_global_function_rebound_after_derivation_is_seen():
    module = globals_module()
    f = module["uses_function"]
    np.testing.assert_allclose(tl.grad(f)(X3), 1 - np.tanh(X3) ** 2)
    module["act"] = np.sin
    np.testing.assert_allclose(tl.grad(f)(X3), np.cos(X3))


def define_in(module, source):
    """``exec`` of ``source`` in ``module``, with the source registered so that the
    functions it defines can be differentiated (as if the module's file were edited and
    the definitions run again)."""
    name = make_function(source).__code__.co_filename   # a registered file name
    exec(compile(textwrap.dedent(source), name, "exec"), module)


# Was a bug: a global user function rebound after derivation: tl.grad(f) kept calling the
# derivative of the old helper (gradient 2x instead of 3x**2).
def test_global_user_function_rebound_after_derivation_is_seen():
    module = globals_module()
    f = module["uses_helper"]
    np.testing.assert_allclose(tl.grad(f)(X3), 2.0 * X3)
    define_in(module, "def helper(v):\n    return v * v * v\n")
    np.testing.assert_allclose(f(X3), np.sum(X3 ** 3))
    np.testing.assert_allclose(tl.grad(f)(X3), 3.0 * X3 ** 2)


@pytest.mark.parametrize("transform, args, old, new", [
    (tl.grad, (X3,), lambda x: 2.0 * x, lambda x: 3.0 * x ** 2),
    (tl.value_and_grad, (X3,), lambda x: (np.sum(x * x), 2.0 * x),
     lambda x: (np.sum(x ** 3), 3.0 * x ** 2)),
    (tl.vjp, (X3, 2.0), lambda x: 4.0 * x, lambda x: 6.0 * x ** 2),
    (tl.jvp, (X3, np.ones(3)), lambda x: np.sum(2.0 * x), lambda x: np.sum(3.0 * x ** 2)),
], ids=["grad", "value_and_grad", "vjp", "jvp"])
def test_old_derived_function_sees_a_rebound_global_user_function(transform, args, old, new):
    module = globals_module()
    df = transform(module["uses_helper"])
    _assert_all_close(df(*args), old(X3))
    define_in(module, "def helper(v):\n    return v * v * v\n")
    _assert_all_close(df(*args), new(X3))      # the derivative of f as f now behaves
    _assert_all_close(df(*args), new(X3))      # (derived again once, then reused)
    define_in(module, "def helper(v):\n    return v * v\n")
    _assert_all_close(df(*args), old(X3))


def _assert_all_close(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w)
    else:
        np.testing.assert_allclose(got, want)


def test_old_derived_function_sees_a_rebound_global_primitive():
    module = globals_module()
    df, jf = tl.grad(module["uses_function"]), tl.jvp(module["uses_function"])
    module["act"] = np.sin
    np.testing.assert_allclose(df(X3), np.cos(X3))
    assert np.isclose(jf(X3, np.ones(3)), np.sum(np.cos(X3)))


def test_rebound_function_called_by_a_callee_is_seen():
    module = globals_module()
    define_in(module, """
        def inner(v):
            return v * v

        def middle(v):
            return inner(v) + v

        def outer(x):
            return np.sum(middle(x))
        """)
    df = tl.grad(module["outer"])
    np.testing.assert_allclose(df(X3), 2.0 * X3 + 1.0)
    define_in(module, "def inner(v):\n    return v * v * v\n")
    np.testing.assert_allclose(df(X3), 3.0 * X3 ** 2 + 1.0)
    np.testing.assert_allclose(tl.grad(module["outer"])(X3), 3.0 * X3 ** 2 + 1.0)


# Was a bug (hunt21): the guard tested only which object a name holds, so a callee whose
# code was replaced in place (`helper.__code__ = ...`, what IPython's autoreload does when
# the file is edited) kept its old derivative: the existing derived functions, and a new
# tl.grad(f), gave 2 cos(x) (the old sin's) while f computed x ** 3, every mode, also
# in the version (second call) that inlines the helper, and at second order.
@pytest.mark.parametrize("second_call", [False, True])
def test_callee_whose_code_is_replaced_in_place_is_derived_again(second_call):
    module = globals_module()
    define_in(module, """
        def bent(v):
            return np.sin(v)

        def calls_bent(x):
            return np.sum(bent(x)) * 2.0

        def bent_of_a_number(s):
            return bent(s) * 2.0
        """)
    f, bent = module["calls_bent"], module["bent"]
    derived = {"grad": tl.grad(f), "value_and_grad": tl.value_and_grad(f),
               "vjp": tl.vjp(f), "jvp": tl.jvp(f), "hvp": tl.hvp(f),
               "grad of grad": tl.grad(tl.grad(module["bent_of_a_number"]))}
    calls = {"grad": lambda d: d(X3), "value_and_grad": lambda d: d(X3)[1],
             "vjp": lambda d: d(X3, 1.0), "jvp": lambda d: d(X3, np.ones(3)),
             "hvp": lambda d: d(X3, np.ones(3)), "grad of grad": lambda d: d(0.7)}
    for _ in range(2 if second_call else 1):
        for name, d in derived.items():
            calls[name](d)
    bent.__code__ = make_function("def cubed(v):\n    return v * v * v\n").__code__
    assert np.allclose(f(X3), 2.0 * np.sum(X3 ** 3))
    want = {"grad": 6.0 * X3 ** 2, "value_and_grad": 6.0 * X3 ** 2, "vjp": 6.0 * X3 ** 2,
            "jvp": np.sum(6.0 * X3 ** 2), "hvp": 12.0 * X3, "grad of grad": 12.0 * 0.7}
    for name, d in derived.items():
        for _ in range(2):   # the generic derivative, then the version
            np.testing.assert_allclose(calls[name](d), want[name], err_msg=name)
    np.testing.assert_allclose(tl.grad(f)(X3), 6.0 * X3 ** 2)


def test_rebound_module_attribute_holding_a_user_function_is_seen(monkeypatch):
    import other_module

    def uses_split(x):
        a, b = other_module.split(x)
        return np.sum(a + b)

    df = tl.grad(uses_split)
    np.testing.assert_allclose(df(X3), np.cos(X3) + 2.0 * X3)

    def split_differently(x):
        return np.tanh(x), 3.0 * x

    monkeypatch.setattr(other_module, "split", split_differently)
    np.testing.assert_allclose(df(X3), 1 - np.tanh(X3) ** 2 + 3.0)


def test_guard_is_in_the_generated_source_with_its_reason():
    module = globals_module()
    source = tl.grad(module["uses_helper"]).source
    lines = source.splitlines()
    guard = next(i for i, line in enumerate(lines) if "helper is not" in line)
    assert lines[guard - 1].strip().startswith("#") and "rebound" in lines[guard - 1]
    assert "rebound" not in tl.grad(loss).source        # no guard without such calls


def test_rederived_function_is_made_once_per_rebinding():
    module = globals_module()
    df = tl.grad(module["uses_function"])
    df(X3)                          # derives the version for X3's kind and shape
    (version,) = df.versions.values()
    module["act"] = np.sin
    df(X3)
    again = version.rederived
    first = again.latest
    df(X3)
    assert again.latest is first
    module["act"] = np.cos
    np.testing.assert_allclose(df(X3), -np.sin(X3))
    assert again.latest is not first


def test_cache_with_guards_does_not_keep_functions_alive():
    import gc
    import weakref

    def factory(k):
        act = np.tanh

        def scaled(x):
            return np.sum(act(x)) * k
        return scaled

    func = factory(2.0)
    np.testing.assert_allclose(tl.grad(func)(X3), 2.0 * (1 - np.tanh(X3) ** 2))
    ref = weakref.ref(func)
    del func
    gc.collect()
    assert ref() is None


def test_higher_order_derivative_sees_a_rebound_global():
    module = globals_module()
    f = module["uses_helper"]
    hess_diag = tl.jvp(tl.grad(f))
    np.testing.assert_allclose(hess_diag(X3, 1.0, np.ones(3)), np.full(3, 2.0))
    define_in(module, "def helper(v):\n    return v * v * v\n")
    np.testing.assert_allclose(hess_diag(X3, 1.0, np.ones(3)), 6.0 * X3)


# Was (edge14): a derivative of a derivative made before a rebinding and first called
# after it was silently the derivative of the old callee: its version (specialize.py) was
# derived on that first call from the inner derivative's text, made for the old callee,
# with guards that read the new one, so they held. Every pairing of modes, and a third
# order; called once before the rebinding it was right.
SECOND_ORDER = {
    "grad(grad)": (lambda f: tl.grad(tl.grad(f)), lambda d, x: d(x)),
    "value_and_grad(grad)": (lambda f: tl.value_and_grad(tl.grad(f)), lambda d, x: d(x)[1]),
    "vjp(grad)": (lambda f: tl.vjp(tl.grad(f)), lambda d, x: d(x, 1.0, 1.0)),
    "grad(vjp)": (lambda f: tl.grad(tl.vjp(f)), lambda d, x: d(x, 1.0)),
    "grad(jvp)": (lambda f: tl.grad(tl.jvp(f)), lambda d, x: d(x, 1.0)),
    "jvp(grad)": (lambda f: tl.jvp(tl.grad(f)), lambda d, x: d(x, 1.0, 1.0)),
    "grad(grad(grad))": (lambda f: tl.grad(tl.grad(tl.grad(f))), lambda d, x: d(x)),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
@pytest.mark.parametrize("called_before", [False, True], ids=["fresh", "called"])
def test_higher_order_derived_before_a_global_is_rebound_sees_it(name, called_before):
    module = globals_module()
    define_in(module, "def helper(v):\n    return np.sin(v)\n")
    make, call = SECOND_ORDER[name]
    third = name.count("(") == 2
    x = 0.7
    derived = make(module["uses_helper"])
    if called_before:
        np.testing.assert_allclose(call(derived, x), -np.cos(x) if third else -np.sin(x))
    define_in(module, "def helper(v):\n    return v * v * v\n")
    np.testing.assert_allclose(call(derived, x), 6.0 if third else 6.0 * x)


def test_second_order_derived_before_a_closure_function_is_rebound_sees_it():
    def make(act):
        def f(x):
            return np.sum(act(x))

        def set_act(func):
            nonlocal act
            act = func
        return f, set_act

    f, set_act = make(np.sin)
    second, third = tl.grad(tl.grad(f)), tl.grad(tl.grad(tl.grad(f)))
    set_act(np.cos)
    np.testing.assert_allclose(second(0.7), -np.cos(0.7))
    np.testing.assert_allclose(third(0.7), np.sin(0.7))


def test_global_function_rebound_before_first_derivation_is_used():
    module = globals_module()
    module["act"] = np.sin
    np.testing.assert_allclose(tl.grad(module["uses_function"])(X3), np.cos(X3))


def test_function_whose_defaults_change_is_derived_again():
    def scaled(x, c=2.0, *, d=1.0):
        return np.sum(c * d * x)

    x = np.array([0.5, 1.0])
    old = tl.grad(scaled)
    assert np.allclose(old(x), 2.0)
    scaled.__defaults__ = (5.0,)
    assert tl.grad(scaled) is not old
    assert np.allclose(tl.grad(scaled)(x), 5.0)
    scaled.__kwdefaults__ = {"d": 3.0}
    assert np.allclose(tl.grad(scaled)(x), 15.0)
    assert np.allclose(tl.vjp(scaled)(x, 1.0), 15.0)
    # a derived function keeps the defaults the function had when it was derived
    assert np.allclose(old(x), 2.0)


# Was a bug: a primitive called through a module alias (`M.sin(x)` after `import math as
# M`) was not guarded: after `M` was rebound to another module, a derived function made
# before ran the new `M.sin` in its primal but applied the old rule (math.cos) in its
# adjoint, a silently wrong gradient (2 cos x instead of -2 sin x).
def test_module_alias_rebound_after_derivation_is_seen():
    module = make_function("def f(x):\n    return np.sum(M.sin(x)) * 2.0\n",
                           {"M": math, "np": np}).__globals__
    f = module["f"]
    df, vg, jf = tl.grad(f), tl.value_and_grad(f), tl.jvp(f)
    assert df(0.5) == pytest.approx(2.0 * math.cos(0.5))
    other = types.ModuleType("other")
    other.sin = np.cos
    module["M"] = other   # (np.cos of an array: `other` must hold NumPy functions)
    for x in (0.5, np.float64(0.25), np.array([0.5, 0.25])):   # old and new kinds
        np.testing.assert_allclose(df(x), -2.0 * np.sin(x))
        np.testing.assert_allclose(vg(x)[1], -2.0 * np.sin(x))
        np.testing.assert_allclose(jf(x, np.ones_like(x)), np.sum(-2.0 * np.sin(x)))
    np.testing.assert_allclose(tl.grad(f)(0.5), -2.0 * np.sin(0.5))
    np.testing.assert_allclose(tl.grad(tl.grad(f))(0.5), -2.0 * np.cos(0.5))
    module["M"] = math
    assert df(0.5) == pytest.approx(2.0 * math.cos(0.5))


def test_numpy_calls_cost_no_guard():
    assert "rebound" not in tl.grad(loss).source
    f = make_function("def f(x):\n    return M.sin(x) * 2.0\n", {"M": math})
    assert "if M.sin is not sin_when_derived" in tl.grad(f).source
    g = make_function("def g(x):\n    return np.sum(np.linalg.norm(x) * la.norm(x))\n",
                      {"np": np, "la": np.linalg})
    assert "rebound" not in tl.grad(g).source   # (numpy.linalg under another name too)


# Was a bug: a settings module's attribute holding a NumPy function (`cfg.act(x)`),
# rebound after derivation (`cfg.act = np.sin`): the primal called np.sin, the adjoint
# applied tanh's rule (1 - out ** 2), a silently wrong gradient.
def test_module_attribute_holding_a_primitive_rebound_after_derivation_is_seen():
    cfg = types.ModuleType("cfg")
    cfg.act = np.tanh
    f = make_function("def f(x):\n    return np.sum(cfg.act(x) * x)\n", {"np": np, "cfg": cfg})
    df, jf = tl.grad(f), tl.jvp(f)
    np.testing.assert_allclose(df(X3), np.tanh(X3) + X3 * (1 - np.tanh(X3) ** 2))
    cfg.act = np.sin
    np.testing.assert_allclose(df(X3), np.sin(X3) + X3 * np.cos(X3))
    np.testing.assert_allclose(df(0.5), np.sin(0.5) + 0.5 * np.cos(0.5))
    np.testing.assert_allclose(jf(X3, np.ones(3)), np.sum(np.sin(X3) + X3 * np.cos(X3)))
    np.testing.assert_allclose(tl.grad(f)(X3), np.sin(X3) + X3 * np.cos(X3))


# -- a module's file edited and reloaded --------------------------------------------------------
def test_module_edited_on_disk_and_reloaded_is_derived_again(tmp_path, monkeypatch):
    import importlib
    import os
    import sys

    path = tmp_path / "edited_model_num16.py"

    def write(helper_body, f_body):
        path.write_text("import numpy as np\n\n\ndef helper(v):\n    return " + helper_body
                        + "\n\n\ndef f(x):\n    return " + f_body + "\n")
        stamp = os.stat(path).st_mtime + 5   # (a new mtime: the import system reads it)
        os.utime(path, (stamp, stamp))
        importlib.invalidate_caches()

    monkeypatch.syspath_prepend(str(tmp_path))
    write("v * v", "np.sum(helper(x))")
    import edited_model_num16 as model
    old_f, old_df = model.f, tl.grad(model.f)
    np.testing.assert_allclose(old_df(X3), 2.0 * X3)
    try:
        # the helper's body changes: the old f (same module globals) calls the new one
        write("v * v * v", "np.sum(helper(x))")
        model = importlib.reload(model)
        np.testing.assert_allclose(old_df(X3), 3.0 * X3 ** 2)
        np.testing.assert_allclose(old_df(0.5), 0.75)               # a new kind too
        np.testing.assert_allclose(tl.grad(model.f)(X3), 3.0 * X3 ** 2)
        # f's own body changes: the new function object is derived from the new text
        write("v * v * v", "np.sum(np.sin(x) * helper(x))")
        model = importlib.reload(model)
        np.testing.assert_allclose(tl.grad(model.f)(X3),
                                   np.cos(X3) * X3 ** 3 + 3.0 * np.sin(X3) * X3 ** 2)
        np.testing.assert_allclose(tl.jvp(model.f)(X3, np.ones(3)),
                                   np.sum(np.cos(X3) * X3 ** 3 + 3.0 * np.sin(X3) * X3 ** 2))
        assert old_f(X3) == pytest.approx(np.sum(X3 ** 3))   # the old function is the old code
        # and so is its derivative, derived again for the helper the reload rebound (was
        # a bug: a TransformError, *the source of 'f' changed since it was imported*,
        # though the module was reloaded: the old function's text was read from the file)
        np.testing.assert_allclose(old_df(X3), 3.0 * X3 ** 2)
        np.testing.assert_allclose(old_df(np.float32(0.5)), 0.75)      # a new version
        source = old_df.rederived.current().source
        assert "return np.sum(helper(x))" in source and "np.sin" not in source   # its text
    finally:
        sys.modules.pop("edited_model_num16", None)


def test_file_edited_without_reload_a_function_derived_before_keeps_its_text(tmp_path):
    # the code that runs is the text it was checked against when first derived: versions
    # derived after the edit read that text; a function never derived is refused
    import importlib.util
    import os

    path = tmp_path / "edited_no_reload_num16.py"
    path.write_text("def f(x):\n    return x * 2.0\n\n\ndef g(x):\n    return x * 2.0\n")
    spec = importlib.util.spec_from_file_location("edited_no_reload_num16", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    df = tl.grad(module.f)
    assert df(1.0) == 2.0
    path.write_text("def f(x):\n    return x * 3.0\n\n\ndef g(x):\n    return x * 3.0\n")
    stamp = os.stat(path).st_mtime + 5
    os.utime(path, (stamp, stamp))
    assert df(np.float32(1.0)) == 2.0 and df(np.array(1.0)) == 2.0   # (new versions)
    assert tl.vjp(module.f)(np.array([1.0, 2.0]), np.ones(2)).tolist() == [2.0, 2.0]
    assert tl.jvp(module.f)(1.0, 1.0) == 2.0
    assert "return x * 2.0" in tl.jvp(module.f).source
    with pytest.raises(tl.TransformError, match="changed since it was imported"):
        tl.grad(module.g)
