"""dlmath.losses without TensorFlow: hand-derived values, invariants, finite differences, stability, validation.

Expected values here come from hand derivations (log 2, the Gaussian and Bernoulli likelihoods),
identities between the losses (BCE on σ(z) = BCE with logits where the clip is inactive; the
sparse loss = the categorical loss on one-hot targets) and central finite differences — never
from the function under test alone.
"""
from __future__ import annotations

import re
import types
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlmath import losses as L
from grading import editions

LOSSES = ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "categorical_cross_entropy",
          "categorical_cross_entropy_with_logits", "sparse_categorical_cross_entropy_with_logits"]
PROBABILITY_LOSSES = ["binary_cross_entropy", "categorical_cross_entropy"]


def inputs(loss, shape, rng, dtype=np.float64):
    """Valid (target, prediction) for ``loss`` with prediction shape ``shape``."""
    if loss == "mse":
        y, p = rng.normal(0, 2, shape), rng.normal(0, 2, shape)
    elif loss == "binary_cross_entropy":
        y, p = rng.uniform(0, 1, shape), rng.uniform(0.01, 0.99, shape)
    elif loss == "binary_cross_entropy_with_logits":
        y, p = rng.uniform(0, 1, shape), rng.normal(0, 4, shape)
    elif loss == "categorical_cross_entropy":
        y, p = rng.dirichlet(np.ones(shape[-1]), shape[:-1]), rng.uniform(0.01, 1.0, shape)
    elif loss == "categorical_cross_entropy_with_logits":
        y, p = rng.dirichlet(np.ones(shape[-1]), shape[:-1]), rng.normal(0, 4, shape)
    else:
        return rng.integers(0, shape[-1], shape[:-1]), rng.normal(0, 4, shape).astype(dtype)
    return y.astype(dtype), p.astype(dtype)


def no_warnings(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


# ---- hand-derived values ---------------------------------------------------------------------------

def test_mse_by_hand():
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    p = np.array([[1.5, 2.0], [1.0, 4.0]])
    assert L.mse(y, p) == pytest.approx((0.25 + 0 + 4 + 0) / 4)
    np.testing.assert_allclose(L.mse_backward(y, p), [[2 * 0.5 / 4, 0], [2 * -2 / 4, 0]])


def test_mse_is_the_gaussian_negative_log_likelihood_up_to_constants():
    # −log N(y; ŷ, σ²) = (y − ŷ)²/(2σ²) + ½ log(2πσ²): with σ² = ½ the mean NLL is MSE + ½ log π
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    sigma2 = 0.5
    nll = np.mean((y - p) ** 2 / (2 * sigma2) + 0.5 * np.log(2 * np.pi * sigma2))
    assert L.mse(y, p) == pytest.approx(nll - 0.5 * np.log(np.pi), rel=1e-12)


def test_bce_by_hand():
    assert L.binary_cross_entropy([[1.0, 0.0]], [[0.5, 0.5]]) == pytest.approx(np.log(2), rel=1e-12)
    assert L.binary_cross_entropy([[1.0, 0.0]], [[0.8, 0.4]]) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2, rel=1e-12)
    assert L.binary_cross_entropy_with_logits([[1.0, 0.0]], [[0.0, 0.0]]) == pytest.approx(np.log(2), rel=1e-12)


def test_bce_is_the_bernoulli_negative_log_likelihood():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, (6, 4)).astype(float)
    p = rng.uniform(0.05, 0.95, (6, 4))
    likelihood = np.where(y == 1, p, 1 - p)  # P(y | p) for a Bernoulli variable
    assert L.binary_cross_entropy(y, p) == pytest.approx(-np.mean(np.log(likelihood)), rel=1e-12)


def test_cce_by_hand():
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.2, 0.5, 0.3], [0.25, 0.25, 0.5]])
    assert L.categorical_cross_entropy(y, p) == pytest.approx(-(np.log(0.5) + np.log(0.25)) / 2, rel=1e-12)
    z = np.log(p)  # softmax(log p) = p when p sums to 1
    assert L.categorical_cross_entropy_with_logits(y, z) == pytest.approx(-(np.log(0.5) + np.log(0.25)) / 2, rel=1e-12)
    assert L.sparse_categorical_cross_entropy_with_logits([1, 0], z) == pytest.approx(-(np.log(0.5) + np.log(0.25)) / 2, rel=1e-12)


