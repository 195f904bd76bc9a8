"""What every recipe provides to the trainer (`zoo.training.trainer`), and the parts they share.

A recipe is the task-specific half of a run: how to read its files, which model each family
builds, the tf.data pipeline, the loss, and how to evaluate and predict. The trainer owns the
rest (run directory, tokenizer, optimizer, `model.fit`, checkpoints, reports), so every task
trains, resumes, stops and reports the same way.
"""

import keras
import numpy as np

from zoo.data.synthetic import make_corpus
from zoo.metrics import NllAccumulator
from zoo.models import registry
from zoo.training.config import ConfigError
from zoo.training.losses import SparseCrossEntropy


class Recipe:
    """Base of the task recipes. Subclasses set the class attributes and implement the methods.

    Attributes:
        task: the task name of the CLI (`zoo train TASK`).
        corpus: the embedded corpus used when no `--data` is given.
        families: the model families this task trains: those with a task model for it in
            `zoo.models.registry`, in registry order.
        default_model: the family a run trains unless `--model` says otherwise.
        monitor: `(logged name, "min" | "max")`: the validation value that picks the best weights.
        primary_metric: the metrics.json key that `zoo compare` ranks by, and its direction.
        default_tokenizer: the tokenizer kind a run trains unless `--tokenizer` says otherwise.
            Tasks that generate text default to lossless SentencePiece, whose detokenize gives
            the text back (case, accents, spacing); classifiers and the masked LM keep WordPiece.
        training_accuracy: whether `fit` logs accuracy (and `val_accuracy`) as it trains. Token-level
            tasks leave it off: an argmax over every position's logits cost 2-7% of a gpt-small
            step, and their evaluation reports accuracy, perplexity or BLEU itself.
        FAMILY_DEFAULTS: `{family: settings}` this task tunes per family (learning rate, lengths, ...).
    """

    task = None
    corpus = None
    default_model = None
    monitor = ("val_loss", "min")
    primary_metric = ("loss", "min")
    training_accuracy = False
    default_tokenizer = "wordpiece"
    FAMILY_DEFAULTS = {}

    @property
    def families(self):
        return registry.task_families(self.task)

    def task_model(self, config):
        """The registry's `TaskModel` of `config.model` for this task (what it builds and reads)."""
        return registry.task_model(self.task, config.model)

    def family_defaults(self, model):
        """Config values of this task for a model family (tokenizer, learning rate, lengths, ...)."""
        return {"tokenizer": self.default_tokenizer, **self.FAMILY_DEFAULTS.get(model, {})}

    # --- data ---
    def read(self, path, config):
        """Validated rows of a file in this task's format."""
        raise NotImplementedError

    def embedded_rows(self, split, config):
        size = config.train_examples if split == "train" else config.valid_examples
        return make_corpus(self.corpus, split, size, seed=config.seed)

    def tokenizer_texts(self, rows):
        """The texts a new tokenizer is trained on."""
        raise NotImplementedError

    def reference_texts(self, rows):
        """The texts generated outputs are scored against (None: this task generates no text).

        The trainer checks that the tokenizer gives them back (`zoo.metrics.tokenizer_round_trip`).
        """
        return None

    def check_rows(self, config, train_rows, valid_rows):
        """Refuses data this task cannot learn from (`DataError` / `ConfigError`), before any work."""

    def task_info(self, config, rows):
        """JSON-able facts the model and its outputs depend on (e.g. the labels), saved with the model."""
        return {}

    # --- model ---
    def check_config(self, config):
        """Refuses settings this task or family cannot honour (`ConfigError`), before any work."""
        task_model = self.task_model(config)
        if config.pooling is not None and config.pooling not in task_model.poolings:
            raise ConfigError(
                f"--pooling {config.pooling}: a {config.model} classifier pools by {', '.join(task_model.poolings)}."
                if task_model.poolings
                else f"--pooling is for classifiers, not {self.task}."
            )
        if config.copy_attention and not task_model.copy_attention:
            copying = [
                family
                for family in registry.task_families("translation")
                if registry.task_model("translation", family).copy_attention
            ]
            raise ConfigError(
                f"--copy-attention is for encoder-decoders (translation or summarization with --model "
                f"{' or '.join(copying)}), not {self.task} with --model {config.model}."
            )

    def check_init(self, config, init_config):
        """Refuses an `--init-from` run whose model cannot start this one (`ConfigError`)."""
        registry.check_init_from(config, init_config)

    def build_model(self, config, tokenizer, info, init_model):
        """The task model for `config.model`, from `init_model` (a loaded run's model) if given."""
        return self.task_model(config).build(config, tokenizer, info, init_model)

    def loss(self, config):
        return SparseCrossEntropy(label_smoothing=config.label_smoothing)

    def dataset(self, rows, tokenizer, info, config, training):
        """`fit`'s `(x, y[, sample_weight])` batches; when `training`, shuffled and repeated forever."""
        raise NotImplementedError

    def fixed_batch_shape(self, config):
        """Whether every training batch has one shape whatever `config.padding` (e.g. windows of a token stream).

        Such runs compile the train step with XLA on TensorFlow under `--jit-compile auto`
        (`compile_for_training`).
        """
        return False

    def steps_per_epoch(self, rows, tokenizer, config):
        """Batches in one pass over `rows`."""
        return max(1, -(-len(rows) // config.batch_size))

    def tokens_per_example(self, rows, tokenizer, config):
        """Mean tokens a training example feeds the model (for tokens/s), from up to 1,000 rows."""
        raise NotImplementedError

    # --- results ---
    def evaluate(self, model, tokenizer, info, rows, config):
        """The metrics dict of `model` on `rows` (keys as in `zoo evaluate`'s JSON)."""
        raise NotImplementedError

    def predict(self, model, tokenizer, info, texts, config):
        """One JSON-able prediction per raw input string."""
        raise NotImplementedError


def batch_options(config, training):
    """The `BatchOptions` keywords of a training or an evaluation pipeline."""
    return {
        "batch_size": config.batch_size,
        "shuffle": training,
        "seed": config.seed,
        "repeat": training,
        "padding": config.padding,
    }


def token_count(tokenizer, texts):
    """Tokens of each text, without special tokens."""
    return np.asarray([len(ids) for ids in tokenizer.tokenize(list(texts))]) if texts else np.zeros(0)


def predict_in_batches(model, dataset):
    """`model.predict` over a finite dataset of `(x, ...)` batches, outputs concatenated."""
    outputs = [keras.ops.convert_to_numpy(model.predict_on_batch(batch[0])) for batch in dataset.as_numpy_iterator()]
    return np.concatenate(outputs) if outputs else np.zeros((0,))


def mean_nll(model, dataset, output=None):
    """`(total NLL, counted tokens)` of `model` on a finite dataset of `(x, y, sample_weight)` batches.

    `output` picks one entry of a dict-output model (e.g. "mlm"). Computed from the logits in
    float64 (`zoo.metrics.NllAccumulator`): the evaluation loss has no label smoothing.
    """
    accumulator = NllAccumulator()
    for x, y, weights in dataset.as_numpy_iterator():
        logits = model.predict_on_batch(x)
        if output is not None:
            logits, y, weights = logits[output], y[output], weights[output]
        accumulator.add(keras.ops.convert_to_numpy(logits), y, weights)
    return accumulator.total_nll, accumulator.num_tokens
