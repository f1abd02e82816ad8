"""dlmath.autodiff and the backward half of dlmath.layers: hand-derived values, finite differences,
shapes, dtypes and validation (no TensorFlow), and the chapter's typical mistakes as the learner's
checks and the grader see them. TensorFlow comparisons are in test_backprop_tensorflow.py.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_python
from dlmath import activations as act
from dlmath import layers
from dlmath.autodiff import Value
from dlmath.calculus import numerical_gradient, relative_error
from dlmath.checking.callables import value_program
from grading import editions
from grading.judge import judge_submission
from grading.references import backprop as reference

CHAPTER = "05_backprop"
SETTINGS = settings(max_examples=40, deadline=None)


# ---- the engine: hand-derived gradients --------------------------------------------------------

def test_reused_node_accumulates_every_use():
    a = Value(1.5)
    y = a * a + a          # dy/da = 2a + 1
    y.backward()
    assert a.grad == pytest.approx(4.0, rel=1e-15)


def test_three_paths_example_of_section_1_2():
    a, b = Value(2.0), Value(-3.0)
    y = (a * b + a) * a    # y = a²b + a²: dy/da = 2ab + 2a = -8, dy/db = a² = 4
    y.backward()
    assert (a.grad, b.grad) == (-8.0, 4.0)


def test_doubling_ladder_gives_two_to_the_depth():
    x = y = Value(0.75)
    for _ in range(40):
        y = y + y
    y.backward()
    assert x.grad == 2.0 ** 40


def test_deep_chain_of_several_hundred_nodes():
    x = y = Value(0.3)
    for _ in range(300):
        y = y * 1.001
    y.backward()
    assert x.grad == pytest.approx(1.001 ** 300, rel=1e-12)


def test_tanh_saturates_to_zero_gradient_and_exp_matches_itself():
    a, b = Value(20.0), Value(1.3)
    y = a.tanh() + b.exp()
    y.backward()
    assert a.grad == 0.0 and b.grad == pytest.approx(math.exp(1.3), rel=1e-15)


def test_powers_negative_and_fractional():
    a = Value(1.7)
    y = a ** -2 + a ** 0.5 + a / 2
    y.backward()
    assert a.grad == pytest.approx(-2 * 1.7 ** -3 + 0.5 * 1.7 ** -0.5 + 0.5, rel=1e-14)


def test_unconnected_leaf_keeps_zero_gradient():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    (a * b).backward()
    assert c.grad == 0.0


@pytest.mark.parametrize("bad", ["2", None, True, 1 + 2j, [1.0]])
def test_value_rejects_non_real_data_with_type_error(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


def test_exponent_must_be_a_constant():
    with pytest.raises(TypeError, match="constant"):
        Value(2.0) ** Value(3.0)


# ---- the engine against central differences on random programs -----------------------------------

@st.composite
def programs(draw):
    n_leaves = draw(st.integers(1, 4))
    leaves = draw(st.lists(st.floats(-1.5, 1.5), min_size=n_leaves, max_size=n_leaves))
    ops = []
    for _ in range(draw(st.integers(1, 15))):
        n = n_leaves + len(ops)
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        kind = draw(st.sampled_from(["add", "mul", "sub", "tanh", "mul_const", "radd_const", "neg"]))
        ops.append([kind, i, j] if kind in ("add", "mul", "sub") else
                   [kind, i, draw(st.floats(-1, 1))] if kind.endswith("const") else [kind, i])
    return {"leaves": leaves, "ops": ops}


def _evaluate(program, leaves):
    nodes = list(leaves)
    for op, i, *rest in program["ops"]:
        a = nodes[i]
        nodes.append({"add": lambda: a + nodes[rest[0]], "mul": lambda: a * nodes[rest[0]],
                      "sub": lambda: a - nodes[rest[0]], "tanh": lambda: np.tanh(a),
                      "mul_const": lambda: a * rest[0], "radd_const": lambda: rest[0] + a, "neg": lambda: -a}[op]())
    return nodes[-1]


@SETTINGS
@given(programs())
def test_leaf_gradients_match_central_differences(program):
    _, grads = value_program(Value, program)
    numeric = numerical_gradient(lambda v: _evaluate(program, v), np.array(program["leaves"], dtype=float))
    n = len(program["leaves"])
    np.testing.assert_allclose(grads[:n], numeric, rtol=1e-6, atol=1e-7)


# ---- dense_backward ------------------------------------------------------------------------------

@SETTINGS
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2 ** 31))
def test_dense_backward_matches_central_differences(batch, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.normal(size=(batch, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out)
    dout = rng.normal(size=(batch, n_out))
    loss = lambda x, W, b: float(np.sum(dout * layers.dense_forward(x, W, b)))  # noqa: E731  (∂loss/∂z = dout)
    dx, dW, db = layers.dense_backward(dout, x, W)
    assert relative_error(dx, numerical_gradient(lambda v: loss(v, W, b), x.copy())) < 1e-8
    assert relative_error(dW, numerical_gradient(lambda v: loss(x, v, b), W.copy())) < 1e-8
    assert relative_error(db, numerical_gradient(lambda v: loss(x, W, v), b.copy())) < 1e-8


def test_dense_backward_single_example_equals_batch_of_one():
    rng = np.random.default_rng(0)
    x, W, dout = rng.normal(size=3), rng.normal(size=(3, 2)), rng.normal(size=2)
    single = layers.dense_backward(dout, x, W)
    batch = layers.dense_backward(dout[None], x[None], W)
    assert [s.shape for s in single] == [(3,), (3, 2), (2,)]
    for s, b in zip(single, batch):
        np.testing.assert_array_equal(s, b.reshape(s.shape))


@pytest.mark.parametrize("dtypes, expected", [((np.float32,) * 3, np.float32), ((np.float64, np.float32, np.float32), np.float64),
                                              ((np.float32, np.int64, np.float32), np.float64)])
def test_dense_backward_dtype_is_the_common_float_dtype(dtypes, expected):
    dout, x, W = (np.ones(s, d) for s, d in zip([(2, 3), (2, 4), (4, 3)], dtypes))
    assert {g.dtype for g in layers.dense_backward(dout, x, W)} == {np.dtype(expected)}


def test_dense_backward_rejects_mismatched_dout_naming_the_expected_shape():
    with pytest.raises(ValueError, match=r"dout must have shape \(5, 2\)"):
        layers.dense_backward(np.ones((5, 3)), np.ones((5, 4)), np.ones((4, 2)))


# ---- mlp_backward --------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_mlp_backward_matches_central_differences_for_every_parameter(activation):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3))
    params = [(rng.normal(size=(3, 5)), rng.normal(size=5)), (rng.normal(size=(5, 5)), rng.normal(size=5)),
              (rng.normal(size=(5, 2)), rng.normal(size=2))]
    dout = rng.normal(size=(4, 2))
    forward, backward = getattr(act, activation), getattr(act, activation + "_backward")
    loss = lambda: float(np.sum(dout * layers.mlp_forward(x, params, forward)[0]))  # noqa: E731
    _, cache = layers.mlp_forward(x, params, forward)
    dx, grads = layers.mlp_backward(dout, cache, params, backward)
    assert relative_error(dx, numerical_gradient(lambda _: loss(), x)) < 1e-8
    for (W, b), (dW, db) in zip(params, grads):
        assert dW.shape == W.shape and db.shape == b.shape
        assert relative_error(dW, numerical_gradient(lambda _: loss(), W)) < 1e-8
        assert relative_error(db, numerical_gradient(lambda _: loss(), b)) < 1e-8


def test_mlp_backward_one_layer_is_dense_backward():
    rng = np.random.default_rng(4)
    x, W, b, dout = rng.normal(size=(3, 2)), rng.normal(size=(2, 4)), rng.normal(size=4), rng.normal(size=(3, 4))
    _, cache = layers.mlp_forward(x, [(W, b)], act.tanh)
    dx, [(dW, db)] = layers.mlp_backward(dout, cache, [(W, b)], act.tanh_backward)
    for got, want in zip((dx, dW, db), layers.dense_backward(dout, x, W)):
        np.testing.assert_array_equal(got, want)


def test_mlp_backward_is_warning_free_with_saturated_units():
    x = np.array([[300.0, -300.0]])
    params = [(np.eye(2) * 5, np.zeros(2)), (np.ones((2, 1)), np.zeros(1))]
    _, cache = layers.mlp_forward(x, params, act.sigmoid)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dx, grads = layers.mlp_backward(np.ones((1, 1)), cache, params, act.sigmoid_backward)
    assert np.all(np.isfinite(dx)) and np.all(grads[0][0] == 0)


def test_mlp_backward_rejects_a_cache_of_the_wrong_length():
    params = [(np.ones((2, 2)), np.zeros(2))] * 2
    with pytest.raises(ValueError, match="one \\(a_prev, z\\) per layer"):
        layers.mlp_backward(np.ones((1, 2)), [(np.ones((1, 2)), np.ones((1, 2)))], params, act.tanh_backward)


# ---- the chapter's mistakes, as the learner and the grader see them -------------------------------

def learner_05(tmp, bodies: dict[str, str] | None = None):
    """A 05_backprop learner folder: every solution in place except ``bodies`` (graded name → wrong body)."""
    editions.write_student_package(CHAPTER, tmp)
    for module in ("autodiff", "layers"):
        path = editions.chapters.PACKAGE_DIR / f"{module}.py"
        source = path.read_text(encoding="utf-8")
        for name, body in (bodies or {}).items():
            lines = source.splitlines()
            fences = [f for f in editions.fences(source, str(path)) if f.function == name]
            if fences:
                (fence,) = fences
                body_lines = [fence.indent + ln if ln.strip() else "" for ln in body.strip("\n").splitlines()]
                source = "\n".join(lines[:fence.begin] + body_lines + lines[fence.end + 1:]) + "\n"
        (tmp / "dlmath" / f"{module}.py").write_text(editions.student_source(source, module, "99_none"), encoding="utf-8")
    return tmp


MISTAKES = {  # label: (graded name, wrong body, words the check must print)
    **{f"{name}: {hint[:40]}": (name, body, hint[:60]) for name, cases in reference.VALUE_MISTAKES.items()
       for hint, body in cases},
    **{f"class {student}": (name, body, None) for student, bodies in reference.CLASS.items()
       for name, body in bodies.items()},
    "db not summed": ("dense_backward", "return dout @ W.T, x.T @ dout, dout", "db is dout summed over the batch"),
    "dx without the transpose": ("dense_backward", "return dout @ W, x.T @ dout, dout.sum(axis=0)",
                                 "dx = dout · Wᵀ"),
    "derivative at the last layer": ("mlp_backward", """grads = [None] * len(params)
