import gzip
import json
import logging
import pathlib

import pytest

from zoo.data.readers import (
    read_classification,
    read_records,
    read_summarization,
    read_text,
    read_translation,
)
from zoo.data.validation import DataError

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

SHARED_DATA = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data"


def write(path, content, compress=False):
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def jsonl(*objects):
    return "".join(json.dumps(obj) + "\n" for obj in objects)


# === Formats and columns ===


def test_classification_default_is_tsv_with_label_text_header(tmp_path):
    path = write(tmp_path / "train.tsv", 'label\ttext\n1\tgreat "fun" film\n0\tdull\n')
    rows = read_classification(path)
    assert rows == [{"text": 'great "fun" film', "label": "1"}, {"text": "dull", "label": "0"}]
    assert rows.report.rows_kept == 2 and rows.report.rows_skipped == 0


def test_classification_columns_by_index_without_header(tmp_path):
    path = write(tmp_path / "train.tsv", "a\tpos\tb\nc\tneg\td\n")
    rows = read_classification(path, text_column=2, text_pair_column=0, label_column=1)
    assert rows == [{"text": "b", "text_pair": "a", "label": "pos"}, {"text": "d", "text_pair": "c", "label": "neg"}]


def test_classification_index_with_header_true_skips_header(tmp_path):
    path = write(tmp_path / "train.tsv", "label\ttext\n1\tyes\n")
    assert read_classification(path, text_column=1, label_column=0, has_header=True) == [{"text": "yes", "label": "1"}]


def test_text_pair_column_by_name(tmp_path):
    path = write(tmp_path / "pairs.tsv", "premise\thypothesis\tlabel\nA cat.\tAn animal.\tentail\n")
    rows = read_classification(path, text_column="premise", text_pair_column="hypothesis")
    assert rows == [{"text": "A cat.", "text_pair": "An animal.", "label": "entail"}]


def test_translation_default_is_headerless_tsv(tmp_path):
    path = write(tmp_path / "train.tsv", "Hello.\tHallo.\nSource\tTarget\n")
    assert read_translation(path) == [
        {"source": "Hello.", "target": "Hallo."},
        {"source": "Source", "target": "Target"},
    ]


def test_translation_columns_reversed_and_header(tmp_path):
    path = write(tmp_path / "train.tsv", "en\tde\nHello.\tHallo.\n")
    assert read_translation(path, source_column="de", target_column="en") == [{"source": "Hallo.", "target": "Hello."}]


def test_summarization_jsonl_fields(tmp_path):
    path = write(tmp_path / "train.jsonl", jsonl({"document": "A: hi\nB: yo", "summary": "Greetings.", "id": 7}))
    assert read_summarization(path) == [{"source": "A: hi\nB: yo", "target": "Greetings."}]


def test_summarization_other_field_names(tmp_path):
    path = write(tmp_path / "cnn.jsonl", jsonl({"article": "Long.", "highlights": "Short."}))
    rows = read_summarization(path, document_field="article", summary_field="highlights")
    assert rows == [{"source": "Long.", "target": "Short."}]


def test_csv_quoted_fields_with_commas_tabs_quotes_and_newlines(tmp_path):
    content = 'text,label\n"one, two\tthree",a\n"line one\nline two",b\n"she said ""hi""",c\nplain,d\n'
    rows = read_classification(write(tmp_path / "train.csv", content))
    assert rows == [
        {"text": "one, two\tthree", "label": "a"},
        {"text": "line one\nline two", "label": "b"},
        {"text": 'she said "hi"', "label": "c"},
        {"text": "plain", "label": "d"},
    ]


def test_csv_rows_are_numbered_by_their_first_line(tmp_path):
    path = write(tmp_path / "train.csv", 'text,label\n"a\nb",x\n"",y\n')
    with pytest.raises(DataError, match=r"train\.csv, line 4: 'text' \(column 'text'\) is empty"):
        read_classification(path)


def test_csv_bad_quotes_name_the_line(tmp_path):
    path = write(tmp_path / "train.csv", 'text,label\nok,x\n"bad"quote,y\n')
    with pytest.raises(DataError, match=r"train\.csv, line 3: the CSV cannot be parsed"):
        read_classification(path)


def test_tsv_keeps_quotes_literally(tmp_path):
    path = write(tmp_path / "t.tsv", '"Quoted title" is fine\t"x"\n')
    assert read_translation(path) == [{"source": '"Quoted title" is fine', "target": '"x"'}]


