"""A BART checkpoint written by `transformers` imports with its logits, greedy outputs and token ids."""

import json

import keras
import numpy as np
import pytest
import torch

from recipes.cli import main
from tests.checkpoints.tiny_checkpoints import FINE_TUNE, import_and_serve, padded, save_tiny_bart
from zoo.checkpoints import from_pretrained
from zoo.generation import generate

SOURCES = ["Zwei junge Männer laufen über die Straße.", "It's the dog's ball, 12345!", "¿Dónde está el baño? 🙂"]
TARGETS = ["Two young men walk", "¿Dónde?"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bart")
    hf_model, hf_tokenizer = save_tiny_bart(folder)
    model, tokenizer = from_pretrained(folder)
    return folder, hf_model, hf_tokenizer, model, tokenizer


def hf_greedy(hf_model, hf_tokenizer, text, new_tokens):
    """`transformers`' greedy output ids for `text`, decoded as published BARTs are: `</s>`, a forced `<s>`, ..."""
    with torch.no_grad():
        return hf_model.generate(
            **hf_tokenizer([text], return_tensors="pt"),
            forced_bos_token_id=hf_tokenizer.bos_token_id,
            forced_eos_token_id=None,  # BART's config forces </s> at the length limit; zoo's decoding just stops
            do_sample=False,
            num_beams=1,
            max_new_tokens=new_tokens,
            no_repeat_ngram_size=0,
            min_length=0,
        )[0].numpy()


@pytest.mark.one_backend
def test_token_ids_are_barts(checkpoint):
    _, _, hf_tokenizer, _, tokenizer = checkpoint
    source_ids = np.asarray(tokenizer.source_ids)
    assert source_ids[:5].tolist() == [1, 3, 0, 2, 4]  # zoo pad, unk, bos, eos, mask -> <pad> <unk> <s> </s> <mask>
    for text in SOURCES:
        assert (
            source_ids[tokenizer.tokenize(text, add_bos=True, add_eos=True)].tolist() == hf_tokenizer(text)["input_ids"]
        )


def test_logits_equal_transformers_with_teacher_forcing(checkpoint):
    _, hf_model, hf_tokenizer, model, tokenizer = checkpoint
    source_ids = np.asarray(tokenizer.source_ids)
    zoo_id = {int(source): zoo for zoo, source in enumerate(source_ids)}
    encoder, encoder_mask = padded([tokenizer.tokenize(text, add_bos=True, add_eos=True) for text in SOURCES[:2]])
    decoder, decoder_mask = padded([[tokenizer.eos_id, tokenizer.bos_id, *tokenizer.tokenize(t)] for t in TARGETS])
    with torch.no_grad():
        expected = hf_model(
            input_ids=torch.tensor(np.where(encoder_mask, source_ids[encoder], 1)),
            attention_mask=torch.tensor(encoder_mask),
            decoder_input_ids=torch.tensor(np.where(decoder_mask, source_ids[decoder], 1)),
            decoder_attention_mask=torch.tensor(decoder_mask),
        ).logits.numpy()
    x = {
        "encoder_token_ids": encoder,
        "encoder_padding_mask": encoder_mask,
        "decoder_token_ids": decoder,
        "decoder_padding_mask": decoder_mask,
    }
    logits = keras.ops.convert_to_numpy(model(x))
    real = decoder_mask.astype(bool)
    np.testing.assert_allclose(logits[real], expected[real][:, source_ids], atol=1e-4, rtol=1e-4)
    assert zoo_id[0] == tokenizer.bos_id and zoo_id[2] == tokenizer.eos_id


def test_greedy_decoding_in_bart_format_equals_transformers_generate(checkpoint):
    _, hf_model, hf_tokenizer, model, tokenizer = checkpoint
    source_ids = np.asarray(tokenizer.source_ids)
    new_tokens = 10
    for text in SOURCES:
        expected = hf_greedy(hf_model, hf_tokenizer, text, new_tokens)  # </s> <s> ...
        encoder = tokenizer.tokenize(text, add_bos=True, add_eos=True)[None, :]
        out = generate(
            model,
            np.array([[tokenizer.eos_id, tokenizer.bos_id]], "int32"),
            new_tokens + 1,
            end_token_id=tokenizer.eos_id,
            conditioning={"encoder_token_ids": encoder, "encoder_padding_mask": np.ones_like(encoder)},
            jit_compile=keras.backend.backend() != "torch",
        )
        generated = out["token_ids"][0][out["padding_mask"][0].astype(bool)]
        assert source_ids[generated].tolist() == expected[: len(generated)].tolist(), text


@pytest.mark.one_backend
def test_zoo_predict_summarizes_as_transformers_and_a_fine_tuned_run_keeps_barts_format(checkpoint, tmp_path, capsys):
    folder, hf_model, hf_tokenizer, _, _ = checkpoint
    run = tmp_path / "run"
    assert main(["import", str(folder), "--out", str(run)]) == 0
    assert json.loads(capsys.readouterr().out)["task"] == "summarization"
    assert main(["predict", str(run), *SOURCES]) == 0
    outputs = [json.loads(line)["output"] for line in capsys.readouterr().out.splitlines()]
    # zoo predict decodes up to the run's 62 target tokens: with `</s> <s>` they fill the model's 64 positions.
    expected = [
        hf_tokenizer.decode(hf_greedy(hf_model, hf_tokenizer, text, 63), skip_special_tokens=True) for text in SOURCES
    ]
    assert outputs == expected
    argv = ["train", "summarization", "--model", "transformer", "--init-from", str(run), *FINE_TUNE]
    assert main([*argv, "--out", str(tmp_path / "tuned")]) == 0
    tuned = json.loads((tmp_path / "tuned" / "model" / "config.json").read_text())["task"]
    assert tuned["seq2seq_format"] == {"source_bos": True, "decoder_start": ["eos", "bos"]}


@pytest.mark.one_backend("tensorflow")
def test_the_saved_model_of_an_imported_bart_summarizes_as_zoo_predict(checkpoint, tmp_path, capsys):
    import tensorflow as tf

    run, served = import_and_serve(checkpoint[0], tmp_path)
    answer = served.signatures["greedy"](texts=tf.constant(SOURCES))["output"].numpy()
    assert main(["predict", str(run), *SOURCES]) == 0
    expected = [json.loads(line)["output"] for line in capsys.readouterr().out.splitlines()]
    assert [text.decode("utf-8") for text in answer] == expected
    assert all(expected)


@pytest.mark.one_backend
@pytest.mark.parametrize(
    "setting, value", [("add_final_layer_norm", True), ("normalize_before", True), ("decoder_attention_heads", 2)]
)
def test_a_bart_variant_the_zoo_cannot_build_is_refused_naming_the_setting(checkpoint, tmp_path, setting, value):
    import re
    import shutil

    from zoo.errors import LoadError

    folder = tmp_path / "checkpoint"
    shutil.copytree(checkpoint[0], folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, setting: value}))
    with pytest.raises(LoadError, match=re.escape(f"{setting}={value!r} is not supported")):
        from_pretrained(folder)
