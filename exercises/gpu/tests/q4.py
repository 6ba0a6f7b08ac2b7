from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 6

@test_case(points=None, hidden=False)
def test_median_of_the_timed_calls(benchmark):
    from exercise_checks import ScriptedCalls, call_benchmark, expect_median_seconds, random_scale
    s = random_scale()
    slow = random_scale(0.1, 0.16, salt=5)
    timed = [s * 0.001, s * 0.01, s * 0.01, s * 0.01, slow]
    fn = ScriptedCalls([0.0] + timed, free=[5])
    call, got = call_benchmark(benchmark, fn, repeats=5, warmup=1)
    expect_median_seconds(call, got, timed, 0.75 * s * 0.01, 1.5 * s * 0.01 + 0.005)

@test_case(points=None, hidden=False)
def test_warmup_repeats_and_arguments(benchmark):
    from exercise_checks import ScriptedCalls, call_benchmark, expect_median_seconds, random_scale
    seconds = 0.01 * random_scale()
    fn = ScriptedCalls([0.0, 0.0, seconds], expected=('a', 2))
    call, got = call_benchmark(benchmark, fn, 'a', 2, repeats=4, warmup=2)
    if fn.count != 6:
        raise AssertionError(f'{call} called fn {fn.count} times; expected warmup + repeats = 2 + 4 = 6')
    if fn.wrong:
        raise AssertionError(f"{call} called fn{fn.first_wrong}; expected fn('a', 2): pass *args on")
    expect_median_seconds(call, got, [seconds] * 4, 0.8 * seconds, 1.3 * seconds + 0.006)
    fn = ScriptedCalls([0.0])
    call, _ = call_benchmark(benchmark, fn)
    if fn.count != 13:
        raise AssertionError(f'{call} called fn {fn.count} times; by default repeats=10 and warmup=3: 13 calls')

@test_case(points=None, hidden=False)
def test_warmup_calls_not_counted_locally(benchmark):
    from exercise_checks import ScriptedCalls, call_benchmark, expect_median_seconds, random_scale
    s = random_scale(salt=1)
    warm, timed = (random_scale(0.12, 0.2, salt=6), 0.02 * s)
    fn = ScriptedCalls([warm] * 3 + [timed] * 3, free=[0, 1, 2])
    call, seconds = call_benchmark(benchmark, fn, repeats=3, warmup=3)
    if seconds > 0.4 * warm:
        raise AssertionError(f'{call} returned {seconds:.3g} s: the three warm-up calls ({warm:.3g} s each) were timed; only the 3 calls after them ({timed:.3g} s each) count')
    expect_median_seconds(call, seconds, [timed] * 3, 0.8 * timed, 1.3 * timed + 0.02)

