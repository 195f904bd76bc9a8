"""Generation speed: our GPT next to keras-hub's, a plain PyTorch KV-cache loop and our exported SavedModel.

Random-init models of a zoo GPT preset's shape (`--configs tiny,small`, vocabulary 8,192), a
16-token prompt per row, 64 new tokens, batch 1 and 8, greedy and beam 4:

- `zoo`: `GPTCausalLM` through `zoo.generation.generate` (each backend's compiled loop).
- `keras-hub`: `GPT2CausalLM` with the same layers, width, heads, feed-forward and vocabulary,
  `preprocessor=None`, fed token ids.
- `torch-kv`: `benchmarks/torch_kv_reference.py`, a plain PyTorch KV-cache loop on the zoo
  model's weights, greedy only. It does not depend on the Keras backend: it runs once per config
  (JSON `backend` null) and the table repeats it on every backend's rows.
- `saved-model`: the zoo model saved as a clm run (a WordPiece vocabulary of one word per id) and
  exported by `zoo.export`; its `greedy` and `beam` signatures are called with 1 and 8 texts of 15
  words (`bos` + 15 tokens: the same 16-token prompt), tokenization and detokenization included.
  Serving decodes 8 texts at a time (`zoo.export.servables.GENERATION_CHUNK`; a request of one
  text alone, a batch-1 program). Measured with the tensorflow rows only (`--backends` must name tensorflow).

`new_tokens_per_s` is batch x new tokens over the median of `--repeats` calls, after one untimed
call that compiles (`first_call_s`). `first_token_ms` is the median of `--repeats` calls that make
one new token, after an untimed call of their own (a new length compiles again: another XLA
program on TensorFlow and JAX, another exported loop on torch). Every (impl, backend, config)
runs in its own subprocess with KERAS_BACKEND set; torch ones use one thread per core
(`torch.set_num_threads`, or `--threads`). `--rounds N` runs every subprocess N times in turn and
keeps each cell's fastest round (the host's load can move one measurement by 2x).

    python benchmarks/generate.py                      # tiny and small, every backend and impl
    python benchmarks/generate.py --backends jax --configs tiny --impls zoo,torch-kv --json
"""

import argparse
import dataclasses
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `zoo`, `recipes` and `benchmarks` importable

from benchmarks.timing import time_blocks  # noqa: E402
from zoo.validation import require_choice, require_positive_int  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")
IMPLS = ("zoo", "keras-hub", "torch-kv", "saved-model")
KERAS_IMPLS = ("zoo", "keras-hub")
CONFIGS = ("tiny", "small")
STRATEGIES = ("greedy", "beam")
PROMPT_LENGTH, NEW_TOKENS, BEAM_SIZE = 16, 64, 4
BATCH_SIZES = (1, 8)
VOCABULARY_SIZE = 8192
FIRST_TEXT_ID = 5  # ids below are the special tokens (`zoo.tokenizers.base.NUM_SPECIAL_TOKENS`)
ZOO_DECODING = {"greedy": {"strategy": "greedy"}, "beam": {"strategy": "beam", "beam_size": BEAM_SIZE}}
RATIOS = (("zoo", "keras-hub"), ("zoo", "torch-kv"), ("saved-model", "zoo"))


def cpu_description():
    """CPU model name and the vector flags that matter to XLA/oneDNN kernels."""
    model, flags = platform.processor() or "unknown", []
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name") and model in ("unknown", "x86_64", ""):
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    present = set(line.split(":", 1)[1].split())
                    flags = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile") if f in present]
                    break
    except OSError:
        pass
    return {"cpu": model, "flags": flags, "cores": os.cpu_count(), "load_average": list(os.getloadavg())}


def cpu_line(machine):
    """ "CPU: model (n cores; flags: ...)" of a `cpu_description()`."""
    return f"CPU: {machine['cpu']} ({machine['cores']} cores; flags: {' '.join(machine['flags']) or 'n/a'})"


def load_averages(machine):
    """The 1, 5 and 15-minute load averages of a `cpu_description()`, e.g. "0.43 1.75 2.10"."""
    return " ".join(f"{x:.2f}" for x in machine["load_average"])


@dataclasses.dataclass(frozen=True)
class Generator:
    """One impl ready to time: `generate(inputs(prompt_ids), strategy, new_tokens)` continues the prompts."""

    strategies: tuple
    inputs: object  # `(batch, PROMPT_LENGTH)` int32 ids -> what `generate` reads
    generate: object
    files: object = None  # a temporary folder the generator reads, removed with it


def prompt_ids(batch_size, vocabulary_size, seed=0):
    """`(batch_size, PROMPT_LENGTH)` random int32 ids, none of them a special token."""
    return np.random.default_rng(seed).integers(FIRST_TEXT_ID, vocabulary_size, (batch_size, PROMPT_LENGTH), "int32")


