"""Runs pytest once per Keras backend, `--jobs` processes side by side, and prints each backend's output whole.

`KERAS_BACKEND` must be set before Keras is first imported, so every backend needs its own pytest
process. Much of a suite is single-threaded (XLA compilation, Python between small ops), so on a
2-core machine two suites side by side finish well before two suites one after the other. Backends
start in the order given: put the longest first. Exits 0 only if every backend passed.

    python tests/run_per_backend.py --jobs 2 jax tensorflow torch -- -m "not slow"
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

# Spelled out, not imported from recipes.cli: this script runs with tests/ first on sys.path, where
# tests/recipes shadows the recipes package. tests/test_structure.py checks the two tuples agree.
BACKENDS = ("jax", "tensorflow", "torch")


def parse_args(argv):
    """`(options, pytest arguments)`: everything after `--` goes to every pytest unchanged."""
    argv = sys.argv[1:] if argv is None else list(argv)
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="+", choices=BACKENDS, help="backends to test, longest first")
    parser.add_argument("--jobs", type=int, default=2, help="pytest processes at once (default 2)")
    args = parser.parse_args(argv[:split])
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1. Received: {args.jobs}")
    if len(set(args.backends)) < len(args.backends):
        parser.error(f"each backend at most once. Received: {' '.join(args.backends)}")
    return args, argv[split + 1 :]


def start(backend, pytest_args, log):
    environment = {**os.environ, "KERAS_BACKEND": backend}
    command = [sys.executable, "-m", "pytest", *pytest_args]
    return subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)


def report(backend, log, returncode, seconds):
    log.seek(0)
    print(f"===== KERAS_BACKEND={backend}: {'passed' if returncode == 0 else 'FAILED'} in {seconds:.0f} s =====")
    sys.stdout.flush()
    sys.stdout.buffer.write(log.read())
    sys.stdout.flush()


def main(argv=None):
    args, pytest_args = parse_args(argv)
    waiting, running, failed = list(args.backends), {}, []
    try:
        while waiting or running:
            while waiting and len(running) < args.jobs:
                backend = waiting.pop(0)
                log = tempfile.TemporaryFile()
                print(f"----- KERAS_BACKEND={backend}: started", flush=True)
                running[backend] = (start(backend, pytest_args, log), log, time.monotonic())
            time.sleep(0.5)
            for backend, (process, log, started) in list(running.items()):
                if process.poll() is not None:
                    del running[backend]
                    report(backend, log, process.returncode, time.monotonic() - started)
                    log.close()
                    if process.returncode != 0:
                        failed.append(backend)
    finally:
        for process, _, _ in running.values():
            process.terminate()
    if failed:
        print(f"FAILED on: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
