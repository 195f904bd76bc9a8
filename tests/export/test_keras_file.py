"""`.keras` files: a round trip on this backend, and hostile files refused before Keras builds anything."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from tests.models.bert.tiny import make_backbone, make_inputs
from zoo.errors import LoadError
from zoo.export import load_keras_file
from zoo.models.bert import BertClassifier
from zoo.models.saving import UnsafeModelConfig
from zoo.testing import to_numpy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def saved(tmp_path):
    model = BertClassifier(make_backbone(), num_classes=3, dropout=0.0)
    path = tmp_path / "model.keras"
    model.save(path)
    return model, path


def _rewrite(path, edit_config=None, edit_weights=None):
    """A copy of the `.keras` zip at `path` with its config or weights bytes edited."""
    hostile = path.with_name("hostile.keras")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json" and edit_config:
                config = json.loads(data)
                edit_config(config)
                data = json.dumps(config).encode()
            if item.filename.endswith(".h5") and edit_weights:
                data = edit_weights(data)
            target.writestr(item, data)
    return hostile


def test_round_trip_gives_identical_outputs(saved):
    model, path = saved
    inputs = make_inputs()
    np.testing.assert_array_equal(to_numpy(load_keras_file(path)(inputs)), to_numpy(model(inputs)))


def test_a_config_naming_an_arbitrary_function_is_refused(saved):
    def edit(config):
        config["config"]["backbone"]["module"] = "os"
        config["config"]["backbone"]["class_name"] = "system"

    with pytest.raises(UnsafeModelConfig, match="'os.system'"):
        load_keras_file(_rewrite(saved[1], edit_config=edit))


def test_a_lambda_layer_is_refused(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(UnsafeModelConfig, match="Lambda"):
        load_keras_file(tmp_path / "lambda.keras")


def test_a_truncated_file_is_refused_with_a_clear_error(saved):
    path = saved[1]
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(LoadError, match="not a readable .keras file"):
        load_keras_file(path)


def test_truncated_weights_inside_the_file_are_refused(saved):
    with pytest.raises(LoadError, match="hostile.keras:model.weights.h5: not a readable weights file"):
        load_keras_file(_rewrite(saved[1], edit_weights=lambda data: data[:100]))


def test_a_lambda_wrapping_a_keras_function_is_refused(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(keras.ops.abs)(inputs))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(UnsafeModelConfig, match="a Lambda layer is refused"):
        load_keras_file(tmp_path / "lambda.keras")


def test_a_function_naming_a_python_builtin_is_refused(saved):
    def edit(config):
        dense = config["config"]["backbone"]["config"]
        dense["activation_hook"] = {
            "module": "builtins",
            "class_name": "function",
            "config": "eval",
            "registered_name": "function",
        }

    with pytest.raises(UnsafeModelConfig, match="refusing the function 'eval'"):
        load_keras_file(_rewrite(saved[1], edit_config=edit))


def _bomb(path, member, size):
    """A copy of `.keras` file `path` whose `member` is `size` bytes of zeros, deflated (about 1,000-fold)."""
    hostile = path.with_name("bomb.keras")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            if item.filename != member:
                target.writestr(item, source.read(item.filename))
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        with target.open(info, "w", force_zip64=True) as f:  # streamed: the test never holds `size` bytes
            chunk = bytes(1 << 20)
            for _ in range(size // len(chunk)):
                f.write(chunk)
    return hostile


@pytest.mark.parametrize(
    "member,message",
    [
        ("config.json", "above the 16.0 MiB cap on a model config"),
        ("model.weights.h5", "refused as a zip bomb"),
    ],
)
def test_a_zip_bomb_member_is_refused_from_the_headers(saved, member, message):
    hostile = _bomb(saved[1], member, 256 << 20)
    with pytest.raises(LoadError, match=message):
        load_keras_file(hostile)


def test_a_bomb_is_refused_before_keras_is_imported(saved):
    hostile = _bomb(saved[1], "model.weights.h5", 256 << 20)
    probe = (
        "import sys\nfrom zoo.errors import LoadError\nfrom zoo.export import load_keras_file\n"
        "try:\n    load_keras_file(sys.argv[1])\nexcept LoadError as error:\n    print(error)\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", probe, str(hostile)], capture_output=True, text=True, env=env)
    refusal, imported = result.stdout.strip().splitlines()
    assert "refused as a zip bomb" in refusal, result.stderr
    assert imported == "[]"


def test_a_config_whose_dimensions_dwarf_its_weights_is_refused(saved):
    def edit(config):
        config["config"]["backbone"]["config"]["vocabulary_size"] = 10**12

    with pytest.raises(LoadError, match="vocabulary_size=1,000,000,000,000, .* far larger than"):
        load_keras_file(_rewrite(saved[1], edit_config=edit))


def test_weights_of_another_model_name_the_variable(saved, tmp_path):
    _, path = saved
    other = BertClassifier(make_backbone(), num_classes=5, dropout=0.0)  # a head of 5 classes, not 3
    other_path = tmp_path / "other.keras"
    other.save(other_path)
    with zipfile.ZipFile(other_path) as archive:
        weights = archive.read("model.weights.h5")
    hostile = _rewrite(path, edit_weights=lambda data: weights)
    with pytest.raises(LoadError, match=r"hostile.keras:model.weights.h5: no array has the shape \(\d+, 3\)"):
        load_keras_file(hostile)
