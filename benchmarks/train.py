"""Training speed: tokens/s through `model.fit` for our GPT and BERT, keras-hub's, and a plain PyTorch GPT.

Every model is random-init and trains on random token ids held in memory (a cached, repeated,
prefetched `tf.data.Dataset`, or torch tensors), so the input pipeline is not what is timed:

- `zoo`: `GPTCausalLM` / `BertMaskedLM` on `zoo.models.build`, compiled by the function every run
  compiles with (`zoo.training.trainer.compile_for_training`, the clm / mlm recipe's default
  config), fed the `(x, y, sample_weight)` batches of
  `causal_lm_dataset` / `masked_lm_dataset`.
- `keras-hub`: `GPT2CausalLM` / `BertMaskedLM` of the same shape with `preprocessor=None`, compiled
  with a plain `keras.optimizers.AdamW` (the recipe's learning rate and weight decay; no schedule,
  clipping or decay exclusions) and the task's default loss and metrics, fed the same batches.
- `torch-eager`, `torch-compile`: a plain PyTorch GPT of the same shape (pre-LN blocks, learned
  positions, tied head, `scaled_dot_product_attention(is_causal=True)`) trained by
  `torch.optim.AdamW` in a plain loop, eagerly or under `torch.compile`. GPT only.

Shapes (vocabulary 8,192, dropout 0): `tiny` is 2 layers, width 128, 4 heads, feed-forward 512,
sequence 128, batch 16; `small` is 4 layers, 256, 4 heads, 1,024, sequence 256, batch 8; `long`
(not run by default) is `small` at sequence 1,024. `--jit-compile` and `--remat` set the zoo runs'
options of those names.

Each measurement runs in its own subprocess with KERAS_BACKEND set, so the peak RSS it reports
is its own; every one starts with glibc's malloc tuned for large buffers (`--malloc-tuning on`:
huge pages, freed memory kept; as `zoo` runs, see `zoo.malloc_tuning`) or every one with glibc's
defaults (`off`), so the comparison stays even.
The plain PyTorch ones import neither Keras nor TensorFlow and run once per model and
config whatever `--backends` says (JSON `backend` null; the table repeats them on every backend
row). The machine should be otherwise idle: on busy cores PyTorch's OpenMP threads wait on each
other far more than XLA's thread pools do. One untimed block (compilation)
comes first, then `--blocks` timed blocks of `--steps` steps, each `model.fit(dataset,
steps_per_epoch=steps, epochs=1)` timed from its first step's end to its last's (scaled to
`steps`), since `fit`'s own set-up and tear-down can stall for seconds on these machines: tokens/s
is batch x sequence x steps over the median block (the best block is in the JSON). FLOPs per
token are `6 N + 12 L d T` with N the model's trainable parameters (BERT's MLM head and
vocabulary projection counted at the masked positions only); the peak fraction divides
the FLOP rate by the matmul peak that `benchmarks/peak.py` measures at the start (fp32; bf16
with `--precision mixed_bfloat16` when torch is there to measure it). The table's percentages use
the higher of that peak and a second one measured at the end: on these VMs one measurement in
a slow moment read 266 GFLOP/s where the next three read 377 to 394.

    python benchmarks/train.py                          # 3 backends x tiny, small x gpt, bert x 4 impls
    python benchmarks/train.py --configs tiny --models gpt --backends jax --impls zoo,keras-hub
    python benchmarks/train.py --impls torch-eager,torch-compile --json
    python benchmarks/train.py --configs small --precision mixed_bfloat16
    python benchmarks/train.py --configs long --models gpt --impls zoo --remat
"""

import argparse
import dataclasses
import importlib
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `zoo`, `recipes` and `benchmarks` importable

