"""Byte-level BPE of a published checkpoint (GPT-2's `vocab.json` + `merges.txt`), with the zoo's ids.

Not trained here: it is imported with the checkpoint (`zoo.checkpoints`). The splitting and
merging are keras-hub's `BytePairTokenizer` (TensorFlow ops, so it runs in tf.data and in an
exported SavedModel); this class renumbers its ids the zoo way: ids 0..4 are pad, unk, bos, eos
and mask, then every other token of the source vocabulary in source order. A source special token
(GPT-2's "<|endoftext|>") stands for the zoo specials it is mapped to; zoo specials the source
lacks (GPT-2 has no pad, unk or mask) get ids no tokenization produces, and the imported model
never predicts them (`TokenEmbedding(suppressed_ids=...)`).
"""

import json

import numpy as np
import tensorflow as tf
from keras_hub.tokenizers import BytePairTokenizer as KerasHubBytePairTokenizer

from zoo.errors import ConfigError
from zoo.tokenizers.base import NUM_SPECIAL_TOKENS, SPECIAL_TOKEN_NAMES, UNK_ID, Tokenizer

_REPLACEMENT_CHARACTER = "\ufffd".encode()
# Names of the zoo special ids the source vocabulary has no token for.
_PLACEHOLDERS = {name: f"<|zoo_{name}|>" for name in SPECIAL_TOKEN_NAMES}


def byte_level_alphabet():
    """GPT-2's byte -> printable character table (`encoder.py` of openai/gpt-2), as `{byte: str}`.

    Written out because keras-hub keeps its copy private: the 188 printable Latin-1 bytes stand
    for themselves, the other 68 (whitespace and control bytes) for the characters from U+0100 on.
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {byte: chr(byte) for byte in printable}
    shifted = (byte for byte in range(256) if byte not in table)
    for offset, byte in enumerate(shifted):
        table[byte] = chr(256 + offset)
    return table


class BytePairTokenizer(Tokenizer):
    """Byte-level BPE over a source vocabulary, ids renumbered so the zoo's specials are 0..4.

    Args:
        vocabulary: `{token: source id}` (GPT-2's `vocab.json`).
        merges: merge rules "a b", highest priority first (`merges.txt` without its
            "#version" line).
        special_tokens: `{zoo special name: source token}` for the specials the source has, e.g.
            `{"bos": "<|endoftext|>", "eos": "<|endoftext|>"}`; these tokens are matched whole in
            the text, as the source tokenizer does.

    Detokenizing joins the tokens' bytes, so it gives any text back exactly.

    Example:

        tokenizer = BytePairTokenizer.from_files("gpt2/vocab.json", "gpt2/merges.txt",
                                                 {"bos": "<|endoftext|>", "eos": "<|endoftext|>"})
        tokenizer.detokenize(tokenizer.tokenize("Straße, naïve e-mail"))  # 'Straße, naïve e-mail'
    """

    kind = "byte_bpe"
    OPTION_NAMES = ("special_tokens",)

    def __init__(self, vocabulary, merges, special_tokens, name=None):
        super().__init__(name=name)
        self._source_vocabulary = _checked_vocabulary(vocabulary)
        self._merges = [merge for merge in merges if merge and not merge.startswith("#version")]
        self.special_tokens = _checked_special_tokens(special_tokens, self._source_vocabulary)
        self.SPECIAL_TOKENS = tuple(self.special_tokens.get(n, _PLACEHOLDERS[n]) for n in SPECIAL_TOKEN_NAMES)
        self.source_ids = _zoo_to_source_ids(self._source_vocabulary, self.special_tokens)
        # One row past the largest source id: keras-hub's -1 (a merged token the vocabulary lacks) reads it as unk.
        source_to_zoo = np.full(max(self._source_vocabulary.values()) + 2, UNK_ID, np.int32)
        for zoo_id, source_id in enumerate(self.source_ids):
            if source_id >= 0:
                source_to_zoo[source_id] = zoo_id  # a source special mapped twice (bos, eos) reads as the later
        self._source_to_zoo = tf.constant(source_to_zoo)
        self._surfaces = tf.constant(_surfaces(self._source_vocabulary, self.source_ids))
        unsplittable = sorted(set(self.special_tokens.values()))
        self._bpe = KerasHubBytePairTokenizer(
            self._source_vocabulary, self._merges, unsplittable_tokens=unsplittable, _allow_python_workflow=False
        )
        # Inside a tf.function keras-hub returns TensorFlow tensors (eagerly: the Keras backend's);
        # one signature, so its merge loop is traced once, not once per batch size.
        self._source_tokenize = tf.function(
            self._bpe.tokenize, input_signature=[tf.TensorSpec([None], tf.string)], autograph=False
        )

    @classmethod
    def train(cls, texts, vocabulary_size, **options):
        """Refused (`ConfigError`): this kind comes with an imported checkpoint."""
        raise ConfigError(
            "--tokenizer byte_bpe comes with an imported checkpoint (`zoo import`): start from it with "
            "--init-from RUN, or train a tokenizer on your data with --tokenizer sentencepiece."
        )

    @classmethod
    def from_files(cls, vocabulary_path, merges_path, special_tokens):
        """Reads GPT-2's `vocab.json` and `merges.txt`."""
        with open(vocabulary_path, "rb") as f:
            vocabulary_bytes = f.read()
        with open(merges_path, "rb") as f:
            merges_bytes = f.read()
        return cls.from_assets(
            {"vocabulary": vocabulary_bytes, "merges": merges_bytes}, {"special_tokens": special_tokens}
        )

    @classmethod
    def from_assets(cls, assets, options):
        try:
            vocabulary = json.loads(assets["vocabulary"].decode("utf-8"))
            merges = assets["merges"].decode("utf-8").splitlines()
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"the vocabulary must be a UTF-8 JSON object and the merges UTF-8 text: {error}") from None
        return cls(vocabulary, merges, **options)

    def get_vocabulary(self):
        by_source_id = {source_id: token for token, source_id in self._source_vocabulary.items()}
        specials = list(self.SPECIAL_TOKENS)
        return specials + [by_source_id[source_id] for source_id in self.source_ids[NUM_SPECIAL_TOKENS:]]

    def _assets(self):
        # dict(): a `tf.Module` keeps dict attributes in a wrapper `json` does not take.
        vocabulary = json.dumps(dict(self._source_vocabulary), ensure_ascii=False).encode("utf-8")
        merges = "".join(merge + "\n" for merge in self._merges).encode("utf-8")
        return {"vocabulary": ("vocab.json", vocabulary), "merges": ("merges.txt", merges)}

    def _options(self):
        return {"special_tokens": dict(self.special_tokens)}

    def _tokenize_batch(self, texts):
        source_ids = self._source_tokenize(texts)
        # An empty batch comes back dense (0, 0); a rank-1 result is one unbatched row.
        if not isinstance(source_ids, tf.RaggedTensor):
            source_ids = tf.RaggedTensor.from_tensor(tf.reshape(source_ids, [tf.shape(texts)[0], -1]))
        flat = source_ids.flat_values
        unknown_row = tf.shape(self._source_to_zoo, out_type=flat.dtype)[0] - 1
        return source_ids.with_flat_values(tf.gather(self._source_to_zoo, tf.where(flat < 0, unknown_row, flat)))

    def _detokenize_batch(self, ids):
        return tf.strings.reduce_join(tf.gather(self._surfaces, ids), axis=1)


