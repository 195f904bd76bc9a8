import keras
import numpy as np
import pytest

from tests.models.gpt.numpy_gpt import numpy_logits, set_seeded_weights
from tests.models.gpt.tiny import GPT2_LIKE, LLAMA_LIKE, right_padded_batch
from zoo.generation import generate
from zoo.models.gpt import GPTBackbone, GPTCausalLM, next_token_batch
from zoo.testing import assert_allclose, to_numpy

# The exported + compiled PyTorch step costs ~20 s to compile; tests/generation covers it (slow).
JIT = keras.backend.backend() != "torch"


def seeded_lm(config, scale=1.0, seed=1):
    """Large weights so greedy decoding is not degenerate (argmax far from ties, tokens vary)."""
    lm = GPTCausalLM(GPTBackbone(**config))
    set_seeded_weights(lm, scale=scale, seed=seed)
    return lm


@pytest.mark.parametrize("config", [GPT2_LIKE, LLAMA_LIKE], ids=["gpt2_like", "llama_like"])
def test_logits_match_numpy_forward(config):
    lm = seeded_lm(config, scale=0.2, seed=0)
    batch = right_padded_batch()
    logits = lm(batch)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    real = batch["padding_mask"].astype(bool)
    expected = numpy_logits(lm.backbone, batch["token_ids"], batch["padding_mask"])
    assert_allclose(to_numpy(logits)[real], expected[real], atol=1e-5)


@pytest.mark.parametrize("config", [GPT2_LIKE, LLAMA_LIKE], ids=["gpt2_like", "llama_like"])
def test_decode_step_logits_equal_full_forward(config):
    lm = seeded_lm(config, scale=0.2, seed=0)
    token_ids = right_padded_batch()["token_ids"][:1]
    full = to_numpy(lm({"token_ids": token_ids, "padding_mask": np.ones_like(token_ids)}))
    state = lm.init_decoding_state(1, 12)
    chunk, state = lm.decode_step(token_ids[:, :3], state, 0)  # a prompt chunk, then one token at a time
    steps = [to_numpy(chunk)]
    for index in range(3, token_ids.shape[1]):
        logits, state = lm.decode_step(token_ids[:, index : index + 1], state, index)
        steps.append(to_numpy(logits))
    assert_allclose(np.concatenate(steps, axis=1), full, atol=1e-5)


def greedy_by_recomputation(lm, prompt, max_length):
    """Greedy decoding by a full forward pass per token, without a cache.

    Every pass reads one `(1, max_length)` array, the tokens so far right-padded: the model is
    causal, so the logits at the last real token do not see the padding (one shape: JAX compiles once).
    """
    tokens = list(prompt)
    while len(tokens) < max_length:
        ids = np.array([tokens + [0] * (max_length - len(tokens))], "int32")
        mask = (np.arange(max_length) < len(tokens)).astype("int32")[None]
        logits = to_numpy(lm({"token_ids": ids, "padding_mask": mask}))
        tokens.append(int(logits[0, len(tokens) - 1].argmax()))
    return tokens


@pytest.mark.parametrize("config", [GPT2_LIKE, LLAMA_LIKE], ids=["gpt2_like", "llama_like"])
def test_greedy_with_cache_equals_greedy_by_recomputation(config):
    lm = seeded_lm(config)
    prompts = [[5, 9, 12], [4, 17, 8, 21, 3]]
    prompt_ids = np.array([p + [0] * (5 - len(p)) for p in prompts], "int32")
    out = generate(lm, prompt_ids, max_length=14, jit_compile=JIT)
    for row, prompt in enumerate(prompts):
        expected = greedy_by_recomputation(lm, prompt, 14)
        assert len(set(expected[len(prompt) :])) > 1, "degenerate model: every step picks one token"
        assert out["token_ids"][row].tolist() == expected


def test_max_length_beyond_the_position_table_is_rejected():
    lm = GPTCausalLM(GPTBackbone(**GPT2_LIKE))
    with pytest.raises(ValueError, match="Received: max_length=25"):
        lm.init_decoding_state(1, 25)


def test_fit_predict_and_keras_round_trip(tmp_path):
    lm = GPTCausalLM(GPTBackbone(**GPT2_LIKE))
    rng = np.random.default_rng(0)
    token_ids = rng.integers(1, 40, (8, 9)).astype("int32")
    token_ids[4:, 6:] = 0
    x, y, sample_weight = next_token_batch(token_ids, (token_ids != 0).astype("int32"))
    lm.compile()
    history = lm.fit(x, y, sample_weight=sample_weight, epochs=3, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    predicted = lm.predict(x, verbose=0)
    assert predicted.shape == (8, 8, 40)
    path = str(tmp_path / "lm.keras")
    lm.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, GPTCausalLM)
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(lm(x)))


def test_padding_is_masked_out_of_the_loss():
    lm = GPTCausalLM(GPTBackbone(**GPT2_LIKE))
    lm.compile()
    token_ids = np.array([[3, 8, 9, 4, 0, 0]], "int32")
    x, y, weights = next_token_batch(token_ids, (token_ids != 0).astype("int32"))
    changed = y.copy()
    changed[0, -2:] = [17, 23]  # labels behind padding
    loss = lm.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)["loss"]
    loss_changed = lm.evaluate(x, changed, sample_weight=weights, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(loss_changed, abs=1e-6)
