"""Text classification: fastText, LSTM, BERT (from scratch or `--init-from` an MLM run) and GPT classifiers.

Data: a TSV with header `label<TAB>text` (or any reader format; `text_pair` rows make
sentence-pair inputs, packed `cls a sep b sep` with segment ids). Metrics: `accuracy`,
`macro_f1`, `loss`. The best weights are the ones of the highest validation accuracy.

Example:

    zoo train classification --model bert --size small --data train.tsv --valid valid.tsv
"""

import numpy as np

from recipes.base import Recipe, batch_options, predict_in_batches, token_count
from zoo.data import DataError, LabelVocabulary, read_classification
from zoo.data.pipelines import classification_dataset
from zoo.metrics import classification_metrics


class Classification(Recipe):
    task = "classification"
    corpus = "classification"
    default_model = "lstm"
    monitor = ("val_accuracy", "max")
    primary_metric = ("accuracy", "max")
    training_accuracy = True
    # Learning rates tuned on the embedded corpus's validation split; lengths fit its reviews.
    FAMILY_DEFAULTS = {
        # A recurrent step on a CPU is bound by overhead more than FLOPs: lstm small on SST-2 (JAX, 2-core
        # AMD EPYC) took 0.26 s a batch of 32 and 0.33-0.38 s a batch of 64, so 64 reads 1.4-1.6x the
        # examples in a budget (20 minutes: 3.1-3.4 passes instead of 2.1; benchmarks/RESULTS.md, 2026-12-07).
        # It fits the training sentences from the second pass on; the moving average of its weights
        # (validated and kept) scored 0.865 on SST-2 in 20 minutes against 0.857 without (`--ema 0` turns it off).
        "lstm": {"learning_rate": 3e-3, "batch_size": 64, "ema": 0.999},
        "bert": {"learning_rate": 5e-4},
        "gpt": {"learning_rate": 5e-4},
        # A bag of embeddings costs little per token: read whole documents.
        "fasttext": {"learning_rate": 3e-3, "seq_len": 1024},
    }

    def read(self, path, config):
        return read_classification(path, on_bad_row=config.on_bad_row)

    def tokenizer_texts(self, rows):
        return [row["text"] for row in rows] + [row["text_pair"] for row in rows if "text_pair" in row]

    def check_rows(self, config, train_rows, valid_rows):
        labels = LabelVocabulary.from_rows(train_rows).labels
        source = f"--data {config.data}" if config.data else "the embedded corpus"
        if len(labels) < 2:
            raise DataError(
                f"{source}: every training row has the label {labels[0]!r}; a classifier needs at "
                "least two classes. Check the label column, or add rows of the other classes."
            )
        unseen = sorted({row["label"] for row in valid_rows} - set(labels))
        if not unseen:
            return
        if config.valid is not None and config.on_bad_row == "error":  # read again, to name the line
            read_classification(config.valid, on_bad_row="error", label_set=labels)
        held_out = f"--valid {config.valid}" if config.valid else "the rows held out for validation"
        raise DataError(
            f"{held_out}: the label {unseen[0]!r} is not in the training data ({source}); a classifier "
            "cannot learn a class it never trains on. Add training rows of it."
        )

    def task_info(self, config, rows):
        return {"labels": list(LabelVocabulary.from_rows(rows).labels)}

    def dataset(self, rows, tokenizer, info, config, training):
        return classification_dataset(
            rows,
            tokenizer,
            LabelVocabulary(tuple(info["labels"])),
            sequence_length=config.seq_len,
            segment_ids=self.task_model(config).inputs == "token_and_segment_ids",
            **batch_options(config, training),
        )

    def tokens_per_example(self, rows, tokenizer, config):
        lengths = token_count(tokenizer, self.tokenizer_texts(rows[:1000]))
        return float(np.minimum(lengths + 2, config.seq_len).mean())

    def _probabilities(self, model, tokenizer, info, rows, config):
        logits = predict_in_batches(model, self.dataset(rows, tokenizer, info, config, training=False))
        logits = logits.astype("float64")
        exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return exp / exp.sum(axis=-1, keepdims=True)

    def evaluate(self, model, tokenizer, info, rows, config):
        labels = LabelVocabulary(tuple(info["labels"]))
        probabilities = self._probabilities(model, tokenizer, info, rows, config)
        truth = np.asarray(labels.encode_rows(rows))
        loss = float(-np.log(np.maximum(probabilities[np.arange(len(truth)), truth], 1e-12)).mean())
        predicted = probabilities.argmax(axis=-1)
        return {
            **classification_metrics(truth.tolist(), predicted.tolist(), classes=list(range(len(labels)))),
            "loss": loss,
            "examples": len(rows),
        }

    def predict(self, model, tokenizer, info, texts, config):
        labels = info["labels"]
        rows = [{"text": text, "label": labels[0]} for text in texts]
        probabilities = self._probabilities(model, tokenizer, info, rows, config)
        return [
            {
                "text": text,
                "label": labels[int(p.argmax())],
                "probabilities": {label: round(float(value), 6) for label, value in zip(labels, p)},
            }
            for text, p in zip(texts, probabilities)
        ]
