"""LSTM backbone: a token embedding and a stack of (bidirectional) LSTM layers over the real tokens."""

import keras
from keras import ops

from zoo.layers.token_embedding import TokenEmbedding
from zoo.models.functional_model import BackboneTask, FunctionalModel, token_inputs
from zoo.validation import require_positive_int, require_rate


def lstm_token_embedding(vocabulary_size, embedding_dim, dtype, name):
    """The token embedding of the LSTM family: N(0, 1) entries, as `torch.nn.Embedding` initialises them.

    Not the Transformers' N(0, 0.02): with inputs that small, the attention decoders of
    `LSTMSeq2Seq` sat on the unigram plateau for the first 800+ steps on the embedded translation
    corpus (token accuracy 8%), while with N(0, 1) they learn from the first hundred steps.
    """
    initializer = keras.initializers.RandomNormal(stddev=1.0)
    return TokenEmbedding(vocabulary_size, embedding_dim, embeddings_initializer=initializer, dtype=dtype, name=name)


def lstm_layer(hidden_dim, bidirectional, dtype, name):
    """An LSTM returning every step and its final `[h, c]` (`[h_f, c_f, h_b, c_b]` if bidirectional)."""
    lstm = keras.layers.LSTM(hidden_dim, return_sequences=True, return_state=True, dtype=dtype, name=name)
    if not bidirectional:
        return lstm
    return keras.layers.Bidirectional(lstm, dtype=dtype, name=name)


