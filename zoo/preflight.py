"""Checks of a saved model folder (and a run folder around it) that need no framework.

TensorFlow alone takes 850 MB and seconds to import, so the `zoo` command runs these checks
first: a hostile or damaged folder is refused in a fraction of a second and a few tens of MB.
`load_model_folder` runs them too, before it builds anything. They read JSON, file sizes and the
weights file's array shapes (h5py metadata), never the arrays or a tokenizer's assets:

- `config.json` within its size and depth caps (`zoo.loading_limits`), naming only keras,
  keras_hub or zoo classes, never a Lambda (`check_config_is_safe`);
- its dimensions within what the weights file can hold (`require_dimensions_fit`);
- the weights file within its cap and readable;
- each tokenizer folder and asset inside the model folder, each asset within its cap, and no
  tokenizer with more ids than the model has embedding rows;
- for a `.keras` file, the same config checks, and its members' sizes and expansion ratios from
  the zip headers (a zip bomb is refused before a byte of it is inflated).

Example:

    config = check_model_folder("runs/demo/model")      # LoadError, or the parsed config.json
    config, weights_bytes = check_keras_file("exports/classifier.keras")
"""

import os
import zipfile
from pathlib import Path

from zoo.errors import LoadError
from zoo.families import family_packages
from zoo.loading_limits import (
    cap,
    config_dicts,
    parse_json_config,
    read_json_config,
    require_dimensions_fit,
    require_file_size,
    require_zip_member,
)
from zoo.training.config import ConfigError

MODEL_FOLDER = "model"  # a run directory's saved model
CONFIG_FILENAME = "config.json"
WEIGHTS_FILENAME = "model.weights.h5"
TOKENIZER_CONFIG_FILENAME = "tokenizer.json"
_ALLOWED_PACKAGES = ("keras", "keras_hub", "zoo")
_VOCABULARY_KEYS = ("vocabulary_size", "target_vocabulary_size")


class UnsafeModelConfig(LoadError):
    """A model config names a class or function that loading will not import."""


def _is_allowed_module(module):
    # A registered family's package is code its contributor installed, as trusted as zoo's own.
    packages = (*_ALLOWED_PACKAGES, *family_packages().values())
    return any(module == package or module.startswith(package + ".") for package in packages)


def check_config_is_safe(config, where="model", is_known_function=None, is_registered=None):
    """Raises `UnsafeModelConfig` if any object in a serialized Keras config is outside keras/zoo.

    Without Keras (`is_known_function`, `is_registered` None) it checks what the config says:
    no Lambda layer, no module outside keras, keras_hub, zoo and the families of `zoo.families`.
    `zoo.models.saving` passes the two predicates, which ask Keras whether a named function is an
    activation or registered, and whether a `package>Name` class is registered.

    Example: `check_config_is_safe(json.load(open("config.json"))["model"])`.
    """
    for item, path in config_dicts(config, where):
        if "class_name" in item:
            _check_object(item, path, is_known_function, is_registered)


def _check_object(config, where, is_known_function, is_registered):
    class_name, module = config["class_name"], config.get("module")
    registered_name = config.get("registered_name")
    if class_name in ("__lambda__", "Lambda"):
        raise UnsafeModelConfig(
            f"{where}: a Lambda layer is refused when loading (it runs arbitrary code); zoo models never hold one."
        )
    if class_name == "function":
        if is_known_function is not None and not is_known_function(config.get("config")):
            raise UnsafeModelConfig(
                f"{where}: refusing the function {config.get('config')!r}: only Keras "
                "activations and registered zoo functions are loaded."
            )
    elif module is not None and not _is_allowed_module(str(module)):
        raise UnsafeModelConfig(
            f"{where}: refusing to import '{module}.{class_name}': only keras, keras_hub, zoo and registered "
            "family (zoo/families.py) objects are loaded."
        )
    if is_registered is not None and registered_name and ">" in str(registered_name):
        if not is_registered(registered_name):
            raise UnsafeModelConfig(
                f"{where}: '{registered_name}' is not a registered class; import the package that "
                "defines it (only zoo and keras_hub classes load)."
            )


def read_model_config(directory):
    """The parsed `config.json` of a model folder, its size and depth capped (`zoo.loading_limits`)."""
    path = os.path.join(directory, CONFIG_FILENAME)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no model config here; is '{directory}' a saved model folder?")
    config = read_json_config(path)
    if not isinstance(config, dict) or "model" not in config:
        raise LoadError(f"{path}: has no 'model' entry; the folder is damaged, save the model again.")
    return config


def inside(directory, name, what):
    """`directory/name` resolved, or a `LoadError` if it leads outside `directory` (e.g. '../../etc')."""
    root = Path(directory).resolve()
    if not isinstance(name, str) or not name:
        raise LoadError(f"A {what} name must be a non-empty string. Received: {name!r}")
    path = (root / name).resolve()
    if path == root or not path.is_relative_to(root):
        raise LoadError(f"Refusing {what} {name!r}: it resolves to {path}, outside {root}.")
    return path


