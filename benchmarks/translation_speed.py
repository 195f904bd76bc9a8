"""Translation training speed: `zoo train translation` against the keras-io way, in real tokens/s on Multi30k.

Both impls train the translation recipe's `transformer` at `--size` (default small), built and compiled as
`zoo train translation --model transformer --data TRAIN` builds and compiles it (the recipe's config, its rows
less the held-out 5%, a SentencePiece tokenizer trained once on them, `recipe.build_model`,
`compile_for_training`), at one batch size (the recipe's, 32, unless `--batch-size`). Only the batches differ:

- `zoo`: the recipe's own training stream, `recipe.dataset(rows, ..., training=True)`: shuffled, source and
  target cut at 64 tokens, each batch padded to the smallest of four widths (16, 32, 48, 64) that fits it,
  examples of one width batched together.
- `keras-io`: fixed-length batches, as keras.io's examples make them: every pair tokenized and padded or cut
  to `--fixed-length` tokens, source and target (default 40, the `MAX_SEQUENCE_LENGTH` of "English-to-Spanish
  translation with KerasHub"), then `from_tensor_slices(...).shuffle(...).batch(batch_size,
  drop_remainder=True)`, repeated (a run may outlast a pass) and prefetched. The batches have the recipe's
  `(x, y, sample_weight)` structure (`seq2seq_dataset`: encoder `source eos`, decoder `bos target`, labels
  `target eos`, weight 0 on padding), so the loss is the same.

Each measurement runs in its own subprocess with KERAS_BACKEND set and glibc's malloc tuned as `zoo` runs
(`zoo.malloc_tuning`). One `model.fit` runs `--blocks` + 1 epochs of `--steps` steps on one iterator of the
stream, as `zoo train` runs its epochs: the first is an untimed warm-up (compilation), each later one is
timed from the end of the previous epoch's last step to the end of its own last step. Real tokens are the
non-padding source and target positions (the encoder and decoder padding masks) of each block's batches,
counted by reading the same number of batches from a second build of the same seeded pipeline (both are
deterministic, which tests/benchmarks checks); padded tokens are all the positions. Rates are the medians
over the timed blocks; zoo / keras-io is the ratio of real tokens/s on one backend. On JAX, the XLA
compilations of the warm-up and of the timed blocks are counted (`CompilationCounter`): the zoo's batches
come in four widths, and a width first seen in a timed block compiles there. The truncated shares are of the
training pairs each impl cuts (at 64 tokens, or `--fixed-length`).

    python benchmarks/translation_speed.py                    # jax, tensorflow, torch x keras-io, zoo
    python benchmarks/translation_speed.py --backends jax --size tiny --steps 3 --blocks 1
    python benchmarks/translation_speed.py --fixed-length 64 --batch-size 64 --json
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `zoo`, `recipes` and `benchmarks` importable

from benchmarks.generate import cpu_description  # noqa: E402
from benchmarks.peak import bf16_isa, describe, measure_peak  # noqa: E402
from zoo.malloc_tuning import transparent_huge_pages_mode, with_malloc_tuning  # noqa: E402
from zoo.models.registry import SIZES  # noqa: E402
from zoo.validation import require_choice, require_positive_int  # noqa: E402

BACKENDS = ("jax", "tensorflow", "torch")
IMPLS = ("keras-io", "zoo")  # keras-io first: the zoo's result then carries the ratio
DATA = ROOT.parent / "shared" / "data" / "multi30k_en_de" / "train.tsv"
FIXED_LENGTH = 40  # MAX_SEQUENCE_LENGTH of keras.io's "English-to-Spanish translation with KerasHub"


def translation_config(data, size="small", batch_size=None, **settings):
    """`(recipe, TrainConfig)` of `zoo train translation --model transformer --size size --data data`.

    `batch_size` None keeps the recipe's; `settings` are further config fields (tests: `train_examples`).
    """
    from recipes import get_recipe
    from zoo.training.config import resolve_config

    recipe = get_recipe("translation")
    overrides = {"model": "transformer", "size": size, "data": None if data is None else str(data), **settings}
    if batch_size is not None:
        overrides["batch_size"] = batch_size
    return recipe, resolve_config(recipe, overrides)


def training_rows(recipe, config):
    """The rows a run of `config` trains on: `--data` less the held-out validation share."""
    from zoo.training.trainer import load_rows

    return load_rows(recipe, config)[0]


def new_tokenizer(recipe, config, rows):
    """The tokenizer a new run trains on its training rows (`zoo.training.trainer._tokenizer`, no run directory)."""
    from zoo.tokenizers import train_tokenizer

    return train_tokenizer(config.tokenizer, recipe.tokenizer_texts(rows), config.vocabulary_size)


def truncated_share(tokenizer, texts, max_length):
    """The share of `texts` cut to fit `max_length` tokens with one special token (eos, or bos)."""
    from recipes.base import token_count

    return float(np.mean(token_count(tokenizer, texts) + 1 > max_length))


def fixed_length_examples(rows, tokenizer, length):
    """`(x, y, sample_weight)` arrays of every row padded or cut to `length`, as `seq2seq_dataset` structures them.

    Encoder `source eos`, decoder `bos target`, labels `target eos`: a cut text keeps its bos or eos, as in
    the recipe's batches.
    """
    sources, targets = [row["source"] for row in rows], [row["target"] for row in rows]
    source_ids = tokenizer.tokenize(sources, add_eos=True, sequence_length=length)
    decoder_ids = tokenizer.tokenize(targets, add_bos=True, sequence_length=length)
    x = {
        "encoder_token_ids": source_ids,
        "encoder_padding_mask": (source_ids != tokenizer.pad_id).astype("int32"),
        "decoder_token_ids": decoder_ids,
        "decoder_padding_mask": (decoder_ids != tokenizer.pad_id).astype("int32"),
    }
    labels = tokenizer.tokenize(targets, add_eos=True, sequence_length=length)
    return x, labels, x["decoder_padding_mask"].astype("float32")


def keras_io_dataset(rows, tokenizer, length, batch_size, seed):
    """The keras-io way: fixed-length examples, shuffled, batched with `drop_remainder`, repeated, prefetched."""
    import tensorflow as tf

    examples = tf.data.Dataset.from_tensor_slices(fixed_length_examples(rows, tokenizer, length))
    batches = examples.shuffle(len(rows), seed=seed).batch(batch_size, drop_remainder=True)
    return batches.repeat().prefetch(tf.data.AUTOTUNE)


def training_dataset(impl, recipe, config, rows, tokenizer, fixed_length):
    """The endless stream of `(x, y, sample_weight)` batches `impl` trains on; the same batches on every build."""
    if impl == "zoo":
        return recipe.dataset(rows, tokenizer, recipe.task_info(config, rows), config, training=True)
    return keras_io_dataset(rows, tokenizer, fixed_length, config.batch_size, config.seed)


def batch_tokens(dataset, count):
    """`(real, padded)`: the non-padding and all source + target positions of each of the first `count` batches."""
    real, padded = [], []
    for x, _, _ in dataset.take(count).as_numpy_iterator():
        masks = (x["encoder_padding_mask"], x["decoder_padding_mask"])
        real.append(sum(int(mask.sum()) for mask in masks))
        padded.append(sum(mask.size for mask in masks))
    return np.array(real), np.array(padded)


def compiled_model(recipe, config, rows, tokenizer, total_steps):
    """The recipe's model, built and compiled as `zoo.training.trainer.train` does for a new run."""
    import keras

    from zoo.training.remat import remat_scope
    from zoo.training.trainer import compile_for_training

    keras.config.set_dtype_policy(config.precision)
    try:
        with remat_scope(config.remat):
            model = recipe.build_model(config, tokenizer, recipe.task_info(config, rows), None)
        compile_for_training(model, recipe, config, total_steps)
    finally:
        keras.config.set_dtype_policy("float32")
    return model


