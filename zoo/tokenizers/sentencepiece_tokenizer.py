"""SentencePiece (unigram or BPE): trained by `sentencepiece`, tokenized by tensorflow-text."""

import io

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


class SentencePieceTokenizer(Tokenizer):
    """SentencePiece over raw text, from a serialized model proto.

    Runs as TensorFlow ops (`tensorflow_text.SentencepieceTokenizer`). Detokenizing the ids of
    normalized text gives the text back exactly; unknown pieces come back as " ⁇ ".

    Args:
        model_proto: bytes of a SentencePiece model whose pieces 0..4 are "<pad>", "<unk>",
            "<s>", "</s>", "<mask>" (as `train` makes them).

    Example:

    >>> tokenizer = SentencePieceTokenizer.train(texts, 8000, model_type="unigram")
    >>> tokenizer.detokenize(tokenizer.tokenize("A dog runs."))
    'A dog runs.'
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

        `learn_params` go to the trainer (e.g. `character_coverage`, `byte_fallback`,
        `input_sentence_size`, `max_sentencepiece_length`, `user_defined_symbols`).
        `hard_vocab_limit` defaults to False, so a corpus too small for `vocabulary_size` gives
        a smaller vocabulary (with a warning) instead of an error.
        """
        require_vocabulary_size(vocabulary_size)
        require_choice("model_type", model_type, MODEL_TYPES)
        reserved = sorted(set(learn_params) & set(_RESERVED_TRAINER_ARGS))
        if reserved:
            raise ValueError(f"SentencePiece trainer arguments {reserved} are set by the tokenizer.")
        model = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=_clean_nonempty(texts),
            model_writer=model,
            vocab_size=vocabulary_size,
            model_type=model_type,
            pad_id=0,
            unk_id=1,
            bos_id=2,
            eos_id=3,
            pad_piece=cls.SPECIAL_TOKENS[0],
            unk_piece=cls.SPECIAL_TOKENS[1],
            bos_piece=cls.SPECIAL_TOKENS[2],
            eos_piece=cls.SPECIAL_TOKENS[3],
            control_symbols=[cls.SPECIAL_TOKENS[4]],
            **{"hard_vocab_limit": False, "minloglevel": 1, **learn_params},
        )
        tokenizer = cls(model.getvalue())
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
