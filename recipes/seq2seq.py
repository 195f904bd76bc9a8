"""What translation and summarization share: three model families, one pipeline per family, generation metrics.

Families: `lstm` (bidirectional encoder, Luong-attention decoder), `transformer` (encoder-decoder)
and `gpt` (decoder-only prefix LM: `source <sep> target <eos>`, loss on the target only, which
`--init-from` a causal-LM run can start). One tokenizer, trained on both sides, serves source
and target. Validation loss picks the best weights; the final metrics decode up to
`eval_examples` validation sources with the configured decoding (greedy or beam) and score them
with sacrebleu (BLEU, chrF) and rouge-score (ROUGE-1/2/L), plus the teacher-forced `loss` and
token `perplexity`, and how much of the references survives the tokenizer
(`tokenizer_round_trip_bleu`, `tokenizer_round_trip_exact`). The default tokenizer is lossless
SentencePiece, so outputs keep the case, accents and spacing of the training text.
`copy_attention` gives the transformer and lstm decoders a pointer-generator (copying source
tokens, e.g. names in a summary).
"""

import numpy as np

from recipes.base import (
    Recipe,
    batch_options,
    compile_generation,
    decoding_options,
    fixed_size_chunks,
    mean_nll,
    token_count,
)
from zoo.data.pipelines import Seq2SeqFormat, prefix_lm_dataset, seq2seq_dataset
from zoo.generation import generate, generated_sequences
from zoo.metrics import bleu, chrf, perplexity, rouge, tokenizer_round_trip


class Seq2SeqRecipe(Recipe):
    """Base of `Translation` and `Summarization`: subclasses set the task, reader and defaults."""

    default_model = "lstm"
    monitor = ("val_loss", "min")
    default_tokenizer = "sentencepiece"

    def tokenizer_texts(self, rows):
        return [row["source"] for row in rows] + [row["target"] for row in rows]

    def reference_texts(self, rows):
        return [row["target"] for row in rows]

    def dataset(self, rows, tokenizer, info, config, training):
        options = batch_options(config, training)
        if self._is_prefix_lm(config):
            return prefix_lm_dataset(
                rows, tokenizer, max_source_length=config.seq_len, max_target_length=config.target_len, **options
            )
        return seq2seq_dataset(
            rows,
            tokenizer,
            max_source_length=config.seq_len,
            max_target_length=config.target_len,
            seq2seq_format=Seq2SeqFormat.from_info(info),
            **options,
        )

    def _is_prefix_lm(self, config):
        """Whether the model reads one `source <sep> target` sequence (GPT) rather than encoder and decoder inputs."""
        return self.task_model(config).inputs == "prefix_lm"

    def tokens_per_example(self, rows, tokenizer, config):
        sample = rows[:1000]
        sources = np.minimum(token_count(tokenizer, [row["source"] for row in sample]) + 1, config.seq_len)
        targets = np.minimum(token_count(tokenizer, [row["target"] for row in sample]) + 1, config.target_len)
        return float((sources + targets).mean())

    def evaluate(self, model, tokenizer, info, rows, config):
        nll, count = mean_nll(model, self.dataset(rows, tokenizer, info, config, training=False))
        scored = rows[: config.eval_examples] if config.eval_examples else rows
        hypotheses = self.translate(model, tokenizer, info, [row["source"] for row in scored], config)
        references = [row["target"] for row in scored]
        return {
            "bleu": bleu(hypotheses, references),
            "chrf": chrf(hypotheses, references),
            **rouge(hypotheses, references),
            "loss": nll / count,
            "perplexity": perplexity(nll, count),
            "examples": len(rows),
            "generated_examples": len(scored),
            **tokenizer_round_trip(tokenizer, references),
        }

    def predict(self, model, tokenizer, info, texts, config):
        return [
            {"source": text, "output": output}
            for text, output in zip(texts, self.translate(model, tokenizer, info, texts, config))
        ]

    def translate(self, model, tokenizer, info, sources, config):
        """Generated target strings for raw `sources`, decoded as `config.decoding` says."""
        outputs = []
        compiled = compile_generation(len(sources), config.batch_size)
        for chunk, padded in fixed_size_chunks(sources, config.batch_size):
            ids = self._generate(model, tokenizer, Seq2SeqFormat.from_info(info), padded, config, compiled)
            outputs += tokenizer.detokenize(ids[: len(chunk)])
        return outputs

    def _generate(self, model, tokenizer, seq2seq_format, sources, config, compiled):
        decoding = {"end_token_id": tokenizer.eos_id, "jit_compile": compiled, **decoding_options(config)}
        if self._is_prefix_lm(config):
            source_ids = tokenizer.tokenize(sources, sequence_length=config.seq_len)
            prompt_ids, prompt_mask = model.build_prompt(source_ids)
            out = generate(
                model, prompt_ids, prompt_ids.shape[1] + config.target_len, prompt_mask=prompt_mask, **decoding
            )
            return generated_sequences(out["token_ids"], out["padding_mask"], prompt_mask, tokenizer.eos_id)
        source_ids = seq2seq_format.source_ids(tokenizer, sources, config.seq_len)
        start = np.tile(np.array([seq2seq_format.start_ids(tokenizer)], "int32"), (len(sources), 1))
        out = generate(
            model,
            start,
            config.target_len + start.shape[1],
            conditioning={
                "encoder_token_ids": source_ids,
                "encoder_padding_mask": (source_ids != tokenizer.pad_id).astype("int32"),
            },
            **decoding,
        )
        return generated_sequences(out["token_ids"], out["padding_mask"], np.ones_like(start), tokenizer.eos_id)
