"""Is the input pipeline the bottleneck? Pipeline throughput next to the training step rate.

For classification (SST-2 -> BERT classifier), masked LM and causal LM (WikiText-2 -> BERT masked
LM, GPT causal LM), it prints the examples/s and real tokens/s of iterating the tf.data pipeline
alone (after warm-up, no model), and the examples/s of `model.fit` on the same batches (cached,
each shape compiled in a warm-up pass) for the tiny and small presets. The last column,
pipeline / model, should be well above 1: the pipeline runs ahead of training on its own
threads (prefetch), so a ratio above 1 means training never waits for data.

The tokenizer is a WordPiece of 8,000 tokens trained on the texts. Data: ../shared/data/sst2 and
wikitext2 when present, else the embedded synthetic corpora (or with --synthetic).

Usage:
    python benchmarks/input_pipeline.py                  # the current KERAS_BACKEND
    python benchmarks/input_pipeline.py --backend torch  # runs itself in a subprocess with that backend
"""

import argparse
import os
import platform
import subprocess
import sys
import time

SHARED_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
BACKENDS = ("jax", "tensorflow", "torch")
SIMD_FLAG_PREFIXES = ("sse4", "avx", "fma", "amx")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (run in a subprocess)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--vocabulary-size", type=int, default=8000)
    parser.add_argument("--tokenizer-texts", type=int, default=20000, help="texts of each corpus to train on")
    parser.add_argument("--pipeline-batches", type=int, default=200, help="batches timed per pipeline")
    parser.add_argument("--model-batches", type=int, default=8, help="batches timed per model")
    parser.add_argument("--sizes", default="tiny,small", help="comma-separated model presets")
    parser.add_argument("--synthetic", action="store_true", help="use the embedded synthetic corpora")
    parser.add_argument("--data-dir", default=SHARED_DATA)
    return parser.parse_args(argv)


def rerun_with_backend(backend):
    """Runs this script again with KERAS_BACKEND=backend; returns its exit status."""
    argv = sys.argv[1:]
    index = argv.index("--backend") if "--backend" in argv else None
    argv = [a for i, a in enumerate(argv) if index is None or i not in (index, index + 1)]
    argv = [a for a in argv if not a.startswith("--backend=")]
    env = {**os.environ, "KERAS_BACKEND": backend}
    return subprocess.call([sys.executable, os.path.abspath(__file__), *argv], env=env)


def cpu_description():
    model, flags = platform.processor() or "unknown", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model in ("unknown", "x86_64", ""):
                    model = value.strip()
                if key.strip() == "flags":
                    flags = value.split()
                    break
    except OSError:
        pass
    simd = [flag for flag in flags if flag.startswith(SIMD_FLAG_PREFIXES)]
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    return [
        f"CPU: {model}, {os.cpu_count()} logical cores",
        f"SIMD flags: {' '.join(simd) or 'n/a'}",
        f"Load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in load)}",
    ]


def load_rows(args):
    """(classification rows, LM rows, a description of the data)."""
    from zoo.data import read_classification, read_text

    sst2 = os.path.join(args.data_dir, "sst2", "train.tsv")
    wikitext = os.path.join(args.data_dir, "wikitext2", "train.txt")
    if not args.synthetic and os.path.exists(sst2) and os.path.exists(wikitext):
        return read_classification(sst2), read_text(wikitext), "SST-2 train / WikiText-2 train"
    from zoo.data.synthetic import make_corpus

    return (
        make_corpus("classification", "train"),
        make_corpus("lm", "train"),
        "embedded synthetic classification / lm corpora (train)",
    )


def time_pipeline(dataset, num_batches, warmup_batches=5):
    """(examples/s, real tokens/s) of iterating `num_batches` of `dataset` after a warm-up."""
    iterator = iter(dataset)
    for _ in range(warmup_batches):
        next(iterator)
    examples = tokens = 0
    start = time.perf_counter()
    for _ in range(num_batches):
        x = next(iterator)[0]
        examples += int(x["token_ids"].shape[0])
        tokens += int(x["padding_mask"].numpy().sum())
    elapsed = time.perf_counter() - start
    return examples / elapsed, tokens / elapsed


