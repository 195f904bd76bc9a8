"""No repeated n-grams: the tokens that would complete an n-gram a row has already generated are banned.

Hugging Face's `no_repeat_ngram_size` (and fairseq's `--no-repeat-ngram-size`), as tensor code
that compiles inside the decoding loop: the windows are static slices of the fixed-length token
array, the loop position only masks them. Unlike Hugging Face, only generated tokens count (an
n-gram that touches the prompt never bans), so a decoder-only model may still copy its source.
"""

from keras import ops

from zoo.layers.copy_generator import sum_by_token_id


def repeated_ngram_tokens(tokens, index, prompt_lengths, ngram_size, vocabulary_size):
    """A bool (rows, vocabulary) mask, True at each token that would repeat a generated n-gram.

    `tokens` (rows, max_length) holds each row's tokens up to position `index - 1`; the next token
    goes at `index`; positions below `prompt_lengths` (rows,) are the prompt.

    Example: a row that generated `5 6 7 5 6` with `ngram_size=3` has token 7 marked for the next step.
    """
    rows, length = tokens.shape
    windows = length - ngram_size + 1
    if windows <= 0:
        return ops.zeros((rows, vocabulary_size), "bool")
    # The n-1 tokens the next one would follow; clamped in range (a row this early has nothing to ban).
    context_start = ops.maximum(index - (ngram_size - 1), 0)
    # A gather, not `ops.slice` at a tensor start: torch.export gives that slice a data-dependent size.
    context = ops.take(tokens, context_start + ops.arange(ngram_size - 1, dtype="int32"), axis=1)
    window_starts = ops.arange(windows, dtype="int32")[None, :]
    # An earlier n-gram starting at j counts once it is whole (j + n - 1 < index) and all generated.
    matches = ops.logical_and(window_starts <= index - ngram_size, window_starts >= prompt_lengths[:, None])
    for offset in range(ngram_size - 1):
        same = ops.equal(tokens[:, offset : offset + windows], context[:, offset : offset + 1])
        matches = ops.logical_and(matches, same)
    # Each window bans the token that followed it.
    return sum_by_token_id(matches, tokens[:, ngram_size - 1 :], vocabulary_size) > 0
