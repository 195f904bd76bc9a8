"""WordPiece (BERT): vocabulary learned by tensorflow-text, tokenized by FastWordpieceTokenizer."""

import collections

import tensorflow as tf
import tensorflow_text as tf_text

# tensorflow-text's own vocabulary tool imports BasicTokenizer from this module: it is the
# BERT word splitting (whitespace, punctuation, CJK characters) the learner was designed for.
from tensorflow_text.python.ops.bert_tokenizer import BasicTokenizer
from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib as learner

from zoo.tokenizers.base import NUM_SPECIAL_TOKENS, Tokenizer, require_vocabulary_size, warn_if_short
from zoo.validation import require_choice, require_positive_int

SUFFIX_INDICATOR = "##"
LOWERCASE_RULES = ("case_fold", "lower")
LEARN_PARAMS = (
    "upper_thresh",
    "lower_thresh",
    "num_iterations",
    "max_input_tokens",
    "max_token_length",
    "max_unique_chars",
)
_TRAINING_BATCH = 4096


class WordPieceTokenizer(Tokenizer):
    """BERT WordPiece: BERT basic splitting, then greedy longest-match pieces ("##" suffixes).

    Runs as TensorFlow ops (`BasicTokenizer` + `FastWordpieceTokenizer` from tensorflow-text).
    Words longer than `max_bytes_per_word` become `[UNK]`. Detokenized text is the normalized
    words joined by spaces (lowercased and accent-stripped when `lowercase`).

    Args:
        vocabulary: list of tokens; its first five are "[PAD]", "[UNK]", "[CLS]", "[SEP]",
            "[MASK]" (ids 0..4).
        lowercase: lowercase and strip accents before splitting (BERT "uncased").
        max_bytes_per_word: longer words are mapped to `[UNK]`.
        lowercase_rule: how `lowercase` lowers: "case_fold" (tensorflow-text's Unicode case folding,
            "ß" -> "ss"; what the zoo trains with, and keras-hub) or "lower" (Unicode lower case,
            "ß" stays: BERT's and Hugging Face's uncased tokenizers).
        strip_accents: remove accents (NFD, then drop the combining marks); `None` follows
            `lowercase` (BERT cased and uncased). keras-hub's uncased BERT lower-cases and keeps them.

    Example:

        tokenizer = WordPieceTokenizer.train(texts, vocabulary_size=8000)
        ids = tokenizer.tokenize(["A dog runs."], add_bos=True, add_eos=True)
        tokenizer.detokenize(ids)  # ['a dog runs .']
    """

    kind = "wordpiece"
    SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
    OPTION_NAMES = ("lowercase", "max_bytes_per_word", "lowercase_rule", "strip_accents")

    def __init__(
        self,
        vocabulary,
        lowercase=True,
        max_bytes_per_word=100,
        lowercase_rule="case_fold",
        strip_accents=None,
        name=None,
    ):
        super().__init__(name=name)
        self._vocabulary = _checked_vocabulary(vocabulary, self.SPECIAL_TOKENS)
        self.lowercase = bool(lowercase)
        self.max_bytes_per_word = require_positive_int("max_bytes_per_word", max_bytes_per_word)
        self.lowercase_rule = require_choice("lowercase_rule", lowercase_rule, LOWERCASE_RULES)
        self.strip_accents = self.lowercase if strip_accents is None else bool(strip_accents)
        # tensorflow-text's BasicTokenizer case-folds and strips accents together, or does neither;
        # any other combination is normalized here and split without it.
        bert_basic = self.strip_accents == self.lowercase and (not self.lowercase or lowercase_rule == "case_fold")
        self._normalizes_itself = not bert_basic
        self._splitter = BasicTokenizer(lower_case=self.lowercase and bert_basic)
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=self._vocabulary,
            suffix_indicator=SUFFIX_INDICATOR,
            max_bytes_per_word=self.max_bytes_per_word,
            token_out_type=tf.int32,
            unknown_token=self.SPECIAL_TOKENS[1],
            no_pretokenization=True,
            support_detokenization=True,
        )

    @classmethod
    def train(cls, texts, vocabulary_size, lowercase=True, max_bytes_per_word=100, **learn_params):
        """Learns a vocabulary of at most `vocabulary_size` tokens from an iterable of strings.

        `learn_params` go to tensorflow-text's `wordpiece_tokenizer_learner_lib.learn` (names in
        `LEARN_PARAMS`); `lower_thresh` and `upper_thresh` bound the count threshold searched.
        Unlike tensorflow-text's default (and keras-hub's `compute_word_piece_vocabulary`),
        `lower_thresh` defaults to 1, so pieces seen fewer than 10 times can fill the asked
        size. Warns when the corpus cannot fill it.
        """
        require_vocabulary_size(vocabulary_size)
        unknown = sorted(set(learn_params) - set(LEARN_PARAMS))
        if unknown:
            raise ValueError(f"Unknown WordPiece learn parameters {unknown}; known: {list(LEARN_PARAMS)}")
        word_counts = _count_words(texts, BasicTokenizer(lower_case=lowercase))
        if not word_counts:
            raise ValueError("`texts` hold no words to learn a WordPiece vocabulary from.")
        vocabulary = _learn_vocabulary(word_counts, vocabulary_size, list(cls.SPECIAL_TOKENS), **learn_params)
        warn_if_short("WordPiece", vocabulary_size, len(vocabulary))
        return cls(vocabulary, lowercase=lowercase, max_bytes_per_word=max_bytes_per_word)

    @classmethod
    def from_assets(cls, assets, options):
        try:
            text = assets["vocabulary"].decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"The WordPiece vocabulary file is not UTF-8 text: {error}") from error
        return cls(text.removesuffix("\n").split("\n"), **options)

    def get_vocabulary(self):
        return list(self._vocabulary)

    def _assets(self):
        return {"vocabulary": ("vocab.txt", "".join(t + "\n" for t in self._vocabulary).encode("utf-8"))}

    def _options(self):
        return {
            "lowercase": self.lowercase,
            "max_bytes_per_word": self.max_bytes_per_word,
            "lowercase_rule": self.lowercase_rule,
            "strip_accents": self.strip_accents,
        }

    def _tokenize_batch(self, texts):
        if self._normalizes_itself:
            if self.strip_accents:
                texts = tf.strings.regex_replace(tf_text.normalize_utf8(texts, "NFD"), r"\p{Mn}", "")
            if self.lowercase and self.lowercase_rule == "case_fold":
                texts = tf_text.case_fold_utf8(texts)
            elif self.lowercase:
                texts = tf.strings.lower(texts, encoding="utf-8")
        return self._wordpiece.tokenize(self._splitter.tokenize(texts)).merge_dims(1, 2)

    def _detokenize_batch(self, ids):
        return self._wordpiece.detokenize(ids)


