"""Calls, local functions, containers, lists, element writes and early exits: the
everyday Python around the math, each checked by finite differences to second order in
both modes."""
import numpy as np
import pytest

import other_module
import tangentlike as tl
from other_module import affine, softplus

X3 = np.array([0.3, -0.6, 0.9])


# -- calls of user functions ------------------------------------------------------------
def helper_square(v):
    return v * v


def helper_tuple(v):
    return v * 2.0, np.sin(v)


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def calls_nested(x):
    return np.sum(helper_square(softplus(x)))


def calls_in_loop(x, n):
    for i in range(n):
        x = helper_square(np.tanh(x)) + x
    return np.sum(x)


def calls_keywords_and_defaults(x, w):
    a = affine(x, w)
    b = affine(x, w=w, b=2.0)
    return np.sum(a * b)


def calls_tuple_result(x):
    a, b = helper_tuple(x)
    c, d = other_module.split(a)
    return np.sum(a * b + c * d)


def calls_recursion(x):
    return power(x, 4)


def calls_recursion_zero_depth(x):
    return power(x, 0) + x


# -- local functions, closures, lambdas ---------------------------------------------------
def local_def_closure(x, w):
    scale = 2.0

    def layer(h, b=0.1):
        return np.tanh(w * h + b) * scale

    h = layer(x)
    return np.sum(layer(h, b=0.3))


def local_lambda(x):
    sq = lambda v: v * v  # noqa: E731
    return np.sum(sq(x) + sq(np.sin(x)))


def local_def_with_branch_and_loop(x, n):
    def step(v):
        if np.sum(v) > 0:
            return v * 0.5
        for _ in range(2):
            v = v + np.cos(v)
        return v

    for i in range(n):
        x = step(x)
    return np.sum(x)


# -- containers -----------------------------------------------------------------------------
def wrt_tuple(p):
    w, b = p
    return np.sum(np.tanh(w * 2.0 + b))


def wrt_dict(p):
    return np.sum(p["w"] * p["b"] + np.sin(p["w"]))


def returns_tuple(x):
    return np.sin(x), x * 3.0


# -- lists --------------------------------------------------------------------------------
def list_append_stack(x, n):
    rows = []
    for i in range(n):
        rows.append(np.sin(x * (i + 1)))
    return np.sum(np.stack(rows) ** 2)


def list_append_array_of_scalars(x):
    vals = []
    for v in x:
        vals.append(v * v)
    return np.sum(np.array(vals) * X3)


def list_as_stack(x):
    stack = []
    for i in range(3):
        stack.append(x * i)
    total = 0.0
    while len(stack) > 0:
        total = total + np.sum(np.cos(stack.pop()))
    return total


# -- element writes ---------------------------------------------------------------------------
def writes_fill(x, n):
    y = np.zeros(n)
    for i in range(n):
        y[i] = np.sin(x * i)
    return np.sum(y * y)


def writes_recurrence(x):
    y = np.zeros(len(x))
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = y[i - 1] * 0.5 + x[i]
    return np.sum(y ** 2)


def writes_slices(x):
    y = x.copy()
    y[1:3] = y[1:3] * 2.0
    y[0] += x[2] * x[1]
    return np.sum(np.sin(y))


def writes_matrix(w):
    m = np.ones((2, 3))
    m[:, 0] = w
    m[1, 1:] *= w[0]
    return np.sum(m @ m.T)


# -- early exits ------------------------------------------------------------------------------
def break_at(x, k):
    s = 0.0
    for i in range(5):
        if i == k:
            break
        s = s + np.sin(x * (i + 1))
    return s


def continue_at(x, k):
    s = 0.0
    for i in range(5):
        if i == k:
            continue
        s = s + np.sin(x * (i + 1))
    return s


def return_at(x, k):
    for i in range(5):
        x = x * 1.1 + 0.1
        if i == k:
            return x * x
    return x


