"""End to end: train tiny on this backend, export a SavedModel, serve it from raw strings in a process without zoo.

The serving process imports only tensorflow and tensorflow_text. Its answers must equal `zoo
predict` on the run (this backend): class probabilities within 1e-5, greedy generations token
for token.
"""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from recipes.cli import main
from tests.export.tiny_runs import TEXTS
from zoo.export import export_run
from zoo.export.saved_model import export_saved_models
from zoo.training.trainer import load_run

SERVE = """
import json, sys
import tensorflow as tf
import tensorflow_text  # noqa: F401 (registers the tokenizer ops)

answers = {}
for name, (path, signature, texts) in json.load(sys.stdin).items():
    loaded = tf.saved_model.load(path)
    outputs = loaded.signatures[signature](texts=tf.constant(texts, tf.string))
    answers[name] = {key: value.numpy().tolist() for key, value in outputs.items()}
    answers[name]["signatures"] = sorted(loaded.signatures)
answers["imported"] = sorted(name for name in ("zoo", "recipes", "keras_hub") if name in sys.modules)
print(json.dumps(answers, default=lambda value: value.decode("utf-8")))
"""


def _predict(run, texts, capsys, *flags):
    capsys.readouterr()
    assert main(["predict", str(run), *texts, *flags]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


# Under TensorFlow every run is exported, traced in this process. Under JAX and torch the export is
# the same TensorFlow code in a subprocess reading the backend-neutral run folder, so two runs (a
# classifier and a generator) check that path, and that the served answers equal `zoo predict` here.
EXPORTED = None if keras.backend.backend() == "tensorflow" else ("classification-lstm", "translation-gpt")


ONE_TEXT_REQUESTS = (0, 5)  # indices in TEXTS: a short text, and one longer than the runs' --seq-len


@pytest.fixture(scope="module")
def served(trained_runs, tmp_path_factory):
    """`{name: (run folder, served outputs)}`: each run exported, then served by a process without zoo."""
    root = tmp_path_factory.mktemp("export")
    runs = {name: run for name, run in trained_runs.items() if EXPORTED is None or name in EXPORTED}
    export_saved_models([(run, root / name) for name, run in runs.items()])  # one TF process off TensorFlow
    request = {name: (str(root / name), "serving_default", TEXTS) for name in runs}
    if "summarization-transformer" in runs:
        request["summarization-transformer-beam"] = (request["summarization-transformer"][0], "beam", TEXTS)
    # Several chunks of each kind (32 texts a classification chunk, 8 a generation chunk), the last one partial.
    request["classification-lstm-many"] = (request["classification-lstm"][0], "serving_default", TEXTS * 8)
    request["translation-gpt-many"] = (request["translation-gpt"][0], "serving_default", TEXTS * 2)
    # One-text requests, which decode in a program of batch 1 instead of a chunk of 8.
    for name in ("translation-gpt", "summarization-transformer-beam"):
        for index in ONE_TEXT_REQUESTS if name in request else ():
            request[f"{name}-one-{index}"] = (*request[name][:2], TEXTS[index : index + 1])
    result = subprocess.run(
        [sys.executable, "-c", SERVE],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers.pop("imported") == [], "the serving process imported zoo code"
    return {
        name: (trained_runs[name.split("-one-")[0].removesuffix("-beam").removesuffix("-many")], answer)
        for name, answer in answers.items()
    }


def _served(served, name):
    """`(run folder, served outputs)` of run `name`; skips where this backend does not export it (`EXPORTED`)."""
    if name not in served:
        pytest.skip(f"{name} is exported under TensorFlow only (EXPORTED)")
    return served[name]


def test_signatures_are_the_documented_ones(served):
    assert served["classification-lstm"][1]["signatures"] == ["labels", "serving_default"]
    for name in ("translation-gpt", "summarization-transformer", "clm-gpt"):
        if name in served:
            assert served[name][1]["signatures"] == ["beam", "greedy", "serving_default"], name


@pytest.mark.parametrize("name", ["classification-bert", "classification-lstm", "classification-fasttext"])
def test_classification_probabilities_match_the_run(served, name, capsys):
    run, answer = _served(served, name)
    expected = _predict(run, TEXTS, capsys)
    labels = json.loads((run / "model" / "config.json").read_text())["task"]["labels"]
    for prediction, probabilities, label in zip(expected, answer["probabilities"], answer["label"]):
        assert probabilities == pytest.approx([prediction["probabilities"][name] for name in labels], abs=1e-5)
        assert label == prediction["label"]


@pytest.mark.parametrize("name", ["classification-bert", "classification-lstm", "classification-fasttext"])
def test_a_loaded_run_predicts_raw_text_as_zoo_predict_does(trained_runs, name, capsys):
    run = trained_runs[name]
    model, _, info, _ = load_run(run)
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(TEXTS, verbose=0), axis=-1))
    expected = [
        [prediction["probabilities"][label] for label in info["labels"]] for prediction in _predict(run, TEXTS, capsys)
    ]
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)


