"""The serving graphs of a trained run: raw strings in, labels / probabilities / generated strings out.

Everything between the strings and the model runs as TensorFlow ops: the run's tokenizer
(tensorflow-text), the input packing of the recipe's pipeline, the model, the decoding loop
(`zoo.generation`'s greedy and beam search, XLA-compiled) and detokenization. The inputs are
built exactly as the recipes build them (`recipes/*.py`), so a served prediction equals
`zoo predict` on the same run. Needs the TensorFlow backend.

A request runs in chunks of a fixed batch, one chunk at a time (`CLASSIFICATION_CHUNK` texts,
`GENERATION_CHUNK` for generation, whose decoding loop then has static shapes: one XLA program),
so its memory stays that of one chunk whatever its size; the last chunk is padded.

Example (`zoo.export.saved_model` does this):

    functions = serving_functions(model, tokenizer, info, config)
    functions["serving_default"](tf.constant(["a raw sentence"]))
"""

import functools

import tensorflow as tf

from zoo.data.pipelines.language_modeling import causal_prompts
from zoo.data.pipelines.prefix_lm import prompts as prefix_lm_prompts
from zoo.data.pipelines.seq2seq import ZOO_FORMAT, Seq2SeqFormat
from zoo.export.errors import ExportError
from zoo.generation.beam_search import beam_search
from zoo.generation.decoding import Decoder, causal_max_length
from zoo.generation.samplers import build_sampler
from zoo.generation.sampling import sample
from zoo.models.registry import task_model

GENERATION_CHUNK = 8
CLASSIFICATION_CHUNK = 32
TEXTS = tf.TensorSpec([None], tf.string, name="texts")


def serving_functions(model, tokenizer, info, config):
    """`{signature name: tf.function}` of a run, as `load_run` returns it (a classifier carries its preprocessor).

    classification: `serving_default(texts) -> {"label", "probabilities"}` and `labels()`.
    translation, summarization, clm: `serving_default(texts) -> {"output"}` with the run's decoding,
    plus `greedy` and `beam` (beam size, length penalty and `no_repeat_ngram` of the run's config).
    """
    task = config["task"]
    if task == "classification":
        return _classification(model, tokenizer, info["labels"], config)
    if task in ("translation", "summarization", "clm"):
        prefix_lm = _inputs(config) == "prefix_lm"  # looked up here: the registry imports modules, not graph ops
        seq2seq_format = Seq2SeqFormat.from_info(info)
        prompts = (
            _causal_prompts
            if task == "clm"
            else functools.partial(_seq2seq_prompts, prefix_lm=prefix_lm, seq2seq_format=seq2seq_format)
        )
        greedy = _generation(model, tokenizer, config, prompts, "greedy")
        beam = _generation(model, tokenizer, config, prompts, "beam")
        return {"serving_default": beam if config["decoding"] == "beam" else greedy, "greedy": greedy, "beam": beam}
    raise ExportError(
        f"A {task} run has no serving signature: it is a pre-training run. Fine-tune it "
        "(`zoo train classification --init-from RUN ...`) and export the fine-tuned run."
    )


def _classification(model, tokenizer, labels, config):
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


def _inputs(config):
    """What the run's model reads (`zoo.models.registry.INPUTS`)."""
    return task_model(config["task"], config["model"]).inputs


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


def _seq2seq_prompts(model, tokenizer, texts, config, prefix_lm, seq2seq_format=ZOO_FORMAT):
    """`(prompt_ids, prompt_mask, conditioning, max_length, max_new_tokens)` as `recipes/seq2seq.py` builds them.

    Every row decodes up to the shared `max_length` (no cap per row), as the recipe does.
    """
    batch = tf.shape(texts)[0]
    if prefix_lm:
        # The packing `zoo predict` and training use (`zoo.data.pipelines.prefix_lm`).
        prompt_ids, prompt_mask = prefix_lm_prompts(
            tokenizer.tokenize(texts), separator_id=model.separator_token_id, max_source_length=config["seq_len"]
        )
        return prompt_ids, prompt_mask, {}, config["seq_len"] + 1 + config["target_len"], None
    source_ids = seq2seq_format.source_ids(tokenizer, texts, config["seq_len"])
    start = seq2seq_format.start_ids(tokenizer)
    prompt_ids = tf.tile(tf.constant([start], tf.int32), tf.stack([batch, 1]))
    conditioning = {
        "encoder_token_ids": source_ids,
        "encoder_padding_mask": tf.cast(source_ids != tokenizer.pad_id, tf.int32),
    }
    return prompt_ids, tf.ones_like(prompt_ids), conditioning, config["target_len"] + len(start), None


