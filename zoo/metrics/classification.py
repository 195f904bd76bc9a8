"""Accuracy and macro-F1 (both 0-1) of predicted class labels; labels may be ints or strings.

Example:

    classification_metrics(["pos", "neg", "pos"], ["pos", "pos", "pos"])
    # -> {'accuracy': 0.6666666666666666, 'macro_f1': 0.4}
"""

from zoo.metrics.validation import require_pairs


def accuracy(labels, predictions):
    """The fraction of `predictions` equal to `labels`.

    Example: `accuracy([0, 1, 1], [0, 1, 0])` is 2/3.
    """
    labels, predictions = require_pairs("labels", labels, "predictions", predictions)
    return float(sum(label == prediction for label, prediction in zip(labels, predictions)) / len(labels))


def macro_f1(labels, predictions, classes=None):
    """The unweighted mean over `classes` of each class's F1 = 2 TP / (2 TP + FP + FN).

    `classes` defaults to the sorted union of `labels` and `predictions`; pass the full label
    vocabulary so that a class absent from both still counts. A class whose F1 denominator is
    0 (no true and no predicted examples) has F1 0, as does a class that is never predicted.
    Hand-written because scikit-learn is not a dependency; this matches its
    `f1_score(average="macro", labels=classes, zero_division=0)`.

    Example: `macro_f1(["a", "b", "b"], ["a", "a", "b"])` is (2/3 + 2/3) / 2.
    """
    labels, predictions = require_pairs("labels", labels, "predictions", predictions)
    classes = sorted(set(labels) | set(predictions)) if classes is None else list(classes)
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"`classes` must be distinct and not empty. Received: classes={classes!r}")
    return float(sum(_f1(labels, predictions, class_) for class_ in classes) / len(classes))


def classification_metrics(labels, predictions, classes=None):
    """`{"accuracy", "macro_f1"}` of `predictions` against `labels`, as written to metrics.json."""
    return {
        "accuracy": accuracy(labels, predictions),
        "macro_f1": macro_f1(labels, predictions, classes),
    }


def _f1(labels, predictions, class_):
    true_positives = false_positives = false_negatives = 0
    for label, prediction in zip(labels, predictions):
        true_positives += label == class_ and prediction == class_
        false_positives += label != class_ and prediction == class_
        false_negatives += label == class_ and prediction != class_
    denominator = 2 * true_positives + false_positives + false_negatives
    return 2 * true_positives / denominator if denominator else 0.0
