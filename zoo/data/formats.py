"""Turning a stream of lines into records, one function per file format.

Each `*_records(lines, path, columns, has_header)` takes `zoo.data.lines.iter_lines` output and
`columns` (output field -> column name or 0-based index; None for txt), and yields
`(line_number, values, problem)`: `values` maps each output field to the raw value read, or is
None when `problem` (a `RowProblem`) says why the row is bad. Blank lines are passed over, except
in txt where a blank line is a passage. A broken layout (missing column, bad header) raises
`DataError`, since no row of the file could be read right.

TSV is unquoted: a line is a row, split on every tab (the IANA text/tab-separated-values and GLUE
convention), so quote characters in text are kept as they are. Quoted fields (with tabs, commas
or line breaks inside) are CSV's job.
"""

import csv
import json

from zoo.data.validation import DataError, RowProblem

JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def tsv_records(lines, path, columns, has_header):
    return _select_columns(_tsv_rows(lines), path, columns, has_header)


def csv_records(lines, path, columns, has_header):
    return _select_columns(_csv_rows(lines, path), path, columns, has_header)


def jsonl_records(lines, path, columns, has_header):
    for number, text, problem in lines:
        if problem is None and not text.strip():
            continue
        yield number, *(_json_values(text, columns) if problem is None else (None, problem))


def txt_records(lines, path, columns, has_header):
    (field,) = columns
    for number, text, problem in lines:
        yield number, None if problem else {field: text.rstrip("\r\n")}, problem


RECORDS = {"tsv": tsv_records, "csv": csv_records, "jsonl": jsonl_records, "txt": txt_records}


def _json_values(text, columns):
    try:
        value = json.loads(text.rstrip("\r\n"))
    except json.JSONDecodeError as error:
        return None, RowProblem(
            "malformed_json",
            f"malformed JSON ({error.msg} at column {error.colno}); each line must hold one JSON object.",
        )
    if not isinstance(value, dict):
        return None, RowProblem(
            "malformed_json",
            f"the line is a JSON {json_type_name(value)}, expected an object such as "
            '{"text": "...", "label": "..."}.',
        )
    missing = [key for key in columns.values() if key not in value]
    if missing:
        return None, RowProblem(
            "missing_field",
            f"field {missing[0]!r} is missing; this line has the fields {sorted(value)}.",
        )
    return {field: value[key] for field, key in columns.items()}, None


def json_type_name(value):
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _is_blank(fields):
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _tsv_rows(lines):
    for number, text, problem in lines:
        fields = None if problem else text.rstrip("\r\n").split("\t")
        if problem or not _is_blank(fields):
            yield number, fields, problem


def _csv_rows(lines, path):
    """Yields `(first_line_number, fields, problem)` per CSV record (a record may span lines)."""
    problems = {}

    def texts():
        for number, text, problem in lines:
            if problem is not None:
                problems[number] = problem
            yield "\n" if text is None else text

    reader = csv.reader(texts(), strict=True)
    next_line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise DataError.at(
                path,
                reader.line_num,
                f"the CSV cannot be parsed ({error}); check the quotes "
                "(a field with commas, quotes or line breaks must be quoted, with quotes doubled "
                "inside), or raise csv.field_size_limit() for very long fields.",
            ) from error
        first, next_line = next_line, reader.line_num + 1
        bad = [problems.pop(line) for line in range(first, next_line) if line in problems]
        if bad or not _is_blank(fields):
            yield first, None if bad else fields, bad[0] if bad else None


def _select_columns(rows, path, columns, has_header):
    """Checks each row's field count against the header (or first row) and picks `columns`."""
    indexes = width = layout_line = None
    for number, fields, problem in rows:
        if indexes is None and problem is not None and has_header:
            raise DataError.at(path, number, f"cannot read the header: {problem.message}")
        if indexes is None and problem is None:
            indexes = _column_indexes(columns, fields, has_header, path, number)
            width, layout_line = len(fields), number
            if has_header:
                continue
        if problem is None and len(fields) != width:
            problem = RowProblem(
                "field_count",
                f"the row has {_fields(len(fields))}, expected {width} as on line {layout_line}; "
                "a tab or comma inside a text splits it: remove it, or quote the field in a CSV.",
            )
        yield number, None if problem else {f: fields[i] for f, i in indexes.items()}, problem


def _fields(count):
    return f"{count} field" if count == 1 else f"{count} fields"


def _column_indexes(columns, first_row, has_header, path, line):
    where = f"the header {first_row}" if has_header else "the first row"
    indexes = {}
    for field, column in columns.items():
        if isinstance(column, int):
            if column >= len(first_row):
                raise DataError.at(
                    path,
                    line,
                    f"column index {column} (for {field!r}) is out of range: "
                    f"{where} has {len(first_row)} columns, numbered from 0.",
                )
            indexes[field] = column
        elif first_row.count(column) != 1:
            problem = "is not in" if column not in first_row else "appears twice in"
            raise DataError.at(
                path,
                line,
                f"column {column!r} (for {field!r}) {problem} the header; the "
                f"available columns are {first_row}. Pass the right column name, or a 0-based "
                "index with has_header=False if the file has no header.",
            )
        else:
            indexes[field] = first_row.index(column)
    return indexes
