"""Raw texts in, generated texts out: a generation run's prompts (`PromptPreprocessor`) through `generate`.

`zoo predict`, `zoo evaluate` and `model.generate(["raw text"])` on a loaded run all decode here;
the SavedModel runs the same preprocessor and decoding loops in one TensorFlow graph.

Example:

    model, tokenizer, info, config = load_run("runs/translation-transformer-small")
    generate_text(model, model.preprocessor, ["Two young men outside."])  # == model.generate([...])
"""

import keras
import tensorflow as tf

from zoo.generation.generate import generate

# PyTorch compiles decoding for more than this many batches of texts (see `compile_pays_off`).
TORCH_COMPILE_BATCHES = 50


def decoding_settings(config):
    """The `generate` keyword arguments of a run's decoding settings (`config`: its config dict).

    Example: `generate(model, prompt, 40, end_token_id=2, **decoding_settings(config.to_dict()))`.
    """
    options = {"strategy": config["decoding"], "no_repeat_ngram_size": config.get("no_repeat_ngram", 0)}
    if config["decoding"] == "beam":
        options.update(beam_size=config["beam_size"], length_penalty=config["length_penalty"])
    return options


def compile_pays_off(count, batch_size):
    """Whether to compile the decoding loop for `count` texts decoded `batch_size` at a time.

    JAX: always. Eager JAX compiles every op on its first shape, which costs more than the one
    compiled loop (a tiny summarizer, 9 texts: 4.5 s eager, 2.9 s compiled on the first call, then
    4.0 s vs 0.1 s). TensorFlow: over more than 4 batches (its eager ops cost nothing to start,
    XLA costs seconds). PyTorch: over more than `TORCH_COMPILE_BATCHES` batches. Its programs
    (prefill and loop iteration) compile per batch shape: a small encoder-decoder, batch 8, 47 new
    tokens, took 55 s the first time (4-6 s in a later process, from inductor's cache) and then
    0.2 s a batch against 1.2 s eagerly (beam 4: 0.5 s against 1.8 s), so a first compile pays
    for itself after about 50 batches.
    """
    backend = keras.backend.backend()
    if backend == "torch":
        return count > TORCH_COMPILE_BATCHES * batch_size
    return backend == "jax" or (backend == "tensorflow" and count > 4 * batch_size)


def fixed_size_chunks(texts, batch_size):
    """`(chunk, padded)` per `batch_size` texts; `padded` repeats the chunk's first text up to `batch_size`.

    A constant batch shape, so each backend compiles (or, eagerly on JAX, traces) the decoding once.
    The filler is the chunk's first text, not an empty one: a decoding loop starts at its shortest
    prompt's end.
    """
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start : start + batch_size])
        yield chunk, chunk + [chunk[0]] * (batch_size - len(chunk))


def generate_text(model, preprocessor, texts, *, batch_size=8, jit_compile=None, **decoding):
    """The generated string of each raw text, `batch_size` texts at a time.

    Args:
        model: a generative model (the decoding protocol of `zoo.generation.generate`).
        preprocessor: its run's `zoo.data.pipelines.prompts.PromptPreprocessor` (`load_run`
            attaches it as `model.preprocessor`).
        texts: raw strings (sources for translation/summarization, prompts for a causal LM).
        batch_size: texts decoded at once (the last batch is padded).
        jit_compile: compile the decoding loop; None compiles where it pays off (`compile_pays_off`).
        **decoding: `generate` keyword arguments; they replace the run's (`preprocessor.decoding`).
    """
    outputs = []
    for count, new_tokens in _generated(model, preprocessor, texts, batch_size, jit_compile, decoding):
        outputs += [text.decode("utf-8") for text in preprocessor.tokenizer.detokenize(new_tokens).numpy()[:count]]
    return outputs


def generate_ids(model, preprocessor, texts, *, batch_size=8, jit_compile=None, **decoding):
    """The generated token ids of each raw text (lists, without the end token); arguments as `generate_text`."""
    outputs = []
    for count, new_tokens in _generated(model, preprocessor, texts, batch_size, jit_compile, decoding):
        outputs += new_tokens.to_list()[:count]
    return outputs


def _generated(model, preprocessor, texts, batch_size, jit_compile, decoding):
    """`(texts in the chunk, ragged new token ids of the padded chunk)` per `batch_size` texts."""
    from zoo.data.pipelines.prompts import PromptPreprocessor

    if not isinstance(preprocessor, PromptPreprocessor):
        raise ValueError(
            "Generating from raw text needs a generation run's prompt preprocessor: load the run with "
            f"`zoo.training.trainer.load_run`. Received: preprocessor={preprocessor!r}"
        )
    texts = list(texts)
    if jit_compile is None:
        jit_compile = compile_pays_off(len(texts), batch_size)
    tokenizer = preprocessor.tokenizer
    options = {"end_token_id": tokenizer.eos_id, "pad_token_id": tokenizer.pad_id, **preprocessor.decoding, **decoding}
    for chunk, padded in fixed_size_chunks(texts, batch_size):
        prompts = preprocessor(tf.constant(padded))
        out = generate(
            model,
            prompts.prompt_ids.numpy(),
            preprocessor.max_length,
            prompt_mask=prompts.prompt_mask.numpy(),
            conditioning={name: x.numpy() for name, x in prompts.conditioning.items()},
            jit_compile=jit_compile,
            **options,
        )
        yield len(chunk), preprocessor.new_tokens(out["token_ids"], prompts.prompt_mask)
