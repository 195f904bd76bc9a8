"""This CPU's matmul peak: GFLOP/s of an fp32 numpy matmul and a bf16 torch matmul, n x n by n x n.

A matmul of two n x n matrices is 2 n^3 FLOPs. Each rate is the median of `--repeats` timed calls
after one untimed warm-up call. The bf16 figure needs torch (None without it); whether it beats
fp32 depends on the bf16 instructions the CPU has (`amx_bf16`, `avx512_bf16`, `amx_tile`), which
are printed with the CPU model. `benchmarks/train.py` divides its FLOP rates by these peaks.

    python benchmarks/peak.py                # n = 2048, 5 repeats
    python benchmarks/peak.py --n 1024 --json
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `zoo` and `benchmarks` importable

from benchmarks.generate import cpu_description, load_averages  # noqa: E402
from benchmarks.timing import time_blocks  # noqa: E402
from zoo.validation import require_positive_int  # noqa: E402

BF16_FLAGS = ("amx_bf16", "avx512_bf16", "amx_tile")


def bf16_isa(cpuinfo="/proc/cpuinfo"):
    """The bf16 matmul flags of `BF16_FLAGS` this CPU reports, e.g. `["avx512_bf16"]`; [] if unknown."""
    try:
        with open(cpuinfo) as lines:
            for line in lines:
                if line.startswith("flags"):
                    present = set(line.split(":", 1)[1].split())
                    return [flag for flag in BF16_FLAGS if flag in present]
    except OSError:
        pass
    return []


def matmul_gflops(matmul, n, repeats):
    """GFLOP/s of `matmul()` (one n x n by n x n product): median of `repeats` calls after a warm-up.

    Example: `matmul_gflops(lambda: a @ b, 2048, 5)` for numpy arrays `a`, `b` of shape (2048, 2048).
    """
    _, times = time_blocks(matmul, repeats)
    return 2 * n**3 / statistics.median(times) / 1e9


def numpy_fp32_gflops(n=2048, repeats=5):
    """GFLOP/s of `numpy.matmul` on float32 n x n matrices."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    return matmul_gflops(lambda: np.matmul(a, b), n, repeats)


def torch_bf16_gflops(n=2048, repeats=5):
    """GFLOP/s of `torch.matmul` on bfloat16 n x n matrices, or None when torch is not importable."""
    try:
        import torch
    except ImportError:
        return None
    generator = torch.Generator().manual_seed(0)
    a, b = (torch.randn(n, n, generator=generator).to(torch.bfloat16) for _ in range(2))
    return matmul_gflops(lambda: torch.matmul(a, b), n, repeats)


def measure_peak(n=2048, repeats=5):
    """The matmul peaks of this CPU in GFLOP/s.

    Example:

        peak = measure_peak(n=256, repeats=2)
        sorted(peak), peak["fp32_numpy_gflops"] > 0  # (['bf16_torch_gflops', 'fp32_numpy_gflops'], True)
    """
    require_positive_int("n", n)
    require_positive_int("repeats", repeats)
    return {"fp32_numpy_gflops": numpy_fp32_gflops(n, repeats), "bf16_torch_gflops": torch_bf16_gflops(n, repeats)}


def cpu_line(machine, isa):
    """The line naming the CPU, its core count, vector flags and bf16 instructions."""
    return (
        f"CPU: {machine['cpu']} ({machine['cores']} cores; flags: {' '.join(machine['flags']) or 'n/a'}; "
        f"bf16 ISA: {' '.join(isa) or 'none'})"
    )


def describe(machine, isa, peak):
    """Lines naming the CPU, its vector and bf16 flags, and the measured peaks."""
    bf16 = peak["bf16_torch_gflops"]
    return [
        cpu_line(machine, isa),
        f"load average at start: {load_averages(machine)}",
        f"matmul peak: fp32 numpy {peak['fp32_numpy_gflops']:.1f} GFLOP/s, "
        f"bf16 torch {'n/a (no torch)' if bf16 is None else f'{bf16:.1f} GFLOP/s'}",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048, help="matrix size")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls (the median is reported)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    machine, isa = cpu_description(), bf16_isa()
    peak = measure_peak(args.n, args.repeats)
    if args.json:
        print(json.dumps({"machine": machine, "bf16_isa": isa, "n": args.n, **peak}, indent=2))
    else:
        print("\n".join(describe(machine, isa, peak)))


if __name__ == "__main__":
    main()
