"""`train` and `load_run`: a recipe's run from raw files to a run directory, with `model.fit`.

`train(recipe, config)` reads the data, trains (or reuses) the tokenizer, builds the model (from
`--init-from` if asked), compiles AdamW with warm-up and decay, and calls `model.fit` on a
tf.data pipeline that repeats forever. One `fit` "epoch" is `eval_every` steps: after each, the
validation set is scored and a checkpoint (weights, optimizer state, step) is written, so the
same command after a crash resumes from the last checkpoint and skips the batches already
seen. At the end the best weights are evaluated, saved as `model/`, and reported (metrics.json,
history.csv, curves.png, README.md, TensorBoard logs).

Example:

    from recipes import get_recipe
    config = resolve_config(get_recipe("classification"), {"model": "lstm", "epochs": 1})
    metrics = train(get_recipe("classification"), config)
"""

import contextlib
import functools
import math
import shlex
import sys
import time
import warnings
from pathlib import Path

import keras
import tensorflow as tf

from zoo.data import split_train_valid
from zoo.metrics import is_lossy, tokenizer_round_trip
from zoo.models.registry import count_parameters, text_preprocessor
from zoo.models.saving import load_model_folder, save_model_folder
from zoo.preflight import MODEL_FOLDER, finished_model_folder
from zoo.tokenizers import VocabularyTooSmall, load_tokenizer, train_tokenizer
from zoo.training.budget import REPLAN_TOLERANCE, ProbeTimer, probe_steps, steps_within_budget
from zoo.training.callbacks import EMAWeights, RunTracker
from zoo.training.compilations import CompilationCounter
from zoo.training.config import DEFAULT_EPOCHS, ConfigError
from zoo.training.curves import TrainingCurves
from zoo.training.distribution import distribution_scope
from zoo.training.model_card import model_card
from zoo.training.optimizers import build_optimizer, exclude_from_decay, learning_rate_schedule
from zoo.training.remat import (
    JAX_CPU_MEMORY_SCHEDULER,
    check_rematerializable,
    remat_scope,
    request_jax_memory_scheduler,
)
from zoo.training.run_directory import RunDirectory, write_json_atomically, write_text_atomically

JIT_COMPILE = {"auto": "auto", "on": True, "off": False}
TOKENIZER_FOLDER = "tokenizer"


# Task-info facts of a pretrained model that a run started from it (`--init-from`) keeps.
INHERITED_INFO = ("seq2seq_format",)


def default_run_directory(config):
    return str(Path("runs") / f"{config.task}-{config.model}-{config.size}")


def load_rows(recipe, config):
    """`(train_rows, valid_rows)`: the files of `config` or the embedded corpus."""
    if config.data is None:
        if config.valid is not None:
            raise ConfigError("--valid needs --data: the embedded corpus has its own validation split.")
        return recipe.embedded_rows("train", config), recipe.embedded_rows("valid", config)
    train_rows = recipe.read(config.data, config)
    if config.valid is not None:
        return train_rows, recipe.read(config.valid, config)
    try:
        return split_train_valid(train_rows, config.valid_fraction, seed=config.seed)
    except ValueError:
        raise ConfigError(
            f"--data {config.data}: too few rows ({len(train_rows)}) to hold out --valid-fraction "
            f"{config.valid_fraction} of them for validation and train on the rest; pass --valid FILE or use more rows."
        ) from None


def _load_init(recipe, config):
    """`(model, tokenizer, its task info)` of the `--init-from` run, or `(None, None, {})`."""
    if config.init_from is None:
        return None, None, {}
    folder = Path(config.init_from) / MODEL_FOLDER
    if not (folder / "config.json").exists():
        raise ConfigError(f"--init-from {config.init_from}: no finished run there (no {folder}/config.json).")
    model, tokenizers, saved = load_model_folder(folder)
    recipe.check_init(config, saved["task"]["config"])
    return model, tokenizers[TOKENIZER_FOLDER], saved["task"]


def _tokenizer(run, recipe, config, train_rows, init_tokenizer):
    folder = run.file(TOKENIZER_FOLDER)
    if (folder / "tokenizer.json").exists():
        return load_tokenizer(folder)
    if init_tokenizer is not None:
        tokenizer = init_tokenizer
    elif config.tokenizer == "byte":
        tokenizer = train_tokenizer("byte", [])
    else:
        try:
            tokenizer = train_tokenizer(config.tokenizer, recipe.tokenizer_texts(train_rows), config.vocabulary_size)
        except VocabularyTooSmall as error:
            raise ConfigError(
                f"--vocabulary-size {config.vocabulary_size}: too small for the {config.tokenizer} tokenizer on this "
                f"data, whose characters with the special and 256 byte pieces take {error.needed} ids; "
                f"ask for at least {error.needed} (8000 is typical)."
            ) from None
    staging = run.file(f".{TOKENIZER_FOLDER}-staging")
    tokenizer.save(staging)
    staging.rename(folder)
    return tokenizer


