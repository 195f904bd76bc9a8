"""The timing protocol every benchmark here shares: one untimed warm-up call (compilation), then timed calls."""

import time


def time_blocks(run_block, blocks):
    """`(warm-up seconds, [seconds of each timed block])`: `run_block()` once to warm up, then `blocks` times.

    Example: `time_blocks(lambda: model.fit(data, steps_per_epoch=20, epochs=1, verbose=0), 5)`.
    """
    start = time.perf_counter()
    run_block()
    warmup = time.perf_counter() - start
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        run_block()
        times.append(time.perf_counter() - start)
    return warmup, times
