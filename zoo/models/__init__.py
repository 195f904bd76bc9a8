"""Model families (lstm, bert, gpt, seq2seq), named sizes, and the saved model folder.

Example:

    import zoo.models
    backbone = zoo.models.build("gpt", size="small", vocabulary_size=8192)
    zoo.models.save_model_folder(model, "runs/x/model")
    model, tokenizer = zoo.models.from_pretrained("checkpoints/gpt2")   # a published checkpoint
"""

from zoo.models.registry import (
    FAMILIES,
    SIZES,
    build,
    count_parameters,
    preset,
    resolve_family,
    training_flops_per_token,
)
from zoo.models.saving import load_model_folder, save_model_folder


def from_pretrained(folder):
    """`(model, tokenizer)` of a published checkpoint folder: `zoo.checkpoints.from_pretrained`."""
    # Imported here: zoo.checkpoints builds zoo models, so importing it above would be circular.
    from zoo.checkpoints import from_pretrained as convert

    return convert(folder)


__all__ = [
    "FAMILIES",
    "SIZES",
    "build",
    "count_parameters",
    "from_pretrained",
    "load_model_folder",
    "preset",
    "resolve_family",
    "save_model_folder",
    "training_flops_per_token",
]
