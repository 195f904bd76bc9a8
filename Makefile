# Two commands do everything on a fresh clone: `make demo` and `make test`.
# Both create .venv (Python >= 3.10) and install the pinned set in constraints.txt.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BACKENDS ?= tensorflow jax torch
PYTEST_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: venv demo test test-all test-backend bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[torch,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/zoo demo

# One pytest process per backend (KERAS_BACKEND must be set before keras is imported).
# Every backend runs even if an earlier one fails; the target fails if any failed.
test: $(STAMP)
	@status=0; for backend in $(BACKENDS); do \
	  echo "===== KERAS_BACKEND=$$backend ====="; \
	  KERAS_BACKEND=$$backend $(PY) -m pytest -m "not slow" $(PYTEST_ARGS) || status=1; \
	done; exit $$status

test-all: $(STAMP)
	@status=0; for backend in $(BACKENDS); do \
	  echo "===== KERAS_BACKEND=$$backend (including slow) ====="; \
	  KERAS_BACKEND=$$backend $(PY) -m pytest $(PYTEST_ARGS) || status=1; \
	done; exit $$status

bench: $(STAMP)
	$(PY) benchmarks/input_pipeline.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
