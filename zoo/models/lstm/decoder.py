"""The decoder side of the LSTM seq2seq: the encoder-to-decoder state bridge and the attention decoder."""

import keras
from keras import ops

from zoo.layers.copy_generator import CopyGenerator
from zoo.layers.initializers import clone_initializer
from zoo.layers.seq2seq_attention import BahdanauAttention, LuongAttention
from zoo.models.lstm.backbone import lstm_token_embedding
from zoo.validation import require_choice, require_positive_int, require_rate

ATTENTIONS = ("bahdanau", "luong", "none")


@keras.saving.register_keras_serializable(package="zoo")
class LSTMStateBridge(keras.layers.Layer):
    """Initial states of a stacked LSTM decoder from an encoder's final states.

    `hidden = tanh(W_h [h_fwd; h_bwd] + b_h)` and `cell = W_c [c_fwd; c_bwd] + b_c` (cell states
    are unbounded, so no squashing), each reshaped to one `hidden_dim` state per decoder layer.
    Call arguments: `final_hidden` and `final_cell` `(batch, encoder_dim)`. Returns
    `(hidden, cell)`, each `(batch, num_layers, hidden_dim)` (batch first, as decoding states are).

    Args:
        num_layers: number of decoder layers.
        hidden_dim: units of each decoder LSTM.
        kernel_initializer: initializer of `W_h` and `W_c`.

    Example:

        bridge = LSTMStateBridge(num_layers=2, hidden_dim=8)
        hidden, cell = bridge(keras.random.normal((3, 16)), keras.random.normal((3, 16)))
        hidden.shape, cell.shape  # ((3, 2, 8), (3, 2, 8))
    """

    def __init__(self, num_layers, hidden_dim, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.num_layers = require_positive_int("num_layers", num_layers)
        self.hidden_dim = require_positive_int("hidden_dim", hidden_dim)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def _dense(self, activation, name):
        return keras.layers.Dense(
            self.num_layers * self.hidden_dim,
            activation=activation,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, final_hidden_shape, final_cell_shape):
        self.hidden_dense = self._dense("tanh", "hidden_dense")
        self.hidden_dense.build(final_hidden_shape)
        self.cell_dense = self._dense(None, "cell_dense")
        self.cell_dense.build(final_cell_shape)

    def call(self, final_hidden, final_cell):
        per_layer = (-1, self.num_layers, self.hidden_dim)
        hidden = ops.reshape(self.hidden_dense(final_hidden), per_layer)
        return hidden, ops.reshape(self.cell_dense(final_cell), per_layer)

    def compute_output_shape(self, final_hidden_shape, final_cell_shape):
        shape = (final_hidden_shape[0], self.num_layers, self.hidden_dim)
        return shape, shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_layers": self.num_layers,
                "hidden_dim": self.hidden_dim,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="zoo")
