"""BERT-style encoders: the backbone, masked LM, classifier and MLM + NSP pre-trainer.

Example:

    from zoo.models.bert import PRESETS, BertBackbone, BertClassifier
    classifier = BertClassifier(BertBackbone(vocabulary_size=8192, **PRESETS["tiny"]), num_classes=2)
"""

from zoo.models.bert.backbone import BertBackbone
from zoo.models.bert.classifier import BertClassifier
from zoo.models.bert.masked_lm import BertMaskedLM
from zoo.models.bert.masked_lm_head import MaskedLMHead
from zoo.models.bert.presets import PRESETS, estimate_training_flops_per_token
from zoo.models.bert.pretrainer import BertPretrainer

__all__ = [
    "PRESETS",
    "BertBackbone",
    "BertClassifier",
    "BertMaskedLM",
    "BertPretrainer",
    "MaskedLMHead",
    "estimate_training_flops_per_token",
]
