"""Published checkpoints as zoo models: `from_pretrained(folder)` and `import_checkpoint(folder, out)`.

Reads a Hugging Face checkpoint folder (`config.json`, `model.safetensors`, the tokenizer files;
never a pickle) and gives a zoo model and tokenizer with the same logits, or writes them as a
finished run folder that `zoo predict`, `zoo evaluate`, `zoo export`, `zoo train --init-from`
and backend switching use like any other run. Supported now: GPT-2 (`GPT2LMHeadModel`,
`GPT2Model`) and BERT (`BertForMaskedLM`, `BertForPreTraining`, `BertForSequenceClassification`).
Anything else is refused with one line naming what is unsupported.

Example:

    model, tokenizer = from_pretrained("checkpoints/gpt2")
    import_checkpoint("checkpoints/gpt2", "runs/gpt2")   # then: zoo predict runs/gpt2 "Hello"
"""

import dataclasses
from pathlib import Path

import keras

from zoo.checkpoints import huggingface_bert, huggingface_gpt2
from zoo.checkpoints.huggingface_tokenizers import byte_pair_tokenizer, wordpiece_tokenizer
from zoo.checkpoints.safetensors_weights import read_json, read_safetensors
from zoo.errors import LoadError
from zoo.models.registry import count_parameters
from zoo.models.saving import save_model_folder
from zoo.preflight import MODEL_FOLDER
from zoo.tokenizers.base import Tokenizer
from zoo.training.config import TrainConfig
from zoo.training.run_directory import write_text_atomically

TOKENIZER_FOLDER = "tokenizer"
__all__ = ["from_pretrained", "import_checkpoint"]


def from_pretrained(folder):
    """`(model, tokenizer)` of a Hugging Face checkpoint folder; `LoadError` naming what cannot be imported."""
    imported = _convert(folder)
    return imported.model, imported.tokenizer


def import_checkpoint(folder, out):
    """Writes the checkpoint in `folder` as a finished zoo run at `out` (a new or empty folder); returns a summary dict.

    The run holds `model/` (model and tokenizer, as training writes them) and `README.md` naming
    the source. Its config is the task's (clm for GPT-2, mlm or classification for BERT) with
    `seq_len` 128 (or the model's positions) and 64 new tokens for the causal LM.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LoadError(f"--out {out}: exists and is not an empty folder; import into a new folder.")
    imported = _convert(folder)
    out.mkdir(parents=True, exist_ok=True)
    save_model_folder(
        imported.model,
        out / MODEL_FOLDER,
        tokenizers={TOKENIZER_FOLDER: imported.tokenizer},
        task_config={**imported.info, "imported_from": imported.source, "config": imported.config},
    )
    summary = {
        "run": str(out),
        "task": imported.config["task"],
        "parameters": count_parameters(imported.model),
        "imported_from": imported.source,
    }
    _write_readme(out, summary)
    return summary


@dataclasses.dataclass(frozen=True)
class _Imported:
    model: keras.Model
    tokenizer: Tokenizer
    source: dict  # path, format, architecture
    config: dict  # the run's TrainConfig fields
    info: dict  # the task's facts (a classifier's labels)


def _convert(folder):
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: not a folder; give the checkpoint folder (config.json, model.safetensors, ...).")
    where = folder / "config.json"
    config = read_json(where, "model config (config.json)")
    architecture = (config.get("architectures") or [config.get("model_type")])[0]
    source = {"path": str(folder.resolve()), "format": "huggingface", "architecture": architecture}
    positions = config.get("n_positions") or config.get("max_position_embeddings") or 128
    settings = {"size": "imported", "seq_len": min(128, int(positions))}
    if architecture in huggingface_gpt2.ARCHITECTURES:
        tokenizer = byte_pair_tokenizer(folder, config)
        model = huggingface_gpt2.build_causal_lm(config, read_safetensors(folder), tokenizer, where)
        settings.update(task="clm", model="gpt", target_len=min(64, int(positions)), learning_rate=1e-4)
        info = {}
    elif architecture in huggingface_bert.ARCHITECTURES:
        tokenizer, source_ids = wordpiece_tokenizer(folder)
        model = huggingface_bert.build_model(
            architecture, config, read_safetensors(folder), source_ids, tokenizer.vocabulary_size, where
        )
        task = "classification" if architecture == "BertForSequenceClassification" else "mlm"
        settings.update(task=task, model="bert", nsp=architecture == "BertForPreTraining", learning_rate=5e-5)
        info = {"labels": huggingface_bert.class_labels(config)} if task == "classification" else {}
    else:
        supported = huggingface_gpt2.ARCHITECTURES + huggingface_bert.ARCHITECTURES
        raise LoadError(f"{where}: architecture {architecture!r} is not supported; zoo imports {', '.join(supported)}.")
    run_config = TrainConfig(tokenizer=tokenizer.kind, vocabulary_size=tokenizer.vocabulary_size, **settings)
    return _Imported(model, tokenizer, source, run_config.to_dict(), info)


def _write_readme(out, summary):
    source = summary["imported_from"]
    text = (
        f"# Imported checkpoint\n\n"
        f"- source: `{source['path']}` ({source['format']}, {source['architecture']})\n"
        f"- parameters: {summary['parameters']:,}\n\n"
        f"A {summary['task']} run: `zoo predict {out} TEXT ...`, `zoo evaluate {out} --data FILE`, "
        f"`zoo export {out} --format saved_model --out EXPORT`, or start training from it: "
        f"`zoo train {summary['task']} --init-from {out} --data FILE`.\n"
    )
    write_text_atomically(out / "README.md", text)
