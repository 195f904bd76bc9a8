"""Reading task data files into validated rows (lists of dicts), streaming line by line.

Defaults match the formats of the data sets in `../shared/data`:

- `read_classification`: TSV with a header `label<TAB>text` -> {"text", "label"}
  (+ "text_pair" when `text_pair_column` names a second text column).
- `read_translation`: TSV `source<TAB>target`, no header -> {"source", "target"}.
- `read_summarization`: JSONL with "document" and "summary" -> {"source", "target"}.
- `read_text`: plain text, one passage per line -> {"text"}.

Every reader takes `format` ("tsv", "csv", "jsonl" or "txt"; by default from the extension, with
`.gz` ignored), reads gzip-compressed files transparently, and chooses columns by header name or
0-based index (fields by name in JSONL). `has_header` defaults to True when any column is chosen
by name. With `on_bad_row="error"` the first bad row raises `DataError` naming the file, line,
reason and fix; with `on_bad_row="skip"` bad rows are skipped and counted in `rows.report`
(a `ReadReport`, also logged as a warning). An empty file, or one whose rows were all skipped, is
always an error.

Example:

    rows = read_classification("imdb/train.tsv.gz", label_set=["0", "1"])
    rows[0]["label"], rows[0]["text"][:30]  # ('0', 'This show seemed to be kinda g')
"""

import logging
import numbers
import os

from zoo.data.formats import RECORDS, json_type_name
from zoo.data.lines import DEFAULT_MAX_LINE_BYTES, FORMATS, infer_format, iter_lines
from zoo.data.validation import ON_BAD_ROW, DataError, ReadReport, RowProblem, require_column, require_label_set
from zoo.validation import require_choice, require_positive_int

logger = logging.getLogger(__name__)


class Rows(list):
    """The rows read from a file (a plain list of dicts) plus the read's `ReadReport`."""

    def __init__(self, rows, report):
        super().__init__(rows)
        self.report = report


def read_records(
    path, columns, *, format=None, has_header=None, on_bad_row="error", max_line_bytes=DEFAULT_MAX_LINE_BYTES
):
    """Reads `columns` (output field -> column name or index) of each row as non-empty strings.

    Example: `read_records("pairs.csv", {"question": "q", "answer": "a"})`.
    """
    fields = {field: require_column(f"columns[{field!r}]", column) for field, column in columns.items()}
    return _read(path, fields, _check_texts(fields), format, has_header, on_bad_row, max_line_bytes)


def read_classification(
    path,
    *,
    text_column="text",
    label_column="label",
    text_pair_column=None,
    label_set=None,
    format=None,
    has_header=None,
    on_bad_row="error",
    max_line_bytes=DEFAULT_MAX_LINE_BYTES,
):
    """Reads {"text", "label"} rows (+ "text_pair"); labels are strings.

    With `label_set`, a label outside it is a bad row ("unknown_label"). JSONL labels may also
    be integers, read as their decimal string.
    """
    columns = {"text": require_column("text_column", text_column)}
    if text_pair_column is not None:
        columns["text_pair"] = require_column("text_pair_column", text_pair_column)
    columns["label"] = require_column("label_column", label_column)
    labels = None if label_set is None else require_label_set(label_set)
    check_texts = _check_texts({f: c for f, c in columns.items() if f != "label"})

    def check_row(values, describe):
        row = check_texts(values, describe)
        row["label"] = _label(values["label"], labels, describe("label"))
        return row

    return _read(path, columns, check_row, format, has_header, on_bad_row, max_line_bytes)


def read_translation(
    path,
    *,
    source_column=0,
    target_column=1,
    format=None,
    has_header=None,
    on_bad_row="error",
    max_line_bytes=DEFAULT_MAX_LINE_BYTES,
):
    """Reads {"source", "target"} pairs; by default a headerless `source<TAB>target` TSV."""
    return read_records(
        path,
        {"source": source_column, "target": target_column},
        format=format,
        has_header=has_header,
        on_bad_row=on_bad_row,
        max_line_bytes=max_line_bytes,
    )


def read_summarization(
    path,
    *,
    document_field="document",
    summary_field="summary",
    format=None,
    has_header=None,
    on_bad_row="error",
    max_line_bytes=DEFAULT_MAX_LINE_BYTES,
):
    """Reads {"source", "target"} = (document, summary) rows; by default JSONL fields."""
    return read_records(
        path,
        {"source": document_field, "target": summary_field},
        format=format,
        has_header=has_header,
        on_bad_row=on_bad_row,
        max_line_bytes=max_line_bytes,
    )


