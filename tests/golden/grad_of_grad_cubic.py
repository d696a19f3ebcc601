def ddcubicdxdx(x, bout=1.0, bbx_1=1.0):
    # dcubicdx:4: t1 = x ** 3
    t1 = x ** 3
    # dcubicdx:5: t2 = np.sin(x)
    t2 = np.sin(x)
    # dcubicdx:6: out = t1 + t2
    out = t1 + t2
    # dcubicdx:7: require_scalar(out)
    require_scalar(out)
    # dcubicdx:9: bx = bout * np.cos(x)
    t3 = np.cos(x)
    bx = bout * t3
    # dcubicdx:10: bx = bx + bout * 3 * x ** 2
    t4 = bout * 3
    t5 = x ** 2
    t6 = t4 * t5
    bx_1 = bx + t6
    # dcubicdx:11: return bx
    require_scalar(bx_1)
    # adjoint of dcubicdx:10: bx = bx + bout * 3 * x ** 2
    bbx = unbroadcast(bbx_1, bx)
    bt6 = unbroadcast(bbx_1, t6)
    bt5 = unbroadcast(bt6 * t4, x)
    bx_2 = bt5 * 2 * x
    # adjoint of dcubicdx:9: bx = bout * np.cos(x)
    bt3 = unbroadcast(bbx * bout, x)
    bx_2 = bx_2 + -bt3 * np.sin(x)
    return bx_2
