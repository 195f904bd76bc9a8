"""keras-hub presets written by `save_to_preset` import with keras-hub's hidden states, logits and token ids."""

import json

import keras
import numpy as np
import pytest

from recipes.cli import main
from tests.checkpoints.tiny_checkpoints import (
    FINE_TUNE,
    padded,
    save_tiny_bert,
    save_tiny_gpt2,
    save_tiny_keras_hub_preset,
)
from zoo.checkpoints import from_pretrained
from zoo.errors import LoadError

TEXTS = ["Zwei junge Männer laufen über die Straße.", "It's the dog's ball, 12345!", "日本語 and 🙂 e-mail"]


@pytest.fixture(scope="module")
def presets(tmp_path_factory):
    """`{family: (preset folder, keras-hub backbone, keras-hub tokenizer)}`."""
    root = tmp_path_factory.mktemp("presets")
    save_tiny_gpt2(root / "hf-gpt2")
    save_tiny_bert(root / "hf-bert")
    return {
        family: (root / family, *save_tiny_keras_hub_preset(root / family, family, root / f"hf-{family}"))
        for family in ("gpt2", "bert")
    }


def source_ids_of(tokenizer, source_tokenizer):
    """`source_ids[zoo id]`: the keras-hub id of each zoo token."""
    by_token = {token: i for i, token in enumerate(source_tokenizer.get_vocabulary())}
    return np.array([by_token[token] for token in tokenizer.get_vocabulary()[5:]])


def test_a_gpt2_preset_gives_keras_hubs_logits_and_ids(presets):
    folder, source, source_tokenizer = presets["gpt2"]
    model, tokenizer = from_pretrained(folder)
    zoo_ids = [tokenizer.tokenize(text) for text in TEXTS]
    source_ids = np.asarray(tokenizer.source_ids)
    assert [source_ids[ids].tolist() for ids in zoo_ids] == [
        keras.ops.convert_to_numpy(source_tokenizer.tokenize(text)).tolist() for text in TEXTS
    ]
    ids, mask = padded(zoo_ids)
    hidden = source({"token_ids": np.where(mask, source_ids[ids], 0), "padding_mask": mask})
    expected = keras.ops.convert_to_numpy(source.token_embedding(hidden, reverse=True))
    logits = keras.ops.convert_to_numpy(model({"token_ids": ids, "padding_mask": mask}))
    real = mask.astype(bool)
    columns = np.arange(5, tokenizer.vocabulary_size)
    np.testing.assert_allclose(logits[real][:, columns], expected[real][:, source_ids[columns]], atol=1e-4, rtol=1e-4)


def test_a_bert_preset_gives_keras_hubs_hidden_states_and_ids(presets):
    folder, source, source_tokenizer = presets["bert"]
    model, tokenizer = from_pretrained(folder)
    source_vocabulary = source_tokenizer.get_vocabulary()
    zoo_vocabulary = tokenizer.get_vocabulary()
    zoo_ids = [tokenizer.tokenize(text) for text in TEXTS]
    expected_ids = [keras.ops.convert_to_numpy(source_tokenizer.tokenize(text)).tolist() for text in TEXTS]
    assert [[source_vocabulary.index(zoo_vocabulary[i]) for i in ids] for ids in zoo_ids] == expected_ids
    ids, mask = padded([tokenizer.tokenize(text, add_bos=True, add_eos=True) for text in TEXTS])
    by_token = {token: i for i, token in enumerate(source_vocabulary)}
    source_ids = np.array([by_token[token] for token in zoo_vocabulary])
    segments = np.zeros_like(ids)
    expected = source({"token_ids": np.where(mask, source_ids[ids], 0), "segment_ids": segments, "padding_mask": mask})
    outputs = model.backbone({"token_ids": ids, "segment_ids": segments, "padding_mask": mask})
    real = mask.astype(bool)
    for name in ("sequence_output", "pooled_output"):
        got, want = (keras.ops.convert_to_numpy(x[name]) for x in (outputs, expected))
        if name == "sequence_output":
            got, want = got[real], want[real]
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)


@pytest.mark.one_backend
def test_zoo_import_of_a_bert_preset_lists_its_fresh_head_and_fine_tunes(presets, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["import", str(presets["bert"][0]), "--out", str(run)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["task"] == "mlm" and summary["imported_from"]["format"] == "keras_hub"
    assert summary["fresh_weights"] and all(path.startswith("masked_lm_head/") for path in summary["fresh_weights"])
    argv = ["train", "classification", "--model", "bert", "--init-from", str(run), *FINE_TUNE]
    assert main([*argv, "--out", str(tmp_path / "tuned")]) == 0


@pytest.mark.one_backend
def test_a_preset_of_another_class_is_refused_naming_it(presets, tmp_path):
    import shutil

    folder = tmp_path / "preset"
    shutil.copytree(presets["gpt2"][0], folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "class_name": "GemmaBackbone"}))
    with pytest.raises(LoadError, match="keras-hub class 'GemmaBackbone' is not supported"):
        from_pretrained(folder)
