"""Little news reports whose one-sentence summary copies a name, a town, a date and a number.

A document has 4-10 sentences. Exactly one, at a random position, reports who won an event,
where, when and with how many votes or points, in one of several word orders
(`On May 3 , Anna Kovaski won the chess open in Melaport with 4521 points .`, `The chess open in
Melaport was won by Anna Kovaski ...`). The others are distractors with other names, towns,
dates and numbers of the same kinds (the runner-up, last year's winner, the next venue, a quote,
the crowd), or plain sentences of the shared grammar. The summary rewrites the key sentence into
one fixed template:

    `Anna Kovaski wins the chess open in Melaport on May 3 with 4521 points .`

Surnames and towns are built from syllables (about 10^6 and 2 * 10^4 of them) and numbers are
drawn from wide ranges, so a model must find the right sentence and copy from it; a model that
copies the first name or number it sees is usually wrong.

Example:

    make_summarization(1, seed=0)[0]["target"]
    # -> 'Tomas Veligiel wins the quiz final in Debaton on December 2 with 8264 points .'
"""

from zoo.data.synthetic.grammar import random_sentence
from zoo.data.synthetic.splits import sample_split
from zoo.data.synthetic.vocabulary import (
    NEGATIVE_ADJECTIVES,
    PEOPLE,
    POSITIVE_ADJECTIVES,
    date,
    full_name,
    pick,
    town,
)

# (event, unit, smallest and largest score)
EVENTS = (
    ("city election", "votes", 1_000, 99_999),
    ("song contest", "votes", 500, 50_000),
    ("chess open", "points", 100, 9_999),
    ("quiz final", "points", 100, 9_999),
    ("cooking contest", "points", 100, 9_999),
    ("poetry prize", "votes", 100, 20_000),
    ("mayor race", "votes", 1_000, 99_999),
    ("dance contest", "points", 100, 9_999),
)
KEY_TEMPLATES = (
    "{name} won the {event} in {town} on {date} with {score} {unit} .",
    "On {date} , {name} won the {event} in {town} with {score} {unit} .",
    "The {event} in {town} was won by {name} on {date} with {score} {unit} .",
    "With {score} {unit} , {name} won the {event} held in {town} on {date} .",
)
OPINIONS = POSITIVE_ADJECTIVES + NEGATIVE_ADJECTIVES
SUMMARY_TEMPLATE = "{name} wins the {event} in {town} on {date} with {score} {unit} ."
# Distractors with a score of the event's kind (two or three in every document), then others.
SCORE_DISTRACTORS = (
    "{name} came second with {second} {unit} .",
    "{name} won the {event} last year with {score} {unit} .",
    "More than {score} people came to watch the {event} .",
)
OTHER_DISTRACTORS = (
    "Last year , the {event} was held in {town} on {date} .",
    "The next {event} will take place in {town} on {date} .",
    "{name} , a {role} from {town} , called the result {opinion} .",
    "{name} said that {story}",
)


def make_summarization(num_examples=None, seed=0, split="train"):
    """`num_examples` records `{"source": document, "target": summary}` of `split`."""
    return sample_split(_report, "summarization", split, num_examples, seed)


def draw_report(rng):
    """`(summary, write_document)`; `write_document()` draws the document from `rng`."""
    facts = _key_facts(rng)
    return SUMMARY_TEMPLATE.format(**facts), lambda: _document(rng, facts)


def _report(rng):
    """The summary decides the split: different summaries mean different documents."""
    summary, write_document = draw_report(rng)
    return [(summary, lambda: {"source": write_document(), "target": summary})]


def _key_facts(rng):
    event, unit, low, high = pick(rng, EVENTS)
    return {
        "name": full_name(rng),
        "event": event,
        "town": town(rng),
        "date": date(rng),
        "score": rng.randint(low, high),
        "unit": unit,
        "low": low,
        "high": high,
    }


def _document(rng, facts):
    """The key sentence at a random place among 3-9 distractors (each template at most once)."""
    count = rng.randint(3, 9)
    templates = rng.sample(SCORE_DISTRACTORS, rng.randint(2, 3))
    most_others = min(count - len(templates), len(OTHER_DISTRACTORS))
    templates += rng.sample(OTHER_DISTRACTORS, rng.randint(0, most_others))
    sentences = [_distractor(rng, template, facts) for template in templates]
    sentences += [_capitalized(_short_sentence(rng)) for _ in range(count - len(templates))]
    rng.shuffle(sentences)
    sentences.insert(rng.randint(0, count), pick(rng, KEY_TEMPLATES).format(**facts))
    return " ".join(sentences)


def _distractor(rng, template, facts):
    low, high = facts["low"], facts["high"]
    return template.format(
        name=full_name(rng),
        event=facts["event"],
        town=town(rng),
        date=date(rng),
        score=rng.randint(low, high),
        second=rng.randint(low, max(low, facts["score"] - 1)),
        unit=facts["unit"],
        role=pick(rng, PEOPLE)[0],
        opinion=pick(rng, OPINIONS),
        story=_short_sentence(rng) if "{story}" in template else None,
    )


def _capitalized(text):
    return text[0].upper() + text[1:]


def _short_sentence(rng):
    return " ".join(random_sentence(rng, 5, 14, two_clause_rate=0)[1])
