"""Tiny random Hugging Face checkpoints written by `transformers` itself: what a user's folder holds, no downloads."""

import numpy as np
import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

END = "<|endoftext|>"
# Words of several scripts, numbers and spacing, repeated so the BPE learns merges across them.
CORPUS = [
    "Two young, White males are outside near many bushes.",
    "Zwei junge Männer laufen über die Straße; naïve e-mail “quotes”.",
    "¿Dónde está el baño? Ñandú, 12345 and 3.14 and 2026-12-06.",
    "Tabs\tand  double  spaces\nand new lines, 日本語 and 🙂.",
    "It's the dog's ball, isn't it? They'll say we've done it.",
] * 30


def save_tiny_gpt2(folder, seed=0):
    """Writes a 2-layer GPT-2 (width 32, 64 positions) and its byte-level BPE into `folder`.

    Returns the `transformers` `(model, tokenizer)`.
    """
    _save_byte_bpe(folder, [END])
    tokenizer = GPT2TokenizerFast(
        str(folder / "vocab.json"), str(folder / "merges.txt"), unk_token=END, bos_token=END, eos_token=END
    )
    torch.manual_seed(seed)
    end_id = tokenizer.convert_tokens_to_ids(END)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=4,
        bos_token_id=end_id,
        eos_token_id=end_id,
    )
    model = GPT2LMHeadModel(config).eval()
    _spread_logits(model)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return model, tokenizer


def _save_byte_bpe(folder, special_tokens):
    """A byte-level BPE of 420 tokens learned on `CORPUS`, `special_tokens` first: `vocab.json` + `merges.txt`."""
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS, vocab_size=420, min_frequency=1, special_tokens=special_tokens, show_progress=False)
    folder.mkdir(parents=True, exist_ok=True)
    bpe.save_model(str(folder))


def import_and_serve(folder, tmp_path):
    """`(run, served)`: the checkpoint in `folder` imported as a run, exported and loaded as a SavedModel."""
    import tensorflow as tf

    from zoo.checkpoints import import_checkpoint
    from zoo.export.saved_model import export_saved_model

    import_checkpoint(folder, tmp_path / "run")
    export_saved_model(tmp_path / "run", tmp_path / "served")
    return tmp_path / "run", tf.saved_model.load(str(tmp_path / "served"))


def _spread_logits(model):
    """Larger random weights than GPT-2's init: the greedy choices then differ by more than float noise."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("weight") and parameter.ndim == 2:
                parameter.normal_(0.0, 0.2, generator=torch.Generator().manual_seed(len(name)))


def padded(rows, pad=0):
    """`(ids, mask)` int32 arrays of right-padded `rows`."""
    width = max(len(row) for row in rows)
    ids = np.full((len(rows), width), pad, "int32")
    mask = np.zeros((len(rows), width), "int32")
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def save_tiny_bert(folder, architecture="BertForMaskedLM", lowercase=True, strip_accents=None, seed=0):
    """Writes a 2-layer BERT (width 32, 64 positions, 3 labels for a classifier) and its WordPiece into `folder`.

    The vocabulary is laid out as BERT's: "[PAD]", ten "[unusedN]", then "[UNK]", "[CLS]", "[SEP]",
    "[MASK]" and the learned pieces, so the importer has to reorder it. Returns the `transformers`
    `(model, tokenizer)`.
    """
    import transformers
    from tokenizers import BertWordPieceTokenizer

    keeps_accents = strip_accents is False
    learner = BertWordPieceTokenizer(lowercase=lowercase, strip_accents=lowercase and not keeps_accents)
    learner.train_from_iterator(CORPUS, vocab_size=300, min_frequency=1, show_progress=False)
    pieces = [token for token, _ in sorted(learner.get_vocab().items(), key=lambda item: item[1])]
    pieces = [token for token in pieces if token not in BERT_SPECIALS]
    vocabulary = ["[PAD]", *[f"[unused{i}]" for i in range(10)], *BERT_SPECIALS[1:], *pieces]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("".join(token + "\n" for token in vocabulary), encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast(
        str(folder / "vocab.txt"), do_lower_case=lowercase, strip_accents=strip_accents
    )
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        vocab_size=len(vocabulary),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=3,
    )
    model = getattr(transformers, architecture)(config).eval()
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return model, tokenizer


def save_tiny_keras_hub_preset(folder, family, source_folder):
    """Writes a 2-layer keras-hub `GPT2CausalLM` or `BertBackbone` preset into `folder` with `save_to_preset`.

    Its tokenizer takes the files of a `save_tiny_gpt2` / `save_tiny_bert` folder `source_folder`.
    Returns the keras-hub `(backbone, tokenizer)`.
    """
    import keras_hub

    shape = {"num_layers": 2, "num_heads": 4, "hidden_dim": 32, "intermediate_dim": 64, "max_sequence_length": 64}
    if family == "gpt2":
        tokenizer = keras_hub.models.GPT2Tokenizer(
            vocabulary=str(source_folder / "vocab.json"), merges=str(source_folder / "merges.txt")
        )
        backbone = keras_hub.models.GPT2Backbone(vocabulary_size=tokenizer.vocabulary_size(), **shape)
    else:
        tokenizer = keras_hub.models.BertTokenizer(vocabulary=str(source_folder / "vocab.txt"), lowercase=True)
        backbone = keras_hub.models.BertBackbone(vocabulary_size=tokenizer.vocabulary_size(), **shape)
    for weight in backbone.weights:  # larger than the initializers', so logits differ by more than float noise
        weight.assign(np.random.default_rng(len(weight.path)).normal(0, 0.2, weight.shape).astype("float32"))
    if family == "gpt2":  # a whole GPT2CausalLM preset: its backbone's files plus task.json and preprocessor.json
        preprocessor = keras_hub.models.GPT2CausalLMPreprocessor(tokenizer, sequence_length=16)
        keras_hub.models.GPT2CausalLM(backbone, preprocessor).save_to_preset(str(folder))
    else:
        backbone.save_to_preset(str(folder))
        tokenizer.save_to_preset(str(folder))
    return backbone, tokenizer


BART_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def save_tiny_bart(folder, seed=0):
    """Writes a 2+2-layer BART (width 32, 64 positions) and its byte-level BPE into `folder`.

    BART's specials come first in its vocabulary (`<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3,
    `<mask>` 4), in another order than the zoo's. `final_logits_bias` is drawn at random (it is
    zeros in a fresh model) so the test sees it. Returns the `transformers` `(model, tokenizer)`.
    """
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizerFast

    _save_byte_bpe(folder, BART_SPECIALS)
    tokenizer = BartTokenizerFast(str(folder / "vocab.json"), str(folder / "merges.txt"))
    torch.manual_seed(seed)
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=64,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
    )
    model = BartForConditionalGeneration(config).eval()
    _spread_logits(model)
    with torch.no_grad():
        model.final_logits_bias.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(seed))
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return model, tokenizer


# `zoo train` flags of the few-step fine-tunes from imported runs: a small validation split, few decoded examples.
FINE_TUNE = [
    "--max-steps",
    "2",
    "--batch-size",
    "4",
    "--train-examples",
    "32",
    "--valid-examples",
    "8",
    "--eval-examples",
    "4",
    "--seq-len",
    "32",
    "--target-len",
    "12",
]
