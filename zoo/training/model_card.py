"""`model_card`: the README.md of a run: what was trained, on what, how well, and how to reproduce it."""

import json


def _data_line(config):
    if config["data"] is None:
        return (
            f"the embedded synthetic {config['task']} corpus (`zoo.data.synthetic`, seed {config['seed']}, "
            f"{config['train_examples']} train / {config['valid_examples']} valid examples)"
        )
    if config["valid"] is None:
        valid = f"{config['valid_fraction']:.0%} of the training file held out (seed {config['seed']})"
    else:
        valid = f"`{config['valid']}`"
    return f"`{config['data']}`, validated on {valid}"


def _averaging(config):
    momentum = config.get("ema")  # absent from the config of a run made before the option
    return f"weights averaged (EMA, momentum {momentum}), " if momentum else ""


def model_card(config, metrics, state, parameters, command):
    """The Markdown model card of a finished run.

    Example: `model_card(config.to_dict(), {"accuracy": 0.9}, state, 1_234_567, "zoo train ...")`.
    """
    metric_rows = "\n".join(
        f"| {name} | {value:.4g} |" if isinstance(value, float) else f"| {name} | {value} |"
        for name, value in metrics.items()
    )
    best = "" if state.get("best_epoch") is None else f" (best validation at evaluation {state['best_epoch']})"
    init = f"\n- Initialised from the run `{config['init_from']}`." if config.get("init_from") else ""
    return f"""# {config["task"]} · {config["model"]} ({config["size"]})

A keras-zoo run. Load it with `zoo.models.saving.load_model_folder("model")`, or use
`zoo evaluate` / `zoo predict` on this folder.

## Model
- Family `{config["model"]}`, size `{config["size"]}`: {parameters:,} parameters.
- Tokenizer: {config["tokenizer"]}, vocabulary asked {config["vocabulary_size"]} (the saved tokenizer holds the size reached).{init}

## Data
- Trained on {_data_line(config)}.

## Training
- {state["step"]} optimizer steps of batch {config["batch_size"]} x {config["accumulation_steps"]} accumulation,
  {state["elapsed_s"]:.0f} s of training{best}; stopped by: {state.get("stop_reason") or "end of schedule"}.
- AdamW, peak learning rate {config["learning_rate"]}, {config["schedule"]} decay, warm-up {config["warmup_fraction"]:.0%},
  weight decay {config["weight_decay"]}, clip norm {config["clip_norm"]}, label smoothing {config["label_smoothing"]},
  {_averaging(config)}precision {config["precision"]}, backend {config["backend"]}.

## Validation metrics
| metric | value |
|---|---|
{metric_rows}

Curves: `curves.png`, `history.csv`, TensorBoard logs in `logs/`.

## Reproduce
```
{command}
```

## Config
```json
{json.dumps(config, indent=2)}
```
"""  # noqa: E501 (lines of the Markdown template)
