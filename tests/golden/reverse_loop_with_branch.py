def dloop_with_branchdx(x, n, bout=1.0):
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    stack = []
    no_grad_stack = []
    t1 = None
    # golden_functions.py:41: for i in range(n): ...
    for i in range(n):
        # golden_functions.py:42: if x > 1.0: ...
        no_grad_stack.append(t1)
        t1 = x > 1.0
        if t1:
            # golden_functions.py:43: x = x * 0.5
            t2 = x * 0.5
            stack.append(x)
            x = t2
        else:
            # golden_functions.py:45: x = np.sin(x) + x
            t3 = np.sin(x)
            t4 = t3 + x
            stack.append(x)
            x = t4
    # golden_functions.py:46: return x
    require_scalar(x, source_file, 46)
    # adjoint of golden_functions.py:46: return x
    bx = bout
    # adjoint of golden_functions.py:41: for i in range(n): ...
    for i in reversed(range(n)):
        # adjoint of golden_functions.py:42: if x > 1.0: ...
        if t1:
            # adjoint of golden_functions.py:43: x = x * 0.5
            x = stack.pop()
            bx = bx * 0.5
        else:
            # adjoint of golden_functions.py:45: x = np.sin(x) + x
            x = stack.pop()
            bx = bx + bx * np.cos(x)
        t1 = no_grad_stack.pop()
    return cast_back(shaped(bx, x), x)
