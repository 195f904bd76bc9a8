"""What the BERT tasks share: a backbone-holding base class and `compile()` defaults."""

from zoo.models.functional_model import BackboneTask, sparse_cross_entropy


class BertTask(BackboneTask):
    """Base of the BERT task models; not used on its own.

    A task is a functional model that calls `backbone` and adds a head; its config is the
    serialized backbone plus the task's own arguments (see `BackboneTask`).
    `compile()` with no arguments (`Task`) uses AdamW at BERT pre-training's 1e-4, cross-entropy
    on the logits averaged over the sample weights, and weighted accuracy.
    """

    default_learning_rate = 1e-4

    def _default_loss(self):
        return sparse_cross_entropy()
