import subprocess
import sys

import pytest

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)


def test_importing_the_metrics_imports_neither_keras_nor_tensorflow():
    code = (
        "import sys, zoo.metrics; "
        "print(sorted(name for name in ('keras', 'tensorflow', 'jax', 'torch') if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
