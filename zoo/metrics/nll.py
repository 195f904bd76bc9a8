"""`NllAccumulator`: the summed negative log-likelihood of labels under logits, over batches.

Example:

    accumulator = NllAccumulator()
    for inputs, labels, weights in batches:
        logits = keras.ops.convert_to_numpy(model(inputs))
        accumulator.add(logits, labels, weights)
    accumulator.perplexity
"""

import numpy as np

from zoo.metrics.perplexity import perplexity as token_perplexity


class NllAccumulator:
    """Accumulates `total_nll` (natural log) and `num_tokens` (the sum of weights) from batches.

    Everything is computed with NumPy in float64, so the totals do not depend on the backend or
    the model's dtype.
    """

    def __init__(self):
        self.total_nll = 0.0
        self.num_tokens = 0.0

    def add(self, logits, labels, weights=None):
        """Adds `sum(weights * -log softmax(logits)[labels])` and `sum(weights)`.

        Args:
            logits: array `(..., vocabulary_size)`, e.g. `(batch, T, V)` or `(batch, V)`.
            labels: integer array `logits.shape[:-1]` of class ids in `[0, V)`.
            weights: array `logits.shape[:-1]`, 1 for positions that count and 0 for padding
                (whose logits and labels are ignored, so a label may be -100 or any filler);
                `None` counts every position.
        """
        logits = np.asarray(logits, dtype=np.float64)
        labels = np.asarray(labels)
        weights = np.ones(labels.shape) if weights is None else np.asarray(weights, dtype=np.float64)
        _check_shapes(logits, labels, weights)
        counted = weights > 0
        vocabulary_size = logits.shape[-1]
        out_of_range = counted & ((labels < 0) | (labels >= vocabulary_size))
        if out_of_range.any():
            raise ValueError(
                f"`labels` must be in [0, {vocabulary_size}) where weights > 0. "
                f"Received: labels={int(labels[out_of_range][0])!r}"
            )
        # Padded positions may hold anything (-inf or nan logits, a -100 label): replace them
        # with a harmless 0, whose weight 0 then removes it from the sum.
        logits = np.where(counted[..., None], logits, 0.0)
        labels = np.where(counted, labels, 0)
        label_logits = np.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
        nll = _logsumexp(logits) - label_logits
        self.total_nll += float((weights * nll).sum())
        self.num_tokens += float(weights.sum())

    @property
    def mean_nll(self):
        """`total_nll / num_tokens`: the mean cross-entropy per counted token."""
        self._require_tokens()
        return self.total_nll / self.num_tokens

    @property
    def perplexity(self):
        """`exp(mean_nll)`, `inf` when that overflows."""
        self._require_tokens()
        return token_perplexity(self.total_nll, self.num_tokens)

    def _require_tokens(self):
        if not self.num_tokens > 0:
            raise ValueError(
                f"No tokens were added: call `add` with weights > 0 first. Received: num_tokens={self.num_tokens!r}"
            )


def _check_shapes(logits, labels, weights):
    if logits.ndim < 2 or labels.shape != logits.shape[:-1] or weights.shape != labels.shape:
        raise ValueError(
            "`logits` must be (..., vocabulary_size) and `labels`, `weights` its leading shape. "
            f"Received: logits.shape={logits.shape}, labels.shape={labels.shape}, "
            f"weights.shape={weights.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"`labels` must be integer class ids. Received: labels.dtype={labels.dtype}")
    if (weights < 0).any():
        raise ValueError(f"`weights` must be non-negative. Received: min(weights)={float(weights.min())!r}")


def _logsumexp(logits):
    # Hand-written because NumPy has none and SciPy is not a dependency. Subtracting the row
    # maximum keeps exp() from overflowing, so logits of 1e4 give a finite result.
    maximum = logits.max(axis=-1, keepdims=True)
    return (maximum + np.log(np.exp(logits - maximum).sum(axis=-1, keepdims=True)))[..., 0]
