#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu). It builds
# the environment the course is tested in: Python @PYTHON@ and requirements.txt beside this file
# (the course repository's pins, torch from the CPU index).
# A template: autograder/authoring/gradescope_zip.py fills in @PYTHON@ and @VENV@.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Python @PYTHON@: the base image's if it has one with venv, else Ubuntu's (22.04: universe), else
# the deadsnakes PPA (Ubuntu 24.04 and later ship a newer Python only).
if ! python@PYTHON@ -m venv @VENV@ 2>/dev/null; then
    rm -rf @VENV@
    apt-get update
    if ! apt-get install -y --no-install-recommends python@PYTHON@ python@PYTHON@-venv; then
        apt-get install -y --no-install-recommends software-properties-common gpg-agent
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
        apt-get install -y --no-install-recommends python@PYTHON@ python@PYTHON@-venv
    fi
    python@PYTHON@ -m venv @VENV@
fi

@VENV@/bin/python -m pip install --no-cache-dir --no-input -r /autograder/source/requirements.txt
@VENV@/bin/python -m pip check
# Stop here rather than build an image with torch's CUDA build (several GB, and no GPU to use).
@VENV@/bin/python -c "import sys, torch; sys.exit(torch.version.cuda and f'CUDA build: torch {torch.__version__}')"
# The grader's modules and the tests compiled once, into the image, rather than on every upload.
@VENV@/bin/python -m compileall -q /autograder/source
