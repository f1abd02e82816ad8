"""Properties of dlmath.layers.dense_forward and mlp_forward (hypothesis), input validation, and
the checks' verdicts on the simulated class's mistakes. No TensorFlow here: see
test_layers_forward_tensorflow.py for the comparison with Keras.
"""
from __future__ import annotations

import re
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlmath import layers
from dlmath.checking.calling import run_case
from dlmath.checking.cases import load_chapter_file
from dlmath.checking.compare import judge
from grading import chapters
from grading.references import forward as reference

SETTINGS = settings(max_examples=60, deadline=None)
VALUES = st.floats(-100.0, 100.0, allow_nan=False, allow_infinity=False)
SIZES = st.integers(1, 6)
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def step(z):
    return (z > 0).astype(z.dtype)


@st.composite
def dense_inputs(draw, dtype=np.float64):
    batch, n_in, n_out = draw(SIZES), draw(SIZES), draw(SIZES)
    x = draw(arrays(dtype, (batch, n_in), elements=VALUES))
    W = draw(arrays(dtype, (n_in, n_out), elements=VALUES))
    b = draw(arrays(dtype, (n_out,), elements=VALUES))
    return x, W, b


@st.composite
def networks(draw):
    sizes = draw(st.lists(SIZES, min_size=2, max_size=5))
    params = [(draw(arrays(np.float64, (n_in, n_out), elements=st.floats(-3, 3))),
               draw(arrays(np.float64, (n_out,), elements=st.floats(-3, 3))))
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    x = draw(arrays(np.float64, (draw(SIZES), sizes[0]), elements=st.floats(-3, 3)))
    return x, params


# ---------------------------------------------------------------------------------------------
# dense_forward
# ---------------------------------------------------------------------------------------------

@SETTINGS
@given(dense_inputs())
def test_dense_forward_is_the_index_formula_z_sj_equals_sum_i_x_si_w_ij_plus_b_j(case):
    x, W, b = case
    z = layers.dense_forward(x, W, b)
    expected = np.array([[sum(x[s, i] * W[i, j] for i in range(W.shape[0])) + b[j] for j in range(W.shape[1])]
                         for s in range(x.shape[0])])
    assert z.shape == expected.shape and z.dtype == np.float64
    np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-9)


@SETTINGS
@given(dense_inputs())
def test_dense_forward_rows_are_the_column_form_with_the_kernel_transposed(case):
    x, W, b = case
    z = layers.dense_forward(x, W, b)
    column_matrix = np.ascontiguousarray(W.T)  # the column form's (out, in) matrix
    for s in range(x.shape[0]):
        np.testing.assert_allclose(z[s], column_matrix @ x[s] + b, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(layers.dense_forward(x[s], W, b), z[s], rtol=1e-12, atol=1e-9)


@SETTINGS
@given(dense_inputs(np.float32))
def test_dense_forward_keeps_float32(case):
    x, W, b = case
    assert layers.dense_forward(x, W, b).dtype == np.float32


def test_dense_forward_integer_and_list_inputs_become_float64():
    z = layers.dense_forward([[0, 1], [1, 1]], np.array([[1, 2], [3, 4]]), [0, 1])
    assert z.dtype == np.float64
    np.testing.assert_array_equal(z, [[3.0, 5.0], [4.0, 7.0]])  # by hand


def test_dense_forward_mixed_float32_and_float64_gives_float64():
    x = np.ones((2, 3), np.float32)
    assert layers.dense_forward(x, np.ones((3, 2)), np.zeros(2, np.float32)).dtype == np.float64


def test_dense_forward_zero_weights_give_the_bias_in_every_row():
    b = np.array([1.5, -2.0, 0.25])
    np.testing.assert_array_equal(layers.dense_forward(np.ones((4, 2)), np.zeros((2, 3)), b), np.tile(b, (4, 1)))


def test_dense_forward_does_not_modify_its_inputs():
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)
    copies = [a.copy() for a in (x, W, b)]
    layers.dense_forward(x, W, b)
    for a, c in zip((x, W, b), copies):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize(("x", "W", "b", "message"), [
    (np.ones((2, 3)), np.ones((4, 2)), np.ones(2), r"x must have shape \(batch, 4\) or \(4,\)"),
    (np.ones((2, 3)), np.ones(3), np.ones(1), r"W must be a 2-D kernel of shape \(in, out\)"),
    (np.ones((2, 3)), np.ones((3, 2)), np.ones(3), r"b must have shape \(2,\)"),
    (np.ones((2, 3)), np.ones((3, 2)), np.ones((1, 2)), r"b must have shape \(2,\)"),
    (np.ones((2, 2, 3)), np.ones((3, 2)), np.ones(2), r"x must have shape"),
])
def test_dense_forward_rejects_mismatched_shapes_with_value_error(x, W, b, message):
    with pytest.raises(ValueError, match=message):
        layers.dense_forward(x, W, b)


