"""Text fidelity of each tokenizer kind: detokenize(tokenize(reference)) against the reference.

For every shared data set a generation task is scored on (Multi30k, spa-eng, SAMSum, WikiText-2),
each tokenizer setting is trained on the train split's text, as `zoo train` trains it (the recipe's
`tokenizer_texts`, `--vocabulary-size 8000`), and the validation references (the recipe's
`reference_texts`: targets, summaries, lines) are passed through it. Prints one Markdown row per
data set and setting: sacreBLEU of the round trip, the fraction given back exactly, and the mean
tokens per reference (the price: longer sequences cost training and decoding time).

    python benchmarks/round_trip.py
    python benchmarks/round_trip.py --datasets multi30k --references 200 --json
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `zoo`, `recipes` and `benchmarks` importable
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks.generate import cpu_description  # noqa: E402
from recipes import get_recipe  # noqa: E402
from zoo.data import read_summarization, read_text, read_translation  # noqa: E402
from zoo.metrics import tokenizer_round_trip  # noqa: E402
from zoo.tokenizers import train_tokenizer  # noqa: E402

# name -> (folder, train file, valid file, task, reader)
DATASETS = {
    "multi30k": ("multi30k_en_de", "train.tsv", "valid.tsv", "translation", read_translation),
    "spa_eng": ("spa_eng", "train.tsv", "valid.tsv", "translation", read_translation),
    "samsum": ("samsum", "train.jsonl", "valid.jsonl", "summarization", read_summarization),
    "wikitext2": ("wikitext2", "train.txt", "valid.txt", "clm", read_text),
}
# setting -> (kind, options); "sentencepiece" is zoo's lossless default, "sentencepiece-nmt" the library's own.
SETTINGS = {
    "wordpiece-uncased": ("wordpiece", {"lowercase": True}),
    "wordpiece-cased": ("wordpiece", {"lowercase": False}),
    "sentencepiece-nmt": (
        "sentencepiece",
        {
            "normalization_rule_name": "nmt_nfkc",
            "byte_fallback": False,
            "remove_extra_whitespaces": True,
            "add_dummy_prefix": True,
        },
    ),
    "sentencepiece": ("sentencepiece", {}),
    "byte": ("byte", {}),
}


def measure(name, setting, data_root, vocabulary_size, references):
    """`{"data", "setting", "tokenizer_round_trip_bleu", "tokenizer_round_trip_exact", ...}` of one cell."""
    folder, train_file, valid_file, task, reader = DATASETS[name]
    recipe = get_recipe(task)
    train_rows = reader(Path(data_root) / folder / train_file)
    texts = recipe.reference_texts(reader(Path(data_root) / folder / valid_file))
    texts = texts[:references] if references else texts
    kind, options = SETTINGS[setting]
    started = time.perf_counter()
    if kind == "byte":
        tokenizer = train_tokenizer("byte", [])
    else:
        tokenizer = train_tokenizer(kind, recipe.tokenizer_texts(train_rows), vocabulary_size, **options)
    tokens = sum(len(ids) for ids in tokenizer.tokenize(texts)) / len(texts)
    return {
        "data": name,
        "setting": setting,
        "references": len(texts),
        "vocabulary_size": tokenizer.vocabulary_size,
        **tokenizer_round_trip(tokenizer, texts),
        "tokens_per_reference": round(tokens, 2),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder of the data sets")
    parser.add_argument("--vocabulary-size", type=int, default=8000)
    parser.add_argument("--references", type=int, default=None, help="at most this many per data set")
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    args = parser.parse_args()
    machine = cpu_description()
    if not args.json:
        print(f"CPU: {machine['cpu']}, {machine['cores']} cores\n")
        print("| data | setting | vocabulary | round-trip BLEU | exact | tokens per reference |")
        print("|---|---|---|---|---|---|")
    for name in args.datasets.split(","):
        for setting in args.settings.split(","):
            row = measure(name, setting, args.data, args.vocabulary_size, args.references)
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                print(
                    f"| {name} | {setting} | {row['vocabulary_size']:,} | {row['tokenizer_round_trip_bleu']:.2f} | "
                    f"{100 * row['tokenizer_round_trip_exact']:.1f}% | {row['tokens_per_reference']:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
