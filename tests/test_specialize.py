"""Derivatives specialized to the shapes of their arguments (tangentlike/specialize.py).

A derived function is an entry that derives, on its first call with arguments of given
kinds and shapes, a version for those; a guard on the version's first line sends other
arguments back. These tests check that every version is right, that the guard really
tells shapes apart, and what the specialized code no longer contains.
"""
import re

import numpy as np
import pytest

import tangentlike as tl
from tangentlike import specialize
from util import written_numbers

RNG = np.random.default_rng(0)


def poly(x, w):
    y = np.tanh(x * w) + x
    return np.sum(y * y)


def poly_grad(x, w):
    y = np.tanh(x * w) + x
    dy = 2.0 * y
    da = dy * (1 - np.tanh(x * w) ** 2)
    gx = dy + da * w
    gw = da * x
    return gx, np.sum(gw) if np.ndim(w) < np.ndim(gw) else gw


def reduce_to(g, shape):
    while np.ndim(g) > len(shape):
        g = np.sum(g, axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = np.sum(g, axis=axis, keepdims=True)
    return g


@pytest.mark.parametrize("x, w", [
    (0.3, 0.7),
    (RNG.standard_normal(4), 0.7),
    (RNG.standard_normal(4), RNG.standard_normal(4)),
    (RNG.standard_normal((3, 4)), RNG.standard_normal(4)),
    (RNG.standard_normal((3, 4)), RNG.standard_normal((3, 1))),
    (np.float64(0.3), RNG.standard_normal(())),
])
def test_one_derived_function_is_right_for_every_kind_and_shape(x, w):
    df = tl.grad(poly, wrt=(0, 1))
    for args in [(0.3, 0.7), (x, w), (RNG.standard_normal(5), 0.1), (x, w)]:
        gx, gw = df(*args)
        y = np.tanh(args[0] * args[1]) + args[0]
        da = 2.0 * y * (1 - np.tanh(args[0] * args[1]) ** 2)
        np.testing.assert_allclose(gx, 2.0 * y + da * args[1], rtol=1e-12)
        np.testing.assert_allclose(gw, reduce_to(da * args[0], np.shape(args[1])), rtol=1e-12)
        assert np.shape(gw) == np.shape(args[1])
        tl.check_grads(poly, args, order=1)


def test_versions_are_kept_per_kind_and_shape():
    df = tl.grad(poly)
    df(RNG.standard_normal(3), 0.5)
    df(RNG.standard_normal(3), 0.25)
    assert len(df.versions) == 1
    df(RNG.standard_normal(4), 0.5)
    df(RNG.standard_normal(3), np.float32(0.5))
    assert len(df.versions) == 3


def test_guard_sends_other_shapes_to_their_own_version():
    df = tl.grad(poly, wrt=1)
    a, b = RNG.standard_normal(3), RNG.standard_normal((2, 3))
    first = df(a, 0.5)
    second = df(b, 0.5)        # the current version is for (3,): its guard must refuse
    again = df(a, 0.5)
    assert first == again
    np.testing.assert_allclose(second, tl.grad(poly, wrt=1).generic(b, 0.5), rtol=1e-12)


def test_after_max_versions_calls_use_the_generic_derivative():
    df = tl.grad(poly)
    for n in range(1, specialize.MAX_VERSIONS + 4):
        x = RNG.standard_normal(n)
        np.testing.assert_allclose(df(x, 0.5), df.generic(x, 0.5), rtol=1e-12)
    assert sum(v is not df.generic for v in df.versions.values()) <= specialize.MAX_VERSIONS


def mlp(W, b, x):
    h = np.tanh(W @ x + b)
    return np.sum(h * h)


def test_specialized_source_drops_shape_checks_the_generic_needs():
    df = tl.grad(mlp, wrt=(0, 1))
    W, b, x = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 1)), RNG.standard_normal((3, 7))
    df(W, b, x)
    (version,) = df.versions.values()
    assert "product_grad" in df.source and "unbroadcast(bt2, t1)" in df.source
    assert "product_grad" not in version.source
    assert "unbroadcast(bt2, t1)" not in version.source   # t1 = W @ x has t2's shape
    assert ".dot(x.T)" in version.source                  # gW = g.dot(x.T)
    assert version.source.splitlines()[1].strip().startswith("# specialized to W: float64 (5, 3)")


