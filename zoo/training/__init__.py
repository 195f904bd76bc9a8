"""Training runs for the recipes: config, optimizer and schedule, loss, resumable `fit`, run directory, reports.

The package itself only exports the settings (Keras-free, so `zoo --help` starts fast); the
rest lives in its modules: `trainer` (`train`, `load_run`), `optimizers`, `schedules`, `losses`,
`callbacks` (`RunTracker`), `run_directory`, `curves`, `model_card`, `remat`.

Example:

    from recipes import get_recipe
    from zoo.training import resolve_config
    from zoo.training.trainer import train
    recipe = get_recipe("classification")
    metrics = train(recipe, resolve_config(recipe, {"model": "lstm", "epochs": 1}))
"""

from zoo.training.config import ConfigError, TrainConfig, resolve_config

__all__ = ["ConfigError", "TrainConfig", "resolve_config"]
