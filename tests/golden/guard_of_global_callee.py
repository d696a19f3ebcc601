def dcalls_helperdx(x, bout=1.0):
    # derived for the cubic it calls: if cubic was rebound or given other code since, derive again
    if cubic is not cubic_when_derived or cubic.__code__ is not cubic_code_when_derived:
        return rederived(x, bout)
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    # golden_functions.py:58: return np.sum(cubic(x))
    t1 = cubic(x)
    # adjoint of golden_functions.py:58: return np.sum(cubic(x))
    bt1 = bout + np.zeros(np.shape(t1), dtype=np.result_type(np.asarray(t1), bout))
    bx = dcubicdx(x, bt1)[0]
    return cast_back(bx, x)
