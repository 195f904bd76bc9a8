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
    output_bias = getattr(init_model, "output_bias", False)
    model = Seq2SeqLM(backbone, copy_attention=config.copy_attention, output_bias=output_bias)
    if output_bias:  # BART's final_logits_bias goes on with its weights
        model.logit_bias.set_weights(init_model.logit_bias.get_weights())
    return model


# A translation or summarization run (e.g. an imported BART) starts another of either task.
SEQ2SEQ = TaskModel(
    build_seq2seq, inputs="encoder_decoder", copy_attention=True, init_from=("translation", "summarization")
)
TASK_MODELS = {"translation": SEQ2SEQ, "summarization": SEQ2SEQ}
