"""Train on this backend, load on another: same predictions, logits within 1e-4, identical greedy outputs.

The other backend runs in its own process (a process holds one Keras backend) and reads the
same run folders through `zoo predict`, plus the run's `.keras` export through `load_keras_file`.
Run under each of the three backends (`make test`), `LOADED_ON` makes a cycle: every backend's
runs are loaded by another, and every backend loads another's runs. (The run folder is the
same bytes whichever backend wrote it; the full 3x3 matrix cost 2x the time for no other path.)
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from recipes.cli import main
from tests.export.tiny_runs import TEXTS
from zoo.export import export_run, load_keras_file
from zoo.training.trainer import load_run

LOADED_ON = {"jax": "torch", "torch": "tensorflow", "tensorflow": "jax"}
# One run per family: lstm, bert, gpt (as a prefix LM) and the encoder-decoder transformer.
SWITCHED = ("classification-bert", "classification-lstm", "translation-gpt", "summarization-transformer")
ON_ANOTHER_BACKEND = """
import contextlib, io, json, sys
import keras
import numpy as np
from recipes.cli import main
from zoo.export import load_keras_file

request = json.load(sys.stdin)
answers = {"backend": keras.backend.backend()}
for name, run in request["runs"].items():
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["predict", run, *request["texts"]]) == 0
    answers[name] = [json.loads(line) for line in printed.getvalue().splitlines()]
model = load_keras_file(request["keras_file"])
inputs = {key: np.asarray(value, "int32") for key, value in request["inputs"].items()}
answers["logits"] = keras.ops.convert_to_numpy(model(inputs, training=False)).tolist()
print(json.dumps(answers))
"""


def _bert_inputs():
    token_ids = np.array([[2, 40, 41, 42, 3, 0, 0, 0], [2, 50, 60, 70, 80, 90, 100, 3]], "int32")
    return {
        "token_ids": token_ids,
        "segment_ids": np.zeros_like(token_ids),
        "padding_mask": (token_ids != 0).astype("int32"),
    }


def _predict_here(run, capsys):
    capsys.readouterr()
    assert main(["predict", str(run), *TEXTS]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


@pytest.fixture(scope="module")
def other_backends(trained_runs, tmp_path_factory):
    """`{backend: answers}` of the backend that loads this backend's runs (`LOADED_ON`)."""
    keras_file = tmp_path_factory.mktemp("keras") / "classifier.keras"
    export_run(trained_runs["classification-bert"], keras_file, format="keras")
    request = {
        "runs": {name: str(trained_runs[name]) for name in SWITCHED},
        "texts": TEXTS,
        "keras_file": str(keras_file),
        "inputs": {key: value.tolist() for key, value in _bert_inputs().items()},
    }
    answers = {}
    for backend in [LOADED_ON[keras.backend.backend()]]:
        result = subprocess.run(
            [sys.executable, "-c", ON_ANOTHER_BACKEND],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=_environment(backend),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        answers[backend] = json.loads(result.stdout.strip().splitlines()[-1])
        assert answers[backend]["backend"] == backend
    return {"keras_file": keras_file, "answers": answers}


def _environment(backend):
    return {**os.environ, "KERAS_BACKEND": backend}


@pytest.mark.parametrize("name", ["classification-bert", "classification-lstm"])
def test_class_probabilities_agree_on_another_backend(trained_runs, other_backends, name, capsys):
    expected = _predict_here(trained_runs[name], capsys)
    for backend, answers in other_backends["answers"].items():
        for here, there in zip(expected, answers[name]):
            assert there["label"] == here["label"], backend
            assert there["probabilities"] == pytest.approx(here["probabilities"], abs=1e-5), backend


@pytest.mark.parametrize("name", ["translation-gpt", "summarization-transformer"])
def test_greedy_outputs_are_identical_on_another_backend(trained_runs, other_backends, name, capsys):
    expected = _predict_here(trained_runs[name], capsys)
    for backend, answers in other_backends["answers"].items():
        assert answers[name] == expected, backend


def test_keras_file_logits_agree_within_1e_4(trained_runs, other_backends):
    model, _, _, _ = load_run(trained_runs["classification-bert"])
    expected = keras.ops.convert_to_numpy(model(_bert_inputs(), training=False))
    here = keras.ops.convert_to_numpy(load_keras_file(other_backends["keras_file"])(_bert_inputs(), training=False))
    np.testing.assert_array_equal(here, expected)
    for backend, answers in other_backends["answers"].items():
        np.testing.assert_allclose(answers["logits"], expected, atol=1e-4, err_msg=backend)
