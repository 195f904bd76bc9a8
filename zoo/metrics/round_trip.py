"""How much of a text survives its tokenizer: `detokenize(tokenize(text))` scored against `text`.

A generation task is scored by comparing detokenized output with raw references, so a tokenizer
that loses case, accents or spacing caps every score before the model is trained: an uncased
WordPiece gives the Multi30k German references back at BLEU 19.2, 0% exact (`benchmarks/round_trip.py`).

Example:

    tokenizer_round_trip(tokenizer, ["Zwei Männer laufen über die Straße."])
    # -> {'tokenizer_round_trip_bleu': 100.0, 'tokenizer_round_trip_exact': 1.0}
"""

from zoo.metrics.generation import bleu
from zoo.metrics.validation import require_texts

# What a tokenizer of a generation task should reach on the validation references.
LOSSLESS_BLEU = 99.0
LOSSLESS_EXACT = 0.95


def tokenizer_round_trip(tokenizer, texts):
    """`{"tokenizer_round_trip_bleu" (0-100), "tokenizer_round_trip_exact" (0-1)}` of `texts`.

    BLEU is sacrebleu's corpus BLEU of the round-tripped texts against the texts, rounded to two
    decimals; exact is the fraction given back character for character. Empty `texts` give an
    empty dict.
    """
    texts = require_texts("texts", texts)
    if not texts:
        return {}
    back = tokenizer.detokenize(tokenizer.tokenize(texts))
    return {
        "tokenizer_round_trip_bleu": round(bleu(back, texts), 2),
        "tokenizer_round_trip_exact": sum(b == t for b, t in zip(back, texts)) / len(texts),
    }


def is_lossy(round_trip):
    """Whether `tokenizer_round_trip`'s scores are below `LOSSLESS_BLEU` or `LOSSLESS_EXACT`."""
    return bool(round_trip) and (
        round_trip["tokenizer_round_trip_bleu"] < LOSSLESS_BLEU
        or round_trip["tokenizer_round_trip_exact"] < LOSSLESS_EXACT
    )
