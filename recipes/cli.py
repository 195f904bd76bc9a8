"""The `zoo` command: argument parsing only; the work is in `recipes/` and `zoo/training`.

    zoo train TASK --model NAME [--size S] [--data F] [--valid F] [--backend B] [--config FILE] ...
    zoo evaluate RUN --data FILE       metrics JSON on stdout
    zoo predict RUN TEXT...            one JSON line per text
    zoo export RUN --format saved_model|keras --out DIR
    zoo compare TASK --models a,b,c    trains each with the same budget, prints a leaderboard
    zoo demo                           the main job on the embedded corpus

Every `TrainConfig` setting is a flag (`--learning-rate`, `--time-budget`, ...). Bad flags,
missing files and incompatible settings print one line and exit with status 2.
"""

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import types
import warnings

from recipes import TASKS  # imports no recipe (nor Keras): the backend is picked first
from zoo.errors import UserError, one_line

BACKENDS = ("jax", "tensorflow", "torch")
# What `evaluate` and `predict` may decode differently from the run's own settings.
DECODING_SETTINGS = ("decoding", "beam_size", "length_penalty", "no_repeat_ngram")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line (no usage dump) with exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _select_backend(argv):
    """Sets KERAS_BACKEND from `--backend` before Keras is imported; returns False if Keras already runs another.

    `export` runs under TensorFlow: it traces TF graphs from the backend-neutral model folder.
    """
    if argv[:1] == ["export"]:
        if "keras" not in sys.modules:  # else `export_run` traces in a TensorFlow subprocess itself
            os.environ["KERAS_BACKEND"] = "tensorflow"
        return True
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--backend", choices=BACKENDS)
    known, _ = pre.parse_known_args(argv)
    if known.backend is None:
        return True
    if "keras" in sys.modules:
        import keras

        return keras.backend.backend() == known.backend
    os.environ["KERAS_BACKEND"] = known.backend
    return True


def _flag_type(field):
    """`int` for `int | None`: the type a flag's value is parsed as."""
    if isinstance(field.type, types.UnionType):
        return next(kind for kind in field.type.__args__ if kind is not type(None))
    return field.type


def _add_config_flags(parser, skip=()):
    from zoo.training.config import TrainConfig

    for field in dataclasses.fields(TrainConfig):
        if field.name in ("task",) + tuple(skip):
            continue
        flag = "--" + field.name.replace("_", "-")
        kind = _flag_type(field)
        if kind is bool:
            # `--remat` / `--no-remat`: a recipe may default a switch to on.
            parser.add_argument(flag, dest=field.name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS)
        else:
            parser.add_argument(flag, dest=field.name, type=kind, default=argparse.SUPPRESS, metavar=field.name.upper())
    parser.add_argument("--config", dest="config_file", default=None, help="JSON or TOML file of settings")


def _add_decoding_flags(parser):
    """How `evaluate` and `predict` decode, each defaulting to the run's own setting."""
    from zoo.training.config import DECODINGS

    parser.add_argument("--decoding", choices=DECODINGS)
    parser.add_argument("--beam-size", dest="beam_size", type=int)
    parser.add_argument("--length-penalty", dest="length_penalty", type=float)
    parser.add_argument("--no-repeat-ngram", dest="no_repeat_ngram", type=int, help="0 turns it off")


