"""A plain PyTorch GPT with a KV cache and a greedy loop: the `torch-kv` reference of benchmarks/generate.py.

Eager PyTorch under `no_grad`, no Keras in the loop: the weights are copied once from a zoo
`GPTCausalLM` (GPT-2 shape: learned positions, LayerNorm, biases, as many key/value heads as query
heads), so it computes the zoo model's function. Pre-LN blocks with one fused QKV projection,
`scaled_dot_product_attention` (scale 1/sqrt(head_dim), as the zoo's), the keys and values written
in place into caches allocated once per call, and the tied token table as output projection.

Example:

    reference = TorchKVGPT(causal_lm)  # any backend: the weights are read as NumPy arrays
    reference.generate(torch.tensor([[5, 6, 7]]), new_tokens=8).shape  # (1, 11)
"""

import torch
from torch.nn import functional

ACTIVATIONS = {
    "gelu": functional.gelu,
    "gelu_tanh": lambda x: functional.gelu(x, approximate="tanh"),
    "relu": functional.relu,
}


def _tensor(variable, rows=None):
    """A float32 copy of a Keras variable, reshaped to `(rows, -1)` when `rows` is given."""
    array = torch.tensor(variable.numpy(), dtype=torch.float32)
    return array if rows is None else array.reshape(rows, -1)


def _linear(dense, inputs_width):
    """`(weight, bias)` of `functional.linear` from a Dense / EinsumDense whose kernel starts with the input axes."""
    return _tensor(dense.kernel, inputs_width).T.contiguous(), _tensor(dense.bias).reshape(-1)


def _block(block, width):
    attention, feed_forward = block.self_attention, block.feed_forward
    query, key, value = (_linear(dense, width) for dense in (attention.query, attention.key, attention.value))
    heads_width = attention.num_heads * attention.head_dim
    return {
        "attention_norm": (_tensor(block.self_attention_norm.gamma), _tensor(block.self_attention_norm.beta)),
        "qkv": (torch.cat([query[0], key[0], value[0]]), torch.cat([query[1], key[1], value[1]])),
        "attention_output": _linear(attention.attention_output, heads_width),
        "feed_forward_norm": (_tensor(block.feed_forward_norm.gamma), _tensor(block.feed_forward_norm.beta)),
        "up": _linear(feed_forward.up_projection, width),
        "down": _linear(feed_forward.down_projection, feed_forward.hidden_dim),
    }


class TorchKVGPT:
    """The zoo GPT's forward pass and greedy decoding in plain PyTorch, from a `GPTCausalLM`'s weights."""

    def __init__(self, causal_lm):
        backbone = causal_lm.backbone
        shape = (backbone.position_encoding, backbone.norm, backbone.use_bias, backbone.num_key_value_heads)
        if shape != ("learned", "layer_norm", True, backbone.num_heads) or backbone.activation not in ACTIVATIONS:
            raise ValueError(f"TorchKVGPT copies GPT-2-shaped models only. Received: {backbone.get_config()}")
        self.width, self.heads, self.head_dim = backbone.hidden_dim, backbone.num_heads, backbone.head_dim
        self.epsilon, self.activation = backbone.norm_epsilon, ACTIVATIONS[backbone.activation]
        self.token_table = _tensor(backbone.token_embedding.embeddings)
        self.position_table = _tensor(backbone.position_embedding.position_embeddings)
        self.blocks = [_block(block, self.width) for block in backbone.decoder_blocks]
        self.final_norm = (_tensor(backbone.final_norm.gamma), _tensor(backbone.final_norm.beta))

    def _allocate(self, batch_size, max_length):
        shape = (len(self.blocks), batch_size, self.heads, max_length, self.head_dim)
        self.keys, self.values = torch.empty(shape), torch.empty(shape)

    def _norm(self, x, weights):
        return functional.layer_norm(x, (self.width,), *weights, eps=self.epsilon)

    def _forward(self, token_ids, index):
        """Logits `(batch, T, vocabulary)` of the T tokens at `index`: the prompt at 0, then one token a step."""
        batch, length = token_ids.shape
        end = index + length
        x = self.token_table[token_ids] + self.position_table[index:end]
        for layer, block in enumerate(self.blocks):
            qkv = functional.linear(self._norm(x, block["attention_norm"]), *block["qkv"])
            query, key, value = qkv.view(batch, length, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
            self.keys[layer, :, :, index:end] = key
            self.values[layer, :, :, index:end] = value
            # At index 0 the prompt attends causally; a later single token sees every cached position.
            attended = functional.scaled_dot_product_attention(
                query, self.keys[layer, :, :, :end], self.values[layer, :, :, :end], is_causal=index == 0
            )
            attended = attended.transpose(1, 2).reshape(batch, length, self.heads * self.head_dim)
            x = x + functional.linear(attended, *block["attention_output"])
            hidden = self.activation(functional.linear(self._norm(x, block["feed_forward_norm"]), *block["up"]))
            x = x + functional.linear(hidden, *block["down"])
        return self._norm(x, self.final_norm) @ self.token_table.T

    @torch.no_grad()
    def logits(self, token_ids):
        """Next-token logits `(batch, T, vocabulary)` of unpadded `token_ids` `(batch, T)`."""
        self._allocate(token_ids.shape[0], token_ids.shape[1])
        return self._forward(token_ids, 0)

    @torch.no_grad()
    def generate(self, prompt_ids, new_tokens):
        """`(batch, prompt length + new_tokens)` ids: unpadded `prompt_ids` continued greedily."""
        batch, prompt_length = prompt_ids.shape
        max_length = prompt_length + new_tokens
        self._allocate(batch, max_length)
        tokens = torch.empty((batch, max_length), dtype=torch.long)
        tokens[:, :prompt_length] = prompt_ids
        logits = self._forward(prompt_ids, 0)[:, -1]
        for index in range(prompt_length, max_length):
            tokens[:, index] = logits.argmax(-1)
            if index + 1 < max_length:
                logits = self._forward(tokens[:, index : index + 1], index)[:, -1]
        return tokens
