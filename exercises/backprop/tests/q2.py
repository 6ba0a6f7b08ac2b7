from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 7

@test_case(points=None, hidden=False)
def test_lecture_ties_and_overlap(max_pool2d_backward):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(max_pool2d_backward, 'max_pool2d_backward', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_pool2d_backward
    x = np.array([[1.0, 3, 3], [3, 0, 3], [1, 1, 1]])[None, None]
    check_pool2d_backward(max_pool2d_backward, 'max', np.ones((1, 1, 2, 2)), x, 2, stride=1)

@test_case(points=None, hidden=False)
def test_default_stride(max_pool2d_backward):
    import numpy as np
    from exercise_checks import check_pool2d_backward, random_array
    rng = np.random.default_rng(5)
    check_pool2d_backward(max_pool2d_backward, 'max', random_array(rng, 2, 3, 2, 3), random_array(rng, 2, 3, 4, 6), 2)