def test_softmax_cross_entropy_gradient_is_p_minus_y_over_n():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(L.categorical_cross_entropy_with_logits_backward(y, z), (p - y) / 2, rtol=1e-13)
    np.testing.assert_allclose(L.binary_cross_entropy_with_logits_backward([[1.0, 0.0]], [[0.0, 0.0]]), [[-0.25, 0.25]])


# ---- identities between the losses -----------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_bce_on_sigmoid_equals_bce_with_logits_where_the_clip_is_inactive(shape, seed):
    rng = np.random.default_rng(seed)
    y, z = rng.uniform(0, 1, shape), rng.uniform(-10, 10, shape)
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(L.binary_cross_entropy(y, p), L.binary_cross_entropy_with_logits(y, z), rtol=1e-9)
    # chain rule: ∂L/∂z = ∂L/∂p · σ'(z)
    np.testing.assert_allclose(L.binary_cross_entropy_backward(y, p) * p * (1 - p),
                               L.binary_cross_entropy_with_logits_backward(y, z), rtol=1e-8, atol=1e-15)


@settings(max_examples=50, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), seed=st.integers(0, 2**32 - 1))
def test_sparse_equals_categorical_on_one_hot_targets(shape, seed):
    rng = np.random.default_rng(seed)
    labels, z = inputs("sparse_categorical_cross_entropy_with_logits", shape, rng)
    one_hot = np.eye(shape[-1])[labels]
    np.testing.assert_allclose(L.sparse_categorical_cross_entropy_with_logits(labels, z),
                               L.categorical_cross_entropy_with_logits(one_hot, z), rtol=1e-13)
    np.testing.assert_allclose(L.sparse_categorical_cross_entropy_with_logits_backward(labels, z),
                               L.categorical_cross_entropy_with_logits_backward(one_hot, z), rtol=1e-13, atol=1e-17)


@settings(max_examples=50, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_categorical_on_softmax_equals_categorical_with_logits_where_the_clip_is_inactive(shape, seed):
    assume(shape[-1] >= 2)  # with one class p = 1 sits in the clip
    rng = np.random.default_rng(seed)
    y, z = rng.dirichlet(np.ones(shape[-1]), shape[:-1]), rng.uniform(-3, 3, shape)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(L.categorical_cross_entropy(y, p), L.categorical_cross_entropy_with_logits(y, z), rtol=1e-9)


@settings(max_examples=50, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), scale=st.floats(0.01, 1.0))  # probabilities must stay in [0, 1]
def test_cce_on_probabilities_is_scale_invariant_and_its_gradient_is_orthogonal_to_p(shape, seed, scale):
    # L depends on ŷ only through ŷ/Σŷ, so L(cŷ) = L(ŷ) and Σ_j ŷ_j ∂L/∂ŷ_j = 0 (Euler, degree 0)
    rng = np.random.default_rng(seed)
    y, p = inputs("categorical_cross_entropy", shape, rng)
    np.testing.assert_allclose(L.categorical_cross_entropy(y, scale * p), L.categorical_cross_entropy(y, p), rtol=1e-12)
    gradient = L.categorical_cross_entropy_backward(y, p)
    np.testing.assert_allclose(np.sum(gradient * p, axis=-1), 0, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_softmax_cross_entropy_gradient_rows_sum_to_zero(shape, seed):
    rng = np.random.default_rng(seed)
    for loss in ["categorical_cross_entropy_with_logits", "sparse_categorical_cross_entropy_with_logits"]:
        y, z = inputs(loss, shape, rng)
        gradient = getattr(L, loss + "_backward")(y, z)
        np.testing.assert_allclose(gradient.sum(axis=-1), 0, atol=1e-15)


# ---- gradients against central finite differences ------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 2, 3)])
@pytest.mark.parametrize("loss", LOSSES)
def test_backward_matches_central_differences(loss, shape):
    rng = np.random.default_rng(42)
    y, p = inputs(loss, shape, rng)
    if loss in PROBABILITY_LOSSES:
        p = np.clip(p, 0.05, 0.95)  # stay away from the clip's corners
    forward, backward = getattr(L, loss), getattr(L, loss + "_backward")
    h = 1e-6
    numeric = np.zeros_like(p)
    for index in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (forward(y, up) - forward(y, down)) / (2 * h)
    np.testing.assert_allclose(backward(y, p), numeric, rtol=1e-5, atol=1e-9)


def test_bce_gradient_is_zero_where_the_clip_is_active_by_finite_differences():
    y = np.array([[1.0, 0.0, 1.0, 0.0]])
    p = np.array([[0.0, 0.0, 1.0, 1.0]])
    h = 1e-9  # the loss is flat on [0, ε) and (1 − ε, 1]
    for i in range(4):
        step = np.zeros_like(p)
        step[0, i] = h if p[0, i] == 0 else -h
        assert L.binary_cross_entropy(y, p + step) == L.binary_cross_entropy(y, p)
    np.testing.assert_array_equal(L.binary_cross_entropy_backward(y, p), 0.0)


# ---- shapes, dtypes, stability -------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.float32, np.float64]),
       loss=st.sampled_from(LOSSES))
