import pytest

from zoo.data.splits import split_train_valid

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)


def test_sizes_disjoint_and_complete():
    rows = [{"text": str(i)} for i in range(103)]
    train, valid = split_train_valid(rows, valid_fraction=0.1, seed=3)
    assert (len(train), len(valid)) == (93, 10)
    train_ids = {row["text"] for row in train}
    valid_ids = {row["text"] for row in valid}
    assert not train_ids & valid_ids
    assert train_ids | valid_ids == {str(i) for i in range(103)}


def test_each_side_keeps_the_original_order():
    train, valid = split_train_valid(range(50), valid_fraction=0.3, seed=0)
    assert train == sorted(train) and valid == sorted(valid)


def test_same_seed_same_split_other_seed_other_split():
    rows = list(range(1000))
    assert split_train_valid(rows, 0.2, seed=7) == split_train_valid(rows, 0.2, seed=7)
    assert split_train_valid(rows, 0.2, seed=7)[1] != split_train_valid(rows, 0.2, seed=8)[1]


def test_half_rows_round_up():
    assert len(split_train_valid(range(5), valid_fraction=0.5)[1]) == 3
    assert len(split_train_valid(range(10), valid_fraction=0.05)[1]) == 1


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, True, "0.1", None])
def test_fraction_outside_zero_one_is_refused(fraction):
    match = rf"strictly between 0 and 1. Received: valid_fraction={fraction!r}"
    with pytest.raises(ValueError, match=match):
        split_train_valid(range(10), valid_fraction=fraction)


@pytest.mark.parametrize(
    "size, fraction, side", [(10, 0.01, "validation"), (3, 0.9, "training"), (0, 0.5, "validation")]
)
def test_split_leaving_one_side_empty_is_refused(size, fraction, side):
    with pytest.raises(ValueError, match=rf"of {size} rows leaves the {side} split empty"):
        split_train_valid(range(size), valid_fraction=fraction)
