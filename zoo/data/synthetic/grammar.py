"""A small English-like grammar: random sentence structures and their English words.

The structures (noun phrases with adjectives and relative clauses, clauses with tense, negation,
objects, prepositional phrases and adverbs, two clauses joined by a conjunction) are kept as
data, so the translation corpus can render the same structure in its target language.

Example:

    import random
    sentence, tokens = random_sentence(random.Random(0))
    tokens == english(sentence)  # True
"""

from dataclasses import dataclass

from zoo.data.synthetic.vocabulary import (
    ADJECTIVES,
    ADVERBS,
    ANIMATE_NOUNS,
    INTRANSITIVE_VERBS,
    NOUNS,
    PLURAL_DETERMINERS,
    PREPOSITIONS,
    SINGULAR_DETERMINERS,
    TRANSITIVE_VERBS,
    pick,
)

CONJUNCTIONS = ("and", "but", "because")
MIN_SENTENCE_TOKENS = 8
MAX_SENTENCE_TOKENS = 25


@dataclass
class NounPhrase:
    determiner: str
    adjective: str | None
    noun: tuple  # an entry of `NOUNS`
    plural: bool
    relative: "RelativeClause | None" = None


@dataclass
class RelativeClause:
    """`that sees the cat` (the head is the subject) or `that the cat sees` (the object)."""

    head_is_subject: bool
    verb: tuple  # an entry of `TRANSITIVE_VERBS`
    past: bool
    negated: bool
    other: NounPhrase  # the object when the head is the subject, else the subject


@dataclass
class Clause:
    subject: NounPhrase
    verb: tuple
    past: bool
    negated: bool
    object: NounPhrase | None
    preposition: str | None
    place: NounPhrase | None
    adverb: str | None


@dataclass
class Sentence:
    clauses: list
    conjunction: str | None  # one of `CONJUNCTIONS` between two clauses


def noun_phrase(rng, animate=False, relative=False, adjectives=ADJECTIVES):
    """A random noun phrase; `relative` allows a relative clause (itself without one)."""
    noun = pick(rng, ANIMATE_NOUNS if animate else NOUNS)
    plural = rng.random() < 0.3
    determiner = pick(rng, PLURAL_DETERMINERS if plural else SINGULAR_DETERMINERS)
    adjective = pick(rng, adjectives) if rng.random() < 0.35 else None
    phrase = NounPhrase(determiner, adjective, noun, plural)
    if relative and rng.random() < 0.2:
        head_is_subject = noun[2] and rng.random() < 0.5  # only the animate see, find, ...
        phrase.relative = RelativeClause(
            head_is_subject=head_is_subject,
            verb=pick(rng, TRANSITIVE_VERBS),
            past=rng.random() < 0.5,
            negated=rng.random() < 0.15,
            other=noun_phrase(rng, animate=not head_is_subject),
        )
    return phrase


def clause(rng):
    transitive = rng.random() < 0.7
    has_place = rng.random() < 0.3
    return Clause(
        subject=noun_phrase(rng, animate=True, relative=True),
        verb=pick(rng, TRANSITIVE_VERBS if transitive else INTRANSITIVE_VERBS),
        past=rng.random() < 0.5,
        negated=rng.random() < 0.2,
        object=noun_phrase(rng, relative=True) if transitive else None,
        preposition=pick(rng, PREPOSITIONS) if has_place else None,
        place=noun_phrase(rng) if has_place else None,
        adverb=pick(rng, ADVERBS) if rng.random() < 0.25 else None,
    )


def random_sentence(rng, min_tokens=MIN_SENTENCE_TOKENS, max_tokens=MAX_SENTENCE_TOKENS, two_clause_rate=0.35):
    """A random `(Sentence, English tokens)` with `min_tokens` to `max_tokens` tokens (with the `.`)."""
    while True:
        if rng.random() < two_clause_rate:
            sentence = Sentence([clause(rng), clause(rng)], pick(rng, CONJUNCTIONS))
        else:
            sentence = Sentence([clause(rng)], None)
        tokens = english(sentence)
        if min_tokens <= len(tokens) <= max_tokens:
            return sentence, tokens


def english(sentence):
    """The English tokens of a `Sentence`, ending with `.`."""
    tokens = english_clause(sentence.clauses[0])
    if sentence.conjunction:
        tokens += [sentence.conjunction] + english_clause(sentence.clauses[1])
    return tokens + ["."]


def english_clause(clause):
    tokens = english_noun_phrase(clause.subject)
    tokens += english_verb(clause.verb, clause.past, clause.negated, clause.subject.plural)
    if clause.object:
        tokens += english_noun_phrase(clause.object)
    if clause.place:
        tokens += [clause.preposition] + english_noun_phrase(clause.place)
    if clause.adverb:
        tokens.append(clause.adverb)
    return tokens


def english_noun_phrase(phrase):
    words = ([phrase.adjective] if phrase.adjective else []) + [phrase.noun[1 if phrase.plural else 0]]
    determiner = phrase.determiner
    if determiner == "a" and words[0][0] in "aeiou":
        determiner = "an"
    tokens = [determiner] + words
    relative = phrase.relative
    if relative:
        tokens.append("that")
        if relative.head_is_subject:
            tokens += english_verb(relative.verb, relative.past, relative.negated, phrase.plural)
            tokens += english_noun_phrase(relative.other)
        else:
            tokens += english_noun_phrase(relative.other)
            tokens += english_verb(relative.verb, relative.past, relative.negated, relative.other.plural)
    return tokens


def english_verb(verb, past, negated, plural_subject):
    """`sees`, `see`, `saw`, `does not see`, `do not see` or `did not see`."""
    base, singular, past_form = verb
    if negated:
        auxiliary = "did" if past else "do" if plural_subject else "does"
        return [auxiliary, "not", base]
    return [past_form if past else base if plural_subject else singular]
