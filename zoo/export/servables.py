"""The serving graphs of a trained run: raw strings in, labels / probabilities / generated strings out.

Everything between the strings and the model runs as TensorFlow ops: the run's tokenizer
(tensorflow-text), the input packing, the model, the decoding loop (`zoo.generation`'s greedy and
beam search, XLA-compiled) and detokenization. The packing is the run's preprocessor, the one
`load_run` attaches (`ClassifierPreprocessor`, `PromptPreprocessor`) and `zoo predict` uses, so a
served prediction equals `zoo predict` on the same run. Needs the TensorFlow backend.

A request runs in chunks of a fixed batch, one chunk at a time (`CLASSIFICATION_CHUNK` texts,
`GENERATION_CHUNK` for generation, whose decoding loop then has static shapes), so its memory
stays that of one chunk whatever its size; the last chunk is padded. A generation request of one
text decodes it alone (a second XLA program, of batch 1): padded into a chunk it cost the work
of eight (greedy, gpt-small: 252 new tokens/s in a chunk, measured in benchmarks/RESULTS.md).

Example (`zoo.export.saved_model` does this):

    functions = serving_functions(model, info, config)
    functions["serving_default"](tf.constant(["a raw sentence"]))
"""

import functools

import tensorflow as tf

from zoo.export.errors import require_served_task
from zoo.generation.beam_search import beam_search
from zoo.generation.decoding import Decoder
from zoo.generation.samplers import build_sampler
from zoo.generation.sampling import sample

GENERATION_CHUNK = 8
CLASSIFICATION_CHUNK = 32
TEXTS = tf.TensorSpec([None], tf.string, name="texts")


def serving_functions(model, info, config):
    """`{signature name: tf.function}` of a run, as `load_run` returns it (the model carries its preprocessor).

    classification: `serving_default(texts) -> {"label", "probabilities"}` and `labels()`.
    translation, summarization, clm: `serving_default(texts) -> {"output"}` with the run's decoding,
    plus `greedy` and `beam` (beam size, length penalty and `no_repeat_ngram` of the run's config).
    """
    require_served_task(config["task"])
    if config["task"] == "classification":
        return _classification(model, info["labels"])
    greedy = _generation(model, config, "greedy")
    beam = _generation(model, config, "beam")
    return {"serving_default": beam if config["decoding"] == "beam" else greedy, "greedy": greedy, "beam": beam}


def _classification(model, labels):
    label_names = tf.constant(labels)
    # The recipe's packing: the `ClassifierPreprocessor` `load_run` attached to the model.
    preprocessor = model.preprocessor

    def classify_chunk(texts):
        return tf.nn.softmax(tf.cast(model(preprocessor(texts), training=False), tf.float32), axis=-1)

    @tf.function(input_signature=[TEXTS], autograph=False)
    def classify(texts):
        probabilities = _in_chunks(
            classify_chunk, texts, CLASSIFICATION_CHUNK, tf.TensorSpec([CLASSIFICATION_CHUNK, len(labels)], tf.float32)
        )
        return {"label": tf.gather(label_names, tf.argmax(probabilities, axis=-1)), "probabilities": probabilities}

    @tf.function(input_signature=[], autograph=False)
    def class_labels():
        return {"labels": label_names}

    return {"serving_default": classify, "labels": class_labels}


def _in_chunks(function, texts, chunk, output_signature):
    """`function` over `texts` in chunks of `chunk` strings, one after another, the outputs concatenated.

    One chunk is in flight at a time, so a request's memory stays that of one chunk however many
    texts it holds. The last chunk is padded with copies of the request's first text, whose
    outputs are dropped: an empty filler would be the chunk's shortest prompt, and a decoding loop
    starts at its shortest prompt's end (a one-text request would read its prompt a token a step).
    """
    count = tf.shape(texts)[0]
    filler = tf.concat([texts[:1], [""]], axis=0)[0]  # the first text; "" for an empty request
    chunks = tf.reshape(tf.concat([texts, tf.fill([-count % chunk], filler)], axis=0), [-1, chunk])
    outputs = tf.map_fn(function, chunks, fn_output_signature=output_signature, parallel_iterations=1)
    return tf.reshape(outputs, [-1, *output_signature.shape[1:]])[:count]


def _generation(model, config, strategy):
    """A `texts -> {"output": generated strings}` function decoding with `strategy` ("greedy" or "beam").

    The prompts and outputs are the run's `PromptPreprocessor`'s (`model.preprocessor`), as `zoo predict`'s.
    """
    preprocessor = model.preprocessor
    tokenizer = preprocessor.tokenizer
    decoder = Decoder(
        model,
        model.decode_step,
        preprocessor.max_length,
        tokenizer.eos_id,
        tokenizer.pad_id,
        config.get("no_repeat_ngram", 0),
    )
    sampler = build_sampler("greedy")

    @functools.partial(tf.function, jit_compile=True, autograph=False)
    def decoding_loop(prompt_ids, prompt_mask, conditioning):
        # One XLA program; the model's variables are read, never written.
        if strategy == "beam":
            tokens, _ = beam_search(
                decoder, prompt_ids, prompt_mask, conditioning, config["beam_size"], config["length_penalty"], 1
            )
            return tokens[:, 0]
        tokens, _ = sample(decoder, sampler, prompt_ids, prompt_mask, [], conditioning)
        return tokens

    def generate_batch(texts, size):
        prompts = tf.nest.map_structure(lambda x: _static_batch(x, size), preprocessor(texts))
        tokens = decoding_loop(prompts.prompt_ids, prompts.prompt_mask, prompts.conditioning)
        return preprocessor.outputs(tokens, prompts.prompt_mask)

    def generate_in_chunks(texts):
        chunk = functools.partial(generate_batch, size=GENERATION_CHUNK)
        return _in_chunks(chunk, texts, GENERATION_CHUNK, tf.TensorSpec([GENERATION_CHUNK], tf.string))

    @tf.function(input_signature=[TEXTS], autograph=False)
    def generate(texts):
        one_text = tf.equal(tf.shape(texts)[0], 1)
        return {"output": tf.cond(one_text, lambda: generate_batch(texts, 1), lambda: generate_in_chunks(texts))}

    return generate


def _static_batch(x, size):
    """`x` with its batch dimension fixed to `size` (the decoding loop allocates its cache by it)."""
    return tf.ensure_shape(x, [size, *x.shape[1:]])