def test_a_non_scalar_output_is_refused_when_its_shape_is_known():
    def f(x):
        return x * 2.0

    with pytest.raises(TypeError, match="scalar output"):
        tl.grad(f)(RNG.standard_normal(3))
    assert tl.grad(f)(0.5) == 2.0


def test_source_is_the_generic_derivative():
    df = tl.grad(mlp)
    assert df.source == df.generic.source


def test_loop_whose_shape_changes_keeps_unbroadcast():
    def f(h0, W):
        h = h0
        for i in range(3):
            h = h * W          # (3,) then (2, 3): h has no single shape
        return np.sum(h)

    h0, W = RNG.standard_normal(3), RNG.standard_normal((2, 3))
    tl.check_grads(f, (h0, W), order=2)
    tl.check_grads(f, (h0, RNG.standard_normal(3)), order=1)


def test_zero_iteration_loop_with_specialized_shapes():
    def f(x, n):
        y = x
        for i in range(n):
            y = y * x + 1.0
        return np.sum(y)

    x = RNG.standard_normal(4)
    df = tl.grad(f)
    for n in (0, 1, 5, 0):
        np.testing.assert_allclose(df(x, n), df.generic(x, n), rtol=1e-12)
        tl.check_grads(f, (x, n), order=1, wrt=0)


def test_grad_of_specialized_grad():
    x = RNG.standard_normal(4)
    _d_inner(x)   # a version of the inner derivative exists before it is differentiated
    second = tl.grad(sum_of_inner_grad)
    np.testing.assert_allclose(second(x), np.cos(x) * 2 - x * np.sin(x), rtol=1e-10)
    H = tl.hessian(inner_f)(x)
    np.testing.assert_allclose(np.diag(H), 2 * np.cos(x) - x * np.sin(x), rtol=1e-10)


def inner_f(x):
    return np.sum(np.sin(x) * x)


_d_inner = tl.grad(inner_f)


def sum_of_inner_grad(x):
    return np.sum(_d_inner(x))


def test_dot_of_a_vector_with_itself_is_one_term():
    def f(x):
        return 2 * np.dot(x, x)

    df = tl.grad(f)
    x = RNG.standard_normal(6)
    np.testing.assert_allclose(df(x), 4 * x, rtol=1e-14)
    (version,) = df.versions.values()
    # one term (x's two adjoints summed), the seed's constant factors folded into it
    assert "bx = 4.0 * x" in written_numbers(version)


def test_dot_of_a_matrix_with_itself():
    def f(A):
        return np.sum(np.dot(A, A))

    A = RNG.standard_normal((3, 3))
    ones = np.ones((3, 3))
    np.testing.assert_allclose(tl.grad(f)(A), ones @ A.T + A.T @ ones, rtol=1e-12)
    tl.check_grads(f, (A,), order=2)


def test_integer_and_float_arguments_are_kinds_of_their_own():
    def f(x, k):
        return np.sum(x * k)

    df = tl.grad(f, wrt=0)
    x = RNG.standard_normal(3)
    np.testing.assert_allclose(df(x, 2), np.full(3, 2.0))
    np.testing.assert_allclose(df(x, 2.5), np.full(3, 2.5))
    np.testing.assert_allclose(df(x, np.array([1.0, 2.0, 3.0])), [1.0, 2.0, 3.0])


def rnn(Wh, Wx, xs, h0, steps):
    h = h0
    for t in range(steps):
        h = np.tanh(Wh @ h + Wx @ xs[t])
    return np.sum(h * h)


@pytest.mark.parametrize("steps", [0, 1, 5])
def test_outer_products_of_a_loop_are_batched_and_right(steps):
    Wh, Wx = RNG.standard_normal((4, 4)) / 2, RNG.standard_normal((4, 3)) / 2
    xs, h0 = RNG.standard_normal((5, 3)), RNG.standard_normal(4)
    df = tl.grad(rnn, wrt=(0, 1))
    got = df(Wh, Wx, xs, h0, steps)
    want = df.generic(Wh, Wx, xs, h0, steps)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
        assert np.shape(g) == (4, 4) or np.shape(g) == (4, 3)
    (version,) = df.versions.values()
    assert "np.array(bWh_cols)" in version.source and "outer" not in version.source
    tl.check_grads(rnn, (Wh, Wx, xs, h0, steps), order=1, wrt=(0, 1))


