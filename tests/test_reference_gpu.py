"""The GPU chapter's shared code: im2col references against PyTorch and the decks' examples, the
timer, the ladder, the committed GPU measurement and the script that makes it."""

import json
import random
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder import master
from autograder.paths import ROOT, master_path
from checks import gpu as checks
from cnn_course import timing
from solutions.reference import conv2d_flops, conv2d_im2col, conv2d_shapes, conv2d_torch, im2col

sys.path.insert(0, str(ROOT / "benchmarks"))
import gpu_ladder  # noqa: E402


def torch_conv(x, w, b=None, stride=1, padding=0):
    t = lambda a: None if a is None else torch.tensor(np.asarray(a, dtype=np.float64))  # noqa: E731
    return F.conv2d(t(x), t(w), t(b), stride=stride, padding=padding).numpy()


@pytest.mark.parametrize("seed", range(6))
def test_im2col_layers_match_torch_on_random_layers(seed):
    rng = np.random.default_rng(seed)
    N, C_in, C_out = rng.integers(1, 4, size=3)
    kh, kw = rng.integers(1, 5, size=2)
    H, W = rng.integers(5, 14, size=2)
    stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
    padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    x, w, b = rng.normal(size=(N, C_in, H, W)), rng.normal(size=(C_out, C_in, kh, kw)), rng.normal(size=C_out)
    want = torch_conv(x, w, b, stride, padding)
    np.testing.assert_allclose(conv2d_im2col(x, w, b, stride, padding), want, atol=1e-10)
    got = conv2d_torch(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride, padding)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), want, atol=1e-10)


def test_im2col_rows_are_in_the_order_of_unfold():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 6, 7))
    cols = im2col(x, 2, 3, stride=(2, 1), padding=(1, 0))
    want = F.unfold(torch.tensor(x), (2, 3), padding=(1, 0), stride=(2, 1)).numpy()
    np.testing.assert_array_equal(cols, want)


def test_float32_stays_float32_and_inputs_stay_unchanged():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 5, 5)).astype(np.float32)
    w = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    x0, w0 = x.copy(), w.copy()
    assert conv2d_im2col(x, w).dtype == np.float32
    assert conv2d_im2col(x.astype(int), w.astype(int)).dtype == np.float64
    assert np.array_equal(x, x0) and np.array_equal(w, w0)


