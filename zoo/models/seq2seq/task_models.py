"""The encoder-decoder Transformer's task models: translation and summarization.

Example:

    from zoo.models.registry import task_model
    model = task_model("translation", "transformer").build(config, tokenizer, info, init_model=None)
"""

from zoo.models.registry import TaskModel, backbone_from
from zoo.models.seq2seq.seq2seq_lm import Seq2SeqLM


def build_seq2seq(config, tokenizer, info, init_model):
    length = max(config.seq_len, config.target_len)
    backbone = backbone_from(init_model, "seq2seq", config, tokenizer.vocabulary_size, length)
    return Seq2SeqLM(backbone, copy_attention=config.copy_attention)


SEQ2SEQ = TaskModel(build_seq2seq, inputs="encoder_decoder", copy_attention=True)
TASK_MODELS = {"translation": SEQ2SEQ, "summarization": SEQ2SEQ}
