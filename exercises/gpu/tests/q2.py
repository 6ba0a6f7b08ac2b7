from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 2

@test_case(points=None, hidden=False)
def test_no_loop_over_pixels(conv2d_im2col):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(conv2d_im2col, 'conv2d_im2col', FORBIDDEN)
    import numpy as np
    import torch
    import torch.nn.functional as F
    from exercise_checks import alternating_medians, check_conv2d_named, random_array
    rng = np.random.default_rng(7500)
    x, w = (random_array(rng, 2, 3, 64, 64), random_array(rng, 2, 3, 3, 3))
    check_conv2d_named('conv2d_im2col', conv2d_im2col, x, w)
    tx, tw = (torch.from_numpy(x), torch.from_numpy(w))
    builtin, yours = alternating_medians([lambda: F.conv2d(tx, tw), lambda: conv2d_im2col(x, w)], repeats=3, calls=[5, 5])
    if yours > 100 * builtin:
        raise AssertionError(f"conv2d_im2col(x (2, 3, 64, 64), w (2, 3, 3, 3)) took {yours * 1000.0:.1f} ms, {yours / builtin:.0f} times as long as torch's F.conv2d ({builtin * 1000.0:.2f} ms); at most 100 times is expected: no Python loop over the output pixels")

