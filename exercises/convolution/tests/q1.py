from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 8

@test_case(points=None, hidden=False)
def test_worked_example(corr2d):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(corr2d, 'corr2d', FORBIDDEN)
    import numpy as np
    from exercise_checks import expect_array
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    expect_array(corr2d(X, K), [[19, 25], [37, 43]], 'corr2d(np.arange(9.0).reshape(3, 3), [[0, 1], [2, 3]])')

@test_case(points=None, hidden=False)
def test_horizontal_edge_example(corr2d):
    import numpy as np
    from exercise_checks import expect_array
    image = np.array([[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]], dtype=float)
    edge = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], dtype=float)
    expect_array(corr2d(image, edge), [[-4, -3], [3, -8]], 'corr2d(the 4x4 image of the lecture, the horizontal-edge kernel)')

@test_case(points=None, hidden=False)
def test_non_square_image(corr2d):
    import numpy as np
    from exercise_checks import expect_array
    X = np.arange(12.0).reshape(3, 4)
    K = np.array([[1.0, 0.0], [0.0, -1.0]])
    expect_array(corr2d(X, K), np.full((2, 3), -5.0), 'corr2d(np.arange(12.0).reshape(3, 4), [[1, 0], [0, -1]])')

