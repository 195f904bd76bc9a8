"""The moving average of the weights (`--ema`): what it averages, and that validation and the kept weights use it."""

import h5py
import keras
import numpy as np
import pytest

from recipes.cli import main
from zoo.testing import assert_allclose, to_numpy
from zoo.training.callbacks import EMAWeights, RunTracker
from zoo.training.config import TrainConfig
from zoo.training.optimizers import build_optimizer
from zoo.training.run_directory import CHECKPOINT, WEIGHTS, RunDirectory

MOMENTUM = 0.3  # reached by the warm-up at the third update


def regression_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x @ np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]], "float32")).astype("float32")
    return x, y


def compiled_model(ema_momentum=MOMENTUM):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=build_optimizer(0.05, total_steps=100, ema_momentum=ema_momentum), loss="mse")
    return model


def averages(model):
    return [to_numpy(v) for v in model.optimizer._model_variables_moving_average]


def test_the_average_is_numpys_warmed_up_exponential_moving_average_of_the_weights_after_each_update():
    model, (x, y) = compiled_model(), regression_data()
    kernels = []
    for step in range(6):
        model.train_on_batch(x[step * 4 : step * 4 + 4], y[step * 4 : step * 4 + 4])
        kernels.append(to_numpy(model.layers[0].kernel))
    expected = kernels[0]  # the first update copies the weights
    for step, kernel in enumerate(kernels[1:], start=1):
        momentum = min(MOMENTUM, (1 + step) / (10 + step))  # 0.18, 0.25, then MOMENTUM from the third
        expected = momentum * expected + (1 - momentum) * kernel
    assert_allclose(averages(model)[0], expected)
    assert np.abs(averages(model)[0] - kernels[-1]).max() > 1e-3  # it is not the weights themselves


def test_with_gradient_accumulation_the_average_moves_once_per_update():
    keras.utils.set_random_seed(0)
    model, (x, y) = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), regression_data()
    optimizer = build_optimizer(0.05, total_steps=100, ema_momentum=MOMENTUM, accumulation_steps=2)
    model.compile(optimizer=optimizer, loss="mse")
    kernels = []
    for step in range(8):  # 4 updates of 2 micro-batches
        model.train_on_batch(x[step * 4 : step * 4 + 4], y[step * 4 : step * 4 + 4])
        kernels.append(to_numpy(model.layers[0].kernel))
    assert_allclose(kernels[2], kernels[1])  # the weights move on an update's last micro-batch only
    updated = kernels[1::2]
    assert np.abs(updated[1] - updated[0]).max() > 1e-3
    expected = updated[0]
    for update, kernel in enumerate(updated[1:], start=1):
        momentum = min(MOMENTUM, (1 + update) / (10 + update))
        expected = momentum * expected + (1 - momentum) * kernel
    assert_allclose(averages(model)[0], expected)


def test_validation_uses_the_average_and_each_fit_goes_on_from_the_weights():
    model, (x, y) = compiled_model(), regression_data()
    judge = compiled_model(ema_momentum=None)
    for _ in range(2):  # Keras' own AdamW would overwrite the weights with the average at the end of a fit
        weights = [to_numpy(w) for w in model.trainable_weights]
        history = model.fit(x, y, batch_size=4, epochs=1, validation_data=(x, y), callbacks=[EMAWeights()], verbose=0)
        assert np.abs(to_numpy(model.trainable_weights[0]) - weights[0]).max() > 1e-3  # it trained
        assert np.abs(to_numpy(model.trainable_weights[0]) - averages(model)[0]).max() > 1e-3
        judge.set_weights(averages(model))
        assert_allclose(history.history["val_loss"][-1], judge.evaluate(x, y, verbose=0), rtol=1e-5)


