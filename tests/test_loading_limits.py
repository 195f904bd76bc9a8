"""The caps checked before a saved file is read: sizes, nesting, lines, and dimensions against weights."""

import pytest

from zoo.errors import LoadError
from zoo.loading_limits import (
    cap,
    parse_json_config,
    require_depth,
    require_dimensions_fit,
    require_file_size,
    require_line_lengths,
)

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

GPT2_BASE = {
    "vocabulary_size": 50257,
    "num_layers": 12,
    "hidden_dim": 768,
    "intermediate_dim": 3072,
    "max_sequence_length": 1024,
    "num_heads": 12,
}


def test_caps_are_configurable_from_the_environment(monkeypatch):
    assert cap("config_bytes") == 16 << 20
    monkeypatch.setenv("ZOO_MAX_CONFIG_BYTES", "123")
    assert cap("config_bytes") == 123
    monkeypatch.setenv("ZOO_MAX_CONFIG_BYTES", "lots")
    with pytest.raises(LoadError, match="ZOO_MAX_CONFIG_BYTES='lots': must be a whole number"):
        cap("config_bytes")


def test_file_size_cap(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_bytes(b"x" * 2048)
    assert require_file_size(path, 2048, "a vocabulary") == 2048
    with pytest.raises(LoadError, match=r"vocab.txt: 2.0 KiB, above the 1.0 KiB cap on a vocabulary"):
        require_file_size(path, 1024, "a vocabulary")


def test_depth_is_checked_without_recursion():
    require_depth({"a": [{"b": 1}]}, "c.json", limit=3)
    with pytest.raises(LoadError, match="c.json: nests deeper than 3 levels"):
        require_depth({"a": [{"b": [1]}]}, "c.json", limit=3)
    deep = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(LoadError, match="nests deeper than 100 levels"):
        require_depth(deep, "c.json")


@pytest.mark.parametrize(
    "data,message",
    [
        (b"\xff{}", "not valid UTF-8 JSON"),
        (b"[1, 2]", "must hold a JSON object, not list"),
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper than"),
    ],
)
def test_json_configs_that_are_refused(data, message):
    with pytest.raises(LoadError, match=message):
        parse_json_config(data, "config.json")


def test_a_long_vocabulary_line_is_named():
    require_line_lengths(b"[PAD]\nhello\n", "vocab.txt", limit=5)
    with pytest.raises(LoadError, match="vocab.txt, line 2: 6 bytes, above the 5-byte cap"):
        require_line_lengths(b"[PAD]\nhello!\n", "vocab.txt", limit=5)


@pytest.mark.parametrize("weights_bytes", [124_000_000 * 4, 124_000_000 * 2])  # fp32 and bf16
def test_a_genuine_gpt2_config_fits_its_weights(weights_bytes):
    require_dimensions_fit({"config": GPT2_BASE}, weights_bytes, "gpt2")


def test_a_fasttext_config_fits_its_weights():
    # 4,096 bucket rows and 213 token rows of 16 columns: two tables, not a 4,096 x 213 matrix.
    config = {"vocabulary_size": 213, "num_classes": 2, "embedding_dim": 16, "num_bigram_buckets": 4096}
    require_dimensions_fit({"config": config}, (213 + 4096) * 16 * 4 + 20_000, "fasttext")
    with pytest.raises(LoadError, match="num_bigram_buckets=10,000,000"):
        require_dimensions_fit({"config": {**config, "num_bigram_buckets": 10**7}}, 300_000, "fasttext")


@pytest.mark.parametrize(
    "edit,named",
    [
        ({"vocabulary_size": 10**12}, "vocabulary_size=1,000,000,000,000"),
        ({"hidden_dim": 200_000, "intermediate_dim": 200_000}, "hidden_dim=200,000"),
        ({"num_layers": 100_000}, "num_layers=100,000"),
    ],
)
def test_dimensions_far_beyond_the_weights_are_refused(edit, named):
    with pytest.raises(LoadError, match=f"gpt2.config: .*{named}.* far larger than its 473.0 MiB of weights"):
        require_dimensions_fit({"config": {**GPT2_BASE, **edit}}, 124_000_000 * 4, "gpt2")
