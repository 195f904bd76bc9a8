"""Runs pytest once per Keras backend, `--jobs` processes side by side, and prints each backend's output whole.

`KERAS_BACKEND` must be set before Keras is first imported, so every backend needs its own pytest
process. Much of a suite is single-threaded (XLA compilation, Python between small ops), so on a
2-core machine two suites side by side finish well before two suites one after the other. Backends
start in the order given: put the longest first. Exits 0 only if every backend passed.

A job is a backend's whole suite (`torch`) or one of its two parts (`torch:runs`: tests/export
and tests/recipes, whose tests train runs through the CLI and share one cache of tiny runs, and
tests/training; `torch:rest`: every other test), so a short suite can fill the time two long ones leave.

    python tests/run_per_backend.py --jobs 2 jax tensorflow torch:runs torch:rest -- -m "not slow"
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
PARTS = ("runs", "rest")  # tests/conftest.py reads the part from ZOO_TEST_PART


def parse_args(argv):
    """`(options, pytest arguments)`: everything after `--` goes to every pytest unchanged."""
    argv = sys.argv[1:] if argv is None else list(argv)
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "job_list", nargs="+", metavar="job", help=f"a backend ({', '.join(BACKENDS)}) or BACKEND:PART; longest first"
    )
    parser.add_argument("--jobs", type=int, default=2, help="pytest processes at once (default 2)")
    args = parser.parse_args(argv[:split])
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1. Received: {args.jobs}")
    for job in args.job_list:
        backend, _, part = job.partition(":")
        if backend not in BACKENDS or (part and part not in PARTS):
            parser.error(f"a job is a backend ({', '.join(BACKENDS)}), or one with :runs or :rest. Received: {job}")
    whole = [job for job in args.job_list if ":" not in job]
    parts = [job.partition(":")[0] for job in args.job_list if ":" in job]
    if len(set(args.job_list)) < len(args.job_list) or set(whole) & set(parts):
        parser.error(f"each test at most once: a backend whole or in parts. Received: {' '.join(args.job_list)}")
    return args, argv[split + 1 :]


def start(job, pytest_args, log):
    backend, _, part = job.partition(":")
    environment = {**os.environ, "KERAS_BACKEND": backend}
    if part:
        environment["ZOO_TEST_PART"] = part
    command = [sys.executable, "-m", "pytest", *pytest_args]
    return subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)


def report(job, log, returncode, seconds):
    log.seek(0)
    print(f"===== KERAS_BACKEND={job}: {'passed' if returncode == 0 else 'FAILED'} in {seconds:.0f} s =====")
    sys.stdout.flush()
    sys.stdout.buffer.write(log.read())
    sys.stdout.flush()


def main(argv=None):
    args, pytest_args = parse_args(argv)
    waiting, running, failed = list(args.job_list), {}, []
    try:
        while waiting or running:
            while waiting and len(running) < args.jobs:
                job = waiting.pop(0)
                log = tempfile.TemporaryFile()
                print(f"----- KERAS_BACKEND={job}: started", flush=True)
                running[job] = (start(job, pytest_args, log), log, time.monotonic())
            time.sleep(0.5)
            for job, (process, log, started) in list(running.items()):
                if process.poll() is not None:
                    del running[job]
                    report(job, log, process.returncode, time.monotonic() - started)
                    log.close()
                    if process.returncode != 0:
                        failed.append(job)
    finally:
        for process, _, _ in running.values():
            process.terminate()
    if failed:
        print(f"FAILED on: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
