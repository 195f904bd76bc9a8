import keras
import numpy as np
import pytest

from tests.layers import numpy_transformer as ref
from zoo.layers.transformer_decoder import TransformerDecoderBlock
from zoo.layers.transformer_encoder import TransformerEncoderBlock
from zoo.testing import assert_allclose, run_layer_checks, to_numpy

HIDDEN, HEADS, FFN = 16, 4, 32


def feed_forward(ffn, x):
    return ref.dense(ffn.down_projection, ref.gelu(ref.dense(ffn.up_projection, x)))


def numpy_encoder(block, x, padding_mask):
    mask = np.broadcast_to(padding_mask[:, None, :], (x.shape[0], x.shape[1], x.shape[1]))
    w = ref.attention_weights(block.self_attention)
    x = ref.residual(x, lambda h: ref.attention(h, h, w, HEADS, HEADS, mask), block.attention_norm, block.norm_first)
    return ref.residual(x, lambda h: feed_forward(block.feed_forward, h), block.feed_forward_norm, block.norm_first)


def numpy_decoder(block, x, encoder=None, encoder_mask=None):
    w = ref.attention_weights(block.self_attention)
    x = ref.residual(
        x, lambda h: ref.attention(h, h, w, HEADS, HEADS, causal=True), block.self_attention_norm, block.norm_first
    )
    if encoder is not None:
        wc = ref.attention_weights(block.cross_attention)
        mask = np.broadcast_to(encoder_mask[:, None, :], (x.shape[0], x.shape[1], encoder.shape[1]))
        x = ref.residual(
            x, lambda h: ref.attention(h, encoder, wc, HEADS, HEADS, mask), block.cross_attention_norm, block.norm_first
        )
    return ref.residual(x, lambda h: feed_forward(block.feed_forward, h), block.feed_forward_norm, block.norm_first)


@pytest.mark.parametrize("norm_first", [True, False])
def test_encoder_block_matches_numpy_with_padding(norm_first):
    x = np.random.randn(2, 6, HIDDEN).astype("float32")
    padding = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    block = TransformerEncoderBlock(HEADS, FFN, norm_first=norm_first)
    out = to_numpy(block(x, padding_mask=padding))
    assert_allclose(out, numpy_encoder(block, x, padding), atol=2e-5)


def test_encoder_block_reads_and_propagates_keras_mask():
    ids = np.array([[5, 3, 2, 0, 0], [1, 2, 3, 4, 5]])
    inputs = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(10, HIDDEN, mask_zero=True)(inputs)
    block = TransformerEncoderBlock(HEADS, FFN)
    pooled = keras.layers.GlobalAveragePooling1D()(block(embedded))
    model = keras.Model(inputs, pooled)
    vectors = to_numpy(model.layers[1](ids))
    expected_sequence = numpy_encoder(block, vectors, ids != 0)
    lengths = (ids != 0).sum(1, keepdims=True)
    expected = (expected_sequence * (ids != 0)[..., None]).sum(1) / lengths
    assert_allclose(model(ids), expected, atol=2e-5)


@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_block_matches_numpy(norm_first):
    x = np.random.randn(2, 5, HIDDEN).astype("float32")
    block = TransformerDecoderBlock(HEADS, FFN, norm_first=norm_first)
    assert_allclose(block(x), numpy_decoder(block, x), atol=2e-5)


