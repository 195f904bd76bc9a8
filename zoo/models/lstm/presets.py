"""Named sizes of the LSTM family, and their parameter counts and training FLOPs per token.

`PRESETS[size]` holds the `LSTMBackbone` arguments besides `vocabulary_size`; `classifier_config`,
`seq2seq_config` and `causal_lm_config` turn a size into the arguments of the `from_backbone_arguments`
of `LSTMClassifier`, `LSTMSeq2Seq` (whose encoder and decoder both get `num_layers` layers) and
`LSTMCausalLM`.
"""

PRESETS = {
    "tiny": {"embedding_dim": 32, "hidden_dim": 64, "num_layers": 1, "dropout": 0.0},
    "small": {"embedding_dim": 128, "hidden_dim": 256, "num_layers": 2, "dropout": 0.1},
    "base": {"embedding_dim": 256, "hidden_dim": 512, "num_layers": 2, "dropout": 0.2},
}


def classifier_config(size, vocabulary_size, num_classes, pooling="max"):
    """`LSTMClassifier.from_backbone_arguments` arguments of a named size (a bidirectional stack)."""
    return {"vocabulary_size": vocabulary_size, "num_classes": num_classes, "pooling": pooling, **PRESETS[size]}


def seq2seq_config(size, vocabulary_size, attention="luong"):
    """`LSTMSeq2Seq.from_backbone_arguments` arguments of a named size: `num_layers` encoder and decoder layers."""
    preset = dict(PRESETS[size])
    num_layers = preset.pop("num_layers")
    return {
        "vocabulary_size": vocabulary_size,
        "num_encoder_layers": num_layers,
        "num_decoder_layers": num_layers,
        "attention": attention,
        **preset,
    }


def causal_lm_config(size, vocabulary_size, tie_embeddings=True):
    """`LSTMCausalLM.from_backbone_arguments` arguments of a named size (a unidirectional stack).

    Example: `causal_lm_config("small", 8000)`.
    """
    return {"vocabulary_size": vocabulary_size, "tie_embeddings": tie_embeddings, **PRESETS[size]}


def lstm_parameters(input_dim, hidden_dim):
    """Weights of one Keras LSTM direction: kernel, recurrent kernel and bias of the gates i, f, c, o."""
    return 4 * hidden_dim * (input_dim + hidden_dim + 1)


def _stack_parameters(input_dim, hidden_dim, num_layers, directions):
    total = 0
    for _ in range(num_layers):
        total += directions * lstm_parameters(input_dim, hidden_dim)
        input_dim = directions * hidden_dim
    return total


def _is_seq2seq(config):
    return "num_encoder_layers" in config


def _is_causal_lm(config):
    return "tie_embeddings" in config


def _causal_lm_head_parameters(config):
    """The untied `lm_head` (with bias), or the bias-free projection to `embedding_dim` before the tied table."""
    embedding_dim, hidden_dim = config["embedding_dim"], config["hidden_dim"]
    if not config["tie_embeddings"]:
        return (hidden_dim + 1) * config["vocabulary_size"]
    return hidden_dim * embedding_dim if hidden_dim != embedding_dim else 0


def _flat(config):
    """A task's `get_config()` with its serialized `backbone`'s arguments beside its own."""
    if "backbone" not in config:
        return config
    backbone = dict(config["backbone"]["config"])
    task = {key: value for key, value in config.items() if key != "backbone"}
    if "num_decoder_layers" in task:  # the encoder-decoder's backbone is its encoder
        backbone["num_encoder_layers"] = backbone.pop("num_layers")
    return {**backbone, **task}


