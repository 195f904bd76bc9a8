"""benchmarks/vocabulary_sharing.py counts validation tokens per side under a joint and a per-language vocabulary."""

import numpy as np
import pytest

from benchmarks.vocabulary_sharing import measure

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

PAIRS = [
    ("Two young men are outside.", "Zwei junge Männer sind draußen."),
    ("A girl runs across the street.", "Ein Mädchen läuft über die Straße."),
    ("The boy's e-mail is short.", "Die E-Mail des Jungen ist kurz."),
]


@pytest.mark.filterwarnings("ignore:SentencePiece vocabulary")
def test_each_setting_counts_the_tokens_of_both_sides(tmp_path):
    folder = tmp_path / "multi30k_en_de"
    folder.mkdir()
    (folder / "train.tsv").write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS * 30), encoding="utf-8")
    (folder / "valid.tsv").write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS), encoding="utf-8")

    rows = {row["setting"]: row for row in measure("multi30k", tmp_path, 300)}

    assert list(rows) == ["joint 300", "joint 600", "per-language 300"]
    assert rows["joint 300"]["embedding_rows"] == 300
    assert rows["per-language 300"]["embedding_rows"] > 500  # two tables (this corpus gives one side under 300)
    # A vocabulary trained on one side only spends no pieces on the other: its sentences are no longer.
    for side in ("source", "target"):
        assert 0 < rows["per-language 300"][f"{side}_tokens"] <= rows["joint 300"][f"{side}_tokens"]
        assert np.isfinite(rows["joint 600"][f"{side}_tokens"])
