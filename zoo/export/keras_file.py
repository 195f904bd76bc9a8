"""`zoo export RUN --format keras`: the run's model as one `.keras` file.

The file loads on any backend with `keras.saving.load_model(path)` (safe mode, the default)
once `zoo` is imported (it registers the model classes). It holds the model only: the tokenizer
stays in the run folder (`RUN/model/tokenizer`), or use the SavedModel export, which serves
raw strings. Written to a temporary file and renamed: a failed export keeps an existing file.

Example:

    export_keras_file("runs/classification-bert-tiny", "exports/classifier.keras")
"""

import os

from zoo.export.errors import ExportError
from zoo.training.run_directory import atomic_output
from zoo.training.trainer import finished_model_folder, load_run


def export_keras_file(run_path, out):
    """Saves the finished run's model at `out` (a path ending in `.keras`); returns the absolute path."""
    finished_model_folder(run_path)
    if not str(out).endswith(".keras"):
        raise ExportError(f"--out {out}: a Keras model file must end in `.keras`, e.g. --out exports/model.keras")
    model, _, _, _ = load_run(run_path)
    with atomic_output(out) as temporary:
        model.save(temporary)
    return os.path.abspath(out)
