"""Sentiment-like reviews whose label depends on word order and composition, not on word counts.

Every review is one or two opinion clauses. A clause is `SUBJECT was [not|never] [very] ADJ`
(`the old waiter was not very friendly`) or `i [did not] VERB OBJECT` (`i did not enjoy the
soup`); its polarity is the adjective's or verb's, flipped by each negation in its scope. The
label is a deterministic function of the sentence:

- one clause, maybe inside a frame that negates it (`i doubt that ...`, `it is not true that
  ...`) or not (`i think that ...`): the clause's polarity, so double negation is positive
  (`i would not say that the soup was not good`). Negation is drawn independently of the
  adjective, so a bag of words meets an XOR it cannot fit linearly;
- contrast, `A but B` / `A yet B` (B decides) and `although A , B` / `A , although B` (the
  clause without `although` decides), the two clauses having opposite polarities;
- `A and B` with both clauses of one polarity and exactly one of them negated.

Each two-clause review comes with its permutation twin, which has the same words and the
opposite label: `B but A`, the concessive moved to the other clause, or the negation moved to
the other clause of an `and`. So a bag of words is at chance on two-clause reviews (most of the
corpus) while an order-aware model can reach 100%. Labels are "positive" and "negative",
balanced; `label_noise` flips a fraction of them at random.

Example:

    make_classification(2, seed=0)
    # -> [{'text': 'a singer is never so dull .', 'label': 'positive'}, {'text': 'i am sure that this cup is so dir...
"""

import numbers
from functools import partial

from zoo.data.synthetic.grammar import english_noun_phrase, noun_phrase
from zoo.data.synthetic.splits import sample_split
from zoo.data.synthetic.vocabulary import (
    DESCRIPTIVE_ADJECTIVES,
    NEGATIVE_ADJECTIVES,
    POSITIVE_ADJECTIVES,
    pick,
)

LABELS = ("negative", "positive")
NEGATING_FRAMES = (
    "i would not say that",
    "it is not true that",
    "nobody thinks that",
    "i doubt that",
    "no one believes that",
)
AFFIRMING_FRAMES = ("i think that", "everyone says that", "it is true that", "i am sure that", "we all agree that")
NEGATORS = ("not", "never")
INTENSIFIERS = ("very", "really", "quite", "truly", "so", "extremely", "rather", "pretty")
ADVERSATIVES = ("but", "yet")
CONCESSIVES = ("although", "though", "even though")
# (base, past) of verbs that carry sentiment, by polarity.
POSITIVE_VERBS = (
    ("love", "loved"),
    ("like", "liked"),
    ("enjoy", "enjoyed"),
    ("admire", "admired"),
    ("recommend", "recommended"),
)
NEGATIVE_VERBS = (
    ("hate", "hated"),
    ("dislike", "disliked"),
    ("despise", "despised"),
    ("detest", "detested"),
    ("fear", "feared"),
)


def make_classification(num_examples=None, seed=0, split="train", label_noise=0.0):
    """`num_examples` records `{"text", "label"}` of `split` ("train", "valid" or "test")."""
    is_number = isinstance(label_noise, numbers.Real) and not isinstance(label_noise, bool)
    if not (is_number and 0 <= label_noise < 0.5):
        raise ValueError(f"`label_noise` must be a number in [0, 0.5). Received: label_noise={label_noise!r}")

    def generate(rng):
        labelled = []
        for tokens, polarity in _reviews(rng):
            text = " ".join(tokens + ["."])
            label = LABELS[(polarity > 0) ^ (rng.random() < label_noise)]
            labelled.append((text, partial(dict, text=text, label=label)))
        return labelled

    return sample_split(generate, "classification", split, num_examples, seed)


def random_review(rng):
    """The tokens of one random review (without its label), for the language-model corpus."""
    return _reviews(rng)[0][0] + ["."]


def _reviews(rng):
    """One review, or a two-clause review and its twin: a list of `(tokens, polarity)`."""
    polarity = pick(rng, (-1, 1))
    draw = rng.random()
    if draw < 0.5:
        return [_single(rng, polarity)]
    if draw < 0.85:
        return _contrast(rng, polarity)
    return _conjunction(rng, polarity)


def _single(rng, polarity):
    draw = rng.random()
    if draw < 0.25:
        return pick(rng, NEGATING_FRAMES).split() + _clause(rng, -polarity), polarity
    if draw < 0.5:
        return pick(rng, AFFIRMING_FRAMES).split() + _clause(rng, polarity), polarity
    return _clause(rng, polarity), polarity


def _contrast(rng, polarity):
    """A review whose `decisive` clause has `polarity`, the other the opposite, and its twin."""
    decisive, other = _clause(rng, polarity), _clause(rng, -polarity)
    if rng.random() < 0.5:
        adversative = pick(rng, ADVERSATIVES)
        return [(other + [adversative] + decisive, polarity), (decisive + [adversative] + other, -polarity)]
    concessive = pick(rng, CONCESSIVES).split()
    return [
        (concessive + other + [","] + decisive, polarity),
        (other + [","] + concessive + decisive, -polarity),
    ]


def _conjunction(rng, polarity):
    """`A and B`, both of `polarity`, one negated; the twin moves the negation to the other."""
    negator = pick(rng, NEGATORS)
    first, second = _copula_parts(rng, -polarity), _copula_parts(rng, polarity)
    review = _copula(*first, negator) + ["and"] + _copula(*second, None)
    twin = _copula(*first, None) + ["and"] + _copula(*second, negator)
    return [(review, polarity), (twin, -polarity)]


def _clause(rng, polarity):
    """An opinion clause of `polarity`: negated half of the time, with the sentiment word flipped."""
    negated = rng.random() < 0.5
    word_polarity = -polarity if negated else polarity
    if rng.random() < 0.7:
        return _copula(*_copula_parts(rng, word_polarity), pick(rng, NEGATORS) if negated else None)
    base, past = pick(rng, POSITIVE_VERBS if word_polarity > 0 else NEGATIVE_VERBS)
    is_past = rng.random() < 0.5
    verb = ["did" if is_past else "do", "not", base] if negated else [past if is_past else base]
    return ["i"] + verb + english_noun_phrase(noun_phrase(rng, adjectives=DESCRIPTIVE_ADJECTIVES))


def _copula_parts(rng, adjective_polarity):
    """Subject, copula, intensifier and adjective of `SUBJECT was [NEGATOR] [INTENSIFIER] ADJ`."""
    subject = noun_phrase(rng, adjectives=DESCRIPTIVE_ADJECTIVES)
    past = rng.random() < 0.5
    copula = ("were" if past else "are") if subject.plural else ("was" if past else "is")
    intensifier = pick(rng, INTENSIFIERS) if rng.random() < 0.4 else None
    adjective = pick(rng, POSITIVE_ADJECTIVES if adjective_polarity > 0 else NEGATIVE_ADJECTIVES)
    return english_noun_phrase(subject), copula, intensifier, adjective


def _copula(subject, copula, intensifier, adjective, negator):
    optional = ([negator] if negator else []) + ([intensifier] if intensifier else [])
    return subject + [copula] + optional + [adjective]
