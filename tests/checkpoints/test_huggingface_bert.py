"""BERT checkpoints written by `transformers` import with their logits (masked LM, NSP, classifier) and token ids."""

import json
import re
import shutil

import keras
import numpy as np
import pytest
import torch

from recipes.cli import main
from tests.checkpoints.tiny_checkpoints import FINE_TUNE, import_and_serve, padded, save_tiny_bert
from zoo.checkpoints import from_pretrained
from zoo.checkpoints.huggingface_tokenizers import wordpiece_tokenizer
from zoo.errors import LoadError

TEXTS = [
    "Zwei junge Männer laufen über die Straße.",
    "¿Dónde está el baño? 12345 and 3.14",
    "Tabs\tand  double  spaces, 日本語 and unseen words: zyxwv",
    "It's the dog's ball, isn't it?",
]
ARCHITECTURES = ("BertForMaskedLM", "BertForPreTraining", "BertForSequenceClassification")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """`{architecture: (folder, hf_model, hf_tokenizer)}`, uncased."""
    root = tmp_path_factory.mktemp("bert")
    return {name: (root / name, *save_tiny_bert(root / name, name)) for name in ARCHITECTURES}


def zoo_inputs(tokenizer, texts):
    ids, mask = padded([tokenizer.tokenize(text, add_bos=True, add_eos=True) for text in texts])
    return {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": mask}


@pytest.mark.one_backend
@pytest.mark.parametrize(
    "lowercase, strip_accents", [(True, None), (False, None), (True, False)], ids=["uncased", "cased", "keep-accents"]
)
def test_token_ids_are_the_source_tokenizers(tmp_path, lowercase, strip_accents):
    _, hf_tokenizer = save_tiny_bert(tmp_path, lowercase=lowercase, strip_accents=strip_accents)
    tokenizer, source_ids = wordpiece_tokenizer(tmp_path)
    assert (tokenizer.lowercase, tokenizer.strip_accents) == (lowercase, lowercase if strip_accents is None else False)
    assert source_ids[:5].tolist() == [0, 11, 12, 13, 14]  # [PAD], then [UNK] [CLS] [SEP] [MASK] after ten unused
    for text in TEXTS:
        ids = tokenizer.tokenize(text, add_bos=True, add_eos=True)
        assert source_ids[ids].tolist() == hf_tokenizer(text)["input_ids"], text


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_logits_equal_transformers(checkpoints, architecture):
    folder, hf_model, hf_tokenizer = checkpoints[architecture]
    model, tokenizer = from_pretrained(folder)
    _, source_ids = wordpiece_tokenizer(folder)
    x = zoo_inputs(tokenizer, TEXTS)
    with torch.no_grad():
        expected = hf_model(
            input_ids=torch.tensor(np.where(x["padding_mask"], source_ids[x["token_ids"]], 0)),
            attention_mask=torch.tensor(x["padding_mask"]),
            token_type_ids=torch.tensor(x["segment_ids"]),
        )
    if architecture == "BertForSequenceClassification":
        logits = keras.ops.convert_to_numpy(model(x))
        np.testing.assert_allclose(logits, expected.logits.numpy(), atol=1e-4, rtol=1e-4)
        return
    positions = np.array([[1, 3], [2, 5], [1, 2], [4, 6]], "int32")
    outputs = model({**x, "mask_positions": positions})
    token_logits = expected.logits if architecture == "BertForMaskedLM" else expected.prediction_logits
    at_positions = np.take_along_axis(token_logits.numpy(), positions[..., None], axis=1)[..., source_ids]
    mlm = outputs["mlm"] if isinstance(outputs, dict) else outputs
    np.testing.assert_allclose(keras.ops.convert_to_numpy(mlm), at_positions, atol=1e-4, rtol=1e-4)
    if architecture == "BertForPreTraining":
        nsp = keras.ops.convert_to_numpy(outputs["nsp"])
        np.testing.assert_allclose(nsp, expected.seq_relationship_logits.numpy(), atol=1e-4, rtol=1e-4)


@pytest.mark.one_backend
def test_an_imported_classifier_predicts_as_transformers_and_a_masked_lm_fine_tunes(checkpoints, tmp_path, capsys):
    folder, hf_model, hf_tokenizer = checkpoints["BertForSequenceClassification"]
    run = tmp_path / "classifier"
    assert main(["import", str(folder), "--out", str(run)]) == 0
    assert json.loads(capsys.readouterr().out)["task"] == "classification"
    assert main(["predict", str(run), *TEXTS]) == 0
    predictions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    with torch.no_grad():
        expected = torch.softmax(hf_model(**hf_tokenizer(TEXTS, padding=True, return_tensors="pt")).logits, -1).numpy()
    labels = [hf_model.config.id2label[i] for i in range(3)]
    for prediction, row in zip(predictions, expected):
        assert [prediction["probabilities"][label] for label in labels] == pytest.approx(row.tolist(), abs=1e-5)
        assert prediction["label"] == labels[row.argmax()]
    masked_lm = tmp_path / "mlm"
    assert main(["import", str(checkpoints["BertForMaskedLM"][0]), "--out", str(masked_lm)]) == 0
    argv = ["train", "classification", "--model", "bert", "--init-from", str(masked_lm), *FINE_TUNE]
    assert main([*argv, "--out", str(tmp_path / "tuned")]) == 0


@pytest.mark.one_backend
@pytest.mark.parametrize(
    "damage, message",
    [
        ("activation", "hidden_act='silu'"),
        ("relative", "position_embedding_type='relative_key'"),
        ("missing_key", "no tensor 'bert.encoder.layer.1.output.dense.weight'"),
    ],
)
def test_an_unusable_bert_checkpoint_is_refused_naming_the_problem(checkpoints, tmp_path, damage, message):
    from safetensors.numpy import load_file, save_file

    folder = tmp_path / "checkpoint"
    shutil.copytree(checkpoints["BertForMaskedLM"][0], folder)
    config = json.loads((folder / "config.json").read_text())
    if damage == "activation":
        config["hidden_act"] = "silu"
    elif damage == "relative":
        config["position_embedding_type"] = "relative_key"
    elif damage == "missing_key":
        arrays = load_file(folder / "model.safetensors")
        del arrays["bert.encoder.layer.1.output.dense.weight"]
        save_file(arrays, folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(LoadError, match=re.escape(message)) as error:
        from_pretrained(folder)
    assert "\n" not in str(error.value)


@pytest.mark.one_backend
def test_zoo_predict_on_an_imported_pretrainer_gives_transformers_top_tokens(checkpoints, tmp_path, capsys):
    folder, hf_model, hf_tokenizer = checkpoints["BertForPreTraining"]
    assert main(["import", str(folder), "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    text = "zwei junge [MASK] laufen über die [MASK]"
    assert main(["predict", str(tmp_path / "run"), text]) == 0
    masks = json.loads(capsys.readouterr().out)["masks"]
    encoded = hf_tokenizer(text, return_tensors="pt")
    positions = (encoded["input_ids"][0] == hf_tokenizer.mask_token_id).nonzero()[:, 0]
    with torch.no_grad():
        logits = hf_model(**encoded).prediction_logits[0, positions]
    expected = [hf_tokenizer.convert_ids_to_tokens(row.argsort(descending=True)[:5].tolist()) for row in logits]
    assert masks == expected


@pytest.mark.one_backend("tensorflow")
def test_the_saved_model_of_an_imported_classifier_gives_zoo_predicts_probabilities(checkpoints, tmp_path, capsys):
    import tensorflow as tf

    run, served = import_and_serve(checkpoints["BertForSequenceClassification"][0], tmp_path)
    answer = served.signatures["serving_default"](texts=tf.constant(TEXTS))
    labels = [label.decode() for label in served.signatures["labels"]()["labels"].numpy()]
    assert main(["predict", str(run), *TEXTS]) == 0
    predictions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = [[prediction["probabilities"][label] for label in labels] for prediction in predictions]
    np.testing.assert_allclose(answer["probabilities"].numpy(), expected, atol=1e-5)
