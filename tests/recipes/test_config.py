"""Config resolution (defaults < family defaults < file < flags), validation and run-folder claims."""

import json

import pytest

from recipes import get_recipe
from recipes.cli import build_parser
from zoo.training.config import ConfigError, TrainConfig, resolve_config
from zoo.training.run_directory import CHECKPOINT, WEIGHTS, RunDirectory


def test_flags_override_file_override_family_defaults(tmp_path):
    recipe = get_recipe("classification")
    assert resolve_config(recipe, {"model": "bert"}).learning_rate == recipe.family_defaults("bert")["learning_rate"]
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"learning_rate": 0.01, "epochs": 7}))
    config = resolve_config(recipe, {"model": "bert", "epochs": 2}, settings)
    assert (config.learning_rate, config.epochs, config.task) == (0.01, 2, "classification")


@pytest.mark.parametrize(
    "task,model,tokenizer",
    [
        ("translation", "transformer", "sentencepiece"),
        ("summarization", "gpt", "sentencepiece"),
        ("clm", "lstm", "sentencepiece"),
        ("classification", "bert", "wordpiece"),
        ("mlm", "bert", "wordpiece"),
    ],
)
def test_tasks_that_generate_text_default_to_a_lossless_tokenizer(task, model, tokenizer):
    recipe = get_recipe(task)
    assert resolve_config(recipe, {"model": model}).tokenizer == tokenizer
    assert resolve_config(recipe, {"model": model, "tokenizer": "byte"}).tokenizer == "byte"
    assert (recipe.reference_texts([]) is None) == (tokenizer == "wordpiece")


def test_toml_config_file(tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text('model = "gpt"\nbatch_size = 16\n')
    config = resolve_config(get_recipe("translation"), {}, settings)
    assert (config.model, config.batch_size, config.seq_len) == ("gpt", 16, 64)


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"model": "bert", "learning_rate": 0}, "`learning_rate` must be a positive number. Received: learning_rate=0"),
        ({"batch_size": -4}, "`batch_size` must be a positive integer. Received: batch_size=-4"),
        ({"schedule": "step"}, "`schedule` must be one of"),
        ({"model": "transformer"}, "--model transformer: the classification recipe trains lstm, bert, gpt"),
    ],
)
def test_bad_settings_name_the_setting(overrides, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        resolve_config(get_recipe("classification"), overrides)


def test_unknown_and_unreadable_config_files(tmp_path):
    recipe = get_recipe("classification")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"learning_rat": 1e-3}))
    with pytest.raises(ConfigError, match=r"unknown settings \['learning_rat'\]"):
        resolve_config(recipe, {}, bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ConfigError, match="cannot parse it"):
        resolve_config(recipe, {}, broken)
    with pytest.raises(ConfigError, match="no such file"):
        resolve_config(recipe, {}, tmp_path / "missing.toml")


def _started(run):
    """Marks `run` as having reached a checkpoint (what makes its settings binding)."""
    run.file(CHECKPOINT).mkdir()
    (run.file(CHECKPOINT) / WEIGHTS).write_bytes(b"")
    return run


def test_a_run_folder_refuses_a_different_config(tmp_path):
    run = RunDirectory(tmp_path / "run")
    run.claim(TrainConfig(epochs=2))
    _started(run)
    run.claim(TrainConfig(epochs=2, time_budget=5.0))  # the same run with a new budget resumes
    run.claim(TrainConfig(epochs=2, out="moved/elsewhere"))  # so does a run folder that was moved
    with pytest.raises(ConfigError, match=r"other settings \(epochs: 2 -> 3\)"):
        run.claim(TrainConfig(epochs=3))


def test_a_setting_added_after_a_run_started_reads_as_its_default(tmp_path):
    run = RunDirectory(tmp_path / "run")
    run.claim(TrainConfig(epochs=2))
    saved = json.loads(run.file("config.json").read_text())
    del saved["no_repeat_ngram"]  # a config.json written before the setting existed
    run.file("config.json").write_text(json.dumps(saved))
    _started(run)
    run.claim(TrainConfig(epochs=2))
    with pytest.raises(ConfigError, match=r"no_repeat_ngram: 0 -> 3"):
        run.claim(TrainConfig(epochs=2, no_repeat_ngram=3))


def test_a_run_folder_that_never_reached_a_checkpoint_takes_new_settings(tmp_path):
    run = RunDirectory(tmp_path / "run")
    run.claim(TrainConfig(epochs=2))
    run.claim(TrainConfig(epochs=3))  # a failed start: its folder is reused
    assert json.loads(run.file("config.json").read_text())["epochs"] == 3


def test_the_lstm_classifier_averages_its_weights_unless_ema_is_0():
    recipe = get_recipe("classification")
    assert resolve_config(recipe, {"model": "lstm"}).ema == 0.999
    assert resolve_config(recipe, {"model": "bert"}).ema is None
    args = build_parser().parse_args(["train", "classification", "--ema", "0"])
    assert resolve_config(recipe, {"model": "lstm", "ema": args.ema}).ema == 0.0


def test_summarization_transformers_copy_and_switches_turn_off_from_the_command_line():
    recipe = get_recipe("summarization")
    assert resolve_config(recipe, {"model": "transformer"}).copy_attention
    assert not resolve_config(recipe, {"model": "transformer", "copy_attention": False}).copy_attention
    assert not resolve_config(get_recipe("translation"), {"model": "transformer"}).copy_attention
    args = build_parser().parse_args(["train", "summarization", "--no-copy-attention", "--remat"])
    assert args.copy_attention is False and args.remat is True