# The adjoint of np.sum / np.mean holds one number everywhere: a version reads the
# number where elementwise arithmetic gives the full shape anyway, and the array
# where a contribution is summed (a smaller or scalar operand).
def least_squares(w, A, b):
    r = A @ w - b
    return 0.5 * np.sum(r * r)


def sum_of_a_broadcast(x, A):
    return np.sum(A * x + x - 3.0 * A)


def mean_then_branch(x, c):
    y = np.mean(np.sin(x) * c)
    if y > 0:
        y = y * 2.0
    return y + np.sum(x * c + c)


def test_a_uniform_seed_is_read_as_its_number():
    w, A, b = RNG.standard_normal(3), RNG.standard_normal((5, 3)), RNG.standard_normal(5)
    df = tl.grad(least_squares)
    np.testing.assert_allclose(df(w, A, b), A.T @ (A @ w - b), rtol=1e-12)
    (version,) = df.versions.values()
    assert "np.zeros" not in version.source
    tl.check_grads(least_squares, (w, A, b), order=2)


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_a_uniform_seed_summed_into_a_smaller_operand(wrt):
    x, A = RNG.standard_normal(3), RNG.standard_normal((4, 3))
    tl.check_grads(sum_of_a_broadcast, (x, A), wrt=wrt, order=2)
    tl.check_grads(sum_of_a_broadcast, (0.7, A), wrt=wrt, order=2)
    g = tl.grad(sum_of_a_broadcast, wrt=0)(x, A)
    np.testing.assert_allclose(g, A.sum(axis=0) + 4.0, rtol=1e-12)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_uniform_seed_with_a_scalar_operand_and_a_branch(sign):
    x = sign * np.abs(RNG.standard_normal(4)) / 4
    for c in (0.5, np.full(4, 0.5)):
        tl.check_grads(mean_then_branch, (x, c), wrt=(0, 1), order=2)


def test_vjp_seed_is_not_taken_for_a_number():
    def f(x):
        return np.sum(x * x, axis=0)

    x = RNG.standard_normal((3, 2))
    seed = np.array([1.0, -2.0])
    g = tl.vjp(f)(x, seed)
    np.testing.assert_allclose(g, 2 * x * seed, rtol=1e-12)


def spread_then_loop(x, n):
    v = x * x
    for _ in range(n):
        v = v * x
    return np.sum(v + x)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_a_spread_adjoint_accumulated_in_a_loop(n):
    # x's adjoint starts as the seed spread over x; the loop adds to it at every turn
    x = np.array([0.3, 0.7, 1.1])
    np.testing.assert_allclose(tl.grad(spread_then_loop)(x, n),
                               (n + 2) * x ** (n + 1) + 1.0, rtol=1e-12)
    tl.check_grads(spread_then_loop, (x, n), order=2)


def sum_along_an_axis(x, w):
    d = x[:, None, :] - x[None, :, :]
    r2 = np.sum(d ** 2, axis=-1) + np.eye(x.shape[0])
    return np.sum(w / r2 - np.mean(r2, axis=0))


def test_a_sum_along_an_axis_spreads_without_copies():
    x, w = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 4))
    df = tl.grad(sum_along_an_axis, wrt=(0, 1))
    df(x, w)
    (version,) = df.versions.values()
    assert "np.full" not in version.source   # the mean's adjoint is read where it broadcasts
    tl.check_grads(sum_along_an_axis, (x, w), wrt=(0, 1), order=2)

# -- versions start from the normalized function kept by tl.grad ---------------------------
def _counting_parses(monkeypatch):
    from tangentlike import pipeline
    calls = []
    original = pipeline.parse
    monkeypatch.setattr(pipeline, "parse", lambda f: calls.append(f) or original(f))
    return calls


def test_versions_are_derived_without_parsing_again(monkeypatch):
    from util import make_function
    calls = _counting_parses(monkeypatch)
    helper = make_function("def helper(x):\n    return np.sin(x) * x\n", {"np": np})
    f = make_function("def f(x, w):\n    return np.sum(helper(x) * w)\n",
                      {"np": np, "helper": helper})
    df = tl.grad(f)
    x = RNG.standard_normal(4)
    for w in (0.5, RNG.standard_normal(4), RNG.standard_normal((3, 4))):
        np.testing.assert_allclose(df(x, w), np.broadcast_to(
            np.sum(w * np.ones(np.broadcast(x, w).shape), axis=tuple(range(np.ndim(w) - 1)))
            if np.ndim(w) > 1 else w, x.shape) * (np.cos(x) * x + np.sin(x)))
    assert len(df.versions) == 3
    assert calls.count(f) == 1   # the generic derivative's parse only


