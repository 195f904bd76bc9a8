"""Published checkpoints as zoo models: `from_pretrained(folder)` and `import_checkpoint(folder, out)`.

Reads a Hugging Face checkpoint folder (`config.json`, `model.safetensors`, the tokenizer files;
never a pickle) and gives a zoo model and tokenizer with the same logits, or writes them as a
finished run folder that `zoo predict`, `zoo evaluate`, `zoo export`, `zoo train --init-from`
and backend switching use like any other run. Supported now: GPT-2 (`GPT2LMHeadModel`,
`GPT2Model`). Anything else is refused with one line naming what is unsupported.

Example:

    model, tokenizer = from_pretrained("checkpoints/gpt2")
    import_checkpoint("checkpoints/gpt2", "runs/gpt2")   # then: zoo predict runs/gpt2 "Hello"
"""

from pathlib import Path

from zoo.checkpoints import huggingface_gpt2
from zoo.checkpoints.huggingface_tokenizers import byte_pair_tokenizer
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
    model, tokenizer, _ = _convert(folder)
    return model, tokenizer


def import_checkpoint(folder, out):
    """Writes the checkpoint in `folder` as a finished zoo run at `out` (a new or empty folder); returns a summary dict.

    The run holds `model/` (model and tokenizer, as training writes them), `README.md` naming the
    source, and a causal-LM run config (`seq_len` 128 or the model's positions, 64 new tokens).
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LoadError(f"--out {out}: exists and is not an empty folder; import into a new folder.")
    model, tokenizer, source = _convert(folder)
    config = _run_config(model, tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    save_model_folder(
        model,
        out / MODEL_FOLDER,
        tokenizers={TOKENIZER_FOLDER: tokenizer},
        task_config={"imported_from": source, "config": config},
    )
    summary = {"run": str(out), "parameters": count_parameters(model), "imported_from": source}
    _write_readme(out, summary)
    return summary


def _convert(folder):
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError(f"{folder}: not a folder; give the checkpoint folder (config.json, model.safetensors, ...).")
    where = folder / "config.json"
    config = read_json(where, "model config (config.json)")
    architecture = (config.get("architectures") or [config.get("model_type")])[0]
    if architecture not in huggingface_gpt2.ARCHITECTURES:
        raise LoadError(
            f"{where}: architecture {architecture!r} is not supported; zoo imports "
            f"{', '.join(huggingface_gpt2.ARCHITECTURES)} (GPT-2)."
        )
    tokenizer = byte_pair_tokenizer(folder, config)
    arrays = read_safetensors(folder)
    model = huggingface_gpt2.build_causal_lm(config, arrays, tokenizer, where)
    source = {"path": str(folder.resolve()), "format": "huggingface", "architecture": architecture}
    return model, tokenizer, source


def _run_config(model, tokenizer: Tokenizer):
    """The run config an imported causal LM is used with (`TrainConfig` fields)."""
    positions = model.backbone.max_sequence_length
    config = TrainConfig(
        task="clm",
        model="gpt",
        size="imported",
        tokenizer=tokenizer.kind,
        vocabulary_size=tokenizer.vocabulary_size,
        seq_len=min(128, positions),
        target_len=min(64, positions),
        learning_rate=1e-4,
    )
    return config.to_dict()


def _write_readme(out, summary):
    source = summary["imported_from"]
    text = (
        f"# Imported checkpoint\n\n"
        f"- source: `{source['path']}` ({source['format']}, {source['architecture']})\n"
        f"- parameters: {summary['parameters']:,}\n\n"
        f'Use it as a run: `zoo predict {out} "Once upon a time"`, `zoo export {out} --format saved_model '
        f"--out {out}/export`, or fine-tune it: `zoo train clm --init-from {out} --data FILE`.\n"
    )
    write_text_atomically(out / "README.md", text)
