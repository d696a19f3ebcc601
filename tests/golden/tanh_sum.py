def dtanh_sumdx(x, bout=1.0):
    # golden_functions.py:11: y = np.tanh(x)
    y = np.tanh(x)
    # adjoint of golden_functions.py:12: return np.sum(y)
    by = bout + np.zeros(np.shape(x), dtype=np.result_type(y, bout))
    # adjoint of golden_functions.py:11: y = np.tanh(x)
    bx = by * (1.0 - y * y)
    return bx
