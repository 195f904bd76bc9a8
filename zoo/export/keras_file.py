"""`zoo export RUN --format keras`: the run's model as one `.keras` file, and its checked loader.

The file loads on any backend. `load_keras_file` checks the archive's member sizes
(`zoo.loading_limits`) and every class its config names (only keras, keras_hub and registered
zoo classes; no Lambda) before Keras builds anything, then the weights' arrays against the model
the config builds (a mismatch names the variable), then calls
`keras.saving.load_model(path, safe_mode=True)`; plain `keras.saving.load_model` also
works once the zoo families are imported. The file holds the model only: the tokenizer stays
in the run folder (`RUN/model/tokenizer`); the SavedModel export serves raw strings. Written to
a temporary file and renamed: a failed export keeps an existing file.

Example:

    export_keras_file("runs/classification-bert-tiny", "exports/classifier.keras")
    model = load_keras_file("exports/classifier.keras")  # on any backend
"""

import os
import tempfile
import zipfile

import keras

from zoo import preflight
from zoo.export.errors import ExportError
from zoo.models.registry import import_all_families
from zoo.models.saving import check_config_is_safe
from zoo.models.weights import require_matching_arrays
from zoo.preflight import finished_model_folder
from zoo.training.run_directory import atomic_output
from zoo.training.trainer import load_run


def export_keras_file(run_path, out):
    """Saves the finished run's model at `out` (a path ending in `.keras`); returns the absolute path."""
    finished_model_folder(run_path)
    if not str(out).endswith(".keras"):
        raise ExportError(f"--out {out}: a Keras model file must end in `.keras`, e.g. --out exports/model.keras")
    model, _, _, _ = load_run(run_path)
    with atomic_output(out) as temporary:
        model.save(temporary)
    return os.path.abspath(out)


def load_keras_file(path):
    """The model of a `.keras` file, its classes and sizes checked before anything is imported or built.

    The archive's headers and config are checked first (`zoo.preflight.check_keras_file`): a config
    or weights member over its cap, or one that expands like a zip bomb, is refused before a byte
    of it is read.
    """
    config, _ = preflight.check_keras_file(path)
    import_all_families()
    check_config_is_safe(config, where=str(path))
    _require_matching_weights(path, config)
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except (OSError, ValueError) as error:
        raise ExportError(f"{path}: cannot load the model ({error}); export the run again.") from None


def _require_matching_weights(path, config):
    """The file's weights against the model its config builds: a mismatch names the variable, not Keras' counts."""
    model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(path) as archive:
        weights = archive.extract("model.weights.h5", folder)
        require_matching_arrays(model, weights, where=f"{path}:model.weights.h5")
