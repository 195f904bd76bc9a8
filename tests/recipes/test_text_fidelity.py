"""A generation run keeps case, accents and spacing by default, and warns when its tokenizer cannot."""

import json

import pytest

from recipes.cli import main

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

PAIRS = [
    ("Two young men are outside near bushes.", "Zwei junge Männer sind draußen in der Nähe von Büschen."),
    ("A girl in a pink dress runs across the street.", "Ein Mädchen in einem rosa Kleid läuft über die Straße."),
    ("The boy's e-mail is short.", "Die E-Mail des Jungen ist kurz."),
    ("A man, a dog and a ball.", "Ein Mann, ein Hund und ein Ball."),
]
TINY = [
    "--model",
    "transformer",
    "--size",
    "tiny",
    "--max-steps",
    "1",
    "--batch-size",
    "4",
    "--eval-examples",
    "4",
    "--seq-len",
    "24",
    "--target-len",
    "24",
    "--vocabulary-size",
    "400",
    "--padding",
    "max_length",
    "--decoding",
    "greedy",
]  # the default beam search costs compilations, not what is tested here


@pytest.fixture
def german(tmp_path):
    lines = "".join(f"{source}\t{target}\n" for source, target in PAIRS * 10)
    (tmp_path / "train.tsv").write_text(lines, encoding="utf-8")
    (tmp_path / "valid.tsv").write_text(lines, encoding="utf-8")
    return ["--data", str(tmp_path / "train.tsv"), "--valid", str(tmp_path / "valid.tsv")]


@pytest.mark.filterwarnings("ignore:SentencePiece vocabulary")
def test_the_default_tokenizer_gives_the_references_back(german, tmp_path, capsys):
    assert main(["train", "translation", *german, *TINY, "--out", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert (metrics["tokenizer_round_trip_bleu"], metrics["tokenizer_round_trip_exact"]) == (100.0, 1.0)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["tokenizer"] == "sentencepiece"


def test_a_lowercasing_tokenizer_warns_before_training(german, tmp_path, capsys):
    with pytest.warns(
        UserWarning,
        match=r"wordpiece tokenizer of this translation run gives the validation "
        r"references back at BLEU \d+\.\d, 0% exact .*--tokenizer sentencepiece",
    ):
        assert (
            main(["train", "translation", *german, *TINY, "--tokenizer", "wordpiece", "--out", str(tmp_path / "run")])
            == 0
        )
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["tokenizer_round_trip_exact"] == 0.0 and metrics["tokenizer_round_trip_bleu"] < 99