def _count_words(texts, splitter):
    # Counted here rather than by `learner.count_words`, which fails on a corpus with no words.
    counts = collections.Counter()
    for batch in _string_batches(texts):
        batch = tf.strings.unicode_transcode(batch, "UTF-8", "UTF-8", errors="replace")
        counts.update(splitter.tokenize(batch).flat_values.numpy())
    return {word.decode("utf-8"): count for word, count in counts.items()}


def _learn_vocabulary(word_counts, vocabulary_size, reserved_tokens, lower_thresh=1, upper_thresh=None, **learn_params):
    """The vocabulary of the highest count threshold that still fills `vocabulary_size`, cut to it.

    Hand-written search because tensorflow-text's own stops wherever its bisection lands, up to
    5% short of the size or more (365 of 400 on the test corpus); here only the least frequent
    pieces of a threshold's vocabulary are cut (the learner lists them last).
    """

    def learn_at(threshold):
        return learner.learn(
            word_counts,
            vocabulary_size,
            reserved_tokens,
            lower_thresh=threshold,
            upper_thresh=threshold,
            **learn_params,
        )

    low, high = lower_thresh, upper_thresh or max(word_counts.values())
    best = learn_at(low)
    if len(best) <= vocabulary_size:
        return best
    while low < high:  # invariant: the vocabulary at `low` has at least `vocabulary_size` tokens
        middle = (low + high + 1) // 2
        vocabulary = learn_at(middle)
        if len(vocabulary) >= vocabulary_size:
            low, best = middle, vocabulary
        else:
            high = middle - 1
    return best[:vocabulary_size]


def _checked_vocabulary(vocabulary, special_tokens):
    vocabulary = list(vocabulary)
    if tuple(vocabulary[:NUM_SPECIAL_TOKENS]) != special_tokens:
        raise ValueError(
            f"A WordPiece vocabulary must start with {list(special_tokens)}. "
            f"Received: {vocabulary[:NUM_SPECIAL_TOKENS]}"
        )
    # The vocabulary file holds one token per line.
    bad = [token for token in vocabulary if not isinstance(token, str) or not token or set(token) & {"\n", "\r"}]
    if bad:
        raise ValueError(f"WordPiece tokens must be non-empty strings without line breaks. Received: {bad[:5]}")
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError("A WordPiece vocabulary must not repeat a token.")
    return vocabulary


def _string_batches(texts):
    batch = []
    for text in texts:
        batch.append(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        if len(batch) == _TRAINING_BATCH:
            yield tf.constant(batch, dtype=tf.string)
            batch = []
    if batch:
        yield tf.constant(batch, dtype=tf.string)
