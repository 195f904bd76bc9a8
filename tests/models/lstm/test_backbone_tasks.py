"""The LSTM tasks hold an `LSTMBackbone`: a given one is shared, and runs saved with flat configs load unchanged."""

import json
import zipfile

import keras
import numpy as np
import pytest

from zoo.models.lstm import LSTMBackbone, LSTMCausalLM, LSTMClassifier, LSTMSeq2Seq
from zoo.testing import to_numpy

TOKEN_IDS = np.array([[3, 5, 7, 0], [6, 2, 8, 9]], "int32")
PADDING_MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], "int32")
TOKEN_INPUTS = {"token_ids": TOKEN_IDS, "padding_mask": PADDING_MASK}
ENCODER_DECODER_INPUTS = {
    "encoder_token_ids": TOKEN_IDS,
    "encoder_padding_mask": PADDING_MASK,
    "decoder_token_ids": TOKEN_IDS[:, :3],
    "decoder_padding_mask": PADDING_MASK[:, :3],
}
INPUTS = {LSTMClassifier: TOKEN_INPUTS, LSTMCausalLM: TOKEN_INPUTS, LSTMSeq2Seq: ENCODER_DECODER_INPUTS}
# What `get_config()` returned then: the backbone's and the task's arguments side by side.
FLAT_CONFIGS = {
    LSTMClassifier: {
        "vocabulary_size": 20,
        "num_classes": 3,
        "embedding_dim": 5,
        "hidden_dim": 4,
        "num_layers": 2,
        "bidirectional": True,
        "pooling": "mean",
        "dropout": 0.1,
    },
    LSTMCausalLM: {
        "vocabulary_size": 20,
        "embedding_dim": 5,
        "hidden_dim": 4,
        "num_layers": 2,
        "dropout": 0.1,
        "tie_embeddings": True,
    },
    LSTMSeq2Seq: {
        "vocabulary_size": 20,
        "embedding_dim": 5,
        "hidden_dim": 4,
        "num_encoder_layers": 2,
        "num_decoder_layers": 1,
        "attention": "luong",
        "dropout": 0.1,
        "target_vocabulary_size": None,
        "copy_attention": True,
    },
}
TASKS = list(FLAT_CONFIGS)


def with_flat_config(path, flat_config):
    """Rewrites the `.keras` file at `path` as the earlier version wrote it: its model config flat."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    saved = json.loads(members["config.json"])
    saved["config"] = {
        "name": saved["config"]["name"],
        "trainable": True,
        "dtype": saved["config"]["dtype"],
        **flat_config,
    }
    members["config.json"] = json.dumps(saved).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.__name__)
def test_a_keras_file_with_the_flat_config_loads_with_its_weights(tmp_path, task):
    model = task.from_backbone_arguments(**FLAT_CONFIGS[task])
    expected = to_numpy(model.predict_on_batch(INPUTS[task]))
    path = str(tmp_path / "model.keras")
    model.save(path)
    with_flat_config(path, FLAT_CONFIGS[task])

    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is task and loaded.get_config() == model.get_config()
    assert loaded.backbone.dropout == 0.1 and loaded.dropout == 0.1  # the one `dropout` went to both
    np.testing.assert_array_equal(to_numpy(loaded.predict_on_batch(INPUTS[task])), expected)


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.__name__)
def test_a_task_on_a_given_backbone_shares_it(task):
    bidirectional = task is not LSTMCausalLM
    backbone = LSTMBackbone(20, embedding_dim=5, hidden_dim=4, bidirectional=bidirectional)
    model = task(backbone, num_classes=2) if task is LSTMClassifier else task(backbone)
    assert model.backbone is backbone
    assert {id(weight) for weight in backbone.weights} <= {id(weight) for weight in model.weights}
    other = LSTMBackbone(20, embedding_dim=5, hidden_dim=4, bidirectional=not bidirectional)
    if task is not LSTMClassifier:  # a causal LM reads one way, an encoder both
        with pytest.raises(ValueError, match=f"needs `bidirectional={bidirectional}`"):
            task(other)
