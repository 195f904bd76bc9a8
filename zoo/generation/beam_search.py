"""Beam search with a GNMT length penalty and n-best output, over the decoding protocol.

Written here rather than with keras-hub's `BeamSampler`, which has no length penalty, no
finished-hypothesis pool (a beam that emits the end token keeps being extended) and scores
forced prompt tokens as if they were chosen. This is the alive/finished scheme of tensor2tensor
and flax's WMT example: each step takes the `2 * beam_size` best extensions of the alive beams;
those ending in the end token join the finished pool (scored with the length penalty), the best
`beam_size` others stay alive. Decoding stops when no alive beam can still beat the worst
finished hypothesis of its example, or at `max_length`.
"""

import keras
from keras import ops

from zoo.generation.decoding import DEAD_SCORE, column


def length_penalty(generated_length, alpha):
    """GNMT's `((5 + length) / 6) ** alpha` (Wu et al., 2016); a hypothesis scores `log_prob / penalty`."""
    return ops.power((5.0 + ops.cast(generated_length, "float32")) / 6.0, alpha)


# XLA's CPU TopK (JAX, TensorFlow) costs about 2-3 ns per candidate, however small k is: in a jitted
# loop, the best 8 of 4 x 8,192 took 68-89 us, of 4 x 50,304 430-510 us. Through the best blocks'
# maxima: 11 and 56-67 us (AMD EPYC, 2026-12-07). PyTorch's top-k selects without sorting (eager,
# 4 x 8,192: 174 us flat against 580 us in blocks), so it keeps its own.
BLOCK = 128


