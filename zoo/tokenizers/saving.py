"""Loading a saved tokenizer: `tokenizer.json` plus its asset files, checked before use.

Only these files are read (JSON and raw assets, never pickle), and an asset name must resolve
to a file inside the directory: a config naming "../../etc/passwd" is refused.
"""

import json
from pathlib import Path

from zoo.tokenizers.base import CONFIG_FILENAME, FORMAT_VERSION
from zoo.tokenizers.kinds import KINDS


def load_tokenizer(directory):
    """Rebuilds the tokenizer `Tokenizer.save(directory)` wrote.

    Raises `FileNotFoundError` for a missing config or asset, and `ValueError` for a config or
    asset that is corrupt, names an unknown kind, or points outside `directory`.
    """
    root = Path(directory).resolve()
    config = _read_config(root / CONFIG_FILENAME)
    cls = KINDS[config["kind"]]
    options = config.get("options", {})
    if not isinstance(options, dict) or set(options) != set(cls.OPTION_NAMES):
        raise ValueError(
            f"{CONFIG_FILENAME}: a {cls.kind} tokenizer takes options {list(cls.OPTION_NAMES)}. "
            f"Received: {options!r}"
        )
    assets = {key: resolve_asset_path(root, name).read_bytes() for key, name in config["assets"].items()}
    try:
        tokenizer = cls.from_assets(assets, options)
    except KeyError as error:
        raise ValueError(f"{CONFIG_FILENAME}: a {cls.kind} tokenizer needs the asset {error}.") from error
    _check_matches(tokenizer, config)
    return tokenizer


def resolve_asset_path(directory, name):
    """The path of asset `name` inside `directory`; refuses names that lead outside it."""
    root = Path(directory).resolve()
    if not isinstance(name, str) or not name:
        raise ValueError(f"A tokenizer asset name must be a non-empty string. Received: {name!r}")
    path = (root / name).resolve()
    if path == root or not path.is_relative_to(root):
        raise ValueError(f"Refusing tokenizer asset {name!r}: it resolves to {path}, outside {root}.")
    if not path.is_file():
        raise FileNotFoundError(f"Missing tokenizer asset {name!r}: no file at {path}.")
    return path


def _read_config(path):
    if not path.is_file():
        raise FileNotFoundError(f"No tokenizer config at {path}: save the tokenizer there first.")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(config, dict):
        raise ValueError(f"{path} must hold a JSON object. Received: {config!r}")
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: unsupported format_version={config.get('format_version')!r} "
            f"(this version reads {FORMAT_VERSION})."
        )
    if config.get("kind") not in KINDS:
        raise ValueError(f"{path}: kind must be one of {list(KINDS)}. Received: kind={config.get('kind')!r}")
    if not isinstance(config.get("assets"), dict):
        raise ValueError(f"{path}: `assets` must map asset keys to file names.")
    return config


def _check_matches(tokenizer, config):
    saved = {key: config.get(key) for key in ("vocabulary_size", "special_tokens", "assets")}
    loaded = {key: tokenizer.get_config()[key] for key in saved}
    if saved != loaded:
        raise ValueError(
            f"{CONFIG_FILENAME} does not match its assets: the config says {saved}, the assets "
            f"give {loaded}."
        )
