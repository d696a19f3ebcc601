def dcomprehensiondx(x, bout=1.0):
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    no_grad_stack = []
    t2 = None
    # golden_functions.py:62: ys = [np.sin(v) * k for k, v in enumerate(x) if v > 0.0]
    ys = []
    require_sequence(x, source_file, 62)
    t1 = len(x)
    for k in range(t1):
        v = x[k]
        no_grad_stack.append(t2)
        t2 = v > 0.0
        if t2:
            t3 = np.sin(v)
            t4 = t3 * k
            ys.append(t4)
    # golden_functions.py:63: return sum(ys)
    t5 = list(ys)
    out = sum(t5)
    require_scalar(out, source_file, 63)
    # adjoint of golden_functions.py:63: return sum(ys)
    bys = []
    bt5 = spread(bout, t5)
    bys_1 = like(bt5, ys)
    # adjoint of golden_functions.py:62: ys = [np.sin(v) * k for k, v in enumerate(x) if v > 0.0]
    bys = add_grads(bys, bys_1)
    bx = 0.0
    for k in reversed(range(t1)):
        # golden_functions.py:62: ys = [np.sin(v) * k for k, v in enumerate(x) if v > 0.0]
        v = x[k]
        # adjoint of golden_functions.py:62: ys = [np.sin(v) * k for k, v in enumerate(x) if v > 0.0]
        if t2:
            bt4_ = bys.pop() if bys else 0.0
            bt3 = bt4_ * k
            bv = bt3 * np.cos(v)
        else:
            bv = 0.0
        t2 = no_grad_stack.pop()
        bx = add_grads(bx, add_at_item(broadcast_like(bv, v), x, k))
    return cast_back(shaped(bx, x), x)
