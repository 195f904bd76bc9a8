"""`--strategy`: one flag onto each backend's own distributed engine, nothing home-made.

- `auto`: what the launch asks for, else one device, or data-parallel over every local
  accelerator when there are several. A launch asks through its environment: torchrun's
  `WORLD_SIZE`, TensorFlow's `TF_CONFIG`, Keras' `KERAS_DISTRIBUTION_NUM_PROCESSES`.
- `data_parallel`: JAX `keras.distribution.DataParallel` over `jax.devices()`; TensorFlow
  `tf.distribute.MirroredStrategy` over the local GPUs (or the CPU's logical devices when there
  is no GPU); torch `DistributedDataParallel` under torchrun (`zoo.training.torch_ddp`). Every
  device holds a replica; each global batch is split across them and the gradients are
  averaged, so `--batch-size` is the global batch and the learning rate means what it means on
  one device.
- `model_parallel` (JAX): `keras.distribution.ModelParallel` on a ("batch", "model") mesh with a
  model axis of 2 devices. Which dimension of a weight the model axis shards is derived from the
  weight's shape, not from a list of layer names (`model_axis_spec`), so a renamed layer cannot
  silently stay replicated: every weight of two or more dimensions is sharded along its largest
  dimension that divides by the axis size; vectors (biases, norms) are replicated.
- `tpu`: TensorFlow `TPUStrategy` through `TPUClusterResolver`; JAX `DataParallel` over its TPU
  devices. Without a TPU it fails with one line.
- `multi_worker`: several processes, on one host or many. JAX: `keras.distribution.initialize`
  (the `KERAS_DISTRIBUTION_*` variables, or a cluster JAX detects), then `DataParallel` over every
  process's devices; TensorFlow: `MultiWorkerMirroredStrategy` from `TF_CONFIG`
  (`zoo.training.tf_multi_worker`); torch: DDP under torchrun, as for `data_parallel`.

The model is built, compiled and trained inside `distribution_scope(strategy)`, which yields
this process's `Placement` (its index among the processes).

Example:

    with distribution_scope("data_parallel") as placement:
        model = build()
        model.compile(...)
        model.fit(placement.prepare(model, dataset))
"""

import contextlib
import os
import sys

import keras

from zoo.training.config import ConfigError
from zoo.training.placement import Placement, SlicedBatches


def _jax_devices(kind=None):
    import jax

    return [device for device in jax.devices() if kind is None or device.platform == kind]


def _tensorflow_devices():
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    return [device.name for device in gpus or tf.config.list_logical_devices("CPU")]


def accelerator_count():
    """Local GPUs/TPUs the current backend sees (0 on a CPU-only machine)."""
    backend = keras.backend.backend()
    if backend == "jax":
        return len([device for device in _jax_devices() if device.platform != "cpu"])
    if backend == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_logical_devices("GPU"))
    import torch

    return torch.cuda.device_count()


def _launched_multi_process(backend):
    """Whether this process was started as one of several (torchrun, TF_CONFIG, KERAS_DISTRIBUTION_*)."""
    if backend == "torch":
        return int(os.environ.get("WORLD_SIZE", "1")) > 1
    if backend == "tensorflow":
        return "TF_CONFIG" in os.environ
    return "KERAS_DISTRIBUTION_NUM_PROCESSES" in os.environ or "KERAS_DISTRIBUTION_JOB_ADDRESSES" in os.environ


def _resolve_auto(backend):
    # The launch environment is read first: JAX's multi-process start must precede any device query.
    if _launched_multi_process(backend):
        return "data_parallel" if backend == "torch" else "multi_worker"
    return "data_parallel" if backend != "torch" and accelerator_count() > 1 else None


@contextlib.contextmanager
def distribution_scope(strategy):
    """Runs the block under `strategy` (see the module docstring) on this backend; yields a `Placement`."""
    backend = keras.backend.backend()
    if strategy == "auto":
        strategy = _resolve_auto(backend)
    if strategy is None:
        yield Placement()
    elif strategy == "model_parallel" and backend != "jax":
        raise ConfigError(
            "--strategy model_parallel runs on JAX (keras.distribution.ModelParallel): use --backend jax."
        )
    elif backend == "torch":
        if strategy == "tpu":
            raise ConfigError(
                "--strategy tpu runs on TensorFlow or JAX; the torch backend trains on GPUs or CPUs "
                "under torchrun (--strategy data_parallel)."
            )
        from zoo.training.torch_ddp import ddp_processes

        with ddp_processes(strategy) as placement:
            _announce(
                strategy, f"torch DistributedDataParallel, rank {placement.process_index} of {placement.process_count}"
            )
            yield placement
    elif backend == "jax":
        with _jax_distribution(strategy) as placement:
            yield placement
    else:
        engine, placement = _tensorflow_strategy(strategy)
        with engine.scope():
            yield placement