from benchmarks.generate import cpu_description  # noqa: E402
from benchmarks.peak import bf16_isa, describe, measure_peak  # noqa: E402
from benchmarks.timing import time_blocks  # noqa: E402
from zoo.malloc_tuning import (  # noqa: E402
    malloc_keeps_freed_memory,
    malloc_uses_huge_pages,
    transparent_huge_pages_mode,
    with_malloc_tuning,
)
from zoo.training.config import JIT_COMPILES  # noqa: E402
from zoo.training.remat import with_memory_scheduler  # noqa: E402
from zoo.validation import require_choice, require_positive_int, require_positive_number  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")
IMPLS = ("zoo", "keras-hub", "torch-eager", "torch-compile")
KERAS_IMPLS = ("zoo", "keras-hub")
MODELS = ("gpt", "bert")
PRECISIONS = ("float32", "mixed_bfloat16")
CONFIGS = {
    "tiny": {
        "num_layers": 2,
        "hidden_dim": 128,
        "num_heads": 4,
        "intermediate_dim": 512,
        "sequence_length": 128,
        "batch_size": 16,
    },
    "small": {
        "num_layers": 4,
        "hidden_dim": 256,
        "num_heads": 4,
        "intermediate_dim": 1024,
        "sequence_length": 256,
        "batch_size": 8,
    },
    # small at 4x the length: where `--remat` matters.
    "long": {
        "num_layers": 4,
        "hidden_dim": 256,
        "num_heads": 4,
        "intermediate_dim": 1024,
        "sequence_length": 1024,
        "batch_size": 8,
    },
}
DEFAULT_CONFIGS = ("tiny", "small")
VOCABULARY_SIZE = 8192
FIRST_TEXT_ID = 5  # ids below are the special tokens (`zoo.tokenizers.base.NUM_SPECIAL_TOKENS`)
MASK_RATE = 0.15  # `masked_lm_dataset`'s: ceil(0.15 T) mask slots per example
DISTINCT_BATCHES = 4


def flops_per_token(parameters, num_layers, hidden_dim, sequence_length, output_parameters=0, output_fraction=1.0):
    """Training FLOPs per token, `6 N + 12 L d T`, with N the trainable parameters.

    `output_parameters` of N (a masked LM's head and tied vocabulary projection) run at only
    `output_fraction` of the positions (the masked ones): they count `6 P f` instead of `6 P`.

    Example: `flops_per_token(1_000_000, 2, 128, 128)` is 6,000,000 + 393,216 = 6,393,216.
    """
    dense = parameters - output_parameters
    return 6 * dense + 6 * output_parameters * output_fraction + 12 * num_layers * hidden_dim * sequence_length


def output_head(model, shape):
    """`(output_parameters, output_fraction)` of `flops_per_token`: BERT's MLM head runs at the masked positions."""
    if not BENCHMARKED[model].masked_head:
        return 0, 1.0
    width, length = shape["hidden_dim"], shape["sequence_length"]
    # The tied vocabulary projection and the head's dense transform, at ceil(0.15 T) of T positions.
    return VOCABULARY_SIZE * width + width * width, math.ceil(MASK_RATE * length) / length


def gpt_examples(rng, shape, count):
    """`count` examples shaped like `causal_lm_dataset`'s: `({"token_ids", "padding_mask"}, next ids, ones)`."""
    windows = rng.integers(FIRST_TEXT_ID, VOCABULARY_SIZE, (count, shape["sequence_length"] + 1)).astype("int32")
    ones = np.ones((count, shape["sequence_length"]), "int32")
    return {"token_ids": windows[:, :-1], "padding_mask": ones}, windows[:, 1:], ones.astype("float32")


def bert_examples(rng, shape, count):
    """`count` examples shaped like `masked_lm_dataset`'s without next-sentence prediction.

    `x` holds "token_ids", "padding_mask", "segment_ids" and "mask_positions" (ceil(0.15 T)
    distinct positions between [CLS] and [SEP], in increasing order); `y` the ids there; weights ones.
    """
    length = shape["sequence_length"]
    token_ids = rng.integers(FIRST_TEXT_ID, VOCABULARY_SIZE, (count, length)).astype("int32")
    slots = math.ceil(MASK_RATE * length)
    positions = np.sort([rng.choice(np.arange(1, length - 1), slots, replace=False) for _ in range(count)], axis=1)
    positions = positions.astype("int32")
    x = {
        "token_ids": token_ids,
        "padding_mask": np.ones_like(token_ids),
        "segment_ids": np.zeros_like(token_ids),
        "mask_positions": positions,
    }
    return x, np.take_along_axis(token_ids, positions, axis=1), np.ones(positions.shape, "float32")


