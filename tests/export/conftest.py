"""Tiny runs trained once on this session's backend, shared by the export and backend-switching tests."""

import pytest

from tests.export.tiny_runs import RUNS
from tests.tiny_runs_cache import tiny_runs  # noqa: F401 (the session's cache, shared with tests/recipes)


@pytest.fixture(scope="session")
def trained_runs(tiny_runs):  # noqa: F811 (the fixture imported above)
    """`{name: run folder}` of every run in `RUNS`, trained on this backend (tests/tiny_runs_cache.py)."""
    return {name: tiny_runs[name] for name in RUNS}
