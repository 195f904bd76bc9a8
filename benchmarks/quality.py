"""Quality on real data: each task's models trained on ../shared/data under one time budget, next to simple baselines.

Every model trains through the CLI (`zoo train ... --time-budget MINUTES`, the same recipes users
run) on the train split; the validation split picks the best checkpoint and gives the score. The
baselines (majority class, bag-of-words logistic regression, copy-the-source, LEAD-3,
LONGEST-3, unigram LM; `benchmarks/baselines.py`) are computed by this script on the same
splits. The test splits are never read. Prints one Markdown table per data set, with the
published from-scratch reference points to compare with.

    python benchmarks/quality.py --datasets imdb,sst2 --budget 20 --backend tensorflow
    python benchmarks/quality.py --datasets multi30k --models transformer --size small --budget 25
    python benchmarks/quality.py --datasets sst2 --models bert --size tiny --budget 8 --pretrain 12

With `--pretrain MINUTES` a classification data set gets a second row per pre-trainable family:
BERT pre-trained with masked LM (`zoo train mlm`), GPT with causal LM (`zoo train clm`), on
WikiText-2's train text plus the data set's own train texts (labels dropped), then fine-tuned
with `--init-from` under the same budget as the row trained from scratch.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `zoo` and `benchmarks` importable

from benchmarks import baselines  # noqa: E402
from benchmarks.generate import cpu_description  # noqa: E402
from zoo.data import read_classification, read_summarization, read_text, read_translation  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
# name -> (folder, train file, valid file, task, models, reader, extra flags, reference points)
DATASETS = {
    "imdb": (
        "imdb",
        "train.tsv.gz",
        "valid.tsv",
        "classification",
        ("lstm", "bert", "gpt", "fasttext"),
        read_classification,
        ["--seq-len", "256"],
        "keras-io: 1-block Transformer 87.5%, BiLSTM 84.3%; goal >= 88%",
    ),
    "sst2": (
        "sst2",
        "train.tsv",
        "valid.tsv",
        "classification",
        ("lstm", "bert", "gpt", "fasttext"),
        read_classification,
        ["--seq-len", "64"],
        "keras-io: MLM-pretrained 3-layer encoder 85.5% dev; goal >= 85.5%",
    ),
    "multi30k": (
        "multi30k_en_de",
        "train.tsv",
        "valid.tsv",
        "translation",
        ("lstm", "transformer", "gpt"),
        read_translation,
        [],
        "text-only Transformers ~35-38 BLEU (test2016); goal >= 35 BLEU",
    ),
    "spa_eng": (
        "spa_eng",
        "train.tsv",
        "valid.tsv",
        "translation",
        ("lstm", "transformer", "gpt"),
        read_translation,
        [],
        "keras-io 1+1-layer encoder-decoder ROUGE-1 0.58; goal >= 0.60",
    ),
    "samsum": (
        "samsum",
        "train.jsonl",
        "valid.jsonl",
        "summarization",
        ("lstm", "transformer", "gpt"),
        read_summarization,
        ["--seq-len", "512"],
        "paper: from-scratch ~37 ROUGE-1, LONGEST-3 ~32",
    ),
    "wikitext2": (
        "wikitext2",
        "train.txt",
        "valid.txt",
        "clm",
        ("lstm", "gpt"),
        read_text,
        ["--seq-len", "128"],
        "AWD-LSTM 68.6 valid word perplexity (33M params, long GPU run); goal <= 100",
    ),
}
METRICS = {
    "classification": ("accuracy", "macro_f1"),
    "translation": ("bleu", "chrf", "rouge1"),
    "summarization": ("rouge1", "rouge2", "rougeL"),
    "clm": ("word_perplexity", "perplexity"),
}


def baseline_rows(task, train_rows, valid_rows):
    if task == "classification":
        return {
            "majority class": baselines.majority_class(train_rows, valid_rows),
            "bag-of-words logistic regression": baselines.bag_of_words(train_rows, valid_rows),
        }
    if task == "translation":
        return {"copy the source": baselines.copy_source(valid_rows)}
    if task == "summarization":
        return {"LEAD-3": baselines.lead_3(valid_rows), "LONGEST-3": baselines.longest_3(valid_rows)}
    return {"unigram (add-one)": baselines.unigram_lm(train_rows, valid_rows)}


PRETRAINING = {"bert": "mlm", "gpt": "clm"}  # family -> pre-training task for `--pretrain`


def run_zoo_train(task, model, out, flags, args):
    """`zoo train TASK` in a subprocess; returns the run's (metrics, summary)."""
    command = [
        sys.executable,
        "-m",
        "recipes.cli",
        "train",
        task,
        "--model",
        model,
        "--size",
        args.size,
        "--backend",
        args.backend,
        "--out",
        str(out),
        *flags,
        *args.extra,
    ]
    print("$", " ".join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return json.loads((out / "metrics.json").read_text()), json.loads((out / "summary.json").read_text())


def train_model(name, model, args, init_from=None):
    folder, train_file, valid_file, task, _, _, extra, _ = DATASETS[name]
    suffix = "-pretrained" if init_from else ""
    flags = [
        "--data",
        str(DATA / folder / train_file),
        "--valid",
        str(DATA / folder / valid_file),
        *(["--epochs", str(args.epochs)] if args.epochs else []),
        "--time-budget",
        str(args.budget),
        *extra,
        *(["--init-from", str(init_from)] if init_from else []),
    ]
    return run_zoo_train(task, model, Path(args.out) / f"{name}-{model}-{args.size}{suffix}", flags, args)


def pretrain(name, model, train_rows, args):
    """Pre-trains `model` on WikiText-2 train + the data set's train texts; returns the run folder and its metrics."""
    out = Path(args.out) / f"{name}-{PRETRAINING[model]}-{model}-{args.size}"
    text_file = Path(args.out) / f"{name}-pretraining-text.txt"
    if not text_file.exists():
        text_file.parent.mkdir(parents=True, exist_ok=True)
        texts = [row["text"] for row in read_text(DATA / "wikitext2" / "train.txt")]
        texts += [row["text"] for row in train_rows]
        text_file.write_text("\n".join(texts) + "\n")
    flags = [
        "--data",
        str(text_file),
        "--valid",
        str(DATA / "wikitext2" / "valid.txt"),
        "--seq-len",
        "128",
        "--epochs",
        str(args.pretrain_epochs),
        "--time-budget",
        str(args.pretrain),
    ]
    metrics, _ = run_zoo_train(PRETRAINING[model], model, out, flags, args)
    return out, metrics


def table(name, args):
    folder, train_file, valid_file, task, families, reader, _, reference = DATASETS[name]
    models = [m for m in (args.models.split(",") if args.models else families) if m in families]
    columns = METRICS[task]
    lines = [
        f"### {name} ({task}; backend {args.backend}, budget {args.budget} min of training per model)",
        "",
        f"Reference: {reference}.",
        "",
        "| model | params | steps | train s | tokens/s | " + " | ".join(columns) + " |",
        "|---|---|---|---|---|" + "---|" * len(columns),
    ]
    train_rows = reader(DATA / folder / train_file)
    valid_rows = reader(DATA / folder / valid_file)
    for model in models:
        runs = [(f"{model} ({args.size})", None)]
        if args.pretrain and task == "classification" and model in PRETRAINING:
            pretrained, pretrain_metrics = pretrain(name, model, train_rows, args)
            score = ", ".join(
                f"{key} {pretrain_metrics[key]:.4g}" for key in ("accuracy", "perplexity") if key in pretrain_metrics
            )
            runs.append(
                (
                    f"{model} ({args.size}) from {PRETRAINING[model]} pre-training ({args.pretrain:g} min; {score})",
                    pretrained,
                )
            )
        for label, init_from in runs:
            metrics, summary = train_model(name, model, args, init_from)
            cells = [
                label,
                f"{summary['parameters']:,}",
                str(summary["steps"]),
                f"{summary['train_time_s']:.0f}",
                f"{summary['tokens_per_s']:,.0f}",
                *[f"{metrics[c]:.4g}" for c in columns],
            ]
            lines.append("| " + " | ".join(cells) + " |")
    for baseline, metrics in baseline_rows(task, train_rows, valid_rows).items():
        cells = [baseline, "-", "-", "-", "-", *[f"{metrics[c]:.4g}" if c in metrics else "-" for c in columns]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--models", default=None, help="comma-separated families (default: all of the task)")
    parser.add_argument("--size", default="small")
    parser.add_argument("--budget", type=float, default=20.0, help="minutes of training per model")
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="passes over the data: the warm-up and decay span them, the budget caps them "
        "(default: the schedule is sized to the budget)",
    )
    parser.add_argument(
        "--pretrain",
        type=float,
        default=None,
        help="minutes of MLM/CLM pre-training before a second, fine-tuned row (classification)",
    )
    parser.add_argument("--pretrain-epochs", type=int, default=3, help="passes over the pre-training text")
    parser.add_argument("--backend", default="tensorflow", choices=("jax", "tensorflow", "torch"))
    parser.add_argument("--out", default="runs/quality")
    parser.add_argument("extra", nargs="*", help="more `zoo train` flags, after --")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    machine = cpu_description()
    print(
        f"CPU: {machine['cpu']}, {machine['cores']} cores, flags {' '.join(machine['flags'])}, "
        f"load average {machine['load_average'][0]:.2f}",
        flush=True,
    )
    for name in args.datasets.split(","):
        print(table(name, args), "\n", flush=True)


if __name__ == "__main__":
    main()
