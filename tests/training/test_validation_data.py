import numpy as np
import tensorflow as tf

from zoo.training.trainer import _with_known_length


def test_windows_of_a_stream_get_their_true_number_of_batches():
    chunks = tf.data.Dataset.from_tensor_slices(np.arange(100).reshape(4, 25))
    windows = chunks.rebatch(7)
    assert windows.cardinality() == tf.data.UNKNOWN_CARDINALITY
    known = _with_known_length(windows)
    assert int(known.cardinality()) == 15  # ceil(100 / 7)
    np.testing.assert_array_equal(np.concatenate([batch.numpy().ravel() for batch in known]), np.arange(100))


def test_a_known_length_is_kept():
    dataset = tf.data.Dataset.range(10).batch(4)
    assert _with_known_length(dataset) is dataset
