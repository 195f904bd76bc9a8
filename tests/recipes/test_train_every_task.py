"""Every task x model trains a few steps through the CLI, reports, evaluates a file and predicts.

A flax-style smoke test. The cases in `SHARED` check a run of the session's tiny-run cache
(tests/tiny_runs_cache.py: 20 steps of `tests/export/tiny_runs.TINY`, which the export tests
train anyway) on every backend, so each task trains, evaluates and predicts on all three. The
other cases (the remaining families of a task, and flags) train a run of their own on one
backend each (`ONE_BACKEND_CASES`), spread over the three: what they add is the family's recipe
path, whose backend-dependent parts (layers, task models, decoding) the model tests check on
every backend.
"""

import json

import pytest

from recipes.cli import main
from zoo.data.synthetic import write_corpus

TINY = [
    "--size",
    "tiny",
    "--train-examples",
    "48",
    "--valid-examples",
    "16",
    "--max-steps",
    "2",
    "--batch-size",
    "8",
    "--eval-examples",
    "8",
    "--seq-len",
    "32",
    "--target-len",
    "12",
    "--vocabulary-size",
    "400",
    "--padding",
    "max_length",
]  # one batch shape: one compilation per step function on JAX and XLA
ROUND_TRIP_KEYS = {"tokenizer_round_trip_bleu", "tokenizer_round_trip_exact"}
GENERATION_KEYS = {"bleu", "chrf", "rouge1", "rouge2", "rougeL", "loss", "perplexity", *ROUND_TRIP_KEYS}
KEYS = {
    "classification": {"accuracy", "macro_f1", "loss"},
    "translation": GENERATION_KEYS,
    "summarization": GENERATION_KEYS,
    "mlm": {"loss", "perplexity", "accuracy"},
    "clm": {"loss", "perplexity", "word_perplexity", *ROUND_TRIP_KEYS},
}
CASES = [
    ("classification", "lstm", []),
    ("classification", "bert", []),
    ("classification", "gpt", []),
    ("classification", "fasttext", []),
    ("translation", "lstm", []),
    ("translation", "transformer", ["--decoding", "greedy"]),
    ("translation", "gpt", []),
    ("summarization", "lstm", []),
    ("summarization", "transformer", ["--decoding", "beam", "--beam-size", "2"]),
    ("summarization", "gpt", []),
    ("mlm", "bert", []),
    ("mlm", "bert", ["--nsp"]),
    ("clm", "gpt", []),
    ("clm", "lstm", []),
]
RUN_FILES = (
    "config.json",
    "metrics.json",
    "summary.json",
    "history.csv",
    "README.md",
    "curves.png",
    "model/config.json",
    "model/model.weights.h5",
    "model/tokenizer/tokenizer.json",
)
PROMPTS = {"mlm": "the old [MASK] walked home", "clm": "the old man"}
# Case ids whose run `task-model` comes from the `tiny_runs` cache. Their `extra` flags are decoding
# flags, given to `zoo evaluate` and `zoo predict` (the cached summarization-transformer trains with
# greedy decoding, --copy-attention and --no-repeat-ngram 2 for the export tests).
SHARED = {
    "classification-lstm",
    "classification-bert",
    "classification-fasttext",
    "translation-gpt",
    "summarization-transformer-decoding",
    "mlm-bert",
    "clm-gpt",
}


# Where each case that trains its own run runs: on the backend where it is cheapest in the suite.
ONE_BACKEND_CASES = {
    "classification-gpt": "torch",
    "translation-lstm": "tensorflow",
    "translation-transformer-decoding": "torch",
    "summarization-lstm": "jax",
    "summarization-gpt": "tensorflow",
    "mlm-bert-nsp": "tensorflow",
    "clm-lstm": "jax",
}


def _case_id(task, model, extra):
    return f"{task}-{model}{'-' + extra[0][2:] if extra else ''}"


def _param(task, model, extra):
    case_id = _case_id(task, model, extra)
    marks = () if case_id in SHARED else pytest.mark.one_backend(ONE_BACKEND_CASES[case_id])
    return pytest.param(task, model, extra, id=case_id, marks=marks)


def _last_json(text):
    return json.loads(text[text.index("{") :])


# Keras warns so when a validation set of unknown length ends (windows of a token stream); the
# cache trains its runs under the same filter.
@pytest.mark.filterwarnings("error:Your input ran out of data:UserWarning")
@pytest.mark.parametrize("task,model,extra", [_param(*case) for case in CASES])
def test_train_evaluate_predict(task, model, extra, tmp_path, capsys, backend, tiny_runs):
    if _case_id(task, model, extra) in SHARED:
        out, decoding = tiny_runs[f"{task}-{model}"], extra
        printed = tiny_runs.printed(f"{task}-{model}")
    else:
        out, decoding = tmp_path / "run", []
        # On TensorFlow one batch shape turns on XLA (`--jit-compile auto`), whose compilation costs
        # more than these 2 steps: off, but for clm, whose windows get XLA whatever the padding.
        no_xla = ["--jit-compile", "off"] if backend == "tensorflow" and task != "clm" else []
        assert main(["train", task, "--model", model, *TINY, *extra, *no_xla, "--out", str(out)]) == 0
        printed = capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert _last_json(printed) == metrics  # `zoo train` prints what it writes
    assert KEYS[task] <= set(metrics), metrics
    if extra == ["--nsp"]:
        assert 0 <= metrics["nsp_accuracy"] <= 1
    if ROUND_TRIP_KEYS <= set(KEYS[task]):  # the default (lossless SentencePiece) tokenizer gives the text back
        assert metrics["tokenizer_round_trip_exact"] == 1.0, metrics
    for name in RUN_FILES:
        assert (out / name).is_file(), name
    assert list((out / "logs").rglob("events.out.tfevents*")), "no TensorBoard events"
    assert json.loads((out / "config.json").read_text())["model"] == model
    columns = (out / "history.csv").read_text().splitlines()[0].split(",")
    assert columns[:4] == ["epoch", "step", "elapsed_s", "learning_rate"], columns
    # Only classification logs accuracy as it trains (`Recipe.training_accuracy`): it picks the best weights.
    assert ("accuracy" in columns and "val_accuracy" in columns) == (task == "classification"), columns

    paths = write_corpus(task, tmp_path / "data", sizes={"train": 4, "valid": 4, "test": 6})
    capsys.readouterr()
    # --eval-examples 8: all 6 generated, as the 2-step runs' own setting does (the cached runs' is 4).
    assert main(["evaluate", str(out), "--data", str(paths["test"]), "--eval-examples", "8", *decoding]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert KEYS[task] <= set(evaluated) and evaluated["examples"] == 6
    if task in ("translation", "summarization"):
        assert evaluated["generated_examples"] == 6, evaluated

    assert main(["predict", str(out), PROMPTS.get(task, "the old man walked home"), "a second text", *decoding]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all(isinstance(json.loads(line), dict) for line in lines)


def test_every_case_runs_on_every_backend_or_names_its_one():
    ids = {_case_id(*case) for case in CASES}
    assert SHARED | set(ONE_BACKEND_CASES) == ids and not SHARED & set(ONE_BACKEND_CASES)
    assert set(ONE_BACKEND_CASES.values()) == {"jax", "tensorflow", "torch"}


def test_every_registered_task_model_has_a_case_here():
    from recipes import TASKS
    from zoo.models.registry import task_families

    registered = {(task, family) for task in TASKS for family in task_families(task)}
    assert {(task, model) for task, model, _ in CASES} == registered
