import keras
import numpy as np
import pytest

from zoo.layers.token_embedding import FEW_ROWS, SUPPRESSED_LOGIT, TokenEmbedding
from zoo.testing import assert_allclose, run_layer_checks, to_numpy

VOCABULARY_SIZE, HIDDEN_DIM = 11, 6


def token_ids(shape=(2, 5), low=0):
    return np.random.randint(low, VOCABULARY_SIZE, size=shape).astype("int32")


def tied_language_model(tie_weights=True, mask_zero=False):
    """ids -> embedding -> Dense -> logits through the same `TokenEmbedding` (both directions)."""
    ids = keras.Input((None,), dtype="int32")
    embedding = TokenEmbedding(VOCABULARY_SIZE, HIDDEN_DIM, tie_weights=tie_weights, mask_zero=mask_zero)
    hidden = keras.layers.Dense(HIDDEN_DIM)(embedding(ids))
    return keras.Model(ids, embedding(hidden, reverse=True)), embedding


def test_lookup_returns_table_rows():
    layer = TokenEmbedding(VOCABULARY_SIZE, HIDDEN_DIM)
    ids = token_ids()
    vectors = layer(ids)
    assert_allclose(vectors, to_numpy(layer.embeddings)[ids])


@pytest.mark.parametrize("tie_weights", [True, False])
def test_reverse_projects_onto_the_vocabulary(tie_weights):
    layer = TokenEmbedding(VOCABULARY_SIZE, HIDDEN_DIM, tie_weights=tie_weights)
    layer.build()
    hidden = np.random.randn(2, 5, HIDDEN_DIM).astype("float32")
    table = to_numpy(layer.embeddings).astype("float64")
    kernel = table.T if tie_weights else to_numpy(layer.reverse_embeddings).astype("float64")
    assert kernel.shape == (HIDDEN_DIM, VOCABULARY_SIZE)
    assert len(layer.weights) == (1 if tie_weights else 2)
    assert_allclose(layer(hidden, reverse=True), hidden.astype("float64") @ kernel)


# PyTorch projects up to FEW_ROWS rows as (table @ rows^T)^T (decoding), more as rows @ table^T: both equal NumPy.
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (FEW_ROWS + 1, 1)], ids=["1-row", "16-rows", "17-rows"])
def test_tied_reverse_equals_numpy_for_few_and_many_rows(shape):
    layer = TokenEmbedding(VOCABULARY_SIZE, HIDDEN_DIM)
    layer.build()
    hidden = np.random.randn(*shape, HIDDEN_DIM).astype("float32")
    logits = layer(hidden, reverse=True)
    assert tuple(logits.shape) == (*shape, VOCABULARY_SIZE)
    assert_allclose(logits, hidden.astype("float64") @ to_numpy(layer.embeddings).astype("float64").T)


def test_default_initializer_is_gpt_normal():
    layer = TokenEmbedding(2000, 32)
    layer.build()
    assert abs(float(np.std(to_numpy(layer.embeddings))) - 0.02) < 2e-3


def test_tied_table_gets_gradient_from_lookup_and_projection():
    """One SGD step on mean(logits ** 2) equals the hand-derived update of E in `E[ids] @ E^T`."""
    ids = np.array([[1, 2, 2], [3, 1, 4]], "int32")
    inputs = keras.Input((3,), dtype="int32")
    embedding = TokenEmbedding(VOCABULARY_SIZE, HIDDEN_DIM, embeddings_initializer="random_normal")
    model = keras.Model(inputs, embedding(embedding(inputs), reverse=True))
    table = to_numpy(embedding.embeddings).astype("float64")

    hidden = table[ids]
    logits = hidden @ table.T
    logits_gradient = 2.0 * logits / logits.size
    from_projection = np.einsum("btv,bth->vh", logits_gradient, hidden)
    from_lookup = np.zeros_like(table)
    np.add.at(from_lookup, ids, logits_gradient @ table)
    assert np.abs(from_projection[5:]).max() > 0 and np.abs(from_lookup).max() > 0

    learning_rate = 0.5
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    model.fit(ids, np.zeros(logits.shape, "float32"), batch_size=2, epochs=1, verbose=0)
    expected = table - learning_rate * (from_projection + from_lookup)
    assert_allclose(embedding.embeddings, expected)


