"""A rule's definition is read from its own lines, or from its whole module when those
lines do not parse alone (template._definition)."""
import gast

from tangentlike import d
from tangentlike.template import _definition, _parsed_alone


def _decorate(func):
    return func


@_decorate
def plain(y, x):
# a comment at the def's own indentation does not end it
    d[x] = d[y] * 2.0


def closing_parenthesis_at_def_indent(
    y, x
):
    d[x] = d[y] * 3.0


def test_a_definition_parsed_alone_keeps_the_module_line_numbers():
    fdef = _definition(plain)
    assert isinstance(fdef, gast.FunctionDef) and fdef.name == "plain"
    assert fdef.lineno == plain.__code__.co_firstlineno + 1   # after the decorator line
    assert len(fdef.body) == 1


def test_a_definition_that_does_not_parse_alone_is_found_in_its_module():
    import linecache
    lines = linecache.getlines(__file__)
    assert _parsed_alone(closing_parenthesis_at_def_indent, lines) is None
    fdef = _definition(closing_parenthesis_at_def_indent)
    assert fdef.name == "closing_parenthesis_at_def_indent"
    assert [a.id for a in fdef.args.args] == ["y", "x"] and len(fdef.body) == 1