def test_losses_are_scalars_and_gradients_have_the_prediction_shape_and_dtype(shape, seed, dtype, loss):
    y, p = inputs(loss, shape, np.random.default_rng(seed), dtype)
    value = no_warnings(lambda: getattr(L, loss)(y, p))
    gradient = no_warnings(lambda: getattr(L, loss + "_backward")(y, p))
    assert np.ndim(value) == 0 and np.asarray(value).dtype == dtype
    assert gradient.shape == p.shape and gradient.dtype == dtype
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    if loss != "mse":
        assert value >= -1e-6  # cross-entropies are non-negative (up to rounding)


@pytest.mark.parametrize("loss", ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_integer_inputs_become_float64(loss):
    value = getattr(L, loss)(np.array([[1, 0]]), np.array([[1, 0]]))
    gradient = getattr(L, loss + "_backward")(np.array([[1, 0]]), np.array([[1, 0]]))
    assert np.asarray(value).dtype == np.float64 and gradient.dtype == np.float64


EXTREME_LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1e300, -1e300, 0.0]])
EXTREME_PROBABILITIES = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", LOSSES)
def test_finite_and_warning_free_at_extremes(loss, dtype):
    targets = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype)
    if loss in PROBABILITY_LOSSES:
        prediction = EXTREME_PROBABILITIES.astype(dtype)
    else:
        logits = EXTREME_LOGITS if dtype == np.float64 else np.array([[1000, -1000, 0], [-1000, -1000, -1000], [1e30, -1e30, 0]])
        prediction = (logits if loss != "mse" else np.clip(logits, -1000, 1000)).astype(dtype)  # MSE squares
    if loss == "sparse_categorical_cross_entropy_with_logits":
        targets = np.array([2, 0, 1])
    value = no_warnings(lambda: getattr(L, loss)(targets, prediction))
    gradient = no_warnings(lambda: getattr(L, loss + "_backward")(targets, prediction))
    assert np.isfinite(value) and np.all(np.isfinite(gradient))


def test_extreme_logit_losses_are_exact_not_capped():
    assert L.binary_cross_entropy_with_logits([[0.0]], [[1000.0]]) == 1000.0
    assert L.categorical_cross_entropy_with_logits([[0.0, 0.0, 1.0]], [[1000.0, 0.0, -1000.0]]) == 2000.0
    assert L.sparse_categorical_cross_entropy_with_logits([2], [[1000.0, 0.0, -1000.0]]) == 2000.0


@pytest.mark.parametrize("loss", LOSSES)
def test_inputs_are_not_modified(loss):
    y, p = inputs(loss, (3, 4), np.random.default_rng(0))
    y0, p0 = y.copy(), p.copy()
    getattr(L, loss)(y, p)
    getattr(L, loss + "_backward")(y, p)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)


# ---- validation --------------------------------------------------------------------------------------------

def both(loss):
    """The loss and its backward function."""
    return [getattr(L, loss), getattr(L, loss + "_backward")]


