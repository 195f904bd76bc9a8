"""A saved model is a folder: `config.json`, `model.weights.h5` and tokenizer assets.

The folder is backend-neutral: a model saved under JAX loads under TensorFlow or PyTorch.
Loading checks before anything is built (`zoo.preflight`, which needs no framework): file sizes
and config depth, every class the config names (only Keras, keras-hub and `zoo` classes, never a
Lambda or an arbitrary module), that the config's dimensions fit its weights file, and the
tokenizers against its embedding; then, with Keras, that every named function is a Keras
activation or registered and every class registered, and the weights' arrays against the
model's variables. Refusals are `zoo.errors.LoadError`s. No pickle anywhere.

Example:

    save_model_folder(model, "runs/demo/model", tokenizers={"tokenizer": tokenizer})
    model, tokenizers, config = load_model_folder("runs/demo/model")
"""

import json
import os
import shutil

import keras

from zoo import preflight
from zoo.models.registry import import_all_families
from zoo.models.weights import load_checked_weights
from zoo.preflight import CONFIG_FILENAME, WEIGHTS_FILENAME, UnsafeModelConfig
from zoo.staging import make_staging_folder
from zoo.tokenizers import load_tokenizer

FORMAT_VERSION = 1
# The functions a config may name by their bare name: Keras' activations (`Dense(activation="gelu")`).
ACTIVATIONS = frozenset(
    name
    for name in dir(keras.activations)
    if not name.startswith("_") and name not in ("get", "serialize", "deserialize")
)
# UnsafeModelConfig is re-exported: `zoo.preflight` raises it, callers catch it from here too.
__all__ = ["UnsafeModelConfig", "check_config_is_safe", "load_model_folder", "replace_folder", "save_model_folder"]


def _is_known_function(name):
    """Whether `name` is a Keras activation or a registered (`package>name`) function: what Keras saves by name."""
    if not isinstance(name, str):
        return False
    if ">" in name:
        return _is_registered(name)
    return name in ACTIVATIONS


def _is_registered(name):
    return keras.saving.get_registered_object(name) is not None


def check_config_is_safe(config, where="model"):
    """`zoo.preflight.check_config_is_safe` with Keras asked about every named function and registered class.

    Raises `UnsafeModelConfig`. Example: `check_config_is_safe(json.load(open("config.json"))["model"])`.
    """
    preflight.check_config_is_safe(config, where, is_known_function=_is_known_function, is_registered=_is_registered)


def _write_folder(model, directory, tokenizers, task_config):
    tokenizer_folders = {}
    for name, tokenizer in (tokenizers or {}).items():
        tokenizer.save(os.path.join(directory, name))
        tokenizer_folders[name] = name
    config = {
        "format_version": FORMAT_VERSION,
        "backend": keras.backend.backend(),
        "model": keras.saving.serialize_keras_object(model),
        "tokenizers": tokenizer_folders,
        "task": task_config or {},
    }
    with open(os.path.join(directory, CONFIG_FILENAME), "w") as f:
        json.dump(config, f, indent=2)
    model.save_weights(os.path.join(directory, WEIGHTS_FILENAME))


def replace_folder(staging, directory):
    """Moves the finished folder `staging` to `directory`, replacing an existing one only once `staging` is complete.

    Both must be on one file system (put `staging` next to `directory`): each step is a rename.
    """
    if os.path.exists(directory):
        retired = make_staging_folder(os.path.dirname(os.path.abspath(directory)), "replaced")
        os.rename(directory, os.path.join(retired, "old"))
        os.rename(staging, directory)
        shutil.rmtree(retired)
    else:
        os.rename(staging, directory)


def save_model_folder(model, directory, tokenizers=None, task_config=None):
    """Writes the model folder atomically: into a temp folder, then renamed over `directory`.

    `tokenizers` maps a subfolder name (e.g. "tokenizer", "source_tokenizer") to a tokenizer;
    `task_config` is any JSON-able dict stored under "task" (labels, decoding settings, ...).
    A failure leaves an existing `directory` untouched.
    """
    directory = os.path.abspath(directory)
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    staging = make_staging_folder(parent, "saving")
    try:
        _write_folder(model, staging, tokenizers, task_config)
        os.chmod(staging, 0o755)  # a staging folder is 0700; a saved model is as readable as any folder
        replace_folder(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def load_model_folder(directory):
    """Rebuilds the model (`zoo.preflight` checks first, `safe_mode=True`), loads weights and tokenizers.

    Returns `(model, tokenizers, config)`; `tokenizers` maps subfolder names to tokenizers.
    """
    config = preflight.check_model_folder(directory)
    import_all_families()
    check_config_is_safe(config["model"], preflight.config_location(directory))
    model = keras.saving.deserialize_keras_object(config["model"], safe_mode=True)
    load_checked_weights(model, os.path.join(directory, WEIGHTS_FILENAME))
    tokenizers = {
        name: load_tokenizer(preflight.inside(directory, folder, "tokenizer folder"))
        for name, folder in config.get("tokenizers", {}).items()
    }
    return model, tokenizers, config
