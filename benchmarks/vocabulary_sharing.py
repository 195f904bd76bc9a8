"""One vocabulary for both languages or one per language: what each costs in tokens per sentence.

The translation recipe trains one SentencePiece vocabulary on sources and targets together, so
the encoder and decoder share an embedding table (and copy attention can point at source tokens).
A vocabulary per language gives each side all of its pieces. For each translation data set this
script trains, on the train split as `zoo train` does (the lossless default settings):

- `joint N`: one vocabulary of N pieces on both sides (the recipe's default, N = 8,000);
- `joint 2N`: one vocabulary of 2N pieces, as many embedding rows as two per-language ones;
- `per-language N`: a source vocabulary and a target vocabulary of N pieces each, each trained
  on its own side.

and prints the mean tokens per validation source and per validation target (sequence lengths,
so training and decoding cost) and the embedding rows each needs.

    python benchmarks/vocabulary_sharing.py
    python benchmarks/vocabulary_sharing.py --datasets multi30k --vocabulary-size 4000 --json
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `zoo` and `benchmarks` importable
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks.generate import cpu_description  # noqa: E402
from zoo.data import read_translation  # noqa: E402
from zoo.tokenizers import train_tokenizer  # noqa: E402

DATASETS = {"multi30k": "multi30k_en_de", "spa_eng": "spa_eng"}


def mean_tokens(tokenizer, texts):
    return sum(len(ids) for ids in tokenizer.tokenize(texts)) / len(texts)


def measure(name, data_root, size):
    """One row per setting: `{"data", "setting", "embedding_rows", "source_tokens", "target_tokens"}`."""
    folder = Path(data_root) / DATASETS[name]
    train, valid = read_translation(folder / "train.tsv"), read_translation(folder / "valid.tsv")
    sides = {side: ([row[side] for row in train], [row[side] for row in valid]) for side in ("source", "target")}
    both = sides["source"][0] + sides["target"][0]
    rows = []
    for setting, vocabulary_size in ((f"joint {size}", size), (f"joint {2 * size}", 2 * size)):
        tokenizer = train_tokenizer("sentencepiece", both, vocabulary_size)
        rows.append(
            {
                "setting": setting,
                "embedding_rows": tokenizer.vocabulary_size,
                **{f"{side}_tokens": mean_tokens(tokenizer, texts[1]) for side, texts in sides.items()},
            }
        )
    per_language = {side: train_tokenizer("sentencepiece", texts[0], size) for side, texts in sides.items()}
    rows.append(
        {
            "setting": f"per-language {size}",
            "embedding_rows": sum(tokenizer.vocabulary_size for tokenizer in per_language.values()),
            **{f"{side}_tokens": mean_tokens(per_language[side], texts[1]) for side, texts in sides.items()},
        }
    )
    return [{"data": name, **row} for row in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder of the data sets")
    parser.add_argument("--vocabulary-size", type=int, default=8000, help="N: the recipe's default")
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    args = parser.parse_args()
    if not args.json:
        machine = cpu_description()
        print(f"CPU: {machine['cpu']}, {machine['cores']} cores\n")
        print("| data | setting | embedding rows | tokens per source | tokens per target |")
        print("|---|---|---|---|---|")
    for name in args.datasets.split(","):
        for row in measure(name, args.data, args.vocabulary_size):
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                print(
                    f"| {name} | {row['setting']} | {row['embedding_rows']:,} | {row['source_tokens']:.2f} | "
                    f"{row['target_tokens']:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
