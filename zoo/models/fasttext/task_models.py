"""The fastText family's one task model: a bag-of-embeddings classifier.

Example:

    from zoo.models.registry import task_model
    model = task_model("classification", "fasttext").build(config, tokenizer, info, init_model=None)
"""

from zoo.models.fasttext.classifier import FastTextClassifier
from zoo.models.fasttext.presets import classifier_config
from zoo.models.registry import TaskModel, with_dropout


def build_classifier(config, tokenizer, info, init_model):
    settings = classifier_config(config.size, tokenizer.vocabulary_size, len(info["labels"]))
    return FastTextClassifier(**with_dropout(settings, config))


TASK_MODELS = {"classification": TaskModel(build_classifier, poolings=("mean",))}
