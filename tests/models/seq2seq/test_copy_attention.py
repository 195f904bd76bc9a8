"""copy_attention=True on both encoder-decoders (Seq2SeqLM, LSTMSeq2Seq): wiring, cached decoding, saving, learning."""

import keras
import numpy as np
import pytest

from tests.models.seq2seq.test_seq2seq_lm import SIZES, SOURCE, TARGET, VOCABULARY, model_inputs, set_seeded_weights
from zoo.generation import generate
from zoo.models.lstm import LSTMSeq2Seq
from zoo.models.seq2seq.backbone import Seq2SeqBackbone
from zoo.models.seq2seq.seq2seq_lm import Seq2SeqLM
from zoo.testing import assert_allclose, to_numpy


def build_copy_lm(vocabulary_size=VOCABULARY, copy_attention=True, **backbone_kwargs):
    backbone = Seq2SeqBackbone(
        **SIZES, vocabulary_size=vocabulary_size, max_sequence_length=16, dropout=0.0, **backbone_kwargs
    )
    return Seq2SeqLM(backbone, copy_attention=copy_attention)


def build_copy_lstm(vocabulary_size=VOCABULARY, copy_attention=True, attention="luong"):
    return LSTMSeq2Seq.from_backbone_arguments(
        vocabulary_size, embedding_dim=16, hidden_dim=16, attention=attention, copy_attention=copy_attention
    )


FAMILIES = {"transformer": build_copy_lm, "lstm": build_copy_lstm}


@pytest.mark.parametrize("norm_first", [True, False], ids=["pre_ln", "post_ln"])
def test_output_is_the_copy_mixture_over_the_encoder_outputs(norm_first):
    lm = build_copy_lm(norm_first=norm_first)
    set_seeded_weights(lm)
    inputs = model_inputs(SOURCE, TARGET)
    backbone = lm.backbone
    hidden = backbone(inputs, training=False)
    encoder_outputs = backbone.encode(SOURCE, inputs["encoder_padding_mask"], training=False)
    vocabulary_logits = backbone.decoder_token_embedding(hidden, reverse=True)
    expected = lm.copy_generator(hidden, vocabulary_logits, encoder_outputs, SOURCE, inputs["encoder_padding_mask"])
    got = to_numpy(lm(inputs, training=False))
    assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(np.exp(got).sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("family", FAMILIES)
def test_decode_step_equals_teacher_forced_output(family):
    lm = FAMILIES[family]()
    set_seeded_weights(lm)
    expected = to_numpy(lm(model_inputs(SOURCE, TARGET), training=False))
    np.testing.assert_allclose(np.exp(expected).sum(-1), 1.0, atol=1e-5)
    state = lm.init_decoding_state(2, TARGET.shape[1], encoder_token_ids=SOURCE)
    outputs = []
    for start, end in [(0, 2)] + [(i, i + 1) for i in range(2, TARGET.shape[1])]:
        logits, state = lm.decode_step(TARGET[:, start:end], state, start)
        outputs.append(to_numpy(logits))
    assert_allclose(np.concatenate(outputs, axis=1), expected, atol=1e-5)


@pytest.mark.parametrize("family", FAMILIES)
def test_keras_round_trip_keeps_the_copy_generator(tmp_path, family):
    lm = FAMILIES[family]()
    set_seeded_weights(lm)
    path = str(tmp_path / "copy.keras")
    lm.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.get_config() == lm.get_config() and len(loaded.weights) == len(lm.weights)
    x = model_inputs(SOURCE, TARGET)
    np.testing.assert_array_equal(to_numpy(loaded(x, training=False)), to_numpy(lm(x, training=False)))


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_learns_to_copy_unseen_tokens_where_the_plain_model_cannot(family):
    # The task is to repeat the source, over many ids (each seen a few times: copying pays).
    # Ids 250..299 are never targets in training, so for sources made of them only copying can
    # give the right first token (later steps would also read them as decoder inputs).
    rng = np.random.default_rng(0)
    sources = rng.integers(4, 250, size=(512, 6)).astype("int32")
    unseen = rng.integers(250, 300, size=(16, 6)).astype("int32")
    decoder_inputs = np.concatenate([np.ones((len(sources), 1), "int32"), sources[:, :-1]], axis=1)
    scores = {}
    for copy_attention in (False, True):
        keras.utils.set_random_seed(0)
        lm = FAMILIES[family](vocabulary_size=300, copy_attention=copy_attention)
        lm.compile(optimizer=keras.optimizers.Adam(3e-3))
        lm.fit(model_inputs(sources, decoder_inputs), sources, batch_size=32, epochs=8, verbose=0)
        out = generate(
            lm,
            np.ones((16, 1), "int32"),
            2,
            jit_compile=False,
            conditioning={"encoder_token_ids": unseen, "encoder_padding_mask": np.ones_like(unseen)},
        )
        scores[copy_attention] = (out["token_ids"][:, 1] == unseen[:, 0]).mean()
    assert scores[True] >= 0.5 and scores[False] == 0, scores


def test_copy_attention_needs_one_vocabulary_and_the_source():
    backbone = Seq2SeqBackbone(
        **SIZES,
        vocabulary_size=None,
        encoder_vocabulary_size=VOCABULARY,
        decoder_vocabulary_size=30,
        share_embeddings=False,
    )
    with pytest.raises(ValueError, match="encoder_vocabulary_size=40 and decoder_vocabulary_size=30"):
        Seq2SeqLM(backbone, copy_attention=True)
    with pytest.raises(ValueError, match="vocabulary_size=40, target_vocabulary_size=30"):
        LSTMSeq2Seq.from_backbone_arguments(VOCABULARY, 8, 8, target_vocabulary_size=30, copy_attention=True)
    with pytest.raises(ValueError, match='attention="none"'):
        build_copy_lstm(attention="none")
