"""Which exported program serves which inputs (`zoo.generation.torch_programs`), without compiling any.

The programs run as `torch.export` leaves them (`ExportedProgram.module()`), so these tests check
the export and the choice of program, fast; AOTInductor itself runs in test_generate.py.
"""

import keras
import numpy as np
import pytest

from zoo.testing import to_numpy

pytestmark = pytest.mark.skipif(keras.backend.backend() != "torch", reason="the exported programs are PyTorch's")


@pytest.fixture
def exported_programs(monkeypatch):
    """`(make, exported)`: `make(model)` builds an `_ExportedPrograms`; `exported` lists what it exported."""
    from zoo.generation import torch_programs

    exported = []

    def uncompiled(program):
        exported.append(program)
        module = program.module()
        return lambda values, args: module(values, args)

    monkeypatch.setattr(torch_programs, "_compiled_package", uncompiled)
    return lambda model: torch_programs._ExportedPrograms(model, "test function"), exported


@pytest.fixture
def dense():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    return layer


def generic(layer):
    """Sums `layer` over the length axis with one op: any length."""
    return lambda x: keras.ops.sum(layer(x), axis=1)


def step_by_step(layer):
    """Sums `layer` over the length axis in a Python loop (as an LSTM steps): the length is fixed in the trace."""

    def function(x):
        total = layer(x[:, 0])
        for t in range(1, x.shape[1]):
            total = total + layer(x[:, t])
        return total

    return function


def call(programs, function, length):
    import torch

    x = torch.as_tensor(np.random.default_rng(length).normal(size=(2, length, 4)), dtype=torch.float32)
    run = programs.program(function, (x,), length_axis=1)
    np.testing.assert_allclose(to_numpy(run((x,))), to_numpy(function(x)), rtol=1e-5, atol=1e-6)


def test_one_program_serves_every_length_from_2_where_the_length_stays_dynamic(exported_programs, dense):
    make, exported = exported_programs
    programs, function = make(dense), generic(dense)
    for length in (3, 5, 2, 7):
        call(programs, function, length)
    assert len(exported) == 1
    call(programs, function, 1)  # torch.export fixes sizes 0 and 1: a length of 1 has its own program
    assert len(exported) == 2


def test_a_length_the_code_fixes_gets_a_program_per_length(exported_programs, dense):
    make, exported = exported_programs
    programs, function = make(dense), step_by_step(dense)
    for length in (3, 4, 3):  # a length-3 program serving length 4 would drop a step
        call(programs, function, length)
    assert len(exported) == 2
