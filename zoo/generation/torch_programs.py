"""PyTorch: decoding captured with `torch.export` and compiled by AOTInductor, one program per shape.

Measured on a 2-layer model (2 CPU threads shared): the Keras layers called eagerly spend ~20 ms
of Python per step; `torch.compile` applied to that Keras code graph-breaks on Keras internals
and stays at ~24 ms after minutes of compiling; exporting first gives a plain ATen graph that
inductor compiles into ~1.2 ms per step (see `_compiled_package` for why ahead of time). The
model's variables are inputs of the exported graph (mapped in with a `StatelessScope`), so later
training is never served stale weights.

- `CompiledWhileLoop` compiles a decoding loop's whole iteration (token choice, bookkeeping, the
  one-token `decode_step` and the loop condition): the Python loop around it only calls it.
  On gpt-small at batch 1 the Keras ops around a compiled step cost 2-3 ms a token, as much as the step.
- `CompiledDecodeStep` compiles the step alone: the prompt prefill (one program for every prompt
  length, 8 ms where the eager Keras layers took 30 ms for 16 tokens of gpt-small at batch 1),
  and the one-token step of an iteration that `torch.export` cannot capture (which then runs
  eagerly around it).
One program is compiled per input signature (batch, cache and token shapes).
"""

import contextlib
import hashlib
import os
import tempfile
import time
import warnings
from pathlib import Path

import keras
import torch

# A package used this recently is never pruned: another process may be about to load it.
RECENTLY_USED_S = 600


def _signature(args, length_axis=None):
    """Shapes and dtypes of `args`' tensors (other leaves by value): what a compiled program is specific to.

    With `length_axis`, that axis of `args[0]` counts only as "2 or more" (see `_ExportedPrograms.program`).
    """
    leaves, spec = torch.utils._pytree.tree_flatten(args)
    shapes = [list(x.shape) if torch.is_tensor(x) else x for x in leaves]
    if _has_dynamic_length(args, length_axis):
        shapes[0][length_axis] = "2+"
    return str(spec), tuple((tuple(shape), x.dtype) if torch.is_tensor(x) else x for shape, x in zip(shapes, leaves))


def _has_dynamic_length(args, length_axis):
    """Whether `args[0]`'s `length_axis` is exported as a dynamic size: one of 2 or more.

    torch.export specializes sizes 0 and 1, so a length of 1 (a one-token step) keeps its own program.
    """
    return length_axis is not None and args[0].shape[length_axis] >= 2


def _program_key(exported):
    """What an AOTInductor package depends on: torch, the CPU's vector ISA, the graph (shapes too), its constants.

    The graph's text names the source lines it was traced from: an edited checkout compiles anew.
    """
    from torch._inductor.cpu_vec_isa import pick_vec_isa

    digest = hashlib.sha256(f"{torch.__version__}\n{pick_vec_isa()}\n{exported}".encode())
    for name, constant in sorted(exported.constants.items()):
        digest.update(name.encode())
        if torch.is_tensor(constant):
            digest.update(constant.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:32]


def _compiled_package(exported):
    """`exported` compiled ahead of time by AOTInductor, through a package cache on disk.

    AOTInductor rather than `torch.compile`: its program runs without Dynamo's guards or a
    Python wrapper around each kernel (gpt-small greedy at batch 1: 0.67-0.71x the plain PyTorch
    loop with `torch.compile`, 1.00-1.09x with AOTInductor; benchmarks/RESULTS.md). It has no cache
    of its own (20-25 s a compile), so packages are kept in inductor's cache folder (per user
    and machine), keyed by `_program_key`, and written to a temporary name then renamed.
    """
    from torch._inductor.runtime.cache_dir_utils import cache_dir

    folder = Path(cache_dir()) / "zoo-aoti"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_program_key(exported)}.pt2"
    if path.exists():
        with contextlib.suppress(OSError):  # a package of another user's: it stays as it is
            os.utime(path)  # used now: `prune_packages` removes the packages unused the longest
    else:
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            with warnings.catch_warnings():  # torch's own pytree deprecation, raised while packaging
                warnings.filterwarnings("ignore", message=".*LeafSpec", category=FutureWarning)
                built = torch._inductor.aoti_compile_and_package(exported, package_path=str(Path(scratch) / path.name))
            os.replace(built, path)
        prune_packages(folder, keep=path)
    return _FlatCallPackage(torch._inductor.aoti_load_package(str(path)))


