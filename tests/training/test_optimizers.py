import keras
import numpy as np
import pytest
from keras import ops

from tests.training.test_schedules import reference_rate
from zoo.testing import assert_allclose, to_numpy
from zoo.training.optimizers import build_optimizer, exclude_from_decay
from zoo.training.schedules import WarmupDecay


def linear_model(seed_weights):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.set_weights(seed_weights)
    return model


@pytest.mark.parametrize("accumulation_steps, expected_accumulation", [(1, None), (4, 4)])
def test_builds_adamw_with_the_schedule(accumulation_steps, expected_accumulation):
    optimizer = build_optimizer(
        3e-4,
        total_steps=100,
        warmup_steps=10,
        schedule="linear",
        weight_decay=0.05,
        clip_norm=1.0,
        accumulation_steps=accumulation_steps,
        beta_2=0.98,
        epsilon=1e-9,
    )
    assert isinstance(optimizer, keras.optimizers.AdamW)
    assert (optimizer.weight_decay, optimizer.global_clipnorm, optimizer.beta_2, optimizer.epsilon) == (
        0.05,
        1.0,
        0.98,
        1e-9,
    )
    assert optimizer.gradient_accumulation_steps == expected_accumulation
    schedule = optimizer.get_config()["learning_rate"]
    assert schedule["registered_name"] == "zoo>WarmupDecay"
    assert (
        schedule["config"]
        == WarmupDecay(3e-4, 100, warmup_steps=10, decay="linear", steps_per_update=accumulation_steps).get_config()
    )


def test_optimizer_config_round_trips_with_its_schedule():
    optimizer = build_optimizer(1e-3, total_steps=50, warmup_steps=5, accumulation_steps=2, clip_norm=0.5)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert restored.get_config() == optimizer.get_config()  # schedule, accumulation and clipping included
    assert_allclose(restored.learning_rate, optimizer.learning_rate, atol=0)


def test_gradient_accumulation_updates_every_second_step_on_the_per_update_schedule():
    """Accumulating 2 batches of 1 equals one batch of 2, update for update, schedule included."""
    x = np.random.randn(8, 3).astype("float32")
    y = np.random.randn(8, 2).astype("float32")
    initial = [np.random.randn(3, 2).astype("float32"), np.random.randn(2).astype("float32")]
    settings = dict(total_steps=4, warmup_steps=2, schedule="linear", weight_decay=0.1)

    accumulating = linear_model(initial)
    accumulating_optimizer = build_optimizer(0.1, accumulation_steps=2, **settings)
    accumulating.compile(optimizer=accumulating_optimizer, loss="mse")
    reference = linear_model(initial)
    reference.compile(optimizer=build_optimizer(0.1, **settings), loss="mse")

    previous = initial[0]
    for step in range(8):
        accumulating.train_on_batch(x[step : step + 1], y[step : step + 1])
        kernel = to_numpy(accumulating.layers[0].kernel)
        if step % 2 == 0:
            np.testing.assert_array_equal(kernel, previous)  # accumulated, not applied
        else:
            reference.train_on_batch(x[step - 1 : step + 1], y[step - 1 : step + 1])
            assert not np.allclose(kernel, previous)
            assert_allclose(kernel, reference.layers[0].kernel, atol=1e-6)
        previous = kernel
        updates_done = (step + 1) // 2
        assert int(to_numpy(accumulating_optimizer.iterations)) == updates_done
        # The rate for the next update is the schedule's rate at the number of updates done.
        assert_allclose(accumulating_optimizer.learning_rate, reference_rate(updates_done, 0.1, 4, 2, "linear"))


@pytest.mark.parametrize("accumulation_steps", [1, 2])
@pytest.mark.parametrize("clip_norm, scale", [(1.0, 0.2), (10.0, 1.0), (None, 1.0)])
def test_clip_norm_bounds_the_global_gradient_norm(accumulation_steps, clip_norm, scale):
    """Adam's first moment after one update is (1 - beta_1) * g: g = (3, 0, 0), (0, 4) has global norm 5."""
    variables = [keras.Variable(np.zeros(3, "float32")), keras.Variable(np.zeros(2, "float32"))]
    gradients = [np.array([3.0, 0.0, 0.0], "float32"), np.array([0.0, 4.0], "float32")]
    optimizer = build_optimizer(0.1, total_steps=10, clip_norm=clip_norm, accumulation_steps=accumulation_steps)
    for _ in range(accumulation_steps):  # the same gradient each time: the average is `gradients`
        optimizer.apply([ops.convert_to_tensor(g) for g in gradients], variables)
    momentums = [v for v in optimizer.variables if v.path.endswith("_momentum")]
    for momentum, gradient in zip(momentums, gradients, strict=True):
        assert_allclose(momentum, 0.1 * scale * gradient, atol=1e-7)


