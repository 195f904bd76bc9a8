"""`zoo demo`: the main job on the embedded corpus: train, evaluate, predict from raw strings, export, serve.

Trains the default recipe (an LSTM classifier on the embedded classification corpus, whose
labels depend on negation and contrast), scores it on the held-out test split it never saw,
classifies a few raw test sentences, exports the run as a SavedModel that takes raw strings, and
reloads the export to check it answers as the run does. A few minutes on 2 CPU cores.
"""

import json
from pathlib import Path

import numpy as np
import tensorflow as tf

from recipes import get_recipe
from zoo.data.synthetic import make_corpus
from zoo.export import export_run
from zoo.training.config import resolve_config
from zoo.training.trainer import load_run, train

# vocabulary_size: all the embedded corpus has (its 20,000 texts give 350 WordPiece tokens; the
# recipe's default of 8,000 trains the same vocabulary and warns that it came out short).
DEMO_SETTINGS = {
    "model": "lstm",
    "size": "small",
    "epochs": 1,
    "train_examples": 20_000,
    "batch_size": 64,
    "vocabulary_size": 350,
}


def run_demo(out="runs/demo"):
    recipe = get_recipe("classification")
    config = resolve_config(recipe, {**DEMO_SETTINGS, "out": out})
    print(f"== Training an LSTM classifier on the embedded corpus -> {out}")
    valid_metrics = train(recipe, config, command=f"zoo demo --out {out}", verbose=2)
    print("== Validation metrics:", json.dumps(valid_metrics))

    model, tokenizer, info, _ = load_run(out)
    test_rows = make_corpus("classification", "test", 2_000, seed=config.seed)
    test_metrics = recipe.evaluate(model, tokenizer, info, test_rows, config)
    print("== Test metrics (held-out split, never seen in training):", json.dumps(test_metrics))

    print("== Predictions from raw strings:")
    texts = [row["text"] for row in test_rows[:6]]
    predictions = recipe.predict(model, tokenizer, info, texts, config)
    for row, prediction in zip(test_rows, predictions):
        confidence = prediction["probabilities"][prediction["label"]]
        print(f"  {prediction['label']:>8} ({confidence:.2f})  truth {row['label']:>8}  | {row['text']}")

    exported = export_run(out, Path(out) / "export", format="saved_model")
    served = tf.saved_model.load(exported).signatures["serving_default"](texts=tf.constant(texts))
    expected = np.array([[p["probabilities"][label] for label in info["labels"]] for p in predictions])
    same_labels = [label.decode() for label in served["label"].numpy()] == [p["label"] for p in predictions]
    print(
        f"== Exported a SavedModel that takes raw strings -> {exported}; reloaded, it gives the same labels: "
        f"{same_labels}, probabilities within {np.abs(served['probabilities'].numpy() - expected).max():.1e}"
    )
    print(f"== Run folder: {out} (model/, export/, metrics.json, history.csv, curves.png, README.md, logs/)")
    return test_metrics