def cache_limit_mb():
    """`ZOO_AOTI_CACHE_MB` as a number >= 0 (default 1,024); ValueError naming the variable otherwise."""
    setting = os.environ.get("ZOO_AOTI_CACHE_MB", "1024")
    try:
        limit = float(setting)
    except ValueError:
        limit = float("nan")
    if not limit >= 0:
        raise ValueError(f"ZOO_AOTI_CACHE_MB must be a number of megabytes >= 0 (default 1024). Received: {setting!r}")
    return limit


def prune_packages(folder, keep, limit_mb=None):
    """Removes the packages of `folder` unused the longest until they hold at most `limit_mb` MB.

    Every new model shape, batch size or output length, and every edit of the traced source, gets
    its own package (~2-3 MB for gpt-small): unpruned, the folder only grows (314 MB in a day of
    tests and benchmarks here). The limit is `ZOO_AOTI_CACHE_MB` (default 1,024). `keep` (the
    package just written) is never removed, nor is one used in the last `RECENTLY_USED_S` seconds.

    Example: `prune_packages(Path("~/.cache/zoo-aoti").expanduser(), keep=None, limit_mb=512)`.
    """
    limit = (cache_limit_mb() if limit_mb is None else limit_mb) * 2**20
    packages = []
    for package in Path(folder).glob("*.pt2"):
        try:
            status = package.stat()
        except FileNotFoundError:  # another process pruned it
            continue
        packages.append((status.st_mtime, status.st_size, package))
    total = sum(size for _, size, _ in packages)
    recent = time.time() - RECENTLY_USED_S
    for used, size, package in sorted(packages, key=lambda entry: entry[0]):
        if total <= limit:
            break
        if used >= recent or package == keep:
            continue
        try:
            package.unlink(missing_ok=True)
        except OSError:  # not ours to remove
            continue
        total -= size


class _FlatCallPackage:
    """A loaded AOTInductor package, called as `package(values, args)` with its output spec parsed once.

    `AOTICompiledModel.__call__` parses its input and output specs from JSON on every call, which
    is per-token work in a decoding loop; this flattens the inputs and runs the program directly.
    """

    def __init__(self, compiled):
        self.loader = compiled.loader
        self.out_spec = torch.utils._pytree.treespec_loads(self.loader.get_call_spec()[1])

    def __call__(self, values, args):
        """`values` is a flat list of tensors (the variables'): its leaves are itself, in order."""
        inputs = list(values) + [x for x in torch.utils._pytree.tree_leaves(args) if torch.is_tensor(x)]
        return torch.utils._pytree.tree_unflatten(self.loader.boxed_run(inputs), self.out_spec)


def _is_symbolic(exported, input_position, axis):
    """Whether the `axis` size of the exported program's user input at `input_position` stayed symbolic
    (a size the code specialized is a SymInt of constant value)."""
    from torch.fx.experimental.symbolic_shapes import is_concrete_int

    name = exported.graph_signature.user_inputs[input_position]
    node = next(node for node in exported.graph.nodes if node.name == name)
    return not is_concrete_int(node.meta["val"].shape[axis])


def _contiguous(tree):
    """Every tensor of `tree` contiguous: a compiled program reads its inputs with the strides it was compiled for
    (a beam search's first tokens are a broadcast view, its later ones are not)."""
    return torch.utils._pytree.tree_map(lambda x: x.contiguous() if torch.is_tensor(x) else x, tree)


