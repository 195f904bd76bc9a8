"""The GPT family's task models: a last-token classifier, a prefix-LM seq2seq and the causal LM.

Any GPT run starts the classifier and the seq2seq (`--init-from`): they share the backbone; a
causal LM goes on from a causal LM run.

Example:

    from zoo.models.registry import task_model
    model = task_model("clm", "gpt").build(config, tokenizer, info, init_model=None)
"""

from zoo.models.gpt.causal_lm import GPTCausalLM
from zoo.models.gpt.classifier import GPTClassifier
from zoo.models.gpt.seq2seq import GPTSeq2Seq
from zoo.models.registry import TaskModel, backbone_from, with_dropout


def build_classifier(config, tokenizer, info, init_model):
    backbone = backbone_from(init_model, "gpt", config, tokenizer.vocabulary_size, config.seq_len)
    # `--dropout` sets the head's dropout too (else none).
    return GPTClassifier(backbone, len(info["labels"]), **with_dropout({}, config))


def build_seq2seq(config, tokenizer, info, init_model):
    # One sequence: source (seq_len), separator, target (target_len).
    length = config.seq_len + config.target_len + 1
    backbone = backbone_from(init_model, "gpt", config, tokenizer.vocabulary_size, length)
    return GPTSeq2Seq(backbone, separator_token_id=tokenizer.eos_id)


def build_causal_lm(config, tokenizer, info, init_model):
    return GPTCausalLM(backbone_from(init_model, "gpt", config, tokenizer.vocabulary_size, config.seq_len))


SEQ2SEQ = TaskModel(build_seq2seq, inputs="prefix_lm", init_from="any_task")
TASK_MODELS = {
    "classification": TaskModel(build_classifier, poolings=("last",), init_from="any_task"),
    "translation": SEQ2SEQ,
    "summarization": SEQ2SEQ,
    "clm": TaskModel(build_causal_lm, inputs="token_stream", init_from=("clm",)),
}
