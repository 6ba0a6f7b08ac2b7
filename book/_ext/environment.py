"""Say what an environment got: which PyTorch build, and how much disk it takes (`make` runs it
after installing .venv).

    python book/_ext/environment.py VENV [TORCH]

TORCH is the Makefile's TORCH variable: "" (whatever pip's index gave), "cpu", "cuda" or a
PyTorch index name such as "cu126". When it asks for a build, the installed one must be it:
an index that could not be reached leaves pip to fall back on another build silently
(PyPI's, or a local wheel cache), and this says so instead of letting it pass.
"""

import os
import sys
from pathlib import Path


def disk_usage(folder):
    """Bytes under `folder` (files only, links not followed)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total


def main(argv):
    venv = Path(argv[1])
    wanted = argv[2] if len(argv) > 2 else ""
    import torch

    cuda = torch.version.cuda
    build = f"CUDA {cuda}" if cuda else "CPU"
    print(f"{venv}: torch {torch.__version__} ({build} build), {disk_usage(venv) / 1e9:.2f} GB on disk")
    if wanted == "cpu" and cuda:
        sys.exit(f"TORCH=cpu asked for the CPU build, but pip installed torch {torch.__version__} ({build})")
    if wanted.startswith("cu") and not cuda:
        sys.exit(
            f"TORCH={wanted} asked for a CUDA build, but pip installed torch {torch.__version__} (CPU): "
            "was PyTorch's index unreachable, or does a local wheel cache shadow it?"
        )


if __name__ == "__main__":
    main(sys.argv)
