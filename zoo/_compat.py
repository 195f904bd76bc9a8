"""Every use of private Keras (`keras.src`, underscored attributes) in the zoo, in one place.

Checked against Keras `KERAS_CHECKED` (tests/test_compat.py fails on another minor version, so an
upgrade re-reads this file). Each entry says what it stands in for and why the public API does
not do it.

Example:

    from zoo._compat import get_keras_mask
    mask = get_keras_mask(outputs)
"""

import warnings

import keras

# The Keras mask a layer attached to a tensor, read and set. Not exported by Keras (keras-hub
# imports them the same way); the attention layers read the padding mask a `mask_zero`
# embedding propagates.
from keras.src.backend import get_keras_mask, set_keras_mask

KERAS_CHECKED = "3.15"
__all__ = [
    "KERAS_CHECKED",
    "average_scalars_across_workers",
    "build_from_local_batch",
    "get_keras_mask",
    "set_keras_mask",
    "torch_train_step_through",
]


def build_from_local_batch(model, batch):
    """Builds `model`'s compiled loss and metrics from one local batch, and stops `fit` from building them again.

    Under `tf.distribute.MultiWorkerMirroredStrategy` Keras first reduces a batch across workers
    with `strategy.reduce` on the whole (x, y) structure, which the collective strategy rejects
    ("unsupported type PerReplica"; keras-team/keras#20585, open).
    """
    model._symbolic_build(data_batch=batch)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None


def average_scalars_across_workers():
    """Patches Keras' TensorFlow `reduce_per_replica` to average scalar logs with `axis=None` (idempotent).

    Keras averages the logged metrics with `strategy.reduce(..., axis=0)`, which fails for
    scalars under the collective multi-worker strategy (keras-team/keras#20585).
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as keras_tf_trainer

    reduce_per_replica = keras_tf_trainer.reduce_per_replica
    if getattr(reduce_per_replica, "averages_scalars", False):
        return

    def patched(values, strategy, reduction):
        if reduction in ("auto", "mean") and keras_tf_trainer._collective_all_reduce_multi_worker(strategy):
            return tf.nest.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
        return reduce_per_replica(values, strategy, reduction)

    patched.averages_scalars = True
    keras_tf_trainer.reduce_per_replica = patched


def torch_train_step_through(model, wrapped, data):
    """Keras' torch `train_step` (keras/src/backend/torch/trainer.py), with the forward pass through `wrapped`.

    `torch.nn.parallel.DistributedDataParallel` reduces gradients only after a forward pass
    through its wrapper, and Keras' torch `train_step` calls the bare model.
    """
    import torch

    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    y_pred = wrapped(x, training=True) if model._call_has_training_arg else wrapped(x)
    model.zero_grad()
    loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
    batch_size = next(value for value in keras.tree.flatten(x) if value is not None).shape[0]
    model._loss_tracker.update_state(loss, sample_weight=batch_size)
    if model.optimizer is not None:
        loss = model.optimizer.scale_loss(loss)
    if model.trainable_weights:
        loss.backward()  # DDP's hooks average every gradient across the ranks here
        weights = model.trainable_weights[:]
        with torch.no_grad():
            model.optimizer.apply([weight.value.grad for weight in weights], weights)
    else:
        warnings.warn("The model does not have any trainable weights.", stacklevel=1)
    return model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