def zoo_model(config, vocabulary_size, max_length):
    """A random-init `GPTCausalLM` of the `config` preset with `max_length` positions, the same in every process."""
    import keras

    from zoo.models.gpt import PRESETS, GPTBackbone, GPTCausalLM

    keras.utils.set_random_seed(0)
    preset = dict(PRESETS[config], max_sequence_length=max_length)
    return GPTCausalLM(GPTBackbone(vocabulary_size=vocabulary_size, **preset))


def zoo_generator(config, vocabulary_size, new_tokens):
    """`zoo.generation.generate` on a random-init zoo GPT."""
    from zoo.generation import generate

    model = zoo_model(config, vocabulary_size, PROMPT_LENGTH + new_tokens)

    def run(ids, strategy, new):
        return generate(model, ids, PROMPT_LENGTH + new, **ZOO_DECODING[strategy])

    return Generator(STRATEGIES, lambda ids: ids, run)


def keras_hub_generator(config, vocabulary_size, new_tokens):
    """keras-hub's `GPT2CausalLM.generate`, the zoo preset's shape, fed padded token ids."""
    import keras_hub

    from zoo.models.gpt import PRESETS

    preset = PRESETS[config]
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=vocabulary_size,
        num_layers=preset["num_layers"],
        num_heads=preset["num_heads"],
        hidden_dim=preset["hidden_dim"],
        intermediate_dim=preset["intermediate_dim"],
        dropout=0.0,
        max_sequence_length=PROMPT_LENGTH + new_tokens,
    )
    model = keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=None)
    samplers = {"greedy": "greedy", "beam": keras_hub.samplers.BeamSampler(num_beams=BEAM_SIZE)}
    compiled_for = []

    def run(ids, strategy, new):
        if compiled_for[-1:] != [strategy]:  # `compile` drops the compiled loop: only on a change of sampler
            model.compile(sampler=samplers[strategy])
            compiled_for.append(strategy)
        padding = ((0, 0), (0, new))  # keras-hub generates into the padded positions
        inputs = {"token_ids": np.pad(ids, padding), "padding_mask": np.pad(np.ones_like(ids), padding)}
        return model.generate(inputs, stop_token_ids=None)

    return Generator(STRATEGIES, lambda ids: ids, run)


def torch_kv_generator(config, vocabulary_size, new_tokens):
    """The plain PyTorch KV-cache loop on the zoo GPT's weights (greedy only)."""
    import torch

    from benchmarks.torch_kv_reference import TorchKVGPT

    reference = TorchKVGPT(zoo_model(config, vocabulary_size, PROMPT_LENGTH + new_tokens))
    return Generator(
        ("greedy",), lambda ids: torch.from_numpy(ids).long(), lambda ids, strategy, new: reference.generate(ids, new)
    )


def word_vocabulary(vocabulary_size):
    """A WordPiece vocabulary of one whole word per id: `"w{id}"` after the special tokens."""
    from zoo.tokenizers import WordPieceTokenizer

    return list(WordPieceTokenizer.SPECIAL_TOKENS) + [f"w{i}" for i in range(FIRST_TEXT_ID, vocabulary_size)]


def export_clm_run(model, new_tokens, folder):
    """`zoo export`'s SavedModel of a clm run of `model` (prompts of PROMPT_LENGTH tokens, `new_tokens` new ones)."""
    from recipes import get_recipe
    from zoo.export.saved_model import export_saved_model
    from zoo.models.saving import save_model_folder
    from zoo.preflight import MODEL_FOLDER
    from zoo.tokenizers import WordPieceTokenizer
    from zoo.training.config import resolve_config
    from zoo.training.trainer import TOKENIZER_FOLDER

    vocabulary_size = model.backbone.vocabulary_size
    overrides = {
        "model": "gpt",
        "seq_len": PROMPT_LENGTH,
        "target_len": new_tokens,
        "vocabulary_size": vocabulary_size,
        "beam_size": BEAM_SIZE,
    }
    run = Path(folder) / f"run-{new_tokens}"
    save_model_folder(
        model,
        run / MODEL_FOLDER,
        tokenizers={TOKENIZER_FOLDER: WordPieceTokenizer(word_vocabulary(vocabulary_size))},
        task_config={"config": resolve_config(get_recipe("clm"), overrides).to_dict()},
    )
    return export_saved_model(run, Path(folder) / f"saved-model-{new_tokens}")


