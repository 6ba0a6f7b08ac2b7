"""Everything the GPU chapter needs from a machine with an NVIDIA GPU, in one go (a few minutes).

    python benchmarks/gpu_session.py --out OUT [--dry-run]

1. `benchmarks/gpu_ladder.py --out data/gpu-timings.json` (the file the chapter plots; copied
   to OUT), after printing the device, the driver and what the grader sees (NVML);
2. `python -m autograder grade gpu` on four submissions written into OUT/submissions from the
   student notebook: the answer key; a `benchmark` that never synchronises; a `conv2d_torch`
   that calls F.conv2d; a correct `conv2d_torch` that loops over the output pixels (slow).
   grades.csv, grading.log and feedback/ land in OUT/grades; the confinement lines of the log
   are printed;
3. checks what each row must be: the answer key full marks; the unsynchronised timer loses
   q6_gpu; F.conv2d loses q3 and q5_gpu (forbidden); the slow one loses q5_gpu.

Exit status 0 when every expectation held. --dry-run (no GPU needed): the ladder with
--dry-run into OUT, and the GPU questions left out of the expectations (they are not graded
without a GPU). The grader's hidden tests must already be prepared in _build/generated/gpu/ (run
`python -m autograder grade gpu` once, or any test that grades gpu, where otter is installed):
the GPU machine has no otter-assign. Needs numpy, torch, matplotlib, otter-grader and nbformat
(see `WHEELS` for the GPU machine, which has no package index).
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import gpu_ladder  # noqa: E402

sys.path.insert(0, str(ROOT))
from autograder.authoring.prepared import generation_folder  # noqa: E402

TESTS = generation_folder("gpu") / "autograder" / "gpu" / "tests"

UNSYNCHRONISED = """\
def benchmark(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)   # no torch.cuda.synchronize(): wrong on a GPU
    return statistics.median(times)
"""

CALLS_CONV2D = """\
def conv2d_torch(x, w, b=None, stride=1, padding=0):
    return F.conv2d(x, w, b, stride=stride, padding=padding)
"""

SLOW = '''\
def conv2d_torch(x, w, b=None, stride=1, padding=0):
    """Right, on the tensors' device, but one small product per output pixel."""
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    N, C, H, W = x.shape
    C_out, _, kh, kw = w.shape
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    xp = F.pad(x, (pw, pw, ph, ph))
    flat = w.reshape(C_out, -1)
    out = x.new_zeros((N, C_out, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(N, -1)
            out[:, :, i, j] = window @ flat.T
    return out if b is None else out + b.reshape(1, -1, 1, 1)
'''

# (changes to the answer key, questions it must lose, questions it may lose): every other
# question must get full marks. GPU questions count only where there is a GPU. The slow
# conv2d_torch is launch-bound (the same number of small kernels for 8 or 64 images), so q6_gpu,
# which times it on both, may fail too.
SUBMISSIONS = {
    "answer_key": ({}, set(), set()),
    "unsynchronised_timer": ({"benchmark": UNSYNCHRONISED}, {"q6_gpu"}, set()),
    "calls_F_conv2d": ({"conv2d_torch": CALLS_CONV2D}, {"q3", "q5_gpu", "q6_gpu"}, set()),
    "slow": ({"conv2d_torch": SLOW}, {"q5_gpu"}, {"q6_gpu"}),
}


def _lines(text):
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def write_submissions(folder):
    """The four submissions, from the committed student notebook and the master's answers."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    student = json.loads((ROOT / "exercises" / "gpu" / "gpu.ipynb").read_text())
    _, solutions, _ = gpu_ladder.master_parts()
    key = {source.split("def ", 1)[1].split("(")[0]: source for source in solutions}
    for name, (changes, _, _) in SUBMISSIONS.items():
        nb = json.loads(json.dumps(student))
        for function, source in {**key, **changes}.items():
            cell = next(
                c for c in nb["cells"] if c["cell_type"] == "code" and f"def {function}(" in "".join(c["source"])
            )
            cell["source"] = _lines(source)
        (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1))
    return folder


def expectations_met(rows, gpu):
    """[problem] for the rows of grades.csv that are not what SUBMISSIONS says (full marks are
    the answer key's points)."""
    by_name = {row["submission"]: row for row in rows}
    key = by_name.get("answer_key")
    if key is None or key["total"] != key["possible"]:
        return [f"the answer key did not get full marks: {key}"]
    problems = []
    for name, (_, loses, may_lose) in SUBMISSIONS.items():
        row = by_name.get(name)
        if row is None:
            problems.append(f"{name}: no row")
            continue
        for question, value in row.items():
            if not question.startswith("q") or (question.endswith("_gpu") and not gpu):
                continue
            if value == "":
                problems.append(f"{name}: {question} not graded ({row['status']})")
            elif question in loses and float(value) != 0:
                problems.append(f"{name}: {question} = {value}, expected 0")
            elif question not in loses | may_lose and value != key[question]:
                problems.append(f"{name}: {question} = {value}, expected {key[question]}")
    return problems


def run(command, **kwargs):
    print("$", " ".join(str(c) for c in command), flush=True)
    return subprocess.run([str(c) for c in command], cwd=ROOT, **kwargs).returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder for everything to bring back")
    parser.add_argument("--dry-run", action="store_true", help="test this script where there is no GPU")
    parser.add_argument("--skip-ladder", action="store_true", help="grade only")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"
    import torch

    gpu = torch.cuda.is_available()
    print(
        f"python {sys.version.split()[0]}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
        f"GPU seen through NVML: {gpu}"
    )
    if not gpu and not args.dry_run:
        print("no GPU here: run with --dry-run to test this script", file=sys.stderr)
        return 2
    if gpu:
        run(["nvidia-smi"])
    status = 0
    if not args.skip_ladder:
        target = out / "gpu-timings.json" if args.dry_run else ROOT / "data" / "gpu-timings.json"
        status |= run(
            [sys.executable, ROOT / "benchmarks" / "gpu_ladder.py", "--out", target]
            + (["--dry-run"] if args.dry_run else [])
        )
        if target.exists() and not args.dry_run:
            shutil.copy(target, out / "gpu-timings.json")
    if not (TESTS / "q1.py").exists():
        print(
            f"{TESTS} is missing: prepare the hidden tests where otter is installed (see the docstring)",
            file=sys.stderr,
        )
        return 1
    folder = write_submissions(out / "submissions")
    grades = out / "grades"
    status |= run(
        [sys.executable, "-m", "autograder", "grade", "gpu", folder, "-o", grades, "-j", "1", "--tests", TESTS]
    )
    log = (grades / "grading.log").read_text() if (grades / "grading.log").exists() else ""
    print(
        "\n".join(
            line.strip()
            for line in log.splitlines()
            if "student process" in line or "WARNING" in line or line.startswith("workers:")
        )
    )
    with open(grades / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    print((grades / "grades.csv").read_text())
    problems = expectations_met(rows, gpu)
    print("\n".join(problems) if problems else "every submission got what it should")
    return 1 if problems else status


if __name__ == "__main__":
    sys.exit(main())