PAIR_LOSSES = [f for loss in LOSSES[:-1] for f in both(loss)]
ALL = [f for loss in LOSSES for f in both(loss)]


@pytest.mark.parametrize("function", PAIR_LOSSES, ids=lambda f: f.__name__)
def test_mismatched_shapes_raise_value_error_naming_both_shapes(function):
    pred = "logits" if "logits" in function.__name__ else "y_pred"
    expected = f"y_true must have the same shape as {pred}: got y_true.shape = (3, 2), {pred}.shape = (2, 3)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        function(np.full((3, 2), 0.5), np.full((2, 3), 0.5))


@pytest.mark.parametrize("function", PAIR_LOSSES, ids=lambda f: f.__name__)
def test_zero_dimensional_prediction_raises(function):
    with pytest.raises(ValueError, match="must have at least one dimension"):
        function(1.0, 0.5)


@pytest.mark.parametrize("function", PAIR_LOSSES, ids=lambda f: f.__name__)
def test_empty_prediction_raises(function):
    with pytest.raises(ValueError, match="has no elements"):
        function(np.ones((0, 3)), np.ones((0, 3)))


@pytest.mark.parametrize("function", ALL, ids=lambda f: f.__name__)
def test_non_numeric_prediction_raises_type_error(function):
    y = np.array([0]) if "sparse" in function.__name__ else np.array([1.0])
    with pytest.raises(TypeError, match="must hold real numbers"):
        function(y, np.array(["a"]))


@pytest.mark.parametrize("bad", [-0.1, 1.5, np.nan])
@pytest.mark.parametrize("function", [f for loss in PROBABILITY_LOSSES for f in both(loss)], ids=lambda f: f.__name__)
def test_probabilities_outside_the_unit_interval_are_rejected_with_a_pointer_to_logits(function, bad):
    p = np.array([[0.2, bad, 0.3]])
    with pytest.raises(ValueError, match=r"y_pred must hold values in \[0, 1\].*for logits use .*_with_logits"):
        function(np.array([[0.0, 1.0, 0.0]]), p)


@pytest.mark.parametrize("function", PAIR_LOSSES[2:], ids=lambda f: f.__name__)
def test_targets_outside_the_unit_interval_are_rejected(function):
    with pytest.raises(ValueError, match=r"y_true must hold values in \[0, 1\], got 2\.0 at index \(0, 1\)"):
        function(np.array([[0.0, 2.0, 0.0]]), np.array([[0.2, 0.5, 0.3]]))


@pytest.mark.parametrize("function", [f for loss in LOSSES[3:5] for f in both(loss)], ids=lambda f: f.__name__)
def test_categorical_targets_must_sum_to_one(function):
    with pytest.raises(ValueError, match=r"the row at index \(1,\) sums to 0\.5"):
        function(np.array([[0.0, 1.0], [0.25, 0.25]]), np.array([[0.5, 0.5], [0.5, 0.5]]))
    function(np.array([[0.0, 1.0], [0.5, 0.50005]]), np.array([[0.5, 0.5], [0.5, 0.5]]))  # within 1e-4: accepted


@pytest.mark.parametrize("function", both("categorical_cross_entropy"), ids=lambda f: f.__name__)
def test_all_zero_prediction_row_cannot_be_normalised(function):
    with pytest.raises(ValueError, match=r"y_pred's row at index \(1,\) is all zeros"):
        function(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[0.5, 0.5], [0.0, 0.0]]))


@pytest.mark.parametrize("epsilon", [0.0, -1e-7, 0.5, 1.0])
@pytest.mark.parametrize("function", [f for loss in PROBABILITY_LOSSES for f in both(loss)], ids=lambda f: f.__name__)
def test_epsilon_must_lie_between_0_and_one_half(function, epsilon):
    with pytest.raises(ValueError, match="epsilon must lie strictly between 0 and 0.5"):
        function(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]]), epsilon=epsilon)


SPARSE = both("sparse_categorical_cross_entropy_with_logits")