def _causal_prompts(model, tokenizer, texts, config):
    """`bos text` (`causal_prompts`, as `zoo predict` builds it); up to `target_len` new tokens a row."""
    prompt_ids, prompt_mask = causal_prompts(
        tokenizer.tokenize(texts), bos_id=tokenizer.bos_id, sequence_length=config["seq_len"], pad_id=tokenizer.pad_id
    )
    max_length = causal_max_length(model, config["seq_len"], config["target_len"])
    return prompt_ids, prompt_mask, {}, max_length, config["target_len"]


def _generation(model, tokenizer, config, build_prompts, strategy):
    """A `texts -> {"output": generated strings}` function decoding with `strategy` ("greedy" or "beam")."""
    loops = {}

    def decoding_loop(max_length):
        # One XLA program per output length; the model's variables are read, never written.
        if max_length not in loops:
            decoder = Decoder(
                model,
                model.decode_step,
                max_length,
                tokenizer.eos_id,
                tokenizer.pad_id,
                config.get("no_repeat_ngram", 0),
            )
            sampler = build_sampler("greedy")

            def loop(prompt_ids, prompt_mask, conditioning):
                if strategy == "beam":
                    tokens, _ = beam_search(
                        decoder, prompt_ids, prompt_mask, conditioning, config["beam_size"], config["length_penalty"], 1
                    )
                    return tokens[:, 0]
                tokens, _ = sample(decoder, sampler, prompt_ids, prompt_mask, [], conditioning)
                return tokens

            loops[max_length] = tf.function(loop, jit_compile=True, autograph=False)
        return loops[max_length]

    def generate_chunk(texts):
        prompt_ids, prompt_mask, conditioning, max_length, max_new_tokens = build_prompts(
            model, tokenizer, texts, config
        )
        prompt_ids, prompt_mask, conditioning = tf.nest.map_structure(
            _static_batch, (prompt_ids, prompt_mask, conditioning)
        )
        tokens = decoding_loop(max_length)(prompt_ids, prompt_mask, conditioning)
        return tokenizer.detokenize(_new_tokens(tokens, prompt_mask, tokenizer.eos_id, max_new_tokens))

    @tf.function(input_signature=[TEXTS], autograph=False)
    def generate(texts):
        return {
            "output": _in_chunks(generate_chunk, texts, GENERATION_CHUNK, tf.TensorSpec([GENERATION_CHUNK], tf.string))
        }

    return generate


def _static_batch(x):
    """`x` with its batch dimension fixed to `GENERATION_CHUNK` (the decoding loop allocates its cache by it)."""
    return tf.ensure_shape(x, [GENERATION_CHUNK, *x.shape[1:]])


def _new_tokens(tokens, prompt_mask, end_token_id, max_new_tokens):
    """Each row's generated tokens (after its prompt, before its first end token, at most `max_new_tokens`), ragged."""
    prompt_lengths = tf.reduce_sum(tf.cast(prompt_mask, tf.int32), axis=1, keepdims=True)
    positions = tf.range(tf.shape(tokens)[1])[None, :]
    generated = positions >= prompt_lengths
    if max_new_tokens is not None:
        generated &= positions < prompt_lengths + max_new_tokens
    ended = tf.cumsum(tf.cast(generated & (tokens == end_token_id), tf.int32), axis=1) > 0
    return tf.ragged.boolean_mask(tokens, generated & ~ended)
