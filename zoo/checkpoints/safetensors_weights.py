"""The arrays of a Hugging Face checkpoint folder, from safetensors only (never pickle).

`model.safetensors`, or the shards a `model.safetensors.index.json` lists, are read with the
`safetensors` library into NumPy arrays (float32). A folder holding only a pickle checkpoint
(`pytorch_model.bin`, `*.pt`, `*.ckpt`) is refused with the one command that converts it.

Example:

    arrays = read_safetensors("gpt2/")
    arrays["transformer.wte.weight"].shape  # (50257, 768)
"""

from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open

from zoo.errors import LoadError
from zoo.loading_limits import cap, read_json_config, require_file_size
from zoo.preflight import inside

SINGLE_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
PICKLE_PATTERNS = ("pytorch_model*.bin", "*.pt", "*.pth", "*.ckpt", "tf_model.h5", "flax_model.msgpack")
CONVERT_HINT = (
    'convert it once where you trust the file: python -c "from transformers import AutoModel; '
    "AutoModel.from_pretrained('FOLDER').save_pretrained('FOLDER', safe_serialization=True)\""
)


def read_safetensors(folder):
    """`{name: float32 np.ndarray}` of every tensor in the folder's safetensors file(s).

    Raises `LoadError` for a folder without safetensors (naming the pickle file it has, if any),
    a damaged file, or a file over the weights size cap (`ZOO_MAX_WEIGHTS_BYTES`).
    """
    folder = Path(folder)
    arrays = {}
    for path in _safetensors_files(folder):
        require_file_size(path, cap("weights_bytes"), "a checkpoint weights file", name="weights_bytes")
        try:
            with safe_open(str(path), framework="numpy") as f:
                for name in f.keys():
                    arrays[name] = _float32(f.get_tensor(name), name, path)
        except (SafetensorError, OSError, ValueError) as error:
            raise LoadError(f"{path}: not a readable safetensors file ({error}).") from None
    return arrays


def _safetensors_files(folder):
    if (folder / INDEX_FILE).is_file():
        index = read_json_config(folder / INDEX_FILE, what="a safetensors index")
        weight_map = index.get("weight_map")
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise LoadError(f"{folder / INDEX_FILE}: `weight_map` must map tensor names to shard file names.")
        return [inside(folder, name, "safetensors shard") for name in sorted(set(weight_map.values()))]
    if (folder / SINGLE_FILE).is_file():
        return [folder / SINGLE_FILE]
    pickles = sorted(str(p.name) for pattern in PICKLE_PATTERNS for p in folder.glob(pattern))
    if pickles:
        raise LoadError(
            f"{folder}: {pickles[0]} is a pickle checkpoint, which can run code when loaded, so zoo does not "
            f"read it; {CONVERT_HINT.replace('FOLDER', str(folder))}"
        )
    raise LoadError(f"{folder}: no {SINGLE_FILE} or {INDEX_FILE}; is this a Hugging Face checkpoint folder?")


def _float32(array, name, path):
    if not np.issubdtype(array.dtype, np.floating):
        raise LoadError(f"{path}: tensor {name!r} has dtype {array.dtype}; a weight must be floating point.")
    return np.asarray(array, np.float32)


def read_json(path, what):
    """A checkpoint's JSON file as a dict (size and depth capped), `LoadError` naming the file otherwise."""
    if not Path(path).is_file():
        raise LoadError(f"{path}: missing; a checkpoint folder needs its {what}.")
    return read_json_config(path, what=what)
