"""keras-hub preset folders (`save_to_preset` of a `GPT2Backbone` or `BertBackbone`) -> zoo models.

keras-hub itself loads the preset (`Backbone.from_preset`, `Tokenizer.from_preset`: its own
classes, weights from `.weights.h5`, no pickle), after the folder's config is checked to name
one of the two supported classes. The weights are then renamed onto the zoo family's (the layouts
are the same: keras-hub's GPT-2 `transformer_layer_0/feedforward_intermediate_dense` is the zoo's
`decoder_block_0/feed_forward/up_projection`) and the token rows renumbered as for Hugging
Face checkpoints. Both keras-hub backbones use the tanh GELU.

A preset holds a backbone only: a GPT-2 one is a whole causal LM (its head is the tied
embedding); a BERT one becomes a masked-LM run whose head starts fresh (listed in the import's
`fresh_weights`), which `zoo train classification --init-from` does not use.
"""

import re

from zoo.checkpoints.huggingface_gpt2 import suppressed_ids
from zoo.checkpoints.huggingface_tokenizers import reordered_wordpiece
from zoo.checkpoints.safetensors_weights import read_json
from zoo.checkpoints.weight_mapping import assign, token_rows
from zoo.errors import LoadError
from zoo.tokenizers import BytePairTokenizer

BACKBONES = {"GPT2Backbone": "GPT2Tokenizer", "BertBackbone": "BertTokenizer"}
END_TOKEN = "<|endoftext|>"
# keras-hub weight path pieces -> the zoo's, per family (applied in order).
RENAMES = {
    "GPT2Backbone": [
        (r"^transformer_layer_(\d+)/", r"decoder_block_\1/"),
        (r"^layer_norm/", "final_norm/"),
        ("self_attention_layer_norm/", "self_attention_norm/"),
        ("feedforward_intermediate_dense/", "feed_forward/up_projection/"),
        ("feedforward_output_dense/", "feed_forward/down_projection/"),
        ("feedforward_layer_norm/", "feed_forward_norm/"),
    ],
    "BertBackbone": [
        (r"^transformer_layer_(\d+)/", r"encoder_block_\1/"),
        ("self_attention_layer/", "self_attention/"),
        ("self_attention_layer_norm/", "attention_norm/"),
        ("feedforward_intermediate_dense/", "feed_forward/up_projection/"),
        ("feedforward_output_dense/", "feed_forward/down_projection/"),
        ("feedforward_layer_norm/", "feed_forward_norm/"),
        ("embeddings_layer_norm/", "embeddings_norm/"),
        ("pooled_dense/", "pooler/"),
    ],
}


def is_preset(config):
    """Whether a folder's `config.json` is a keras-hub preset's (a serialized keras-hub class)."""
    return str(config.get("registered_name", "")).startswith("keras_hub>") or str(config.get("module", "")).startswith(
        "keras_hub"
    )


def preset_class(folder, config):
    """The preset's backbone class name, after checking it and its tokenizer are ones zoo imports."""
    where = folder / "config.json"
    name = config.get("class_name")
    if name not in BACKBONES:
        raise LoadError(f"{where}: keras-hub class {name!r} is not supported; zoo imports {', '.join(BACKBONES)}.")
    tokenizer = read_json(folder / "tokenizer.json", "keras-hub tokenizer config (tokenizer.json)")
    if tokenizer.get("class_name") != BACKBONES[name]:
        raise LoadError(
            f"{folder / 'tokenizer.json'}: tokenizer class {tokenizer.get('class_name')!r}; a {name} preset "
            f"needs {BACKBONES[name]}."
        )
    return name


def convert(folder, name):
    """`(model, tokenizer, fresh weight paths)` of the preset in `folder` whose backbone class is `name`."""
    import keras_hub

    from zoo.models.bert import BertBackbone, BertMaskedLM
    from zoo.models.gpt import GPTBackbone, GPTCausalLM

    where = folder / "config.json"
    source = keras_hub.models.Backbone.from_preset(str(folder))
    source_tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(str(folder))
    arrays = {_renamed(weight.path, RENAMES[name]): weight.numpy() for weight in source.weights}
    if name == "GPT2Backbone":
        tokenizer = BytePairTokenizer(
            dict(source_tokenizer.vocabulary), list(source_tokenizer.merges), {"bos": END_TOKEN, "eos": END_TOKEN}
        )
        source_ids = tokenizer.source_ids
        backbone = GPTBackbone(
            **_shared_arguments(source, tokenizer),
            activation="gelu_tanh",
            norm_epsilon=1e-5,
            suppressed_token_ids=suppressed_ids(tokenizer),
        )
        model = GPTCausalLM(backbone)
    else:
        vocabulary = {token: i for i, token in enumerate(source_tokenizer.get_vocabulary())}
        # keras-hub's BERT tokenizer case-folds (as the zoo trains) and keeps accents unless told otherwise.
        options = {
            "lowercase": bool(source_tokenizer.lowercase),
            "lowercase_rule": "case_fold",
            "strip_accents": bool(source_tokenizer.strip_accents),
        }
        tokenizer, source_ids = reordered_wordpiece(vocabulary, options, folder)
        backbone = BertBackbone(
            **_shared_arguments(source, tokenizer),
            num_segments=source.num_segments,
            activation="gelu_tanh",
            norm_epsilon=1e-12,
        )
        model = BertMaskedLM(backbone)
    # Every renamed array must be a zoo weight: `assign` names one that is not.
    values = {
        **arrays,
        "token_embedding/embeddings": token_rows(
            arrays["token_embedding/embeddings"], source_ids, where, "token_embedding"
        ),
    }
    head = sorted(weight.path for weight in model.weights if weight.path.startswith("masked_lm_head/"))
    assign(model, values, where, may_stay_fresh=head)
    return model, tokenizer, head


def _renamed(path, renames):
    for pattern, replacement in renames:
        path = re.sub(pattern, replacement, path)
    return path


def _shared_arguments(source, tokenizer):
    return {
        "vocabulary_size": tokenizer.vocabulary_size,
        "num_layers": source.num_layers,
        "hidden_dim": source.hidden_dim,
        "num_heads": source.num_heads,
        "intermediate_dim": source.intermediate_dim,
        "max_sequence_length": source.max_sequence_length,
        "dropout": source.dropout,
    }
