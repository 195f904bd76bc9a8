"""benchmarks/generate.py: the PyTorch reference computes the zoo GPT's function; results' structure, not timings."""

import json
import math

import keras
import numpy as np
import pytest

from benchmarks import generate

REQUIRED_KEYS = {"impl", "backend", "config", "batch", "strategy", "new_tokens_per_s", "first_token_ms", "cpu", "flags"}


def _random_gpt(vocabulary_size=97):
    """A tiny zoo GPT whose every weight is random (biases, norm scales and offsets included), so none hides a swap."""
    from zoo.models.gpt import GPTBackbone, GPTCausalLM

    backbone = GPTBackbone(
        vocabulary_size=vocabulary_size,
        num_layers=2,
        hidden_dim=32,
        num_heads=4,
        intermediate_dim=64,
        max_sequence_length=24,
    )
    model = GPTCausalLM(backbone)
    rng = np.random.default_rng(1)
    for variable in model.weights:
        scale = 1.0 if variable.name == "gamma" else 0.0
        variable.assign(scale + rng.normal(0.0, 0.3, variable.shape).astype("float32"))
    return model


@pytest.mark.one_backend("torch")
def test_torch_kv_reference_is_the_zoo_gpt():
    import torch

    from benchmarks.torch_kv_reference import TorchKVGPT
    from zoo.generation import generate as zoo_generate

    model = _random_gpt()
    reference = TorchKVGPT(model)
    prompt = np.random.default_rng(0).integers(1, 97, (3, 6)).astype("int32")
    torch_prompt = torch.from_numpy(prompt).long()

    logits = model({"token_ids": prompt, "padding_mask": np.ones_like(prompt)})
    np.testing.assert_allclose(reference.logits(torch_prompt).numpy(), keras.ops.convert_to_numpy(logits), atol=1e-4)

    # The eager step computes what the compiled one does, without its compilation (tens of seconds).
    expected = zoo_generate(model, prompt, 20, strategy="greedy", jit_compile=False)["token_ids"]
    tokens = reference.generate(torch_prompt, new_tokens=14).numpy()
    np.testing.assert_array_equal(tokens, expected)
    assert len({tuple(row[6:]) for row in tokens}) == 3  # the rows decode different continuations


@pytest.mark.one_backend("torch")
def test_torch_kv_reference_refuses_what_it_cannot_copy():
    from benchmarks.torch_kv_reference import TorchKVGPT
    from zoo.models.gpt import GPTBackbone, GPTCausalLM

    backbone = GPTBackbone(
        vocabulary_size=20, num_layers=1, hidden_dim=8, num_heads=2, intermediate_dim=16, position_encoding="rotary"
    )
    with pytest.raises(ValueError, match="GPT-2-shaped models only"):
        TorchKVGPT(GPTCausalLM(backbone))


@pytest.mark.one_backend("jax")
def test_json_prints_one_object_per_measurement(capsys):
    argv = ["--backends", "jax", "--configs", "tiny", "--impls", "zoo", "--batch-sizes", "1", "--strategies", "greedy"]
    generate.main(argv + ["--new-tokens", "3", "--repeats", "1", "--vocabulary-size", "300", "--json"])
    [result] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert REQUIRED_KEYS <= set(result)
    assert (result["impl"], result["backend"], result["config"], result["batch"], result["strategy"]) == (
        "zoo",
        "jax",
        "tiny",
        1,
        "greedy",
    )
    assert (result["new_tokens"], result["vocabulary_size"], result["threads"]) == (3, 300, None)
    assert result["cpu"] == generate.cpu_description()["cpu"]
    assert math.isfinite(result["new_tokens_per_s"]) and result["new_tokens_per_s"] > 0
    assert 0 < result["first_token_ms"] < 1000 * result["first_call_s"]  # the first call compiled the loop


