import pytest

from tests.models.gpt.tiny import LLAMA_LIKE
from zoo.models.gpt import PRESETS, GPTBackbone, estimate_training_flops_per_token, total_parameters
from zoo.models.gpt.presets import non_embedding_parameters


def test_presets_have_the_documented_shapes():
    assert set(PRESETS) == {"tiny", "small", "base"}
    base = PRESETS["base"]
    assert (base["num_layers"], base["hidden_dim"], base["num_heads"], base["intermediate_dim"]) == (12, 768, 12, 3072)


@pytest.mark.parametrize("config", [dict(PRESETS["tiny"], vocabulary_size=8192), LLAMA_LIKE], ids=["tiny", "llama"])
def test_parameter_count_matches_the_built_model(config):
    assert total_parameters(config) == GPTBackbone(**config).count_params()


def test_base_preset_is_gpt2_small_sized():
    # GPT-2 124M: 85M non-embedding parameters (Radford et al.), 124M with its 50257 x 768 table.
    config = dict(PRESETS["base"], vocabulary_size=50257)
    assert non_embedding_parameters(config) == 85_056_000
    assert total_parameters(config) == 124_439_808


def test_training_flops_formula():
    config = dict(PRESETS["small"], vocabulary_size=8192)
    n = non_embedding_parameters(config) + 8192 * 256
    assert estimate_training_flops_per_token(config, 128) == 6 * n + 12 * 4 * 256 * 128
