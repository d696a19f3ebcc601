"""Helpers for tests: functions made from source text that tangentlike can read."""
import itertools
import linecache
import textwrap

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


def version_sources(df):
    """The sources of the versions ``df`` (a reverse-mode derived function) has made so
    far, not counting the generic derivative when it serves a signature."""
    return [v.source for v in df.versions.values() if v is not df.generic]
