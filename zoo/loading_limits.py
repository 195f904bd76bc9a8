"""Caps checked before a saved file is read, so a hostile or damaged file is refused in well under a second.

Sizes come from the file system or the zip archive's headers, never from reading the data:

| cap | default | environment variable |
|---|---|---|
| a model or tokenizer `config.json` (also a `.keras` member) | 16 MiB | `ZOO_MAX_CONFIG_BYTES` |
| nesting depth of such a config | 100 | `ZOO_MAX_CONFIG_DEPTH` |
| weights (`model.weights.h5`, a `.keras` member) | 8 GiB | `ZOO_MAX_WEIGHTS_BYTES` |
| a tokenizer asset (vocabulary, SentencePiece model) | 256 MiB | `ZOO_MAX_ASSET_BYTES` |
| one line of a vocabulary | 1,024 bytes | `ZOO_MAX_VOCABULARY_LINE_BYTES` |
| a zip member's size over its compressed size | 50 | `ZOO_MAX_COMPRESSION_RATIO` |

Keras writes `.keras` members uncompressed, and trained weights do not compress, so a member that
expands 50-fold is a zip bomb. Raise a cap for a model that is really larger, e.g.
`ZOO_MAX_WEIGHTS_BYTES=40000000000 zoo predict ...`.

Example:

    require_file_size("runs/x/model/config.json", cap("config_bytes"), "a model config")
"""

import json
import math
import os
import zipfile

from zoo.errors import LoadError

DEFAULT_CAPS = {
    "config_bytes": 16 << 20,
    "config_depth": 100,
    "weights_bytes": 8 << 30,
    "asset_bytes": 256 << 20,
    "vocabulary_line_bytes": 1024,
    "compression_ratio": 50,
}


def cap(name):
    """The cap `name` of `DEFAULT_CAPS`, or the integer in `ZOO_MAX_<NAME>` when that is set."""
    variable = f"ZOO_MAX_{name.upper()}"
    value = os.environ.get(variable)
    if value is None:
        return DEFAULT_CAPS[name]
    try:
        return int(value)
    except ValueError:
        raise LoadError(f"{variable}={value!r}: must be a whole number.") from None


def _size_text(size):
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):.1f} {unit}"
    return f"{size} bytes"


def _over_cap_message(where, size, limit, what, name):
    return (
        f"{where}: {_size_text(size)}, above the {_size_text(limit)} cap on {what}; if the file is genuine, "
        f"raise ZOO_MAX_{name.upper()}."
    )


def require_file_size(path, limit, what, name="config_bytes"):
    """The size of the file at `path`; `LoadError` if it is above `limit` bytes."""
    size = os.path.getsize(path)
    if size > limit:
        raise LoadError(_over_cap_message(path, size, limit, what, name))
    return size