def timed_fit(model, dataset, steps, blocks):
    """One `fit` of `blocks` + 1 epochs of `steps` steps on one iterator of `dataset`.

    Returns `(warm-up seconds, [seconds of each timed block], XLA compilations in the warm-up, in the timed
    blocks)`; a timed block lasts from the end of the previous epoch's last step to the end of its own.
    The compilation counts are None off JAX.
    """
    import keras

    from zoo.training.compilations import CompilationCounter

    ends, warmup_compilations = [], []
    with CompilationCounter() as compilations:
        callbacks = [
            # Reading the loss waits for the step to finish (JAX and torch dispatch asynchronously).
            keras.callbacks.LambdaCallback(
                on_train_batch_end=lambda batch, logs: (float(logs["loss"]), ends.append(time.perf_counter())),
                on_epoch_end=lambda epoch, logs: warmup_compilations.append(compilations.count),
            ),
        ]
        start = time.perf_counter()
        model.fit(dataset, steps_per_epoch=steps, epochs=blocks + 1, verbose=0, shuffle=False, callbacks=callbacks)
    block_ends = ends[steps - 1 :: steps]
    warmup = warmup_compilations[0]
    timed = None if warmup is None else compilations.count - warmup
    return block_ends[0] - start, np.diff(block_ends).tolist(), warmup, timed


