def value_and_dtanh_sumdx(x, bout=1.0):
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    # golden_functions.py:11: y = np.tanh(x)
    y = np.tanh(x)
    # golden_functions.py:12: return np.sum(y)
    out = np.sum(y)
    # adjoint of golden_functions.py:12: return np.sum(y)
    by = bout + np.zeros(np.shape(x), dtype=np.result_type(np.asarray(y), bout))
    # adjoint of golden_functions.py:11: y = np.tanh(x)
    bx = by * (1.0 - y * y)
    return (out, cast_back(bx, x))
