"""One sequence per prompt: greedy, top-k, top-p or random sampling with a KV cache and per-row stop."""

from keras import ops

from zoo.generation.decoding import column
from zoo.generation.samplers import choose_next_token


def sample(decoder, sampler, prompt_ids, prompt_mask, seed_values, conditioning, while_loop=ops.while_loop):
    """Decodes positions `start .. max_length - 1` with `decoder`, one step per token; pure tensor code.

    A row that emits the end token at a generated position is finished: it emits the pad token
    from then on, and the loop ends early once every row is finished. `while_loop` is
    `keras.ops.while_loop` or a compiled stand-in (`compiled.while_loop_function`): the loop reads
    this call's tensors through its loop variables only.
    Returns `(tokens (batch, max_length), new_seed_values)`.
    """
    tokens, forced, prompt_lengths, start, logits, state = decoder.start(prompt_ids, prompt_mask, conditioning)
    finished = ops.zeros((tokens.shape[0],), "bool")
    end_token_id = decoder.end_token_id

    def cond(tokens, state, logits, index, finished, seed_values, forced, prompt_lengths):
        return ops.logical_and(ops.less(index, decoder.max_length), ops.logical_not(ops.all(finished)))

    def body(tokens, state, logits, index, finished, seed_values, forced, prompt_lengths):
        logits = decoder.ban_repeats(logits, tokens, index, prompt_lengths)
        next_token, seed_values = choose_next_token(sampler, logits, seed_values)
        is_forced = column(forced, index)
        next_token = ops.where(finished, decoder.pad_token_id, next_token)
        next_token = ops.where(is_forced, column(tokens, index), next_token)
        if end_token_id is not None:
            is_end = ops.logical_and(ops.logical_not(is_forced), ops.equal(next_token, end_token_id))
            finished = ops.logical_or(finished, is_end)
        tokens = ops.slice_update(tokens, (0, index), next_token[:, None])
        # The last step's logits go unused: one extra step keeps the loop free of a branch.
        logits, state = decoder.decode_step(next_token[:, None], state, index)
        return tokens, state, logits[:, 0], index + 1, finished, seed_values, forced, prompt_lengths

    loop_vars = (tokens, state, logits, start, finished, list(seed_values), forced, prompt_lengths)
    tokens, _, _, _, _, seed_values, _, _ = while_loop(cond, body, loop_vars)
    return tokens, seed_values
