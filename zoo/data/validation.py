"""Errors, bad-row reports and argument checks shared by the data readers.

A problem with one row is a `RowProblem` (a short `reason` such as "empty_field" plus a message).
Readers either raise it as a `DataError` naming the file and line, or skip the row and count it in
a `ReadReport`, depending on `on_bad_row`.
"""

import collections
import dataclasses
import numbers

from zoo.errors import UserError

ON_BAD_ROW = ("error", "skip")
FIRST_LINES_KEPT = 5


class DataError(UserError):
    """A data file that cannot be read as asked; the message names the file, the line and a fix."""

    @classmethod
    def at(cls, path, line, message):
        return cls(f"{path}, line {line}: {message}")


class RowProblem(Exception):
    """What is wrong with one row: a `reason` to count by and a `message` for people."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclasses.dataclass
class ReadReport:
    """How many rows a read kept and, per reason, how many it skipped and on which lines.

    `str(report)` is a summary to print, one line per reason, e.g.
    "train.tsv: kept 98 rows, skipped 2 bad rows:\n  empty_field: 2 (lines 5, 9): 'text' ...".
    """

    path: str
    rows_kept: int = 0
    skipped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    first_lines: dict = dataclasses.field(default_factory=dict)
    first_messages: dict = dataclasses.field(default_factory=dict)

    @property
    def rows_skipped(self):
        return sum(self.skipped.values())

    def record_skip(self, line, problem):
        self.skipped[problem.reason] += 1
        lines = self.first_lines.setdefault(problem.reason, [])
        if len(lines) < FIRST_LINES_KEPT:
            lines.append(line)
        self.first_messages.setdefault(problem.reason, problem.message)

    def __str__(self):
        summary = f"{self.path}: kept {self.rows_kept} rows, skipped {self.rows_skipped}"
        lines = [summary + (" bad rows:" if self.skipped else "")]
        for reason, count in self.skipped.most_common():
            line_list = ", ".join(str(line) for line in self.first_lines[reason])
            more = ", ..." if count > len(self.first_lines[reason]) else ""
            where = "line" if count == 1 else "lines"
            message = self.first_messages[reason]
            lines.append(f"  {reason}: {count} ({where} {line_list}{more}): {message}")
        return "\n".join(lines)


def require_column(name, value):
    """Returns `value` if it names a column (a non-empty str) or indexes one (an int >= 0)."""
    is_index = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0
    if not (is_index or (isinstance(value, str) and value)):
        raise ValueError(
            f"`{name}` must be a column name (str) or a 0-based column index (int >= 0). Received: {name}={value!r}"
        )
    return int(value) if is_index else value


def require_label_set(label_set):
    """Returns `label_set` as a frozenset of str (ints are accepted and written as str)."""
    if isinstance(label_set, (str, bytes)) or not hasattr(label_set, "__iter__"):
        raise ValueError(
            f"`label_set` must be a collection of labels, e.g. ['neg', 'pos']. Received: label_set={label_set!r}"
        )
    labels = list(label_set)
    bad = [label for label in labels if not isinstance(label, (str, numbers.Integral))]
    if not labels or bad or any(isinstance(label, bool) for label in labels):
        raise ValueError(
            f"`label_set` must be a non-empty collection of str (or int) labels. Received: label_set={label_set!r}"
        )
    return frozenset(str(label) for label in labels)
