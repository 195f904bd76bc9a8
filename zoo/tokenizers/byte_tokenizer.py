"""Byte-level tokenizer: the UTF-8 bytes of the text, shifted past the special ids. No training."""

import tensorflow as tf

from zoo.tokenizers.base import NUM_SPECIAL_TOKENS, UNK_ID, Tokenizer

_REPLACEMENT_CHARACTER = "\ufffd".encode("utf-8")


class ByteTokenizer(Tokenizer):
    """Maps each UTF-8 byte `b` to id `b + 5`; ids 0..4 are the special tokens.

    Nothing is unknown and nothing is learned: `vocabulary_size` is always 261, and
    detokenizing gives the text back exactly (unk, never produced by tokenizing, renders
    as U+FFFD, as does a byte sequence that is not valid UTF-8).

    Example:

        ByteTokenizer().tokenize(["hi", "é"])  # [array([109, 110], dtype=int32), array([200, 174], dtype=int32)]
    """

    kind = "byte"
    SPECIAL_TOKENS = ("<pad>", "<unk>", "<s>", "</s>", "<mask>")

    def __init__(self, name=None):
        super().__init__(name=name)
        surfaces = [b""] * NUM_SPECIAL_TOKENS + [bytes([b]) for b in range(256)]
        surfaces[UNK_ID] = _REPLACEMENT_CHARACTER
        self._surfaces = tf.constant(surfaces)

    @classmethod
    def train(cls, texts=None, vocabulary_size=None):
        """Returns a `ByteTokenizer` (nothing to learn); accepted for a uniform interface."""
        if vocabulary_size not in (None, NUM_SPECIAL_TOKENS + 256):
            raise ValueError(
                f"A byte tokenizer always has {NUM_SPECIAL_TOKENS + 256} tokens. "
                f"Received: vocabulary_size={vocabulary_size}"
            )
        return cls()

    @classmethod
    def from_assets(cls, assets, options):
        return cls(**options)

    def get_vocabulary(self):
        return list(self.SPECIAL_TOKENS) + [f"<0x{b:02X}>" for b in range(256)]

    def _tokenize_batch(self, texts):
        byte_strings = tf.strings.bytes_split(texts)
        # decode_raw reads each 1-byte string as one uint8; reshape also covers an empty batch.
        return tf.ragged.map_flat_values(
            lambda flat: tf.reshape(tf.cast(tf.io.decode_raw(flat, tf.uint8), tf.int32), [-1]) + NUM_SPECIAL_TOKENS,
            byte_strings,
        )

    def _detokenize_batch(self, ids):
        return tf.strings.reduce_join(tf.gather(self._surfaces, ids), axis=1)
