"""Shipping a trained run: a TF SavedModel that serves raw strings, or a `.keras` model file.

Example:

    from zoo.export import export_run
    export_run("runs/classification-bert-tiny", "exports/classifier", format="saved_model")
    export_run("runs/classification-bert-tiny", "exports/classifier.keras", format="keras")
    model = load_keras_file("exports/classifier.keras")
"""

from zoo import preflight
from zoo.export.errors import ExportError

FORMATS = ("saved_model", "keras")


def export_run(run_path, out, format="saved_model"):
    """Exports the finished run at `run_path` to `out` in `format` (one of `FORMATS`); returns the path written."""
    if format == "saved_model":
        from zoo.export.saved_model import export_saved_model

        return export_saved_model(run_path, out)
    if format == "keras":
        from zoo.export.keras_file import export_keras_file

        return export_keras_file(run_path, out)
    raise ExportError(f"format must be one of {list(FORMATS)}. Received: format={format!r}")


def load_keras_file(path):
    """The model of a `.keras` file (`zoo.export.keras_file.load_keras_file`), on any backend.

    The file's headers and config are checked (`zoo.preflight.check_keras_file`) before Keras is
    imported, so a zip bomb or a hostile config costs a few tens of MB, not Keras' start-up.
    """
    preflight.check_keras_file(path)
    from zoo.export.keras_file import load_keras_file as load

    return load(path)


__all__ = ["FORMATS", "ExportError", "export_run", "load_keras_file"]
