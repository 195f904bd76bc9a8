"""torch greedy generation: ours and the plain PyTorch KV-cache loop in one process, their calls alternating.

`benchmarks/generate.py` runs each implementation in its own subprocess, one after the other, so
a busy spell of a shared host can land on one of them only (single rows moved by 2x there). Here
both run in one PyTorch process on the same weights and prompts, and each timed call of ours is
followed by one of the reference: the load falls on both alike. Each pair gives a ratio; the
summary is the ratio of the medians, with the pairs' lowest and highest ratio.

    python benchmarks/generate_interleaved.py                       # small, batch 1 and 8, 9 pairs
    python benchmarks/generate_interleaved.py --configs tiny,small --pairs 15 --json
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `zoo` and `benchmarks` importable
from benchmarks.generate import (  # noqa: E402
    BATCH_SIZES,
    CONFIGS,
    NEW_TOKENS,
    PROMPT_LENGTH,
    VOCABULARY_SIZE,
    cpu_description,
    prompt_ids,
    zoo_model,
)
from zoo.validation import require_choice, require_positive_int  # noqa: E402


def _seconds(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure_pairs(config, batch, pairs, new_tokens=NEW_TOKENS, vocabulary_size=VOCABULARY_SIZE):
    """One result dict: zoo's and torch-kv's new tokens/s (median call) over `pairs` alternating calls.

    Example: `measure_pairs("tiny", 1, pairs=3, new_tokens=4)["zoo_over_torch_kv"]`.
    """
    import keras
    import torch

    from benchmarks.torch_kv_reference import TorchKVGPT
    from zoo.generation import generate

    if keras.backend.backend() != "torch":
        backend = keras.backend.backend()
        raise RuntimeError(f"Run this with KERAS_BACKEND=torch (it is {backend!r}): ours runs on torch here.")

    model = zoo_model(config, vocabulary_size, PROMPT_LENGTH + new_tokens)
    reference = TorchKVGPT(model)
    ids = prompt_ids(batch, vocabulary_size)
    torch_ids = torch.from_numpy(ids).long()

    def ours():
        return generate(model, ids, PROMPT_LENGTH + new_tokens)

    def plain():
        return reference.generate(torch_ids, new_tokens)

    first_call_s = _seconds(ours)  # compiles (or loads) our programs
    plain()
    zoo_s, torch_kv_s = [], []
    for _ in range(pairs):
        zoo_s.append(_seconds(ours))
        torch_kv_s.append(_seconds(plain))
    pair_ratios = [reference_s / zoo for zoo, reference_s in zip(zoo_s, torch_kv_s)]
    tokens = batch * new_tokens
    return {
        "config": config,
        "batch": batch,
        "strategy": "greedy",
        "new_tokens": new_tokens,
        "pairs": pairs,
        "zoo_new_tokens_per_s": tokens / statistics.median(zoo_s),
        "torch_kv_new_tokens_per_s": tokens / statistics.median(torch_kv_s),
        "zoo_over_torch_kv": statistics.median(torch_kv_s) / statistics.median(zoo_s),
        "lowest_pair_ratio": min(pair_ratios),
        "highest_pair_ratio": max(pair_ratios),
        "zoo_first_call_s": first_call_s,
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="small", help="zoo GPT presets, comma-separated")
    parser.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)))
    parser.add_argument("--pairs", type=int, default=9, help="timed (ours, reference) call pairs per case")
    parser.add_argument("--new-tokens", type=int, default=NEW_TOKENS)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: one per core)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per case")
    args = parser.parse_args(argv)
    try:
        args.configs = [require_choice("--configs", value, CONFIGS) for value in args.configs.split(",")]
        args.batch_sizes = [require_positive_int("--batch-sizes", int(value)) for value in args.batch_sizes.split(",")]
        for name in ("pairs", "new_tokens"):
            require_positive_int(f"--{name.replace('_', '-')}", getattr(args, name))
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv=None):
    os.environ["KERAS_BACKEND"] = "torch"  # before the first Keras import (in `measure_pairs`)
    import torch

    args = parse_args(argv)
    torch.set_num_threads(args.threads or os.cpu_count())
    machine = cpu_description()
    results = [
        measure_pairs(config, batch, args.pairs, args.new_tokens)
        for config in args.configs
        for batch in args.batch_sizes
    ]
    if args.json:
        print("\n".join(json.dumps({**machine, **result}) for result in results))
        return
    print(f"CPU: {machine['cpu']} ({machine['cores']} cores; flags: {' '.join(machine['flags'])})")
    load = " ".join(f"{value:.2f}" for value in machine["load_average"])
    print(f"load average at start: {load}; {args.pairs} pairs; prompt {PROMPT_LENGTH}, {args.new_tokens} new tokens")
    print("| config | batch | zoo | torch-kv | zoo / torch-kv (lowest-highest pair) |")
    print("|---|---|---|---|---|")
    for r in results:
        rates = f"{r['zoo_new_tokens_per_s']:,.0f} | {r['torch_kv_new_tokens_per_s']:,.0f}"
        spread = f"{r['lowest_pair_ratio']:.2f}-{r['highest_pair_ratio']:.2f}"
        print(f"| {r['config']} | {r['batch']} | {rates} | {r['zoo_over_torch_kv']:.2f}x ({spread}) |")


if __name__ == "__main__":
    main()
