"""What every decoding loop shares: the model and its settings, the padded prompt, the prefill step.

Prompts are right-padded. Each loop fills positions `start .. max_length - 1`, where `start` is
the shortest prompt's length; at a position still inside an example's own prompt the prompt
token is forced (keras-hub's convention), so every row stays position-aligned with one shared
cache index and longer prompts are simply read one token per step.
"""

import dataclasses

from keras import ops

from zoo.generation.repetition import repeated_ngram_tokens

# Finite, so sums and differences of dead scores never produce NaN (keras-hub's BeamSampler uses the same).
DEAD_SCORE = -1e9


def column(x, index):
    """`x[:, index]` for a tensor `index` (a gather every backend compiles, and `torch.export` captures)."""
    return ops.take(x, index, axis=1)


@dataclasses.dataclass(frozen=True)
class Decoder:
    """A model under the decoding protocol, the step function to call, and the loop-wide settings.

    `decode_step` is `model.decode_step` or a compiled stand-in (see `compiled.py`).
    `no_repeat_ngram_size` n > 0 bans any token that would repeat an n-gram the row generated.
    """

    model: object
    decode_step: object
    max_length: int
    end_token_id: object = None
    pad_token_id: int = 0
    no_repeat_ngram_size: int = 0

    @property
    def settings(self):
        """What a compiled loop closes over besides the model."""
        return (self.max_length, self.end_token_id, self.pad_token_id, self.no_repeat_ngram_size)

    def ban_repeats(self, logits, tokens, index, prompt_lengths):
        """`logits` (rows, vocabulary) for position `index`, DEAD_SCORE where a token would repeat an n-gram."""
        if not self.no_repeat_ngram_size:
            return logits
        banned = repeated_ngram_tokens(tokens, index, prompt_lengths, self.no_repeat_ngram_size, logits.shape[-1])
        return ops.where(banned, ops.cast(DEAD_SCORE, logits.dtype), logits)

    def start(self, prompt_ids, prompt_mask, conditioning):
        """Pads the prompt to `max_length` and runs `decode_step` over the whole prompt array (the prefill).

        Returns `(tokens, forced, prompt_lengths, start, logits, state)`: `tokens` (batch, max_length)
        holds the prompts then zeros, `forced` marks prompt positions, `logits` (batch, vocabulary)
        predict position `start`, and `state` holds every prompt position (positions past an
        example's prompt hold padding that the loop overwrites before any query can see it).
        """
        batch_size, prompt_length = prompt_ids.shape
        mask = ops.cast(prompt_mask, "int32")
        prompt_ids = ops.cast(prompt_ids, "int32") * mask
        padding = ((0, 0), (0, self.max_length - prompt_length))
        tokens = ops.pad(prompt_ids, padding)
        forced = ops.cast(ops.pad(mask, padding), "bool")
        prompt_lengths = ops.sum(mask, axis=1)
        start = ops.min(prompt_lengths)
        state = self.model.init_decoding_state(batch_size, self.max_length, **conditioning)
        logits, state = self.decode_step(prompt_ids, state, 0)
        return tokens, forced, prompt_lengths, start, column(logits, start - 1), state