def read_text(
    path,
    *,
    text_column=None,
    format=None,
    has_header=None,
    strip=True,
    skip_blank_lines=True,
    on_bad_row="error",
    max_line_bytes=DEFAULT_MAX_LINE_BYTES,
):
    """Reads {"text"} passages for language modeling: by default one per line of a text file.

    `strip` removes surrounding whitespace; `skip_blank_lines` drops passages that are then
    empty (False keeps them, e.g. as paragraph boundaries). For tsv, csv or jsonl files,
    `text_column` names the column or field holding the passage.
    """
    fmt = _format(path, format)
    if (fmt == "txt") != (text_column is None):
        raise ValueError(
            "`text_column` names the passage's column in tsv, csv or jsonl files and must be "
            f"None for txt files. Received: text_column={text_column!r} with format={fmt!r}"
        )
    column = None if text_column is None else require_column("text_column", text_column)

    def check_row(values, describe):
        text = values["text"]
        if not isinstance(text, str):
            raise _wrong_type(text, describe("text"))
        text = text.strip() if strip else text
        if skip_blank_lines and not text.strip():
            return None
        return {"text": text}

    return _read(path, {"text": column}, check_row, fmt, has_header, on_bad_row, max_line_bytes)


def _read(path, columns, check_row, format, has_header, on_bad_row, max_line_bytes):
    """Streams `path` through its format's records and `check_row`; returns `Rows`."""
    name = os.fspath(path)
    require_choice("on_bad_row", on_bad_row, ON_BAD_ROW)
    require_positive_int("max_line_bytes", max_line_bytes)
    fmt = _format(name, format)
    has_header = _check_layout(fmt, columns, has_header)
    describe = _describer(fmt, columns)
    report, rows = ReadReport(name), []
    records = RECORDS[fmt](iter_lines(name, max_line_bytes), name, columns, has_header)
    for number, values, problem in records:
        row = None
        try:
            if problem is not None:
                raise problem
            row = check_row(values, describe)
        except RowProblem as bad_row:
            if on_bad_row == "error":
                hint = "(Or skip such rows: --on-bad-row skip; in Python, on_bad_row='skip'.)"
                raise DataError.at(name, number, f"{bad_row.message} {hint}") from None
            report.record_skip(number, bad_row)
        if row is not None:
            rows.append(row)
    report.rows_kept = len(rows)
    if not rows:
        raise _no_rows(name, report, has_header)
    if report.rows_skipped:
        logger.warning("%s", report)
    return Rows(rows, report)


def _format(path, format):
    return infer_format(path) if format is None else require_choice("format", format, FORMATS)


def _check_layout(fmt, columns, has_header):
    """Checks that `columns` fit the format; returns `has_header` (inferred when None)."""
    if has_header not in (None, True, False):
        raise ValueError(f"`has_header` must be True, False or None. Received: has_header={has_header!r}")
    if fmt == "txt" and any(column is not None for column in columns.values()):
        raise ValueError(
            f"A txt file holds one passage per line, with no columns; read it with "
            f"`read_text`. Received: columns={columns} with format='txt'"
        )
    if fmt in ("jsonl", "txt"):
        if has_header:
            raise ValueError(
                f"`has_header` applies to tsv and csv files, not {fmt}. Received: has_header={has_header!r}"
            )
        indexed = {field: column for field, column in columns.items() if isinstance(column, int)}
        if fmt == "jsonl" and indexed:
            raise ValueError(f"JSONL fields are chosen by name, not index. Received: {indexed}")
        return False
    named = {field: column for field, column in columns.items() if isinstance(column, str)}
    if has_header is False and named:
        raise ValueError(
            f"Columns {named} are chosen by name but has_header=False; choose them by 0-based "
            "index, or set has_header=True if the first line names the columns."
        )
    return bool(named) if has_header is None else has_header


def _describer(fmt, columns):
    """`describe(field)` says where a field comes from, e.g. "'text' (column 'review')"."""

    def describe(field):
        column = columns[field]
        if fmt == "txt":
            return f"{field!r} (the line)"
        if fmt == "jsonl":
            return f"{field!r} (JSON field {column!r})"
        return f"{field!r} (column {column!r})"

    return describe


def _check_texts(columns):
    def check_texts(values, describe):
        for field in columns:
            value = values[field]
            if not isinstance(value, str):
                raise _wrong_type(value, describe(field))
            if not value.strip():
                raise _empty(describe(field))
        return {field: values[field] for field in columns}

    return check_texts


def _label(value, labels, where):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _wrong_type(value, where, expected="a string or an integer")
    if not value.strip():
        raise _empty(where)
    if labels is not None and value not in labels:
        raise RowProblem(
            "unknown_label",
            f"label {value!r} in {where} is not one of the known labels {_preview(sorted(labels))}; fix the "
            "row, or add the label to the training data (the label_set).",
        )
    return value


def _preview(labels, shown=20):
    if len(labels) <= shown:
        return str(labels)
    return f"{labels[:shown]} (+{len(labels) - shown} more)"


def _empty(where):
    return RowProblem("empty_field", f"{where} is empty; fill it in or remove the row.")


def _wrong_type(value, where, expected="a string"):
    return RowProblem("wrong_type", f"{where} is a JSON {json_type_name(value)}, expected {expected}.")


def _no_rows(name, report, has_header):
    if report.rows_skipped:
        return DataError(f"Every row of {name} was skipped as bad, so there is no data.\n{report}")
    header = " and a header" if has_header else ""
    return DataError(
        f"{name} has no data rows: the file is empty or holds only blank lines{header}. "
        "Check the path and that the file was written completely."
    )
