"""Transformer and seq2seq building blocks as Keras 3 layers, identical on TensorFlow, JAX and PyTorch.

Example:

    from zoo.layers import TransformerDecoderBlock
    block = TransformerDecoderBlock(num_heads=4, intermediate_dim=256)
"""

from zoo.layers.attention import MultiHeadAttention
from zoo.layers.copy_generator import CopyGenerator
from zoo.layers.feed_forward import FeedForward
from zoo.layers.hashed_bigrams import HashedBigrams
from zoo.layers.logit_bias import LogitBias
from zoo.layers.norms import LayerNorm, RMSNorm, build_norm
from zoo.layers.position_encodings import LearnedPositionEmbedding, RotaryEmbedding, SinusoidalPositionEncoding
from zoo.layers.projections import BiasFusedDense, BiasFusedEinsumDense
from zoo.layers.seq2seq_attention import BahdanauAttention, LuongAttention
from zoo.layers.token_embedding import TokenEmbedding
from zoo.layers.transformer_decoder import TransformerDecoderBlock
from zoo.layers.transformer_encoder import TransformerEncoderBlock

__all__ = [
    "BahdanauAttention",
    "BiasFusedDense",
    "BiasFusedEinsumDense",
    "CopyGenerator",
    "FeedForward",
    "HashedBigrams",
    "LayerNorm",
    "LearnedPositionEmbedding",
    "LogitBias",
    "LuongAttention",
    "MultiHeadAttention",
    "RMSNorm",
    "RotaryEmbedding",
    "SinusoidalPositionEncoding",
    "TokenEmbedding",
    "TransformerDecoderBlock",
    "TransformerEncoderBlock",
    "build_norm",
]
