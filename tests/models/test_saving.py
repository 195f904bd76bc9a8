import json

import keras
import numpy as np
import pytest

from tests.models.bert.tiny import make_backbone, make_inputs
from zoo.errors import LoadError
from zoo.models.bert import BertClassifier
from zoo.models.saving import UnsafeModelConfig, check_config_is_safe, load_model_folder, save_model_folder
from zoo.testing import to_numpy
from zoo.tokenizers import ByteTokenizer


def classifier(vocabulary_size=ByteTokenizer().vocabulary_size):  # noqa: B008 (an int, computed once)
    """A tiny BERT classifier with an embedding row for every byte id (so `ByteTokenizer` fits it)."""
    return BertClassifier(make_backbone(vocabulary_size=vocabulary_size), num_classes=3, dropout=0.0)


def test_folder_round_trip_gives_identical_outputs_and_tokenizer(tmp_path):
    model = classifier()
    inputs = make_inputs()
    expected = to_numpy(model(inputs))
    save_model_folder(model, tmp_path / "run", tokenizers={"tokenizer": ByteTokenizer()}, task_config={"labels": ["a"]})
    loaded, tokenizers, config = load_model_folder(tmp_path / "run")
    np.testing.assert_array_equal(to_numpy(loaded(inputs)), expected)
    assert tokenizers["tokenizer"].tokenize("hi").tolist() == ByteTokenizer().tokenize("hi").tolist()
    assert config["task"] == {"labels": ["a"]}
    assert config["backend"] == keras.backend.backend()


def test_failed_save_keeps_the_existing_folder(tmp_path):
    save_model_folder(classifier(), tmp_path / "run")
    before = sorted(p.name for p in (tmp_path / "run").iterdir())

    class Broken:
        def save(self, directory):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        save_model_folder(classifier(), tmp_path / "run", tokenizers={"tokenizer": Broken()})
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"], "no staging folder may be left behind"


def hostile(tmp_path, edit):
    save_model_folder(classifier(), tmp_path / "run")
    path = tmp_path / "run" / "config.json"
    config = json.loads(path.read_text())
    edit(config)
    path.write_text(json.dumps(config))
    return tmp_path / "run"


def test_config_naming_an_arbitrary_module_is_refused_before_import(tmp_path):
    def edit(config):
        config["model"]["config"]["backbone"]["module"] = "os"
        config["model"]["config"]["backbone"]["class_name"] = "system"

    with pytest.raises(UnsafeModelConfig, match="'os.system'"):
        load_model_folder(hostile(tmp_path, edit))


def test_unregistered_custom_name_is_refused():
    with pytest.raises(UnsafeModelConfig, match="evil>Payload"):
        check_config_is_safe({"class_name": "Payload", "module": "zoo.x", "registered_name": "evil>Payload"})


def test_lambda_is_refused():
    with pytest.raises(UnsafeModelConfig, match="Lambda"):
        check_config_is_safe({"layers": [{"class_name": "__lambda__", "config": {"code": "..."}}]})


def test_tokenizer_folder_escaping_the_model_folder_is_refused(tmp_path):
    folder = hostile(tmp_path, lambda config: config.update(tokenizers={"tokenizer": "../../etc"}))
    with pytest.raises(ValueError, match="outside"):
        load_model_folder(folder)


def test_truncated_weights_file_gives_a_clear_error(tmp_path):
    save_model_folder(classifier(), tmp_path / "run")
    weights = tmp_path / "run" / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(LoadError, match="model.weights.h5: not a readable weights file .* save the model again"):
        load_model_folder(tmp_path / "run")


