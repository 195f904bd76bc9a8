import keras
import numpy as np
import pytest

from tests.models.lstm import numpy_lstm
from zoo.generation import generate
from zoo.models.gpt import next_token_batch
from zoo.models.lstm import (
    LSTMCausalLM,
    causal_lm_config,
    estimate_training_flops_per_token,
    non_embedding_parameters,
    total_parameters,
)
from zoo.models.lstm.causal_lm import shared_prompt_mask
from zoo.models.lstm.presets import lstm_parameters
from zoo.testing import assert_allclose, to_numpy

VOCABULARY = 31
# Row 0 is right-padded (with ids that would change the logits if read), row 1 has no padding.
TOKEN_IDS = np.array([[4, 9, 3, 7, 5, 5], [8, 2, 6, 11, 3, 15]], "int32")
PADDING_MASK = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], "int32")
INPUTS = {"token_ids": TOKEN_IDS, "padding_mask": PADDING_MASK}
# The three output layers: the embedding table alone, a projection to it, a separate dense head.
HEADS = {
    "tied": {"embedding_dim": 4, "hidden_dim": 4},
    "tied_projected": {"embedding_dim": 5, "hidden_dim": 4},
    "untied": {"embedding_dim": 5, "hidden_dim": 4, "tie_embeddings": False},
}
# Eager JAX compiles every LSTM scan on each call, so its loop is compiled; eager TensorFlow and PyTorch
# decode in ~2 s, where compiling (XLA, the exported PyTorch step) takes seconds more per loop (a slow test).
JIT = keras.backend.backend() == "jax"


def seeded_lm(scale=0.5, num_layers=2, embedding_dim=5, hidden_dim=4, **kwargs):
    lm = LSTMCausalLM.from_backbone_arguments(VOCABULARY, embedding_dim, hidden_dim, num_layers=num_layers, **kwargs)
    numpy_lstm.set_seeded_weights(lm, scale=scale)
    return lm


@pytest.mark.parametrize("head", list(HEADS))
def test_logits_match_numpy(head):
    lm = seeded_lm(**HEADS[head])
    assert (lm.lm_head is None) == (head != "untied")
    assert (lm.output_projection is None) == (head != "tied_projected")
    logits = lm(INPUTS)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert tuple(logits.shape) == (2, 6, VOCABULARY)
    for row, (ids, mask) in enumerate(zip(TOKEN_IDS, PADDING_MASK.astype(bool))):
        assert_allclose(to_numpy(logits)[row][mask], numpy_lstm.causal_lm_logits(lm, ids[mask]), atol=1e-4)


def test_padding_changes_nothing_at_real_positions():
    lm = seeded_lm()
    expected = to_numpy(lm(INPUTS))
    # Row 0: other ids under its padding and two more padded steps; row 1: two left-padding steps.
    token_ids = np.array([[4, 9, 3, 7, 17, 13, 13, 13], [13, 17, 8, 2, 6, 11, 3, 15]], "int32")
    padding_mask = np.array([[1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1, 1, 1]], "int32")
    logits = to_numpy(lm({"token_ids": token_ids, "padding_mask": padding_mask}))
    assert_allclose(logits[0, :4], expected[0, :4], atol=1e-6)
    assert_allclose(logits[1, 2:], expected[1], atol=1e-6)


