"""The LSTM family's task models: a (bi)LSTM classifier, an attention seq2seq and a causal LM.

A classifier may start from an LSTM causal LM run: its word vectors and the
layers whose shapes match (`load_pretrained_layers`).

Example:

    from zoo.models.registry import task_model
    model = task_model("translation", "lstm").build(config, tokenizer, info, init_model=None)
"""

from zoo.errors import ConfigError
from zoo.models.lstm.backbone import load_pretrained_layers
from zoo.models.lstm.causal_lm import LSTMCausalLM
from zoo.models.lstm.classifier import POOLINGS, LSTMClassifier
from zoo.models.lstm.presets import causal_lm_config, classifier_config, seq2seq_config
from zoo.models.lstm.seq2seq import LSTMSeq2Seq
from zoo.models.registry import TaskModel, with_dropout


def build_classifier(config, tokenizer, info, init_model):
    settings = classifier_config(
        config.size, tokenizer.vocabulary_size, len(info["labels"]), pooling=config.pooling or POOLINGS[0]
    )
    classifier = LSTMClassifier.from_backbone_arguments(**with_dropout(settings, config))
    if init_model is not None:  # e.g. a causal LM trained on in-domain text
        try:
            load_pretrained_layers(classifier.backbone, init_model.backbone)
        except ValueError as error:
            raise ConfigError(f"--init-from {config.init_from}: {error} Use the run's --size.") from None
    return classifier


def build_seq2seq(config, tokenizer, info, init_model):
    settings = seq2seq_config(config.size, tokenizer.vocabulary_size, attention="luong")
    return LSTMSeq2Seq.from_backbone_arguments(**with_dropout(settings, config), copy_attention=config.copy_attention)


def build_causal_lm(config, tokenizer, info, init_model):
    if init_model is not None:  # a causal LM run goes on training
        return init_model
    settings = causal_lm_config(config.size, tokenizer.vocabulary_size)
    return LSTMCausalLM.from_backbone_arguments(**with_dropout(settings, config))


SEQ2SEQ = TaskModel(build_seq2seq, inputs="encoder_decoder", copy_attention=True)
TASK_MODELS = {
    "classification": TaskModel(build_classifier, poolings=POOLINGS, init_from=("clm",)),
    "translation": SEQ2SEQ,
    "summarization": SEQ2SEQ,
    "clm": TaskModel(build_causal_lm, inputs="token_stream", init_from=("clm",)),
}
