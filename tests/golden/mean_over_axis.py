def dmean_over_axisdx(x, bout=1.0):
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    # golden_functions.py:32: m = np.mean(x, axis=0)
    m = np.mean(x, axis=0)
    # golden_functions.py:33: return np.sum(m ** 2)
    t1 = m ** 2
    # adjoint of golden_functions.py:33: return np.sum(m ** 2)
    bt1 = bout + np.zeros(np.shape(t1), dtype=np.result_type(np.asarray(t1), bout))
    bm = bt1 * 2 * m
    # adjoint of golden_functions.py:32: m = np.mean(x, axis=0)
    bx = np.full(np.shape(x), np.expand_dims(bm, 0) * quotient(np.size(m), np.size(x)), dtype=np.result_type(np.asarray(x), bm))
    return cast_back(bx, x)