def _checked_vocabulary(vocabulary):
    if not isinstance(vocabulary, dict) or not vocabulary:
        raise ValueError("the vocabulary must be a non-empty JSON object {token: id}")
    bad = [(token, i) for token, i in vocabulary.items() if not isinstance(i, int) or isinstance(i, bool) or i < 0]
    if bad:
        raise ValueError(f"every vocabulary id must be a non-negative int; received {bad[:3]}")
    if len(set(vocabulary.values())) != len(vocabulary):
        raise ValueError("two vocabulary tokens share an id")
    return dict(vocabulary)


def _checked_special_tokens(special_tokens, vocabulary):
    if not isinstance(special_tokens, dict) or set(special_tokens) - set(SPECIAL_TOKEN_NAMES):
        raise ValueError(f"special_tokens must map some of {list(SPECIAL_TOKEN_NAMES)} to tokens: {special_tokens!r}")
    missing = sorted({token for token in special_tokens.values() if token not in vocabulary})
    if missing:
        raise ValueError(f"special tokens {missing} are not in the vocabulary")
    return {name: special_tokens[name] for name in SPECIAL_TOKEN_NAMES if name in special_tokens}


def _zoo_to_source_ids(vocabulary, special_tokens):
    """`source_ids[zoo id]`: the source id of each zoo id, -1 for a zoo special the source lacks."""
    specials = [vocabulary[special_tokens[name]] if name in special_tokens else -1 for name in SPECIAL_TOKEN_NAMES]
    special_source_ids = set(specials)
    regular = sorted(i for i in vocabulary.values() if i not in special_source_ids)
    return np.asarray(specials + regular, np.int64)


def _surfaces(vocabulary, source_ids):
    """The bytes each zoo id detokenizes to: "" for specials, U+FFFD for unk, the token's bytes for the rest."""
    to_byte = {character: byte for byte, character in byte_level_alphabet().items()}
    by_source_id = {i: token for token, i in vocabulary.items()}
    surfaces = [b""] * NUM_SPECIAL_TOKENS
    surfaces[UNK_ID] = _REPLACEMENT_CHARACTER
    for source_id in source_ids[NUM_SPECIAL_TOKENS:]:
        token = by_source_id[int(source_id)]
        # Tokens outside the byte alphabet (added words) are their UTF-8 text.
        surfaces.append(bytes(to_byte[c] for c in token) if all(c in to_byte for c in token) else token.encode())
    return surfaces
