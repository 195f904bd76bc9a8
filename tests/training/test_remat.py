"""`zoo.training.remat`: which blocks `--remat` checkpoints, and the models it refuses."""

import keras
import pytest

import zoo.models
from zoo.layers.transformer_encoder import TransformerEncoderBlock
from zoo.training.remat import check_rematerializable, remat_scope, transformer_blocks


@pytest.mark.parametrize("family,expected", [("gpt", 2), ("bert", 2), ("transformer", 4)])
def test_every_block_of_every_transformer_family_is_selected(family, expected):
    with remat_scope(True):
        backbone = zoo.models.build(family, "tiny", vocabulary_size=300, dropout=0.0)
    blocks = check_rematerializable(backbone, "torch")
    assert len(blocks) == expected and blocks == transformer_blocks(backbone)


def test_a_model_without_blocks_is_refused():
    with pytest.raises(ValueError, match="this model has none"):
        check_rematerializable(keras.Sequential([keras.layers.Dense(2)]), "torch")


def test_a_block_the_scope_does_not_name_is_refused():
    inputs = keras.Input((4, 8))
    model = keras.Model(inputs, TransformerEncoderBlock(2, 16, name="my_block")(inputs))
    with pytest.raises(ValueError, match="block 'my_block' is not named as the zoo's backbones name theirs"):
        check_rematerializable(model, "torch")
