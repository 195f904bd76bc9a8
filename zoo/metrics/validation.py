"""Checks of metric inputs; each raises `ValueError` quoting what was received.

The argument checks shared by the whole package are in `zoo.validation`; these two are about
paired metric inputs only.
"""


def require_pairs(first_name, first, second_name, second):
    """Returns `first` and `second` as lists, checked to be non-empty and of the same length.

    Example: `labels, predictions = require_pairs("labels", labels, "predictions", predictions)`.
    """
    first, second = list(first), list(second)
    lengths = f"len({first_name})={len(first)}, len({second_name})={len(second)}"
    if len(first) != len(second):
        raise ValueError(f"`{first_name}` and `{second_name}` must have the same length. Received: {lengths}")
    if not first:
        raise ValueError(f"`{first_name}` and `{second_name}` must not be empty. Received: {lengths}")
    return first, second


def require_texts(name, texts):
    """Returns `texts` as a list after checking it is a list of strings, not one string.

    Example: `hypotheses = require_texts("hypotheses", hypotheses)`.
    """
    if isinstance(texts, str):
        raise ValueError(f"`{name}` must be a list of strings, not one string. Received: {name}={texts!r}")
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"`{name}` must be a list of strings, one per example. Received: {name}[{index}]={text!r}")
    return texts
