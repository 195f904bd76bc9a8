"""benchmarks/generate_interleaved.py: what a case reports and what the command line refuses, not timings."""

import pytest

from benchmarks import generate_interleaved


@pytest.mark.slow  # compiles our decoding programs for gpt-tiny (tens of seconds cold)
@pytest.mark.one_backend("torch")
def test_a_case_reports_both_rates_and_the_ratio_of_their_medians():
    result = generate_interleaved.measure_pairs("tiny", 1, "greedy", "torch-kv", pairs=3, new_tokens=2)
    assert result["pairs"] == 3 and result["batch"] == 1 and result["new_tokens"] == 2
    assert result["backend"] == "torch" and result["reference"] == "torch-kv"
    rates = result["zoo_new_tokens_per_s"] / result["reference_new_tokens_per_s"]
    assert result["ratio"] == pytest.approx(rates)
    assert result["lowest_pair_ratio"] <= result["highest_pair_ratio"]


@pytest.mark.one_backend
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--configs", "huge"], "--configs"),
        (["--pairs", "0"], "--pairs"),
        (["--batch-sizes", "0"], "--batch-sizes"),
        (["--reference", "hf"], "--reference"),
        (["--strategies", "beam"], "torch-kv` runs greedy only"),
        (["--backend", "numpy"], "--backend"),
    ],
)
def test_the_command_line_names_the_bad_argument(argv, message, capsys):
    with pytest.raises(SystemExit):
        generate_interleaved.parse_args(argv)
    assert message in capsys.readouterr().err
