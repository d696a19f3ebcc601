"""Leaner specialized code for simulations and losses (issue 6), each with the form the
generated code takes and the gradient's values checked against a hand-written one."""
import numpy as np
import pytest

import tangentlike as tl


def version_sources(df):
    return [v.source for v in df.versions.values()]


# -- a row read into numbers, then the next row written: no alias of the array ----------
def pendulum(s0, c):
    n = 30
    dt = 0.05
    s = np.zeros((n, 2))
    s[0] = s0
    for i in range(n - 1):
        th = s[i, 0]
        om = s[i, 1]
        s[i + 1, 0] = th + dt * om
        s[i + 1, 1] = om - dt * (np.sin(th) + c * om)
    return np.sum(s[:, 0] ** 2)


def pendulum_hand(s0, c):
    n, dt = 30, 0.05
    s = np.zeros((n, 2))
    s[0] = s0
    for i in range(n - 1):
        th, om = s[i]
        s[i + 1] = th + dt * om, om - dt * (np.sin(th) + c * om)
    gth, gom, gc = 2.0 * s[n - 1, 0], 0.0, 0.0
    for i in range(n - 2, -1, -1):
        th, om = s[i]
        gc -= dt * om * gom
        gth, gom = gth - dt * np.cos(th) * gom + 2.0 * th, dt * gth + gom * (1.0 - dt * c)
    return np.array([gth, gom]), gc


def test_numbers_read_from_rows_are_no_aliases():
    """th = s[i, 0] of a 2-D s is a number, a copy of the element: the write into s
    needs no run-time alias test, and the elements it overwrites no save."""
    df = tl.grad(pendulum, wrt=(0, 1))
    s0, c = np.array([1.0, -0.3]), 0.2
    got, want = df(s0, c), pendulum_hand(s0, c)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    assert got[1] == pytest.approx(want[1], rel=1e-12)
    (source,) = version_sources(df)
    assert "inplace_guard" not in source
    assert "np.copy" not in source and "s[t10, 1] = stack.pop()" not in source
    tl.check_grads(pendulum, (s0, c), modes=("rev",))


def rows_kept(x0):
    x = np.zeros((3, 2))
    x[0] = x0
    for i in range(2):
        r = x[i]           # a view of the row: the write below must be refused
        x[i + 1] = 2.0 * x[i]
        x[i] = r * 3.0
    return np.sum(x)


def test_a_row_view_still_checked():
    """r = x[i] is a view: the version keeps the run-time test, which refuses it."""
    with pytest.raises(tl.TransformError, match="gave a view"):
        tl.grad(rows_kept)(np.array([1.0, 2.0]))
