import keras
import numpy as np
import pytest

from tests.models.bert.numpy_bert import backbone_forward, masked_lm_forward
from tests.models.bert.tiny import MASK_WEIGHTS, TINY, make_backbone, make_inputs
from zoo.layers import TokenEmbedding
from zoo.models.bert import BertMaskedLM, MaskedLMHead
from zoo.testing import assert_allclose, run_layer_checks, to_numpy

LABELS = np.array([[5, 9, 0], [3, 8, 0], [12, 4, 0]], "int32")


def test_head_layer_contract(tmp_path):
    sequence = np.random.randn(2, 6, 8).astype("float32")
    positions = np.array([[1, 4], [0, 5]], "int32")
    run_layer_checks(
        MaskedLMHead,
        {"token_embedding": TokenEmbedding(vocabulary_size=20, hidden_dim=8)},
        [sequence, positions],
        tmp_path,
        expected_output_shape=(2, 2, 20),
        run_mixed_precision=False,  # float32 logits under any policy: covered by the task test below.
    )


def test_head_rejects_a_plain_embedding():
    with pytest.raises(ValueError, match="must be a TokenEmbedding"):
        MaskedLMHead(keras.layers.Embedding(20, 8))


def test_logits_match_numpy_forward():
    masked_lm = BertMaskedLM(make_backbone())
    inputs = make_inputs(with_mask_positions=True)
    sequence, _ = backbone_forward(masked_lm.backbone, inputs)
    expected = masked_lm_forward(masked_lm.masked_lm_head, sequence, inputs["mask_positions"])
    logits = masked_lm(inputs)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert tuple(logits.shape) == (3, 3, TINY["vocabulary_size"])
    assert_allclose(logits, expected, atol=1e-4)


def test_gathers_exactly_the_given_positions():
    masked_lm = BertMaskedLM(make_backbone())
    inputs = make_inputs()
    length = inputs["token_ids"].shape[1]
    every_position = np.tile(np.arange(length, dtype="int32"), (3, 1))
    all_logits = to_numpy(masked_lm({**inputs, "mask_positions": every_position}))
    positions = np.array([[7, 0, 3], [2, 2, 4], [1, 6, 5]], "int32")
    logits = to_numpy(masked_lm({**inputs, "mask_positions": positions}))
    assert_allclose(logits, np.take_along_axis(all_logits, positions[..., None], axis=1), atol=1e-5)


def test_output_projection_is_the_tied_embedding_table():
    masked_lm = BertMaskedLM(make_backbone())
    table = masked_lm.backbone.token_embedding.embeddings
    assert masked_lm.masked_lm_head.token_embedding is masked_lm.backbone.token_embedding
    assert sum(w is table for w in masked_lm.weights) == 1
    assert len({id(w) for w in masked_lm.weights}) == len(masked_lm.weights)
    vocabulary_shaped = [w.path for w in masked_lm.weights if TINY["vocabulary_size"] in tuple(w.shape)]
    assert vocabulary_shaped == ["token_embedding/embeddings", "masked_lm_head/output_bias"]
    inputs = make_inputs(with_mask_positions=True)
    before = to_numpy(masked_lm(inputs))
    table.assign(table * 2.0)
    assert not np.allclose(to_numpy(masked_lm(inputs)), before)


def test_padded_mask_slots_do_not_count_in_the_loss():
    masked_lm = BertMaskedLM(make_backbone())
    masked_lm.compile()
    inputs = make_inputs(with_mask_positions=True)
    loss = masked_lm.evaluate(inputs, LABELS, sample_weight=MASK_WEIGHTS, verbose=0, return_dict=True)["loss"]
    other_labels = np.where(MASK_WEIGHTS > 0, LABELS, 31)
    other = masked_lm.evaluate(inputs, other_labels, sample_weight=MASK_WEIGHTS, verbose=0, return_dict=True)["loss"]
    logits = to_numpy(masked_lm(inputs)).astype("float64")
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_probs, LABELS[..., None], axis=-1)[..., 0]
    expected = (nll * MASK_WEIGHTS).sum() / MASK_WEIGHTS.sum()
    assert loss == pytest.approx(expected, rel=1e-4)
    assert other == pytest.approx(loss, rel=1e-6)


def test_fit_with_compile_defaults_predict_and_keras_file_round_trip(tmp_path):
    masked_lm = BertMaskedLM(make_backbone(seeded=False))
    masked_lm.compile()
    inputs = make_inputs(with_mask_positions=True)
    history = masked_lm.fit(inputs, LABELS, sample_weight=MASK_WEIGHTS, epochs=4, batch_size=3, verbose=0).history
    assert np.isfinite(history["loss"]).all() and history["loss"][-1] < history["loss"][0]
    assert "accuracy" in history
    predictions = masked_lm.predict(inputs, verbose=0)
    assert predictions.shape == (3, 3, TINY["vocabulary_size"])
    path = str(tmp_path / "masked_lm.keras")
    masked_lm.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is BertMaskedLM
    assert loaded.get_config() == masked_lm.get_config()
    assert loaded.masked_lm_head.token_embedding is loaded.backbone.token_embedding
    assert isinstance(loaded.optimizer, keras.optimizers.AdamW)
    np.testing.assert_array_equal(to_numpy(loaded(inputs)), to_numpy(masked_lm(inputs)))


def test_mixed_bfloat16_logits_are_float32_finite_and_close():
    reference = BertMaskedLM(make_backbone())
    mixed = BertMaskedLM(make_backbone(seeded=False, dtype="mixed_bfloat16"))
    mixed.set_weights(reference.get_weights())
    inputs = make_inputs(with_mask_positions=True)
    logits = mixed(inputs)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert np.isfinite(to_numpy(logits)).all()
    assert_allclose(logits, reference(inputs), atol=0.15, rtol=0.05)
