"""The tf.data pipelines feed `model.fit` on every backend (each kind of batch into a small model)."""

import keras
import numpy as np
import pytest
from keras import ops

from tests.data.test_pipelines import LABELS, TOKENIZER, VOCABULARY_SIZE, random_texts
from zoo.data.pipelines import (
    causal_lm_dataset,
    classification_dataset,
    masked_lm_dataset,
    prefix_lm_dataset,
    seq2seq_dataset,
)


def int_input(name):
    return keras.Input(shape=(None,), dtype="int32", name=name)


def fit_one_epoch(model, dataset, loss=None):
    model.compile(optimizer="adam", loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def masked_mean_embedding(token_ids, padding_mask, embedding):
    mask = ops.expand_dims(ops.cast(padding_mask, "float32"), -1)
    return ops.sum(embedding(token_ids) * mask, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1.0)


def test_classification_feeds_fit():
    inputs = {name: int_input(name) for name in ("token_ids", "padding_mask")}
    embedding = keras.layers.Embedding(VOCABULARY_SIZE, 8)
    pooled = masked_mean_embedding(inputs["token_ids"], inputs["padding_mask"], embedding)
    model = keras.Model(inputs, keras.layers.Dense(2)(pooled))
    rows = [{"text": text, "label": ("pos", "neg")[i % 2]} for i, text in enumerate(random_texts(16, seed=6))]
    fit_one_epoch(model, classification_dataset(rows, TOKENIZER, LABELS, batch_size=8, shuffle=True, seed=0))


def test_masked_lm_and_next_sentence_feed_fit():
    names = ("token_ids", "padding_mask", "segment_ids", "mask_positions")
    inputs = {name: int_input(name) for name in names}
    hidden = keras.layers.Embedding(VOCABULARY_SIZE, 8)(inputs["token_ids"])
    hidden = hidden + keras.layers.Embedding(2, 8)(inputs["segment_ids"])
    gathered = ops.take_along_axis(hidden, ops.expand_dims(inputs["mask_positions"], -1), axis=1)
    mlm = keras.layers.Dense(VOCABULARY_SIZE)(gathered)
    rows = [{"text": text} for text in random_texts(8, seed=7, min_length=5)]
    fit_one_epoch(keras.Model(inputs, mlm), masked_lm_dataset(rows, TOKENIZER, sequence_length=32, batch_size=8))

    nsp = keras.layers.Dense(2)(
        masked_mean_embedding(inputs["token_ids"], inputs["padding_mask"], keras.layers.Embedding(VOCABULARY_SIZE, 8))
    )
    pretrainer = keras.Model(inputs, {"mlm": mlm, "nsp": nsp})
    loss = {
        "mlm": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "nsp": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    }
    dataset = masked_lm_dataset(rows, TOKENIZER, sequence_length=32, batch_size=8, next_sentence=True, seed=0)
    fit_one_epoch(pretrainer, dataset, loss=loss)


def per_position_lm():
    inputs = {name: int_input(name) for name in ("token_ids", "padding_mask")}
    hidden = keras.layers.Embedding(VOCABULARY_SIZE, 8)(inputs["token_ids"])
    return keras.Model(inputs, keras.layers.Dense(VOCABULARY_SIZE)(hidden))


def test_causal_lm_and_prefix_lm_feed_fit():
    rows = [{"text": text} for text in random_texts(30, seed=8)]
    fit_one_epoch(
        per_position_lm(), causal_lm_dataset(rows, TOKENIZER, sequence_length=16, batch_size=8, drop_remainder=True)
    )
    pairs = [{"source": a, "target": b} for a, b in zip(random_texts(8, seed=9), random_texts(8, seed=10))]
    fit_one_epoch(
        per_position_lm(), prefix_lm_dataset(pairs, TOKENIZER, max_source_length=24, max_target_length=24, batch_size=8)
    )


def test_seq2seq_feeds_fit():
    names = ("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")
    inputs = {name: int_input(name) for name in names}
    context = masked_mean_embedding(
        inputs["encoder_token_ids"], inputs["encoder_padding_mask"], keras.layers.Embedding(VOCABULARY_SIZE, 8)
    )
    hidden = keras.layers.Embedding(VOCABULARY_SIZE, 8)(inputs["decoder_token_ids"]) + ops.expand_dims(context, 1)
    model = keras.Model(inputs, keras.layers.Dense(VOCABULARY_SIZE)(hidden))
    pairs = [{"source": a, "target": b} for a, b in zip(random_texts(8, seed=11), random_texts(8, seed=12))]
    fit_one_epoch(model, seq2seq_dataset(pairs, TOKENIZER, batch_size=8, bucket_boundaries=(64,)))


@pytest.mark.slow
def test_the_zoo_gpt_and_bert_train_on_the_pipelines():
    from zoo.models.bert import PRESETS as BERT_PRESETS
    from zoo.models.bert import BertBackbone, BertMaskedLM
    from zoo.models.gpt import PRESETS as GPT_PRESETS
    from zoo.models.gpt import GPTBackbone, GPTCausalLM

    rows = [{"text": text} for text in random_texts(16, seed=13, min_length=10)]
    gpt = GPTCausalLM(GPTBackbone(vocabulary_size=VOCABULARY_SIZE, **GPT_PRESETS["tiny"]))
    gpt.compile()
    history = gpt.fit(
        causal_lm_dataset(rows, TOKENIZER, sequence_length=32, batch_size=4, drop_remainder=True), verbose=0
    )
    assert np.isfinite(history.history["loss"][0])
    bert = BertMaskedLM(BertBackbone(vocabulary_size=VOCABULARY_SIZE, **BERT_PRESETS["tiny"]))
    bert.compile()
    dataset = masked_lm_dataset(rows, TOKENIZER, sequence_length=64, batch_size=4, padding="max_length")
    history = bert.fit(dataset, verbose=0)
    assert np.isfinite(history.history["loss"][0])