def saved_model_generator(config, vocabulary_size, new_tokens):
    """The exported zoo GPT's `greedy` / `beam` signatures, fed texts of the prompts' words."""
    import tensorflow as tf

    from zoo.tokenizers.base import EOS_ID

    model = zoo_model(config, vocabulary_size, PROMPT_LENGTH + new_tokens)
    # Serving stops a text at its end token. A zero row gives the end token logit 0, far below the
    # best of thousands of random logits, so every text decodes all its new tokens as the other impls do.
    table = model.backbone.token_embedding.embeddings
    table.assign(np.where(np.arange(vocabulary_size)[:, None] == EOS_ID, 0.0, table.numpy()))
    folder = tempfile.TemporaryDirectory(prefix="generate-benchmark-")
    served = {n: tf.saved_model.load(export_clm_run(model, n, folder.name)) for n in (new_tokens, 1)}
    words = np.array(word_vocabulary(vocabulary_size))

    def run(texts, strategy, new):
        return served[new].signatures[strategy](texts=texts)["output"].numpy()

    # The served prompt is `bos` + the text's tokens: the last PROMPT_LENGTH - 1 ids as words.
    def inputs(ids):
        return tf.constant([" ".join(row) for row in words[ids[:, 1:]]])

    return Generator(STRATEGIES, inputs, run, files=folder)


GENERATORS = {
    "zoo": zoo_generator,
    "keras-hub": keras_hub_generator,
    "torch-kv": torch_kv_generator,
    "saved-model": saved_model_generator,
}


def measure(
    impl,
    config,
    *,
    batch_sizes=BATCH_SIZES,
    strategies=STRATEGIES,
    new_tokens=NEW_TOKENS,
    repeats=3,
    vocabulary_size=VOCABULARY_SIZE,
):
    """Times `impl` on this process's Keras backend: one result dict per batch size and strategy it runs.

    Example: `measure("zoo", "tiny", batch_sizes=(1,), strategies=("greedy",), new_tokens=4, repeats=1)`.
    """
    import keras

    generator = GENERATORS[impl](config, vocabulary_size, new_tokens)
    results = []
    for batch in batch_sizes:
        inputs = generator.inputs(prompt_ids(batch, vocabulary_size))
        for strategy in (s for s in strategies if s in generator.strategies):
            first_call_s, times = time_blocks(lambda: generator.generate(inputs, strategy, new_tokens), repeats)
            _, first_token_times = time_blocks(lambda: generator.generate(inputs, strategy, 1), repeats)
            results.append(
                {
                    "impl": impl,
                    "backend": None if impl == "torch-kv" else keras.backend.backend(),
                    "config": config,
                    "batch": batch,
                    "strategy": strategy,
                    "beam_size": BEAM_SIZE if strategy == "beam" else None,
                    "prompt_length": PROMPT_LENGTH,
                    "new_tokens": new_tokens,
                    "vocabulary_size": vocabulary_size,
                    "repeats": repeats,
                    "new_tokens_per_s": batch * new_tokens / statistics.median(times),
                    "first_token_ms": 1000 * statistics.median(first_token_times),
                    "first_call_s": first_call_s,
                }
            )
    return results


def measurements(args):
    """`(impl, backend, config)` of each subprocess: torch-kv once per config, saved-model with tensorflow only."""
    for config in args.configs:
        for backend in args.backends:
            yield from ((impl, backend, config) for impl in args.impls if impl in KERAS_IMPLS)
            if backend == "tensorflow" and "saved-model" in args.impls:
                yield "saved-model", backend, config
        if "torch-kv" in args.impls:
            yield "torch-kv", "torch", config


