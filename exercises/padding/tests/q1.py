from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 9

@test_case(points=None, hidden=False)
def test_3x3_padded_by_1(pad2d):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(pad2d, 'pad2d', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_pad2d
    want = [[0, 0, 0, 0, 0], [0, 0, 1, 2, 0], [0, 3, 4, 5, 0], [0, 6, 7, 8, 0], [0, 0, 0, 0, 0]]
    check_pad2d(pad2d, np.arange(9.0).reshape(3, 3), 1, expected=want)

@test_case(points=None, hidden=False)
def test_photo_patch_padded_by_1(pad2d):
    import numpy as np
    from exercise_checks import check_pad2d
    patch = np.array([[60, 113, 56, 139, 85], [73, 121, 54, 84, 128], [131, 99, 70, 129, 127], [80, 57, 115, 69, 134], [104, 126, 123, 95, 130]], dtype=float)
    want = np.zeros((7, 7))
    want[1:6, 1:6] = patch
    check_pad2d(pad2d, patch, 1, expected=want)

@test_case(points=None, hidden=False)
def test_different_padding_per_axis(pad2d):
    import numpy as np
    from exercise_checks import check_pad2d
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    want = [[0, 0, 0, 0, 0, 0, 0], [0, 0, 1, 2, 3, 0, 0], [0, 0, 4, 5, 6, 0, 0], [0, 0, 0, 0, 0, 0, 0]]
    check_pad2d(pad2d, X, (1, 2), expected=want)

@test_case(points=None, hidden=False)
def test_unequal_pairs_and_zero_locally(pad2d):
    from exercise_checks import fresh_rng
    from exercise_checks import check_pad2d, random_array
    rng = fresh_rng(7643)
    X = random_array(rng, 4, 6)
    for padding in [(2, 1), (0, 3), (3, 0), 0, (0, 0)]:
        check_pad2d(pad2d, X, padding)

@test_case(points=None, hidden=False)
def test_integer_image_gives_float_output_locally(pad2d):
    import numpy as np
    from exercise_checks import check_float_output, check_pad2d
    X = np.arange(12).reshape(3, 4)
    check_float_output(pad2d, 'pad2d(integer image (3, 4), 2)', X, 2)
    check_pad2d(pad2d, X, (2, 1))