def test_a_function_with_a_closure_is_parsed_again_for_its_versions(monkeypatch):
    calls = _counting_parses(monkeypatch)
    scale = 2.0

    def f(x):
        return np.sum(np.sin(x)) * scale
    x = RNG.standard_normal(3)
    np.testing.assert_allclose(tl.grad(f)(x), 2.0 * np.cos(x))
    assert calls.count(f) == 2


def test_a_version_after_the_code_changed_is_derived_from_the_new_code():
    from util import make_function
    f = make_function("def f(x):\n    return np.sum(x * 2.0)\n", {"np": np})
    other = make_function("def f(x):\n    return np.sum(x * x * x)\n", {"np": np})
    df = tl.grad(f)
    f.__code__ = other.__code__
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(df(x), 3 * x * x)   # as before versions were kept


def test_kept_functions_are_not_kept_alive():
    import gc
    import weakref

    from util import make_function
    f = make_function("def f(x):\n    return np.sum(np.sin(x))\n", {"np": np})
    df = tl.grad(f)   # not called: the kept normalized function waits for a version
    ref = weakref.ref(f)
    del f.__globals__["f"], f   # (the derived function runs in f's globals)
    gc.collect()
    assert ref() is None
    assert df.source   # the derived function itself lives on


KEPT_SOURCES = [
    "def f(x, n):\n    k = 0\n    while k < n:\n        x = np.sin(x) * x\n        k = k + 1\n"
    "    return np.sum(x)\n",
    "def f(x, n):\n    for i in range(n):\n        if np.sum(x) > 1.0:\n            x = x * 0.5\n"
    "        else:\n            x = np.tanh(x) + x\n    return np.sum(x * x)\n",
    "def f(x, n):\n    y = np.zeros(3)\n    for i in range(3):\n        y[i] = x[i] * x[i]\n"
    "    return np.sum(y) * n\n",
    "def f(x, n):\n    items = []\n    for i in range(n):\n        items.append(x * i)\n"
    "    total = 0.0\n    while items:\n        total = total + np.sum(items.pop())\n"
    "    return total\n",
    "def f(x, n):\n    return np.sum(helper(x) * n)\n",
]


@pytest.mark.parametrize("source", KEPT_SOURCES)
def test_a_version_from_the_kept_function_is_the_version_from_its_source(source, monkeypatch):
    """Deriving the generic derivative changes no statement the versions start from."""
    from util import make_function

    from tangentlike.normalize import Kept
    helper = make_function("def helper(x):\n    return np.sin(x) * x\n", {"np": np})
    args = (np.array([0.3, -0.2, 0.5]), 3)

    def version():
        f = make_function(source, {"np": np, "helper": helper})
        df = tl.grad(f)
        df(*args)
        (made,) = df.versions.values()
        return re.sub(r"<tangentlike-test-\d+>", "<file>", made.source)
    kept = version()
    monkeypatch.setattr(Kept, "keeps", staticmethod(lambda func: False))
    assert kept == version()


# Array parameters read by index in a loop: a version adds each element's contribution
# in place (`bw[i] += g`) into zeros of its own, instead of a new array per turn.
def weighted_squares(w, x, n):
    s = 0.0
    for i in range(n):
        s = s + w[i] * x[i] ** 2
        if x[i] > 0:
            s = s + w[i + 1] * w[-1]
    return s


def grid_walk(W, v, n):
    total = 0.0
    for i in range(n):
        for j in range(2):
            total = total + W[i, j] * np.sin(v[j] * W[i, j])
    return total


