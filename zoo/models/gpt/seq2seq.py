"""Decoder-only seq2seq (prefix LM): `source <sep> target <end>` in one causal sequence, loss on the target."""

import keras
import numpy as np

from zoo.models.gpt.causal_lm import GPTCausalLM
from zoo.validation import require_positive_int


def prefix_lm_batch(sources, targets, max_source_length, max_target_length, separator_token_id, end_token_id):
    """Packs id lists into `(x, y, sample_weight)` for `GPTSeq2Seq.fit`, the loss on target tokens only.

    Each row is `source <sep> target <end>` as the training pipeline packs it
    (`zoo.data.pipelines.prefix_lm`: the source cut to `max_source_length` tokens, the target to
    `max_target_length` with its end token), shifted (`x` the tokens but the last, `y` the next
    ones) and right-padded with 0 to `max_source_length + max_target_length`; `sample_weight` is
    1 exactly where `y` is a target token or the end token.

    Example:

        x, y, w = prefix_lm_batch([[5, 6]], [[7]], 2, 3, separator_token_id=2, end_token_id=3)
        x["token_ids"], y, w  # (array([[5, 6, 2, 7, 0]]), array([[6, 2, 7, 3, 0]]), array([[0, 0, 1, 1, 0]]))
    """
    import tensorflow as tf

    from zoo.data.pipelines.prefix_lm import training_sequences

    token_ids, is_target = training_sequences(
        tf.ragged.constant([list(map(int, ids)) for ids in sources], dtype=tf.int32, ragged_rank=1),
        tf.ragged.constant([list(map(int, ids)) for ids in targets], dtype=tf.int32, ragged_rank=1),
        separator_id=separator_token_id,
        end_id=end_token_id,
        max_source_length=max_source_length,
        max_target_length=max_target_length,
    )
    # Each row is shifted before padding, as in the pipeline: a short row's end token is a label only.
    shape = [None, max_source_length + max_target_length]
    token_ids, labels, weights = (
        ragged.to_tensor(shape=shape).numpy() for ragged in (token_ids[:, :-1], token_ids[:, 1:], is_target[:, 1:])
    )
    return {"token_ids": token_ids, "padding_mask": (token_ids != 0).astype("int32")}, labels, weights


@keras.saving.register_keras_serializable(package="zoo")
class GPTSeq2Seq(GPTCausalLM):
    """Translation/summarization with a decoder-only GPT: `source <sep> target <end>`, causal throughout.

    Training data are next-token batches whose `sample_weight` is 1 on target tokens only
    (`prefix_lm_batch` builds them from id lists, `zoo.data.pipelines.prefix_lm_dataset` from
    texts, with the same packing), so the source is context, never a prediction target.
    Generation continues after `source <sep>`: `build_prompt` makes the right-padded prompts and
    `zoo.generation.generate(model, prompt_ids, max_length, prompt_mask=...)` decodes them with
    the KV cache of `GPTCausalLM`.

    Args:
        backbone: a `GPTBackbone`.
        separator_token_id: the id placed between source and target.

    Example:

        model = GPTSeq2Seq(backbone, separator_token_id=2)
        prompt_ids, prompt_mask = model.build_prompt(np.array([[5, 6, 0], [7, 8, 9]]))
        prompt_ids  # array([[5, 6, 2, 0], [7, 8, 9, 2]], dtype=int32)
    """

    def __init__(self, backbone, separator_token_id, **kwargs):
        require_positive_int("separator_token_id", separator_token_id)
        super().__init__(backbone, **kwargs)
        self.separator_token_id = separator_token_id

    def build_prompt(self, source_ids, source_padding_mask=None):
        """Right-padded `(prompt_ids, prompt_mask)` of shape `(batch, source_length + 1)`: each source then `<sep>`.

        `source_ids` are right-padded ids (0 or `source_padding_mask` marks the padding). The
        packing is the training pipeline's (`zoo.data.pipelines.prefix_lm.prompts`).
        """
        from zoo.data.pipelines.prefix_lm import prompts

        source_ids = np.asarray(source_ids, "int32")
        if source_padding_mask is not None:
            source_ids = np.where(np.asarray(source_padding_mask, bool), source_ids, 0)
        prompt_ids, prompt_mask = prompts(
            source_ids, separator_id=self.separator_token_id, max_source_length=source_ids.shape[1]
        )
        return prompt_ids.numpy(), prompt_mask.numpy()

    def get_config(self):
        config = super().get_config()
        config.update({"separator_token_id": self.separator_token_id})
        return config
