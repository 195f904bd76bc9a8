"""`RunTracker`: the callback that makes a `fit` resumable, budgeted and early-stopped.

One callback owns the run's state (step, epoch, history, best score, elapsed time) because every
piece of it must survive a crash together: at each validation it appends to the history, keeps
the best weights, counts patience, and writes the checkpoint (weights, optimizer state and
state) in one atomic step. After every batch it stops training cleanly once `total_steps` are
done or the time budget is spent; Keras then still validates, and the checkpoint is written.

Keras' own `BackupAndRestore` restores the epoch only, and `EarlyStopping`/`ModelCheckpoint`
forget their best score on restart; hence this callback.
"""

import contextlib
import math
import time

import keras
import numpy as np


class RunTracker(keras.callbacks.Callback):
    """Tracks a run in a `RunDirectory`.

    Args:
        run: the `RunDirectory`.
        state: the state to continue (`run.state()`).
        total_steps: optimizer steps (batches) of the whole run.
        monitor, mode: the logged validation value that picks the best weights ("min" / "max").
        patience: validations without improvement before stopping; None never stops early.
        time_budget_s: seconds of training (over all resumed attempts) before stopping; None: no limit.
        on_validation: optional `f(state)` called after each validation (e.g. to redraw curves).
        best_weights: optional context manager factory under which the model holds the weights to
            keep as the best (`EMAWeights.in_model`); default: the weights as they are.

    Example:

        tracker = RunTracker(run, run.state(), total_steps=1000, monitor="val_loss", mode="min")
        model.fit(train.skip(tracker.step), epochs=10, steps_per_epoch=100, callbacks=[tracker], ...)
    """

    def __init__(
        self,
        run,
        state,
        total_steps,
        monitor,
        mode,
        patience=None,
        time_budget_s=None,
        on_validation=None,
        best_weights=contextlib.nullcontext,
    ):
        super().__init__()
        self.run = run
        self.state = state
        self.total_steps = total_steps
        self.monitor = monitor
        self.mode = mode
        self.patience = patience
        self.time_budget_s = time_budget_s
        self.on_validation = on_validation
        self.best_weights = best_weights
        self._epoch_start_step = state["step"]
        self._batches = 0

    @property
    def step(self):
        return self.state["step"]

    def _elapsed(self):
        return self.state["elapsed_s"] + time.perf_counter() - self._started

    def _stop(self, reason):
        self.state["stop_reason"] = reason
        self.model.stop_training = True

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start_step = self.state["step"]
        self._batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self._batches = batch + 1
        if self._epoch_start_step + self._batches >= self.total_steps:
            self._stop("max_steps")
        elif self.time_budget_s is not None and self._elapsed() >= self.time_budget_s:
            self._stop("time_budget")

    def on_epoch_end(self, epoch, logs=None):
        state = self.state
        state["step"] = self._epoch_start_step + self._batches
        state["epoch"] = epoch + 1
        state["elapsed_s"] = self._elapsed()
        self._started = time.perf_counter()
        row = {
            "epoch": epoch + 1,
            "step": state["step"],
            "elapsed_s": round(state["elapsed_s"], 2),
            "learning_rate": self._learning_rate(),
        }
        row.update({name: float(value) for name, value in (logs or {}).items() if np.ndim(value) == 0})
        state["history"].append(row)
        self._track_best(row)
        self.run.write_history(state["history"])
        self.run.save_checkpoint(self.model, state)
        if self.on_validation is not None:
            self.on_validation(state)

    def _track_best(self, row):
        state = self.state
        value = row.get(self.monitor)
        if value is None or math.isnan(value):
            state["wait"] += 1
        elif state["best"] is None or (value < state["best"] if self.mode == "min" else value > state["best"]):
            state["best"], state["best_epoch"], state["wait"] = value, row["epoch"], 0
            with self.best_weights():
                self.run.save_best_weights(self.model)
        else:
            state["wait"] += 1
        if self.patience is not None and state["wait"] >= self.patience and not self.model.stop_training:
            self._stop("early_stopping")

    def _learning_rate(self):
        optimizer = self.model.optimizer
        learning_rate = optimizer.learning_rate
        return float(keras.ops.convert_to_numpy(learning_rate))


class EMAWeights(keras.callbacks.SwapEMAWeights):
    """Validates with the optimizer's moving average of the weights (`use_ema=True`), and lends it for saving.

    Keras' `SwapEMAWeights` swaps the average in for each validation; `in_model()` does the same
    for a block of code, such as saving the best weights, and swaps the training weights back.

    Example:

        ema = EMAWeights()
        tracker = RunTracker(run, run.state(), 1000, "val_loss", "min", best_weights=ema.in_model)
        model.fit(train, validation_data=valid, callbacks=[ema, tracker])
    """

    @contextlib.contextmanager
    def in_model(self):
        self._swap_variables()
        try:
            yield
        finally:
            self._swap_variables()
