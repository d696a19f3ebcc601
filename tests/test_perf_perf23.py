"""Generated code of issue 6's neighbours of session perf23: each change keeps the generic
derivative's values and finite differences'."""
import os
import sys

import numpy as np
import pytest

import tangentlike as tl
from util import the_version, same_as_generic

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "benchmarks"))
from cases import grow_while  # noqa: E402  (the benchmark's branch then while loop)

RNG = np.random.default_rng(2323)


def without_comments(source):
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))


# -- np.concatenate of a tuple with list displays of numbers (shapeclass._JOINS) ---------

def masses_between_walls(x0, k, wall):
    # the positions padded by the walls, [0.0] and [wall], before the differences
    x = x0
    v = np.zeros_like(x0)
    for _ in range(20):
        ext = np.concatenate(([0.0], x, [wall]))
        stretch = ext[1:] - ext[:-1] - 1.0
        v = v + 0.05 * (k[1:] * stretch[1:] - k[:-1] * stretch[:-1]) - 0.01 * v
        x = x + 0.05 * v
    return np.sum((x - x0) ** 2)


def test_concatenate_of_list_displays_has_concrete_shapes():
    args = (np.array([1.1, 2.0, 2.9, 4.1]), np.array([1.0, 2.0, 1.5, 1.0, 2.5]), 5.0)
    df = tl.grad(masses_between_walls, wrt=(0, 1, 2))
    got = df(*args)
    code = without_comments(the_version(df))
    # every shape is known: no unbroadcast, broadcast_like or add_at_item is left, and
    # the positions' adjoint is a slice of the padded one's (no split_like, nothing stacked
    # for it)
    assert "unbroadcast" not in code and "broadcast_like" not in code \
        and "add_at_item" not in code and "np.zeros((6,), dtype=float64)" in code \
        and "split_like" not in code and "stack.append(t" not in code.split("stretch")[0], code
    same_as_generic(got, df.generic(*args, 1.0))
    same_as_generic(df(*args, -2.0), df.generic(*args, -2.0))
    tl.check_grads(masses_between_walls, args, wrt=(0, 1, 2), order=2, modes=("rev", "fwd"))


def padded_stack(x, c):
    rows = np.stack(([c, 2.0 * c], x, [1.0, c * c]))
    return np.sum(np.sin(rows) * rows[1:2])


def padded_hstack(x, n):
    # an int number among the parts: its value is no size
    y = np.hstack(([n], x, [0.5]))
    return np.sum(y[1:] * y[:-1])


@pytest.mark.parametrize("f, args, wrt", [
    (padded_stack, (np.array([0.3, -1.2]), 0.7), (0, 1)),
    (padded_hstack, (np.array([0.3, -1.2, 2.0]), 3), (0,)),
])
def test_joins_of_numbers_and_arrays(f, args, wrt):
    df = tl.grad(f, wrt=wrt)
    got = df(*args)
    code = the_version(df)
    assert "unbroadcast" not in code, code
    same_as_generic(got, df.generic(*args, 1.0))
    tl.check_grads(f, args, wrt=wrt, order=2, modes=("rev", "fwd"))


def along(x, y, axis):
    return np.sum(np.concatenate((x, y), axis=axis) ** 2 * np.arange(4.0)[:, None])


def test_axis_of_unknown_value_is_no_join_of_numbers():
    # the axis is a number, not in the parts: its value decides the shape, so a version
    # for these shapes serves both axes (shapes not fixed by axis 0)
    x, y = RNG.standard_normal((2, 2)), RNG.standard_normal((2, 2))
    df = tl.grad(along, wrt=(0, 1))
    for axis in (0, 1, 0):
        if axis == 1:
            with pytest.raises(ValueError):   # (4, 2) and (2, 4) * (4, 1) do not broadcast
                along(x, y, axis)
            continue
        same_as_generic(df(x, y, axis), df.generic(x, y, axis, 1.0))
    z = RNG.standard_normal((2, 1))
    same_as_generic(tl.grad(lambda x, z, a: np.sum(np.concatenate((x, z), axis=a) ** 3),
                            wrt=(0, 1))(x, z, 1),
                    (3 * x ** 2, 3 * z ** 2))


# -- np.einsum of a number and an array, or of two arrays of one shape, elementwise ------

def einsum_square(x):
    return 2.0 * np.einsum("i,i->", x, x)


def einsum_weighted(a, b):
    return np.sum(np.einsum("ij,ij->ij", a, b) ** 2) + np.einsum("ij,ij", a, np.sin(b))