def _warn_if_lossy(tokenizer, recipe, valid_rows):
    """Warns before training when the tokenizer cannot give back the texts the outputs are scored against."""
    references = recipe.reference_texts(valid_rows[:1000])
    round_trip = tokenizer_round_trip(tokenizer, references) if references else {}
    if is_lossy(round_trip):
        warnings.warn(
            f"The {tokenizer.kind} tokenizer of this {recipe.task} run gives the validation references back at "
            f"BLEU {round_trip['tokenizer_round_trip_bleu']:.1f}, "
            f"{100 * round_trip['tokenizer_round_trip_exact']:.0f}% exact (detokenize(tokenize(text)) against text), "
            "so every generated text loses what the tokenizer drops (case, accents, spacing) and scores lower; "
            "train with --tokenizer sentencepiece (lossless) instead.",
            stacklevel=2,
        )


def _with_known_length(dataset):
    """`dataset` (finite) with its number of batches known, counted once if tf.data cannot tell.

    Windows of a token stream (`Dataset.rebatch`) have an unknown count, and Keras warns "Your
    input ran out of data; interrupting training" at the end of every validation over such a set.
    """
    if dataset.cardinality() != tf.data.UNKNOWN_CARDINALITY:
        return dataset
    batches = int(dataset.reduce(0, lambda count, _: count + 1))
    return dataset.apply(tf.data.experimental.assert_cardinality(batches))


def _schedule_lengths(recipe, config, train_rows, tokenizer, state):
    """`(total_steps, steps_per_fit_epoch)`: steps are batches (micro-batches with accumulation).

    A run sized by its budget has the length its probe measured (`state["total_steps"]`), or,
    before the probe, a provisional one whose warm-up is ten probes long.
    """
    data_epoch = recipe.steps_per_epoch(train_rows, tokenizer, config)
    per_fit_epoch = config.eval_every or data_epoch
    if config.sized_by_budget:
        provisional = math.ceil(10 * probe_steps(per_fit_epoch) / max(config.warmup_fraction, 0.01))
        total_steps = state["total_steps"] or provisional
    else:
        total_steps = config.max_steps or (config.epochs or DEFAULT_EPOCHS) * data_epoch
    return total_steps, min(per_fit_epoch, total_steps)


