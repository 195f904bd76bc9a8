"""A 1-layer GRU over the real tokens, its last state, a dense head."""

import keras
from keras import ops

from zoo.models.text_classifier import TextClassifier


@keras.saving.register_keras_serializable(package="zoo")
class GRUClassifier(TextClassifier):
    """Inputs `{"token_ids", "padding_mask"}` (int32 `(batch, T)`); float32 logits `(batch, num_classes)`.

    Example:

        GRUClassifier(vocabulary_size=50, num_classes=2, embedding_dim=8, hidden_dim=8)
    """

    def __init__(self, vocabulary_size, num_classes, embedding_dim, hidden_dim, dropout=0.0, dtype=None, **kwargs):
        token_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim, dtype=dtype, name="token_embedding")
        gru = keras.layers.GRU(hidden_dim, dropout=dropout, dtype=dtype, name="gru")
        head = keras.layers.Dense(num_classes, dtype=dtype, name="head")
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        padding_mask = keras.Input(shape=(None,), dtype="int32", name="padding_mask")
        state = gru(token_embedding(token_ids), mask=ops.cast(padding_mask, "bool"))
        logits = ops.cast(head(state), "float32")
        inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
        super().__init__(inputs=inputs, outputs=logits, dtype=dtype, **kwargs)
        self.vocabulary_size, self.num_classes = vocabulary_size, num_classes
        self.embedding_dim, self.hidden_dim, self.dropout = embedding_dim, hidden_dim, dropout

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "num_classes": self.num_classes,
            "embedding_dim": self.embedding_dim,
            "hidden_dim": self.hidden_dim,
            "dropout": self.dropout,
        }
