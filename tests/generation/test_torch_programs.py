"""Which exported program serves which inputs (`zoo.generation.torch_programs`), without compiling any.

The programs run as `torch.export` leaves them (`ExportedProgram.module()`), so these tests check
the export and the choice of program, fast; AOTInductor itself runs in test_generate.py.
"""

import warnings

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


def copy_attention_transformer():
    from zoo.models.seq2seq import PRESETS, Seq2SeqBackbone, Seq2SeqLM

    config = {**PRESETS["tiny"], "dropout": 0.0, "max_sequence_length": 16}
    return Seq2SeqLM(Seq2SeqBackbone(vocabulary_size=60, **config), copy_attention=True)


def lstm_seq2seq():
    from zoo.models.lstm import LSTMSeq2Seq, seq2seq_config

    return LSTMSeq2Seq.from_backbone_arguments(**seq2seq_config("tiny", 60, attention="luong"))


# Exported decoding equals eager decoding for each kind of model, with the options a run's decoding
# takes (an end token, no repeated n-grams): every loop and prefill exports (a failure would warn).
@pytest.mark.filterwarnings("error:(torch.export could not capture|AOTInductor could not compile)")
@pytest.mark.parametrize(
    "build, strategy",
    [(copy_attention_transformer, "beam"), (copy_attention_transformer, "greedy"), (lstm_seq2seq, "greedy")],
    ids=["copy-attention-beam", "copy-attention-greedy", "lstm-greedy"],
)
def test_exported_decoding_equals_eager_decoding(exported_programs, build, strategy):
    from zoo.generation import generate

    _, exported = exported_programs
    keras.utils.set_random_seed(0)
    model = build()
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])
    source = rng.integers(5, 60, (2, 9)).astype("int32")
    source[1, 6:] = 0
    conditioning = {"encoder_token_ids": source, "encoder_padding_mask": (source != 0).astype("int32")}
    options = {"strategy": strategy, "end_token_id": 3, "no_repeat_ngram_size": 2, "conditioning": conditioning}
    start = np.full((2, 1), 2, "int32")
    compiled = generate(model, start, 12, jit_compile=True, **options)["token_ids"]
    eager = generate(model, start, 12, jit_compile=False, **options)["token_ids"]
    np.testing.assert_array_equal(compiled, eager)
    assert len(exported) == 2  # the one-token prefill and the loop iteration
    assert len(set(eager[:, 1:].ravel().tolist())) > 2  # varied tokens: the comparison is not vacuous


def test_a_function_that_cannot_be_exported_warns_once_and_runs_eagerly_at_every_length(exported_programs, dense):
    import torch

    def data_dependent(x):
        return x * 2 if bool(x.sum() > 0) else x  # a branch on values: torch.export cannot capture it

    make, exported = exported_programs
    programs = make(dense)
    with pytest.warns(UserWarning, match="torch.export could not capture Dense's test function"):
        assert programs.program(data_dependent, (torch.ones((2, 3, 4)),), length_axis=1) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning, no second export
        assert programs.program(data_dependent, (torch.ones((2, 5, 4)),), length_axis=1) is None
    assert not exported


def test_the_package_cache_sheds_the_packages_unused_the_longest_down_to_its_limit(tmp_path, monkeypatch):
    import os
    import time

    from zoo.generation.torch_programs import RECENTLY_USED_S, prune_packages

    now = time.time()
    ages = {"oldest": 3, "old": 2, "newer": 1, "kept": 5}  # hours since last use; "kept" was just written
    for name, hours in ages.items():
        (tmp_path / f"{name}.pt2").write_bytes(b"x" * 2**20)
        os.utime(tmp_path / f"{name}.pt2", (now - 3600 * hours, now - 3600 * hours))
    (tmp_path / "recent.pt2").write_bytes(b"x" * 2**20)
    os.utime(tmp_path / "recent.pt2", (now - RECENTLY_USED_S / 2, now - RECENTLY_USED_S / 2))
    (tmp_path / "notes.txt").write_bytes(b"x" * 2**20)  # not a package: never counted or removed

    prune_packages(tmp_path, keep=tmp_path / "kept.pt2", limit_mb=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.pt2", "newer.pt2", "notes.txt", "recent.pt2"]

    monkeypatch.setenv("ZOO_AOTI_CACHE_MB", "0")  # the limit from the environment; recent packages stay
    prune_packages(tmp_path, keep=tmp_path / "kept.pt2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.pt2", "notes.txt", "recent.pt2"]


@pytest.mark.parametrize("setting", ["1GB", "-5", "nan"])
def test_a_cache_limit_that_is_not_megabytes_is_refused_naming_the_variable(tmp_path, monkeypatch, setting):
    from zoo.generation.torch_programs import prune_packages

    (tmp_path / "old.pt2").write_bytes(b"x" * 2**20)
    monkeypatch.setenv("ZOO_AOTI_CACHE_MB", setting)
    with pytest.raises(ValueError, match=f"ZOO_AOTI_CACHE_MB must be a number of megabytes >= 0.*{setting!r}"):
        prune_packages(tmp_path, keep=None)
    assert (tmp_path / "old.pt2").exists()