def top_k_in_blocks(x, k, block=BLOCK):
    """`ops.top_k(x, k)` of `x` (rows, n), searched only in the `k` blocks of `block` values with the largest maxima.

    Exact: a value among the row's `k` largest lies in a block whose maximum is at least that value,
    and at most `k` blocks have such a maximum. The blocks are read in index order, so ties go to the
    lower index as in `ops.top_k`. Falls back to `ops.top_k` on PyTorch or when `n < k * block`.

    Example: `top_k_in_blocks(ops.arange(1024.0)[None], 2)` gives `([[1023, 1022]], [[1023, 1022]])`.
    """
    n = x.shape[-1]  # the rows may be unknown (a SavedModel's batch)
    if keras.backend.backend() == "torch" or n < k * block:
        return ops.top_k(x, k)
    padding = -n % block
    if padding:
        x = ops.pad(x, ((0, 0), (0, padding)), constant_values=float("-inf"))
    blocks = ops.reshape(x, (-1, (n + padding) // block, block))
    _, best_blocks = ops.top_k(ops.max(blocks, axis=-1), k)
    best_blocks = ops.sort(best_blocks, axis=-1)
    candidates = ops.take_along_axis(blocks, best_blocks[..., None], axis=1)
    values, positions = ops.top_k(ops.reshape(candidates, (-1, k * block)), k)
    return values, ops.take_along_axis(best_blocks, positions // block, axis=1) * block + positions % block


def _take_rows(x, indices):
    """`x` (batch, n, ...) gathered along axis 1 at `indices` (batch, m)."""
    indices = ops.reshape(indices, tuple(indices.shape) + (1,) * (len(x.shape) - 2))
    indices = ops.broadcast_to(indices, tuple(indices.shape[:2]) + tuple(x.shape[2:]))
    return ops.take_along_axis(x, indices, axis=1)


def _gather_beams(state, beam_indices):
    """Reorders every state tensor (batch * beams, ...) so row `b * beams + i` comes from beam `beam_indices[b, i]`."""
    batch_size, beam_size = beam_indices.shape
    flat = ops.reshape(ops.arange(batch_size, dtype="int32")[:, None] * beam_size + beam_indices, (-1,))
    return {name: ops.take(tensor, flat, axis=0) for name, tensor in state.items()}


def beam_search(
    decoder, prompt_ids, prompt_mask, conditioning, beam_size, alpha, num_return_sequences, while_loop=ops.while_loop
):
    """Returns `(tokens (batch, n, max_length), scores (batch, n))`, best first; `n = num_return_sequences`.

    A score is the sum of the generated tokens' log-probabilities divided by
    `length_penalty(number of generated tokens, alpha)`; prompt tokens are forced and cost nothing.
    `while_loop` is `keras.ops.while_loop` or a compiled stand-in (`compiled.while_loop_function`):
    the loop reads this call's tensors through its loop variables only.
    """
    prompt_tokens, forced, prompt_lengths, start, logits, state = decoder.start(prompt_ids, prompt_mask, conditioning)
    max_length, end_token_id = decoder.max_length, decoder.end_token_id
    batch_size = prompt_tokens.shape[0]
    vocabulary_size = logits.shape[-1]
    # The prefill ran once per example; every beam starts from a copy of it, and only beam 0 is alive.
    state = {name: ops.repeat(tensor, beam_size, axis=0) for name, tensor in state.items()}
    logits = ops.repeat(logits, beam_size, axis=0)
    alive_tokens = ops.repeat(prompt_tokens[:, None], beam_size, axis=1)
    alive_scores = ops.tile(ops.convert_to_tensor([[0.0] + [DEAD_SCORE] * (beam_size - 1)]), (batch_size, 1))
    finished_tokens = ops.zeros_like(alive_tokens)
    finished_scores = ops.full((batch_size, beam_size), DEAD_SCORE)
    forced_beams = ops.concatenate([ops.arange(beam_size), ops.zeros((beam_size,), "int32")])[None, :]

    def cond(alive_tokens, alive_scores, finished_tokens, finished_scores, state, logits, index, prompt):
        prompt_tokens, forced, prompt_lengths = prompt
        # Log-probabilities only fall as a beam grows, so its best possible score is at the larger penalty.
        longest = length_penalty(ops.maximum(max_length - prompt_lengths, 1), alpha)
        shortest = length_penalty(ops.maximum(index + 1 - prompt_lengths, 1), alpha)
        best_alive = alive_scores[:, 0] / ops.maximum(shortest, longest)
        worst_finished = finished_scores[:, -1]
        done = ops.logical_and(worst_finished > DEAD_SCORE / 2, worst_finished >= best_alive)
        return ops.logical_and(ops.less(index, max_length), ops.logical_not(ops.all(done)))

    def body(alive_tokens, alive_scores, finished_tokens, finished_scores, state, logits, index, prompt):
        prompt_tokens, forced, prompt_lengths = prompt
        beam_prompt_lengths = ops.repeat(prompt_lengths, beam_size, axis=0)
        flat_tokens = ops.reshape(alive_tokens, (batch_size * beam_size, max_length))
        logits = decoder.ban_repeats(logits, flat_tokens, index, beam_prompt_lengths)
        log_probs = ops.reshape(ops.log_softmax(logits, axis=-1), (batch_size, beam_size, vocabulary_size))
        candidates = ops.reshape(alive_scores[..., None] + log_probs, (batch_size, beam_size * vocabulary_size))
        scores, flat_indices = top_k_in_blocks(candidates, 2 * beam_size)
        source_beams = flat_indices // vocabulary_size
        new_tokens = ops.cast(flat_indices % vocabulary_size, "int32")
        # At a prompt position each beam takes the prompt token at no cost, in beam order (the alive
        # scores are sorted); the other `beam_size` candidates are dead. Chosen on these few candidates,
        # not by masking every (beam, vocabulary) log-probability.
        is_forced = column(forced, index)
        forced_scores = ops.concatenate([alive_scores, ops.full((batch_size, beam_size), DEAD_SCORE)], axis=1)
        scores = ops.where(is_forced[:, None], forced_scores, scores)
        source_beams = ops.where(is_forced[:, None], ops.cast(forced_beams, source_beams.dtype), source_beams)
        new_tokens = ops.where(is_forced[:, None], column(prompt_tokens, index)[:, None], new_tokens)
        candidate_tokens = ops.slice_update(
            _take_rows(alive_tokens, source_beams), (0, 0, index), new_tokens[..., None]
        )
        if end_token_id is None:
            ends = ops.zeros_like(new_tokens, dtype="bool")
        else:
            ends = ops.logical_and(ops.equal(new_tokens, end_token_id), ops.logical_not(is_forced)[:, None])

        alive_scores, picked = ops.top_k(ops.where(ends, DEAD_SCORE, scores), beam_size)
        alive_tokens = _take_rows(candidate_tokens, picked)
        state = _gather_beams(state, ops.take_along_axis(source_beams, picked, axis=1))

        penalties = length_penalty(ops.maximum(index + 1 - prompt_lengths, 1), alpha)[:, None]
        ended = ops.where(ops.logical_and(ends, scores > DEAD_SCORE / 2), scores / penalties, DEAD_SCORE)
        finished_scores, picked = ops.top_k(ops.concatenate([finished_scores, ended], axis=1), beam_size)
        finished_tokens = _take_rows(ops.concatenate([finished_tokens, candidate_tokens], axis=1), picked)

        step_tokens = column(ops.reshape(alive_tokens, (batch_size * beam_size, max_length)), index)
        logits, state = decoder.decode_step(step_tokens[:, None], state, index)
        return alive_tokens, alive_scores, finished_tokens, finished_scores, state, logits[:, 0], index + 1, prompt

    loop_vars = (alive_tokens, alive_scores, finished_tokens, finished_scores, state, logits, start)
    alive_tokens, alive_scores, finished_tokens, finished_scores, _, _, index, _ = while_loop(
        cond, body, loop_vars + ((prompt_tokens, forced, prompt_lengths),)
    )
    # Beams still alive at the end are hypotheses too (cut at max_length), as in Hugging Face's finalize.
    final_penalties = length_penalty(ops.maximum(index - prompt_lengths, 1), alpha)[:, None]
    alive_final = ops.where(alive_scores > DEAD_SCORE / 2, alive_scores / final_penalties, DEAD_SCORE)
    scores, picked = ops.top_k(ops.concatenate([finished_scores, alive_final], axis=1), num_return_sequences)
    tokens = _take_rows(ops.concatenate([finished_tokens, alive_tokens], axis=1), picked)
    return tokens, scores
