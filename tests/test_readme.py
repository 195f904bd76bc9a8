"""The Python examples in README.md run as written, on every backend.

Blocks fenced ```py need files a test cannot make in seconds (an exported model); the export
tests (`tests/export/`) make the same calls on real exports.
"""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README.md has no python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
