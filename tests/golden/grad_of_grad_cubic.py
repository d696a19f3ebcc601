def ddcubicdxdx(x, bout=1.0, bout_1=1.0):
    # x is differentiated: refuse an integer there (it has no derivative)
    if type(x) is not float:
        require_real(x, 'x')
    # dcubicdx:7: t1 = x ** 3
    t1 = x ** 3
    # dcubicdx:8: t2 = np.sin(x)
    t2 = np.sin(x)
    # dcubicdx:9: out = t1 + t2
    out = t1 + t2
    # dcubicdx:10: require_scalar(out, source_file, 50)
    require_scalar(out, source_file, 50)
    # dcubicdx:12: bx = bout * np.cos(x)
    t3 = np.cos(x)
    bx = bout * t3
    # dcubicdx:13: bx = bx + bout * 3 * x ** 2
    t4 = bout * 3
    t5 = x ** 2
    t6 = t4 * t5
    bx_1 = bx + t6
    # dcubicdx:14: return cast_back(bx, x)
    out_1 = cast_back(bx_1, x)
    require_scalar(out_1, source_file, 49, True)
    # adjoint of dcubicdx:14: return cast_back(bx, x)
    bbx_1 = cast_back(bout_1, bx_1)
    # adjoint of dcubicdx:13: bx = bx + bout * 3 * x ** 2
    bbx = unbroadcast(bbx_1, bx)
    bt6 = unbroadcast(bbx_1, t6)
    bt5 = unbroadcast(bt6 * t4, x)
    bx_2 = bt5 * 2 * x
    # adjoint of dcubicdx:12: bx = bout * np.cos(x)
    bt3 = unbroadcast(bbx * bout, x)
    bx_2 = bx_2 - bt3 * np.sin(x)
    return cast_back(bx_2, x)
