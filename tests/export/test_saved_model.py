"""End to end: train tiny on this backend, export a SavedModel, serve it from raw strings in a process without zoo.

The serving process imports only tensorflow and tensorflow_text. Its answers must equal `zoo
predict` on the run (this backend): class probabilities within 1e-5, greedy generations token
for token.
"""

import json
import subprocess
import sys

import pytest

from zoo.cli import main
from zoo.export import export_run

TINY = ["--size", "tiny", "--train-examples", "64", "--valid-examples", "16", "--max-steps", "20", "--batch-size", "8",
        "--eval-examples", "4", "--seq-len", "24", "--target-len", "10", "--vocabulary-size", "300"]
RUNS = {
    "classification-bert": ["classification", "--model", "bert"],
    "translation-gpt": ["translation", "--model", "gpt"],
    "summarization-transformer": ["summarization", "--model", "transformer"],
    "clm-gpt": ["clm", "--model", "gpt"],
}
# Nine texts: two generation chunks; an empty text, one longer than --seq-len, CJK and emoji.
TEXTS = ["the old man walked home", "", "a dog", "no , the film was not bad at all", "日本語のテキスト 🙂",
         " ".join(["very"] * 60) + " long", "she said that he left", "two", "the last text"]
SERVE = """
import json, sys
import tensorflow as tf
import tensorflow_text  # noqa: F401 (registers the tokenizer ops)

answers = {}
for name, (path, signature, texts) in json.load(sys.stdin).items():
    outputs = tf.saved_model.load(path).signatures[signature](texts=tf.constant(texts, tf.string))
    answers[name] = {key: value.numpy().tolist() for key, value in outputs.items()}
answers["imported"] = sorted(name for name in ("zoo", "recipes", "keras_hub") if name in sys.modules)
print(json.dumps(answers, default=lambda value: value.decode("utf-8")))
"""


def _predict(run, texts, capsys, *flags):
    capsys.readouterr()
    assert main(["predict", str(run), *texts, *flags]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`{run name: (run folder, served outputs)}` for every run of `RUNS`, trained on this backend."""
    root = tmp_path_factory.mktemp("export")
    request = {}
    for name, argv in RUNS.items():
        run = root / name
        assert main(["train", *argv, *TINY, "--out", str(run)]) == 0
        export_run(run, root / f"{name}-saved_model", format="saved_model")
        request[name] = (str(root / f"{name}-saved_model"), "serving_default", TEXTS)
    request["summarization-transformer-beam"] = (request["summarization-transformer"][0], "beam", TEXTS)
    result = subprocess.run([sys.executable, "-c", SERVE], input=json.dumps(request), capture_output=True, text=True,
                            env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers.pop("imported") == [], "the serving process imported zoo code"
    return {name: (root / name.removesuffix("-beam"), answer) for name, answer in answers.items()}


def test_classification_probabilities_match_the_run(served, capsys):
    run, answer = served["classification-bert"]
    expected = _predict(run, TEXTS, capsys)
    labels = json.loads((run / "model" / "config.json").read_text())["task"]["labels"]
    for prediction, probabilities, label in zip(expected, answer["probabilities"], answer["label"]):
        assert probabilities == pytest.approx([prediction["probabilities"][name] for name in labels], abs=1e-5)
        assert label == prediction["label"]


@pytest.mark.parametrize("name,key", [("translation-gpt", "output"), ("summarization-transformer", "output"),
                                      ("clm-gpt", "continuation")])
def test_greedy_generations_match_the_run(served, name, key, capsys):
    run, answer = served[name]
    expected = [prediction[key] for prediction in _predict(run, TEXTS, capsys)]
    assert answer["output"] == expected
    assert any(expected), "every generation is empty: the comparison would be vacuous"


def test_beam_signature_matches_the_run_with_beam_decoding(served, capsys):
    run, answer = served["summarization-transformer-beam"]
    expected = [prediction["output"] for prediction in _predict(run, TEXTS, capsys, "--decoding", "beam")]
    assert answer["output"] == expected