def _parameter_groups(config):
    """Parameters as {"embedding", "per_token", "per_sequence"}: looked up, touched by every token, once a sequence."""
    config = _flat(config)
    embedding_dim, hidden_dim = config["embedding_dim"], config["hidden_dim"]
    if _is_causal_lm(config):
        stack = _stack_parameters(embedding_dim, hidden_dim, config.get("num_layers", 1), 1)
        return {
            "embedding": config["vocabulary_size"] * embedding_dim,
            "per_token": stack + _causal_lm_head_parameters(config),
            "per_sequence": 0,
        }
    if not _is_seq2seq(config):
        directions = 2 if config.get("bidirectional", True) else 1
        stack = _stack_parameters(embedding_dim, hidden_dim, config.get("num_layers", 1), directions)
        head = (directions * hidden_dim + 1) * config["num_classes"] if "num_classes" in config else 0
        return {"embedding": config["vocabulary_size"] * embedding_dim, "per_token": stack, "per_sequence": head}
    target_vocabulary_size = config.get("target_vocabulary_size") or config["vocabulary_size"]
    decoder_layers = config.get("num_decoder_layers", 1)
    encoder = _stack_parameters(embedding_dim, hidden_dim, config.get("num_encoder_layers", 1), 2)
    decoder = _stack_parameters(embedding_dim, hidden_dim, decoder_layers, 1)
    bridge = 2 * (2 * hidden_dim + 1) * decoder_layers * hidden_dim
    attention = {
        "luong": 2 * hidden_dim * hidden_dim,  # W of the "general" score
        "bahdanau": hidden_dim * hidden_dim + (2 * hidden_dim + 1) * hidden_dim + hidden_dim,  # W_q, W_k + b, v
        "none": 0,
    }[config.get("attention", "luong")]
    attention_projection = 3 * hidden_dim * hidden_dim if attention else 0
    output_projection = (hidden_dim + 1) * target_vocabulary_size
    return {
        "embedding": (config["vocabulary_size"] + target_vocabulary_size) * embedding_dim,
        "per_token": encoder + decoder + attention + attention_projection + output_projection,
        "per_sequence": bridge,
    }


def non_embedding_parameters(config):
    """Parameters of the model `config` describes, without its embedding tables.

    `config`: the `get_config()` of an `LSTMBackbone`, `LSTMClassifier`, `LSTMSeq2Seq` or
    `LSTMCausalLM` (recognised by its `tie_embeddings`), or the arguments of `from_backbone_arguments`, e.g.
    `non_embedding_parameters(seq2seq_config("base", vocabulary_size=8192))`.
    """
    groups = _parameter_groups(config)
    return groups["per_token"] + groups["per_sequence"]


def total_parameters(config):
    """Every parameter of the model `config` describes (see `non_embedding_parameters`): its `count_params()`."""
    return non_embedding_parameters(config) + _parameter_groups(config)["embedding"]


def estimate_training_flops_per_token(config, sequence_length):
    """Training FLOPs per (target) token: 3 x forward, forward = 2 FLOPs per multiply-add.

    Counted: every weight a token passes through (LSTM kernels, recurrent kernels and biases of
    every layer and direction; for the seq2seq also the attention and output projections), i.e.
    the non-embedding parameters, which gives `6 N`; embedding lookups cost nothing; weights used
    once per sequence (classifier head, state bridge) are spread over `sequence_length` tokens.
    Seq2seq: per target token with a source as long as the target (`sequence_length`), so the
    encoder's weights count once per target token, plus attention over `sequence_length` source
    positions: scores (`hidden_dim` per position) and the weighted sum of the `2 * hidden_dim`
    encoder outputs, `6 * sequence_length * 3 * hidden_dim`. Causal LM: the output layer counts,
    and with tied embeddings so does the table once, as it is an `embedding_dim x V` matmul per token
    (as for GPT). Elementwise gate arithmetic is left out.
    """
    groups = _parameter_groups(config)
    flops = 6 * groups["per_token"] + 6 * groups["per_sequence"] / sequence_length
    if _is_causal_lm(config) and config["tie_embeddings"]:
        flops += 6 * groups["embedding"]
    if _is_seq2seq(config) and config.get("attention", "luong") != "none":
        flops += 6 * sequence_length * 3 * config["hidden_dim"]
    return int(flops)
