"""`--strategy multi_worker` on TensorFlow: `tf.distribute.MultiWorkerMirroredStrategy` from `TF_CONFIG`.

Every worker runs the same command with its own `TF_CONFIG` (the cluster's addresses and this
task's type and index); the strategy all-reduces the gradients across workers with collective
ops, and `fit` feeds each worker its share of every global batch (tf.data auto-sharding).

Keras 3.15.1's TensorFlow trainer fails under this strategy in two places (keras-team/keras#20585,
still open), so `MultiWorkerPlacement` works around both with `zoo._compat`:
- Before the first `fit`, Keras builds the compiled loss from a batch it first reduces across
  workers with `strategy.reduce` on the whole (x, y) structure, which the collective strategy
  rejects ("unsupported type PerReplica"). We build it from one local batch instead.
- `reduce_per_replica` averages the logged metrics with `strategy.reduce(..., axis=0)`, which
  fails for scalars; we average scalars with `axis=None`.

Launch: one process per worker, e.g.
`TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}'
zoo train ... --strategy multi_worker`.
"""

import json
import os

import tensorflow as tf

from zoo._compat import average_scalars_across_workers, build_from_local_batch
from zoo.training.config import ConfigError
from zoo.training.placement import Placement


def multi_worker_strategy():
    """`(strategy, placement)` for this worker of the `TF_CONFIG` cluster."""
    if "TF_CONFIG" not in os.environ:
        raise ConfigError(
            "--strategy multi_worker on TensorFlow reads the cluster from TF_CONFIG, which is not set; "
            "see docs/scaling.md."
        )
    try:
        cluster = json.loads(os.environ["TF_CONFIG"])["cluster"]
    except (ValueError, KeyError, TypeError):
        raise ConfigError("TF_CONFIG is not JSON with a 'cluster' entry; see docs/scaling.md.") from None
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    average_scalars_across_workers()
    resolver = strategy.cluster_resolver
    chiefs = len(cluster.get("chief", []))
    index = resolver.task_id if resolver.task_type == "chief" else chiefs + resolver.task_id
    return strategy, MultiWorkerPlacement(index, chiefs + len(cluster.get("worker", [])))


class MultiWorkerPlacement(Placement):
    def prepare(self, model, train_data):
        build_from_local_batch(model, next(iter(train_data)))
        return train_data
