"""Perplexity from a summed negative log-likelihood (natural log), per token or per word.

`perplexity` divides by the number of tokens the model predicted, so it depends on the
tokenizer. `word_perplexity` spreads the same total over whitespace words, which makes models
with different tokenizers comparable with published word-level numbers (e.g. WikiText).

Example:

    lines = ["the cat sat", "on the mat"]
    perplexity(total_nll=20.0, num_tokens=10), word_perplexity(20.0, count_words(lines))
    # -> (7.38905609893065, 12.182493960703473)
"""

import math
import numbers


def perplexity(total_nll, num_tokens):
    """`exp(total_nll / num_tokens)`; `inf` when that overflows a float.

    Example: `perplexity(total_nll=20.0, num_tokens=10)` is `math.exp(2.0)`.
    """
    return _exp_mean_nll(total_nll, num_tokens, count_name="num_tokens")


def word_perplexity(total_nll, num_words):
    """`exp(total_nll / num_words)`: perplexity per word of a token-level model's total NLL.

    `num_words` follows WikiText word-level language-model evaluation, where each line ends with
    `<eos>`: the whitespace-separated words of every line plus one end-of-line per line (empty
    lines included). `count_words` counts them this way.

    Example: `word_perplexity(total_nll, count_words(lines))`.
    """
    return _exp_mean_nll(total_nll, num_words, count_name="num_words")


def count_words(texts):
    """The sum over lines of `len(line.split()) + 1`: words plus one end-of-line per line.

    Example: `count_words(["the cat sat", ""])` is 5.
    """
    if isinstance(texts, str):
        raise ValueError(f"`texts` must be a list of lines, not one string. Received: texts={texts!r}")
    return sum(len(text.split()) + 1 for text in texts)


def _exp_mean_nll(total_nll, count, count_name):
    if isinstance(count, bool) or not isinstance(count, numbers.Real) or not count > 0:
        raise ValueError(f"`{count_name}` must be a positive number. Received: {count_name}={count!r}")
    if isinstance(total_nll, bool) or not isinstance(total_nll, numbers.Real) or not total_nll >= 0:
        raise ValueError(
            f"`total_nll` must be a non-negative number (a summed negative log-likelihood). "
            f"Received: total_nll={total_nll!r}"
        )
    try:
        return math.exp(total_nll / count)
    except OverflowError:
        return math.inf
