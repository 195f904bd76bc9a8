"""English-like sentences paired with their translation into an invented language.

The target language differs from English the ways real ones do, and always the same way, so
the target is a function of the source (BLEU 100 is reachable):

- its own words: a fixed lexicon maps every noun, adjective, verb, adverb and preposition to an
  invented stem (`farmer` -> `badal`), and every noun has a hidden gender (m or f);
- verb-final order (subject, place, object, adverb, verb): `the farmer sees the bird near the
  river .` -> `lo badal la lamer suner la ges ta sifiro .`, where `ta` marks the object and
  prepositions become postpositions (`la lamer suner` = `near the river`);
- adjectives follow their noun;
- agreement: determiners and adjectives take the gender and number of their noun
  (`lo`/`la`/`li`/`le`), verbs take those of their subject, which may be many words away;
- relative clauses (`ke`) keep verb-final order inside them, a `because` clause moves in front
  of the clause it explains (`porke B , A .`), and negation is `na` before the verb.

Sentences have 8-25 source tokens, long enough that a sequence-to-sequence model without
attention loses clearly to one with attention.

Example:

    make_translation(1, seed=0)[0]["target"]
    # -> 'multi davolen fibari lo badal ta mereton e alki beferen vabami este zavemen vudus guseton .'
"""

import random

from zoo.data.synthetic.grammar import random_sentence
from zoo.data.synthetic.splits import sample_split
from zoo.data.synthetic.vocabulary import (
    ADJECTIVES,
    ADVERBS,
    INTRANSITIVE_VERBS,
    NOUNS,
    PREPOSITIONS,
    TRANSITIVE_VERBS,
)

# Determiner stems; each takes the agreement vowel of its noun (`l` + `o` -> `lo`).
DETERMINER_STEMS = {
    "the": "l",
    "a": "un",
    "this": "est",
    "these": "est",
    "every": "tod",
    "some": "alk",
    "many": "mult",
}
AGREEMENT = {("m", False): "o", ("f", False): "a", ("m", True): "i", ("f", True): "e"}
VERB_AGREEMENT = {("m", False): "o", ("f", False): "a", ("m", True): "on", ("f", True): "an"}
PAST_SUFFIX = "et"
PLURAL_SUFFIX = "en"
OBJECT_MARKER = "ta"
RELATIVIZER = "ke"
NEGATION = "na"
CONJUNCTIONS = {"and": "e", "but": "ma"}
BECAUSE = "porke"


def _invent_lexicon():
    """Maps each source lemma to a unique invented stem (CVC or CVCVC), and each noun to a gender.

    A fixed seed makes the language the same for every corpus, split and seed.
    """
    rng = random.Random("zoo.data.synthetic.translation/lexicon")
    taken = set()
    lemmas = (
        [noun[0] for noun in NOUNS]
        + list(ADJECTIVES)
        + [verb[0] for verb in TRANSITIVE_VERBS + INTRANSITIVE_VERBS]
        + list(ADVERBS)
        + list(PREPOSITIONS)
    )
    stems = {}
    for lemma in lemmas:
        stem = None
        while stem is None or stem in taken or stem.endswith(PLURAL_SUFFIX):  # no form read two ways
            syllables = rng.choice((1, 2, 2))
            stem = "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(syllables))
            stem += rng.choice("lmnrs")
        taken.add(stem)
        stems[lemma] = stem
    genders = {noun[0]: rng.choice("mf") for noun in NOUNS}
    return stems, genders


STEMS, GENDERS = _invent_lexicon()


def translate(sentence):
    """The target-language tokens of a `grammar.Sentence`."""
    first = _clause(sentence.clauses[0])
    if sentence.conjunction is None:
        return first + ["."]
    second = _clause(sentence.clauses[1])
    if sentence.conjunction == "because":
        return [BECAUSE] + second + [","] + first + ["."]
    return first + [CONJUNCTIONS[sentence.conjunction]] + second + ["."]


def make_translation(num_examples=None, seed=0, split="train"):
    """`num_examples` records `{"source", "target"}` of `split` ("train", "valid" or "test")."""
    return sample_split(_pair, "translation", split, num_examples, seed)


def _pair(rng):
    sentence, tokens = random_sentence(rng)
    source = " ".join(tokens)
    return [(source, lambda: {"source": source, "target": " ".join(translate(sentence))})]


def _clause(clause):
    tokens = _noun_phrase(clause.subject)
    if clause.place:
        tokens += _noun_phrase(clause.place) + [STEMS[clause.preposition]]
    if clause.object:
        tokens += _noun_phrase(clause.object) + [OBJECT_MARKER]
    if clause.adverb:
        tokens.append(STEMS[clause.adverb])
    return tokens + _verb(clause.verb, clause.past, clause.negated, clause.subject)


def _noun_phrase(phrase):
    lemma = phrase.noun[0]
    vowel = AGREEMENT[GENDERS[lemma], phrase.plural]
    noun = STEMS[lemma] + (PLURAL_SUFFIX if phrase.plural else "")
    tokens = [DETERMINER_STEMS[phrase.determiner] + vowel, noun]
    if phrase.adjective:
        tokens.append(STEMS[phrase.adjective] + vowel)
    relative = phrase.relative
    if relative:
        tokens.append(RELATIVIZER)
        if relative.head_is_subject:
            tokens += _noun_phrase(relative.other) + [OBJECT_MARKER]
            tokens += _verb(relative.verb, relative.past, relative.negated, phrase)
        else:
            tokens += _noun_phrase(relative.other)
            tokens += _verb(relative.verb, relative.past, relative.negated, relative.other)
    return tokens


def _verb(verb, past, negated, subject):
    ending = VERB_AGREEMENT[GENDERS[subject.noun[0]], subject.plural]
    form = STEMS[verb[0]] + (PAST_SUFFIX if past else "") + ending
    return [NEGATION, form] if negated else [form]
