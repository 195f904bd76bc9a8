"""A run's settings: one dataclass for every task, resolved from defaults, a file and flags.

Resolution order, later wins: the dataclass defaults, the task recipe's defaults for the chosen
model family (`recipe.family_defaults(model)`), a config file (JSON or TOML), then the flags
given on the command line. The resolved config is what a run directory stores in `config.json`.

Example:

    config = resolve_config(recipe, {"model": "bert", "epochs": 2})
    config.learning_rate  # 0.0005
"""

import dataclasses
import json
import tomllib
from pathlib import Path

from zoo.errors import ConfigError
from zoo.validation import (
    require_choice,
    require_non_negative_int,
    require_non_negative_number,
    require_positive_int,
    require_positive_number,
    require_rate,
)

SCHEDULES = ("cosine", "linear", "inverse_sqrt", "constant")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
DECODINGS = ("greedy", "beam")
TOKENIZERS = ("wordpiece", "sentencepiece", "byte", "byte_bpe")  # byte_bpe: an imported GPT-2's (zoo import)
STRATEGIES = ("auto", "data_parallel", "model_parallel", "tpu", "multi_worker")
JIT_COMPILES = ("auto", "on", "off")
DEFAULT_EPOCHS = 3
PADDINGS = ("buckets", "dynamic", "max_length")


@dataclasses.dataclass
class TrainConfig:
    """Everything a training run depends on; `config.json` in the run directory holds it.

    Data: `data`/`valid` are files in the task's format (None: the embedded corpus, of
    `train_examples` / `valid_examples` examples); without `valid`, `valid_fraction` of `data`
    is held out (seeded); `on_bad_row="skip"` skips (and reports) rows the reader rejects
    instead of stopping. Model: `model` family, `size` preset, `dropout` override, the
    `tokenizer` kind (the task's `Recipe.default_tokenizer` unless set: lossless SentencePiece
    for tasks that generate text, WordPiece for the others) trained to `vocabulary_size` on the
    training text (or the one of `init_from`). A classifier summarises the token vectors by its
    `pooling` ("first": BERT's `[CLS]` pooler; "mean"/"max" over the real tokens; "last": the LSTM's
    final states, or GPT's last token; None: the family's own, BERT "first", LSTM "max", GPT
    "last"). Batches are padded to the smallest of four widths
    (1/4 to 4/4 of the maximum length) that fits them, with examples of one width batched
    together (`padding="buckets"`: four shapes, so four compilations on JAX and XLA), to their
    longest example rounded up to a multiple of 8 (`"dynamic"`: up to one shape per multiple of
    8 and length group), or always to the maximum length (`"max_length"`: one shape).
    Optimisation: AdamW at `learning_rate` with `warmup_fraction` of the steps as linear
    warm-up, then `schedule` decay; `clip_norm`, `accumulation_steps`, `label_smoothing`,
    `precision`. `ema` (a momentum such as 0.999; 0 or None: off) validates, keeps and saves the
    exponential moving average of the weights instead of the weights themselves (Polyak
    averaging); the checkpoint keeps both, so a resumed run goes on with both.
    Length: `epochs` passes over the data (default `DEFAULT_EPOCHS`), or `max_steps` optimizer
    steps; `eval_every` steps between validations and checkpoints (default: once per epoch);
    `patience` validations without improvement stop early; `time_budget` minutes stop cleanly. A
    `time_budget` without `epochs` or `max_steps` sizes the schedule to the budget instead: a
    short timed probe, then warm-up and decay end at the budget (`zoo.training.budget`).
    `jit_compile` compiles the train step: "on" is XLA on TensorFlow and JAX and `torch.compile`
    on torch, "off" runs it eagerly, "auto" is Keras' choice (XLA on JAX and on TensorFlow with a
    GPU, eager on torch and on TensorFlow on CPUs), except that single-device TensorFlow runs
    whose batches all have one shape (the causal LM, the packed masked LM, or
    `padding="max_length"`) use XLA.
    `remat` recomputes each Transformer block's activations in the backward pass instead of
    keeping them (`zoo.training.remat`): less memory for long sequences, about one more forward
    pass of compute.
    Masked LM: examples are `seq_len` windows of the lines joined into one stream, unless
    `line_by_line` (one line per example) or `nsp` (next-sentence prediction on line pairs).
    Evaluation: `decoding` ("greedy" or "beam", `beam_size`, `length_penalty`; `no_repeat_ngram`
    n > 0 never repeats an n-gram) on at most `eval_examples` validation examples for generation
    metrics. `zoo evaluate`, `zoo predict` and the export decode the same way unless told otherwise.
    """

    task: str = "classification"
    model: str = "lstm"
    size: str = "tiny"
    data: str | None = None
    valid: str | None = None
    valid_fraction: float = 0.05
    on_bad_row: str = "error"
    train_examples: int = 20_000
    valid_examples: int = 2_000
    backend: str | None = None
    strategy: str = "auto"
    epochs: int | None = None
    max_steps: int | None = None
    eval_every: int | None = None
    batch_size: int = 32
    padding: str = "buckets"
    seq_len: int = 128
    target_len: int = 64
    tokenizer: str = "wordpiece"
    vocabulary_size: int = 8000
    dropout: float | None = None
    pooling: str | None = None
    learning_rate: float = 1e-3
    warmup_fraction: float = 0.05
    schedule: str = "cosine"
    weight_decay: float = 0.01
    label_smoothing: float = 0.0
    ema: float | None = None
    clip_norm: float | None = 1.0
    accumulation_steps: int = 1
    precision: str = "float32"
    jit_compile: str = "auto"
    remat: bool = False
    patience: int | None = None
    time_budget: float | None = None
    seed: int = 0
    init_from: str | None = None
    nsp: bool = False
    line_by_line: bool = False
    copy_attention: bool = False
    decoding: str = "greedy"
    beam_size: int = 4
    length_penalty: float = 0.6
    no_repeat_ngram: int = 0
    eval_examples: int | None = 1000
    out: str | None = None

    def validate(self):
        """Raises `ConfigError` naming the first bad setting; None passes where the field's type allows it."""
        try:
            for name, check in _CHECKS.items():
                value = getattr(self, name)
                if value is not None or type(None) not in getattr(FIELDS[name].type, "__args__", ()):
                    check(name, value)
            for name, choices in _CHOICES.items():
                require_choice(name, getattr(self, name), choices)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        return self

    def to_dict(self):
        return dataclasses.asdict(self)

    @property
    def sized_by_budget(self):
        """Whether the schedule's length comes from `time_budget` (neither `epochs` nor `max_steps` given)."""
        return self.time_budget is not None and self.epochs is None and self.max_steps is None


