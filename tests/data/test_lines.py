import gzip

import pytest

from zoo.data import DataError
from zoo.data.lines import infer_format, iter_lines

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)


def write(path, content):
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def texts(path, **kwargs):
    return [(number, text) for number, text, _ in iter_lines(path, **kwargs)]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("train.tsv", "tsv"),
        ("train.tsv.gz", "tsv"),
        ("a.b.CSV", "csv"),
        ("x.jsonl.gz", "jsonl"),
        ("x.ndjson", "jsonl"),
        ("wiki.train.tokens", "txt"),
        ("notes.txt", "txt"),
    ],
)
def test_infer_format_ignores_gz(name, expected):
    assert infer_format(name) == expected


def test_infer_format_unknown_extension_names_it():
    with pytest.raises(DataError, match=r"data\.parquet: .*'\.parquet'.*format="):
        infer_format("data.parquet")


def test_infer_format_refuses_a_directory(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path}: is a directory; pass a data file"):
        infer_format(tmp_path)


def test_lines_keep_numbers_and_breaks(tmp_path):
    path = write(tmp_path / "a.txt", "one\r\ntwo\n\nthree")
    assert texts(path) == [(1, "one\r\n"), (2, "two\n"), (3, "\n"), (4, "three")]


@pytest.mark.parametrize("name", ["a.txt.gz", "a.txt"])
def test_gzip_is_read_by_name_or_magic_bytes(tmp_path, name):
    path = write(tmp_path / name, gzip.compress("é one\ntwo\n".encode()))
    assert texts(path) == [(1, "é one\n"), (2, "two\n")]


def test_gz_name_without_gzip_bytes_is_refused(tmp_path):
    path = write(tmp_path / "a.txt.gz", "plain text\n")
    with pytest.raises(DataError, match=r"a\.txt\.gz is named \.gz but does not start with"):
        texts(path)


def test_truncated_gzip_names_file_and_line(tmp_path):
    data = gzip.compress(("line\n" * 1000).encode())
    path = write(tmp_path / "cut.txt.gz", data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.txt\.gz, line \d+: the gzip stream is damaged"):
        texts(path)


def test_byte_order_mark_is_dropped_from_the_first_line_only(tmp_path):
    path = write(tmp_path / "bom.txt", "\ufeffa\n\ufeffb\n")
    assert texts(path) == [(1, "a\n"), (2, "\ufeffb\n")]


def test_invalid_utf8_reports_line_and_byte_offset_and_keeps_replaced_text(tmp_path):
    path = write(tmp_path / "bad.txt", b"fine\nab\xffc\nok\n")
    (_, first, _), (number, text, problem), (_, last, _) = iter_lines(path)
    assert (first, number, text, last) == ("fine\n", 2, "ab\ufffdc\n", "ok\n")
    assert problem.reason == "invalid_utf8"
    assert "byte 0xff at byte offset 2 of the line" in problem.message
    assert "iconv" in problem.message


def test_invalid_utf8_offset_counts_the_byte_order_mark(tmp_path):
    path = write(tmp_path / "bad.txt", b"\xef\xbb\xbfa\xc3\n")
    ((_, _, problem),) = iter_lines(path)
    assert "byte 0xc3 at byte offset 4 of the line" in problem.message


def test_line_over_the_limit_is_reported_and_reading_goes_on(tmp_path):
    path = write(tmp_path / "long.txt", "short\n" + "x" * 50 + "\nafter\n")
    lines = list(iter_lines(path, max_line_bytes=20))
    numbered = [(number, text) for number, text, _ in lines]
    assert numbered == [(1, "short\n"), (2, None), (3, "after\n")]
    problem = lines[1][2]
    assert problem.reason == "line_too_long"
    assert "51 bytes, over max_line_bytes=20" in problem.message


def test_line_exactly_at_the_limit_is_read(tmp_path):
    path = write(tmp_path / "edge.txt", "x" * 20 + "\n" + "y" * 20)
    assert texts(path, max_line_bytes=20) == [(1, "x" * 20 + "\n"), (2, "y" * 20)]
