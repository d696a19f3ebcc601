"""Every rule's derivatives at the edges of its domain, for Python floats as for arrays.

The test walks the registry (as test_rules.py does) and calls each primitive whose
example arguments are numbers or vectors at edge inputs: 0.0, -0.0, 1.0, -1.0, inf,
-inf, nan and a huge value, given as Python floats, NumPy float64 scalars, 0-d arrays
and 1-d arrays of one element. Where the primitive succeeds, its first and second
derivatives in both modes must give what they give for the 1-d float64 array (the
same numbers, the same inf and nan), with NumPy's RuntimeWarning at most: never
Python's ZeroDivisionError, OverflowError or "math domain error" from the
derivative's own arithmetic. Where the primitive itself raises, the derivative raises
the same exception (it runs the primitive first).
"""
import math
import warnings

import numpy as np
import numpy as onp
import pytest

import tangentlike as tl
from tangentlike.rules import RULES, load_optional

load_optional()
from test_rules import _call_of
from util import make_function

EDGES = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 1e300, 1e-300]
FORMS = {"float": float, "float64": np.float64, "0-d": np.array,
         "1-d": lambda v: np.array([v])}


def _edge_rules():
    """(rule, args, kwargs) of the rules whose first example takes only numbers and
    vectors (and static arguments) and gives a number for numbers."""
    rng = np.random.default_rng(7)
    out = []
    for prim, rule in RULES.items():
        if rule.cases is None or rule.adjoint is None:
            continue
        args, kwargs = rule.cases(rng)[0]
        free = [i for i in range(len(args)) if i not in rule.static_args]
        if not free or not all(
                isinstance(args[i], (float, np.floating)) or isinstance(args[i], np.ndarray)
                and args[i].dtype == np.float64 and args[i].ndim <= 1 and args[i].size
                for i in free):
            continue
        scalars = [a if i in rule.static_args else float(np.ravel(a)[0])
                   for i, a in enumerate(args)]
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = prim(*scalars, **kwargs)
        except Exception:   # noqa: BLE001 - this primitive does not take numbers
            continue
        if np.ndim(result) != 0 or isinstance(result, (tuple, list)) \
                or np.asarray(result).dtype.kind != "f":
            continue
        out.append(pytest.param(rule, scalars, kwargs, id=rule.name))
    return out


ALLOWED = (tl.TransformError, TypeError)


def _derivatives(f, n):
    """name -> function of (values) giving a first or second derivative, in both modes,
    of f with respect to each of its n arguments."""
    out = {}
    for i in range(n):
        first = tl.grad(f, wrt=i)
        out.update({
            f"grad x{i}": first,
            f"jvp x{i}": lambda *v, i=i: tl.jvp(f, wrt=i)(*v, _like(v[i], 1.0)),
            f"grad of grad x{i}": lambda *v, i=i, first=first: tl.grad(first, wrt=i)(*v),
            f"jvp of grad x{i}": lambda *v, i=i, first=first: tl.jvp(first, wrt=i)(
                *v, _like(v[i], 1.0)),
        })
    out["value_and_grad"] = lambda *v: tl.value_and_grad(f, wrt=0)(*v)[1]
    out["vjp"] = lambda *v: tl.vjp(f, wrt=0)(*v, 1.0)
    return out


def _like(value, t):
    """The tangent ``t`` in the form of ``value`` (a number for a number)."""
    if isinstance(value, np.ndarray):
        return np.full(value.shape, t)
    return type(value)(t)


