"""tangentlike: automatic differentiation of Python and NumPy by source transformation.

    import tangentlike as tl

    @tl.grad
    def f(x):
        return np.sum(np.tanh(x))

    f(np.ones(3))        # the gradient
    print(f.source)      # the generated derivative code
"""
from .api import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .errors import TransformError
from .rules import adjoint, nondifferentiable, tangent
from .runtime import no_grad, stop_gradient
from .template import d

__version__ = "0.1.0"


def __getattr__(name):
    """``check_grads`` and ``supported``, imported on first use: most programs use
    neither, and without a bytecode cache every module imported is compiled first."""
    if name == "check_grads":
        from .check import check_grads as found
    elif name == "supported":
        from .coverage import supported as found
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = found
    return found


__all__ = ["grad", "value_and_grad", "vjp", "jvp", "hvp", "jacobian", "hessian", "check_grads",
           "stop_gradient", "no_grad", "TransformError", "supported", "adjoint", "tangent",
           "nondifferentiable", "d"]
