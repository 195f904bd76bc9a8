"""Model families by name, their named sizes, and what each size costs.

Example:

    backbone = zoo.models.build("gpt", size="small", vocabulary_size=8192)
    zoo.models.training_flops_per_token("gpt", "small", vocabulary_size=8192, sequence_length=256)
"""

import importlib

from zoo.validation import require_choice, require_positive_int

SIZES = ("tiny", "small", "base")
# family -> (module, backbone class). Imported on first use so `import zoo.models` stays cheap.
FAMILIES = {
    "lstm": ("zoo.models.lstm", "LSTMBackbone"),
    "bert": ("zoo.models.bert", "BertBackbone"),
    "gpt": ("zoo.models.gpt", "GPTBackbone"),
    "seq2seq": ("zoo.models.seq2seq", "Seq2SeqBackbone"),
}
ALIASES = {"transformer": "seq2seq"}
# Families of one task model and no shared backbone: not built here, imported to register their classes.
MODEL_ONLY_FAMILIES = {"fasttext": "zoo.models.fasttext"}


def resolve_family(family):
    """The canonical family name ("transformer" -> "seq2seq"), or a `ValueError` listing the families."""
    family = ALIASES.get(family, family)
    return require_choice("family", family, tuple(FAMILIES))


def family_module(family):
    return importlib.import_module(FAMILIES[resolve_family(family)][0])


def import_all_families():
    """Imports every family's package, which registers its classes with Keras (before loading a saved model)."""
    for module_name in [module for module, _ in FAMILIES.values()] + list(MODEL_ONLY_FAMILIES.values()):
        importlib.import_module(module_name)


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
