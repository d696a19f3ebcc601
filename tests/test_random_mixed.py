"""Random programs of a second, independent grammar (hunt22): the first, in
test_random_programs.py, works on 3-vectors and 3x3 matrices; this one mixes Python
floats, NumPy float64 scalars and 0-d arrays (``s``, ``t``) with a vector ``x`` of n and
a matrix ``M`` of n x m in one program, and the same derived functions are called a
third time with other shapes (n, m = 4, 3 after 3, 2), another int ``k`` and other kinds
of scalars. Its statements:

- module-level helpers that take ``(x, M, k)``, a default ``c=0.5`` and a keyword-only
  ``scale=1.0``, return a number, a vector or a (number, vector) tuple, and call the
  helpers before them; they are called with and without the default and the keyword,
  also inside loops;
- ``if``/``elif``/``else``, ternaries, ``and``/``or``/``not``, chained comparisons;
- ``for`` over ``range(len(x))``, ``range(k)``, ``enumerate``, ``zip``, the rows of a
  matrix, ``range(n - 1, -1, -1)``, ``reversed``; ``for ... else``; nested loops with
  ``break``/``continue``; early ``return`` inside (nested) loops; ``while`` with a counter
  and a condition on the values (also on an element written in the loop, with ``else``),
  ``while True`` with ``break``;
- augmented assignment of numbers and of elements, rows, columns and slices of copies
  (``c[1:] *= s``, ``C[:, j] -= ...``), recurrences ``c[i] += c[i - 1] * s``, overlapping
  slices (``c[1:] += c[:-1]``), views written through their base and bases through their
  views, rows of a ``for`` loop changed in place (tangentlike refuses the ones it cannot
  follow: the test accepts exactly those refusals, at a line of the program);
- lists built by ``append``, ``+= [v]``, ``pop`` under conditions, read by index,
  ``np.stack``, ``np.concatenate``, ``sum``; comprehensions; tuple unpacking and swaps,
  unpacking of matrix rows; local defs called with ``*`` and keywords;
- NumPy calls with ``axis=``, ``keepdims=``, broadcasting, the methods ``.sum(axis=)``,
  ``.T``, ``.reshape``, ``.dot``, ``.copy``, ``.astype``, ``.std``, boolean masks, fancy
  indexes, ``argsort``/``argmax`` indexes, ``np.linalg.solve``/``inv``/``det``/``norm``,
  ``einsum``, ``tensordot``, ``interp``; powers by ints, floats and ``float(k)``.

Each program is differentiated with respect to all four float arguments (and two random
subsets of them, by position or name, called with keywords) by grad, value_and_grad,
vjp (random seed), jvp (random tangents), and to second order in ``x`` by hvp, vjp of
grad, jvp of grad and hessian; each derived function is called twice (the generic
derivative, then the version) and a third time with the other shapes; the results are
compared with each other and, where the function is smooth at the point (central
differences at three step sizes agree), with finite differences; the inputs must not
change. ``TANGENTLIKE_LONG=1`` runs 3000 programs from a random start (also with
integer-valued inputs, where only the modes are compared with each other),
``TANGENTLIKE_SEED=<n>`` from seed n.
"""
import math
import os
import random
import re

import numpy as np
import pytest

import tangentlike as tl
from util import make_function

LONG = os.environ.get("TANGENTLIKE_LONG", "") not in ("", "0")
COUNT = int(os.environ.get("TANGENTLIKE_EXAMPLES", 3000 if LONG else 32))
START = int(os.environ.get("TANGENTLIKE_SEED",
                           random.SystemRandom().randrange(10 ** 6) if LONG else 0))

# what tangentlike refuses on purpose in these programs (docs/errors.md): changes seen
# through a second name, comprehensions where they may not run, lists of unknown length
# joined with `+`
REFUSALS = re.compile(r"second name|an array this function did not create|may not be "
                      r"evaluated there|of a list whose length is not known")

SMOOTH_X = ["np.sin({})", "np.tanh({})", "np.cos({})", "({} / (1.0 + {} * {}))",
            "np.exp(-{} * {})", "np.log(1.0 + {} * {})", "np.sqrt(1.0 + {} * {})"]
LIT = ["0.5", "1.5", "-0.7", "2.0", "0.3", "np.float64(0.25)", "np.float64(-1.0)",
       "float(k)", "3.0", "np.array(0.4)", "1"]
