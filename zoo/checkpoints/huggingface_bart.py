"""Hugging Face BART (`BartForConditionalGeneration`) -> `Seq2SeqLM` with the same logits.

Why BART as the encoder-decoder family: its tokenizer is GPT-2's byte-level BPE with all five
special tokens (`<s>`, `<pad>`, `</s>`, `<unk>`, `<mask>`), so the zoo's `byte_bpe` kind and an
exact id permutation serve it, and its architecture is options `Seq2SeqBackbone` has or takes in
one line: learned positions, post-LN blocks, exact GELU, one shared token table tied to the output,
an embeddings LayerNorm (`embeddings_norm`) and `final_logits_bias` (`Seq2SeqLM(output_bias=True)`).
Marian would need SentencePiece models whose ids come from a separate `vocab.json`, the swish
activation and its own sinusoid layout.

Weights: PyTorch `Linear` kernels are `(out, in)` and transposed; BART's position tables start
with 2 unused rows (its positions are offset by 2), dropped here.
"""

import numpy as np

from zoo.checkpoints.weight_mapping import assign, check_leftovers, linear, norm, taker, token_rows
from zoo.data.pipelines.seq2seq import Seq2SeqFormat
from zoo.errors import LoadError
from zoo.models.seq2seq import Seq2SeqBackbone, Seq2SeqLM

ARCHITECTURES = ("BartForConditionalGeneration",)
# BART reads `<s> source </s>` and decodes from `</s> <s>` (decoder_start_token_id, then the forced bos).
SEQ2SEQ_FORMAT = Seq2SeqFormat(source_bos=True, decoder_start=("eos", "bos"))
POSITION_OFFSET = 2
# Tables that repeat `model.shared.weight` (checked equal).
TIED = ("model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight")


def backbone_arguments(config, vocabulary_size, where):
    """`Seq2SeqBackbone` arguments for a BART `config.json`; `LoadError` naming a setting it cannot match."""
    checks = {
        "normalize_before": (config.get("normalize_before", False), False),
        "add_final_layer_norm": (config.get("add_final_layer_norm", False), False),
        "activation_function": (config.get("activation_function", "gelu"), "gelu"),
        "decoder_attention_heads": (config.get("decoder_attention_heads"), config.get("encoder_attention_heads")),
        "decoder_ffn_dim": (config.get("decoder_ffn_dim"), config.get("encoder_ffn_dim")),
    }
    for name, (value, supported) in checks.items():
        if value != supported:
            raise LoadError(f"{where}: {name}={value!r} is not supported (zoo's encoder-decoder needs {supported!r}).")
    try:
        return {
            "vocabulary_size": vocabulary_size,
            "num_encoder_layers": int(config["encoder_layers"]),
            "num_decoder_layers": int(config["decoder_layers"]),
            "hidden_dim": int(config["d_model"]),
            "num_heads": int(config["encoder_attention_heads"]),
            "intermediate_dim": int(config["encoder_ffn_dim"]),
            "max_sequence_length": int(config["max_position_embeddings"]),
            "share_embeddings": True,
            "position_encoding": "learned",
            "scale_embeddings": bool(config.get("scale_embedding", False)),
            "norm_first": False,
            "norm_epsilon": 1e-5,
            "dropout": float(config.get("dropout", 0.1)),
            "attention_dropout": float(config.get("attention_dropout", 0.0)),
            "activation": "gelu",
            "embeddings_norm": True,
        }
    except KeyError as error:
        raise LoadError(f"{where}: missing the BART setting {error}.") from None


def build_seq2seq_lm(config, arrays, source_ids, vocabulary_size, where):
    """A `Seq2SeqLM` holding the checkpoint's `arrays` (`{HF name: np.ndarray}`); `source_ids[zoo id]` the BART id."""
    backbone = Seq2SeqBackbone(**backbone_arguments(config, vocabulary_size, where))
    model = Seq2SeqLM(backbone, output_bias=True)
    take, taken = taker(arrays, where, "a BART model")
    heads, head_dim = backbone.num_heads, backbone.head_dim
    values = {
        "token_embedding/embeddings": token_rows(take("model.shared.weight"), source_ids, where, "model.shared"),
        "output_bias/bias": token_rows(take("final_logits_bias")[0], source_ids, where, "final_logits_bias"),
    }
    for side in ("encoder", "decoder"):
        values[f"{side}_position_encoding/embeddings"] = take(f"model.{side}.embed_positions.weight")[POSITION_OFFSET:]
        values.update(norm(take, f"model.{side}.layernorm_embedding", f"{side}_embeddings_norm"))
        layers = backbone.num_encoder_layers if side == "encoder" else backbone.num_decoder_layers
        for i in range(layers):
            source, block = f"model.{side}.layers.{i}.", f"{side}_block_{i}/"
            attentions = [("self_attn", "self_attention")] + (
                [("encoder_attn", "cross_attention")] * (side == "decoder")
            )
            for source_name, zoo_name in attentions:
                values.update(_attention(take, source + source_name, block + zoo_name, heads, head_dim))
                norm_name = "attention_norm" if side == "encoder" else f"{zoo_name}_norm"
                values.update(norm(take, f"{source}{source_name}_layer_norm", block + norm_name))
            for source_name, zoo_name in (("fc1", "up_projection"), ("fc2", "down_projection")):
                kernel, bias = linear(take, source + source_name)
                values[f"{block}feed_forward/{zoo_name}/kernel"], values[f"{block}feed_forward/{zoo_name}/bias"] = (
                    kernel,
                    bias,
                )
            values.update(norm(take, f"{source}final_layer_norm", f"{block}feed_forward_norm"))
    check_leftovers(arrays, taken, where, _is_ignorable)
    assign(model, values, where)
    return model


def _attention(take, source, target, heads, head_dim):
    values = {}
    for source_name, zoo_name in (("q_proj", "query"), ("k_proj", "key"), ("v_proj", "value")):
        kernel, bias = linear(take, f"{source}.{source_name}")
        values[f"{target}/{zoo_name}/kernel"] = kernel.reshape(-1, heads, head_dim)
        values[f"{target}/{zoo_name}/bias"] = bias.reshape(heads, head_dim)
    kernel, bias = linear(take, f"{source}.out_proj")
    values[f"{target}/attention_output/kernel"] = kernel.reshape(heads, head_dim, -1)
    values[f"{target}/attention_output/bias"] = bias
    return values


def _is_ignorable(name, arrays):
    return name in TIED and np.array_equal(arrays[name], arrays["model.shared.weight"])
