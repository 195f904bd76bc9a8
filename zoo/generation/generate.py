"""`generate`: the one entry point of text generation for every generative model of the zoo.

A model decodes through two methods (the decoding protocol): `init_decoding_state(batch_size,
max_length, **conditioning)` -> a dict of tensors with the batch on axis 0, and
`decode_step(token_ids, state, index)` -> `(float32 logits (batch, T, vocabulary), state)` for
the tokens at positions `index .. index + T - 1`. The first step reads the whole prompt array
(T = its width), later steps one token.
"""

import keras
import numpy as np

from zoo.generation.beam_search import beam_search
from zoo.generation.compiled import compile_decoding, decode_step_function, while_loop_function
from zoo.generation.decoding import Decoder
from zoo.generation.outputs import output_padding_mask
from zoo.generation.samplers import build_sampler
from zoo.generation.sampling import sample
from zoo.validation import require_positive_int, require_positive_number

# Compiled loops per model, keyed by everything the loop closes over.
_CACHE_ATTRIBUTE = "_zoo_generation_cache"


def _validate_prompt(prompt_ids, prompt_mask, max_length, pad_token_id):
    prompt_ids = np.asarray(prompt_ids, "int32")
    if prompt_ids.ndim != 2:
        raise ValueError(f"`prompt_ids` must be (batch, length). Received: shape={prompt_ids.shape}")
    prompt_mask = prompt_ids != pad_token_id if prompt_mask is None else np.asarray(prompt_mask, bool)
    if prompt_mask.shape != prompt_ids.shape:
        raise ValueError(
            f"`prompt_mask` must have the shape of `prompt_ids` {prompt_ids.shape}. Received: shape={prompt_mask.shape}"
        )
    if not prompt_mask[:, 0].all() or (prompt_mask[:, 1:] & ~prompt_mask[:, :-1]).any():
        raise ValueError("Each prompt needs at least one token and must be right-padded (its mask a prefix of ones).")
    require_positive_int("max_length", max_length)
    if max_length < prompt_ids.shape[1]:
        raise ValueError(
            f"`max_length` must be at least the prompt width {prompt_ids.shape[1]}. Received: max_length={max_length}"
        )
    return prompt_ids, prompt_mask.astype("int32")


def _cached(model, key, build):
    """`build()` once per model and key. Kept on the model itself (not tracked by Keras), so it goes with it."""
    cache = model.__dict__.get(_CACHE_ATTRIBUTE)
    if cache is None:
        cache = {}
        object.__setattr__(model, _CACHE_ATTRIBUTE, cache)
    if key not in cache:
        cache[key] = build()
    return cache[key]


