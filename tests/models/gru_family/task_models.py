"""The GRU fixture family's one task model."""

from tests.models.gru_family.classifier import GRUClassifier
from tests.models.gru_family.presets import PRESETS
from zoo.models.registry import TaskModel, with_dropout


def build_classifier(config, tokenizer, info, init_model):
    sizes = {"vocabulary_size": tokenizer.vocabulary_size, "num_classes": len(info["labels"])}
    settings = {**sizes, **PRESETS[config.size]}
    return GRUClassifier(**with_dropout(settings, config))


TASK_MODELS = {"classification": TaskModel(build_classifier, poolings=("last",))}
