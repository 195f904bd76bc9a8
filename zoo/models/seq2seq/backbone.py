"""Encoder-decoder Transformer (Vaswani et al., 2017; the T5 / BART shape): encoder and decoder stacks."""

import math

import keras
from keras import ops

from zoo.layers import (
    LayerNorm,
    LearnedPositionEmbedding,
    SinusoidalPositionEncoding,
    TokenEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
)
from zoo.models.functional_model import FunctionalModel
from zoo.validation import require_choice, require_positive_int, require_positive_number, require_rate

ACTIVATIONS = ("relu", "gelu", "gelu_tanh")
POSITION_ENCODINGS = ("sinusoidal", "learned")


def _vocabulary_sizes(vocabulary_size, encoder_vocabulary_size, decoder_vocabulary_size, share_embeddings):
    """(encoder size, decoder size): each side's own size, else `vocabulary_size`."""
    encoder_size = vocabulary_size if encoder_vocabulary_size is None else encoder_vocabulary_size
    decoder_size = vocabulary_size if decoder_vocabulary_size is None else decoder_vocabulary_size
    if encoder_size is None or decoder_size is None:
        raise ValueError(
            "Pass `vocabulary_size`, or both `encoder_vocabulary_size` and `decoder_vocabulary_size`. "
            f"Received: vocabulary_size={vocabulary_size!r}, encoder_vocabulary_size={encoder_vocabulary_size!r}, "
            f"decoder_vocabulary_size={decoder_vocabulary_size!r}"
        )
    require_positive_int("encoder_vocabulary_size", encoder_size)
    require_positive_int("decoder_vocabulary_size", decoder_size)
    if share_embeddings and encoder_size != decoder_size:
        raise ValueError(
            "`share_embeddings=True` needs one vocabulary for the encoder and the decoder. "
            f"Received: encoder_vocabulary_size={encoder_size}, decoder_vocabulary_size={decoder_size}"
        )
    return encoder_size, decoder_size


def _position_encoding(kind, max_sequence_length, hidden_dim, dtype, name):
    if kind == "sinusoidal":
        return SinusoidalPositionEncoding(dtype=dtype, name=name)
    initializer = keras.initializers.RandomNormal(stddev=hidden_dim**-0.5)
    return LearnedPositionEmbedding(max_sequence_length, initializer=initializer, dtype=dtype, name=name)


def _embed(token_ids, token_embedding, position_encoding, scale, norm, dropout, start_index=0, training=None):
    """`dropout(norm(scale * token vectors + position encodings))`, positions counted from `start_index`."""
    tokens = token_embedding(token_ids)
    if scale != 1.0:
        tokens = tokens * scale
    x = tokens + position_encoding(tokens, start_index=start_index)
    return dropout(x if norm is None else norm(x), training=training)


def _encode(x, padding_mask, blocks, final_norm, training=None):
    for block in blocks:
        x = block(x, padding_mask=padding_mask, training=training)
    return x if final_norm is None else final_norm(x)


