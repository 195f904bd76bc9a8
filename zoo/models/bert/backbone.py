"""BERT encoder (Devlin et al., 2019): token + segment + position embeddings, then encoder blocks."""

import keras

from zoo.layers import LayerNorm, LearnedPositionEmbedding, TokenEmbedding, TransformerEncoderBlock
from zoo.models.functional_model import FunctionalModel
from zoo.validation import require_choice, require_positive_int, require_positive_number, require_rate

ACTIVATIONS = ("gelu", "gelu_tanh", "relu")


def bert_initializer():
    """BERT's initializer for every kernel and embedding table: truncated normal, stddev 0.02."""
    return keras.initializers.TruncatedNormal(stddev=0.02)


@keras.saving.register_keras_serializable(package="zoo")
class BertBackbone(FunctionalModel):
    """A BERT-style bidirectional Transformer encoder, returning per-token and pooled vectors.

    Token, segment and learned position embeddings are summed, layer-normalized and dropped out,
    then run through `num_layers` encoder blocks that never attend to padded positions. Blocks
    are post-LN as in BERT (`norm_first=False`); with `norm_first=True` they are pre-LN and a
    final LayerNorm follows the last block. The pooled output is `tanh(Dense(h_0))` of the first
    token (`[CLS]`), as in BERT.

    Inputs are a dict of int32 `(batch, length)` tensors: `"token_ids"` (0 is padding),
    `"segment_ids"` (0 for the first sentence, 1 for the second) and `"padding_mask"` (1 for real
    tokens, 0 for padding). Outputs are a dict: `"sequence_output"` `(batch, length, hidden_dim)`
    and `"pooled_output"` `(batch, hidden_dim)`, in the compute dtype.

    Args:
        vocabulary_size: number of token ids.
        num_layers: number of encoder blocks.
        hidden_dim: width of the embeddings and of every block.
        num_heads: attention heads per block; must divide `hidden_dim`.
        intermediate_dim: hidden width of each block's feed-forward network.
        max_sequence_length: number of learned positions, the longest input accepted.
        num_segments: number of segment ids (2: sentence A and sentence B).
        dropout: dropout rate of the embeddings, residual branches and attention probabilities.
        activation: feed-forward activation: "gelu" (exact, BERT), "gelu_tanh" or "relu".
        norm_first: False for post-LN blocks (BERT), True for pre-LN blocks and a final norm.
        norm_epsilon: epsilon of every LayerNorm (BERT: 1e-12).
        dtype: dtype policy of every layer, e.g. "mixed_bfloat16".

    Example:

        backbone = BertBackbone(vocabulary_size=100, num_layers=2, hidden_dim=32, num_heads=2,
                                intermediate_dim=64)
        outputs = backbone({"token_ids": np.array([[2, 7, 9, 0]]),
                            "segment_ids": np.array([[0, 0, 1, 0]]),
                            "padding_mask": np.array([[1, 1, 1, 0]])})
        outputs["sequence_output"].shape, outputs["pooled_output"].shape  # ((1, 4, 32), (1, 32))
    """

    def __init__(
        self,
        vocabulary_size,
        num_layers,
        hidden_dim,
        num_heads,
        intermediate_dim,
        max_sequence_length=512,
        num_segments=2,
        dropout=0.1,
        activation="gelu",
        norm_first=False,
        norm_epsilon=1e-12,
        dtype=None,
        **kwargs,
    ):
        require_positive_int("vocabulary_size", vocabulary_size)
        require_positive_int("num_layers", num_layers)
        require_positive_int("hidden_dim", hidden_dim)
        require_positive_int("num_heads", num_heads)
        require_positive_int("intermediate_dim", intermediate_dim)
        require_positive_int("max_sequence_length", max_sequence_length)
        require_positive_int("num_segments", num_segments)
        require_rate("dropout", dropout)
        require_choice("activation", activation, ACTIVATIONS)
        require_positive_number("norm_epsilon", norm_epsilon)
        if hidden_dim % num_heads:
            raise ValueError(f"`num_heads` must divide `hidden_dim`={hidden_dim}. Received: num_heads={num_heads!r}")

        # === Layers ===
        # Locals, assigned to `self` after `super().__init__()`: torch modules refuse attributes before it.
        token_embedding = TokenEmbedding(
            vocabulary_size, hidden_dim, embeddings_initializer=bert_initializer(), dtype=dtype, name="token_embedding"
        )
        segment_embedding = keras.layers.Embedding(
            num_segments, hidden_dim, embeddings_initializer=bert_initializer(), dtype=dtype, name="segment_embedding"
        )
        position_embedding = LearnedPositionEmbedding(
            max_sequence_length, initializer=bert_initializer(), dtype=dtype, name="position_embedding"
        )
        embeddings_add = keras.layers.Add(dtype=dtype, name="embeddings_add")
        embeddings_norm = LayerNorm(epsilon=norm_epsilon, dtype=dtype, name="embeddings_norm")
        embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")
        encoder_blocks = [
            TransformerEncoderBlock(
                num_heads=num_heads,
                intermediate_dim=intermediate_dim,
                activation=activation,
                dropout=dropout,
                attention_dropout=dropout,
                norm_epsilon=norm_epsilon,
                norm_first=norm_first,
                kernel_initializer=bert_initializer(),
                dtype=dtype,
                name=f"encoder_block_{i}",
            )
            for i in range(num_layers)
        ]
        final_norm = LayerNorm(epsilon=norm_epsilon, dtype=dtype, name="final_norm") if norm_first else None
        pooler = keras.layers.Dense(
            hidden_dim, activation="tanh", kernel_initializer=bert_initializer(), dtype=dtype, name="pooler"
        )

        # === Functional Model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        segment_ids = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
        padding_mask = keras.Input(shape=(None,), dtype="int32", name="padding_mask")
        tokens = token_embedding(token_ids)
        x = embeddings_add([tokens, segment_embedding(segment_ids), position_embedding(tokens)])
        x = embeddings_dropout(embeddings_norm(x))
        for block in encoder_blocks:
            x = block(x, padding_mask=padding_mask)
        if final_norm is not None:
            x = final_norm(x)
        pooled = pooler(x[:, 0, :])
        super().__init__(
            inputs={"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask},
            outputs={"sequence_output": x, "pooled_output": pooled},
            dtype=dtype,
            **kwargs,
        )
        self.token_embedding = token_embedding
        self.segment_embedding = segment_embedding
        self.position_embedding = position_embedding
        self.embeddings_norm = embeddings_norm
        self.encoder_blocks = encoder_blocks
        self.final_norm = final_norm
        self.pooler = pooler

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.max_sequence_length = max_sequence_length
        self.num_segments = num_segments
        self.dropout = dropout
        self.activation = activation
        self.norm_first = norm_first
        self.norm_epsilon = norm_epsilon

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "num_layers": self.num_layers,
            "hidden_dim": self.hidden_dim,
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "max_sequence_length": self.max_sequence_length,
            "num_segments": self.num_segments,
            "dropout": self.dropout,
            "activation": self.activation,
            "norm_first": self.norm_first,
            "norm_epsilon": self.norm_epsilon,
        }
