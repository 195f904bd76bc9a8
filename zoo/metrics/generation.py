"""Scores of generated text against one reference per hypothesis, as papers report them.

- `bleu`, `chrf`: sacrebleu corpus scores with default settings (BLEU with the 13a tokenizer,
  chrF2), on sacrebleu's 0-100 scale. BLEU's "forgot to detokenize" check is off (`force`):
  its score is the same, and detokenized output against raw references is what is scored here.
- `rouge`: rouge-score F-measures (0-1) of ROUGE-1, ROUGE-2 and ROUGE-L with the Porter stemmer.

Example:

    translation_metrics(["the cat sat on the mat"], ["the cat is on the mat"])["bleu"]  # 37.99178428257963
"""

from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF

from zoo.metrics.validation import require_pairs, require_texts

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def bleu(hypotheses, references):
    """Corpus BLEU (0-100) of `hypotheses` against `references`, one reference per hypothesis.

    Example: `bleu(["the cat sat on the mat"], ["the cat is on the mat"])` is 100 * 48**-0.25.
    """
    hypotheses, references = _checked(hypotheses, references)
    return float(BLEU(force=True).corpus_score(hypotheses, [references]).score)


def chrf(hypotheses, references):
    """Corpus chrF2 (0-100): character 6-gram F-score with recall weighted twice as much.

    Example: `chrf(["abc"], ["abd"])` is 100 * (2/3 + 1/2) / 3.
    """
    hypotheses, references = _checked(hypotheses, references)
    return float(CHRF().corpus_score(hypotheses, [references]).score)


def rouge(hypotheses, references):
    """`{"rouge1", "rouge2", "rougeL"}`: the mean over examples of each example's F-measure (0-1).

    The scorer is `RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)` and the
    per-example mean is the standard for summarization papers. rouge-score's tokenizer lowercases
    and keeps only the ASCII letters and digits, so text in other scripts scores 0.

    Example: `rouge(["the cat sat"], ["the cat ran"])["rouge1"]` is 2/3.
    """
    hypotheses, references = _checked(hypotheses, references)
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for hypothesis, reference in zip(hypotheses, references):
        scores = scorer.score(target=reference, prediction=hypothesis)
        for rouge_type in ROUGE_TYPES:
            totals[rouge_type] += scores[rouge_type].fmeasure
    return {rouge_type: total / len(hypotheses) for rouge_type, total in totals.items()}


def translation_metrics(hypotheses, references):
    """`{"bleu", "chrf"}` of translations, as written to metrics.json."""
    return {"bleu": bleu(hypotheses, references), "chrf": chrf(hypotheses, references)}


def summarization_metrics(hypotheses, references):
    """`{"rouge1", "rouge2", "rougeL"}` of summaries, as written to metrics.json."""
    return rouge(hypotheses, references)


def _checked(hypotheses, references):
    return require_pairs(
        "hypotheses",
        require_texts("hypotheses", hypotheses),
        "references",
        require_texts("references", references),
    )
