"""benchmarks/serving_memory.py end to end on the classification export, at two small request sizes."""

import json

import pytest

from benchmarks import serving_memory


def test_the_sentences_are_the_same_on_every_call():
    assert serving_memory.sentences(600) == serving_memory.sentences(600)
    assert len(set(serving_memory.sentences(600))) == 512


@pytest.mark.slow
def test_each_request_size_gets_a_row_of_positive_memory_figures(tmp_path, capsys):
    serving_memory.main(["--exports", "classification", "--sizes", "10,40", "--workdir", str(tmp_path), "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["export"], row["texts"]) for row in rows] == [("classification", 10), ("classification", 40)]
    for row in rows:
        for key in ("after_load_mb", "after_first_call_mb", "peak_mb", "first_call_s", "seconds", "ms_per_text"):
            assert row[key] > 0, (key, row)
        assert row["peak_mb"] >= row["after_first_call_mb"] * 0.9, row
