"""Base of the classifiers that own their whole graph (fastText): the default `compile()`."""

from zoo.models.functional_model import Task


class TextClassifier(Task):
    """A `Task` whose output is float32 logits `(batch, num_classes)`.

    `compile()` with no arguments uses AdamW (1e-3), sparse categorical cross-entropy on the logits
    and accuracy; any argument given replaces its default.
    """

    accuracy_argument = "metrics"
