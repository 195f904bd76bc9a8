"""Smoke tests of benchmarks/train.py and benchmarks/peak.py: result structure, not timings."""

import math

import keras
import pytest

from benchmarks import peak, train
from zoo.malloc_tuning import malloc_keeps_freed_memory, malloc_uses_huge_pages
from zoo.models.gpt.presets import total_parameters

# Smaller than any CONFIGS entry: one step takes milliseconds.
SHAPE = {
    "num_layers": 1,
    "hidden_dim": 32,
    "num_heads": 2,
    "intermediate_dim": 64,
    "sequence_length": 16,
    "batch_size": 2,
}
RESULT_KEYS = {
    "impl",
    "backend",
    "model",
    "config",
    "tokens_per_s",
    "best_tokens_per_s",
    "peak_fraction",
    "peak_rss_mb",
    "flops_per_token",
    "parameters",
    "malloc_huge_pages",
    "malloc_keeps_freed_memory",
}


def _gpt_parameters(shape):
    return total_parameters(
        {
            "vocabulary_size": train.VOCABULARY_SIZE,
            "num_layers": shape["num_layers"],
            "hidden_dim": shape["hidden_dim"],
            "num_heads": shape["num_heads"],
            "intermediate_dim": shape["intermediate_dim"],
            "max_sequence_length": shape["sequence_length"],
        }
    )


def _check_result(result, impl, backend):
    assert RESULT_KEYS <= set(result)
    assert (result["impl"], result["backend"], result["model"], result["config"]) == (impl, backend, "gpt", "test")
    for key in ("tokens_per_s", "best_tokens_per_s", "peak_fraction", "peak_rss_mb", "flops_per_token", "parameters"):
        assert math.isfinite(result[key]) and result[key] > 0, key
    assert result["best_tokens_per_s"] >= result["tokens_per_s"]
    assert result["malloc_huge_pages"] is malloc_uses_huge_pages()
    assert result["malloc_keeps_freed_memory"] is malloc_keeps_freed_memory()
    assert result["parameters"] == _gpt_parameters(SHAPE)
    assert result["flops_per_token"] == 6 * result["parameters"] + 12 * 1 * 32 * 16


def test_flops_per_token_is_6n_plus_12_l_d_t():
    # 6 * 1,000,000 + 12 * 2 layers * 128 wide * 128 tokens = 6,000,000 + 393,216.
    assert train.flops_per_token(1_000_000, 2, 128, 128) == 6_393_216


def test_bert_counts_its_mlm_head_at_the_masked_positions_only():
    shape = train.CONFIGS["tiny"]  # width 128, length 128: ceil(0.15 * 128) = 20 masked positions
    head, fraction = train.output_head("bert", shape)
    assert (head, fraction) == (8192 * 128 + 128 * 128, 20 / 128)
    assert train.flops_per_token(1_000_000, 2, 128, 128, head, fraction) == pytest.approx(
        6 * (1_000_000 - head) + 6 * head * 20 / 128 + 393_216
    )
    assert train.output_head("gpt", shape) == (0, 1.0)


def test_zoo_gpt_measurement_on_this_backend():
    result = train.measure("zoo", "gpt", "test", shape=SHAPE, blocks=1, steps=2, peak_gflops=100.0)
    _check_result(result, "zoo", keras.backend.backend())
    assert result["peak_fraction"] == pytest.approx(result["tokens_per_s"] * result["flops_per_token"] / 100e9)


def test_torch_eager_gpt_has_the_zoo_gpt_parameters():
    pytest.importorskip("torch")
    result = train.measure("torch-eager", "gpt", "test", shape=SHAPE, blocks=1, steps=2, peak_gflops=100.0)
    _check_result(result, "torch-eager", None)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`impl=.torch-eager.` trains GPT only. Received: model='bert'"):
        train.measure("torch-eager", "bert", shape=SHAPE, peak_gflops=1.0)
    with pytest.raises(ValueError, match="`config` must be one of"):
        train.measure("zoo", "gpt", "huge", peak_gflops=1.0)
    with pytest.raises(ValueError, match="settings of the zoo's runs; impl='keras-hub' has none"):
        train.measure("keras-hub", "gpt", shape=SHAPE, remat=True, peak_gflops=1.0)


def test_the_command_line_names_an_unknown_impl(capsys):
    with pytest.raises(SystemExit):
        train.parse_args(["--impls", "zoo,jit"])
    assert "`--impls` must be one of" in capsys.readouterr().err


def test_the_table_takes_the_higher_peak():
    start = {"fp32_numpy_gflops": 265.6, "bf16_torch_gflops": None}
    assert train.higher_peak(start, {"fp32_numpy_gflops": 377.2, "bf16_torch_gflops": None}) == {
        "fp32_numpy_gflops": 377.2,
        "bf16_torch_gflops": None,
    }
    result = {"tokens_per_s": 1000.0, "peak_gflops": 200.0, "peak_fraction": 0.5}
    assert train.against_peak(result, 400.0) == {"tokens_per_s": 1000.0, "peak_gflops": 400.0, "peak_fraction": 0.25}


def test_measure_peak_returns_both_rates():
    result = peak.measure_peak(n=64, repeats=2)
    assert set(result) == {"fp32_numpy_gflops", "bf16_torch_gflops"}
    assert result["fp32_numpy_gflops"] > 0
    assert result["bf16_torch_gflops"] is None or result["bf16_torch_gflops"] > 0


def test_bf16_isa_reads_the_flags_line(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("model name\t: X\nflags\t\t: fpu avx2 amx_tile avx512_bf16\n")
    assert peak.bf16_isa(cpuinfo) == ["avx512_bf16", "amx_tile"]
    assert peak.bf16_isa(tmp_path / "missing") == []
