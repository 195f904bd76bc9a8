import json

import keras
import numpy as np
import pytest

from tests.models.bert.tiny import make_backbone, make_inputs
from zoo.models.bert import BertClassifier
from zoo.models.saving import UnsafeModelConfig, check_config_is_safe, load_model_folder, save_model_folder
from zoo.testing import to_numpy
from zoo.tokenizers import ByteTokenizer


def classifier():
    return BertClassifier(make_backbone(), num_classes=3, dropout=0.0)


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
    with pytest.raises(ValueError, match="cannot load the weights"):
        load_model_folder(tmp_path / "run")


def test_missing_or_corrupt_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model config"):
        load_model_folder(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model_folder(tmp_path)