def test_compile_defaults_and_one_fit_step_lowers_the_loss():
    lm = seeded_lm(scale=0.3, dropout=0.1)
    lm.compile()
    x, y, weights = next_token_batch(TOKEN_IDS, PADDING_MASK)
    logits = to_numpy(lm.predict_on_batch(x)).astype("float64")
    # The loss averages over the sample weights (real next tokens), accuracy is weighted the same way.
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    token_losses = -np.take_along_axis(log_probs, y[..., None], axis=-1)[..., 0]
    expected_loss = (token_losses * weights).sum() / weights.sum()
    expected_accuracy = ((logits.argmax(-1) == y) * weights).sum() / weights.sum()
    before = lm.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    assert before["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert before["accuracy"] == pytest.approx(expected_accuracy, abs=1e-6)

    weights_before = [to_numpy(w).copy() for w in lm.trainable_weights]
    lm.fit(x, y, sample_weight=weights, epochs=1, batch_size=2, verbose=0)
    assert all(not np.array_equal(b, to_numpy(a)) for b, a in zip(weights_before, lm.trainable_weights))
    after = lm.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    assert after["loss"] < before["loss"]


@pytest.mark.parametrize("head", ["tied_projected", "untied"])
def test_keras_round_trip(tmp_path, head):
    lm = seeded_lm(dropout=0.1, **HEADS[head])
    expected = lm.predict_on_batch(INPUTS)
    path = str(tmp_path / "lm.keras")
    lm.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is LSTMCausalLM and loaded.get_config() == lm.get_config()
    np.testing.assert_array_equal(to_numpy(loaded.predict_on_batch(INPUTS)), to_numpy(expected))


def test_config_round_trip_and_presets():
    lm = LSTMCausalLM.from_backbone_arguments(
        **{**causal_lm_config("tiny", vocabulary_size=50, tie_embeddings=False), "dropout": 0.2}
    )
    config = lm.get_config()
    assert config["tie_embeddings"] is False and config["dropout"] == 0.2
    assert config["backbone"]["config"]["hidden_dim"] == 64 and config["backbone"]["config"]["bidirectional"] is False
    assert total_parameters(config) == lm.count_params()
    assert LSTMCausalLM.from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(lm), safe_mode=True)
    assert type(restored) is LSTMCausalLM and restored.get_config() == config


@pytest.mark.parametrize("head", list(HEADS))
def test_parameter_counts_match_the_built_model(head):
    config = {"vocabulary_size": VOCABULARY, "num_layers": 2, "tie_embeddings": True, **HEADS[head]}
    assert total_parameters(config) == LSTMCausalLM.from_backbone_arguments(**config).count_params()
    assert total_parameters(config) - non_embedding_parameters(config) == VOCABULARY * config["embedding_dim"]


def test_flops_count_the_lstm_weights_and_the_tied_table_per_token():
    config = causal_lm_config("small", vocabulary_size=8000)
    embedding, hidden = config["embedding_dim"], config["hidden_dim"]
    lstm_weights = lstm_parameters(embedding, hidden) + lstm_parameters(hidden, hidden)
    projection = hidden * embedding
    expected = 6 * (lstm_weights + projection + 8000 * embedding)  # the tied output matmul reads the table
    assert estimate_training_flops_per_token(config, 128) == expected


def test_shared_prompt_mask_keeps_the_columns_no_row_pads():
    mask = to_numpy(shared_prompt_mask(np.array([[5, 6, 7, 8], [9, 10, 0, 0], [4, 4, 4, 0]], "int32")))
    np.testing.assert_array_equal(mask, np.broadcast_to([True, True, False, False], (3, 4)))


def test_decode_step_matches_the_forward_pass():
    lm = seeded_lm()
    full = to_numpy(lm({"token_ids": TOKEN_IDS, "padding_mask": np.ones_like(TOKEN_IDS)}))
    state = lm.init_decoding_state(2, 16)
    assert tuple(state["hidden"].shape) == tuple(state["cell"].shape) == (2, 2, 4)  # batch first
    chunk, state = lm.decode_step(TOKEN_IDS[:, :3], state, 0)  # a chunk, then one token at a time
    steps = [to_numpy(chunk)]
    for index in range(3, TOKEN_IDS.shape[1]):
        logits, state = lm.decode_step(TOKEN_IDS[:, index : index + 1], state, index)
        steps.append(to_numpy(logits))
    assert_allclose(np.concatenate(steps, axis=1), full, atol=1e-5)


def test_prefill_of_right_padded_prompts_stops_at_the_shortest():
    lm = seeded_lm()
    prompts = np.array([[5, 6, 7, 8], [9, 10, 0, 0]], "int32")
    logits, state = lm.decode_step(prompts, lm.init_decoding_state(2, 8), 0)
    expected_logits, expected_state = lm.decode_step(prompts[:, :2], lm.init_decoding_state(2, 8), 0)
    assert_allclose(to_numpy(logits)[:, :2], to_numpy(expected_logits), atol=1e-6)
    for name in ("hidden", "cell"):
        assert_allclose(state[name], to_numpy(expected_state[name]), atol=1e-6)


