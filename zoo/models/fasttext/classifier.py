"""fastText-style classifier: the mean of token and hashed-bigram embeddings, then a linear head."""

import keras
from keras import ops

from zoo.layers.hashed_bigrams import MAX_TOKEN_ID, HashedBigrams
from zoo.layers.pooling import masked_pooling
from zoo.models.functional_model import token_inputs
from zoo.models.text_classifier import TextClassifier
from zoo.validation import require_non_negative_int, require_positive_int, require_rate


@keras.saving.register_keras_serializable(package="zoo")
class FastTextClassifier(TextClassifier):
    """Bag of tokens and bigrams (Joulin et al. 2017): an embedding per token id and per hashed bigram
    bucket, their mean over the real tokens and bigrams, dropout, and a dense head.

    Word order counts only through the bigrams, so the model reads thousands of tokens in the time
    an LSTM reads a few hundred; on long documents (reviews) it is a strong baseline, on short
    sentences whose meaning turns on word order (negation, contrast) sequence models do better.

    Inputs are `{"token_ids": (batch, T) int32, "padding_mask": (batch, T)}`, as for the other
    classifiers; the output is float32 logits `(batch, num_classes)`. Padding changes nothing.
    `compile()` with no arguments: see `TextClassifier`.

    Args:
        vocabulary_size: number of token ids (largest id + 1), at most `MAX_TOKEN_ID`.
        num_classes: number of labels.
        embedding_dim: width of the token and bigram embeddings.
        num_bigram_buckets: rows of the bigram embedding (0: tokens only, no bigrams).
        dropout: dropout rate on the mean embedding.
        dtype: dtype policy of the layers; the mean and the logits are float32.

    Example:

        classifier = FastTextClassifier(vocabulary_size=100, num_classes=2, embedding_dim=8, num_bigram_buckets=64)
        classifier({"token_ids": np.array([[5, 7, 9, 0]]), "padding_mask": np.array([[1, 1, 1, 0]])}).shape  # (1, 2)
    """

    def __init__(
        self,
        vocabulary_size,
        num_classes,
        embedding_dim,
        num_bigram_buckets=0,
        dropout=0.0,
        dtype=None,
        **kwargs,
    ):
        require_positive_int("vocabulary_size", vocabulary_size)
        if vocabulary_size > MAX_TOKEN_ID:
            raise ValueError(
                f"`vocabulary_size` must be at most {MAX_TOKEN_ID:,} (bigram hashing stays in int32). "
                f"Received: vocabulary_size={vocabulary_size}"
            )
        require_positive_int("num_classes", num_classes)
        require_positive_int("embedding_dim", embedding_dim)
        require_non_negative_int("num_bigram_buckets", num_bigram_buckets)
        require_rate("dropout", dropout)

        # === Layers ===
        token_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim, dtype=dtype, name="token_embedding")
        bigrams = HashedBigrams(num_bigram_buckets, name="bigrams") if num_bigram_buckets else None
        bigram_embedding = (
            keras.layers.Embedding(num_bigram_buckets, embedding_dim, dtype=dtype, name="bigram_embedding")
            if num_bigram_buckets
            else None
        )
        head_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="head_dropout")
        head = keras.layers.Dense(num_classes, dtype=dtype, name="head")

        # === Functional Model ===
        inputs = token_inputs()
        token_ids, padding_mask = inputs["token_ids"], inputs["padding_mask"]
        vectors, mask = token_embedding(token_ids), ops.cast(padding_mask, "bool")
        if bigrams is not None:  # one bag: the tokens and the bigrams side by side
            buckets, bigram_mask = bigrams(token_ids, padding_mask)
            vectors = ops.concatenate([vectors, bigram_embedding(buckets)], axis=1)
            mask = ops.concatenate([mask, bigram_mask], axis=1)
        pooled = masked_pooling(vectors, mask, "mean")
        logits = ops.cast(head(head_dropout(ops.cast(pooled, head.compute_dtype))), "float32")
        super().__init__(inputs=inputs, outputs=logits, dtype=dtype, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_classes = num_classes
        self.embedding_dim = embedding_dim
        self.num_bigram_buckets = num_bigram_buckets
        self.dropout = dropout
        self.head = head

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "num_classes": self.num_classes,
            "embedding_dim": self.embedding_dim,
            "num_bigram_buckets": self.num_bigram_buckets,
            "dropout": self.dropout,
        }
