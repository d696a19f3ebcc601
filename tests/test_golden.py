"""Golden tests: the generated source of a few canonical derivatives, pinned.

The expected text lives in tests/golden/<name>.py. A deliberate change of the generated
code (naming, comments, an optimization) is accepted by regenerating the files::

    TANGENTLIKE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

and reviewing the diff. Besides the text, each golden derivative is run, so a pinned
source is also a correct one.
"""
import difflib
import os
import pathlib

import numpy as np
import pytest

import golden_functions as gf
import tangentlike as tl

GOLDEN_DIR = pathlib.Path(__file__).parent / "golden"
UPDATE = os.environ.get("TANGENTLIKE_UPDATE_GOLDEN") == "1"

X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 0.25, -0.75])
M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])

# name -> (derived function, arguments, expected result)
GOLDEN = {
    "tanh_sum": (lambda: tl.grad(gf.tanh_sum), (X,), 1 - np.tanh(X) ** 2),
    "twice_dot": (lambda: tl.grad(gf.twice_dot), (X,), 4 * X),
    "two_inputs_wrt_tuple": (lambda: tl.grad(gf.two_inputs, wrt=(0, "y")), (X, Y),
                             (np.cos(X) * Y, np.sin(X))),
    "reassigned": (lambda: tl.grad(gf.reassigned), (X,), 2 * np.cos(2 * X)),
    "mean_over_axis": (lambda: tl.grad(gf.mean_over_axis), (M,),
                       np.broadcast_to(M.mean(axis=0), M.shape)),
    "value_and_grad_tanh_sum": (lambda: tl.value_and_grad(gf.tanh_sum), (X,),
                                (np.sum(np.tanh(X)), 1 - np.tanh(X) ** 2)),
    "vjp_elementwise_product": (lambda: tl.vjp(gf.elementwise_product, wrt=(0, 1)),
                                (X, Y, np.ones(3)), (np.exp(Y), X * np.exp(Y))),
    "reverse_loop_with_branch": (lambda: tl.grad(gf.loop_with_branch), (0.4, 3),
                                 (gf.loop_with_branch(0.4 + 1e-7, 3)
                                  - gf.loop_with_branch(0.4 - 1e-7, 3)) / 2e-7),
    "forward_loop_with_branch": (lambda: tl.jvp(gf.loop_with_branch), (0.4, 3, 1.0),
                                 (gf.loop_with_branch(0.4 + 1e-7, 3)
                                  - gf.loop_with_branch(0.4 - 1e-7, 3)) / 2e-7),
    "grad_of_grad_cubic": (lambda: tl.grad(tl.grad(gf.cubic)), (0.7,),
                           6 * 0.7 - np.sin(0.7)),
    "vjp_seed_after_default": (lambda: tl.vjp(gf.scaled_with_default), (X, Y),
                               2.0 * np.cos(X) * Y),
    "guard_of_global_callee": (lambda: tl.grad(gf.calls_helper), (X,), 3 * X ** 2 + np.cos(X)),
    "list_comprehension": (lambda: tl.grad(gf.comprehension), (X,),
                           np.where(X > 0, np.cos(X) * np.arange(3), 0.0)),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_generated_source_matches_golden_file(name):
    make, _, _ = GOLDEN[name]
    source = make().source
    path = GOLDEN_DIR / f"{name}.py"
    if UPDATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(source)
        return
    assert path.exists(), f"{path} is missing: run with TANGENTLIKE_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text()
    if source != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), source.splitlines(True),
                                            f"golden/{name}.py", "generated"))
        pytest.fail(f"generated source of {name} changed (TANGENTLIKE_UPDATE_GOLDEN=1 to "
                    f"accept):\n{diff}")


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_derivative_is_correct(name):
    make, args, expected = GOLDEN[name]
    got = make()(*args)
    if name.endswith("loop_with_branch"):   # against finite differences
        np.testing.assert_allclose(got, expected, rtol=1e-7)
        return
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-12)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_every_golden_file_is_used():
    files = {p.stem for p in GOLDEN_DIR.glob("*.py")}
    assert files == set(GOLDEN), f"unused golden files: {sorted(files - set(GOLDEN))}"


def test_golden_sources_name_the_user_file_not_a_path():
    # comments show the base name, so golden files do not depend on the checkout location
    for name in GOLDEN:
        text = (GOLDEN_DIR / f"{name}.py").read_text()
        assert "golden_functions.py:" in text or name.startswith("grad_of_grad")
        assert str(pathlib.Path(__file__).parent) not in text
