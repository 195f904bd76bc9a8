"""Hostile and damaged inputs: how the `zoo` command refuses each, and what the refusal costs.

Each case runs a real command in a subprocess under GNU time (`/usr/bin/time -f "%M %e"`): `zoo predict`
on a copy of a finished tiny run with one file edited, `zoo train` on bad data, the `.keras` loader
(`zoo.export.load_keras_file`, a `UserError` printed as `zoo: error: ...` with exit status 2) on zip bombs,
a second `zoo train` on a run folder another one holds, and `zoo export` run again after a `kill -9`.
A refusal should exit with status 2, print one line and leave nothing behind. Prints a Markdown row per
case: exit status, the lines printed on stderr (TensorFlow's start-up lines such as `I0000 ...` left out),
the first of them (shortened; `W` is the work folder), peak RSS, seconds, and what was left behind: the
`--out` folder of a failed `zoo train`, or a new hidden temporary (`.exporting-*`, `.writing-*`, ...)
anywhere in the work folder. Case 0 is the baseline: `zoo predict` on the good run, a normal start-up.

Everything is built in `--workdir` (default: a temporary folder, removed at the end), deterministically:
two tiny BERT classification runs on the embedded corpus, `good` (64 examples, a vocabulary of 213 tokens)
and `bigvocab` (2,000 examples, 350 tokens: more than `good` has embedding rows), trained once (a finished
run found there is reused); each hostile variant is a copy of `good` with one file edited, removed after
its case. `--cases` runs some cases and builds only the runs they need. The `zoo`
commands run with `--backend jax` (`zoo export` always traces under TensorFlow), TF_CPP_MIN_LOG_LEVEL=2.
The default run takes about 6 minutes on 2 cores and writes up to 1 GB at a time (case 8).

    python benchmarks/hostile_inputs.py
    python benchmarks/hostile_inputs.py --cases 1,3,9 --json
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `benchmarks` and `zoo` importable

from benchmarks.generate import cpu_description  # noqa: E402
from benchmarks.peak import bf16_isa, cpu_line  # noqa: E402

CASES = {
    0: "baseline: zoo predict on the good run",
    1: "tokenizer asset path ../../../../etc/passwd",
    2: "model config.json not UTF-8",
    3: "model.weights.h5 cut to 100 bytes",
    4: "tokenizer of another run (350 tokens, 213 rows)",
    5: "model config.json of [ nesting",
    6: "vocabulary_size 10**12 in model config.json",
    7: "a Lambda layer as the backbone",
    8: "vocabulary asset of one 1 GB line",
    9: "zoo predict argument not UTF-8",
    10: "zoo train --data a directory",
    11: "training TSV of one row, no --valid",
    12: "training TSV of one class",
    13: "--valid label not in training",
    14: ".keras file with a 2 GB zip bomb",
    15: "second zoo train on one --out",
    16: "zoo export again after kill -9 of one",
}
# The runs (and the .keras export) each case needs built first.
NEEDS = {**{case: ("good",) for case in (0, 1, 2, 3, 5, 6, 7, 8, 16)}, 4: ("good", "bigvocab"), 14: ("good", "keras")}
TIME_FORMAT = "%M %e"  # peak RSS in KB, wall seconds: GNU time's last line on stderr
USAGE = re.compile(r"(\d+) (\d+\.\d+)\n?\Z")
STARTUP_NOISE = re.compile(r"^([IWEF]\d{4} |WARNING: All log messages before absl::InitializeLog)")
TEMPORARY = re.compile(r"^\.[a-z]+-\d+-")  # zoo.staging's `.<kind>-<pid>-XXXX`
MESSAGE_CHARS = 100
TIMEOUT_S = 600
LAMBDA = {
    "module": "keras.layers",
    "class_name": "Lambda",
    "config": {
        "function": {"module": "builtins", "class_name": "function", "config": "abs", "registered_name": "function"}
    },
    "registered_name": None,
}
# Load a .keras file as a server would; a refusal prints one line and exits 2, as the `zoo` command does.
LOAD_KERAS = """import sys
from zoo.errors import UserError
from zoo.export import load_keras_file
try:
    load_keras_file(sys.argv[1])
except UserError as error:
    print("zoo: error: " + " ".join(str(error).split()), file=sys.stderr)
    sys.exit(2)
