"""A saved model is a folder: `config.json`, `model.weights.h5` and tokenizer assets.

The folder is backend-neutral: a model saved under JAX loads under TensorFlow or PyTorch.
Loading checks before anything is built: file sizes and config depth (`zoo.loading_limits`),
every class and function the config names (only Keras, keras-hub and registered `zoo` classes,
Keras activations by name, never a Lambda or an arbitrary module), and that the config's
dimensions fit its weights file; then the weights' arrays against the model's variables and the
tokenizers against its embedding. Refusals are `zoo.errors.LoadError`s. No pickle anywhere.

Example:

    save_model_folder(model, "runs/demo/model", tokenizers={"tokenizer": tokenizer})
    model, tokenizers, config = load_model_folder("runs/demo/model")
"""

import json
import os
import shutil
from pathlib import Path

import keras

from zoo.errors import LoadError
from zoo.loading_limits import cap, read_json_config, require_dimensions_fit, require_file_size
from zoo.models.registry import import_all_families
from zoo.models.weights import load_checked_weights
from zoo.staging import make_staging_folder
from zoo.tokenizers import load_tokenizer

CONFIG_FILENAME = "config.json"
WEIGHTS_FILENAME = "model.weights.h5"
FORMAT_VERSION = 1
_ALLOWED_PACKAGES = ("keras", "keras_hub", "zoo")
# The functions a config may name by their bare name: Keras' activations (`Dense(activation="gelu")`).
ACTIVATIONS = frozenset(
    name
    for name in dir(keras.activations)
    if not name.startswith("_") and name not in ("get", "serialize", "deserialize")
)


class UnsafeModelConfig(LoadError):
    """A model config names a class or function that loading will not import."""


def _is_allowed_module(module):
    return any(module == package or module.startswith(package + ".") for package in _ALLOWED_PACKAGES)


def _is_known_function(name):
    """Whether `name` is a Keras activation or a registered (`package>name`) function: what Keras saves by name."""
    if not isinstance(name, str):
        return False
    if ">" in name:
        return keras.saving.get_registered_object(name) is not None
    return name in ACTIVATIONS


def check_config_is_safe(config, where="model"):
    """Raises `UnsafeModelConfig` if any object in a serialized Keras config is outside keras/zoo.

    Example: `check_config_is_safe(json.load(open("config.json"))["model"])`.
    """
    if isinstance(config, list):
        for i, item in enumerate(config):
            check_config_is_safe(item, f"{where}[{i}]")
        return
    if not isinstance(config, dict):
        return
    if "class_name" in config:
        class_name, module = config["class_name"], config.get("module")
        registered_name = config.get("registered_name")
        if class_name in ("__lambda__", "Lambda"):
            raise UnsafeModelConfig(
                f"{where}: a Lambda layer is refused when loading (it runs arbitrary code); zoo models never hold one."
            )
        if class_name == "function":
            if not _is_known_function(config.get("config")):
                raise UnsafeModelConfig(
                    f"{where}: refusing the function {config.get('config')!r}: only Keras "
                    "activations and registered zoo functions are loaded."
                )
        elif module is not None and not _is_allowed_module(module):
            raise UnsafeModelConfig(
                f"{where}: refusing to import '{module}.{class_name}': only keras, keras_hub and zoo "
                "objects are loaded."
            )
        if registered_name and ">" in str(registered_name):
            if keras.saving.get_registered_object(registered_name) is None:
                raise UnsafeModelConfig(
                    f"{where}: '{registered_name}' is not a registered class; import the package that "
                    "defines it (only zoo and keras_hub classes load)."
                )
    for key, value in config.items():
        check_config_is_safe(value, f"{where}.{key}")


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


def read_model_config(directory):
    """The parsed `config.json` of a model folder, its size and depth capped (`zoo.loading_limits`)."""
    path = os.path.join(directory, CONFIG_FILENAME)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no model config here; is '{directory}' a saved model folder?")
    config = read_json_config(path)
    if "model" not in config:
        raise LoadError(f"{path}: has no 'model' entry; the folder is damaged, save the model again.")
    return config


def _tokenizer_folder(directory, name):
    """`directory/name`, refusing names that escape the model folder (e.g. '../../etc')."""
    root = Path(directory).resolve()
    path = (root / str(name)).resolve()
    if path == root or not path.is_relative_to(root):
        raise LoadError(f"Refusing tokenizer folder {name!r}: it resolves to {path}, outside {root}.")
    return path


def load_model_folder(directory):
    """Rebuilds the model (classes checked first, `safe_mode=True`), loads weights and tokenizers.

    Returns `(model, tokenizers, config)`; `tokenizers` maps subfolder names to tokenizers.
    """
    config = read_model_config(directory)
    weights = os.path.join(directory, WEIGHTS_FILENAME)
    if not os.path.isfile(weights):
        raise FileNotFoundError(f"{weights}: the model's weights are missing; save the model again.")
    weights_bytes = require_file_size(weights, cap("weights_bytes"), "model weights", name="weights_bytes")
    import_all_families()
    check_config_is_safe(config["model"])
    require_dimensions_fit(config["model"], weights_bytes, where=os.path.join(directory, CONFIG_FILENAME))
    model = keras.saving.deserialize_keras_object(config["model"], safe_mode=True)
    load_checked_weights(model, weights)
    tokenizers = {
        name: load_tokenizer(_tokenizer_folder(directory, folder))
        for name, folder in config.get("tokenizers", {}).items()
    }
    _require_tokenizers_fit(model, tokenizers, directory)
    return model, tokenizers, config


def _require_tokenizers_fit(model, tokenizers, directory):
    """`LoadError` if a tokenizer makes ids the model's embedding has no row for."""
    holders = (getattr(model, "backbone", model), model)
    names = ("vocabulary_size", "target_vocabulary_size")
    sizes = [getattr(holder, name, None) for holder in holders for name in names]
    rows = max((size for size in sizes if isinstance(size, int)), default=None)
    for name, tokenizer in tokenizers.items():
        if rows is not None and tokenizer.vocabulary_size > rows:
            raise LoadError(
                f"{os.path.join(directory, name)}: a vocabulary of {tokenizer.vocabulary_size:,} tokens, but the "
                f"model has {rows:,} embedding rows; the tokenizer belongs to another model."
            )