class _ExportedPrograms:
    """`function(*args)`, with the model's variables as inputs, exported and compiled once per signature of `args`."""

    def __init__(self, model, function_name):
        self.model = model
        self.function_name = function_name
        self.variables = list(model.trainable_variables) + list(model.non_trainable_variables)
        self.programs = {}

    def program(self, function, args, length_axis=None):
        """`run(args)` computing `function(*args)` with the variables' current values, or None where
        `function` could not be exported or compiled. It serves any `args` of the same signature.

        `length_axis`: an axis of `args[0]` (e.g. a prompt's length) whose sizes 2 and up share one
        program, exported with that size dynamic where `function` allows it (an LSTM's Python loop
        over the steps does not: its program then serves its own length only).
        """
        values = [variable.value for variable in self.variables]
        args = _contiguous(args)
        any_length, this_length = _signature(args, length_axis), _signature(args)
        if any_length in self.programs:
            program = self.programs[any_length]
        elif this_length in self.programs:
            program = self.programs[this_length]
        else:
            dynamic_axis = length_axis if _has_dynamic_length(args, length_axis) else None
            program, dynamic = self._compile(function, values, args, dynamic_axis)
            # A failure serves every length too (eagerly): it warns once, not once per prompt length.
            self.programs[any_length if dynamic or program is None else this_length] = program
        return None if program is None else lambda args: program(values, _contiguous(args))

    def _compile(self, function, values, args, dynamic_axis):
        """`(program or None, whether args[0]'s dynamic_axis stayed dynamic in it)`."""
        variables = self.variables

        class Program(torch.nn.Module):
            def forward(self, values, args):
                with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                    return function(*args)

        dynamic_shapes = None
        if dynamic_axis is not None:  # AUTO: a size the code fixes is exported as that constant, not refused
            others = torch.utils._pytree.tree_map(lambda x: None, args[1:])
            dynamic_shapes = ([None] * len(values), ({dynamic_axis: torch.export.Dim.AUTO}, *others))
        try:
            exported = torch.export.export(Program(), (values, args), dynamic_shapes=dynamic_shapes, strict=False)
        except Exception as error:  # export is best effort: what it cannot capture still decodes, eagerly
            return self._eagerly("torch.export could not capture", error), False
        dynamic = dynamic_axis is not None and _is_symbolic(exported, len(values), dynamic_axis)
        try:
            return _compiled_package(exported), dynamic
        except Exception as error:  # so is compiling (e.g. no C++ compiler): decoding still works, eagerly
            return self._eagerly("AOTInductor could not compile", error), dynamic

    def _eagerly(self, what_failed, error):
        warnings.warn(
            f"{what_failed} {type(self.model).__name__}'s {self.function_name}; it runs eagerly. "
            f"{type(error).__name__}: {str(error)[:200]}",
            stacklevel=4,
        )
        return None


class CompiledDecodeStep:
    """Drop-in for `model.decode_step` that runs through compiled programs: the prompt prefill and one-token steps.

    A prefill of 2 or more tokens is exported with its length dynamic: one program serves every
    prompt length (of a batch size and cache shape). Inside a program being exported (a
    `CompiledWhileLoop` iteration) it is `model.decode_step` itself.

    Example: `step = CompiledDecodeStep(lm); logits, state = step(token_ids, state, index)`.
    """

    def __init__(self, model):
        self.model = model
        self.exported = _ExportedPrograms(model, "decode_step")

    def __call__(self, token_ids, state, index):
        if torch.compiler.is_exporting():
            return self.model.decode_step(token_ids, state, index)
        args = (token_ids, state, torch.as_tensor(index, dtype=torch.int32))
        run = self.exported.program(self.model.decode_step, args, length_axis=1)
        return self.model.decode_step(*args) if run is None else run(args)


class CompiledWhileLoop:
    """`keras.ops.while_loop(cond, body, loop_vars)` whose iteration (`body`, then `cond`) is one compiled program.

    The program compiled for a signature of `loop_vars` serves every later call with that
    signature, whatever `cond` and `body` are passed then: they must read the call's tensors
    through `loop_vars` only (a tensor they close over would be frozen into the program), and
    the settings they close over must be the same on every call (one instance per settings).

    Example: `tokens, index = CompiledWhileLoop(lm)(cond, body, (tokens, index))`.
    """

    def __init__(self, model):
        self.exported = _ExportedPrograms(model, "decoding loop")

    def __call__(self, cond, body, loop_vars):
        loop_vars = tuple(loop_vars)
        if not bool(cond(*loop_vars)):
            return loop_vars

        def iteration(*loop_vars):
            loop_vars = tuple(body(*loop_vars))
            return loop_vars, cond(*loop_vars)

        run = self.exported.program(iteration, loop_vars)
        if run is None:
            return keras.ops.while_loop(cond, body, loop_vars)
        keep_going = True
        while bool(keep_going):
            loop_vars, keep_going = run(loop_vars)
        return loop_vars
