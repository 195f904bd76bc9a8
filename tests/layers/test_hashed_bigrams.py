import numpy as np
import pytest

from zoo.layers import HashedBigrams
from zoo.layers.hashed_bigrams import MAX_TOKEN_ID, MULTIPLIER
from zoo.testing import to_numpy
from zoo.testing.layer_checks import check_config_round_trip, check_saving_round_trip, check_symbolic_call

TOKEN_IDS = np.array([[3, 5, 7, 9, 4], [6, 2, 8, 1, 11]], "int32")
PADDING_MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1]], "int32")


def test_buckets_are_exact_up_to_the_largest_token_id():
    ids = np.array([[MAX_TOKEN_ID - 1, MAX_TOKEN_ID - 1, 0, 12345, 1]], "int32")
    buckets, mask = HashedBigrams(1_000_003)(ids, np.array([[1, 1, 1, 1, 0]], "int32"))
    expected = [(a * MULTIPLIER + b) % 1_000_003 for a, b in zip(ids[0].tolist(), ids[0, 1:].tolist())]
    np.testing.assert_array_equal(to_numpy(buckets)[0], expected)
    np.testing.assert_array_equal(to_numpy(mask)[0], [True, True, True, False])


def test_a_bigram_is_real_only_where_both_tokens_are():
    buckets, mask = HashedBigrams(7)(TOKEN_IDS, PADDING_MASK)
    np.testing.assert_array_equal(to_numpy(mask), [[True, True, False, False], [False, True, True, True]])
    assert to_numpy(buckets).min() >= 0 and to_numpy(buckets).max() < 7


def test_config_symbolic_call_and_saving(tmp_path):
    check_config_round_trip(HashedBigrams(7))
    check_symbolic_call(HashedBigrams, {"num_buckets": 7}, [TOKEN_IDS, PADDING_MASK], expected_output_shape=(2, 4))
    check_saving_round_trip(HashedBigrams, {"num_buckets": 7}, [TOKEN_IDS, PADDING_MASK], tmp_path)


def test_bad_num_buckets_is_quoted():
    with pytest.raises(ValueError, match="num_buckets=0"):
        HashedBigrams(0)
