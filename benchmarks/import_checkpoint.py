"""Time and peak memory of `zoo import` on a GPT-2 124M-shaped checkpoint, next to `transformers` loading it.

No download: `transformers` writes a random `GPT2LMHeadModel` of GPT-2's shape (12 layers, 768
wide, 1,024 positions, 50,257 tokens) and a byte-level BPE of GPT-2's size (256 bytes, 50,000
merges, "<|endoftext|>") into a folder. Each measurement runs in a fresh process, so its peak
resident memory is its own:

- `zoo import FOLDER --out RUN` (read safetensors, build the zoo model, write the run folder),
- `GPT2LMHeadModel.from_pretrained(FOLDER)` (the reference: what loading it in `transformers` costs).

Usage: `python benchmarks/import_checkpoint.py [--backend jax] [--work /tmp/import-bench]`
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

GPT2_MERGES = 50_000
REFERENCE = "from transformers import GPT2LMHeadModel; GPT2LMHeadModel.from_pretrained({folder!r})"


def write_checkpoint(folder):
    """A random GPT-2 124M and a GPT-2-sized byte-level BPE in `folder` (`save_pretrained` files)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

    from zoo.tokenizers.byte_pair_tokenizer import byte_level_alphabet

    letters = list(byte_level_alphabet().values())
    vocabulary = {token: i for i, token in enumerate(letters)}
    merges = []
    pieces = list(letters)
    for first in pieces:  # pairs of pieces, then longer pieces, in a fixed order
        for second in letters:
            if len(merges) == GPT2_MERGES:
                break
            merged = first + second
            if merged not in vocabulary:
                vocabulary[merged] = len(vocabulary)
                merges.append(f"{first} {second}")
                pieces.append(merged)
    vocabulary["<|endoftext|>"] = len(vocabulary)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocabulary), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    end = "<|endoftext|>"
    tokenizer = GPT2TokenizerFast(
        str(folder / "vocab.json"), str(folder / "merges.txt"), unk_token=end, bos_token=end, eos_token=end
    )
    torch.manual_seed(0)
    config = GPT2Config(bos_token_id=vocabulary[end], eos_token_id=vocabulary[end])
    GPT2LMHeadModel(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))


def measure(command, env, log):
    """`(wall seconds, peak resident MiB)` of `command` in a fresh process (its own rusage, from wait4)."""
    started = time.perf_counter()
    with open(log, "wb") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{command} failed:\n{Path(log).read_text(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024  # Linux reports KiB


def cpu_model():
    with open("/proc/cpuinfo") as f:
        names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    return f"{names[0] if names else platform.processor()} x {os.cpu_count()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="jax", choices=("jax", "tensorflow", "torch"))
    parser.add_argument("--work", default="/tmp/zoo-import-bench")
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    folder = work / "gpt2-124m"
    write_checkpoint(folder)
    weights_mb = (folder / "model.safetensors").stat().st_size / 2**20
    env = {**os.environ, "KERAS_BACKEND": args.backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    zoo = [sys.executable, "-m", "recipes.cli", "import", str(folder), "--out", str(work / "run")]
    reference = [sys.executable, "-c", REFERENCE.format(folder=str(folder))]
    rows = [
        (name, *measure(command, env, work / "stderr.log"))
        for name, command in (("zoo import", zoo), ("transformers from_pretrained", reference))
    ]
    print(f"CPU: {cpu_model()}; backend {args.backend}; model.safetensors {weights_mb:.0f} MiB")
    print("| step | wall s | peak resident MiB |\n|---|---|---|")
    for name, wall, peak in rows:
        print(f"| {name} | {wall:.1f} | {peak:,.0f} |")
    print(f"zoo import / transformers: {rows[0][1] / rows[1][1]:.2f}x the time")


if __name__ == "__main__":
    main()
