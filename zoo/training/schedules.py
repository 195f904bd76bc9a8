"""Learning-rate schedule: linear warm-up, then cosine, linear, inverse-square-root or constant.

Example:

    schedule = WarmupDecay(1e-3, total_steps=1000, warmup_steps=100, decay="cosine")
    optimizer = keras.optimizers.AdamW(learning_rate=schedule)
"""

import math
import numbers

import keras
from keras import ops

from zoo.validation import require_choice, require_positive_int, require_positive_number, require_rate

DECAYS = ("cosine", "linear", "inverse_sqrt", "constant")


def _require_non_negative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={value!r}")
    return int(value)


@keras.saving.register_keras_serializable(package="zoo")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to `peak_learning_rate`, then a decay; constant after `total_steps`.

    With `s` the update index (0 for the first update), `W = warmup_steps`, `T = total_steps`,
    `peak = peak_learning_rate`, `final = final_fraction * peak` and `s` clamped to `T`:

    - warm-up (`s < W`): `peak * (s + 1) / W`, so the first update already moves and update
      `W - 1` runs at `peak`;
    - then, with `p = (s - W) / (T - W)` going from 0 at `s = W` to 1 at `s = T` (1 if `W = T`):
      `"cosine"`: `final + (peak - final) * (1 + cos(pi * p)) / 2`;
      `"linear"`: `peak + (final - peak) * p`;
      `"constant"`: `peak`;
    - `"inverse_sqrt"` (Vaswani et al., normalised to `peak`): `peak * min(n / W, sqrt(W / n))`
      with `n = s + 1`: the same warm-up, then `peak * sqrt(W / n)`. Needs `W > 0`;
      `final_fraction` does not apply.

    The rate at `s >= T` is the rate at `T` (`final` for cosine and linear).

    `steps_per_update` maps the optimizer's step counter to update indices: `s = step //
    steps_per_update`. Keras optimizers with `gradient_accumulation_steps=k` call the schedule
    with the micro-batch count, so `build_optimizer` sets it to `k` (see `optimizers.py`).

    Only `keras.ops` are used, so the schedule runs inside compiled train steps on every backend;
    it returns a float32 scalar.

    Args:
        peak_learning_rate: the rate at the end of warm-up.
        total_steps: number of updates the schedule spans.
        warmup_steps: updates of linear warm-up (0 for none); at most `total_steps`.
        decay: one of `"cosine"`, `"linear"`, `"inverse_sqrt"`, `"constant"`.
        final_fraction: the cosine/linear rate at `total_steps`, as a fraction of the peak.
        steps_per_update: optimizer steps per update (gradient accumulation steps).

    Example:

        schedule = WarmupDecay(1.0, total_steps=10, warmup_steps=2, decay="linear")
        [round(float(schedule(step)), 3) for step in (0, 1, 2, 6, 10, 50)]  # [0.5, 1.0, 1.0, 0.5, 0.0, 0.0]
    """

    def __init__(
        self,
        peak_learning_rate,
        total_steps,
        warmup_steps=0,
        decay="cosine",
        final_fraction=0.0,
        steps_per_update=1,
    ):
        self.peak_learning_rate = require_positive_number("peak_learning_rate", peak_learning_rate)
        self.total_steps = require_positive_int("total_steps", total_steps)
        self.warmup_steps = _require_non_negative_int("warmup_steps", warmup_steps)
        self.decay = require_choice("decay", decay, DECAYS)
        self.final_fraction = require_rate("final_fraction", final_fraction)
        self.steps_per_update = require_positive_int("steps_per_update", steps_per_update)
        if self.warmup_steps > self.total_steps:
            raise ValueError(
                "`warmup_steps` must be at most `total_steps`. "
                f"Received: warmup_steps={warmup_steps}, total_steps={total_steps}"
            )
        if self.decay == "inverse_sqrt" and self.warmup_steps == 0:
            raise ValueError(
                '`decay="inverse_sqrt"` needs `warmup_steps` > 0 (the rate is peak * sqrt(warmup_steps / step)). '
                f"Received: warmup_steps={warmup_steps}"
            )

    def __call__(self, step):
        step = ops.floor(ops.cast(step, "float32") / self.steps_per_update)
        step = ops.minimum(step, float(self.total_steps))
        peak = self.peak_learning_rate
        warmup = float(self.warmup_steps)
        if self.decay == "inverse_sqrt":
            n = step + 1.0
            return peak * ops.minimum(n / warmup, ops.sqrt(warmup / n))
        rate = self._after_warmup(step)
        if self.warmup_steps:
            rate = ops.where(step < warmup, peak * (step + 1.0) / warmup, rate)
        return rate

    def _after_warmup(self, step):
        peak = self.peak_learning_rate
        if self.decay == "constant":
            return ops.full_like(step, peak)
        final = self.final_fraction * peak
        if self.total_steps == self.warmup_steps:  # no decay phase: after warm-up comes the final rate
            progress = ops.ones_like(step)
        else:
            progress = ops.clip((step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0)
        if self.decay == "cosine":
            return final + (peak - final) * 0.5 * (1.0 + ops.cos(math.pi * progress))
        return peak + (final - peak) * progress

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "decay": self.decay,
            "final_fraction": self.final_fraction,
            "steps_per_update": self.steps_per_update,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