def test_records_with_explicit_format_and_mixed_columns(tmp_path):
    path = write(tmp_path / "data.dat", "q,a\nWhy?,Because.\n")
    rows = read_records(path, {"question": "q", "answer": 1}, format="csv")
    assert rows == [{"question": "Why?", "answer": "Because."}]


def test_jsonl_integer_labels_become_strings(tmp_path):
    content = jsonl({"text": "a", "label": 1}, {"text": "b", "label": "0"})
    path = write(tmp_path / "train.jsonl", content)
    assert [row["label"] for row in read_classification(path, label_set=[0, 1])] == ["1", "0"]


# === Text for language modeling ===


def test_text_strips_and_skips_blank_lines_by_default(tmp_path):
    path = write(tmp_path / "wiki.txt", " \n = Title = \n \n Body text . \n")
    assert read_text(path) == [{"text": "= Title ="}, {"text": "Body text ."}]


def test_text_can_keep_blank_lines_and_whitespace(tmp_path):
    path = write(tmp_path / "wiki.txt", "a \n\n b\n")
    assert read_text(path, skip_blank_lines=False) == [{"text": "a"}, {"text": ""}, {"text": "b"}]
    assert read_text(path, strip=False, skip_blank_lines=False) == [{"text": "a "}, {"text": ""}, {"text": " b"}]


def test_text_from_a_jsonl_field(tmp_path):
    path = write(tmp_path / "corpus.jsonl", jsonl({"text": " one "}, {"text": ""}, {"text": "two"}))
    assert read_text(path, text_column="text") == [{"text": "one"}, {"text": "two"}]


def test_text_column_must_match_the_format(tmp_path):
    path = write(tmp_path / "corpus.txt", "a\n")
    with pytest.raises(ValueError, match=r"Received: text_column='text' with format='txt'"):
        read_text(path, text_column="text")
    with pytest.raises(ValueError, match=r"Received: text_column=None with format='jsonl'"):
        read_text(path, format="jsonl")


# === Encodings, line endings, compression ===


@pytest.mark.parametrize("name", ["train.tsv.gz", "train.tsv"])
def test_gzip_round_trip(tmp_path, name):
    content = "label\ttext\n" + "".join(f"{i % 2}\tréview {i}\n" for i in range(50))
    rows = read_classification(write(tmp_path / name, content, compress=True))
    assert rows == read_classification(write(tmp_path / "plain.tsv", content))
    assert rows[3] == {"text": "réview 3", "label": "1"}


def test_byte_order_mark_and_crlf(tmp_path):
    path = write(tmp_path / "train.tsv", "\ufefflabel\ttext\r\n1\tgood\r\n0\tbad\r\n")
    assert read_classification(path) == [{"text": "good", "label": "1"}, {"text": "bad", "label": "0"}]


def test_byte_order_mark_and_crlf_in_csv_and_jsonl(tmp_path):
    csv_path = write(tmp_path / "t.csv", '\ufefftext,label\r\n"a\r\nb",1\r\n')
    assert read_classification(csv_path) == [{"text": "a\r\nb", "label": "1"}]
    jsonl_path = write(tmp_path / "t.jsonl", '\ufeff{"document": "d", "summary": "s"}\r\n')
    assert read_summarization(jsonl_path) == [{"source": "d", "target": "s"}]


def test_blank_lines_are_passed_over(tmp_path):
    path = write(tmp_path / "train.tsv", "label\ttext\n\n1\ta\n  \n0\tb\n\n")
    assert len(read_classification(path)) == 2


# === Errors: file, line, reason ===


def expect_error(match, reader, path, **kwargs):
    with pytest.raises(DataError, match=match) as error:
        reader(path, **kwargs)
    return str(error.value)


def test_missing_column_lists_the_available_ones(tmp_path):
    path = write(tmp_path / "train.tsv", "label\tsentence\n1\ta\n")
    message = expect_error(
        r"train\.tsv, line 1: column 'text' \(for 'text'\) is not in the header", read_classification, path
    )
    assert "['label', 'sentence']" in message


def test_column_index_out_of_range(tmp_path):
    path = write(tmp_path / "train.tsv", "a\tb\n")
    expect_error(
        r"train\.tsv, line 1: column index 2 \(for 'target'\) is out of range: the first "
        r"row has 2 columns",
        read_translation,
        path,
        target_column=2,
    )


def test_duplicate_header_column(tmp_path):
    path = write(tmp_path / "train.tsv", "text\ttext\tlabel\na\tb\t1\n")
    expect_error(r"line 1: column 'text' \(for 'text'\) appears twice in the header", read_classification, path)