def measure(impl, recipe, config, rows, tokenizer, *, fixed_length=FIXED_LENGTH, steps=20, blocks=5):
    """Trains `recipe`'s model on `impl`'s batches of `rows` on this process's backend; returns the result dict.

    Example: `measure("zoo", *translation_config(None, "tiny"), rows, tokenizer, steps=2, blocks=1)`.
    """
    import keras

    from zoo.models.registry import count_parameters

    require_choice("impl", impl, IMPLS)
    require_positive_int("fixed_length", fixed_length)
    require_positive_int("steps", steps)
    require_positive_int("blocks", blocks)
    keras.utils.set_random_seed(config.seed)
    real, padded = batch_tokens(
        training_dataset(impl, recipe, config, rows, tokenizer, fixed_length), (blocks + 1) * steps
    )
    real, padded = (tokens[steps:].reshape(blocks, steps).sum(axis=1) for tokens in (real, padded))
    model = compiled_model(recipe, config, rows, tokenizer, (blocks + 1) * steps)
    dataset = training_dataset(impl, recipe, config, rows, tokenizer, fixed_length)
    warmup_s, times, warmup_compilations, compilations = timed_fit(model, dataset, steps, blocks)
    seconds = np.array(times)
    source_length, target_length = (
        (config.seq_len, config.target_len) if impl == "zoo" else (fixed_length, fixed_length)
    )
    return {
        "impl": impl,
        "backend": keras.backend.backend(),
        "size": config.size,
        "batch_size": config.batch_size,
        "max_source_length": source_length,
        "max_target_length": target_length,
        "steps": steps,
        "blocks": blocks,
        "tokens_per_s": statistics.median(real / seconds),
        "padded_tokens_per_s": statistics.median(padded / seconds),
        "steps_per_s": statistics.median(steps / seconds),
        "padding_share": 1 - real.sum() / padded.sum(),
        "truncated_sources": truncated_share(tokenizer, [row["source"] for row in rows], source_length),
        "truncated_targets": truncated_share(tokenizer, [row["target"] for row in rows], target_length),
        "warmup_xla_compilations": warmup_compilations,
        "xla_compilations": compilations,
        "warmup_s": warmup_s,
        "block_times_s": times,
        "block_real_tokens": real.tolist(),
        "parameters": count_parameters(model),
        "examples": len(rows),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_worker(impl, backend, args, tokenizer_folder):
    """One measurement in a subprocess with KERAS_BACKEND=backend; returns its result dict."""
    env = with_malloc_tuning(dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3"), True)
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        "--impl",
        impl,
        "--tokenizer",
        tokenizer_folder,
        "--data",
        str(args.data),
        "--size",
        args.size,
        "--fixed-length",
        str(args.fixed_length),
        "--steps",
        str(args.steps),
        "--blocks",
        str(args.blocks),
    ]
    if args.batch_size is not None:
        command += ["--batch-size", str(args.batch_size)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    if completed.returncode != 0:
        raise RuntimeError(f"{impl} on {backend} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def worker(args):
    """The `--worker` side of `run_worker`: one measurement on this process's backend."""
    from zoo.tokenizers import load_tokenizer

    recipe, config = translation_config(args.data, args.size, args.batch_size)
    return measure(
        args.impl,
        recipe,
        config,
        training_rows(recipe, config),
        load_tokenizer(args.tokenizer),
        fixed_length=args.fixed_length,
        steps=args.steps,
        blocks=args.blocks,
    )


def _compilations(result):
    if result["xla_compilations"] is None:
        return "-"
    return f"{result['warmup_xla_compilations']}, {result['xla_compilations']}"


def print_table(results):
    """A Markdown table: a row per backend and impl; the zoo's rows carry zoo / keras-io of real tokens/s."""
    header = [
        "backend",
        "impl",
        "real tokens/s",
        "padded tokens/s",
        "steps/s",
        "padding",
        "truncated targets",
        "XLA compilations (warm-up, timed)",
        "zoo / keras-io",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in results:
        ratio = r.get("zoo_over_keras_io")
        cells = [
            r["backend"],
            r["impl"],
            f"{r['tokens_per_s']:,.0f}",
            f"{r['padded_tokens_per_s']:,.0f}",
            f"{r['steps_per_s']:.2f}",
            f"{100 * r['padding_share']:.0f}%",
            f"{100 * r['truncated_targets']:.2f}%",
            _compilations(r),
            "-" if ratio is None else f"{ratio:.2f}x",
        ]
        print("| " + " | ".join(cells) + " |")


def parse_args(argv=None):
    """The command line; a comma-separated `--backends` naming an unknown backend is an error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--data", type=Path, default=DATA, help="Multi30k's train.tsv: source<TAB>target lines")
    parser.add_argument("--size", default="small", choices=SIZES, help="the transformer's size")
    parser.add_argument("--batch-size", type=int, help="default: the recipe's")
    parser.add_argument(
        "--fixed-length", type=int, default=FIXED_LENGTH, help="the keras-io batches' source and target length"
    )
    parser.add_argument("--blocks", type=int, default=5, help="timed blocks (the median is reported)")
    parser.add_argument("--steps", type=int, default=20, help="training steps per block")
    parser.add_argument("--json", action="store_true", help="print one JSON object per measurement")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--impl", choices=IMPLS, help=argparse.SUPPRESS)
    parser.add_argument("--tokenizer", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.backends = [require_choice("--backends", value, BACKENDS) for value in args.backends.split(",")]
        for name in ("blocks", "steps") + (("batch_size",) if args.batch_size is not None else ()):
            require_positive_int("--" + name.replace("_", "-"), getattr(args, name))
        if args.fixed_length < 2:
            raise ValueError(
                f"`--fixed-length` must leave room for a token beside bos or eos. Received: {args.fixed_length}"
            )
    except ValueError as error:
        parser.error(str(error))
    if not args.worker and not args.data.is_file():
        parser.error(f"--data {args.data}: no such file")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return
    peak = measure_peak()
    if not args.json:
        print("\n".join(describe(cpu_description(), bf16_isa(), peak)))
    recipe, config = translation_config(args.data, args.size, args.batch_size)
    rows = training_rows(recipe, config)
    tokenizer = new_tokenizer(recipe, config, rows)
    if not args.json:
        print(
            f"{args.data}: {len(rows):,} training pairs; transformer {args.size}, batch {config.batch_size}, "
            f"{tokenizer.kind} vocabulary {tokenizer.vocabulary_size:,}; keras-io length {args.fixed_length}; "
            f"median of {args.blocks} blocks of {args.steps} steps after a warm-up block; transparent huge "
            f"pages {transparent_huge_pages_mode()}, malloc tuning on\n",
            flush=True,
        )
    results = []
    with tempfile.TemporaryDirectory() as folder:
        tokenizer.save(folder)
        for backend in args.backends:
            for impl in IMPLS:
                result = dict(run_worker(impl, backend, args, folder), peak_gflops=peak["fp32_numpy_gflops"])
                if impl == "zoo":
                    result["zoo_over_keras_io"] = result["tokens_per_s"] / results[-1]["tokens_per_s"]
                results.append(result)
                if args.json:
                    print(json.dumps(result), flush=True)
                else:
                    print(
                        f"{impl} on {backend}: {result['tokens_per_s']:,.0f} real tokens/s", file=sys.stderr, flush=True
                    )
    if not args.json:
        print_table(results)


if __name__ == "__main__":
    main()