@pytest.mark.parametrize(
    "name,key", [("translation-gpt", "output"), ("summarization-transformer", "output"), ("clm-gpt", "continuation")]
)
def test_greedy_generations_match_the_run(served, name, key, capsys):
    run, answer = _served(served, name)
    expected = [prediction[key] for prediction in _predict(run, TEXTS, capsys)]
    assert answer["output"] == expected
    assert any(expected), "every generation is empty: the comparison would be vacuous"


@pytest.mark.parametrize(
    "name,key", [("translation-gpt", "output"), ("summarization-transformer", "output"), ("clm-gpt", "continuation")]
)
def test_a_loaded_run_generates_from_raw_text_as_zoo_predict_does(trained_runs, name, key, capsys):
    run = trained_runs[name]
    model, _, _, config = load_run(run)
    expected = [prediction[key] for prediction in _predict(run, TEXTS, capsys)]
    assert model.generate(TEXTS) == expected  # the run's decoding settings (summarization: --no-repeat-ngram 2)
    if name == "summarization-transformer":
        beam = [prediction[key] for prediction in _predict(run, TEXTS, capsys, "--decoding", "beam")]
        beam_settings = {"beam_size": config["beam_size"], "length_penalty": config["length_penalty"]}
        assert model.generate(TEXTS, strategy="beam", **beam_settings) == beam


def test_generate_on_a_classifier_says_what_it_needs(trained_runs):
    model = load_run(trained_runs["classification-lstm"])[0]
    with pytest.raises(ValueError, match="needs a generation run's prompt preprocessor"):
        model.generate(["a text"])


@pytest.mark.parametrize("name,key", [("classification-lstm", "probabilities"), ("translation-gpt", "output")])
def test_a_request_of_several_chunks_gives_what_each_text_gives_alone(served, name, key):
    one, many = served[name][1][key], served[f"{name}-many"][1][key]
    repeats = len(many) // len(one)
    assert repeats > 1 and len(many) == repeats * len(one)
    if key == "output":
        assert many == one * repeats
    else:
        np.testing.assert_allclose(np.array(many), np.array(one * repeats), atol=1e-6)


@pytest.mark.parametrize("name", ["translation-gpt", "summarization-transformer-beam"])
def test_a_one_text_request_gives_what_the_text_gives_in_a_chunk(served, name):
    _, answer = _served(served, name)
    for index in ONE_TEXT_REQUESTS:
        assert served[f"{name}-one-{index}"][1]["output"] == [answer["output"][index]], TEXTS[index]


def test_beam_signature_matches_the_run_with_beam_decoding(served, capsys):
    run, answer = _served(served, "summarization-transformer-beam")
    expected = [prediction["output"] for prediction in _predict(run, TEXTS, capsys, "--decoding", "beam")]
    assert answer["output"] == expected


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="traces in this process only under TensorFlow")
def test_a_failed_export_keeps_the_existing_one(trained_runs, tmp_path, monkeypatch):
    import tensorflow as tf

    out = tmp_path / "export"
    export_run(trained_runs["classification-lstm"], out, format="saved_model")
    before = sorted(path.name for path in out.rglob("*"))

    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", disk_full)
    with pytest.raises(OSError, match="disk full"):
        export_run(trained_runs["classification-bert"], out, format="saved_model")
    assert sorted(path.name for path in out.rglob("*")) == before
    assert [path.name for path in tmp_path.iterdir()] == ["export"], "no staging folder may be left behind"


def test_a_pretraining_run_has_no_serving_signature(tiny_runs, tmp_path, capsys):
    run = tiny_runs["mlm-bert"]  # also test_train_every_task[mlm-bert]'s run
    capsys.readouterr()
    assert main(["export", str(run), "--format", "saved_model", "--out", str(tmp_path / "export")]) == 2
    assert "has no serving signature: it is a pre-training run" in capsys.readouterr().err
    assert not (tmp_path / "export").exists()
