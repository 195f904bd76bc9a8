"""A run directory (`runs/<name>/`): what a training run writes, and the checkpoint it resumes from.

```
config.json        the resolved TrainConfig (a rerun with another config is refused)
tokenizer/         the run's tokenizer (trained once, reused on resume)
checkpoint/        model.weights.h5 (weights + optimizer state) and state.json (step, epoch,
                   history, best score, elapsed time): written together, atomically
best.weights.h5    the weights of the best validation score so far
model/             the final model folder (zoo.models.saving), best weights
metrics.json       validation metrics of the final model
history.csv        one row per validation: epoch, step, learning rate, losses and metrics
curves.png         the curves of history.csv
logs/              TensorBoard event files
README.md          the model card
.lock              held by the process that trains the run (a second one is refused)
```

Every file is written to a temporary name and renamed into place, so a crash never leaves a
half-written file where a good one was. A run that fails before its first checkpoint removes
the folder it created (`zoo.training.trainer.train`).

Example:

    run = RunDirectory("runs/demo")
    run.state()["step"]  # 0
"""

import contextlib
import csv
import fcntl
import io
import json
import os
import shutil
from pathlib import Path

from zoo.models.saving import replace_folder
from zoo.staging import make_staging_file, make_staging_folder
from zoo.training.config import FIELDS, ConfigError

CHECKPOINT = "checkpoint"
LOCK = ".lock"
# Settings a run may resume with changed: where and how it runs, not what it learns.
RESUMABLE_CHANGES = ("backend", "strategy", "jit_compile", "remat", "time_budget", "out")
WEIGHTS = "model.weights.h5"
STATE = "state.json"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish_permissions(path, directory=False):
    """Gives a temp file (0600) or folder (0700) the permissions of a normally created one."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_output(path):
    """Yields a temporary path next to `path`; on success it becomes `path` by one rename, on failure it goes.

    The temporary name ends like `path` (e.g. `.weights.h5`, `.png`), so writers that pick the
    format from the suffix work. Example:

        with atomic_output("runs/demo/curves.png") as temporary:
            figure.savefig(temporary)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = make_staging_file(path.parent, "writing", suffix=f"-{path.name}")
    try:
        yield temporary
        publish_permissions(temporary)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def write_text_atomically(path, text):
    """Writes `text` to `path` through a temporary file in the same folder and a rename."""
    with atomic_output(path) as temporary, open(temporary, "w", encoding="utf-8") as f:
        f.write(text)


def write_json_atomically(path, value):
    write_text_atomically(path, json.dumps(value, indent=2, sort_keys=False) + "\n")


def initial_state():
    return {
        "epoch": 0,
        "step": 0,
        "elapsed_s": 0.0,
        "history": [],
        "best": None,
        "best_epoch": None,
        "wait": 0,
        "finished": False,
        "stop_reason": None,
        "total_steps": None,
    }


class RunDirectory:
    """The files of one run; see the module docstring for the layout."""

    def __init__(self, path):
        self.path = Path(path)
        self.created = False  # set by `claim`: whether it made the folder
        self._lock_file = None

    def file(self, name):
        return self.path / name

    def claim(self, config):
        """Locks the folder for this process and writes `config.json`, or checks an existing run's.

        A rerun of the same command resumes; one with different settings would mix two runs in
        one folder and is refused with a `ConfigError`, unless the run never reached a checkpoint
        (a failed start): then its files are cleared and the folder is reused. A second process
        on the same folder is refused while the first holds the lock (`release` or exit frees it).
        """
        self.created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock()
        config_path = self.file("config.json")
        resolved = config.to_dict()
        if config_path.exists():
            changed = self._changed_settings(config_path, resolved)
            if changed and self.checkpoint_weights is None and not self.state()["finished"]:
                self.clear_unstarted()
            elif changed:
                details = ", ".join(f"{name}: {old!r} -> {new!r}" for name, old, new in changed)
                raise ConfigError(
                    f"{self.path} holds a run with other settings ({details}); pass --out with a new folder "
                    "or delete it."
                )
        write_json_atomically(config_path, resolved)

    @staticmethod
    def _changed_settings(config_path, resolved):
        with open(config_path, encoding="utf-8") as f:
            previous = json.load(f)
        # A setting added after the run started reads as its default.
        previous = {name: previous.get(name, FIELDS[name].default) for name in resolved}
        return [
            (name, previous[name], resolved[name])
            for name in sorted(resolved)
            if previous[name] != resolved[name] and name not in RESUMABLE_CHANGES
        ]

    def _lock(self):
        self._lock_file = open(self.file(LOCK), "a+", encoding="utf-8")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.seek(0)
            holder = self._lock_file.read().strip() or "another process"
            self._lock_file.close()
            raise ConfigError(
                f"{self.path}: another zoo train ({holder}) is writing this run; wait for it to end "
                "or pass --out with another folder."
            ) from None
        self._lock_file.truncate(0)
        self._lock_file.write(f"pid {os.getpid()}")
        self._lock_file.flush()

    def release(self):
        """Frees the lock `claim` took (a finished or failed `train` call)."""
        if self._lock_file is not None and not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()

    def discard_failed_start(self):
        """Removes the folder `claim` created if the run never reached a checkpoint (a failed start)."""
        if self.created and self.checkpoint_weights is None:
            shutil.rmtree(self.path, ignore_errors=True)

    def clear_unstarted(self):
        """Removes what a run that never reached a checkpoint left (config, tokenizer, logs).

        The lock and the folders of a multi-process run's other workers (`.worker-N`) stay.
        """
        for item in self.path.iterdir():
            if item.name == LOCK or item.name.startswith(".worker-"):
                continue
            if item.is_dir():
                shutil.rmtree(item)
            else:
                item.unlink()

    def state(self):
        """The state saved with the last checkpoint, or the state of a run that has not started."""
        path = self.file(CHECKPOINT) / STATE
        if not path.exists():
            return initial_state()
        with open(path, encoding="utf-8") as f:
            return {**initial_state(), **json.load(f)}

    @property
    def checkpoint_weights(self):
        path = self.file(CHECKPOINT) / WEIGHTS
        return path if path.exists() else None

    def save_checkpoint(self, model, state):
        """Writes weights (with optimizer state) and `state` into a new folder, renamed over the old one."""
        staging = Path(make_staging_folder(self.path, "checkpoint"))
        try:
            model.save_weights(staging / WEIGHTS)
            with open(staging / STATE, "w", encoding="utf-8") as f:
                json.dump(state, f, indent=2)
            publish_permissions(staging, directory=True)
            replace_folder(staging, self.file(CHECKPOINT))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def save_best_weights(self, model):
        with atomic_output(self.file("best.weights.h5")) as temporary:
            model.save_weights(temporary)

    def write_history(self, history):
        """`history.csv`: one row per validation, the union of all logged names as columns."""
        columns = []
        for row in history:
            columns += [name for name in row if name not in columns]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(history)
        write_text_atomically(self.file("history.csv"), buffer.getvalue())

    def write_metrics(self, metrics):
        write_json_atomically(self.file("metrics.json"), metrics)

    def metrics(self):
        path = self.file("metrics.json")
        if not path.exists():
            return None
        with open(path, encoding="utf-8") as f:
            return json.load(f)
