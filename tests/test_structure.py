"""How the code is layered: `zoo` (the library) never imports `recipes`; private Keras lives in `zoo/_compat.py`."""

import ast
import re
from pathlib import Path

import keras

from zoo import _compat

ZOO = Path(__file__).resolve().parents[1] / "zoo"
PRIVATE_KERAS = re.compile(
    r"keras\.src|\._(symbolic_build|maybe_symbolic_build|compute_loss|loss_tracker|call_has_training_arg)\b"
)


def _library_files():
    return sorted(path for path in ZOO.rglob("*.py"))


def _imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_the_library_never_imports_the_recipes():
    offenders = [
        f"{path.relative_to(ZOO.parent)} imports {module}"
        for path in _library_files()
        for module in _imported_modules(path)
        if module == "recipes" or module.startswith("recipes.")
    ]
    assert offenders == []


def test_private_keras_is_used_in_zoo_compat_only():
    offenders = [
        f"{path.relative_to(ZOO.parent)}:{number}"
        for path in _library_files()
        if path.name != "_compat.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if PRIVATE_KERAS.search(line.split("#")[0]) and not line.lstrip().startswith(('"', "`", "-"))
    ]
    assert offenders == []


def test_zoo_compat_was_checked_against_this_keras():
    installed = ".".join(keras.version().split(".")[:2])
    assert installed == _compat.KERAS_CHECKED, (
        f"Keras {keras.version()} is installed; zoo/_compat.py was checked against {_compat.KERAS_CHECKED}. "
        "Re-check each private use there against the new Keras, then raise KERAS_CHECKED."
    )


def test_the_mask_helpers_round_trip_a_mask():
    x = keras.ops.ones((2, 3))
    mask = keras.ops.convert_to_tensor([[True, True, False], [True, False, False]])
    _compat.set_keras_mask(x, mask)
    assert keras.ops.convert_to_numpy(_compat.get_keras_mask(x)).tolist() == [[True, True, False], [True, False, False]]


def test_docstring_examples_are_plain_code_not_unrun_doctests():
    # The examples are read, not run (most need a trained model); a `>>>` prompt would promise a doctest.
    prompts = [
        f"{path.relative_to(ZOO.parent)}:{number}"
        for folder in ("zoo", "recipes", "benchmarks")
        for path in sorted((ZOO.parent / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.lstrip().startswith(">>> ")
    ]
    assert prompts == []


def test_only_the_registry_branches_on_family_names():
    branch = re.compile(
        r"""(==|!=)\s*["'](lstm|bert|gpt|seq2seq|transformer|fasttext)["']|in \(["'](lstm|bert|gpt|fasttext)"""
    )
    offenders = [
        f"{path.relative_to(ZOO.parent)}:{number}"
        for folder in ("zoo", "recipes", "benchmarks")
        for path in sorted((ZOO.parent / folder).rglob("*.py"))
        if path.name != "registry.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if branch.search(line)
    ]
    assert offenders == []