def test_worked_examples_of_the_decks():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    k = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 1, 2, 2)
    np.testing.assert_array_equal(conv2d_im2col(x, k)[0, 0], [[19, 25], [37, 43]])
    np.testing.assert_array_equal(im2col(x, 2, 2)[0], [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]])
    # Two input channels (56 at the top left), then three filters K, K + 1, K + 2.
    x2 = np.stack([np.arange(9.0).reshape(3, 3), np.arange(1.0, 10.0).reshape(3, 3)])[None]
    K = np.stack([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    np.testing.assert_array_equal(conv2d_im2col(x2, K[None])[0, 0], [[56, 72], [104, 120]])
    np.testing.assert_array_equal(
        conv2d_im2col(x2, np.stack([K, K + 1, K + 2]))[0],
        [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]],
    )


def test_flops_of_the_decks_multiplication_quiz():
    # 224x224 RGB, 64 kernels of 3x3, no padding: 64 x 3 x 3 x 3 x 222 x 222 multiplications.
    assert conv2d_flops((1, 3, 224, 224), (64, 3, 3, 3)) == 2 * 64 * 3 * 3 * 3 * 222 * 222 == 2 * 85_162_752
    assert conv2d_shapes((32, 64, 56, 56), (64, 64, 3, 3), 1, 1)[2:4] == (56, 56)
    assert timing.layer_flops(*timing.LAYERS["ResNet-like"]) == 2 * 32 * 64 * 56 * 56 * 64 * 9
    for name, layer in timing.LAYERS.items():
        assert timing.layer_flops(*layer) == conv2d_flops(*layer), name
    with pytest.raises(ValueError, match="3x3 filters, stride 1, padding 1"):
        timing.layer_flops((1, 3, 10, 10), (4, 3, 5, 5), 1, 2)  # the ladder's formula is for its own layers only


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_rung_of_the_ladder_computes_the_layer(dtype):
    """The ladder's own implementations (3x3, stride 1, padding 1, no bias) agree with F.conv2d in float64."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(2, 3, 7, 9)).astype(np.float32)
    w = rng.uniform(-1, 1, size=(4, 3, 3, 3)).astype(np.float32)
    want = torch_conv(x, w, None, 1, 1)
    for how, run in timing._rungs(x, w, "cpu", dtype).items():
        got = run()
        got = got.numpy() if isinstance(got, torch.Tensor) else got
        assert got.shape == want.shape, how
        np.testing.assert_allclose(got, want, atol=1e-4 if dtype == "float32" else 1e-10, err_msg=how)


def test_no_answer_in_the_timing_module_or_the_lecture():
    """timing.py and the GPU lecture import no reference implementation and define no function
    under a graded name (the exercise's answers stay on the instructor's side)."""
    import ast

    graded = {"conv2d", "conv2d_im2col", "conv2d_torch", "benchmark", "im2col", "conv_output_size"}
    module = ast.parse((ROOT / "cnn_course" / "timing.py").read_text())
    lecture = json.loads((ROOT / "lectures" / "gpu.ipynb").read_text())
    sources = [ast.unparse(module)] + [
        "".join(c["source"])
        for c in lecture["cells"]
        if c["cell_type"] == "code" and "%pip" not in "".join(c["source"])
    ]
    for source in sources:
        tree = ast.parse(source)
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if "reference" in m], imported
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        assert not defined & graded, defined & graded


def test_half_precision_and_peaks_without_bf16(monkeypatch):
    """On a GPU without bf16 (a T4, sm_75) the ladder's 16-bit row runs in float16, labelled so,
    and the TF32 row says why it did not run; nothing in the table or the plot breaks on it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not torch.cuda.is_available():
        assert timing.half_precision()[0] == "float16"
    monkeypatch.setattr(timing, "bf16_supported", lambda: False)
    methods = timing._methods(True, (7, 5))
    assert ("torch F.conv2d", "cuda", "float16", "torch") in methods
    assert ("torch F.conv2d", "cuda", "tf32", None) in methods
    assert "bfloat16" not in {m[2] for m in methods}
    name, why = timing.half_precision()
    assert name == "float16" and "no bf16" in why
    row = dict(layer="small", method="torch F.conv2d", device="cuda", dtype="float16", flops=10**9, median_s=1e-3)
    row.update(gflops=1e3, tflops=1.0, note=why, percent_of_peak=1.5)
    assert timing.label(row) == "torch F.conv2d [GPU, fp16]"
    assert "fp16" in timing.table([row]).to_string() and "1.5" in timing.table([row]).to_string()
    fig, ax = plt.subplots()
    timing.plot_ladder(ax, [row], "a T4, simulated")
    plt.close(fig)
    monkeypatch.setattr(timing, "bf16_supported", lambda: True)
    assert ("torch F.conv2d", "cuda", "bfloat16", "torch") in timing._methods(True, (9, 0))


def test_peaks_name_their_source():
    peak, source = timing.peak_tflops("NVIDIA H200", "bfloat16")
    assert peak == 989 and "data sheet" in source
    assert timing.peak_tflops("NVIDIA H200", "float32")[0] == 67
    assert timing.peak_tflops("NVIDIA H100 PCIe", "tf32")[0] == 378
    assert timing.peak_tflops("NVIDIA A100-SXM4-80GB", "tf32")[0] == 156
    assert timing.peak_tflops("Tesla T4", "float16")[0] == 65
    assert timing.peak_tflops("Tesla T4", "bfloat16") == (
        None,
        "NVIDIA T4 data sheet gives no bfloat16 figure for this GPU",
    )
    assert timing.peak_tflops("Some GPU", "float32")[0] is None


def test_simulated_device_shows_why_synchronising_matters():
    device = timing.SimulatedDevice()

    def launch():
        device.launch(0.03)

    wrong = statistics_median([time_once(launch) for _ in range(3)])
    device.synchronize()
    right = statistics_median([time_once(launch, device.synchronize) for _ in range(3)])
    assert wrong < 0.005 < 0.02 < right


def time_once(fn, sync=lambda: None):
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def statistics_median(values):
    return sorted(values)[len(values) // 2]


def test_float32_mode_restores_the_settings():
    before = (torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32)
    with timing.float32_mode(tf32=False):
        assert torch.get_float32_matmul_precision() == "highest" and not torch.backends.cudnn.allow_tf32
    with timing.float32_mode(tf32=True):
        assert torch.get_float32_matmul_precision() == "high" and torch.backends.cudnn.allow_tf32
    assert (torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32) == before


def test_ladder_on_a_cpu_says_the_gpu_rows_did_not_run():
    layers = {"tiny": ((2, 3, 12, 12), (4, 3, 3, 3), 1, 1)}
    rows = timing.ladder(layers, repeats=2, warmup=1, loops_layers=("tiny",))
    ran = [r for r in rows if r["median_s"] is not None]
    assert {r["method"] for r in ran if r["device"] == "cpu"} == {
        "Python loops (numpy per output)",
        "numpy im2col + matmul",
        "torch unfold + matmul",
        "torch F.conv2d",
    }
    for r in ran:
        assert r["gflops"] == pytest.approx(r["flops"] / r["median_s"] / 1e9)
        assert r["tflops"] == pytest.approx(r["gflops"] / 1e3)
        assert r.get("percent_of_peak") is None  # CPU rows: no peak
    if not torch.cuda.is_available():
        gpu = [r for r in rows if r["device"] == "cuda"]
        assert gpu and all(r["median_s"] is None and r["note"] == timing.NO_GPU for r in gpu)
    shown = timing.table(rows)
    assert len(shown) == len(rows)
    assert timing.label(ran[-1]) in shown.to_string() and timing.label(ran[-1]) in shown._repr_html_()


def test_no_committed_file_means_none_and_a_cpu_file_is_refused(tmp_path):
    assert timing.load_gpu_timings(tmp_path / "missing.json") is None
    rows = [
        dict(
            layer="small",
            method="torch F.conv2d",
            device="cuda",
            dtype="float32",
            flops=1,
            median_s=None,
            gflops=None,
            note=timing.NO_GPU,
        )
    ]
    info = {"gpu": None, "torch": "2", "cuda": None, "date": "today", "numpy": "2", "cpu": "x", "cpu_threads": 2}
    path = timing.save_timings(tmp_path / "cpu.json", rows, info, "python benchmarks/gpu_ladder.py --allow-cpu", {})
    with pytest.raises(ValueError, match="holds no GPU measurement"):
        timing.load_gpu_timings(path)
    rows[0].update(median_s=0.001, gflops=7.4)
    info.update(gpu="Some GPU", cuda="12.4")
    path = timing.save_timings(tmp_path / "gpu.json", rows, info, timing.GPU_COMMAND, {})
    data = timing.load_gpu_timings(path)
    assert timing.provenance(data).startswith("measured on Some GPU (torch 2, CUDA 12.4) on today")


def test_committed_gpu_measurement_if_any_is_a_real_gpu_measurement():
    data = timing.load_gpu_timings()  # None until a GPU session commits data/gpu-timings.json
    if data is not None:
        assert data["command"].startswith("python benchmarks/gpu_ladder.py")
        assert "answer_key_tests" in data, "commit a measurement made without --skip-answer-key"
        failed = [f"{q} {t}" for q, r in data["answer_key_tests"].items() for t, v in r.items() if v != "passed"]
        assert failed == [], f"the answer key failed on {data['device']['gpu']}: {failed}"
        assert {r["layer"] for r in data["rows"]} == set(timing.LAYERS), "measure every layer of the chapter"


def test_script_writes_nothing_without_a_gpu(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = tmp_path / "g.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_ladder.py"), "--out", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 2 and not out.exists()
    assert checks.GPU_SKIP in proc.stderr


def test_script_reads_the_master_as_otter_does():
    setup, solutions, tests = gpu_ladder.master_parts(master_path("gpu"))
    assert solutions == master.solution_cells(master_path("gpu"))
    assert sum(len(cells) for cells in tests.values()) == len(master.test_cells(master_path("gpu")))
    assert sorted(tests) == ["q1", "q2", "q3", "q4", "q5_gpu", "q6_gpu"]


def test_every_test_of_a_gpu_question_starts_by_requiring_the_gpu():
    _, _, tests = gpu_ladder.master_parts(master_path("gpu"))
    for question, cells in tests.items():
        for source in cells:
            body = [line.strip() for line in source.splitlines() if line.strip() and line.strip() != "# HIDDEN"]
            needs = body[1:3] == ["from exercise_checks import require_gpu", "require_gpu()"]
            assert needs == question.endswith("_gpu"), (question, body[:3])


def test_require_gpu_message():
    if torch.cuda.is_available():
        checks.require_gpu()
    else:
        with pytest.raises(AssertionError, match=f"^{checks.GPU_SKIP}"):
            checks.require_gpu()


def test_json_of_the_script_is_plain_data(tmp_path):
    out = tmp_path / "g.json"
    rc = gpu_ladder.main(
        ["--out", str(out), "--allow-cpu", "--layer", "small", "--repeats", "1", "--warmup", "0", "--skip-answer-key"]
    )
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["command"].endswith("--skip-answer-key") and data["layers"] == {
        "small": {"x": [8, 3, 32, 32], "w": [16, 3, 3, 3], "stride": 1, "padding": 1}
    }
    assert {"date", "torch", "cuda", "gpu", "cpu"} <= set(data["device"])


@pytest.mark.slow  # runs the GPU session's whole script (every rung, every answer-key test)
def test_dry_run_of_the_script_runs_everything_it_can_here(tmp_path):
    """The GPU session's script, tested where there is no GPU: every CPU rung timed, every test of
    the answer key run (the `_gpu` ones fail with "skipped: no GPU"), a file that says what it is,
    and that the lecture refuses to show as a GPU measurement."""
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: run the script for real")
    out = tmp_path / "dry.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_ladder.py"), "--out", str(out), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["dry_run"] is True and data["command"].endswith("--dry-run")
    assert {"date", "torch", "cuda", "gpu", "cpu", "numpy", "python"} <= set(data["device"])
    assert "CUDA events" in data["settings"]["clock"] and "data sheets" in data["settings"]["peaks"]
    cpu = [r for r in data["rows"] if r["device"] == "cpu"]
    assert len(cpu) == 4 and all(r["median_s"] > 0 and r["tflops"] > 0 for r in cpu)
    key = data["answer_key_tests"]
    assert all(v == "passed" for q, r in key.items() if not q.endswith("_gpu") for v in r.values()), key
    assert all(
        v.startswith("FAILED: AssertionError: " + checks.GPU_SKIP)
        for q in ("q5_gpu", "q6_gpu")
        for v in key[q].values()
    )
    with pytest.raises(ValueError, match="holds no GPU measurement"):
        timing.load_gpu_timings(out)


def test_scripted_calls_keep_no_arguments():
    """A timer under test may pass a large array on every call: the test's function counts the
    calls and the wrong ones, and keeps nothing of the arguments but a short description."""
    import gc
    import weakref

    fn = checks.ScriptedCalls([0.0], expected=("a", 2))
    big = np.zeros(2**20)
    alive = weakref.ref(big)
    for _ in range(20):
        fn(big)
    fn("a", 2)
    del big
    gc.collect()
    assert alive() is None, "ScriptedCalls kept a reference to its argument"
    assert (fn.count, fn.wrong, fn.first_wrong) == (21, 20, "(ndarray (1048576,))")


def test_a_fixed_number_cannot_follow_random_durations():
    """The hidden timing test draws its durations anew: a correct timer follows them, a timer
    that returns a fixed number (whatever it is) fails."""
    import statistics

    def right(fn, *args, repeats=10, warmup=3):
        for _ in range(warmup):
            fn(*args)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn(*args)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    checks.expect_benchmark_follows(right)
    for fixed in (0.01, 0.035, 0.1):

        def constant(fn, *args, repeats=10, warmup=3, fixed=fixed):
            for _ in range(warmup + repeats):
                fn(*args)
            return fixed

        with pytest.raises(AssertionError, match="returned .* in each of 3 runs .* follows none of the timed calls"):
            checks.expect_benchmark_follows(constant)

    # nor a number that wobbles around a fixed one: the first run's window and the last one's do not meet
    rng = random.Random(0)
    for fixed in (0.006, 0.012, 0.017, 0.025):

        def wobbly(fn, *args, repeats=10, warmup=3, fixed=fixed):
            for _ in range(warmup + repeats):
                fn(*args)
            return fixed * rng.uniform(0.95, 1.1)

        with pytest.raises(AssertionError):
            checks.expect_benchmark_follows(wobbly)


def test_speed_check_computes_every_timed_call():
    """expect_near_builtin_speed (the GPU questions' speed tests), run here on CPU tensors: the
    reference passes, a function that computes only the first x it sees fails with the call that
    went wrong, and one far slower than F.conv2d fails on time."""
    gen = torch.Generator().manual_seed(0)
    x, w = torch.rand(2, 4, 16, 16, generator=gen) - 0.5, torch.rand(8, 4, 3, 3, generator=gen) - 0.5
    b = torch.rand(8, generator=gen)
    checks.expect_near_builtin_speed(conv2d_torch, x, w, b, 2, 1, limit=1000)

    seen = []

    def first_only(x, w, b=None, stride=1, padding=0):
        if seen:
            return torch.zeros_like(seen[0])
        seen.append(conv2d_torch(x, w, b, stride, padding))
        return seen[0]

    with pytest.raises(AssertionError, match=r"wrong result while it was timed \(call 2 of 13, on fresh inputs"):
        checks.expect_near_builtin_speed(first_only, x, w, b, 2, 1, limit=1000)

    def slow(x, w, b=None, stride=1, padding=0):
        time.sleep(0.01)
        return conv2d_torch(x, w, b, stride, padding)

    with pytest.raises(AssertionError, match="times as long as F.conv2d"):
        checks.expect_near_builtin_speed(slow, x, w, b, 2, 1, limit=2)
