import numpy as np
import pytest

from tests.models.bert.tiny import make_inputs
from zoo.models.bert import PRESETS, BertBackbone, estimate_training_flops_per_token
from zoo.models.bert.presets import non_embedding_parameters


def test_base_is_bert_base():
    assert PRESETS["base"] == {
        "num_layers": 12,
        "hidden_dim": 768,
        "num_heads": 12,
        "intermediate_dim": 3072,
        "max_sequence_length": 512,
    }
    assert list(PRESETS) == ["tiny", "small", "base"]


@pytest.mark.parametrize("norm_first", [False, True])
def test_non_embedding_parameters_count_the_encoder_blocks(norm_first):
    backbone = BertBackbone(vocabulary_size=50, norm_first=norm_first, **PRESETS["tiny"])
    block_weights = sum(int(np.prod(w.shape)) for block in backbone.encoder_blocks for w in block.weights)
    assert non_embedding_parameters({**PRESETS["tiny"], "vocabulary_size": 50}) == block_weights


def test_tiny_preset_runs():
    backbone = BertBackbone(vocabulary_size=50, **PRESETS["tiny"])
    assert tuple(backbone(make_inputs())["pooled_output"].shape) == (3, PRESETS["tiny"]["hidden_dim"])


def test_training_flops_per_token_formula():
    config = {**PRESETS["base"], "vocabulary_size": 30522}
    blocks = 12 * (4 * 768 * 768 + 4 * 768 + 2 * 768 * 3072 + 3072 + 768 + 4 * 768)
    masked_lm_head = 0.15 * (768 * 768 + 768 * 30522)
    expected = 6 * (blocks + masked_lm_head) + 12 * 12 * 768 * 128
    assert estimate_training_flops_per_token(config, 128) == pytest.approx(expected)
    assert blocks == 85_054_464  # bert-base's 85M encoder parameters.
    assert estimate_training_flops_per_token(config, 512) > estimate_training_flops_per_token(config, 128)