"""
ENVIRONMENT = {
    **{name: value for name, value in os.environ.items() if name != "ZOO_DEBUG"},
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "KERAS_BACKEND": "jax",
}


def zoo(*arguments):
    """The `zoo` command line with `arguments` (str, or bytes passed to the process as they are)."""
    return [sys.executable, "-m", "recipes.cli", *arguments]


def train_command(out, *settings, vocabulary_size=400):
    """`zoo train classification` of a tiny BERT (5 steps) into `out`; `settings` are more flags."""
    return zoo(
        "train",
        "classification",
        "--model",
        "bert",
        "--size",
        "tiny",
        "--max-steps",
        "5",
        "--batch-size",
        "8",
        "--seq-len",
        "32",
        "--vocabulary-size",
        str(vocabulary_size),
        "--backend",
        "jax",
        "--out",
        str(out),
        *settings,
    )


def predict_command(run, text="a fine film"):
    return zoo("predict", str(run), text, "--backend", "jax")


def export_command(run, out, format):
    return zoo("export", str(run), "--format", format, "--out", str(out))


def run_checked(command):
    """Runs a set-up command; `RuntimeError` with its stderr's end if it fails."""
    completed = subprocess.run(command, cwd=ROOT, env=ENVIRONMENT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")


def parse_stderr(text, work):
    """`(lines, peak KB, seconds)` of a stderr ending in GNU time's line: the non-empty lines before it, less
    TensorFlow's start-up lines, with the work folder written `W`.

        parse_stderr("I0000 00:00 cpu_feature_guard\\nzoo: error: /tmp/w/x: bad\\n2048 1.50\\n", "/tmp/w")
        # -> (['zoo: error: W/x: bad'], 2048, 1.5)
    """
    usage = USAGE.search(text)
    if usage is None:
        raise RuntimeError(f"no GNU time line at the end of stderr:\n{text[-3000:]}")
    lines = [line.replace(str(work), "W") for line in text[: usage.start()].splitlines()]
    lines = [line for line in lines if line.strip() and not STARTUP_NOISE.match(line)]
    return lines, int(usage[1]), float(usage[2])


def timed(command, work):
    """`{"exit", "stderr_lines", "message", "peak_rss_mb", "seconds"}` of `command` run under GNU time."""
    with subprocess.Popen(
        ["/usr/bin/time", "-q", "-f", TIME_FORMAT, *command],
        cwd=ROOT,
        env=ENVIRONMENT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        try:
            _, stderr = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    lines, kilobytes, seconds = parse_stderr(stderr.decode("utf-8", "replace"), work)
    message = lines[0] if lines else ""
    if len(message) > MESSAGE_CHARS:
        message = message[: MESSAGE_CHARS - 1] + "…"
    return {
        "exit": process.returncode,
        "stderr_lines": len(lines),
        "message": message,
        "peak_rss_mb": round(kilobytes / 1024, 1),
        "seconds": seconds,
    }


def temporaries(work):
    """The hidden temporaries (`.exporting-<pid>-...`) anywhere under `work`, relative to it."""
    return {str(path.relative_to(work)) for path in work.rglob(".*") if TEMPORARY.match(path.name)}


def measure(case, command, work, outputs=(), ignored=None, part="", note=""):
    """The row of `case` (`part` of it: "a", "b"): `command` timed, and what it left behind: new temporaries,
    and those of `outputs` that exist. `ignored`: the temporaries not counted (default: those there before).
    """
    ignored = temporaries(work) if ignored is None else ignored
    result = timed(command, work)
    left = sorted(temporaries(work) - ignored) + [f"{path.relative_to(work)}/" for path in outputs if path.exists()]
    return {
        "case": f"{case}{part}",
        "input": CASES[case],
        **result,
        "left_behind": ", ".join(left) or "none",
        "note": note,
    }


@contextlib.contextmanager
def variant(work, name):
    """A copy of the good run at `work/name`, removed afterwards."""
    path = work / name
    shutil.copytree(work / "good", path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def edit_json(path, edit):
    """Rewrites the JSON file at `path` after `edit(value)` changed its value in place."""
    value = json.loads(path.read_text(encoding="utf-8"))
    edit(value)
    path.write_text(json.dumps(value), encoding="utf-8")


def set_everywhere(value, key, new):
    """Sets `key` to `new` in every dict nested in `value`."""
    if isinstance(value, list):
        for item in value:
            set_everywhere(item, key, new)
    elif isinstance(value, dict):
        for name, item in value.items():
            if name == key:
                value[name] = new
            else:
                set_everywhere(item, key, new)


def write_repeated(path, byte, size, chunk=64 << 20):
    """Writes `size` bytes of `byte` at `path`, `chunk` at a time."""
    block = byte * chunk
    with open(path, "wb") as f:
        for _ in range(size // chunk):
            f.write(block)
        f.write(byte * (size % chunk))


def write_zip_bomb(source, out, member, size, chunk=64 << 20):
    """A copy of the `.keras` file `source` whose `member` is `size` zero bytes, deflated, written streaming."""
    zeros = bytes(chunk)
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as bomb:
        for info in original.infolist():
            if info.filename != member:
                bomb.writestr(info, original.read(info))
                continue
            bomb_info = zipfile.ZipInfo(member, info.date_time)
            bomb_info.compress_type = zipfile.ZIP_DEFLATED
            with bomb.open(bomb_info, "w", force_zip64=True) as f:
                for _ in range(size // chunk):
                    f.write(zeros)


def write_tsv(path, rows):
    path.write_text("label\ttext\n" + "".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    return path


def wait_for(condition, what, timeout=TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def prepare(work, needs):
    """Trains the runs (`good`, `bigvocab`) and writes the `.keras` export (`keras`) that `needs` names."""
    # The embedded corpus's 64 examples give a vocabulary of 213 tokens; 2,000 give `bigvocab` 350 (of 600).
    for name, examples, vocabulary_size in (("good", 64, 400), ("bigvocab", 2000, 600)):
        if name in needs and not (work / name / "model" / "config.json").exists():
            run_checked(
                train_command(
                    work / name,
                    "--train-examples",
                    str(examples),
                    "--valid-examples",
                    "16",
                    vocabulary_size=vocabulary_size,
                )
            )
    if "keras" in needs:
        run_checked(export_command(work / "good", work / "good.keras", "keras"))


def case_0(work):
    return [measure(0, predict_command(work / "good"), work)]


def case_1(work):
    with variant(work, "asset_outside") as run:
        edit_json(
            run / "model/tokenizer/tokenizer.json",
            lambda config: config["assets"].update(dict.fromkeys(config["assets"], "../../../../etc/passwd")),
        )
        return [measure(1, predict_command(run), work)]


def case_2(work):
    with variant(work, "not_utf8") as run:
        path = run / "model/config.json"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] = 0xFF
        path.write_bytes(bytes(data))
        return [measure(2, predict_command(run), work)]


def case_3(work):
    with variant(work, "truncated") as run:
        path = run / "model/model.weights.h5"
        path.write_bytes(path.read_bytes()[:100])
        return [measure(3, predict_command(run), work)]


def case_4(work):
    with variant(work, "other_tokenizer") as run:
        shutil.rmtree(run / "model/tokenizer")
        shutil.copytree(work / "bigvocab/model/tokenizer", run / "model/tokenizer")
        return [measure(4, predict_command(run), work)]


def case_5(work):
    rows = []
    for part, megabytes in (("a", 50), ("b", 10)):  # over the 16 MiB cap; under it, 5 million levels deep
        with variant(work, f"nesting_{megabytes}mb") as run:
            depth = megabytes << 19
            (run / "model/config.json").write_bytes(b"[" * depth + b"]" * depth)
            rows.append(measure(5, predict_command(run), work, part=part, note=f"{megabytes} MB"))
    return rows


def case_6(work):
    with variant(work, "huge_vocabulary") as run:
        edit_json(run / "model/config.json", lambda config: set_everywhere(config, "vocabulary_size", 10**12))
        return [measure(6, predict_command(run), work)]


def case_7(work):
    with variant(work, "lambda") as run:
        edit_json(run / "model/config.json", lambda config: config["model"]["config"].update(backbone=LAMBDA))
        return [measure(7, predict_command(run), work)]


def case_8(work):
    with variant(work, "long_line") as run:
        folder = run / "model/tokenizer"
        asset = next(iter(json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["assets"].values()))
        write_repeated(folder / asset, b"a", 1 << 30)
        return [measure(8, predict_command(run), work, note=asset)]


def case_9(work):
    return [measure(9, predict_command(work / "good", b"\xff\xfe bad"), work)]


def case_10(work):
    folder = work / "folder"
    folder.mkdir(exist_ok=True)
    out = work / "t1"
    return [measure(10, train_command(out, "--data", str(folder)), work, outputs=[out])]


def case_11(work):
    data = write_tsv(work / "one_row.tsv", [("pos", "fine")])
    out = work / "t2"
    return [measure(11, train_command(out, "--data", str(data)), work, outputs=[out])]


def case_12(work):
    data = write_tsv(work / "one_class.tsv", [("pos", f"a good film, number {i}") for i in range(20)])
    out = work / "t3"
    return [measure(12, train_command(out, "--data", str(data)), work, outputs=[out])]


def case_13(work):
    data = write_tsv(work / "two_classes.tsv", [("pos", "a good film"), ("neg", "a bad film")] * 10)
    valid = write_tsv(work / "unseen_label.tsv", [("pos", "fine"), ("neutral", "so so")])
    out = work / "t4"
    return [measure(13, train_command(out, "--data", str(data), "--valid", str(valid)), work, outputs=[out])]


def case_14(work):
    rows = []
    for part, member in (("a", "config.json"), ("b", "model.weights.h5")):
        bomb = work / f"bomb-{member}.keras"
        write_zip_bomb(work / "good.keras", bomb, member, 2 << 30)
        try:
            rows.append(
                measure(
                    14,
                    [sys.executable, "-c", LOAD_KERAS, str(bomb)],
                    work,
                    part=part,
                    note=f"{member}: 2 GiB in {bomb.stat().st_size / 2**20:.1f} MiB",
                )
            )
        finally:
            bomb.unlink()
    return rows


def case_15(work):
    """A tiny 200-step run holds `W/t15`; the same command again, once its `.lock` exists, is refused."""
    out = work / "t15"
    command = train_command(out, "--max-steps", "200", "--train-examples", "64", "--valid-examples", "16")
    with subprocess.Popen(
        command, cwd=ROOT, env=ENVIRONMENT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as first:
        try:
            wait_for(lambda: (out / ".lock").exists() or first.poll() is not None, "the first run's .lock")
            # The first run writes its own temporaries meanwhile: the second's leftovers are not told apart.
            row = measure(15, command, work)
            row["left_behind"] = "-"
            row["note"] = (
                "the first run went on training"
                if first.poll() is None
                else f"the first run had ended (exit {first.returncode})"
            )
        finally:
            first.kill()
    shutil.rmtree(out, ignore_errors=True)
    return [row]


def case_16(work):
    """`kill -9` of an export once its `.exporting-*` folder appears; the row is the export run again."""
    command = export_command(work / "good", work / "exp", "saved_model")
    before = temporaries(work)
    started = time.monotonic()
    with subprocess.Popen(
        command, cwd=ROOT, env=ENVIRONMENT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as first:
        wait_for(lambda: temporaries(work) - before or first.poll() is not None, "an .exporting-* folder")
        first.kill()
    killed_at = time.monotonic() - started
    stale = sorted(temporaries(work) - before)
    note = (
        f"kill -9 at {killed_at:.0f} s left {', '.join(stale) or 'nothing'}"
        if first.returncode < 0
        else f"the first export ended (exit {first.returncode}) before its temporary appeared"
    )
    row = measure(16, command, work, ignored=before, note=note)
    shutil.rmtree(work / "exp", ignore_errors=True)
    return [row]


CASE_RUNS = {case: globals()[f"case_{case}"] for case in CASES}


def print_table(rows):
    header = ["case", "input", "exit", "stderr lines", "first line", "peak RSS MB", "seconds", "left behind", "note"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        cells = [
            row["case"],
            row["input"],
            str(row["exit"]),
            str(row["stderr_lines"]),
            f"`{row['message']}`" if row["message"] else "",
            f"{row['peak_rss_mb']:,.0f}",
            f"{row['seconds']:.1f}",
            row["left_behind"],
            row["note"],
        ]
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", default=",".join(map(str, CASES)), help="comma-separated case numbers, 0 the baseline (default: all)"
    )
    parser.add_argument("--workdir", type=Path, help="build and keep everything here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per row instead of a table")
    args = parser.parse_args(argv)
    try:
        args.cases = [int(case) for case in args.cases.split(",")]
    except ValueError:
        parser.error(f"--cases takes case numbers, e.g. 1,3,9. Received: {args.cases!r}")
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"--cases: no case {unknown[0]}; the cases are 0 to {max(CASES)}")
    return args


def run_cases(cases, work):
    """Builds what `cases` need in `work`, then yields their rows, one case after another."""
    prepare(work, {need for case in cases for need in NEEDS.get(case, ())})
    for case in cases:
        yield from CASE_RUNS[case](work)


def main(argv=None):
    args = parse_args(argv)
    if not args.json:
        print(cpu_line(cpu_description(), bf16_isa()) + "\n", flush=True)
    with contextlib.ExitStack() as stack:
        work = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hostile-")))
        work = work.resolve()
        work.mkdir(parents=True, exist_ok=True)
        rows = []
        for row in run_cases(args.cases, work):
            rows.append(row)
            if args.json:
                print(json.dumps(row, ensure_ascii=False), flush=True)
            else:
                print(f"case {row['case']}: exit {row['exit']}, {row['seconds']:.1f} s", file=sys.stderr, flush=True)
    if not args.json:
        print_table(rows)


if __name__ == "__main__":
    main()
