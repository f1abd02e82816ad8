"""dlmath.regularization without TensorFlow: hand-derived values, finite differences, invariants,
dtypes and validation; then the chapter's typical mistakes as the learner's checks and the grader see
them. Comparisons with Keras are in test_regularization_tensorflow.py.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_python
from dlmath import regularization as R
from dlmath.calculus import numerical_gradient, relative_error
from grading import chapters, demo, editions
from grading.judge import judge_submission
from grading.references import regularization as reference

CHAPTER = "07_regularization"
SETTINGS = settings(max_examples=30, deadline=None)


def agrees(analytic, numeric) -> bool:
    """An analytic gradient agrees with central differences: relatively, or absolutely where both are ~0."""
    return relative_error(analytic, numeric) < 1e-6 or np.allclose(analytic, numeric, rtol=0, atol=1e-8)


def shapes(min_dims=1, max_dims=3):
    return st.lists(st.integers(1, 5), min_size=min_dims, max_size=max_dims).map(tuple)


# ---- penalties: hand values and gradients ------------------------------------------------------------

def test_penalties_by_hand():
    w = np.array([[1.0, -2.0], [0.0, 3.0]])
    assert R.l2_penalty(w, 0.5) == 0.5 * (1 + 4 + 0 + 9)      # no ½: Keras's convention
    assert R.l1_penalty(w, 0.5) == 0.5 * (1 + 2 + 0 + 3)
    np.testing.assert_array_equal(R.l2_penalty_backward(w, 0.5), [[1.0, -2.0], [0.0, 3.0]])  # 2·0.5·w
    np.testing.assert_array_equal(R.l1_penalty_backward(w, 0.5), [[0.5, -0.5], [0.0, 0.5]])  # sign(0) = 0


def test_default_factor_is_kerass_0_01():
    w = np.array([3.0, 4.0])
    assert R.l2_penalty(w) == pytest.approx(0.01 * 25, rel=1e-15)
    assert R.l1_penalty(w) == pytest.approx(0.01 * 7, rel=1e-15)


@SETTINGS
@given(shapes(), st.floats(0, 2), st.integers(0, 2 ** 31))
def test_penalty_gradients_match_central_differences(shape, factor, seed):
    w = np.random.default_rng(seed).normal(size=shape)
    w = np.where(np.abs(w) < 1e-3, 0.5, w)  # away from the kink of |w|
    for penalty, backward in [(R.l2_penalty, R.l2_penalty_backward), (R.l1_penalty, R.l1_penalty_backward)]:
        numeric = numerical_gradient(lambda v: float(penalty(v, factor)), w.copy())
        assert relative_error(backward(w, factor), numeric) < 1e-7 or np.allclose(numeric, 0, atol=1e-9)


def test_sgd_on_the_l2_penalty_is_weight_decay():
    # w − η·2λw = (1 − 2ηλ)w: L2 in the loss under plain SGD shrinks every weight by the same factor
    w, lr, lam = np.array([1.0, -3.0, 0.5]), 0.1, 0.2
    np.testing.assert_allclose(w - lr * R.l2_penalty_backward(w, lam), (1 - 2 * lr * lam) * w, rtol=1e-15)


@pytest.mark.parametrize("function", [R.l2_penalty, R.l2_penalty_backward, R.l1_penalty, R.l1_penalty_backward])
def test_penalties_keep_float32_and_make_integers_float64(function):
    assert function(np.ones((2, 2), np.float32), 0.1).dtype == np.float32
    assert function(np.ones((2, 2), np.int64), 0.1).dtype == np.float64


@pytest.mark.parametrize("function", [R.l2_penalty, R.l1_penalty_backward])
def test_penalties_reject_a_negative_factor_and_non_numbers(function):
    with pytest.raises(ValueError, match="non-negative"):
        function(np.ones(3), -0.1)
    with pytest.raises(TypeError, match="real"):
        function(np.array(["a"]), 0.1)
    with pytest.raises(TypeError, match="real number"):
        function(np.ones(3), "0.1")


# ---- dropout -----------------------------------------------------------------------------------------

def test_dropout_by_hand():
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    mask = np.array([[True, False, True, False]])
    np.testing.assert_array_equal(R.dropout_forward(x, mask, 0.5), [[2.0, 0.0, 6.0, 0.0]])
    np.testing.assert_array_equal(R.dropout_backward(np.ones((1, 4)), mask, 0.5), [[2.0, 0.0, 2.0, 0.0]])
    np.testing.assert_array_equal(R.dropout_forward(x, mask, 0.5, training=False), x)
    np.testing.assert_array_equal(R.dropout_forward(x, None, 0.5, training=False), x)


def test_inverted_dropout_keeps_the_expectation():
    # E[m/(1 − p)] = (1 − p)/(1 − p) = 1: averaged over many masks the output is the input
    rng = np.random.default_rng(0)
    x = np.array([0.5, -2.0, 3.0])
    draws = np.stack([R.dropout_forward(x, R.dropout_mask(x.shape, 0.4, rng), 0.4) for _ in range(20000)])
    np.testing.assert_allclose(draws.mean(axis=0), x, rtol=0.03)
    # and the variance of one unit is x²·p/(1 − p)
    np.testing.assert_allclose(draws.var(axis=0), x ** 2 * 0.4 / 0.6, rtol=0.05)


def test_dropout_rate_one_gives_zeros_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(R.dropout_forward(np.ones((2, 3)), np.zeros((2, 3), bool), 1.0), np.zeros((2, 3)))
        np.testing.assert_array_equal(R.dropout_backward(np.ones((2, 3)), np.zeros((2, 3), bool), 1.0), np.zeros((2, 3)))


def test_dropout_backward_is_the_vjp_of_forward():
    # the forward pass is linear in x for a fixed mask: central differences are exact up to rounding
    rng = np.random.default_rng(1)
    x, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    mask = rng.random((3, 1)) >= 0.3  # a broadcast (noise_shape) mask
    numeric = numerical_gradient(lambda v: float(np.sum(dout * R.dropout_forward(v, mask, 0.3))), x.copy())
    assert relative_error(R.dropout_backward(dout, mask, 0.3), numeric) < 1e-8


def test_dropout_accepts_0_1_masks_and_keeps_float32():
    x = np.ones((2, 2), np.float32)
    out = R.dropout_forward(x, np.array([[1, 0], [0, 1]]), 0.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[2, 0], [0, 2]])


@pytest.mark.parametrize("mask, error, words", [
    (np.ones((3, 2), bool), ValueError, "broadcast"),
    (np.full((2, 3), 0.5), ValueError, "only 0/1"),
    (None, TypeError, "keep mask"),
    (np.array([["a"] * 3] * 2), TypeError, "boolean"),
])
def test_dropout_rejects_a_bad_mask(mask, error, words):
    with pytest.raises(error, match=words):
        R.dropout_forward(np.ones((2, 3)), mask, 0.5)


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_dropout_rejects_a_rate_outside_0_1(rate):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        R.dropout_backward(np.ones(3), np.ones(3, bool), rate)


def test_dropout_training_must_be_a_bool():
    with pytest.raises(TypeError, match="True or False"):
        R.dropout_forward(np.ones(3), np.ones(3, bool), 0.5, training="no")


# ---- batch normalization -------------------------------------------------------------------------------

def test_batchnorm_by_hand():
    # one feature [1, 3]: μ = 2, σ² = 1 (biased), ε = 0 would give x̂ = [−1, 1]; with ε = 1e-3, x̂ = ±1/√1.001
    x = np.array([[1.0], [3.0]])
    y, mean, var = R.batchnorm_forward(x, np.array([2.0]), np.array([0.5]), np.array([0.0]), np.array([1.0]), momentum=0.9)
    np.testing.assert_allclose(y, [[0.5 - 2 / np.sqrt(1.001)], [0.5 + 2 / np.sqrt(1.001)]], rtol=1e-15)
    np.testing.assert_allclose(mean, [0.1 * 2.0], rtol=1e-15)           # 0.9·0 + 0.1·μ
    np.testing.assert_allclose(var, [0.9 * 1.0 + 0.1 * 1.0], rtol=1e-15)  # 0.9·1 + 0.1·σ²


def test_batchnorm_output_has_beta_mean_and_gamma_scale_per_feature():
    rng = np.random.default_rng(2)
    x = reference._features(rng, (50, 3, 3, 4))
    gamma, beta = np.array([1.0, 2.0, -0.5, 3.0]), np.array([0.0, 1.0, -1.0, 2.0])
    y, _, _ = R.batchnorm_forward(x, gamma, beta, np.zeros(4), np.ones(4), epsilon=1e-12)
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), beta, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=(0, 1, 2)), np.abs(gamma), rtol=1e-9)


def test_batchnorm_inference_uses_and_returns_the_moving_statistics():
    rng = np.random.default_rng(3)
    x, mm, mv = rng.normal(size=(5, 2)), np.array([1.0, -1.0]), np.array([4.0, 0.25])
    y, mean, var = R.batchnorm_forward(x, np.ones(2), np.zeros(2), mm, mv, training=False, epsilon=1e-12)
    np.testing.assert_allclose(y, (x - mm) / np.sqrt(mv), rtol=1e-10)
    np.testing.assert_array_equal(mean, mm)
    np.testing.assert_array_equal(var, mv)
    assert mean is not mm and var is not mv


def test_repeated_training_steps_move_the_moving_statistics_to_the_data_statistics():
    rng = np.random.default_rng(4)
    data = rng.normal(3.0, 2.0, size=(5000, 1))
    mean, var = np.zeros(1), np.ones(1)
    for batch in np.split(data, 500):
        _, mean, var = R.batchnorm_forward(batch, np.ones(1), np.zeros(1), mean, var, momentum=0.99)
    assert mean[0] == pytest.approx(3.0, abs=0.1)
    assert var[0] == pytest.approx(4.0 * 9 / 10, rel=0.15)  # the average *biased* variance of batches of 10


@SETTINGS
@given(st.sampled_from([(4, 3), (2, 5), (3, 2, 2, 3), (2, 3, 4)]), st.integers(0, 2 ** 31))
def test_batchnorm_backward_matches_central_differences(shape, seed):
    rng = np.random.default_rng(seed)
    x, dout = reference._features(rng, shape), rng.normal(size=shape)
    gamma, beta = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
    c = shape[-1]
    loss = lambda x, g, b: float(np.sum(dout * R.batchnorm_forward(x, g, b, np.zeros(c), np.ones(c))[0]))  # noqa: E731
    dx, dgamma, dbeta = R.batchnorm_backward(dout, x, gamma)
    assert agrees(dx, numerical_gradient(lambda v: loss(v, gamma, beta), x.copy()))
    assert agrees(dgamma, numerical_gradient(lambda v: loss(x, v, beta), gamma.copy()))
    assert agrees(dbeta, numerical_gradient(lambda v: loss(x, gamma, v), beta.copy()))


def test_batchnorm_dx_sums_to_zero_per_feature():
    # y depends on x only through x − μ: shifting a feature's batch leaves y alone, so Σ dx = 0 per feature
    rng = np.random.default_rng(5)
    x, dout = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    dx, _, _ = R.batchnorm_backward(dout, x, rng.normal(size=3))
    np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-12)


def test_batchnorm_keeps_float32_and_rejects_mismatched_features():
    x = np.ones((4, 3), np.float32)
    c32 = np.ones(3, np.float32)
    assert {a.dtype for a in R.batchnorm_forward(x, c32, c32, c32, c32)} == {np.dtype(np.float32)}
    assert {a.dtype for a in R.batchnorm_backward(x, x, c32)} == {np.dtype(np.float32)}
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        R.batchnorm_forward(x, np.ones(4), c32, c32, c32)
    with pytest.raises(ValueError, match="at least 2 dimension"):
        R.batchnorm_forward(np.ones(3), c32, c32, c32, c32)
    with pytest.raises(ValueError, match="momentum"):
        R.batchnorm_forward(x, c32, c32, c32, c32, momentum=1.5)
    with pytest.raises(ValueError, match="epsilon must be positive"):
        R.batchnorm_backward(x, x, c32, epsilon=0)
    with pytest.raises(ValueError, match="dout must have the shape of x"):
        R.batchnorm_backward(np.ones((4, 2)), x, c32)


# ---- layer normalization -------------------------------------------------------------------------------

def test_layernorm_normalizes_each_example_and_ignores_the_rest_of_the_batch():
    rng = np.random.default_rng(6)
    x = reference._features(rng, (5, 8))
    gamma, beta = rng.normal(size=8), rng.normal(size=8)
    y = R.layernorm_forward(x, gamma, beta)
    np.testing.assert_allclose(y[2], R.layernorm_forward(x[2], gamma, beta), rtol=1e-14)
    plain = R.layernorm_forward(x, np.ones(8), np.zeros(8), epsilon=1e-12)
    np.testing.assert_allclose(plain.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(plain.std(axis=-1), 1, rtol=1e-9)


def test_batchnorm_in_training_does_depend_on_the_rest_of_the_batch():
    rng = np.random.default_rng(7)
    x, ones, zeros = rng.normal(size=(6, 3)), np.ones(3), np.zeros(3)
    alone = R.batchnorm_forward(x[:3], ones, zeros, zeros, ones)[0][0]
    together = R.batchnorm_forward(x, ones, zeros, zeros, ones)[0][0]
    assert not np.allclose(alone, together)


@SETTINGS
@given(st.sampled_from([(5,), (3, 4), (2, 3, 5), (1, 2)]), st.integers(0, 2 ** 31))
def test_layernorm_backward_matches_central_differences(shape, seed):
    rng = np.random.default_rng(seed)
    x, dout = reference._features(rng, shape), rng.normal(size=shape)
    gamma, beta = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
    loss = lambda x, g: float(np.sum(dout * R.layernorm_forward(x, g, beta)))  # noqa: E731
    dx, dgamma, dbeta = R.layernorm_backward(dout, x, gamma)
    assert agrees(dx, numerical_gradient(lambda v: loss(v, gamma), x.copy()))
    assert agrees(dgamma, numerical_gradient(lambda v: loss(x, v), gamma.copy()))
    np.testing.assert_allclose(dbeta, dout.reshape(-1, shape[-1]).sum(axis=0), rtol=1e-12)


def test_layernorm_keeps_float32_and_rejects_mismatched_features():
    x, d32 = np.ones((2, 3), np.float32), np.ones(3, np.float32)
    assert R.layernorm_forward(x, d32, d32).dtype == np.float32
    assert {a.dtype for a in R.layernorm_backward(x, x, d32)} == {np.dtype(np.float32)}
    with pytest.raises(ValueError, match=r"beta must have shape \(3,\)"):
        R.layernorm_forward(x, d32, np.ones(2))


# ---- early stopping ------------------------------------------------------------------------------------

@pytest.mark.parametrize("curve, kwargs, expected", [
    # best at epoch 1; epochs 2, 3 don't improve: with patience 2 the wait reaches 2 at epoch 3 → 4 epochs ran
    ([0.5, 0.4, 0.45, 0.41, 0.3], {"patience": 2}, (4, 3)),
    ([0.5, 0.4, 0.45, 0.41, 0.3], {"patience": 2, "restore_best_weights": True}, (4, 1)),
    # patience 0 and 1 alike: stop at the first epoch without an improvement
    ([0.5, 0.4, 0.45, 0.3], {"patience": 0}, (3, 2)),
    ([0.5, 0.4, 0.45, 0.3], {"patience": 1}, (3, 2)),
    # equal is not better
    ([0.5, 0.5], {"patience": 1, "restore_best_weights": True}, (2, 0)),
    # 0.5 → 0.375 improves by exactly min_delta: not more than it, so no improvement
    ([0.5, 0.375, 0.25], {"patience": 1, "min_delta": 0.125}, (2, 1)),
    ([0.5, 0.375, 0.25], {"patience": 2, "min_delta": 0.125, "restore_best_weights": True}, (3, 2)),
    # never stopped: every epoch ran; with restore the best epoch's weights come back anyway (Keras 3)
    ([1.0, 0.5, 0.75, 0.625], {"patience": 5, "restore_best_weights": True}, (4, 1)),
    ([1.0, 0.5, 0.75, 0.625], {"patience": 5}, (4, 3)),
    ([0.7], {"patience": 0, "restore_best_weights": True}, (1, 0)),
])
def test_early_stopping_by_hand(curve, kwargs, expected):
    assert R.early_stopping(np.array(curve), **kwargs) == expected


@SETTINGS
@given(st.lists(st.integers(0, 40), min_size=1, max_size=30), st.integers(0, 6), st.booleans())
def test_early_stopping_invariants(values, patience, restore):
    curve = np.array(values) / 8
    epochs_run, weights_epoch = R.early_stopping(curve, patience=patience, restore_best_weights=restore)
    assert 1 <= epochs_run <= len(curve) and 0 <= weights_epoch < epochs_run
    seen = curve[:epochs_run]
    if restore:  # min_delta 0: the restored epoch is the first minimum of what ran
        assert weights_epoch == int(np.argmin(seen))
    else:
        assert weights_epoch == epochs_run - 1
    if epochs_run < len(curve):  # it stopped: the last max(patience, 1) epochs did not beat the best before them
        best_before = seen[:epochs_run - max(patience, 1)].min()
        assert seen[epochs_run - max(patience, 1):].min() >= best_before


@pytest.mark.parametrize("kwargs, error, words", [
    ({"val_losses": [[0.1, 0.2]]}, ValueError, "1-D"),
    ({"val_losses": []}, ValueError, "1-D"),
    ({"val_losses": [0.3, np.nan]}, ValueError, "finite"),
    ({"val_losses": [0.3], "patience": 1.5}, TypeError, "int"),
    ({"val_losses": [0.3], "patience": -1}, ValueError, ">= 0"),
    ({"val_losses": [0.3], "min_delta": -0.1}, ValueError, "non-negative"),
    ({"val_losses": [0.3], "restore_best_weights": 1}, TypeError, "True or False"),
])
def test_early_stopping_rejects_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        R.early_stopping(**kwargs)


def test_no_function_changes_its_inputs():
    rng = np.random.default_rng(8)
    x, dout, mask = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.random((4, 3)) > 0.5
    g, b, mm, mv = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3), rng.uniform(1, 2, 3)
    arrays = [x, dout, mask, g, b, mm, mv]
    before = [a.copy() for a in arrays]
    R.l2_penalty(x), R.l2_penalty_backward(x), R.l1_penalty(x), R.l1_penalty_backward(x)
    R.dropout_forward(x, mask, 0.3), R.dropout_backward(dout, mask, 0.3)
    R.batchnorm_forward(x, g, b, mm, mv), R.batchnorm_forward(x, g, b, mm, mv, training=False)
    R.batchnorm_backward(dout, x, g), R.layernorm_forward(x, g, b), R.layernorm_backward(dout, x, g)
    R.early_stopping(x[:, 0], patience=1)
    for a, b_ in zip(arrays, before):
        np.testing.assert_array_equal(a, b_)


# ---- the chapter's mistakes, as the learner and the grader see them -------------------------------------

def learner_07(tmp, bodies: dict[str, str] | None = None):
    """A 07_regularization learner folder: every solution in place except ``bodies`` (function → wrong body)."""
    editions.write_student_package(CHAPTER, tmp)
    (tmp / "dlmath" / "regularization.py").write_text(demo.solved_module("regularization", bodies, CHAPTER),
                                                      encoding="utf-8")
    return tmp


# every typical mistake of the references (the hints the checks print), and a few the issue names by hand
MISTAKES = {
    **{f"{name}: {hint[:50]}": (name, body, hint[:60]) for name, pairs in reference.MISTAKES.items()
       for hint, body in pairs},
    "l1 gradient as w / |w| (NaN at 0)": ("l1_penalty_backward", "return l1 * w / np.abs(w)", "use np.sign(w)"),
    "dropout divides by zero at rate 1": ("dropout_forward",
                                          "if not training:\n    return x.copy()\nreturn x * mask / (1 - rate)",
                                          "return zeros, as Keras does"),
    "batch-norm statistics per example (axis 1)": (
        "batchnorm_forward", "mean, variance = x.mean(axis=1), x.var(axis=1)\n"
                             "return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta, mean, variance",
        "reduce over every axis but the last"),
    "early stopping returns one number": ("early_stopping", "return len(val_losses)",
                                          "Return the tuple (epochs_run, weights_epoch)"),
}


@pytest.mark.parametrize("label", MISTAKES)
def test_check_names_the_typical_mistake(tmp_path, label):
    name, body, hint = MISTAKES[label]
    done = run_python(["-m", "dlmath", "check", name], learner_07(tmp_path, {name: body}))
    assert done.returncode == 1, done.stdout
    assert f"✗ dlmath.regularization.{name}" in done.stdout, done.stdout
    assert hint in done.stdout, done.stdout


def test_check_passes_the_solved_chapter(tmp_path):
    done = run_python(["-m", "dlmath", "check", CHAPTER], learner_07(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "11/11 functions pass all their checks" in done.stdout


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_costs_only_its_own_function(tmp_path, student):
    scores = {name: v.score for name, v in judge_submission(CHAPTER, learner_07(tmp_path, reference.CLASS[student])).items()}
    full = {g.name: g.points for g in chapters.get(CHAPTER).graded}
    lost = {name for name in full if scores[name] < full[name]}
    assert lost == reference.EXPECTED_LOSSES[student], scores


def test_the_solved_chapter_gets_full_marks_from_the_judge(tmp_path):
    verdicts = judge_submission(CHAPTER, learner_07(tmp_path))
    assert {name: v.score for name, v in verdicts.items()} == {g.name: g.points for g in chapters.get(CHAPTER).graded}
