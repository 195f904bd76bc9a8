"""GPT-style decoder family: backbone, causal LM, last-token classifier, decoder-only seq2seq, presets."""

from zoo.models.gpt.backbone import GPTBackbone
from zoo.models.gpt.causal_lm import GPTCausalLM, next_token_batch
from zoo.models.gpt.classifier import GPTClassifier, LastTokenPooling
from zoo.models.gpt.presets import PRESETS, estimate_training_flops_per_token, total_parameters
from zoo.models.gpt.seq2seq import GPTSeq2Seq, prefix_lm_batch

__all__ = [
    "GPTBackbone",
    "GPTCausalLM",
    "GPTClassifier",
    "GPTSeq2Seq",
    "LastTokenPooling",
    "PRESETS",
    "estimate_training_flops_per_token",
    "next_token_batch",
    "total_parameters",
    "prefix_lm_batch",
]
