"""PyTorch decodes through an exported, compiled one-token step: one program per batch and length."""

import keras
import numpy as np
import pytest

from tests.generation.test_generate import PROMPTS, padded
from tests.models.gpt.numpy_gpt import set_seeded_weights
from tests.models.gpt.tiny import LLAMA_LIKE
from zoo.generation import generate
from zoo.models.gpt import GPTBackbone, GPTCausalLM

pytestmark = pytest.mark.skipif(keras.backend.backend() != "torch", reason="the compiled step is PyTorch's")


# A step that torch.export cannot capture decodes eagerly with this warning: here that is a failure.
@pytest.mark.filterwarnings("error:torch.export could not capture")
def test_one_program_per_batch_and_length_whatever_the_prompt_length():
    lm = GPTCausalLM(GPTBackbone(**LLAMA_LIKE))
    set_seeded_weights(lm, scale=1.0, seed=1)
    short = [prompt[:2] for prompt in PROMPTS]
    for prompts in (PROMPTS, short):  # prompt widths 5, then 2: the same batch and cache shapes
        compiled = generate(lm, padded(prompts), 12, jit_compile=True)["token_ids"]
        eager = generate(lm, padded(prompts), 12, jit_compile=False)["token_ids"]
        np.testing.assert_array_equal(compiled, eager)
    step = lm.__dict__["_zoo_generation_cache"][("decode_step", True)]
    assert len(step.programs) == 1