@pytest.mark.parametrize("labels", [np.array([0.0, 1.0]), np.array([True, False]), [0.5, 1.0], "ab", None, 1.0])
@pytest.mark.parametrize("function", SPARSE, ids=lambda f: f.__name__)
def test_sparse_labels_must_be_integers(function, labels):
    with pytest.raises(TypeError, match="labels must be integer class indices"):
        function(labels, np.zeros((2, 3)))


@pytest.mark.parametrize("function", SPARSE, ids=lambda f: f.__name__)
def test_float_labels_error_points_to_the_categorical_loss(function):
    with pytest.raises(TypeError, match="one-hot targets go to categorical_cross_entropy_with_logits"):
        function(np.eye(3), np.zeros((3, 3)))


@pytest.mark.parametrize(("labels_shape", "logits_shape"), [((3,), (2, 3)), ((2, 1), (2, 3)), ((2, 3), (2, 3)), ((), (2, 3))])
@pytest.mark.parametrize("function", SPARSE, ids=lambda f: f.__name__)
def test_sparse_labels_must_have_the_logits_shape_without_the_class_axis(function, labels_shape, logits_shape):
    expected = f"labels must have shape logits.shape[:-1] = {logits_shape[:-1]} (one class index per sample), got labels.shape = {labels_shape}"
    with pytest.raises(ValueError, match=re.escape(expected)):
        function(np.zeros(labels_shape, dtype=int), np.zeros(logits_shape))


@pytest.mark.parametrize("label", [-1, 3, 100])
@pytest.mark.parametrize("function", SPARSE, ids=lambda f: f.__name__)
def test_sparse_labels_must_be_valid_class_indices(function, label):
    expected = f"labels must lie in 0 .. 2 (logits has 3 classes), got {label} at index (1,)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        function(np.array([0, label]), np.zeros((2, 3)))


@pytest.mark.parametrize("function", SPARSE, ids=lambda f: f.__name__)
def test_sparse_logits_need_a_class_axis(function):
    with pytest.raises(ValueError, match=r"logits must have a last axis of classes, got shape \(\)"):
        function(np.array(0), np.float64(1.0))


# ---- the student edition keeps the validation ---------------------------------------------------------

