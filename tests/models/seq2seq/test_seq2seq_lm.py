"""Seq2SeqLM: cached decoding equals the full forward, padding, embeddings sharing, training, saving, precision."""

import keras
import numpy as np
import pytest

from zoo.models.seq2seq.backbone import Seq2SeqBackbone
from zoo.models.seq2seq.seq2seq_lm import Seq2SeqLM, padded_cross_entropy
from zoo.testing import assert_allclose, to_numpy

VOCABULARY = 40
SIZES = {"num_encoder_layers": 2, "num_decoder_layers": 2, "hidden_dim": 16, "num_heads": 4, "intermediate_dim": 32}
SHARED = {"vocabulary_size": VOCABULARY}
SEPARATE_UNTIED = {
    "vocabulary_size": None,
    "encoder_vocabulary_size": VOCABULARY,
    "decoder_vocabulary_size": 30,
    "share_embeddings": False,
    "position_encoding": "learned",
    "norm_first": False,
    "activation": "gelu",
}
SOURCE = np.array([[5, 9, 3, 7, 2, 0, 0], [4, 8, 1, 6, 3, 2, 11]], "int32")
TARGET = np.array([[1, 12, 7, 29, 6, 3], [1, 3, 5, 2, 8, 9]], "int32")
# BART's shape: learned positions, post-LN, GELU, a LayerNorm on the embeddings and a bias on the logits.
BART_LIKE = {
    "vocabulary_size": VOCABULARY,
    "position_encoding": "learned",
    "norm_first": False,
    "activation": "gelu",
    "scale_embeddings": False,
    "embeddings_norm": True,
}
STEPS = 10


def build_lm(backbone_kwargs=SHARED, tie_output_embeddings=None, dtype=None, dropout=0.0):
    tie = backbone_kwargs is not SEPARATE_UNTIED if tie_output_embeddings is None else tie_output_embeddings
    backbone = Seq2SeqBackbone(**SIZES, **backbone_kwargs, max_sequence_length=16, dropout=dropout, dtype=dtype)
    return Seq2SeqLM(backbone, tie_output_embeddings=tie, output_bias=backbone_kwargs is BART_LIKE)


def set_seeded_weights(model, scale=0.3):
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.normal(0.0, scale, tuple(weight.shape)).astype("float32"))


def model_inputs(source, target):
    return {
        "encoder_token_ids": source,
        "encoder_padding_mask": (source != 0).astype("int32"),
        "decoder_token_ids": target,
        "decoder_padding_mask": np.ones_like(target),
    }


def forward(lm, source, target):
    return to_numpy(lm(model_inputs(source, target), training=False))


@pytest.mark.parametrize(
    "backbone_kwargs", [SHARED, SEPARATE_UNTIED, BART_LIKE], ids=["shared", "separate_untied", "bart_like"]
)
def test_decode_step_prompt_chunk_then_single_tokens_equals_teacher_forced_logits(backbone_kwargs):
    lm = build_lm(backbone_kwargs)
    set_seeded_weights(lm)
    expected = forward(lm, SOURCE, TARGET)

    state = lm.init_decoding_state(2, TARGET.shape[1], encoder_token_ids=SOURCE)
    chunks = [(0, 3)] + [(i, i + 1) for i in range(3, TARGET.shape[1])]
    outputs = []
    for start, end in chunks:
        logits, state = lm.decode_step(TARGET[:, start:end], state, start)
        assert keras.backend.standardize_dtype(logits.dtype) == "float32"
        outputs.append(to_numpy(logits))
    assert_allclose(np.concatenate(outputs, axis=1), expected, atol=1e-5, rtol=1e-5)


def greedy_by_recomputation(lm, source, steps):
    # The whole prefix every step, right-padded to one length (causal: the padding cannot change it).
    target = np.zeros((len(source), steps + 1), "int32")
    target[:, 0] = 1
    for length in range(1, steps + 1):
        inputs = model_inputs(source, target)
        inputs["decoder_padding_mask"] = (np.arange(steps + 1) < length)[None].repeat(len(source), 0).astype("int32")
        logits = to_numpy(lm(inputs, training=False))
        target[:, length] = logits[:, length - 1].argmax(-1)
    return target[:, 1:]


def greedy_with_cache(lm, source, steps):
    state = lm.init_decoding_state(len(source), steps, encoder_token_ids=source)
    tokens, generated = np.ones((len(source), 1), "int32"), []
    for index in range(steps):
        logits, state = lm.decode_step(tokens, state, keras.ops.convert_to_tensor(index, "int32"))
        tokens = to_numpy(logits)[:, -1].argmax(-1).astype("int32")[:, None]
        generated.append(tokens)
    return np.concatenate(generated, axis=1)


