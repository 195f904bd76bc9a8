import keras
import numpy as np
import pytest

from tests.models.bert.numpy_bert import backbone_forward, set_seeded_weights
from tests.models.bert.tiny import LENGTHS, TINY, make_backbone, make_inputs
from zoo.models.bert import BertBackbone
from zoo.testing import assert_allclose, to_numpy


@pytest.mark.parametrize("norm_first", [False, True])
def test_matches_numpy_forward(norm_first):
    backbone = make_backbone(norm_first=norm_first)
    inputs = make_inputs()
    outputs = backbone(inputs)
    sequence, pooled = backbone_forward(backbone, inputs)
    assert_allclose(outputs["sequence_output"], sequence, atol=1e-4)
    assert_allclose(outputs["pooled_output"], pooled, atol=1e-4)


def test_padded_tokens_do_not_change_real_positions():
    backbone = make_backbone()
    inputs = make_inputs()
    changed = {**inputs, "token_ids": np.where(inputs["padding_mask"] == 1, inputs["token_ids"], 7)}
    changed["segment_ids"] = np.where(inputs["padding_mask"] == 1, inputs["segment_ids"], 1)
    before, after = to_numpy(backbone(inputs)), to_numpy(backbone(changed))
    real = inputs["padding_mask"].astype(bool)
    assert not np.array_equal(changed["token_ids"], inputs["token_ids"])
    assert_allclose(after["sequence_output"][real], before["sequence_output"][real], atol=1e-6)
    assert_allclose(after["pooled_output"], before["pooled_output"], atol=1e-6)


def test_segment_ids_change_the_outputs():
    backbone = make_backbone()
    inputs = make_inputs()
    swapped = {**inputs, "segment_ids": (1 - inputs["segment_ids"]) * inputs["padding_mask"]}
    before, after = to_numpy(backbone(inputs)), to_numpy(backbone(swapped))
    assert np.abs(after["pooled_output"] - before["pooled_output"]).max() > 1e-3
    assert np.abs(after["sequence_output"][0, : LENGTHS[0]] - before["sequence_output"][0, : LENGTHS[0]]).min() > 0


def test_outputs_and_symbolic_shapes():
    backbone = make_backbone()
    outputs = backbone(make_inputs())
    assert tuple(outputs["sequence_output"].shape) == (3, 8, TINY["hidden_dim"])
    assert tuple(outputs["pooled_output"].shape) == (3, TINY["hidden_dim"])
    assert tuple(backbone.output["sequence_output"].shape) == (None, None, TINY["hidden_dim"])
    assert sorted(backbone.input) == ["padding_mask", "segment_ids", "token_ids"]


def test_config_and_keras_file_round_trip(tmp_path):
    backbone = make_backbone(norm_first=True, activation="gelu_tanh", dropout=0.0)
    config = backbone.get_config()
    assert BertBackbone.from_config(config).get_config() == config
    path = str(tmp_path / "backbone.keras")
    backbone.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is BertBackbone
    inputs = make_inputs()
    expected, actual = to_numpy(backbone(inputs)), to_numpy(loaded(inputs))
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name])


def test_mixed_bfloat16_forward_is_finite_and_close():
    reference = make_backbone()
    mixed = make_backbone(seeded=False, dtype="mixed_bfloat16")
    mixed.set_weights(reference.get_weights())
    assert mixed.get_config()["dtype"]["config"]["name"] == "mixed_bfloat16"
    assert all(w.dtype == "float32" for w in mixed.weights)
    inputs = make_inputs()
    expected, actual = to_numpy(reference(inputs)), mixed(inputs)
    for name, output in actual.items():
        assert keras.backend.standardize_dtype(output.dtype) == "bfloat16"
        output = to_numpy(output).astype("float32")
        assert np.isfinite(output).all()
        assert_allclose(output, expected[name], atol=0.1, rtol=0.05)


def test_seeded_weights_are_reproducible():
    first, second = make_backbone(seeded=False), make_backbone(seeded=False)
    set_seeded_weights(first)
    set_seeded_weights(second)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"num_heads": 3}, "Received: num_heads=3"),
        ({"num_layers": 0}, "Received: num_layers=0"),
        ({"dropout": 1.5}, "Received: dropout=1.5"),
        ({"activation": "swiglu"}, "Received: activation='swiglu'"),
        ({"max_sequence_length": None}, "Received: max_sequence_length=None"),
    ],
)
def test_rejects_bad_arguments(overrides, message):
    with pytest.raises(ValueError, match=message):
        BertBackbone(**{**TINY, **overrides})
