"""Work whose result nothing reads leaves no code: a list nothing reads (a list
comprehension whose result is unused), the loops then left empty, and adjoints that
came out zero added in place. The gradients stay those of the function."""
import numpy as np

import tangentlike as tl
from util import make_function

X = np.array([0.3, 0.9, 0.6])


def sources(df):
    return [df.source] + [v.source for v in df.versions.values()]


def loops(source):
    return sum(line.strip().startswith("for ") for line in source.splitlines())


def test_unused_list_comprehension_builds_nothing():
    f = make_function("""
        import numpy as np
        def f(x):
            squares = [v * v for v in x]
            return np.sum(x * 2.0)
    """)
    df = tl.grad(f)
    np.testing.assert_allclose(df(X), 2.0 * np.ones(3))
    for source in sources(df):
        assert ".append(" not in source and loops(source) == 0, source
    tl.check_grads(f, (X,), order=2)


def test_list_appended_in_a_loop_and_never_read_goes_with_its_loop():
    f = make_function("""
        import numpy as np
        def f(x):
            values = []
            for v in x:
                values.append(np.sin(v))
            s = 0.0
            for v in x:
                s = s + v
            return s
    """)
    df = tl.grad(f)
    np.testing.assert_allclose(df(X), np.ones(3))
    (version,) = df.versions.values()
    assert ".append(" not in version.source and "np.sin" not in version.source
    assert "+= 0.0" not in version.source   # the first loop's zero adjoint of v
    assert loops(version.source) == 1


def test_list_that_is_read_keeps_its_appends():
    f = make_function("""
        import numpy as np
        def f(x):
            values = []
            for v in x:
                values.append(np.sin(v))
            alias = values
            return np.sum(np.asarray(alias))
    """)
    np.testing.assert_allclose(tl.grad(f)(X), np.cos(X))
    tl.check_grads(f, (X,), order=2)


def test_list_argument_appended_to_is_not_dropped():
    f = make_function("""
        def f(x, log):
            log = []
            log.append(x)
            return x * 3.0
    """)
    assert tl.grad(f)(0.5, []) == 3.0
