import keras
import numpy as np
import pytest

from tests.models.gpt.numpy_gpt import set_seeded_weights
from tests.models.gpt.tiny import GPT2_LIKE
from zoo.generation import generate, generated_sequences
from zoo.models.gpt import GPTBackbone, GPTSeq2Seq, prefix_lm_batch
from zoo.testing import to_numpy

SEPARATOR, END = 2, 3
JIT = keras.backend.backend() != "torch"  # see test_gpt_causal_lm.py


def test_prefix_lm_batch_weights_only_the_target():
    x, y, weights = prefix_lm_batch([[5, 6, 7], [8]], [[9, 10], [11, 12, 13]], 4, 4, SEPARATOR, END)
    # Shifted before padding: the end token is a label only.
    np.testing.assert_array_equal(x["token_ids"], [[5, 6, 7, 2, 9, 10, 0, 0], [8, 2, 11, 12, 13, 0, 0, 0]])
    np.testing.assert_array_equal(y, [[6, 7, 2, 9, 10, 3, 0, 0], [2, 11, 12, 13, 3, 0, 0, 0]])
    # y is a target token or the end token exactly where the weight is 1.
    np.testing.assert_array_equal(weights, [[0, 0, 0, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 0, 0, 0]])


def test_source_side_labels_do_not_change_the_loss():
    model = GPTSeq2Seq(GPTBackbone(**GPT2_LIKE), separator_token_id=SEPARATOR)
    set_seeded_weights(model, scale=1.0, seed=1)  # confident predictions, so target labels move the loss
    model.compile()
    x, y, weights = prefix_lm_batch([[5, 6, 7, 8], [9, 4]], [[10, 11], [12, 13, 14]], 5, 5, SEPARATOR, END)
    changed = np.where(weights == 0, (y + 7) % 40, y)
    assert (changed != y).any()
    loss = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)["loss"]
    loss_changed = model.evaluate(x, changed, sample_weight=weights, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(loss_changed, abs=1e-6)
    target_changed = np.where(weights == 1, (y + 7) % 40, y)
    loss_target = model.evaluate(x, target_changed, sample_weight=weights, verbose=0, return_dict=True)["loss"]
    assert abs(loss_target - loss) > 1e-3


def test_build_prompt_appends_the_separator_after_each_source():
    model = GPTSeq2Seq(GPTBackbone(**GPT2_LIKE), separator_token_id=SEPARATOR)
    prompt_ids, prompt_mask = model.build_prompt(np.array([[5, 6, 0], [7, 8, 9]]))
    np.testing.assert_array_equal(prompt_ids, [[5, 6, 2, 0], [7, 8, 9, 2]])
    np.testing.assert_array_equal(prompt_mask, [[1, 1, 1, 0], [1, 1, 1, 1]])


def test_generation_continues_after_source_and_separator():
    model = GPTSeq2Seq(GPTBackbone(**GPT2_LIKE), separator_token_id=SEPARATOR)
    set_seeded_weights(model, scale=1.0, seed=1)
    prompt_ids, prompt_mask = model.build_prompt(np.array([[5, 6, 0], [7, 8, 9]]))
    out = generate(model, prompt_ids, 10, prompt_mask=prompt_mask, end_token_id=END, jit_compile=JIT)
    np.testing.assert_array_equal(out["token_ids"][0, :3], [5, 6, 2])
    np.testing.assert_array_equal(out["token_ids"][1, :4], [7, 8, 9, 2])
    targets = generated_sequences(out["token_ids"], out["padding_mask"], prompt_mask, end_token_id=END)
    assert [len(t) for t in targets] != [0, 0]
    assert all(END not in t and 0 not in t for t in targets)


def test_fit_predict_and_keras_round_trip(tmp_path):
    model = GPTSeq2Seq(GPTBackbone(**GPT2_LIKE), separator_token_id=SEPARATOR)
    rng = np.random.default_rng(0)
    sources = [list(rng.integers(4, 40, n)) for n in (3, 5, 4, 2)]
    x, y, weights = prefix_lm_batch(sources, [s[::-1] for s in sources], 6, 6, SEPARATOR, END)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    losses = model.fit(x, y, sample_weight=weights, epochs=4, batch_size=4, verbose=0).history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    assert model.predict(x, verbose=0).shape == (4, 12, 40)
    path = str(tmp_path / "seq2seq.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, GPTSeq2Seq) and loaded.separator_token_id == SEPARATOR
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))
