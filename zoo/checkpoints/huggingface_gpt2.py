"""Hugging Face GPT-2 (`GPT2LMHeadModel`, `GPT2Model`) -> `GPTCausalLM` with the same logits.

The shapes already agree: GPT-2 is a pre-LN decoder with learned positions, `gelu_new` (the tanh
GELU), LayerNorm epsilon 1e-5 and a tied head, which `GPTBackbone` builds. GPT-2's `Conv1D`
stores its kernels `(in, out)`, as Keras does, so no transpose: only the fused `c_attn` kernel
is split into query, key and value, and the heads made explicit. Token rows are renumbered with
the tokenizer (`BytePairTokenizer.source_ids`): the zoo's pad, unk and mask ids, which GPT-2 lacks,
get zero rows and are never predicted; bos and eos both take "<|endoftext|>"'s row, and only eos
is predicted.
"""

import numpy as np

from zoo.checkpoints.weight_mapping import assign, check_leftovers, taker, token_rows
from zoo.errors import LoadError
from zoo.models.gpt import GPTBackbone, GPTCausalLM

ARCHITECTURES = ("GPT2LMHeadModel", "GPT2Model")
ACTIVATIONS = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu", "relu": "relu"}
# Buffers older GPT-2 checkpoints saved with the weights (the causal mask), and the tied head.
IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias")
TIED_HEAD = "lm_head.weight"


def backbone_arguments(config, vocabulary_size, where):
    """`GPTBackbone` arguments for a GPT-2 `config.json`; `LoadError` naming a setting it cannot match."""
    unsupported = {
        "scale_attn_weights": (config.get("scale_attn_weights", True), True),
        "scale_attn_by_inverse_layer_idx": (config.get("scale_attn_by_inverse_layer_idx", False), False),
        "add_cross_attention": (config.get("add_cross_attention", False), False),
        "tie_word_embeddings": (config.get("tie_word_embeddings", True), True),
    }
    for name, (value, supported) in unsupported.items():
        if value != supported:
            raise LoadError(f"{where}: {name}={value!r} is not supported (zoo's GPT builds {name}={supported!r}).")
    activation = config.get("activation_function", "gelu_new")
    if activation not in ACTIVATIONS:
        raise LoadError(f"{where}: activation_function={activation!r}; supported: {sorted(ACTIVATIONS)}.")
    try:
        hidden_dim = int(config["n_embd"])
        return {
            "vocabulary_size": vocabulary_size,
            "num_layers": int(config["n_layer"]),
            "hidden_dim": hidden_dim,
            "num_heads": int(config["n_head"]),
            "intermediate_dim": int(config.get("n_inner") or 4 * hidden_dim),
            "max_sequence_length": int(config["n_positions"]),
            "activation": ACTIVATIONS[activation],
            "norm_epsilon": float(config.get("layer_norm_epsilon", 1e-5)),
            "dropout": float(config.get("resid_pdrop", 0.1)),
        }
    except KeyError as error:
        raise LoadError(f"{where}: missing the GPT-2 setting {error}.") from None


def build_causal_lm(config, arrays, tokenizer, where):
    """A `GPTCausalLM` holding the checkpoint's `arrays` (`{HF name: np.ndarray}`)."""
    arrays = {_strip_prefix(name): value for name, value in arrays.items()}
    arguments = backbone_arguments(config, tokenizer.vocabulary_size, where)
    backbone = GPTBackbone(**arguments, suppressed_token_ids=suppressed_ids(tokenizer))
    model = GPTCausalLM(backbone)
    values = _zoo_arrays(arrays, arguments, tokenizer.source_ids, where)
    assign(backbone, values, where)
    return model


def suppressed_ids(tokenizer):
    """The zoo ids an imported GPT-2 never predicts: bos (it shares "<|endoftext|>"'s row with eos and
    only starts texts) and the specials GPT-2 has no row for (pad, unk, mask)."""
    return [tokenizer.bos_id] + [i for i, source in enumerate(tokenizer.source_ids) if source < 0]


def _strip_prefix(name):
    return name.removeprefix("transformer.")


def _zoo_arrays(arrays, arguments, source_ids, where):
    """`{zoo weight path: array}` from GPT-2's names; `LoadError` naming a missing or unexpected key."""
    take, taken = taker(arrays, where, "a GPT-2 model")
    layers, heads = arguments["num_layers"], arguments["num_heads"]
    head_dim = arguments["hidden_dim"] // heads
    values = {
        "token_embedding/embeddings": token_rows(take("wte.weight"), source_ids, where, "wte.weight"),
        "position_embedding/embeddings": take("wpe.weight"),
        "final_norm/gamma": take("ln_f.weight"),
        "final_norm/beta": take("ln_f.bias"),
    }
    for i in range(layers):
        source, block = f"h.{i}.", f"decoder_block_{i}/"
        kernel, bias = take(source + "attn.c_attn.weight"), take(source + "attn.c_attn.bias")
        for part, name in enumerate(("query", "key", "value")):
            width = slice(part * heads * head_dim, (part + 1) * heads * head_dim)
            values[f"{block}self_attention/{name}/kernel"] = kernel[:, width].reshape(-1, heads, head_dim)
            values[f"{block}self_attention/{name}/bias"] = bias[width].reshape(heads, head_dim)
        projection = take(source + "attn.c_proj.weight")
        values[f"{block}self_attention/attention_output/kernel"] = projection.reshape(heads, head_dim, -1)
        values[f"{block}self_attention/attention_output/bias"] = take(source + "attn.c_proj.bias")
        for norm, zoo_norm in (("ln_1", "self_attention_norm"), ("ln_2", "feed_forward_norm")):
            values[f"{block}{zoo_norm}/gamma"] = take(f"{source}{norm}.weight")
            values[f"{block}{zoo_norm}/beta"] = take(f"{source}{norm}.bias")
        for layer, zoo_layer in (("c_fc", "up_projection"), ("c_proj", "down_projection")):
            values[f"{block}feed_forward/{zoo_layer}/kernel"] = take(f"{source}mlp.{layer}.weight")
            values[f"{block}feed_forward/{zoo_layer}/bias"] = take(f"{source}mlp.{layer}.bias")
    check_leftovers(arrays, taken, where, _is_ignorable)
    return values


def _is_ignorable(name, arrays):
    return name.endswith(IGNORED_SUFFIXES) or (name == TIED_HEAD and np.array_equal(arrays[name], arrays["wte.weight"]))