def require_zip_member(archive, member, limit, what, name):
    """The uncompressed size of `member` in the open `zipfile.ZipFile`, checked against `limit` and the ratio cap."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise LoadError(f"{archive.filename}: has no {member}; is it a .keras file? Export the run again.") from None
    where = f"{archive.filename}:{member}"
    if info.file_size > limit:
        raise LoadError(_over_cap_message(where, info.file_size, limit, what, name))
    ratio = info.file_size / max(info.compress_size, 1)
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > 1 << 20 and ratio > cap("compression_ratio"):
        raise LoadError(
            f"{where}: expands {ratio:.0f}-fold ({_size_text(info.compress_size)} to {_size_text(info.file_size)}), "
            "which no model file does: refused as a zip bomb."
        )
    return info.file_size


def require_depth(value, where, limit=None):
    """`LoadError` if the JSON value `value` nests deeper than `limit` (default: the config depth cap).

    Walked without recursion, so a hostile depth cannot exhaust the stack.
    """
    limit = cap("config_depth") if limit is None else limit
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise LoadError(f"{where}: nests deeper than {limit} levels, which no model config does; refused.")
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def require_line_lengths(data, where, limit=None):
    """`LoadError` naming the first line of `data` (bytes) longer than `limit` bytes."""
    limit = cap("vocabulary_line_bytes") if limit is None else limit
    for number, line in enumerate(data.split(b"\n"), start=1):
        if len(line) > limit:
            raise LoadError(
                f"{where}, line {number}: {len(line):,} bytes, above the {limit:,}-byte cap on a "
                "vocabulary line; if the file is genuine, raise ZOO_MAX_VOCABULARY_LINE_BYTES."
            )


def parse_json_config(data, where):
    """The JSON object in `data` (bytes or str), its depth checked; `LoadError` if it is not one."""
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LoadError(f"{where}: not valid UTF-8 JSON ({error}); the file is damaged, save it again.") from None
    except RecursionError:
        raise LoadError(f"{where}: nests deeper than Python can parse, which no model config does; refused.") from None
    if not isinstance(value, dict):
        raise LoadError(f"{where}: must hold a JSON object, not {type(value).__name__}; the file is damaged.")
    require_depth(value, where)
    return value


def read_json_config(path, what="a model config"):
    """`parse_json_config` of the file at `path`, its size checked first."""
    require_file_size(path, cap("config_bytes"), what)
    with open(path, "rb") as f:
        return parse_json_config(f.read(), path)


def _is_dimension(key, value):
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (
            key.endswith(("_size", "_dim", "_length"))
            or key in ("units", "input_dim", "output_dim")
            or key.startswith("num_")
        )
    )


def config_dicts(config, where):
    """Every dict nested in a parsed JSON `config`, in document order, with its path ("model.config.layers[0]").

    Walked without recursion, so a hostile depth cannot exhaust the stack.
    """
    stack = [(config, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(item))))
        elif isinstance(item, dict):
            yield item, path
            stack.extend((child, f"{path}.{key}") for key, child in reversed(list(item.items())))


def _is_width(key):
    return key.endswith("_dim") or key == "units"


def _largest_matrix(dimensions):
    """The largest product of two `(value, key)` dimensions that can shape one weight matrix.

    A count (a vocabulary, positions, hashed buckets, classes) by a width (`*_dim`, `units`), or
    two widths; never two counts: a fastText model's 4,096 buckets and 213-token vocabulary are
    two tables of `embedding_dim` columns, not one 4,096 x 213 matrix.
    """
    widths = sorted((value for value, key in dimensions if _is_width(key)), reverse=True)
    counts = [value for value, key in dimensions if not _is_width(key) and "layers" not in key]
    products = [widths[0] * max(counts, default=0)] if widths else []
    if len(widths) > 1:
        products.append(widths[0] * widths[1])
    return max(products, default=0)


def require_dimensions_fit(config, weights_bytes, where):
    """`LoadError` if `config` describes a model far larger than its `weights_bytes` of weights.

    Building a model allocates its variables before any weight is read, so a config edited to a
    vocabulary of 10^12 would exhaust memory. The weights file bounds the model: it holds at most
    `weights_bytes / 2` values (2-byte floats). A config cannot match it when, in one of its dicts,
    a dimension (a `*_size`, `*_dim`, `*_length`, `num_*` or `units` integer) is above that, its
    largest matrix (`_largest_matrix`) is above 4x that, or that matrix times its layer counts
    (`num_*layers`) is above 64x that. A genuine model's embedding or feed-forward matrix, once
    per layer, stays well within these bounds.
    """
    values = max(weights_bytes // 2, 1 << 16)
    for item, path in config_dicts(config, where):
        dimensions = sorted(((value, key) for key, value in item.items() if _is_dimension(key, value)), reverse=True)
        sizes = [value for value, _ in dimensions]
        layers = math.prod(value for value, key in dimensions if key.startswith("num_") and "layers" in key)
        matrix = _largest_matrix(dimensions)
        if sizes and (sizes[0] > values or matrix > 4 * values or layers * matrix > 64 * values):
            named = ", ".join(f"{key}={value:,}" for value, key in dimensions[:3])
            raise LoadError(
                f"{path}: {named} describe a model far larger than its {_size_text(weights_bytes)} of "
                "weights; the config does not belong to these weights (edited or damaged)."
            )
