"""naming.walk and naming.Transformer behave as gast.walk and gast.NodeTransformer."""
import ast

import gast

from tangentlike.naming import Transformer, walk

SOURCE = """
def f(x, y=-1.0):
    a = x * 2.0 + y
    print(a)
    b = [x, y, {1.5: a, **{}}]
    if a > 0:
        pass
    return a - b[0] ** 2
"""


def _edits(base):
    class Edit(base):
        def visit_Expr(self, node):          # a statement removed from its list
            return None

        def visit_Pass(self, node):          # one statement becomes two
            return [gast.Pass(), gast.Pass()]

        def visit_Constant(self, node):      # a node replaced
            return gast.Constant(value=node.value * 10, kind=None) \
                if isinstance(node.value, float) else node

        def visit_Name(self, node):          # changed in place
            node.id = node.id.upper()
            return node
    return Edit


def test_transformer_edits_like_the_node_transformer():
    expected = gast.parse(SOURCE)
    _edits(gast.NodeTransformer)().visit(expected)
    actual = gast.parse(SOURCE)
    _edits(Transformer)().visit(actual)
    assert ast.unparse(gast.gast_to_ast(actual)) == ast.unparse(gast.gast_to_ast(expected))


_LEAVES = (gast.expr_context, gast.operator, gast.unaryop, gast.boolop, gast.cmpop)


def _gast_walk(tree):
    """What gast.walk visits but for contexts and operators (naming.walk leaves them)."""
    return [n for n in gast.walk(tree) if not isinstance(n, _LEAVES)]


def test_walk_visits_what_gast_walk_visits_but_contexts_and_operators():
    tree = gast.parse(SOURCE + "\nz = not (x < y) or -x\n")
    assert sorted(map(id, walk(tree))) == sorted(map(id, _gast_walk(tree)))
    assert sorted(map(id, walk(tree.body))) == sorted(
        id(n) for s in tree.body for n in _gast_walk(s))


def test_instances_and_name_nodes_are_what_walk_finds_in_its_order():
    from tangentlike.naming import instances, name_nodes
    tree = gast.parse(SOURCE + "\nz = -(x * -y)\n")
    assert name_nodes(tree) == [n for n in walk(tree) if isinstance(n, gast.Name)]
    for kind in (gast.UnaryOp, gast.Constant, gast.BinOp, gast.Assign):
        assert instances(tree, kind) == [n for n in walk(tree) if type(n) is kind]


def test_contains_finds_what_walk_finds():
    from tangentlike.naming import contains
    tree = gast.parse(SOURCE)
    for classes in (gast.Constant, gast.UnaryOp, gast.Subscript, (gast.Dict, gast.Set),
                    gast.Call, gast.While, gast.Pass):
        assert contains(tree, classes) == any(isinstance(n, classes) for n in gast.walk(tree))
    assert contains(tree.body, gast.Name, lambda n: n.id == "b")
    assert not contains(tree.body, gast.Name, lambda n: n.id == "nowhere")


def test_read_and_assigned_names_are_the_loads_and_stores_walk_finds():
    from tangentlike.naming import read_and_assigned
    tree = gast.parse(SOURCE + "\nfor i, j in k:\n    del m\n    q = [n for n in p]\n")
    names = [n for n in gast.walk(tree) if isinstance(n, gast.Name)]
    assert read_and_assigned(tree) == (
        {n.id for n in names if isinstance(n.ctx, gast.Load)},
        {n.id for n in names if isinstance(n.ctx, gast.Store)})
    assert read_and_assigned(tree.body)[0] == read_and_assigned(tree)[0]


def test_name_node_is_the_name_gasts_constructor_makes():
    from tangentlike.naming import name_node
    for ctx in (gast.Load(), gast.Store()):
        made, expected = name_node("x", ctx), gast.Name("x", ctx, None, None)
        assert type(made) is gast.Name and gast.dump(made) == gast.dump(expected)
        assert list(made.__dict__.items()) == list(expected.__dict__.items())   # (order too)
    assert isinstance(name_node("y").ctx, gast.Load)
    assert ast.unparse(gast.gast_to_ast(gast.Expr(name_node("y")))) == "y"
