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


def test_static_tests_of_every_rule_evaluate_as_python_does():
    """The tests of rules' ``if`` statements that template._evaluated decides without
    compiling them give what Python gives, for keyword values of many kinds."""
    import itertools

    from tangentlike import rules
    from tangentlike.template import _UNKNOWN, _evaluated, static_value

    values = [None, 0, 1, 2, -1, True, False, "fro", "L", (0, 1), 0.0, 2.5]
    tests = []
    for rule in list(rules.RULES.values()):
        for template in (rule.adjoint, rule.tangent):
            if template is None:
                continue
            tests += [n.test for n in gast.walk(gast.Module(body=template.body,
                                                            type_ignores=[]))
                      if isinstance(n, gast.If)]
    decided = 0
    for test in tests:
        names = sorted({n.id for n in gast.walk(test) if isinstance(n, gast.Name)})
        if len(names) > 3:
            continue
        code = compile(gast.gast_to_ast(gast.fix_missing_locations(
            gast.Expression(body=test))), "<test>", "eval")
        for combination in itertools.product(values, repeat=len(names)):
            env = dict(zip(names, combination))
            found = _evaluated(test, env)
            if found is _UNKNOWN:
                break
            decided += 1
            assert found == eval(code, {"__builtins__": {}}, env), (gast.dump(test), env)
            if not (isinstance(test, gast.Compare) and isinstance(test.comparators[0], gast.Name)):
                # (`x is y` of two parameters is decided by what they are bound to)
                bind = {k: gast.Constant(value=v, kind=None) for k, v in env.items()}
                assert bool(static_value(test, bind)) == bool(found)
    assert decided > 100


def test_static_and_or_decided_by_a_known_operand():
    """``axis is None and ord is None`` with axis bound to 0 is false whatever ord is
    (an expression of the user's code); with axis None it stays a test of ord."""
    from tangentlike.template import _UNKNOWN, static_value

    test = gast.parse("axis is None and ord is None").body[0].value
    name = gast.Name(id="t1", ctx=gast.Load(), annotation=None, type_comment=None)
    assert static_value(test, {"axis": gast.Constant(value=0, kind=None), "ord": name}) is False
    assert static_value(test, {"axis": gast.Constant(value=None, kind=None),
                               "ord": name}) is _UNKNOWN
    test = gast.parse("axis is None or ord is None").body[0].value
    assert static_value(test, {"axis": gast.Constant(value=None, kind=None), "ord": name}) is True
    assert static_value(test, {"axis": name, "ord": gast.Constant(value=None, kind=None)}) \
        is _UNKNOWN


def _all_kinds(x, y=2.0, *rest, k, m=3, **more):
    pass


def _positional_only(x, /, y, *, k=1):
    pass


def _wrapped_like(*args):
    pass


_wrapped_like.__wrapped__ = _all_kinds


def test_a_rules_parameters_are_those_inspect_finds():
    """A template's parameters are read from its code object (template._parameters), not
    by inspect.signature: the same names, in the same order, with the same defaults."""
    import functools
    import inspect
    from tangentlike.rules.registry import RULES
    from tangentlike.template import _parameters
    rules = [t.func for rule in RULES.values() for t in (rule.adjoint, rule.tangent)
             if t is not None]
    others = [_all_kinds, _positional_only, _wrapped_like, plain, len,
              functools.partial(_all_kinds, 1.0), lambda *a, **k: None]
    for func in rules + others:
        want = [(p.name, p.default) for p in inspect.signature(func).parameters.values()]
        assert _parameters(func) == want, func


def test_a_definition_parsed_alone_leaves_out_its_decorators():
    """Only the ``def`` is parsed (the registration above it is not the rule's): its
    lines keep their numbers in the file."""
    import linecache
    node = _parsed_alone(plain, linecache.getlines(__file__))
    assert node is not None and node.decorator_list == []
    assert node.lineno == plain.__code__.co_firstlineno + 1
    assert node.body[0].lineno == plain.__code__.co_firstlineno + 3
