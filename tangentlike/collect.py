"""collect: like terms of an elementwise adjoint collected (a step of optimize, versions).

Consumes the statements of a derivative specialized to argument shapes. Produces them
with the value of an adjoint that is a polynomial in the values it is computed from
written in its collected form, when that form cancels terms and makes fewer array
operations. The adjoint of a logistic regression's cross-entropy (composites.py gives
the log of a sigmoid ``bL * (u * p)`` and of one minus it ``-(bL * p)``)::

    t6 = 1 - y                       bz = bout / 1000 * (p - y)
    bt8 = bout / 1000 * t6     ->
    bz = bt8 * p
    bt4 = bout / 1000 * y
    bz = bz - bt4 * (t2 * p)

How: the straight-line statements of the function body are read in order, and each
value made by ``+``, ``-``, ``*``, unary ``-`` and division by a number from names and
numbers is expanded into a polynomial of the names it reads that are not so made (the
*atoms*; a name reassigned ends the polynomials that read it), with exact rational
coefficients. (Adjoints are numbers or arrays; a primal value is expanded only when
its arithmetic could not be of lists or strings: ``1 - y``, ``-z``, ``0.5 * x``.) What the function computes is known too: where ``p = 1 / v`` and
``v = 1 + u``, ``u * p`` is ``1 - p`` and ``1 / v`` is ``p``; where ``p = u / v`` and
``v = 1 + u``, ``1 / v`` is ``1 - p``. A polynomial read by anything else (a matrix
product, a call, a return) in which terms cancelled is written in its collected form,
with the factors that are numbers (the seed of grad, a number) taken out, in place of
the last assignment of the name; the statements that only fed it go with the dead code.
The rewrite is kept only when the function then makes fewer array operations, and only
when the collected form reads every array the expanded one read (so its shape and type
are the same).

The collected form is the same value up to rounding: the terms that cancel are equal in
exact arithmetic. Like a hand-written ``p - y``, it is exact relative to the size of the
terms (a tiny gradient ``p - 1`` of a sigmoid near one is computed as 0 or a multiple
of the rounding of p), and where the expanded form has inf - inf it may be finite
(docs/conventions.md).
"""
from __future__ import annotations

import numbers

import gast
import numpy as np

from .naming import same_tree, walk

_MAX_TERMS = 12
# fractions.Fraction, the coefficients' type: imported by the first collect_terms that
# gets past its first test (importing fractions imports decimal, about a millisecond,
# which a derivation of a function with loops or branches never needs)
Fraction = None


class _Poly:
    """A polynomial: {monomial: coefficient}, a monomial a sorted tuple of (atom,
    power); ``cancelled`` when collecting it dropped or merged terms."""

    __slots__ = ("_atoms", "cancelled", "terms")

    def __init__(self, terms, cancelled=False):
        self.terms, self.cancelled, self._atoms = terms, cancelled, None

    def atoms(self) -> set:
        if self._atoms is None:
            self._atoms = {a for m in self.terms for a, _ in m}
        return self._atoms


def _constant(value) -> _Poly:
    return _Poly({(): Fraction(value)} if value else {})


def _add(a: _Poly, b: _Poly, sign: int) -> _Poly:
    terms = dict(a.terms)
    cancelled = a.cancelled or b.cancelled
    for m, c in b.terms.items():
        if m in terms:
            cancelled = True
            total = terms[m] + sign * c
            if total:
                terms[m] = total
            else:
                del terms[m]
        else:
            terms[m] = sign * c
    return _Poly(terms, cancelled)


def _monomial_product(m1, m2) -> tuple:
    powers = dict(m1)
    for a, k in m2:
        powers[a] = powers.get(a, 0) + k
    return tuple(sorted(powers.items()))


def _mul(a: _Poly, b: _Poly, known) -> _Poly:
    out = _Poly({}, a.cancelled or b.cancelled)
    for m1, c1 in a.terms.items():
        for m2, c2 in b.terms.items():
            out = _add(out, known.reduce(_monomial_product(m1, m2), c1 * c2), 1)
            if len(out.terms) > _MAX_TERMS:
                return None
    return out