def run_worker(impl, backend, config, args):
    """The result dicts of one `measure` in a subprocess with KERAS_BACKEND=backend."""
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), TF_NUM_INTRAOP_THREADS=str(args.threads))
        if args.threads == 1:
            env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    command = [sys.executable, os.path.abspath(__file__), "--worker", "--impls", impl, "--backends", backend]
    command += ["--configs", config, "--batch-sizes", ",".join(map(str, args.batch_sizes))]
    command += ["--strategies", ",".join(args.strategies), "--new-tokens", str(args.new_tokens)]
    command += ["--repeats", str(args.repeats), "--vocabulary-size", str(args.vocabulary_size)]
    command += ["--threads", str(args.threads)] if args.threads else []
    completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    if completed.returncode != 0:
        raise RuntimeError(f"{impl} {config} on {backend} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def best_of_rounds(results):
    """One result per cell (impl, backend, config, batch, strategy): its round with the most new tokens/s.

    The host's load moves a single measurement by up to 2x (RESULTS.md, 2026-12-07): rounds run
    every subprocess in turn, so a busy spell slows one round of a cell, not the cell. The kept
    result's `first_token_ms` is the cell's lowest, and `rounds` says how many it had.
    """
    cells = {}
    for result in results:
        cell = tuple(result[key] for key in ("impl", "backend", "config", "batch", "strategy"))
        cells.setdefault(cell, []).append(result)
    best = []
    for rounds in cells.values():
        fastest = max(rounds, key=lambda r: r["new_tokens_per_s"])
        best.append({**fastest, "first_token_ms": min(r["first_token_ms"] for r in rounds), "rounds": len(rounds)})
    return best


def json_lines(results, machine, threads):
    """One JSON object per measurement, each with the machine's description, the threads and the date."""
    context = {**machine, "threads": threads, "date": datetime.date.today().isoformat()}
    return [json.dumps({**result, **context}) for result in results]


def _cell(result):
    if result is None:
        return "-"
    return f"{result['new_tokens_per_s']:,.0f} ({result['first_token_ms']:,.1f} ms)"


def _ratio(numerator, denominator):
    if numerator is None or denominator is None:
        return "-"
    return f"{numerator['new_tokens_per_s'] / denominator['new_tokens_per_s']:.2f}x"


def print_table(machine, results, args):
    """A Markdown table: a row per config, backend, batch and strategy; "new tokens/s (first token ms)" per impl.

    torch-kv does not depend on the backend: every row of a config repeats it. The ratios divide new tokens/s.
    """
    print(cpu_line(machine))
    print(
        f"load average at start: {load_averages(machine)}; "
        f"threads: {args.threads or 'one per core'}; vocabulary {args.vocabulary_size:,}; "
        f"prompt {PROMPT_LENGTH}, {args.new_tokens} new tokens; "
        f"median of {args.repeats}, best of {args.rounds} round{'s' if args.rounds > 1 else ''}\n"
    )
    found = {(r["config"], r["backend"], r["batch"], r["strategy"], r["impl"]): r for r in results}
    ratios = [pair for pair in RATIOS if set(pair) <= set(args.impls)]
    header = ["config", "backend", "batch", "strategy", *args.impls, *(f"{a} / {b}" for a, b in ratios)]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    rows = [r for r in results if r["backend"] is not None] or results  # torch-kv alone: rows of its own
    for config, backend, batch, strategy in dict.fromkeys(
        (r["config"], r["backend"], r["batch"], r["strategy"]) for r in rows
    ):
        row = {
            impl: found.get((config, None if impl == "torch-kv" else backend, batch, strategy, impl)) for impl in IMPLS
        }
        cells = [config, backend or "-", str(batch), strategy, *(_cell(row[impl]) for impl in args.impls)]
        print("| " + " | ".join(cells + [_ratio(row[a], row[b]) for a, b in ratios]) + " |")


def parse_args(argv=None):
    """The command line; a comma-separated list naming an unknown backend, config, impl or strategy is an error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS), help="Keras backends of the zoo and keras-hub runs")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="zoo GPT presets")
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)))
    parser.add_argument("--new-tokens", type=int, default=NEW_TOKENS)
    parser.add_argument("--vocabulary-size", type=int, default=VOCABULARY_SIZE)
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per case (the median is reported)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs of every subprocess in turn; each cell keeps its best round"
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads per process (default: one per core)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per measurement")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        for name, choices in (
            ("backends", BACKENDS),
            ("configs", CONFIGS),
            ("impls", IMPLS),
            ("strategies", STRATEGIES),
        ):
            setattr(
                args, name, [require_choice(f"--{name}", value, choices) for value in getattr(args, name).split(",")]
            )
        args.batch_sizes = [require_positive_int("--batch-sizes", int(value)) for value in args.batch_sizes.split(",")]
        for name in ("new_tokens", "vocabulary_size", "repeats", "rounds"):
            require_positive_int(f"--{name.replace('_', '-')}", getattr(args, name))
        if args.vocabulary_size <= FIRST_TEXT_ID:
            raise ValueError(f"`--vocabulary-size` must exceed {FIRST_TEXT_ID}. Received: {args.vocabulary_size}")
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        if args.backends[0] == "torch":
            import torch

            torch.set_num_threads(args.threads or os.cpu_count())  # torch's default is the physical cores
        settings = {name: getattr(args, name) for name in ("batch_sizes", "strategies", "new_tokens", "repeats")}
        print(json.dumps(measure(args.impls[0], args.configs[0], vocabulary_size=args.vocabulary_size, **settings)))
        return
    machine = cpu_description()
    units = list(measurements(args))
    results = best_of_rounds([r for _ in range(args.rounds) for unit in units for r in run_worker(*unit, args)])
    if args.json:
        print("\n".join(json_lines(results, machine, args.threads)))
    else:
        print_table(machine, results, args)


if __name__ == "__main__":
    main()
