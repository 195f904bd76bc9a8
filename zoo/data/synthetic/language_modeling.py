"""Passages for language-model pretraining, from the generators of the three other corpora.

Each passage is one line of several sentences: a story of 3-8 sentences from the shared grammar
(40%), 3-6 reviews like the classification corpus (30%), or a news report like the
summarization documents (30%). Pretraining on it therefore sees the vocabulary and
constructions the fine-tuning corpora use, as a masked or causal language model should.

Example:

    make_lm_text(1, seed=0)[0]["text"][:42]  # 'the baker painted this singer around every'
"""

from zoo.data.synthetic.classification import random_review
from zoo.data.synthetic.grammar import random_sentence
from zoo.data.synthetic.splits import sample_split
from zoo.data.synthetic.summarization import draw_report


def make_lm_text(num_examples=None, seed=0, split="train"):
    """`num_examples` records `{"text": passage}` of `split` ("train", "valid" or "test")."""
    return sample_split(_passage, "lm", split, num_examples, seed)


def _passage(rng):
    """A passage is kept or dropped on its first sentence (a report on its summary), before the
    rest is drawn; each kind's key starts with its name, so kinds never share a key."""
    draw = rng.random()
    if draw < 0.3:
        summary, write_document = draw_report(rng)
        return [("report: " + summary, lambda: {"text": write_document()})]
    if draw < 0.6:
        kind, count, sentence = "review", rng.randint(3, 6), random_review
    else:
        kind, count, sentence = "story", rng.randint(3, 8), _story_sentence
    first = " ".join(sentence(rng))

    def build():
        return {"text": " ".join([first] + [" ".join(sentence(rng)) for _ in range(count - 1)])}

    return [(f"{kind}: {first}", build)]


def _story_sentence(rng):
    return random_sentence(rng)[1]
