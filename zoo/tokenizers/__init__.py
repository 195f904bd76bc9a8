"""Tokenizers trained on the user's data, identical in Python, tf.data and exported graphs.

Kinds: WordPiece, SentencePiece (unigram / BPE), byte-level, and the byte-level BPE of an
imported GPT-2 checkpoint, all with pad=0, unk=1, bos=2, eos=3, mask=4. Train with
`train_tokenizer` (or `<Kind>.train`), save with `tokenizer.save(directory)`, load with
`load_tokenizer(directory)`.
"""

from zoo.tokenizers.base import Tokenizer
from zoo.tokenizers.byte_pair_tokenizer import BytePairTokenizer
from zoo.tokenizers.byte_tokenizer import ByteTokenizer
from zoo.tokenizers.kinds import KINDS, train_tokenizer
from zoo.tokenizers.saving import load_tokenizer
from zoo.tokenizers.sentencepiece_tokenizer import SentencePieceTokenizer, VocabularyTooSmall
from zoo.tokenizers.wordpiece_tokenizer import WordPieceTokenizer

__all__ = [
    "KINDS",
    "BytePairTokenizer",
    "ByteTokenizer",
    "SentencePieceTokenizer",
    "Tokenizer",
    "VocabularyTooSmall",
    "WordPieceTokenizer",
    "load_tokenizer",
    "train_tokenizer",
]