@dataclasses.dataclass(frozen=True)
class Benchmarked:
    """How one of `MODELS` is trained here: its recipe task, random batches, our task class and keras-hub's twin."""

    recipe_task: str
    examples: object  # `(rng, shape, count) -> (x, y, sample_weight)`
    zoo_task: tuple  # (module, class) of our task model on the backbone
    keras_hub: tuple  # (backbone class, task class) in keras_hub.models
    masked_head: bool  # the output head runs at the masked positions only (`output_head`)
    torch_reference: bool  # the plain PyTorch GPT (torch-eager, torch-compile) trains it


BENCHMARKED = {
    "gpt": Benchmarked(
        "clm", gpt_examples, ("zoo.models.gpt", "GPTCausalLM"), ("GPT2Backbone", "GPT2CausalLM"), False, True
    ),
    "bert": Benchmarked(
        "mlm", bert_examples, ("zoo.models.bert", "BertMaskedLM"), ("BertBackbone", "BertMaskedLM"), True, False
    ),
}


def random_dataset(model, shape, seed=0):
    """A repeated, prefetched `tf.data.Dataset` cycling `DISTINCT_BATCHES` random batches of `model`'s inputs."""
    import tensorflow as tf

    examples = BENCHMARKED[model].examples(np.random.default_rng(seed), shape, DISTINCT_BATCHES * shape["batch_size"])
    dataset = tf.data.Dataset.from_tensor_slices(examples).batch(shape["batch_size"], drop_remainder=True)
    return dataset.cache().repeat().prefetch(tf.data.AUTOTUNE)


def recipe_config(model, shape, precision, **settings):
    """`(recipe, TrainConfig)` of the clm (GPT) or mlm (BERT) recipe at this batch, length and precision.

    `settings` are further config fields, e.g. `jit_compile="off"` or `remat=True`.
    """
    from recipes import get_recipe
    from zoo.training.config import resolve_config

    recipe = get_recipe(BENCHMARKED[model].recipe_task)
    overrides = {
        "model": model,
        "seq_len": shape["sequence_length"],
        "batch_size": shape["batch_size"],
        "vocabulary_size": VOCABULARY_SIZE,
        "dropout": 0.0,
        "precision": precision,
        **settings,
    }
    return recipe, resolve_config(recipe, overrides)


def zoo_task(model, shape, precision, total_steps, **settings):
    """Our causal or masked LM, built and compiled as `zoo.training.trainer.train` does for the recipe.

    `settings` are config fields of the run, e.g. `jit_compile="on"` or `remat=True`.
    """
    import keras

    import zoo.models
    from zoo.training.remat import remat_scope
    from zoo.training.trainer import compile_for_training

    recipe, config = recipe_config(model, shape, precision, **settings)
    keras.utils.set_random_seed(config.seed)
    keras.config.set_dtype_policy(config.precision)
    try:
        with remat_scope(config.remat):
            # Every argument of the "tiny" preset is overridden: the shape is the benchmark's.
            backbone = zoo.models.build(
                model,
                "tiny",
                vocabulary_size=VOCABULARY_SIZE,
                dropout=config.dropout,
                num_layers=shape["num_layers"],
                hidden_dim=shape["hidden_dim"],
                num_heads=shape["num_heads"],
                intermediate_dim=shape["intermediate_dim"],
                max_sequence_length=shape["sequence_length"],
            )
            module, task_class = BENCHMARKED[model].zoo_task
            task = getattr(importlib.import_module(module), task_class)(backbone)
        compile_for_training(task, recipe, config, total_steps)
    finally:
        keras.config.set_dtype_policy("float32")
    return task


