import math

import keras
import numpy as np
import pytest
from keras import ops

from zoo.testing import assert_allclose, to_numpy
from zoo.training.schedules import WarmupDecay


def reference_rate(step, peak, total, warmup, decay, final_fraction=0.0):
    """The documented schedule, in plain Python floats."""
    s = min(step, total)
    if decay == "inverse_sqrt":
        n = s + 1
        return peak * min(n / warmup, math.sqrt(warmup / n))
    if s < warmup:
        return peak * (s + 1) / warmup
    if decay == "constant":
        return peak
    final = final_fraction * peak
    progress = (s - warmup) / (total - warmup)
    if decay == "linear":
        return peak - (peak - final) * progress
    return final + (peak - final) * (1 + math.cos(math.pi * progress)) / 2


CASES = [
    dict(decay="cosine", warmup_steps=0, final_fraction=0.0),
    dict(decay="cosine", warmup_steps=4, final_fraction=0.1),
    dict(decay="linear", warmup_steps=0, final_fraction=0.0),
    dict(decay="linear", warmup_steps=4, final_fraction=0.2),
    dict(decay="constant", warmup_steps=0, final_fraction=0.0),
    dict(decay="constant", warmup_steps=4, final_fraction=0.0),
    dict(decay="inverse_sqrt", warmup_steps=4, final_fraction=0.0),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case['decay']}-warmup{case['warmup_steps']}")
def test_matches_reference_at_boundaries(case):
    schedule = WarmupDecay(2e-3, total_steps=20, **case)
    # First step, around the end of warm-up, mid-decay, around total_steps and well after it.
    for step in (0, 1, 2, 3, 4, 5, 10, 19, 20, 21, 100):
        expected = reference_rate(step, 2e-3, 20, case["warmup_steps"], case["decay"], case["final_fraction"])
        assert_allclose(schedule(step), expected, atol=1e-9, rtol=1e-5)


@pytest.mark.parametrize(
    "decay, final_fraction, expected",
    [
        # peak 1, total 10, warm-up 2: warm-up rates 0.5, 1; decay over steps 2..10 (progress 0, .5, 1 at 2, 6, 10).
        ("linear", 0.0, [0.5, 1.0, 1.0, 0.5, 0.0, 0.0]),
        ("cosine", 0.0, [0.5, 1.0, 1.0, 0.5, 0.0, 0.0]),
        ("cosine", 0.2, [0.5, 1.0, 1.0, 0.6, 0.2, 0.2]),
        ("constant", 0.0, [0.5, 1.0, 1.0, 1.0, 1.0, 1.0]),
        # 1-based n = step + 1: min(n / 2, sqrt(2 / n)); frozen at n = 11 after total_steps.
        ("inverse_sqrt", 0.0, [0.5, 1.0, math.sqrt(2 / 3), math.sqrt(2 / 7), math.sqrt(2 / 11), math.sqrt(2 / 11)]),
    ],
)
def test_hand_computed_values(decay, final_fraction, expected):
    schedule = WarmupDecay(1.0, total_steps=10, warmup_steps=2, decay=decay, final_fraction=final_fraction)
    rates = [float(to_numpy(schedule(step))) for step in (0, 1, 2, 6, 10, 50)]
    np.testing.assert_allclose(rates, expected, atol=1e-6)


def test_warmup_over_all_steps_ends_at_final_rate():
    schedule = WarmupDecay(1.0, total_steps=4, warmup_steps=4, decay="cosine", final_fraction=0.1)
    rates = [float(to_numpy(schedule(step))) for step in range(6)]
    np.testing.assert_allclose(rates, [0.25, 0.5, 0.75, 1.0, 0.1, 0.1], atol=1e-6)


