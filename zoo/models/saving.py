"""A saved model is a folder: `config.json`, `model.weights.h5` and tokenizer assets.

The folder is backend-neutral: a model saved under JAX loads under TensorFlow or PyTorch.
Loading checks every class named in the config before anything is built: only Keras,
keras-hub and registered `zoo` classes are accepted, never an arbitrary module, and Keras'
`safe_mode=True` refuses lambdas. No pickle anywhere.

Example:

    save_model_folder(model, "runs/demo/model", tokenizers={"tokenizer": tokenizer})
    model, tokenizers, config = load_model_folder("runs/demo/model")
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

import keras

from zoo.models.registry import import_all_families
from zoo.tokenizers import load_tokenizer

CONFIG_FILENAME = "config.json"
WEIGHTS_FILENAME = "model.weights.h5"
FORMAT_VERSION = 1
_ALLOWED_PACKAGES = ("keras", "keras_hub", "zoo")


class UnsafeModelConfig(ValueError):
    """A model config names a class or function that loading will not import."""


def _is_allowed_module(module):
    return any(module == package or module.startswith(package + ".") for package in _ALLOWED_PACKAGES)


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
        if class_name == "__lambda__":
            raise UnsafeModelConfig(f"{where}: a Lambda (Python bytecode) is refused when loading.")
        is_builtin_function = module == "builtins" and class_name == "function"
        if module is not None and not (_is_allowed_module(module) or is_builtin_function):
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
        retired = tempfile.mkdtemp(prefix=".replaced-", dir=os.path.dirname(os.path.abspath(directory)))
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
    staging = tempfile.mkdtemp(prefix=".saving-", dir=parent)
    try:
        _write_folder(model, staging, tokenizers, task_config)
        os.chmod(staging, 0o755)  # mkdtemp makes it 0700; a saved model is as readable as any folder
        replace_folder(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def read_model_config(directory):
    """The parsed `config.json` of a model folder, with a clear error if it is missing or corrupt."""
    path = os.path.join(directory, CONFIG_FILENAME)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no model config here; is '{directory}' a saved model folder?")
    try:
        with open(path) as f:
            config = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({error}); the folder is damaged, save the model again.") from None
    if not isinstance(config, dict) or "model" not in config:
        raise ValueError(f"{path}: has no 'model' entry; the folder is damaged, save the model again.")
    return config


def _tokenizer_folder(directory, name):
    """`directory/name`, refusing names that escape the model folder (e.g. '../../etc')."""
    root = Path(directory).resolve()
    path = (root / str(name)).resolve()
    if path == root or not path.is_relative_to(root):
        raise ValueError(f"Refusing tokenizer folder {name!r}: it resolves to {path}, outside {root}.")
    return path


def load_model_folder(directory):
    """Rebuilds the model (classes checked first, `safe_mode=True`), loads weights and tokenizers.

    Returns `(model, tokenizers, config)`; `tokenizers` maps subfolder names to tokenizers.
    """
    config = read_model_config(directory)
    import_all_families()
    check_config_is_safe(config["model"])
    model = keras.saving.deserialize_keras_object(config["model"], safe_mode=True)
    weights = os.path.join(directory, WEIGHTS_FILENAME)
    if not os.path.isfile(weights):
        raise FileNotFoundError(f"{weights}: the model's weights are missing; save the model again.")
    try:
        model.load_weights(weights)
    except (OSError, ValueError) as error:
        raise ValueError(f"{weights}: cannot load the weights ({error}).") from None
    tokenizers = {
        name: load_tokenizer(_tokenizer_folder(directory, folder))
        for name, folder in config.get("tokenizers", {}).items()
    }
    return model, tokenizers, config
