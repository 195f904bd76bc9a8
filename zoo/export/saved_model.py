"""`zoo export RUN --format saved_model`: a TF SavedModel that serves raw strings, loadable without Keras or zoo.

The run's model folder is backend-neutral (`config.json` + `model.weights.h5`), so a run trained
on JAX or PyTorch is rebuilt here under the TensorFlow backend and traced into TF graphs. This is
how we bridge what Keras' own `model.export(format="tf_saved_model")` cannot do on the torch
backend. Under another backend, `export_saved_model` runs itself in a TensorFlow subprocess.

The SavedModel is written into a temporary folder next to `out` and renamed into place: a
failed export leaves no half folder and keeps an existing export.

Serving (a fresh process with only tensorflow and tensorflow_text):

    import tensorflow as tf, tensorflow_text  # noqa: F401 (registers the tokenizer ops)
    served = tf.saved_model.load("exports/classifier")
    served.signatures["serving_default"](texts=tf.constant(["a raw review"]))
"""

import os
import shutil
import subprocess
import sys

import keras

from zoo.export.errors import ExportError, require_served_task
from zoo.models.saving import replace_folder
from zoo.preflight import finished_model_folder, read_model_config
from zoo.staging import make_staging_folder
from zoo.training.trainer import load_run

SIGNATURE_INPUT = "texts"


def export_saved_model(run_path, out):
    """Exports the finished run at `run_path` as a SavedModel at `out`; returns `out`."""
    return export_saved_models([(run_path, out)])[0]


def export_saved_models(runs_and_outs):
    """`export_saved_model` for each `(run_path, out)` pair; returns the outs.

    Under another backend all of them share one TensorFlow subprocess (its start-up, about 6 s, is
    paid once).
    """
    for run_path, _ in runs_and_outs:  # refused here, before a TensorFlow process starts
        require_served_task(read_model_config(finished_model_folder(run_path))["task"]["config"]["task"])
    if keras.backend.backend() != "tensorflow":
        return _export_in_tensorflow_process(runs_and_outs)
    return [_export_here(run_path, out) for run_path, out in runs_and_outs]


def _export_here(run_path, out):
    """One export traced in this process (the TensorFlow backend)."""
    import tensorflow as tf

    from zoo.export.servables import serving_functions

    model, tokenizer, info, config = load_run(run_path)
    functions = serving_functions(model, info, config)
    module = tf.Module()
    module.tokenizer = tokenizer  # a tf.Module: its vocabulary tables and assets are saved with it
    module.model_variables = list(model.variables)
    for name, function in functions.items():
        setattr(module, name, function)
    out = os.path.abspath(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    staging = make_staging_folder(os.path.dirname(out), "exporting")
    try:
        tf.saved_model.save(module, staging, signatures=functions)
        os.chmod(staging, 0o755)
        replace_folder(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _export_in_tensorflow_process(runs_and_outs):
    """The exports traced by one subprocess under the TensorFlow backend (the model folder is backend-neutral)."""
    command = [sys.executable, "-m", "zoo.export", *(str(path) for pair in runs_and_outs for path in pair)]
    environment = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["no error message"]
        runs = ", ".join(str(run_path) for run_path, _ in runs_and_outs)
        raise ExportError(
            f"exporting {runs} under the TensorFlow backend failed: {lines[-1].removeprefix('zoo: error: ')}"
        )
    return [os.path.abspath(out) for _, out in runs_and_outs]