def build_parser():
    parser = _Parser(prog="zoo", description="Train, evaluate and ship Keras NLP models on any backend.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a model on a task")
    train.add_argument("task", choices=TASKS)
    _add_config_flags(train)

    evaluate = commands.add_parser("evaluate", help="metrics of a run on a file, as JSON")
    evaluate.add_argument("run")
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--backend", choices=BACKENDS)
    _add_decoding_flags(evaluate)
    evaluate.add_argument("--eval-examples", dest="eval_examples", type=int)

    predict = commands.add_parser("predict", help="predictions of a run for raw strings, one JSON line each")
    predict.add_argument("run")
    predict.add_argument("texts", nargs="+")
    predict.add_argument("--backend", choices=BACKENDS)
    _add_decoding_flags(predict)

    export = commands.add_parser("export", help="export a run (SavedModel or .keras)")
    export.add_argument("run")
    export.add_argument("--format", choices=("saved_model", "keras"), required=True)
    export.add_argument("--out", required=True)

    compare = commands.add_parser("compare", help="train several models with one budget; print a leaderboard")
    compare.add_argument("task", choices=TASKS)
    compare.add_argument("--models", required=True, help="comma-separated families, e.g. lstm,bert,gpt")
    _add_config_flags(compare, skip=("model",))

    import_ = commands.add_parser(
        "import", help="a Hugging Face checkpoint folder (GPT-2, safetensors) as a zoo run folder"
    )
    import_.add_argument("checkpoint", help="folder with config.json, model.safetensors and the tokenizer files")
    import_.add_argument("--out", required=True, help="the run folder to write (new or empty)")
    import_.add_argument("--backend", choices=BACKENDS)

    demo = commands.add_parser("demo", help="train, evaluate and predict on the embedded corpus")
    demo.add_argument("--out", default="runs/demo")
    demo.add_argument("--backend", choices=BACKENDS)
    return parser


def _settings(args):
    skip = {"command", "task", "config_file", "models", "handler"}
    return {name: value for name, value in vars(args).items() if name not in skip}


def _train(args):
    from recipes import get_recipe
    from zoo.training.config import resolve_config
    from zoo.training.trainer import train

    recipe = get_recipe(args.task)
    config = resolve_config(recipe, _settings(args), args.config_file)
    metrics = train(recipe, config)
    if metrics is not None:  # None: a non-chief process of a multi-process run
        print(json.dumps(metrics, indent=2))
    return 0


def _override(config, args, names):
    for name in names:
        value = getattr(args, name, None)
        if value is not None:
            config[name] = value
    return config


def _load(args):
    from recipes import get_recipe
    from zoo.training.config import TrainConfig
    from zoo.training.trainer import load_run

    model, tokenizer, info, saved = load_run(args.run)
    config = TrainConfig(**_override(saved, args, DECODING_SETTINGS + ("eval_examples",))).validate()
    return get_recipe(config.task), model, tokenizer, info, config


def _evaluate(args):
    recipe, model, tokenizer, info, config = _load(args)
    rows = recipe.read(args.data, config)
    print(json.dumps(recipe.evaluate(model, tokenizer, info, rows, config), indent=2))
    return 0


def _predict(args):
    recipe, model, tokenizer, info, config = _load(args)
    for prediction in recipe.predict(model, tokenizer, info, args.texts, config):
        print(json.dumps(prediction, ensure_ascii=False))
    return 0


def _export(args):
    from zoo.export import export_run

    print(json.dumps({"format": args.format, "path": export_run(args.run, args.out, args.format)}))
    return 0


def _compare(args):
    from recipes.compare import compare

    models = [name.strip() for name in args.models.split(",") if name.strip()]
    print(compare(args.task, models, _settings(args), args.config_file))
    return 0


def _import(args):
    from zoo.checkpoints import import_checkpoint

    print(json.dumps(import_checkpoint(args.checkpoint, args.out)))
    return 0


def _demo(args):
    from recipes.demo import run_demo

    run_demo(args.out)
    return 0


HANDLERS = {
    "train": _train,
    "evaluate": _evaluate,
    "predict": _predict,
    "export": _export,
    "compare": _compare,
    "import": _import,
    "demo": _demo,
}


