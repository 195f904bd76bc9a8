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
  `train_step` calls the bare model; so the model's `train_step` is replaced by Keras' own with
  the forward pass through DDP (`zoo._compat.torch_train_step_through`). Everything else in
  `fit` (callbacks, checkpoints, validation) is unchanged.
- `--batch-size` stays the global batch: every rank reads the same batches and keeps its slice
  (`SlicedBatches`).

Launch: `torchrun --nproc-per-node 2 -m recipes.cli train classification --strategy data_parallel`.
"""

import contextlib
import functools
import os

import torch
import torch.distributed as dist

from zoo._compat import torch_train_step_through
from zoo.training.config import ConfigError
from zoo.training.placement import SlicedBatches


@contextlib.contextmanager
def ddp_processes(strategy):
    """Joins torchrun's process group for the block; yields this rank's `DDPPlacement`."""
    if "WORLD_SIZE" not in os.environ:
        raise ConfigError(
            f"--strategy {strategy} on the torch backend runs one process per device under torchrun (DDP): "
            "torchrun --nproc-per-node N -m recipes.cli train ...; see docs/scaling.md."
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
        model.train_step = functools.partial(torch_train_step_through, model, wrapped)
        return super().prepare(model, train_data)