def train(recipe, config, command=None, verbose="auto"):
    """Trains (or resumes, or reports a finished) run of `config`; returns its metrics dict.

    In a multi-process run (`--strategy multi_worker`, torchrun) process 0 writes the run and
    returns its metrics; process N keeps its own checkpoint under `<out>/.worker-N/` (to resume
    from) and returns None.
    """
    config.out = config.out or default_run_directory(config)
    config.backend = keras.backend.backend()
    run = None
    try:
        with distribution_scope(config.strategy) as placement:
            _check_multi_process(config, placement)
            worker_folder = Path(config.out) / f".worker-{placement.process_index}"
            run = RunDirectory(config.out if placement.is_chief else worker_folder)
            run.claim(config)
            state = run.state()
            if state["finished"]:
                print(
                    f"{run.path}: this run is finished; its metrics are in {run.file('metrics.json')}.", file=sys.stderr
                )
                return run.metrics()

            # The same global seed on resume: TensorFlow derives the shuffle order from it and the op seed.
            keras.utils.set_random_seed(config.seed)
            keras.config.set_dtype_policy(config.precision)
            try:
                train_rows, valid_rows = load_rows(recipe, config)
                recipe.check_rows(config, train_rows, valid_rows)
                with remat_scope(config.remat):
                    init_model, init_tokenizer, init_info = _load_init(recipe, config)
                    tokenizer = _tokenizer(run, recipe, config, train_rows, init_tokenizer)
                    _warn_if_lossy(tokenizer, recipe, valid_rows)
                    # How a pretrained encoder-decoder reads its inputs goes on with it (an imported BART's).
                    inherited = {key: init_info[key] for key in INHERITED_INFO if key in init_info}
                    info = {**inherited, **recipe.task_info(config, train_rows)}
                    model = recipe.build_model(config, tokenizer, info, init_model)
                if config.remat:
                    _check_remat(model, config)
                total_steps, per_fit_epoch = _schedule_lengths(recipe, config, train_rows, tokenizer, state)
                compile_for_training(model, recipe, config, total_steps)
                if run.checkpoint_weights is not None:
                    model.load_weights(run.checkpoint_weights)
                    print(f"{run.path}: resuming at step {state['step']} of {total_steps}.", file=sys.stderr)
                stream = recipe.dataset(train_rows, tokenizer, info, config, training=True)
                valid_data = _with_known_length(recipe.dataset(valid_rows, tokenizer, info, config, training=False))
            finally:
                keras.config.set_dtype_policy("float32")

            monitor, mode = recipe.monitor
            curves = TrainingCurves(run.file("curves.png"))
            averages = [EMAWeights()] if config.ema else []
            tracker = RunTracker(
                run,
                state,
                total_steps,
                monitor,
                mode,
                patience=config.patience,
                time_budget_s=None if config.time_budget is None else 60 * config.time_budget,
                on_validation=lambda state: curves.draw(state["history"]),
                best_weights=averages[0].in_model if averages else contextlib.nullcontext,
            )
            callbacks = [*averages, tracker, keras.callbacks.TensorBoard(str(run.file("logs")))]
            fit = functools.partial(
                model.fit, validation_data=valid_data, steps_per_epoch=per_fit_epoch, verbose=verbose, shuffle=False
            )

            def fit_from_current_step(**options):
                return fit(placement.prepare(model, stream.skip(state["step"])), **options)

            with CompilationCounter() as compilations:
                if config.sized_by_budget and state["total_steps"] is None:
                    compile_s = _probe_budget(
                        model, config, state, tracker, callbacks, per_fit_epoch, fit=fit_from_current_step
                    )
                    callbacks = [*_budget_check(model, config, state, tracker, per_fit_epoch, compile_s), *callbacks]
                # A loop: the budget check may lengthen the schedule past the epochs one `fit` was given.
                while state["stop_reason"] in (None, "max_steps") and state["step"] < tracker.total_steps:
                    started_at = state["step"]
                    fit_from_current_step(
                        initial_epoch=state["epoch"],
                        callbacks=callbacks,
                        epochs=state["epoch"] + math.ceil((tracker.total_steps - state["step"]) / per_fit_epoch),
                    )
                    if state["step"] == started_at:
                        break
        if not placement.is_chief:
            return _finish_worker(run, model, state, placement)
        return _finish(
            run,
            model,
            state,
            recipe=recipe,
            config=config,
            tokenizer=tokenizer,
            info=info,
            train_rows=train_rows,
            valid_rows=valid_rows,
            command=command,
            compilations=compilations.count,
            curves=curves,
        )
    except BaseException:
        if run is not None:
            run.discard_failed_start()
        raise
    finally:
        if run is not None:
            run.release()


def _probe_budget(model, config, state, tracker, callbacks, per_fit_epoch, fit):
    """Runs the probe as the run's first `fit` epoch and sizes the schedule to the budget.

    The probe's validation and checkpoint are the run's first; its measured length is saved in
    `state["total_steps"]` with that checkpoint, so a resumed run keeps the same schedule.
    Returns the seconds a new train step takes to compile (what the probe's first step took extra).
    """
    probe = probe_steps(per_fit_epoch)
    timer = ProbeTimer()

    def size_schedule(epoch, logs):
        # Compiling the step again for the new schedule costs about what the probe's first step took extra.
        remaining = 60 * config.time_budget - state["elapsed_s"] - timer.elapsed_s - timer.first_step_extra_s
        more = steps_within_budget(remaining, timer.step_s, timer.validation_s, per_fit_epoch)
        _set_schedule(model, config, state, tracker, state["step"] + probe + more)

    sizer = keras.callbacks.LambdaCallback(on_epoch_end=size_schedule)  # before the tracker writes the checkpoint
    fit(epochs=1, steps_per_epoch=probe, callbacks=[timer, sizer, *callbacks])
    print(
        f"--time-budget {config.time_budget:g} min: {probe} probe steps at {timer.step_s:.3f} s a step, "
        f"{timer.validation_s:.1f} s a validation: the schedule spans {tracker.total_steps:,} steps "
        f"(warm-up {_warmup_batches(config, tracker.total_steps):,}).",
        file=sys.stderr,
    )
    return timer.first_step_extra_s


