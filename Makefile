# Two commands do everything on a fresh clone: `make demo` and `make test`.
# Both create .venv (Python >= 3.11) and install the pinned set in constraints.txt; the install
# is quiet: pip prints errors only (-qq; a machine-wide pip.conf may add index warnings otherwise), and
# PYTHONWARNINGS=ignore silences setuptools' editable-install notices in its build step.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Longest first, TEST_JOBS side by side; torch's short suite runs in two parts (tests/run_per_backend.py)
# that fill the time the JAX and TensorFlow suites leave.
BACKENDS ?= jax tensorflow torch:runs torch:rest
TEST_JOBS ?= 2
PYTEST_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: venv demo test test-all test-backend bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet --quiet -c constraints.txt -e ".[torch,dev]"
	touch $(STAMP)

demo: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=3 $(VENV)/bin/zoo demo

# One pytest process per backend (KERAS_BACKEND must be set before keras is imported), TEST_JOBS of
# them side by side; each backend's output is printed when it ends. The target fails if any failed.
test: $(STAMP)
	$(PY) tests/run_per_backend.py --jobs $(TEST_JOBS) $(BACKENDS) -- -m "not slow" --durations=40 $(PYTEST_ARGS)

test-all: $(STAMP)
	$(PY) tests/run_per_backend.py --jobs $(TEST_JOBS) $(BACKENDS) -- $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/input_pipeline.py

# ruff lint and format check (config in pyproject.toml); `ruff format` and `ruff check --fix` fix most findings.
lint: $(STAMP)
	$(VENV)/bin/ruff check zoo recipes tests benchmarks
	$(VENV)/bin/ruff format --check zoo recipes tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
