import keras
import numpy as np
import pytest

from tests.generation.transition_model import TransitionModel, transition_table
from tests.models.gpt.numpy_gpt import set_seeded_weights
from tests.models.gpt.tiny import LLAMA_LIKE
from zoo.generation import generate, length_penalty
from zoo.models.gpt import GPTBackbone, GPTCausalLM
from zoo.testing import to_numpy

# PyTorch compiles its exported loop per shape (~20 s): the fast tests run it eagerly, one test compiled.
JIT = keras.backend.backend() != "torch"
MAX_LENGTH = 12
PROMPTS = [[5, 9, 12], [4, 17, 8, 21, 3]]


@pytest.fixture(scope="module")
def lm():
    model = GPTCausalLM(GPTBackbone(**LLAMA_LIKE))
    set_seeded_weights(model, scale=1.0, seed=1)  # large weights: varied tokens, no argmax ties
    return model


def padded(prompts):
    width = max(len(p) for p in prompts)
    return np.array([p + [0] * (width - len(p)) for p in prompts], "int32")


def run(lm, prompts=PROMPTS, **kwargs):
    return generate(lm, padded(prompts), MAX_LENGTH, jit_compile=JIT, **kwargs)


def test_sampling_strategies_at_their_greedy_limit_equal_greedy(lm):
    greedy = run(lm)["token_ids"]
    np.testing.assert_array_equal(run(lm, strategy="top_k", k=1, seed=3)["token_ids"], greedy)
    np.testing.assert_array_equal(run(lm, strategy="top_p", p=1e-6, seed=3)["token_ids"], greedy)
    beam = run(lm, strategy="beam", beam_size=1, length_penalty=0.0)
    np.testing.assert_array_equal(beam["token_ids"], greedy)


def test_end_token_stops_each_sequence_and_pads_after_it(lm):
    greedy = run(lm)["token_ids"]
    end = int(greedy[0, 4])  # the second token generated for the first prompt
    out = run(lm, end_token_id=end)
    for row, prompt in enumerate(PROMPTS):
        generated = greedy[row, len(prompt) :].tolist()
        stop = len(prompt) + generated.index(end) + 1 if end in generated else MAX_LENGTH
        np.testing.assert_array_equal(out["token_ids"][row, :stop], greedy[row, :stop])
        assert (out["token_ids"][row, stop:] == 0).all()
        np.testing.assert_array_equal(out["padding_mask"][row], np.arange(MAX_LENGTH) < stop)
    assert out["padding_mask"][0].sum() <= 5  # the first row did stop early


@pytest.mark.parametrize("strategy", ["greedy", "beam"])
def test_batched_prompts_of_different_lengths_equal_each_prompt_alone(lm, strategy):
    options = {"strategy": strategy, "end_token_id": 7}
    batched = run(lm, **options)["token_ids"]
    for row, prompt in enumerate(PROMPTS):
        np.testing.assert_array_equal(run(lm, [prompt], **options)["token_ids"][0], batched[row])


def sequence_log_prob(lm, tokens, prompt_length, end_token_id):
    """Sum of log P(token) over the generated tokens (up to the end token), by a full forward pass.

    The forward reads the hypothesis right-padded to MAX_LENGTH (causal: padding changes no logit
    before it), one shape for every hypothesis: eager JAX compiles each op once, not per length.
    """
    generated = tokens[prompt_length:].tolist()
    length = generated.index(end_token_id) + 1 if end_token_id in generated else len(generated)
    real = np.arange(MAX_LENGTH)[None] < prompt_length + length
    ids = np.where(real, tokens[None, :MAX_LENGTH], 0).astype("int32")
    logits = to_numpy(lm({"token_ids": ids, "padding_mask": real.astype("int32")}))[0].astype("float64")
    log_probs = (
        logits
        - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True))
        - logits.max(-1, keepdims=True)
    )
    positions = np.arange(prompt_length - 1, prompt_length + length - 1)
    return log_probs[positions, ids[0, positions + 1]].sum(), length


def test_n_best_scores_are_sorted_and_are_normalized_log_probabilities(lm):
    end = int(run(lm)["token_ids"][0, 4])
    out = run(lm, strategy="beam", beam_size=3, num_return_sequences=3, end_token_id=end, length_penalty=0.6)
    scores = out["n_best_scores"]
    assert scores.shape == (2, 3) and out["n_best_token_ids"].shape == (2, 3, MAX_LENGTH)
    assert (np.diff(scores, axis=1) <= 0).all()
    np.testing.assert_array_equal(out["token_ids"], out["n_best_token_ids"][:, 0])
    for row, prompt in enumerate(PROMPTS):
        assert len({tuple(t) for t in out["n_best_token_ids"][row]}) == 3
        for hypothesis, score in zip(out["n_best_token_ids"][row], scores[row]):
            log_prob, length = sequence_log_prob(lm, hypothesis, len(prompt), end)
            expected = log_prob / to_numpy(length_penalty(length, 0.6))
            np.testing.assert_allclose(score, expected, atol=1e-4)


