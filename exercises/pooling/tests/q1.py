from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 12

@test_case(points=None, hidden=False)
def test_quiz_feature_map(max_pool2d):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(max_pool2d, 'max_pool2d', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_pool2d
    fmap = np.array([[12, 20, 30, 0], [20, 12, 2, 0], [0, 70, 5, 2], [8, 2, 90, 3]], dtype=float)[None, None]
    check_pool2d(max_pool2d, 'max', fmap, 2, expected=[[[[20, 30], [70, 90]]]])

@test_case(points=None, hidden=False)
def test_depth_slice_example(max_pool2d):
    import numpy as np
    from exercise_checks import check_pool2d
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)[None, None]
    check_pool2d(max_pool2d, 'max', x, 2, stride=2, expected=[[[[6, 8], [3, 4]]]])

@test_case(points=None, hidden=False)
def test_overlapping_windows(max_pool2d):
    import numpy as np
    from exercise_checks import check_pool2d
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    check_pool2d(max_pool2d, 'max', x, 2, stride=1, expected=[[[[4, 5], [7, 8]]]])

@test_case(points=None, hidden=False)
def test_channels_pooled_separately(max_pool2d):
    import numpy as np
    from exercise_checks import check_pool2d
    x = np.arange(2 * 3 * 4 * 4, dtype=float).reshape(2, 3, 4, 4) % 7
    check_pool2d(max_pool2d, 'max', x, 2)

@test_case(points=None, hidden=False)
def test_max_default_stride_is_the_kernel_size_locally(max_pool2d):
    from exercise_checks import fresh_rng
    from exercise_checks import check_pool2d, random_array
    rng = fresh_rng(16)
    x = random_array(rng, 2, 3, 6, 8)
    check_pool2d(max_pool2d, 'max', x, 2)
    check_pool2d(max_pool2d, 'max', x, 3, stride=None)

