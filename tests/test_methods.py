"""Methods of the user's own classes (fix20): ``tl.grad(model.loss)`` of a bound method
(tests/test_api.py has the transformations' arguments), and ``self.predict(...)`` called
inside a method of a module-level class, derived as the helper ``Model.predict(self,
...)``, with the entry's guard of ``Model.predict`` and require_method's check of the
object's own."""
import dataclasses
import typing

import numpy as np
import pytest

import other_module
import tangentlike as tl

W = np.array([0.3, 0.5])
X = np.array([0.1, 0.2])
Y = np.array([0.5, -0.1])


class Model:
    def __init__(self, scale):
        self.scale = scale
        self.A = np.array([[1.0, 0.5], [0.2, 0.3]])

    def predict(self, w, x):
        return np.tanh(self.A @ x * w) * self.scale

    def loss(self, w, x, y):
        return np.sum((self.predict(w, x) - y) ** 2) + self.penalty(w)

    def penalty(self, w, lam=0.1):
        return lam * self.square(w)

    @staticmethod
    def square(w):
        return np.sum(w * w)

    def loss_with_keywords(self, w, x, y):
        return np.sum((self.predict(x=x, w=w) - y) ** 2) + self.penalty(w, lam=0.5)


def plain_loss(m, w, x, y, lam=0.1):
    return np.sum((np.tanh(m.A @ x * w) * m.scale - y) ** 2) + lam * np.sum(w * w)


class OtherPredict(Model):
    def predict(self, w, x):
        return np.sin(self.A @ x * w)


class OwnLoss(OtherPredict):
    def loss(self, w, x, y):
        return np.sum((self.predict(w, x) - y) ** 2)


class Simulation:
    def __init__(self, k):
        self.k = k

    def force(self, q):
        return -self.k * np.sin(q)

    def step(self, q, p, dt=0.1):
        p = p + dt * self.force(q)
        q = q + dt * p
        return q, p

    def run(self, q, p, n):
        for i in range(n):
            q, p = self.step(q, p, dt=0.05)
            if np.sum(q) > 10.0:
                break
        return np.sum(q * q) + np.sum(p * p)


def simulate(k, q, p, n):
    for i in range(n):
        p = p - 0.05 * k * np.sin(q)
        q = q + 0.05 * p
        if np.sum(q) > 10.0:
            break
    return np.sum(q * q) + np.sum(p * p)


@pytest.fixture(params=["0", "1"], ids=["versions", "strict"])
def strict(request, monkeypatch):
    monkeypatch.setenv("TANGENTLIKE_STRICT_SPECIALIZE", request.param)


def test_a_method_calling_methods_of_self(strict):
    m = Model(2.0)
    want = tl.grad(plain_loss, wrt=1)(m, W, X, Y)
    np.testing.assert_allclose(tl.grad(m.loss)(W, X, Y), want, rtol=1e-12)
    np.testing.assert_allclose(tl.grad(Model.loss, wrt=1)(m, W, X, Y), want, rtol=1e-12)
    np.testing.assert_allclose(tl.grad(m.loss_with_keywords)(W, X, Y),
                               tl.grad(plain_loss, wrt=1)(m, W, X, Y, 0.5), rtol=1e-12)
    np.testing.assert_allclose(tl.jvp(m.loss, wrt=1)(W, X, Y, np.array([1.0, -2.0])),
                               tl.jvp(plain_loss, wrt=2)(m, W, X, Y, np.array([1.0, -2.0])),
                               rtol=1e-12)
    np.testing.assert_allclose(tl.hessian(m.loss)(W, X, Y),
                               tl.hessian(plain_loss, wrt=1)(m, W, X, Y), rtol=1e-10)
    for method in (m.loss, m.loss_with_keywords):
        tl.check_grads(method, (W, X, Y), order=2)
    m.scale = 3.0   # read when the derivative runs
    np.testing.assert_allclose(tl.grad(m.loss)(W, X, Y),
                               tl.grad(plain_loss, wrt=1)(m, W, X, Y), rtol=1e-12)


def test_a_simulation_stepping_in_a_loop(strict):
    sim = Simulation(1.5)
    q, p = np.array([0.3, -0.2]), np.array([0.1, 0.4])
    for n in (0, 1, 4):
        for wrt in (0, 1):
            np.testing.assert_allclose(tl.grad(sim.run, wrt=wrt)(q, p, n),
                                       tl.grad(simulate, wrt=wrt + 1)(1.5, q, p, n), rtol=1e-12)
        tl.check_grads(sim.run, (q, p, n), order=2)


