"""A small generated corpus and tokenizers trained on it once per test session."""

import numpy as np
import pytest

from zoo.tokenizers import train_tokenizer

SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "zu", "pe", "bri", "stan", "ol", "ex")
PUNCTUATION = (".", "!", "?", ",")


def make_sentences(count, seed):
    """`count` short sentences over 800 invented words with Zipfian frequencies.

    Most words are rare (seen fewer than 10 times), as in real corpora, which is what keeps a
    count threshold of 10 from filling a vocabulary.
    """
    rng = np.random.default_rng(0)
    words = sorted({"".join(rng.choice(SYLLABLES, size=rng.integers(1, 5))) for _ in range(1500)})[:800]
    probabilities = 1.0 / np.arange(1, len(words) + 1)
    probabilities /= probabilities.sum()
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(count):
        chosen = rng.choice(words, size=rng.integers(3, 10), p=probabilities)
        sentence = " ".join(chosen)
        sentences.append(sentence[0].upper() + sentence[1:] + rng.choice(PUNCTUATION))
    return sentences


@pytest.fixture(scope="session")
def corpus():
    return make_sentences(2000, seed=1)


@pytest.fixture(scope="session")
def held_out_sentences():
    return make_sentences(20, seed=2)


TRAINING = {
    "wordpiece": ("wordpiece", 400, {}),
    "sentencepiece_unigram": ("sentencepiece", 400, {"model_type": "unigram"}),
    "sentencepiece_bpe": ("sentencepiece", 400, {"model_type": "bpe"}),
    "byte": ("byte", None, {}),
}


@pytest.fixture(scope="session")
def tokenizers(corpus):
    """Tokenizers by name (as in `TRAINING`), each trained on `corpus` on first use."""
    return _TrainedOnFirstUse(corpus)


class _TrainedOnFirstUse(dict):
    def __init__(self, corpus):
        super().__init__()
        self.corpus = corpus

    def __missing__(self, name):
        kind, vocabulary_size, options = TRAINING[name]
        self[name] = train_tokenizer(kind, self.corpus, vocabulary_size, **options)
        return self[name]
