from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 4

@test_case(points=None, hidden=False)
def test_worked_example_in_torch(conv2d_torch):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(conv2d_torch, 'conv2d_torch', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_conv2d_torch
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 1, 2, 2)
    check_conv2d_torch(conv2d_torch, x, w, np.array([1.0]))

@test_case(points=None, hidden=False)
def test_matches_conv2d_on_the_cpu(conv2d_torch):
    import numpy as np
    from exercise_checks import check_conv2d_torch, random_array
    rng = np.random.default_rng(415)
    x, w, b = (random_array(rng, 2, 3, 9, 7), random_array(rng, 4, 3, 3, 3), random_array(rng, 4))
    check_conv2d_torch(conv2d_torch, x, w, b, stride=(1, 2), padding=(2, 1))
    check_conv2d_torch(conv2d_torch, x, w, None, stride=2, padding=0, dtype='float32')

