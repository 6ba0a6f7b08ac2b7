from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 6

@test_case(points=None, hidden=False)
def test_overlapping_windows(avg_pool2d_backward):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(avg_pool2d_backward, 'avg_pool2d_backward', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_pool2d_backward
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    check_pool2d_backward(avg_pool2d_backward, 'avg', np.ones((1, 1, 2, 2)), x, 2, stride=1)

@test_case(points=None, hidden=False)
def test_default_stride(avg_pool2d_backward):
    import numpy as np
    from exercise_checks import check_pool2d_backward, random_array
    rng = np.random.default_rng(6)
    check_pool2d_backward(avg_pool2d_backward, 'avg', random_array(rng, 2, 3, 2, 3), random_array(rng, 2, 3, 4, 6), 2)

