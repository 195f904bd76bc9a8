"""Save/load: identical ids after a round trip; hostile, missing and corrupt files are refused."""

import json

import pytest

from zoo.errors import LoadError
from zoo.tokenizers import load_tokenizer, train_tokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

KINDS = ("wordpiece", "sentencepiece_unigram", "sentencepiece_bpe", "byte")
ASSET_FILE = {"wordpiece": "vocab.txt", "sentencepiece_unigram": "sentencepiece.model"}


@pytest.fixture(params=KINDS)
def name(request):
    return request.param


def _edit_config(directory, **changes):
    path = directory / "tokenizer.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


def test_round_trip_gives_identical_ids_and_config(name, tokenizers, held_out_sentences, tmp_path):
    tokenizer = tokenizers[name]
    tokenizer.save(tmp_path)
    loaded = load_tokenizer(tmp_path)
    texts = held_out_sentences + ["", "猫 😀", "x" * 500]

    assert type(loaded) is type(tokenizer)
    assert loaded.get_config() == tokenizer.get_config()
    assert loaded.get_vocabulary() == tokenizer.get_vocabulary()
    assert [r.tolist() for r in loaded.tokenize(texts, add_eos=True)] == [
        r.tolist() for r in tokenizer.tokenize(texts, add_eos=True)
    ]


def test_saved_files_are_the_config_and_the_assets(name, tokenizers, tmp_path):
    tokenizers[name].save(tmp_path)
    config = json.loads((tmp_path / "tokenizer.json").read_text())

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["tokenizer.json", *config["assets"].values()])
    assert config["kind"] == name.split("_")[0]
    assert list(config["special_tokens"]) == ["pad", "unk", "bos", "eos", "mask"]
    assert config["vocabulary_size"] == tokenizers[name].vocabulary_size


@pytest.mark.parametrize("hostile", ["../../etc/passwd", "/etc/passwd", "..", "sub/../../outside.txt"])
def test_asset_paths_outside_the_directory_are_refused(hostile, tokenizers, tmp_path):
    directory = tmp_path / "model"
    tokenizers["wordpiece"].save(directory)
    (tmp_path / "outside.txt").write_text("[PAD]\n")
    _edit_config(directory, assets={"vocabulary": hostile})

    with pytest.raises(ValueError, match="Refusing tokenizer asset"):
        load_tokenizer(directory)


def test_a_symlink_leading_outside_is_refused(tokenizers, tmp_path):
    directory = tmp_path / "model"
    tokenizers["wordpiece"].save(directory)
    (tmp_path / "elsewhere.txt").write_bytes((directory / "vocab.txt").read_bytes())
    (directory / "vocab.txt").unlink()
    (directory / "vocab.txt").symlink_to(tmp_path / "elsewhere.txt")

    with pytest.raises(ValueError, match="Refusing tokenizer asset 'vocab.txt'"):
        load_tokenizer(directory)


@pytest.mark.parametrize("name", ["wordpiece", "sentencepiece_unigram"])
def test_missing_asset_is_a_clear_error(name, tokenizers, tmp_path):
    tokenizers[name].save(tmp_path)
    (tmp_path / ASSET_FILE[name]).unlink()

    with pytest.raises(FileNotFoundError, match=f"Missing tokenizer asset '{ASSET_FILE[name]}'"):
        load_tokenizer(tmp_path)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("wordpiece", b"\xff\xfe garbage", "not UTF-8 text"),
        ("wordpiece", b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nka\n", "does not match its assets"),
        ("wordpiece", b"ka\nlo\n", "must start with"),
        ("sentencepiece_unigram", b"\x00garbage", "Not a valid SentencePiece model"),
    ],
)
def test_corrupt_asset_is_a_clear_error(name, content, message, tokenizers, tmp_path):
    tokenizers[name].save(tmp_path)
    (tmp_path / ASSET_FILE[name]).write_bytes(content)

    with pytest.raises(LoadError, match=message):
        load_tokenizer(tmp_path)


def test_assets_over_their_caps_are_refused_before_reading(tokenizers, tmp_path, monkeypatch):
    tokenizers["wordpiece"].save(tmp_path)
    vocabulary = tmp_path / ASSET_FILE["wordpiece"]
    vocabulary.write_bytes(vocabulary.read_bytes() + b"x" * 2000 + b"\n")
    with pytest.raises(
        LoadError,
        match=r"vocab.txt, line \d+: 2,000 bytes, above the 1,024-byte cap on a vocabulary "
        "line; if the file is genuine, raise ZOO_MAX_VOCABULARY_LINE_BYTES",
    ):
        load_tokenizer(tmp_path)
    monkeypatch.setenv("ZOO_MAX_ASSET_BYTES", "100")
    with pytest.raises(LoadError, match="above the 100 bytes cap on a tokenizer asset"):
        load_tokenizer(tmp_path)


def test_missing_or_corrupt_config_is_a_clear_error(tokenizers, tmp_path):
    with pytest.raises(FileNotFoundError, match="No tokenizer config"):
        load_tokenizer(tmp_path)
    tokenizers["byte"].save(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(LoadError, match="tokenizer.json: not valid UTF-8 JSON"):
        load_tokenizer(tmp_path)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"kind": "pickle"}, "Received: kind='pickle'"),
        ({"format_version": 99}, "unsupported format_version=99"),
        ({"options": {"lowercase": True, "evil": 1}}, "takes options"),
        ({"assets": ["vocab.txt"]}, "must map asset keys"),
        ({"assets": {}}, "needs the asset 'vocabulary'"),
        ({"vocabulary_size": 7}, "does not match its assets"),
    ],
)
def test_inconsistent_config_is_refused(changes, message, tokenizers, tmp_path):
    tokenizers["wordpiece"].save(tmp_path)
    _edit_config(tmp_path, **changes)

    with pytest.raises(ValueError, match=message):
        load_tokenizer(tmp_path)


def test_train_tokenizer_refuses_unknown_kinds():
    with pytest.raises(ValueError, match="Received: kind='bpe'"):
        train_tokenizer("bpe", ["a"], 10)
