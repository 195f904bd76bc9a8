"""`no_repeat_ngram_size`: the banned-token mask against a NumPy reference, and decoding that never repeats."""

import keras
import numpy as np
import pytest

from tests.generation.transition_model import TransitionModel
from zoo.generation import generate
from zoo.generation.repetition import repeated_ngram_tokens
from zoo.testing import to_numpy

JIT = keras.backend.backend() != "torch"
VOCABULARY = 7


def reference_banned(tokens, index, prompt_length, n, vocabulary_size):
    """The tokens that would complete, at `index`, an n-gram generated earlier (all of it past the prompt)."""
    banned = np.zeros(vocabulary_size, bool)
    context = list(tokens[index - n + 1 : index])
    for start in range(prompt_length, index - n + 1):
        if list(tokens[start : start + n - 1]) == context:
            banned[tokens[start + n - 1]] = True
    return banned


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_banned_tokens_equal_a_numpy_reference(n):
    rng = np.random.default_rng(n)
    tokens = rng.integers(0, 3, size=(6, 16)).astype("int32")  # 3 symbols: many repeats to find
    prompt_lengths = np.array([1, 1, 2, 3, 5, 1], "int32")
    for index in range(1, 16):
        got = to_numpy(
            repeated_ngram_tokens(
                keras.ops.convert_to_tensor(tokens), index, keras.ops.convert_to_tensor(prompt_lengths), n, VOCABULARY
            )
        )
        expected = [reference_banned(row, index, length, n, VOCABULARY) for row, length in zip(tokens, prompt_lengths)]
        np.testing.assert_array_equal(got, expected, err_msg=f"index {index}")


def looping_model():
    """A random table whose best path cycles 1 -> 2 -> 3 -> 1 (greedy decoding loops forever)."""
    table = np.random.default_rng(0).normal(size=(VOCABULARY, VOCABULARY))
    for token, next_token in ((1, 2), (2, 3), (3, 1)):
        table[token, next_token] += 8.0
    return TransitionModel(table), table


def generated_ngrams(row, prompt_length, n):
    generated = [int(t) for t in row[prompt_length:]]
    return [tuple(generated[i : i + n]) for i in range(len(generated) - n + 1)]


def test_greedy_with_a_ban_equals_greedy_by_hand_and_never_repeats():
    model, table = looping_model()
    plain = generate(model, np.array([[1, 2]]), 14, jit_compile=JIT)["token_ids"][0]
    np.testing.assert_array_equal(plain[:8], [1, 2, 3, 1, 2, 3, 1, 2])
    out = generate(model, np.array([[1, 2]]), 14, no_repeat_ngram_size=2, jit_compile=JIT)["token_ids"][0]
    expected = [1, 2]
    while len(expected) < 14:
        logits = np.where(
            reference_banned(expected + [0], len(expected), 2, 2, VOCABULARY), -np.inf, table[expected[-1]]
        )
        expected.append(int(np.argmax(logits)))
    np.testing.assert_array_equal(out, expected)
    ngrams = generated_ngrams(out, 2, 2)
    assert len(ngrams) == len(set(ngrams))


@pytest.mark.parametrize("n", [2, 3])
def test_every_beam_hypothesis_is_free_of_repeated_ngrams(n):
    model, _ = looping_model()
    options = {"strategy": "beam", "beam_size": 3, "num_return_sequences": 3, "jit_compile": JIT}
    plain = generate(model, np.array([[1], [4]]), 12, **options)["n_best_token_ids"]
    assert any(len(set(grams)) < len(grams) for grams in (generated_ngrams(h, 1, n) for h in plain.reshape(6, 12)))
    banned = generate(model, np.array([[1], [4]]), 12, no_repeat_ngram_size=n, **options)["n_best_token_ids"]
    for hypothesis in banned.reshape(6, 12):
        grams = generated_ngrams(hypothesis, 1, n)
        assert len(grams) == len(set(grams)), hypothesis


def test_a_negative_size_is_rejected():
    model, _ = looping_model()
    with pytest.raises(ValueError, match="Received: no_repeat_ngram_size=-1"):
        generate(model, np.array([[1]]), 6, no_repeat_ngram_size=-1)