def test_a_subclass_with_another_method_is_not_served_the_base_derivative():
    m, other = Model(2.0), OtherPredict(2.0)
    df = tl.grad(Model.loss, wrt=1)
    df(m, W, X, Y)
    with pytest.raises(tl.TransformError, match="`.predict\\(\\)` of this `OtherPredict` is "
                       "not `Model.predict`") as info:
        df(other, W, X, Y)
    assert info.value.lineno == Model.loss.__code__.co_firstlineno + 1
    own = OwnLoss(2.0)   # a loss of its own: its own predict
    want = 2 * (np.sin(own.A @ X * W) - Y) * np.cos(own.A @ X * W) * (own.A @ X)
    np.testing.assert_allclose(tl.grad(own.loss)(W, X, Y), want, rtol=1e-12)
    # (OtherPredict.loss is Model.loss: bound to an OtherPredict, it is derived as
    # OtherPredict's method since fix21, calling its predict; was refused when it ran)
    # (and Model.loss's penalty, 0.1 * sum(w * w))
    np.testing.assert_allclose(tl.grad(other.loss)(W, X, Y), want + 0.2 * W, rtol=1e-12)
    tl.check_grads(other.loss, (W, X, Y), order=2)
    patched = Model(2.0)
    patched.predict = lambda w, x: w * x
    with pytest.raises(tl.TransformError, match="the object itself defines another"):
        df(patched, W, X, Y)


def test_a_method_rebound_on_the_class_derives_again(monkeypatch):
    m = Model(2.0)
    df = tl.grad(m.loss)
    df(W, X, Y)

    def cosine(self, w, x):
        return np.cos(self.A @ x * w)
    monkeypatch.setattr(Model, "predict", cosine)
    z = m.A @ X
    want = 2 * (np.cos(z * W) - Y) * -np.sin(z * W) * z + 0.2 * W
    np.testing.assert_allclose(df(W, X, Y), want, rtol=1e-12)


def calls_a_method_of_an_argument(m, w):
    return np.sum(m.predict(w, X))  # <- error


def calls_methods_of_an_annotated_argument(m: Model, w, x, y):
    return np.sum((m.predict(w, x) - y) ** 2) + m.penalty(w)


def calls_a_method_of_a_string_annotated_argument(w, x, *, m: "Model"):
    return np.sum(m.predict(w, x))


def test_methods_of_a_parameter_annotated_with_its_class(strict):
    m = Model(2.0)
    np.testing.assert_allclose(tl.grad(calls_methods_of_an_annotated_argument, wrt=1)(m, W, X, Y),
                               tl.grad(plain_loss, wrt=1)(m, W, X, Y), rtol=1e-12)
    tl.check_grads(calls_methods_of_an_annotated_argument, (m, W, X, Y), wrt=(1, 2), order=2)
    z = m.A @ X
    np.testing.assert_allclose(tl.grad(calls_a_method_of_a_string_annotated_argument)(W, X, m=m),
                               (1 - np.tanh(z * W) ** 2) * z * m.scale, rtol=1e-12)
    with pytest.raises(tl.TransformError, match="of this `OtherPredict` is not"):
        tl.grad(calls_methods_of_an_annotated_argument, wrt=1)(OtherPredict(2.0), W, X, Y)


class _Local:
    def attribute_write(self, w):
        self.last = w
        return np.sum(w)


def test_refused_uses_of_objects():
    with pytest.raises(tl.TransformError, match="the method `.predict\\(\\)` is not supported") \
            as info:
        tl.grad(calls_a_method_of_an_argument, wrt=1)
    assert "(`m: Model`)" in info.value.hint
    with pytest.raises(tl.TransformError, match="assignment to an attribute is not supported"):
        tl.grad(_Local().attribute_write)


