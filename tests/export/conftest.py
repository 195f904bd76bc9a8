"""Tiny runs trained once on this session's backend, shared by the export and backend-switching tests."""

import pytest

from recipes.cli import main
from tests.export.tiny_runs import RUNS, TINY


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory):
    """`{name: run folder}` of every run in `RUNS`, trained on this backend."""
    root = tmp_path_factory.mktemp("runs")
    for name, argv in RUNS.items():
        assert main(["train", *argv, *TINY, "--out", str(root / name)]) == 0
    return {name: root / name for name in RUNS}