def keras_hub_task(model, shape, precision):
    """keras-hub's `GPT2CausalLM` or `BertMaskedLM` of `shape` (no preprocessor), compiled with AdamW."""
    import keras
    import keras_hub

    _, config = recipe_config(model, shape, precision)
    keras.utils.set_random_seed(config.seed)
    keras.config.set_dtype_policy(precision)
    try:
        arguments = {
            "vocabulary_size": VOCABULARY_SIZE,
            "num_layers": shape["num_layers"],
            "num_heads": shape["num_heads"],
            "hidden_dim": shape["hidden_dim"],
            "intermediate_dim": shape["intermediate_dim"],
            "dropout": 0.0,
            "max_sequence_length": shape["sequence_length"],
        }
        backbone_class, task_class = (getattr(keras_hub.models, name) for name in BENCHMARKED[model].keras_hub)
        task = task_class(backbone_class(**arguments), preprocessor=None)
        task.compile(
            optimizer=keras.optimizers.AdamW(learning_rate=config.learning_rate, weight_decay=config.weight_decay)
        )
    finally:
        keras.config.set_dtype_policy("float32")
    return task


def torch_gpt(shape):
    """A plain PyTorch GPT of `shape`; `model(token_ids, targets)` is the mean next-token cross-entropy.

    Pre-LN blocks (fused QKV, `scaled_dot_product_attention(is_causal=True)`, tanh-GELU MLP),
    learned positions, a final LayerNorm and the token table as output projection: the
    parameters of `GPTBackbone` of the same shape, one for one. Weights are drawn as GPT-2's
    (normal, stddev 0.02; zero biases): with PyTorch's N(0, 1) embeddings the tied head's
    softmax is so peaked that its gradients are mostly denormal, which slows CPU matmuls ~6x.

    Example: `torch_gpt(CONFIGS["tiny"])(token_ids, targets).backward()`.
    """
    import torch
    from torch.nn import functional

    width, heads, hidden = shape["hidden_dim"], shape["num_heads"], shape["intermediate_dim"]

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attention_norm, self.mlp_norm = torch.nn.LayerNorm(width), torch.nn.LayerNorm(width)
            self.qkv, self.output = torch.nn.Linear(width, 3 * width), torch.nn.Linear(width, width)
            self.mlp = torch.nn.Sequential(
                torch.nn.Linear(width, hidden), torch.nn.GELU(approximate="tanh"), torch.nn.Linear(hidden, width)
            )

        def forward(self, x):
            batch, length, _ = x.shape
            qkv = self.qkv(self.attention_norm(x)).view(batch, length, 3, heads, width // heads)
            query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
            attended = functional.scaled_dot_product_attention(query, key, value, is_causal=True)
            x = x + self.output(attended.transpose(1, 2).reshape(batch, length, width))
            return x + self.mlp(self.mlp_norm(x))

    class GPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding = torch.nn.Embedding(VOCABULARY_SIZE, width)
            self.position_embedding = torch.nn.Embedding(shape["sequence_length"], width)
            self.blocks = torch.nn.ModuleList(Block() for _ in range(shape["num_layers"]))
            self.final_norm = torch.nn.LayerNorm(width)
            for module in self.modules():
                if isinstance(module, (torch.nn.Linear, torch.nn.Embedding)):
                    torch.nn.init.normal_(module.weight, std=0.02)
                if isinstance(module, torch.nn.Linear):
                    torch.nn.init.zeros_(module.bias)

        def forward(self, token_ids, targets):
            x = self.token_embedding(token_ids) + self.position_embedding.weight[: token_ids.shape[1]]
            for block in self.blocks:
                x = block(x)
            logits = self.final_norm(x) @ self.token_embedding.weight.T
            return functional.cross_entropy(logits.float().flatten(0, 1), targets.flatten())

    return GPT()


def torch_trainer(compiled, shape, steps, precision, learning_rate=1e-3, weight_decay=0.01):
    """`(run_block, trainable parameters)`: `run_block()` trains `torch_gpt(shape)` `steps` steps with AdamW.

    The defaults are the clm recipe's for GPT. Neither Keras nor TensorFlow is imported, so
    the process's peak RSS is PyTorch's alone.
    """
    import torch

    torch.manual_seed(0)
    model = torch_gpt(shape)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    loss_of = torch.compile(model) if compiled else model
    x, y, _ = gpt_examples(np.random.default_rng(0), shape, DISTINCT_BATCHES * shape["batch_size"])
    batches = [
        (torch.from_numpy(ids).long(), torch.from_numpy(targets).long())
        for ids, targets in zip(np.split(x["token_ids"], DISTINCT_BATCHES), np.split(y, DISTINCT_BATCHES))
    ]

    def run_block():
        for step in range(steps):
            token_ids, targets = batches[step % DISTINCT_BATCHES]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "mixed_bfloat16"):
                loss = loss_of(token_ids, targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return run_block, sum(p.numel() for p in model.parameters() if p.requires_grad)


def keras_trainer(impl, model, shape, steps, precision, total_steps, **settings):
    """`(run_block, trainable parameters)`: `run_block()` is one `fit` epoch of `steps` steps on random batches.

    It returns the seconds between the ends of its first and last steps, scaled to `steps` steps:
    the steps alone. On this kind of machine a whole `fit` call often lasts a multiple of 5.12 s
    whatever its steps take (set-up and tear-down stall), which swamped short blocks. `settings`
    (config fields such as `remat=True`) apply to the zoo's model.
    """
    import keras

    if impl == "zoo":
        task = zoo_task(model, shape, precision, total_steps, **settings)
    else:
        task = keras_hub_task(model, shape, precision)
    dataset = random_dataset(model, shape)
    ends = []
    clock = keras.callbacks.LambdaCallback(
        # Reading the loss waits for the step to finish (JAX and torch dispatch asynchronously).
        on_train_batch_end=lambda batch, logs: (float(logs["loss"]), ends.append(time.perf_counter()))
    )

    def run_block():
        ends.clear()
        task.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False, callbacks=[clock])
        return (ends[-1] - ends[0]) * steps / (steps - 1)

    return run_block, int(sum(np.prod(variable.shape) for variable in task.trainable_weights))


