"""Decoder-only seq2seq (prefix LM): `source <sep> target <end>` in one causal sequence, loss on the target."""

import keras
import numpy as np

from zoo.models.gpt.causal_lm import GPTCausalLM, next_token_batch
from zoo.validation import require_positive_int


def prefix_lm_batch(sources, targets, sequence_length, separator_token_id, end_token_id):
    """Packs id lists into `(x, y, sample_weight)` for `GPTSeq2Seq.fit`, the loss on target tokens only.

    Each row is `source <sep> target <end>` right-padded with 0 to `sequence_length + 1` tokens
    and shifted by `next_token_batch`: `sample_weight` is 1 exactly where `y` is a target
    token or the end token. Sources are cut from the right first, then targets, to fit.

    Example:

        x, y, w = prefix_lm_batch([[5, 6]], [[7]], sequence_length=5, separator_token_id=2, end_token_id=3)
        x["token_ids"], y, w  # (array([[5, 6, 2, 7, 3]]), array([[6, 2, 7, 3, 0]]), array([[0, 0, 1, 1, 0]]))
    """
    total = sequence_length + 1
    token_ids = np.zeros((len(sources), total), "int32")
    loss_mask = np.zeros((len(sources), total), "int32")
    for row, (source, target) in enumerate(zip(sources, targets)):
        target = list(target)[: total - 2] + [end_token_id]
        source = list(source)[: total - 1 - len(target)]
        ids = source + [separator_token_id] + target
        token_ids[row, : len(ids)] = ids
        loss_mask[row, len(source) + 1 : len(ids)] = 1
    return next_token_batch(token_ids, (token_ids != 0).astype("int32"), loss_mask)


@keras.saving.register_keras_serializable(package="zoo")
class GPTSeq2Seq(GPTCausalLM):
    """Translation/summarization with a decoder-only GPT: `source <sep> target <end>`, causal throughout.

    Training data are next-token batches whose `sample_weight` is 1 on target tokens only
    (`prefix_lm_batch` builds them from id lists; a `tf.data` pipeline yields the same
    `(x, y, sample_weight)` triple), so the source is context, never a prediction target.
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
        """Right-padded `(prompt_ids, prompt_mask)` of shape `(batch, source_length + 1)`: each source then `<sep>`."""
        source_ids = np.asarray(source_ids, "int32")
        mask = source_ids != 0 if source_padding_mask is None else np.asarray(source_padding_mask, bool)
        lengths = mask.sum(axis=1)
        prompt_ids = np.pad(np.where(mask, source_ids, 0), ((0, 0), (0, 1)))
        prompt_ids[np.arange(len(prompt_ids)), lengths] = self.separator_token_id
        prompt_mask = np.arange(prompt_ids.shape[1])[None, :] <= lengths[:, None]
        return prompt_ids, prompt_mask.astype("int32")

    def get_config(self):
        config = super().get_config()
        config.update({"separator_token_id": self.separator_token_id})
        return config
