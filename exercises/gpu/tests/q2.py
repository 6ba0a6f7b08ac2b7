from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 2

@test_case(points=None, hidden=False)
def test_no_loop_over_pixels(conv2d_im2col):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(conv2d_im2col, 'conv2d_im2col', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_conv2d_named, expect_no_pixel_loop, random_array
    rng = np.random.default_rng(7500)
    x, w = (random_array(rng, 1, 2, 150, 200), random_array(rng, 2, 2, 3, 3))
    check_conv2d_named('conv2d_im2col', conv2d_im2col, x, w)
    expect_no_pixel_loop(conv2d_im2col, x, w)

