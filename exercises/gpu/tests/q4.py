from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 4

@test_case(points=None, hidden=False)
def test_median_of_the_timed_calls(benchmark):
    from exercise_checks import FORBIDDEN, expect_allowed
    expect_allowed(benchmark, 'benchmark', FORBIDDEN)
    from exercise_checks import ScriptedCalls, call_benchmark, expect_median_seconds
    timed = [0.005, 0.04, 0.04, 0.04, 0.4]
    fn = ScriptedCalls([0.0] + timed)
    call, got = call_benchmark(benchmark, fn, repeats=5, warmup=1)
    expect_median_seconds(call, got, timed, 0.03, 0.09)

@test_case(points=None, hidden=False)
def test_warmup_repeats_and_arguments(benchmark):
    from exercise_checks import ScriptedCalls, call_benchmark
    fn = ScriptedCalls([0.0])
    call, _ = call_benchmark(benchmark, fn, 'a', 2, repeats=4, warmup=2)
    if len(fn.calls) != 6:
        raise AssertionError(f'{call} called fn {len(fn.calls)} times; expected warmup + repeats = 2 + 4 = 6')
    if any((args != ('a', 2) for args, _ in fn.calls)):
        raise AssertionError(f"{call} called fn with {fn.calls[0][0]}; expected fn('a', 2): pass *args on")
    fn = ScriptedCalls([0.0])
    call, _ = call_benchmark(benchmark, fn)
    if len(fn.calls) != 13:
        raise AssertionError(f'{call} called fn {len(fn.calls)} times; by default repeats=10 and warmup=3: 13 calls')

