"""Simple baselines that the quality benchmark prints next to each trained model.

Each function takes reader rows (lists of dicts, as `zoo.data.read_*` return them), predicts
without a neural model, and scores the predictions with `zoo.metrics` on the validation rows:

- classification ({"text", "label"}): `majority_class`, `bag_of_words` (TF-IDF logistic regression).
- translation ({"source", "target"}): `copy_source`, the source sentence as the translation.
- summarization ({"source", "target"}): `lead_3`, `longest_3`, as in the SAMSum paper
  (Gliwa et al. 2019, https://aclanthology.org/D19-5409).
- language modeling ({"text"}): `unigram_lm`, an add-one smoothed word unigram model.

Keras is not imported, so the baselines run the same under every backend.

Example:

    from zoo.data import read_classification
    train = read_classification("../shared/data/imdb/train.tsv.gz")
    valid = read_classification("../shared/data/imdb/valid.tsv")
    majority_class(train, valid)  # {"accuracy": ..., "macro_f1": ...}
    bag_of_words(train, valid)    # {"accuracy": ..., "macro_f1": ...}
"""

import collections
import itertools
import math
import re

import numpy as np
import scipy.sparse  # Installed with jax, a dependency of keras-zoo.
import scipy.sparse.linalg

from zoo.metrics import (
    classification_metrics,
    count_words,
    perplexity,
    rouge,
    translation_metrics,
    word_perplexity,
)
from zoo.validation import require_positive_int