@pytest.mark.parametrize("argument", ["x", "W", "b"])
def test_dense_forward_rejects_non_numeric_input_with_type_error_naming_it(argument):
    args = {"x": np.ones((2, 3)), "W": np.ones((3, 2)), "b": np.ones(2)}
    args[argument] = np.array(["a", "b"]) if argument == "b" else None
    with pytest.raises(TypeError, match=rf"^{argument} must"):
        layers.dense_forward(**args)


# ---------------------------------------------------------------------------------------------
# mlp_forward
# ---------------------------------------------------------------------------------------------

@SETTINGS
@given(networks())
def test_mlp_forward_cache_links_the_layers(case):
    x, params = case
    output, cache = layers.mlp_forward(x, params, np.tanh)
    assert isinstance(cache, (list, tuple)) and len(cache) == len(params)
    np.testing.assert_array_equal(cache[0][0], x)
    for k, ((a_prev, z), (W, b)) in enumerate(zip(cache, params)):
        np.testing.assert_allclose(z, a_prev @ W + b, rtol=1e-12, atol=1e-12)  # z_k = a_{k-1} W_k + b_k
        if k + 1 < len(cache):
            np.testing.assert_allclose(cache[k + 1][0], np.tanh(z), rtol=1e-15, atol=0)  # a_k = f(z_k)
    np.testing.assert_array_equal(output, cache[-1][1])  # the last layer is linear


@SETTINGS
@given(networks())
def test_mlp_forward_with_the_identity_collapses_to_one_affine_layer(case):
    # §3.1: x W1 ... WL + (the collapsed bias), computed by folding the layers into one
    x, params = case
    W, b = params[0]
    for W_k, b_k in params[1:]:
        W, b = W @ W_k, b @ W_k + b_k
    output, _ = layers.mlp_forward(x, params, lambda z: z)
    np.testing.assert_allclose(output, x @ W + b, rtol=1e-9, atol=1e-9)


def test_mlp_forward_calls_the_activation_once_per_hidden_layer_and_never_on_the_output():
    seen = []

    def spy(z):
        seen.append(z.shape)
        return np.tanh(z)

    rng = np.random.default_rng(1)
    params = [(rng.normal(size=(3, 4)), rng.normal(size=4)), (rng.normal(size=(4, 5)), rng.normal(size=5)),
              (rng.normal(size=(5, 2)), rng.normal(size=2))]
    layers.mlp_forward(rng.normal(size=(6, 3)), params, spy)
    assert seen == [(6, 4), (6, 5)]


def test_one_layer_mlp_is_dense_forward_and_ignores_the_activation():
    rng = np.random.default_rng(2)
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    output, cache = layers.mlp_forward(x, [(W, b)], lambda z: 1 / 0)
    np.testing.assert_array_equal(output, layers.dense_forward(x, W, b))
    assert len(cache) == 1


