"""Published checkpoints as zoo models: `from_pretrained(folder)` and `import_checkpoint(folder, out)`.

Reads a Hugging Face checkpoint folder (`config.json`, `model.safetensors`, the tokenizer files;
never a pickle) or a keras-hub preset folder (`save_to_preset` of a `GPT2Backbone` or
`BertBackbone`) and gives a zoo model and tokenizer with the same logits, or writes them as a
finished run folder that `zoo predict`, `zoo evaluate`, `zoo export`, `zoo train --init-from` and
backend switching use like any other run. Hugging Face architectures: GPT-2 (`GPT2LMHeadModel`,
`GPT2Model`), BERT (`BertForMaskedLM`, `BertForPreTraining`, `BertForSequenceClassification`) and
BART (`BartForConditionalGeneration`).
Anything else is refused with one line naming what is unsupported.

Example:

    model, tokenizer = from_pretrained("checkpoints/gpt2")
    import_checkpoint("checkpoints/gpt2", "runs/gpt2")   # then: zoo predict runs/gpt2 "Hello"
"""

import dataclasses
from pathlib import Path

import keras

from zoo.checkpoints import huggingface_bart, huggingface_bert, huggingface_gpt2, keras_hub_presets
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
    """`(model, tokenizer)` of a Hugging Face folder or keras-hub preset; `LoadError` naming what cannot be imported."""
    imported = _convert(folder)
    return imported.model, imported.tokenizer


def import_checkpoint(folder, out):
    """Writes the checkpoint in `folder` as a finished zoo run at `out` (a new or empty folder); returns a summary dict.

    The run holds `model/` (model and tokenizer, as training writes them) and `README.md` naming
    the source. Its config is the task's (clm for GPT-2, mlm or classification for BERT,
    summarization for BART) with `seq_len` 128 (512 for BART, or the model's positions if fewer)
    and up to 64 new tokens for the generating tasks.
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
        "fresh_weights": imported.fresh_weights,
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
    fresh_weights: list  # weights the checkpoint has no values for, kept as initialized


def _convert(folder):
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: not a folder; give the checkpoint folder (config.json, model.safetensors, ...).")
    where = folder / "config.json"
    config = read_json(where, "model config (config.json)")
    if keras_hub_presets.is_preset(config):
        architecture = keras_hub_presets.preset_class(folder, config)
        model, tokenizer, fresh = keras_hub_presets.convert(folder, architecture)
        source_format = "keras_hub"
    else:
        architecture = (config.get("architectures") or [config.get("model_type")])[0]
        model, tokenizer, fresh = _convert_huggingface(folder, config, architecture, where)
        source_format = "huggingface"
    source = {"path": str(folder.resolve()), "format": source_format, "architecture": architecture}
    task = _TASKS.get(architecture, "mlm")
    info = {"labels": huggingface_bert.class_labels(config)} if task == "classification" else {}
    if architecture in huggingface_bart.ARCHITECTURES:
        info.update(huggingface_bart.SEQ2SEQ_FORMAT.to_info())
    positions = model.backbone.max_sequence_length
    settings = {"seq_len": min(128, positions), "nsp": architecture == "BertForPreTraining"}
    if task == "clm":
        settings.update(model="gpt", target_len=min(64, positions), learning_rate=1e-4)
    elif task == "summarization":
        start_tokens = len(huggingface_bart.SEQ2SEQ_FORMAT.decoder_start)  # they take decoder positions too
        settings.update(model="transformer", seq_len=min(512, positions), target_len=min(64, positions - start_tokens))
        settings.update(learning_rate=3e-5)
    else:
        settings.update(model="bert", learning_rate=5e-5)
    run_config = TrainConfig(
        task=task, size="imported", tokenizer=tokenizer.kind, vocabulary_size=tokenizer.vocabulary_size, **settings
    )
    return _Imported(model, tokenizer, source, run_config.to_dict(), info, fresh)


# The run task of each architecture; the other BERT ones (and a BertBackbone preset) are masked LMs.
_TASKS = {
    **dict.fromkeys(huggingface_gpt2.ARCHITECTURES, "clm"),
    "GPT2Backbone": "clm",
    "BertForSequenceClassification": "classification",
    "BartForConditionalGeneration": "summarization",
}


def _convert_huggingface(folder, config, architecture, where):
    if architecture in huggingface_gpt2.ARCHITECTURES:
        tokenizer = byte_pair_tokenizer(folder, config)
        return huggingface_gpt2.build_causal_lm(config, read_safetensors(folder), tokenizer, where), tokenizer, []
    if architecture in huggingface_bart.ARCHITECTURES:
        tokenizer = byte_pair_tokenizer(folder, config)
        arrays = read_safetensors(folder)
        model = huggingface_bart.build_seq2seq_lm(
            config, arrays, tokenizer.source_ids, tokenizer.vocabulary_size, where
        )
        return model, tokenizer, []
    if architecture in huggingface_bert.ARCHITECTURES:
        tokenizer, source_ids = wordpiece_tokenizer(folder)
        arrays = read_safetensors(folder)
        model, fresh = huggingface_bert.build_model(
            architecture, config, arrays, source_ids, tokenizer.vocabulary_size, where
        )
        return model, tokenizer, fresh
    supported = huggingface_gpt2.ARCHITECTURES + huggingface_bert.ARCHITECTURES + huggingface_bart.ARCHITECTURES
    raise LoadError(f"{where}: architecture {architecture!r} is not supported; zoo imports {', '.join(supported)}.")


def _write_readme(out, summary):
    source = summary["imported_from"]
    text = (
        f"# Imported checkpoint\n\n"
        f"- source: `{source['path']}` ({source['format']}, {source['architecture']})\n"
        f"- parameters: {summary['parameters']:,}\n"
        f"- weights the checkpoint has no values for (freshly initialized): {summary['fresh_weights'] or 'none'}\n\n"
        f"A {summary['task']} run: `zoo predict {out} TEXT ...`, `zoo evaluate {out} --data FILE`, "
        f"`zoo export {out} --format saved_model --out EXPORT`, or start training from it: "
        f"`zoo train {summary['task']} --init-from {out} --data FILE`.\n"
    )
    write_text_atomically(out / "README.md", text)
