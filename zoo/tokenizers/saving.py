"""Loading a saved tokenizer: `tokenizer.json` plus its asset files, checked before use.

Only these files are read (JSON and raw assets, never pickle), and an asset name must resolve
to a file inside the directory: a config naming "../../etc/passwd" is refused.
"""

from pathlib import Path

from zoo.errors import LoadError
from zoo.loading_limits import cap, read_json_config, require_file_size, require_line_lengths
from zoo.preflight import inside
from zoo.tokenizers.base import CONFIG_FILENAME, FORMAT_VERSION
from zoo.tokenizers.kinds import KINDS


def load_tokenizer(directory):
    """Rebuilds the tokenizer `Tokenizer.save(directory)` wrote.

    Raises `FileNotFoundError` for a missing config or asset, and `zoo.errors.LoadError` for a
    config or asset that is corrupt, over a size cap (`zoo.loading_limits`), names an unknown
    kind, or points outside `directory`.
    """
    root = Path(directory).resolve()
    config = _read_config(root / CONFIG_FILENAME)
    cls = KINDS[config["kind"]]
    options = config.get("options", {})
    # An option newer than the file takes its default (WordPiece's `lowercase_rule`); an unknown one is refused.
    if not isinstance(options, dict) or set(options) - set(cls.OPTION_NAMES):
        raise LoadError(
            f"{CONFIG_FILENAME}: a {cls.kind} tokenizer takes options {list(cls.OPTION_NAMES)}. Received: {options!r}"
        )
    assets = {key: _read_asset(resolve_asset_path(root, name)) for key, name in config["assets"].items()}
    try:
        tokenizer = cls.from_assets(assets, options)
    except KeyError as error:
        raise LoadError(f"{root / CONFIG_FILENAME}: a {cls.kind} tokenizer needs the asset {error}.") from None
    except (ValueError, RuntimeError) as error:
        raise LoadError(f"{root}: the {cls.kind} tokenizer's assets are damaged ({error}); save it again.") from None
    _check_matches(tokenizer, config)
    return tokenizer


def resolve_asset_path(directory, name):
    """The path of asset `name` inside `directory`; refuses names that lead outside it."""
    path = inside(directory, name, "tokenizer asset")
    if not path.is_file():
        raise FileNotFoundError(f"Missing tokenizer asset {name!r}: no file at {path}.")
    return path


def _read_asset(path):
    """The bytes of a tokenizer asset, its size (and a text vocabulary's line lengths) capped first."""
    require_file_size(path, cap("asset_bytes"), "a tokenizer asset", name="asset_bytes")
    data = path.read_bytes()
    if path.suffix == ".txt":
        require_line_lengths(data, path)
    return data


def _read_config(path):
    if not path.is_file():
        raise FileNotFoundError(f"No tokenizer config at {path}: save the tokenizer there first.")
    config = read_json_config(path, what="a tokenizer config")
    if config.get("format_version") != FORMAT_VERSION:
        raise LoadError(
            f"{path}: unsupported format_version={config.get('format_version')!r} "
            f"(this version reads {FORMAT_VERSION})."
        )
    if config.get("kind") not in KINDS:
        raise LoadError(f"{path}: kind must be one of {list(KINDS)}. Received: kind={config.get('kind')!r}")
    if not isinstance(config.get("assets"), dict):
        raise LoadError(f"{path}: `assets` must map asset keys to file names.")
    return config


def _check_matches(tokenizer, config):
    saved = {key: config.get(key) for key in ("vocabulary_size", "special_tokens", "assets")}
    loaded = {key: tokenizer.get_config()[key] for key in saved}
    if saved != loaded:
        raise LoadError(
            f"{CONFIG_FILENAME} does not match its assets: the config says {saved}, the assets give {loaded}."
        )
