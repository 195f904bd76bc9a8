"""Named BERT sizes (backbone arguments without `vocabulary_size`) and their training cost."""

PRESETS = {
    # Trains in seconds in tests.
    "tiny": {"num_layers": 2, "hidden_dim": 64, "num_heads": 2, "intermediate_dim": 256, "max_sequence_length": 128},
    # The shape of BERT-mini (Turc et al., 2019).
    "small": {"num_layers": 4, "hidden_dim": 256, "num_heads": 4, "intermediate_dim": 1024, "max_sequence_length": 512},
    # bert-base (Devlin et al., 2019).
    "base": {
        "num_layers": 12,
        "hidden_dim": 768,
        "num_heads": 12,
        "intermediate_dim": 3072,
        "max_sequence_length": 512,
    },
}


def non_embedding_parameters(config):
    """Parameters of the encoder blocks: attention (4 projections), feed-forward, two LayerNorms, with biases."""
    d, f = config["hidden_dim"], config["intermediate_dim"]
    attention = 4 * d * d + 4 * d
    feed_forward = 2 * d * f + f + d
    norms = 2 * 2 * d
    return config["num_layers"] * (attention + feed_forward + norms)


def estimate_training_flops_per_token(config, sequence_length, mask_rate=0.15):
    """Training FLOPs per input token of `BertMaskedLM`: `6 * N + 12 * L * d * T`.

    N counts the encoder blocks' parameters (`non_embedding_parameters`) plus, weighted by
    `mask_rate`, the masked-LM head's matmuls (its `d x d` transform and the tied `d x V`
    projection), which only the gathered masked positions go through. Embedding lookups,
    LayerNorm arithmetic, the pooler and the NSP head (once per sequence) are left out.
    `config` holds the backbone arguments, `vocabulary_size` included.

    Example: `estimate_training_flops_per_token({**PRESETS["base"], "vocabulary_size": 30522}, 512)`.
    """
    d = config["hidden_dim"]
    head = d * d + d * config["vocabulary_size"]
    parameters = non_embedding_parameters(config) + mask_rate * head
    return 6 * parameters + 12 * config["num_layers"] * d * sequence_length
