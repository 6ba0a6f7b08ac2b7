from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 9

@test_case(points=None, hidden=False)
def test_down_and_right(shift_image):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(shift_image, 'shift_image', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_shift_image, expect_array
    image = np.arange(12.0).reshape(3, 4)
    check_shift_image(shift_image, image, 1, 2, 'shift_image(np.arange(12.0).reshape(3, 4), 1, 2)')
    expect_array(shift_image(image, 1, 2), [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 4, 5]], 'shift_image(np.arange(12.0).reshape(3, 4), 1, 2)')

@test_case(points=None, hidden=False)
def test_up_and_left(shift_image):
    import numpy as np
    from exercise_checks import check_shift_image
    check_shift_image(shift_image, np.arange(12.0).reshape(3, 4), -1, -1, 'shift_image(np.arange(12.0).reshape(3, 4), -1, -1)')

@test_case(points=None, hidden=False)
def test_shifts_larger_than_the_image_locally(shift_image):
    from exercise_checks import fresh_rng
    from exercise_checks import check_shift_image, random_array
    rng = fresh_rng(8)
    image = random_array(rng, 4, 6)
    for dy, dx in [(4, 0), (0, -6), (9, 1), (-2, 11), (-5, -7), (3, 6)]:
        check_shift_image(shift_image, image, dy, dx)

