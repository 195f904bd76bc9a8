"""A tiny hand-written model that follows the decoding protocol: logits depend on the last token only.

Its log-probabilities are chosen by the test, so beam-search rankings can be worked out by hand.
`conditioning` adds a per-example bias to every step's logits (the path encoder-decoders use).
"""

import numpy as np
from keras import ops


class TransitionModel:
    """`decode_step` returns `log_probs[last token] + bias`; the state is the bias, batch on axis 0."""

    trainable_variables = ()
    non_trainable_variables = ()

    def __init__(self, log_probs):
        self.log_probs = np.asarray(log_probs, "float32")

    def init_decoding_state(self, batch_size, max_length, bias=None):
        bias = ops.zeros((batch_size, self.log_probs.shape[1])) if bias is None else ops.cast(bias, "float32")
        return {"bias": bias}

    def decode_step(self, token_ids, state, index):
        logits = ops.take(ops.convert_to_tensor(self.log_probs), token_ids, axis=0) + state["bias"][:, None, :]
        return logits, state


def transition_table(rows, vocabulary_size):
    """Log-probabilities from `{token: {next_token: probability}}`; unlisted rows are uniform."""
    table = np.full((vocabulary_size, vocabulary_size), np.log(1.0 / vocabulary_size))
    for token, probabilities in rows.items():
        table[token] = np.log(1e-9)
        for next_token, probability in probabilities.items():
            table[token, next_token] = np.log(probability)
    return table
