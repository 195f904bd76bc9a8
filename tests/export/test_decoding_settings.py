"""A run's decoding settings (`--no-repeat-ngram 2`) hold in its outputs; evaluate/predict flags override them."""

import json

import pytest

from recipes import get_recipe
from recipes.cli import main
from tests.export.tiny_runs import TEXTS
from zoo.generation.text import generate_ids
from zoo.training.config import TrainConfig
from zoo.training.trainer import load_run

RUN = "summarization-transformer"  # trained with --copy-attention --no-repeat-ngram 2


def bigrams(ids):
    return [tuple(ids[i : i + 2]) for i in range(len(ids) - 1)]


def test_generated_ids_never_repeat_a_bigram_unless_the_ban_is_lifted(trained_runs):
    model, _, _, saved = load_run(trained_runs[RUN])
    assert saved["no_repeat_ngram"] == 2 and saved["copy_attention"]
    preprocessor = model.preprocessor  # the run's prompts and decoding settings, as zoo predict uses them
    assert preprocessor.decoding["no_repeat_ngram_size"] == 2

    banned = generate_ids(model, preprocessor, TEXTS, jit_compile=False)
    assert all(len(set(bigrams(ids))) == len(bigrams(ids)) for ids in banned), banned
    free = generate_ids(model, preprocessor, TEXTS, no_repeat_ngram_size=0, jit_compile=False)
    # The tiny model loops without the ban: the check above is not vacuous.
    assert any(len(set(bigrams(ids))) < len(bigrams(ids)) for ids in free), free


# Flag parsing and the run's decoding settings do not depend on the backend (the ban is checked on
# each backend above); eager decoding on JAX compiles each new setting's ops (90 s).
@pytest.mark.one_backend
def test_predict_flags_override_the_runs_decoding(trained_runs, capsys):
    def predict(*flags):
        capsys.readouterr()
        assert main(["predict", str(trained_runs[RUN]), *TEXTS, *flags]) == 0
        return [json.loads(line)["output"] for line in capsys.readouterr().out.strip().splitlines()]

    assert predict() != predict("--no-repeat-ngram", "0")
    assert predict("--decoding", "beam", "--length-penalty", "0") != predict(
        "--decoding", "beam", "--length-penalty", "2"
    )


@pytest.mark.one_backend  # the benchmark script's plumbing; decoding itself is tested on every backend
def test_decoding_benchmark_scores_each_setting(trained_runs):
    from benchmarks.decoding import SETTINGS, measure, repeats_a_trigram

    model, tokenizer, info, saved = load_run(trained_runs[RUN])
    recipe = get_recipe(saved["task"])
    rows = recipe.embedded_rows("valid", TrainConfig(**saved))[:6]
    greedy = measure(recipe, model, tokenizer, info, saved, rows, SETTINGS["greedy"])
    banned = measure(recipe, model, tokenizer, info, saved, rows, SETTINGS["greedy nr3"])
    assert greedy["examples"] == banned["examples"] == 6 and 0 <= banned["rouge1"] <= 1
    assert 0 <= banned["loops"] <= 1 and greedy["reference_words"] == banned["reference_words"] > 0
    assert repeats_a_trigram("a b c a b c") and not repeats_a_trigram("a b c a b d")
