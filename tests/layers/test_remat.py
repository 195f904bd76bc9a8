"""Transformer blocks under `keras.RematScope`: recomputed in the backward pass, same training steps."""

import keras
import numpy as np
import pytest

from zoo.layers.transformer_decoder import TransformerDecoderBlock
from zoo.layers.transformer_encoder import TransformerEncoderBlock
from zoo.testing import assert_allclose, to_numpy

HIDDEN, HEADS, FFN, LENGTH = 16, 4, 32, 6


def encoder_model(dropout):
    x = keras.Input((LENGTH, HIDDEN))
    mask = keras.Input((LENGTH,), dtype="int32")
    y = TransformerEncoderBlock(HEADS, FFN, dropout=dropout, name="encoder_block_0")(x, padding_mask=mask)
    return keras.Model([x, mask], keras.layers.Dense(3)(y))


def decoder_model(dropout):
    x = keras.Input((LENGTH, HIDDEN))
    source = keras.Input((LENGTH + 2, HIDDEN))
    y = TransformerDecoderBlock(HEADS, FFN, use_cross_attention=True, dropout=dropout, name="decoder_block_0")(
        x, source
    )
    return keras.Model([x, source], keras.layers.Dense(3)(y))


def inputs(kind):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, LENGTH, HIDDEN)).astype("float32")
    if kind == "encoder":
        return [x, np.array([[1] * LENGTH, [1] * 4 + [0] * 2] * 2, "int32")]
    return [x, rng.standard_normal((4, LENGTH + 2, HIDDEN)).astype("float32")]


def weights_after_steps(kind, remat, dropout=0.0, steps=2):
    """The weights after `steps` SGD steps from a seeded start, built inside a RematScope if `remat`."""
    keras.utils.set_random_seed(0)
    scope = keras.RematScope(mode="list_of_layers" if remat else None, layer_names=[f"{kind}_block_0"])
    with scope:
        model = (encoder_model if kind == "encoder" else decoder_model)(dropout)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    target = np.random.default_rng(1).standard_normal((4, LENGTH, 3)).astype("float32")
    for _ in range(steps):
        model.train_on_batch(inputs(kind), target)
    return [to_numpy(w) for w in model.trainable_weights]


@pytest.mark.parametrize("kind", ["encoder", "decoder"])
def test_rematerialized_block_trains_like_the_plain_one(kind, monkeypatch):
    checkpointed = []
    keras_remat = keras.remat
    monkeypatch.setattr(keras, "remat", lambda f: checkpointed.append(f) or keras_remat(f))
    plain = weights_after_steps(kind, remat=False)
    assert not checkpointed
    recomputed = weights_after_steps(kind, remat=True)
    assert checkpointed, "the block's call never went through keras.remat"
    for a, b in zip(plain, recomputed):
        assert_allclose(b, a, atol=1e-6)


def test_block_outside_the_scope_list_is_not_checkpointed(monkeypatch):
    checkpointed = []
    monkeypatch.setattr(keras, "remat", lambda f: checkpointed.append(f) or f)
    with keras.RematScope(mode="list_of_layers", layer_names=["some_other_layer"]):
        model = encoder_model(0.0)
    model(inputs("encoder"))
    assert not checkpointed


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch replays dropout masks in its recomputation")
def test_torch_recomputation_replays_the_dropout_masks():
    for a, b in zip(weights_after_steps("encoder", False, 0.3, 1), weights_after_steps("encoder", True, 0.3, 1)):
        assert_allclose(b, a, atol=1e-6)


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="torch replays dropout masks in its recomputation")
def test_dropout_under_remat_is_refused_where_masks_would_be_redrawn():
    with pytest.raises(ValueError, match=r"encoder_block_0: rematerialization with dropout > 0 runs on the torch"):
        weights_after_steps("encoder", True, 0.3, 1)
