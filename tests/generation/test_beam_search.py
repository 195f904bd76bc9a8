"""Beam search's candidate selection: the best k of each row found through its blocks' maxima."""

import keras
import numpy as np
import pytest
from keras import ops

from tests.generation.transition_model import TransitionModel
from zoo.generation import beam_search, generate
from zoo.generation.beam_search import top_k_in_blocks
from zoo.generation.decoding import DEAD_SCORE
from zoo.testing import to_numpy

JIT = keras.backend.backend() != "torch"


def numpy_top_k(x, k):
    """Values and indices of each row's k largest, ties to the lower index."""
    indices = np.argsort(-x, axis=-1, kind="stable")[:, :k]
    return np.take_along_axis(x, indices, axis=-1), indices


@pytest.mark.parametrize("n,k", [(1024, 8), (1200, 8), (4096, 1), (4096, 7), (32768, 8)])
def test_top_k_in_blocks_equals_numpy(n, k):
    rng = np.random.default_rng(n + k)
    x = rng.normal(size=(3, n)).astype("float32")
    x[1, : n // 2] = DEAD_SCORE  # a beam that is not alive yet
    x[2, rng.choice(n, size=k + 3, replace=False)] = 5.0  # more ties at the top than k
    values, indices = top_k_in_blocks(ops.convert_to_tensor(x), k)
    expected_values, expected_indices = numpy_top_k(x, k)
    np.testing.assert_array_equal(to_numpy(values), expected_values)
    np.testing.assert_array_equal(to_numpy(indices)[:2], expected_indices[:2])
    # Ties: the same indices as the backend's own top-k (lowest first on XLA; PyTorch keeps its own).
    np.testing.assert_array_equal(to_numpy(indices)[2], to_numpy(ops.top_k(ops.convert_to_tensor(x), k)[1])[2])


def test_a_row_shorter_than_k_blocks_takes_the_plain_top_k():
    x = np.arange(200, dtype="float32")[None]
    values, indices = top_k_in_blocks(ops.convert_to_tensor(x), 2)
    np.testing.assert_array_equal(to_numpy(indices), [[199, 198]])


def test_beam_search_picks_the_same_hypotheses_as_with_the_plain_top_k(monkeypatch):
    # 300 tokens and 4 beams: 1,200 candidates a step, so the blocks (with padding) are searched.
    log_probs = np.log(np.random.default_rng(0).dirichlet(np.full(300, 0.3), size=300))
    prompts = np.array([[5, 9, 12], [4, 17, 0]], "int32")

    def beams():  # a new model each time: generate keeps a model's compiled loop on it
        model = TransitionModel(log_probs)
        return generate(model, prompts, 10, strategy="beam", num_return_sequences=4, jit_compile=JIT)

    blocked = beams()
    monkeypatch.setattr(beam_search, "top_k_in_blocks", lambda x, k: ops.top_k(x, k))
    plain = beams()
    np.testing.assert_array_equal(blocked["n_best_token_ids"], plain["n_best_token_ids"])
    np.testing.assert_allclose(blocked["n_best_scores"], plain["n_best_scores"], rtol=1e-6)
    assert len({tuple(hypothesis) for hypothesis in blocked["n_best_token_ids"][0]}) == 4
