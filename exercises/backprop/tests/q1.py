from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 9

@test_case(points=None, hidden=False)
def test_lecture_example(conv2d_backward):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(conv2d_backward, 'conv2d_backward', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_conv2d_backward
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[0.0, 1], [2, 3]]).reshape(1, 1, 2, 2)
    dout = np.array([[1.0, 2], [3, 4]]).reshape(1, 1, 2, 2)
    check_conv2d_backward(conv2d_backward, dout, x, w)

@test_case(points=None, hidden=False)
def test_batch_and_channels(conv2d_backward):
    import numpy as np
    from exercise_checks import check_conv2d_backward, random_array
    rng = np.random.default_rng(1)
    check_conv2d_backward(conv2d_backward, random_array(rng, 2, 3, 3, 4), random_array(rng, 2, 2, 5, 6), random_array(rng, 3, 2, 3, 3))

@test_case(points=None, hidden=False)
def test_stride_and_padding(conv2d_backward):
    import numpy as np
    from exercise_checks import check_conv2d_backward, random_array
    rng = np.random.default_rng(2)
    check_conv2d_backward(conv2d_backward, random_array(rng, 1, 2, 3, 3), random_array(rng, 1, 1, 5, 5), random_array(rng, 2, 1, 3, 3), stride=2, padding=1)

