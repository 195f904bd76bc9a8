"""What every tokenizer kind shares: fixed special ids, and one call path for Python and graphs.

A kind only maps a 1-D batch of clean UTF-8 strings to ragged int32 ids and back
(`_tokenize_batch` / `_detokenize_batch`, TensorFlow ops only). This base adds input cleaning,
scalar/batch handling, bos/eos, padding, the NumPy conversion for Python callers, and `save`.
"""

import json
import numbers
import os
import warnings

import numpy as np
import tensorflow as tf

from zoo.validation import require_positive_int

CONFIG_FILENAME = "tokenizer.json"
FORMAT_VERSION = 1
SPECIAL_TOKEN_NAMES = ("pad", "unk", "bos", "eos", "mask")
PAD_ID, UNK_ID, BOS_ID, EOS_ID, MASK_ID = range(len(SPECIAL_TOKEN_NAMES))
NUM_SPECIAL_TOKENS = len(SPECIAL_TOKEN_NAMES)


class Tokenizer(tf.Module):
    """Base of the WordPiece, SentencePiece and byte tokenizers.

    Every kind puts its special tokens at the same ids: pad=0, unk=1, bos (cls)=2, eos (sep)=3,
    mask=4. `tokenize` and `detokenize` accept Python values (str, bytes, lists, NumPy arrays) and
    return NumPy arrays / Python strings, or accept `tf.Tensor`s (eager, inside `tf.function`,
    `tf.data.Dataset.map` or an exported SavedModel) and return tensors with the same values.
    Being a `tf.Module`, a tokenizer attached to an exported module is saved with it.

    Example:

        tokenizer = ByteTokenizer()
        tokenizer.tokenize("hi", add_eos=True)  # array([109, 110,   3], dtype=int32)
        tokenizer.detokenize([[109, 110, 3], [110]])  # ['hi', 'i']
    """

    kind = None
    SPECIAL_TOKENS = None
    OPTION_NAMES = ()

    @property
    def pad_id(self):
        return PAD_ID

    @property
    def unk_id(self):
        return UNK_ID

    @property
    def bos_id(self):
        return BOS_ID

    @property
    def eos_id(self):
        return EOS_ID

    @property
    def mask_id(self):
        return MASK_ID

    @property
    def vocabulary_size(self):
        return len(self.get_vocabulary())

    def get_vocabulary(self):
        raise NotImplementedError

    def tokenize(self, texts, add_bos=False, add_eos=False, sequence_length=None):
        """Token ids of `texts` (a string or a 1-D batch of strings).

        Invalid UTF-8 is replaced by U+FFFD first. Returns int32 ids: one 1-D array for a single
        string; for a batch, a list of 1-D arrays (Python input) or a `tf.RaggedTensor` (tensor
        input). With `sequence_length`, ids are truncated (bos/eos kept) and padded with
        `pad_id` to that length, and a batch comes back as one dense 2-D array / tensor.
        """
        if sequence_length is not None:
            require_positive_int("sequence_length", sequence_length)
            if sequence_length <= int(add_bos) + int(add_eos):
                raise ValueError(
                    "`sequence_length` must leave room for a token after bos/eos. "
                    f"Received: sequence_length={sequence_length}"
                )
        if tf.is_tensor(texts):
            return self._tokenize_tensor(texts, add_bos, add_eos, sequence_length)
        ids = self._tokenize_tensor(_python_texts_to_tensor(texts), add_bos, add_eos, sequence_length)
        return _tensor_ids_to_python(ids)

    def detokenize(self, ids):
        """Text of `ids` (one sequence, or a batch: ragged or padded).

        Drops pad, bos, eos and mask; unk is rendered as the kind's unknown marker, ids outside
        the vocabulary as unk. Returns a `str` / list of `str` for Python input, a `tf.string`
        tensor for tensor input.
        """
        if tf.is_tensor(ids):
            return self._detokenize_tensor(ids)
        texts = self._detokenize_tensor(_python_ids_to_tensor(ids)).numpy()
        return texts.decode("utf-8") if isinstance(texts, bytes) else [t.decode("utf-8") for t in texts]

    def get_config(self):
        """The JSON-able description `save` writes to `tokenizer.json`."""
        return {
            "kind": self.kind,
            "format_version": FORMAT_VERSION,
            "vocabulary_size": self.vocabulary_size,
            "special_tokens": dict(zip(SPECIAL_TOKEN_NAMES, self.SPECIAL_TOKENS)),
            "assets": {key: filename for key, (filename, _) in self._assets().items()},
            "options": self._options(),
        }

    def save(self, directory):
        """Writes `tokenizer.json` and the kind's asset files into `directory`."""
        os.makedirs(directory, exist_ok=True)
        for filename, content in self._assets().values():
            with open(os.path.join(directory, filename), "wb") as f:
                f.write(content)
        with open(os.path.join(directory, CONFIG_FILENAME), "w", encoding="utf-8") as f:
            json.dump(self.get_config(), f, indent=2, ensure_ascii=False)

    def _assets(self):
        """`{asset key: (file name, bytes)}` written next to `tokenizer.json`."""
        return {}

    def _options(self):
        return {}

    def _tokenize_tensor(self, texts, add_bos, add_eos, sequence_length):
        if texts.dtype != tf.string or isinstance(texts, (tf.RaggedTensor, tf.SparseTensor)):
            raise TypeError(f"`texts` must be a dense tf.string tensor. Received: {texts!r}")
        rank = texts.shape.rank
        if rank not in (0, 1):
            raise ValueError(f"`texts` must be a scalar or a 1-D batch. Received rank: {rank}")
        batch = tf.strings.unicode_transcode(tf.reshape(texts, [-1]), "UTF-8", "UTF-8", errors="replace")
        ids = self._tokenize_batch(batch)
        if sequence_length is not None:
            ids = ids[:, : sequence_length - int(add_bos) - int(add_eos)]
        ids = _add_bos_eos(ids, add_bos, add_eos)
        if sequence_length is not None:
            ids = ids.to_tensor(default_value=PAD_ID, shape=[None, sequence_length])
        if rank == 1:
            return ids
        # The values of a one-row ragged tensor are that row (ragged indexing costs ~1 ms eagerly).
        return ids[0] if sequence_length is not None else ids.flat_values

    def _detokenize_tensor(self, ids):
        rank = ids.shape.rank
        if rank not in (1, 2) or (isinstance(ids, tf.RaggedTensor) and ids.ragged_rank != 1):
            raise ValueError(f"`ids` must be one sequence or a batch of them. Received: {ids!r}")
        batch = ids if rank == 2 else tf.expand_dims(ids, 0)
        if not isinstance(batch, tf.RaggedTensor):
            batch = tf.RaggedTensor.from_tensor(batch)
        flat = tf.cast(batch.flat_values, tf.int32)
        flat = tf.where((flat >= 0) & (flat < self.vocabulary_size), flat, UNK_ID)
        shown = batch.with_flat_values((flat == UNK_ID) | (flat >= NUM_SPECIAL_TOKENS))
        texts = self._detokenize_batch(tf.ragged.boolean_mask(batch.with_flat_values(flat), shown))
        texts = tf.strings.unicode_transcode(texts, "UTF-8", "UTF-8", errors="replace")
        return texts if rank == 2 else texts[0]

    def _tokenize_batch(self, texts):
        raise NotImplementedError

    def _detokenize_batch(self, ids):
        raise NotImplementedError