def main(argv=None):
    """Runs the `zoo` command; returns the exit status (0 success, 2 bad input).

    A user error (`zoo.errors.UserError`, a file that cannot be read or written, memory) prints
    one line, "zoo: error: ...", naming the file or flag; `ZOO_DEBUG=1` shows its traceback.

    Run as a command (`argv=None`), it first restarts itself with glibc's malloc tuned for large
    tensors (`zoo.malloc_tuning`), which glibc takes only at start-up.
    """
    command_line = argv is None
    if command_line:
        from zoo.malloc_tuning import restart_with_malloc_tuning

        restart_with_malloc_tuning()
        warnings.showwarning = _warning_on_one_line
    argv = sys.argv[1:] if argv is None else list(argv)
    # TensorFlow's C++ log hides our output; its real errors reach us as Python exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2" if os.environ.get("ZOO_DEBUG") == "1" else "3")
    if not _select_backend(argv):
        # Keras is already imported with another backend in this process: run in a fresh one.
        return subprocess.call([sys.executable, "-m", "recipes.cli", *argv])
    if "--remat" in argv and os.environ.get("KERAS_BACKEND") == "jax":
        from zoo.training.remat import request_jax_memory_scheduler

        request_jax_memory_scheduler()  # XLA reads its flags once, when JAX starts
    bad_argument = _first_undecodable(argv)
    if bad_argument is not None:
        print(
            f"zoo: error: argument {bad_argument[0]} is not valid UTF-8 text ({bad_argument[1]!r}); "
            "pass text in UTF-8.",
            file=sys.stderr,
        )
        return 2
    args = build_parser().parse_args(argv)
    try:
        _check_run_folders(args)
        _start_tensorflow_quietly()
        return HANDLERS[args.command](args)
    except (UserError, OSError, MemoryError) as error:
        if os.environ.get("ZOO_DEBUG") == "1":
            raise
        print(f"zoo: error: {one_line(error)}", file=sys.stderr)
        if command_line:
            _exit_without_teardown(2)
        return 2


def _warning_on_one_line(message, category, filename, lineno, file=None, line=None):
    """Prints a warning as "zoo: warning: ..." without the file and source line Python adds."""
    print(f"zoo: warning: {' '.join(str(message).split())}", file=sys.stderr if file is None else file)


def _exit_without_teardown(status):
    """Ends the `zoo` process after a reported error without Python's teardown.

    A write that failed half-way (a full disk) leaves h5py file handles open; their finalizers
    flush again at exit, fail, and crash the interpreter (SIGSEGV) after the error was reported.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _check_run_folders(args):
    """`zoo.preflight.check_model_folder` on the runs the command loads, before any framework is imported.

    A RUN argument that is missing or unfinished, and a damaged or hostile run, are then refused in
    a fraction of a second and a few tens of MB, where TensorFlow's import alone takes seconds and
    850 MB.
    """
    run, init_from = getattr(args, "run", None), getattr(args, "init_from", None)
    if not (run or init_from):
        return
    from zoo import preflight

    if run:
        preflight.check_model_folder(str(preflight.finished_model_folder(run)))
    if init_from:  # the trainer says which flag points at an unfinished run
        folder = os.path.join(init_from, preflight.MODEL_FOLDER)
        if os.path.isfile(os.path.join(folder, preflight.CONFIG_FILENAME)):
            preflight.check_model_folder(folder)


def _start_tensorflow_quietly():
    """Imports TensorFlow (every backend's input pipeline) and lists its devices with the native stderr closed.

    The lines TensorFlow's C++ code logs at start-up ("oneDNN custom operations are on", "Could
    not find cuda drivers", "failed call to cuInit") come before absl's logging is set up, so
    `TF_CPP_MIN_LOG_LEVEL` does not silence them, and they bury the command's own output.
    Python errors still raise; `ZOO_DEBUG=1` keeps the lines.
    """
    if "tensorflow" in sys.modules or os.environ.get("ZOO_DEBUG") == "1":
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _first_undecodable(argv):
    """`(position, argument)` of the first argument the shell passed as bytes that are not UTF-8, or None.

    Python keeps such bytes as lone surrogates (PEP 383), which fail only later, deep in a tokenizer.
    """
    for position, argument in enumerate(argv, start=1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            return position, argument.encode("utf-8", "surrogateescape")
    return None


if __name__ == "__main__":
    sys.exit(main())
