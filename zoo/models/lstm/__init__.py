"""LSTM baselines on one `LSTMBackbone`: a (bi)LSTM text classifier, a causal LM and an attention seq2seq.

Example:

    from zoo.models.lstm import LSTMSeq2Seq, seq2seq_config
    model = LSTMSeq2Seq.from_backbone_arguments(**seq2seq_config("small", vocabulary_size=8000))
"""

from zoo.models.lstm.backbone import LSTMBackbone
from zoo.models.lstm.causal_lm import LSTMCausalLM
from zoo.models.lstm.classifier import LSTMClassifier
from zoo.models.lstm.decoder import LSTMDecoder, LSTMStateBridge
from zoo.models.lstm.presets import (
    PRESETS,
    causal_lm_config,
    classifier_config,
    estimate_training_flops_per_token,
    non_embedding_parameters,
    seq2seq_config,
    total_parameters,
)
from zoo.models.lstm.seq2seq import LSTMSeq2Seq

__all__ = [
    "PRESETS",
    "LSTMBackbone",
    "LSTMCausalLM",
    "LSTMClassifier",
    "LSTMDecoder",
    "LSTMSeq2Seq",
    "LSTMStateBridge",
    "causal_lm_config",
    "classifier_config",
    "non_embedding_parameters",
    "estimate_training_flops_per_token",
    "seq2seq_config",
    "total_parameters",
]
