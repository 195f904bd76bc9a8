"""Decoding settings side by side on a finished run: greedy, beam with length penalties, the n-gram ban.

Decodes the first `--examples` rows of a validation file with each setting, as the run's recipe
does (`zoo evaluate RUN --data FILE --decoding ... --no-repeat-ngram ...` gives the same scores),
and prints one Markdown row per setting: BLEU, chrF, ROUGE-1/2/L, the mean output length in
words against the references', the share of outputs that repeat a word trigram (loops), and the
decoding time.

    python benchmarks/decoding.py runs/multi30k --data ../shared/data/multi30k_en_de/valid.tsv
    python benchmarks/decoding.py runs/samsum --data ../shared/data/samsum/valid.jsonl --examples 300 --json
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
from zoo.metrics import bleu, chrf, rouge  # noqa: E402
from zoo.training.config import TrainConfig  # noqa: E402
from zoo.training.trainer import load_run  # noqa: E402

# name -> TrainConfig decoding fields (`nr N`: --no-repeat-ngram N; `a`: the length penalty's alpha)
SETTINGS = {
    "greedy": {"decoding": "greedy", "no_repeat_ngram": 0},
    "greedy nr3": {"decoding": "greedy", "no_repeat_ngram": 3},
    "beam4 a0.6": {"decoding": "beam", "beam_size": 4, "length_penalty": 0.6, "no_repeat_ngram": 0},
    "beam4 a0.6 nr3": {"decoding": "beam", "beam_size": 4, "length_penalty": 0.6, "no_repeat_ngram": 3},
    "beam4 a1.0 nr3": {"decoding": "beam", "beam_size": 4, "length_penalty": 1.0, "no_repeat_ngram": 3},
    "beam4 a2.0 nr3": {"decoding": "beam", "beam_size": 4, "length_penalty": 2.0, "no_repeat_ngram": 3},
}


def repeats_a_trigram(text):
    words = text.split()
    trigrams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    return len(set(trigrams)) < len(trigrams)


def measure(recipe, model, tokenizer, info, saved, rows, settings):
    config = TrainConfig(**{**saved, **settings})
    started = time.perf_counter()
    outputs = recipe.translate(model, tokenizer, info, [row["source"] for row in rows], config)
    seconds = time.perf_counter() - started
    references = [row["target"] for row in rows]
    return {
        "bleu": bleu(outputs, references),
        "chrf": chrf(outputs, references),
        **rouge(outputs, references),
        "words": sum(len(o.split()) for o in outputs) / len(outputs),
        "reference_words": sum(len(r.split()) for r in references) / len(references),
        "loops": sum(map(repeats_a_trigram, outputs)) / len(outputs),
        "seconds": seconds,
        "examples": len(rows),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("--data", required=True, help="a validation file in the run's task format")
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--settings", default=",".join(SETTINGS), help="comma-separated names of SETTINGS")
    parser.add_argument("--json", action="store_true", help="one JSON object per setting instead of a table")
    args = parser.parse_args()

    model, tokenizer, info, saved = load_run(args.run)
    recipe = get_recipe(saved["task"])
    rows = recipe.read(args.data, TrainConfig(**saved))[: args.examples]
    print(f"CPU: {cpu_description()}; run {args.run}; {len(rows)} examples of {args.data}", file=sys.stderr)
    if not args.json:
        print("| decoding | bleu | chrf | rouge1 | rouge2 | rougeL | words (reference) | loops | seconds |")
        print("|---|---|---|---|---|---|---|---|---|")
    for name in args.settings.split(","):
        result = measure(recipe, model, tokenizer, info, saved, rows, SETTINGS[name])
        if args.json:
            print(json.dumps({"setting": name, **result}))
        else:
            print(
                f"| {name} | {result['bleu']:.2f} | {result['chrf']:.2f} | {result['rouge1']:.4f} | "
                f"{result['rouge2']:.4f} | {result['rougeL']:.4f} | {result['words']:.1f} "
                f"({result['reference_words']:.1f}) | {result['loops']:.1%} | {result['seconds']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