def while_break(x):
    y = x
    while True:
        y = y * 1.5
        if np.abs(y) > 4.0:
            break
    return y * y


def for_else_with_break(x, k):
    s = x
    for i in range(4):
        if i == k:
            break
        s = s * 1.2
    else:
        s = s * 10.0
    return s


def early_return_in_if(x):
    if x > 0:
        return np.sin(x)
    y = x * x
    return y * 3.0


CASES = [
    (calls_nested, (X3,)), (calls_in_loop, (X3, 0)), (calls_in_loop, (X3, 3)),
    (calls_keywords_and_defaults, (X3, 0.7)), (calls_tuple_result, (X3,)),
    (calls_recursion, (0.7,)), (calls_recursion_zero_depth, (0.7,)),
    (local_def_closure, (X3, 0.8)), (local_lambda, (X3,)),
    (local_def_with_branch_and_loop, (X3, 2)), (local_def_with_branch_and_loop, (-X3 - 1.0, 2)),
    (wrt_tuple, ((X3, 0.4),)), (wrt_dict, ({"w": X3, "b": X3[::-1] + 0.1},)),
    (returns_tuple, (X3,)),
    (list_append_stack, (X3, 1)), (list_append_stack, (X3, 3)),
    (list_append_array_of_scalars, (X3,)), (list_as_stack, (X3,)),
    (writes_fill, (0.4, 0)), (writes_fill, (0.4, 1)), (writes_fill, (0.4, 5)),
    (writes_recurrence, (X3,)), (writes_slices, (np.array([0.3, 0.5, -0.2, 0.9]),)),
    (writes_matrix, (np.array([0.3, 0.7]),)),
    (break_at, (0.4, 0)), (break_at, (0.4, 2)), (break_at, (0.4, 4)), (break_at, (0.4, 9)),
    (continue_at, (0.4, 0)), (continue_at, (0.4, 2)), (continue_at, (0.4, 4)),
    (return_at, (0.4, 0)), (return_at, (0.4, 2)), (return_at, (0.4, 4)), (return_at, (0.4, 9)),
    (while_break, (0.3,)), (while_break, (5.0,)),
    (for_else_with_break, (0.5, 0)), (for_else_with_break, (0.5, 2)),
    (for_else_with_break, (0.5, 9)),
    (early_return_in_if, (0.5,)), (early_return_in_if, (-0.5,)),
]


def _id(case):
    f, args = case
    shown = ",".join(type(a).__name__ if isinstance(a, (tuple, dict)) else
                     str(np.shape(a)) if np.ndim(a) else repr(a) for a in args)
    return f"{f.__name__}({shown})"


@pytest.mark.parametrize("f,args", CASES, ids=[_id(c) for c in CASES])
def test_first_and_second_order_both_modes(f, args):
    tl.check_grads(f, args, order=2, modes=("rev", "fwd"))


def test_gradient_of_a_dict_has_the_dict_structure():
    p = {"w": X3, "b": X3 + 1.0}
    g = tl.grad(wrt_dict)(p)
    assert set(g) == {"w", "b"}
    np.testing.assert_allclose(g["b"], X3)


def test_gradient_of_a_tuple_has_the_tuple_structure():
    g = tl.grad(wrt_tuple)((X3, 0.4))
    assert isinstance(g, tuple) and len(g) == 2 and np.shape(g[0]) == (3,)


def test_call_adjoint_is_the_callees_own_derived_function():
    src = tl.grad(calls_nested).source
    assert "dhelper_squaredv" in src and "dsoftplusdx" in src


def test_recursion_refers_to_itself():
    src = tl.vjp(power, wrt=(0,)).source
    assert "dpowerdx(" in src.split("\n", 1)[1]


def test_local_function_is_inlined_not_called():
    src = tl.grad(local_def_closure).source
    code = [line for line in src.splitlines() if not line.strip().startswith("#")]
    assert not any("layer(" in line for line in code)
