"""GPT-style decoder backbone: tied token embedding, learned or rotary positions, pre-LN causal blocks."""

import keras

from zoo.layers import LearnedPositionEmbedding, TokenEmbedding, TransformerDecoderBlock, build_norm
from zoo.layers.feed_forward import ACTIVATIONS
from zoo.layers.norms import NORM_KINDS
from zoo.models.functional_model import FunctionalModel, token_inputs
from zoo.validation import require_choice, require_positive_int, require_positive_number, require_rate

POSITION_ENCODINGS = ("learned", "rotary")


def _initializer(stddev):
    return keras.initializers.RandomNormal(stddev=stddev)


@keras.saving.register_keras_serializable(package="zoo")
class GPTBackbone(FunctionalModel):
    """GPT-2-shaped decoder stack (Radford et al., 2019), or LLaMA-like with rotary/RMSNorm/SwiGLU/GQA.

    Token ids are embedded by a `TokenEmbedding` whose table the causal LM reuses as its output
    projection; positions are a learned table added to the embeddings (GPT-2) or rotary
    embeddings inside every self-attention (RoPE). `num_layers` pre-LN `TransformerDecoderBlock`s
    and a final norm follow. Inputs are right-padded `{"token_ids", "padding_mask"}` (pad id 0);
    the output is the final hidden states `(batch, length, hidden_dim)`.

    Args:
        vocabulary_size: number of token ids.
        num_layers: number of decoder blocks.
        hidden_dim: width of the embeddings and hidden states.
        num_heads: query heads per self-attention.
        intermediate_dim: hidden width of each feed-forward network.
        max_sequence_length: the longest sequence the model reads or generates (the size of the
            learned position table; also the KV cache limit).
        position_encoding: "learned" (GPT-2) or "rotary".
        num_key_value_heads: key/value heads (grouped-query attention); `None` means `num_heads`.
        activation: feed-forward activation: "gelu_tanh" (GPT-2), "gelu", "relu" or "swiglu".
        norm: "layer_norm" or "rms_norm".
        norm_epsilon: epsilon of every norm.
        dropout: dropout rate of the embeddings, residual branches and feed-forward hidden layer.
        rotary_max_wavelength: longest wavelength of the rotary embedding (used when rotary).
        use_bias: whether the attention and feed-forward projections have biases.
        suppressed_token_ids: ids whose logits through the tied embedding are -1e4, so no task
            predicts them (`TokenEmbedding`): an imported GPT-2 has no trained row for the zoo's
            pad, unk and mask ids, and its bos shares the end token's row.
        dtype: dtype policy of every layer, e.g. "mixed_bfloat16".

    Example:

        backbone = GPTBackbone(vocabulary_size=100, num_layers=2, hidden_dim=32, num_heads=4,
                               intermediate_dim=64, max_sequence_length=16)
        backbone({"token_ids": np.array([[5, 6, 7, 0]]), "padding_mask": np.array([[1, 1, 1, 0]])}).shape  # (1, 4, 32)
    """

    def __init__(
        self,
        vocabulary_size,
        num_layers,
        hidden_dim,
        num_heads,
        intermediate_dim,
        max_sequence_length=1024,
        position_encoding="learned",
        num_key_value_heads=None,
        activation="gelu_tanh",
        norm="layer_norm",
        norm_epsilon=1e-5,
        dropout=0.0,
        rotary_max_wavelength=10000,
        use_bias=True,
        suppressed_token_ids=(),
        dtype=None,
        **kwargs,
    ):
        require_positive_int("vocabulary_size", vocabulary_size)
        require_positive_int("num_layers", num_layers)
        require_positive_int("hidden_dim", hidden_dim)
        require_positive_int("num_heads", num_heads)
        require_positive_int("intermediate_dim", intermediate_dim)
        require_positive_int("max_sequence_length", max_sequence_length)
        require_choice("position_encoding", position_encoding, POSITION_ENCODINGS)
        require_choice("activation", activation, ACTIVATIONS)
        require_choice("norm", norm, NORM_KINDS)
        require_positive_number("norm_epsilon", norm_epsilon)
        require_rate("dropout", dropout)
        require_positive_number("rotary_max_wavelength", rotary_max_wavelength)
        if hidden_dim % num_heads:
            raise ValueError(
                f"`hidden_dim` must be divisible by `num_heads`={num_heads}. Received: hidden_dim={hidden_dim!r}"
            )

        # === Layers ===
        token_embedding = TokenEmbedding(
            vocabulary_size,
            hidden_dim,
            tie_weights=True,
            embeddings_initializer=_initializer(0.02),
            suppressed_ids=suppressed_token_ids,
            dtype=dtype,
            name="token_embedding",
        )
        position_embedding = None
        if position_encoding == "learned":
            position_embedding = LearnedPositionEmbedding(
                max_sequence_length, initializer=_initializer(0.01), dtype=dtype, name="position_embedding"
            )
        embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")
        decoder_blocks = [
            TransformerDecoderBlock(
                num_heads,
                intermediate_dim,
                num_key_value_heads=num_key_value_heads,
                activation=activation,
                dropout=dropout,
                norm=norm,
                norm_epsilon=norm_epsilon,
                norm_first=True,
                use_bias=use_bias,
                rotary_max_wavelength=rotary_max_wavelength if position_encoding == "rotary" else None,
                kernel_initializer=_initializer(0.02),
                dtype=dtype,
                name=f"decoder_block_{i}",
            )
            for i in range(num_layers)
        ]
        final_norm = build_norm(norm, norm_epsilon, name="final_norm", dtype=dtype)

        # === Functional Model ===
        inputs = token_inputs()
        token_ids, padding_mask = inputs["token_ids"], inputs["padding_mask"]
        x = token_embedding(token_ids)
        if position_embedding is not None:
            x = keras.layers.Add(dtype=dtype, name="embeddings_add")([x, position_embedding(x)])
        x = embeddings_dropout(x)
        for block in decoder_blocks:
            x = block(x, decoder_padding_mask=padding_mask)
        sequence_output = final_norm(x)
        super().__init__(
            inputs=inputs,
            outputs=sequence_output,
            dtype=dtype,
            **kwargs,
        )

        # Sublayers are attached only now: torch modules refuse attributes before Module.__init__.
        self.token_embedding = token_embedding
        self.position_embedding = position_embedding
        self.embeddings_dropout = embeddings_dropout
        self.decoder_blocks = decoder_blocks
        self.final_norm = final_norm

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.max_sequence_length = max_sequence_length
        self.position_encoding = position_encoding
        self.num_key_value_heads = num_heads if num_key_value_heads is None else num_key_value_heads
        self.activation = activation
        self.norm = norm
        self.norm_epsilon = norm_epsilon
        self.dropout = dropout
        self.rotary_max_wavelength = rotary_max_wavelength
        self.use_bias = use_bias
        self.suppressed_token_ids = token_embedding.suppressed_ids

    @property
    def head_dim(self):
        return self.hidden_dim // self.num_heads

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "num_layers": self.num_layers,
            "hidden_dim": self.hidden_dim,
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "max_sequence_length": self.max_sequence_length,
            "position_encoding": self.position_encoding,
            "num_key_value_heads": self.num_key_value_heads,
            "activation": self.activation,
            "norm": self.norm,
            "norm_epsilon": self.norm_epsilon,
            "dropout": self.dropout,
            "rotary_max_wavelength": self.rotary_max_wavelength,
            "use_bias": self.use_bias,
            "suppressed_token_ids": list(self.suppressed_token_ids),
        }