def _budget_check(model, config, state, tracker, per_fit_epoch, compile_s):
    """Callbacks that re-time the first validation interval after the probe and re-size the schedule once.

    The probe's 50 steps see each bucket width's first compilation and few batches of each
    width; a whole interval gives the pace the run really keeps. The schedule changes only if
    the two differ by more than `REPLAN_TOLERANCE` of the steps left (a modest jump in the
    learning rate, early in the decay, for the budget's full use).
    """
    timer = ProbeTimer()
    checked = []

    def check(epoch, logs):
        if checked:
            return
        checked.append(epoch)
        done = state["step"] + timer.steps  # the tracker counts this interval after us
        remaining = 60 * config.time_budget - state["elapsed_s"] - timer.elapsed_s - compile_s
        total = done + steps_within_budget(remaining, timer.step_s, timer.validation_s, per_fit_epoch)
        if abs(total - tracker.total_steps) > REPLAN_TOLERANCE * max(1, tracker.total_steps - done):
            old = tracker.total_steps
            _set_schedule(model, config, state, tracker, total)
            print(
                f"--time-budget {config.time_budget:g} min: {timer.step_s:.3f} s a step over the last "
                f"{timer.steps:,} steps, so the schedule spans {total:,} steps, not {old:,}.",
                file=sys.stderr,
            )

    return [timer, keras.callbacks.LambdaCallback(on_epoch_end=check)]  # before the tracker's checkpoint


def _set_schedule(model, config, state, tracker, total_steps):
    """Makes the learning-rate schedule span `total_steps` batches, saved with the next checkpoint."""
    state["total_steps"] = total_steps
    updates, warmup_steps = _updates_and_warmup(config, total_steps)
    model.optimizer.learning_rate = learning_rate_schedule(
        config.learning_rate, updates, warmup_steps, config.schedule, config.accumulation_steps
    )
    model.make_train_function(force=True)  # the compiled step keeps the length it was traced with
    tracker.total_steps = total_steps


def _warmup_batches(config, total_steps):
    return _updates_and_warmup(config, total_steps)[1] * config.accumulation_steps


def _check_multi_process(config, placement):
    if placement.process_count == 1:
        return
    if config.time_budget is not None:
        raise ConfigError(
            "--time-budget stops each process on its own clock, so processes would stop at different "
            "steps; give a multi-process run --max-steps or --epochs instead."
        )
    if config.batch_size % placement.process_count:
        raise ConfigError(
            f"--batch-size {config.batch_size} is the global batch: it must divide evenly among "
            f"the {placement.process_count} processes."
        )


def _check_remat(model, config):
    try:
        check_rematerializable(model, config.backend)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if config.backend == "jax" and not request_jax_memory_scheduler():
        print(
            f"--remat: JAX started before XLA_FLAGS had {JAX_CPU_MEMORY_SCHEDULER}; on a CPU set it before "
            "starting Python, or remat saves no memory there (`zoo train` sets it itself).",
            file=sys.stderr,
        )


def _load_best_weights(run, model):
    best = run.file("best.weights.h5")
    if best.exists():
        model.load_weights(best)


def _finish_worker(run, model, state, placement):
    """A non-chief process keeps the final weights in its own checkpoint; process 0 writes the run."""
    _load_best_weights(run, model)
    state["finished"] = True
    run.save_checkpoint(model, state)
    print(
        f"process {placement.process_index} of {placement.process_count}: finished; process 0 writes the run.",
        file=sys.stderr,
    )
    return None


def _finish(
    run, model, state, *, recipe, config, tokenizer, info, train_rows, valid_rows, command, compilations, curves
):
    """Evaluates the best weights of `model` and writes model/, metrics.json, the card and the curves in `run`.

    `compilations`: the XLA programs JAX compiled while this process trained (None on other backends);
    `curves`: the run's `TrainingCurves`; the others are the run's parts as `train` made them.
    """
    _load_best_weights(run, model)
    # A fresh copy without the optimizer, built outside any --strategy: the saved model holds weights
    # only, and evaluation runs on one device (`predict_on_batch` under MirroredStrategy repeats the batch).
    clean = model.__class__.from_config(model.get_config())
    clean.set_weights(model.get_weights())
    started = time.perf_counter()
    metrics = recipe.evaluate(clean, tokenizer, info, valid_rows, config)
    evaluation_s = time.perf_counter() - started
    save_model_folder(
        clean,
        run.file(MODEL_FOLDER),
        tokenizers={TOKENIZER_FOLDER: tokenizer},
        task_config={**info, "config": config.to_dict()},
    )
    parameters = count_parameters(clean)
    tokens = state["step"] * config.batch_size * recipe.tokens_per_example(train_rows, tokenizer, config)
    summary = {
        "parameters": parameters,
        "steps": state["step"],
        "train_time_s": round(state["elapsed_s"], 2),
        "tokens_per_s": round(tokens / max(state["elapsed_s"], 1e-9), 1),
        "evaluation_time_s": round(evaluation_s, 2),
        "stop_reason": state["stop_reason"] or "schedule_end",
        "steps_sized_by_budget": state["total_steps"],
        "xla_compilations": compilations,
        "best_epoch": state["best_epoch"],
    }
    run.write_metrics(metrics)
    write_json_atomically(run.file("summary.json"), summary)
    curves.draw(state["history"])
    command = command or "zoo train " + shlex.join(sys.argv[1:])
    write_text_atomically(run.file("README.md"), model_card(config.to_dict(), metrics, state, parameters, command))
    state["finished"] = True
    run.save_checkpoint(model, state)
    return metrics