def test_missing_jsonl_field_lists_the_line_fields(tmp_path):
    content = jsonl({"document": "d", "summary": "s"}, {"dialogue": "d"})
    path = write(tmp_path / "train.jsonl", content)
    expect_error(
        r"train\.jsonl, line 2: field 'document' is missing; this line has the fields "
        r"\['dialogue'\]",
        read_summarization,
        path,
    )


def test_empty_text(tmp_path):
    path = write(tmp_path / "train.tsv", "label\ttext\n1\tok\n0\t  \n")
    message = expect_error(r"train\.tsv, line 3: 'text' \(column 'text'\) is empty", read_classification, path)
    assert "--on-bad-row skip" in message and "on_bad_row='skip'" in message


def test_unknown_label_lists_the_label_set(tmp_path):
    path = write(tmp_path / "valid.tsv", "label\ttext\n1\tok\n2\tbad\n")
    expect_error(
        r"valid\.tsv, line 3: label '2' in 'label' \(column 'label'\) is not one of the known labels "
        r"\['0', '1'\]",
        read_classification,
        path,
        label_set=["0", "1"],
    )


def test_wrong_field_count(tmp_path):
    path = write(tmp_path / "train.tsv", "Hi.\tHallo.\nTab\tin\ttext.\n")
    expect_error(r"train\.tsv, line 2: the row has 3 fields, expected 2 as on line 1", read_translation, path)


def test_undecodable_bytes_name_line_and_offset(tmp_path):
    path = write(tmp_path / "train.tsv", b"label\ttext\n1\tok\n0\tcaf\xe9\n")
    expect_error(
        r"train\.tsv, line 3: invalid UTF-8 \(byte 0xe9 at byte offset 5 of the line\)", read_classification, path
    )


def test_undecodable_header_is_always_an_error(tmp_path):
    path = write(tmp_path / "train.tsv", b"lab\xffel\ttext\n1\tok\n")
    expect_error(
        r"train\.tsv, line 1: cannot read the header: invalid UTF-8", read_classification, path, on_bad_row="skip"
    )


def test_line_over_max_line_bytes(tmp_path):
    path = write(tmp_path / "train.tsv", "label\ttext\n1\t" + "x" * 100 + "\n")
    expect_error(
        r"train\.tsv, line 2: the line is 103 bytes, over max_line_bytes=64",
        read_classification,
        path,
        max_line_bytes=64,
    )


def test_malformed_json(tmp_path):
    path = write(tmp_path / "train.jsonl", '{"document": "d", "summary": "s"}\n{"document": "d",\n')
    expect_error(
        r"train\.jsonl, line 2: malformed JSON \(Expecting property name enclosed in "
        r"double quotes at column 18\)",
        read_summarization,
        path,
    )


def test_json_line_that_is_not_an_object(tmp_path):
    path = write(tmp_path / "train.jsonl", '["d", "s"]\n')
    expect_error(r"train\.jsonl, line 1: the line is a JSON array, expected an object", read_summarization, path)


def test_json_field_of_the_wrong_type(tmp_path):
    path = write(tmp_path / "train.jsonl", jsonl({"document": ["d"], "summary": "s"}))
    expect_error(
        r"line 1: 'source' \(JSON field 'document'\) is a JSON array, expected a string", read_summarization, path
    )


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file_is_always_an_error(tmp_path, content):
    path = write(tmp_path / "train.jsonl", content)
    with pytest.raises(DataError, match=r"train\.jsonl has no data rows: the file is empty"):
        read_summarization(path, on_bad_row="skip")


def test_header_only_file_is_an_error(tmp_path):
    path = write(tmp_path / "train.tsv.gz", "label\ttext\n", compress=True)
    match = r"train\.tsv\.gz has no data rows.*blank lines and a header"
    with pytest.raises(DataError, match=match):
        read_classification(path)


# === Skipping bad rows ===


def test_skip_reports_counts_per_reason_and_first_lines(tmp_path, caplog):
    lines = ["label\ttext", "1\tgood", "0\t", "7\tunknown", "1\tfine", "0\t", "x", b"1\tbad\xff"]
    lines += ["0\t"] * 5 + ["0\tlast"]
    content = b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)
    path = write(tmp_path / "train.tsv", content)
    with caplog.at_level(logging.WARNING, logger="zoo.data.readers"):
        rows = read_classification(path, label_set=["0", "1"], on_bad_row="skip")
    assert [row["text"] for row in rows] == ["good", "fine", "last"]
    report = rows.report
    assert (report.rows_kept, report.rows_skipped) == (3, 10)
    assert dict(report.skipped) == {"empty_field": 7, "unknown_label": 1, "field_count": 1, "invalid_utf8": 1}
    assert report.first_lines == {
        "empty_field": [3, 6, 9, 10, 11],
        "unknown_label": [4],
        "field_count": [7],
        "invalid_utf8": [8],
    }
    summary = str(report)
    assert summary.startswith(f"{path}: kept 3 rows, skipped 10 bad rows:")
    assert "empty_field: 7 (lines 3, 6, 9, 10, 11, ...): 'text' (column 'text') is empty" in summary
    assert "unknown_label: 1 (line 4): label '7'" in summary
    assert summary in caplog.text