delta = activation_backward(dout, cache[-1][1])
for k in reversed(range(len(params))):
    dx, dW, db = dense_backward(delta, cache[k][0], params[k][0])
    grads[k] = (dW, db)
    delta = activation_backward(dx, cache[k - 1][1]) if k > 0 else dx
return delta, grads
""", "The last layer is linear"),
    "grads in reverse order": ("mlp_backward", """grads = []
delta = dout
for k in reversed(range(len(params))):
    dx, dW, db = dense_backward(delta, cache[k][0], params[k][0])
    grads.append((dW, db))
    delta = activation_backward(dx, cache[k - 1][1]) if k > 0 else dx
return delta, grads
""", "layer order"),
}
CLASS_HINTS = {"Value.__mul__": "overwrites", "Value.tanh": "square the *output*", "Value.backward": "double counting",
               "dense_backward": "its transpose", "mlp_backward": "not the layer's input"}


@pytest.mark.parametrize("label", MISTAKES)
def test_check_names_the_typical_mistake(tmp_path, label):
    name, body, hint = MISTAKES[label]
    hint = hint or CLASS_HINTS[name]
    done = run_python(["-m", "dlmath", "check", name], learner_05(tmp_path, {name: body}))
    assert done.returncode == 1, done.stdout
    module = "autodiff" if name.startswith("Value") else "layers"
    assert f"✗ dlmath.{module}.{name}" in done.stdout, done.stdout
    assert hint in done.stdout, done.stdout


def test_check_passes_the_solved_chapter(tmp_path):
    done = run_python(["-m", "dlmath", "check", CHAPTER], learner_05(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "8/8 functions pass all their checks" in done.stdout


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_costs_only_its_own_item(tmp_path, student):
    scores = {name: v.score for name, v in judge_submission(CHAPTER, learner_05(tmp_path, reference.CLASS[student])).items()}
    full = {g.name: g.points for g in editions.chapters.get(CHAPTER).graded}
    lost = {name for name in full if scores[name] < full[name]}
    assert lost == reference.EXPECTED_LOSSES[student], scores
