"""Hugging Face BERT (`BertForMaskedLM`, `BertForPreTraining`, `BertForSequenceClassification`) -> zoo BERT.

The shapes agree: `BertBackbone` is BERT's post-LN encoder with token, segment and learned
position embeddings, an embeddings LayerNorm, exact GELU, LayerNorm epsilon 1e-12 and the tanh
pooler; `MaskedLMHead` is BERT's transform (dense, GELU, LayerNorm) and tied decoder with its own
bias; the NSP and classifier heads are one dense layer each. PyTorch's `Linear` stores kernels
`(out, in)`, so every kernel is transposed, and query/key/value/output get their heads made
explicit. WordPiece ids are permuted so "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" are 0..4
(`source_ids[zoo id]` = the source id), with the embedding rows and the output bias.
A `BertForMaskedLM` checkpoint has no pooler: the zoo pooler keeps its fresh initialization, as
`transformers` does when it loads such a checkpoint into a classifier.
"""

import numpy as np

from zoo.checkpoints.weight_mapping import assign, check_leftovers, linear, norm, taker, token_rows
from zoo.errors import LoadError
from zoo.models.bert import BertBackbone, BertClassifier, BertMaskedLM
from zoo.models.bert.pretrainer import BertPretrainer

ARCHITECTURES = ("BertForMaskedLM", "BertForPreTraining", "BertForSequenceClassification")
ACTIVATIONS = {"gelu": "gelu", "gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "relu": "relu"}
# Index buffers BERT checkpoints may carry; the tied decoder and its bias are checked equal to what they repeat.
IGNORED_SUFFIXES = ("embeddings.position_ids", "embeddings.token_type_ids")
TIED_DECODER = "cls.predictions.decoder.weight"
DECODER_BIAS = "cls.predictions.decoder.bias"


def backbone_arguments(config, vocabulary_size, where):
    """`BertBackbone` arguments for a BERT `config.json`; `LoadError` naming a setting it cannot match."""
    position_type = config.get("position_embedding_type", "absolute")
    if position_type != "absolute":
        raise LoadError(f"{where}: position_embedding_type={position_type!r}; zoo's BERT has absolute positions.")
    activation = config.get("hidden_act", "gelu")
    if activation not in ACTIVATIONS:
        raise LoadError(f"{where}: hidden_act={activation!r}; supported: {sorted(ACTIVATIONS)}.")
    try:
        return {
            "vocabulary_size": vocabulary_size,
            "num_layers": int(config["num_hidden_layers"]),
            "hidden_dim": int(config["hidden_size"]),
            "num_heads": int(config["num_attention_heads"]),
            "intermediate_dim": int(config["intermediate_size"]),
            "max_sequence_length": int(config["max_position_embeddings"]),
            "num_segments": int(config.get("type_vocab_size", 2)),
            "dropout": float(config.get("hidden_dropout_prob", 0.1)),
            "activation": ACTIVATIONS[activation],
            "norm_epsilon": float(config.get("layer_norm_eps", 1e-12)),
        }
    except KeyError as error:
        raise LoadError(f"{where}: missing the BERT setting {error}.") from None


def build_model(architecture, config, arrays, source_ids, vocabulary_size, where):
    """`(model, fresh weight paths)`: the zoo task model of `architecture` holding the checkpoint's `arrays`.

    The fresh weights (keeping their initialization) are the pooler's when the checkpoint has none.
    """
    backbone = BertBackbone(**backbone_arguments(config, vocabulary_size, where))
    if architecture == "BertForSequenceClassification":
        model = BertClassifier(backbone, len(class_labels(config)), dropout=_classifier_dropout(config))
    elif architecture == "BertForPreTraining":
        model = BertPretrainer(backbone)
    else:
        model = BertMaskedLM(backbone)
    take, taken = taker(arrays, where, "a BERT model")
    values = _backbone_arrays(take, arrays, backbone, source_ids, where)
    values.update(_head_arrays(take, model, source_ids, where))
    check_leftovers(arrays, taken, where, _is_ignorable)
    fresh = sorted(weight.path for weight in model.weights if weight.path not in values)
    assign(model, values, where, may_stay_fresh=[path for path in fresh if path.startswith("pooler/")])
    return model, fresh


def class_labels(config):
    """A classifier's labels in id order, from `id2label` (`LABEL_0`, ... when the config has none)."""
    id2label = config.get("id2label") or {str(i): f"LABEL_{i}" for i in range(int(config.get("num_labels", 2)))}
    return [id2label.get(str(i), id2label.get(i)) for i in range(len(id2label))]


def _classifier_dropout(config):
    dropout = config.get("classifier_dropout")
    return float(config.get("hidden_dropout_prob", 0.1) if dropout is None else dropout)


def _backbone_arrays(take, arrays, backbone, source_ids, where):
    prefix = "bert." if any(name.startswith("bert.") for name in arrays) else ""
    heads, head_dim = backbone.num_heads, backbone.hidden_dim // backbone.num_heads
    embeddings = prefix + "embeddings."
    values = {
        "token_embedding/embeddings": token_rows(
            take(embeddings + "word_embeddings.weight"), source_ids, where, "word_embeddings"
        ),
        "segment_embedding/embeddings": take(embeddings + "token_type_embeddings.weight"),
        "position_embedding/embeddings": take(embeddings + "position_embeddings.weight"),
        "embeddings_norm/gamma": take(embeddings + "LayerNorm.weight"),
        "embeddings_norm/beta": take(embeddings + "LayerNorm.bias"),
    }
    for i in range(backbone.num_layers):
        source, block = f"{prefix}encoder.layer.{i}.", f"encoder_block_{i}/"
        for name in ("query", "key", "value"):
            kernel, bias = linear(take, f"{source}attention.self.{name}")
            values[f"{block}self_attention/{name}/kernel"] = kernel.reshape(-1, heads, head_dim)
            values[f"{block}self_attention/{name}/bias"] = bias.reshape(heads, head_dim)
        kernel, bias = linear(take, f"{source}attention.output.dense")
        values[f"{block}self_attention/attention_output/kernel"] = kernel.reshape(heads, head_dim, -1)
        values[f"{block}self_attention/attention_output/bias"] = bias
        values.update(norm(take, f"{source}attention.output.LayerNorm", f"{block}attention_norm"))
        for source_name, zoo_name in (("intermediate.dense", "up_projection"), ("output.dense", "down_projection")):
            kernel, bias = linear(take, source + source_name)
            values[f"{block}feed_forward/{zoo_name}/kernel"] = kernel
            values[f"{block}feed_forward/{zoo_name}/bias"] = bias
        values.update(norm(take, f"{source}output.LayerNorm", f"{block}feed_forward_norm"))
    if prefix + "pooler.dense.weight" in arrays:
        values["pooler/kernel"], values["pooler/bias"] = linear(take, prefix + "pooler.dense")
    return values


def _head_arrays(take, model, source_ids, where):
    values = {}
    if hasattr(model, "masked_lm_head"):
        values["masked_lm_head/dense/kernel"], values["masked_lm_head/dense/bias"] = linear(
            take, "cls.predictions.transform.dense"
        )
        values.update(norm(take, "cls.predictions.transform.LayerNorm", "masked_lm_head/norm"))
        values["masked_lm_head/output_bias"] = token_rows(take("cls.predictions.bias"), source_ids, where, "the bias")
    if isinstance(model, BertPretrainer):
        values["next_sentence_head/kernel"], values["next_sentence_head/bias"] = linear(take, "cls.seq_relationship")
    if isinstance(model, BertClassifier):
        values["logits/kernel"], values["logits/bias"] = linear(take, "classifier")
    return values


def _is_ignorable(name, arrays):
    if name.endswith(IGNORED_SUFFIXES):
        return True
    word_embeddings = arrays.get("bert.embeddings.word_embeddings.weight")
    if name == TIED_DECODER:
        return np.array_equal(arrays[name], word_embeddings)
    return name == DECODER_BIAS and np.array_equal(arrays[name], arrays.get("cls.predictions.bias"))