@keras.saving.register_keras_serializable(package="zoo")
class LSTMBackbone(FunctionalModel):
    """Token embedding and `num_layers` stacked (bi)LSTM layers; padding is masked out of every layer.

    Inputs are `{"token_ids": (batch, T) int32, "padding_mask": (batch, T)}` (1 = real token).
    `padding_mask` is the Keras mask of every LSTM layer, so a padded step leaves the state
    unchanged: with right padding the forward direction ends on the last real token and the
    backward direction starts on it, whatever token ids the padding holds. Outputs are a dict:
    `"sequence_output"` `(batch, T, D)`, the top layer's outputs (zero on padding when
    bidirectional), and `"final_hidden"` / `"final_cell"` `(batch, D)`, the top layer's final
    states (forward then backward), where `D = hidden_dim * (2 if bidirectional else 1)`.

    Args:
        vocabulary_size: number of token ids (largest id + 1).
        embedding_dim: width of the token embeddings.
        hidden_dim: units of each LSTM (per direction).
        num_layers: number of stacked LSTM layers.
        bidirectional: whether each layer reads the sequence in both directions.
        dropout: dropout rate on the input of every LSTM layer.
        dtype: dtype policy of the layers (e.g. "mixed_bfloat16").

    Example:

        backbone = LSTMBackbone(vocabulary_size=100, embedding_dim=16, hidden_dim=32)
        outputs = backbone({"token_ids": np.array([[5, 7, 9, 0]]), "padding_mask": np.array([[1, 1, 1, 0]])})
        outputs["sequence_output"].shape, outputs["final_hidden"].shape  # ((1, 4, 64), (1, 64))
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        hidden_dim,
        num_layers=1,
        bidirectional=True,
        dropout=0.0,
        dtype=None,
        **kwargs,
    ):
        require_positive_int("vocabulary_size", vocabulary_size)
        require_positive_int("embedding_dim", embedding_dim)
        require_positive_int("hidden_dim", hidden_dim)
        require_positive_int("num_layers", num_layers)
        require_rate("dropout", dropout)

        # === Layers ===
        token_embedding = lstm_token_embedding(vocabulary_size, embedding_dim, dtype, "token_embedding")
        dropouts = [keras.layers.Dropout(dropout, dtype=dtype, name=f"dropout_{i}") for i in range(num_layers)]
        lstm_layers = [lstm_layer(hidden_dim, bidirectional, dtype, name=f"lstm_{i}") for i in range(num_layers)]

        # === Functional Model ===
        inputs = token_inputs()
        token_ids, padding_mask = inputs["token_ids"], inputs["padding_mask"]
        mask = ops.cast(padding_mask, "bool")
        x = token_embedding(token_ids)
        for dropout_layer, lstm in zip(dropouts, lstm_layers):
            x, *states = lstm(dropout_layer(x), mask=mask)
        hidden_states, cell_states = states[0::2], states[1::2]
        outputs = {
            "sequence_output": x,
            "final_hidden": ops.concatenate(hidden_states, axis=-1) if bidirectional else hidden_states[0],
            "final_cell": ops.concatenate(cell_states, axis=-1) if bidirectional else cell_states[0],
        }
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.token_embedding = token_embedding
        self.lstm_layers = lstm_layers

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "hidden_dim": self.hidden_dim,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
        }


class LSTMTask(BackboneTask):
    """Base of the LSTM task models: builds one on a new backbone, and reads earlier flat configs.

    `from_backbone_arguments` takes the backbone's and the task's arguments side by side (one
    `dropout` for both). Runs saved before the backbone was an argument hold exactly those:
    `from_config` rebuilds them. The weights load as they are (a `.keras` file stores the backbone
    under its class name either way). Subclasses set `backbone_name` and `bidirectional_backbone`.
    """

    backbone_name = "backbone"
    bidirectional_backbone = True

    @classmethod
    def from_backbone_arguments(
        cls,
        vocabulary_size,
        embedding_dim,
        hidden_dim,
        num_layers=1,
        bidirectional=None,
        dropout=0.0,
        dtype=None,
        **task_arguments,
    ):
        """The task on a new `LSTMBackbone` of `num_layers`; `dropout` acts in the backbone and the task.

        `bidirectional` None is the task's `bidirectional_backbone`.
        Example: `LSTMCausalLM.from_backbone_arguments(**causal_lm_config("small", vocabulary_size=8000))`.
        """
        backbone = LSTMBackbone(
            vocabulary_size,
            embedding_dim,
            hidden_dim,
            num_layers,
            bidirectional=cls.bidirectional_backbone if bidirectional is None else bidirectional,
            dropout=dropout,
            dtype=dtype,
            name=cls.backbone_name,
        )
        return cls(backbone, dropout=dropout, dtype=dtype, **task_arguments)

    @classmethod
    def from_config(cls, config):
        if "backbone" in config:
            return super().from_config(config)
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.dtype_policies.get(config["dtype"])
        return cls.from_backbone_arguments(**config)


def load_pretrained_layers(backbone, pretrained):
    """Starts `backbone` from `pretrained`, another run's `LSTMBackbone`; returns the names of the layers copied.

    The token embedding, then each LSTM layer in turn while its weights have the same shapes; a
    bidirectional layer takes a unidirectional one into its forward direction. So a classifier
    starts from a causal LM trained on in-domain text with its word vectors and first layer
    (ULMFiT, Howard and Ruder 2018, without the backward LM). `ValueError` if the embeddings differ.

    Example: `load_pretrained_layers(classifier.backbone, causal_lm.backbone)` -> `["token_embedding", "lstm_0"]`.
    """
    shape, pretrained_shape = (tuple(layer.token_embedding.embeddings.shape) for layer in (backbone, pretrained))
    if shape != pretrained_shape:
        raise ValueError(f"The pretrained token embedding is {pretrained_shape}; this model's is {shape}.")
    backbone.token_embedding.set_weights(pretrained.token_embedding.get_weights())
    copied = ["token_embedding"]
    for layer, source in zip(backbone.lstm_layers, pretrained.lstm_layers):
        target = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
        source = source.forward_layer if isinstance(source, keras.layers.Bidirectional) else source
        if [tuple(w.shape) for w in target.weights] != [tuple(w.shape) for w in source.weights]:
            break
        target.set_weights(source.get_weights())
        copied.append(layer.name)
    return copied
