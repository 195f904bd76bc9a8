"""SentencePiece (unigram or BPE): trained by `sentencepiece`, tokenized by tensorflow-text."""

import io
import re
import tempfile
from pathlib import Path

import sentencepiece
import tensorflow as tf
import tensorflow_text as tf_text

from zoo.tokenizers.base import NUM_SPECIAL_TOKENS, Tokenizer, require_vocabulary_size, warn_if_short
from zoo.validation import require_choice

MODEL_TYPES = ("unigram", "bpe")
# Trainer arguments this class sets itself: the fixed special ids and the in-memory I/O.
_RESERVED_TRAINER_ARGS = (
    "input",
    "sentence_iterator",
    "model_writer",
    "model_prefix",
    "vocab_size",
    "model_type",
    "pad_id",
    "unk_id",
    "bos_id",
    "eos_id",
    "pad_piece",
    "unk_piece",
    "bos_piece",
    "eos_piece",
    "control_symbols",
)
# Trainer settings under which detokenize(tokenize(text)) == text for every valid UTF-8 text:
# no Unicode normalization, whitespace kept as it is (runs, leading, trailing, tabs, newlines),
# no space added before the first word, and characters outside the vocabulary spelt as UTF-8 bytes
# instead of <unk>. Measured on the references of the shared data sets (`benchmarks/round_trip.py`):
# 100% exact, where sentencepiece's own defaults give 99.0-99.2% (an <unk> for each rare
# character) and 0% on WikiText-2 (leading spaces dropped).
LOSSLESS_TRAINER_ARGS = {"byte_fallback": True, "remove_extra_whitespaces": False, "add_dummy_prefix": False}
# "No normalization" spelt as a one-rule table (the noncharacter U+FFFF becomes U+FFFD, as invalid UTF-8
# does) rather than `normalization_rule_name="identity"`, whose empty character map makes
# tensorflow-text's kernel log "precompiled_charsmap is empty" on every run; sentencepiece refuses
# a rule mapping a character to itself.
_NEAR_IDENTITY_RULE = "FFFF\tFFFD\n"
_NORMALIZATION_ARGS = ("normalization_rule_name", "normalization_rule_tsv")


class VocabularyTooSmall(ValueError):
    """`vocabulary_size` leaves no room for the corpus's characters; `needed` is the least that does."""

    def __init__(self, message, needed):
        super().__init__(message)
        self.needed = needed


