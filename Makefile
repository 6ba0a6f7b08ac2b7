# The two commands a fresh clone needs: `make book` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: book test notebooks check bench clean freeze

# The environment: .venv from requirements.txt, plus the course package itself (editable).
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Build the book into _build/html: notebooks executed (cached), warnings are errors.
book: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W --keep-going

# Everything CI runs.
test: $(STAMP)
	$(PY) -m pytest -ra

# Regenerate student notebooks (exercises/) and autograders (_build/autograder/) from solutions/.
notebooks: $(STAMP)
	$(PY) -m autograder generate

# Fail if a committed student notebook is stale.
check: $(STAMP)
	$(PY) -m autograder check

bench: $(STAMP)
	$(PY) benchmarks/book_and_check.py

freeze: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | sed 's/+cpu$$//'

clean:
	rm -rf _build
