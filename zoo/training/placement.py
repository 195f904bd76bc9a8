"""`Placement`: where this process stands in a (possibly multi-process) run, and what training asks of it.

One process trains alone with the base class. Engines that need per-process work before `fit`
subclass it and override `prepare`: `SlicedBatches` (JAX across processes, torch DDP) feeds each
process its slice of every global batch; TensorFlow's MultiWorkerMirroredStrategy needs a build
step (`zoo.training.tf_multi_worker`).

Example:

    placement = SlicedBatches(process_index=1, process_count=2)
    placement.is_chief          # False: process 0 writes the run, the others keep a scratch copy
    train_data = placement.prepare(model, train_data)   # rows 4..7 of every batch of 8
"""

import dataclasses

import keras
import tensorflow as tf

from zoo.data.pipelines.batching import without_autograph


@dataclasses.dataclass(frozen=True)
class Placement:
    """This process's index among `process_count` training processes (one process: 0 of 1)."""

    process_index: int = 0
    process_count: int = 1

    @property
    def is_chief(self):
        """Process 0 writes the run directory; the others write theirs under `.worker-<index>/`."""
        return self.process_index == 0

    def prepare(self, model, train_data):
        """Readies a built, compiled `model` for `fit`; returns the training batches this process feeds."""
        return train_data


class SlicedBatches(Placement):
    """Every process reads the same global batches and keeps its equal share of each.

    So `--batch-size` stays the global batch whatever the batching (bucketed, dynamically
    padded): process `i` of `n` keeps rows `[i*b/n, (i+1)*b/n)` of every batch of `b` rows.
    """

    def prepare(self, model, train_data):
        index, count = self.process_index, self.process_count

        def keep_slice(*batch):
            size = tf.shape(keras.tree.flatten(batch)[0])[0] // count
            sliced = keras.tree.map_structure(lambda value: value[index * size : (index + 1) * size], batch)
            return sliced if len(sliced) > 1 else sliced[0]

        return train_data.map(without_autograph(keep_slice), num_parallel_calls=tf.data.AUTOTUNE)