@pytest.mark.parametrize("n", [4, 1000])
def test_einsum_of_a_vector_with_itself_is_a_product(n):
    x = RNG.standard_normal(n)
    df = tl.grad(einsum_square)
    got = df(x)
    code = without_comments(the_version(df))
    assert "bx = 4.0 * x" in code and "np.einsum" not in code, code
    same_as_generic(got, df.generic(x, 1.0))
    same_as_generic(df(x, 0.5), df.generic(x, 0.5))
    tl.check_grads(einsum_square, (x,), order=2, modes=("rev", "fwd"))


def test_einsum_of_two_arrays_of_one_shape_is_a_product():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    df = tl.grad(einsum_weighted, wrt=(0, 1))
    got = df(a, b)
    adjoint = the_version(df).split("# adjoint", 1)[1]
    assert "np.einsum('ij,ij->ij'" not in adjoint and "unbroadcast" not in adjoint, adjoint
    same_as_generic(got, df.generic(a, b, 1.0))
    tl.check_grads(einsum_weighted, (a, b), wrt=(0, 1), order=2, modes=("rev", "fwd"))


def einsum_rows(a, b):
    return np.sum(np.einsum("ij,ij->ij", a, b) ** 2)


def einsum_diagonal(m):
    return np.sum(np.einsum("ii->i", m) ** 2) + 3.0 * np.einsum("i,i->", np.diag(m), m[0])


@pytest.mark.parametrize("f, args, wrt", [
    # einsum makes the seed a float64 array: a float32 array's adjoint is float64
    (einsum_square, (np.arange(1.0, 4.0, dtype=np.float32),), (0,)),
    # a size-1 axis broadcast by einsum: its adjoint is summed (unbroadcast stays)
    (einsum_rows, (RNG.standard_normal((3, 4)), RNG.standard_normal((1, 4))), (0, 1)),
    # a repeated letter (a diagonal): no product
    (einsum_diagonal, (RNG.standard_normal((3, 3)),), (0,)),
])
def test_einsum_that_is_no_elementwise_product_stays(f, args, wrt):
    df = tl.grad(f, wrt=wrt)
    got = df(*args)
    want = df.generic(*args, 1.0)
    same_as_generic(got, want, rtol=1e-6 if args[0].dtype == np.float32 else 1e-13)
    if args[0].dtype != np.float32:
        tl.check_grads(f, args, wrt=wrt, order=2, modes=("rev", "fwd"))


# -- the number a sum's adjoint spreads, read in loops and after them (reverse.spread_number)

def per_step_loss(W, xs, ys, h0):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        loss = loss + np.sum((h - ys[t]) ** 2)
    return loss


def sum_read_twice(x):
    y = x
    total = 0.0
    for _ in range(3):
        e = np.sin(y)
        total = total + np.sum(e) + np.sum(e @ e)   # e's adjoint: a spread and a product
        y = 0.5 * y + e
    return total


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_spread_number_in_a_while_loop(sign):
    x = sign * np.abs(RNG.standard_normal(6))
    df = tl.grad(grow_while)
    got = df(x)
    code = without_comments(the_version(df))
    assert "np.zeros" not in code and "bt5_number = bs" in code, code
    same_as_generic(got, df.generic(x, 1.0))
    same_as_generic(df(x, -3.0), df.generic(x, -3.0))
    tl.check_grads(grow_while, (x,), order=2, modes=("rev", "fwd"))


def test_spread_number_of_a_per_step_loss():
    W = RNG.standard_normal((4, 4)) / 2
    xs, ys, h0 = RNG.standard_normal((5, 4)), RNG.standard_normal((5, 4)), np.zeros(4)
    df = tl.grad(per_step_loss, wrt=(0, 3))
    got = df(W, xs, ys, h0)
    code = without_comments(the_version(df))
    # (t ** 2 computed for its dtype only, stacked each step, before)
    assert "np.zeros((4,)" not in code and "** 2\n" not in code, code
    same_as_generic(got, df.generic(W, xs, ys, h0, 1.0))
    tl.check_grads(per_step_loss, (W, xs, ys, h0), wrt=(0, 3), order=2, modes=("rev", "fwd"))


def test_spread_read_by_another_rule_too():
    x = RNG.standard_normal(5)
    df = tl.grad(sum_read_twice)
    same_as_generic(df(x), df.generic(x, 1.0))
    tl.check_grads(sum_read_twice, (x,), order=2, modes=("rev", "fwd"))
    x32 = x.astype(np.float32)
    got, want = df(x32), df.generic(x32, 1.0)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5)


# -- an adjoint of zeros updated by elements, then added to zero_at's copy ---------------

def heat_by_slices(u0, alpha):
    u = u0.copy()
    for _ in range(6):
        u_new = u.copy()
        u_new[1:-1] = u[1:-1] + alpha * (u[2:] - 2 * u[1:-1] + u[:-2])
        u = u_new
    return np.sum(u ** 2)


