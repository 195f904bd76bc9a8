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
    FAMILY_DEFAULTS = {
        "lstm": {"learning_rate": 3e-3, **_LENGTHS},
        "transformer": {"learning_rate": 1e-3, **_LENGTHS},
        "gpt": {"learning_rate": 1e-3, **_LENGTHS},
    }

    def read(self, path, config):
        return read_translation(path, on_bad_row=config.on_bad_row)
