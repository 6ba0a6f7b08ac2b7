from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 6

@test_case(points=None, hidden=False)
def test_worked_example(conv2d_im2col):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(conv2d_im2col, 'conv2d_im2col', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_conv2d_named
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 1, 2, 2)
    check_conv2d_named('conv2d_im2col', conv2d_im2col, x, w)
    check_conv2d_named('conv2d_im2col', conv2d_im2col, x, w, np.array([1.0]))

@test_case(points=None, hidden=False)
def test_two_input_channels(conv2d_im2col):
    import numpy as np
    from exercise_checks import expect_array
    x = np.stack([np.arange(9.0).reshape(3, 3), np.arange(1.0, 10.0).reshape(3, 3)])[None]
    w = np.stack([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])[None]
    expect_array(conv2d_im2col(x, w), [[[[56, 72], [104, 120]]]], 'conv2d_im2col(x (1, 2, 3, 3), w (1, 2, 2, 2)) of the two-channel example')

@test_case(points=None, hidden=False)
def test_batch_channels_stride_padding(conv2d_im2col):
    import numpy as np
    from exercise_checks import check_conv2d_named, random_array
    rng = np.random.default_rng(2012)
    x, w, b = (random_array(rng, 2, 3, 7, 9), random_array(rng, 4, 3, 3, 2), random_array(rng, 4))
    check_conv2d_named('conv2d_im2col', conv2d_im2col, x, w, b, stride=(2, 1), padding=(1, 2))

