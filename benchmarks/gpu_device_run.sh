#!/bin/sh
# The GPU session in one command, for a machine with an NVIDIA GPU and no package index:
#     sh benchmarks/gpu_device_run.sh [--dry-run]
# Needs _build/gpu-wheels/ (`make gpu-wheels`) and _build/generated/gpu/ (the hidden tests, which
# `python -m autograder grade gpu` prepares where otter is installed) beside the repository.
# Installs the wheels into a folder of its own (no pip needed: a wheel is a zip), then runs
# benchmarks/gpu_session.py; everything to bring back goes to $OUT (default _build/gpu-session).
set -u
PY=${PYTHON:-python3}
OUT=${OUT:-_build/gpu-session}
SITE=${TMPDIR:-/tmp}/gpu-site-packages
mkdir -p "$OUT" "$SITE"
for wheel in _build/gpu-wheels/*.whl; do
  "$PY" -m zipfile -e "$wheel" "$SITE" || exit 1
done
PYTHONPATH="$SITE" "$PY" benchmarks/gpu_session.py --out "$OUT" "$@" 2>&1 | tee "$OUT/session.log"
