"""What every GPT task shares: the backbone it holds, its config, and `compile()` defaults."""

from zoo.models.functional_model import BackboneTask


class GPTTask(BackboneTask):
    """Base of the GPT task models (a functional model around a `GPTBackbone`); not used on its own.

    `compile()` with no arguments (`Task`) uses AdamW at 3e-4, sparse cross-entropy on float32
    logits and an accuracy metric (weighted by the padding/loss mask for token-level tasks).
    """

    default_learning_rate = 3e-4
