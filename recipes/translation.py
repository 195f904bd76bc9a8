"""Translation: LSTM with attention, encoder-decoder Transformer, or decoder-only GPT.

Data: a headerless TSV `source<TAB>target` (any reader format via `zoo.data.read_translation`).
Metrics: `bleu`, `chrf` (sacrebleu, 0-100), `rouge1/2/L`, `loss`, `perplexity`.

Example:

    zoo train translation --model transformer --size small --data train.tsv --valid valid.tsv --decoding beam
"""

from recipes.seq2seq import Seq2SeqRecipe
from zoo.data import read_translation


class Translation(Seq2SeqRecipe):
    task = "translation"
    corpus = "translation"
    primary_metric = ("bleu", "max")
    _LENGTHS = {"seq_len": 64, "target_len": 64}
    # Beam 4 (alpha 0.6) and no repeated trigram: on a 25-minute Multi30k run BLEU 38.1 against
    # greedy's 36.5 (300 validation pairs, benchmarks/decoding.py); other families not measured.
    FAMILY_DEFAULTS = {
        "lstm": {"learning_rate": 3e-3, **_LENGTHS},
        "transformer": {"learning_rate": 1e-3, "decoding": "beam", "no_repeat_ngram": 3, **_LENGTHS},
        "gpt": {"learning_rate": 1e-3, **_LENGTHS},
    }

    def read(self, path, config):
        return read_translation(path, on_bad_row=config.on_bad_row)