def test_decoder_block_with_cross_attention_matches_numpy():
    x = np.random.randn(2, 5, HIDDEN).astype("float32")
    encoder = np.random.randn(2, 7, HIDDEN).astype("float32")
    encoder_mask = np.array([[1] * 7, [1] * 4 + [0] * 3], bool)
    block = TransformerDecoderBlock(HEADS, FFN, use_cross_attention=True)
    out = block(x, encoder, encoder_padding_mask=encoder_mask)
    assert_allclose(out, numpy_decoder(block, x, encoder, encoder_mask), atol=2e-5)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"norm_first": False},
        {"rotary_max_wavelength": 10000, "num_key_value_heads": 2, "norm": "rms_norm", "activation": "swiglu"},
        {"use_cross_attention": True},
    ],
)
def test_cached_decoding_one_token_at_a_time_equals_full_sequence(options):
    length, prompt = 7, 3
    x = np.random.randn(2, length, HIDDEN).astype("float32")
    encoder = np.random.randn(2, 4, HIDDEN).astype("float32")
    encoder_mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], bool)
    block = TransformerDecoderBlock(HEADS, FFN, **options)
    cross = {"encoder_padding_mask": encoder_mask} if block.use_cross_attention else {}
    full = to_numpy(block(x, encoder if cross else None, **cross))

    kv_heads = options.get("num_key_value_heads", HEADS)
    cache = keras.ops.zeros((2, 2, length, kv_heads, HIDDEN // HEADS))
    if cross:
        cross = {
            "cross_attention_cache": block.compute_cross_attention_cache(encoder),
            "encoder_padding_mask": encoder_mask,
        }
    steps = [(0, prompt)] + [(i, i + 1) for i in range(prompt, length)]
    outputs = []
    for start, end in steps:
        out, cache = block(x[:, start:end], self_attention_cache=cache, cache_update_index=start, **cross)
        outputs.append(to_numpy(out))
    assert_allclose(np.concatenate(outputs, axis=1), full, atol=2e-5)


def test_decoder_block_needs_encoder_when_cross_attending():
    block = TransformerDecoderBlock(HEADS, FFN, use_cross_attention=True)
    block.build((2, 3, HIDDEN), (2, 4, HIDDEN))
    with pytest.raises(ValueError, match="encoder_sequence"):
        block(np.zeros((2, 3, HIDDEN), "float32"))


def test_decoder_block_cache_arguments_go_together():
    block = TransformerDecoderBlock(HEADS, FFN)
    with pytest.raises(ValueError, match="cache_update_index"):
        block(np.zeros((1, 2, HIDDEN), "float32"), self_attention_cache=np.zeros((1, 2, 4, HEADS, 4), "float32"))


@pytest.mark.parametrize(
    "layer_cls, init_kwargs, input_data",
    [
        (TransformerEncoderBlock, {"num_heads": 2, "intermediate_dim": 8, "dropout": 0.1}, [(2, 5, 8)]),
        (
            TransformerEncoderBlock,
            {"num_heads": 2, "intermediate_dim": 8, "norm": "rms_norm", "activation": "swiglu", "norm_first": False},
            [(2, 5, 8)],
        ),
        (TransformerDecoderBlock, {"num_heads": 2, "intermediate_dim": 8, "rotary_max_wavelength": 100}, [(2, 5, 8)]),
        (
            TransformerDecoderBlock,
            {"num_heads": 2, "intermediate_dim": 8, "use_cross_attention": True},
            [(2, 5, 8), (2, 3, 8)],
        ),
    ],
)
def test_layer_contract(layer_cls, init_kwargs, input_data, tmp_path):
    data = [np.random.rand(*shape).astype("float32") for shape in input_data]
    run_layer_checks(
        layer_cls, init_kwargs, data if len(data) > 1 else data[0], tmp_path, expected_output_shape=input_data[0]
    )


@pytest.mark.parametrize("layer_cls", [TransformerEncoderBlock, TransformerDecoderBlock])
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_heads": 0}, "num_heads=0"),
        ({"intermediate_dim": -4}, "intermediate_dim=-4"),
        ({"dropout": 1.5}, "dropout=1.5"),
        ({"norm": "batch_norm"}, "norm='batch_norm'"),
    ],
)
def test_bad_arguments_are_quoted(layer_cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        layer_cls(**{"num_heads": 2, "intermediate_dim": 8, **kwargs})


def test_indivisible_hidden_dim_needs_head_dim():
    with pytest.raises(ValueError, match="hidden_dim=10"):
        TransformerEncoderBlock(num_heads=4, intermediate_dim=8)(np.zeros((1, 2, 10), "float32"))
    assert TransformerEncoderBlock(num_heads=4, intermediate_dim=8, head_dim=4)(
        np.zeros((1, 2, 10), "float32")
    ).shape == (1, 2, 10)
