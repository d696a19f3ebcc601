def delementwise_productdx_y(x, y, bout):
    # x, y are differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    if type(y) is not float:
        require_real(y, 'y')
    # golden_functions.py:37: return x * np.exp(y)
    t1 = np.exp(y)
    out = x * t1
    require_seed(out, bout)
    # adjoint of golden_functions.py:37: return x * np.exp(y)
    bx = unbroadcast(bout * t1, x)
    bt1 = unbroadcast(bout * x, y)
    by = bt1 * t1
    return (cast_back(bx, x), cast_back(by, y))
