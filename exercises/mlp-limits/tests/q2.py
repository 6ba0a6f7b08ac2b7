from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 5

@test_case(points=None, hidden=False)
def test_quiz_answer_D(conv_param_count):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(conv_param_count, 'conv_param_count', FORBIDDEN)
    from exercise_checks import check_count
    check_count(conv_param_count, 'conv_param_count(3, 64, 3)', (3, 64, 3), 1792, mistakes=[(1728, 'the 64 biases are missing (one per output channel)'), (640, 'each of the 64 kernels has c_in * kh * kw = 3 * 3 * 3 weights: it spans all 3 input channels, and kernel_size=3 means a 3x3 kernel'), (1729, 'there is one bias per output channel, not one in all'), (1731, 'there is one bias per output channel (64), not one per input channel')])

@test_case(points=None, hidden=False)
def test_deck_ten_5x5_filters(conv_param_count):
    from exercise_checks import check_count
    for size in (5, (5, 5)):
        check_count(conv_param_count, f'conv_param_count(3, 10, {size!r})', (3, 10, size), 760)

