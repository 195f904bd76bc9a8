"""The registry of task models: which family builds what for each task, and who may start whom."""

import types

import keras
import numpy as np
import pytest

from recipes import get_recipe
from zoo.errors import ConfigError
from zoo.models import registry
from zoo.models.functional_model import NO_DECAY_SUFFIXES
from zoo.training.config import resolve_config

TOKENIZER = types.SimpleNamespace(vocabulary_size=300, eos_id=2)
INFO = {"labels": ["negative", "positive"]}
EXPECTED_FAMILIES = {
    "classification": ("lstm", "bert", "gpt", "fasttext"),
    "translation": ("lstm", "transformer", "gpt"),
    "summarization": ("lstm", "transformer", "gpt"),
    "mlm": ("bert",),
    "clm": ("lstm", "gpt"),
}
EVERY_TASK_MODEL = [(task, family) for task, families in EXPECTED_FAMILIES.items() for family in families]


def _config(task, model, **settings):
    return resolve_config(get_recipe(task), {"model": model, "size": "tiny", **settings})


@pytest.mark.parametrize("task", EXPECTED_FAMILIES)
def test_each_task_lists_the_families_that_build_it(task):
    assert registry.task_families(task) == EXPECTED_FAMILIES[task]
    assert get_recipe(task).families == EXPECTED_FAMILIES[task]


@pytest.mark.parametrize("task, family", EVERY_TASK_MODEL)
def test_every_task_model_builds_a_registered_model_whose_config_round_trips(task, family):
    config = _config(task, family)
    model = registry.task_model(task, family).build(config, TOKENIZER, INFO, None)
    assert isinstance(model, keras.Model)
    assert keras.saving.get_registered_name(type(model)).startswith("zoo>")
    rebuilt = type(model).from_config(model.get_config())
    assert rebuilt.get_config() == model.get_config()


@pytest.mark.parametrize("family", EXPECTED_FAMILIES["classification"])
def test_a_classifier_pools_by_its_first_pooling_unless_told(family):
    poolings = registry.task_model("classification", family).poolings
    model = registry.task_model("classification", family).build(
        _config("classification", family), TOKENIZER, INFO, None
    )
    if "pooling" in model.get_config():  # GPT and fastText have one fixed pooling
        assert model.get_config()["pooling"] == poolings[0]
        told = registry.task_model("classification", family).build(
            _config("classification", family, pooling=poolings[-1]), TOKENIZER, INFO, None
        )
        assert told.get_config()["pooling"] == poolings[-1]


def test_inputs_decide_the_pipeline_not_the_family_name():
    assert registry.task_model("classification", "bert").inputs == "token_and_segment_ids"
    assert registry.task_model("classification", "lstm").inputs == "token_ids"
    assert registry.task_model("translation", "gpt").inputs == "prefix_lm"
    assert registry.task_model("translation", "transformer").inputs == "encoder_decoder"
    assert registry.task_model("translation", "lstm").inputs == "encoder_decoder"
    assert {registry.task_model("clm", family).inputs for family in ("gpt", "lstm")} == {"token_stream"}


@pytest.mark.parametrize(
    "task, family, init_task, init_family, message",
    [
        ("classification", "bert", "mlm", "bert", None),
        ("classification", "bert", "classification", "bert", None),
        ("translation", "gpt", "clm", "gpt", None),
        ("clm", "lstm", "clm", "lstm", None),
        ("clm", "gpt", "clm", "gpt", None),
        ("classification", "bert", "clm", "gpt", "a gpt clm run cannot initialise a bert classification model"),
        ("clm", "gpt", "classification", "gpt", "use a gpt clm run"),
        ("classification", "lstm", "clm", "lstm", None),
        ("classification", "lstm", "translation", "lstm", "use a lstm clm run"),
        ("translation", "transformer", "summarization", "transformer", None),
        ("summarization", "transformer", "clm", "gpt", "use a transformer translation or summarization run"),
        ("classification", "fasttext", "classification", "fasttext", "cannot start a fasttext model"),
    ],
)
def test_init_from_accepts_what_can_start_the_model_and_names_what_cannot(
    task, family, init_task, init_family, message
):
    config = _config(task, family)
    init_config = {"task": init_task, "model": init_family}
    if message is None:
        registry.check_init_from(config, init_config)
    else:
        with pytest.raises(ConfigError, match=message):
            registry.check_init_from(config, init_config)


def test_a_family_without_the_task_lists_those_with_it():
    with pytest.raises(ConfigError, match="--model fasttext: the translation recipe trains lstm, transformer, gpt"):
        registry.task_model("translation", "fasttext")
    with pytest.raises(ConfigError, match="--model rnn: the mlm recipe trains bert"):
        registry.task_model("mlm", "rnn")


def test_a_task_model_refuses_unknown_inputs():
    with pytest.raises(ValueError, match="inputs='pixels'"):
        registry.TaskModel(lambda *args: None, inputs="pixels")


@pytest.mark.parametrize("task, family", [("classification", "bert"), ("classification", "lstm"), ("clm", "gpt")])
def test_compile_defaults_decay_the_weights_the_trainer_decays(task, family):
    model = registry.task_model(task, family).build(_config(task, family), TOKENIZER, INFO, None)
    model.compile()
    variables = [v for v in model.trainable_variables if np.any(keras.ops.convert_to_numpy(v) != 0)]
    before = [keras.ops.convert_to_numpy(v).copy() for v in variables]
    # A zero gradient moves no weight through Adam; only the decoupled weight decay changes them.
    model.optimizer.apply([keras.ops.zeros(v.shape, v.dtype) for v in variables], variables)
    decayed = {v.path for v, old in zip(variables, before) if not np.array_equal(keras.ops.convert_to_numpy(v), old)}
    assert decayed == {v.path for v in variables if not v.path.endswith(NO_DECAY_SUFFIXES)}
    assert any(v.path.endswith("embeddings") for v in variables) and decayed


@pytest.mark.parametrize("family", ["bert", "lstm"])
def test_a_classifier_with_its_preprocessor_predicts_raw_strings(family):
    import tensorflow as tf

    from zoo.models.functional_model import _is_text
    from zoo.tokenizers import ByteTokenizer

    tokenizer = ByteTokenizer()
    model = registry.task_model("classification", family).build(
        _config("classification", family, seq_len=16), tokenizer, INFO, None
    )
    model.preprocessor = registry.text_preprocessor(
        {"task": "classification", "model": family, "seq_len": 16}, tokenizer
    )
    texts = ["a raw review", "", "a raw review longer than sixteen bytes"]
    inputs = {name: value.numpy() for name, value in model.preprocessor(tf.constant(texts)).items()}
    expected = model.predict(inputs, verbose=0)  # inputs that are not text go to Keras unchanged
    np.testing.assert_allclose(model.predict(texts, batch_size=2, verbose=0), expected, atol=1e-6)
    np.testing.assert_allclose(model.predict(np.array(texts), verbose=0), expected, atol=1e-6)
    assert not _is_text([np.zeros(3), np.zeros(4)]) and not _is_text(np.zeros((2, 3))) and not _is_text([])
