"""Text classification: fastText, LSTM, BERT (from scratch or `--init-from` an MLM run) and GPT classifiers.

Data: a TSV with header `label<TAB>text` (or any reader format; `text_pair` rows make
sentence-pair inputs, packed `cls a sep b sep` with segment ids). Metrics: `accuracy`,
`macro_f1`, `loss`. The best weights are the ones of the highest validation accuracy.

Example:

    zoo train classification --model bert --size small --data train.tsv --valid valid.tsv
"""

import numpy as np

from recipes.base import Recipe, backbone_from, batch_options, predict_in_batches, require_init_family, token_count
from zoo.data import DataError, LabelVocabulary, read_classification
from zoo.data.pipelines import classification_dataset
from zoo.metrics import classification_metrics
from zoo.models import fasttext
from zoo.models.bert import BertClassifier
from zoo.models.gpt import GPTClassifier
from zoo.models.lstm import LSTMClassifier, classifier_config


class Classification(Recipe):
    task = "classification"
    corpus = "classification"
    families = ("lstm", "bert", "gpt", "fasttext")
    monitor = ("val_accuracy", "max")
    primary_metric = ("accuracy", "max")
    training_accuracy = True
    # Learning rates tuned on the embedded corpus's validation split; lengths fit its reviews.
    POOLINGS = {
        "lstm": ("max", "mean", "last"),
        "bert": ("first", "mean", "max"),
        "gpt": ("last",),
        "fasttext": ("mean",),
    }
    FAMILY_DEFAULTS = {
        "lstm": {"learning_rate": 3e-3},
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

    def build_model(self, config, tokenizer, info, init_model):
        num_classes = len(info["labels"])
        vocabulary_size = tokenizer.vocabulary_size
        pooling = config.pooling or self.POOLINGS[config.model][0]
        if config.model == "lstm":
            settings = classifier_config(config.size, vocabulary_size, num_classes, pooling=pooling)
            if config.dropout is not None:
                settings["dropout"] = config.dropout
            return LSTMClassifier(**settings)
        if config.model == "fasttext":
            settings = fasttext.classifier_config(config.size, vocabulary_size, num_classes)
            if config.dropout is not None:
                settings["dropout"] = config.dropout
            return fasttext.FastTextClassifier(**settings)
        backbone = backbone_from(init_model, config.model, config, vocabulary_size, config.seq_len)
        # `--dropout` sets the head's dropout too (else the head's default: BERT's 0.1, GPT's 0).
        options = {} if config.dropout is None else {"dropout": config.dropout}
        if config.model == "bert":
            return BertClassifier(backbone, num_classes, pooling=pooling, **options)
        return GPTClassifier(backbone, num_classes, **options)

    def check_init(self, config, init_config):
        if config.model in ("lstm", "fasttext"):
            super().check_init(config, init_config)
        require_init_family(config, init_config, (config.model,))

    def dataset(self, rows, tokenizer, info, config, training):
        return classification_dataset(
            rows,
            tokenizer,
            LabelVocabulary(tuple(info["labels"])),
            sequence_length=config.seq_len,
            segment_ids=config.model == "bert",
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