def test_length_penalty_changes_the_ranking():
    start, end, a, b = 1, 2, 3, 4
    rows = {start: {end: 0.4, a: 0.35, b: 0.25}, a: {end: 0.9, a: 0.05, b: 0.05}, b: {end: 0.5, a: 0.25, b: 0.25}}
    model = TransitionModel(transition_table(rows, vocabulary_size=5))
    options = {"strategy": "beam", "beam_size": 2, "end_token_id": end, "jit_compile": JIT}
    # Without a penalty the short hypothesis wins: log 0.4 > log 0.35 + log 0.9.
    plain = generate(model, np.array([[start]]), 6, length_penalty=0.0, **options)
    np.testing.assert_array_equal(plain["token_ids"][0, :3], [start, end, 0])
    np.testing.assert_allclose(plain["n_best_scores"][0, 0], np.log(0.4), atol=1e-6)
    # alpha = 2 divides the two-token hypothesis by (7/6)^2 and the one-token one by 1: the longer wins.
    penalized = generate(model, np.array([[start]]), 6, length_penalty=2.0, **options)
    np.testing.assert_array_equal(penalized["token_ids"][0, :4], [start, a, end, 0])
    np.testing.assert_allclose(penalized["n_best_scores"][0, 0], np.log(0.35 * 0.9) / (7 / 6) ** 2, atol=1e-6)


def test_conditioning_reaches_init_decoding_state():
    model = TransitionModel(np.zeros((6, 6)))
    bias = np.zeros((2, 6), "float32")
    bias[0, 4], bias[1, 5] = 5.0, 5.0
    out = generate(model, np.array([[1], [1]]), 4, conditioning={"bias": bias}, jit_compile=JIT)
    np.testing.assert_array_equal(out["token_ids"], [[1, 4, 4, 4], [1, 5, 5, 5]])


def test_a_fixed_seed_reproduces_samples(lm):
    first = run(lm, strategy="top_k", k=5, temperature=2.0, seed=11)["token_ids"]
    np.testing.assert_array_equal(run(lm, strategy="top_k", k=5, temperature=2.0, seed=11)["token_ids"], first)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"prompt_ids": np.array([[0, 5, 6]])}, "right-padded"),
        ({"max_length": 2}, "Received: max_length=2"),
        ({"strategy": "nucleus"}, "Received: strategy='nucleus'"),
        ({"strategy": "beam", "beam_size": 2, "num_return_sequences": 3}, "Received: num_return_sequences=3"),
    ],
)
def test_invalid_requests_are_rejected(lm, kwargs, message):
    arguments = {"prompt_ids": np.array([[5, 6, 7]]), "max_length": MAX_LENGTH, **kwargs}
    with pytest.raises(ValueError, match=message):
        generate(lm, arguments.pop("prompt_ids"), arguments.pop("max_length"), **arguments)


# An iteration that torch.export cannot capture or AOTInductor cannot compile decodes eagerly with a warning:
# here that is a failure.
@pytest.mark.filterwarnings("error:(torch.export could not capture|AOTInductor could not compile)")
@pytest.mark.skipif(keras.backend.backend() != "torch", reason="the exported, compiled loop is PyTorch's")
def test_torch_compiles_one_loop_and_one_prefill_per_batch_and_length_whatever_the_prompts(lm, monkeypatch):
    from zoo.generation import torch_programs

    compiled_programs, package = [], torch_programs._compiled_package
    monkeypatch.setattr(torch_programs, "_compiled_package", lambda p: compiled_programs.append(p) or package(p))
    short = [prompt[:2] for prompt in PROMPTS]
    other = [[p % 20 + 3 for p in prompt[::-1]] for prompt in short]
    # Prompt widths 5, then 2, and other tokens: one loop program a strategy serves them (no tensor of a call is
    # frozen into it), and one prefill program (its prompt length dynamic) serves both strategies.
    # Beam search's first iteration reads a broadcast view, its later ones do not.
    for options in ({"strategy": "greedy"}, {"strategy": "beam", "end_token_id": 7}):
        for prompts in (PROMPTS, short, other):
            compiled = generate(lm, padded(prompts), MAX_LENGTH, jit_compile=True, **options)["token_ids"]
            eager = generate(lm, padded(prompts), MAX_LENGTH, jit_compile=False, **options)["token_ids"]
            np.testing.assert_array_equal(compiled, eager)
    assert len(compiled_programs) == 3


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="the exported, compiled loop is PyTorch's")
def test_torch_decodes_eagerly_with_a_warning_where_the_loop_cannot_be_compiled(lm, monkeypatch):
    from zoo.generation import torch_programs

    def no_compiler(exported):
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(torch_programs, "_compiled_package", no_compiler)
    model = GPTCausalLM.from_config(lm.get_config())  # a model whose loops are not compiled yet
    model.set_weights(lm.get_weights())
    with pytest.warns(UserWarning, match="AOTInductor could not compile GPTCausalLM's decoding loop.*no C"):
        compiled = generate(model, padded(PROMPTS), MAX_LENGTH, jit_compile=True)["token_ids"]
    np.testing.assert_array_equal(compiled, generate(lm, padded(PROMPTS), MAX_LENGTH, jit_compile=False)["token_ids"])


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["greedy", "beam"])
def test_compiled_loop_equals_eager_loop(lm, strategy):
    options = {"strategy": strategy, "end_token_id": 7}
    compiled = generate(lm, padded(PROMPTS), MAX_LENGTH, jit_compile=True, **options)
    eager = generate(lm, padded(PROMPTS), MAX_LENGTH, jit_compile=False, **options)
    np.testing.assert_array_equal(compiled["token_ids"], eager["token_ids"])