@pytest.fixture(scope="module")
def student_losses():
    """dlmath.losses as the 04_losses release ships it: validation kept, bodies stubbed."""
    source = (editions.chapters.PACKAGE_DIR / "losses.py").read_text(encoding="utf-8")
    module = types.ModuleType("student_losses")
    exec(compile(editions.student_source(source, "losses", "04_losses", "losses.py"), "losses.py", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("loss", LOSSES)
def test_student_edition_validates_then_raises_not_implemented_naming_the_section(student_losses, loss):
    y, p = inputs(loss, (2, 3), np.random.default_rng(0))
    for name in (loss, loss + "_backward"):
        function = getattr(student_losses, name)
        with pytest.raises(NotImplementedError, match=rf"dlmath\.losses\.{name} is not implemented yet — see 04_losses §\d"):
            function(y, p)
        with pytest.raises(ValueError, match="must have"):
            function(y[:1], p)


# ---- Huber and the multi-class hinge (second edition) -----------------------------------------------------

def test_huber_by_hand():
    # errors −3, −0.5, 0, 0.5, 3 with δ = 1: ½·0.25 = 0.125 inside, 1·3 − ½ = 2.5 outside
    y, p = np.zeros(5), np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    assert L.huber(y, p) == pytest.approx((2.5 + 0.125 + 0 + 0.125 + 2.5) / 5)
    np.testing.assert_allclose(L.huber_backward(y, p), np.array([-1.0, -0.5, 0.0, 0.5, 1.0]) / 5)
    # δ = 2: every error inside but ±3; 2·3 − ½·4 = 4
    assert L.huber(y, p, delta=2.0) == pytest.approx((4 + 0.125 + 0 + 0.125 + 4) / 5)


def test_huber_is_half_mse_for_large_delta_and_continuous_at_delta():
    rng = np.random.default_rng(1)
    y, p = rng.normal(0, 3, (4, 5)), rng.normal(0, 3, (4, 5))
    assert L.huber(y, p, delta=1e6) == pytest.approx(L.mse(y, p) / 2, rel=1e-14)
    np.testing.assert_allclose(L.huber_backward(y, p, delta=1e6), L.mse_backward(y, p) / 2, rtol=1e-14)
    for delta in (0.5, 1.0, 2.0):  # the two pieces meet at |x| = δ: ½δ² = δ·δ − ½δ²
        just_in, just_out = L.huber([0.0], [delta]), L.huber([0.0], [np.nextafter(delta, np.inf)])
        assert L.huber([0.0], [delta], delta=delta) == pytest.approx(0.5 * delta ** 2)
        assert abs(just_out - just_in) < 1e-12


def test_huber_gradient_is_the_clipped_error():
    x = np.linspace(-4, 4, 81)
    np.testing.assert_array_equal(L.huber_backward(np.zeros_like(x), x, delta=1.5), np.clip(x, -1.5, 1.5) / x.size)


def test_multiclass_hinge_by_hand():
    y = np.eye(3)[[0, 1, 2]]
    s = np.array([[2.0, 1.5, -1.0],    # margin 1 + 1.5 − 2 = 0.5
                  [0.0, 3.0, 1.0],     # 1 + 1 − 3 = −1: loss 0
                  [0.0, 0.0, 0.0]])    # 1 + 0 − 0 = 1, the two wrong classes tie
    assert L.multiclass_hinge(y, s) == pytest.approx((0.5 + 0 + 1) / 3)
    expected = np.array([[-1, 1, 0], [0, 0, 0], [0.5, 0.5, -1]]) / 3   # a tie splits the +1
    np.testing.assert_allclose(L.multiclass_hinge_backward(y, s), expected, rtol=0, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(leading=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=5), classes=st.integers(3, 6),
       seed=st.integers(0, 2**32 - 1))
def test_multiclass_hinge_equals_sklearns_crammer_singer_hinge_loss(leading, classes, seed):
    # (with two classes scikit-learn switches to the binary hinge on a 1-D decision function)
    from sklearn.metrics import hinge_loss
    shape = leading + (classes,)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, shape[-1], shape[:-1])
    scores = rng.normal(0, 2, shape)
    expected = hinge_loss(labels.ravel(), scores.reshape(-1, shape[-1]), labels=np.arange(shape[-1]))
    assert L.multiclass_hinge(np.eye(shape[-1])[labels], scores) == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_multiclass_hinge_is_zero_exactly_when_every_margin_is_met():
    y = np.eye(4)[[0, 3]]
    s = np.array([[3.0, 1.9, 0.0, -5.0], [0.0, 0.0, 0.5, 1.6]])
    assert L.multiclass_hinge(y, s) == 0.0
    np.testing.assert_array_equal(L.multiclass_hinge_backward(y, s), 0.0)


NEW_LOSSES = ["huber", "multiclass_hinge"]


def new_inputs(loss, shape, rng, dtype=np.float64):
    if loss == "huber":
        return rng.normal(0, 2, shape).astype(dtype), rng.normal(0, 2, shape).astype(dtype)
    return np.eye(shape[-1], dtype=dtype)[rng.integers(0, shape[-1], shape[:-1])], rng.normal(0, 2, shape).astype(dtype)


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 2, 3)])
@pytest.mark.parametrize("loss", NEW_LOSSES)
def test_new_backward_matches_central_differences(loss, shape):
    y, p = new_inputs(loss, shape, np.random.default_rng(7))
    for delta in ((0.7, 1.0) if loss == "huber" else (None,)):
        kwargs = {"delta": delta} if delta else {}
        forward, backward = getattr(L, loss), getattr(L, loss + "_backward")
        h, numeric = 1e-6, np.zeros_like(p)
        for index in np.ndindex(p.shape):   # random normal scores: no tie and no margin within h of 0
            up, down = p.copy(), p.copy()
            up[index] += h
            down[index] -= h
            numeric[index] = (forward(y, up, **kwargs) - forward(y, down, **kwargs)) / (2 * h)
        np.testing.assert_allclose(backward(y, p, **kwargs), numeric, rtol=1e-5, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=5), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.float32, np.float64]), loss=st.sampled_from(NEW_LOSSES))
