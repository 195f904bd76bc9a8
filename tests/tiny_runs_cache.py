"""Tiny runs trained at most once per pytest session, shared by the export tests and the every-task test.

`tiny_runs[name]` trains run `name` of `tests/export/tiny_runs.py` (`RUNS`, `MORE_RUNS`) on this
session's backend the first time a test asks for it and gives its folder; `tiny_runs.printed(name)`
is what `zoo train` printed. The fixture is registered by `tests/export/conftest.py` and
`tests/recipes/conftest.py`; both hand out the one cache kept in the session's config.
"""

import contextlib
import io
import warnings

import keras
import pytest

from recipes.cli import main
from tests.export.tiny_runs import MORE_RUNS, RUNS, TINY


def _no_xla(argv):
    """`--jit-compile off` on TensorFlow, but for clm, whose train step is tested under XLA here.

    TensorFlow would compile these train steps with XLA (one batch shape: `--jit-compile auto`),
    which costs more than the training. What is exported does not depend on it; the XLA train step
    is tested by tests/training/test_jit_compile.py and by the clm runs (clm-gpt here, and
    test_train_every_task[clm-lstm]), whose windows get XLA whatever the padding.
    """
    return ["--jit-compile", "off"] if keras.backend.backend() == "tensorflow" and argv[0] != "clm" else []


class TinyRuns:
    def __init__(self, root):
        self.root = root
        self._printed = {}
        self._failed = {}

    def __contains__(self, name):
        return name in RUNS or name in MORE_RUNS

    def __getitem__(self, name):
        if name in self._failed:
            raise RuntimeError(f"tiny run {name!r} failed to train earlier in this session") from self._failed[name]
        if name not in self._printed:
            argv = RUNS[name] if name in RUNS else MORE_RUNS[name]
            printed = io.StringIO()
            try:
                # Keras warns so when a validation set of unknown length ends (windows of a token stream).
                with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
                    warnings.filterwarnings("error", "Your input ran out of data", UserWarning)
                    code = main(["train", argv[0], *TINY, *argv[1:], *_no_xla(argv), "--out", str(self.root / name)])
                assert code == 0, f"zoo train {name} exited with {code}"
            except BaseException as error:
                self._failed[name] = error
                raise
            self._printed[name] = printed.getvalue()
        return self.root / name

    def printed(self, name):
        """What `zoo train` printed for run `name` (its metrics, as JSON)."""
        self[name]
        return self._printed[name]


_CACHE = pytest.StashKey[TinyRuns]()


@pytest.fixture(scope="session")
def tiny_runs(request, tmp_path_factory):
    """The session's `TinyRuns`: each run trained on first use, on this backend."""
    if _CACHE not in request.config.stash:
        request.config.stash[_CACHE] = TinyRuns(tmp_path_factory.mktemp("tiny_runs"))
    return request.config.stash[_CACHE]
