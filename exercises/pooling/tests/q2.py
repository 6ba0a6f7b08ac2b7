from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 11

@test_case(points=None, hidden=False)
def test_quiz_feature_map(avg_pool2d):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(avg_pool2d, 'avg_pool2d', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_pool2d
    fmap = np.array([[12, 20, 30, 0], [20, 12, 2, 0], [0, 70, 5, 2], [8, 2, 90, 3]], dtype=float)[None, None]
    check_pool2d(avg_pool2d, 'avg', fmap, 2, expected=[[[[16, 8], [20, 25]]]])

@test_case(points=None, hidden=False)
def test_depth_slice_example(avg_pool2d):
    import numpy as np
    from exercise_checks import check_pool2d
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)[None, None]
    check_pool2d(avg_pool2d, 'avg', x, 2, stride=2, expected=[[[[3.25, 5.25], [2, 2]]]])

@test_case(points=None, hidden=False)
def test_overlapping_windows(avg_pool2d):
    import numpy as np
    from exercise_checks import check_pool2d
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    check_pool2d(avg_pool2d, 'avg', x, 2, stride=1, expected=[[[[2, 3], [5, 6]]]])

@test_case(points=None, hidden=False)
def test_channels_pooled_separately(avg_pool2d):
    import numpy as np
    from exercise_checks import check_pool2d
    x = np.arange(2 * 3 * 4 * 4, dtype=float).reshape(2, 3, 4, 4) % 7
    check_pool2d(avg_pool2d, 'avg', x, 2)

@test_case(points=None, hidden=False)
def test_random_avg_pools_against_torch_locally(avg_pool2d):
    from exercise_checks import fresh_rng
    from exercise_checks import check_pool2d, random_array
    rng = fresh_rng(2025)
    for _ in range(6):
        N, C = (rng.integers(1, 4), rng.integers(1, 4))
        kernel = tuple((int(v) for v in rng.integers(1, 4, size=2)))
        x = random_array(rng, N, C, kernel[0] + rng.integers(0, 8), kernel[1] + rng.integers(0, 8))
        check_pool2d(avg_pool2d, 'avg', x, kernel)
        check_pool2d(avg_pool2d, 'avg', x, kernel, stride=tuple((int(v) for v in rng.integers(1, 4, size=2))))