def test_skip_malformed_json_and_missing_fields(tmp_path):
    content = jsonl({"document": "d", "summary": "s"}) + "{oops\n" + jsonl({"document": "d"})
    rows = read_summarization(write(tmp_path / "t.jsonl", content), on_bad_row="skip")
    assert len(rows) == 1
    assert dict(rows.report.skipped) == {"malformed_json": 1, "missing_field": 1}


def test_skip_a_csv_record_with_a_bad_line_inside_its_quotes(tmp_path):
    content = b'text,label\n"multi\nli\xffne",a\nok,b\n'
    rows = read_classification(write(tmp_path / "t.csv", content), on_bad_row="skip")
    assert rows == [{"text": "ok", "label": "b"}]
    assert rows.report.first_lines == {"invalid_utf8": [2]}


def test_skip_lines_over_the_limit(tmp_path):
    path = write(tmp_path / "t.txt", "short\n" + "y" * 100 + "\nend\n")
    rows = read_text(path, max_line_bytes=50, on_bad_row="skip")
    assert rows == [{"text": "short"}, {"text": "end"}]
    assert dict(rows.report.skipped) == {"line_too_long": 1}


def test_every_row_skipped_is_an_error_with_the_report(tmp_path):
    path = write(tmp_path / "train.tsv", "label\ttext\n1\t\n0\t\n")
    match = r"(?s)Every row of .*train\.tsv was skipped.*empty_field: 2"
    with pytest.raises(DataError, match=match):
        read_classification(path, on_bad_row="skip")


# === Argument validation ===


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"on_bad_row": "ignore"}, r"Received: on_bad_row='ignore'"),
        ({"format": "parquet"}, r"Received: format='parquet'"),
        ({"max_line_bytes": 0}, r"Received: max_line_bytes=0"),
        ({"text_column": -1}, r"Received: text_column=-1"),
        ({"label_column": 1.5}, r"Received: label_column=1\.5"),
        ({"label_set": "01"}, r"Received: label_set='01'"),
        ({"label_set": []}, r"Received: label_set=\[\]"),
        ({"has_header": "yes"}, r"Received: has_header='yes'"),
        ({"has_header": False}, r"chosen by name but has_header=False"),
        ({"format": "jsonl", "text_column": 0}, r"JSONL fields are chosen by name"),
        ({"format": "jsonl", "has_header": True}, r"applies to tsv and csv files, not jsonl"),
    ],
)
def test_bad_arguments_quote_the_value(tmp_path, kwargs, match):
    path = write(tmp_path / "train.tsv", "label\ttext\n1\ta\n")
    with pytest.raises(ValueError, match=match):
        read_classification(path, **kwargs)


def test_txt_format_has_no_columns(tmp_path):
    path = write(tmp_path / "a.txt", "a\n")
    with pytest.raises(ValueError, match=r"read it with `read_text`"):
        read_records(path, {"text": 0})


# === The real data sets in ../shared/data ===

REAL_FILES = [
    ("sst2/valid.tsv", read_classification, {"label_set": ["0", "1"]}, ("text", "label")),
    ("imdb/train.tsv.gz", read_classification, {"label_set": ["0", "1"]}, ("text", "label")),
    ("multi30k_en_de/valid.tsv", read_translation, {}, ("source", "target")),
    ("spa_eng/valid.tsv", read_translation, {}, ("source", "target")),
    ("samsum/valid.jsonl", read_summarization, {}, ("source", "target")),
    ("wikitext2/valid.txt", read_text, {}, ("text",)),
]


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"{SHARED_DATA} is not here")
@pytest.mark.parametrize("relative_path, reader, kwargs, fields", REAL_FILES)
def test_defaults_read_the_real_data_sets(tmp_path, relative_path, reader, kwargs, fields):
    source = SHARED_DATA / relative_path
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as file:
        head = b"".join(file.readline() for _ in range(20))
    sample = write(tmp_path / source.name, head, compress=source.suffix == ".gz")
    rows = reader(sample, **kwargs)
    assert 5 <= len(rows) <= 20
    assert all(tuple(row) == fields and all(row.values()) for row in rows)
