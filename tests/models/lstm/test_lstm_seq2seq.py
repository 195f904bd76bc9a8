import os

import keras
import numpy as np
import pytest

from tests.models.lstm import numpy_lstm
from zoo.models.lstm.decoder import LSTMDecoder, LSTMStateBridge
from zoo.models.lstm.seq2seq import LSTMSeq2Seq
from zoo.testing import assert_allclose, run_layer_checks, to_numpy

ATTENTIONS = ["luong", "bahdanau", "none"]
SOURCE_VOCABULARY, TARGET_VOCABULARY, BOS = 23, 19, 1
# Row 0 is right-padded (with ids that would change the outputs if read), row 1 has no padding.
SOURCE_IDS = np.array([[4, 9, 3, 7, 5, 5], [8, 2, 6, 11, 3, 15]], "int32")
SOURCE_MASK = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], "int32")
TARGET_IDS = np.array([[BOS, 5, 8, 2, 9], [BOS, 3, 3, 14, 6]], "int32")
# torch.compile of a step takes about a minute on CPU; JAX and TF compile in seconds.
slow_on_torch = pytest.mark.slow if os.environ.get("KERAS_BACKEND") == "torch" else lambda test: test


def model_inputs(decoder_ids=TARGET_IDS, decoder_mask=None):
    return {
        "encoder_token_ids": SOURCE_IDS,
        "encoder_padding_mask": SOURCE_MASK,
        "decoder_token_ids": decoder_ids,
        "decoder_padding_mask": np.ones_like(decoder_ids) if decoder_mask is None else decoder_mask,
    }


def seeded_model(attention, num_layers=2, embedding_dim=5, hidden_dim=4, **kwargs):
    model = LSTMSeq2Seq.from_backbone_arguments(
        SOURCE_VOCABULARY,
        embedding_dim=embedding_dim,
        hidden_dim=hidden_dim,
        num_encoder_layers=num_layers,
        num_decoder_layers=num_layers,
        attention=attention,
        target_vocabulary_size=TARGET_VOCABULARY,
        **kwargs,
    )
    numpy_lstm.set_seeded_weights(model, scale=0.5)  # large enough for clear argmax winners
    return model


def compiled(function):
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(function)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, jit_compile=True)
    import torch

    return torch.compile(function)


def fast_step(model):
    # Eager JAX compiles every LSTM scan on each call; a jitted step compiles once. TF and torch run eagerly.
    return compiled(model.decode_step) if keras.backend.backend() == "jax" else model.decode_step


def initial_state(model):
    return model.init_decoding_state(
        len(SOURCE_IDS), 16, encoder_token_ids=SOURCE_IDS, encoder_padding_mask=SOURCE_MASK
    )


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_logits_match_numpy(attention):
    model = seeded_model(attention)
    logits = model(model_inputs())
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert tuple(logits.shape) == (2, 5, TARGET_VOCABULARY)
    assert_allclose(logits, numpy_lstm.seq2seq_logits(model, SOURCE_IDS, SOURCE_MASK, TARGET_IDS), atol=1e-4)


def greedy_with_decode_step(step, state, steps):
    tokens = np.full((len(SOURCE_IDS), 1), BOS, "int32")
    all_logits = []
    for index in range(steps):
        logits, state = step(tokens[:, -1:], state, index)
        all_logits.append(to_numpy(logits)[:, -1])
        tokens = np.concatenate([tokens, all_logits[-1].argmax(-1)[:, None].astype("int32")], axis=1)
    return tokens, np.stack(all_logits, axis=1), state


def greedy_by_recomputation(model, steps):
    """The ordinary forward pass on the whole prefix at every step (padded to `steps`, so one compiled shape)."""
    tokens = np.zeros((len(SOURCE_IDS), steps + 1), "int32")
    tokens[:, 0] = BOS
    all_logits = []
    for index in range(steps):
        prefix_mask = np.broadcast_to(np.arange(steps) <= index, (len(SOURCE_IDS), steps)).astype("int32")
        logits = to_numpy(model.predict_on_batch(model_inputs(tokens[:, :steps] * prefix_mask, prefix_mask)))
        all_logits.append(logits[:, index])
        tokens[:, index + 1] = logits[:, index].argmax(-1)
    return tokens, np.stack(all_logits, axis=1)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_decode_step_matches_forward_and_greedy_by_recomputation(attention):
    # Width 16: narrower random models fall into one token repeated, which would prove little.
    model = seeded_model(attention, num_layers=2, embedding_dim=16, hidden_dim=16)
    step = fast_step(model)
    state = initial_state(model)
    for tensor in state.values():
        assert tensor.shape[0] == len(SOURCE_IDS)  # batch first, for beam search
    cached_tokens, cached_logits, final_state = greedy_with_decode_step(step, state, steps=10)
    recomputed_tokens, recomputed_logits = greedy_by_recomputation(model, steps=10)
    np.testing.assert_array_equal(cached_tokens, recomputed_tokens)
    assert len(np.unique(cached_tokens[:, 1:])) > 2, "degenerate model: always the same token"
    assert_allclose(cached_logits, recomputed_logits, atol=1e-5)
    teacher_forced = model.predict_on_batch(model_inputs(cached_tokens[:, :-1]))
    assert_allclose(cached_logits, teacher_forced, atol=1e-5)

    # A chunk of three tokens in one step gives the same logits as one token at a time.
    chunk_logits, _ = step(cached_tokens[:, :3], state, 0)
    assert_allclose(chunk_logits, cached_logits[:, :3], atol=1e-5)

    # States gathered along axis 0 (as beam search does) decode the gathered rows.
    order = np.array([1, 0])
    gathered = {name: keras.ops.take(tensor, order, axis=0) for name, tensor in final_state.items()}
    logits, _ = step(cached_tokens[order, -1:], gathered, 10)
    reference, _ = step(cached_tokens[:, -1:], final_state, 10)
    assert_allclose(logits, to_numpy(reference)[order], atol=1e-6)


