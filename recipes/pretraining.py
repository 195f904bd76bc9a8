"""Pre-training on plain text: masked LM (BERT, optionally with next-sentence prediction) and causal LM (GPT, LSTM).

Data: a text file, one passage per line (`zoo.data.read_text`). A pre-trained run starts
fine-tuning runs through `--init-from` (BERT for classification; GPT for every task).

- `mlm`: dynamic 80/10/10 masking of 15% of the tokens, in `seq_len` windows of the lines joined
  into one stream (`--line-by-line`: one line per example, padded). Metrics: `loss` and
  `perplexity` of the masked tokens, masked-token `accuracy`; with `--nsp` (pairs of consecutive
  lines, half of them with a random second line; implies line by line) also `nsp_accuracy`.
- `clm`: the lines joined into one token stream cut into `seq_len` windows. Metrics: `loss`,
  `perplexity` per token and `word_perplexity` per whitespace word (end of line counted as a
  word, as in WikiText's word-level numbers), and the tokenizer's round trip of the validation
  lines (`tokenizer_round_trip_bleu`, `tokenizer_round_trip_exact`). Default tokenizer: lossless
  SentencePiece (the masked LM keeps WordPiece).

Example:

    zoo train mlm --model bert --size small --data wiki.train.txt --valid wiki.valid.txt --nsp
    zoo train clm --model gpt --data wiki.train.txt --valid wiki.valid.txt --seq-len 256
"""

import keras
import numpy as np

from recipes.base import Recipe, batch_options, mean_nll, token_count
from zoo.data import read_text
from zoo.data.pipelines import causal_lm_dataset, masked_lm_dataset
from zoo.generation.text import generate_text
from zoo.metrics import NllAccumulator, count_words, perplexity, tokenizer_round_trip, word_perplexity
from zoo.models.registry import text_preprocessor


class _TextRecipe(Recipe):
    corpus = "lm"
    monitor = ("val_loss", "min")
    primary_metric = ("perplexity", "min")

    def read(self, path, config):
        return read_text(path, on_bad_row=config.on_bad_row)

    def tokenizer_texts(self, rows):
        return [row["text"] for row in rows]

    def _stream_tokens(self, rows, tokenizer):
        """Tokens of the rows joined into one stream, an eos after each."""
        return int((token_count(tokenizer, self.tokenizer_texts(rows)) + 1).sum())


