from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 10

@test_case(points=None, hidden=False)
def test_stride_1_is_plain_cross_correlation(corr2d_strided):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(corr2d_strided, 'corr2d_strided', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_corr2d_sp
    image = np.array([[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]], dtype=float)
    edge = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], dtype=float)
    check_corr2d_sp(corr2d_strided, 'corr2d_strided', image, edge, expected=[[-4, -3], [3, -8]])

@test_case(points=None, hidden=False)
def test_7x7_with_stride_2_and_3(corr2d_strided):
    import numpy as np
    from exercise_checks import check_corr2d_sp
    X = np.arange(49.0).reshape(7, 7)
    K = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    check_corr2d_sp(corr2d_strided, 'corr2d_strided', X, K, stride=2)
    check_corr2d_sp(corr2d_strided, 'corr2d_strided', X, K, stride=3)

@test_case(points=None, hidden=False)
def test_strides_3_and_2_for_height_and_width(corr2d_strided):
    import numpy as np
    from exercise_checks import check_corr2d_sp
    padded = np.array([[0, 0, 0, 0, 0], [0, 0, 1, 2, 0], [0, 3, 4, 5, 0], [0, 6, 7, 8, 0], [0, 0, 0, 0, 0]], dtype=float)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    check_corr2d_sp(corr2d_strided, 'corr2d_strided', padded, K, stride=(3, 2), expected=[[0, 8], [6, 8]])

@test_case(points=None, hidden=False)
def test_integer_inputs_give_float_output_locally(corr2d_strided):
    import numpy as np
    from exercise_checks import check_corr2d_sp, check_float_output
    X = np.arange(42).reshape(6, 7)
    K = np.array([[1, -2], [0, 3]])
    check_float_output(corr2d_strided, 'corr2d_strided(integer image (6, 7), integer kernel (2, 2), stride=2)', X, K, stride=2)
    check_corr2d_sp(corr2d_strided, 'corr2d_strided', X, K / 4, stride=(2, 3))