def time_model(model, dataset, num_batches):
    """examples/s of `model.fit` over `num_batches` cached batches, after a pass compiling each shape."""
    import tensorflow as tf

    batches = dataset.take(num_batches).cache().apply(tf.data.experimental.assert_cardinality(num_batches))
    model.compile()
    model.fit(batches, epochs=1, verbose=0, shuffle=False)
    examples = sum(int(x["token_ids"].shape[0]) for x, *_ in batches)
    start = time.perf_counter()
    model.fit(batches, epochs=1, verbose=0, shuffle=False)
    return examples / (time.perf_counter() - start)


def build_model(task, size, vocabulary_size):
    from zoo.models import bert, gpt

    if task == "classification":
        return bert.BertClassifier(
            bert.BertBackbone(vocabulary_size=vocabulary_size, **bert.PRESETS[size]), num_classes=2
        )
    if task == "masked_lm":
        return bert.BertMaskedLM(bert.BertBackbone(vocabulary_size=vocabulary_size, **bert.PRESETS[size]))
    return gpt.GPTCausalLM(gpt.GPTBackbone(vocabulary_size=vocabulary_size, **gpt.PRESETS[size]))


def main(argv=None):
    args = parse_args(argv)
    if args.backend and args.backend != os.environ.get("KERAS_BACKEND"):
        return rerun_with_backend(args.backend)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from zoo.data import LabelVocabulary
    from zoo.data.pipelines import causal_lm_dataset, classification_dataset, masked_lm_dataset
    from zoo.tokenizers import WordPieceTokenizer

    print("\n".join(cpu_description()))
    print(
        f"Keras {keras.__version__}, backend {keras.backend.backend()}; batch {args.batch_size}, "
        f"sequence length {args.sequence_length}"
    )
    classification_rows, lm_rows, data = load_rows(args)
    print(f"Data: {data} ({len(classification_rows)} / {len(lm_rows)} rows)")
    start = time.perf_counter()
    texts = [row["text"] for rows in (classification_rows, lm_rows) for row in rows[: args.tokenizer_texts]]
    tokenizer = WordPieceTokenizer.train(texts, args.vocabulary_size)
    print(
        f"WordPiece: {tokenizer.vocabulary_size} tokens (asked {args.vocabulary_size}), "
        f"trained in {time.perf_counter() - start:.0f} s"
    )

    common = {"batch_size": args.batch_size, "shuffle": True, "seed": 0, "repeat": True}
    labels = LabelVocabulary.from_rows(classification_rows)
    pipelines = {
        "classification": (
            classification_dataset(
                classification_rows, tokenizer, labels, sequence_length=args.sequence_length, segment_ids=True, **common
            ),
            "BertClassifier",
        ),
        "masked_lm": (
            masked_lm_dataset(lm_rows, tokenizer, sequence_length=args.sequence_length, **common),
            "BertMaskedLM",
        ),
        "causal_lm": (
            causal_lm_dataset(lm_rows, tokenizer, sequence_length=args.sequence_length, **common),
            "GPTCausalLM",
        ),
    }
    header = (
        f"{'pipeline':<15}{'examples/s':>12}{'tokens/s':>12}  {'model':<16}{'size':<6}"
        f"{'train ex/s':>11}{'pipeline/model':>16}"
    )
    print(header + "\n" + "-" * len(header), flush=True)
    for name, (dataset, model_name) in pipelines.items():
        examples_per_s, tokens_per_s = time_pipeline(dataset, args.pipeline_batches)
        for size in args.sizes.split(","):
            keras.utils.set_random_seed(0)
            model_rate = time_model(build_model(name, size, tokenizer.vocabulary_size), dataset, args.model_batches)
            print(
                f"{name:<15}{examples_per_s:>12,.0f}{tokens_per_s:>12,.0f}  {model_name:<16}{size:<6}"
                f"{model_rate:>11,.1f}{examples_per_s / model_rate:>15,.0f}x",
                flush=True,
            )
            keras.backend.clear_session()
    print(cpu_description()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
