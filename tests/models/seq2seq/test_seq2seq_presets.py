"""Seq2seq presets: the named sizes, the parameter count they imply and the training-FLOPs estimate."""

import numpy as np
import pytest

from zoo.models.seq2seq.backbone import Seq2SeqBackbone
from zoo.models.seq2seq.presets import PRESETS, estimate_training_flops_per_token, non_embedding_parameters
from zoo.models.seq2seq.seq2seq_lm import Seq2SeqLM


def table_parameters(backbone):
    layers = {
        id(layer): layer
        for layer in (
            backbone.encoder_token_embedding,
            backbone.decoder_token_embedding,
            backbone.encoder_position_encoding,
            backbone.decoder_position_encoding,
        )
    }
    return sum(layer.count_params() for layer in layers.values() if layer.weights)


def test_presets_hold_the_documented_sizes():
    sizes = {
        name: tuple(
            p[k] for k in ("num_encoder_layers", "num_decoder_layers", "hidden_dim", "num_heads", "intermediate_dim")
        )
        for name, p in PRESETS.items()
    }
    assert sizes == {"tiny": (2, 2, 64, 4, 256), "small": (3, 3, 256, 4, 1024), "base": (6, 6, 512, 8, 2048)}


@pytest.mark.parametrize(
    "config",
    [
        {**PRESETS["tiny"], "vocabulary_size": 300},
        {
            **PRESETS["tiny"],
            "vocabulary_size": None,
            "encoder_vocabulary_size": 300,
            "decoder_vocabulary_size": 200,
            "share_embeddings": False,
            "position_encoding": "learned",
            "norm_first": False,
        },
    ],
    ids=["tiny", "tiny_post_ln_learned_separate"],
)
def test_non_embedding_parameter_count_matches_the_built_backbone(config):
    backbone = Seq2SeqBackbone(**config)
    assert non_embedding_parameters(config) == backbone.count_params() - table_parameters(backbone)


def test_tiny_preset_runs_forward():
    lm = Seq2SeqLM(Seq2SeqBackbone(**PRESETS["tiny"], vocabulary_size=500))
    ids = np.array([[5, 6, 7, 2]], "int32")
    logits = lm.predict_on_batch(
        {
            "encoder_token_ids": ids,
            "encoder_padding_mask": np.ones_like(ids),
            "decoder_token_ids": ids[:, :3],
            "decoder_padding_mask": np.ones((1, 3), "int32"),
        }
    )
    assert logits.shape == (1, 3, 500) and np.all(np.isfinite(logits))


def test_training_flops_are_6n_plus_attention_over_source_and_target():
    config = {**PRESETS["base"], "vocabulary_size": 8192}
    d = config["hidden_dim"]
    n = non_embedding_parameters(config) + d * 8192  # the tied output projection is a matmul
    assert estimate_training_flops_per_token(config, 0) == 6 * n
    attention_layers = 6 + 2 * 6  # encoder self, decoder self, decoder cross
    assert estimate_training_flops_per_token(config, 128) - 6 * n == 12 * d * 128 * attention_layers
    separate = {**config, "vocabulary_size": None, "encoder_vocabulary_size": 8192, "decoder_vocabulary_size": 4096}
    assert estimate_training_flops_per_token(config, 128) - estimate_training_flops_per_token(separate, 128) == (
        6 * d * 4096
    )


def test_training_flops_need_a_vocabulary():
    with pytest.raises(ValueError, match="vocabulary_size"):
        estimate_training_flops_per_token(PRESETS["tiny"], 64)
