"""Model families by name, their named sizes, what each size costs, and the task models each builds.

This is the one place that maps a family name to code: recipes, the export and the benchmarks
ask it which task model to build and which inputs it reads (`task_model`), and never branch on
family names. A family is a package with `PRESETS` and a `task_models.TASK_MODELS` dict; adding
one is its folder plus one line in `zoo/families.py`. See CONTRIBUTING.md.

Example:

    backbone = zoo.models.build("gpt", size="small", vocabulary_size=8192)
    zoo.models.training_flops_per_token("gpt", "small", vocabulary_size=8192, sequence_length=256)
    task_model("classification", "bert").inputs   # "token_and_segment_ids"
    task_families("translation")                  # ("lstm", "transformer", "gpt")
"""

import dataclasses
import importlib
from collections.abc import Callable

from zoo.errors import ConfigError
from zoo.families import FAMILIES, family_packages
from zoo.validation import require_choice, require_positive_int

SIZES = ("tiny", "small", "base")
ALIASES = {"transformer": "seq2seq"}  # the CLI's `--model transformer` is the seq2seq family


def resolve_family(family):
    """The canonical family name ("transformer" -> "seq2seq"), or a `ValueError` listing the families."""
    family = ALIASES.get(family, family)
    return require_choice("family", family, tuple(FAMILIES))


def family_module(family):
    return importlib.import_module(FAMILIES[resolve_family(family)][0])


def import_all_families():
    """Imports every family's package, which registers its classes with Keras (before loading a saved model)."""
    for module_name in family_packages().values():
        importlib.import_module(module_name)


# What a task model reads, which decides its input pipeline, prompts and serving signature.
INPUTS = (
    "token_ids",  # token_ids + padding_mask
    "token_and_segment_ids",  # BERT-style: token_ids + segment_ids + padding_mask
    "encoder_decoder",  # encoder_token_ids/padding_mask + decoder_token_ids/padding_mask
    "prefix_lm",  # one sequence `source <sep> target`, loss on the target only
    "token_stream",  # fixed windows of a token stream (causal LM)
    "masked_tokens",  # BERT masked-LM inputs with mask_positions
)
INIT_FROM = ("nothing", "any_task")  # or a tuple of the tasks whose runs may start the model


@dataclasses.dataclass(frozen=True)
class TaskModel:
    """How a family serves one task.

    Attributes:
        build: `build(config, tokenizer, info, init_model) -> keras.Model`: the task model for a
            run's `TrainConfig`, its tokenizer and task info, from `init_model` (a loaded run's
            model, `--init-from`) when given.
        inputs: one of `INPUTS`.
        poolings: the `--pooling` values a classifier takes, its default first.
        copy_attention: whether it takes `--copy-attention`.
        init_from: which runs of the same family may start it (`--init-from`): "nothing",
            "any_task", or a tuple of task names (e.g. `("clm",)`).
    """

    build: Callable
    inputs: str = "token_ids"
    poolings: tuple = ()
    copy_attention: bool = False
    init_from: str | tuple = "nothing"

    def __post_init__(self):
        require_choice("inputs", self.inputs, INPUTS)
        if not isinstance(self.init_from, tuple):
            require_choice("init_from", self.init_from, INIT_FROM)


def _task_models(family):
    """`{task: TaskModel}` of a family, from its package's `task_models` module."""
    package = family_packages()[ALIASES.get(family, family)]
    return importlib.import_module(f"{package}.task_models").TASK_MODELS


def task_families(task):
    """The families (CLI names) that build a model for `task`, in registry order."""
    cli_names = {family: alias for alias, family in ALIASES.items()}
    return tuple(cli_names.get(family, family) for family in family_packages() if task in _task_models(family))


def task_model(task, family):
    """The `TaskModel` of `family` for `task`; `ConfigError` listing the families that have one."""
    models = _task_models(family) if ALIASES.get(family, family) in family_packages() else {}
    if task not in models:
        raise ConfigError(f"--model {family}: the {task} recipe trains {', '.join(task_families(task))}.")
    return models[task]


