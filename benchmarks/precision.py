"""bf16 against fp32: the same `zoo train` run in float32 and mixed_bfloat16 on each backend, losses side by side.

Each run is the clm recipe's gpt-small (4 layers, width 256) on a language-model corpus (a folder
with `train.txt` and `valid.txt`, e.g. WikiText-2 from `../shared/data`), `--steps` updates of
batch 8 x 256 tokens, dropout 0, validated every `--eval-every` steps; the same seed, data order and
tokenizer settings in both precisions. It prints the CPU's bf16 instructions, then per backend
and validation the training and validation loss in both precisions and their relative gap, and
the wall time of each run (tokenizer training and validation included: `benchmarks/train.py
--precision mixed_bfloat16` measures the training speed alone).

    python benchmarks/precision.py --data ../shared/data/wikitext2 --backends torch,tensorflow --steps 200
"""

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `zoo` and `benchmarks` importable

from benchmarks.generate import cpu_description  # noqa: E402
from benchmarks.peak import bf16_isa, cpu_line  # noqa: E402
from zoo.validation import require_choice, require_positive_int  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")
PRECISIONS = ("float32", "mixed_bfloat16")


def train_command(backend, precision, data, steps, eval_every, out):
    """The `zoo train` command line of one run."""
    return [
        sys.executable,
        "-m",
        "recipes.cli",
        "train",
        "clm",
        "--model",
        "gpt",
        "--size",
        "small",
        "--data",
        str(data / "train.txt"),
        "--valid",
        str(data / "valid.txt"),
        "--max-steps",
        str(steps),
        "--eval-every",
        str(eval_every),
        "--batch-size",
        "8",
        "--seq-len",
        "256",
        "--dropout",
        "0",
        "--precision",
        precision,
        "--backend",
        backend,
        "--out",
        str(out),
    ]


def logged_losses(run):
    """`[(step, loss, val_loss), ...]` of a run's history.csv, one row per validation."""
    with open(run / "history.csv") as f:
        return [(int(row["step"]), float(row["loss"]), float(row["val_loss"])) for row in csv.DictReader(f)]


def relative_gap(reference, other):
    """|other - reference| / |reference|, e.g. `relative_gap(4.0, 4.1)` is 0.025."""
    return abs(other - reference) / abs(reference)


def run(backend, precision, args, folder):
    """Trains one run in a subprocess; returns `(logged_losses, wall seconds)`."""
    out = folder / f"{backend}-{precision}"
    start = time.perf_counter()
    completed = subprocess.run(
        train_command(backend, precision, args.data, args.steps, args.eval_every, out),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{backend} {precision} failed:\n{completed.stderr[-3000:]}")
    return logged_losses(out), time.perf_counter() - start


def print_comparison(backend, fp32, bf16):
    """Markdown rows: step, fp32 and bf16 train / validation loss, and the validation gap."""
    (fp32_rows, fp32_s), (bf16_rows, bf16_s) = fp32, bf16
    for (step, loss, val), (_, bf_loss, bf_val) in zip(fp32_rows, bf16_rows):
        print(
            f"| {backend} | {step} | {loss:.4f} / {bf_loss:.4f} | {val:.4f} / {bf_val:.4f} | "
            f"{100 * relative_gap(val, bf_val):.2f}% | {fp32_s:.0f} / {bf16_s:.0f} s |"
        )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with train.txt and valid.txt")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--eval-every", type=int, default=100)
    args = parser.parse_args(argv)
    try:
        args.backends = [require_choice("--backends", name, BACKENDS) for name in args.backends.split(",")]
        require_positive_int("--steps", args.steps)
        require_positive_int("--eval-every", args.eval_every)
        for name in ("train.txt", "valid.txt"):
            if not (args.data / name).is_file():
                raise ValueError(f"--data {args.data}: no {name} there.")
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv=None):
    args = parse_args(argv)
    print(cpu_line(cpu_description(), bf16_isa()))
    print(f"gpt-small, clm recipe, {args.data}, {args.steps} steps of 8 x 256 tokens, dropout 0\n")
    print("| backend | step | train loss fp32 / bf16 | val loss fp32 / bf16 | val gap | wall fp32 / bf16 |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends:
            fp32, bf16 = (run(backend, precision, args, Path(folder)) for precision in PRECISIONS)
            print_comparison(backend, fp32, bf16)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
