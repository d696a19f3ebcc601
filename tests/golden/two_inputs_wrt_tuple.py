def dtwo_inputsdx_y(x, y, bout=1.0):
    # x, y are differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    if type(y) is not float:
        require_real(y, 'y')
    # golden_functions.py:21: z = np.sin(x) * y
    t1 = np.sin(x)
    z = t1 * y
    # adjoint of golden_functions.py:22: return np.sum(z)
    bz = bout + np.zeros(np.shape(z), dtype=np.result_type(np.asarray(z), bout))
    # adjoint of golden_functions.py:21: z = np.sin(x) * y
    bt1 = unbroadcast(bz * y, x)
    by = unbroadcast(bz * t1, y)
    bx = bt1 * np.cos(x)
    return (cast_back(bx, x), cast_back(by, y))
