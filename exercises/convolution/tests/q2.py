from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 5

@test_case(points=None, hidden=False)
def test_worked_example(convolve2d):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(convolve2d, 'convolve2d', FORBIDDEN)
    import numpy as np
    from exercise_checks import expect_array
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    expect_array(convolve2d(X, K), [[5, 11], [23, 29]], 'convolve2d(np.arange(9.0).reshape(3, 3), [[0, 1], [2, 3]])')

@test_case(points=None, hidden=False)
def test_horizontal_edge_example(convolve2d):
    import numpy as np
    from exercise_checks import expect_array
    image = np.array([[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]], dtype=float)
    edge = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], dtype=float)
    expect_array(convolve2d(image, edge), [[4, 3], [-3, 8]], 'convolve2d(the 4x4 image of the lecture, the horizontal-edge kernel)')

