"""The tokenizer of a Hugging Face checkpoint folder, as a zoo tokenizer with the source's tokens.

GPT-2's byte-level BPE comes from `tokenizer.json` (what `save_pretrained` writes) or from
`vocab.json` + `merges.txt` (what the published GPT-2 folders also hold); its bos/eos tokens from
`tokenizer_config.json`, else from the model's `config.json`. BERT's WordPiece comes from
`vocab.txt` or `tokenizer.json`, reordered so its five special tokens come first.

Example:

    tokenizer = byte_pair_tokenizer("gpt2/", model_config)
    tokenizer.source_ids[tokenizer.eos_id]  # 50256, "<|endoftext|>"
"""

from pathlib import Path

import numpy as np

from zoo.checkpoints.safetensors_weights import read_json
from zoo.errors import LoadError
from zoo.loading_limits import cap, require_file_size
from zoo.tokenizers import BytePairTokenizer, WordPieceTokenizer
from zoo.tokenizers.base import SPECIAL_TOKEN_NAMES


def byte_pair_tokenizer(folder, model_config):
    """The folder's byte-level BPE as a `BytePairTokenizer`; `LoadError` naming the file that is missing or unusable."""
    folder = Path(folder)
    if (folder / "tokenizer.json").is_file():
        vocabulary, merges = _from_tokenizer_json(folder / "tokenizer.json")
    elif (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file():
        vocabulary = read_json(folder / "vocab.json", "vocabulary")
        require_file_size(folder / "merges.txt", cap("asset_bytes"), "a merges file", name="asset_bytes")
        merges = (folder / "merges.txt").read_text(encoding="utf-8").splitlines()
    else:
        raise LoadError(
            f"{folder}: no tokenizer.json, nor vocab.json with merges.txt; save the tokenizer next to the model "
            "(`tokenizer.save_pretrained(folder)`)."
        )
    special_tokens = _special_tokens(folder, model_config, vocabulary)
    try:
        return BytePairTokenizer(vocabulary, merges, special_tokens)
    except ValueError as error:
        raise LoadError(f"{folder}: the tokenizer files are not a usable byte-level BPE ({error}).") from None


def _from_tokenizer_json(path):
    spec = read_json(path, "tokenizer")
    model = spec.get("model") or {}
    if model.get("type") != "BPE" or not isinstance(model.get("vocab"), dict):
        raise LoadError(f"{path}: a {model.get('type')!r} tokenizer model; only byte-level BPE (GPT-2) is imported.")
    pre_tokenizer = spec.get("pre_tokenizer") or {}
    if pre_tokenizer.get("type") != "ByteLevel" or pre_tokenizer.get("add_prefix_space"):
        raise LoadError(
            f"{path}: pre_tokenizer {pre_tokenizer!r}; "
            "only GPT-2's ByteLevel splitting without a prefix space is imported."
        )
    vocabulary = dict(model["vocab"])
    for added in spec.get("added_tokens") or []:
        vocabulary.setdefault(added["content"], added["id"])
    # Newer files list a merge as ["a", "b"], older ones as "a b".
    merges = [merge if isinstance(merge, str) else " ".join(merge) for merge in model.get("merges") or []]
    return vocabulary, merges


def _special_tokens(folder, model_config, vocabulary):
    """`{zoo special name: token}` from tokenizer_config.json's names, bos/eos else from config.json's ids.

    bos defaults to eos (GPT-2 starts a text with its end token). pad, unk and mask are mapped only
    to tokens of their own: GPT-2's config names "<|endoftext|>" as unk too, which stays eos.
    """
    names = {}
    if (folder / "tokenizer_config.json").is_file():
        tokenizer_config = read_json(folder / "tokenizer_config.json", "tokenizer config")
        for name in SPECIAL_TOKEN_NAMES:
            token = tokenizer_config.get(f"{name}_token")
            token = token.get("content") if isinstance(token, dict) else token
            if isinstance(token, str) and token in vocabulary:
                names[name] = token
    by_id = {i: token for token, i in vocabulary.items()}
    for name in ("bos", "eos"):
        source_id = model_config.get(f"{name}_token_id")
        if name not in names and source_id in by_id:
            names[name] = by_id[source_id]
    if "eos" not in names:
        raise LoadError(f"{folder}: no end token (eos_token in tokenizer_config.json or eos_token_id in config.json).")
    names.setdefault("bos", names["eos"])
    return {
        name: token
        for name, token in names.items()
        if name in ("bos", "eos") or token not in (names["bos"], names["eos"])
    }


def wordpiece_tokenizer(folder):
    """`(WordPieceTokenizer, source_ids)` of a BERT folder: its vocabulary with the five specials first.

    `source_ids[zoo id]` is the token's id in the folder's vocabulary. Reads `vocab.txt`, else
    `tokenizer.json`; lower-casing from `tokenizer_config.json` (`do_lower_case`) or the
    `tokenizer.json` normalizer. `LoadError` names the file that is missing or not BERT's WordPiece.
    """
    folder = Path(folder)
    options = _bert_tokenizer_options(folder)
    if (folder / "vocab.txt").is_file():
        require_file_size(folder / "vocab.txt", cap("asset_bytes"), "a vocabulary", name="asset_bytes")
        tokens = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
        vocabulary = {token: i for i, token in enumerate(tokens)}
    elif (folder / "tokenizer.json").is_file():
        spec = read_json(folder / "tokenizer.json", "tokenizer")
        model = spec.get("model") or {}
        if model.get("type") != "WordPiece" or not isinstance(model.get("vocab"), dict):
            raise LoadError(f"{folder / 'tokenizer.json'}: a {model.get('type')!r} model; BERT needs WordPiece.")
        vocabulary = dict(model["vocab"])
    else:
        raise LoadError(f"{folder}: no vocab.txt or tokenizer.json; save the tokenizer next to the model.")
    return reordered_wordpiece(vocabulary, options, folder)


def reordered_wordpiece(vocabulary, options, where):
    """`(WordPieceTokenizer, source_ids)` of a BERT `{token: id}` vocabulary, its five specials moved to 0..4."""
    missing = [token for token in WordPieceTokenizer.SPECIAL_TOKENS if token not in vocabulary]
    if missing:
        raise LoadError(f"{where}: the vocabulary lacks BERT's special tokens {missing}.")
    specials = list(WordPieceTokenizer.SPECIAL_TOKENS)
    rest = sorted((i, token) for token, i in vocabulary.items() if token not in specials)
    tokens = specials + [token for _, token in rest]
    try:
        tokenizer = WordPieceTokenizer(tokens, **options)
    except ValueError as error:
        raise LoadError(f"{where}: the vocabulary is not a usable WordPiece vocabulary ({error}).") from None
    return tokenizer, np.asarray([vocabulary[token] for token in tokens], np.int64)


def _bert_tokenizer_options(folder):
    """The `WordPieceTokenizer` options of a BERT folder: lower-casing, and accent stripping (None: as lower-casing).

    `tokenizer_config.json` wins over `tokenizer.json`'s normalizer, as in `transformers`, whose
    fast BERT tokenizer rebuilds its normalizer from the config's `do_lower_case`/`strip_accents`.
    """
    lowercase, strip_accents = True, None
    if (folder / "tokenizer.json").is_file():
        normalizer = read_json(folder / "tokenizer.json", "tokenizer").get("normalizer") or {}
        if normalizer.get("type") == "BertNormalizer":
            lowercase = bool(normalizer.get("lowercase", lowercase))
            strip_accents = normalizer.get("strip_accents", strip_accents)
    if (folder / "tokenizer_config.json").is_file():
        config = read_json(folder / "tokenizer_config.json", "tokenizer config")
        lowercase = bool(config.get("do_lower_case", lowercase))
        strip_accents = config.get("strip_accents", strip_accents)
    # BERT and transformers lower with Python's str.lower: "ß" stays, where case folding gives "ss".
    return {"lowercase": lowercase, "lowercase_rule": "lower", "strip_accents": strip_accents}
