"""The tokenizer kinds by name, and training one by name."""

from zoo.tokenizers.byte_pair_tokenizer import BytePairTokenizer
from zoo.tokenizers.byte_tokenizer import ByteTokenizer
from zoo.tokenizers.sentencepiece_tokenizer import SentencePieceTokenizer
from zoo.tokenizers.wordpiece_tokenizer import WordPieceTokenizer
from zoo.validation import require_choice

# "byte_bpe" comes with an imported checkpoint (`zoo.checkpoints`); its `train` says so.
KINDS = {cls.kind: cls for cls in (WordPieceTokenizer, SentencePieceTokenizer, ByteTokenizer, BytePairTokenizer)}


def train_tokenizer(kind, texts, vocabulary_size=None, **options):
    """Trains a tokenizer of `kind` ("wordpiece", "sentencepiece" or "byte") on `texts`.

    `options` go to the kind's `train`: `lowercase`, `max_bytes_per_word` and the learner's
    parameters for WordPiece; `model_type` ("unigram" or "bpe") and trainer arguments for
    SentencePiece. A byte tokenizer learns nothing and takes no `vocabulary_size`.

    Example:

        tokenizer = train_tokenizer("sentencepiece", texts, 8000, model_type="bpe")
        tokenizer.vocabulary_size  # 8000
    """
    require_choice("kind", kind, tuple(KINDS))
    return KINDS[kind].train(texts, vocabulary_size, **options)