class MaskedLM(_TextRecipe):
    task = "mlm"
    default_model = "bert"
    FAMILY_DEFAULTS = {"bert": {"learning_rate": 5e-4}}

    def loss(self, config):
        loss = super().loss(config)
        return {"mlm": loss, "nsp": super().loss(config)} if config.nsp else loss

    def fixed_batch_shape(self, config):
        return self._packed(config)

    @staticmethod
    def _packed(config):
        return not (config.line_by_line or config.nsp)

    def dataset(self, rows, tokenizer, info, config, training):
        return masked_lm_dataset(
            rows,
            tokenizer,
            sequence_length=config.seq_len,
            next_sentence=config.nsp,
            packed=self._packed(config),
            **batch_options(config, training),
        )

    def steps_per_epoch(self, rows, tokenizer, config):
        if not self._packed(config):
            return super().steps_per_epoch(rows, tokenizer, config)
        windows = -(-self._stream_tokens(rows, tokenizer) // (config.seq_len - 1))
        return max(1, -(-windows // config.batch_size))

    def tokens_per_example(self, rows, tokenizer, config):
        if self._packed(config):
            return float(config.seq_len)
        lengths = token_count(tokenizer, self.tokenizer_texts(rows[:1000]))
        return float(np.minimum(lengths * (2 if config.nsp else 1) + 2, config.seq_len).mean())

    def evaluate(self, model, tokenizer, info, rows, config):
        nll = NllAccumulator()
        correct = nsp_correct = nsp_counted = 0.0
        for x, y, weights in self.dataset(rows, tokenizer, info, config, training=False).as_numpy_iterator():
            logits = model.predict_on_batch(x)
            if config.nsp:
                nsp_logits = keras.ops.convert_to_numpy(logits["nsp"])
                nsp_correct += float((nsp_logits.argmax(-1) == y["nsp"]).sum())
                nsp_counted += len(y["nsp"])
                logits, y, weights = logits["mlm"], y["mlm"], weights["mlm"]
            logits = keras.ops.convert_to_numpy(logits)
            nll.add(logits, y, weights)
            correct += float(((logits.argmax(-1) == y) * weights).sum())
        metrics = {
            "loss": nll.mean_nll,
            "perplexity": nll.perplexity,
            "accuracy": correct / nll.num_tokens,
            "masked_tokens": int(nll.num_tokens),
            "examples": len(rows),
        }
        if config.nsp:
            metrics["nsp_accuracy"] = nsp_correct / nsp_counted
        return metrics

    def predict(self, model, tokenizer, info, texts, config):
        """The top 5 tokens at each `[MASK]` of each text."""
        vocabulary = tokenizer.get_vocabulary()
        results = []
        for text in texts:
            pieces = [tokenizer.tokenize(piece).tolist() for piece in text.split("[MASK]")]
            ids = [tokenizer.bos_id]
            positions = []
            for index, piece in enumerate(pieces):
                ids += piece
                if index < len(pieces) - 1:
                    positions.append(len(ids))
                    ids.append(tokenizer.mask_id)
            ids = (ids + [tokenizer.eos_id])[: config.seq_len]
            positions = [p for p in positions if p < len(ids)] or [0]
            x = {
                "token_ids": np.array([ids], "int32"),
                "segment_ids": np.zeros((1, len(ids)), "int32"),
                "padding_mask": np.ones((1, len(ids)), "int32"),
                "mask_positions": np.array([positions], "int32"),
            }
            outputs = model.predict_on_batch(x)  # a BertPretrainer (--nsp) also gives "nsp"
            logits = keras.ops.convert_to_numpy(outputs["mlm"] if isinstance(outputs, dict) else outputs)[0]
            top = np.argsort(-logits, axis=-1)[:, :5]
            results.append({"text": text, "masks": [[vocabulary[i] for i in row] for row in top]})
        return results


class CausalLM(_TextRecipe):
    task = "clm"
    default_model = "gpt"
    default_tokenizer = "sentencepiece"
    FAMILY_DEFAULTS = {"gpt": {"learning_rate": 1e-3, "seq_len": 128}, "lstm": {"learning_rate": 3e-3, "seq_len": 128}}

    def reference_texts(self, rows):
        return self.tokenizer_texts(rows)

    def fixed_batch_shape(self, config):
        return True  # windows of seq_len + 1 tokens, no padding

    def dataset(self, rows, tokenizer, info, config, training):
        return causal_lm_dataset(rows, tokenizer, sequence_length=config.seq_len, **batch_options(config, training))

    def steps_per_epoch(self, rows, tokenizer, config):
        return max(1, self._stream_tokens(rows, tokenizer) // ((config.seq_len + 1) * config.batch_size))

    def tokens_per_example(self, rows, tokenizer, config):
        return float(config.seq_len)

    def evaluate(self, model, tokenizer, info, rows, config):
        nll, count = mean_nll(model, self.dataset(rows, tokenizer, info, config, training=False))
        if count == 0:
            raise ValueError(f"The validation text holds fewer than seq_len + 1 = {config.seq_len + 1} tokens.")
        # The stream's last partial window is not scored: spread the mean over the whole text.
        tokens_per_word = self._stream_tokens(rows, tokenizer) / count_words([row["text"] for row in rows])
        return {
            "loss": nll / count,
            "perplexity": perplexity(nll, count),
            "word_perplexity": word_perplexity(nll * tokens_per_word, count),
            "tokens": int(count),
            "examples": len(rows),
            **tokenizer_round_trip(tokenizer, self.reference_texts(rows)),
        }

    def predict(self, model, tokenizer, info, texts, config):
        """Continues each text by up to `target_len` tokens with the configured decoding.

        The run's `PromptPreprocessor` builds the prompts (`bos text`, `seq_len` wide, as the
        export does), so each backend compiles the decoding loop once, whatever the texts' lengths.
        """
        preprocessor = text_preprocessor(config.to_dict(), tokenizer, info, model)
        continuations = generate_text(model, preprocessor, texts, batch_size=config.batch_size)
        return [{"text": text, "continuation": continuation} for text, continuation in zip(texts, continuations)]
