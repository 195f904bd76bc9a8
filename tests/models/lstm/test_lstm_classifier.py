import keras
import numpy as np
import pytest

from tests.models.lstm import numpy_lstm
from zoo.models.lstm.backbone import LSTMBackbone
from zoo.models.lstm.classifier import LSTMClassifier, pool_lstm_outputs
from zoo.testing import assert_allclose, to_numpy

VOCABULARY, CLASSES = 20, 3
# Row 0 is right-padded, row 1 left-padded, row 2 has no padding; padded slots hold real-looking ids.
TOKEN_IDS = np.array([[3, 5, 7, 9, 4, 4], [6, 6, 2, 8, 1, 11], [12, 3, 3, 14, 5, 2]], "int32")
PADDING_MASK = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], "int32")
INPUTS = {"token_ids": TOKEN_IDS, "padding_mask": PADDING_MASK}


def tiny_classifier(**kwargs):
    config = {"embedding_dim": 5, "hidden_dim": 4, "num_layers": 2, **kwargs}
    return LSTMClassifier.from_backbone_arguments(VOCABULARY, CLASSES, **config)


# Each pooling once, both directions for "last" (final states): few eager JAX calls, as each compiles its scans.
@pytest.mark.parametrize("pooling, bidirectional", [("max", True), ("mean", False), ("last", True), ("last", False)])
def test_logits_match_numpy(pooling, bidirectional):
    classifier = tiny_classifier(pooling=pooling, bidirectional=bidirectional)
    numpy_lstm.set_seeded_weights(classifier, scale=0.5)
    logits = classifier(INPUTS)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert_allclose(logits, numpy_lstm.classifier_logits(classifier, TOKEN_IDS, PADDING_MASK), atol=1e-4)


def test_backbone_matches_numpy_and_ignores_padding():
    backbone = LSTMBackbone(VOCABULARY, embedding_dim=5, hidden_dim=4, num_layers=2)
    numpy_lstm.set_seeded_weights(backbone, scale=0.5)
    outputs = to_numpy(backbone(INPUTS))
    assert outputs["sequence_output"].shape == (3, 6, 8)
    for row, (ids, mask) in enumerate(zip(TOKEN_IDS, PADDING_MASK.astype(bool))):
        sequence, hidden, cell = numpy_lstm.run_backbone(backbone, ids[mask])
        assert_allclose(outputs["sequence_output"][row][mask], sequence, atol=1e-4)
        np.testing.assert_array_equal(outputs["sequence_output"][row][~mask], 0.0)
        assert_allclose(outputs["final_hidden"][row], hidden, atol=1e-4)
        assert_allclose(outputs["final_cell"][row], cell, atol=1e-4)

    # Three more padded steps, and other ids in every padded slot: ids that would change the outputs if read.
    padded_ids = np.concatenate([np.where(PADDING_MASK == 1, TOKEN_IDS, 17), np.full((3, 3), 13)], axis=1)
    padded_mask = np.concatenate([PADDING_MASK, np.zeros((3, 3), "int32")], axis=1)
    padded = to_numpy(backbone({"token_ids": padded_ids.astype("int32"), "padding_mask": padded_mask}))
    assert_allclose(padded["sequence_output"][:, :6], outputs["sequence_output"], atol=1e-6)
    assert_allclose(padded["final_hidden"], outputs["final_hidden"], atol=1e-6)
    assert_allclose(padded["final_cell"], outputs["final_cell"], atol=1e-6)


@pytest.mark.parametrize("pooling", ["max", "mean", "last"])
def test_pooling_reads_real_steps_only(pooling):
    sequence = np.random.randn(3, 6, 4).astype("float32") * 10
    final_hidden = np.random.randn(3, 4).astype("float32")
    mask = PADDING_MASK.copy()
    mask[2] = 0  # a row with no real token pools to zeros (max and mean)
    pooled = to_numpy(pool_lstm_outputs({"sequence_output": sequence, "final_hidden": final_hidden}, mask, pooling))
    for row in range(2):
        real = sequence[row][mask[row] == 1]
        expected = {"max": real.max(0), "mean": real.mean(0), "last": final_hidden[row]}[pooling]
        assert_allclose(pooled[row], expected)
    assert_allclose(pooled[2], final_hidden[2] if pooling == "last" else np.zeros(4))


