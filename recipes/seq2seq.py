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

from recipes.base import Recipe, batch_options, mean_nll, token_count
from zoo.data.pipelines import Seq2SeqFormat, prefix_lm_dataset, seq2seq_dataset
from zoo.generation.text import generate_text
from zoo.metrics import bleu, chrf, perplexity, rouge, tokenizer_round_trip
from zoo.models.registry import text_preprocessor


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
        """Generated target strings for raw `sources`, decoded as `config.decoding` says.

        The run's `PromptPreprocessor` (as `load_run` attaches it and the export serves it) builds
        the prompts: `zoo predict`, `zoo evaluate` and `model.generate` decode the same ids.
        """
        preprocessor = text_preprocessor(config.to_dict(), tokenizer, info, model)
        return generate_text(model, preprocessor, sources, batch_size=config.batch_size)
