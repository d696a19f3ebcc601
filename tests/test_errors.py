"""What cannot be differentiated is a TransformError at the user's line, never an internal error.

Each bad function marks its offending line with the comment ``# <- error``; the test
finds that line in the function's source, so the expected line numbers follow edits of
this file. Every error must:

- be a ``tl.TransformError`` raised when the derivative is made (not when it is called);
- carry ``.filename`` (this file) and ``.lineno`` (the marked line);
- show ``file:line`` and the offending source line in its message;
- not be a disguised internal error (``__cause__`` is not a KeyError, AttributeError, ...).
"""
import inspect
import linecache
import sys
import types

import numpy as np
import pytest

import tangentlike as tl
from util import make_function

MARKER = "# <- error"
INTERNAL = (KeyError, AttributeError, IndexError, TypeError, ValueError, AssertionError,
            NameError, SyntaxError, RecursionError)


def marked_line(func) -> int:
    """The line of ``func``'s file that carries the ``# <- error`` marker."""
    lines, first = inspect.getsourcelines(func)
    hits = [first + i for i, text in enumerate(lines) if MARKER in text]
    assert len(hits) == 1, f"{func.__name__}: expected one {MARKER!r} marker, found {hits}"
    return hits[0]


def transform_error(func, transform=tl.grad, **options) -> tl.TransformError:
    with pytest.raises(tl.TransformError) as info:
        transform(func, **options)
    err = info.value
    assert not isinstance(err.__cause__, INTERNAL), repr(err.__cause__)
    return err


def assert_error_at_marker(func, transform=tl.grad, **options) -> tl.TransformError:
    err = transform_error(func, transform, **options)
    filename = func.__code__.co_filename
    line = marked_line(func)
    assert err.filename == filename
    assert err.lineno == line, f"error at line {err.lineno}, expected {line}: {err}"
    message = str(err)
    assert f"{filename}:{line}" in message
    source = linecache.getline(filename, line).strip()
    assert source in message
    return err


# -- functions without source -------------------------------------------------------------
@pytest.mark.parametrize("func", [np.sin, len, np.sum, print, sum], ids=lambda f: f.__name__)
def test_builtin_or_c_function_has_no_source(func):
    err = transform_error(func)
    assert "not a Python function" in str(err) or "source" in str(err)
    assert err.hint   # says what to do


def test_function_made_by_exec_without_source():
    namespace = {}
    exec("def h(x):\n    return x * x\n", namespace)
    err = transform_error(namespace["h"])
    assert "source is not available" in str(err)
    assert "<string>" in str(err)


class Model:
    def loss(self, x):
        return np.sum(x * x)

    def __call__(self, x):
        return np.sum(x * x)


def test_methods_and_callable_objects_are_differentiated():
    # (refused until fix20: the derivative of the class's function, bound to the object)
    for func in (Model().loss, Model()):
        np.testing.assert_allclose(tl.grad(func)(np.ones(2)), 2.0 * np.ones(2))


# -- lambdas -------------------------------------------------------------------------------
def test_single_lambda_works():
    np.testing.assert_allclose(tl.grad(lambda x: x * x)(3.0), 6.0)
    np.testing.assert_allclose(tl.grad(lambda x, y: x * np.sin(y), wrt=1)(2.0, 0.5),
                               2.0 * np.cos(0.5))


two_f, two_g = lambda x: x * x, lambda x: x * 2.0
same_f, same_g = lambda x: x * x, lambda x: x * x  # <- error


def test_two_different_lambdas_on_one_line_are_told_apart():
    assert tl.grad(two_f)(3.0) == 6.0
    assert tl.grad(two_g)(3.0) == 2.0