def test_greedy_with_cache_equals_greedy_by_full_recomputation():
    lm = build_lm()
    set_seeded_weights(lm, scale=0.5)  # spread-out logits: no near-ties for float noise to flip
    cached = greedy_with_cache(lm, SOURCE, steps=STEPS)
    recomputed = greedy_by_recomputation(lm, SOURCE, steps=STEPS)
    np.testing.assert_array_equal(cached, recomputed)
    assert len(np.unique(cached)) > 2, cached  # a real sequence, not one token repeated


def test_padded_source_tokens_do_not_change_logits():
    lm = build_lm()
    set_seeded_weights(lm)
    altered = SOURCE.copy()
    altered[0, 5:] = [17, 23]  # under encoder_padding_mask == 0
    inputs = model_inputs(altered, TARGET)
    inputs["encoder_padding_mask"] = model_inputs(SOURCE, TARGET)["encoder_padding_mask"]
    assert_allclose(lm(inputs, training=False), forward(lm, SOURCE, TARGET), atol=1e-6)

    expected, _ = lm.decode_step(TARGET, lm.init_decoding_state(2, 6, encoder_token_ids=SOURCE), 0)
    state = lm.init_decoding_state(2, 6, encoder_token_ids=altered, encoder_padding_mask=inputs["encoder_padding_mask"])
    actual, _ = lm.decode_step(TARGET, state, 0)
    assert_allclose(actual, expected, atol=1e-6)
    assert not np.allclose(forward(lm, altered, TARGET), forward(lm, SOURCE, TARGET))  # unmasked, they matter


def test_shared_embeddings_hold_one_table_and_separate_embeddings_two():
    shared = build_lm().backbone
    separate = build_lm({**SHARED, "share_embeddings": False}, tie_output_embeddings=True).backbone
    assert shared.encoder_token_embedding is shared.decoder_token_embedding
    assert len(separate.weights) == len(shared.weights) + 1
    assert separate.count_params() == shared.count_params() + VOCABULARY * SIZES["hidden_dim"]

    lm = build_lm(SEPARATE_UNTIED)
    assert tuple(lm.backbone.encoder_token_embedding.embeddings.shape) == (VOCABULARY, 16)
    assert tuple(lm.backbone.decoder_token_embedding.embeddings.shape) == (30, 16)
    assert forward(lm, SOURCE, TARGET % 30).shape == (2, 6, 30)


def test_loss_ignores_target_padding():
    labels = np.array([[3, 4, 0, 0], [5, 6, 7, 0]], "int32")
    logits = np.random.default_rng(1).normal(size=(2, 4, 9)).astype("float32")
    log_probabilities = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    token_losses = -np.take_along_axis(log_probabilities, labels[..., None], -1)[..., 0]
    assert_allclose(padded_cross_entropy()(labels, logits), token_losses[labels != 0].mean(), atol=1e-6)


def test_compile_defaults_to_adamw_and_the_padded_loss():
    lm = build_lm()
    lm.compile()
    assert isinstance(lm.optimizer, keras.optimizers.AdamW)
    assert lm.loss.get_config()["ignore_class"] == 0 and lm.loss.get_config()["from_logits"]


def test_fit_predict_and_keras_round_trip(tmp_path):
    lm = build_lm(dropout=0.1)
    x = model_inputs(SOURCE, TARGET)
    labels = np.concatenate([TARGET[:, 1:], np.zeros((2, 1), "int32")], axis=1)  # next tokens; last is padding
    before = [to_numpy(w).copy() for w in lm.trainable_weights]
    lm.compile()
    history = lm.fit(x, labels, batch_size=2, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(not np.array_equal(b, to_numpy(a)) for b, a in zip(before, lm.trainable_weights))

    predictions = lm.predict(x, verbose=0)
    assert predictions.shape == (2, 6, VOCABULARY)
    path = str(tmp_path / "seq2seq_lm.keras")
    lm.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is Seq2SeqLM and loaded.get_config() == lm.get_config()
    assert isinstance(loaded.optimizer, keras.optimizers.AdamW)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), predictions)


