"""Random compositions of registry rules: programs that chain rules of the registry with
each other and with control flow, differentiated in both modes to second order and
compared with finite differences.

tests/test_rules.py checks each rule alone; tests/test_random_programs.py composes a
hand-picked safe subset of the registry. Here every rule with a NumPy, ``math`` or
builtin name (and the operators) is a candidate. Each step of a program picks a rule and
one of its example calls (``Rule.cases``, drawn from the rule's input domain) and writes
the call with

- each differentiated argument near the example's value: ``C + 0.01 * x[k:k+n]``, plus a
  small multiple (scaled to stay in the domain) of the previous step's result, whole
  when the shapes agree, else a slice of it raveled or its sum; a short vector is
  sometimes written as a list display (``[c0 + 0.01 * x[3], ...]``);
- the static arguments (shapes, axes, indices) and keywords as in the example;

and wraps the step in one of: a plain assignment, an ``if``/``else`` on a value, a
``for`` loop that accumulates (0..3 trips, sometimes with ``break``), a module-level
helper function, element and slice writes into a created array, a tuple result unpacked
and summed. Programs take one float vector ``x`` and return the last step's result.

Examples where finite differences at two step sizes disagree (kinks, ties) or whose
values are not finite are rejected. Every program is checked with
``tl.check_grads(f, (x,), order=2, modes=("rev", "fwd"))`` (a failure is confirmed with
a larger step before it counts, to rule out rounding noise).

Two more draws (hunt20): each reduction over each axis (None, one, negative, a tuple;
keepdims or not) of shapes with axes of one and of ranks 1 to 3, and each binary
operator or ufunc between operands of every broadcasting pair, with a Python number or
int on either side; both modes to second order, and float32 to first order.

The default run is bounded (about 25 s, the same programs every run).
``TANGENTLIKE_LONG=1`` runs 2000 programs from a random start (see docs/testing.md);
``TANGENTLIKE_SEED=<n>`` reruns the programs from seed n.
"""
import math
import operator
import os
import random

import numpy as np
import pytest

import tangentlike as tl
from tangentlike.rules import RULES
from util import make_function

LONG = os.environ.get("TANGENTLIKE_LONG", "") not in ("", "0")
COUNT = int(os.environ.get("TANGENTLIKE_EXAMPLES", 2000 if LONG else 120))
START = int(os.environ.get("TANGENTLIKE_SEED",
                           random.SystemRandom().randrange(10 ** 6) if LONG else 0))

INFIX = {operator.add: "({} + {})", operator.sub: "({} - {})", operator.mul: "({} * {})",
         operator.truediv: "({} / {})", operator.pow: "({} ** {})", operator.neg: "(-{})",
         operator.pos: "(+{})", operator.mod: "({} % {})", operator.matmul: "({} @ {})"}
# functions whose argument is a sequence of arrays (never written as one array)
SEQUENCES = {np.concatenate, np.stack, np.hstack, np.vstack, np.dstack, np.column_stack}


def _written_name(rule):
    """``np.sin`` for numpy.sin, ... when that text names the rule's primitive."""
    name = "np." + rule.name[6:] if rule.name.startswith("numpy.") else rule.name
    try:
        if eval(name, {"np": np, "math": math}) is rule.primitive:
            return name
    except (AttributeError, NameError, SyntaxError):
        pass
    return None


def _candidates():
    out = []
    for prim, rule in RULES.items():
        if rule.cases is None or rule.name.startswith("tangentlike"):
            continue
        if prim in INFIX:
            out.append((rule, INFIX[prim]))
        elif prim is not operator.getitem and _written_name(rule) is not None:
            out.append((rule, _written_name(rule) + "({})"))
    return out


CANDIDATES = _candidates()


def _is_float(a):
    return (type(a) is float or isinstance(a, np.float64)
            or isinstance(a, np.ndarray) and a.dtype == np.float64)


