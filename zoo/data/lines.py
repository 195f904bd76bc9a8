"""Streaming a text file line by line: gzip by magic bytes, UTF-8 checked per line, size-capped.

`iter_lines` never holds more than one line (of at most `max_line_bytes`) in memory, so files of
any size stream. Each line comes with its 1-based number, its text and, for a bad line, the
`RowProblem` that says why, so callers can skip bad lines and keep reading.
"""

import codecs
import gzip
import itertools
import os
import zlib

from zoo.data.validation import DataError, RowProblem

GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAX_LINE_BYTES = 1 << 20
FORMATS = ("tsv", "csv", "jsonl", "txt")
FORMAT_OF_EXTENSION = {
    ".tsv": "tsv",
    ".tab": "tsv",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "txt",
    ".text": "txt",
    ".tokens": "txt",
}
_CHUNK_BYTES = 1 << 20


def infer_format(path):
    """The format named by `path`'s extension, ignoring a trailing `.gz` (e.g. "train.tsv.gz")."""
    name = os.fspath(path)
    if os.path.isdir(name):
        raise DataError(f"{name}: is a directory; pass a data file (e.g. {os.path.join(name, 'train.tsv')}).")
    stem = name[: -len(".gz")] if name.endswith(".gz") else name
    extension = os.path.splitext(stem)[1].lower()
    if extension not in FORMAT_OF_EXTENSION:
        raise DataError(
            f"{name}: cannot infer the format from its extension {extension!r}; name it with one of "
            f"{sorted(FORMAT_OF_EXTENSION)} (optionally + .gz), or in Python pass `format=` one of {list(FORMATS)}."
        )
    return FORMAT_OF_EXTENSION[extension]


def open_binary(path):
    """Opens `path` for binary reading, decompressing it when it starts with the gzip magic."""
    name = os.fspath(path)
    with open(name, "rb") as probe:
        magic = probe.read(len(GZIP_MAGIC))
    if magic == GZIP_MAGIC:
        return gzip.open(name, "rb")
    if name.endswith(".gz") and magic:
        raise DataError(
            f"{name} is named .gz but does not start with the gzip magic bytes 1f 8b: it is "
            "compressed with another tool or not compressed. Decompress it or rename it."
        )
    return open(name, "rb")


def iter_lines(path, max_line_bytes=DEFAULT_MAX_LINE_BYTES):
    """Yields `(line_number, text, problem)` for each line of `path`.

    `text` is the decoded line with its line break ("\\n" or "\\r\\n") and without a leading
    UTF-8 byte order mark. `problem` (a `RowProblem`) is None, or says why the line is bad:
    "invalid_utf8" (`text` then has U+FFFD for the bad bytes, so a CSV parser can still find the
    quotes) or "line_too_long" (`text` is None). Broken gzip streams raise `DataError`.
    """
    name = os.fspath(path)
    with open_binary(name) as stream:
        for number in itertools.count(1):
            raw, too_long_length = _read_line(stream, max_line_bytes, name, number)
            if not raw:
                return
            if too_long_length:
                yield number, None, _too_long(too_long_length, max_line_bytes)
            else:
                yield (number, *_decode(raw, number == 1))


def _read_line(stream, max_line_bytes, name, number):
    """Returns `(raw, 0)`, or `(head, length)` for a line over the limit (its rest is read past)."""
    try:
        raw = stream.readline(max_line_bytes + 1)
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            return raw, len(raw) + _skip_rest_of_line(stream)
        return raw, 0
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise DataError.at(
            name, number, f"the gzip stream is damaged or truncated ({error}); download or compress the file again."
        ) from error


def _decode(raw, is_first_line):
    bom = len(codecs.BOM_UTF8) if is_first_line and raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[bom:].decode("utf-8"), None
    except UnicodeDecodeError as error:
        offset = bom + error.start
        return raw[bom:].decode("utf-8", errors="replace"), RowProblem(
            "invalid_utf8",
            f"invalid UTF-8 (byte 0x{raw[offset]:02x} at byte offset {offset} of the line); "
            "re-encode the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 IN > OUT`.",
        )


def _too_long(length, max_line_bytes):
    return RowProblem(
        "line_too_long",
        f"the line is {length:,} bytes, over max_line_bytes={max_line_bytes:,}; pass a larger "
        "`max_line_bytes` if such lines are expected, or check that the file has line breaks.",
    )


def _skip_rest_of_line(stream):
    """Reads up to and including the next line break in chunks; returns the bytes read."""
    skipped = 0
    while True:
        chunk = stream.readline(_CHUNK_BYTES)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped
