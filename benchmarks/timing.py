"""The timing protocol every benchmark here shares: one untimed warm-up call (compilation), then timed calls."""

import time


def time_blocks(run_block, blocks, self_timed=False):
    """`(warm-up seconds, [seconds of each timed block])`: `run_block()` once to warm up, then `blocks` times.

    A block lasts its wall time or, when `self_timed`, the seconds `run_block()` returns (e.g.
    only the steps inside a `fit`, without its set-up and tear-down).

    Example: `time_blocks(lambda: model.fit(data, steps_per_epoch=20, epochs=1, verbose=0), 5)`.
    """
    start = time.perf_counter()
    run_block()
    warmup = time.perf_counter() - start
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        measured = run_block()
        times.append(measured if self_timed else time.perf_counter() - start)
    return warmup, times
