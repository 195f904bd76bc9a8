"""A `.keras` file addresses each layer by its class, not its name: renaming blocks keeps saved runs loading.

The zoo renamed GPT's blocks (`transformer_layer_<i>` -> `decoder_block_<i>`) without a migration
because Keras writes the weights of a functional model's layers under their class names (snake
case, numbered in order), whatever the layers are called. This test holds Keras to that.
"""

import io
import re
import zipfile

import h5py
import keras
import pytest

from zoo.models.bert import BertBackbone, BertMaskedLM
from zoo.models.gpt import GPTBackbone, GPTCausalLM
from zoo.models.seq2seq import Seq2SeqBackbone, Seq2SeqLM

SIZE = {"vocabulary_size": 40, "hidden_dim": 16, "num_heads": 2, "intermediate_dim": 32, "max_sequence_length": 12}
MODELS = {
    "gpt": lambda: GPTCausalLM(GPTBackbone(num_layers=2, **SIZE)),
    "bert": lambda: BertMaskedLM(BertBackbone(num_layers=2, **SIZE)),
    "seq2seq": lambda: Seq2SeqLM(Seq2SeqBackbone(num_encoder_layers=2, num_decoder_layers=2, **SIZE)),
}


def _snake(name):
    """Keras' snake case of a class name: `GPTBackbone` -> `gpt_backbone`."""
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)).lower()


def _by_class(layers):
    """The names Keras gives a list of layers in a weights file: class name, then `_1`, `_2` for repeats.

    Input layers (no weights) are left out; they would be named the same way.
    """
    names, seen = [], {}
    for layer in (layer for layer in layers if not isinstance(layer, keras.layers.InputLayer)):
        name = _snake(type(layer).__name__)
        names.append(name if name not in seen else f"{name}_{seen[name]}")
        seen[name] = seen.get(name, 0) + 1
    return names


@pytest.mark.parametrize("family", MODELS)
def test_the_weights_file_names_the_backbones_layers_by_class(family, tmp_path):
    model = MODELS[family]()
    model.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        backbone = _by_class([model.backbone])[0]
        stored = {name for name in weights[f"layers/{backbone}/layers"] if not name.startswith("input_layer")}
    assert stored == set(_by_class(model.backbone.layers))
    blocks = [layer.name for layer in model.backbone.layers if "block" in layer.name]
    assert blocks and not stored & set(blocks), "a block is stored under its layer name"
    keras.saving.load_model(tmp_path / "model.keras")  # and the file loads (safe_mode=True)
