"""Encoder-decoder Transformers (the original Transformer / T5 / BART shape) for translation and summarization.

Example:

    from zoo.models.seq2seq import PRESETS, Seq2SeqBackbone, Seq2SeqLM
    model = Seq2SeqLM(Seq2SeqBackbone(vocabulary_size=8192, **PRESETS["tiny"]))
"""

from zoo.models.seq2seq.backbone import Seq2SeqBackbone
from zoo.models.seq2seq.presets import PRESETS, estimate_training_flops_per_token
from zoo.models.seq2seq.seq2seq_lm import Seq2SeqLM

__all__ = ["PRESETS", "Seq2SeqBackbone", "Seq2SeqLM", "estimate_training_flops_per_token"]