def generate(
    model,
    prompt_ids,
    max_length,
    prompt_mask=None,
    strategy="greedy",
    *,
    end_token_id=None,
    pad_token_id=0,
    k=50,
    p=0.9,
    temperature=1.0,
    seed=None,
    beam_size=4,
    length_penalty=0.6,
    num_return_sequences=1,
    no_repeat_ngram_size=0,
    conditioning=None,
    jit_compile=True,
):
    """Continues right-padded prompts up to `max_length` tokens with a KV cache, in one compiled loop.

    Args:
        model: a model with `init_decoding_state` and `decode_step` (GPT, encoder-decoder, LSTM seq2seq).
        prompt_ids: `(batch, prompt_length)` int ids, right-padded. Encoder-decoder models take
            the start token here and their source through `conditioning`.
        max_length: length of the returned sequences, prompt included (the KV cache size).
        prompt_mask: `(batch, prompt_length)`, 1 on prompt tokens; defaults to `prompt_ids != pad_token_id`.
            Positions inside a prompt are forced to the prompt token (so shorter prompts start
            generating earlier while sharing one cache index).
        strategy: "greedy", "top_k", "top_p", "random" (keras-hub samplers, with `temperature`),
            "beam", or a `keras_hub.samplers.Sampler` instance.
        end_token_id: a generated end token finishes its sequence; later positions hold `pad_token_id`.
        pad_token_id: the id written after a sequence's end.
        k: tokens kept by "top_k".
        p: probability mass kept by "top_p".
        temperature: logits are divided by it before sampling (not used by greedy or beam).
        seed: seed of the sampling strategies; a fixed seed gives the same samples on every call.
        beam_size: beams kept by "beam".
        length_penalty: alpha of GNMT's `((5 + length) / 6) ** alpha`, dividing each beam's
            log-probability (0 ranks by plain log-probability; larger favours longer outputs).
        num_return_sequences: hypotheses returned by "beam" (at most `beam_size`), best first.
        no_repeat_ngram_size: n > 0 never generates an n-gram twice in one sequence (every strategy);
            n-grams that touch the prompt do not count. 0 turns it off.
        conditioning: keyword arguments of `init_decoding_state`, e.g. `{"encoder_token_ids": ...}`.
        jit_compile: compile the loop (XLA on JAX/TensorFlow; on PyTorch each iteration is an
            exported, AOTInductor-compiled program, and so is the prompt prefill (one for every
            prompt length), compiled per new batch/length shape and kept in inductor's cache
            folder for later processes). False runs eagerly.

    Returns:
        A dict of NumPy arrays: `token_ids` (batch, max_length) (the best beam for "beam") and its
        `padding_mask` (prompt and generated tokens up to the first end token). "beam" adds
        `n_best_token_ids` (batch, n, max_length), `n_best_padding_mask` and `n_best_scores` (batch, n).

    Example:

        out = generate(lm, np.array([[2, 7, 8], [2, 9, 0]]), max_length=12, strategy="beam", end_token_id=3)
        out["token_ids"].shape, out["n_best_scores"].shape  # ((2, 12), (2, 1))
    """
    prompt_ids, prompt_mask = _validate_prompt(prompt_ids, prompt_mask, max_length, pad_token_id)
    inputs = [keras.ops.convert_to_tensor(x) for x in (prompt_ids, prompt_mask)]
    conditioning = {name: keras.ops.convert_to_tensor(np.asarray(x)) for name, x in (conditioning or {}).items()}
    decode_step = _cached(model, ("decode_step", jit_compile), lambda: decode_step_function(model, jit_compile))
    if no_repeat_ngram_size:
        require_positive_int("no_repeat_ngram_size", no_repeat_ngram_size)
    decoder = Decoder(model, decode_step, max_length, end_token_id, pad_token_id, no_repeat_ngram_size)
    if strategy == "beam":
        tokens, scores = _beam_search(
            decoder, jit_compile, inputs, conditioning, beam_size, length_penalty, num_return_sequences
        )
        padding_mask = output_padding_mask(tokens, prompt_mask, end_token_id)
        return {
            "token_ids": tokens[:, 0],
            "padding_mask": padding_mask[:, 0],
            "n_best_token_ids": tokens,
            "n_best_padding_mask": padding_mask,
            "n_best_scores": scores,
        }
    sampler = build_sampler(strategy, k=k, p=p, temperature=temperature, seed=seed)
    tokens = _sample(decoder, jit_compile, inputs, conditioning, sampler, seed)
    return {"token_ids": tokens, "padding_mask": output_padding_mask(tokens, prompt_mask, end_token_id)}


def _sample(decoder, jit_compile, inputs, conditioning, sampler, seed):
    key = ("sample", decoder.settings, jit_compile, type(sampler), repr(sampler.get_config()))

    def build():
        while_loop = while_loop_function(decoder.model, jit_compile)

        def loop(prompt_ids, prompt_mask, seed_values, conditioning):
            return sample(decoder, sampler, prompt_ids, prompt_mask, seed_values, conditioning, while_loop)

        initial_seeds = [keras.ops.copy(variable.value) for variable in sampler.variables]
        return sampler, initial_seeds, compile_decoding(loop, decoder.model, jit_compile)

    # The cached sampler owns the seed state: a fixed seed restarts it, no seed continues it.
    sampler, initial_seeds, loop = _cached(decoder.model, key, build)
    seed_values = initial_seeds if seed is not None else [variable.value for variable in sampler.variables]
    tokens, seed_values = loop(*inputs, list(seed_values), conditioning)
    for variable, value in zip(sampler.variables, seed_values):
        variable.assign(value)
    return keras.ops.convert_to_numpy(tokens)


def _beam_search(decoder, jit_compile, inputs, conditioning, beam_size, alpha, num_return_sequences):
    require_positive_int("beam_size", beam_size)
    require_positive_int("num_return_sequences", num_return_sequences)
    if num_return_sequences > beam_size:
        raise ValueError(
            f"`num_return_sequences` must be at most beam_size={beam_size}. "
            f"Received: num_return_sequences={num_return_sequences}"
        )
    if alpha != 0:
        require_positive_number("length_penalty", alpha)
    key = ("beam", decoder.settings, jit_compile, beam_size, float(alpha), num_return_sequences)

    def build():
        while_loop = while_loop_function(decoder.model, jit_compile)

        def loop(prompt_ids, prompt_mask, conditioning):
            return beam_search(
                decoder, prompt_ids, prompt_mask, conditioning, beam_size, alpha, num_return_sequences, while_loop
            )

        return compile_decoding(loop, decoder.model, jit_compile)

    tokens, scores = _cached(decoder.model, key, build)(*inputs, conditioning)
    return keras.ops.convert_to_numpy(tokens), keras.ops.convert_to_numpy(scores)
