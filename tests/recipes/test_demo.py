"""`zoo demo` end to end at a tiny size: train, test split, raw-string predictions, export, reload."""

import pytest

from recipes import demo

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)


def test_demo_trains_evaluates_predicts_and_serves_its_export(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        demo,
        "DEMO_SETTINGS",
        {
            **demo.DEMO_SETTINGS,
            "size": "tiny",
            "train_examples": 256,
            "valid_examples": 64,
            "max_steps": 4,
            "vocabulary_size": 300,
        },
    )
    metrics = demo.run_demo(out=str(tmp_path / "demo"))
    printed = capsys.readouterr().out
    assert metrics["examples"] == 2000 and 0 <= metrics["accuracy"] <= 1
    assert printed.count("truth") == 6
    assert "it gives the same labels: True, probabilities within" in printed
    assert (tmp_path / "demo" / "export" / "saved_model.pb").is_file()
