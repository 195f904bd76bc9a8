"""Data: readers of the task files (tsv, csv, jsonl, txt, .gz), validation, labels, splits, tf.data pipelines.

The pipelines import TensorFlow, so they are imported from `zoo.data.pipelines`, not here.
"""

from zoo.data.labels import LabelVocabulary
from zoo.data.readers import (
    Rows,
    read_classification,
    read_records,
    read_summarization,
    read_text,
    read_translation,
)
from zoo.data.splits import split_train_valid
from zoo.data.validation import DataError, ReadReport

__all__ = [
    "DataError",
    "LabelVocabulary",
    "ReadReport",
    "Rows",
    "read_classification",
    "read_records",
    "read_summarization",
    "read_text",
    "read_translation",
    "split_train_valid",
]
