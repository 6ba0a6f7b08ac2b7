"""The GPU chapter's measurement: run it once on a machine with an NVIDIA GPU, commit its output.

    python benchmarks/gpu_ladder.py --out data/gpu-timings.json

It does two things and writes both, with the device name, compute capability, driver, the
torch and CUDA versions, the date and this command, to --out (JSON):

1. the timing ladder of the lecture (`cnn_course.timing.ladder`): every convolution
   implementation on the chapter's layers, each the median of 10 timed calls after 3 warm-up
   calls (GPU rows timed with CUDA events), with its achieved GFLOP/s and TFLOP/s and, on the
   GPU, the percent of the device's peak for that precision (`timing.PEAKS`, from NVIDIA's
   data sheets; the source is in each row);
2. the exercise's answer key (solutions/gpu.ipynb) against every test of the exercise, public
   and hidden, the `_gpu` questions included (which need the GPU).

The lecture (lectures/gpu.ipynb) plots the committed file beside the reader's own figures,
labelled with where it came from. Needs only numpy and torch (and this repository): no
Jupyter, no otter. Exit status: 0 when everything ran and every test passed; 1 when a test
failed (the file is still written, with the failures in it); 2 when there is no GPU (nothing
is written; --allow-cpu writes a CPU-only file, for testing this script: the lecture refuses to
show such a file as a GPU measurement). --dry-run is the quick test of the whole script on any
machine: --allow-cpu on the small layer, one timed call per rung, every answer-key test.
"""

import argparse
import inspect
import json
import sys
import time
import traceback
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checks import gpu as checks  # noqa: E402
from cnn_course import timing  # noqa: E402

MASTER = ROOT / "solutions" / "gpu.ipynb"


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _marker(cell):
    text = _source(cell).strip()
    return text.splitlines()[0].strip().upper() if text else ""


def master_parts(path=MASTER):
    """(setup code, solution code cells, {question: [test cell sources]}) from an otter master,
    read as plain JSON."""
    cells = json.loads(Path(path).read_text())["cells"]
    setup, solutions, tests = [], [], {}
    question, in_solution, in_tests = None, False, False
    for cell in cells:
        marker = _marker(cell)
        if cell["cell_type"] == "raw":
            if marker == "# BEGIN QUESTION":
                question = next(
                    line.split(":", 1)[1].strip()
                    for line in _source(cell).splitlines()
                    if line.strip().startswith("name:")
                )
                tests[question] = []
            elif marker == "# END QUESTION":
                question = None
            in_solution = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(marker, in_solution)
            in_tests = {"# BEGIN TESTS": True, "# END TESTS": False}.get(marker, in_tests)
        elif cell["cell_type"] == "code":
            if in_tests:
                tests[question].append(_source(cell))
            elif in_solution:
                solutions.append(_source(cell))
            elif question is None and not tests:
                setup.append(_source(cell))
    return setup, solutions, tests


def run_answer_key(path=MASTER):
    """Every test of the master against its answer key: {question: {test: "passed" or the failure}}."""
    from autograder.authoring.generate import checks_bundle

    module = types.ModuleType("exercise_checks")
    exec(compile(checks_bundle("gpu"), "exercise_checks.py", "exec"), module.__dict__)
    sys.modules["exercise_checks"] = module
    setup, solutions, tests = master_parts(path)
    env = {}
    for source in setup + solutions:
        exec(compile(source, str(path), "exec"), env)
    results = {}
    for question, cells in tests.items():
        results[question] = {}
        for source in cells:
            namespace = {}
            exec(compile(source, f"{path}:{question}", "exec"), namespace)
            for name, fn in namespace.items():
                if not (name.startswith("test_") and callable(fn)):
                    continue
                start = time.perf_counter()
                try:
                    fn(**{p: env.get(p) for p in inspect.signature(fn).parameters})
                    outcome = "passed"
                except Exception as e:
                    outcome = f"FAILED: {type(e).__name__}: {e}"
                    if not isinstance(e, AssertionError):
                        outcome += "\n" + traceback.format_exc(limit=3)
                results[question][name] = outcome
                print(f"  {question} {name}: {outcome.splitlines()[0]} ({time.perf_counter() - start:.1f} s)")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", required=True, help="where to write the JSON (the committed file is data/gpu-timings.json)"
    )
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per rung (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first (default 3)")
    parser.add_argument(
        "--layer",
        action="append",
        choices=sorted(timing.LAYERS),
        help="time only this layer (repeatable; default: all)",
    )
    parser.add_argument("--skip-answer-key", action="store_true", help="time the ladder only")
    parser.add_argument("--allow-cpu", action="store_true", help="run without a GPU (to test this script)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="test this script quickly: --allow-cpu --layer small --repeats 1 --warmup 0",
    )
    args = parser.parse_args(argv)
    if args.dry_run:
        args.allow_cpu, args.layer, args.repeats, args.warmup = True, ["small"], 1, 0

    if not timing.cuda_available() and not args.allow_cpu:
        print(
            f"{checks.GPU_SKIP}: torch.cuda.is_available() is False here; nothing written. "
            "Run this on a machine with an NVIDIA GPU.",
            file=sys.stderr,
        )
        return 2
    info = timing.device_info()
    print("Device:", timing.describe(info))
    layers = {k: v for k, v in timing.LAYERS.items() if not args.layer or k in args.layer}
    rows = timing.ladder(layers, repeats=args.repeats, warmup=args.warmup, progress=lambda s: print("  timing", s))
    print(timing.table(rows).to_string())
    extra = {}
    if not args.skip_answer_key:
        print("Answer key of solutions/gpu.ipynb against every test:")
        extra["answer_key_tests"] = run_answer_key()
    command = "python benchmarks/gpu_ladder.py " + " ".join(argv if argv is not None else sys.argv[1:])
    settings = {
        "repeats": args.repeats,
        "warmup": args.warmup,
        "statistic": "median",
        "clock": "CPU rows: time.perf_counter around each call; GPU rows: CUDA events recorded before and "
        "after each call (elapsed_time); the 'not synchronised' row: time.perf_counter without waiting",
        "peaks": "cnn_course.timing.PEAKS: dense TFLOP/s from NVIDIA's data sheets (each row names its source)",
        "float32 on the GPU": "TF32 off (torch.set_float32_matmul_precision('highest'), cudnn.allow_tf32 = False)",
        "tf32 on the GPU": "float32 tensors, TF32 allowed (PyTorch's default for cuDNN convolutions)",
        "flops": "2 * N * C_out * H_out * W_out * C_in * kh * kw (a multiply-add counts 2)",
    }
    if args.dry_run:
        extra["dry_run"] = True
    path = timing.save_timings(args.out, rows, info, command.strip(), settings, extra, layers)
    print(f"wrote {path}")
    failed = [f"{q} {t}" for q, r in extra.get("answer_key_tests", {}).items() for t, o in r.items() if o != "passed"]
    expected_skips = [f for f in failed if not info["gpu"] and f.split()[0].endswith("_gpu")]
    real = [f for f in failed if f not in expected_skips]
    if real:
        print("FAILED:", ", ".join(real), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
