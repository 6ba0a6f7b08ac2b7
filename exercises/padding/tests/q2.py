from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 10

@test_case(points=None, hidden=False)
def test_3x3_padded_by_1_with_2x2_kernel(corr2d_padded):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(corr2d_padded, 'corr2d_padded', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_corr2d_sp
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    want = [[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]]
    check_corr2d_sp(corr2d_padded, 'corr2d_padded', X, K, padding=1, expected=want)

@test_case(points=None, hidden=False)
def test_strides_3_and_2_with_padding_1(corr2d_padded):
    import numpy as np
    from exercise_checks import check_corr2d_sp
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    check_corr2d_sp(corr2d_padded, 'corr2d_padded', X, K, stride=(3, 2), padding=1, expected=[[0, 8], [6, 8]])

@test_case(points=None, hidden=False)
def test_same_size_and_defaults(corr2d_padded):
    import numpy as np
    from exercise_checks import check_corr2d_sp
    X = np.arange(49.0).reshape(7, 7) % 5
    K = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    check_corr2d_sp(corr2d_padded, 'corr2d_padded', X, K, stride=1, padding=1)
    check_corr2d_sp(corr2d_padded, 'corr2d_padded', X, K)

