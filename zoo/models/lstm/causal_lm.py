"""LSTM causal language model: next-token logits over a unidirectional LSTM stack, plus the decoding protocol."""

import keras
from keras import ops

from zoo.models.functional_model import sparse_cross_entropy, token_inputs
from zoo.models.lstm.backbone import LSTMTask
from zoo.validation import require_rate


def shared_prompt_mask(token_ids):
    """`(batch, T)` bool: True on the leading columns where every row still holds a real id (not 0).

    Example: `shared_prompt_mask([[5, 6, 7], [8, 9, 0]])` is True on the first two columns only.
    """
    every_row_real = ops.all(ops.not_equal(token_ids, 0), axis=0)
    leading = ops.cast(ops.cumprod(ops.cast(every_row_real, "int32")), "bool")
    return ops.broadcast_to(leading[None, :], ops.shape(token_ids))


def vocabulary_logits(sequence, token_embedding, output_projection, lm_head):
    """float32 logits of LSTM outputs: through `lm_head`, or projected and through the tied embedding."""
    if lm_head is not None:
        return ops.cast(lm_head(sequence), "float32")
    if output_projection is not None:
        sequence = output_projection(sequence)
    return ops.cast(token_embedding(sequence, reverse=True), "float32")


@keras.saving.register_keras_serializable(package="zoo")
class LSTMCausalLM(LSTMTask):
    """Next-token prediction with a unidirectional `LSTMBackbone` (Zaremba et al., 2014; tied as Press & Wolf, 2016).

    Inputs are `{"token_ids": (batch, T) int32, "padding_mask": (batch, T)}`; the output is
    float32 logits `(batch, T, vocabulary_size)`: position `t` predicts token `t + 1`. Padding
    is masked out of every LSTM layer (a padded step leaves the state unchanged), so logits at
    real positions do not depend on it. Dropout acts on the top layer's outputs (the backbone's
    own on the input of every LSTM layer). With `tie_embeddings` the logits go through the token
    embedding (`h @ E^T`), after a linear projection to `embedding_dim` (no bias) when `hidden_dim`
    differs; otherwise through a separate dense layer `lm_head`. Train with `fit(x, y, sample_weight)`
    from `zoo.models.gpt.next_token_batch`; `compile()` with no arguments uses AdamW (1e-3),
    cross-entropy on the logits averaged over the sample weights, and weighted accuracy.
    `from_backbone_arguments` builds the backbone and the model in one call.

    Decoding (the protocol of `zoo.generation`): `init_decoding_state(batch_size, max_length)`
    returns zero `{"hidden", "cell"}` states `(batch, num_layers, hidden_dim)` (batch first).
    `decode_step(token_ids, state, index)` feeds `token_ids` `(batch, T)` from `state` and returns
    float32 logits `(batch, T, vocabulary_size)` and the state after the fed tokens. An RNN state
    cannot be rewound, and `generate` re-feeds every position from the shortest prompt's length
    on (forcing the longer prompts' tokens), so a chunk of `T > 1` tokens (the prompt prefill,
    right-padded with id 0) advances the state only over its leading columns that no row pads:
    logits there are exact, later columns are not meant to be read. A single token always advances.

    Args:
        backbone: a unidirectional `LSTMBackbone` (`bidirectional=False`).
        dropout: dropout rate on the top layer's outputs.
        tie_embeddings: whether the output layer reuses the token embedding table.

    Example:

        backbone = LSTMBackbone(vocabulary_size=100, embedding_dim=16, hidden_dim=32, bidirectional=False)
        lm = LSTMCausalLM(backbone)
        lm({"token_ids": np.array([[5, 6, 7]]), "padding_mask": np.array([[1, 1, 1]])}).shape  # (1, 3, 100)
        logits, state = lm.decode_step(np.array([[5]]), lm.init_decoding_state(1, 8), 0)
        logits.shape, state["hidden"].shape  # ((1, 1, 100), (1, 1, 32))
    """

    bidirectional_backbone = False  # a causal LM reads left to right

    def __init__(self, backbone, dropout=0.0, tie_embeddings=True, **kwargs):
        require_rate("dropout", dropout)
        if not isinstance(tie_embeddings, bool):
            raise ValueError(f"`tie_embeddings` must be True or False. Received: tie_embeddings={tie_embeddings!r}")
        if backbone.bidirectional:
            raise ValueError(
                "A causal LM reads left to right: its `LSTMBackbone` needs `bidirectional=False`. "
                f"Received: a backbone with bidirectional={backbone.bidirectional}"
            )
        kwargs.setdefault("dtype", backbone.dtype_policy)

        # === Layers ===
        dtype = backbone.dtype_policy
        output_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="output_dropout")
        output_projection = lm_head = None
        if not tie_embeddings:
            lm_head = keras.layers.Dense(backbone.vocabulary_size, dtype=dtype, name="lm_head")
        elif backbone.hidden_dim != backbone.embedding_dim:
            output_projection = keras.layers.Dense(
                backbone.embedding_dim, use_bias=False, dtype=dtype, name="output_projection"
            )

        # === Functional Model ===
        inputs = token_inputs()
        sequence = output_dropout(backbone(inputs)["sequence_output"])
        logits = vocabulary_logits(sequence, backbone.token_embedding, output_projection, lm_head)
        super().__init__(backbone, inputs=inputs, outputs=logits, **kwargs)

        # === Config ===
        self.dropout = dropout
        self.tie_embeddings = tie_embeddings
        self.output_projection = output_projection
        self.lm_head = lm_head

    def init_decoding_state(self, batch_size, max_length):
        """Zero states; `max_length` is unused: the LSTM state has no per-position cache."""
        shape = (batch_size, self.backbone.num_layers, self.backbone.hidden_dim)
        zeros = ops.zeros(shape, dtype=self.backbone.compute_dtype)
        return {"hidden": zeros, "cell": zeros}

    def decode_step(self, token_ids, state, index):
        """Logits after `token_ids` `(batch, T)` and the new state; `index` is unused (the state holds the position)."""
        backbone = self.backbone
        mask = shared_prompt_mask(token_ids) if token_ids.shape[1] > 1 else None
        x = backbone.token_embedding(token_ids)
        hidden_states, cell_states = [], []
        for i, lstm in enumerate(backbone.lstm_layers):
            initial_state = [state["hidden"][:, i], state["cell"][:, i]]
            x, hidden, cell = lstm(x, initial_state=initial_state, mask=mask, training=False)
            hidden_states.append(hidden)
            cell_states.append(cell)
        logits = vocabulary_logits(x, backbone.token_embedding, self.output_projection, self.lm_head)
        return logits, {"hidden": ops.stack(hidden_states, axis=1), "cell": ops.stack(cell_states, axis=1)}

    def _default_loss(self):
        return sparse_cross_entropy()

    def get_config(self):
        return super().get_config() | {"dropout": self.dropout, "tie_embeddings": self.tie_embeddings}
