"""Serving memory: the RSS of an exported SavedModel as one request grows from 10 to 10,000 texts.

Trains two tiny runs on the embedded corpora with `zoo train` (`--backend jax`, 5 steps): a BERT
classifier (`--seq-len 128`) and a transformer translator (`--seq-len 24 --target-len 16`, greedy
decoding), and exports each with `zoo export RUN --format saved_model`. Then, for each export and
request size N, a fresh process that imports only tensorflow and tensorflow_text, as a server would,
loads the SavedModel, serves one text (the first call: tracing and XLA compilation, timed apart),
resets its peak RSS (`/proc/self/clear_refs`) and serves one request of N short sentences through
`serving_default`. Prints a Markdown row per export and N: the RSS after loading and after the first
call, the request's peak RSS (VmHWM), its growth over the RSS after loading, the request's seconds
and milliseconds per text. A request runs in chunks, one at a time (32 texts for classification, 8
for generation: `zoo/export/servables.py`), so the growth should stay flat as N grows.

    python benchmarks/serving_memory.py                      # both exports, N = 10, 1,000, 10,000
    python benchmarks/serving_memory.py --exports classification --sizes 10,40 --json
"""

import argparse
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `benchmarks` and `zoo` importable

from benchmarks.generate import cpu_description  # noqa: E402
from benchmarks.peak import bf16_isa, cpu_line  # noqa: E402

TINY = (
    "--size",
    "tiny",
    "--train-examples",
    "64",
    "--valid-examples",
    "16",
    "--max-steps",
    "5",
    "--batch-size",
    "8",
    "--vocabulary-size",
    "400",
    "--backend",
    "jax",
)
RUNS = {
    "classification": ("classification", "--model", "bert", "--seq-len", "128"),
    "translation": (
        "translation",
        "--model",
        "transformer",
        "--seq-len",
        "24",
        "--target-len",
        "16",
        "--decoding",
        "greedy",
    ),
}
SIZES = (10, 1000, 10000)
SUBJECTS = (
    "A man",
    "Two children",
    "The old woman",
    "A small dog",
    "Three workers",
    "A girl in a red coat",
    "The players",
    "An elderly couple",
)
ACTIONS = ("walked along", "sat near", "looked at", "ran across", "waited by", "played in", "painted", "cleaned")
PLACES = (
    "the river.",
    "a busy street.",
    "the old bridge.",
    "the park.",
    "a wooden table.",
    "the beach at sunset.",
    "the station.",
    "a crowded market.",
)
ENVIRONMENT = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def sentences(count):
    """`count` short sentences, the same on every call (512 distinct ones, repeated)."""
    pool = itertools.cycle(" ".join(words) for words in itertools.product(SUBJECTS, ACTIONS, PLACES))
    return list(itertools.islice(pool, count))


def zoo(*arguments):
    """Runs the `zoo` command; `RuntimeError` with its stderr's end if it fails."""
    command = [sys.executable, "-m", "recipes.cli", *arguments]
    completed = subprocess.run(command, cwd=ROOT, env=ENVIRONMENT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")


def build_export(name, work):
    """Trains the tiny run `name` of `RUNS` in `work` and exports it as a SavedModel; returns the export's path.

    A run or export found there is reused.
    """
    run, export = work / name, work / f"{name}-export"
    if not (run / "model" / "config.json").exists():
        zoo("train", *RUNS[name], *TINY, "--out", str(run))
    if not export.exists():
        zoo("export", str(run), "--format", "saved_model", "--out", str(export))
    return export


def memory_mb(field):
    """`VmRSS` (now) or `VmHWM` (peak since start or the last reset) of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def serve(export, size):
    """The `--worker` side: loads `export`, serves one text, then one request of `size` texts; the figures."""
    import tensorflow as tf
    import tensorflow_text  # noqa: F401 (registers the tokenizer ops the SavedModel calls)

    loaded = tf.saved_model.load(str(export))
    serving = loaded.signatures["serving_default"]
    after_load = memory_mb("VmRSS")
    started = time.perf_counter()
    serving(texts=tf.constant(sentences(1)))
    first_call_s = time.perf_counter() - started
    after_first_call = memory_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from the RSS now
    texts = tf.constant(sentences(size))
    started = time.perf_counter()
    outputs = serving(texts=texts)
    seconds = time.perf_counter() - started
    answered = {name: int(value.shape[0]) for name, value in outputs.items()}
    if set(answered.values()) != {size}:
        raise RuntimeError(f"{export}: {size} texts in, {answered} out")
    peak = memory_mb("VmHWM")
    return {
        "after_load_mb": after_load,
        "first_call_s": first_call_s,
        "after_first_call_mb": after_first_call,
        "peak_mb": peak,
        "growth_mb": peak - after_load,
        "seconds": seconds,
        "ms_per_text": 1000 * seconds / size,
    }


def measure(name, export, size):
    """One `serve` in a fresh process; the row of export `name` at request size `size`."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", str(export), "--sizes", str(size)]
    completed = subprocess.run(command, cwd=ROOT, env=ENVIRONMENT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"serving {name} with {size} texts failed:\n{completed.stderr[-3000:]}")
    return {"export": name, "texts": size, **json.loads(completed.stdout.strip().splitlines()[-1])}


def print_table(rows):
    header = [
        "export",
        "texts",
        "RSS after load MB",
        "first call s",
        "RSS after first call MB",
        "peak MB",
        "growth MB",
        "seconds",
        "ms per text",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in rows:
        cells = [
            r["export"],
            f"{r['texts']:,}",
            f"{r['after_load_mb']:,.0f}",
            f"{r['first_call_s']:.1f}",
            f"{r['after_first_call_mb']:,.0f}",
            f"{r['peak_mb']:,.0f}",
            f"{r['growth_mb']:,.0f}",
            f"{r['seconds']:.2f}",
            f"{r['ms_per_text']:.2f}",
        ]
        print("| " + " | ".join(cells) + " |")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", default=",".join(RUNS), help=f"comma-separated, of {', '.join(RUNS)}")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated request sizes")
    parser.add_argument("--workdir", type=Path, help="build and keep the runs here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per row instead of a table")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.exports = args.exports.split(",")
    if set(args.exports) - set(RUNS):
        parser.error(f"--exports: each must be one of {', '.join(RUNS)}. Received: {','.join(args.exports)}")
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes takes whole numbers, e.g. 10,1000. Received: {args.sizes!r}")
    if min(args.sizes) < 1:
        parser.error(f"--sizes must be positive. Received: {args.sizes}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(serve(args.worker, args.sizes[0])))
        return
    if not args.json:
        print(cpu_line(cpu_description(), bf16_isa()) + "\n", flush=True)
    rows = []
    with contextlib.ExitStack() as stack:
        work = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="serving-")))
        work.mkdir(parents=True, exist_ok=True)
        for name in args.exports:
            export = build_export(name, work.resolve())
            for size in args.sizes:
                row = measure(name, export, size)
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
                else:
                    print(f"{name}, {size:,} texts: {row['seconds']:.1f} s", file=sys.stderr, flush=True)
    if not args.json:
        print_table(rows)


if __name__ == "__main__":
    main()
