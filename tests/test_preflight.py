"""`zoo.preflight`: a damaged or hostile model folder is refused before any framework is imported."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.models.test_saving import classifier
from zoo.errors import LoadError
from zoo.models.saving import save_model_folder
from zoo.preflight import check_model_folder
from zoo.tokenizers import ByteTokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[1]
# `zoo predict` in a fresh process; prints which frameworks it imported, exits with zoo's status.
PROBE = (
    "import sys; from recipes.cli import main; code = main(sys.argv[1:]); "
    "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules)); sys.exit(code)"
)


def _edit_json(path, edit):
    config = json.loads(path.read_text())
    edit(config)
    path.write_text(json.dumps(config))


def _backbone(config):
    return config["model"]["config"]["backbone"]


def _lambda(folder):
    _edit_json(folder / "config.json", lambda c: _backbone(c).update(class_name="Lambda", module="keras.layers"))


def _huge_vocabulary(folder):
    _edit_json(folder / "config.json", lambda c: _backbone(c)["config"].update(vocabulary_size=10**12))


def _truncated_weights(folder):
    path = folder / "model.weights.h5"
    path.write_bytes(path.read_bytes()[:100])


def _asset_outside(folder):
    _edit_json(folder / "tokenizer" / "tokenizer.json", lambda c: c["assets"].update(vocabulary="../../../etc/passwd"))


def _not_utf8(folder):
    (folder / "config.json").write_bytes(b'{"model": "\xff\xfe"}')


def _tokenizer_too_large(folder):
    _edit_json(folder / "tokenizer" / "tokenizer.json", lambda c: c.update(vocabulary_size=10**6))


CASES = {
    "lambda": (_lambda, "a Lambda layer is refused"),
    "huge-vocabulary": (_huge_vocabulary, "vocabulary_size=1,000,000,000,000"),
    "truncated-weights": (_truncated_weights, "not a readable weights file"),
    "asset-outside": (_asset_outside, "Refusing tokenizer asset '../../../etc/passwd'"),
    "not-utf8": (_not_utf8, "not valid UTF-8"),
    "tokenizer-too-large": (_tokenizer_too_large, "a vocabulary of 1,000,000 tokens, but the model has 261"),
}


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A run folder holding a finished tiny BERT classifier with a byte tokenizer (`RUN/model`)."""
    run = tmp_path_factory.mktemp("good")
    save_model_folder(classifier(), run / "model", tokenizers={"tokenizer": ByteTokenizer()})
    return run


def _damaged_copy(saved_run, tmp_path, edit):
    run = tmp_path / "run"
    subprocess.run(["cp", "-r", str(saved_run), str(run)], check=True)
    edit(run / "model")
    return run


def test_a_sound_folder_passes_and_gives_its_config(saved_run):
    config = check_model_folder(saved_run / "model")
    assert config["model"]["class_name"] == "BertClassifier"
    assert config["tokenizers"] == {"tokenizer": "tokenizer"}


@pytest.mark.parametrize("case", CASES)
def test_each_damage_is_refused_naming_it(case, saved_run, tmp_path):
    edit, message = CASES[case]
    run = _damaged_copy(saved_run, tmp_path, edit)
    with pytest.raises(LoadError, match=message.replace("(", r"\(")):
        check_model_folder(run / "model")


@pytest.mark.parametrize("case", ["lambda", "huge-vocabulary", "truncated-weights", "tokenizer-too-large"])
def test_zoo_predict_refuses_it_in_one_line_before_importing_a_framework(case, saved_run, tmp_path):
    edit, message = CASES[case]
    run = _damaged_copy(saved_run, tmp_path, edit)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ZOO_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "predict", str(run), "a text"], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: error: ") and message in lines[0], result.stderr
    assert result.stdout.strip() == "[]", "a framework was imported before the refusal"


UNFINISHED_RUN_COMMANDS = [
    ["evaluate", "--data", "x.tsv"],
    ["predict", "a text"],
    ["export", "--format", "keras", "--out", "x"],
]


@pytest.mark.parametrize("command", UNFINISHED_RUN_COMMANDS)
def test_a_run_that_is_not_finished_is_refused_before_importing_a_framework(command, tmp_path):
    unfinished = tmp_path / "run"
    (unfinished / "checkpoint").mkdir(parents=True)  # trained partly: no model folder yet
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ZOO_DEBUG", None)
    argv = [command[0], str(unfinished), *command[1:]]
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"zoo: error: {unfinished}: not a finished run (no {unfinished}/model/config.json); train it first."
    )
    assert result.stdout.strip() == "[]", "a framework was imported before the refusal"