class Network:
    def __init__(self, scale):
        self.scale = scale
        self._A = np.array([[1.0, 0.5], [0.2, 0.3]])

    @property
    def A(self):
        return self._A * 2.0

    def __call__(self, w, x):
        return np.tanh(self.A @ x * w) * self.scale

    def loss(self, w, x, y):
        return np.sum((self(w, x) - y) ** 2)

    def loss_in_a_while(self, w, x, n):
        s, i = 0.0, 0
        while i < n:
            s = s + np.sum(self(w, x) * self.twice(w))
            i += 1
        return s

    def loss_through_local_functions(self, w, x):
        def inner(v):
            return self(v, x)
        g = lambda v: self.twice(v) * x  # noqa: E731
        return np.sum(inner(w) * g(w))

    def twice(self, w):
        return w * 2.0

    @classmethod
    def doubled(cls, w):
        return w * 2.0

    def loss_of_a_classmethod(self, w):
        return np.sum(self.doubled(w))  # <- classmethod


NETWORK = Network(1.5)


def loss_of_a_global_network(w, x, y):
    return NETWORK.loss(w, x, y) + np.sum(NETWORK(w, x))


def _network_out(m, w, x):
    return np.tanh(m._A * 2.0 @ x * w) * m.scale


def test_call_property_loops_and_local_functions(strict):
    net = Network(1.5)
    out = _network_out(net, W, X)
    z = net._A * 2.0 @ X
    dout = (1 - np.tanh(z * W) ** 2) * z * net.scale   # d out_i / d w_i
    np.testing.assert_allclose(tl.vjp(net)(W, X, np.ones(2)), dout, rtol=1e-12)
    np.testing.assert_allclose(tl.jvp(net)(W, X, np.ones(2)), dout, rtol=1e-12)
    np.testing.assert_allclose(tl.grad(net.loss)(W, X, Y), 2 * (out - Y) * dout, rtol=1e-12)
    for n in (0, 1, 3):
        np.testing.assert_allclose(tl.grad(net.loss_in_a_while)(W, X, n),
                                   n * (dout * 2 * W + 2 * out), rtol=1e-12)
        tl.check_grads(net.loss_in_a_while, (W, X, n), order=2)
    np.testing.assert_allclose(tl.grad(net.loss_through_local_functions)(W, X),
                               dout * 2 * W * X + out * 2 * X, rtol=1e-12)
    np.testing.assert_allclose(tl.grad(loss_of_a_global_network)(W, X, Y),
                               2 * (out - Y) * dout + dout, rtol=1e-12)
    for f, args in ((net, (W, X)), (net.loss, (W, X, Y)), (loss_of_a_global_network, (W, X, Y)),
                    (net.loss_through_local_functions, (W, X))):
        tl.check_grads(f, args, order=2)


def test_a_classmethod_called_on_self_is_refused_at_its_line():
    with pytest.raises(tl.TransformError, match="`.doubled\\(\\)` is a classmethod of "
                       "`Network`") as info:
        tl.grad(Network(1.0).loss_of_a_classmethod)
    lines, first = __import__("inspect").getsourcelines(Network.loss_of_a_classmethod)
    assert info.value.lineno == first + 1 and "staticmethod" in info.value.hint


# == fix21 (issue #7) ========================================================================
class Fitted:
    def predict(self, w, x):
        return w * x

    def residual(self, w, x, y):
        return self.predict(w, x) - y

    def loss(self, w, x, y):
        return np.sum(self.residual(w, x, y) ** 2)


class Bent(Fitted):
    def predict(self, w, x):
        return np.tanh(w * x)


class BentAgain(Bent):
    pass


class PingPong:
    def ping(self, w, n):
        if n <= 0:
            return w
        return self.pong(w * 1.1, n - 1)  # <- error

    def pong(self, w, n):
        return self.ping(w * 0.9, n)


# Was (fix20, issue #7): `tl.grad(sub.loss)` of a subclass that overrides only `predict`,
# with `loss` (and `residual`, which `loss` calls on self) inherited, was refused when it
# ran (*`.predict()` of this `Bent` is not `Fitted.predict`*). Now the inherited methods
# are derived as the subclass's (calls.method_for_class: a copy named `Bent.loss`, cached
# per class), so `self.predict` is Bent's, two calls down too; the guard stays.
@pytest.mark.parametrize("cls", [Bent, BentAgain, Fitted])
def test_inherited_methods_are_derived_for_the_subclass(cls, strict):
    obj = cls()
    w, x, y = 0.5, np.array([0.3, -0.6, 0.9]), np.array([0.1, 0.2, 0.3])
    p = obj.predict(w, x)
    slope = (1 - p ** 2) * x if cls is not Fitted else x
    for transform in (tl.grad, tl.value_and_grad):
        got = transform(obj.loss)(w, x, y)
        got = got[1] if transform is tl.value_and_grad else got
        np.testing.assert_allclose(got, np.sum(2 * (p - y) * slope), rtol=1e-12)
    np.testing.assert_allclose(tl.jvp(obj.loss)(w, x, y, 1.0), np.sum(2 * (p - y) * slope),
                               rtol=1e-12)
    tl.check_grads(obj.loss, (w, x, y), order=2, modes=("rev", "fwd"))
    assert tl.grad(obj.loss).__func__ is tl.grad(obj.loss).__func__   # (cached)