def test_two_identical_lambdas_on_one_line_cannot_be_isolated():
    # Either lambda would be right here; refusing cleanly at the line is acceptable.
    # Python 3.11+ records the columns of each instruction, which tells them apart.
    if any(None not in p for p in getattr(same_f.__code__, "co_positions", lambda: [])()):
        assert tl.grad(same_f)(3.0) == 6.0 and tl.grad(same_g)(3.0) == 6.0
        return
    for func in (same_f, same_g):
        err = assert_error_at_marker(func)
        assert "lambda" in str(err)


# -- statements that cannot be differentiated ----------------------------------------------
def with_try(x):
    try:  # <- error
        y = x * x
    except ValueError:
        y = x
    return y


def generator(x):
    y = x * x
    yield y  # <- error


async def coroutine(x):  # <- error
    return x * x


COUNTER = 0


def with_global(x):
    global COUNTER  # <- error
    return x * x


def make_nonlocal():
    total = 0.0

    def with_nonlocal(x):
        nonlocal total  # <- error
        return x * x

    return with_nonlocal


def with_class(x):
    class Box:  # <- error
        pass
    return x * x


def with_import(x):
    import math  # <- error
    return math.sin(x)


def with_from_import(x):
    from math import sin  # <- error
    return sin(x)


def with_del(x):
    y = x * x
    del y  # <- error
    return x


def with_walrus(x):
    z = (y := x * x) + 1.0  # <- error
    return z + y


def with_list_comprehension(x):
    f = lambda: [v * v for v in x]  # <- error
    return np.sum(f())


def with_generator_expression(x):
    squares = (v * v for v in x)  # <- error
    return sum(squares)


def with_dict_literal(x):
    d = {"a": x}
    return d.get("a") * x  # <- error


def with_bare_raise(x):
    y = x * x
    raise  # <- error
    return y


def with_assert(x):
    assert x > 0
    return x * x


def with_nested_def(x):
    @staticmethod  # <- error
    def square(v):
        return v * v
    return square(x)


def with_inner_lambda(x):
    return np.sum(np.apply_along_axis(lambda v: v * v, 0, x))  # <- error


def nested_def_and_lambda(x):
    def square(v):
        return v * v
    cube = lambda v: v * square(v)  # noqa: E731
    return square(x) + cube(x)


def test_nested_def_and_lambda_are_differentiated():
    tl.check_grads(nested_def_and_lambda, (0.7,), order=2)


def returns_nothing(x):
    y = x * x  # noqa: F841
    return  # <- error


def no_return(x):  # <- error
    y = x * x  # noqa: F841


def code_after_return(x):
    return x * x
    y = x  # <- error


def with_subscript_assignment(x):
    y = x
    y[0] = 1.0  # <- error
    return np.sum(y)


def with_augmented_subscript(x):
    y = x[1:]
    y[0] += 1.0  # <- error
    return np.sum(y)


def writes_into_new_array(x):
    y = np.zeros(3)
    y[0] = x
    y[1:] += x * 2.0
    return np.sum(y * y)


def test_element_writes_into_a_new_array_are_differentiated():
    tl.check_grads(writes_into_new_array, (0.7,), order=2)


def with_attribute_assignment(x):
    m = Model()
    m.w = x  # <- error
    return x


def with_star_args_call(x):
    # (`args = (x, x)` then `np.add(*args)` works since fix21: a length the function knows,
    # and so does `np.add(*x)`: the ufunc's two inputs; np.sum's parameters have defaults)
    return np.sum(*x)  # <- error


def with_open_file(x):
    with open(__file__):  # <- error
        y = x * x
    return y


def read_before_assignment(x):
    z = y * x  # <- error
    y = x
    return z


def undefined_name(x):
    return x * not_defined_anywhere  # <- error  # noqa: F821


def with_varargs(*xs):  # <- error
    return xs[0] * xs[0]


def registering_decorator(func):
    return func


@registering_decorator
def decorated_by_other(x):
    return x * x