class _Known:
    """What the function computes: ``p = 1 / v``, ``v = 1 + u`` (then u * p is 1 - p,
    1 / v is p) and ``p = u / v``, ``v = 1 + u`` (then 1 / v is 1 - p)."""

    def __init__(self, body, stores):
        defs = {s.targets[0].id: s.value for s in body
                if s.__class__ is gast.Assign and len(s.targets) == 1
                and s.targets[0].__class__ is gast.Name and stores.get(s.targets[0].id) == 1}
        self.values = set()   # the p: atoms (what is known is said with them)
        self.products = {}   # (u, p) -> poly of u * p
        self.inverses = {}   # v -> poly of 1 / v
        for p, value in defs.items():
            if value.__class__ is not gast.BinOp or value.op.__class__ is not gast.Div \
                    or value.right.__class__ is not gast.Name:
                continue
            v = value.right.id
            u = _one_plus(defs.get(v))
            if u is None or stores.get(v) != 1:
                continue
            one_minus_p = _Poly({(): Fraction(1), ((p, 1),): Fraction(-1)})
            self.values.add(p)
            if _number(value.left) == 1:
                self.products[tuple(sorted((u, p)))] = (u, p, one_minus_p)
                self.inverses[v] = _Poly({((p, 1),): Fraction(1)})
            elif value.left.__class__ is gast.Name and (
                    value.left.id == u or value.left.id in defs and u in defs
                    and stores.get(u) == 1 and stores.get(value.left.id) == 1
                    and _same_value(defs[value.left.id], defs[u])):
                self.inverses[v] = one_minus_p   # u / (1 + u)

    def reduce(self, monomial, coefficient) -> _Poly:
        """c * monomial, with u * p written 1 - p while both are factors."""
        for u, p, one_minus_p in self.products.values():
            powers = dict(monomial)
            if powers.get(u, 0) >= 1 and powers.get(p, 0) >= 1:
                for a in (u, p):
                    powers[a] -= 1
                    if not powers[a]:
                        del powers[a]
                rest = self.reduce(tuple(sorted(powers.items())), coefficient)
                out = _Poly({}, True)
                for m, c in rest.terms.items():
                    for m2, c2 in one_minus_p.terms.items():
                        out = _add(out, _Poly({_monomial_product(m, m2): c * c2}), 1)
                out.cancelled = True
                return out
        return _Poly({monomial: coefficient})


def _same_value(a, b) -> bool:
    """Whether two definitions are one call of a function of names, np.exp(z) twice."""
    return a.__class__ is gast.Call and b.__class__ is gast.Call and same_tree(a, b) \
        and all(x.__class__ is gast.Name for x in a.args) and not a.keywords


def _number(node):
    if node.__class__ is gast.Constant and isinstance(node.value, numbers.Real) \
            and not isinstance(node.value, bool):
        return node.value
    return None


def _one_plus(value):
    if value is None or value.__class__ is not gast.BinOp or value.op.__class__ is not gast.Add:
        return None
    if _number(value.left) == 1 and value.right.__class__ is gast.Name:
        return value.right.id
    if _number(value.right) == 1 and value.left.__class__ is gast.Name:
        return value.left.id
    return None


