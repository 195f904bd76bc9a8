"""Real multi-process data-parallel training on localhost: two processes, each backend's own launcher.

- JAX: two processes joined by `keras.distribution.initialize` (the KERAS_DISTRIBUTION_* variables).
- TensorFlow: the two workers of a `TF_CONFIG` cluster (`MultiWorkerMirroredStrategy`).
- torch: `torchrun --nproc-per-node 2` (DDP over gloo).

Both processes must end with bit-identical weights and optimizer state, and match a run of one
process with the same global batch and seed up to float reordering.
"""

import json
import os
import socket
import subprocess
import sys

import h5py
import keras
import numpy as np

from recipes.cli import main
from tests.training.history import logged

TINY = [
    "classification",
    "--model",
    "bert",
    "--size",
    "tiny",
    "--train-examples",
    "64",
    "--valid-examples",
    "16",
    "--max-steps",
    "4",
    "--eval-every",
    "2",
    "--batch-size",
    "8",
    "--seq-len",
    "32",
    "--vocabulary-size",
    "300",
    "--padding",
    "max_length",
    "--dropout",
    "0",
]
ENGINES = {
    "jax": "keras.distribution.DataParallel over 2 cpu devices in 2 processes",
    "tensorflow": "tf.distribute.MultiWorkerMirroredStrategy over 2 replicas",
    "torch": "torch DistributedDataParallel, rank",
}
# Against one process, the global batch's gradient is summed in another order.
WEIGHTS_ATOL, VALIDATION_RTOL = 1e-6, 1e-5


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("localhost", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


def _launch(backend, out):
    """Starts the two processes of a `--strategy multi_worker` run into `out`; returns their Popen objects."""
    command = [sys.executable, "-m", "recipes.cli", "train", *TINY, "--strategy", "multi_worker", "--out", str(out)]
    environment = {**os.environ, "KERAS_BACKEND": backend}
    if backend == "torch":
        (port,) = _free_ports(1)
        launcher = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            "2",
            "--master-port",
            str(port),
            "-m",
            *command[2:],
        ]
        return [subprocess.Popen(launcher, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    ports = _free_ports(2)
    processes = []
    for index in range(2):
        if backend == "jax":
            variables = {
                "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"localhost:{ports[0]}",
                "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
                "KERAS_DISTRIBUTION_PROCESS_ID": str(index),
            }
        else:
            cluster = {"worker": [f"localhost:{port}" for port in ports]}
            variables = {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        processes.append(
            subprocess.Popen(
                command, env={**environment, **variables}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    return processes


def _weights(path):
    values = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: values.update({name: item[()]}) if isinstance(item, h5py.Dataset) else None)
    return values


def test_two_processes_end_identical_and_match_one_process(tmp_path):
    backend = keras.backend.backend()
    processes = _launch(backend, tmp_path / "two")
    assert main(["train", *TINY, "--strategy", "auto", "--out", str(tmp_path / "one")]) == 0
    errors = ""
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
        errors += stderr
    assert f"--strategy multi_worker: {ENGINES[backend]}" in errors

    chief = _weights(tmp_path / "two" / "checkpoint" / "model.weights.h5")
    worker = _weights(tmp_path / "two" / ".worker-1" / "checkpoint" / "model.weights.h5")
    single = _weights(tmp_path / "one" / "checkpoint" / "model.weights.h5")
    assert chief.keys() == worker.keys() == single.keys()
    for name in chief:
        np.testing.assert_array_equal(chief[name], worker[name], err_msg=name)
    for name in chief:
        np.testing.assert_allclose(chief[name], single[name], atol=WEIGHTS_ATOL, err_msg=name)
    # The logged training loss is process 0's share of each batch under torch DDP; validation is global.
    assert len(logged(tmp_path / "two", "val_loss")) == 2
    np.testing.assert_allclose(
        logged(tmp_path / "two", "val_loss"), logged(tmp_path / "one", "val_loss"), rtol=VALIDATION_RTOL
    )
    assert (tmp_path / "two" / "metrics.json").exists()
    assert not (tmp_path / "two" / ".worker-1" / "metrics.json").exists()
