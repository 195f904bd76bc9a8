"""Shared pytest set-up: one backend per process, fixed seeds, fp32 by default."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# JAX keeps compiled programs in a disk cache for the session (and the `zoo` processes tests
# start): tests build many models of the same tiny shapes, and each new model traces and compiles
# its train and predict steps again; XLA keys the cache on the program, so the compile is shared.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="zoo-tests-jax-cache-")
    atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
# XLA without its LLVM optimization passes: the tests' programs are tiny and many (eager JAX compiles
# each op for each new shape), so compiling dominates running; JAX model and layer tests take 15-25%
# less time. The passes do not change float results (XLA's fast math is off either way).
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_backend_optimization_level=0".strip()
if "KERAS_BACKEND" not in os.environ:
    raise RuntimeError(
        "Set KERAS_BACKEND (tensorflow, jax or torch) before running pytest; "
        "`make test` runs one pytest process per backend."
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

# Tests marked `one_backend` check code whose behaviour does not depend on the Keras backend
# (tokenizers, readers, metrics, pre-flight checks, ...): they run in one backend's suite only,
# `ONE_BACKEND` unless the marker names another (`@pytest.mark.one_backend("jax")`).
ONE_BACKEND = "torch"


def _runs_here(item):
    marker = item.get_closest_marker("one_backend")
    return marker is None or (marker.args[0] if marker.args else ONE_BACKEND) == keras.backend.backend()


# `make test` may run a backend's suite as two processes (tests/run_per_backend.py, `torch:runs` and
# `torch:rest`): ZOO_TEST_PART keeps the folders whose tests train (export and recipes share one
# session cache of tiny runs, tests/tiny_runs_cache.py; tests/training joins them so that
# the two parts take about as long), or every other test.
RUN_FOLDERS = ("export", "recipes", "training")
TESTS = Path(__file__).parent


def in_part(path, part):
    """Whether the test file at `path` belongs to `part` ("runs", "rest", or None: the whole suite)."""
    if part is None:
        return True
    in_run_folders = Path(path).resolve().relative_to(TESTS.resolve()).parts[0] in RUN_FOLDERS
    return in_run_folders == (part == "runs")


def pytest_collection_modifyitems(config, items):
    part = os.environ.get("ZOO_TEST_PART")
    elsewhere = [item for item in items if not (_runs_here(item) and in_part(item.path, part))]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if _runs_here(item) and in_part(item.path, part)]


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts from a float32 policy and a fixed seed, and leaves no policy behind."""
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(1234)
    np.random.seed(1234)
    yield
    keras.config.set_dtype_policy("float32")
    keras.backend.clear_session(free_memory=False)  # free_memory=True runs gc: 0.5 s per test on JAX


@pytest.fixture
def backend():
    return keras.backend.backend()
