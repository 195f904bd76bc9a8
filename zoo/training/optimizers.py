"""The recipes' optimizer: AdamW on a `WarmupDecay` schedule, with clipping and gradient accumulation.

Example:

    optimizer = build_optimizer(1e-3, total_steps=1000, warmup_steps=50, clip_norm=1.0)
    model.compile(optimizer=optimizer, loss=SparseCrossEntropy())
    exclude_from_decay(optimizer, model)  # once the model is built, before the first fit
"""

import keras
from keras import ops

from zoo.models.functional_model import NO_DECAY_SUFFIXES
from zoo.training.schedules import DECAYS, WarmupDecay
from zoo.validation import require_choice, require_positive_int, require_positive_number, require_rate


def build_optimizer(
    learning_rate,
    *,
    total_steps,
    warmup_steps=0,
    schedule="cosine",
    weight_decay=0.01,
    clip_norm=None,
    accumulation_steps=1,
    beta_2=0.999,
    epsilon=1e-8,
    ema_momentum=None,
):
    """AdamW whose rate follows `WarmupDecay(learning_rate, total_steps, warmup_steps, schedule)`.

    `total_steps` and `warmup_steps` count updates (one per `accumulation_steps` batches).
    `clip_norm` clips the global gradient norm (of the averaged gradient when accumulating).
    Weight decay is decoupled (`variable -= lr * weight_decay * variable`) and applies to every
    variable until `exclude_from_decay` is called. `ema_momentum` keeps an exponential moving
    average of the weights (`average = m * average + (1 - m) * weight` after update `t`, with
    `m = min(ema_momentum, (1 + t) / (10 + t))`; Keras' `use_ema`) for `EMAWeights` to validate and save;
    None or 0 keeps none.

    Keras 3.15 with `gradient_accumulation_steps=k` counts `optimizer.iterations` in updates
    (`_iterations // k`, which Adam's bias correction uses) but calls the learning-rate schedule
    with the raw micro-batch counter `_iterations` (`BaseOptimizer._get_current_learning_rate`);
    the update runs on micro-batch `u * k + k - 1`. `steps_per_update=k` makes the schedule
    divide by `k`, so update `u` (and its weight decay) runs at the schedule's rate for step `u`.

    Example:

        optimizer = build_optimizer(3e-4, total_steps=2000, warmup_steps=100, accumulation_steps=4)
        optimizer.gradient_accumulation_steps  # 4
    """
    accumulation_steps = require_positive_int("accumulation_steps", accumulation_steps)
    if clip_norm is not None:
        clip_norm = require_positive_number("clip_norm", clip_norm)
    if ema_momentum is not None:
        ema_momentum = require_rate("ema_momentum", ema_momentum)
    return AveragingAdamW(
        learning_rate=learning_rate_schedule(learning_rate, total_steps, warmup_steps, schedule, accumulation_steps),
        weight_decay=require_rate("weight_decay", weight_decay),
        beta_2=require_rate("beta_2", beta_2),
        epsilon=require_positive_number("epsilon", epsilon),
        global_clipnorm=clip_norm,
        gradient_accumulation_steps=accumulation_steps if accumulation_steps > 1 else None,
        name="adamw",  # Keras' AdamW's name, which checkpoints and messages carry
        use_ema=bool(ema_momentum),
        ema_momentum=ema_momentum or 0.99,  # Keras' default where no average is kept
    )


@keras.saving.register_keras_serializable(package="zoo")
class AveragingAdamW(keras.optimizers.AdamW):
    """Keras' AdamW, but its moving average of the weights (`use_ema`) warms up and never overwrites the weights.

    Keras' `finalize_variable_values` overwrites the weights with their moving average at the end
    of every `fit`; a run calls `fit` more than once (the budget probe, a lengthened schedule,
    a resumed run), and each overwrite would restart training from weights up to ~1/(1 - momentum)
    steps old. The run validates and keeps the average instead (`EMAWeights`).

    Example:

        optimizer = AveragingAdamW(1e-3, use_ema=True, ema_momentum=0.999)
    """

    def finalize_variable_values(self, var_list):
        return None

    def _update_model_variables_moving_average(self, trainable_variables):
        """Keras' update with the momentum warmed up: `min(ema_momentum, (1 + t) / (10 + t))` at update `t`.

        Keras applies `ema_momentum` from the second update on, so the average keeps
        `ema_momentum ** t` of the first weights: after the 313 updates of a short run, 0.999 still
        ships 73% of them. The warm-up of TensorFlow's `ExponentialMovingAverage(num_updates=t)`
        averages over about the last `t / 9` updates until that reaches `1 / (1 - ema_momentum)`.
        With gradient accumulation Keras calls this after every micro-batch: the average moves on the
        update's last micro-batch only (else `k` micro-batches would make it `ema_momentum ** k`).
        Overrides a private Keras method (no public hook exists); tests/training pins the numbers.
        """
        update = self.iterations  # counted from 0; Keras counts micro-batches in `_iterations`
        step = ops.cast(update, "float32")
        warmed_up = ops.minimum(self.ema_momentum, (1.0 + step) / (10.0 + step))
        updating = ops.equal(ops.mod(self._iterations + 1, self.gradient_accumulation_steps or 1), 0)
        # Until the first update ends the average copies the weights; then it moves once per update.
        momentum = ops.where(ops.equal(update, 0), 0.0, ops.where(updating, warmed_up, 1.0))
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                rate = ops.cast(momentum, variable.dtype)
                average.assign(rate * average + (1.0 - rate) * variable)


def learning_rate_schedule(learning_rate, total_steps, warmup_steps, schedule, accumulation_steps):
    """The `WarmupDecay` of `build_optimizer`; assign a new one to `optimizer.learning_rate` to change its length.

    A compiled train step keeps the schedule it was traced with: make it again
    (`model.make_train_function(force=True)`) for a new one to apply.
    """
    return WarmupDecay(
        require_positive_number("learning_rate", learning_rate),
        total_steps=total_steps,
        warmup_steps=warmup_steps,
        decay=require_choice("schedule", schedule, DECAYS),
        steps_per_update=accumulation_steps,
    )


def exclude_from_decay(optimizer, model):
    """Excludes `model`'s variables whose path ends in `NO_DECAY_SUFFIXES` from weight decay.

    Call it after the model is built and before the optimizer is (before the first train step
    or checkpoint load), as Keras asks of `exclude_from_weight_decay`; a compiled train step
    fixes the choice when it is traced. It replaces any earlier exclusion and is not saved in
    the optimizer's config, so call it on every run. Returns the number of variables excluded.

    Example:

        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        exclude_from_decay(build_optimizer(1e-3, total_steps=10), model)  # dense/bias 1
    """
    if not model.built:
        raise ValueError(f"`exclude_from_decay` needs a built model. Received: model={model.name!r} (not built)")
    if optimizer.built:
        raise ValueError(
            "`exclude_from_decay` must run before the optimizer is built (its first update). "
            f"Received: optimizer={optimizer.name!r} (already built)"
        )
    excluded = [v for v in model.trainable_variables if v.path.endswith(NO_DECAY_SUFFIXES)]
    optimizer.exclude_from_weight_decay(var_list=excluded)
    return len(excluded)
