"""Writes the `.keras` files that `test_saved_models_load.py` loads: one tiny model per Transformer family.

They were written by the code of their commit (see git log of this folder) and must keep loading,
with the same outputs, whatever later commits rename: that is the promise to users' run folders.
Run it only to add a family (`KERAS_BACKEND=jax python tests/models/saved_models/make_saved_models.py`);
rewriting the existing files would turn the test into a tautology.

Example:

    KERAS_BACKEND=jax python tests/models/saved_models/make_saved_models.py
"""

import pathlib

import keras
import numpy as np

from zoo.models.bert.backbone import BertBackbone
from zoo.models.bert.masked_lm import BertMaskedLM
from zoo.models.gpt.backbone import GPTBackbone
from zoo.models.gpt.causal_lm import GPTCausalLM
from zoo.models.seq2seq.backbone import Seq2SeqBackbone
from zoo.models.seq2seq.seq2seq_lm import Seq2SeqLM

HERE = pathlib.Path(__file__).parent
SIZE = {"vocabulary_size": 40, "hidden_dim": 16, "num_heads": 2, "intermediate_dim": 32, "max_sequence_length": 12}


def inputs(name):
    """The fixed inputs each saved model is checked on."""
    ids = np.array([[5, 6, 7, 8, 9, 0], [10, 11, 12, 0, 0, 0]], "int32")
    mask = (ids != 0).astype("int32")
    if name == "gpt":
        return {"token_ids": ids, "padding_mask": mask}
    if name == "bert":
        return {
            "token_ids": ids,
            "segment_ids": np.zeros_like(ids),
            "padding_mask": mask,
            "mask_positions": np.array([[1, 2], [0, 1]], "int32"),
        }
    return {
        "encoder_token_ids": ids,
        "encoder_padding_mask": mask,
        "decoder_token_ids": ids[:, ::-1].copy(),
        "decoder_padding_mask": mask[:, ::-1].copy(),
    }


def models():
    yield "gpt", GPTCausalLM(GPTBackbone(num_layers=2, **SIZE))
    yield "bert", BertMaskedLM(BertBackbone(num_layers=2, **SIZE))
    yield "seq2seq", Seq2SeqLM(Seq2SeqBackbone(num_encoder_layers=2, num_decoder_layers=2, **SIZE))


if __name__ == "__main__":
    keras.utils.set_random_seed(7)
    for name, model in models():
        model.save(HERE / f"{name}.keras")
        outputs = keras.ops.convert_to_numpy(model(inputs(name)))
        np.save(HERE / f"{name}_outputs.npy", outputs)
        print(name, outputs.shape)
