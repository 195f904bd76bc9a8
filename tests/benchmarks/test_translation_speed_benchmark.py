"""Smoke tests of benchmarks/translation_speed.py on the embedded translation corpus: structure, not timings."""

import math

import keras
import numpy as np
import pytest

from benchmarks import translation_speed

SETTINGS = {"train_examples": 200, "vocabulary_size": 600}
LENGTH = 12


@pytest.fixture(scope="module")
def tiny_run():
    """`(recipe, config, rows, tokenizer)` of a tiny transformer at batch 4 on 190 embedded pairs."""
    recipe, config = translation_speed.translation_config(None, "tiny", batch_size=4, **SETTINGS)
    rows = translation_speed.training_rows(recipe, config)
    return recipe, config, rows, translation_speed.new_tokenizer(recipe, config, rows)


@pytest.mark.parametrize("impl", translation_speed.IMPLS)
def test_a_measurement_on_this_backend(tiny_run, impl):
    result = translation_speed.measure(impl, *tiny_run, fixed_length=LENGTH, steps=2, blocks=1)
    assert (result["impl"], result["backend"], result["size"], result["batch_size"]) == (
        impl,
        keras.backend.backend(),
        "tiny",
        4,
    )
    for key in ("tokens_per_s", "padded_tokens_per_s", "steps_per_s", "warmup_s", "parameters", "peak_rss_mb"):
        assert math.isfinite(result[key]) and result[key] > 0, key
    assert result["padded_tokens_per_s"] >= result["tokens_per_s"]
    assert 0 <= result["padding_share"] < 1 and 0 <= result["truncated_targets"] <= 1
    assert len(result["block_times_s"]) == len(result["block_real_tokens"]) == 1
    if impl == "keras-io":
        assert (result["max_source_length"], result["max_target_length"]) == (LENGTH, LENGTH)
    if keras.backend.backend() == "jax":
        assert result["warmup_xla_compilations"] > 0 and result["xla_compilations"] >= 0
    else:
        assert result["warmup_xla_compilations"] is None and result["xla_compilations"] is None


@pytest.mark.parametrize("impl", translation_speed.IMPLS)
def test_every_build_yields_the_same_batches(tiny_run, impl):
    # The real tokens are counted on a second build of the stream the model trains on.
    recipe, config, rows, tokenizer = tiny_run
    builds = [translation_speed.training_dataset(impl, recipe, config, rows, tokenizer, LENGTH) for _ in range(2)]
    first, second = (list(build.take(3).as_numpy_iterator()) for build in builds)
    for (x, y, weights), (x_again, y_again, weights_again) in zip(first, second):
        assert {name: value.tolist() for name, value in x.items()} == {
            name: value.tolist() for name, value in x_again.items()
        }
        np.testing.assert_array_equal(y, y_again)
        np.testing.assert_array_equal(weights, weights_again)


def test_fixed_length_examples_are_cut_and_weighted_as_the_recipe_does(tiny_run):
    *_, tokenizer = tiny_run
    long_target = " ".join(["the cat sat on the mat"] * 5)
    rows = [{"source": "a dog", "target": "ein Hund"}, {"source": "a dog", "target": long_target}]
    x, labels, weights = translation_speed.fixed_length_examples(rows, tokenizer, LENGTH)
    assert {value.shape for value in (*x.values(), labels, weights)} == {(2, LENGTH)}
    inputs = x["decoder_token_ids"]
    assert (inputs[:, 0] == tokenizer.bos_id).all() and not (inputs == tokenizer.eos_id).any()
    shifted = inputs[:, 1:] != tokenizer.pad_id
    np.testing.assert_array_equal(labels[:, :-1][shifted], inputs[:, 1:][shifted])  # y: the inputs shifted by one
    assert labels[1, -1] == tokenizer.eos_id  # cut, with its eos kept
    np.testing.assert_array_equal(weights, x["decoder_padding_mask"])
    np.testing.assert_array_equal(weights, labels != tokenizer.pad_id)
    assert translation_speed.truncated_share(tokenizer, [row["target"] for row in rows], LENGTH) == 0.5


def test_the_command_line_names_an_unknown_backend(capsys):
    with pytest.raises(SystemExit):
        translation_speed.parse_args(["--backends", "jax,mxnet"])
    assert "`--backends` must be one of" in capsys.readouterr().err
