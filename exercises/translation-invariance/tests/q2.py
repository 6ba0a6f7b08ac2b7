from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 5

@test_case(points=None, hidden=False)
def test_small_example(equivariance_check, shift_image):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(equivariance_check, 'equivariance_check', FORBIDDEN)
    expect_allowed(shift_image, 'shift_image', FORBIDDEN)
    import numpy as np
    from exercise_checks import check_equivariance_check
    image = np.arange(42.0).reshape(6, 7) % 5
    kernel = np.array([[1.0, -1.0], [2.0, 0.5]])
    check_equivariance_check(equivariance_check, shift_image, image, kernel, 1, -2)

@test_case(points=None, hidden=False)
def test_edge_kernel_on_a_digit_like_image(equivariance_check, shift_image):
    import numpy as np
    from exercise_checks import check_equivariance_check
    one = np.zeros((12, 12))
    one[2:10, 5] = [0.6, 0.8, 1.0, 0.4, 1.0, 1.0, 0.9, 0.7]
    edge = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -1.0, -1.0]])
    check_equivariance_check(equivariance_check, shift_image, one, edge, 2, 1)