FIELDS = {field.name: field for field in dataclasses.fields(TrainConfig)}
_CHECKS = {
    **dict.fromkeys(
        (
            "train_examples",
            "valid_examples",
            "epochs",
            "max_steps",
            "eval_every",
            "batch_size",
            "seq_len",
            "target_len",
            "vocabulary_size",
            "accumulation_steps",
            "patience",
            "beam_size",
            "eval_examples",
        ),
        require_positive_int,
    ),
    **dict.fromkeys(("learning_rate", "clip_norm", "time_budget"), require_positive_number),
    "no_repeat_ngram": require_non_negative_int,
    "length_penalty": require_non_negative_number,
    **dict.fromkeys(
        ("valid_fraction", "warmup_fraction", "label_smoothing", "weight_decay", "dropout", "ema"), require_rate
    ),
}
_CHOICES = {
    "schedule": SCHEDULES,
    "on_bad_row": ("error", "skip"),
    "padding": PADDINGS,
    "precision": PRECISIONS,
    "decoding": DECODINGS,
    "tokenizer": TOKENIZERS,
    "strategy": STRATEGIES,
    "jit_compile": JIT_COMPILES,
}


def read_config_file(path):
    """The settings in a JSON or TOML file, as a dict; `ConfigError` naming the file if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file.")
    try:
        if path.suffix == ".toml":
            with open(path, "rb") as f:
                settings = tomllib.load(f)
        else:
            with open(path, encoding="utf-8") as f:
                settings = json.load(f)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"--config {path}: cannot parse it ({error}); use JSON or TOML.") from None
    if not isinstance(settings, dict):
        raise ConfigError(f"--config {path}: must hold a table/object of settings, not {type(settings).__name__}.")
    return settings


def resolve_config(recipe, overrides, config_file=None):
    """The `TrainConfig` of a run: defaults < `recipe.family_defaults(model)` < `config_file` < `overrides`."""
    from_file = read_config_file(config_file) if config_file else {}
    unknown = sorted(set(from_file) - set(FIELDS))
    if unknown:
        raise ConfigError(f"--config {config_file}: unknown settings {unknown}; known: {sorted(FIELDS)}.")
    settings = {**from_file, **overrides, "task": recipe.task}
    model = settings.get("model", recipe.default_model)
    if model not in recipe.families:
        raise ConfigError(f"--model {model}: the {recipe.task} recipe trains {', '.join(recipe.families)}.")
    settings = {**recipe.family_defaults(model), **settings, "model": model}
    config = TrainConfig(**settings).validate()
    recipe.check_config(config)
    return config