@keras.saving.register_keras_serializable(package="zoo")
class Seq2SeqBackbone(FunctionalModel):
    """An encoder-decoder Transformer returning the decoder's hidden states.

    The source goes through token embeddings, position encodings and `num_encoder_layers`
    encoder blocks that never attend to padded source positions; the target (teacher-forced
    decoder input) goes through its embeddings and `num_decoder_layers` causal decoder blocks
    that cross-attend to the encoder's outputs. As in Vaswani et al. token vectors are multiplied
    by `sqrt(hidden_dim)` (`scale_embeddings`) and the tables are initialized with
    `stddev = hidden_dim ** -0.5` (fairseq), embeddings plus positions are dropped out, and
    sinusoidal positions are the default. Blocks are pre-LN by default (`norm_first=True`; stable
    without long warm-up) with a final LayerNorm after each stack; `norm_first=False` gives the
    original post-LN blocks and no final norms. With `share_embeddings` one table serves the
    encoder and the decoder (one vocabulary); otherwise each side has its own.

    Inputs are a dict of int32 `(batch, length)` tensors: `"encoder_token_ids"`,
    `"encoder_padding_mask"`, `"decoder_token_ids"`, `"decoder_padding_mask"` (1 for real tokens,
    0 for padding; pad id 0). Output: decoder hidden states `(batch, decoder_length, hidden_dim)`
    in the compute dtype. `encode()` runs the encoder alone and `embed_decoder_tokens()` the
    decoder's input embedding from any position, which cached decoding (`Seq2SeqLM`) needs.

    Args:
        vocabulary_size: number of token ids of both sides; `None` when both
            `encoder_vocabulary_size` and `decoder_vocabulary_size` are given.
        num_encoder_layers: number of encoder blocks.
        num_decoder_layers: number of decoder blocks.
        hidden_dim: width of the embeddings and of every block.
        num_heads: attention heads per block; must divide `hidden_dim`.
        intermediate_dim: hidden width of each block's feed-forward network.
        max_sequence_length: number of learned positions (the longest input with
            `position_encoding="learned"`).
        encoder_vocabulary_size: the source vocabulary size, if it differs from `vocabulary_size`.
        decoder_vocabulary_size: the target vocabulary size, if it differs from `vocabulary_size`.
        share_embeddings: one token table for both sides (needs equal vocabulary sizes).
        position_encoding: "sinusoidal" (Vaswani et al.) or "learned" (BART).
        scale_embeddings: multiply token vectors by `sqrt(hidden_dim)`.
        norm_first: True for pre-LN blocks and final norms, False for post-LN blocks.
        norm_epsilon: epsilon of every LayerNorm.
        dropout: dropout rate of the embeddings, residual branches and feed-forward hidden layer.
        attention_dropout: dropout rate of the attention probabilities.
        activation: feed-forward activation: "relu" (Vaswani et al.), "gelu" or "gelu_tanh".
        embeddings_norm: a LayerNorm on each side's embeddings before their dropout (BART's
            `layernorm_embedding`).
        dtype: dtype policy of every layer, e.g. "mixed_bfloat16".

    Example:

        backbone = Seq2SeqBackbone(vocabulary_size=100, num_encoder_layers=2, num_decoder_layers=2,
                                   hidden_dim=32, num_heads=2, intermediate_dim=64)
        backbone({"encoder_token_ids": np.array([[5, 6, 7, 0]]),
                  "encoder_padding_mask": np.array([[1, 1, 1, 0]]),
                  "decoder_token_ids": np.array([[1, 8, 9]]),
                  "decoder_padding_mask": np.array([[1, 1, 1]])}).shape  # (1, 3, 32)
    """

    def __init__(
        self,
        vocabulary_size,
        num_encoder_layers,
        num_decoder_layers,
        hidden_dim,
        num_heads,
        intermediate_dim,
        max_sequence_length=512,
        encoder_vocabulary_size=None,
        decoder_vocabulary_size=None,
        share_embeddings=True,
        position_encoding="sinusoidal",
        scale_embeddings=True,
        norm_first=True,
        norm_epsilon=1e-5,
        dropout=0.1,
        attention_dropout=0.0,
        activation="relu",
        embeddings_norm=False,
        dtype=None,
        **kwargs,
    ):
        encoder_size, decoder_size = _vocabulary_sizes(
            vocabulary_size, encoder_vocabulary_size, decoder_vocabulary_size, share_embeddings
        )
        require_positive_int("num_encoder_layers", num_encoder_layers)
        require_positive_int("num_decoder_layers", num_decoder_layers)
        require_positive_int("hidden_dim", hidden_dim)
        require_positive_int("num_heads", num_heads)
        require_positive_int("intermediate_dim", intermediate_dim)
        require_positive_int("max_sequence_length", max_sequence_length)
        require_choice("position_encoding", position_encoding, POSITION_ENCODINGS)
        require_positive_number("norm_epsilon", norm_epsilon)
        require_rate("dropout", dropout)
        require_rate("attention_dropout", attention_dropout)
        require_choice("activation", activation, ACTIVATIONS)
        if hidden_dim % num_heads:
            raise ValueError(f"`num_heads` must divide `hidden_dim`={hidden_dim}. Received: num_heads={num_heads!r}")

        # === Layers ===
        # Locals, assigned to `self` after `super().__init__()`: torch modules refuse attributes before it.
        def token_embedding(size, name):
            initializer = keras.initializers.RandomNormal(stddev=hidden_dim**-0.5)
            return TokenEmbedding(size, hidden_dim, embeddings_initializer=initializer, dtype=dtype, name=name)

        def block_kwargs(prefix, i):
            return {
                "num_heads": num_heads,
                "intermediate_dim": intermediate_dim,
                "activation": activation,
                "dropout": dropout,
                "attention_dropout": attention_dropout,
                "norm_epsilon": norm_epsilon,
                "norm_first": norm_first,
                "dtype": dtype,
                "name": f"{prefix}_block_{i}",
            }

        if share_embeddings:
            encoder_token_embedding = decoder_token_embedding = token_embedding(encoder_size, "token_embedding")
        else:
            encoder_token_embedding = token_embedding(encoder_size, "encoder_token_embedding")
            decoder_token_embedding = token_embedding(decoder_size, "decoder_token_embedding")
        encoder_position_encoding = _position_encoding(
            position_encoding, max_sequence_length, hidden_dim, dtype, "encoder_position_encoding"
        )
        decoder_position_encoding = _position_encoding(
            position_encoding, max_sequence_length, hidden_dim, dtype, "decoder_position_encoding"
        )
        encoder_embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="encoder_embeddings_dropout")
        decoder_embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="decoder_embeddings_dropout")
        encoder_blocks = [TransformerEncoderBlock(**block_kwargs("encoder", i)) for i in range(num_encoder_layers)]
        decoder_blocks = [
            TransformerDecoderBlock(use_cross_attention=True, **block_kwargs("decoder", i))
            for i in range(num_decoder_layers)
        ]
        encoder_final_norm = LayerNorm(norm_epsilon, dtype=dtype, name="encoder_final_norm") if norm_first else None
        decoder_final_norm = LayerNorm(norm_epsilon, dtype=dtype, name="decoder_final_norm") if norm_first else None
        embeddings_scale = math.sqrt(hidden_dim) if scale_embeddings else 1.0
        encoder_embeddings_norm = decoder_embeddings_norm = None
        if embeddings_norm:
            encoder_embeddings_norm = LayerNorm(norm_epsilon, dtype=dtype, name="encoder_embeddings_norm")
            decoder_embeddings_norm = LayerNorm(norm_epsilon, dtype=dtype, name="decoder_embeddings_norm")

        # === Functional Model ===
        inputs = {
            name: keras.Input(shape=(None,), dtype="int32", name=name)
            for name in ("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")
        }
        encoder_outputs = _encode(
            _embed(
                inputs["encoder_token_ids"],
                encoder_token_embedding,
                encoder_position_encoding,
                embeddings_scale,
                encoder_embeddings_norm,
                encoder_embeddings_dropout,
            ),
            inputs["encoder_padding_mask"],
            encoder_blocks,
            encoder_final_norm,
        )
        x = _embed(
            inputs["decoder_token_ids"],
            decoder_token_embedding,
            decoder_position_encoding,
            embeddings_scale,
            decoder_embeddings_norm,
            decoder_embeddings_dropout,
        )
        for block in decoder_blocks:
            x = block(
                x,
                encoder_outputs,
                decoder_padding_mask=inputs["decoder_padding_mask"],
                encoder_padding_mask=inputs["encoder_padding_mask"],
            )
        if decoder_final_norm is not None:
            x = decoder_final_norm(x)
        super().__init__(inputs=inputs, outputs=x, dtype=dtype, **kwargs)
        self.encoder_token_embedding = encoder_token_embedding
        self.decoder_token_embedding = decoder_token_embedding
        self.encoder_position_encoding = encoder_position_encoding
        self.decoder_position_encoding = decoder_position_encoding
        self.encoder_embeddings_dropout = encoder_embeddings_dropout
        self.decoder_embeddings_dropout = decoder_embeddings_dropout
        self.encoder_blocks = encoder_blocks
        self.decoder_blocks = decoder_blocks
        self.encoder_final_norm = encoder_final_norm
        self.decoder_final_norm = decoder_final_norm
        self.embeddings_scale = embeddings_scale
        self.encoder_embeddings_norm = encoder_embeddings_norm
        self.decoder_embeddings_norm = decoder_embeddings_norm

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_encoder_layers = num_encoder_layers
        self.num_decoder_layers = num_decoder_layers
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.max_sequence_length = max_sequence_length
        self.encoder_vocabulary_size = encoder_vocabulary_size
        self.decoder_vocabulary_size = decoder_vocabulary_size
        self.share_embeddings = share_embeddings
        self.position_encoding = position_encoding
        self.scale_embeddings = scale_embeddings
        self.norm_first = norm_first
        self.norm_epsilon = norm_epsilon
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation = activation
        self.embeddings_norm = embeddings_norm

    @property
    def head_dim(self):
        return self.hidden_dim // self.num_heads

    def with_encoder_outputs(self):
        """A model sharing this backbone's layers that returns `(decoder hidden states, encoder outputs)`.

        For task heads that read the source too (copy attention), without running the encoder twice.
        """
        encoder_outputs = (self.encoder_final_norm or self.encoder_blocks[-1]).output
        return keras.Model(self.input, [self.output, encoder_outputs], name=f"{self.name}_with_encoder_outputs")

    def encode(self, encoder_token_ids, encoder_padding_mask=None, training=None):
        """Encoder outputs `(batch, source_length, hidden_dim)`; padding defaults to `ids != 0`."""
        if encoder_padding_mask is None:
            encoder_padding_mask = ops.not_equal(encoder_token_ids, 0)
        x = _embed(
            encoder_token_ids,
            self.encoder_token_embedding,
            self.encoder_position_encoding,
            self.embeddings_scale,
            self.encoder_embeddings_norm,
            self.encoder_embeddings_dropout,
            training=training,
        )
        return _encode(x, encoder_padding_mask, self.encoder_blocks, self.encoder_final_norm, training=training)

    def embed_decoder_tokens(self, decoder_token_ids, start_index=0, training=None):
        """The decoder blocks' input for tokens at positions `start_index, start_index + 1, ...`."""
        return _embed(
            decoder_token_ids,
            self.decoder_token_embedding,
            self.decoder_position_encoding,
            self.embeddings_scale,
            self.decoder_embeddings_norm,
            self.decoder_embeddings_dropout,
            start_index=start_index,
            training=training,
        )

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "num_encoder_layers": self.num_encoder_layers,
            "num_decoder_layers": self.num_decoder_layers,
            "hidden_dim": self.hidden_dim,
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "max_sequence_length": self.max_sequence_length,
            "encoder_vocabulary_size": self.encoder_vocabulary_size,
            "decoder_vocabulary_size": self.decoder_vocabulary_size,
            "share_embeddings": self.share_embeddings,
            "position_encoding": self.position_encoding,
            "scale_embeddings": self.scale_embeddings,
            "norm_first": self.norm_first,
            "norm_epsilon": self.norm_epsilon,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "activation": self.activation,
            "embeddings_norm": self.embeddings_norm,
        }
