from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 6

@test_case(points=None, hidden=False)
def test_small_example(permute_pixels):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(permute_pixels, 'permute_pixels', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_permute_pixels
    check_permute_pixels(permute_pixels, np.arange(6.0).reshape(1, 2, 3), np.array([5, 0, 1, 2, 3, 4]), 'permute_pixels(np.arange(6.0).reshape(1, 2, 3), [5, 0, 1, 2, 3, 4])')

@test_case(points=None, hidden=False)
def test_identity_changes_nothing(permute_pixels):
    import numpy as np
    from exercise_checks import check_permute_pixels, random_array
    rng = np.random.default_rng(0)
    images = random_array(rng, 3, 4, 4)
    check_permute_pixels(permute_pixels, images, np.arange(16), 'permute_pixels(images (3, 4, 4), perm = np.arange(16), the identity)')

