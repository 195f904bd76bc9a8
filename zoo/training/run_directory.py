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
```

Every file is written to a temporary name and renamed into place, so a crash never leaves a
half-written file where a good one was.

Example:

>>> run = RunDirectory("runs/demo")
>>> run.state()["step"]
0
"""

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from zoo.models.saving import replace_folder
from zoo.training.config import FIELDS, ConfigError

CHECKPOINT = "checkpoint"
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

    >>> with atomic_output("runs/demo/curves.png") as temporary:
    ...     figure.savefig(temporary)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".", suffix=f"-{path.name}", dir=path.parent)
    os.close(descriptor)
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
    return {"epoch": 0, "step": 0, "elapsed_s": 0.0, "history": [], "best": None, "best_epoch": None,
            "wait": 0, "finished": False, "stop_reason": None, "total_steps": None}


class RunDirectory:
    """The files of one run; see the module docstring for the layout."""

    def __init__(self, path):
        self.path = Path(path)

    def file(self, name):
        return self.path / name

    def claim(self, config):
        """Writes `config.json`, or checks that an existing run used the same config.

        A rerun of the same command resumes; one with different settings would mix two runs in
        one folder and is refused with a `ConfigError`.
        """
        config_path = self.file("config.json")
        resolved = config.to_dict()
        if config_path.exists():
            with open(config_path, encoding="utf-8") as f:
                previous = json.load(f)
            # A setting added after the run started reads as its default.
            previous = {name: previous.get(name, FIELDS[name].default) for name in resolved}
            changed = sorted(name for name in resolved if previous[name] != resolved[name]
                             and name not in ("backend", "strategy", "jit_compile", "remat", "time_budget", "out"))
            if changed:
                details = ", ".join(f"{name}: {previous[name]!r} -> {resolved[name]!r}" for name in changed)
                raise ConfigError(
                    f"{self.path} holds a run with other settings ({details}); pass --out with a new folder "
                    "or delete it."
                )
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomically(config_path, resolved)

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
        staging = Path(tempfile.mkdtemp(prefix=".checkpoint-", dir=self.path))
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
