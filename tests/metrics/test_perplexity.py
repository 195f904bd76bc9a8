import math

import numpy as np
import pytest

from zoo.metrics import count_words, perplexity, word_perplexity


def test_perplexity_is_exp_of_the_mean_nll():
    assert perplexity(total_nll=20.0, num_tokens=10) == pytest.approx(math.e**2)
    assert perplexity(total_nll=0.0, num_tokens=3) == 1.0
    assert perplexity(np.float32(6 * math.log(7)), np.int64(6)) == pytest.approx(7)


def test_word_perplexity_spreads_the_token_nll_over_words():
    # 12 tokens at nll log(4) each: per token 4; the same text has 8 words with end-of-lines,
    # so per word exp(12 log 4 / 8) = 4 ** 1.5 = 8.
    total_nll = 12 * math.log(4)
    lines = ["the cat sat", "on the mat"]
    assert count_words(lines) == 8
    assert perplexity(total_nll, 12) == pytest.approx(4)
    assert word_perplexity(total_nll, count_words(lines)) == pytest.approx(8)


def test_count_words_adds_one_end_of_line_per_line_including_empty_ones():
    assert count_words(["  the  cat\tsat ", "", "mat"]) == 4 + 1 + 2
    assert count_words([]) == 0


def test_huge_exponent_gives_inf_not_overflow_error():
    assert perplexity(total_nll=1e6, num_tokens=1) == math.inf
    assert word_perplexity(total_nll=math.inf, num_words=5) == math.inf


@pytest.mark.parametrize("metric, count_name", [(perplexity, "num_tokens"), (word_perplexity, "num_words")])
@pytest.mark.parametrize("count", [0, -1, 0.0, None, True])
def test_count_must_be_positive(metric, count_name, count):
    match = rf"`{count_name}` must be a positive number. Received: {count_name}={count!r}"
    with pytest.raises(ValueError, match=match):
        metric(1.0, count)


@pytest.mark.parametrize("total_nll", [-0.5, math.nan, "3", None])
def test_total_nll_must_be_a_non_negative_number(total_nll):
    with pytest.raises(ValueError, match=rf"non-negative number .* Received: total_nll={total_nll!r}"):
        perplexity(total_nll, 10)


def test_count_words_refuses_one_string():
    with pytest.raises(ValueError, match=r"not one string. Received: texts='the cat'"):
        count_words("the cat")