@pytest.mark.parametrize("n", [0, 1, 4])
def test_indexed_reads_in_a_loop_accumulate_in_place(n):
    w = RNG.standard_normal(6)
    x = np.array([0.5, -0.3, 0.8, -0.1, 0.4, 0.9])
    df = tl.grad(weighted_squares, wrt=(0, 1))
    got = df(w, x, n)
    for g, want in zip(got, df.generic(w, x, n)):
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-15)
    (version,) = df.versions.values()
    assert "bw[i] += " in version.source and "add_at_item(" not in version.source.split(
        "for i in reversed")[1].split("bx")[0]
    tl.check_grads(weighted_squares, (w, x, n), wrt=(0, 1), order=2)
    w32 = w.astype(np.float32)   # a float32 w: the generic code's values, in w's dtype
    g32 = tl.grad(weighted_squares)(w32, x, n)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, tl.grad(weighted_squares).generic(w32, x, n), rtol=1e-6)


@pytest.mark.parametrize("n", [0, 3])
def test_two_dimensional_indices_accumulate_in_place(n):
    W, v = RNG.standard_normal((3, 2)), RNG.standard_normal(2)
    df = tl.grad(grid_walk, wrt=(0, 1))
    df(W, v, n)
    (version,) = df.versions.values()
    # W[i, j] is read twice: its two contributions are one update of the element (the
    # inner loop over range(2) unrolled in the version: one for j = 0, one for j = 1)
    assert version.source.count("bW[i, 0] += ") == 1
    assert version.source.count("bW[i, 1] += ") == 1
    assert "bW[i, 0] -= " not in version.source and "bW[i, 1] -= " not in version.source
    for g, want in zip(df(W, v, n), df.generic(W, v, n)):
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-15)
    tl.check_grads(grid_walk, (W, v, n), wrt=(0, 1), order=2)


def element_updates_of_both_signs(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i] * np.cos(x[i]) - 3.0 * x[i] - x[i] * x[i]
    return s


@pytest.mark.parametrize("n", [0, 1, 3])
def test_updates_of_one_element_in_a_row_are_merged_with_their_signs(n):
    from tangentlike.optimize import merge_element_updates
    from tangentlike.parse import to_gast
    import ast
    body = to_gast(ast.parse("a[i] += p\na[i] -= q\na[i] -= r\na[j] += s\na[j] += a[0]"))
    assert ast.unparse(ast.parse("\n".join(
        ast.unparse(tl.emit.to_ast(s)) for s in merge_element_updates(body.body)))) == (
        "a[i] += p - q - r\na[j] += s\na[j] += a[0]")
    x = np.array([0.3, -0.7, 1.1])
    df = tl.grad(element_updates_of_both_signs)
    np.testing.assert_allclose(df(x, n), df.generic(x, n), rtol=1e-13, atol=1e-15)
    tl.check_grads(element_updates_of_both_signs, (x, n), order=2)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_slices_of_a_parameter_accumulate_in_place():
    x = RNG.standard_normal(7)
    df = tl.grad(rosenbrock)
    g = df(x)
    a = x[1:] - x[:-1] ** 2
    want = np.zeros(7)
    want[1:] += 200.0 * a
    want[:-1] += -400.0 * a * x[:-1] - 2.0 * (1.0 - x[:-1])
    np.testing.assert_allclose(g, want, rtol=1e-12)
    (version,) = df.versions.values()
    assert "bx[:-1] -= " in version.source and "bx[1:] += " in version.source
    assert "add_at_item" not in version.source and " -b" not in version.source
    tl.check_grads(rosenbrock, (x,), order=2, modes=("rev", "fwd"))


def test_a_number_times_a_power_of_two_times_an_array_is_one_array_operation():
    w, A, b = RNG.standard_normal(3), RNG.standard_normal((5, 3)), RNG.standard_normal(5)
    df = tl.grad(least_squares)
    np.testing.assert_array_equal(df(w, A, b), df.generic(w, A, b))   # exact
    (version,) = df.versions.values()
    # (bt3 = bout * 0.5, read once as bt3 * 2.0: optimize.fold_constant_factors; for
    # the seed 1.0 (reverse.seed_factor), br = 1.0 * r goes into its one read: r @ A)
    assert "bw = r.dot(A)" in version.source and "br" not in version.source


def _kinds_of_arrays():
    x = RNG.standard_normal(4)
    read_only = x.copy()
    read_only.flags.writeable = False

    class Sub(np.ndarray):
        pass
    return [
        x,
        x.astype(np.dtype(np.float64, metadata={"unit": "m"})),   # equal to float64
        x.astype(">f8"),                                            # another byte order
        x.astype(np.float32),
        x.view(Sub),
        np.asfortranarray(RNG.standard_normal((2, 2))).reshape(4, order="F"),
        read_only,
        np.float64(0.3) * np.ones(()),                              # 0-d
        np.asfortranarray(RNG.standard_normal((4, 3))),
    ]


