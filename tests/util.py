"""Helpers for tests: functions made from source text that tangentlike can read."""
import itertools
import linecache
import textwrap

import numpy as np

_counter = itertools.count()


def make_function(source: str, namespace: dict = None, name: str = None):
    """Compile ``source`` (one or more defs) under a linecache-registered file name
    and return the function ``name`` (the first def when not given)."""
    source = textwrap.dedent(source)
    filename = f"<tangentlike-test-{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(namespace or {})
    exec(compile(source, filename, "exec"), namespace)
    if name is None:
        name = source.split("def ", 1)[1].split("(", 1)[0].strip()
    return namespace[name]


def written_numbers(version) -> str:
    """The source of a version with the 0-d float64 arrays that stand for number
    constants (``f64_4_0``: optimize.constants_as_arrays) written as their numbers
    (``4.0``), for tests of other passes' code shapes."""
    import re
    source = version.source
    cells = dict(zip(version.__code__.co_freevars,
                     (cell.cell_contents for cell in version.__closure__ or ())))

    def number(match):
        value = cells.get(match.group(0))
        return repr(float(value)) if value is not None else match.group(0)
    return re.sub(r"\bf64_\w+", number, source)


def version_sources(df):
    """The sources of the versions ``df`` (a reverse-mode derived function) has made so
    far, not counting the generic derivative when it serves a signature, with the
    constants written as numbers (written_numbers)."""
    return [written_numbers(v) for v in df.versions.values() if v is not df.generic]


def adjoint_code(source):
    """The lines of a version's adjoint, without comments."""
    adjoint = source.split("# adjoint", 1)[1]
    return "\n".join(line for line in adjoint.splitlines()[1:]
                     if not line.strip().startswith("#"))


def same_as_generic(got, want, rtol=1e-13, atol=1e-15):
    """``got`` (a version's derivative) has the generic derivative's values ``want`` (up
    to its order of operations), nan and inf where it has them, with its dtypes and
    shapes; tuples item by item."""
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        if isinstance(g, tuple):
            same_as_generic(g, w, rtol, atol)
            continue
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def the_version(df):
    """The source of the version the last call derived."""
    source = version_sources(df)[-1]
    assert "specialized to" in source
    return source
