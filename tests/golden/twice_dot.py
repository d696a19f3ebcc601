def dtwice_dotdx(x, by=1.0):
    # golden_functions.py:16: y = 2 * np.dot(x, x)
    t1 = np.dot(x, x)
    y = 2 * t1
    # golden_functions.py:17: return y
    require_scalar(y)
    # adjoint of golden_functions.py:16: y = 2 * np.dot(x, x)
    bt1 = by * 2
    g = np.reshape(bt1, product_shape(x, x))
    bx = np.reshape(np.dot(g, np.transpose(as_column(x))), np.shape(x))
    bx = bx + np.reshape(np.dot(np.transpose(as_row(x)), g), np.shape(x))
    return bx