def test_a_subclass_derivative_keeps_its_guard():
    obj = Bent()
    df = tl.grad(obj.loss)
    x, y = np.array([0.3, -0.6]), np.array([0.1, 0.2])
    df(0.5, x, y)
    obj.predict = lambda w, x: w * x
    with pytest.raises(tl.TransformError, match="the object itself defines another"):
        df(0.5, x, y)


# Mutual recursion of methods: a clear refusal at the recursive call, every mode
@pytest.mark.parametrize("transform", [tl.grad, tl.vjp, tl.jvp])
def test_mutual_recursion_of_methods_is_refused_at_its_call(transform):
    with pytest.raises(tl.TransformError, match="part of a mutual recursion") as info:
        transform(PingPong().ping)
    assert info.value.lineno == PingPong.ping.__code__.co_firstlineno + 3


def applies_a_helper_of_another_module(x):
    return np.sum(other_module.applied_twice(np.sin, x))


def layers_by_a_helper_of_another_module(x):
    return np.sum(other_module.layer(x, 2.0))


# Was (issue #7): a helper of another module that calls a function it is given (or its
# default) was refused at the helper's line, *calling a function held in a local variable
# is not supported*, which names neither the call nor what to do. Now at the call's line,
# naming the helper's line.
@pytest.mark.parametrize("func", [applies_a_helper_of_another_module,
                                  layers_by_a_helper_of_another_module])
@pytest.mark.parametrize("transform", [tl.grad, tl.vjp, tl.jvp])
def test_a_function_given_to_a_helper_of_another_module_is_refused_at_the_call(func, transform):
    with pytest.raises(tl.TransformError) as info:
        transform(func)
    err = info.value
    assert err.filename == __file__ and err.lineno == func.__code__.co_firstlineno + 1
    assert "other_module.py:" in err.reason and "same file" in err.reason
    assert "define" in err.hint


class Regularized(Fitted):
    def __init__(self, lam=0.1):
        self.lam = lam

    def loss(self, w, x, y):
        return super().loss(w, x, y) + self.lam * np.sum(w ** 2)


class RegularizedBent(Regularized):
    def predict(self, w, x):
        return np.tanh(w * x)


class ScaledFitted(Fitted):
    def loss(self, w, x, y):
        return 3.0 * Fitted.loss(self, w, x, y)


class Diamond(Regularized, ScaledFitted):
    pass


# Was (issue #7, a sibling): `super().loss(...)` in a method was refused (*the method
# `.loss()` is not supported*). Now it is the call of the method Python's super() finds,
# `Fitted.loss(self, ...)` (normalize.super_call), derived for the object's class (so a
# subclass's `predict` is the one `Fitted.loss` calls on self), guarded when it runs
# (require_super: a class between them in the object's MRO is refused).
@pytest.mark.parametrize("cls", [Regularized, RegularizedBent])
def test_super_calls_the_base_method_for_the_objects_class(cls, strict):
    obj = cls()
    w, x, y = 0.5, np.array([0.3, -0.6, 0.9]), np.array([0.1, 0.2, 0.3])
    p = obj.predict(w, x)
    slope = (1 - p ** 2) * x if cls is RegularizedBent else x
    want = np.sum(2 * (p - y) * slope) + 0.2 * w
    np.testing.assert_allclose(tl.grad(obj.loss)(w, x, y), want, rtol=1e-12)
    np.testing.assert_allclose(tl.jvp(obj.loss)(w, x, y, 1.0), want, rtol=1e-12)
    tl.check_grads(obj.loss, (w, x, y), order=2, modes=("rev", "fwd"))


