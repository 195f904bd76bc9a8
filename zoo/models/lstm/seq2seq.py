"""LSTM encoder-decoder (Sutskever et al. 2014; Luong et al. 2015) with the shared decoding protocol."""

import keras
from keras import ops

from zoo.models.lstm.backbone import LSTMTask
from zoo.models.lstm.decoder import LSTMDecoder, LSTMStateBridge
from zoo.validation import require_positive_int, require_rate


@keras.saving.register_keras_serializable(package="zoo")
class LSTMSeq2Seq(LSTMTask):
    """BiLSTM encoder, state bridge and LSTM decoder with attention, trained with teacher forcing.

    Inputs are `{"encoder_token_ids", "encoder_padding_mask", "decoder_token_ids",
    "decoder_padding_mask"}` (int32, `(batch, T_s)` and `(batch, T)`); the output is float32
    logits `(batch, T, target vocabulary)`: position `t` predicts the token after
    `decoder_token_ids[:, t]`. The encoder is the `backbone`, a bidirectional `LSTMBackbone`;
    `LSTMStateBridge` turns its top layer's final states into the decoder's initial states;
    `LSTMDecoder` (embedding and LSTMs as wide as the encoder's) runs the LSTMs and then attends
    (Luong-style global attention with a "luong" general or a "bahdanau" additive score, queried
    by the decoder LSTM's own output; see `LSTMDecoder` for why), or with `attention="none"` is
    the attention-free baseline. `compile()` with no arguments uses AdamW (1e-3), cross-entropy
    on the logits and accuracy weighted by `sample_weight`. `from_backbone_arguments` builds the
    encoder and the model in one call.

    Decoding (the protocol of `zoo.generation`): `init_decoding_state(batch_size, max_length,
    encoder_token_ids=..., encoder_padding_mask=...)` encodes the source once and returns
    `{"decoder_hidden", "decoder_cell"}` `(batch, num_decoder_layers, hidden_dim)` plus, with
    attention, `"encoder_outputs"`, the precomputed `"attention_keys"` and
    `"encoder_padding_mask"`, all batch first. `decode_step(token_ids, state, index)` feeds
    `token_ids` `(batch, T >= 1)` and returns float32 logits `(batch, T, V)` and the new state:
    the same numbers as the teacher-forced forward pass.

    Args:
        backbone: the encoder, a bidirectional `LSTMBackbone` (whose outputs are `2 * hidden_dim`).
        num_decoder_layers: number of stacked decoder LSTM layers.
        attention: "luong", "bahdanau" or "none".
        dropout: dropout rate on the input of every decoder LSTM layer and before the output projection.
        target_vocabulary_size: number of target token ids if the target has its own vocabulary
            (else the encoder's).
        copy_attention: the decoder mixes in copying source tokens (pointer-generator, see
            `LSTMDecoder`); needs attention and one vocabulary. The decoding state adds
            `"copy_keys"` and `"encoder_token_ids"`.

    Example:

        model = LSTMSeq2Seq.from_backbone_arguments(vocabulary_size=100, embedding_dim=16, hidden_dim=32)
        state = model.init_decoding_state(1, 10, encoder_token_ids=np.array([[5, 6, 7, 0]]))
        logits, state = model.decode_step(np.array([[1]]), state, 0)
        logits.shape  # (1, 1, 100)
    """

    backbone_name = "encoder"

    def __init__(
        self,
        backbone,
        num_decoder_layers=1,
        attention="luong",
        dropout=0.0,
        target_vocabulary_size=None,
        copy_attention=False,
        **kwargs,
    ):
        require_rate("dropout", dropout)
        if target_vocabulary_size is not None:
            require_positive_int("target_vocabulary_size", target_vocabulary_size)
        if not backbone.bidirectional:
            raise ValueError(
                "The encoder reads the source both ways: its `LSTMBackbone` needs `bidirectional=True`. "
                f"Received: a backbone with bidirectional={backbone.bidirectional}"
            )
        vocabulary_size, hidden_dim = backbone.vocabulary_size, backbone.hidden_dim
        if copy_attention and target_vocabulary_size not in (None, vocabulary_size):
            raise ValueError(
                "`copy_attention=True` copies source ids into the output, so both sides need one vocabulary. "
                f"Received: vocabulary_size={vocabulary_size}, target_vocabulary_size={target_vocabulary_size}"
            )
        kwargs.setdefault("dtype", backbone.dtype_policy)
        dtype = backbone.dtype_policy

        # === Layers ===
        state_bridge = LSTMStateBridge(num_decoder_layers, hidden_dim, dtype=dtype, name="state_bridge")
        decoder = LSTMDecoder(
            target_vocabulary_size or vocabulary_size,
            backbone.embedding_dim,
            hidden_dim,
            num_layers=num_decoder_layers,
            attention=attention,
            dropout=dropout,
            copy_attention=copy_attention,
            dtype=dtype,
            name="decoder",
        )

        # === Functional Model ===
        inputs = {
            name: keras.Input(shape=(None,), dtype="int32", name=name)
            for name in ("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")
        }
        encoded = backbone({"token_ids": inputs["encoder_token_ids"], "padding_mask": inputs["encoder_padding_mask"]})
        hidden_state, cell_state = state_bridge(encoded["final_hidden"], encoded["final_cell"])
        logits, _, _ = decoder(
            inputs["decoder_token_ids"],
            hidden_state,
            cell_state,
            encoder_outputs=encoded["sequence_output"],
            encoder_padding_mask=inputs["encoder_padding_mask"],
            padding_mask=inputs["decoder_padding_mask"],
            encoder_token_ids=inputs["encoder_token_ids"] if copy_attention else None,
        )
        super().__init__(backbone, inputs=inputs, outputs=ops.cast(logits, "float32"), **kwargs)

        # === Config ===
        self.num_decoder_layers = num_decoder_layers
        self.attention = attention
        self.dropout = dropout
        self.target_vocabulary_size = target_vocabulary_size
        self.copy_attention = copy_attention
        self.state_bridge = state_bridge
        self.decoder = decoder

    @classmethod
    def from_backbone_arguments(cls, vocabulary_size, embedding_dim, hidden_dim, num_encoder_layers=1, **arguments):
        """An encoder-decoder on a new bidirectional encoder of `num_encoder_layers`; `dropout` on both sides.

        Example: `LSTMSeq2Seq.from_backbone_arguments(**seq2seq_config("small", vocabulary_size=8000))`.
        """
        dims = (vocabulary_size, embedding_dim, hidden_dim, num_encoder_layers)
        return super().from_backbone_arguments(*dims, **arguments)

    def init_decoding_state(self, batch_size, max_length, encoder_token_ids, encoder_padding_mask=None):
        """Encodes the source once. `max_length` is unused: the LSTM state has no per-position cache."""
        if encoder_token_ids.shape[0] not in (None, batch_size):
            raise ValueError(
                f"`batch_size` must be the batch of `encoder_token_ids`. Received: batch_size={batch_size}, "
                f"encoder_token_ids.shape={tuple(encoder_token_ids.shape)}"
            )
        encoder_token_ids = ops.convert_to_tensor(encoder_token_ids, "int32")
        if encoder_padding_mask is None:
            encoder_padding_mask = ops.not_equal(encoder_token_ids, 0)
        encoder_padding_mask = ops.cast(encoder_padding_mask, "int32")
        encoded = self.backbone({"token_ids": encoder_token_ids, "padding_mask": encoder_padding_mask}, training=False)
        hidden_state, cell_state = self.state_bridge(encoded["final_hidden"], encoded["final_cell"])
        state = {"decoder_hidden": hidden_state, "decoder_cell": cell_state}
        if self.attention != "none":
            encoder_outputs = encoded["sequence_output"]
            state["encoder_outputs"] = encoder_outputs
            state["attention_keys"] = self.decoder.precompute_keys(encoder_outputs)
            state["encoder_padding_mask"] = encoder_padding_mask
        if self.copy_attention:
            state["copy_keys"] = self.decoder.precompute_copy_keys(encoder_outputs)
            state["encoder_token_ids"] = encoder_token_ids
        return state

    def decode_step(self, token_ids, state, index):
        """Logits after `token_ids` `(batch, T)` and the new state; `index` is unused (the state holds the position)."""
        logits, hidden_state, cell_state = self.decoder(
            token_ids,
            state["decoder_hidden"],
            state["decoder_cell"],
            encoder_outputs=state.get("encoder_outputs"),
            encoder_padding_mask=state.get("encoder_padding_mask"),
            attention_keys=state.get("attention_keys"),
            encoder_token_ids=state.get("encoder_token_ids"),
            copy_keys=state.get("copy_keys"),
            training=False,
        )
        return ops.cast(logits, "float32"), {**state, "decoder_hidden": hidden_state, "decoder_cell": cell_state}

    def get_config(self):
        return super().get_config() | {
            "num_decoder_layers": self.num_decoder_layers,
            "attention": self.attention,
            "dropout": self.dropout,
            "target_vocabulary_size": self.target_vocabulary_size,
            "copy_attention": self.copy_attention,
        }
