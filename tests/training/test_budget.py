"""A time budget without --epochs/--max-steps sizes the schedule: a timed probe, then the decay ends at the budget."""

import csv
import json
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from keras.callbacks import CallbackList

from recipes.cli import main
from zoo.training import budget, callbacks
from zoo.training.budget import ProbeTimer, probe_steps, steps_within_budget
from zoo.training.compilations import CompilationCounter


def test_steps_within_budget_leaves_room_for_the_validations():
    # 0.25 s a step plus 10 s of validation every 500 steps: 0.27 s a step on average.
    assert steps_within_budget(600.0, 0.25, 10.0, 500) == 2222
    assert steps_within_budget(600.0, 0.25, 0.0, 500) == 2400
    assert steps_within_budget(-5.0, 0.25, 10.0, 500) == 0


def test_the_probe_is_at_most_one_validation_interval():
    assert probe_steps(1000) == budget.PROBE_STEPS
    assert probe_steps(7) == 7


def test_the_probe_timer_leaves_the_first_compilation_out(monkeypatch):
    # The first batch takes 5 s (compiling), the next ones 1 s, then 0.5 s each.
    clock = iter([0.0, 5.0, 6.0, 7.0, 7.5, 8.0, 8.5])
    monkeypatch.setattr(budget.time, "perf_counter", lambda: next(clock))
    timer = ProbeTimer()
    timer.on_train_batch_begin(0)
    for batch in range(6):
        timer.on_train_batch_end(batch)
    # Second half: the batches ending at 7.5, 8.0, 8.5 after the one ending at 7.0.
    assert timer.step_s == pytest.approx(0.5)
    assert timer.first_step_extra_s == pytest.approx(4.5)


TINY = [
    "--model",
    "fasttext",
    "--size",
    "tiny",
    "--train-examples",
    "400",
    "--valid-examples",
    "16",
    "--batch-size",
    "8",
    "--seq-len",
    "24",
    "--vocabulary-size",
    "400",
    "--eval-every",
    "10",
    "--padding",
    "max_length",
]
VALIDATION_S = 2.5


@pytest.fixture
def simulated_clock(monkeypatch):
    """The run's clocks read simulated time: each train batch takes `pace[0]` seconds, each validation 2.5 s.

    Wall-clock budgets make these tests depend on what else shares the cores (the suites of two
    backends run side by side); simulated time makes every sizing decision exact. Returns the
    mutable pace: a test may change it while the run trains (through `on_batch`).
    """
    now = [0.0]
    pace = [1.1]
    batches = [0]
    on_batch = []
    monkeypatch.setattr(budget, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    monkeypatch.setattr(callbacks, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    train_batch_end, test_end = CallbackList._on_train_batch_end, CallbackList.on_test_end

    def after_a_batch(self, batch, logs=None):
        batches[0] += 1
        for change in on_batch:
            change(batches[0])
        now[0] += pace[0]
        train_batch_end(self, batch, logs)

    def after_a_validation(self, logs=None):
        now[0] += VALIDATION_S
        test_end(self, logs)

    monkeypatch.setattr(CallbackList, "_on_train_batch_end", after_a_batch)
    monkeypatch.setattr(CallbackList, "on_test_end", after_a_validation)
    return SimpleNamespace(pace=pace, on_batch=on_batch)


# The clock is simulated, so the schedule's arithmetic depends on neither the backend nor the model:
# one suite, the cheapest model (a compile-time probe misjudged is the second test's case).
@pytest.mark.one_backend
def test_a_budget_alone_sizes_the_schedule_so_the_decay_ends_within_it(tmp_path, capsys, simulated_clock):
    out = tmp_path / "run"
    assert main(["train", "classification", *TINY, "--time-budget", "2", "--out", str(out)]) == 0
    assert "10 probe steps at 1.100 s a step, 2.5 s a validation" in capsys.readouterr().err

    summary = json.loads((out / "summary.json").read_text())
    history = list(csv.DictReader((out / "history.csv").open()))
    assert history[0]["step"] == "10"  # the probe (one validation interval here) is the first epoch, validated
    # After the probe (10 x 1.1 s + 2.5 s), 106.5 s hold 78 steps of 1.1 s with 2.5 s of validation per 10.
    assert summary["steps_sized_by_budget"] == 10 + 78
    # The schedule ran to its end inside the budget: warm-up and decay complete, nothing cut.
    assert summary["steps"] == 88 and summary["stop_reason"] == "max_steps", summary
    config = json.loads((out / "config.json").read_text())
    assert float(history[-1]["learning_rate"]) < 0.01 * config["learning_rate"], history[-1]
    assert (summary["xla_compilations"] is None) == (keras.backend.backend() != "jax")

    # The same command again finds the run finished; with --epochs the budget only stops training.
    assert main(["train", "classification", *TINY, "--time-budget", "2", "--out", str(out)]) == 0
    assert "this run is finished" in capsys.readouterr().err
    epochs = tmp_path / "epochs"
    assert main(["train", "classification", *TINY, "--time-budget", "1", "--epochs", "1", "--out", str(epochs)]) == 0
    assert json.loads((epochs / "summary.json").read_text())["steps_sized_by_budget"] is None


# The clock is simulated, so the schedule's arithmetic depends on neither the backend nor the model:
# one suite, the cheapest model (a compile-time probe misjudged is the second test's case).
@pytest.mark.one_backend
def test_a_probe_that_misjudged_the_pace_is_corrected_after_the_first_interval(tmp_path, capsys, simulated_clock):
    # Steps take twice as long after the probe (as when the probe met few long batches).
    simulated_clock.on_batch.append(lambda batch: simulated_clock.pace.__setitem__(0, 1.1 if batch <= 10 else 2.2))
    out = tmp_path / "run"
    assert main(["train", "classification", *TINY, "--time-budget", "2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "the schedule spans 88 steps" in err, err
    # After step 20 (11 + 2.5 + 22 + 2.5 = 38 s), 82 s hold 33 steps of 2.2 s with 2.5 s of validation per 10.
    assert "2.200 s a step over the last 10 steps, so the schedule spans 53 steps, not 88" in err, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps_sized_by_budget"] == 53 and summary["steps"] == 53, summary
    history = list(csv.DictReader((out / "history.csv").open()))
    config = json.loads((out / "config.json").read_text())
    assert float(history[-1]["learning_rate"]) < 0.01 * config["learning_rate"], history[-1]


def test_compilations_are_counted_on_jax_and_none_elsewhere():
    with CompilationCounter() as counter:
        if keras.backend.backend() == "jax":
            import jax

            square = jax.jit(lambda x: x * x)
            for width in (3, 4, 4, 5):  # three shapes, three programs
                square(np.ones((2, width), "float32"))
    assert counter.count == (3 if keras.backend.backend() == "jax" else None)