class SentencePieceTokenizer(Tokenizer):
    """SentencePiece over raw text, from a serialized model proto.

    Runs as TensorFlow ops (`tensorflow_text.SentencepieceTokenizer`). Trained with the default
    (lossless) settings, detokenizing gives any text back exactly: case, accents, punctuation and
    whitespace. Models trained with other settings give back their normalized text, with
    " ⁇ " for unknown pieces.

    Args:
        model_proto: bytes of a SentencePiece model whose pieces 0..4 are "<pad>", "<unk>",
            "<s>", "</s>", "<mask>" (as `train` makes them).

    Example:

        tokenizer = SentencePieceTokenizer.train(texts, 8000, model_type="unigram")
        tokenizer.detokenize(tokenizer.tokenize("Zwei Männer  laufen über die Straße."))
        # -> 'Zwei Männer  laufen über die Straße.'
    """

    kind = "sentencepiece"
    SPECIAL_TOKENS = ("<pad>", "<unk>", "<s>", "</s>", "<mask>")

    def __init__(self, model_proto, name=None):
        super().__init__(name=name)
        self._vocabulary = _checked_pieces(model_proto, self.SPECIAL_TOKENS)
        self._model_proto = bytes(model_proto)

    @classmethod
    def train(cls, texts, vocabulary_size, model_type="unigram", **learn_params):
        """Trains on an iterable of strings, in memory, with `sentencepiece.SentencePieceTrainer`.

        `learn_params` go to the trainer (e.g. `character_coverage`, `input_sentence_size`,
        `max_sentencepiece_length`, `user_defined_symbols`). By default the tokenizer is lossless
        (`LOSSLESS_TRAINER_ARGS` and no normalization): pass e.g. `byte_fallback=False` or
        `normalization_rule_name="nmt_nfkc"` for sentencepiece's own defaults. Byte fallback
        reserves 256 ids for the bytes, so `vocabulary_size` must exceed 261 plus the corpus's
        characters. `hard_vocab_limit` defaults to False, so a corpus too small for
        `vocabulary_size` gives a smaller vocabulary (with a warning) instead of an error.
        """
        require_vocabulary_size(vocabulary_size)
        require_choice("model_type", model_type, MODEL_TYPES)
        reserved = sorted(set(learn_params) & set(_RESERVED_TRAINER_ARGS))
        if reserved:
            raise ValueError(f"SentencePiece trainer arguments {reserved} are set by the tokenizer.")
        with tempfile.TemporaryDirectory() as folder:
            if not set(learn_params) & set(_NORMALIZATION_ARGS):
                rule = Path(folder) / "no_normalization.tsv"
                rule.write_text(_NEAR_IDENTITY_RULE, encoding="utf-8")
                learn_params["normalization_rule_tsv"] = str(rule)
            tokenizer = cls(
                _trained_model(
                    texts, vocabulary_size, model_type, cls.SPECIAL_TOKENS, {**LOSSLESS_TRAINER_ARGS, **learn_params}
                )
            )
        warn_if_short("SentencePiece", vocabulary_size, tokenizer.vocabulary_size)
        return tokenizer

    @classmethod
    def from_assets(cls, assets, options):
        return cls(assets["model"], **options)

    def get_vocabulary(self):
        return list(self._vocabulary)

    def _assets(self):
        return {"model": ("sentencepiece.model", self._model_proto)}

    def _tokenize_batch(self, texts):
        return self._sentencepiece().tokenize(texts)

    def _detokenize_batch(self, ids):
        return self._sentencepiece().detokenize(ids)

    def _sentencepiece(self):
        # Built per call, not once: its model lives in a kernel-owned resource that
        # tf.random.set_seed / keras clear_session (TF backend) delete in eager mode
        # (tensorflow-text TODO b/318839908). Re-creating it is a kernel-cache hit.
        return tf_text.SentencepieceTokenizer(model=self._model_proto, out_type=tf.int32)


def _trained_model(texts, vocabulary_size, model_type, special_tokens, learn_params):
    """The serialized model `SentencePieceTrainer` makes, with the special pieces at ids 0..4."""
    model = io.BytesIO()
    try:
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=_clean_nonempty(texts),
            model_writer=model,
            vocab_size=vocabulary_size,
            model_type=model_type,
            pad_id=0,
            unk_id=1,
            bos_id=2,
            eos_id=3,
            pad_piece=special_tokens[0],
            unk_piece=special_tokens[1],
            bos_piece=special_tokens[2],
            eos_piece=special_tokens[3],
            control_symbols=[special_tokens[4]],
            **{"hard_vocab_limit": False, "minloglevel": 1, **learn_params},
        )
    except RuntimeError as error:
        needed = re.search(r"Vocabulary size is smaller than required_chars\. \d+ vs (\d+)", str(error))
        if needed is None:
            raise
        raise VocabularyTooSmall(
            f"vocabulary_size={vocabulary_size} is too small for this corpus: its characters and the special "
            f"and byte-fallback pieces take {needed.group(1)} ids. Ask for more (8000 is typical), or pass "
            "byte_fallback=False to drop the 256 byte pieces (characters outside the vocabulary then "
            "come back as ⁇).",
            needed=int(needed.group(1)),
        ) from None
    return model.getvalue()


def _checked_pieces(model_proto, special_tokens):
    try:
        processor = sentencepiece.SentencePieceProcessor(model_proto=bytes(model_proto))
    except RuntimeError as error:
        raise ValueError(f"Not a valid SentencePiece model: {error}") from error
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    if tuple(pieces[:NUM_SPECIAL_TOKENS]) != special_tokens:
        raise ValueError(
            f"A SentencePiece model must have the pieces {list(special_tokens)} at ids 0..4. "
            f"Received: {pieces[:NUM_SPECIAL_TOKENS]}"
        )
    return pieces


def _clean_nonempty(texts):
    # The trainer reads Python strings: replace invalid UTF-8 the way tokenizing does in-graph.
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        text = text.encode("utf-8", "replace").decode("utf-8")
        if text:
            yield text