def require_vocabulary_size(vocabulary_size):
    """Returns `vocabulary_size` if it is an int above the 5 special tokens, else `ValueError`."""
    if require_positive_int("vocabulary_size", vocabulary_size) <= NUM_SPECIAL_TOKENS:
        raise ValueError(
            f"`vocabulary_size` must exceed the {NUM_SPECIAL_TOKENS} special tokens. "
            f"Received: vocabulary_size={vocabulary_size}"
        )
    return vocabulary_size


def warn_if_short(kind, asked, reached):
    """Warns when a trained vocabulary has fewer tokens than asked."""
    if reached < asked:
        warnings.warn(
            f"{kind} vocabulary: asked for vocabulary_size={asked}, the corpus gave {reached}.",
            stacklevel=3,
        )


def _add_bos_eos(ids, add_bos, add_eos):
    column_shape = tf.stack([ids.nrows(out_type=tf.int32), 1])
    parts = [ids]
    if add_bos:
        parts.insert(0, tf.fill(column_shape, BOS_ID))
    if add_eos:
        parts.append(tf.fill(column_shape, EOS_ID))
    return tf.concat(parts, axis=1) if len(parts) > 1 else ids


def _python_texts_to_tensor(texts):
    if isinstance(texts, (str, bytes)):
        return tf.constant(_utf8_bytes(texts))
    if isinstance(texts, (list, tuple, np.ndarray)):
        return tf.constant([_utf8_bytes(text) for text in texts], dtype=tf.string, shape=[len(texts)])
    raise TypeError(
        f"`texts` must be a str, bytes, a list/array of them, or a tf.string tensor. Received: {type(texts).__name__}"
    )


def _utf8_bytes(text):
    if isinstance(text, bytes):
        return text
    if isinstance(text, str):
        # "surrogatepass" lets lone surrogates through, so the in-graph cleaning replaces them.
        return text.encode("utf-8", "surrogatepass")
    raise TypeError(f"Every text must be a str or bytes. Received: {type(text).__name__}")


def _tensor_ids_to_python(ids):
    if isinstance(ids, tf.RaggedTensor):
        return np.split(ids.flat_values.numpy(), ids.row_splits.numpy()[1:-1])
    return ids.numpy()


def _python_ids_to_tensor(ids):
    if isinstance(ids, np.ndarray) and ids.dtype != object:
        if ids.ndim not in (1, 2):
            raise ValueError(f"`ids` must be 1-D or 2-D. Received shape: {ids.shape}")
        return tf.constant(ids.astype(np.int64))
    if not isinstance(ids, (list, tuple, np.ndarray)):
        raise TypeError(f"`ids` must be a sequence of ints or of sequences. Received: {ids!r}")
    if all(isinstance(i, numbers.Integral) for i in ids):
        return tf.constant(np.asarray(ids, dtype=np.int64).reshape([-1]))
    rows = [np.asarray(row, dtype=np.int64).reshape([-1]) for row in ids]
    # Padding with pad_id is free: detokenizing drops it.
    padded = np.full([len(rows), max([len(row) for row in rows], default=0)], PAD_ID, np.int64)
    for i, row in enumerate(rows):
        padded[i, : len(row)] = row
    return tf.constant(padded)
