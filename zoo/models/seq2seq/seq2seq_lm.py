"""Encoder-decoder language model: the backbone plus the output projection, and cached decoding."""

import keras
from keras import ops

from zoo.layers import CopyGenerator, LogitBias
from zoo.models.functional_model import BackboneTask
from zoo.models.kv_cache import cache_key, empty_self_attention_caches
from zoo.validation import require_positive_int


def _logits(hidden, decoder_token_embedding, output_projection, output_bias):
    """float32 logits through the tied decoder embedding, or the separate `output_projection`, plus `output_bias`."""
    if output_projection is None:
        logits = ops.cast(decoder_token_embedding(hidden, reverse=True), "float32")
    else:
        logits = ops.cast(output_projection(hidden), "float32")
    return logits if output_bias is None else output_bias(logits)


def padded_cross_entropy():
    """Cross-entropy on float32 logits averaged over real target tokens: pad id 0 is ignored."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)


@keras.saving.register_keras_serializable(package="zoo")
class Seq2SeqLM(BackboneTask):
    """Predicts each next target token from the source and the target so far (translation, summarization).

    Inputs are the backbone's dict (`"encoder_token_ids"`, `"encoder_padding_mask"`,
    `"decoder_token_ids"`, `"decoder_padding_mask"`); the decoder input is the target shifted
    right (starting with a start token). Output: float32 logits `(batch, decoder_length,
    decoder_vocabulary_size)`. Train with labels = the target ids (the decoder input shifted
    left); `compile()` with no arguments uses AdamW and a cross-entropy that ignores label 0
    (target padding), to which `sample_weight` can add weights.

    Cached decoding (the protocol of `zoo.generation`): `init_decoding_state(batch_size,
    max_length, encoder_token_ids=..., encoder_padding_mask=None)` runs the encoder once and
    returns a dict of tensors, each with the batch on axis 0 (the layout of `zoo.models.kv_cache`):
    per decoder block `i`, `"self_attention_cache_<i>"` (zeros, `(batch, 2, max_length, num_heads,
    head_dim)`) and `"cross_attention_cache_<i>"` (its encoder keys and values, `(batch, 2,
    source_length, num_heads, head_dim)`), and `"encoder_padding_mask"` `(batch, source_length)`.
    `decode_step(token_ids, state, index)` runs `token_ids` `(batch, T)`, the target tokens at
    positions `index .. index + T - 1`, through the decoder and returns `(logits, state)`:
    float32 logits `(batch, T, vocabulary)` equal to the full forward's at those positions, and
    the state with their keys and values written. Shapes never depend on `index` (which may be
    a scalar int32 tensor), so a decoding loop compiles.

    With `copy_attention` the output is the log-probability of a pointer-generator mixture
    (`zoo.layers.CopyGenerator`: generate from the vocabulary or copy a source token), still a
    valid logits tensor for the same loss and decoding; the decoding state adds
    `"encoder_outputs"`, `"copy_keys"` and `"encoder_token_ids"`.

    Args:
        backbone: a `Seq2SeqBackbone`.
        tie_output_embeddings: project to logits with the decoder's token table (transposed);
            if False, with a separate `(hidden_dim, decoder_vocabulary_size)` kernel.
        copy_attention: mix in copying from the source (summarization); needs one vocabulary
            for both sides.
        output_bias: add a learned bias to the logits (`LogitBias`; BART's `final_logits_bias`).

    Example:

        backbone = Seq2SeqBackbone(vocabulary_size=100, num_encoder_layers=2, num_decoder_layers=2,
                                   hidden_dim=32, num_heads=2, intermediate_dim=64)
        lm = Seq2SeqLM(backbone)
        x = {"encoder_token_ids": np.array([[5, 6, 7, 0]]), "encoder_padding_mask": np.array([[1, 1, 1, 0]]),
             "decoder_token_ids": np.array([[1, 8, 9]]), "decoder_padding_mask": np.array([[1, 1, 1]])}
        lm.compile()
        lm.fit(x, np.array([[8, 9, 2]]), verbose=0)
        state = lm.init_decoding_state(1, 8, encoder_token_ids=x["encoder_token_ids"])
        logits, state = lm.decode_step(np.array([[1]]), state, 0)
        logits.shape  # (1, 1, 100)
    """

    def __init__(self, backbone, tie_output_embeddings=True, copy_attention=False, output_bias=False, **kwargs):
        if copy_attention and backbone.encoder_token_embedding.vocabulary_size != (
            backbone.decoder_token_embedding.vocabulary_size
        ):
            raise ValueError(
                "`copy_attention=True` copies source ids into the output, so both sides need one vocabulary. "
                f"Received a backbone with encoder_vocabulary_size={backbone.encoder_token_embedding.vocabulary_size} "
                f"and decoder_vocabulary_size={backbone.decoder_token_embedding.vocabulary_size}"
            )
        # === Layers ===
        # Locals, assigned to `self` after `super().__init__()`: torch modules refuse attributes before it.
        copy_generator = None
        if copy_attention:
            copy_generator = CopyGenerator(backbone.hidden_dim, dtype=backbone.dtype_policy, name="copy_generator")
        output_projection = None
        if not tie_output_embeddings:
            output_projection = keras.layers.Dense(
                backbone.decoder_token_embedding.vocabulary_size,
                use_bias=False,
                kernel_initializer=keras.initializers.RandomNormal(stddev=backbone.hidden_dim**-0.5),
                dtype=backbone.dtype_policy,
                name="output_projection",
            )

        logit_bias = LogitBias(dtype=backbone.dtype_policy, name="output_bias") if output_bias else None

        # === Functional Model ===
        inputs = backbone.input
        if copy_generator is None:
            hidden = backbone(inputs)
            logits = _logits(hidden, backbone.decoder_token_embedding, output_projection, logit_bias)
        else:
            hidden, encoder_outputs = backbone.with_encoder_outputs()(inputs)
            logits = _logits(hidden, backbone.decoder_token_embedding, output_projection, logit_bias)
            logits = copy_generator(
                hidden, logits, encoder_outputs, inputs["encoder_token_ids"], inputs["encoder_padding_mask"]
            )
        super().__init__(backbone, inputs=inputs, outputs=logits, **kwargs)
        self.output_projection = output_projection
        self.copy_generator = copy_generator
        self.logit_bias = logit_bias

        # === Config ===
        self.tie_output_embeddings = tie_output_embeddings
        self.copy_attention = copy_attention
        self.output_bias = output_bias

    # `compile()` with no arguments (`Task`): AdamW at 5e-4 with the Transformer's beta_2=0.98,
    # cross-entropy over the real target tokens, no accuracy.
    default_learning_rate = 5e-4
    default_beta_2 = 0.98
    accuracy_argument = None

    def _default_loss(self):
        return padded_cross_entropy()

    def init_decoding_state(self, batch_size, max_length, encoder_token_ids, encoder_padding_mask=None):
        require_positive_int("max_length", max_length)
        backbone = self.backbone
        if backbone.position_encoding == "learned" and max_length > backbone.max_sequence_length:
            raise ValueError(
                f"`max_length` exceeds the backbone's max_sequence_length={backbone.max_sequence_length}. "
                f"Received: max_length={max_length}"
            )
        encoder_token_ids = ops.convert_to_tensor(encoder_token_ids, "int32")
        source_batch = ops.shape(encoder_token_ids)[0]
        if isinstance(source_batch, int) and source_batch != batch_size:
            raise ValueError(
                f"`batch_size` must equal the batch of `encoder_token_ids` ({source_batch}). "
                f"Received: batch_size={batch_size!r}"
            )
        if encoder_padding_mask is None:
            encoder_padding_mask = ops.not_equal(encoder_token_ids, 0)
        encoder_padding_mask = ops.cast(encoder_padding_mask, "int32")
        encoder_outputs = backbone.encode(encoder_token_ids, encoder_padding_mask, training=False)
        state = {
            cache_key("cross_attention", i): block.compute_cross_attention_cache(encoder_outputs)
            for i, block in enumerate(backbone.decoder_blocks)
        }
        state.update(
            empty_self_attention_caches(
                backbone.num_decoder_layers,
                batch_size,
                max_length,
                backbone.num_heads,
                backbone.head_dim,
                state[cache_key("cross_attention", 0)].dtype,
            ),
            encoder_padding_mask=encoder_padding_mask,
        )
        if self.copy_generator is not None:
            state.update(
                encoder_outputs=encoder_outputs,
                copy_keys=self.copy_generator.project_keys(encoder_outputs),
                encoder_token_ids=encoder_token_ids,
            )
        return state

    def decode_step(self, token_ids, state, index):
        backbone = self.backbone
        x = backbone.embed_decoder_tokens(token_ids, start_index=index, training=False)
        new_state = dict(state)
        for i, block in enumerate(backbone.decoder_blocks):
            key = cache_key("self_attention", i)
            x, new_state[key] = block(
                x,
                self_attention_cache=state[key],
                cache_update_index=index,
                cross_attention_cache=state[cache_key("cross_attention", i)],
                encoder_padding_mask=state["encoder_padding_mask"],
                training=False,
            )
        if backbone.decoder_final_norm is not None:
            x = backbone.decoder_final_norm(x)
        logits = _logits(x, backbone.decoder_token_embedding, self.output_projection, self.logit_bias)
        if self.copy_generator is not None:
            logits = self.copy_generator.mix(
                x,
                logits,
                state["copy_keys"],
                state["encoder_outputs"],
                state["encoder_token_ids"],
                state["encoder_padding_mask"],
            )
        return logits, new_state

    def get_config(self):
        return super().get_config() | {
            "tie_output_embeddings": self.tie_output_embeddings,
            "copy_attention": self.copy_attention,
            "output_bias": self.output_bias,
        }