def decay_test_model():
    inputs = keras.Input((4,), dtype="int32")
    hidden = keras.layers.Embedding(10, 6, name="embedding")(inputs)
    hidden = keras.layers.Dense(6, name="dense")(hidden)
    hidden = keras.layers.LayerNormalization(name="norm")(hidden)
    outputs = keras.layers.Dense(3, use_bias=False, name="head")(hidden)
    model = keras.Model(inputs, outputs)
    for variable in model.trainable_variables:  # non-zero everywhere, so decay would show
        variable.assign(np.random.uniform(0.5, 1.5, variable.shape).astype("float32"))
    return model


def test_exclude_from_decay_spares_biases_norms_and_embeddings():
    """With zero gradients Adam moves nothing, so only decoupled decay, `v * (1 - lr * wd)`, can change `v`."""
    model = decay_test_model()
    optimizer = build_optimizer(0.1, total_steps=10, schedule="constant", weight_decay=0.5)
    model.compile(optimizer=optimizer, loss=lambda y_true, y_pred: 0.0 * ops.sum(y_pred, axis=-1))
    assert exclude_from_decay(optimizer, model) == 4  # embedding/embeddings, dense/bias, norm/gamma, norm/beta
    before = {v.path: to_numpy(v) for v in model.trainable_variables}
    model.fit(np.zeros((2, 4), "int32"), np.zeros((2, 4), "float32"), batch_size=2, verbose=0)

    decayed = {"dense/kernel", "head/kernel"}
    assert set(before) == decayed | {"embedding/embeddings", "dense/bias", "norm/gamma", "norm/beta"}
    for variable in model.trainable_variables:
        factor = 1 - 0.1 * 0.5 if variable.path in decayed else 1.0
        assert_allclose(variable, before[variable.path] * factor, atol=1e-6)


def test_without_exclusion_every_variable_decays():
    model = decay_test_model()
    optimizer = build_optimizer(0.1, total_steps=10, schedule="constant", weight_decay=0.5)
    model.compile(optimizer=optimizer, loss=lambda y_true, y_pred: 0.0 * ops.sum(y_pred, axis=-1))
    before = [to_numpy(v) for v in model.trainable_variables]
    model.fit(np.zeros((2, 4), "int32"), np.zeros((2, 4), "float32"), batch_size=2, verbose=0)
    for variable, value in zip(model.trainable_variables, before):
        assert_allclose(variable, value * 0.95, atol=1e-6)


def test_exclude_from_decay_needs_a_built_model_and_an_unbuilt_optimizer():
    optimizer = build_optimizer(0.1, total_steps=10)
    unbuilt = keras.Sequential([keras.layers.Dense(2)], name="unbuilt")
    with pytest.raises(ValueError, match="needs a built model. Received: model='unbuilt'"):
        exclude_from_decay(optimizer, unbuilt)
    model = decay_test_model()
    optimizer.build(model.trainable_variables)
    with pytest.raises(ValueError, match="before the optimizer is built.*Received: optimizer='adamw'"):
        exclude_from_decay(optimizer, model)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(learning_rate=0), "`learning_rate` must be a positive number. Received: learning_rate=0"),
        (dict(total_steps=0), "`total_steps` must be a positive integer. Received: total_steps=0"),
        (dict(schedule="step"), r"`schedule` must be one of \[.*\]. Received: schedule='step'"),
        (dict(accumulation_steps=0), "`accumulation_steps` must be a positive integer. Received: accumulation_steps=0"),
        (dict(clip_norm=-1.0), "`clip_norm` must be a positive number. Received: clip_norm=-1.0"),
        (dict(weight_decay=1.5), r"`weight_decay` must be a float in \[0, 1\). Received: weight_decay=1.5"),
        (dict(beta_2=1.0), r"`beta_2` must be a float in \[0, 1\). Received: beta_2=1.0"),
        (dict(epsilon=0.0), "`epsilon` must be a positive number. Received: epsilon=0.0"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_optimizer(**{"learning_rate": 1e-3, "total_steps": 10, **kwargs})
