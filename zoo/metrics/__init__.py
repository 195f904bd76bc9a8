"""The metrics the recipes write to metrics.json, in plain Python and NumPy (no Keras import).

Names and scales:

- `accuracy`, `macro_f1`: classification, 0-1.
- `bleu`, `chrf`: sacrebleu corpus BLEU (13a) and chrF2, 0-100.
- `rouge1`, `rouge2`, `rougeL`: rouge-score F-measure with stemming, mean over examples, 0-1.
- `perplexity`: exp of the mean negative log-likelihood per token (`NllAccumulator` sums it).
- `word_perplexity`: the same total spread over whitespace words plus one end-of-line per line.
- `tokenizer_round_trip_bleu` (0-100), `tokenizer_round_trip_exact` (0-1): how much of the
  references a generation task is scored against survives `detokenize(tokenize(text))`.

Example:

    from zoo.metrics import classification_metrics, translation_metrics
    metrics = classification_metrics(labels, predictions)  # {"accuracy": ..., "macro_f1": ...}
    metrics = translation_metrics(hypotheses, references)  # {"bleu": ..., "chrf": ...}
"""

from zoo.metrics.classification import accuracy, classification_metrics, macro_f1
from zoo.metrics.generation import bleu, chrf, rouge, summarization_metrics, translation_metrics
from zoo.metrics.nll import NllAccumulator
from zoo.metrics.perplexity import count_words, perplexity, word_perplexity
from zoo.metrics.round_trip import is_lossy, tokenizer_round_trip

__all__ = [
    "NllAccumulator",
    "accuracy",
    "bleu",
    "chrf",
    "classification_metrics",
    "count_words",
    "is_lossy",
    "macro_f1",
    "perplexity",
    "rouge",
    "summarization_metrics",
    "tokenizer_round_trip",
    "translation_metrics",
    "word_perplexity",
]
