import keras
import pytest

from tests.models.gpt.numpy_gpt import numpy_backbone, set_seeded_weights
from tests.models.gpt.tiny import GPT2_LIKE, LLAMA_LIKE, right_padded_batch
from zoo.models.gpt import GPTBackbone
from zoo.testing import assert_allclose, to_numpy


@pytest.mark.parametrize("config", [GPT2_LIKE, LLAMA_LIKE], ids=["gpt2_like", "llama_like"])
def test_backbone_matches_numpy_forward(config):
    backbone = GPTBackbone(**config)
    set_seeded_weights(backbone)
    batch = right_padded_batch()
    expected = numpy_backbone(backbone, batch["token_ids"], batch["padding_mask"])
    real = batch["padding_mask"].astype(bool)
    # Padded positions are never read (causal, right-padded); compare the real tokens.
    assert_allclose(to_numpy(backbone(batch))[real], expected[real], atol=1e-5)


def test_config_round_trip_and_layers():
    backbone = GPTBackbone(**LLAMA_LIKE, name="gpt")
    clone = GPTBackbone.from_config(backbone.get_config())
    assert clone.get_config() == backbone.get_config()
    assert backbone.position_embedding is None and backbone.head_dim == 4
    assert len(backbone.decoder_blocks) == 2


def test_mixed_precision_keeps_float32_variables():
    backbone = GPTBackbone(**GPT2_LIKE, dtype="mixed_bfloat16")
    output = backbone(right_padded_batch())
    assert keras.backend.standardize_dtype(output.dtype) == "bfloat16"
    assert all(w.dtype == "float32" for w in backbone.weights)


@pytest.mark.parametrize(
    "override, message",
    [
        ({"num_layers": 0}, "Received: num_layers=0"),
        ({"position_encoding": "alibi"}, "Received: position_encoding='alibi'"),
        ({"hidden_dim": 18}, "Received: hidden_dim=18"),
        ({"dropout": 1.0}, "Received: dropout=1.0"),
    ],
)
def test_invalid_arguments_are_rejected(override, message):
    with pytest.raises(ValueError, match=message):
        GPTBackbone(**{**GPT2_LIKE, **override})
