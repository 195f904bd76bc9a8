"""Generation speed, ours against one reference in one process, their calls alternating.

`benchmarks/generate.py` runs each implementation in its own subprocess, one after the other, so
a busy spell of a shared host can land on one of them only (single rows moved by 2x there). Here
ours (`zoo`) and the reference (`torch-kv`: the plain PyTorch KV-cache loop, greedy only; or
`keras-hub`: its `GPT2CausalLM` on the same Keras backend) run in one process, built exactly as
in `benchmarks/generate.py`, and each timed call of ours is followed by one of the reference: the
load falls on both alike. Each pair gives a ratio; the summary is the ratio of the medians, with
the pairs' lowest and highest ratio.

    python benchmarks/generate_interleaved.py                     # torch, small, greedy against torch-kv
    python benchmarks/generate_interleaved.py --backend jax --reference keras-hub --strategies greedy,beam
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
    BACKENDS,
    BATCH_SIZES,
    CONFIGS,
    GENERATORS,
    NEW_TOKENS,
    PROMPT_LENGTH,
    STRATEGIES,
    VOCABULARY_SIZE,
    cpu_description,
    cpu_line,
    load_averages,
    prompt_ids,
)
from zoo.validation import require_choice, require_positive_int  # noqa: E402

REFERENCES = ("torch-kv", "keras-hub")


def _seconds(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure_pairs(config, batch, strategy, reference, pairs, new_tokens=NEW_TOKENS, vocabulary_size=VOCABULARY_SIZE):
    """One result dict: ours and `reference`'s new tokens/s (median call) over `pairs` alternating calls.

    Example: `measure_pairs("tiny", 1, "greedy", "torch-kv", pairs=3, new_tokens=4)["ratio"]`.
    """
    import keras

    ours, theirs = (GENERATORS[impl](config, vocabulary_size, new_tokens) for impl in ("zoo", reference))
    if strategy not in theirs.strategies:
        raise ValueError(f"{reference} runs {', '.join(theirs.strategies)} only. Received: strategy={strategy!r}")
    ids = prompt_ids(batch, vocabulary_size)
    our_inputs, their_inputs = ours.inputs(ids), theirs.inputs(ids)

    def our_call():
        return ours.generate(our_inputs, strategy, new_tokens)

    def their_call():
        return theirs.generate(their_inputs, strategy, new_tokens)

    first_call_s = _seconds(our_call)  # compiles (or loads) our programs
    their_call()
    our_s, their_s = [], []
    for _ in range(pairs):
        our_s.append(_seconds(our_call))
        their_s.append(_seconds(their_call))
    pair_ratios = [theirs_ / ours_ for ours_, theirs_ in zip(our_s, their_s)]
    tokens = batch * new_tokens
    return {
        "backend": keras.backend.backend(),
        "config": config,
        "batch": batch,
        "strategy": strategy,
        "new_tokens": new_tokens,
        "pairs": pairs,
        "reference": reference,
        "zoo_new_tokens_per_s": tokens / statistics.median(our_s),
        "reference_new_tokens_per_s": tokens / statistics.median(their_s),
        "ratio": statistics.median(their_s) / statistics.median(our_s),
        "lowest_pair_ratio": min(pair_ratios),
        "highest_pair_ratio": max(pair_ratios),
        "zoo_first_call_s": first_call_s,
    }


def _names(option, text, choices):
    return [require_choice(option, value, choices) for value in text.split(",")]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="torch", help="the Keras backend of ours (and of keras-hub)")
    parser.add_argument("--reference", default="torch-kv", help="torch-kv (greedy only) or keras-hub")
    parser.add_argument("--configs", default="small", help="zoo GPT presets, comma-separated")
    parser.add_argument("--strategies", default="greedy", help="greedy, beam (beam 4)")
    parser.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)))
    parser.add_argument("--pairs", type=int, default=9, help="timed (ours, reference) call pairs per case")
    parser.add_argument("--new-tokens", type=int, default=NEW_TOKENS)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: one per core)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per case")
    args = parser.parse_args(argv)
    try:
        require_choice("--backend", args.backend, BACKENDS)
        require_choice("--reference", args.reference, REFERENCES)
        args.configs = _names("--configs", args.configs, CONFIGS)
        args.strategies = _names("--strategies", args.strategies, STRATEGIES)
        if args.reference == "torch-kv" and args.strategies != ["greedy"]:
            raise ValueError(
                f"`--reference torch-kv` runs greedy only. Received: --strategies {','.join(args.strategies)}"
            )
        args.batch_sizes = [require_positive_int("--batch-sizes", int(value)) for value in args.batch_sizes.split(",")]
        for name in ("pairs", "new_tokens"):
            require_positive_int(f"--{name.replace('_', '-')}", getattr(args, name))
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv=None):
    args = parse_args(argv)
    os.environ["KERAS_BACKEND"] = args.backend  # before the first Keras import (in `measure_pairs`)
    import torch

    torch.set_num_threads(args.threads or os.cpu_count())  # torch's default is the physical cores
    machine = cpu_description()
    results = [
        measure_pairs(config, batch, strategy, args.reference, args.pairs, args.new_tokens)
        for config in args.configs
        for batch in args.batch_sizes
        for strategy in args.strategies
    ]
    if args.json:
        print("\n".join(json.dumps({**machine, **result}) for result in results))
        return
    print(cpu_line(machine))
    load = load_averages(machine)
    print(f"load average at start: {load}; {args.pairs} pairs; prompt {PROMPT_LENGTH}, {args.new_tokens} new tokens")
    reference = args.reference
    print(f"| config | backend | batch | strategy | zoo | {reference} | zoo / {reference} (lowest-highest pair) |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        rates = f"{r['zoo_new_tokens_per_s']:,.0f} | {r['reference_new_tokens_per_s']:,.0f}"
        spread = f"{r['lowest_pair_ratio']:.2f}-{r['highest_pair_ratio']:.2f}"
        case = f"{r['config']} | {r['backend']} | {r['batch']} | {r['strategy']}"
        print(f"| {case} | {rates} | {r['ratio']:.2f}x ({spread}) |")


if __name__ == "__main__":
    main()