def test_new_losses_are_scalars_and_gradients_keep_shape_and_dtype(shape, seed, dtype, loss):
    y, p = new_inputs(loss, shape, np.random.default_rng(seed), dtype)
    value = no_warnings(lambda: getattr(L, loss)(y, p))
    gradient = no_warnings(lambda: getattr(L, loss + "_backward")(y, p))
    assert np.ndim(value) == 0 and np.asarray(value).dtype == dtype and value >= 0
    assert gradient.shape == p.shape and gradient.dtype == dtype and np.all(np.isfinite(gradient))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_new_losses_are_finite_and_warning_free_at_extremes(dtype):
    big = 1e30 if dtype == np.float32 else 1e300
    y = np.eye(3, dtype=dtype)[[2, 0, 1]]
    s = np.array([[big, -big, 0.0], [-big, -big, -big], [1000.0, -1000.0, 0.0]], dtype)
    for call in (lambda: L.multiclass_hinge(y, s), lambda: L.multiclass_hinge_backward(y, s),
                 lambda: L.huber(np.zeros(3, dtype), np.array([1e3, -1e3, 0.0], dtype)),
                 lambda: L.huber_backward(np.zeros(3, dtype), np.array([big, -big, 0.0], dtype))):
        assert np.all(np.isfinite(no_warnings(call)))


@pytest.mark.parametrize("loss", NEW_LOSSES)
def test_new_losses_do_not_modify_their_inputs(loss):
    y, p = new_inputs(loss, (3, 4), np.random.default_rng(0))
    y0, p0 = y.copy(), p.copy()
    getattr(L, loss)(y, p)
    getattr(L, loss + "_backward")(y, p)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)


@pytest.mark.parametrize("function", [f for loss in NEW_LOSSES for f in both(loss)], ids=lambda f: f.__name__)
def test_new_losses_reject_mismatched_shapes_and_non_numbers(function):
    with pytest.raises(ValueError, match=re.escape("y_true must have the same shape as y_pred")):
        function(np.eye(3), np.zeros((3, 4)))
    with pytest.raises(TypeError, match="y_pred must hold real numbers"):
        function(np.eye(2), np.array([["a", "b"], ["c", "d"]]))


@pytest.mark.parametrize("delta", [0.0, -1.0, float("nan"), float("inf")])
@pytest.mark.parametrize("function", both("huber"), ids=lambda f: f.__name__)
def test_huber_delta_must_be_a_positive_finite_number(function, delta):
    with pytest.raises(ValueError, match="^delta must be"):
        function(np.zeros(3), np.ones(3), delta=delta)
    with pytest.raises(TypeError, match="^delta must be a real number"):
        function(np.zeros(3), np.ones(3), delta="1")


@pytest.mark.parametrize("targets", [np.array([[0.5, 0.5, 0.0]]), np.array([[1.0, 1.0, 0.0]]), np.array([[0.0, 0.0, 0.0]]),
                                     np.array([[-1.0, 1.0, -1.0]])], ids=["soft", "two ones", "no one", "plus-minus one"])
@pytest.mark.parametrize("function", both("multiclass_hinge"), ids=lambda f: f.__name__)
def test_hinge_targets_must_be_one_hot(function, targets):
    with pytest.raises(ValueError, match=r"^y_true must be one-hot over the last axis .* the row at index \(0,\)"):
        function(targets, np.zeros((1, 3)))


@pytest.mark.parametrize("function", both("multiclass_hinge"), ids=lambda f: f.__name__)
def test_hinge_needs_at_least_two_classes(function):
    with pytest.raises(ValueError, match="at least two classes"):
        function(np.ones((3, 1)), np.zeros((3, 1)))


@pytest.mark.parametrize("loss", NEW_LOSSES)
def test_student_edition_of_new_losses_validates_then_raises_not_implemented(student_losses, loss):
    y, p = new_inputs(loss, (2, 3), np.random.default_rng(0))
    for name in (loss, loss + "_backward"):
        function = getattr(student_losses, name)
        with pytest.raises(NotImplementedError, match=rf"dlmath\.losses\.{name} is not implemented yet — see 04_losses §\d"):
            function(y, p)
        with pytest.raises(ValueError, match="must have"):
            function(y[:1], p)