def test_steps_per_update_divides_the_step():
    per_update = WarmupDecay(1.0, total_steps=10, warmup_steps=3, decay="linear")
    per_batch = WarmupDecay(1.0, total_steps=10, warmup_steps=3, decay="linear", steps_per_update=3)
    for step in range(40):
        assert_allclose(per_batch(step), per_update(step // 3), atol=1e-7)


def test_accepts_the_optimizer_step_variable_and_returns_float32():
    step = keras.Variable(7, dtype="int", trainable=False)  # what optimizers pass: int64 on TF, int32 on JAX
    schedule = WarmupDecay(1e-3, total_steps=10, warmup_steps=2)
    rate = schedule(step)
    assert keras.backend.standardize_dtype(rate.dtype) == "float32"
    assert_allclose(rate, reference_rate(7, 1e-3, 10, 2, "cosine"), atol=1e-9, rtol=1e-5)


def test_config_round_trip_and_safe_mode_deserialization():
    schedule = WarmupDecay(
        3e-4, total_steps=100, warmup_steps=10, decay="linear", final_fraction=0.1, steps_per_update=2
    )
    config = schedule.get_config()
    assert config == {
        "peak_learning_rate": 3e-4,
        "total_steps": 100,
        "warmup_steps": 10,
        "decay": "linear",
        "final_fraction": 0.1,
        "steps_per_update": 2,
    }
    assert WarmupDecay.from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule), safe_mode=True)
    assert isinstance(restored, WarmupDecay)
    assert restored.get_config() == config
    for step in (0, 25, 150):
        assert_allclose(restored(step), schedule(step), atol=0)


@pytest.mark.parametrize("decay", ["cosine", "linear", "inverse_sqrt", "constant"])
def test_drives_the_rate_inside_compiled_train_steps(decay):
    """SGD on `loss = w` (gradient 1) moves w by -lr(t) at step t: w after n steps is -sum lr(t), t < n."""
    schedule = WarmupDecay(0.1, total_steps=8, warmup_steps=3, decay=decay, final_fraction=0.1)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    model.compile(optimizer=optimizer, loss=lambda y_true, y_pred: ops.sum(y_pred, axis=-1))
    steps = 11  # warm-up, decay and 3 steps past total_steps
    model.fit(np.ones((steps, 1), "float32"), np.zeros((steps, 1), "float32"), batch_size=1, shuffle=False, verbose=0)

    expected = -sum(reference_rate(t, 0.1, 8, 3, decay, 0.1) for t in range(steps))
    assert_allclose(model.layers[0].kernel, [[expected]], atol=1e-6)
    assert int(to_numpy(optimizer.iterations)) == steps
    assert_allclose(optimizer.learning_rate, reference_rate(steps, 0.1, 8, 3, decay, 0.1), atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(peak_learning_rate=0.0),
            "`peak_learning_rate` must be a positive number. Received: peak_learning_rate=0.0",
        ),
        (dict(total_steps=0), "`total_steps` must be a positive integer. Received: total_steps=0"),
        (dict(total_steps=10.0), "`total_steps` must be a positive integer. Received: total_steps=10.0"),
        (dict(warmup_steps=-1), "`warmup_steps` must be a non-negative integer. Received: warmup_steps=-1"),
        (
            dict(warmup_steps=11),
            "`warmup_steps` must be at most `total_steps`. Received: warmup_steps=11, total_steps=10",
        ),
        (
            dict(decay="step"),
            r"`decay` must be one of \['cosine', 'linear', 'inverse_sqrt', 'constant'\]. "
            "Received: decay='step'",
        ),
        (dict(final_fraction=1.5), r"`final_fraction` must be a float in \[0, 1\). Received: final_fraction=1.5"),
        (dict(steps_per_update=0), "`steps_per_update` must be a positive integer. Received: steps_per_update=0"),
        (dict(decay="inverse_sqrt"), "needs `warmup_steps` > 0.*Received: warmup_steps=0"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        WarmupDecay(**{"peak_learning_rate": 1e-3, "total_steps": 10, **kwargs})