def test_bart_like_model_holds_its_embedding_norms_and_logit_bias_and_survives_keras_round_trip(tmp_path):
    lm = build_lm(BART_LIKE)
    set_seeded_weights(lm)
    paths = {weight.path for weight in lm.weights}
    assert {"encoder_embeddings_norm/gamma", "decoder_embeddings_norm/beta", "output_bias/bias"} <= paths
    without_bias = to_numpy(
        lm.backbone.decoder_token_embedding(lm.backbone(model_inputs(SOURCE, TARGET)), reverse=True)
    )
    assert_allclose(forward(lm, SOURCE, TARGET), without_bias + to_numpy(lm.logit_bias.bias), atol=1e-5)
    path = str(tmp_path / "bart_like.keras")
    lm.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.get_config() == lm.get_config()
    np.testing.assert_array_equal(forward(loaded, SOURCE, TARGET), forward(lm, SOURCE, TARGET))


def test_separate_untied_model_survives_keras_round_trip(tmp_path):
    lm = build_lm(SEPARATE_UNTIED)
    set_seeded_weights(lm)
    path = str(tmp_path / "seq2seq_lm.keras")
    lm.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert len(loaded.weights) == len(lm.weights)
    target = TARGET % 30
    np.testing.assert_array_equal(forward(loaded, SOURCE, target), forward(lm, SOURCE, target))
    state = loaded.init_decoding_state(2, 6, encoder_token_ids=SOURCE)
    assert_allclose(loaded.decode_step(target, state, 0)[0], forward(lm, SOURCE, target), atol=1e-5)


def test_mixed_bfloat16_forward_and_decoding_are_finite_and_close():
    reference = build_lm()
    set_seeded_weights(reference, scale=0.1)
    lm = build_lm(dtype="mixed_bfloat16")
    lm.set_weights(reference.get_weights())
    assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in lm.weights)
    expected = forward(reference, SOURCE, TARGET)
    logits = lm(model_inputs(SOURCE, TARGET), training=False)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert np.all(np.isfinite(to_numpy(logits)))
    assert_allclose(logits, expected, atol=0.05 * max(1.0, np.abs(expected).max()), rtol=0.05)

    state = lm.init_decoding_state(2, 6, encoder_token_ids=SOURCE)
    cache_dtypes = {keras.backend.standardize_dtype(cache.dtype) for key, cache in state.items() if "cache" in key}
    assert cache_dtypes == {"bfloat16"}
    step_logits, _ = lm.decode_step(TARGET, state, 0)
    assert_allclose(step_logits, logits, atol=0.05 * max(1.0, np.abs(expected).max()), rtol=0.05)


def test_decode_step_compiles_with_a_tensor_index(backend):
    lm = build_lm()
    set_seeded_weights(lm)
    state = lm.init_decoding_state(2, 6, encoder_token_ids=SOURCE)
    if backend == "jax":
        import jax

        step = jax.jit(lm.decode_step)
    elif backend == "tensorflow":
        import tensorflow as tf

        step = tf.function(lm.decode_step, jit_compile=True)
    else:
        pytest.skip("torch.compile of this step takes over 2 minutes on CPU (Keras layer calls break its graph)")
    outputs = []
    for start, end in [(0, 3), (3, 4), (4, 5), (5, 6)]:
        logits, state = step(
            keras.ops.convert_to_tensor(TARGET[:, start:end]), state, keras.ops.convert_to_tensor(start, "int32")
        )
        outputs.append(to_numpy(logits))
    assert_allclose(np.concatenate(outputs, axis=1), forward(lm, SOURCE, TARGET), atol=1e-5, rtol=1e-5)


def test_config_round_trip():
    lm = build_lm(SEPARATE_UNTIED)
    clone = Seq2SeqLM.from_config(lm.get_config())
    assert clone.get_config() == lm.get_config()
    assert clone.backbone.get_config() == lm.backbone.get_config()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"vocabulary_size": None}, "encoder_vocabulary_size=None"),
        ({"encoder_vocabulary_size": 40, "decoder_vocabulary_size": 30}, "decoder_vocabulary_size=30"),
        ({"num_heads": 3}, "num_heads=3"),
        ({"position_encoding": "rotary"}, "position_encoding='rotary'"),
        ({"activation": "tanh"}, "activation='tanh'"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"num_decoder_layers": 0}, "num_decoder_layers=0"),
    ],
)
def test_bad_arguments_are_quoted(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Seq2SeqBackbone(**{**SIZES, **SHARED, **kwargs})


def test_decoding_state_arguments_are_checked():
    lm = build_lm(SEPARATE_UNTIED)
    with pytest.raises(ValueError, match="max_length=17"):
        lm.init_decoding_state(2, 17, encoder_token_ids=SOURCE)
    with pytest.raises(ValueError, match="batch_size=3"):
        lm.init_decoding_state(3, 6, encoder_token_ids=SOURCE)