@pytest.mark.parametrize("order", [1, -1])
def test_the_guard_admits_exactly_what_the_dispatcher_keys_together(order):
    # A version's guard and the dispatcher's key must agree: a key that finds a version
    # whose guard then refuses the call would send it back and forth forever. The guard
    # compares the dtype by identity first, then by equality (the key's test)
    def f(x):
        return 2.0 * np.sum(x * x)
    arrays = _kinds_of_arrays()[::order]
    df = tl.grad(f)
    for _ in range(2):   # the second time, each call finds its version (or the generic)
        for x in arrays:
            g = df(x)
            np.testing.assert_allclose(g, 4.0 * np.asarray(x), rtol=1e-6)
            assert g.shape == x.shape and g.dtype == (x.dtype if x.dtype.kind == "f" else
                                                      np.float64)


def test_the_guard_compares_a_dtype_by_identity_first():
    def f(x):
        return np.sum(x * x)
    df = tl.grad(f)
    df(np.ones(3))
    (version,) = df.versions.values()
    assert "x.dtype is float64 or x.dtype == float64" in version.source


# -- a version's adjoint is for the seed 1.0; any other seed scales the gradients -------
def _loop_and_branch(x, k):
    y = x
    for _ in range(3):
        y = np.sin(y) * k
    if np.sum(y) > 0:
        y = y * y
    return np.sum(y)


def _while_loop(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    return b if np.sum(b) > 0 else 100 * b


def _of_a_list(xs, w):
    total = 0.0
    for x in xs:
        total = total + np.sum(np.tanh(x * w))
    return total


def _huge(x, y, z):
    return np.sum(x * y * z)


SEEDED = [
    (tl.grad, _loop_and_branch, 0, (RNG.standard_normal(4), 0.7)),
    (tl.grad, _loop_and_branch, (0, 1), (RNG.standard_normal(4), 0.7)),
    (tl.value_and_grad, _loop_and_branch, (0, 1), (RNG.standard_normal(4), 0.7)),
    (tl.grad, _loop_and_branch, (0, 1), (RNG.standard_normal(4).astype(np.float32), 0.7)),
    (tl.grad, _while_loop, 0, (0.3,)),
    (tl.value_and_grad, _while_loop, 0, (-0.3,)),
    (tl.grad, _of_a_list, (0, 1), ([RNG.standard_normal(3), RNG.standard_normal(3)],
                                   RNG.standard_normal(3))),
    (tl.grad, least_squares, 0, (RNG.standard_normal(3), RNG.standard_normal((5, 3)),
                                 RNG.standard_normal(5))),
]


def _same(got, want, rtol):
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w, rtol)
        return
    assert type(got) is type(want) and getattr(got, "dtype", None) == getattr(want, "dtype", None)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("seed", [1.0, 2.5, -0.5, 0.0, 3, True, np.float32(2.0), np.array(0.25)])
@pytest.mark.parametrize("mode, f, wrt, args", SEEDED)
def test_a_version_computed_for_the_seed_one_scales_by_any_other(mode, f, wrt, args, seed):
    df = mode(f, wrt=wrt)
    got = df(*args, seed)
    assert df.generic not in df.versions.values()
    rtol = 1e-5 if any(getattr(a, "dtype", None) == np.float32 for a in args) else 1e-12
    _same(got, df.generic(*args, seed), rtol)
    _same(df(*args, bout=seed) if "bout" in df.__code__.co_varnames else got, got, 0)
    if seed == 1.0:
        _same(df(*args), got, 0)


def test_the_seed_factor_is_left_out_of_the_adjoint_and_applied_at_the_end():
    df = tl.value_and_grad(_loop_and_branch, wrt=(0, 1))
    df(RNG.standard_normal(4), 0.7)
    (version,) = df.versions.values()
    body = version.source.split("return specialize_again", 1)[1]
    assert body.count("bout") == 3   # `if bout != 1.0: return (..., seeded((...), bout))`
    assert "    if bout != 1.0:\n        return (out, seeded((" in body


