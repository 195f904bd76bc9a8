"""The BERT family's task models: a sequence(-pair) classifier and the masked LM (with NSP: the pre-trainer).

Example:

    from zoo.models.registry import task_model
    model = task_model("mlm", "bert").build(config, tokenizer, info, init_model=None)
"""

from zoo.models.bert.classifier import POOLINGS, BertClassifier
from zoo.models.bert.masked_lm import BertMaskedLM
from zoo.models.bert.pretrainer import BertPretrainer
from zoo.models.registry import TaskModel, backbone_from, with_dropout


def build_classifier(config, tokenizer, info, init_model):
    backbone = backbone_from(init_model, "bert", config, tokenizer.vocabulary_size, config.seq_len)
    # `--dropout` sets the head's dropout too (else BERT's 0.1).
    head = with_dropout({"pooling": config.pooling or POOLINGS[0]}, config)
    return BertClassifier(backbone, len(info["labels"]), **head)


def build_masked_lm(config, tokenizer, info, init_model):
    backbone = backbone_from(init_model, "bert", config, tokenizer.vocabulary_size, config.seq_len)
    return BertPretrainer(backbone) if config.nsp else BertMaskedLM(backbone)


TASK_MODELS = {
    "classification": TaskModel(
        build_classifier, inputs="token_and_segment_ids", poolings=POOLINGS, init_from="any_task"
    ),
    "mlm": TaskModel(build_masked_lm, inputs="masked_tokens", init_from="any_task"),
}