def saved_arrays(path, where=None):
    """`{name: shape}` of the model arrays in a Keras weights file (optimizer state left out): metadata only.

    `where` names the file in errors (default `path`).
    """
    import h5py  # 30 MB: imported by the checks that read a weights file

    arrays = {}

    def visit(name, item):
        if isinstance(item, h5py.Dataset) and not name.startswith("optimizer/"):
            arrays[name] = tuple(item.shape)

    try:
        with h5py.File(path, "r") as f:
            f.visititems(visit)
    except (OSError, ValueError, RuntimeError) as error:
        raise LoadError(
            f"{where or path}: not a readable weights file ({error}); it is damaged or truncated, save the model again."
        ) from None
    return arrays


def _embedding_rows(model_config):
    """The largest vocabulary size named anywhere in a model config (the rows of its largest embedding)."""
    sizes = [
        value
        for item, _ in config_dicts(model_config, "model")
        for key, value in item.items()
        if key in _VOCABULARY_KEYS and isinstance(value, int) and not isinstance(value, bool)
    ]
    return max(sizes, default=None)


def _check_tokenizer(directory, name, folder, rows):
    """A tokenizer folder inside the model folder, its config readable, assets inside and within their cap."""
    root = inside(directory, folder, "tokenizer folder")
    path = root / TOKENIZER_CONFIG_FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"No tokenizer config at {path}: save the tokenizer there first.")
    config = read_json_config(path, what="a tokenizer config")
    assets = config.get("assets") if isinstance(config, dict) else None
    if not isinstance(assets, dict):
        raise LoadError(f"{path}: `assets` must map asset keys to file names.")
    for asset in assets.values():
        asset_path = inside(root, asset, "tokenizer asset")
        if not asset_path.is_file():
            raise FileNotFoundError(f"Missing tokenizer asset {asset!r}: no file at {asset_path}.")
        require_file_size(asset_path, cap("asset_bytes"), "a tokenizer asset", name="asset_bytes")
    size = config.get("vocabulary_size")
    if rows is not None and isinstance(size, int) and size > rows:
        raise LoadError(
            f"{os.path.join(directory, name)}: a vocabulary of {size:,} tokens, but the model has {rows:,} "
            "embedding rows; the tokenizer belongs to another model."
        )


def config_location(directory):
    """How errors name the model config of a folder: "run/model/config.json, at model" (then ".config...")."""
    return f"{os.path.join(directory, CONFIG_FILENAME)}, at model"


def check_model_folder(directory):
    """Every check above on the model folder `directory`; returns its parsed `config.json`."""
    config = read_model_config(directory)
    weights = os.path.join(directory, WEIGHTS_FILENAME)
    if not os.path.isfile(weights):
        raise FileNotFoundError(f"{weights}: the model's weights are missing; save the model again.")
    weights_bytes = require_file_size(weights, cap("weights_bytes"), "model weights", name="weights_bytes")
    where = config_location(directory)
    check_config_is_safe(config["model"], where)
    require_dimensions_fit(config["model"], weights_bytes, where=where)
    saved_arrays(weights)
    tokenizers = config.get("tokenizers", {})
    if not isinstance(tokenizers, dict):
        raise LoadError(f"{os.path.join(directory, CONFIG_FILENAME)}: `tokenizers` must map names to folders.")
    rows = _embedding_rows(config["model"])
    for name, folder in tokenizers.items():
        _check_tokenizer(directory, name, folder, rows)
    return config


def finished_model_folder(run_path):
    """The model folder of a finished run directory, or a `ConfigError` saying to train it first."""
    folder = Path(run_path) / MODEL_FOLDER
    if not (folder / CONFIG_FILENAME).exists():
        raise ConfigError(f"{run_path}: not a finished run (no {folder}/{CONFIG_FILENAME}); train it first.")
    return folder


def check_keras_file(path):
    """The config checks above on a `.keras` file, its members' sizes from the zip headers first.

    Returns `(config, weights_bytes)`: the parsed `config.json` and the weights member's size.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            require_zip_member(archive, "config.json", cap("config_bytes"), "a model config", "config_bytes")
            weights_bytes = require_zip_member(
                archive, "model.weights.h5", cap("weights_bytes"), "model weights", "weights_bytes"
            )
            config = parse_json_config(archive.read("config.json"), f"{path}:config.json")
    except zipfile.BadZipFile as error:
        raise LoadError(f"{path}: not a readable .keras file ({error}); export the run again.") from None
    check_config_is_safe(config, where=str(path))
    require_dimensions_fit(config, weights_bytes, where=str(path))
    return config, weights_bytes
