"""A GPT-2 checkpoint written by `transformers` imports with its logits, greedy continuations and token ids."""

import json
import re
import shutil

import keras
import numpy as np
import pytest
import torch

from recipes.cli import main
from tests.checkpoints.tiny_checkpoints import END, FINE_TUNE, import_and_serve, padded, save_tiny_gpt2
from zoo.checkpoints import from_pretrained, import_checkpoint
from zoo.errors import LoadError
from zoo.generation import generate
from zoo.tokenizers import load_tokenizer
from zoo.training.trainer import load_run

MIXED_TEXTS = [
    "Zwei junge Männer laufen über die Straße; naïve e-mail “quotes”.",
    "   leading and trailing   ",
    "Tabs\t\tand  runs   of spaces\n\nnew lines 12345 3.14159 日本語 🙂🙂",
    f"one text{END}and the next",
    "",
    "Ünïcödé outside the corpus: ε, ж, ☃",
]
PROMPTS = ["Two young, White", "Zwei junge", "¿Dónde está"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gpt2")
    hf_model, hf_tokenizer = save_tiny_gpt2(folder)
    model, tokenizer = from_pretrained(folder)
    return folder, hf_model, hf_tokenizer, model, tokenizer


def hf_logits(hf_model, source_ids, mask):
    with torch.no_grad():
        return hf_model(torch.tensor(source_ids), attention_mask=torch.tensor(mask)).logits.numpy()


@pytest.mark.one_backend
def test_token_ids_are_the_source_tokenizers_and_text_comes_back(checkpoint, tmp_path):
    _, _, hf_tokenizer, _, tokenizer = checkpoint
    source_ids = np.asarray(tokenizer.source_ids)
    for text in MIXED_TEXTS:
        ids = tokenizer.tokenize(text)
        assert source_ids[ids].tolist() == hf_tokenizer(text)["input_ids"], text
        assert tokenizer.detokenize(ids) == text.replace(END, "")
    assert tokenizer.tokenize(END).tolist() == [tokenizer.eos_id]
    tokenizer.save(tmp_path / "saved")
    reloaded = load_tokenizer(tmp_path / "saved")
    assert [r.tolist() for r in reloaded.tokenize(MIXED_TEXTS)] == [t.tolist() for t in tokenizer.tokenize(MIXED_TEXTS)]
    assert reloaded.vocabulary_size == len(hf_tokenizer) + 4  # pad, unk and mask added; bos and eos share END


def test_logits_equal_transformers_on_a_padded_batch(checkpoint):
    _, hf_model, _, model, tokenizer = checkpoint
    ids, mask = padded([tokenizer.tokenize(text) for text in MIXED_TEXTS[:4]])
    source = np.asarray(tokenizer.source_ids)
    expected = hf_logits(hf_model, np.where(mask, source[ids], 0), mask)
    logits = keras.ops.convert_to_numpy(model({"token_ids": ids, "padding_mask": mask}))
    real = mask.astype(bool)
    # Every zoo id with a source row has that row's logit; the rest (pad, unk, bos, mask) are never predicted.
    with_row = np.flatnonzero(source >= 0)
    with_row = with_row[with_row != tokenizer.bos_id]
    np.testing.assert_allclose(logits[real][:, with_row], expected[real][:, source[with_row]], atol=1e-4, rtol=1e-4)
    assert (logits[real][:, [0, 1, tokenizer.bos_id, 4]] <= -1e4 + 1).all()


def test_greedy_continuations_equal_transformers_generate(checkpoint):
    _, hf_model, hf_tokenizer, model, tokenizer = checkpoint
    source = np.asarray(tokenizer.source_ids)
    new_tokens = 12
    for prompt in PROMPTS:
        ids = tokenizer.tokenize(prompt)[None, :]
        with torch.no_grad():
            expected = hf_model.generate(
                torch.tensor(source[ids]),
                do_sample=False,
                max_new_tokens=new_tokens,
                pad_token_id=hf_tokenizer.eos_token_id,
            ).numpy()
        # Eager on torch: a compiled step would be exported anew for each prompt length.
        compiled = keras.backend.backend() != "torch"
        out = generate(model, ids, ids.shape[1] + new_tokens, end_token_id=tokenizer.eos_id, jit_compile=compiled)
        generated = out["token_ids"][0][out["padding_mask"][0].astype(bool)]
        assert source[generated].tolist() == expected[0][: len(generated)].tolist(), prompt
        assert len(generated) == expected.shape[1] or expected[0][len(generated) - 1] == hf_tokenizer.eos_token_id


def test_an_imported_run_loads_with_the_same_logits_on_this_backend(checkpoint, tmp_path):
    folder, _, _, model, tokenizer = checkpoint
    summary = import_checkpoint(folder, tmp_path / "run")
    assert summary["imported_from"]["architecture"] == "GPT2LMHeadModel"
    assert summary["parameters"] == model.count_params()
    loaded, loaded_tokenizer, info, config = load_run(tmp_path / "run")
    assert (config["task"], config["model"], config["tokenizer"]) == ("clm", "gpt", "byte_bpe")
    assert info["imported_from"] == summary["imported_from"]
    ids, mask = padded([tokenizer.tokenize(text) for text in PROMPTS])
    x = {"token_ids": ids, "padding_mask": mask}
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)))
    assert loaded_tokenizer.get_config() == tokenizer.get_config()


