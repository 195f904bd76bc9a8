"""benchmarks/round_trip.py scores each tokenizer setting on a data set's validation references."""

import pytest

from benchmarks.round_trip import measure

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

PAIRS = [
    ("Two young men are outside.", "Zwei junge Männer sind draußen."),
    ("A girl runs across the street.", "Ein Mädchen läuft über die Straße."),
    ("The boy's e-mail is short.", "Die E-Mail des Jungen ist kurz."),
]


def test_each_setting_is_trained_on_train_and_scored_on_the_validation_targets(tmp_path):
    folder = tmp_path / "multi30k_en_de"
    folder.mkdir()
    (folder / "train.tsv").write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS * 30), encoding="utf-8")
    (folder / "valid.tsv").write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS), encoding="utf-8")

    lossless = measure("multi30k", "sentencepiece", tmp_path, vocabulary_size=300, references=None)
    uncased = measure("multi30k", "wordpiece-uncased", tmp_path, vocabulary_size=300, references=2)

    assert (lossless["tokenizer_round_trip_bleu"], lossless["tokenizer_round_trip_exact"]) == (100.0, 1.0)
    assert lossless["references"] == 3 and lossless["tokens_per_reference"] > 0
    assert uncased["references"] == 2 and uncased["tokenizer_round_trip_exact"] == 0.0
