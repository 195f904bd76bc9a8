import pytest
import sacrebleu
from rouge_score import rouge_scorer

from zoo.metrics import bleu, chrf, rouge, summarization_metrics, translation_metrics

HYPOTHESES = ["the cat sat on the mat", "a quick brown fox jumps", "hello world , how are you ?"]
REFERENCES = ["the cat is on the mat", "the quick brown fox jumped", "hello , world ! how are you"]


def test_bleu_and_chrf_equal_sacrebleu_called_directly():
    metrics = translation_metrics(HYPOTHESES, REFERENCES)
    assert metrics["bleu"] == pytest.approx(sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES]).score)
    assert metrics["chrf"] == pytest.approx(sacrebleu.corpus_chrf(HYPOTHESES, [REFERENCES]).score)


def test_identical_text_scores_100():
    assert bleu(REFERENCES, REFERENCES) == pytest.approx(100)
    assert chrf(REFERENCES, REFERENCES) == pytest.approx(100)


def test_bleu_of_a_hand_computed_example():
    # n-gram precisions 5/6, 3/5, 1/4 and, for 0/3 four-grams, sacrebleu's exp smoothing 1/(2 * 3);
    # equal lengths, so no brevity penalty.
    expected = 100 * (5 / 6 * 3 / 5 * 1 / 4 * 1 / 6) ** (1 / 4)
    assert bleu(["the cat sat on the mat"], ["the cat is on the mat"]) == pytest.approx(expected)


def test_chrf_of_a_hand_computed_example():
    # Character 1-grams F 2/3, 2-grams 1/2, 3-grams 0; no 4- to 6-grams, so the mean is over 3 orders.
    assert chrf(["abc"], ["abd"]) == pytest.approx(100 * (2 / 3 + 1 / 2) / 3)


def test_rouge_of_identical_text_is_one():
    assert rouge(REFERENCES, REFERENCES) == pytest.approx({"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0})


def test_rouge_of_a_hand_checked_example():
    # Unigrams: 2 of 3 match; bigrams: "the cat" is 1 of 2; longest common subsequence: 2 of 3.
    scores = rouge(["the cat sat"], ["the cat ran"])
    assert scores == pytest.approx({"rouge1": 2 / 3, "rouge2": 1 / 2, "rougeL": 2 / 3})


def test_rouge_stems_and_averages_f_measures_over_examples():
    hypotheses, references = ["the cats sat", "dogs ran home"], ["the cat sat", "a dog ran away"]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    per_example = [scorer.score(r, h) for h, r in zip(hypotheses, references)]
    expected = {key: sum(s[key].fmeasure for s in per_example) / 2 for key in ["rouge1", "rouge2", "rougeL"]}
    assert summarization_metrics(hypotheses, references) == pytest.approx(expected)
    assert expected["rouge1"] == pytest.approx((1 + 2 * (2 / 3 * 2 / 4) / (2 / 3 + 2 / 4)) / 2)


@pytest.mark.parametrize("metric", [bleu, chrf, rouge, translation_metrics, summarization_metrics])
def test_lengths_must_match(metric):
    match = r"same length. Received: len\(hypotheses\)=1, len\(references\)=2"
    with pytest.raises(ValueError, match=match):
        metric(["a"], ["a", "b"])


@pytest.mark.parametrize("metric", [bleu, chrf, rouge])
def test_empty_inputs_are_refused(metric):
    match = r"must not be empty. Received: len\(hypotheses\)=0, len\(references\)=0"
    with pytest.raises(ValueError, match=match):
        metric([], [])


def test_one_string_is_refused():
    with pytest.raises(ValueError, match=r"not one string. Received: hypotheses='the cat'"):
        bleu("the cat", ["the cat"])


def test_sacrebleu_style_reference_lists_are_refused():
    with pytest.raises(ValueError, match=r"one per example. Received: references\[0\]=\['the cat'\]"):
        chrf(["the cat"], [["the cat"]])
