"""The GPU chapter's shared code: im2col references against PyTorch and the decks' examples, the
timer, the ladder, the committed GPU measurement and the script that makes it."""

import json
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
from cnn_course.reference import conv2d_flops, conv2d_im2col, conv2d_shapes, conv2d_torch, im2col

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
    assert conv2d_flops(*timing.LAYERS["ResNet-like"][:2], 1, 1) == 2 * 32 * 64 * 56 * 56 * 64 * 9


def test_benchmark_warms_up_repeats_and_takes_the_median():
    calls = []

    def fn(*args):
        calls.append(args)
        time.sleep([0.0, 0.0, 0.005, 0.03, 0.03, 0.03, 0.3][len(calls) - 1])

    t = timing.benchmark(fn, 1, "a", repeats=5, warmup=2)
    assert len(calls) == 7 and all(c == (1, "a") for c in calls)
    assert 0.025 <= t <= 0.08
    calls.clear()
    timing.benchmark(lambda: calls.append(1))
    assert len(calls) == 13


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