class LSTMDecoder(keras.layers.Layer):
    """Stacked LSTM decoder with attention after the LSTM, so teacher forcing runs all steps at once.

    For target tokens `y` and decoder states: `h_t = LSTM(embed(y_t), h_{t-1})` (stacked), then
    with attention `a_t = attend(h_t, encoder_outputs)` and `h~_t = tanh(W_c [a_t; h_t])`, and
    `logits_t = W_o h~_t + b_o` (`h~_t = h_t` with `attention="none"`). This is Luong et al.'s
    (2015) global attention without input feeding, for both scores: "luong" uses the "general"
    score `h_t^T W h_j`, "bahdanau" the additive score `v^T tanh(W_q h_t + W_k h_j + b)` with the
    current top LSTM output `h_t` as the query (as TensorFlow's NMT tutorial does) instead of
    Bahdanau's previous state feeding the context into the LSTM. Why: then the attention never
    feeds back into the recurrence, so the LSTM runs over every target step in one call while
    training, and one step at a time while decoding gives the same numbers. `attention="none"`
    is the Sutskever et al. (2014) baseline: the encoder reaches the decoder only through the
    initial states.

    Call arguments: `token_ids` `(batch, T)` int; `hidden_state`, `cell_state` `(batch,
    num_layers, hidden_dim)` before the first token; `encoder_outputs` `(batch, T_s, D)` and
    `encoder_padding_mask` `(batch, T_s)` (needed unless `attention="none"`); optional
    `attention_keys` from `precompute_keys(encoder_outputs)`; optional `padding_mask` `(batch, T)`
    of the target (a padded step leaves the states unchanged). Returns `(logits, hidden_state,
    cell_state)`: logits `(batch, T, vocabulary_size)` in the compute dtype and the states after
    the last step. With `copy_attention` the call also takes `encoder_token_ids` (and optional
    `copy_keys` from `precompute_copy_keys`), and the logits are the float32 log-probabilities
    of `zoo.layers.CopyGenerator`'s generate-or-copy mixture, queried by `h~_t`.

    Args:
        vocabulary_size: number of target token ids.
        embedding_dim: width of the target token embeddings.
        hidden_dim: units of each decoder LSTM (and of the Bahdanau scoring network).
        num_layers: number of stacked LSTM layers.
        attention: "luong", "bahdanau" or "none".
        dropout: dropout rate on the input of every LSTM layer and before the output projection.
        copy_attention: mix in copying source tokens (pointer-generator); needs attention and one
            vocabulary for source and target.

    Example:

        decoder = LSTMDecoder(vocabulary_size=50, embedding_dim=8, hidden_dim=16, attention="luong")
        state = keras.ops.zeros((2, 1, 16))
        logits, hidden, cell = decoder(
            np.array([[3, 4, 5], [6, 7, 0]]), state, state,
            encoder_outputs=keras.random.normal((2, 4, 32)), encoder_padding_mask=np.ones((2, 4)))
        logits.shape, hidden.shape  # ((2, 3, 50), (2, 1, 16))
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        hidden_dim,
        num_layers=1,
        attention="luong",
        dropout=0.0,
        copy_attention=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = require_positive_int("vocabulary_size", vocabulary_size)
        self.embedding_dim = require_positive_int("embedding_dim", embedding_dim)
        self.hidden_dim = require_positive_int("hidden_dim", hidden_dim)
        self.num_layers = require_positive_int("num_layers", num_layers)
        self.attention = require_choice("attention", attention, ATTENTIONS)
        self.dropout = require_rate("dropout", dropout)
        if copy_attention and attention == "none":
            raise ValueError('`copy_attention=True` reads the encoder outputs, which attention="none" does not keep.')
        self.copy_attention = bool(copy_attention)

    def build(self, token_ids_shape, hidden_state_shape=None, cell_state_shape=None, encoder_outputs_shape=None):
        batch, length = token_ids_shape[0], token_ids_shape[1]
        self.token_embedding = lstm_token_embedding(
            self.vocabulary_size, self.embedding_dim, self.dtype_policy, "token_embedding"
        )
        self.token_embedding.build(token_ids_shape)
        self.dropouts, self.lstm_layers = [], []
        input_dim = self.embedding_dim
        for i in range(self.num_layers):
            self.dropouts.append(keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name=f"dropout_{i}"))
            lstm = keras.layers.LSTM(
                self.hidden_dim, return_sequences=True, return_state=True, dtype=self.dtype_policy, name=f"lstm_{i}"
            )
            lstm.build((batch, length, input_dim))
            self.lstm_layers.append(lstm)
            input_dim = self.hidden_dim
        hidden_shape = (batch, length, self.hidden_dim)
        if self.attention != "none":
            if encoder_outputs_shape is None:
                raise ValueError(f'LSTMDecoder(attention="{self.attention}") needs `encoder_outputs`.')
            if self.attention == "luong":
                self.attention_layer = LuongAttention(score="general", dtype=self.dtype_policy, name="attention")
            else:
                self.attention_layer = BahdanauAttention(self.hidden_dim, dtype=self.dtype_policy, name="attention")
            self.attention_layer.build(hidden_shape, encoder_outputs_shape)
            self.attention_projection = keras.layers.Dense(
                self.hidden_dim, activation="tanh", use_bias=False, dtype=self.dtype_policy, name="attention_projection"
            )
            self.attention_projection.build((batch, length, encoder_outputs_shape[-1] + self.hidden_dim))
        self.output_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name="output_dropout")
        self.output_projection = keras.layers.Dense(
            self.vocabulary_size, dtype=self.dtype_policy, name="output_projection"
        )
        self.output_projection.build(hidden_shape)
        if self.copy_attention:
            self.copy_generator = CopyGenerator(self.hidden_dim, dtype=self.dtype_policy, name="copy_generator")
            self.copy_generator.build(
                hidden_shape,
                (batch, length, self.vocabulary_size),
                encoder_outputs_shape,
                encoder_outputs_shape[:2],
                encoder_outputs_shape[:2],
            )

    def precompute_keys(self, encoder_outputs):
        """The attention keys of `encoder_outputs`, computed once per source for step-by-step decoding."""
        return self.attention_layer.precompute_keys(encoder_outputs)

    def precompute_copy_keys(self, encoder_outputs):
        """The copy attention's keys of `encoder_outputs` (with `copy_attention`), computed once per source."""
        return self.copy_generator.project_keys(encoder_outputs)

    def call(
        self,
        token_ids,
        hidden_state,
        cell_state,
        encoder_outputs=None,
        encoder_padding_mask=None,
        attention_keys=None,
        padding_mask=None,
        encoder_token_ids=None,
        copy_keys=None,
        training=None,
    ):
        mask = None if padding_mask is None else ops.cast(padding_mask, "bool")
        x = self.token_embedding(token_ids)
        hidden_states, cell_states = [], []
        for i, (dropout, lstm) in enumerate(zip(self.dropouts, self.lstm_layers)):
            initial_state = [hidden_state[:, i], cell_state[:, i]]
            x = dropout(x, training=training)
            x, hidden, cell = lstm(x, initial_state=initial_state, mask=mask, training=training)
            hidden_states.append(hidden)
            cell_states.append(cell)
        if self.attention != "none":
            context = self.attention_layer(x, encoder_outputs, keys=attention_keys, values_mask=encoder_padding_mask)
            x = self.attention_projection(ops.concatenate([context, x], axis=-1))
        logits = self.output_projection(self.output_dropout(x, training=training))
        if self.copy_attention:
            if encoder_token_ids is None:
                raise ValueError("LSTMDecoder(copy_attention=True) needs `encoder_token_ids`, the ids it copies.")
            if copy_keys is None:
                copy_keys = self.copy_generator.project_keys(encoder_outputs)
            logits = self.copy_generator.mix(
                x, logits, copy_keys, encoder_outputs, encoder_token_ids, encoder_padding_mask
            )
        return logits, ops.stack(hidden_states, axis=1), ops.stack(cell_states, axis=1)

    def compute_output_shape(
        self, token_ids_shape, hidden_state_shape=None, cell_state_shape=None, encoder_outputs_shape=None
    ):
        batch, length = token_ids_shape[0], token_ids_shape[1]
        state_shape = (batch, self.num_layers, self.hidden_dim)
        return (batch, length, self.vocabulary_size), state_shape, state_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "hidden_dim": self.hidden_dim,
                "num_layers": self.num_layers,
                "attention": self.attention,
                "dropout": self.dropout,
                "copy_attention": self.copy_attention,
            }
        )
        return config