# Some of these (nested defs, inner lambdas, dict literals, subscript assignment) are
# planned features; until they land each must be a clean TransformError at its line.
STATEMENTS = [with_try, generator, coroutine, with_global, make_nonlocal(), with_class,
              with_import, with_from_import, with_del, with_walrus,
              with_list_comprehension, with_generator_expression, with_dict_literal, with_bare_raise,
              with_nested_def, with_inner_lambda, returns_nothing, no_return,
              code_after_return, with_subscript_assignment, with_augmented_subscript,
              with_attribute_assignment, with_star_args_call,
              with_open_file, read_before_assignment, undefined_name, with_varargs]


@pytest.mark.parametrize("func", STATEMENTS, ids=lambda f: f.__name__)
def test_unsupported_form_is_an_error_at_its_line(func):
    assert_error_at_marker(func)


@pytest.mark.parametrize("func", STATEMENTS, ids=lambda f: f.__name__)
def test_unsupported_form_is_an_error_in_every_mode(func):
    for transform in (tl.value_and_grad, tl.vjp):
        assert_error_at_marker(func, transform)


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")
def test_match_statement():
    func = make_function("""
        def with_match(x, k):
            match k:  # <- error
                case 0:
                    y = x * x
                case _:
                    y = x
            return y
        """, {"np": np})
    assert_error_at_marker(func)


# -- calls -------------------------------------------------------------------------------
def helper(v):
    return v * v


def calls_helper(x):
    y = np.sin(x)
    return helper(y)


def calls_slogdet(a):
    spectrum = np.fft.rfft(a)  # <- error
    return np.sum(np.abs(spectrum))


def calls_frexp(x):
    mantissa, exponent = np.frexp(x)  # <- error
    return np.sum(mantissa * x)


OPAQUE_UFUNC = np.frompyfunc(lambda v: v * 1.0, 1, 1)   # a ufunc no rule will ever name


def calls_unknown_ufunc(x):
    return np.sum(OPAQUE_UFUNC(x))  # <- error


def sum_with_out(x, buf):
    y = np.sum(x * x, out=buf)  # <- error
    return y


def reshape_with_unknown_keyword(x):
    y = np.max(x, axis=(0,), initial=0.0)  # <- error
    return y


SUM_OPTIONS = {"axis": 0}


def calls_kwargs(x):
    return np.sum(np.sum(x, **SUM_OPTIONS))  # <- error


def calls_local_function(x, fn=np.sin):
    f = fn   # (given as an argument; `f = np.sin` works since fix20, aliases.py)
    return f(x)  # <- error


def multi_line_unknown_call(x):
    y = (x * 2.0 +
         OPAQUE_UFUNC(x))  # <- error
    return np.sum(y)


def multi_line_comprehension(x):
    y = (x * 2.0 +
         (sum([v for v in x]) if x[0] > 0 else 0.0))  # <- error
    return np.sum(y)


def test_missing_rule_in_multi_line_statement_points_at_the_call():
    assert_error_at_marker(multi_line_unknown_call)


def test_unsupported_expression_in_multi_line_statement_points_at_it():
    assert_error_at_marker(multi_line_comprehension)


class Holder:
    @staticmethod
    def static_loss(x):
        return np.sum(x * x)


def test_staticmethod_function_can_be_differentiated():
    np.testing.assert_allclose(tl.grad(Holder.static_loss)(np.ones(2)), np.full(2, 2.0))


def test_plain_method_through_the_class_with_self_as_constant():
    g = tl.grad(Model.loss, wrt=1)(None, np.ones(2))
    np.testing.assert_allclose(g, np.full(2, 2.0))


def test_call_of_user_function_is_differentiated():
    tl.check_grads(calls_helper, (0.4,), order=2)


# A call with no rule (and no Python source) is a clean TransformError at the call's line.
CALLS = [calls_slogdet, calls_frexp, calls_unknown_ufunc, sum_with_out,
         reshape_with_unknown_keyword, calls_kwargs, calls_local_function]