def test_second_derivatives_through_a_version_computed_for_the_seed_one():
    x = RNG.standard_normal(4)
    dfdx = tl.grad(_loop_and_branch)
    dfdx(x, 0.7)                    # its version exists before it is differentiated
    dfdx(x, 0.7, 2.0)
    tl.check_grads(_loop_and_branch, (x, 0.7), order=2, modes=("rev",))
    H = tl.hessian(_loop_and_branch)(x, 0.7)
    np.testing.assert_allclose(H, H.T, rtol=1e-10)

    def twice(x, k):
        return np.sum(dfdx(x, k, 3.0))     # a seed given by the caller
    g = tl.grad(twice)(x, 0.7)
    np.testing.assert_allclose(g, 3.0 * H.sum(axis=1), rtol=1e-10)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # (inf times a zero seed: nan)
def test_a_zero_seed_with_an_infinite_intermediate_is_nan_as_in_the_generic():
    x = np.array([1.0, 2.0])
    big = np.array([np.inf, 1.0])
    df = tl.grad(_huge)
    np.testing.assert_array_equal(df(x, big, np.ones(2), 0.0), df.generic(x, big, np.ones(2), 0.0))


def test_a_unit_factor_going_into_its_read_never_gives_an_input_back():
    # 0.5 * np.sum(x * x): the adjoint for the seed 1.0 is 1.0 * x, which is not x
    def half(x):
        return 0.5 * np.sum(x * x)
    x = RNG.standard_normal(3)
    g = tl.grad(half)(x)
    assert not np.shares_memory(g, x)
    np.testing.assert_array_equal(g, x)


def _matmul_self(x):
    return x @ x


def _quadratic_form(x, A):
    return x @ A @ x


@pytest.mark.parametrize("shape", [(4,), (3, 3)])
def test_a_matrix_product_of_an_array_with_itself_is_one_sum(shape):
    # x @ x as np.dot(x, x): the adjoint of the one operand is one sum (2.0 * x for a
    # vector), not two contributions
    x = RNG.standard_normal(shape)
    df = tl.grad(_matmul_self) if x.ndim == 1 else tl.grad(lambda_sum_of_square)
    g = df(x)
    want = 2.0 * x if x.ndim == 1 else np.ones(shape) @ x.T + x.T @ np.ones(shape)
    np.testing.assert_allclose(g, want, rtol=1e-12)
    np.testing.assert_allclose(df.generic(x), want, rtol=1e-12)
    (version,) = [v for k, v in df.versions.items() if k[0][1] == shape]
    if x.ndim == 1:
        assert "bx = 2.0 * x\n" in written_numbers(version)
    tl.check_grads(_matmul_self if x.ndim == 1 else lambda_sum_of_square, (x,), order=2,
                   modes=("rev", "fwd"))


def lambda_sum_of_square(X):
    return np.sum(X @ X)


def test_two_contributions_of_one_line_are_one_statement_for_the_seed_one():
    x, A = RNG.standard_normal(5), RNG.standard_normal((5, 5))
    df = tl.grad(_quadratic_form)
    np.testing.assert_allclose(df(x, A), A @ x + x @ A, rtol=1e-12)
    np.testing.assert_allclose(df(x, A, 2.0), 2.0 * (A @ x + x @ A), rtol=1e-12)
    (version,) = [v for k, v in df.versions.items() if k[0][1] == (5,)]
    assert "bx = t1 + A.dot(x)\n" in version.source and "1.0 *" not in version.source


def _of_two_numbers(a, b):
    return a * a * b + np.sin(a) * b ** 3


def _through_a_0d_array(a, b):
    return np.sum(np.full((), a) * b) + a


def _scaled_mean(W, scale):
    h = np.tanh(W)
    return scale * np.mean(h * h)