def test_mlp_forward_single_example_gives_unbatched_shapes():
    rng = np.random.default_rng(3)
    params = [(rng.normal(size=(3, 4)), rng.normal(size=4)), (rng.normal(size=(4, 2)), rng.normal(size=2))]
    x = rng.normal(size=3)
    output, cache = layers.mlp_forward(x, params, np.tanh)
    assert output.shape == (2,) and [(a.shape, z.shape) for a, z in cache] == [((3,), (4,)), ((4,), (2,))]
    np.testing.assert_allclose(output, layers.mlp_forward(x[None], params, np.tanh)[0][0], rtol=1e-15)


def test_mlp_forward_keeps_float32_everywhere():
    rng = np.random.default_rng(4)
    params = [(rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)),
              (rng.normal(size=(4, 2)).astype(np.float32), rng.normal(size=2).astype(np.float32))]
    output, cache = layers.mlp_forward(rng.normal(size=(5, 3)).astype(np.float32), params, np.tanh)
    assert output.dtype == np.float32 and all(a.dtype == z.dtype == np.float32 for a, z in cache)


def test_hand_set_step_network_computes_xor_exactly():
    # §4.2: OR unit, AND unit, output OR - AND
    params = [(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -1.5])), (np.array([[1.0], [-1.0]]), np.array([0.0]))]
    output, cache = layers.mlp_forward(XOR_X, params, step)
    np.testing.assert_array_equal(output[:, 0], [0.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(cache[1][0], [[0, 0], [1, 0], [1, 0], [1, 1]])  # (OR, AND)


def test_no_single_step_neuron_computes_xor():
    # §4.1's proof, checked on a dense grid of lines (and their mirror images)
    g = np.linspace(-3, 3, 61)
    w1, w2, b = np.meshgrid(g, g, g, indexing="ij")
    fires = np.stack([w1 * x1 + w2 * x2 + b > 0 for x1, x2 in XOR_X])
    xor = np.array([False, True, True, False])[:, None, None, None]
    assert not (fires == xor).all(axis=0).any() and not (fires == ~xor).all(axis=0).any()


def test_mlp_forward_does_not_modify_its_inputs():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 2))
    params = [(rng.normal(size=(2, 3)), rng.normal(size=3)), (rng.normal(size=(3, 1)), rng.normal(size=1))]
    copies = (x.copy(), [(W.copy(), b.copy()) for W, b in params])
    layers.mlp_forward(x, params, np.tanh)
    np.testing.assert_array_equal(x, copies[0])
    for (W, b), (Wc, bc) in zip(params, copies[1]):
        np.testing.assert_array_equal(W, Wc)
        np.testing.assert_array_equal(b, bc)


