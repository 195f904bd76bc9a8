import numpy as np
import pytest

from zoo.layers.position_encodings import LearnedPositionEmbedding, RotaryEmbedding, SinusoidalPositionEncoding
from zoo.testing import assert_allclose, run_layer_checks, to_numpy


def numpy_sinusoidal(length, dim, start=0, max_wavelength=10000.0):
    encodings = np.zeros((length, dim), "float64")
    for pos in range(length):
        for i in range(dim):
            angle = (start + pos) / max_wavelength ** ((i // 2 * 2) / dim)
            encodings[pos, i] = np.sin(angle) if i % 2 == 0 else np.cos(angle)
    return encodings


def numpy_rotary(x, start=0, max_wavelength=10000.0, scaling_factor=1.0):
    """Rotates feature pairs (j, j + d/2) by pos * theta_j, written out pair by pair."""
    _, length, _, dim = x.shape
    half = dim // 2
    out = np.array(x, "float64")
    for pos in range(length):
        for j in range(half):
            theta = (start + pos) / scaling_factor / max_wavelength ** (2 * j / dim)
            a, b = x[:, pos, :, j], x[:, pos, :, j + half]
            out[:, pos, :, j] = a * np.cos(theta) - b * np.sin(theta)
            out[:, pos, :, j + half] = b * np.cos(theta) + a * np.sin(theta)
    return out


def test_sinusoidal_matches_numpy():
    x = np.zeros((2, 7, 12), "float32")
    assert_allclose(SinusoidalPositionEncoding()(x), np.broadcast_to(numpy_sinusoidal(7, 12), (2, 7, 12)))


def test_sinusoidal_start_index_matches_slice_of_full_sequence():
    layer = SinusoidalPositionEncoding(max_wavelength=100)
    full = to_numpy(layer(np.zeros((1, 9, 8), "float32")))
    step = layer(np.zeros((1, 1, 8), "float32"), start_index=5)
    assert_allclose(step, full[:, 5:6])


def test_rotary_matches_numpy():
    x = np.random.randn(2, 6, 3, 8).astype("float32")
    assert_allclose(RotaryEmbedding()(x), numpy_rotary(x))
    assert_allclose(
        RotaryEmbedding(max_wavelength=500, scaling_factor=2.0)(x, start_index=3),
        numpy_rotary(x, start=3, max_wavelength=500, scaling_factor=2.0),
    )


def test_rotary_preserves_relative_positions():
    """<rope(q, m), rope(k, n)> depends on m - n only: the property RoPE exists for."""
    q = np.random.randn(1, 1, 1, 8).astype("float32")
    k = np.random.randn(1, 1, 1, 8).astype("float32")
    layer = RotaryEmbedding()

    def dot(m, n):
        return float(np.sum(to_numpy(layer(q, start_index=m)) * to_numpy(layer(k, start_index=n))))

    assert dot(7, 3) == pytest.approx(dot(24, 20), abs=1e-4)


def test_learned_embedding_returns_table_rows_and_respects_start_index():
    layer = LearnedPositionEmbedding(sequence_length=10)
    x = np.zeros((2, 4, 6), "float32")
    out = to_numpy(layer(x))
    table = to_numpy(layer.position_embeddings)
    assert_allclose(out, np.broadcast_to(table[:4], (2, 4, 6)))
    assert_allclose(layer(x[:, :1], start_index=7), np.broadcast_to(table[7:8], (2, 1, 6)))


def test_learned_embedding_propagates_mask():
    layer = LearnedPositionEmbedding(sequence_length=8)
    mask = np.array([[True, True, False]])
    np.testing.assert_array_equal(to_numpy(layer.compute_mask(np.zeros((1, 3, 4)), mask)), mask)


@pytest.mark.parametrize(
    "layer_cls, init_kwargs, input_shape",
    [
        (LearnedPositionEmbedding, {"sequence_length": 16}, (2, 5, 8)),
        (SinusoidalPositionEncoding, {"max_wavelength": 1000}, (2, 5, 8)),
        (RotaryEmbedding, {"max_wavelength": 1000, "scaling_factor": 2.0}, (2, 5, 2, 8)),
    ],
)
def test_layer_contract(layer_cls, init_kwargs, input_shape, tmp_path):
    run_layer_checks(
        layer_cls,
        init_kwargs,
        np.random.rand(*input_shape).astype("float32"),
        tmp_path,
        expected_output_shape=input_shape,
    )


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: LearnedPositionEmbedding(sequence_length=0), "sequence_length=0"),
        (lambda: SinusoidalPositionEncoding(max_wavelength=-1), "max_wavelength=-1"),
        (lambda: RotaryEmbedding(scaling_factor="x"), "scaling_factor='x'"),
    ],
)
def test_bad_arguments_are_quoted(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_rotary_rejects_odd_head_dim():
    with pytest.raises(ValueError, match="head_dim=5"):
        RotaryEmbedding()(np.zeros((1, 2, 1, 5), "float32"))
