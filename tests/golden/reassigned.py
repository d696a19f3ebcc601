def dreassigneddx(x, bout=1.0):
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    # golden_functions.py:26: x = x * 2
    x_1 = x * 2
    # golden_functions.py:27: x = np.sin(x)
    x_2 = np.sin(x_1)
    # adjoint of golden_functions.py:28: return np.sum(x)
    bx_2 = bout + np.zeros(np.shape(x), dtype=np.result_type(np.asarray(x_2), bout))
    # adjoint of golden_functions.py:27: x = np.sin(x)
    bx_1 = bx_2 * np.cos(x_1)
    # adjoint of golden_functions.py:26: x = x * 2
    bx = bx_1 * 2
    return cast_back(bx, x)