def measure(
    impl,
    model,
    config="tiny",
    *,
    shape=None,
    blocks=5,
    steps=20,
    precision="float32",
    jit_compile="auto",
    remat=False,
    peak_gflops,
):
    """Trains one model on this process's Keras backend; returns the measurement's result dict.

    `shape` (the keys of a `CONFIGS` entry) replaces the named `config`'s shape, e.g. for tests.
    `jit_compile` and `remat` are the zoo run's settings of those names (`zoo` impl only).
    `peak_gflops` is the matmul peak the FLOP rate is divided by.

    Example: `measure("zoo", "gpt", "tiny", blocks=1, steps=2, peak_gflops=100.0)["tokens_per_s"]`.
    """
    require_choice("impl", impl, IMPLS)
    require_choice("model", model, MODELS)
    require_choice("precision", precision, PRECISIONS)
    if impl not in KERAS_IMPLS and not BENCHMARKED[model].torch_reference:
        raise ValueError(f"`impl={impl!r}` trains GPT only. Received: model={model!r}")
    shape = CONFIGS[require_choice("config", config, tuple(CONFIGS))] if shape is None else shape
    require_positive_int("blocks", blocks)
    require_positive_int("steps", steps)
    if steps < 2:
        raise ValueError(
            f"`steps` must be at least 2: a block is timed between its first and last step. Received: steps={steps}"
        )
    require_positive_number("peak_gflops", peak_gflops)
    settings = {"jit_compile": require_choice("jit_compile", jit_compile, JIT_COMPILES), "remat": bool(remat)}
    if impl != "zoo" and settings != {"jit_compile": "auto", "remat": False}:
        raise ValueError(f"`jit_compile` and `remat` are settings of the zoo's runs; impl={impl!r} has none.")
    if impl in KERAS_IMPLS:
        import keras

        backend = keras.backend.backend()
        run_block, parameters = keras_trainer(impl, model, shape, steps, precision, (blocks + 1) * steps, **settings)
    else:
        backend = None
        run_block, parameters = torch_trainer(impl == "torch-compile", shape, steps, precision)
    warmup_s, times = time_blocks(run_block, blocks, self_timed=impl in KERAS_IMPLS)
    tokens = steps * shape["batch_size"] * shape["sequence_length"]
    tokens_per_s = tokens / statistics.median(times)
    flops = flops_per_token(
        parameters, shape["num_layers"], shape["hidden_dim"], shape["sequence_length"], *output_head(model, shape)
    )
    return {
        "impl": impl,
        "backend": backend,
        "model": model,
        "config": config,
        "precision": precision,
        **settings,
        "batch_size": shape["batch_size"],
        "sequence_length": shape["sequence_length"],
        "blocks": blocks,
        "steps": steps,
        "tokens_per_s": tokens_per_s,
        "best_tokens_per_s": tokens / min(times),
        "warmup_s": warmup_s,
        "block_times_s": times,
        "parameters": parameters,
        "flops_per_token": flops,
        "peak_gflops": peak_gflops,
        "peak_fraction": tokens_per_s * flops / (peak_gflops * 1e9),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "malloc_huge_pages": malloc_uses_huge_pages(),
        "malloc_keeps_freed_memory": malloc_keeps_freed_memory(),
    }


