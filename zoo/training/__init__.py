"""Training runs for the recipes: config, optimizer and schedule, loss, resumable `fit`, run directory, reports.

Example:

    from recipes import get_recipe
    from zoo.training import resolve_config, train
    recipe = get_recipe("classification")
    metrics = train(recipe, resolve_config(recipe, {"model": "lstm", "epochs": 1}))
"""

from zoo.training.config import ConfigError, TrainConfig, resolve_config
from zoo.training.losses import SparseCrossEntropy
from zoo.training.optimizers import build_optimizer, exclude_from_decay
from zoo.training.schedules import WarmupDecay
from zoo.training.trainer import load_run, train

__all__ = [
    "ConfigError",
    "SparseCrossEntropy",
    "TrainConfig",
    "WarmupDecay",
    "build_optimizer",
    "exclude_from_decay",
    "load_run",
    "resolve_config",
    "train",
]