@pytest.mark.parametrize("f, args", [
    (_of_two_numbers, (0.3, 1.7)),
    (_through_a_0d_array, (0.3, 1.7)),
    (_through_a_0d_array, (0.3, np.array(1.7))),
    (_scaled_mean, (RNG.standard_normal((3, 2)), 0.5)),
])
def test_the_gradient_of_a_number_is_a_number_as_in_the_generic(f, args):
    df = tl.grad(f, wrt=(0, 1))
    for seed in (1.0, 2.0):
        got, want = df(*args, seed), df.generic(*args, seed)
        for g, w in zip(got, want):
            assert type(g) is type(w)
            np.testing.assert_allclose(g, w, rtol=1e-12)
    version = next(v for v in df.versions.values() if v is not df.generic)
    if f is _of_two_numbers:   # numbers of numbers: no test at all (numbers.py)
        assert version.source.endswith("return (ba, bb)\n")
    if f is _through_a_0d_array:   # np.full makes an array: its gradient is tested
        assert "ba.__class__ is not ndarray" in version.source
    if f is _scaled_mean:
        assert "bscale = t2\n" in version.source   # (1.0 * t2: the number itself)


# -- a simulation filling a preallocated trajectory with small rows -------------------
def _euler(x0, p):
    n = 30
    x = np.zeros((n + 1, 2))
    x[0] = x0
    dt = 0.01
    for i in range(n):
        x[i + 1] = x[i] + dt * np.array([x[i, 1], -p * x[i, 0]])
    return np.sum(x[-1] ** 2)


def _euler_hand(x0, p):
    n, dt = 30, 0.01
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


def _three_columns(x0, p):
    x = np.zeros((9, 3))
    x[0] = x0
    for i in range(8):
        x[i + 1] = 0.5 * x[i] + 0.1 * np.array([x[i, 1] * p, x[i, 2], -x[i, 0]])
    return np.sum(np.sin(x))


def _in_place_rows(x0, p):
    x = np.zeros((6, 2))
    x[0] = x0
    for i in range(5):
        x[i + 1] = x[i] * p
        x[i] = x[i] + x[i + 1] * 0.5     # a row written again after it is read
    return np.sum(x * x)


def _wide_rows(x0, p):
    x = np.zeros((6, 5))
    x[0] = x0
    for i in range(5):
        x[i + 1] = x[i] + 0.1 * p * x[i]
    return np.sum(x[-1] ** 2)


@pytest.mark.parametrize("f, width", [(_euler, 2), (_three_columns, 3), (_in_place_rows, 2),
                                      (_wide_rows, 5)])
def test_small_rows_of_a_trajectory_are_updated_by_item_and_stay_right(f, width):
    x0 = RNG.standard_normal(width)
    df = tl.grad(f, wrt=(0, 1))
    for seed in (1.0, -2.0):
        got, want = df(x0, 1.3, seed), df.generic(x0, 1.3, seed)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    tl.check_grads(f, (x0, 1.3), order=1, modes=("rev",))
    version = next(v for k, v in df.versions.items() if k[0][1] == (width,))
    if f is _euler:
        np.testing.assert_allclose(got[0] / -2.0, _euler_hand(x0, 1.3)[0], rtol=1e-12)
        # items times the time step, and element updates of the row: no 2-item array ops
        # (the row's items read once each and one update per item: perf17)
        assert "bt4 = bt12_0 * dt" in version.source
        assert "bx[i, 1] += bt4 + bt12_1" in version.source and "bx[i] +=" not in version.source
    if f is _wide_rows:   # 5 items: a row update stays one
        assert "[i, 4]" not in version.source


def _quiet_softmax(z, w):
    m = np.max(z, axis=0, keepdims=True)
    e = np.exp(z - m) / np.zeros(3)[:, None]   # (a division by zero on the stand-ins too)
    return np.sum(np.log(e + 1.0) * w)


def test_deriving_a_version_leaves_warnings_filters_and_numpy_errors_as_they_were():
    """stand_ins silences NumPy's errors and Python's warnings once for all its calls on
    stand-ins (shapeclass._Quiet): both are what they were after it, also when the
    version cannot be made, and the derivative's own warnings are seen."""
    import warnings
    filters, errors = list(warnings.filters), np.geterr()
    z, w = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    with np.errstate(divide="warn"), warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        df = tl.grad(_quiet_softmax, wrt=(0, 1))
        inner = (list(warnings.filters), np.geterr())
        df(z, w)
        assert (list(warnings.filters), np.geterr()) == inner
    assert any(issubclass(s.category, RuntimeWarning) for s in seen)   # (divide by zero)
    assert df.versions and all(v is not df.generic for v in df.versions.values())
    assert (list(warnings.filters), np.geterr()) == (filters, errors)
    from tangentlike.shapeclass import _Quiet
    assert not _Quiet.on()
