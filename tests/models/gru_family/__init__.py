"""A test fixture: a model family added the way CONTRIBUTING.md says (this folder plus one line in zoo/families.py).

A 1-layer GRU classifier. `tests/models/test_family_contract.py` registers it with
`MODEL_ONLY_FAMILIES["gru"] = "tests.models.gru_family"` and runs the family contract on it.
"""

from tests.models.gru_family.classifier import GRUClassifier
from tests.models.gru_family.presets import PRESETS

__all__ = ["PRESETS", "GRUClassifier"]
