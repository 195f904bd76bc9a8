"""A new model family is one folder plus one registry line: the GRU fixture family passes the family contract.

The contract every family's task models keep (for the real families it is spread over
tests/models/test_task_registry.py, tests/recipes/test_train_every_task.py and tests/export/):
the registry and the CLI list it, its config round trips, `zoo train` fits it, a loaded run
predicts raw text as `zoo predict` does, its `.keras` export loads with `safe_mode` and gives the
same logits, and its SavedModel serves the same probabilities (traced in this process: TensorFlow).
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from recipes import get_recipe
from recipes.cli import main
from tests.export.tiny_runs import TEXTS, TINY
from zoo import families
from zoo.export import export_run, load_keras_file
from zoo.training.trainer import load_run


@pytest.fixture
def gru_family(monkeypatch):
    """The one line a contributor adds to `zoo/families.py` (`MODEL_ONLY_FAMILIES`: no shared backbone)."""
    monkeypatch.setitem(families.MODEL_ONLY_FAMILIES, "gru", "tests.models.gru_family")


def test_without_its_registry_line_the_family_is_refused_by_name(capsys):
    assert main(["train", "classification", "--model", "gru", "--out", "unused"]) == 2
    assert "--model gru: the classification recipe trains lstm, bert, gpt, fasttext" in capsys.readouterr().err


def test_a_family_of_one_folder_and_one_registry_line_passes_the_contract(gru_family, tmp_path, capsys):
    assert get_recipe("classification").families[-1] == "gru"
    run = tmp_path / "run"
    assert main(["train", "classification", "--model", "gru", *TINY, "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["examples"] > 0
    capsys.readouterr()

    model, _, info, config = load_run(run)
    assert keras.saving.get_registered_name(type(model)) == "zoo>GRUClassifier"
    assert type(model).from_config(model.get_config()).get_config() == model.get_config()

    # A loaded run predicts raw text as `zoo predict` does.
    assert main(["predict", str(run), *TEXTS]) == 0
    predicted = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(TEXTS, verbose=0), axis=-1))
    expected = [[row["probabilities"][label] for label in info["labels"]] for row in predicted]
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)

    # `.keras`: loads with safe_mode, same logits.
    export_run(run, tmp_path / "model.keras", format="keras")
    inputs = {name: value.numpy() for name, value in model.preprocessor(tf.constant(TEXTS)).items()}
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(load_keras_file(tmp_path / "model.keras")(inputs)),
        keras.ops.convert_to_numpy(model(inputs)),
        atol=1e-5,
    )

    if keras.backend.backend() == "tensorflow":  # another backend exports in a subprocess without this fixture
        export_run(run, tmp_path / "saved_model", format="saved_model")
        served = tf.saved_model.load(str(tmp_path / "saved_model")).signatures["serving_default"]
        np.testing.assert_allclose(served(texts=tf.constant(TEXTS))["probabilities"].numpy(), expected, atol=1e-5)
