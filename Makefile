# The two commands a fresh clone needs: `make book` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: book test test-fast lint publish notebooks check bench clean freeze assets browser slides gpu-wheels pdf pdftools

# Which PyTorch build the environments get (README, "Install"); the version is requirements.txt's.
#   unset       whatever pip's index gives for torch==2.13.0: from PyPI, the CUDA build on Linux
#               x86-64 (with its nvidia-* packages, several GB), the CPU build on macOS and Windows
#   TORCH=cpu   the CPU build, from PyTorch's index (download.pytorch.org/whl/cpu)
#   TORCH=cuda  PyPI's CUDA build, and a check that it is one (TORCH=cu126 etc.: PyTorch's index)
# It reaches every pip the targets run (.venv, and the Colab test's .venv-colab) through
# PIP_EXTRA_INDEX_URL. To switch builds: rm -rf .venv .venv-colab, then make again.
TORCH ?=
ifneq ($(filter-out cuda,$(TORCH)),)
export PIP_EXTRA_INDEX_URL := $(strip $(PIP_EXTRA_INDEX_URL) https://download.pytorch.org/whl/$(TORCH))
endif

# The environment: .venv from requirements.txt, plus the course package itself (editable),
# then one line saying which torch it got and how big .venv is.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(PY) book/_ext/environment.py $(VENV) $(TORCH)
	touch $(STAMP)

# JavaScript the site serves itself (MathJax, widget manager, reveal.js): `npm ci` from
# package-lock.json into node_modules/, skipped when it is already current. Needs node and npm.
assets:
	$(PYTHON) book/_ext/offline_assets.py

# Debian's Chromium for the browser tests (Playwright drives it; its own browser download is
# not used). Installed with apt-get when missing and we are root; or set CHROMIUM=/path/to/chrome.
browser:
	@if [ -n "$$CHROMIUM" ] || [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "The browser tests need Chromium: apt-get install chromium, or set CHROMIUM=/path/to/chrome"; exit 1; fi

# pdfinfo and pdftoppm (Debian's poppler-utils), with which the tests read the book's PDF.
pdftools:
	@if command -v pdftoppm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's poppler-utils for the PDF test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	else echo "The PDF test needs poppler-utils (pdfinfo, pdftoppm): apt-get install poppler-utils"; exit 1; fi

# Build the book into _build/html (notebooks executed, cached; warnings are errors), with
# MathJax and the widget manager served from the site and every lecture's slides in slides/.
# book/_ext/build.py is `jupyter-book build` minus 3.5 s of start-up. Nothing is done when no
# file the book is built from changed since the last build (_build/html/.built).
BOOK_INPUTS := $(shell find _config.yml _toc.yml book lectures exercises cnn_course data requirements.txt \
  pyproject.toml package-lock.json -type f -not -path '*/.ipynb_checkpoints/*' -not -path '*/__pycache__/*' \
  -not -path 'exercises/*/tests/*' 2>/dev/null)
book: _build/html/.built
_build/html/.built: $(STAMP) $(BOOK_INPUTS) | assets
	$(PY) book/_ext/build.py . -W --keep-going
	@touch $@

# Rebuild every lecture's reveal.js deck (_build/html/slides/) from the book's executed lectures.
slides: book
	$(PY) book/_ext/slides.py

# The whole book as one PDF, _build/html/cnn-course.pdf (the front page links to it): printed
# from a single-page build of the book by Debian's Chromium (book/_ext/pdf.py).
pdf: book browser
	$(PY) book/_ext/pdf.py

# Everything CI runs: lint, then every test, browser tests, the PDF and the Colab-readiness check included.
# TEST_WORKERS pytest-xdist processes (2: the CI machine's cores) share out the test files; a
# file's tests stay together, so its module fixtures (a graded class, a browser) run once.
# (Not --dist loadgroup: with pytest 9, xdist 3.8 cannot add its group names to the test ids.)
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -ra --durations=15 -n $(TEST_WORKERS) --dist loadfile
test: $(STAMP) assets browser pdftools lint
	$(PYTEST)

# The developers' fast lane (under 3 minutes on 2 cores): lint, the references, the exercises'
# answer keys, classic mistakes and leak checks; no browser, no notebook runs, no batch grading
# (what does one is marked `slow`).
test-fast: $(STAMP) lint
	$(PYTEST) -m "not slow"

# ruff and import-linter (both configured in pyproject.toml): lint errors and broken import
# contracts (the grader's layers, no cycles) fail `make test`.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

# The student-facing tree (book sources, lectures, exercises, support package; no answer) in
# STUDENT (_build/student): what the public repository and the published book are made from.
# The tree is written afresh, but the notebook execution cache of a book built in it
# (STUDENT/_build/.jupyter_cache, which .github/workflows/book.yml restores) is kept, so that a
# rebuild re-executes only the lectures that changed.
STUDENT ?= _build/student
publish: $(STAMP)
	@cache="$(STUDENT)/_build/.jupyter_cache"; kept="$(STUDENT).jupyter_cache"; \
	if [ -d "$$cache" ]; then rm -rf "$$kept" && mv "$$cache" "$$kept"; fi; \
	$(PY) -m autograder publish $(STUDENT); status=$$?; \
	if [ -d "$$kept" ]; then mkdir -p "$(STUDENT)/_build" && rm -rf "$$cache" && mv "$$kept" "$$cache"; fi; \
	exit $$status

# Regenerate student notebooks (exercises/) and autograders (_build/autograder/) from solutions/,
# after writing each master's list of forbidden functions from its checks (checks/instructions.py).
notebooks: $(STAMP)
	$(PY) -m checks.instructions
	$(PY) -m autograder generate

# Fail if a committed student notebook is stale.
check: $(STAMP)
	$(PY) -m autograder check

bench: $(STAMP)
	$(PY) benchmarks/im2col_vs_torch.py
	$(PY) benchmarks/book_and_check.py

# The wheels the grader needs on the GPU machine (Python 3.12, x86_64, no package index):
# _build/gpu-wheels/, for benchmarks/gpu_device_run.sh. (GPU_PYTHON=3.11 to test it here.)
GPU_PYTHON ?= 3.12
gpu-wheels: $(STAMP)
	rm -rf _build/gpu-wheels
	$(PY) -m pip download --quiet --no-deps --only-binary=:all: --python-version $(GPU_PYTHON) --implementation cp \
	  --abi cp$(subst .,,$(GPU_PYTHON)) --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
	  -d _build/gpu-wheels -r benchmarks/gpu-wheels.txt
	du -sh _build/gpu-wheels

freeze: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | sed 's/+cpu$$//'

clean:
	rm -rf _build .venv-colab
