"""`--strategy data_parallel|multi_worker` on the torch backend: `torch.distributed` DDP under `torchrun`.

Keras 3.15's torch backend has no distribution support in `model.fit`, so this is the bridge:

- `torchrun` starts one process per device (or per CPU share); each calls
  `torch.distributed.init_process_group` ("nccl" on GPUs, "gloo" on CPUs) from the environment
  torchrun sets (RANK, WORLD_SIZE, MASTER_ADDR, ...).
- The built model, a `torch.nn.Module` under this backend, is wrapped in
  `torch.nn.parallel.DistributedDataParallel`. DDP broadcasts rank 0's weights (so a resumed or
  freshly built replica starts identical) and averages the gradients across ranks while
  `backward` runs, in buckets.
- DDP only reduces gradients after a forward pass through the wrapper, and Keras' torch
  `train_step` calls the bare model; so the model's `train_step` is replaced by `ddp_train_step`,
  which is Keras' own (keras/src/backend/torch/trainer.py, 3.15.1) with the forward pass
  through DDP. Everything else in `fit` (callbacks, checkpoints, validation) is unchanged.
- `--batch-size` stays the global batch: every rank reads the same batches and keeps its slice
  (`SlicedBatches`).

Launch: `torchrun --nproc-per-node 2 -m zoo.cli train classification --strategy data_parallel`.
"""

import contextlib
import functools
import os
import warnings

import keras
import torch
import torch.distributed as dist

from zoo.training.config import ConfigError
from zoo.training.placement import SlicedBatches


@contextlib.contextmanager
def ddp_processes(strategy):
    """Joins torchrun's process group for the block; yields this rank's `DDPPlacement`."""
    if "WORLD_SIZE" not in os.environ:
        raise ConfigError(
            f"--strategy {strategy} on the torch backend runs one process per device under torchrun (DDP): "
            "torchrun --nproc-per-node N -m zoo.cli train ...; see README, 'Scaling out'."
        )
    on_gpu = torch.cuda.is_available()
    if on_gpu:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if on_gpu else "gloo")
    try:
        yield DDPPlacement(dist.get_rank(), dist.get_world_size())
    finally:
        dist.destroy_process_group()


class DDPPlacement(SlicedBatches):
    def prepare(self, model, train_data):
        device_ids = [torch.cuda.current_device()] if torch.cuda.is_available() else None
        wrapped = torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
        model.train_step = functools.partial(ddp_train_step, model, wrapped)
        return super().prepare(model, train_data)


def ddp_train_step(model, wrapped, data):
    """Keras 3.15.1's torch `train_step`, with the forward pass through the DDP `wrapped` model."""
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