def test_in_model_lends_the_average_and_gives_the_weights_back():
    model, (x, y) = compiled_model(), regression_data()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    weights, average = [to_numpy(w) for w in model.trainable_weights], averages(model)
    lender = EMAWeights()
    lender.set_model(model)
    with lender.in_model():
        for value, expected in zip(model.trainable_weights, average):
            assert_allclose(value, expected)
    for value, expected in zip(model.trainable_weights, weights):
        assert_allclose(value, expected)
    for value, expected in zip(averages(model), average):
        assert_allclose(value, expected)


def test_the_average_is_saved_and_restored_with_the_weights(tmp_path):
    model, (x, y) = compiled_model(), regression_data()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    model.save_weights(tmp_path / "checkpoint.weights.h5")
    restored = compiled_model()
    restored.optimizer.build(restored.trainable_variables)
    restored.load_weights(tmp_path / "checkpoint.weights.h5")
    for value, expected in zip(averages(restored), averages(model)):
        assert_allclose(value, expected)


@pytest.mark.parametrize("momentum", [1.0, -0.1])
def test_a_momentum_outside_0_to_1_is_rejected(momentum):
    message = rf"`ema_momentum` must be a float in \[0, 1\). Received: ema_momentum={momentum}"
    with pytest.raises(ValueError, match=message):
        build_optimizer(1e-3, total_steps=10, ema_momentum=momentum)


def test_a_momentum_of_0_or_none_keeps_no_average():
    for momentum in (0.0, None):
        assert not build_optimizer(1e-3, total_steps=10, ema_momentum=momentum).use_ema
    assert build_optimizer(1e-3, total_steps=10, ema_momentum=0.5).use_ema


def layer_arrays(path):
    with h5py.File(path) as f:
        found = []
        f["layers"].visititems(lambda name, item: found.append(item[()]) if isinstance(item, h5py.Dataset) else None)
        return found


def test_the_tracker_keeps_the_average_as_the_best_weights_and_checkpoints_the_weights(tmp_path):
    model, (x, y) = compiled_model(), regression_data()
    run = RunDirectory(tmp_path / "run")
    run.claim(TrainConfig(epochs=1))
    ema = EMAWeights()
    tracker = RunTracker(run, run.state(), total_steps=8, monitor="val_loss", mode="min", best_weights=ema.in_model)
    model.fit(x, y, batch_size=4, epochs=1, validation_data=(x, y), callbacks=[ema, tracker], verbose=0)
    for kept, average in zip(layer_arrays(run.file("best.weights.h5")), averages(model)):
        assert_allclose(kept, average)
    for checkpointed, weight in zip(layer_arrays(run.file(CHECKPOINT) / WEIGHTS), model.trainable_weights):
        assert_allclose(checkpointed, weight)
    assert np.abs(averages(model)[0] - to_numpy(model.trainable_weights[0])).max() > 1e-3


@pytest.mark.one_backend
def test_a_run_trains_the_same_weights_with_or_without_the_average_and_keeps_the_average(tmp_path):
    tiny = ["--model", "fasttext", "--size", "tiny", "--train-examples", "96", "--valid-examples", "16"]
    settings = ["--batch-size", "8", "--seq-len", "16", "--vocabulary-size", "200", "--max-steps", "12"]
    assert main(["train", "classification", *tiny, *settings, "--ema", "0", "--out", str(tmp_path / "plain")]) == 0
    assert main(["train", "classification", *tiny, *settings, "--ema", "0.5", "--out", str(tmp_path / "ema")]) == 0
    assert "weights averaged (EMA, momentum 0.5)" in (tmp_path / "ema" / "README.md").read_text()
    assert "weights averaged" not in (tmp_path / "plain" / "README.md").read_text()  # 0 turns it off
    trained = layer_arrays(tmp_path / "plain" / "best.weights.h5")
    kept = layer_arrays(tmp_path / "ema" / "best.weights.h5")
    with h5py.File(tmp_path / "ema" / "best.weights.h5") as f:  # the weights trained sit in the average's slots
        slots = [item[()] for item in f["optimizer/vars"].values()]
    assert all(any(np.array_equal(slot, array) for slot in slots) for array in trained)
    assert not any(np.array_equal(a, b) for a, b in zip(trained, kept))
