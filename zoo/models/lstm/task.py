"""What the LSTM seq2seq and language model share: `compile()` defaults."""

from zoo.models.functional_model import Task


class LSTMGenerativeTask(Task):
    """Base of `LSTMSeq2Seq` and `LSTMCausalLM`; not used on its own.

    `compile()` with no arguments (`Task`) uses AdamW at 1e-3, `_default_loss()` (cross-entropy
    on the logits) and accuracy weighted by the sample weights (padding weighs 0).
    """
