def dscaled_with_defaultdx(x, scale=NOT_GIVEN, bout=NOT_GIVEN):
    # the seed comes last: scale may be left out (then it takes its default)
    if bout is not NOT_GIVEN:
        scale_1 = scale
        if scale is NOT_GIVEN:
            scale_1 = 2.0
        bout_1 = bout
    elif scale is not NOT_GIVEN:
        scale_1 = 2.0
        bout_1 = scale
    else:
        missing_argument('dscaled_with_defaultdx', 'bout')
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    # golden_functions.py:54: return scale * np.sin(x)
    t1 = np.sin(x)
    out = scale_1 * t1
    require_seed(out, bout_1)
    # adjoint of golden_functions.py:54: return scale * np.sin(x)
    bt1 = unbroadcast(bout_1 * scale_1, x)
    bx = bt1 * np.cos(x)
    return cast_back(bx, x)
