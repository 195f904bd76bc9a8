"""`generate` drives the encoder-decoder Transformer and the LSTM seq2seq through their decode_step."""

import keras
import numpy as np
import pytest

from zoo.generation import generate
from zoo.models.lstm import LSTMSeq2Seq, seq2seq_config
from zoo.models.seq2seq import PRESETS, Seq2SeqBackbone, Seq2SeqLM
from zoo.testing import to_numpy

JIT = keras.backend.backend() != "torch"  # torch compiles its exported loop per shape (~20 s): eager here
VOCABULARY, BOS, MAX_LENGTH = 40, 2, 8
SOURCE = np.array([[7, 8, 9, 10, 11], [12, 13, 14, 0, 0]], "int32")


def seeded(model, scale):
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, scale, w.shape).astype("float32") for w in model.get_weights()])
    return model


def transformer():
    config = {**PRESETS["tiny"], "dropout": 0.0, "max_sequence_length": 16}
    return seeded(Seq2SeqLM(Seq2SeqBackbone(vocabulary_size=VOCABULARY, **config)), scale=0.1)


def lstm(attention):
    model = LSTMSeq2Seq.from_backbone_arguments(**seq2seq_config("tiny", VOCABULARY, attention=attention))
    return seeded(model, scale=0.3)


def greedy_by_recomputation(model):
    """Argmax of the teacher-forced forward on the growing target, no cache."""
    tokens = np.zeros((len(SOURCE), MAX_LENGTH), "int32")
    tokens[:, 0] = BOS
    for t in range(1, MAX_LENGTH):
        logits = to_numpy(
            model(
                {
                    "encoder_token_ids": SOURCE,
                    "encoder_padding_mask": (SOURCE != 0).astype("int32"),
                    "decoder_token_ids": tokens,
                    "decoder_padding_mask": (np.arange(MAX_LENGTH) < t).astype("int32")[None].repeat(len(SOURCE), 0),
                }
            )
        )
        tokens[:, t] = logits[:, t - 1].argmax(-1)
    return tokens


@pytest.mark.parametrize(
    "build",
    [transformer, lambda: lstm("luong"), lambda: lstm("bahdanau")],
    ids=["transformer", "lstm-luong", "lstm-bahdanau"],
)
def test_generate_greedy_and_beam_1_equal_greedy_by_recomputation(build):
    model = build()
    conditioning = {"encoder_token_ids": SOURCE, "encoder_padding_mask": (SOURCE != 0).astype("int32")}
    start = np.full((len(SOURCE), 1), BOS, "int32")
    expected = greedy_by_recomputation(model)
    # A model that emits one token regardless of the source would make the comparison vacuous.
    assert len(np.unique(expected[:, 1:])) > 1 and not np.array_equal(expected[0], expected[1])
    greedy = generate(model, start, MAX_LENGTH, conditioning=conditioning, jit_compile=JIT)
    np.testing.assert_array_equal(greedy["token_ids"], expected)
    beam = generate(
        model,
        start,
        MAX_LENGTH,
        strategy="beam",
        beam_size=1,
        length_penalty=0.0,
        conditioning=conditioning,
        jit_compile=JIT,
    )
    np.testing.assert_array_equal(beam["token_ids"], expected)
