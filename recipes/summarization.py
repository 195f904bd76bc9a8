"""Summarization: LSTM with attention, encoder-decoder Transformer, or decoder-only GPT.

Data: JSONL with `document` and `summary` fields (any reader format via
`zoo.data.read_summarization`). Metrics: `rouge1/2/L` (rouge-score F-measure, stemmed),
`bleu`, `chrf`, `loss`, `perplexity`.

Example:

    zoo train summarization --model transformer --data train.jsonl --valid valid.jsonl --seq-len 512
"""

from recipes.seq2seq import Seq2SeqRecipe
from zoo.data import read_summarization


class Summarization(Seq2SeqRecipe):
    task = "summarization"
    corpus = "summarization"
    primary_metric = ("rouge1", "max")
    _LENGTHS = {"seq_len": 256, "target_len": 64}
    FAMILY_DEFAULTS = {
        "lstm": {"learning_rate": 3e-3, **_LENGTHS},
        "transformer": {"learning_rate": 1e-3, **_LENGTHS},
        "gpt": {"learning_rate": 1e-3, **_LENGTHS},
    }

    def read(self, path, config):
        return read_summarization(path, on_bad_row=config.on_bad_row)