@pytest.mark.one_backend
def test_zoo_import_on_one_backend_then_predict_and_fine_tune_on_another(checkpoint, tmp_path, capfd):
    import zoo.models

    folder, hf_model, hf_tokenizer, _, _ = checkpoint
    run = tmp_path / "run"
    other = "jax" if keras.backend.backend() != "jax" else "torch"  # `zoo` runs it in a fresh process
    assert main(["import", str(folder), "--out", str(run), "--backend", other]) == 0
    assert json.loads(capfd.readouterr().out.strip().splitlines()[-1])["run"] == str(run)
    assert json.loads((run / "model" / "config.json").read_text())["backend"] == other
    assert main(["predict", str(run), "Zwei junge"]) == 0
    continuation = json.loads(capfd.readouterr().out)["continuation"]
    # zoo predict starts a prompt with bos, which is GPT-2's end token, as transformers' generate is given here,
    # and continues it up to the model's 64 positions.
    prompt = [hf_tokenizer.eos_token_id, *hf_tokenizer("Zwei junge")["input_ids"]]
    with torch.no_grad():
        expected = hf_model.generate(
            torch.tensor([prompt]), do_sample=False, max_length=64, pad_token_id=hf_tokenizer.eos_token_id
        )
    assert continuation == hf_tokenizer.decode(expected[0, len(prompt) :], skip_special_tokens=True)
    assert main(["train", "clm", "--init-from", str(run), *FINE_TUNE, "--out", str(tmp_path / "tuned")]) == 0
    tuned = load_run(tmp_path / "tuned")[0]
    assert tuned.backbone.suppressed_token_ids == (0, 1, 2, 4)
    assert zoo.models.from_pretrained(folder)[0].count_params() == tuned.count_params()


@pytest.mark.one_backend
@pytest.mark.parametrize(
    "damage, message",
    [
        ("pickle", "pytorch_model.bin is a pickle checkpoint"),
        ("architecture", "architecture 'T5ForConditionalGeneration' is not supported"),
        ("missing_key", "no tensor 'h.1.mlp.c_fc.weight'"),
        ("extra_key", "unexpected tensor 'h.0.attn.extra.weight'"),
        ("shape", "'decoder_block_0/feed_forward_norm/gamma' has shape (31,)"),
        ("activation", "activation_function='silu'"),
        ("no_tokenizer", "no tokenizer.json, nor vocab.json with merges.txt"),
    ],
)
def test_an_unusable_checkpoint_is_refused_with_one_line_naming_the_problem(checkpoint, tmp_path, damage, message):
    from safetensors.numpy import load_file, save_file

    source = checkpoint[0]
    folder = tmp_path / "checkpoint"
    shutil.copytree(source, folder)
    config = json.loads((folder / "config.json").read_text())
    arrays = load_file(folder / "model.safetensors")
    if damage == "pickle":
        (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    elif damage == "architecture":
        config["architectures"] = ["T5ForConditionalGeneration"]
    elif damage == "missing_key":
        del arrays["transformer.h.1.mlp.c_fc.weight"]
    elif damage == "extra_key":
        arrays["transformer.h.0.attn.extra.weight"] = np.zeros((2, 2), "float32")
    elif damage == "shape":
        arrays["transformer.h.0.ln_2.weight"] = arrays["transformer.h.0.ln_2.weight"][:31]
    elif damage == "activation":
        config["activation_function"] = "silu"
    elif damage == "no_tokenizer":
        for name in ("tokenizer.json", "vocab.json", "merges.txt"):
            (folder / name).unlink()
    (folder / "config.json").write_text(json.dumps(config))
    if damage in ("missing_key", "extra_key", "shape"):
        save_file(arrays, folder / "model.safetensors")
    with pytest.raises(LoadError, match=re.escape(message)) as error:
        from_pretrained(folder)
    assert "\n" not in str(error.value)


@pytest.mark.one_backend
def test_zoo_import_into_a_used_folder_is_refused(checkpoint, tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    assert main(["import", str(checkpoint[0]), "--out", str(tmp_path / "run")]) == 2
    assert "exists and is not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine"


@pytest.mark.one_backend("tensorflow")
def test_the_saved_model_of_an_imported_run_continues_text_as_zoo_predict(checkpoint, tmp_path, capsys):
    import tensorflow as tf

    run, served = import_and_serve(checkpoint[0], tmp_path)
    answer = served.signatures["greedy"](texts=tf.constant(PROMPTS))["output"].numpy()
    assert main(["predict", str(run), *PROMPTS]) == 0
    expected = [json.loads(line)["continuation"] for line in capsys.readouterr().out.splitlines()]
    assert [text.decode("utf-8") for text in answer] == expected
    assert all(expected)
