from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 6

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

@test_case(points=None, hidden=False)
def test_conv_rectangular_kernels_locally(conv_param_count):
    from exercise_checks import fresh_rng
    import numpy as np
    from exercise_checks import check_count
    rng = fresh_rng(454)
    for _ in range(5):
        c_in, c_out = (int(v) for v in rng.integers(2, 40, size=2))
        kh, kw = (int(v) for v in rng.choice(np.arange(1, 8), size=2, replace=False))
        for bias in (True, False):
            b = c_out if bias else 0
            right = c_out * c_in * kh * kw + b
            mistakes = [(c_out * c_in * kh * kh + b, 'kernel_size=(kh, kw) is kh rows by kw columns: use both numbers (it looks as if kh was used twice)'), (c_out * c_in * kw * kw + b, 'kernel_size=(kh, kw) is kh rows by kw columns: use both numbers (it looks as if kw was used twice)'), (c_out * kh * kw + b, 'each kernel spans all c_in input channels: c_in * kh * kw weights per output channel'), (c_out * c_in * kh * kw + c_in, 'there is one bias per output channel (c_out), not one per input channel'), (c_out * c_in * kh * kw + 1, 'there is one bias per output channel, not one in all'), (c_out * c_in * kh * kw + (0 if bias else c_out), 'biases are counted only when bias=True')]
            check_count(conv_param_count, f'conv_param_count({c_in}, {c_out}, ({kh}, {kw}), bias={bias})', (c_in, c_out, (kh, kw)), right, mistakes=mistakes, bias=bias)

