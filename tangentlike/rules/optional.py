"""Functions that only some versions of NumPy (or an optional SciPy) provide."""


def optional(module, *names) -> tuple:
    """The attributes of ``module`` among ``names`` that exist (none if module is None),
    so that ``@adjoint(*optional(np, "unstack"))`` registers nothing on an old NumPy."""
    if module is None:
        return ()
    return tuple(getattr(module, n) for n in names if hasattr(module, n))
