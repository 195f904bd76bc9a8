"""One entry point per corpus by task name, and writing a corpus in the files the readers take."""

import json
import os
import tempfile

from zoo.data.synthetic.classification import make_classification
from zoo.data.synthetic.language_modeling import make_lm_text
from zoo.data.synthetic.splits import DEFAULT_SIZES, SPLITS
from zoo.data.synthetic.summarization import make_summarization
from zoo.data.synthetic.translation import make_translation
from zoo.validation import require_choice, require_positive_int

TASKS = ("classification", "translation", "summarization", "lm")
TASK_ALIASES = {"mlm": "lm", "clm": "lm"}  # the CLI's pretraining task names
GENERATORS = {
    "classification": make_classification,
    "translation": make_translation,
    "summarization": make_summarization,
    "lm": make_lm_text,
}
EXTENSIONS = {"classification": "tsv", "translation": "tsv", "summarization": "jsonl", "lm": "txt"}


def canonical_task(task):
    """`task` with the aliases `mlm` and `clm` resolved to `lm`; raises `ValueError` if unknown."""
    require_choice("task", task, TASKS + tuple(TASK_ALIASES))
    return TASK_ALIASES.get(task, task)


def make_corpus(task, split="train", num_examples=None, seed=0):
    """The records of one split of a task's corpus, shaped as the file readers return them.

    Example:

        make_corpus("translation", "valid", num_examples=2)[0].keys()  # dict_keys(['source', 'target'])
    """
    return GENERATORS[canonical_task(task)](num_examples, seed, split)


def write_corpus(task, directory, sizes=None, seed=0):
    """Writes `train`, `valid` and `test` files of a task's corpus into `directory`.

    Formats are the readers' defaults: classification `label<TAB>text` TSV with a header,
    translation `source<TAB>target` TSV, summarization JSONL with `document` and `summary`, and
    language-model text with one passage per line. Each file is written to a temporary name and
    renamed, so a reader never sees half a file.

    Args:
        task: "classification", "translation", "summarization" or "lm" ("mlm" and "clm" too).
        directory: created if missing.
        sizes: examples per split, `{"train": 20000, "valid": 2000, "test": 2000}` by default;
            only the splits named are written.
        seed: seed of the corpus.

    Returns:
        `{split: path}` of the files written, e.g. `{"train": ".../train.tsv", ...}`.
    """
    task = canonical_task(task)
    sizes = dict(DEFAULT_SIZES if sizes is None else sizes)
    for split, size in sizes.items():
        require_choice("split", split, SPLITS)
        require_positive_int(f"sizes[{split!r}]", size)
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for split, size in sizes.items():
        paths[split] = os.path.join(directory, f"{split}.{EXTENSIONS[task]}")
        _write_atomically(paths[split], _lines(task, make_corpus(task, split, size, seed)))
    return paths


def _lines(task, records):
    if task == "classification":
        return ["label\ttext"] + [f"{record['label']}\t{record['text']}" for record in records]
    if task == "translation":
        return [f"{record['source']}\t{record['target']}" for record in records]
    if task == "summarization":
        return [json.dumps({"document": record["source"], "summary": record["target"]}) for record in records]
    return [record["text"] for record in records]


def _write_atomically(path, lines):
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
            file.write("\n".join(lines) + "\n")
        os.chmod(temporary, 0o644)  # mkstemp makes files private; data files are shared
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
