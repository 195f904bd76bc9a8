"""Generation speed: our GPT (zoo.generation.generate) next to keras-hub's GPT2CausalLM.generate.

New tokens per second for batch 1 and 8, a 16-token prompt and 64 new tokens, greedy and beam 4,
for random-init models of the same shape (a zoo GPT preset; keras-hub's GPT2Backbone with the
same layers, width, heads, feed-forward and vocabulary, `preprocessor=None`, fed token ids).
Each backend runs in its own subprocess with KERAS_BACKEND set. The first call of each case
(compilation) is timed apart and left out of the rate: the rate is the median of `--repeats` calls.

    python benchmarks/generate.py                      # tiny and small, all three backends
    python benchmarks/generate.py --backends jax --sizes tiny --json
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: make `benchmarks` importable

from benchmarks.timing import time_blocks  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")
PROMPT_LENGTH, NEW_TOKENS = 16, 64
BATCH_SIZES = (1, 8)
STRATEGIES = ("greedy", "beam4")


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


def _timed(function, repeats):
    first, times = time_blocks(function, repeats)
    return first, statistics.median(times)


def _models(size, vocabulary_size):
    import keras_hub

    from zoo.models.gpt import PRESETS, GPTBackbone, GPTCausalLM

    preset = dict(PRESETS[size], max_sequence_length=PROMPT_LENGTH + NEW_TOKENS)
    ours = GPTCausalLM(GPTBackbone(vocabulary_size=vocabulary_size, **preset))
    hub_backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=vocabulary_size,
        num_layers=preset["num_layers"],
        num_heads=preset["num_heads"],
        hidden_dim=preset["hidden_dim"],
        intermediate_dim=preset["intermediate_dim"],
        dropout=0.0,
        max_sequence_length=preset["max_sequence_length"],
    )
    return ours, keras_hub.models.GPT2CausalLM(backbone=hub_backbone, preprocessor=None)


def run_worker(sizes, vocabulary_size, repeats):
    """Runs every case on this process's backend; returns a list of result dicts."""
    import keras
    import keras_hub
    import numpy as np

    from zoo.generation import generate

    results = []
    max_length = PROMPT_LENGTH + NEW_TOKENS
    for size in sizes:
        ours, hub = _models(size, vocabulary_size)
        for batch_size in BATCH_SIZES:
            prompt = np.random.default_rng(0).integers(1, vocabulary_size, (batch_size, PROMPT_LENGTH)).astype("int32")
            hub_inputs = {
                "token_ids": np.pad(prompt, ((0, 0), (0, NEW_TOKENS))),
                "padding_mask": np.pad(np.ones_like(prompt), ((0, 0), (0, NEW_TOKENS))),
            }
            for strategy in STRATEGIES:
                options = {"strategy": "beam", "beam_size": 4} if strategy == "beam4" else {"strategy": "greedy"}
                sampler = keras_hub.samplers.BeamSampler(num_beams=4) if strategy == "beam4" else "greedy"
                hub.compile(sampler=sampler)
                ours_first, ours_time = _timed(lambda: generate(ours, prompt, max_length, **options), repeats)
                hub_first, hub_time = _timed(lambda: hub.generate(hub_inputs, stop_token_ids=None), repeats)
                new_tokens = batch_size * NEW_TOKENS
                results.append(
                    {
                        "backend": keras.backend.backend(),
                        "size": size,
                        "batch_size": batch_size,
                        "strategy": strategy,
                        "ours_tokens_per_s": new_tokens / ours_time,
                        "keras_hub_tokens_per_s": new_tokens / hub_time,
                        "ratio": hub_time / ours_time,
                        "ours_first_call_s": ours_first,
                        "keras_hub_first_call_s": hub_first,
                    }
                )
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    return results


def run_backend(backend, args):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), TF_NUM_INTRAOP_THREADS=str(args.threads))
        if args.threads == 1:
            env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    command = [sys.executable, os.path.abspath(__file__), "--worker", "--sizes", ",".join(args.sizes)]
    command += ["--vocabulary-size", str(args.vocabulary_size), "--repeats", str(args.repeats)]
    completed = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{backend} worker failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def print_table(machine, results, args):
    print(f"CPU: {machine['cpu']} ({machine['cores']} cores; flags: {' '.join(machine['flags']) or 'n/a'})")
    print(
        f"load average at start: {' '.join(f'{x:.2f}' for x in machine['load_average'])}; "
        f"threads: {args.threads or 'backend default'}; vocabulary {args.vocabulary_size}; "
        f"prompt {PROMPT_LENGTH}, {NEW_TOKENS} new tokens; median of {args.repeats}"
    )
    header = (
        f"{'size':<6} {'backend':<11} {'batch':>5} {'strategy':<8} {'ours tok/s':>11} {'keras-hub tok/s':>16} "
        f"{'ours/keras-hub':>15}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['size']:<6} {r['backend']:<11} {r['batch_size']:>5} {r['strategy']:<8} "
            f"{r['ours_tokens_per_s']:>11.1f} {r['keras_hub_tokens_per_s']:>16.1f} {r['ratio']:>14.2f}x"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS), type=lambda s: s.split(","))
    parser.add_argument("--sizes", default="tiny,small", type=lambda s: s.split(","))
    parser.add_argument("--vocabulary-size", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads per backend (default: all)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.sizes, args.vocabulary_size, args.repeats)))
        return
    machine = cpu_description()
    results = [r for backend in args.backends for r in run_backend(backend, args)]
    if args.json:
        print(json.dumps({"machine": machine, "threads": args.threads, "results": results}, indent=2))
    else:
        print_table(machine, results, args)


if __name__ == "__main__":
    main()