def cross_entropy(logits, labels):
    log_probabilities = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return -log_probabilities[np.arange(len(labels)), labels].mean()


def test_fit_predict_and_keras_round_trip(tmp_path):
    classifier = tiny_classifier(num_layers=1, dropout=0.1)
    classifier.compile()
    labels = np.array([0, 2, 1])
    before = [to_numpy(w).copy() for w in classifier.trainable_weights]
    loss_before = cross_entropy(classifier.predict(INPUTS, verbose=0), labels)
    history = classifier.fit(INPUTS, labels, epochs=5, batch_size=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert all(not np.array_equal(b, to_numpy(a)) for b, a in zip(before, classifier.trainable_weights))
    predictions = classifier.predict(INPUTS, verbose=0)
    assert predictions.shape == (3, CLASSES)
    assert cross_entropy(predictions, labels) < loss_before

    path = str(tmp_path / "classifier.keras")
    classifier.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is LSTMClassifier and loaded.get_config() == classifier.get_config()
    np.testing.assert_array_equal(loaded.predict(INPUTS, verbose=0), predictions)
    assert isinstance(loaded.optimizer, keras.optimizers.AdamW)


def test_mixed_bfloat16_forward_is_finite_float32():
    classifier = tiny_classifier(num_layers=1, dtype="mixed_bfloat16")
    numpy_lstm.set_seeded_weights(classifier, scale=0.5)
    assert classifier.backbone.lstm_layers[0].compute_dtype == "bfloat16"
    logits = classifier(INPUTS)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    expected = numpy_lstm.classifier_logits(classifier, TOKEN_IDS, PADDING_MASK)
    assert_allclose(logits, expected, atol=0.1, rtol=0.05)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"pooling": "sum"}, "pooling='sum'"),
        ({"num_layers": 0}, "num_layers=0"),
        ({"dropout": 1.5}, "dropout=1.5"),
        ({"hidden_dim": -4}, "hidden_dim=-4"),
    ],
)
def test_bad_arguments_are_quoted(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_classifier(**kwargs)


def test_bad_num_classes_is_quoted():
    with pytest.raises(ValueError, match="num_classes=0"):
        LSTMClassifier(LSTMBackbone(VOCABULARY, embedding_dim=4, hidden_dim=4), 0)


def test_a_classifier_starts_from_a_causal_lm_with_its_embedding_and_first_layer():
    from zoo.models.lstm import LSTMCausalLM
    from zoo.models.lstm.backbone import load_pretrained_layers

    dims = {"vocabulary_size": 50, "embedding_dim": 8, "hidden_dim": 16, "num_layers": 2}
    lm = LSTMCausalLM.from_backbone_arguments(**dims)
    classifier = LSTMClassifier.from_backbone_arguments(num_classes=2, **dims)
    backward_before = [w.copy() for w in classifier.backbone.lstm_layers[0].backward_layer.get_weights()]
    second_before = [w.copy() for w in classifier.backbone.lstm_layers[1].get_weights()]

    assert load_pretrained_layers(classifier.backbone, lm.backbone) == ["token_embedding", "lstm_0"]
    np.testing.assert_array_equal(
        to_numpy(classifier.backbone.token_embedding.embeddings), to_numpy(lm.backbone.token_embedding.embeddings)
    )
    for got, want in zip(
        classifier.backbone.lstm_layers[0].forward_layer.get_weights(), lm.backbone.lstm_layers[0].get_weights()
    ):
        np.testing.assert_array_equal(got, want)
    # The backward direction and the second layer (its input is both directions: another shape) stay as they were.
    for got, want in zip(classifier.backbone.lstm_layers[0].backward_layer.get_weights(), backward_before):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(classifier.backbone.lstm_layers[1].get_weights(), second_before):
        np.testing.assert_array_equal(got, want)

    other = LSTMClassifier.from_backbone_arguments(num_classes=2, **{**dims, "vocabulary_size": 60})
    with pytest.raises(ValueError, match=r"pretrained token embedding is \(50, 8\); this model's is \(60, 8\)"):
        load_pretrained_layers(other.backbone, lm.backbone)
