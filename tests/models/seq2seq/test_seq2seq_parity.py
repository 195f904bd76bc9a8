"""Seq2SeqLM logits against an independent NumPy forward of the whole model (same numbers on every backend)."""

import math

import keras
import numpy as np
import pytest

from tests.layers import numpy_transformer as ref
from zoo.models.seq2seq.backbone import Seq2SeqBackbone
from zoo.models.seq2seq.seq2seq_lm import Seq2SeqLM
from zoo.testing import assert_allclose, to_numpy

HEADS = 4


def set_seeded_weights(model, scale=0.2):
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.normal(0.0, scale, tuple(weight.shape)).astype("float32"))


def sinusoidal(length, dim):
    positions = np.arange(length)[:, None]
    angles = positions / 10000.0 ** ((np.arange(dim) // 2 * 2) / dim)
    return np.where(np.arange(dim) % 2 == 0, np.sin(angles), np.cos(angles))


def feed_forward(ffn, x, activation):
    up = ref.dense(ffn.up_projection, x)
    return ref.dense(ffn.down_projection, np.maximum(up, 0.0) if activation == "relu" else ref.gelu(up))


def key_mask(padding_mask, query_length):
    batch, key_length = padding_mask.shape
    return np.broadcast_to(padding_mask[:, None, :].astype(bool), (batch, query_length, key_length))


def embed(backbone, ids, token_embedding, position_encoding):
    table = to_numpy(token_embedding.embeddings)
    scale = math.sqrt(backbone.hidden_dim) if backbone.scale_embeddings else 1.0
    if backbone.position_encoding == "learned":
        positions = to_numpy(position_encoding.position_embeddings)[: ids.shape[1]]
    else:
        positions = sinusoidal(ids.shape[1], backbone.hidden_dim)
    return table[ids] * scale + positions


def numpy_logits(lm, inputs):
    backbone, pre_ln, act = lm.backbone, lm.backbone.norm_first, lm.backbone.activation
    source_mask, target_mask = inputs["encoder_padding_mask"], inputs["decoder_padding_mask"]

    x = embed(
        backbone, inputs["encoder_token_ids"], backbone.encoder_token_embedding, backbone.encoder_position_encoding
    )
    for block in backbone.encoder_blocks:
        w = ref.attention_weights(block.self_attention)
        mask = key_mask(source_mask, x.shape[1])
        x = ref.residual(x, lambda h: ref.attention(h, h, w, HEADS, HEADS, mask), block.attention_norm, pre_ln)
        x = ref.residual(x, lambda h: feed_forward(block.feed_forward, h, act), block.feed_forward_norm, pre_ln)
    encoder = ref.norm(backbone.encoder_final_norm, x) if pre_ln else x

    y = embed(
        backbone, inputs["decoder_token_ids"], backbone.decoder_token_embedding, backbone.decoder_position_encoding
    )
    for block in backbone.decoder_blocks:
        w, wc = ref.attention_weights(block.self_attention), ref.attention_weights(block.cross_attention)
        self_mask, cross_mask = key_mask(target_mask, y.shape[1]), key_mask(source_mask, y.shape[1])
        y = ref.residual(
            y, lambda h: ref.attention(h, h, w, HEADS, HEADS, self_mask, causal=True), block.self_attention_norm, pre_ln
        )
        y = ref.residual(
            y, lambda h: ref.attention(h, encoder, wc, HEADS, HEADS, cross_mask), block.cross_attention_norm, pre_ln
        )
        y = ref.residual(y, lambda h: feed_forward(block.feed_forward, h, act), block.feed_forward_norm, pre_ln)
    if pre_ln:
        y = ref.norm(backbone.decoder_final_norm, y)
    if lm.tie_output_embeddings:
        return y @ to_numpy(backbone.decoder_token_embedding.embeddings).T
    return y @ to_numpy(lm.output_projection.kernel)


CONFIGS = {
    "vaswani_shared_pre_ln": (
        {"vocabulary_size": 40, "position_encoding": "sinusoidal", "norm_first": True, "activation": "relu"},
        {},
    ),
    "bart_separate_post_ln_untied": (
        {
            "vocabulary_size": None,
            "encoder_vocabulary_size": 40,
            "decoder_vocabulary_size": 30,
            "share_embeddings": False,
            "position_encoding": "learned",
            "norm_first": False,
            "activation": "gelu",
            "scale_embeddings": False,
        },
        {"tie_output_embeddings": False},
    ),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_logits_match_numpy_forward_of_the_whole_model(name):
    backbone_kwargs, lm_kwargs = CONFIGS[name]
    backbone = Seq2SeqBackbone(
        num_encoder_layers=2,
        num_decoder_layers=2,
        hidden_dim=16,
        num_heads=HEADS,
        intermediate_dim=32,
        max_sequence_length=12,
        dropout=0.1,
        **backbone_kwargs,
    )
    lm = Seq2SeqLM(backbone, **lm_kwargs)
    set_seeded_weights(lm)
    inputs = {
        "encoder_token_ids": np.array([[5, 9, 3, 7, 2, 0, 0], [4, 8, 1, 6, 3, 2, 11]], "int32"),
        "encoder_padding_mask": np.array([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], "int32"),
        "decoder_token_ids": np.array([[1, 12, 7, 29, 0], [1, 3, 5, 2, 8]], "int32"),
        "decoder_padding_mask": np.array([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], "int32"),
    }
    logits = lm(inputs, training=False)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert_allclose(logits, numpy_logits(lm, inputs), atol=1e-4, rtol=1e-4)