def _jit_compile(recipe, config):
    """Keras' `jit_compile` for the run; "auto" is XLA on TensorFlow too where every batch has one shape.

    Keras' "auto" keeps XLA off on TensorFlow CPUs, where each new batch shape would compile
    again. With one shape (`Recipe.fixed_batch_shape`: the causal LM's windows, the masked LM's
    packed ones; or `padding="max_length"`) it compiles once:
    gpt-tiny on TensorFlow trained 1.35x faster with XLA, gpt-small 1.14x. Single-device float32
    runs only: Keras' XLA train step fails under `MirroredStrategy` on CPUs, and XLA's CPU dots
    run bfloat16 no faster than float32 where oneDNN's use the CPU's bf16 instructions (2,048 x
    2,048 on an AMD EPYC: 197 against 391 GFLOP/s), so mixed precision keeps Keras' choice (XLA on GPUs).
    """
    one_shape = recipe.fixed_batch_shape(config) or config.padding == "max_length"
    if (
        config.jit_compile == "auto"
        and one_shape
        and config.strategy == "auto"
        and config.precision == "float32"
        and keras.backend.backend() == "tensorflow"
    ):
        return True
    return JIT_COMPILE[config.jit_compile]


def _updates_and_warmup(config, total_steps):
    """`(updates, warm-up updates)` of a schedule spanning `total_steps` batches."""
    updates = max(1, total_steps // config.accumulation_steps)
    warmup_steps = int(config.warmup_fraction * updates)
    if config.schedule == "inverse_sqrt":
        warmup_steps = max(1, warmup_steps)  # the inverse square root decays from the end of the warm-up
    return updates, warmup_steps


def compile_for_training(model, recipe, config, total_steps):
    """Compiles `model` as every run trains: AdamW with the config's warm-up, decay and clipping, the recipe's loss.

    Accuracy is logged only if the recipe asks for it (`Recipe.training_accuracy`).

    Biases, norms and embeddings are kept out of weight decay, and the optimizer is built so a
    checkpoint's optimizer state can be loaded into it. `total_steps` counts batches.
    """
    updates, warmup_steps = _updates_and_warmup(config, total_steps)
    optimizer = build_optimizer(
        config.learning_rate,
        total_steps=updates,
        warmup_steps=warmup_steps,
        schedule=config.schedule,
        weight_decay=config.weight_decay,
        clip_norm=config.clip_norm,
        accumulation_steps=config.accumulation_steps,
        ema_momentum=config.ema,
    )
    # The models' compile() defaults add an accuracy metric; without it, no metrics at all.
    no_metrics = {} if recipe.training_accuracy else {"metrics": [], "weighted_metrics": []}
    model.compile(optimizer=optimizer, loss=recipe.loss(config), jit_compile=_jit_compile(recipe, config), **no_metrics)
    exclude_from_decay(optimizer, model)
    optimizer.build(model.trainable_variables)


def load_run(run_path):
    """`(model, tokenizer, info, config dict)` of a finished run directory.

    The model carries the run's raw-text preprocessor (`model.preprocessor`; none for mlm), so
    `model.predict(["a raw review"])` gives a classifier's logits and `model.generate(["a raw
    sentence"])` a generation run's outputs, decoded as `zoo predict` decodes them.
    """
    model, tokenizers, saved = load_model_folder(finished_model_folder(run_path))
    info = dict(saved["task"])
    config = info.pop("config")
    tokenizer = tokenizers[TOKENIZER_FOLDER]
    model.preprocessor = text_preprocessor(config, tokenizer, info, model)
    return model, tokenizer, info, config
