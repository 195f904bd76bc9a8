"""`--strategy`: one flag onto each backend's own distributed engine, nothing home-made.

- `auto`: one device, or data-parallel over every local accelerator when there are several.
- `data_parallel`: JAX `keras.distribution.DataParallel` over `jax.devices()`; TensorFlow
  `tf.distribute.MirroredStrategy` over the local GPUs (or the CPU's logical devices when there
  is no GPU). Every device holds a replica; each global batch is split across them and the
  gradients are averaged, so `--batch-size` is the global batch and the learning rate means
  what it means on one device.
- `model_parallel` (JAX): `keras.distribution.ModelParallel` on a ("batch", "model") mesh with a
  model axis of 2 devices. Which dimension of a weight the model axis shards is derived from the
  weight's shape, not from a list of layer names (`model_axis_spec`), so a renamed layer cannot
  silently stay replicated: every weight of two or more dimensions is sharded along its largest
  dimension that divides by the axis size; vectors (biases, norms) are replicated.
- `tpu`: TensorFlow `TPUStrategy` through `TPUClusterResolver`; JAX `DataParallel` over its TPU
  devices. Without a TPU it fails with one line.

The model is built, compiled and trained inside `distribution_scope(strategy)`.

Example:

    with distribution_scope("data_parallel"):
        model = build()
        model.compile(...)
        model.fit(dataset)
"""

import contextlib
import sys

import keras

from zoo.training.config import ConfigError


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


@contextlib.contextmanager
def distribution_scope(strategy):
    """Runs the block under `strategy` ("auto", "data_parallel", "model_parallel", "tpu") on this backend."""
    backend = keras.backend.backend()
    if strategy == "auto":
        strategy = "data_parallel" if accelerator_count() > 1 else None
    if strategy is None:
        yield
    elif strategy == "model_parallel" and backend != "jax":
        raise ConfigError("--strategy model_parallel runs on JAX (keras.distribution.ModelParallel): "
                          "use --backend jax.")
    elif backend == "torch":
        raise ConfigError(
            f"--strategy {strategy} on the torch backend runs under torchrun (DDP), which is not available yet: "
            "use --backend jax or tensorflow for data-parallel training."
        )
    elif backend == "jax":
        with _jax_distribution(strategy):
            yield
    else:
        with _tensorflow_strategy(strategy).scope():
            yield


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
        return keras.distribution.DataParallel(devices=devices), "DataParallel"
    if len(devices) % MODEL_AXIS_SIZE:
        raise ConfigError(f"--strategy model_parallel needs a device count divisible by {MODEL_AXIS_SIZE}; "
                          f"JAX sees {len(devices)}.")
    mesh = keras.distribution.DeviceMesh((len(devices) // MODEL_AXIS_SIZE, MODEL_AXIS_SIZE), ("batch", "model"),
                                         devices)
    engine = ShapeShardedModelParallel(layout_map=keras.distribution.LayoutMap(mesh))
    return engine, f"ModelParallel (mesh {mesh.shape})"


@contextlib.contextmanager
def _jax_distribution(strategy):
    devices = _jax_devices("tpu" if strategy == "tpu" else None)
    if not devices:
        raise ConfigError("--strategy tpu: JAX sees no TPU device on this machine.")
    previous = keras.distribution.distribution()
    engine, name = _jax_engine(strategy, devices)
    keras.distribution.set_distribution(engine)
    _announce(strategy, f"keras.distribution.{name} over {len(devices)} {devices[0].platform} devices")
    try:
        yield
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
    else:
        engine = tf.distribute.MirroredStrategy(devices=_tensorflow_devices())
    _announce(strategy, f"tf.distribute.{type(engine).__name__} over {engine.num_replicas_in_sync} replicas")
    return engine


def _announce(strategy, engine):
    print(f"--strategy {strategy}: {engine}", file=sys.stderr)
