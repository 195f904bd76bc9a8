import warnings

import keras
import numpy as np
import pytest

from tests.layers.numpy_transformer import dense
from tests.models.bert.numpy_bert import backbone_forward
from tests.models.bert.tiny import make_backbone, make_inputs
from zoo.models.bert import BertClassifier
from zoo.testing import assert_allclose, to_numpy

LABELS = np.array([0, 2, 1], "int32")


def seeded_classifier(pooling="first", **backbone_overrides):
    classifier = BertClassifier(make_backbone(seeded=False, **backbone_overrides), num_classes=3, pooling=pooling)
    rng = np.random.default_rng(0)
    for weight in classifier.weights:  # the head too, not only the backbone.
        weight.assign(rng.normal(0.0, 0.2, size=tuple(weight.shape)).astype("float32") + weight.path.endswith("gamma"))
    return classifier


def test_logits_match_numpy_forward():
    classifier = seeded_classifier()
    inputs = make_inputs()
    _, pooled = backbone_forward(classifier.backbone, inputs)
    logits = classifier(inputs)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert_allclose(logits, dense(classifier.output_dense, pooled), atol=1e-4)


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_mean_and_max_pooling_over_the_real_tokens_match_numpy(pooling):
    classifier = seeded_classifier(pooling=pooling)
    inputs = make_inputs()
    sequence, _ = backbone_forward(classifier.backbone, inputs)
    real = inputs["padding_mask"].astype(bool)
    reduce = np.mean if pooling == "mean" else np.max
    pooled = np.stack([reduce(row[keep], axis=0) for row, keep in zip(sequence, real)])
    assert_allclose(classifier(inputs), dense(classifier.output_dense, pooled), atol=1e-4)
    padded = {name: np.pad(value, ((0, 0), (0, 3))) for name, value in inputs.items()}  # padding changes nothing
    assert_allclose(classifier(padded), classifier(inputs), atol=1e-5)


def test_sentence_pairs_depend_on_segment_ids():
    classifier = seeded_classifier()
    inputs = make_inputs()
    single = {**inputs, "segment_ids": np.zeros_like(inputs["segment_ids"])}
    assert np.abs(to_numpy(classifier(inputs)) - to_numpy(classifier(single))).max() > 1e-3


def test_fit_predict_and_keras_file_round_trip(tmp_path):
    classifier = BertClassifier(make_backbone(seeded=False), num_classes=3, dropout=0.2)
    classifier.compile(optimizer=keras.optimizers.Adam(3e-3))
    inputs = make_inputs()
    history = classifier.fit(inputs, LABELS, epochs=4, batch_size=3, verbose=0).history
    assert np.isfinite(history["loss"]).all() and history["loss"][-1] < history["loss"][0]
    assert "accuracy" in history
    predictions = classifier.predict(inputs, verbose=0)
    assert predictions.shape == (3, 3) and predictions.dtype == np.float32
    path = str(tmp_path / "classifier.keras")
    classifier.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is BertClassifier
    assert loaded.get_config() == classifier.get_config()
    assert loaded.get_config()["num_classes"] == 3 and loaded.get_config()["dropout"] == 0.2
    np.testing.assert_array_equal(to_numpy(loaded(inputs)), to_numpy(classifier(inputs)))


def test_mixed_bfloat16_logits_are_float32_finite_and_close():
    reference = seeded_classifier()
    mixed = BertClassifier(make_backbone(seeded=False, dtype="mixed_bfloat16"), num_classes=3)
    mixed.set_weights(reference.get_weights())
    inputs = make_inputs()
    logits = mixed(inputs)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert np.isfinite(to_numpy(logits)).all()
    assert_allclose(logits, reference(inputs), atol=0.1, rtol=0.05)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_classes": 0}, "Received: num_classes=0"),
        ({"num_classes": 2, "dropout": -0.1}, "Received: dropout=-0.1"),
        ({"num_classes": 2, "pooling": "last"}, "Received: pooling='last'"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BertClassifier(make_backbone(seeded=False), **kwargs)


def test_mean_pooling_trains_every_variable_it_uses():
    classifier = BertClassifier(make_backbone(seeded=False), num_classes=3, pooling="mean")
    assert not any("pooler" in variable.path for variable in classifier.trainable_variables)
    classifier.compile(optimizer=keras.optimizers.Adam(3e-3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras warns of variables without gradients
        classifier.fit(make_inputs(), LABELS, epochs=1, batch_size=3, verbose=0)
