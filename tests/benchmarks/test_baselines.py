import math

import numpy as np
import pytest
import sacrebleu

from benchmarks.baselines import (
    bag_of_words,
    copy_source,
    fit_tfidf,
    lead_3,
    lead_sentences,
    longest_3,
    longest_sentences,
    majority_class,
    split_sentences,
    tfidf_matrix,
    unigram_lm,
    word_ngrams,
)

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)


def _labelled(labels):
    return [{"text": f"text {i}", "label": label} for i, label in enumerate(labels)]


def test_majority_class_predicts_the_most_frequent_train_label():
    # Always "a" on a, b, b, b: 1 of 4 right; F1(a) = 2 / (2 + 3 false positives), F1(b) = 0.
    scores = majority_class(_labelled(["a", "a", "b"]), _labelled(["a", "b", "b", "b"]))
    assert scores == pytest.approx({"accuracy": 0.25, "macro_f1": 0.2})


def test_majority_class_breaks_ties_by_the_smallest_label():
    scores = majority_class(_labelled(["b", "a"]), _labelled(["a", "b"]))
    assert scores == pytest.approx({"accuracy": 0.5, "macro_f1": (2 / 3 + 0) / 2})


def test_macro_f1_counts_a_train_label_missing_from_the_validation_rows():
    scores = majority_class(_labelled(["a", "a", "b"]), _labelled(["a", "a"]))
    assert scores == pytest.approx({"accuracy": 1.0, "macro_f1": (1 + 0) / 2})


def test_empty_rows_are_rejected():
    with pytest.raises(ValueError, match=r"`train_rows` must not be empty. Received: train_rows=\[\]"):
        majority_class([], _labelled(["a"]))
    with pytest.raises(ValueError, match="`valid_rows` must be a list of row dicts"):
        unigram_lm([{"text": "a"}], {"text": "a"})


def test_word_ngrams_are_lowercased_words_then_bigrams():
    assert word_ngrams("Don't GO, now!") == ["don't", "go", "now", "don't go", "go now"]


def test_tfidf_keeps_the_most_frequent_terms_with_smoothed_idf():
    # Document frequencies a: 3, b: 1, c: 1 in 3 documents; the b/c tie goes to "b".
    index, idf = fit_tfidf([["a", "b"], ["a"], ["c", "a", "c"]], vocabulary_size=2)
    assert index == {"a": 0, "b": 1}
    np.testing.assert_allclose(idf, [math.log(4 / 4) + 1, math.log(4 / 2) + 1])
    features = tfidf_matrix([["b", "a", "b", "z"], ["z"]], index, idf).toarray()
    expected = np.array([1 * idf[0], 2 * idf[1]])
    np.testing.assert_allclose(features, [expected / np.linalg.norm(expected), [0, 0]])


def _sentiment_rows(count, rng):
    fillers = "the a movie film plot actor scene story was is it this and very quite".split()
    rows = []
    for _ in range(count):
        label = str(rng.integers(2))
        words = list(rng.choice(fillers, size=8))
        words.insert(int(rng.integers(9)), "good" if label == "1" else "bad")
        rows.append({"text": " ".join(words), "label": label})
    return rows


def test_bag_of_words_learns_a_separable_task_deterministically():
    # 300 rows are 10 steps an epoch: 20 epochs give Adam enough steps to separate "good" from "bad".
    rows = _sentiment_rows(400, np.random.default_rng(0))
    scores = bag_of_words(rows[:300], rows[300:], epochs=20, seed=3)
    assert scores["accuracy"] >= 0.9
    assert bag_of_words(rows[:300], rows[300:], epochs=20, seed=3) == scores


@pytest.mark.parametrize("argument", [{"vocabulary_size": 0}, {"epochs": 1.5}])
def test_bag_of_words_rejects_bad_arguments(argument):
    ((name, value),) = argument.items()
    with pytest.raises(ValueError, match=f"`{name}` must be a positive integer. Received: {name}={value}"):
        bag_of_words(_labelled(["a"]), _labelled(["a"]), **argument)


def test_copy_source_of_identical_pairs_is_perfect():
    texts = ["a small cat sat on the mat", "hello there my old friend"]
    rows = [{"source": text, "target": text} for text in texts]
    assert copy_source(rows) == pytest.approx(
        {"bleu": 100.0, "chrf": 100.0, "rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    )


def test_copy_source_scores_the_source_against_the_target():
    source, target = "the cat sat on the mat", "the cat is on the mat"
    # 5 of 6 words match, 3 of 5 bigrams, and the longest common subsequence has 5 words.
    assert copy_source([{"source": source, "target": target}]) == pytest.approx(
        {
            "bleu": sacrebleu.corpus_bleu([source], [[target]]).score,
            "chrf": sacrebleu.corpus_chrf([source], [[target]]).score,
            "rouge1": 5 / 6,
            "rouge2": 3 / 5,
            "rougeL": 5 / 6,
        }
    )


def test_split_sentences_splits_dialogues_into_utterances():
    assert split_sentences("A: hi. you?\n\n  B: hello\n") == ["A: hi. you?", "B: hello"]


def test_split_sentences_splits_prose_after_end_punctuation():
    text = "Hi. How are you?  Fine! it is 3.5 km\n"
    assert split_sentences(text) == ["Hi.", "How are you?", "Fine!", "it is 3.5 km"]


def test_lead_sentences_are_the_first_three():
    assert lead_sentences("A. B. C. D.") == ["A.", "B.", "C."]
    assert lead_sentences("A. B.") == ["A.", "B."]


def test_longest_sentences_are_kept_in_document_order():
    document = "one\ntwo two\nthree three three\nx\nfour four four four\ny y"
    assert longest_sentences(document) == ["two two", "three three three", "four four four four"]
    assert longest_sentences("A b c. D. E f. G h.", count=2) == ["A b c.", "E f."]
    with pytest.raises(ValueError, match="`count` must be a positive integer. Received: count=0"):
        longest_sentences("A.", count=0)


DIALOGUE = "Ann: see you at noon\nBob: ok\nAnn: bring the big red book please\nBob: sure\nAnn: thanks a lot"
SUMMARY = "Ann: see you at noon Bob: ok Ann: bring the big red book please"


def test_lead_3_scores_the_first_three_utterances():
    scores = lead_3([{"source": DIALOGUE, "target": SUMMARY}])
    assert scores == pytest.approx({"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0})


def test_longest_3_scores_the_three_longest_utterances():
    # Lines of 5, 7 and 4 words: 16 tokens against the summary's 14, sharing 12 unigrams, 10 of
    # 15 / 13 bigrams and a 12-token common subsequence.
    scores = longest_3([{"source": DIALOGUE, "target": SUMMARY}])
    assert scores == pytest.approx({"rouge1": 24 / 30, "rouge2": 20 / 28, "rougeL": 24 / 30})


def test_unigram_lm_is_add_one_smoothed_with_an_unknown_bucket():
    # Train tokens a b <eol> a <eol>: N = 5 over V = 3 types, so p = (count + 1) / 9 and the
    # unseen "c" gets 1 / 9. Valid tokens a c <eol> b <eol>: 3/9 * 1/9 * 3/9 * 2/9 * 3/9 over 5 words.
    scores = unigram_lm([{"text": "a b"}, {"text": "a"}], [{"text": "a c"}, {"text": "b"}])
    expected = (9**5 / (3 * 1 * 3 * 2 * 3)) ** (1 / 5)
    assert scores == pytest.approx({"perplexity": expected, "word_perplexity": expected})
