"""Named sizes of the encoder-decoder Transformer, and their training cost per token.

Each preset holds `Seq2SeqBackbone` keyword arguments except the vocabulary, which the caller
adds: `Seq2SeqBackbone(**PRESETS["base"], vocabulary_size=8192)`. "base" is Transformer-base
(Vaswani et al., 2017) with pre-LN blocks.
"""

_COMMON = {"max_sequence_length": 512, "position_encoding": "sinusoidal", "norm_first": True, "activation": "relu"}

PRESETS = {
    "tiny": {
        "num_encoder_layers": 2,
        "num_decoder_layers": 2,
        "hidden_dim": 64,
        "num_heads": 4,
        "intermediate_dim": 256,
        "dropout": 0.1,
        **_COMMON,
    },
    "small": {
        "num_encoder_layers": 3,
        "num_decoder_layers": 3,
        "hidden_dim": 256,
        "num_heads": 4,
        "intermediate_dim": 1024,
        "dropout": 0.1,
        **_COMMON,
    },
    "base": {
        "num_encoder_layers": 6,
        "num_decoder_layers": 6,
        "hidden_dim": 512,
        "num_heads": 8,
        "intermediate_dim": 2048,
        "dropout": 0.1,
        **_COMMON,
    },
}


def non_embedding_parameters(config):
    """Parameters of the blocks and final norms of a `Seq2SeqBackbone` config (no token or position tables)."""
    d, f = config["hidden_dim"], config["intermediate_dim"]
    attention = 4 * d * d + 4 * d  # query, key, value and output kernels and biases
    feed_forward = 2 * d * f + f + d
    layer_norm = 2 * d
    encoder_block = attention + feed_forward + 2 * layer_norm
    decoder_block = 2 * attention + feed_forward + 3 * layer_norm
    final_norms = 2 * layer_norm if config.get("norm_first", True) else 0
    return config["num_encoder_layers"] * encoder_block + config["num_decoder_layers"] * decoder_block + final_norms


def estimate_training_flops_per_token(config, sequence_length):
    """Training FLOPs per target token: `6 N + 12 d T (L_enc + 2 L_dec)`.

    Counts a source of `sequence_length` tokens per target of `sequence_length` tokens, so each
    target token carries one source token's encoder work. N = the non-embedding parameters of
    both stacks plus the `hidden_dim x decoder_vocabulary_size` output projection (a matmul per
    target token, tied or not); token and position lookups cost nothing. The attention term is
    12 d T per layer and attention kind (scores and weighted sum, forward and backward): encoder
    self-attention, decoder self-attention and cross-attention.
    """
    decoder_vocabulary_size = config.get("decoder_vocabulary_size") or config.get("vocabulary_size")
    if decoder_vocabulary_size is None:
        raise ValueError(
            f"The config needs `vocabulary_size` or `decoder_vocabulary_size`. Received: config={config!r}"
        )
    d = config["hidden_dim"]
    n = non_embedding_parameters(config) + d * decoder_vocabulary_size
    attention_layers = config["num_encoder_layers"] + 2 * config["num_decoder_layers"]
    return 6 * n + 12 * d * sequence_length * attention_layers