def test_super_with_another_class_between_is_refused_when_it_runs():
    w, x, y = 0.5, np.array([0.3, -0.6]), np.array([0.1, 0.2])
    with pytest.raises(tl.TransformError, match="puts another class between") as info:
        tl.grad(Diamond().loss)(w, x, y)
    assert info.value.lineno == Regularized.loss.__code__.co_firstlineno + 1


class Packed(Fitted):
    def packed_loss(self, params, x, y):
        return self.loss(*params, x, y)


# `self.loss(*params, x, y)`: the items of an argument into a method whose positional
# parameters have no defaults (normalize.starred_arity), checked when it runs
def test_star_of_an_argument_into_a_method(strict):
    obj = Packed()
    x, y = np.array([0.3, -0.6, 0.9]), np.array([0.1, 0.2, 0.3])
    got = tl.grad(obj.packed_loss)((0.5,), x, y)
    np.testing.assert_allclose(got[0], np.sum(2 * (0.5 * x - y) * x), rtol=1e-12)
    tl.check_grads(obj.packed_loss, ((0.5,), x, y), order=2, modes=("rev", "fwd"))
    with pytest.raises(TypeError, match="takes 1 more positional argument"):
        tl.grad(obj.packed_loss)((0.5, 1.0), x, y)


# (fix22) A subclass defined in another file than its base class, overriding a method
# the base's method calls: the base's method is derived as the subclass's only where the
# subclass has a global name in the base's module (calls.method_for_class: the generated
# code reads it by that name). Was refused when it ran with *its class `Sub` defines
# another `predict`*, which did not say why; now the error says so and what to do, and
# the workaround it names (a name in the base's module) works.


class SineRegression(other_module.Regression):
    def predict(self, w, x):
        return np.sin(x * w) * self.scale


def test_subclass_of_another_files_class_is_refused_with_the_reason(monkeypatch):
    m, w, x = SineRegression(2.0), np.array([0.3, 0.5]), np.array([1.0, -0.4])
    with pytest.raises(tl.TransformError, match="global name in the module of `Regression`") \
            as info:
        tl.grad(m.loss)(w, x)
    assert "other_module.SineRegression = SineRegression" in info.value.hint
    assert info.value.filename.endswith("other_module.py")
    monkeypatch.setattr(other_module, "SineRegression", SineRegression, raising=False)
    want = 2 * (2 * np.sin(x * w)) * 2 * np.cos(x * w) * x
    for _ in range(2):
        np.testing.assert_allclose(tl.grad(m.loss)(w, x), want, rtol=1e-12)
    tl.check_grads(m.loss, (w, x), order=2, modes=("rev", "fwd"))


# (fix22) A dataclass of parameters in wrt: refused at the field read with the workaround
# (a typing.NamedTuple written as the dataclass is), which works in every mode.
@dataclasses.dataclass
class _DataParams:
    W: np.ndarray
    b: float


class _TupleParams(typing.NamedTuple):
    W: np.ndarray
    b: float


def _loss_of_params(params, x):
    return np.sum(np.tanh(x @ params.W + params.b) ** 2)


def test_dataclass_parameters_are_refused_with_the_namedtuple_workaround():
    x, w = np.array([[0.3, 0.5], [0.1, -0.2]]), np.array([0.4, -0.7])
    for derived in (lambda p: tl.grad(_loss_of_params)(p, x),
                    lambda p: tl.vjp(_loss_of_params)(p, x, 1.0),
                    lambda p: tl.jvp(_loss_of_params)(p, x, p)):
        with pytest.raises(tl.TransformError, match="of a dataclass") as info:
            derived(_DataParams(w, 0.2))
        assert "class _DataParams(typing.NamedTuple): W:" in info.value.hint
        assert info.value.lineno == _loss_of_params.__code__.co_firstlineno + 1
    p = _TupleParams(w, 0.2)
    for _ in range(2):
        g = tl.grad(_loss_of_params)(p, x)
        assert type(g) is _TupleParams and type(g.b) is float
    tl.check_grads(_loss_of_params, (p, x), order=2, modes=("rev", "fwd"))
    np.testing.assert_allclose(tl.grad(_loss_of_params, wrt=1)(_DataParams(w, 0.2), x),
                               tl.grad(_loss_of_params, wrt=1)(p, x))
