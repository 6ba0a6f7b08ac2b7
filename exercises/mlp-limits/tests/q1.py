from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 5

@test_case(points=None, hidden=False)
def test_cifar_to_ten_scores(dense_param_count):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(dense_param_count, 'dense_param_count', FORBIDDEN)
    from exercise_checks import check_count
    check_count(dense_param_count, 'dense_param_count(3072, 10)', (3072, 10), 30730, mistakes=[(30720, 'the 10 biases are missing (one per output)'), (30721, 'a dense layer has one bias per output, not one in all'), (33792, 'there is one bias per output (10), not one per input (3072)')])

@test_case(points=None, hidden=False)
def test_without_bias(dense_param_count):
    from exercise_checks import check_count
    check_count(dense_param_count, 'dense_param_count(3072, 10, bias=False)', (3072, 10), 30720, mistakes=[(30730, 'with bias=False the layer has no biases: do not count them')], bias=False)