def greedy_by_recomputation(lm, prompts, max_length):
    """Greedy continuations by calling the model on every row's growing sequence (right-padded to `max_length`)."""
    tokens = np.zeros((len(prompts), max_length), "int32")
    for row, prompt in enumerate(prompts):
        tokens[row, : len(prompt)] = prompt
    lengths = np.array([len(prompt) for prompt in prompts])
    for index in range(lengths.min(), max_length):
        mask = (np.arange(max_length)[None, :] < np.maximum(lengths, index)[:, None]).astype("int32")
        logits = to_numpy(lm.predict_on_batch({"token_ids": tokens * mask, "padding_mask": mask}))
        growing = index >= lengths
        tokens[growing, index] = logits[growing, index - 1].argmax(-1)
    return tokens


PROMPTS = [[5, 9], [4, 17, 8, 21, 3], [7, 7, 30]]
PROMPT_IDS = np.array([prompt + [0] * (5 - len(prompt)) for prompt in PROMPTS], "int32")


def varied_lm():
    return seeded_lm(scale=2.0, embedding_dim=12, hidden_dim=12)  # large weights: varied greedy tokens


def test_greedy_generate_equals_recomputation_and_each_prompt_alone():
    lm, prompts, prompt_ids = varied_lm(), PROMPTS, PROMPT_IDS
    out = generate(lm, prompt_ids, max_length=12, jit_compile=JIT)
    expected = greedy_by_recomputation(lm, prompts, 12)
    np.testing.assert_array_equal(out["token_ids"], expected)
    for row, prompt in enumerate(prompts):
        assert len(set(expected[row, len(prompt) :])) > 2, "degenerate model: few distinct tokens"
        # Alone in its batch (padded to the same width, so JAX and TensorFlow compile the loop once).
        alone = generate(lm, prompt_ids[row : row + 1], max_length=12, jit_compile=JIT)
        np.testing.assert_array_equal(alone["token_ids"][0], out["token_ids"][row])
    beam = generate(lm, prompt_ids, max_length=12, strategy="beam", beam_size=1, length_penalty=0, jit_compile=JIT)
    np.testing.assert_array_equal(beam["token_ids"], expected)


@pytest.mark.slow
def test_compiled_generate_equals_recomputation():
    lm = varied_lm()
    out = generate(lm, PROMPT_IDS, max_length=12, jit_compile=True)
    np.testing.assert_array_equal(out["token_ids"], greedy_by_recomputation(lm, PROMPTS, 12))


def test_mixed_bfloat16_logits_are_float32_and_close_to_numpy():
    lm = seeded_lm(dtype="mixed_bfloat16", **HEADS["tied_projected"])
    assert lm.backbone.lstm_layers[0].compute_dtype == "bfloat16"
    logits = lm(INPUTS)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    expected = numpy_lstm.causal_lm_logits(lm, TOKEN_IDS[1])
    assert_allclose(to_numpy(logits)[1], expected, atol=0.1, rtol=0.05)
    step_logits, state = lm.decode_step(TOKEN_IDS[:, :1], lm.init_decoding_state(2, 8), 0)
    assert keras.backend.standardize_dtype(step_logits.dtype) == "float32"
    assert np.all(np.isfinite(to_numpy(step_logits)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"vocabulary_size": 0}, "vocabulary_size=0"),
        ({"embedding_dim": -2}, "embedding_dim=-2"),
        ({"hidden_dim": 2.5}, "hidden_dim=2.5"),
        ({"num_layers": 0}, "num_layers=0"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"tie_embeddings": "yes"}, "tie_embeddings='yes'"),
    ],
)
def test_bad_arguments_are_quoted(kwargs, message):
    config = {"vocabulary_size": VOCABULARY, "embedding_dim": 4, "hidden_dim": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        LSTMCausalLM.from_backbone_arguments(**config)