@pytest.mark.one_backend("torch")
def test_torch_kv_measures_greedy_only_and_names_no_backend():
    results = generate.measure(
        "torch-kv",
        "tiny",
        batch_sizes=(1, 2),
        strategies=("greedy", "beam"),
        new_tokens=3,
        repeats=1,
        vocabulary_size=300,
    )
    [line] = generate.json_lines(results[:1], generate.cpu_description(), threads=2)
    assert REQUIRED_KEYS <= set(json.loads(line))
    assert [(r["impl"], r["backend"], r["batch"], r["strategy"]) for r in results] == [
        ("torch-kv", None, 1, "greedy"),
        ("torch-kv", None, 2, "greedy"),
    ]
    assert all(r["new_tokens_per_s"] > 0 and r["first_token_ms"] > 0 for r in results)


@pytest.mark.one_backend("tensorflow")
def test_the_saved_model_serves_every_new_token_of_each_text():
    generator = generate.saved_model_generator("tiny", vocabulary_size=300, new_tokens=3)
    texts = generator.inputs(generate.prompt_ids(2, 300))
    assert [len(text.split()) for text in texts.numpy()] == [generate.PROMPT_LENGTH - 1] * 2  # + bos: the prompt
    for strategy in ("greedy", "beam"):
        outputs = generator.generate(texts, strategy, 3)
        assert [len(output.split()) for output in outputs] == [3, 3], strategy  # no text stopped at an end token


def _result(impl, backend, tokens_per_s, strategy="greedy"):
    return {
        "impl": impl,
        "backend": backend,
        "config": "tiny",
        "batch": 1,
        "strategy": strategy,
        "new_tokens_per_s": tokens_per_s,
        "first_token_ms": 2.5,
    }


@pytest.mark.one_backend
def test_each_cell_keeps_its_fastest_round_and_its_lowest_first_token_time():
    slow_round = [_result("zoo", "jax", 300.0), _result("zoo", "jax", 90.0, "beam"), _result("torch-kv", None, 600.0)]
    fast_round = [_result("zoo", "jax", 450.0), _result("zoo", "jax", 80.0, "beam"), _result("torch-kv", None, 500.0)]
    fast_round[0]["first_token_ms"], slow_round[1]["first_token_ms"] = 4.0, 1.5
    best = {(r["impl"], r["strategy"]): r for r in generate.best_of_rounds(slow_round + fast_round)}
    assert len(best) == 3
    assert (best["zoo", "greedy"]["new_tokens_per_s"], best["zoo", "greedy"]["first_token_ms"]) == (450.0, 2.5)
    assert (best["zoo", "beam"]["new_tokens_per_s"], best["zoo", "beam"]["first_token_ms"]) == (90.0, 1.5)
    assert best["torch-kv", "greedy"]["new_tokens_per_s"] == 600.0
    assert {r["rounds"] for r in best.values()} == {2}


@pytest.mark.one_backend
def test_the_table_repeats_torch_kv_on_every_backend_and_divides_rates(capsys):
    results = [
        _result("zoo", "jax", 300.0),
        _result("zoo", "jax", 100.0, "beam"),
        _result("zoo", "torch", 150.0),
        _result("keras-hub", "jax", 200.0),
        _result("torch-kv", None, 600.0),
    ]
    args = generate.parse_args(["--impls", "zoo,keras-hub,torch-kv", "--repeats", "1"])
    generate.print_table({"cpu": "X", "cores": 2, "flags": [], "load_average": [0.0, 0.0, 0.0]}, results, args)
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| tiny")]
    assert rows == [
        "| tiny | jax | 1 | greedy | 300 (2.5 ms) | 200 (2.5 ms) | 600 (2.5 ms) | 1.50x | 0.50x |",
        "| tiny | jax | 1 | beam | 100 (2.5 ms) | - | - | - | - |",
        "| tiny | torch | 1 | greedy | 150 (2.5 ms) | - | 600 (2.5 ms) | - | 0.25x |",
    ]


@pytest.mark.one_backend
def test_the_command_line_names_an_unknown_impl(capsys):
    with pytest.raises(SystemExit):
        generate.parse_args(["--impls", "zoo,onnx"])
    assert "`--impls` must be one of" in capsys.readouterr().err
