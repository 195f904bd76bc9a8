"""A time budget without --epochs/--max-steps sizes the schedule: a timed probe, then the decay ends at the budget."""

import csv
import json

import keras
import numpy as np
import pytest

from zoo.cli import main
from zoo.training import budget
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


TINY = ["--model", "transformer", "--size", "tiny", "--train-examples", "400", "--valid-examples", "16",
        "--batch-size", "8", "--eval-examples", "8", "--seq-len", "24", "--target-len", "12",
        "--vocabulary-size", "400", "--padding", "max_length", "--eval-every", "60"]


def test_a_budget_alone_sizes_the_schedule_so_the_decay_ends_within_it(tmp_path, capsys):
    # Two minutes: the probe's compilations take tens of seconds when the suites of two backends share the cores.
    out = tmp_path / "run"
    assert main(["train", "translation", *TINY, "--time-budget", "2", "--out", str(out)]) == 0
    assert "probe steps at" in capsys.readouterr().err

    summary = json.loads((out / "summary.json").read_text())
    history = list(csv.DictReader((out / "history.csv").open()))
    assert summary["steps_sized_by_budget"] > budget.PROBE_STEPS
    assert history[0]["step"] == str(budget.PROBE_STEPS)  # the probe is the first epoch, validated
    # The budget stops training at a batch end; the last validation and checkpoint follow (slow on shared cores).
    assert summary["train_time_s"] <= 120 + 30
    # The cosine has mostly decayed: the run was not cut early in its schedule (the pace of shared
    # cores changes as other tests start and end, so not to the last step).
    config = json.loads((out / "config.json").read_text())
    assert float(history[-1]["learning_rate"]) < 0.4 * config["learning_rate"], history[-1]
    assert summary["steps"] >= 0.6 * summary["steps_sized_by_budget"], summary
    # One batch shape (--padding max_length): a handful of programs (train, validation, the re-made train step).
    assert (summary["xla_compilations"] is None) == (keras.backend.backend() != "jax")

    # The same command again finds the run finished; with --epochs the budget only stops training.
    assert main(["train", "translation", *TINY, "--time-budget", "2", "--out", str(out)]) == 0
    assert "this run is finished" in capsys.readouterr().err
    epochs = tmp_path / "epochs"
    assert main(["train", "translation", *TINY, "--time-budget", "1", "--epochs", "1", "--out", str(epochs)]) == 0
    assert json.loads((epochs / "summary.json").read_text())["steps_sized_by_budget"] is None


@pytest.mark.slow  # two minutes: under load TensorFlow's first compilations can take most of one
def test_a_probe_that_misjudged_the_pace_is_corrected_after_the_first_interval(tmp_path, capsys, monkeypatch):
    from zoo.training import trainer

    sized = []

    def half_of_it_at_first(*args):
        steps = steps_within_budget(*args)
        sized.append(steps if sized else steps // 2)  # the probe's figure is halved, as if it met compilations
        return sized[-1]

    monkeypatch.setattr(trainer, "steps_within_budget", half_of_it_at_first)
    out = tmp_path / "run"
    assert main(["train", "translation", *TINY, "--time-budget", "2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "so the schedule spans" in err and len(sized) == 2, err
    summary = json.loads((out / "summary.json").read_text())
    first_total = budget.PROBE_STEPS + sized[0]
    assert summary["steps_sized_by_budget"] > 1.3 * first_total, (summary, sized)
    # Trained past the halved plan (how far depends on the shared cores' pace after the check).
    assert summary["steps"] > first_total, (summary, sized)


def test_compilations_are_counted_on_jax_and_none_elsewhere():
    with CompilationCounter() as counter:
        if keras.backend.backend() == "jax":
            import jax

            square = jax.jit(lambda x: x * x)
            for width in (3, 4, 4, 5):  # three shapes, three programs
                square(np.ones((2, width), "float32"))
    assert counter.count == (3 if keras.backend.backend() == "jax" else None)