def copy_read_twice(u0, alpha):
    u = u0
    total = 0.0
    for _ in range(3):
        u_new = u.copy()
        u_new[1:-1] = alpha * (u[2:] - u[:-2])
        total = total + np.sum(u_new * u_new) + np.sum(u_new[0] * u)
        u = u_new + u
    return total


def test_heat_by_slices_starts_from_the_copy():
    args = (np.sin(np.linspace(0.0, 3.0, 9)), 0.2)
    df = tl.grad(heat_by_slices, wrt=(0, 1))
    got = df(*args)
    code = without_comments(the_version(df))
    adjoint = code.split("for step in reversed", 1)[-1] if "for step in reversed" in code \
        else code.split("reversed(", 1)[1]
    # (and the interior, u[1:-1] read back whole, is neither zeroed nor added back)
    assert "zeros_plus(" in adjoint and "np.zeros(" not in adjoint \
        and "zero_at" not in adjoint and "u.copy(order='K')" in code \
        and "np.copy" not in code, code
    same_as_generic(got, df.generic(*args, 1.0))
    same_as_generic(df(*args, 2.5), df.generic(*args, 2.5))
    tl.check_grads(heat_by_slices, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


def heat_shifted(u0, alpha):
    # the interior written from a shifted part: its adjoint goes to bu[2:], not bu[1:-1]
    u = u0.copy()
    for _ in range(4):
        u_new = u.copy()
        u_new[1:-1] = u[2:] + alpha * (u[1:-1] - u[:-2])
        u = u_new
    return np.sum(u ** 2)


def test_part_written_from_another_part_is_zeroed():
    args = (np.cos(np.linspace(0.0, 2.0, 7)), 0.3)
    df = tl.grad(heat_shifted, wrt=(0, 1))
    got = df(*args)
    assert "zero_at" in the_version(df).split("reversed(", 1)[1]
    same_as_generic(got, df.generic(*args, 1.0))
    tl.check_grads(heat_shifted, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


def test_copy_read_elsewhere_too_is_kept():
    args = (np.cos(np.linspace(0.0, 2.0, 6)), 0.3)
    df = tl.grad(copy_read_twice, wrt=(0, 1))
    same_as_generic(df(*args), df.generic(*args, 1.0))
    tl.check_grads(copy_read_twice, args, wrt=(0, 1), order=2, modes=("rev", "fwd"))


def test_zeros_plus():
    from tangentlike.runtime import zeros_plus, zero_at
    g = np.arange(3.0)
    assert zeros_plus(g, (3,)) is g
    for other in (0.0, np.arange(3, dtype=np.float32), np.arange(3.0)[:, None]):
        want = np.zeros((3,)) + other
        got = zeros_plus(other, (3,))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    # zero_at: a float array's copy (its layout kept), other values as before
    m = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    z = zero_at(m, (0, slice(None)))
    assert z is not m and z.flags.f_contiguous and m[0, 1] == 1.0
    np.testing.assert_array_equal(z, [[0.0, 0.0, 0.0], [3.0, 4.0, 5.0]])
    assert zero_at(0.0, slice(1, None)) == 0.0
    assert zero_at(np.arange(3), 0).dtype == np.float64


def test_cast_back_of_a_dict():
    from tangentlike.runtime import cast_back
    x = {"w": np.ones(3), "s": 1.5, "h": np.ones(2, dtype=np.float32)}
    g = {"w": np.arange(3.0), "s": 2.0, "h": np.arange(2, dtype=np.float32)}
    assert cast_back(g, x) is g   # every item as its argument's already
    g64 = dict(g, h=np.arange(2.0))   # a float32 item's float64 adjoint: cast back
    got = cast_back(g64, x)
    assert got["h"].dtype == np.float32 and got["w"] is g64["w"] and got["s"] == 2.0
    g0 = dict(g, s=np.float64(2.0))   # a float's NumPy number: a float
    assert type(cast_back(g0, x)["s"]) is float


def dict_mlp(params, X):
    h = np.tanh(X @ params["W"] + params["b"])
    return np.sum(h ** 2) + params["c"] ** 2


def test_dict_of_float64_arrays_and_a_float():
    params = {"W": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2), "c": 0.5}
    X = RNG.standard_normal((4, 3))
    df = tl.grad(dict_mlp)
    got, want = df(params, X), df.generic(params, X, 1.0)
    assert list(got) == list(want) and type(got["c"]) is float
    for k in want:
        same_as_generic(got[k], want[k])
    tl.check_grads(dict_mlp, (params, X), order=1, modes=("rev",))