def _poly(expr, env, known):
    """The polynomial of ``expr`` (names in ``env`` expanded), or None."""
    cls = expr.__class__
    if cls is gast.Name:
        have = env.get(expr.id)
        return have if have is not None else _Poly({((expr.id, 1),): Fraction(1)})
    if cls is gast.Constant:
        value = _number(expr)
        return _constant(value) if value is not None and np.isfinite(value) else None
    if cls is gast.UnaryOp and expr.op.__class__ is gast.USub:
        inner = _poly(expr.operand, env, known)
        return None if inner is None else _Poly({m: -c for m, c in inner.terms.items()},
                                                inner.cancelled)
    if cls is not gast.BinOp:
        return None
    op = expr.op.__class__
    if op is gast.Div:
        left = _poly(expr.left, env, known)
        number = _number(expr.right)
        if left is None:
            return None
        if number is not None:
            if not number or not np.isfinite(number):
                return None
            return _Poly({m: c / Fraction(number) for m, c in left.terms.items()}, left.cancelled)
        right = env.get(expr.right.id) if expr.right.__class__ is gast.Name else None
        if right is not None and list(right.terms) == [()]:   # a name holding a number
            return _Poly({m: c / right.terms[()] for m, c in left.terms.items()},
                         left.cancelled)
        if expr.right.__class__ is gast.Name and expr.right.id in known.inverses:
            return _mul(left, known.inverses[expr.right.id], known)
        return None
    if op not in (gast.Add, gast.Sub, gast.Mult):
        return None
    left, right = _poly(expr.left, env, known), _poly(expr.right, env, known)
    if left is None or right is None:
        return None
    if op is gast.Mult:
        return _mul(left, right, known)
    out = _add(left, right, 1 if op is gast.Add else -1)
    return out if len(out.terms) <= _MAX_TERMS else None


def collect_terms(fdef, eliminate_dead_code) -> None:
    """Rewrite ``fdef``'s body in place (module docstring). ``eliminate_dead_code``:
    optimize's, which takes a body and gives it without its dead statements."""
    body = fdef.body
    if not _straight_without_writes(body):
        return
    global Fraction
    from fractions import Fraction
    scalars = _seed(fdef)
    stores = {}   # (straight-line, plain assignments: a name's stores are its targets)
    for stmt in body:
        for t in getattr(stmt, "targets", ()):
            stores[t.id] = stores.get(t.id, 0) + 1
    known = _Known(body, stores)
    env, last, candidates = {}, {}, {}
    for i, stmt in enumerate(body):
        target = stmt.targets[0].id if stmt.__class__ is gast.Assign \
            and len(stmt.targets) == 1 else None
        value = _poly(stmt.value, env, known) \
            if target is not None and target not in known.values \
            and (getattr(stmt, "phase", None) == "adjoint" or _numeric(stmt.value)) else None
        if value is None and any(p.cancelled for p in env.values()):
            # a reader of polynomials that is not one: write them collected
            for node in walk(stmt):
                if node.__class__ is gast.Name and node.ctx.__class__ is gast.Load:
                    have = env.get(node.id)
                    if have is not None and have.cancelled:
                        candidates[last[node.id]] = (body[last[node.id]], have)
        if target is not None:
            env.pop(target, None)
            last.pop(target, None)
            for name in [n for n, p in env.items() if target in p.atoms()]:
                del env[name]
                del last[name]
            # (`bx = bx - bt7` of a bx that is no polynomial: its atom bx is the value
            # this statement overwrites, which no later statement can read)
            if value is not None and target not in value.atoms():
                env[target], last[target] = value, i
    for stmt, poly in candidates.values():
        expr = _written(poly, scalars)
        if expr is None or not any(s is stmt for s in body):   # (gone with dead code)
            continue
        old = stmt.value
        before = _array_operations(body, scalars)
        stmt.value = expr
        after_body = eliminate_dead_code(list(body))
        if _array_operations(after_body, scalars) < before:
            body[:] = after_body
        else:
            stmt.value = old


def _straight_without_writes(body) -> bool:
    """Whether ``body`` is plain assignments and returns, none into an element or an
    attribute: then a name holds one value from its assignment on (no array changes in
    place, so a polynomial's atoms read later are the values it was made of)."""
    for stmt in body:
        if stmt.__class__ is gast.Return or stmt.__class__ is gast.If and not stmt.orelse \
                and all(s.__class__ is gast.Return for s in stmt.body):
            continue   # (a return, or an early one: `if bout != 1.0: return seeded(...)`)
        if stmt.__class__ is not gast.Assign \
                or any(t.__class__ is not gast.Name for t in stmt.targets):
            return False
    return True