def test_mask_zero_masks_padding_and_reverse_keeps_the_mask():
    layer = TokenEmbedding(VOCABULARY_SIZE, HIDDEN_DIM, mask_zero=True)
    ids = np.array([[4, 7, 0, 0], [3, 5, 9, 1]], "int32")
    np.testing.assert_array_equal(to_numpy(layer.compute_mask(ids)), ids != 0)
    hidden = np.zeros((2, 4, HIDDEN_DIM), "float32")
    np.testing.assert_array_equal(to_numpy(layer.compute_mask(hidden, ids != 0)), ids != 0)
    assert TokenEmbedding(VOCABULARY_SIZE, HIDDEN_DIM).compute_mask(ids) is None

    inputs = keras.Input((4,), dtype="int32")
    pooled = keras.layers.GlobalAveragePooling1D()(layer(inputs))
    table = to_numpy(layer.embeddings)
    expected = np.stack([table[[4, 7]].mean(0), table[[3, 5, 9, 1]].mean(0)])
    assert_allclose(keras.Model(inputs, pooled)(ids), expected)


def test_output_shapes_of_both_directions():
    layer = TokenEmbedding(VOCABULARY_SIZE, HIDDEN_DIM)
    assert layer.compute_output_shape((None, 7)) == (None, 7, HIDDEN_DIM)
    assert layer.compute_output_shape((None, 7, HIDDEN_DIM), reverse=True) == (None, 7, VOCABULARY_SIZE)
    model, _ = tied_language_model()
    assert tuple(model.output.shape) == (None, None, VOCABULARY_SIZE)


@pytest.mark.parametrize(
    "init_kwargs, reverse",
    [
        ({"mask_zero": True}, False),
        ({"tie_weights": False}, False),
        ({}, True),
        ({"tie_weights": False}, True),
        ({"suppressed_ids": [0, 4]}, True),
    ],
)
@pytest.mark.filterwarnings("ignore:Gradients do not exist")  # untied: one direction leaves one table idle
def test_layer_contract(init_kwargs, reverse, tmp_path):
    hidden = np.random.rand(2, 5, HIDDEN_DIM).astype("float32")
    run_layer_checks(
        TokenEmbedding,
        {"vocabulary_size": VOCABULARY_SIZE, "hidden_dim": HIDDEN_DIM, **init_kwargs},
        hidden if reverse else token_ids(low=1),
        tmp_path,
        call_kwargs={"reverse": reverse},
        expected_output_shape=(2, 5, VOCABULARY_SIZE if reverse else HIDDEN_DIM),
    )


@pytest.mark.parametrize("tie_weights", [True, False])
def test_suppressed_ids_get_the_suppressed_logit_and_the_others_are_unchanged(tie_weights):
    layer = TokenEmbedding(VOCABULARY_SIZE, HIDDEN_DIM, tie_weights=tie_weights, suppressed_ids=[4, 0, 4])
    layer.build()
    hidden = np.random.randn(2, 5, HIDDEN_DIM).astype("float32")
    kernel = to_numpy(layer.embeddings).T if tie_weights else to_numpy(layer.reverse_embeddings)
    expected = hidden.astype("float64") @ kernel.astype("float64")
    expected[..., [0, 4]] = SUPPRESSED_LOGIT
    logits = to_numpy(layer(hidden, reverse=True))
    assert layer.suppressed_ids == (0, 4)
    assert_allclose(logits, expected)
    assert set(np.unique(logits.argmax(-1))) <= set(range(VOCABULARY_SIZE)) - {0, 4}


@pytest.mark.parametrize("tie_weights", [True, False])
def test_model_using_both_directions_survives_keras_round_trip(tie_weights, tmp_path):
    model, _ = tied_language_model(tie_weights=tie_weights, mask_zero=True)
    ids = token_ids()
    path = str(tmp_path / "language_model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(to_numpy(loaded(ids)), to_numpy(model(ids)))
    assert len(loaded.weights) == len(model.weights) == (3 if tie_weights else 4)


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: TokenEmbedding(0, 4), "vocabulary_size=0"),
        (lambda: TokenEmbedding(10, -2), "hidden_dim=-2"),
        (lambda: TokenEmbedding(10, 4)(np.zeros((1, 3), "float32")), "integer token ids"),
        (lambda: TokenEmbedding(10, 4, suppressed_ids=[3, 10]), r"below vocabulary_size=10. Received: \[10\]"),
    ],
)
def test_bad_arguments_are_quoted(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
