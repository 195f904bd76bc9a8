"""`tests/run_per_backend.py`: one pytest per backend with KERAS_BACKEND set, side by side, failures reported."""

import subprocess
import sys
from pathlib import Path

import pytest

from recipes.cli import BACKENDS as CLI_BACKENDS
from tests.conftest import in_part
from tests.run_per_backend import BACKENDS, main

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

CHECKS_THE_BACKEND = """
import os


def test_backend_is_set():
    assert os.environ["KERAS_BACKEND"] in ("jax", "torch")
    assert os.environ["KERAS_BACKEND"] != "{failing}"
"""


def _run(tmp_path, capsys, failing, jobs):
    (tmp_path / "test_probe.py").write_text(CHECKS_THE_BACKEND.format(failing=failing))
    # Its own root and no config file: the probe runs without this suite's conftest.
    pytest_args = ["-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null", str(tmp_path)]
    status = main(["--jobs", str(jobs), "jax", "torch", "--", *pytest_args])
    return status, capsys.readouterr().out


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_backend_runs_with_its_own_keras_backend(tmp_path, capsys, jobs):
    status, out = _run(tmp_path, capsys, failing="none", jobs=jobs)
    assert status == 0, out
    assert "KERAS_BACKEND=jax: passed" in out and "KERAS_BACKEND=torch: passed" in out
    assert out.count("1 passed") == 2


def test_a_failing_backend_fails_the_run_and_is_named(tmp_path, capsys):
    status, out = _run(tmp_path, capsys, failing="torch", jobs=2)
    assert status == 1
    assert "KERAS_BACKEND=jax: passed" in out and "KERAS_BACKEND=torch: FAILED" in out
    assert out.rstrip().endswith("FAILED on: torch")


def test_bad_arguments_are_refused(capsys):
    with pytest.raises(SystemExit):
        main(["--jobs", "0", "jax"])
    assert "--jobs must be at least 1. Received: 0" in capsys.readouterr().err
    for job in ("theano", "torch:most"):
        with pytest.raises(SystemExit):
            main([job])
        assert f"a job is a backend (jax, tensorflow, torch), or one with :runs or :rest. Received: {job}" in (
            capsys.readouterr().err
        )
    for jobs in (["jax", "torch", "jax"], ["torch", "torch:runs"]):
        with pytest.raises(SystemExit):
            main(jobs)
        assert f"each test at most once: a backend whole or in parts. Received: {' '.join(jobs)}" in (
            capsys.readouterr().err
        )


def test_runs_as_a_script_the_way_make_test_calls_it():
    # As a file, tests/ is first on sys.path and tests/recipes shadows the recipes package: an
    # import from recipes there broke `make test` once while every test passed.
    script = Path(__file__).with_name("run_per_backend.py")
    result = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "jax,tensorflow,torch" in result.stdout.replace(" ", "").replace("{", "").replace("}", "")


def test_a_part_runs_with_its_backend_and_its_part(tmp_path, capsys):
    (tmp_path / "test_probe.py").write_text(
        "import os\n\ndef test_part():\n"
        "    assert (os.environ['KERAS_BACKEND'], os.environ['ZOO_TEST_PART']) == ('torch', 'runs')\n"
    )
    pytest_args = ["-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null", str(tmp_path)]
    assert main(["torch:runs", "--", *pytest_args]) == 0, capsys.readouterr().out
    assert "KERAS_BACKEND=torch:runs: passed" in capsys.readouterr().out


def test_the_two_parts_hold_every_test_file_once():
    root = Path(__file__).parent
    for path in root.rglob("test_*.py"):
        assert in_part(path, "runs") != in_part(path, "rest"), path
        assert in_part(path, None)
    assert in_part(root / "export" / "test_saved_model.py", "runs")
    assert in_part(root / "recipes" / "test_resume.py", "runs")
    assert in_part(root / "layers" / "test_attention.py", "rest")


def test_backends_agree_with_the_cli():
    assert BACKENDS == CLI_BACKENDS
