"""benchmarks/hostile_inputs.py: the refusals that need no trained run, end to end, and how stderr is read."""

import pytest

from benchmarks import hostile_inputs


def test_gnu_time_and_tensorflow_start_up_lines_are_not_counted():
    stderr = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "E0000 00:00:1712 cuda_dnn.cc:8310] Unable to register cuDNN factory\n\n"
        "zoo: error: /w/run/config.json: bad\n1024 0.25\n"
    )
    assert hostile_inputs.parse_stderr(stderr, "/w") == (["zoo: error: W/run/config.json: bad"], 1024, 0.25)


# Three `zoo` processes end to end; tests/recipes/test_failed_runs.py covers the same refusals in-process.
@pytest.mark.slow
def test_a_bad_argument_and_bad_data_files_are_refused_in_one_line_leaving_nothing(tmp_path):
    rows = list(hostile_inputs.run_cases([9, 11, 13], tmp_path))
    assert [row["case"] for row in rows] == ["9", "11", "13"]
    for row in rows:
        assert (row["exit"], row["stderr_lines"], row["left_behind"]) == (2, 1, "none"), row
        assert row["message"].startswith("zoo: error: ") and row["peak_rss_mb"] > 0 and row["seconds"] > 0, row
    assert "not valid UTF-8" in rows[0]["message"] and "too few" in rows[1]["message"]
