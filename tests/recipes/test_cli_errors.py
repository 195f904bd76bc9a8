"""Bad flags, missing files and incompatible choices: one line on stderr, exit status 2, no traceback."""

import pytest

from recipes.cli import main

# Argument checks and the messages they give do not depend on the backend: one suite runs them
# (tests/conftest.py), but for the remat refusal, which the torch backend does not make.
pytestmark = pytest.mark.one_backend

TINY = [
    "--size",
    "tiny",
    "--train-examples",
    "24",
    "--valid-examples",
    "8",
    "--max-steps",
    "1",
    "--batch-size",
    "8",
    "--seq-len",
    "32",
    "--vocabulary-size",
    "400",
]


def _fails_with(argv, capsys, message):
    with pytest.raises(SystemExit) as exit_info:
        status = main(argv)
        raise SystemExit(status)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert message in lines[0], lines[0]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["train", "classification", "--epochs", "two"], "argument --epochs: invalid int value: 'two'"),
        (["train", "parsing"], "argument task: invalid choice: 'parsing'"),
        (["train", "classification", "--model", "transformer"], "the classification recipe trains lstm, bert, gpt"),
        (["train", "classification", "--data", "/nonexistent/train.tsv"], "/nonexistent/train.tsv"),
        (["train", "classification", "--valid", "valid.tsv"], "--valid needs --data"),
        (["train", "translation", "--no-repeat-ngram", "-1"], "`no_repeat_ngram` must be an integer >= 0"),
        (["train", "translation", "--length-penalty", "-0.5"], "`length_penalty` must be a number >= 0"),
        (
            ["train", "summarization", "--model", "gpt", "--copy-attention"],
            "--copy-attention is for encoder-decoders (translation or summarization with --model lstm or transformer)",
        ),
        (
            ["train", "classification", "--model", "bert", "--pooling", "last"],
            "--pooling last: a bert classifier pools by first, max, mean.",
        ),
        (["train", "translation", "--pooling", "mean"], "--pooling is for classifiers, not translation."),
        (["evaluate", "/nonexistent/run", "--data", "x.tsv"], "not a finished run"),
        (["export", "/nonexistent/run", "--format", "saved_model", "--out", "x"], "not a finished run"),
        (["export", "/nonexistent/run", "--format", "keras", "--out", "x"], "not a finished run"),
    ],
)
def test_bad_input_gets_one_clear_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _fails_with(argv, capsys, message)


def test_remat_needs_transformer_blocks(tmp_path, capsys):
    _fails_with(
        ["train", "classification", "--model", "lstm", "--remat", *TINY, "--out", str(tmp_path / "run")],
        capsys,
        "--remat checkpoints Transformer blocks and this model has none",
    )


@pytest.mark.one_backend("jax")  # torch replays dropout masks when it recomputes, so it accepts this
def test_remat_with_dropout_is_refused_where_masks_would_be_redrawn(tmp_path, capsys):
    _fails_with(
        ["train", "clm", "--model", "gpt", "--remat", "--dropout", "0.1", *TINY, "--out", str(tmp_path / "r")],
        capsys,
        "--remat: decoder_block_0: rematerialization with dropout > 0 runs on the torch backend",
    )


def test_a_vocabulary_too_small_for_the_lossless_tokenizer_names_the_size_it_needs(tmp_path, capsys):
    _fails_with(
        ["train", "clm", "--model", "gpt", *TINY, "--vocabulary-size", "200", "--out", str(tmp_path / "r")],
        capsys,
        "--vocabulary-size 200: too small for the sentencepiece tokenizer on this data",
    )
    # The message's figure is enough.
    argv = ["train", "clm", "--model", "gpt", *TINY, "--vocabulary-size", "320", "--out", str(tmp_path / "s")]
    assert main(argv) == 0


def test_a_bad_row_names_file_and_line(tmp_path, capsys):
    data = tmp_path / "train.tsv"
    data.write_text("label\ttext\npositive\tfine\nnegative\t\n")
    _fails_with(
        ["train", "classification", "--data", str(data), "--out", str(tmp_path / "run")],
        capsys,
        f"{data}, line 3: 'text' (column 'text') is empty",
    )


def test_init_from_a_run_of_another_family(tmp_path, capsys):
    pretrained = tmp_path / "clm"
    assert main(["train", "clm", "--model", "gpt", *TINY, "--out", str(pretrained)]) == 0
    capsys.readouterr()
    _fails_with(
        [
            "train",
            "classification",
            "--model",
            "bert",
            *TINY,
            "--init-from",
            str(pretrained),
            "--out",
            str(tmp_path / "cls"),
        ],
        capsys,
        "a gpt clm run cannot initialise a bert classification model; use a run of bert",
    )
    _fails_with(
        [
            "train",
            "classification",
            "--model",
            "lstm",
            *TINY,
            "--init-from",
            str(pretrained),
            "--out",
            str(tmp_path / "lstm"),
        ],
        capsys,
        "a gpt clm run cannot initialise a lstm classification model; use a lstm clm run",
    )
