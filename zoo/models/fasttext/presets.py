"""Named sizes of the fastText family: embedding width and bigram buckets.

`PRESETS[size]` holds the `FastTextClassifier` arguments besides the vocabulary and class counts;
`classifier_config` adds them.
"""

PRESETS = {
    "tiny": {"embedding_dim": 16, "num_bigram_buckets": 4096, "dropout": 0.0},
    "small": {"embedding_dim": 64, "num_bigram_buckets": 262_144, "dropout": 0.0},
    "base": {"embedding_dim": 128, "num_bigram_buckets": 1_048_576, "dropout": 0.0},
}


def classifier_config(size, vocabulary_size, num_classes):
    """`FastTextClassifier` arguments of a named size, e.g. `classifier_config("small", 8000, 2)`."""
    return {"vocabulary_size": vocabulary_size, "num_classes": num_classes, **PRESETS[size]}