def text_preprocessor(config, tokenizer, info=None, model=None):
    """The raw-text preprocessor of a run (`config` its config dict, `info` its task info), or None (mlm).

    Classification: a `ClassifierPreprocessor` packing as the run trained (segment ids for BERT).
    Translation, summarization and clm: a `PromptPreprocessor` building the prompts the run's
    `model` decodes, with the run's decoding settings.
    """
    inputs = task_model(config["task"], config["model"]).inputs
    if config["task"] == "classification":
        from zoo.data.pipelines.classification import ClassifierPreprocessor

        return ClassifierPreprocessor(tokenizer, config["seq_len"], segment_ids=inputs == "token_and_segment_ids")
    from zoo.data.pipelines.prompts import PROMPT_INPUTS, PromptPreprocessor
    from zoo.data.pipelines.seq2seq import Seq2SeqFormat
    from zoo.generation.text import decoding_settings

    if inputs not in PROMPT_INPUTS:
        return None
    return PromptPreprocessor(
        tokenizer,
        inputs,
        config["seq_len"],
        config["target_len"],
        seq2seq_format=Seq2SeqFormat.from_info(info),
        separator_id=getattr(model, "separator_token_id", None),
        max_positions=getattr(getattr(model, "backbone", None), "max_sequence_length", None),
        decoding=decoding_settings(config),
    )


def check_init_from(config, init_config):
    """Refuses an `--init-from` run (its saved `init_config`) that cannot start `config`'s model (`ConfigError`)."""
    init_from = task_model(config.task, config.model).init_from
    if init_from == "nothing":
        raise ConfigError(
            f"--init-from: the {config.task} recipe cannot start a {config.model} model from another run."
        )
    tasks = None if init_from == "any_task" else init_from
    if init_config["model"] != config.model or (tasks is not None and init_config["task"] not in tasks):
        wanted = f"a run of {config.model}" if tasks is None else f"a {config.model} {' or '.join(tasks)} run"
        raise ConfigError(
            f"--init-from {config.init_from}: a {init_config['model']} {init_config['task']} run cannot initialise "
            f"a {config.model} {config.task} model; use {wanted}."
        )


def backbone_from(init_model, family, config, vocabulary_size, min_sequence_length):
    """The pretrained backbone of `init_model`, or a new `family` backbone at `config.size`.

    A new backbone's `max_sequence_length` is raised to `min_sequence_length` when the preset
    is shorter; `--dropout` replaces the preset's. A pretrained one must already be long enough.

    Example: `backbone_from(None, "bert", config, vocabulary_size=8000, min_sequence_length=128)`.
    """
    if init_model is not None:
        backbone = init_model.backbone
        if getattr(backbone, "max_sequence_length", min_sequence_length) < min_sequence_length:
            raise ConfigError(
                f"--init-from {config.init_from}: its model reads at most {backbone.max_sequence_length} tokens, "
                f"this run needs {min_sequence_length}; lower --seq-len/--target-len."
            )
        return backbone
    overrides = with_dropout({}, config)
    if preset(family, config.size).get("max_sequence_length", min_sequence_length) < min_sequence_length:
        overrides["max_sequence_length"] = min_sequence_length
    return build(family, config.size, vocabulary_size, **overrides)


def with_dropout(settings, config):
    """`settings` with `dropout` replaced by `--dropout` when the run sets it."""
    return settings if config.dropout is None else {**settings, "dropout": config.dropout}


def preset(family, size):
    """The backbone arguments of a named size, without the vocabulary size."""
    require_choice("size", size, SIZES)
    return dict(family_module(family).PRESETS[size])


def build(family, size="tiny", vocabulary_size=None, **overrides):
    """A backbone of `family` at a named `size`; `overrides` replace preset arguments.

    Example: `build("bert", "base", vocabulary_size=30522, dropout=0.0)`.
    """
    require_positive_int("vocabulary_size", vocabulary_size)
    module_name, class_name = FAMILIES[resolve_family(family)]
    backbone_cls = getattr(importlib.import_module(module_name), class_name)
    return backbone_cls(vocabulary_size=vocabulary_size, **{**preset(family, size), **overrides})


def count_parameters(model):
    """Number of scalars in the model's weights (trainable and not)."""
    return int(sum(_size(weight.shape) for weight in model.weights))


def _size(shape):
    total = 1
    for dim in shape:
        total *= int(dim)
    return total


def training_flops_per_token(family, size, vocabulary_size, sequence_length):
    """Training FLOPs per token of a family's backbone at a named size.

    Each family documents what it counts (`zoo/models/<family>/presets.py`): GPT and BERT
    `6N + 12 L d T` (causal LM / masked LM), the encoder-decoder per target token, LSTM its
    (bidirectional) encoder under a 2-class classifier head, per input token.
    """
    module = family_module(family)
    family = resolve_family(family)
    if family == "lstm":
        config = module.classifier_config(size, vocabulary_size, num_classes=2)
    else:
        config = {**preset(family, size), "vocabulary_size": vocabulary_size}
    return module.estimate_training_flops_per_token(config, sequence_length)
