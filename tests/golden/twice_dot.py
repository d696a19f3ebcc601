def dtwice_dotdx(x, by=1.0):
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    # golden_functions.py:16: y = 2 * np.dot(x, x)
    t1 = np.dot(x, x)
    y = 2 * t1
    # golden_functions.py:17: return y
    require_scalar(y, source_file, 17)
    # adjoint of golden_functions.py:16: y = 2 * np.dot(x, x)
    bt1 = by * 2
    bx = dot_grad_left(bt1, x, x) + dot_grad_right(bt1, x, x)
    return cast_back(bx, x)