COND_T = ["0.0", "0.3", "-0.4", "1.0", "-1.0"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.count = 0
        self.helpers = []   # (name, nparams kinds, out kind ("S","X","T2"), defaults, kwonly)

    def fresh(self, p):
        self.count += 1
        return f"{p}{self.count}"

    def pick(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    # ---- expressions
    def leaf(self, env, kind):
        names = [n for n, k in env["vars"].items() if k == kind]
        if kind == "S":
            opts = names * 3 + LIT
            if "X" in env["vars"].values():
                xs = [n for n, k in env["vars"].items() if k == "X"]
                v = self.pick(xs)
                opts += [f"{v}[0]", f"{v}[-1]", f"{v}[k % len({v})]"]
            return self.pick(opts)
        if not names:
            if kind == "X":
                return "x"
            if kind == "M":
                return "M"
            return "M[0]"
        return self.pick(names)

    def expr(self, env, kind, d=2):
        if d <= 0 or self.chance(0.25):
            return self.leaf(env, kind)
        f = getattr(self, "e_" + kind)
        return f(env, d - 1)

    def smooth(self, a):
        t = self.pick(SMOOTH_X)
        return t.format(*([a] * t.count("{}")))

    def call(self, env, kind, d):
        cands = [h for h in self.helpers if h[2] == kind]
        if not cands:
            return None
        name, params, out, ndef, kw = self.pick(cands)
        args = [self.expr(env, p, d - 1) for p in params]
        args.insert(2, self.pick(["k", "k", "k + 1"]))
        extra = []
        if ndef and self.chance(0.5):
            extra.append(self.pick(["0.2", self.expr(env, "S", 0)]))
        if kw and self.chance(0.6):
            extra.append(f"scale={self.expr(env, 'S', 0)}")
        return f"{name}({', '.join(args + extra)})"

    def e_S(self, env, d):
        c = self.r.randrange(16)
        if c == 0:
            return f"np.sum({self.expr(env, 'X', d)})"
        if c == 1:
            a = self.expr(env, "X", d)
            return f"{a}.dot({self.expr(env, 'X', d)})"
        if c == 2:
            return f"np.mean({self.expr(env, 'M', d)})"
        if c == 3:
            return f"{self.expr(env, 'M', d)}.sum()"
        if c == 4:
            return f"({self.expr(env, 'S', d)} {self.pick(['+', '-', '*'])} {self.expr(env, 'S', d)})"
        if c == 5:
            a = self.expr(env, "S", d)
            return f"({a} / (1.5 + {a} * {a}))"
        if c == 6:
            return self.smooth(self.expr(env, "S", d))
        if c == 7:
            return f"math.{self.pick(['sin', 'cos', 'tanh'])}({self.expr(env, 'S', d)})"
        if c == 8:
            return f"np.linalg.norm({self.expr(env, 'X', d)})"
        if c == 9:
            return f"({self.expr(env, 'S', d)}) ** 2"
        if c == 10:
            h = self.call(env, "S", d)
            if h:
                return h
        if c == 11:
            return f"np.sum({self.expr(env, 'M', d)}, axis=(0, 1))"
        if c == 12:
            a = self.expr(env, "X", d)
            return f"sum([{a}[i] * {self.expr(env, 'S', 0)} for i in range(len({a}))])"
        if c == 13:
            return f"np.max({self.expr(env, 'X', d)})"
        if c == 14:
            a = self.expr(env, "S", d)
            b = self.expr(env, "S", d)
            return f"({a} if {self.cond(env)} else {b})"
        return f"({self.expr(env, 'S', d)} + {self.expr(env, 'S', d)})"

    def e_X(self, env, d):
        c = self.r.randrange(17)
        if c == 0:
            return self.smooth(self.expr(env, "X", d))
        if c == 1:
            return f"({self.expr(env, 'X', d)} {self.pick(['+', '-', '*'])} {self.expr(env, 'X', d)})"
        if c == 2:
            return f"({self.expr(env, 'X', d)} * {self.expr(env, 'S', d)})"
        if c == 3:
            return f"{self.expr(env, 'M', d)}.sum(axis=1)"
        if c == 4:
            return f"np.mean({self.expr(env, 'M', d)}, axis=1)"
        if c == 5:
            return f"{self.expr(env, 'M', d)}.dot({self.expr(env, 'Y', d)})"
        if c == 6:
            return f"({self.expr(env, 'M', d)} @ {self.expr(env, 'Y', d)})"
        if c == 7:
            return f"{self.expr(env, 'X', d)}[::-1]"
        if c == 8:
            return f"np.cumsum({self.expr(env, 'X', d)})"
        if c == 9:
            h = self.call(env, "X", d)
            if h:
                return h
        if c == 10:
            return f"np.sum({self.expr(env, 'M', d)}, axis=1, keepdims=True).reshape(-1)"
        if c == 11:
            return f"({self.expr(env, 'X', d)} + {self.expr(env, 'S', d)})"
        if c == 12:
            return f"np.array([{self.smooth('v')} for v in {self.expr(env, 'X', d)}])"
        if c == 13:
            return f"np.where({self.expr(env, 'X', 0)} > 0.1, {self.expr(env, 'X', d)}, {self.expr(env, 'X', d)})"
        if c == 14:
            return f"np.roll({self.expr(env, 'X', d)}, 1)"
        if c == 15:
            return f"{self.expr(env, 'M', d)}[:, {self.pick(['0', '-1'])}]"
        return f"np.maximum({self.expr(env, 'X', d)}, {self.pick(['0.2', '-0.3'])})"

    def e_Y(self, env, d):
        c = self.r.randrange(7)
        if c == 0:
            return f"{self.expr(env, 'M', d)}.sum(axis=0)"
        if c == 1:
            return f"{self.expr(env, 'M', d)}.T.dot({self.expr(env, 'X', d)})"
        if c == 2:
            return f"({self.expr(env, 'X', d)} @ {self.expr(env, 'M', d)})"
        if c == 3:
            return f"({self.expr(env, 'Y', d)} * {self.expr(env, 'S', d)})"
        if c == 4:
            return self.smooth(self.expr(env, "Y", d))
        if c == 5:
            return f"{self.expr(env, 'M', d)}[{self.pick(['0', '-1', 'k % len(x)'])}]"
        return f"np.mean({self.expr(env, 'M', d)}, axis=0, keepdims=True)[0]"

    def e_M(self, env, d):
        c = self.r.randrange(10)
        if c == 0:
            return f"np.outer({self.expr(env, 'X', d)}, {self.expr(env, 'Y', d)})"
        if c == 1:
            return f"({self.expr(env, 'X', d)}[:, None] * {self.expr(env, 'Y', d)}[None, :])"
        if c == 2:
            return f"({self.expr(env, 'M', d)} * {self.expr(env, 'S', d)})"
        if c == 3:
            return self.smooth(self.expr(env, "M", d))
        if c == 4:
            a = self.expr(env, "M", d)
            return f"({a} - {a}.mean(axis=0, keepdims=True))"
        if c == 5:
            a = self.expr(env, "M", d)
            return f"({a} / (1.0 + {a}.sum(axis=1, keepdims=True) ** 2))"
        if c == 6:
            return f"({self.expr(env, 'X', d)}.reshape(-1, 1) * {self.expr(env, 'M', d)})"
        if c == 7:
            return f"({self.expr(env, 'M', d)} + {self.expr(env, 'Y', d)})"
        if c == 8:
            return f"{self.expr(env, 'M', d)}.T.T"
        return f"({self.expr(env, 'M', d)} {self.pick(['+', '*', '-'])} {self.expr(env, 'M', d)})"

    def cond(self, env):
        c = self.r.randrange(5)
        a = self.expr(env, "S", 1)
        if c == 0:
            return f"{a} > {self.pick(COND_T)}"
        if c == 1:
            return f"{a} < {self.pick(COND_T)} and {self.expr(env, 'S', 0)} > -2.0"
        if c == 2:
            return f"not ({a} > {self.pick(COND_T)})"
        if c == 3:
            return f"-0.5 < {a} < 0.8"
        return f"{a} > {self.pick(COND_T)} or k > 2"

    # ---- statements
    def block(self, env, lines, ind, n):
        for _ in range(n):
            if self.budget <= 0:
                break
            self.stmt(env, lines, ind)

    def assign(self, env, lines, ind):
        kind = self.pick(["S", "S", "X", "X", "Y", "M"])
        name = self.fresh("v")
        e = self.expr(env, kind)
        lines.append("    " * ind + f"{name} = {e}")
        env["vars"][name] = kind
        return name

    def stmt(self, env, lines, ind):
        self.budget -= 1
        c = self.r.randrange(34 if self.r.random() < 0.3 else 26)
        if self.r.random() < 0.35:
            c = 40
        P = "    " * ind
        if c >= 15 and self.extra(env, lines, ind, c):
            return
        if c == 0:   # aug assign on scalar owned
            s = [n for n, k in env["vars"].items() if k == "S" and n in env["owned"]]
            if s:
                v = self.pick(s)
                lines.append(P + f"{v} {self.pick(['+=', '-=', '*='])} {self.expr(env, 'S')}")
                return
        if c == 1:   # copy and subscript aug
            src = self.pick(["x", "M"] + [n for n, k in env["vars"].items() if k in "XM"])
            kind = env["vars"].get(src, "X" if src == "x" else "M")
            name = self.fresh("c")
            lines.append(P + f"{name} = {src}.copy()")
            env["vars"][name] = kind
            env["owned"].add(name)
            for _ in range(self.r.randrange(1, 3)):
                if kind == "X":
                    tgt = self.pick([f"{name}[0]", f"{name}[1:]", f"{name}[k % len({name})]",
                                     f"{name}[::2]", f"{name}[-1]"])
                    val = self.expr(env, "S")
                else:
                    opt = self.r.randrange(4)
                    if opt == 0:
                        tgt, val = f"{name}[:, 0]", self.expr(env, "X")
                    elif opt == 1:
                        tgt, val = f"{name}[0]", self.expr(env, "Y")
                    elif opt == 2:
                        tgt, val = f"{name}[1:]", self.expr(env, "S")
                    else:
                        tgt, val = f"{name}[0, 1]", self.expr(env, "S")
                op = self.pick(["+=", "*=", "-=", "="])
                lines.append(P + f"{tgt} {op} {val}")
            return
        if c == 2:   # if/elif/else
            lines.append(P + f"if {self.cond(env)}:")
            tgt = self.fresh("w")
            kind = self.pick(["S", "X"])
            lines.append(P + f"    {tgt} = {self.expr(env, kind)}")
            child = self.child(env)
            self.block(child, lines, ind + 1, 1)
            if self.chance(0.5):
                lines.append(P + f"elif {self.cond(env)}:")
                lines.append(P + f"    {tgt} = {self.expr(env, kind)}")
            lines.append(P + "else:")
            lines.append(P + f"    {tgt} = {self.expr(env, kind)}")
            env["vars"][tgt] = kind
            return
        if c in (3, 4):  # for loop with accumulator
            acc = self.fresh("acc")
            lines.append(P + f"{acc} = {self.pick(['0.0', self.expr(env, 'S', 0) + ' * 1.0', 'np.float64(0.0)', '0'])}")
            env["vars"][acc] = "S"
            env["owned"].add(acc)
            xs = self.pick(["x"] + [n for n, k in env["vars"].items() if k == "X"])
            it = self.r.randrange(5)
            child = self.child(env)
            i = self.fresh("i")
            if it == 0:
                lines.append(P + f"for {i} in range(len({xs})):")
                term = f"{xs}[{i}]"
                child["ints"].append(i)
            elif it == 1:
                e = self.fresh("e")
                lines.append(P + f"for {i}, {e} in enumerate({xs}):")
                term = e
                child["vars"][e] = "S"
                child["ints"].append(i)
            elif it == 2:
                a, b = self.fresh("a"), self.fresh("b")
                lines.append(P + f"for {a}, {b} in zip({xs}, {xs}[::-1]):")
                term = f"{a} * {b}"
                child["vars"][a] = "S"
                child["vars"][b] = "S"
            elif it == 3:
                lines.append(P + f"for {i} in range(k):")
                term = f"{xs}[{i} % len({xs})]"
                child["ints"].append(i)
            else:
                row = self.fresh("row")
                lines.append(P + f"for {row} in M:")
                term = f"np.sum({row})"
                child["vars"][row] = "Y"
            child["loop"] = ind + 1
            body = []
            if self.chance(0.4):
                body.append(f"if {self.cond(child)}:")
                body.append("    " + self.pick(["break", "continue"]))
            if self.chance(0.3) and env.get("main") and not env.get("in_loop"):
                body.append(f"if {acc} > {self.pick(['2.0', '3.5'])}:")
                body.append(f"    return {acc} * {self.expr(child, 'S', 1)}")
            body.append(f"{acc} = {acc} + {self.smooth(term) if self.chance(0.5) else term} * {self.expr(child, 'S', 1)}")
            for b in body:
                lines.append("    " * (ind + 1) + b)
            child["in_loop"] = True
            if self.chance(0.3):   # nested loop
                j = self.fresh("j")
                lines.append("    " * (ind + 1) + f"for {j} in range({self.pick(['2', 'k', 'len(x)'])}):")
                lines.append("    " * (ind + 2) + f"if {j} > {self.pick(['0', '1'])}:")
                lines.append("    " * (ind + 3) + self.pick(["break", "continue"]))
                lines.append("    " * (ind + 2) + f"{acc} += {self.expr(child, 'S', 1)} * 0.5")
            self.block(child, lines, ind + 1, self.r.randrange(0, 2))
            if self.chance(0.2):
                lines.append(P + "else:")
                lines.append(P + f"    {acc} = {acc} * 0.9")
            return
        if c == 5:   # while, data dependent
            j, acc = self.fresh("j"), self.fresh("acc")
            lines.append(P + f"{j} = 0")
            lines.append(P + f"{acc} = {self.expr(env, 'S', 1)}")
            lines.append(P + f"while {j} < {self.pick(['4', 'k + 1', 'len(x)'])} and {acc} < {self.pick(['2.0', '5.0'])}:")
            env["vars"][acc] = "S"
            env["owned"].add(acc)
            child = self.child(env)
            child["in_loop"] = True
            lines.append(P + f"    {acc} = {acc} + {self.smooth(self.expr(child, 'S', 1))} ** 2 + 0.1")
            if self.chance(0.3):
                lines.append(P + f"    if {j} == 1:")
                lines.append(P + f"        {j} += 1")
                lines.append(P + "        continue")
            lines.append(P + f"    {j} += 1")
            return
        if c == 6:   # list building
            L = self.fresh("L")
            lines.append(P + f"{L} = []")
            xs = self.pick(["x"] + [n for n, k in env["vars"].items() if k == "X"])
            lines.append(P + f"for v in {xs}:")
            lines.append(P + f"    {L}.append({self.smooth('v')} * {self.expr(env, 'S', 0)})")
            name = self.fresh("v")
            red = self.pick([f"np.sum(np.array({L}))", f"{L}[-1]", f"{L}[0] + {L}[1]",
                             f"sum({L})", f"np.stack({L}).mean()"])
            lines.append(P + f"{name} = {red}")
            env["vars"][name] = "S"
            return
        if c == 7:   # tuple unpacking
            a, b = self.fresh("p"), self.fresh("q")
            tup = [h for h in self.helpers if h[2] == "T2"]
            if tup and self.chance(0.7):
                name, params, out, ndef, kw = self.pick(tup)
                args = [self.expr(env, p, 1) for p in params]
                args.insert(2, "k")
                lines.append(P + f"{a}, {b} = {name}({', '.join(args)})")
                env["vars"][a], env["vars"][b] = "S", "X"
            else:
                lines.append(P + f"{a}, {b} = {self.expr(env, 'S')}, {self.expr(env, 'X')}")
                env["vars"][a], env["vars"][b] = "S", "X"
            return
        if c == 8:   # swap
            s = [n for n, k in env["vars"].items() if k == "S"]
            if len(s) >= 2:
                a, b = self.r.sample(s, 2)
                lines.append(P + f"{a}, {b} = {b}, {a}")
                return
        if c == 9:   # owned vector aug
            xs = [n for n, k in env["vars"].items() if k == "X" and n in env["owned"]]
            if xs:
                v = self.pick(xs)
                lines.append(P + f"{v} {self.pick(['+=', '*='])} {self.expr(env, 'X', 1)}")
                return
        if c == 10:  # float(int-like) mixing
            name = self.fresh("v")
            lines.append(P + f"{name} = float({self.expr(env, 'S', 1)}) + np.float64({self.expr(env, 'S', 0)}) * 0.5")
            env["vars"][name] = "S"
            return
        self.assign(env, lines, ind)

    def extra(self, env, lines, ind, c):
        P = "    " * ind
        X = lambda d=1: self.expr(env, "X", d)
        S = lambda d=1: self.expr(env, "S", d)
        xs = [n for n, k in env["vars"].items() if k == "X"]
        ms = [n for n, k in env["vars"].items() if k == "M"]
        if c == 15:   # recurrence on a copy
            name, i = self.fresh("c"), self.fresh("i")
            lines.append(P + f"{name} = {self.pick(xs)}.copy()")
            lines.append(P + f"for {i} in range(1, len({name})):")
            lines.append(P + "    " + self.pick([
                f"{name}[{i}] += {name}[{i} - 1] * {S(0)}",
                f"{name}[{i}] = np.sin({name}[{i} - 1]) + {name}[{i}] * {S(0)}",
                f"{name}[{i}] *= 1.0 + 0.5 * np.tanh({name}[{i} - 1])",
                f"{name}[{i} - 1] -= {name}[{i}] ** 2 * 0.3"]))
            env["vars"][name] = "X"
            env["owned"].add(name)
            return True
        if c == 16:   # 2-d in place, rows or columns
            name, i = self.fresh("C"), self.fresh("i")
            lines.append(P + f"{name} = {self.pick(ms)}.copy()")
            loop = self.pick([f"for {i} in range({name}.shape[0]):", f"for {i} in range(len({name})):",
                              f"for {i} in range({name}.shape[1]):"])
            lines.append(P + loop)
            if "shape[1]" in loop:
                body = [f"{name}[:, {i}] -= {name}[:, {i}].mean() * {S(0)}",
                        f"{name}[:, {i}] *= np.tanh({name}[0, {i}]) + 1.5",
                        f"{name}[{i} % {name}.shape[0], {i}] += {S(0)}"]
            else:
                body = [f"{name}[{i}, :] *= {S(0)}", f"{name}[{i}] -= {name}[{i}].mean()",
                        f"{name}[{i}] = {name}[{i}] / (1.0 + np.sum({name}[{i}] ** 2))",
                        f"{name}[{i}, 0] += {name}[0, -1] * 0.5"]
            for b in self.r.sample(body, self.r.randrange(1, 3)):
                lines.append(P + "    " + b)
            env["vars"][name] = "M"
            return True
        if c == 17 and env.get("main") and not env.get("in_loop"):   # nested early return
            i, j, acc = self.fresh("i"), self.fresh("j"), self.fresh("acc")
            v = self.pick(xs)
            lines.append(P + f"{acc} = 0.0")
            lines.append(P + f"for {i} in range(len({v})):")
            lines.append(P + f"    for {j} in range({i}):")
            lines.append(P + f"        if {v}[{i}] * {v}[{j}] > {self.pick(['0.5', '0.2', '0.8'])}:")
            lines.append(P + f"            return {acc} + {S()}")
            lines.append(P + f"        {acc} += {v}[{i}] * {v}[{j}] * {S(0)}")
            env["vars"][acc] = "S"
            env["owned"].add(acc)
            return True
        if c == 18:   # list of arrays
            L, i = self.fresh("L"), self.fresh("i")
            lines.append(P + f"{L} = [{self.pick(xs)}]")
            lines.append(P + f"for {i} in range({self.pick(['k', '2', 'k + 1'])}):")
            lines.append(P + f"    {L}.append(np.tanh({L}[-1] * {S(0)} + {L}[0]))")
            name = self.fresh("v")
            red = self.pick([f"{L}[-1] + {L}[0]", f"{L}.pop() * 2.0", f"np.stack({L}).sum(axis=0)",
                             f"np.concatenate({L})[:len(x)]", f"sum({L})", f"{L}[len({L}) // 2]"])
            lines.append(P + f"{name} = {red}")
            env["vars"][name] = "X"
            return True
        if c == 19 and not env.get("in_loop"):   # rebinding a parameter
            v = self.pick([n for n in ("x", "s", "t") if n in env["vars"]] or ["x"])
            e = X() if env["vars"].get(v) == "X" else S()
            lines.append(P + f"{v} = {e} * 0.5 + {v}")
            return True
        if c == 20:   # helper in loop with keyword
            hs = [h for h in self.helpers if h[2] in ("S", "X")]
            if not hs:
                return False
            name, params, out, ndef, kw = self.pick(hs)
            i, acc = self.fresh("i"), self.fresh("acc")
            lines.append(P + f"{acc} = 0.0")
            lines.append(P + f"for {i} in range({self.pick(['k', '3'])}):")
            args = [f"{self.pick(xs)} * ({i} + 1)", self.pick(ms), "k"] + (["0.25"] if "S" in params else [])
            if kw:
                args.append(f"scale=np.tanh({acc}) + 1.0")
            lines.append(P + f"    {acc} = {acc} + np.sum({name}({', '.join(args)}))")
            env["vars"][acc] = "S"
            env["owned"].add(acc)
            return True
        if c == 21:   # powers
            name = self.fresh("v")
            v = self.pick(xs)
            lines.append(P + f"{name} = " + self.pick([f"{v} ** 2", f"{v} ** k", f"np.power({v}, 3.0)",
                                                      f"2.0 ** {v}", f"({v} * {v} + 0.5) ** 1.5",
                                                      f"np.square({v}) * k", f"{v} ** float(k)"]))
            env["vars"][name] = "X"
            return True
        if c == 22:   # reductions with axis & keepdims
            m = self.pick(ms)
            name = self.fresh("v")
            e, kind = self.pick([(f"np.max({m}, axis=1)", "X"), (f"np.linalg.norm({m}, axis=1)", "X"),
                                 (f"np.prod({m}, axis=1)", "X"), (f"{m}.std(axis=1)", "X"),
                                 (f"np.var({m}, axis=0)", "Y"),
                                 (f"np.max({m}, axis=0, keepdims=True)[0]", "Y"),
                                 (f"np.clip({self.pick(xs)}, -0.5, 0.6)", "X"),
                                 (f"np.min({m}, axis=-1)", "X"), (f"{m}.max()", "S"),
                                 (f"np.linalg.norm({m})", "S"), (f"np.sum({m} ** 2, axis=-1)", "X"),
                                 (f"({m} - {m}.max(axis=1, keepdims=True)).sum(axis=1)", "X"),
                                 (f"np.exp({m} - {m}.max(axis=0, keepdims=True)).sum(axis=0)", "Y"),
                                 (f"{m}.dot({m}.T).sum(axis=0)", "X"), (f"np.trace({m}.T @ {m})", "S"),
                                 (f"np.hstack([{self.pick(xs)}, {self.pick(xs)}])[::2][:len(x)]", "X"),
                                 ])
            lines.append(P + f"{name} = {e}")
            env["vars"][name] = kind
            return True
        if c == 23:   # while True with break
            j, acc = self.fresh("j"), self.fresh("acc")
            lines.append(P + f"{j} = 0")
            lines.append(P + f"{acc} = {S()} * 1.0")
            lines.append(P + "while True:")
            lines.append(P + f"    {j} += 1")
            lines.append(P + f"    {acc} = {acc} * 0.8 + np.sin({acc} + {S(0)})")
            lines.append(P + f"    if {j} >= {self.pick(['3', 'k', 'k + 2'])} or {acc} > {self.pick(['1.5', '0.9'])}:")
            lines.append(P + "        break")
            env["vars"][acc] = "S"
            env["owned"].add(acc)
            return True
        if c == 24:   # overlapping slices aug
            name = self.fresh("c")
            lines.append(P + f"{name} = {self.pick(xs)} * 1.0")
            lines.append(P + self.pick([f"{name}[1:] += {name}[:-1]", f"{name}[:-1] *= {name}[1:]",
                                        f"{name}[::-1] += {name}", f"{name}[1:] = {name}[:-1] * 0.5",
                                        f"{name}[:2] -= {name}[-2:] * {S(0)}"]))
            env["vars"][name] = "X"
            return True
        if c == 25:   # zip of vector and matrix rows, nested unpacking
            acc, a, b, i = self.fresh("acc"), self.fresh("a"), self.fresh("b"), self.fresh("i")
            lines.append(P + f"{acc} = np.zeros({self.pick(ms)}.shape[1])")
            lines.append(P + f"for {i}, ({a}, {b}) in enumerate(zip({self.pick(xs)}, {self.pick(ms)})):")
            lines.append(P + f"    {acc} = {acc} + {a} * {b} * ({i} + 1)")
            env["vars"][acc] = "Y"
            return True
        if c == 26:   # view then write through the base
            C, r = self.fresh("C"), self.fresh("r")
            lines.append(P + f"{C} = {self.pick(ms)} * 1.0")
            view = self.pick([f"{C}[0]", f"{C}[:, 0]", f"{C}.T", f"{C}[1:]", f"{C}.reshape(-1)", f"{C}[::-1]"])
            lines.append(P + f"{r} = {view}")
            lines.append(P + self.pick([f"{C}[0, 0] *= {S(0)}", f"{C}[0] += {S(0)}", f"{C} *= {S(0)}",
                                        f"{C}[:, 0] = np.sin({C}[:, 0])", f"{C}[-1, -1] -= {C}[0, 0] ** 2"]))
            name = self.fresh("v")
            lines.append(P + f"{name} = np.sum({r} * {r}) + np.sum({C})")
            env["vars"][name] = "S"
            return True
        if c == 27:   # view written, base read
            C, r = self.fresh("C"), self.fresh("r")
            lines.append(P + f"{C} = {self.pick(ms)} * 1.0")
            lines.append(P + f"{r} = {self.pick([C + '[0]', C + '[:, -1]', C + '.T', C + '[1:]', C + '.reshape(-1)'])}")
            lines.append(P + self.pick([f"{r} *= {S(0)}", f"{r}[0] += {S(0)}", f"{r}[-1] = np.tanh({r}[0])",
                                        f"{r} += 1.0"]))
            name = self.fresh("v")
            lines.append(P + f"{name} = np.sum(np.sin({C})) + np.sum({r})")
            env["vars"][name] = "S"
            return True
        if c == 28:   # for row in C: row *= ...
            C, row = self.fresh("C"), self.fresh("row")
            lines.append(P + f"{C} = {self.pick(ms)}.copy()")
            lines.append(P + f"for {row} in {C}:")
            lines.append(P + "    " + self.pick([f"{row} *= {S(0)}", f"{row} += {row}[0]",
                                                 f"{row}[0] = np.cos({row}[-1])", f"{row} -= {row}.mean()"]))
            env["vars"][C] = "M"
            return True
        if c == 29:   # alias then in-place on alias
            a, b = self.fresh("c"), self.fresh("d")
            lines.append(P + f"{a} = {self.pick(xs)} + 0.0")
            lines.append(P + f"{b} = {a}")
            lines.append(P + self.pick([f"{b} += {X()}", f"{b} *= {S(0)}", f"{b}[0] = {S(0)}",
                                        f"{b}[1:] -= {a}[:-1]"]))
            name = self.fresh("v")
            lines.append(P + f"{name} = np.sum({a} * {a}) + np.sum({b})")
            env["vars"][name] = "S"
            return True
        if c == 30:   # swap arrays then in place
            a, b = self.fresh("c"), self.fresh("d")
            lines.append(P + f"{a}, {b} = {self.pick(xs)} * 1.0, {self.pick(xs)} * 2.0")
            lines.append(P + f"for {self.fresh('i')} in range({self.pick(['2', 'k'])}):")
            lines.append(P + f"    {a}, {b} = {b}, {a}")
            lines.append(P + f"    {a} += np.tanh({b})")
            env["vars"][a] = "X"
            env["vars"][b] = "X"
            return True
        if c == 31:   # array unpacking
            p, q = self.fresh("p"), self.fresh("q")
            lines.append(P + f"{p}, {q} = {self.pick(ms)}[:2]")
            env["vars"][p] = "Y"
            env["vars"][q] = "Y"
            return True
        if c == 32:   # while on in-place values, with else
            cc, j = self.fresh("c"), self.fresh("j")
            lines.append(P + f"{cc} = {self.pick(xs)}.copy()")
            lines.append(P + f"{j} = 0")
            lines.append(P + f"while {cc}[0] < {self.pick(['1.0', '2.0'])} and {j} < {self.pick(['3', 'k + 1'])}:")
            lines.append(P + f"    {cc}[0] += np.exp(-{cc}[1] ** 2) + 0.2")
            lines.append(P + f"    {cc}[1:] *= 0.9")
            lines.append(P + f"    {j} += 1")
            if self.chance(0.5):
                lines.append(P + "else:")
                lines.append(P + f"    {cc}[-1] += 0.1 * {cc}[0]")
            env["vars"][cc] = "X"
            return True
        if c == 33:   # helper returning its argument, then in place
            hs = [h for h in self.helpers if h[2] == "X"]
            v = self.fresh("c")
            lines.append(P + f"{v} = {self.pick(xs)} * 1.0")
            w = self.fresh("d")
            lines.append(P + f"{w} = {v}[::-1]")
            lines.append(P + f"{w}[0] += {S(0)}")
            lines.append(P + f"{v}[0] *= 2.0")
            env["vars"][v] = "X"
            env["vars"][w] = "X"
            return True
        if c == 40:
            return self.misc(env, lines, ind)
        return False

    def misc(self, env, lines, ind):
        P = "    " * ind
        S = lambda d=1: self.expr(env, "S", d)
        xs = [n for n, k in env["vars"].items() if k == "X"]
        ms = [n for n, k in env["vars"].items() if k == "M"]
        x, m = self.pick(xs), self.pick(ms)
        name = self.fresh("u")
        c = self.r.randrange(30)
        if c == 0:
            acc, i, j = self.fresh("acc"), self.fresh("i"), self.fresh("j")
            lines += [P + f"{acc} = 0.0", P + f"for {i} in range({m}.shape[0]):",
                      P + f"    for {j} in range({m}.shape[1]):",
                      P + f"        {acc} += {m}[{i}, {j}] * {x}[{i}] " + self.pick(["", f"* {m}[{i}][{j}]"])]
            env["vars"][acc] = "S"; env["owned"].add(acc)
            return True
        one = [
            (f"{x}[-2::-1].sum() + {x}[len({x}) - 1]", "S"),
            (f"np.dot({m}.T, {x})", "Y"), (f"{x} @ {m} @ {m}[0]", "S"),
            (f"np.sum({x}[{x} > 0.2])", "S"), (f"{x}[[0, 2]].sum() * {x}[[1, 1]].sum()", "S"),
            (f"{m}[:, [1, 0]].sum(axis=1)", "X"), (f"{x}[np.argsort({x})]", "X"),
            (f"np.sort({x}) * np.arange(len({x}))", "X"), (f"{x}[np.argmax({x})] + {x}.max()", "S"),
            (f"np.zeros_like({x}) + {x}.size * {x} / {x}.shape[0]", "X"),
            (f"{x}.astype(float) * {x}.ndim", "X"), (f"np.float64({x}[0]) + float({x}[1]) * int(k * 1.5)", "S"),
            (f"abs({S()}) + round(2.6) * {S(0)}", "S"), (f"min({x}[0], {x}[1]) + max([{x}[0], {S(0)}, 0.1])", "S"),
            (f"sum({x}) + sum({m})[0]", "S"), (f"({x} if {S()} > 0.0 else -{x})", "X"),
            (f"np.linalg.solve(np.eye(len({x})) * 2.0 + np.outer({x}, {x}) * 0.1, {x})", "X"),
            (f"np.linalg.inv(np.eye(len({x})) * 3.0 + np.outer({x}, {x}) * 0.1).dot({x})", "X"),
            (f"np.asarray({x}) * np.ones(len({x}))", "X"), (f"np.concatenate([{x}[1:], {x}[:1]])", "X"),
            (f"np.exp({m}).sum(axis=-1, keepdims=True)[:, 0]", "X"),
            (f"np.einsum('ij,i->j', {m}, {x})", "Y"), (f"np.tensordot({x}, {m}, axes=1)", "Y"),
            (f"np.linalg.det(np.eye(len({x})) + np.outer({x}, {x}))", "S"),
            (f"np.interp(0.3, np.arange(len({x})) * 1.0, {x})", "S"),
            (f"np.mean([{x}[i] * {x}[i - 1] for i in range(1, len({x}))])", "S"),
        ]
        if c <= len(one):
            e, kind = one[c - 1]
            lines.append(P + f"{name} = {e}")
            env["vars"][name] = kind
            return True
        if c == 27:
            L, i = self.fresh("L"), self.fresh("i")
            lines += [P + f"{L} = []", P + f"for {i} in range(len({x})):",
                      P + f"    if {x}[{i}] > {self.pick(['0.0', '-0.3'])}:",
                      P + f"        {L} += [{x}[{i}] * {S(0)}]",
                      P + f"    elif len({L}) > 1:",
                      P + f"        {L}.pop()",
                      P + f"{name} = np.sum(np.array({L} + [0.0])) + len({L})"]
            env["vars"][name] = "S"
            return True
        if c == 28:
            i = self.fresh("i")
            acc = self.fresh("acc")
            lines += [P + f"{acc} = {S()} * 1.0", P + f"for {i} in range(len({x}) - 1, -1, -1):",
                      P + f"    {acc} = {acc} * 0.5 + {x}[{i}]", P + f"for v in reversed({x}):",
                      P + f"    {acc} = np.sin({acc} * v)"]
            env["vars"][acc] = "S"; env["owned"].add(acc)
            return True
        g = self.fresh("g")
        lines += [P + f"def {g}(v, w=2.0):", P + f"    return v * w + {S(0)}",
                  P + f"{name} = {g}({x}) + {g}(*({x}, 0.5)) + {g}(w=1.5, v={x})"]
        env["vars"][name] = "X"
        return True

    def child(self, env):
        return {"vars": dict(env["vars"]), "owned": set(env["owned"]), "ints": list(env["ints"]),
                "main": env.get("main"), "in_loop": env.get("in_loop"), "loop": env.get("loop")}

    def helper(self):
        name = self.fresh("h")
        params = ["X", "M"] + (["S"] if self.chance(0.5) else [])
        pnames = ["x", "M", "k", "b"][:len(params) + 1]
        ndef = self.chance(0.5)
        kw = self.chance(0.4)
        out = self.pick(["S", "X", "T2"])
        header = list(pnames)
        env = {"vars": {"x": "X", "M": "M"}, "owned": set(), "ints": ["k"]}
        if "b" in pnames:
            env["vars"]["b"] = "S"
        if ndef:
            header.append("c=0.5")
            env["vars"]["c"] = "S"
        if kw:
            header += ["*", "scale=1.0"]
            env["vars"]["scale"] = "S"
        lines = [f"def {name}({', '.join(header)}):"]
        self.budget = 2
        self.block(env, lines, 1, self.r.randrange(0, 3))
        if out == "S":
            lines.append(f"    return {self.expr(env, 'S')}")
        elif out == "X":
            lines.append(f"    return {self.expr(env, 'X')}")
        else:
            lines.append(f"    return {self.expr(env, 'S')}, {self.expr(env, 'X')}")
        self.helpers.append((name, params, out, ndef, kw))
        return lines

    def program(self):
        lines = []
        for _ in range(self.r.randrange(0, 4)):
            lines += self.helper() + [""]
        env = {"vars": {"x": "X", "M": "M", "s": "S", "t": "S"}, "owned": set(),
               "ints": ["k"], "main": True}
        lines.append("def f(x, M, s, t, k):")
        self.budget = self.r.randrange(3, 9)
        self.block(env, lines, 1, 9)
        live = [n for n, kd in env["vars"].items() if n not in ("x", "M", "s", "t") and self.chance(0.6)]
        terms = [n if env["vars"][n] == "S" else f"np.sum({n})" for n in live]
        out = self.expr(env, "S")
        total = " + ".join([out] + [f"0.1 * {t_}" for t_ in terms])
        lines.append(f"    return {total} + 0.01 * (np.sum(x) + np.sum(M) + s + t)")
        return "\n".join(lines) + "\n"


# -- checking one program ------------------------------------------------------------------
KINDS = {"f": float, "n": np.float64, "a": np.array}


def arguments(rng, n, m, s_kind, t_kind, k, integers=False):
    """(x, M, s, t, k): values in (-1, 1), or integer-valued floats (and 0.5)."""
    if integers:
        values = np.array([-1.0, 0.0, 1.0, 2.0, 0.5])
        x, M = rng.choice(values, n), rng.choice(values, (n, m))
        s, t = float(rng.choice(values)), float(rng.choice(values))
    else:
        x, M = rng.uniform(-1, 1, n), rng.uniform(-1, 1, (n, m))
        s, t = rng.uniform(-1, 1), rng.uniform(-1, 1)
    return (x, M, KINDS[s_kind](s), KINDS[t_kind](t), k)


def flat(values):
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in values])


