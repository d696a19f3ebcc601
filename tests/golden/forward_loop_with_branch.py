def dloop_with_branchdx_jvp(x, n, dx):
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    # n is constant: refuse a complex value there (the real rules would give a wrong derivative)
    if type(n) is not float:
        refuse_complex(n, 'n')
    # dx must be shaped like x (a smaller tangent would broadcast)
    if type(dx) is not float or type(x) is not float:
        dx = require_tangent(dx, x, 'x')
    # golden_functions.py:41: for i in range(n): ...
    for i in range(n):
        # golden_functions.py:42: if x > 1.0: ...
        t1 = x > 1.0
        if t1:
            # golden_functions.py:43: x = x * 0.5
            t2 = x * 0.5
            dt2 = dx * 0.5
            x = t2
            dx = dt2
        else:
            # golden_functions.py:45: x = np.sin(x) + x
            t3 = np.sin(x)
            dt3 = asarray(dx) * np.cos(x)
            t4 = t3 + x
            dt4 = dt3 + dx
            x = t4
            dx = dt4
    return cast_back(dx, x)
