from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 8

@test_case(points=None, hidden=False)
def test_7x7_input_3x3_kernel_at_strides_1_to_4(conv_output_size):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(conv_output_size, 'conv_output_size', FORBIDDEN)
    from exercise_checks import check_output_size
    for stride, size in [(1, 5), (2, 3), (3, 2), (4, 2)]:
        check_output_size(conv_output_size, 7, 3, stride=stride, expected=size)

@test_case(points=None, hidden=False)
def test_defaults_and_padding(conv_output_size):
    from exercise_checks import check_output_size
    check_output_size(conv_output_size, 4, 3, expected=2)
    check_output_size(conv_output_size, 32, 5, stride=1, padding=2, expected=32)
    check_output_size(conv_output_size, 7, 3, stride=1, padding=1, expected=7)
    check_output_size(conv_output_size, 4, 3, padding=1, expected=4)

@test_case(points=None, hidden=False)
def test_bad_arguments_raise_value_error(conv_output_size):
    from exercise_checks import expect_value_error
    expect_value_error(conv_output_size, 'conv_output_size(2, 5)', 'a kernel of length 5 does not fit in 2 cells', 2, 5)
    expect_value_error(conv_output_size, 'conv_output_size(7, 3, stride=0)', 'a stride must be at least 1', 7, 3, stride=0)

@test_case(points=None, hidden=False)
def test_random_sizes_against_torch_locally(conv_output_size):
    from exercise_checks import fresh_rng
    from exercise_checks import check_output_size
    rng = fresh_rng(5400)
    checked = 0
    while checked < 60:
        n, k = (int(v) for v in rng.integers(1, 40, size=2))
        s, p = (int(rng.integers(1, 6)), int(rng.integers(0, 4)))
        if k <= n + 2 * p:
            check_output_size(conv_output_size, n, k, stride=s, padding=p)
            checked += 1

