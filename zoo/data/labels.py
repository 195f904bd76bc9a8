"""The label vocabulary of a classification task: label strings <-> class ids 0..n-1.

Built from the training rows, then used to read the validation file with
`label_set=vocabulary.labels` (so an unknown label is refused with its line number) and to map
labels to ids. Integer-like labels ("0", "1", ..., "10") sort by value, so "2" gets id 2;
any other labels sort as strings.

Example:

    vocabulary = LabelVocabulary.from_rows(read_classification("train.tsv"))
    valid = read_classification("valid.tsv", label_set=vocabulary.labels)
    ids = vocabulary.encode_rows(valid)
"""

import dataclasses

from zoo.data.validation import DataError


@dataclasses.dataclass(frozen=True)
class LabelVocabulary:
    """Labels in id order; `labels[i]` is the label of class id `i`.

    Args:
        labels: distinct non-empty label strings, in id order. Save `list(vocabulary.labels)`
            with a model and rebuild with `LabelVocabulary(labels)`.
    """

    labels: tuple

    def __post_init__(self):
        labels = tuple(self.labels) if not isinstance(self.labels, str) else ()
        if not labels or not all(isinstance(label, str) and label for label in labels):
            raise ValueError(f"`labels` must be non-empty strings. Received: labels={self.labels!r}")
        if len(set(labels)) != len(labels):
            raise ValueError(f"`labels` must be distinct. Received: labels={self.labels!r}")
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "_ids", {label: index for index, label in enumerate(labels)})

    @classmethod
    def from_rows(cls, rows, label_field="label"):
        """The sorted vocabulary of the labels in `rows` (dicts with a `label_field`)."""
        labels = {row[label_field] for row in rows}
        if not labels:
            raise ValueError("Cannot build a label vocabulary from no rows. Received: rows=[]")
        if all(_is_integer(label) for label in labels):
            return cls(sorted(labels, key=int))
        return cls(sorted(labels))

    def __len__(self):
        return len(self.labels)

    def encode(self, label):
        """The class id of `label`; `DataError` listing the vocabulary if it is unknown."""
        if label not in self._ids:
            raise DataError(
                f"Label {label!r} is not in the label vocabulary {list(self.labels)} built from "
                "the training rows; read the file with label_set=vocabulary.labels to find its "
                "line, and fix it or add the label to the training data."
            )
        return self._ids[label]

    def encode_rows(self, rows, label_field="label"):
        """The class ids of the labels of `rows`, in order."""
        return [self.encode(row[label_field]) for row in rows]

    def decode(self, class_id):
        """The label of class id `class_id`."""
        if not 0 <= class_id < len(self.labels):
            raise ValueError(f"`class_id` must be in [0, {len(self.labels)}). Received: class_id={class_id!r}")
        return self.labels[class_id]


def _is_integer(label):
    try:
        int(label)
    except ValueError:
        return False
    return True
