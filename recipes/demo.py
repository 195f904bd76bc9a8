"""`zoo demo`: the main job on the embedded corpus: train, evaluate, predict from raw strings.

Trains the default recipe (an LSTM classifier on the embedded classification corpus, whose
labels depend on negation and contrast), scores it on the held-out test split it never saw, and
classifies a few raw test sentences. A few minutes on 2 CPU cores.
"""

import json

from recipes import get_recipe
from zoo.data.synthetic import make_corpus
from zoo.training.config import resolve_config
from zoo.training.trainer import load_run, train

DEMO_SETTINGS = {"model": "lstm", "size": "small", "epochs": 1, "train_examples": 20_000, "batch_size": 64}


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
    shown = test_rows[:6]
    for row, prediction in zip(shown, recipe.predict(model, tokenizer, info, [row["text"] for row in shown], config)):
        confidence = prediction["probabilities"][prediction["label"]]
        print(f"  {prediction['label']:>8} ({confidence:.2f})  truth {row['label']:>8}  | {row['text']}")
    print(f"== Run folder: {out} (model/, metrics.json, history.csv, curves.png, README.md, logs/)")
    return test_metrics
