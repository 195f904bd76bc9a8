"""Fitting a run's schedule to its time budget: `--time-budget B` without `--epochs` or `--max-steps`.

A budget that only stops training cuts the learning-rate decay wherever it falls (a 25-minute
Multi30k run stopped its cosine at 40% of the peak). Instead the run starts with a short probe
(`PROBE_STEPS` batches and one validation, as the run's first `fit` epoch) and times it; the
schedule's total steps are then sized so that training, with a validation every `eval_every`
steps, ends at the budget: warm-up and decay both complete. The step time is the mean over the
probe's second half, so the first compilations (XLA on JAX and TensorFlow) are left out. The
first whole validation interval after the probe is timed the same way, and if its pace moves the
schedule's end by more than `REPLAN_TOLERANCE` of the steps left, the schedule is re-sized once
(a 45-minute SAMSum run's probe, which met new bucket widths, had put the end 12 minutes early).

Example:

    steps_within_budget(remaining_s=600.0, step_s=0.25, validation_s=10.0, steps_per_validation=500)  # 2222
"""

import math
import time

import keras

PROBE_STEPS = 50
# The schedule is re-sized after the first whole validation interval if the pace then measured
# moves its end by more than this share of the steps left.
REPLAN_TOLERANCE = 0.1


def probe_steps(steps_per_validation):
    """Batches of the probe: `PROBE_STEPS`, or fewer when validations come more often than that."""
    return max(1, min(PROBE_STEPS, steps_per_validation))


def steps_within_budget(remaining_s, step_s, validation_s, steps_per_validation):
    """The most steps of `step_s` that fit in `remaining_s`, with `validation_s` per `steps_per_validation` steps.

    Solves `n * step_s + (n / steps_per_validation) * validation_s <= remaining_s`: validations
    are counted as a fraction, so a last partial interval's validation is counted in part.
    """
    if remaining_s <= 0:
        return 0
    per_step = step_s + validation_s / steps_per_validation
    return int(math.floor(remaining_s / per_step))


class ProbeTimer(keras.callbacks.Callback):
    """Times the probe's batches and its validation; `step_s` and `validation_s` after `fit`.

    Example:

        timer = ProbeTimer()
        model.fit(data, epochs=1, steps_per_epoch=PROBE_STEPS, validation_data=valid, callbacks=[timer])
        timer.step_s, timer.validation_s
    """

    def __init__(self):
        super().__init__()
        self._batch_ends = []
        self.validation_s = 0.0

    @property
    def steps(self):
        """Batches timed so far."""
        return max(0, len(self._batch_ends) - 1)

    @property
    def elapsed_s(self):
        """Seconds since the probe's first batch began."""
        return time.perf_counter() - self._batch_ends[0] if self._batch_ends else 0.0

    def on_train_batch_begin(self, batch, logs=None):
        if not self._batch_ends:
            self._batch_ends.append(time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        self._batch_ends.append(time.perf_counter())

    def on_test_begin(self, logs=None):
        self._test_started = time.perf_counter()

    def on_test_end(self, logs=None):
        self.validation_s += time.perf_counter() - self._test_started

    @property
    def first_step_extra_s(self):
        """What the first batch took beyond `step_s`: about what compiling the train step costs."""
        return max(0.0, self._batch_ends[1] - self._batch_ends[0] - self.step_s)

    @property
    def step_s(self):
        """Mean seconds per batch over the second half of the probe (all of it if it had one batch)."""
        ends = self._batch_ends
        if len(ends) < 2:
            raise RuntimeError("The probe ran no batch.")
        start = (len(ends) - 1) // 2
        return (ends[-1] - ends[start]) / (len(ends) - 1 - start)
