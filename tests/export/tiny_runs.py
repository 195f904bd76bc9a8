"""The tiny runs of tests/tiny_runs_cache.py (export tests, test_train_every_task): flags, and texts to feed them."""

TINY = [
    "--size",
    "tiny",
    "--train-examples",
    "64",
    "--valid-examples",
    "16",
    "--max-steps",
    "20",
    "--batch-size",
    "8",
    "--eval-examples",
    "4",
    "--seq-len",
    "24",
    "--target-len",
    "10",
    "--vocabulary-size",
    "400",
    "--eval-every",
    "20",
    "--padding",
    "max_length",
]  # one validation, one batch shape: few compilations
# One run per model family (lstm, bert, gpt, seq2seq, fasttext) and per task.
RUNS = {
    "classification-bert": ["classification", "--model", "bert"],
    "classification-lstm": ["classification", "--model", "lstm"],
    "classification-fasttext": ["classification", "--model", "fasttext"],
    "translation-gpt": ["translation", "--model", "gpt"],
    # Copy attention and the n-gram ban run inside the exported decoding loops too.
    "summarization-transformer": [
        "summarization",
        "--model",
        "transformer",
        "--copy-attention",
        "--no-repeat-ngram",
        "2",
    ],
    "clm-gpt": ["clm", "--model", "gpt"],
}
# Trained only when a test asks for them (`trained_runs` is `RUNS`); flags after the task override `TINY`.
MORE_RUNS = {
    "mlm-bert": ["mlm", "--model", "bert", "--max-steps", "2"],  # a pre-training run: no serving signature
}
# Nine texts: two generation chunks; an empty text, one longer than --seq-len, CJK and emoji.
TEXTS = [
    "the old man walked home",
    "",
    "a dog",
    "no , the film was not bad at all",
    "日本語のテキスト 🙂",
    " ".join(["very"] * 60) + " long",
    "she said that he left",
    "two",
    "the last text",
]
