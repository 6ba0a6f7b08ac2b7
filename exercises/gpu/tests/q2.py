from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 2

@test_case(points=None, hidden=False)
def test_no_loop_over_pixels(conv2d_im2col):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(conv2d_im2col, 'conv2d_im2col', FORBIDDEN)
    import numpy as np
    from exercise_checks import alternating_medians, check_conv2d_named, random_array
    rng = np.random.default_rng(7500)
    x, w = (random_array(rng, 2, 3, 64, 64), random_array(rng, 2, 3, 3, 3))
    check_conv2d_named('conv2d_im2col', conv2d_im2col, x, w)
    weights, columns = (w.reshape(2, -1), random_array(rng, 27, 2 * 62 * 62))
    product, yours = alternating_medians([lambda: weights @ columns, lambda: conv2d_im2col(x, w)], repeats=3, calls=[5, 5])
    if yours > 50 * product:
        raise AssertionError(f'conv2d_im2col(x (2, 3, 64, 64), w (2, 3, 3, 3)) took {yours * 1000.0:.1f} ms, {yours / product:.0f} times as long as the one matrix product it needs ({product * 1000.0:.2f} ms); at most 50 times is expected: no Python loop over the output pixels')