def _run(fn, values):
    """fn(*values): its value, or the exception it raised (a wrong one fails here)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return fn(*values)
        except ALLOWED as e:
            return e
        except (ZeroDivisionError, OverflowError, ValueError) as e:
            return e


@pytest.mark.parametrize("rule,scalars,kwargs", _edge_rules())
def test_rule_derivatives_at_edges_of_python_floats_as_of_arrays(rule, scalars, kwargs):
    namespace, params, call, _ = _call_of(rule, scalars, kwargs)
    scalar_f = make_function(f"def f({', '.join(params)}):\n    return {call}\n", namespace)
    vector_f = make_function(f"def v({', '.join(params)}):\n    return np.sum({call})\n",
                             namespace)
    free = [a for i, a in enumerate(scalars) if i not in rule.static_args]
    points = [[e] * len(free) for e in EDGES]
    if len(free) > 1:   # one argument at the edge, the others at the example's values
        points += [[e] + free[1:] for e in EDGES] + [free[:-1] + [e] for e in EDGES]
    derived = {"scalar": _derivatives(scalar_f, len(free)),
               "vector": _derivatives(vector_f, len(free))}
    forms = dict(FORMS)
    try:   # a primitive of numbers only (math.*): NumPy < 2.1 still converts a 1-d
        with np.errstate(all="ignore"), warnings.catch_warnings():   # array of one
            warnings.simplefilter("error", DeprecationWarning)       # element, deprecated
            vector_f(*[np.array([0.5]) for _ in free])
    except (TypeError, DeprecationWarning, ValueError):
        del forms["1-d"]
    for point in points:
        # the reference: the 1-d array, or for a primitive of numbers only (math.*) the
        # NumPy float64 scalar
        reference, reference_values = "vector", [np.array([p]) for p in point]
        primal = _run(vector_f, reference_values) if "1-d" in forms else None
        if "1-d" not in forms or isinstance(primal, Exception):
            reference, reference_values = "scalar", [np.float64(p) for p in point]
            primal = _run(scalar_f, reference_values)
        for mode in derived["vector"]:
            expected = _run(derived[reference][mode], reference_values)
            for form, make in forms.items():
                values = [make(p) for p in point]
                primal_here = _run(scalar_f if form != "1-d" else vector_f, values)
                got = _run(derived["scalar" if form != "1-d" else "vector"][mode], values)
                where = f"{rule.name} {mode} at {point} as {form}"
                if isinstance(primal_here, complex):
                    # Python's negative float to a fractional power: f is not real there
                    assert not isinstance(got, Exception) or isinstance(got, ALLOWED), \
                        f"{where}: {type(got).__name__}: {got}"
                    continue
                if isinstance(primal_here, Exception):
                    # the primitive raised: so does the derivative that runs it (one that
                    # does not need its value may leave it out, and give a number)
                    assert not isinstance(got, Exception) or type(got) is type(primal_here), \
                        f"{where}: primal raised {primal_here!r}, derivative gave {got!r}"
                    continue
                assert not isinstance(got, Exception) or isinstance(got, ALLOWED), \
                    f"{where}: {type(got).__name__}: {got}"
                if isinstance(got, Exception) or isinstance(expected, Exception) \
                        or isinstance(primal, Exception):
                    continue
                np.testing.assert_allclose(
                    np.ravel(np.asarray(got, dtype=float)),
                    np.ravel(np.asarray(expected, dtype=float)), rtol=1e-6, atol=1e-300,
                    equal_nan=True, err_msg=where)


# Were bugs: ZeroDivisionError from the derivative's own arithmetic on Python floats, and
# from the mean's np.size(y) / np.size(x) of an empty array.
EXAMPLES = {
    "x ** 0.5 at 0": ("return x ** 0.5", 0.0, math.inf),
    "arctan2(x, x) at 0": ("return np.arctan2(x, x)", 0.0, math.nan),
    "np.log(x) at 0": ("return np.log(x)", 0.0, math.inf),
    "x ** -0.5 at 0": ("return np.sqrt(2.0) * x ** -0.5 if x > -1.0 else 0.0", math.inf, -0.0),
    "log of math.sqrt(x)": ("y = math.sqrt(x)\n    return 2.0 * np.log(y) - 1.0 / (y + 1.0)",
                            0.0, math.inf),
    "x ** y at 0 for y = 0.5": ("y = 0.5\n    return x ** y", 0.0, math.inf),
    # the derivative overflows where the primal does not
    "x ** -0.9 at 1e-300": ("return x ** -0.9", 1e-300, -math.inf),
    "math.pow(x, -0.9) at 1e-300": ("return math.pow(x, -0.9)", 1e-300, -math.inf),
    "math.ldexp(x, 1500) at 1e-300": ("return math.ldexp(x, 1500)", 1e-300, math.inf),
}


@pytest.mark.parametrize("body,x,expected", list(EXAMPLES.values()), ids=list(EXAMPLES))
def test_python_float_edges_of_composed_functions(body, x, expected):
    f = make_function(f"def f(x):\n    {body}\n", {"np": np, "math": math})
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        results = [tl.grad(f)(x), tl.value_and_grad(f)(x)[1], tl.vjp(f)(x, 1.0),
                   tl.jvp(f)(x, 1.0)]
        second = [tl.grad(tl.grad(f))(x), tl.jvp(tl.grad(f))(x, 1.0)]
    for got in results:
        np.testing.assert_equal(got, expected)
    for got in second:   # the second derivative: a number, no exception
        assert np.ndim(got) == 0


def test_mean_of_an_empty_array_has_an_empty_gradient():
    f = make_function("def f(x):\n    return np.mean(x) + np.sum(np.mean(x, axis=0))\n",
                      {"np": np})
    x = np.ones((0, 3))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for g in (tl.grad(f)(x), tl.grad(f).generic(x), tl.vjp(f)(x, 1.0)):
            assert g.shape == (0, 3)


# Were bugs: ZeroDivisionError where the library's own arithmetic met a Python number:
# the count np.size(a) / np.size(y) - ddof of var/std at 0 (an empty array, ddof=1 of
# one element), and Python floats made from arrays (float(x[0]), x[0].item(), max of
# floats) raised to a negative power in the derivative.
OF_ARRAYS = {
    "var with ddof=1 of one element": ("np.var(x, ddof=1) + np.std(x, ddof=1)", [2.0]),
    "var of an empty array": ("np.sum(x) + np.var(x) + np.std(x)", []),
    "float of an element": ("float(x[0]) ** 0.5", [0.0, 0.0]),
    "item of an element": ("x[0].item() ** 0.5", [0.0]),
    "max of floats": ("max(float(x[0]), float(x[1])) ** 0.5", [0.0, 0.0]),
    "quotient of floats": ("float(x[0]) / (float(x[1]) + 1.0) + np.log(float(x[0]))",
                           [0.0, 0.0]),
}


@pytest.mark.parametrize("body,x", list(OF_ARRAYS.values()), ids=list(OF_ARRAYS))
def test_derivative_arithmetic_on_numbers_made_from_arrays(body, x):
    f = make_function(f"def f(x):\n    return {body}\n", {"np": np, "math": math})
    x = np.array(x)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        f(x)   # the function itself succeeds here
        for g in (tl.grad(f)(x), tl.grad(f).generic(x), tl.vjp(f)(x, 1.0),
                  tl.jvp(f)(x, np.ones_like(x))):
            assert np.shape(g) in (x.shape, ())
        if x.size:
            assert tl.hessian(f)(x).shape == x.shape * 2


# np.pad's copying modes and np.diff's ends are rewritten by normalize into calls that
# have rules (were refused: *the keyword `mode` of `numpy.pad` is not supported*)
def padded_wrap(x):
    return np.sum(np.pad(x, 2, mode="wrap") ** 2 * np.arange(7.0))


def padded_edge_2d(X):
    return np.sum(np.sin(np.pad(X, ((1, 0), (0, 2)), "edge")) * np.arange(15.0).reshape(3, 5))


def padded_reflect(x):
    y = np.pad(x * 2.0, (1, 2), mode="reflect")
    return np.sum(y[1:] * y[:-1])


def padded_symmetric(x):
    return np.sum(np.pad(x, 1, mode="symmetric") ** 3)


def diff_prepend(x):
    return np.sum(np.diff(x, prepend=0.0) ** 2)


def diff_append_item(x):
    return np.sum(np.diff(x, append=x[0]) ** 2)


def diff_both_ends_2d(X):
    return np.sum(np.diff(X, 2, axis=0, prepend=X[:1] * 0.5, append=1.0) ** 2)


def diff_prepend_array(x):
    return np.sum(np.diff(x, prepend=np.array([0.1, 0.2])) ** 2)


@pytest.mark.parametrize("f", [padded_wrap, padded_reflect, padded_symmetric, diff_prepend,
                               diff_append_item, diff_prepend_array])
def test_pad_copying_modes_and_diff_ends_of_a_vector(f):
    x = np.array([0.3, 0.9, 0.6])
    tl.check_grads(f, (x,), order=2)


@pytest.mark.parametrize("f", [padded_edge_2d, diff_both_ends_2d])
def test_pad_copying_modes_and_diff_ends_of_a_matrix(f):
    X = np.arange(6.0).reshape(2, 3) * 0.3 + 0.1
    tl.check_grads(f, (X,), order=2)


def test_pad_mode_that_does_not_copy_is_still_refused():
    def padded_mean(x):
        return np.sum(np.pad(x, 1, mode="mean"))
    with pytest.raises(tl.TransformError, match="the keyword `mode` of `numpy.pad`"):
        tl.grad(padded_mean)(np.ones(3))


# initial= and where= of reductions are written out by normalize with functions that
# have rules (were refused: *the keyword `where` of `numpy.sum` is not supported*)
def sum_initial(x):
    return np.sum(x * x, initial=0.5)


def prod_initial(X):
    return np.sum(np.prod(X, axis=0, initial=2.0))


def sum_where(x):
    return np.sum(x ** 3, where=x > 0.5)


def sum_where_keepdims(X):
    return np.sum(np.sum(np.sin(X), axis=1, where=X > 0.3, keepdims=True) ** 2)


def mean_where(x):
    return np.mean(x ** 2, where=x > 0.5)


def mean_where_axis(X):
    return np.sum(np.mean(X ** 2, axis=0, where=X > 0.3))


def max_initial(x):
    return np.max(x, initial=0.7)


def max_initial_axis(X):
    return np.sum(np.max(X * 2.0, axis=1, initial=0.5) ** 2)


def min_where_initial(x):
    return np.min(x ** 2, where=x > 0.5, initial=5.0)


def max_where_keepdims(X):
    return np.sum(np.max(X, axis=0, where=X < 0.8, initial=-1.0, keepdims=True))


def max_initial_differentiated(x, c):
    return np.max(x, initial=c) * c


@pytest.mark.parametrize("f", [sum_initial, sum_where, mean_where, max_initial,
                               min_where_initial])
def test_reduction_initial_and_where_of_a_vector(f):
    x = np.array([0.3, 0.9, 0.6])
    tl.check_grads(f, (x,), order=2)


@pytest.mark.parametrize("f", [prod_initial, sum_where_keepdims, mean_where_axis,
                               max_initial_axis, max_where_keepdims])
def test_reduction_initial_and_where_of_a_matrix(f):
    X = np.array([[0.2, 0.9, 0.5], [0.7, 0.1, 0.4]])
    tl.check_grads(f, (X,), order=2)


def test_initial_of_a_maximum_takes_the_gradient_when_it_is_largest():
    x = np.array([0.3, 0.6, 0.5])
    g = tl.grad(max_initial_differentiated, wrt=(0, 1))
    np.testing.assert_allclose(g(x, 0.8)[0], [0.0, 0.0, 0.0])
    assert g(x, 0.8)[1] == pytest.approx(1.6)       # max(x, initial=c) * c = c * c
    np.testing.assert_allclose(g(x, 0.4)[0], [0.0, 0.4, 0.0])
    assert g(x, 0.4)[1] == pytest.approx(0.6)


# A dtype known when deriving is written as its name, and the cast's rule decides then
# whether the cast is differentiable (was: `if np.issubdtype(np.float32, np.inexact):`
# in every derivative, about 0.5 microseconds a call)
def cast_to_float32(x):
    return np.sum(x.astype(np.float32) ** 2)


def casts_known_when_deriving(x):
    return np.sum(x.astype(int) * x) + np.sum(np.exp(x, dtype=np.float32)) \
        + np.sum(x.astype("f8") ** 2)


def cast_to_a_given_dtype(x, dtype):
    return np.sum(x.astype(dtype) ** 2)


def test_cast_to_a_dtype_known_when_deriving_has_no_run_time_test():
    x = np.array([0.5, 1.5, 2.5])
    for f in (cast_to_float32, casts_known_when_deriving):
        df = tl.grad(f)
        df(x)
        for source in [df.source] + [v.source for v in df.versions.values()]:
            assert "issubdtype" not in source, source
    np.testing.assert_allclose(tl.grad(cast_to_float32)(x), 2 * x, rtol=1e-6)
    np.testing.assert_allclose(tl.grad(casts_known_when_deriving)(x),
                               np.floor(x) + np.exp(x) + 2 * x, rtol=1e-6)


def test_cast_to_a_dtype_given_as_an_argument_is_decided_when_it_runs():
    x = np.array([0.5, 1.5, 2.5])
    df = tl.grad(cast_to_a_given_dtype)
    assert "issubdtype" in df.source
    np.testing.assert_allclose(df(x, np.float64), 2 * x)
    np.testing.assert_allclose(df(x, np.int64), 0 * x)


# The rewrites of np.pad, np.diff and reductions' keywords write NumPy through the
# library's own binding (`np.where(...)` in the generated code): they work in a module
# that imports NumPy under another name, and an initial= given as an expression of a
# reassigned variable reads the variable's value at that point
def keywords_under_another_name(x, c):
    c = c * 2.0
    return (onp.max(x, initial=c * 0.5) * c
            + onp.sum(onp.mean(onp.outer(x, x), axis=0, where=onp.outer(x, x) > 0.2))
            + onp.sum(onp.pad(x, 2, mode="wrap") ** 2) + onp.sum(onp.diff(x, prepend=0.0) ** 2))


def test_rewritten_numpy_calls_in_a_module_with_numpy_under_another_name():
    for c in (0.8, 0.3):
        tl.check_grads(keywords_under_another_name, (np.array([0.3, 0.9, 0.6]), c), order=2)