def unflat(vector, args):
    """``args`` with its four floats taken from ``vector``, each of its own kind."""
    out, i = [], 0
    for a in args[:4]:
        piece = vector[i:i + np.size(a)].reshape(np.shape(a))
        out.append(float(piece) if isinstance(a, float) else
                   np.float64(piece) if isinstance(a, np.float64) else piece)
        i += np.size(a)
    return tuple(out) + tuple(args[4:])


def central_differences(f, args):
    """The gradient by central differences, and whether three step sizes agree (the
    function is smooth there: no branch or kink is crossed)."""
    def at(eps):
        v, g = flat(args[:4]), np.zeros(flat(args[:4]).size)
        for i in range(v.size):
            e = np.zeros_like(v)
            e[i] = eps
            g[i] = (f(*unflat(v + e, args)) - f(*unflat(v - e, args))) / (2 * eps)
        return g
    g6, g5, g4 = at(1e-6), at(1e-5), at(1e-4)
    return g6, (np.allclose(g6, g5, rtol=1e-3, atol=1e-4)
                and np.allclose(g5, g4, rtol=1e-2, atol=1e-3))


def close(a, b, rtol=1e-4, atol=1e-5):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=rtol,
                       atol=atol, equal_nan=True)


def check_program(source, seed, integers=False):
    f = make_function(source, {"np": np, "math": math}, name="f")
    rng = np.random.default_rng(seed)
    kinds = "fna"
    k = 1 + seed % 3
    first = arguments(rng, 3, 2, kinds[seed % 3], kinds[seed // 3 % 3], k, integers)
    third = arguments(rng, 4, 3, kinds[(seed + 1) % 3], kinds[(seed // 3 + 2) % 3],
                      1 + (k + seed // 7) % 4, integers)
    with np.errstate(all="ignore"):
        for args in (first, third):
            value = f(*args)
            if not (np.ndim(value) == 0 and np.isfinite(value) and abs(value) < 1e4):
                return "blows up"
    with np.errstate(all="ignore"):
        fd_first, smooth_first = central_differences(f, first)
        fd_third, smooth_third = central_differences(f, third)
    if integers:   # (ties and kinks: only the modes are compared with each other)
        smooth_first = smooth_third = False
    calls = [(first, smooth_first, fd_first), (first, smooth_first, fd_first),
             (third, smooth_third, fd_third)]

    def unchanged(args, derived, *extra, **keywords):
        """``derived(*args, *extra)``, checking that the inputs are not changed."""
        saved = [np.array(a, copy=True) for a in args]
        out = derived(*args, *extra, **keywords)
        for a, b in zip(args, saved):
            assert np.array_equal(np.asarray(a), b), "an input was changed"
        return out

    wrt = (0, 1, 2, 3)
    df = tl.grad(f, wrt=wrt)
    grads = []
    for args, smooth, fd in calls:
        g = unchanged(args, df)
        for a, part in zip(args, g):
            assert np.shape(part) == np.shape(a), (np.shape(part), np.shape(a))
        g = flat(g)
        if smooth:
            assert close(g, fd), f"grad {g} != finite differences {fd}"
        grads.append(g)
    assert close(grads[0], grads[1], 1e-9, 1e-10), f"version {grads[1]} != generic {grads[0]}"
    value_and_grad = tl.value_and_grad(f, wrt=wrt)
    for (args, _, _), g in zip(calls, grads):
        value, gg = unchanged(args, value_and_grad)
        assert close(value, f(*args), 1e-12, 1e-12), (value, f(*args))
        assert close(flat(gg), g, 1e-9, 1e-10), ("value_and_grad", flat(gg), g)
    vjp = tl.vjp(f, wrt=wrt)
    seed_value = float(rng.uniform(0.5, 2.0))
    for (args, _, _), g in zip(calls, grads):
        got = flat(unchanged(args, vjp, seed_value))
        assert close(got, seed_value * g, 1e-9, 1e-10), ("vjp", got, seed_value * g)
    jvp = tl.jvp(f, wrt=wrt)
    for (args, _, _), g in zip(calls, grads):
        u = rng.uniform(-1, 1, g.size)
        got = unchanged(args, jvp, unflat(u, args)[:4])
        assert close(got, np.dot(g, u), 1e-8, 1e-9), ("jvp", got, np.dot(g, u))
    # subsets of wrt, by position or by name, the derived function called with keywords
    names = ("x", "M", "s", "t")
    for _ in range(2):
        subset = sorted(rng.choice(4, size=rng.integers(1, 4), replace=False).tolist())
        chosen = tuple(names[i] if rng.random() < 0.5 else i for i in subset)
        chosen = chosen if len(chosen) > 1 else chosen[0]
        d_subset = tl.grad(f, wrt=chosen)
        for (args, _, _), g in zip(calls, grads):
            if rng.random() < 0.5:
                got = unchanged(args, d_subset)
            else:
                got = d_subset(args[0], args[1], t=args[3], s=args[2], k=args[4])
            got = flat(got if len(subset) > 1 else (got,))
            ends = np.cumsum([0] + [np.size(a) for a in args[:4]])
            want = np.concatenate([g[ends[i]:ends[i + 1]] for i in subset])
            assert close(got, want, 1e-9, 1e-10), (f"wrt={chosen!r}", got, want)
    # second order in x
    hvp, dfdx = tl.hvp(f), tl.grad(f)
    reverse_over_reverse, forward_over_reverse = tl.vjp(dfdx), tl.jvp(dfdx)
    for i, (args, smooth, _) in enumerate(calls):
        v = rng.uniform(-1, 1, np.shape(args[0]))
        hv = unchanged(args, hvp, v)
        if smooth:
            h = 1e-5
            with np.errstate(all="ignore"):
                fd = (np.asarray(dfdx(args[0] + h * v, *args[1:]))
                      - np.asarray(dfdx(args[0] - h * v, *args[1:]))) / (2 * h)
            assert close(hv, fd, 1e-3, 1e-4) or not close(  # (a kink of the gradient)
                fd, (np.asarray(dfdx(args[0] + 2 * h * v, *args[1:]))
                     - np.asarray(dfdx(args[0] - 2 * h * v, *args[1:]))) / (4 * h),
                1e-3, 1e-4), ("hvp", hv, fd)
        got = unchanged(args, reverse_over_reverse, 1.0, v)
        assert close(got, hv, 1e-7, 1e-8), ("vjp of grad", got, hv)
        got = unchanged(args, forward_over_reverse, 1.0, v)
        assert close(got, hv, 1e-7, 1e-8), ("jvp of grad", got, hv)
        if i == 0:
            assert close(tl.hessian(f)(*args) @ v, hv, 1e-7, 1e-8), "hessian"
    return "checked"


def check_or_refused(seed, integers=False):
    source = Gen(seed).program()
    try:
        check_program(source, seed, integers)
    except tl.TransformError as exc:
        if not (REFUSALS.search(str(exc)) and exc.lineno and exc.filename):
            raise AssertionError(f"seed {seed}: {type(exc).__name__}: {exc}\n{source}")
    except Exception as exc:
        raise AssertionError(f"seed {seed}: {type(exc).__name__}: {exc}\n{source}") from exc


@pytest.mark.parametrize("block", range(4))
def test_random_mixed_program(block):
    for seed in range(START + block, START + COUNT, 4):
        check_or_refused(seed)


@pytest.mark.skipif(not LONG, reason="TANGENTLIKE_LONG=1: integer-valued inputs")
def test_random_mixed_program_at_integer_values():
    for seed in range(START, START + COUNT // 2):
        check_or_refused(seed, integers=True)
