import keras
import numpy as np

from tests.layers.numpy_transformer import dense
from tests.models.bert.numpy_bert import backbone_forward, masked_lm_forward, set_seeded_weights
from tests.models.bert.tiny import MASK_WEIGHTS, TINY, make_backbone, make_inputs
from zoo.models.bert import BertPretrainer
from zoo.testing import assert_allclose, to_numpy

LABELS = {"mlm": np.array([[5, 9, 0], [3, 8, 0], [12, 4, 0]], "int32"), "nsp": np.array([1, 0, 1], "int32")}
SAMPLE_WEIGHTS = {"mlm": MASK_WEIGHTS, "nsp": np.ones(3, "float32")}


def test_outputs_match_numpy_forward():
    pretrainer = BertPretrainer(make_backbone(seeded=False))
    set_seeded_weights(pretrainer)
    inputs = make_inputs(with_mask_positions=True)
    sequence, pooled = backbone_forward(pretrainer.backbone, inputs)
    outputs = pretrainer(inputs)
    assert sorted(outputs) == ["mlm", "nsp"]
    assert all(keras.backend.standardize_dtype(o.dtype) == "float32" for o in outputs.values())
    expected_mlm = masked_lm_forward(pretrainer.masked_lm_head, sequence, inputs["mask_positions"])
    assert_allclose(outputs["mlm"], expected_mlm, atol=1e-4)
    assert_allclose(outputs["nsp"], dense(pretrainer.next_sentence_head, pooled), atol=1e-4)


def test_mlm_projection_is_tied_to_the_embedding():
    pretrainer = BertPretrainer(make_backbone(seeded=False))
    table = pretrainer.backbone.token_embedding.embeddings
    assert pretrainer.masked_lm_head.token_embedding is pretrainer.backbone.token_embedding
    assert sum(w is table for w in pretrainer.weights) == 1
    vocabulary_shaped = [w.path for w in pretrainer.weights if TINY["vocabulary_size"] in tuple(w.shape)]
    assert vocabulary_shaped == ["token_embedding/embeddings", "masked_lm_head/output_bias"]


def test_fit_predict_and_keras_file_round_trip(tmp_path):
    pretrainer = BertPretrainer(make_backbone(seeded=False))
    pretrainer.compile(optimizer=keras.optimizers.Adam(3e-3))
    inputs = make_inputs(with_mask_positions=True)
    history = pretrainer.fit(inputs, LABELS, sample_weight=SAMPLE_WEIGHTS, epochs=4, batch_size=3, verbose=0).history
    assert np.isfinite(history["loss"]).all() and history["loss"][-1] < history["loss"][0]
    assert {"mlm_loss", "nsp_loss", "mlm_accuracy", "nsp_accuracy"} <= set(history)
    total = history["mlm_loss"][-1] + history["nsp_loss"][-1]
    assert abs(history["loss"][-1] - total) < 1e-4 * abs(total)
    predictions = pretrainer.predict(inputs, verbose=0)
    assert predictions["mlm"].shape == (3, 3, TINY["vocabulary_size"]) and predictions["nsp"].shape == (3, 2)
    path = str(tmp_path / "pretrainer.keras")
    pretrainer.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is BertPretrainer
    assert loaded.get_config() == pretrainer.get_config()
    expected, actual = to_numpy(pretrainer(inputs)), to_numpy(loaded(inputs))
    for name in ("mlm", "nsp"):
        np.testing.assert_array_equal(actual[name], expected[name])


def test_mixed_bfloat16_outputs_are_float32_finite_and_close():
    reference = BertPretrainer(make_backbone(seeded=False))
    set_seeded_weights(reference)
    mixed = BertPretrainer(make_backbone(seeded=False, dtype="mixed_bfloat16"))
    mixed.set_weights(reference.get_weights())
    inputs = make_inputs(with_mask_positions=True)
    expected, outputs = to_numpy(reference(inputs)), mixed(inputs)
    for name, output in outputs.items():
        assert keras.backend.standardize_dtype(output.dtype) == "float32"
        assert np.isfinite(to_numpy(output)).all()
        assert_allclose(output, expected[name], atol=0.15, rtol=0.05)