def measurements(args):
    """`(impl, backend, model, config)` of every measurement asked for; the torch ones once per model and config."""
    for config in args.configs:
        for model in args.models:
            for backend in args.backends:
                yield from ((impl, backend, model, config) for impl in args.impls if impl in KERAS_IMPLS)
            if BENCHMARKED[model].torch_reference:
                yield from ((impl, "torch", model, config) for impl in args.impls if impl not in KERAS_IMPLS)


def run_worker(impl, backend, model, config, args, peak_gflops):
    """One measurement in a subprocess with KERAS_BACKEND=backend; returns its result dict."""
    env = with_malloc_tuning(
        dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3"), args.malloc_tuning == "on"
    )
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        "--impls",
        impl,
        "--models",
        model,
        "--configs",
        config,
        "--blocks",
        str(args.blocks),
        "--steps",
        str(args.steps),
        "--precision",
        args.precision,
        "--peak-gflops",
        str(peak_gflops),
    ]
    if impl == "zoo":
        command += ["--jit-compile", args.jit_compile] + (["--remat"] if args.remat else [])
        if args.remat and backend == "jax":
            env["XLA_FLAGS"] = with_memory_scheduler(env.get("XLA_FLAGS", ""))
    completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    if completed.returncode != 0:
        raise RuntimeError(f"{impl} {model} {config} on {backend} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def chosen_peak(peak, precision):
    """`(name, GFLOP/s)` of the peak a precision is measured against: bf16 for mixed_bfloat16 when measured."""
    if precision == "mixed_bfloat16" and peak["bf16_torch_gflops"] is not None:
        return "bf16 torch", peak["bf16_torch_gflops"]
    return "fp32 numpy", peak["fp32_numpy_gflops"]


def higher_peak(start, end):
    """Each rate's higher value in two `measure_peak` results: a transient slowdown of the VM lowers only one.

    Example: `higher_peak({"fp32_numpy_gflops": 265.6, ...}, {"fp32_numpy_gflops": 377.2, ...})` has 377.2.
    """
    return {key: None if start[key] is None else max(start[key], end[key]) for key in start}


def against_peak(result, peak_gflops):
    """`result` with its peak fraction taken against `peak_gflops` instead of the peak it was measured with."""
    fraction = result["peak_fraction"] * result["peak_gflops"] / peak_gflops
    return dict(result, peak_gflops=peak_gflops, peak_fraction=fraction)


def _cell(result):
    if result is None:
        return "n/a"
    return f"{result['tokens_per_s']:,.0f} ({100 * result['peak_fraction']:.1f}%)"


def print_table(results, impls):
    """A Markdown table: a row per config, model and backend; "tokens/s (% of peak)" per impl; zoo / keras-hub.

    The plain PyTorch columns do not depend on the backend: each row of a config and model repeats them.
    """
    found = {(r["config"], r["model"], r["backend"], r["impl"]): r for r in results}
    ratio = "zoo" in impls and "keras-hub" in impls
    header = ["config", "model", "backend", *impls] + (["zoo / keras-hub"] if ratio else [])
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for config, model in dict.fromkeys((r["config"], r["model"]) for r in results):
        backends = dict.fromkeys(
            r["backend"] for r in results if (r["config"], r["model"]) == (config, model) and r["impl"] in KERAS_IMPLS
        )
        for backend in backends or [None]:
            row = {impl: found.get((config, model, backend if impl in KERAS_IMPLS else None, impl)) for impl in impls}
            cells = [config, model, backend or "-", *(_cell(row[impl]) for impl in impls)]
            if ratio:
                ours, hub = row["zoo"], row["keras-hub"]
                cells.append(
                    "n/a" if ours is None or hub is None else f"{ours['tokens_per_s'] / hub['tokens_per_s']:.2f}x"
                )
            print("| " + " | ".join(cells) + " |")


def parse_args(argv=None):
    """The command line; a comma-separated list naming an unknown backend, impl, model or config is an error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS), help="Keras backends of the zoo and keras-hub runs")
    parser.add_argument("--configs", default=",".join(DEFAULT_CONFIGS), help="shapes: " + ", ".join(CONFIGS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--blocks", type=int, default=5, help="timed blocks (the median is reported)")
    parser.add_argument("--steps", type=int, default=20, help="training steps per block")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS)
    parser.add_argument("--jit-compile", default="auto", choices=JIT_COMPILES, help="the zoo runs' --jit-compile")
    parser.add_argument("--remat", action="store_true", help="the zoo runs recompute each block's activations")
    parser.add_argument(
        "--malloc-tuning",
        default="on",
        choices=("on", "off"),
        help="every measurement's process starts with glibc's malloc tuned for large buffers "
        "(huge pages, freed memory kept; as `zoo` runs), or with glibc's defaults",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per measurement")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--peak-gflops", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        for name, choices in (
            ("backends", BACKENDS),
            ("configs", tuple(CONFIGS)),
            ("models", MODELS),
            ("impls", IMPLS),
        ):
            values = getattr(args, name).split(",")
            setattr(args, name, [require_choice(f"--{name}", value, choices) for value in values])
        require_positive_int("--blocks", args.blocks)
        require_positive_int("--steps", args.steps)
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print(
            json.dumps(
                measure(
                    args.impls[0],
                    args.models[0],
                    args.configs[0],
                    blocks=args.blocks,
                    steps=args.steps,
                    precision=args.precision,
                    jit_compile=args.jit_compile,
                    remat=args.remat,
                    peak_gflops=args.peak_gflops,
                )
            )
        )
        return
    peak = measure_peak()
    peak_name, peak_gflops = chosen_peak(peak, args.precision)
    if not args.json:
        print("\n".join(describe(cpu_description(), bf16_isa(), peak)))
        print(
            f"precision {args.precision}, against the {peak_name} peak; vocabulary {VOCABULARY_SIZE}; "
            f"median of {args.blocks} blocks of {args.steps} steps after a warm-up block; transparent huge "
            f"pages {transparent_huge_pages_mode()}, malloc tuning {args.malloc_tuning}\n",
            flush=True,
        )
    results = []
    for impl, backend, model, config in measurements(args):
        results.append(run_worker(impl, backend, model, config, args, peak_gflops))
        if args.json:
            print(json.dumps(results[-1]), flush=True)
        else:
            print(f"{config} {model} {impl} on {backend}: {_cell(results[-1])}", file=sys.stderr, flush=True)
    if not args.json:
        end_peak = measure_peak()
        _, table_peak = chosen_peak(higher_peak(peak, end_peak), args.precision)
        print(
            f"matmul peak at the end: fp32 numpy {end_peak['fp32_numpy_gflops']:.1f} GFLOP/s; the table's "
            f"percentages are of the higher {peak_name} peak, {table_peak:.1f} GFLOP/s\n"
        )
        print_table([against_peak(result, table_peak) for result in results], args.impls)


if __name__ == "__main__":
    main()
