import re

import numpy as np
import pytest

from zoo.metrics import accuracy, classification_metrics, macro_f1


def test_accuracy_of_ints_strings_and_arrays():
    assert accuracy([0, 1, 1, 2], [0, 1, 0, 0]) == 0.5
    assert accuracy(["pos", "neg", "pos"], ["pos", "neg", "neg"]) == pytest.approx(2 / 3)
    assert accuracy(np.array([3, 3]), np.array([3, 3])) == 1.0


def test_macro_f1_with_a_class_never_predicted():
    labels = ["pos", "pos", "neg", "neutral"]
    predictions = ["pos", "neg", "neg", "pos"]
    # pos: TP 1, FP 1, FN 1 -> 2/4; neg: TP 1, FP 1, FN 0 -> 2/3; neutral: never predicted -> 0.
    assert macro_f1(labels, predictions) == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)


def test_macro_f1_of_int_labels():
    # 0: TP 2, FP 0, FN 1 -> 4/5; 1: TP 1, FP 1, FN 0 -> 2/3.
    assert macro_f1([0, 0, 0, 1], [0, 0, 1, 1]) == pytest.approx((4 / 5 + 2 / 3) / 2)


def test_classes_absent_from_both_count_as_zero_and_others_are_left_out():
    labels, predictions = ["a", "b", "b"], ["a", "a", "b"]  # a: 2/3, b: 2/3
    assert macro_f1(labels, predictions, classes=["a", "b", "c"]) == pytest.approx((2 / 3 + 2 / 3) / 3)
    assert macro_f1(labels, predictions, classes=["b"]) == pytest.approx(2 / 3)


def test_perfect_predictions():
    assert classification_metrics(["x", "y", "z"], ["x", "y", "z"]) == {"accuracy": 1.0, "macro_f1": 1.0}


def test_classification_metrics_returns_plain_floats():
    metrics = classification_metrics(np.array([1, 0, 1]), np.array([1, 1, 1]))
    assert metrics == pytest.approx({"accuracy": 2 / 3, "macro_f1": (0 + 4 / 5) / 2})
    assert all(type(value) is float for value in metrics.values())


@pytest.mark.parametrize("metric", [accuracy, macro_f1, classification_metrics])
def test_lengths_must_match(metric):
    with pytest.raises(ValueError, match=r"same length. Received: len\(labels\)=3, len\(predictions\)=2"):
        metric([0, 1, 1], [0, 1])


@pytest.mark.parametrize("metric", [accuracy, macro_f1, classification_metrics])
def test_empty_inputs_are_refused(metric):
    with pytest.raises(ValueError, match=r"must not be empty. Received: len\(labels\)=0"):
        metric([], [])


@pytest.mark.parametrize("classes", [[], ["a", "a"]])
def test_classes_must_be_distinct_and_not_empty(classes):
    with pytest.raises(ValueError, match=re.escape(f"distinct and not empty. Received: classes={classes!r}")):
        macro_f1(["a"], ["a"], classes=classes)
