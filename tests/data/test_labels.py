import pytest

from zoo.data.labels import LabelVocabulary
from zoo.data.readers import read_classification
from zoo.data.validation import DataError

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)


def rows(*labels):
    return [{"text": "t", "label": label} for label in labels]


def test_integer_like_labels_sort_by_value():
    vocabulary = LabelVocabulary.from_rows(rows("10", "2", "0", "1", "2"))
    assert vocabulary.labels == ("0", "1", "2", "10")
    assert vocabulary.encode_rows(rows("2", "10", "0")) == [2, 3, 0]


def test_other_labels_sort_as_strings_and_decode():
    vocabulary = LabelVocabulary.from_rows(rows("pos", "neg", "neutral", "neg"))
    assert vocabulary.labels == ("neg", "neutral", "pos")
    assert len(vocabulary) == 3
    assert [vocabulary.decode(i) for i in range(3)] == ["neg", "neutral", "pos"]


def test_round_trip_through_a_saved_list():
    vocabulary = LabelVocabulary.from_rows(rows("b", "a"))
    assert LabelVocabulary(list(vocabulary.labels)) == vocabulary


def test_unknown_label_lists_the_vocabulary():
    vocabulary = LabelVocabulary(["neg", "pos"])
    match = r"Label 'mixed' is not in the label vocabulary \['neg', 'pos'\]"
    with pytest.raises(DataError, match=match):
        vocabulary.encode("mixed")


def test_validation_file_is_checked_against_the_training_vocabulary(tmp_path):
    (tmp_path / "train.tsv").write_text("label\ttext\npos\ta\nneg\tb\n")
    (tmp_path / "valid.tsv").write_text("label\ttext\nneg\tc\nmixed\td\n")
    vocabulary = LabelVocabulary.from_rows(read_classification(tmp_path / "train.tsv"))
    with pytest.raises(DataError, match=r"valid\.tsv, line 3: label 'mixed' .* \['neg', 'pos'\]"):
        read_classification(tmp_path / "valid.tsv", label_set=vocabulary.labels)


@pytest.mark.parametrize(
    "labels, match",
    [
        ([], r"non-empty strings. Received: labels=\[\]"),
        (["a", ""], r"Received: labels=\['a', ''\]"),
        ([0, 1], r"Received: labels=\[0, 1\]"),
        (["a", "a"], r"distinct. Received: labels=\['a', 'a'\]"),
    ],
)
def test_bad_labels_are_refused(labels, match):
    with pytest.raises(ValueError, match=match):
        LabelVocabulary(labels)


def test_decode_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 2\). Received: class_id=2"):
        LabelVocabulary(["a", "b"]).decode(2)


def test_no_rows():
    with pytest.raises(ValueError, match=r"no rows"):
        LabelVocabulary.from_rows([])