def test_mlp_forward_is_finite_without_warnings_for_large_inputs():
    rng = np.random.default_rng(6)
    params = [(rng.normal(size=(3, 8)), rng.normal(size=8)), (rng.normal(size=(8, 2)), rng.normal(size=2))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output, _ = layers.mlp_forward(1e6 * rng.normal(size=(4, 3)), params, np.tanh)
    assert np.all(np.isfinite(output))


GOOD = [(np.ones((2, 3)), np.ones(3)), (np.ones((3, 1)), np.ones(1))]


@pytest.mark.parametrize(("x", "params", "activation", "error", "message"), [
    (np.ones((4, 2)), "W", np.tanh, TypeError, "params must be a non-empty list of"),
    (np.ones((4, 2)), [], np.tanh, TypeError, "params must be a non-empty list of"),
    (np.ones((4, 2)), [np.ones((2, 3))], np.tanh, TypeError, r"params\[0\] must be a \(W, b\) pair"),
    (np.ones((4, 2)), [(np.ones((2, 3)), np.ones(2))], np.tanh, ValueError, "layer 0: W must have shape"),
    (np.ones((4, 2)), [(np.ones((2, 3)), np.ones(3)), (np.ones((2, 1)), np.ones(1))], np.tanh, ValueError,
     "layer 1 expects 2 inputs but layer 0 has 3 outputs"),
    (np.ones((4, 3)), GOOD, np.tanh, ValueError, r"x must have shape \(batch, 2\)"),
    (np.ones((4, 2)), GOOD, "tanh", TypeError, "activation must be a function"),
])
def test_mlp_forward_rejects_bad_input_with_a_message_naming_it(x, params, activation, error, message):
    with pytest.raises(error, match=message):
        layers.mlp_forward(x, params, activation)


# ---------------------------------------------------------------------------------------------
# the checks name the simulated class's mistakes (in-process: bodies replace the solution fence)
# ---------------------------------------------------------------------------------------------

CHAPTER = chapters.get("02_forward")
SOURCE = (chapters.PACKAGE_DIR / "layers.py").read_text(encoding="utf-8")


def module_with(bodies: dict[str, str]) -> types.ModuleType:
    """dlmath.layers with the code between each named function's solution markers replaced."""
    source = SOURCE
    for function, body in bodies.items():
        block = re.search(rf"^def {function}\(.*?\n(?=^def |\Z)", source, flags=re.S | re.M).group(0)
        fence = re.search(r"^    ### BEGIN SOLUTION\n.*?^    ### END SOLUTION\n", block, flags=re.S | re.M).group(0)
        source = source.replace(block, block.replace(fence, "".join(f"    {ln}\n" for ln in body.splitlines())))
    module = types.ModuleType("layers_with_mistakes")
    exec(compile(source, "layers.py", "exec"), module.__dict__)
    return module


def verdicts(function, module, path: Path):
    spec = load_chapter_file(path)[function]
    return [judge(case, run_case(getattr(module, function), case), spec.hints) for case in spec.cases]


@pytest.mark.parametrize("path", [CHAPTER.public_cases, CHAPTER.hidden_fixture], ids=["public", "hidden"])
def test_instructor_functions_pass_every_case(path):
    for function in ("dense_forward", "mlp_forward"):
        failed = [r for r in verdicts(function, layers, path) if not r.passed]
        assert not failed, (function, failed[0].case.name, failed[0].problem)


MISTAKE_HINTS = {  # student → words the learner's check must show for that mistake
    "column_form": "one column per output unit",
    "forgot_bias": "You forgot the bias",
    "activation_on_output": "The last layer is linear",
    "caches_activations": "not the activation f(z_k)",
    "hardcoded_tanh": "not a fixed np.tanh",
    "output_only": "Return a tuple (output, cache)",
}


def test_every_simulated_student_has_a_hint_to_find():
    assert set(MISTAKE_HINTS) == set(reference.CLASS) == set(reference.EXPECTED_LOSSES)


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_public_checks_fail_and_name_each_class_mistake(student):
    (function, body), = reference.CLASS[student].items()
    results = verdicts(function, module_with({function: body}), CHAPTER.public_cases)
    failed = [r for r in results if not r.passed]
    assert failed, f"{student}: every public check passed"
    assert any(MISTAKE_HINTS[student] in r.hint for r in failed), [(r.problem, r.hint) for r in failed]


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_loses_hidden_points_on_its_own_function_only(student):
    # as the grader does: the function under test is the learner's, its siblings the reference ones
    module = module_with(reference.CLASS[student])
    lost = set()
    if not all(r.passed for r in verdicts("dense_forward", module, CHAPTER.hidden_fixture)):
        lost.add("dense_forward")
    module.dense_forward = layers.dense_forward  # mlp_forward's global: the reference dense_forward
    if not all(r.passed for r in verdicts("mlp_forward", module, CHAPTER.hidden_fixture)):
        lost.add("mlp_forward")
    assert lost == reference.EXPECTED_LOSSES[student]


def test_stored_mistake_outputs_differ_from_the_expected_results():
    for path in (CHAPTER.public_cases, CHAPTER.hidden_fixture):
        for function, spec in load_chapter_file(path).items():
            for case in spec.cases:
                for mistake in case.mistakes:
                    assert reference._differs(mistake.output, case.expected, {"rtol": case.rtol, "atol": case.atol}), \
                        (function, case.name, mistake.hint)
