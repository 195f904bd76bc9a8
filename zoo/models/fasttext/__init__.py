"""fastText-style text classifier: a bag of token and hashed-bigram embeddings under a linear head.

Example:

    from zoo.models.fasttext import FastTextClassifier, classifier_config
    model = FastTextClassifier(**classifier_config("small", vocabulary_size=8000, num_classes=2))
"""

from zoo.models.fasttext.classifier import FastTextClassifier
from zoo.models.fasttext.presets import PRESETS, classifier_config

__all__ = ["PRESETS", "FastTextClassifier", "classifier_config"]
