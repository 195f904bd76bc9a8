"""Named GPT sizes (backbone kwargs without `vocabulary_size`), parameter count and training FLOPs.

`base` is the GPT-2 124M shape (12 layers, 768 wide, 12 heads, 3072 feed-forward).
"""

PRESETS = {
    "tiny": {
        "num_layers": 2,
        "hidden_dim": 64,
        "num_heads": 4,
        "intermediate_dim": 256,
        "max_sequence_length": 512,
    },
    "small": {
        "num_layers": 4,
        "hidden_dim": 256,
        "num_heads": 4,
        "intermediate_dim": 1024,
        "max_sequence_length": 512,
    },
    "base": {
        "num_layers": 12,
        "hidden_dim": 768,
        "num_heads": 12,
        "intermediate_dim": 3072,
        "max_sequence_length": 1024,
    },
}


def _block_parameters(config):
    d, heads, ffn = config["hidden_dim"], config["num_heads"], config["intermediate_dim"]
    head_dim = d // heads
    kv_heads = config.get("num_key_value_heads") or heads
    bias = config.get("use_bias", True)
    attention = d * heads * head_dim * 2 + d * kv_heads * head_dim * 2  # query, output, key, value kernels
    attention += (heads * head_dim + 2 * kv_heads * head_dim + d) if bias else 0
    projections = 3 if config.get("activation") == "swiglu" else 2  # up (+ gate) and down
    feed_forward = projections * d * ffn + ((projections - 1) * ffn + d if bias else 0)
    norms = 2 * _norm_parameters(config)
    return attention + feed_forward + norms


def _norm_parameters(config):
    return config["hidden_dim"] * (1 if config.get("norm") == "rms_norm" else 2)


def non_embedding_parameters(config):
    """Parameters of the blocks and the final norm (no token or position table)."""
    return config["num_layers"] * _block_parameters(config) + _norm_parameters(config)


def total_parameters(config):
    """Every parameter of `GPTBackbone(**config)`: equals `backbone.count_params()`."""
    embeddings = config["vocabulary_size"] * config["hidden_dim"]
    if config.get("position_encoding", "learned") == "learned":
        embeddings += config["max_sequence_length"] * config["hidden_dim"]
    return non_embedding_parameters(config) + embeddings


def estimate_training_flops_per_token(config, sequence_length):
    """Training FLOPs per token: `6 N + 12 L d T` (PaLM, appendix B).

    `N` counts the non-embedding parameters plus the token table once, because the tied output
    projection is a `d x V` matmul per token; the position table is a lookup and is left out.
    `12 L d T` is the attention scores and weighted sum (forward and backward) at context `T`.
    """
    matmul_parameters = non_embedding_parameters(config) + config["vocabulary_size"] * config["hidden_dim"]
    return 6 * matmul_parameters + 12 * config["num_layers"] * config["hidden_dim"] * sequence_length