def test_missing_or_corrupt_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model config"):
        load_model_folder(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(LoadError, match="not valid UTF-8 JSON"):
        load_model_folder(tmp_path)


def test_a_lambda_wrapping_a_keras_function_is_refused_in_a_folder(tmp_path):
    def edit(config):
        config["model"]["config"]["backbone"] = {
            "module": "keras.layers",
            "class_name": "Lambda",
            "registered_name": None,
            "config": {
                "function": {
                    "module": "builtins",
                    "class_name": "function",
                    "config": "abs",
                    "registered_name": "function",
                }
            },
        }

    with pytest.raises(UnsafeModelConfig, match="a Lambda layer is refused"):
        load_model_folder(hostile(tmp_path, edit))


@pytest.mark.parametrize("function,allowed", [("gelu", True), ("eval", False), ("os>system", False)])
def test_only_keras_activations_and_registered_functions_load_by_name(function, allowed):
    config = {
        "class_name": "Dense",
        "config": {
            "activation": {
                "module": "builtins",
                "class_name": "function",
                "config": function,
                "registered_name": "function",
            }
        },
    }
    if allowed:
        check_config_is_safe(config)
    else:
        with pytest.raises(UnsafeModelConfig, match=f"refusing the function '{function}'"):
            check_config_is_safe(config)


def test_a_config_that_is_not_utf8_is_refused(tmp_path):
    save_model_folder(classifier(), tmp_path / "run")
    (tmp_path / "run" / "config.json").write_bytes(b'{"model": "caf\xe9"}')  # Latin-1, not UTF-8
    with pytest.raises(LoadError, match="config.json: not valid UTF-8 JSON"):
        load_model_folder(tmp_path / "run")


def test_a_deeply_nested_config_is_refused_without_recursion(tmp_path):
    save_model_folder(classifier(), tmp_path / "run")
    (tmp_path / "run" / "config.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(LoadError, match="nests deeper than"):
        load_model_folder(tmp_path / "run")
    (tmp_path / "run" / "config.json").write_text('{"model": ' + "[" * 150 + "]" * 150 + "}")
    with pytest.raises(LoadError, match="nests deeper than 100 levels"):
        load_model_folder(tmp_path / "run")


def test_a_config_over_its_size_cap_is_refused_before_reading(tmp_path, monkeypatch):
    save_model_folder(classifier(), tmp_path / "run")
    monkeypatch.setenv("ZOO_MAX_CONFIG_BYTES", "1000")
    with pytest.raises(
        LoadError,
        match=r"config.json: .* above the 1000 bytes cap on a model config; .* "
        "raise ZOO_MAX_CONFIG_BYTES",
    ):
        load_model_folder(tmp_path / "run")


def test_a_vocabulary_of_a_trillion_is_refused_before_building(tmp_path):
    def edit(config):
        config["model"]["config"]["backbone"]["config"]["vocabulary_size"] = 10**12

    with pytest.raises(LoadError, match="vocabulary_size=1,000,000,000,000.* far larger than its"):
        load_model_folder(hostile(tmp_path, edit))


def test_weights_of_another_model_name_the_variable(tmp_path):
    save_model_folder(classifier(), tmp_path / "run")
    other = BertClassifier(make_backbone(vocabulary_size=ByteTokenizer().vocabulary_size), num_classes=5, dropout=0.0)
    other.save_weights(tmp_path / "run" / "model.weights.h5")
    with pytest.raises(LoadError, match=r"no array has the shape \(\d+, 3\) of the model's variable '.*logits"):
        load_model_folder(tmp_path / "run")


def test_weights_into_a_model_without_variables_are_refused(tmp_path):
    def edit(config):
        inputs = keras.Input((4,))
        config["model"] = keras.saving.serialize_keras_object(keras.Model(inputs, keras.layers.ReLU()(inputs)))

    with pytest.raises(LoadError, match=r"holds \d+ arrays, the model its config describes has 0 variables"):
        load_model_folder(hostile(tmp_path, edit))


def test_a_tokenizer_larger_than_the_embedding_is_refused(tmp_path):
    save_model_folder(classifier(vocabulary_size=50), tmp_path / "run", tokenizers={"tokenizer": ByteTokenizer()})
    with pytest.raises(LoadError, match="a vocabulary of 261 tokens, but the model has 50 embedding rows"):
        load_model_folder(tmp_path / "run")
