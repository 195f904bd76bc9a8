"""`compare`: trains several model families on the same data with the same budget; a Markdown leaderboard.

Example:

    print(compare("classification", ["lstm", "bert", "gpt"], {"max_steps": 300}))
"""

import json
from pathlib import Path

import keras

from recipes import get_recipe
from zoo.training.config import resolve_config
from zoo.training.trainer import train


def compare(task, models, settings, config_file=None):
    """Trains `models` (families) on `task` with the same `settings`; returns the leaderboard table.

    Each run goes to `<out>/<model>` (default `runs/compare-<task>/<model>`), so rerunning the
    same comparison resumes or reuses finished runs. Rows are sorted by the task's main metric.
    """
    recipe = get_recipe(task)
    root = Path(settings.pop("out", None) or f"runs/compare-{task}")
    rows = []
    for model in models:
        config = resolve_config(recipe, {**settings, "model": model, "out": str(root / model)}, config_file)
        metrics = train(recipe, config, verbose=2)
        with open(root / model / "summary.json", encoding="utf-8") as f:
            summary = json.load(f)
        rows.append((model, config.size, metrics, summary))
        keras.backend.clear_session()
    return leaderboard(recipe, rows)


def leaderboard(recipe, rows):
    """Markdown table of `(model, size, metrics, summary)` rows, best first by the recipe's main metric."""
    metric, direction = recipe.primary_metric
    rows = sorted(rows, key=lambda row: row[2][metric], reverse=direction == "max")
    others = [name for name in rows[0][2] if name != metric and isinstance(rows[0][2][name], float)]
    header = ["model", "size", metric, "params", "train time (s)", "tokens/s", "steps", *others]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model, size, metrics, summary in rows:
        cells = [
            model,
            size,
            _number(metrics[metric]),
            f"{summary['parameters']:,}",
            f"{summary['train_time_s']:.0f}",
            f"{summary['tokens_per_s']:,.0f}",
            str(summary["steps"]),
            *[_number(metrics.get(name)) for name in others],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _number(value):
    return "-" if value is None else f"{value:.4g}"