def _numeric(value) -> bool:
    """Whether a primal statement's arithmetic can only be of numbers and arrays: with a
    number added, subtracted or dividing, a float multiplying, a negation or a division
    (``a + b`` may join lists or strings and ``2 * a`` repeat one; adjoints are numbers
    or arrays whatever their primals are)."""
    if value.__class__ is gast.UnaryOp:
        return value.op.__class__ is gast.USub
    if value.__class__ is not gast.BinOp:
        return value.__class__ is gast.Constant
    op = value.op.__class__
    if op is gast.Div:
        return True
    numbers_ = [_number(value.left), _number(value.right)]
    if op in (gast.Add, gast.Sub):
        return any(n is not None for n in numbers_)
    return op is gast.Mult and any(isinstance(n, float) for n in numbers_)


def _seed(fdef) -> set:
    """The seed of grad and value_and_grad: the last parameter, with a number as its
    default (checked to be a number when given); vjp's has no default."""
    args = fdef.args
    if args.args and args.defaults and _number(args.defaults[-1]) is not None:
        return {args.args[-1].id}
    return set()


def _array_operations(body, scalars) -> int:
    count = 0
    for node in walk(body):
        cls = node.__class__
        if cls is gast.BinOp:
            count += not (_scalar(node.left, scalars) and _scalar(node.right, scalars))
        elif cls is gast.UnaryOp:
            count += not _scalar(node.operand, scalars)
        elif cls is gast.Call:
            count += 1
    return count


def _scalar(node, scalars) -> bool:
    cls = node.__class__
    if cls is gast.Constant:
        return True
    if cls is gast.Name:
        return node.id in scalars
    if cls is gast.BinOp:
        return _scalar(node.left, scalars) and _scalar(node.right, scalars)
    if cls is gast.UnaryOp:
        return _scalar(node.operand, scalars)
    return False


def _name(name):
    return gast.Name(name, gast.Load(), None, None)


def _coefficient(c: Fraction):
    return gast.Constant(int(c) if c.denominator == 1 else float(c), None)


def _written(poly: _Poly, scalars: set):
    """The expression of a collected polynomial: its number factors (the seed, a common
    coefficient) times the sum of its array terms; None when a coefficient is not an
    integer after the common one is taken out, or nothing is left."""
    if not poly.terms:
        return None
    factor = {a: min(dict(m).get(a, 0) for m in poly.terms) for a in scalars}
    factor = {a: k for a, k in factor.items() if k > 0}
    magnitudes = {abs(c) for c in poly.terms.values()}
    common = magnitudes.pop() if len(magnitudes) == 1 else Fraction(1)
    terms = []
    for m, c in poly.terms.items():
        rest = [(a, k - factor.get(a, 0)) for a, k in m if k - factor.get(a, 0)]
        c = c / common
        if c.denominator != 1 or any(k < 0 for _, k in rest) or not rest:
            return None
        terms.append((c, rest))
    terms.sort(key=lambda t: (t[0] < 0, t[1]))
    total = None
    for c, rest in terms:
        term = None
        for a, k in rest:
            for _ in range(k):
                term = _name(a) if term is None else gast.BinOp(term, gast.Mult(), _name(a))
        if abs(c) != 1:
            term = gast.BinOp(_coefficient(abs(c)), gast.Mult(), term)
        if total is None:
            total = gast.UnaryOp(gast.USub(), term) if c < 0 else term
        else:
            total = gast.BinOp(total, gast.Sub() if c < 0 else gast.Add(), term)
    number = None
    for a, k in sorted(factor.items()):
        for _ in range(k):
            number = _name(a) if number is None else gast.BinOp(number, gast.Mult(), _name(a))
    if common != 1:
        if number is None:
            number = _coefficient(common)
        elif common.numerator == 1:
            number = gast.BinOp(number, gast.Div(), _coefficient(Fraction(common.denominator)))
        else:
            number = gast.BinOp(number, gast.Mult(), _coefficient(common))
    return total if number is None else gast.BinOp(number, gast.Mult(), total)