class Program:
    """The source of one program, drawn step by step from ``seed``."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.cases_rng = np.random.default_rng(seed)
        self.namespace = {"np": np, "math": math}
        self.size = 0        # entries of x used so far
        self.helpers = []
        self.body = []
        self.counter = 0

    def constant(self, value):
        name = f"C{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def literal(self, value):
        if isinstance(value, (int, float, str, tuple, type(None))):
            text = repr(value)
            if "inf" not in text and "nan" not in text:
                try:
                    if eval(text, {}) == value:
                        return text
                except SyntaxError:
                    pass
        return self.constant(value)

    def x_part(self, shape):
        k, n = self.size, int(np.prod(shape)) if shape else 1
        self.size += n
        if shape == ():
            return f"x[{k}]"
        if len(shape) == 1:
            return f"x[{k}:{k + n}]"
        return f"np.reshape(x[{k}:{k + n}], {shape})"

    def near(self, value, previous, display_ok):
        """Text of a value near ``value`` that depends on x (and on ``previous``)."""
        shape = np.shape(value)
        if display_ok and len(shape) == 1 and 0 < shape[0] <= 4 and \
                np.all(np.isfinite(value)) and self.rng.random() < 0.15:
            items = [f"{float(v)!r} + 0.01 * {self.x_part(())}" for v in value]
            return "[" + ", ".join(items) + "]"
        terms = [f"0.01 * {self.x_part(shape)}"]
        if previous is not None and self.rng.random() < 0.8:
            name, prev = previous
            n = int(np.prod(shape)) if shape else 1
            if np.ndim(prev) == 0 or self.rng.random() < 0.3 or np.size(prev) < n:
                text = f"np.sum({name})" if np.ndim(prev) else name
                scale = abs(float(np.sum(prev)))
            else:
                if np.shape(prev) == shape:
                    text = name
                elif shape == ():
                    text = f"np.ravel({name})[0]"
                elif len(shape) == 1:
                    text = f"np.ravel({name})[:{n}]"
                else:
                    text = f"np.reshape(np.ravel({name})[:{n}], {shape})"
                scale = float(np.max(np.abs(prev)))
            terms.append(f"{0.01 / max(1.0, scale)!r} * {text}")
        base = self.constant(np.array(value)) if shape else repr(float(value))
        text = f"({base} + {' + '.join(terms)})"
        if type(value) is float and self.rng.random() < 0.5:
            text = f"float{text}"
        return text

    def argument(self, rule, i, value, previous):
        if i in rule.static_args:
            return self.literal(value)
        if _is_float(value):
            # (a display only where NumPy makes the array: its functions' arguments)
            return self.near(value, previous, rule.name.startswith("numpy.")
                             and rule.primitive not in SEQUENCES)
        if isinstance(value, (list, tuple)) and value and all(_is_float(v) for v in value):
            items = [self.near(v, previous if j == 0 else None, False)
                     for j, v in enumerate(value)]
            return ("[{}]" if isinstance(value, list) else "({},)").format(", ".join(items))
        return self.literal(value)

    def call(self, rule, template, args, kwargs, previous):
        parts = [self.argument(rule, i, a, previous if i == 0 or self.rng.random() < 0.3
                               else None) for i, a in enumerate(args)]
        if template.endswith("({})") and not template.startswith("("):
            keywords = [f"{k}={self.literal(v)}" for k, v in kwargs.items()]
            return template.format(", ".join(parts + keywords))
        return None if kwargs else template.format(*parts)

    def source(self, body):
        lines = "".join("    " + line.replace("\n", "\n    ") + "\n" for line in body)
        return "".join(self.helpers) + "def f(x):\n" + lines

    def step(self, previous):
        """Append one step; its name, or None when the drawn call does not fit."""
        rule, template = self.rng.choice(CANDIDATES)
        args, kwargs = self.rng.choice(rule.cases(self.cases_rng))
        text = self.call(rule, template, args, kwargs, previous)
        if text is None:
            return None
        with np.errstate(all="ignore"):
            value = rule.primitive(*args, **kwargs)
        self.counter += 1
        name = f"t{self.counter}"
        form = self.rng.random()
        if isinstance(value, (tuple, list)):
            parts = [f"np.sum(r[{i}])" for i, v in enumerate(value)
                     if np.issubdtype(np.asarray(v).dtype, np.floating)]
            if not parts:
                return None
            self.body += [f"r = {text}", f"{name} = {' + '.join(parts)}"]
        elif form < 0.2 and np.ndim(value) == 0:
            moved = text.replace("x[", "(x * (1.0 + 0.1 * i))[") \
                if self.rng.random() < 0.5 else text
            self.body += [f"{name} = 0.0", f"for i in range({self.rng.randint(0, 3)}):",
                          f"    {name} = {name} + {moved}"]
            if self.rng.random() < 0.3:
                self.body.append("    if i == 1:\n        break")
        elif form < 0.35:
            test = self.rng.choice(["x[0] > 0.0", "np.sum(x) > 100.0", "np.sum(x) > -100.0"])
            self.body += [f"if {test}:", f"    {name} = {text}", "else:",
                          f"    {name} = 2.0 * {text}"]
        elif form < 0.5:
            helper = f"h{self.counter}"
            argument = previous[0] if previous else "0.0"
            inner = text.replace(previous[0], "q") if previous else text
            self.helpers.append(f"def {helper}(x, q):\n    return {inner}\n")
            self.body.append(f"{name} = {helper}(x, {argument})")
        elif form < 0.6 and np.ndim(value) >= 1 and np.size(value) > 0:
            self.body += [f"{name} = np.zeros({np.shape(value)})",
                          f"{name}[0] = ({text})[0]"]
            if np.shape(value)[0] > 1:
                self.body.append(f"{name}[1:] = ({text})[1:] * 0.5")
        elif form < 0.7 and np.ndim(value) == 0:
            self.body += [f"{name} = np.zeros(3)", f"{name}[1] = {text}",
                          f"{name} = np.sum({name} * {name}) + {name}[1]"]
        else:
            self.body.append(f"{name} = {text}")
        return name


def draw(seed):
    """(source, namespace, number of inputs) of a program, or None."""
    program = Program(seed)
    previous = None
    for _ in range(program.rng.randint(1, 4)):
        name = program.step(previous)
        if name is None:
            continue
        f = make_function(program.source(program.body + [f"return {name}"]),
                          program.namespace, name="f")
        try:
            with np.errstate(all="ignore"):
                value = f(np.zeros(max(program.size, 1)))
        except Exception:   # the drawn calls do not fit together
            return None
        if isinstance(value, (tuple, list)) or not np.all(np.isfinite(value)) or \
                not np.issubdtype(np.asarray(value).dtype, np.floating):
            return None
        previous = (name, value)
    if previous is None:
        return None
    return (program.source(program.body + [f"return {previous[0]}"]), program.namespace,
            max(program.size, 1))


def _smooth_here(f, x, rng):
    """Finite differences at two step sizes agree (no kink or tie near x)."""
    u = rng.standard_normal(x.shape)
    with np.errstate(all="ignore"):
        value = np.asarray(f(x), dtype=float)
        if not np.all(np.isfinite(value)) or np.max(np.abs(value), initial=0.0) > 1e6:
            return False
        coarse = (np.asarray(f(x + 1e-4 * u)) - np.asarray(f(x - 1e-4 * u))) / 2e-4
        fine = (np.asarray(f(x + 1e-6 * u)) - np.asarray(f(x - 1e-6 * u))) / 2e-6
    return bool(np.allclose(coarse, fine, rtol=1e-3, atol=1e-4))


@pytest.mark.parametrize("seed", range(START, START + COUNT))
def test_random_composition_matches_finite_differences(seed):
    drawn = draw(seed)
    if drawn is None:
        pytest.skip("the drawn calls do not fit together")
    source, namespace, n = drawn
    f = make_function(source, namespace, name="f")
    x = np.random.default_rng(seed).standard_normal(n)
    try:
        if not _smooth_here(f, x, np.random.default_rng(seed + 1)):
            pytest.skip("not smooth at the drawn point")
    except (ValueError, TypeError, np.linalg.LinAlgError):
        pytest.skip("the program fails on its own near the drawn point")
    try:
        with np.errstate(all="ignore"):
            tl.check_grads(f, (x,), order=2, modes=("rev", "fwd"), eps=1e-6, rtol=1e-4,
                           atol=1e-5)
    except AssertionError:
        # confirmed with a larger step (rounding noise of the small one), else wrong
        with np.errstate(all="ignore"):
            tl.check_grads(f, (x,), order=2, modes=("rev", "fwd"), eps=1e-5, rtol=1e-3,
                           atol=1e-4)


# -- reductions over every axis, and broadcasting operands (hunt20) --------------------------
# The rules' own cases reduce 2-D examples over their axes; the std of a column over its
# axis of one element (0 for every x, whose gradient was nan) needed a shape with an axis
# of one, and np.triu of a vector (whose gradient had the square result's shape) a rank
# other than the examples'. These draws cover reductions over each axis (None, one,
# negative, a tuple; keepdims or not) of shapes with axes of one and of ranks 1 to 3, and
# the binary operators and ufuncs between operands of every broadcasting pair, with a
# Python number on either side.
REDUCTIONS = ["np.sum", "np.mean", "np.prod", "np.max", "np.min", "np.var", "np.std", "np.ptp",
              "np.median", "np.nansum", "np.nanmean", "np.nanstd", "np.nanvar", "np.average",
              "np.linalg.norm", ".sum", ".mean", ".max", ".min", ".std", ".var", ".prod"]
AXIS_SHAPES = [(4,), (3, 1), (1, 4), (2, 3), (2, 1, 3), (2, 3, 4)]
BINARY = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / {b}", "{a} ** {b}", "np.maximum({a}, {b})",
          "np.minimum({a}, {b})", "np.arctan2({a}, {b})", "np.hypot({a}, {b})",
          "np.logaddexp({a}, {b})", "np.fmax({a}, {b})", "np.where({a} > {b}, {a}, {b})",
          "np.power({a}, {b})", "np.true_divide({a}, {b})", "np.float_power({a}, {b})"]
OPERANDS = [(), (3,), (1, 3), (2, 1), (2, 3), "number", "int"]


def draw_reduction(seed):
    rng = random.Random(seed)
    red, shape = rng.choice(REDUCTIONS), rng.choice(AXIS_SHAPES)
    axes = [None] + list(range(-len(shape), len(shape)))
    if len(shape) > 1:
        axes += [(0, len(shape) - 1), (-1, 0)]
    axis, keepdims = rng.choice(axes), rng.choice([None, True, False])
    if red == "np.linalg.norm" and (axis is None or isinstance(axis, tuple)) and len(shape) > 1:
        axis = -1   # (matrix norms other than 'fro' are refused: docs/errors.md)
    options = [] if axis is None and rng.random() < 0.5 else [f"axis={axis!r}"]
    if keepdims is not None:
        options.append(f"keepdims={keepdims}")
    rng.shuffle(options)
    call = (f"x{red}({', '.join(options)})" if red.startswith(".")
            else f"{red}({', '.join(['x'] + options)})")
    use = "np.sum((x - y) ** 2)" if keepdims else "np.sum(np.sin(y) * y)"
    return f"def f(x):\n    y = {call}\n    return {use}\n", shape


@pytest.mark.parametrize("seed", range(START, START + (COUNT // 3)))
def test_reduction_over_each_axis_matches_finite_differences(seed):
    source, shape = draw_reduction(seed)
    f = make_function(source, {"np": np})
    x = np.random.default_rng(seed).uniform(0.5, 1.5, shape) * np.where(
        np.random.default_rng(seed + 1).random(shape) < 0.3, -1.0, 1.0)
    if not _smooth_here(lambda v: f(v.reshape(shape)), x.ravel(), np.random.default_rng(seed)):
        pytest.skip("not smooth at the drawn point")
    tl.check_grads(f, (x,), order=2, modes=("rev", "fwd"))
    tl.check_grads(f, (x.astype(np.float32),), order=1, modes=("rev", "fwd"))


def _operand(kind, rng, positive):
    low = 0.5 if positive else -1.5
    if kind == "number":
        return float(rng.uniform(low, 1.5))
    if kind == "int":
        return 2
    return rng.uniform(low, 1.5, kind)


@pytest.mark.parametrize("seed", range(START, START + (COUNT // 3)))
def test_binary_operation_of_broadcast_operands_matches_finite_differences(seed):
    pick = random.Random(seed)
    op, left, right = pick.choice(BINARY), pick.choice(OPERANDS), pick.choice(OPERANDS)
    positive = "**" in op or "power" in op
    rng = np.random.default_rng(seed)
    a, b = _operand(left, rng, positive), _operand(right, rng, False)
    # an int operand is written into the program (a Python int constant), others passed
    text = {name: (repr(v) if isinstance(v, int) else name) for name, v in (("a", a), ("b", b))}
    params = [name for name in ("a", "b") if text[name] == name]
    if not params:
        pytest.skip("no differentiated operand")
    source = (f"def f({', '.join(params)}):\n    y = {op.format(**text)}\n"
              f"    return np.sum(np.sin(y) * y)\n")
    f = make_function(source, {"np": np})
    args = tuple(v for name, v in (("a", a), ("b", b)) if text[name] == name)
    try:
        with np.errstate(all="ignore"):
            f(*args)
    except ValueError:
        pytest.skip("the shapes do not broadcast")
    flat = np.concatenate([np.ravel(v) for v in args])
    sizes = [np.size(v) for v in args]

    def on_flat(v):
        parts = np.split(v, np.cumsum(sizes)[:-1])
        return f(*(p.reshape(np.shape(w)) if np.ndim(w) else float(p[0])
                   for p, w in zip(parts, args)))
    if not _smooth_here(on_flat, flat, np.random.default_rng(seed)):
        pytest.skip("not smooth at the drawn point")
    tl.check_grads(f, args, order=2, modes=("rev", "fwd"))
    # float32 operands: float32 derivatives, equal to the float64 derivatives at the same
    # point up to float32 rounding (finite differences in float32 are too coarse where
    # the function is steep: `2 / b` near b = 0 in the long run)
    low = tuple(np.float32(v) if isinstance(v, float) else v.astype(np.float32) for v in args)
    same_point = tuple(np.float64(v) if isinstance(v, np.float32) else v.astype(np.float64)
                       for v in low)
    for i in range(len(args)):
        got, want = tl.grad(f, wrt=i)(*low), tl.grad(f, wrt=i)(*same_point)
        assert np.asarray(got).dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.max(np.abs(want)))
        tangent = np.ones_like(low[i])
        got = tl.jvp(f, wrt=i)(*low, tangent)
        want = tl.jvp(f, wrt=i)(*same_point, np.ones_like(same_point[i]))
        # (the tangent's dtype is not checked: np.power(2, b) of a float32 b gives a
        # float64 one, test_regressions' strict xfail)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.max(np.abs(want)))
