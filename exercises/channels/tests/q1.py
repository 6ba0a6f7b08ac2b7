from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 14

@test_case(points=None, hidden=False)
def test_two_input_channels_give_56(conv2d):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(conv2d, 'conv2d', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_conv2d
    x = np.stack([np.arange(9.0).reshape(3, 3), np.arange(1.0, 10).reshape(3, 3)])[None]
    w = np.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]], dtype=float)[None]
    check_conv2d(conv2d, x, w, expected=[[[[56, 72], [104, 120]]]])

@test_case(points=None, hidden=False)
def test_three_filters_and_a_bias(conv2d):
    import numpy as np
    from exercise_checks import check_conv2d
    x = np.stack([np.arange(9.0).reshape(3, 3), np.arange(1.0, 10).reshape(3, 3)])[None]
    K = np.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]], dtype=float)
    w = np.stack([K, K + 1, K + 2])
    b = np.array([1.0, 0.0, -1.0])
    check_conv2d(conv2d, x, w, b, expected=[[[[57, 73], [105, 121]], [[76, 100], [148, 172]], [[95, 127], [191, 223]]]])

@test_case(points=None, hidden=False)
def test_batch_stride_and_padding(conv2d):
    import numpy as np
    from exercise_checks import check_conv2d
    x = np.arange(2 * 1 * 4 * 5, dtype=float).reshape(2, 1, 4, 5)
    w = np.ones((1, 1, 3, 3))
    check_conv2d(conv2d, x, w, stride=(2, 3), padding=1, expected=[[[[12, 33], [63, 117]]], [[[92, 153], [183, 297]]]])

@test_case(points=None, hidden=False)
def test_matches_torch_on_a_random_layer(conv2d):
    import numpy as np
    from exercise_checks import check_conv2d, random_array
    rng = np.random.default_rng(56)
    x, w, b = (random_array(rng, 2, 3, 6, 7), random_array(rng, 4, 3, 3, 2), random_array(rng, 4))
    check_conv2d(conv2d, x, w, b, stride=(1, 2), padding=(1, 0))

