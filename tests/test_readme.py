"""The Python examples in README.md (on every backend) and docs/*.md (in one backend's suite) run as written.

Blocks fenced ```py need files a test cannot make in seconds (an exported model); the export
tests (`tests/export/`) make the same calls on real exports.
"""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _python_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_a_python_quickstart():
    assert _python_blocks(ROOT / "README.md"), "README.md has no python example"


# README's quickstart says "any backend"; the docs' examples show APIs whose backend parity the
# tests of each module check (docs/layers.md alone took 70 s of the JAX suite).
@pytest.mark.parametrize(
    "path",
    [pytest.param(path, marks=() if path.name == "README.md" else pytest.mark.one_backend) for path in DOCUMENTS],
    ids=[path.name for path in DOCUMENTS],
)
def test_python_examples_run(path):
    for block in _python_blocks(path):
        exec(compile(block, str(path), "exec"), {})


def _prose(path):
    """The Markdown of `path` without code blocks and inline code."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"`[^`]*`", "", text)


def test_relative_links_point_at_files():
    broken = [
        f"{path.relative_to(ROOT)}: {target}"
        for path in [*DOCUMENTS, ROOT / "CONTRIBUTING.md"]
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", _prose(path))
        if not (path.parent / target).exists()
    ]
    assert broken == []