WORD = re.compile(r"\w+(?:'\w+)*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
END_OF_LINE = "\n"  # `str.split()` never yields a word containing "\n", so this cannot clash.
SELECTED_SENTENCES = 3

# Mini-batch Adam for the softmax regression. After 5 epochs, validation accuracy on IMDB / SST-2
# was 90.5% / 81.1% at this rate, 90.4% / 80.0% at 0.01 and 89.6% / 82.9% at 0.001.
BATCH_SIZE = 32
LEARNING_RATE = 0.003
ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-8


def majority_class(train_rows, valid_rows):
    """`{"accuracy", "macro_f1"}` of predicting the most frequent train label for every row.

    Ties go to the smallest label, so the result does not depend on row order.

    Example: train labels ["a", "a", "b"] predict "a" for every validation row.
    """
    train_labels = [row["label"] for row in _require_rows("train_rows", train_rows)]
    valid_labels = [row["label"] for row in _require_rows("valid_rows", valid_rows)]
    counts = collections.Counter(train_labels)
    majority = min(counts, key=lambda label: (-counts[label], label))
    return _classification_scores(train_labels, valid_labels, [majority] * len(valid_labels))


def bag_of_words(train_rows, valid_rows, *, vocabulary_size=20000, epochs=5, seed=0):
    """`{"accuracy", "macro_f1"}` of a multinomial logistic regression on TF-IDF n-grams.

    Features are the `vocabulary_size` unigrams and bigrams of `word_ngrams` found in the most
    train documents, weighted by TF-IDF and L2-normalised (`tfidf_matrix`). The weights start at
    zero and take `epochs` passes of mini-batch Adam over the train rows, shuffled by `seed`, so
    the result is deterministic for a seed. Hand-written in NumPy and scipy.sparse because
    scikit-learn is not a dependency; IMDB (20,000 reviews) takes about 10 s on 2 cores.

    Example: `bag_of_words(train_rows, valid_rows, epochs=3)["accuracy"]`.
    """
    train_rows = _require_rows("train_rows", train_rows)
    valid_rows = _require_rows("valid_rows", valid_rows)
    vocabulary_size = require_positive_int("vocabulary_size", vocabulary_size)
    epochs = require_positive_int("epochs", epochs)
    train_labels = [row["label"] for row in train_rows]
    valid_labels = [row["label"] for row in valid_rows]
    classes = sorted(set(train_labels))
    class_ids = {label: class_id for class_id, label in enumerate(classes)}
    targets = np.array([class_ids[label] for label in train_labels])

    train_documents = [word_ngrams(row["text"]) for row in train_rows]
    index, idf = fit_tfidf(train_documents, vocabulary_size)
    weights, bias = _train_softmax_regression(
        tfidf_matrix(train_documents, index, idf), targets, len(classes), epochs, seed
    )
    valid_features = tfidf_matrix([word_ngrams(row["text"]) for row in valid_rows], index, idf)
    predicted = np.argmax(valid_features @ weights + bias, axis=1)
    return _classification_scores(train_labels, valid_labels, [classes[i] for i in predicted])


def word_ngrams(text):
    """The lowercased words of `text` (letters, digits and inner apostrophes), then its bigrams.

    Example: `word_ngrams("Don't go!")` is `["don't", "go", "don't go"]`.
    """
    words = WORD.findall(text.lower())
    return words + [f"{first} {second}" for first, second in zip(words, words[1:])]


def fit_tfidf(documents, vocabulary_size):
    """`(index, idf)`: the `vocabulary_size` terms in the most documents and their IDF weights.

    `documents` are lists of terms. Terms are ordered by document frequency, ties by the term
    itself; `index` maps each kept term to its column and `idf[column]` is the smoothed
    `log((1 + n) / (1 + df)) + 1` of n documents (scikit-learn's `TfidfVectorizer` default).

    Example: `fit_tfidf([["a", "b"], ["a"]], 1)` is `({"a": 0}, array([1.]))`.
    """
    document_frequency = collections.Counter(itertools.chain.from_iterable(map(set, documents)))
    ranked = sorted(document_frequency.values(), reverse=True)
    cutoff = ranked[min(vocabulary_size, len(ranked)) - 1] if ranked else 0
    # Sorting only the terms that can make the cut is several times faster on IMDB's 1.3M n-grams.
    candidates = [item for item in document_frequency.items() if item[1] >= cutoff]
    kept = sorted(candidates, key=lambda item: (-item[1], item[0]))[:vocabulary_size]
    index = {term: column for column, (term, _) in enumerate(kept)}
    frequencies = np.array([frequency for _, frequency in kept], dtype="float64")
    return index, np.log((1 + len(documents)) / (1 + frequencies)) + 1


def tfidf_matrix(documents, index, idf):
    """A CSR matrix with one L2-normalised row of term count * `idf` per document.

    Terms outside `index` are dropped; a document with no kept term is a row of zeros.

    Example: `tfidf_matrix([["a", "a"]], {"a": 0}, np.array([1.0])).toarray()` is `[[1.0]]`.
    """
    columns = [[index[term] for term in terms if term in index] for terms in documents]
    row_starts = np.cumsum([0] + [len(row) for row in columns])
    flat_columns = np.fromiter(itertools.chain.from_iterable(columns), "int64", row_starts[-1])
    counts = scipy.sparse.csr_matrix(
        (np.ones(len(flat_columns)), flat_columns, row_starts), shape=(len(documents), len(idf))
    )
    counts.sum_duplicates()  # A term's repeats add up to its count.
    weighted = counts @ scipy.sparse.diags(idf)
    norms = scipy.sparse.linalg.norm(weighted, axis=1)
    return scipy.sparse.csr_matrix(scipy.sparse.diags(1 / np.where(norms > 0, norms, 1)) @ weighted)


def copy_source(valid_rows):
    """`{"bleu", "chrf", "rouge1", "rouge2", "rougeL"}` of each source taken as its own translation.

    Example: `copy_source([{"source": "a cat", "target": "a cat"}])["bleu"]` is 100.
    """
    valid_rows = _require_rows("valid_rows", valid_rows)
    sources = [row["source"] for row in valid_rows]
    targets = [row["target"] for row in valid_rows]
    return {**translation_metrics(sources, targets), **rouge(sources, targets)}


def lead_3(valid_rows):
    """`{"rouge1", "rouge2", "rougeL"}` of the first 3 sentences of each document as its summary.

    Example: `lead_3(read_summarization("samsum/valid.jsonl"))["rouge1"]`.
    """
    return _extractive_rouge(valid_rows, lead_sentences)


def longest_3(valid_rows):
    """`{"rouge1", "rouge2", "rougeL"}` of the 3 longest sentences, in document order, as summary.

    Example: `longest_3(read_summarization("samsum/valid.jsonl"))["rouge1"]`.
    """
    return _extractive_rouge(valid_rows, longest_sentences)


def split_sentences(document):
    """The sentences of `document`, stripped, without empty ones.

    A document with a newline is a dialogue (as in SAMSum) and each line is one utterance;
    otherwise the text is split after ".", "!" or "?" followed by whitespace.

    Example: `split_sentences("Hi. How are you?")` is `["Hi.", "How are you?"]`.
    """
    parts = document.splitlines() if "\n" in document.strip() else SENTENCE_END.split(document)
    return [part.strip() for part in parts if part.strip()]


def lead_sentences(document, count=SELECTED_SENTENCES):
    """The first `count` sentences of `document` (`split_sentences`).

    Example: `lead_sentences("A. B. C. D.")` is `["A.", "B.", "C."]`.
    """
    return split_sentences(document)[: require_positive_int("count", count)]


def longest_sentences(document, count=SELECTED_SENTENCES):
    """The `count` sentences of `document` with the most whitespace words, in document order.

    Of sentences equally long, the earlier ones are kept.

    Example: `longest_sentences("A b c. D. E f.", count=2)` is `["A b c.", "E f."]`.
    """
    count = require_positive_int("count", count)
    sentences = split_sentences(document)
    longest = sorted(range(len(sentences)), key=lambda i: (-len(sentences[i].split()), i))[:count]
    return [sentences[i] for i in sorted(longest)]


def unigram_lm(train_rows, valid_rows):
    """`{"perplexity", "word_perplexity"}` per word of an add-one smoothed unigram model.

    Each line is its whitespace words plus one end-of-line, as `zoo.metrics.count_words` counts
    them. With N train tokens over V distinct types, a type seen c times has probability
    (c + 1) / (N + V + 1) and every unseen word shares the one extra <unk> bucket,
    1 / (N + V + 1). Tokens are words, so both keys hold the same number.

    Example: train lines ["a b", "a"] and valid line ["a c"] give (3/9 * 1/9 * 3/9) ** (-1/3).
    """
    train_lines = [row["text"] for row in _require_rows("train_rows", train_rows)]
    valid_lines = [row["text"] for row in _require_rows("valid_rows", valid_rows)]
    counts = collections.Counter(token for line in train_lines for token in _line_tokens(line))
    log_denominator = math.log(sum(counts.values()) + len(counts) + 1)
    total_nll = sum(
        log_denominator - math.log(counts.get(token, 0) + 1) for line in valid_lines for token in _line_tokens(line)
    )
    return {
        "perplexity": perplexity(total_nll, count_words(valid_lines)),
        "word_perplexity": word_perplexity(total_nll, count_words(valid_lines)),
    }


def _line_tokens(line):
    return line.split() + [END_OF_LINE]


def _extractive_rouge(valid_rows, select):
    valid_rows = _require_rows("valid_rows", valid_rows)
    summaries = [" ".join(select(row["source"])) for row in valid_rows]
    return rouge(summaries, [row["target"] for row in valid_rows])


def _classification_scores(train_labels, valid_labels, predictions):
    """Scores with every train or valid label counted in macro-F1, predicted or not."""
    classes = sorted(set(train_labels) | set(valid_labels))
    return classification_metrics(valid_labels, predictions, classes)


def _train_softmax_regression(features, targets, num_classes, epochs, seed):
    """`(weights, bias)` of softmax regression fitted by mini-batch Adam from zeros."""
    rng = np.random.default_rng(seed)
    parameters = [np.zeros((features.shape[1], num_classes)), np.zeros(num_classes)]
    moments = [np.zeros_like(p) for p in parameters]
    squares = [np.zeros_like(p) for p in parameters]
    (beta1, beta2), step = ADAM_BETAS, 0
    for _ in range(epochs):
        order = rng.permutation(features.shape[0])
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            inputs = features[batch]
            logits = inputs @ parameters[0] + parameters[1]
            probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            probabilities[np.arange(len(batch)), targets[batch]] -= 1  # d(cross-entropy)/d(logits)
            errors = probabilities / len(batch)
            gradients = [inputs.T @ errors, errors.sum(axis=0)]
            step += 1
            for parameter, gradient, moment, square in zip(parameters, gradients, moments, squares):
                moment += (1 - beta1) * (gradient - moment)
                square += (1 - beta2) * (gradient**2 - square)
                mean, variance = moment / (1 - beta1**step), square / (1 - beta2**step)
                parameter -= LEARNING_RATE * mean / (np.sqrt(variance) + ADAM_EPSILON)
    return parameters


def _require_rows(name, rows):
    """Returns `rows` as a list, checked to be non-empty and not one row or string."""
    if isinstance(rows, (str, dict)):
        raise ValueError(f"`{name}` must be a list of row dicts. Received: {name}={rows!r:.100}")
    rows = list(rows)
    if not rows:
        raise ValueError(f"`{name}` must not be empty. Received: {name}={rows!r}")
    return rows
