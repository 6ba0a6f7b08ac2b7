"""Is the GPU exercise's answer key a fair rung of the ladder? Its numpy `conv2d_im2col` against
PyTorch's CPU `F.conv2d`, both float32, on one layer, timed alternately in the same run.

    python benchmarks/im2col_vs_torch.py        (run by `make bench`)

The layer: N=8 images of C=16 channels of 64x64, 32 filters of 3x3, padding 1, float32. Prints
both medians and their ratio; exit status 1 when the answer key is more than 2x slower than
F.conv2d (or returns something other than float32, or a wrong result).
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.master import answer_key  # noqa: E402
from autograder.paths import master_path  # noqa: E402

LIMIT = 2.0


def main(repeats=15):
    conv2d_im2col = answer_key(master_path("gpu"))["conv2d_im2col"]
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(8, 16, 64, 64)).astype(np.float32)
    w = rng.uniform(-1, 1, size=(32, 16, 3, 3)).astype(np.float32)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    got = conv2d_im2col(x, w, None, 1, 1)
    want = F.conv2d(tx.double(), tw.double(), None, 1, 1).numpy()
    if got.dtype != np.float32 or not np.allclose(got, want, rtol=0, atol=1e-3):
        print(f"the answer key's conv2d_im2col is wrong here (dtype {got.dtype})", file=sys.stderr)
        return 1
    fns = {
        "answer key conv2d_im2col": lambda: conv2d_im2col(x, w, None, 1, 1),
        "torch F.conv2d": lambda: F.conv2d(tx, tw, None, 1, 1),
    }
    times = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeats):  # alternately, so that a busy machine slows both alike
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    ratio = medians["answer key conv2d_im2col"] / medians["torch F.conv2d"]
    print(
        f"layer x (8, 16, 64, 64) float32, w (32, 16, 3, 3), padding 1; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; median of {repeats} calls each, alternately"
    )
    for name, m in medians.items():
        print(f"  {name:26s} {m * 1e3:8.2f} ms")
    print(f"  im2col / F.conv2d: {ratio:.2f} (at most {LIMIT:g} required)")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
