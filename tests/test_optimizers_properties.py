"""dlmath.optim, dlmath.initializers and dlmath.schedules without TensorFlow: hand-derived steps, purity,
dtypes, validation, the properties the checks judge (they must be able to fail), and the chapter's typical
mistakes as the learner's checks and the grader see them. Keras comparisons: test_optimizers_tensorflow.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_python
from dlmath import initializers, optim, schedules
from dlmath.checking import callables, properties
from grading import chapters, demo, editions
from grading.judge import judge_submission
from grading.references import optimizers as reference

CHAPTER = "06_optimizers"
SETTINGS = settings(max_examples=30, deadline=None)
G = np.array([2.0, -0.5, 1e-6])
W = np.array([1.0, 1.0, 1.0])


# ---- update rules: the first steps by hand --------------------------------------------------------

def test_sgd_heavy_ball_and_nesterov_first_two_steps():
    # m1 = −0.1·g; w1 = w + m1. m2 = 0.9·m1 − 0.1·g = −0.19·g; heavy ball w2 = w1 + m2 = w − 0.29·g;
    # Nesterov: w1 = w + 0.9·m1 − 0.1·g = w − 0.19·g, w2 = w1 + 0.9·m2 − 0.1·g = w − 0.19·g − 0.271·g
    w1, s1 = optim.sgd(W, G, {}, lr=0.1, momentum=0.9)
    w2, s2 = optim.sgd(w1, G, s1, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(s2["m"], -0.19 * G, rtol=1e-15)
    np.testing.assert_allclose(w2, W - 0.29 * G, rtol=1e-15)
    n1, t1 = optim.sgd(W, G, {}, lr=0.1, momentum=0.9, nesterov=True)
    n2, _ = optim.sgd(n1, G, t1, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(n2, W - (0.19 + 0.271) * G, rtol=1e-15)


def test_adam_first_step_is_lr_times_g_over_abs_g_plus_eps_hat():
    # α1 = lr·√(1 − β2)/(1 − β1), m1 = (1 − β1)g, v1 = (1 − β2)g²: the step is lr·g/(|g| + ε/√(1 − β2))
    w1, state = optim.adam(W, G, {}, lr=0.01)
    np.testing.assert_allclose(W - w1, 0.01 * G / (np.abs(G) + 1e-7 / math.sqrt(0.001)), rtol=1e-12)
    assert state["t"] == 1 and isinstance(state["t"], int)
    np.testing.assert_allclose(state["v"], 0.001 * G * G, rtol=1e-15)


def test_adam_bias_correction_makes_constant_gradient_steps_equal_lr():
    # with ε = 0 and a constant g, m̂ = g and v̂ = g² at every step: each step is exactly lr·sign(g)
    w, state = np.zeros(2), {}
    for _ in range(30):
        w_new, state = optim.adam(w, np.array([3.0, -0.2]), state, lr=0.01, epsilon=0.0)
        np.testing.assert_allclose(w - w_new, [0.01, -0.01], rtol=1e-12)
        w = w_new


def test_amsgrad_divides_by_the_largest_v_seen():
    _, s1 = optim.adam(W, np.array([10.0, 10.0, 10.0]), {}, amsgrad=True)
    _, s2 = optim.adam(W, np.array([0.0, 0.0, 0.0]), s1, amsgrad=True)
    np.testing.assert_array_equal(s2["v_max"], s1["v"])
    assert np.all(s2["v"] < s1["v"])


def test_adamw_is_adam_from_the_decayed_weights():
    w1, s1 = optim.adamw(W, G, {}, lr=0.01, weight_decay=0.5)
    w2, s2 = optim.adam(W * (1 - 0.01 * 0.5), G, {}, lr=0.01)
    np.testing.assert_allclose(w1, w2, rtol=1e-15)
    assert s1.keys() == s2.keys()


def test_adagrad_and_rmsprop_put_epsilon_inside_the_root():
    w1, s1 = optim.adagrad(W, G, {}, lr=0.1, epsilon=1e-4)     # a = 0.1 + g²
    np.testing.assert_allclose(w1, W - 0.1 * G / np.sqrt(0.1 + G * G + 1e-4), rtol=1e-15)
    w2, s2 = optim.rmsprop(W, G, {}, lr=0.1, rho=0.9, epsilon=1e-4)   # v = 0.1·g²
    np.testing.assert_allclose(w2, W - 0.1 * G / np.sqrt(0.1 * G * G + 1e-4), rtol=1e-15)
    w3, s3 = optim.rmsprop(W, G, {}, lr=0.1, rho=0.9, epsilon=1e-4, centered=True)  # v − ḡ² = 0.1g² − 0.01g²
    np.testing.assert_allclose(w3, W - 0.1 * G / np.sqrt(0.09 * G * G + 1e-4), rtol=1e-14)
    assert set(s3) == {"v", "m", "g_mean"} and set(s2) == {"v", "m"}


@pytest.mark.parametrize("rule, kwargs", [(optim.sgd, {"momentum": 0.9, "nesterov": True}), (optim.adagrad, {}),
                                          (optim.rmsprop, {"centered": True, "momentum": 0.5}),
                                          (optim.adam, {"amsgrad": True}), (optim.adamw, {})])
def test_rules_are_pure_and_keep_float32(rule, kwargs):
    rng = np.random.default_rng(0)
    w, state = rng.normal(size=(3, 2)).astype(np.float32), {}
    for _ in range(3):
        g = rng.normal(size=(3, 2)).astype(np.float32)
        w_copy, g_copy = w.copy(), g.copy()
        state_copy = {k: np.copy(v) for k, v in state.items()}
        w_new, new_state = rule(w, g, state, **kwargs)
        assert new_state is not state and np.array_equal(w, w_copy) and np.array_equal(g, g_copy)
        assert state.keys() == state_copy.keys() and all(np.array_equal(state[k], state_copy[k]) for k in state)
        assert w_new.dtype == np.float32 and all(v.dtype == np.float32 for k, v in new_state.items() if k != "t")
        w, state = w_new, new_state


@pytest.mark.parametrize("call, error, words", [
    (lambda: optim.sgd(W, G[:2], {}), ValueError, "same shape"),
    (lambda: optim.adam(W, G, None), TypeError, "state must be a dict"),
    (lambda: optim.adam(W, G, {"m": np.zeros(2)}), ValueError, "state\\['m'\\]"),
    (lambda: optim.sgd(W, G, {}, momentum=1.0), ValueError, "momentum"),
    (lambda: optim.adam(W, G, {}, beta_2=1.5), ValueError, "beta_2"),
    (lambda: optim.rmsprop(W, G, {}, centered="yes"), TypeError, "centered"),
    (lambda: optim.adam(W, ["a", "b", "c"], {}), TypeError, "dw"),
    (lambda: optim.minibatches(np.ones((4, 2)), np.ones(3), 2, np.random.default_rng()), ValueError, "same number"),
    (lambda: optim.minibatches(np.ones((4, 2)), np.ones(4), 0, np.random.default_rng()), ValueError, "batch_size"),
    (lambda: optim.minibatches(np.ones((4, 2)), np.ones(4), 2, 7), TypeError, "Generator"),
    (lambda: initializers.glorot_uniform((3, 0), np.random.default_rng()), ValueError, "positive ints"),
    (lambda: initializers.he_normal((3, 4), None), TypeError, "Generator"),
    (lambda: schedules.step_decay(-1, 0.1, 10, 0.5), ValueError, "non-negative"),
    (lambda: schedules.exponential_decay(np.array([0.5]), 0.1, 10, 0.5), ValueError, "non-negative int"),
    (lambda: schedules.cosine_decay(3, 0.1, 0), ValueError, "decay_steps"),
    (lambda: schedules.cosine_decay(3, 0.1, 10, alpha=2.0), ValueError, "alpha"),
])
def test_bad_input_raises_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ---- initializers and their property -------------------------------------------------------------

@pytest.mark.parametrize("name, variance", [("glorot_uniform", 2 / 320), ("glorot_normal", 2 / 320),
                                            ("he_normal", 2 / 64), ("he_uniform", 2 / 64)])
def test_initializer_variance_and_bounds(name, variance):
    draws = getattr(initializers, name)((64, 256), np.random.default_rng(0))
    assert draws.shape == (64, 256) and draws.dtype == np.float64
    assert abs(draws.var() / variance - 1) < 0.05
    bound = math.sqrt(3 * variance) if name.endswith("uniform") else 2 * math.sqrt(variance) / initializers.TRUNCATED_STD
    assert np.abs(draws).max() <= bound


def test_conv_kernel_fans_include_the_receptive_field():
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((5,)) == (5, 5) and initializers.compute_fans((7, 2)) == (7, 2)


def _judge_initializer(name, shape, draw):
    params = reference.initializer_params(name, shape)
    rng = np.random.default_rng(3)
    return properties.judge({"name": "initializer_draws", "params": params},
                            callables.draw_twice(draw, shape, rng))


@pytest.mark.parametrize("name, draw, words", [
    ("glorot_uniform", lambda s, r: r.uniform(-math.sqrt(2 / sum(s)), math.sqrt(2 / sum(s)), s), "as the limit"),
    ("glorot_uniform", lambda s, r: r.normal(0, math.sqrt(2 / sum(s)), s), "normal"),
    ("glorot_uniform", lambda s, r: np.random.default_rng().uniform(-math.sqrt(6 / sum(s)), math.sqrt(6 / sum(s)), s),
     "rng"),
    ("glorot_normal", lambda s, r: initializers.truncated_normal(s, math.sqrt(2 / sum(s)), r), "0.8796"),
    ("he_normal", lambda s, r: r.normal(0, math.sqrt(2 / s[0]), s), "truncated"),
    ("he_normal", lambda s, r: initializers.truncated_normal(s, math.sqrt(2 / sum(s)) / 0.8796, r), "fan_in only"),
    ("he_uniform", lambda s, r: r.uniform(-math.sqrt(3 / s[0]), math.sqrt(3 / s[0]), s), "LeCun"),
])
def test_initializer_property_names_the_mistake(name, draw, words):
    problem = _judge_initializer(name, (64, 256), draw)
    assert problem is not None and words in problem[1], problem


def test_initializer_property_passes_the_solution_on_every_checked_shape():
    for shape in [(64, 256), (3, 3, 32, 64), (2000,), (300, 100), (5, 5, 8, 16), (1500,)]:
        for name in ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform"):
            assert _judge_initializer(name, shape, getattr(initializers, name)) is None, (name, shape)


# ---- minibatches and their property ---------------------------------------------------------------

@SETTINGS
@given(st.integers(1, 60), st.integers(1, 70), st.integers(0, 2 ** 31))
def test_minibatches_visit_every_example_once_and_keep_the_last_batch(n, batch_size, seed):
    x = np.arange(n * 2, dtype=float).reshape(n, 2)
    y = np.arange(n)
    batches = optim.minibatches(x, y, batch_size, np.random.default_rng(seed))
    assert len(batches) == math.ceil(n / batch_size)
    assert [len(b[0]) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
    order = np.concatenate([yb for _, yb in batches])
    assert sorted(order) == list(range(n))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb, x[yb])
    assert properties.judge({"name": "minibatch_epochs", "params": {}},
                            callables.three_epochs(optim.minibatches, x, y, batch_size,
                                                   np.random.default_rng(seed)), (x, y, batch_size)) is None


def _chunks(order, b):
    return [order[k:k + b] for k in range(0, len(order), b)]


@pytest.mark.parametrize("wrong, words", [
    (lambda x, y, b, r: [(x[c], y[c]) for c in _chunks(r.permutation(len(x)), b)][:-1], "Keep the last"),
    (lambda x, y, b, r: [(x[c], y[c]) for c in _chunks(np.arange(len(x)), b)], "Shuffle each epoch"),
    (lambda x, y, b, r: [(x[c], y[d]) for c, d in zip(_chunks(r.permutation(len(x)), b),
                                                      _chunks(r.permutation(len(x)), b))], "same* permutation"),
    (lambda x, y, b, r: [(x[c], y[c]) for c in _chunks(r.integers(0, len(x), len(x)), b)], "with replacement"),
    (lambda x, y, b, r: [(x[c], y[c]) for c in _chunks(np.random.default_rng(0).permutation(len(x)), b)], "new order"),
    (lambda x, y, b, r: [(x[c], y[c]) for c in _chunks(np.random.permutation(len(x)), b)], "`rng` argument"),
])
def test_minibatch_property_names_the_mistake(wrong, words):
    x, y = np.random.default_rng(1).normal(size=(50, 3)), np.arange(50)
    problem = properties.judge({"name": "minibatch_epochs", "params": {}},
                               callables.three_epochs(wrong, x, y, 8, np.random.default_rng(2)), (x, y, 8))
    assert problem is not None and words in problem[1], problem


# ---- schedules by hand ----------------------------------------------------------------------------

def test_schedules_at_hand_computed_steps():
    np.testing.assert_allclose(schedules.step_decay(np.array([0, 9, 10, 25]), 0.1, 10, 0.5),
                               [0.1, 0.1, 0.05, 0.025], rtol=1e-15)
    np.testing.assert_allclose(schedules.exponential_decay(np.array([0, 5, 10]), 0.1, 10, 0.25),
                               [0.1, 0.05, 0.025], rtol=1e-15)
    # no warm-up: half-way the cosine factor is ½; past the end, α·η0
    np.testing.assert_allclose(schedules.cosine_decay(np.array([0, 50, 100, 150]), 0.2, 100, alpha=0.1),
                               [0.2, 0.2 * (0.9 * 0.5 + 0.1), 0.02, 0.02], rtol=1e-14)
    # warm-up 0 → 0.4 over 10 steps (0.2 at step 5), then the cosine from 0.4 (0.2 at 10 + k/2)
    np.testing.assert_allclose(schedules.cosine_decay(np.array([0, 5, 10, 30, 50]), 0.0, 40, warmup_target=0.4,
                                                      warmup_steps=10), [0.0, 0.2, 0.4, 0.2, 0.0], atol=1e-15)
    assert schedules.step_decay(25, 0.1, 10, 0.5).shape == ()


# ---- the chapter's mistakes, as the learner and the grader see them -------------------------------

def learner_06(tmp, bodies: dict[str, str] | None = None):
    """A 06_optimizers learner folder: every solution in place except ``bodies`` (graded name → wrong body)."""
    chapter = chapters.get(CHAPTER)
    editions.write_student_package(CHAPTER, tmp)
    for module in chapter.modules:
        mine = {f: b for f, b in (bodies or {}).items() if chapter.function(f).module == module}
        (tmp / "dlmath" / f"{module}.py").write_text(demo.solved_module(module, mine, CHAPTER), encoding="utf-8")
    return tmp


def _edit(module, function, old, new):
    return reference._variant(module, function, (old, new))


MISTAKES = {  # label: (graded name, wrong body, words the check must print)
    **{f"class {student}": (name, body, None) for student, bodies in reference.CLASS.items()
       for name, body in bodies.items()},
    "adam: correction on m only": ("adam", _edit("optim", "adam", "math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)",
                                                 "1 / (1 - beta_1 ** t)"), "Only m"),
    "adam: ε inside the root": ("adam", _edit("optim", "adam", "(np.sqrt(v) + epsilon)", "np.sqrt(v + epsilon)"),
                                "ε goes outside"),
    "adam: textbook form": ("adam", _edit(
        "optim", "adam", "return w - alpha * m / (np.sqrt(v) + epsilon), new_state",
        "return w - lr * (m / (1 - beta_1 ** t)) / (np.sqrt(v / (1 - beta_2 ** t)) + epsilon), new_state"),
        "ε-hat form"),
    "adam: t used before the increment": ("adam", reference._variant(
        "optim", "adam", ('t = int(state.get("t", 0)) + 1', 't = int(state.get("t", 0))'),
        ('new_state = {"t": t,', 'new_state = {"t": t + 1,')), "increment t before using it"),
    "adagrad: ε outside": ("adagrad", _edit("optim", "adagrad", "np.sqrt(a + epsilon)", "(np.sqrt(a) + epsilon)"),
                           "inside* the square root"),
    "rmsprop: not centered": ("rmsprop", _edit("optim", "rmsprop", "v - g_mean * g_mean + epsilon", "v + epsilon"),
                              "left out − ḡ²"),
    "rmsprop: mutates state": ("rmsprop", _edit("optim", "rmsprop", 'v = rho * state.get("v", zeros) + (1 - rho) * dw * dw',
                                                'v = state.get("v", np.zeros_like(w))\nv *= rho\nv += (1 - rho) * dw * dw'),
                               "in place"),
    "adamw: decay without lr": ("adamw", _edit("optim", "adamw", "w - lr * weight_decay * w", "w - weight_decay * w"),
                                "scaled by the learning rate"),
    "sgd: PyTorch buffer": ("sgd", 'b = momentum * state.get("m", np.zeros_like(w)) + dw\n'
                                   'return w - lr * b, {"m": b}', "PyTorch's buffer"),
    "he_uniform: Glorot's limit": ("he_uniform", _edit("initializers", "he_uniform", "6.0 / fan_in",
                                                       "6.0 / sum(compute_fans(shape))"), "Glorot's variance"),
    "glorot_normal: no correction": ("glorot_normal", _edit("initializers", "glorot_normal", " / TRUNCATED_STD", ""),
                                     "0.8796"),
    "step_decay: no floor": ("step_decay", _edit("schedules", "step_decay", "np.floor(s / k)", "(s / k)"),
                             "holds the rate constant"),
    "cosine: no clamp": ("cosine_decay", _edit("schedules", "cosine_decay", "np.minimum(steps, k)", "steps"),
                         "clamp the step"),
}
CLASS_HINTS = {"adam_without_bias_correction": "needs bias correction", "adam_correction_swapped": "wrong moments",
               "adam_mutates_state": "in place", "rmsprop_eps_outside_root": "inside* the square root",
               "adamw_decays_the_gradient": "L2 in the loss", "nesterov_as_plain_momentum": "Nesterov looks ahead",
               "adagrad_starts_at_zero": "not at 0", "glorot_std_as_limit": "as the limit",
               "he_normal_untruncated": "truncated", "minibatches_drops_last": "Keep the last",
               "cosine_ignores_warmup": "warmup_target"}


@pytest.mark.parametrize("label", MISTAKES)
def test_check_names_the_typical_mistake(tmp_path, label):
    name, body, hint = MISTAKES[label]
    if hint is None and label.startswith("class "):
        hint = CLASS_HINTS[label.removeprefix("class ")]
    done = run_python(["-m", "dlmath", "check", name], learner_06(tmp_path, {name: body}))
    assert done.returncode == 1, done.stdout
    module = chapters.get(CHAPTER).function(name).module
    assert f"✗ dlmath.{module}.{name}" in done.stdout, done.stdout
    if hint:
        assert hint in done.stdout, done.stdout


def test_check_passes_the_solved_chapter(tmp_path):
    done = run_python(["-m", "dlmath", "check", CHAPTER], learner_06(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "13/13 functions pass all their checks" in done.stdout


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_costs_only_its_own_item(tmp_path, student):
    verdicts = judge_submission(CHAPTER, learner_06(tmp_path, reference.CLASS[student]))
    full = {g.name: g.points for g in chapters.get(CHAPTER).graded}
    lost = {name for name in full if verdicts[name].score < full[name]}
    assert lost == reference.EXPECTED_LOSSES[student], {n: v.score for n, v in verdicts.items()}