@pytest.mark.parametrize("func", CALLS, ids=lambda f: f.__name__)
def test_unsupported_call_is_an_error_at_its_line(func):
    err = assert_error_at_marker(func)
    assert err.hint


def test_missing_rule_names_the_function():
    err = transform_error(calls_frexp)
    assert "frexp" in str(err)


def test_unsupported_keyword_names_the_keyword():
    assert "out" in transform_error(sum_with_out).reason


def test_call_without_rule_inside_no_grad_is_allowed():
    def f(x):
        with tl.no_grad():
            m = np.cbrt(8.0)
        return np.sum(x * m)

    np.testing.assert_allclose(tl.grad(f)(np.ones(3)), np.full(3, 2.0))


# -- wrt --------------------------------------------------------------------------------
def two_args(x, y):  # <- error
    return np.sum(x * y)


@pytest.mark.parametrize("wrt", [2, -3, "z", (0, 0), (0, "x"), (1, 2), (), 1.0, True, None,
                                 [0, "nope"]],
                         ids=["2", "-3", "z", "dup", "dup-by-name", "range-in-tuple", "empty",
                              "float", "bool", "None", "list-unknown"])
def test_bad_wrt_is_an_error_at_the_def_line(wrt):
    err = assert_error_at_marker(two_args, wrt=wrt)
    assert "wrt" in err.reason


def test_wrt_out_of_range_lists_the_parameters():
    err = transform_error(two_args, wrt=5)
    assert "x" in str(err) and "y" in str(err)


# -- containers (not supported yet) -------------------------------------------------------
def through_tuple_literal(x):
    pair = (x * 2.0, np.sin(x))
    a, b = pair
    return np.sum(a + b)


def returns_list(x):
    return [np.sum(x), x * 2.0]


# Tuples and lists as intermediate values and as outputs are differentiated.
@pytest.mark.parametrize("func", [through_tuple_literal, returns_list], ids=lambda f: f.__name__)
def test_container_literal_through_derivative_works(func):
    tl.check_grads(func, (np.array([0.3, -0.7]),), order=2)


# -- error objects ---------------------------------------------------------------------
def test_transform_error_is_an_exception_with_location_attributes():
    err = transform_error(with_try)
    assert isinstance(err, Exception)
    assert isinstance(err.lineno, int)
    assert err.filename.endswith("test_errors.py")


def test_error_is_raised_when_deriving_not_when_calling():
    # tl.grad itself raises; nothing is returned that would fail later
    with pytest.raises(tl.TransformError):
        tl.grad(with_del)


def test_failed_transformation_is_not_cached_as_success():
    for _ in range(2):
        with pytest.raises(tl.TransformError):
            tl.grad(with_del)


def test_function_without_source_file_registered_by_make_function_works():
    func = make_function("""
        def f(x):
            return np.sum(x * x)
        """, {"np": np})
    np.testing.assert_allclose(tl.grad(func)(np.ones(2)), np.full(2, 2.0))
    assert isinstance(func, types.FunctionType)


def test_a_registering_decorator_is_left_out():
    assert tl.grad(decorated_by_other)(3.0) == 6.0


def test_np_random_shuffle_is_refused_though_numpy_random_is_imported_later(tmp_path):
    """``import tangentlike`` does not import ``numpy.random`` (NumPy imports it on first
    use); its shuffle, which changes its argument, is still refused, in a process where
    the user's module imports ``numpy.random`` after tangentlike."""
    import subprocess
    import textwrap

    code = textwrap.dedent("""
        import sys
        import tangentlike as tl
        assert "numpy.random" not in sys.modules
        import numpy as np

        def f(x):
            y = x * 2.0
            np.random.shuffle(y)
            return np.sum(y)

        try:
            tl.grad(f)
        except tl.TransformError as err:
            print("refused:", err.hint)
    """)
    script = tmp_path / "shuffles.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert "refused: use `x[np.random.permutation(len(x))]`" in out.stdout
