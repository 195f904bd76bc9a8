"""The one KV-cache layout of the zoo's Transformer decoders (GPT, encoder-decoder).

A decoding state holds one tensor per decoder block and kind, `(batch, 2, length, heads,
head_dim)` (keys and values), under `"self_attention_cache_<i>"` and, for encoder-decoders,
`"cross_attention_cache_<i>"`. One tensor per block (not one stacked tensor) lets each decoding
step write a block's cache in place instead of re-stacking every block's cache.

Example:

    state = empty_self_attention_caches(2, batch_size=1, max_length=8, num_heads=4, head_dim=16, dtype="float32")
    sorted(state), state[cache_key("self_attention", 0)].shape  # (['self_attention_cache_0', ...], (1, 2, 8, 4, 16))
"""

from keras import ops


def cache_key(kind, block_index):
    """The state key of block `block_index`'s `kind` ("self_attention" or "cross_attention") cache."""
    return f"{kind}_cache_{block_index}"


def empty_self_attention_caches(num_blocks, batch_size, max_length, num_heads, head_dim, dtype):
    """Zero self-attention caches, one `(batch_size, 2, max_length, num_heads, head_dim)` tensor per block."""
    shape = (batch_size, 2, max_length, num_heads, head_dim)
    return {cache_key("self_attention", i): ops.zeros(shape, dtype=dtype) for i in range(num_blocks)}
