"""Raw texts -> a generation run's decoding inputs, and decoded ids -> its output texts, in TensorFlow ops.

`PromptPreprocessor` is the one packing of a generation task's raw inputs: `zoo predict` and
`zoo evaluate` (the recipes), `model.generate(["raw text"])` on a loaded run
(`zoo.generation.generate_text`) and the SavedModel's signatures (`zoo.export.servables`) all
call it, so they decode the same ids. The training pipelines pack with the same functions
(`causal_prompts`, `prefix_lm.prompts`, `Seq2SeqFormat`).
"""

import collections

import tensorflow as tf

from zoo.data.pipelines.language_modeling import causal_prompts
from zoo.data.pipelines.prefix_lm import prompts as prefix_lm_prompts
from zoo.data.pipelines.seq2seq import ZOO_FORMAT

# What a model reads (`zoo.models.registry.INPUTS`) -> how its prompts are built.
PROMPT_INPUTS = ("token_stream", "encoder_decoder", "prefix_lm")

Prompts = collections.namedtuple("Prompts", ["prompt_ids", "prompt_mask", "conditioning"])


class PromptPreprocessor:
    """Raw texts -> `Prompts` for `zoo.generation.generate`, and its output ids -> texts.

    - `"token_stream"` (causal LM): `bos text`, its last `max_source_length` tokens; continued by
      up to `max_new_tokens`, at most `max_positions` tokens in all (the model's positions).
    - `"encoder_decoder"`: the source as `seq2seq_format` packs it (`max_source_length` tokens) into
      the encoder; the decoder starts from the format's start ids; up to `max_new_tokens`.
    - `"prefix_lm"` (decoder-only seq2seq): `source <sep>` (`separator_id`); every row decodes up
      to `max_source_length + 1 + max_new_tokens` tokens, as training packed it.

    Every batch of prompts has one shape (`max_source_length` wide), so a compiled decoding loop
    compiles once. `decoding` holds the run's `generate` settings (strategy, beam size, ...).

    Example:

        preprocessor = PromptPreprocessor(tokenizer, "encoder_decoder", max_source_length=64, max_new_tokens=64)
        prompts = preprocessor(tf.constant(["a raw sentence"]))
        out = generate(model, prompts.prompt_ids, preprocessor.max_length, prompt_mask=prompts.prompt_mask,
                       conditioning=prompts.conditioning, end_token_id=tokenizer.eos_id)
        preprocessor.outputs(out["token_ids"], prompts.prompt_mask)  # tf.string, one text a row
    """

    def __init__(
        self,
        tokenizer,
        inputs,
        max_source_length,
        max_new_tokens,
        *,
        seq2seq_format=ZOO_FORMAT,
        separator_id=None,
        max_positions=None,
        decoding=None,
    ):
        if inputs not in PROMPT_INPUTS:
            raise ValueError(f"`inputs` must be one of {PROMPT_INPUTS}. Received: inputs={inputs!r}")
        if inputs == "prefix_lm" and separator_id is None:
            raise ValueError("A prefix-LM preprocessor needs the model's `separator_id`.")
        self.tokenizer, self.inputs, self.seq2seq_format = tokenizer, inputs, seq2seq_format
        self.max_source_length, self.separator_id = max_source_length, separator_id
        self.decoding = dict(decoding or {})
        if inputs == "encoder_decoder":
            self.max_length = max_new_tokens + len(seq2seq_format.start_ids(tokenizer))
        elif inputs == "prefix_lm":
            self.max_length = max_source_length + 1 + max_new_tokens
        else:
            self.max_length = max_source_length + max_new_tokens
            if max_positions:
                self.max_length = min(self.max_length, max_positions)
        # A prefix-LM row decodes up to the shared length (shorter sources get more new tokens), as trained.
        self.max_new_tokens = None if inputs == "prefix_lm" else max_new_tokens

    def __call__(self, texts):
        """`Prompts` of a batch of raw strings (a `tf.string` tensor or a list)."""
        tokenizer = self.tokenizer
        texts = tf.convert_to_tensor(texts, tf.string)
        if self.inputs == "token_stream":
            ids, mask = causal_prompts(
                tokenizer.tokenize(texts),
                bos_id=tokenizer.bos_id,
                sequence_length=self.max_source_length,
                pad_id=tokenizer.pad_id,
            )
            return Prompts(ids, mask, {})
        if self.inputs == "prefix_lm":
            ids, mask = prefix_lm_prompts(
                tokenizer.tokenize(texts), separator_id=self.separator_id, max_source_length=self.max_source_length
            )
            return Prompts(ids, mask, {})
        source_ids = tf.cast(self.seq2seq_format.source_ids(tokenizer, texts, self.max_source_length), tf.int32)
        start = tf.constant([self.seq2seq_format.start_ids(tokenizer)], tf.int32)
        prompt_ids = tf.tile(start, tf.stack([tf.shape(texts)[0], 1]))
        conditioning = {
            "encoder_token_ids": source_ids,
            "encoder_padding_mask": tf.cast(source_ids != tokenizer.pad_id, tf.int32),
        }
        return Prompts(prompt_ids, tf.ones_like(prompt_ids), conditioning)

    def new_tokens(self, token_ids, prompt_mask):
        """Each row's generated ids, ragged: after its prompt, before its first end token, at most `max_new_tokens`."""
        token_ids = tf.convert_to_tensor(token_ids, tf.int32)
        prompt_lengths = tf.reduce_sum(tf.cast(prompt_mask, tf.int32), axis=1, keepdims=True)
        positions = tf.range(tf.shape(token_ids)[1])[None, :]
        generated = positions >= prompt_lengths
        if self.max_new_tokens is not None:
            generated &= positions < prompt_lengths + self.max_new_tokens
        ended = tf.cumsum(tf.cast(generated & (token_ids == self.tokenizer.eos_id), tf.int32), axis=1) > 0
        return tf.ragged.boolean_mask(token_ids, generated & ~ended)

    def outputs(self, token_ids, prompt_mask):
        """The generated text of each row (`tf.string`, detokenized `new_tokens`)."""
        return self.tokenizer.detokenize(self.new_tokens(token_ids, prompt_mask))