@slow_on_torch
def test_compiled_decode_step_matches_eager():
    model = seeded_model("bahdanau", num_layers=1)
    state = initial_state(model)
    eager_logits, eager_state = model.decode_step(TARGET_IDS[:, :1], state, 0)
    logits, new_state = compiled(model.decode_step)(TARGET_IDS[:, :1], state, keras.ops.convert_to_tensor(0))
    assert_allclose(logits, to_numpy(eager_logits), atol=1e-6)
    assert_allclose(new_state["decoder_hidden"], to_numpy(eager_state["decoder_hidden"]), atol=1e-6)


def test_padding_changes_nothing_at_real_positions():
    model = seeded_model("luong")
    expected = to_numpy(model(model_inputs()))
    # Two more padded source steps and other ids in every padded source slot.
    source_ids = np.concatenate([np.where(SOURCE_MASK == 1, SOURCE_IDS, 21), np.full((2, 2), 13)], axis=1)
    source_mask = np.concatenate([SOURCE_MASK, np.zeros((2, 2), "int32")], axis=1)
    # Row 0 of the target padded after three tokens (garbage ids under the padding).
    target_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], "int32")
    inputs = {
        "encoder_token_ids": source_ids.astype("int32"),
        "encoder_padding_mask": source_mask,
        "decoder_token_ids": np.where(target_mask == 1, TARGET_IDS, 17).astype("int32"),
        "decoder_padding_mask": target_mask,
    }
    logits = to_numpy(model(inputs))
    assert_allclose(logits[0, :3], expected[0, :3], atol=1e-6)
    assert_allclose(logits[1], expected[1], atol=1e-6)


def test_fit_predict_and_keras_round_trip(tmp_path):
    model = seeded_model("bahdanau", num_layers=1, dropout=0.1)
    numpy_lstm.set_seeded_weights(model, scale=0.1)
    model.compile()
    inputs = model_inputs(TARGET_IDS[:, :-1])
    labels, weights = TARGET_IDS[:, 1:], np.array([[1, 1, 1, 0], [1, 1, 1, 1]], "float32")
    before = [to_numpy(w).copy() for w in model.trainable_weights]
    history = model.fit(inputs, labels, sample_weight=weights, epochs=5, batch_size=2, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert any(not np.array_equal(b, to_numpy(a)) for b, a in zip(before, model.trainable_weights))
    predictions = model.predict(inputs, verbose=0)
    assert predictions.shape == (2, 4, TARGET_VOCABULARY)

    path = str(tmp_path / "seq2seq.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is LSTMSeq2Seq and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(inputs, verbose=0), predictions)


def test_mixed_bfloat16_forward_and_decode_step_are_finite_float32():
    model = seeded_model("luong", num_layers=1, dtype="mixed_bfloat16")
    assert model.decoder.lstm_layers[0].compute_dtype == "bfloat16"
    logits = model(model_inputs())
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    expected = numpy_lstm.seq2seq_logits(model, SOURCE_IDS, SOURCE_MASK, TARGET_IDS)
    assert_allclose(logits, expected, atol=0.1, rtol=0.05)
    step_logits, _ = model.decode_step(TARGET_IDS[:, :1], initial_state(model), 0)
    assert keras.backend.standardize_dtype(step_logits.dtype) == "float32"
    assert np.all(np.isfinite(to_numpy(step_logits)))


def test_decoder_layer_contract(tmp_path):
    hidden = np.random.randn(2, 1, 4).astype("float32")
    run_layer_checks(
        LSTMDecoder,
        {"vocabulary_size": 11, "embedding_dim": 3, "hidden_dim": 4, "attention": "bahdanau"},
        [TARGET_IDS % 11, hidden, hidden, np.random.randn(2, 6, 8).astype("float32")],
        tmp_path,
        expected_output_shape=(2, 5, 11),
    )


def test_state_bridge_layer_contract(tmp_path):
    final_states = np.random.randn(2, 8).astype("float32")
    run_layer_checks(
        LSTMStateBridge,
        {"num_layers": 2, "hidden_dim": 3},
        [final_states, final_states],
        tmp_path,
        expected_output_shape=(2, 2, 3),
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"attention": "concat"}, "attention='concat'"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"target_vocabulary_size": 0}, "target_vocabulary_size=0"),
        ({"num_decoder_layers": 0}, "num_layers=0"),
    ],
)
def test_bad_arguments_are_quoted(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LSTMSeq2Seq.from_backbone_arguments(SOURCE_VOCABULARY, embedding_dim=4, hidden_dim=4, **kwargs)


def test_batch_size_must_match_the_source():
    model = seeded_model("none", num_layers=1)
    with pytest.raises(ValueError, match="batch_size=3"):
        model.init_decoding_state(3, 8, encoder_token_ids=SOURCE_IDS)


def test_source_mask_defaults_to_nonzero_ids():
    model = seeded_model("luong", num_layers=1)
    source_ids = SOURCE_IDS * SOURCE_MASK  # padding holds id 0
    expected = model.init_decoding_state(2, 8, encoder_token_ids=source_ids, encoder_padding_mask=SOURCE_MASK)
    state = model.init_decoding_state(2, 8, encoder_token_ids=source_ids)
    for name, tensor in expected.items():
        assert_allclose(state[name], tensor, atol=0)