MODEL_AXIS_SIZE = 2


def model_axis_spec(shape, model_axis_size):
    """The sharding spec of a weight of `shape`: "model" on its largest dimension divisible by the axis size.

    Vectors and weights with no such dimension stay replicated (all None).

    Example: `model_axis_spec((8192, 256), 2)` is `("model", None)`; `model_axis_spec((256,), 2)` is `(None,)`.
    """
    spec = [None] * len(shape)
    candidates = [axis for axis, size in enumerate(shape) if size % model_axis_size == 0]
    if len(shape) >= 2 and candidates:
        spec[max(candidates, key=lambda axis: shape[axis])] = "model"
    return tuple(spec)


class ShapeShardedModelParallel(keras.distribution.ModelParallel):
    """`ModelParallel` whose variable layouts come from `model_axis_spec` of each variable's shape."""

    def get_variable_layout(self, variable):
        size = self.device_mesh.shape[self.device_mesh.axis_names.index("model")]
        return keras.distribution.TensorLayout(model_axis_spec(tuple(variable.shape), size), self.device_mesh)


def _jax_engine(strategy, devices):
    if strategy != "model_parallel":
        # Across processes, each feeds its own slice of every global batch (`SlicedBatches`): Keras' own
        # sharding needs a batch size it can read from the tf.data graph, which bucketing hides.
        return keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False), "DataParallel"
    if len(devices) % MODEL_AXIS_SIZE:
        raise ConfigError(
            f"--strategy model_parallel needs a device count divisible by {MODEL_AXIS_SIZE}; JAX sees {len(devices)}."
        )
    mesh = keras.distribution.DeviceMesh(
        (len(devices) // MODEL_AXIS_SIZE, MODEL_AXIS_SIZE), ("batch", "model"), devices
    )
    engine = ShapeShardedModelParallel(layout_map=keras.distribution.LayoutMap(mesh))
    return engine, f"ModelParallel (mesh {mesh.shape})"


def _jax_multi_process():
    try:
        keras.distribution.initialize()
    except (ValueError, RuntimeError) as error:
        raise ConfigError(
            "--strategy multi_worker on JAX: keras.distribution.initialize failed "
            f"({str(error).splitlines()[0]}); set KERAS_DISTRIBUTION_JOB_ADDRESSES, KERAS_DISTRIBUTION_NUM_PROCESSES "
            "and KERAS_DISTRIBUTION_PROCESS_ID on each process; see docs/scaling.md."
        ) from None
    import jax

    return SlicedBatches(jax.process_index(), jax.process_count())


@contextlib.contextmanager
def _jax_distribution(strategy):
    placement = _jax_multi_process() if strategy == "multi_worker" else Placement()
    devices = _jax_devices("tpu" if strategy == "tpu" else None)
    if not devices:
        raise ConfigError("--strategy tpu: JAX sees no TPU device on this machine.")
    previous = keras.distribution.distribution()
    engine, name = _jax_engine(strategy, devices)
    keras.distribution.set_distribution(engine)
    processes = f" in {placement.process_count} processes" if placement.process_count > 1 else ""
    _announce(strategy, f"keras.distribution.{name} over {len(devices)} {devices[0].platform} devices{processes}")
    try:
        yield placement
    finally:
        keras.distribution.set_distribution(previous)


def _tensorflow_strategy(strategy):
    import tensorflow as tf

    if strategy == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.OpError) as error:
            raise ConfigError(f"--strategy tpu: no TPU found ({str(error).splitlines()[0]}).") from None
        engine = tf.distribute.TPUStrategy(resolver)
    elif strategy == "multi_worker":
        from zoo.training.tf_multi_worker import multi_worker_strategy

        engine, placement = multi_worker_strategy()
        _announce(
            strategy,
            f"tf.distribute.MultiWorkerMirroredStrategy over {engine.num_replicas_in_sync} replicas, "
            f"worker {placement.process_index} of {placement.process_count}",
        )
        return engine, placement
    else:
        engine = tf.distribute.MirroredStrategy(devices=_tensorflow_devices())
    _announce(strategy, f"tf.distribute.{type(engine).__name__} over {engine.num_replicas_in_sync} replicas")
    return engine, Placement()


def _announce(strategy, engine):
    print(f"--strategy {strategy}: {engine}", file=sys.stderr)
