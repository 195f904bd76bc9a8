"""Decoding loops shared by every generative model: greedy, top-k, top-p, random, beam search.

Example:

    from zoo.generation import generate
    out = generate(lm, prompt_ids, max_length=64, strategy="top_p", p=0.9, end_token_id=3)
"""

from zoo.generation.beam_search import length_penalty
from zoo.generation.generate import generate
from zoo.generation.outputs import generated_sequences, output_padding_mask

__all__ = ["generate", "generated_sequences", "length_penalty", "output_padding_mask"]
