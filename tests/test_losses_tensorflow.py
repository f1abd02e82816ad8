"""dlmath.losses against live Keras/TensorFlow, in float64 at rtol 1e-10 (float32 at rtol 1e-5).

Each loss is compared with the Keras loss *class* (default reduction ``sum_over_batch_size``),
constructed with ``dtype`` equal to the prediction's dtype — without it a loss class casts
float64 inputs to float32. Each backward function is compared with ``tf.GradientTape``'s
gradient of that scalar with respect to the prediction (probabilities or logits). The TF side is
written out here, independently of ``grading/references/losses.py``.

Also pinned, because the course documents them: what the clip does to the gradient at
p = 0, ε, 1 − ε and 1; the renormalisation p/Σp inside CategoricalCrossentropy; exact
values at logits ±1000; the ``_keras_logits`` trap; and TensorFlow's fused softmax
cross-entropy gradient for targets that don't sum to 1.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

from dlmath import losses as L

pytestmark = pytest.mark.tensorflow

RTOL, ATOL = 1e-10, 1e-300
RTOL32, ATOL32 = 1e-5, 1e-6
EPS = 1e-7


KERAS = {  # our loss → (Keras class name, options)
    "mse": ("MeanSquaredError", {}),
    "binary_cross_entropy": ("BinaryCrossentropy", {}),
    "binary_cross_entropy_with_logits": ("BinaryCrossentropy", {"from_logits": True}),
    "categorical_cross_entropy": ("CategoricalCrossentropy", {}),
    "categorical_cross_entropy_with_logits": ("CategoricalCrossentropy", {"from_logits": True}),
    "sparse_categorical_cross_entropy_with_logits": ("SparseCategoricalCrossentropy", {"from_logits": True}),
}


@contextlib.contextmanager
def keras_epsilon(keras, epsilon):
    previous = keras.config.epsilon()
    keras.config.set_epsilon(epsilon)
    try:
        yield
    finally:
        keras.config.set_epsilon(previous)


def tf_loss_and_gradient(tf, keras, loss, y_true, y_pred, epsilon=EPS):
    """(Keras loss value, GradientTape ∂loss/∂y_pred) as NumPy, in y_pred's dtype."""
    name, options = KERAS[loss]
    instance = getattr(keras.losses, name)(dtype=y_pred.dtype.name, **options)
    prediction = tf.constant(y_pred)
    with keras_epsilon(keras, epsilon), tf.GradientTape() as tape:
        tape.watch(prediction)
        value = instance(tf.constant(y_true), prediction)
    return value.numpy(), tape.gradient(value, prediction).numpy()


def ours(loss, y_true, y_pred, **kwargs):
    return getattr(L, loss)(y_true, y_pred, **kwargs), getattr(L, loss + "_backward")(y_true, y_pred, **kwargs)


def assert_matches(tf, keras, loss, y_true, y_pred, epsilon=None, rtol=RTOL, atol=ATOL):
    kwargs = {} if epsilon is None else {"epsilon": epsilon}
    value, gradient = ours(loss, y_true, y_pred, **kwargs)
    tf_value, tf_gradient = tf_loss_and_gradient(tf, keras, loss, y_true, y_pred, EPS if epsilon is None else epsilon)
    assert np.ndim(value) == 0 and np.asarray(value).dtype == y_pred.dtype
    assert gradient.shape == y_pred.shape and gradient.dtype == y_pred.dtype
    np.testing.assert_allclose(value, tf_value, rtol=rtol, atol=atol)
    np.testing.assert_allclose(gradient, tf_gradient, rtol=rtol, atol=atol)


# ---- random inputs ------------------------------------------------------------------------------

SHAPES = [(5,), (4, 3), (2, 3, 4), (16, 10)]
SEEDS = [0, 1, 2024]


def random_inputs(loss, shape, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    if loss == "mse":
        y, p = rng.normal(0, 2, shape), rng.normal(0, 2, shape)
    elif loss == "binary_cross_entropy":
        y, p = rng.uniform(0, 1, shape), rng.uniform(0.001, 0.999, shape)
    elif loss == "binary_cross_entropy_with_logits":
        y, p = rng.uniform(0, 1, shape), rng.normal(0, 4, shape)
    elif loss == "categorical_cross_entropy":
        y, p = rng.dirichlet(np.ones(shape[-1]), shape[:-1]), rng.uniform(0.001, 1.0, shape)
    elif loss == "categorical_cross_entropy_with_logits":
        y, p = rng.dirichlet(np.ones(shape[-1]), shape[:-1]), rng.normal(0, 4, shape)
    else:
        y, p = rng.integers(0, shape[-1], shape[:-1]), rng.normal(0, 4, shape)
    if y.dtype.kind == "f":
        y = y.astype(dtype)
    return y, p.astype(dtype)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("loss", list(KERAS))
def test_loss_and_gradient_match_keras_on_random_float64(tf, keras, loss, shape, seed):
    y, p = random_inputs(loss, shape, seed)
    assert_matches(tf, keras, loss, y, p)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4)])
@pytest.mark.parametrize("loss", list(KERAS))
def test_loss_and_gradient_match_keras_in_float32(tf, keras, loss, shape):
    y, p = random_inputs(loss, shape, 7, np.float32)
    assert_matches(tf, keras, loss, y, p, rtol=RTOL32, atol=ATOL32)


@pytest.mark.parametrize("loss", ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_float64_targets_are_cast_to_float32_predictions_like_keras(tf, keras, loss):
    y, p = random_inputs(loss, (4, 3), 3, np.float32)
    assert_matches(tf, keras, loss, y.astype(np.float64), p, rtol=RTOL32, atol=ATOL32)


def test_reduction_is_the_mean_of_per_sample_losses_not_over_the_sum_of_weights(tf, keras):
    # sum_over_batch_size on a (2, 3, 4) batch: 6 samples for CE, per-sample mean over the last axis for MSE
    y, p = random_inputs("categorical_cross_entropy_with_logits", (2, 3, 4), 5)
    per_sample = keras.losses.categorical_crossentropy(y, p, from_logits=True).numpy()
    assert per_sample.shape == (2, 3)
    np.testing.assert_allclose(L.categorical_cross_entropy_with_logits(y, p), per_sample.mean(), rtol=RTOL)
    y, p = random_inputs("mse", (2, 3, 4), 5)
    per_sample = keras.losses.mean_squared_error(y, p).numpy()
    assert per_sample.shape == (2, 3)
    np.testing.assert_allclose(L.mse(y, p), per_sample.mean(), rtol=RTOL)


# ---- the clip: values and gradients at 0, ε, 1 − ε, 1 ---------------------------------------------

def test_bce_gradient_is_zero_where_the_clip_is_active_and_passes_at_epsilon_exactly(tf, keras):
    y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.5, 1.0]])
    p = np.array([[EPS, EPS, 0.0, 0.0, 1.0, 1.0, 1 - EPS, 1 - EPS]])
    tf_value, tf_gradient = tf_loss_and_gradient(tf, keras, "binary_cross_entropy", y, p)
    n = p.size
    # TensorFlow itself: 0 at p = 0 and p = 1, the unclipped formula at p = ε and 1 − ε
    np.testing.assert_array_equal(tf_gradient[0, 2:6], 0.0)
    np.testing.assert_allclose(tf_gradient[0, 0], -1 / EPS / n, rtol=1e-9)
    np.testing.assert_allclose(tf_gradient[0, 1], 1 / (1 - EPS) / n, rtol=1e-9)
    np.testing.assert_allclose(tf_gradient[0, 6], (0.5 / (1 - (1 - EPS)) - 0.5 / (1 - EPS)) / n, rtol=1e-6)
    value, gradient = ours("binary_cross_entropy", y, p)
    np.testing.assert_allclose(value, tf_value, rtol=RTOL)
    np.testing.assert_allclose(gradient, tf_gradient, rtol=RTOL)


def test_bce_float32_clips_at_epsilon_rounded_to_float32(tf, keras):
    eps = np.float32(EPS)
    y = np.array([[1, 0, 1, 0, 1, 0, 0.5]], np.float32)
    p = np.array([[0, 1, 1, 0, eps, 1 - eps, 1 - eps]], np.float32)
    assert 1 - eps == np.float32(1 - EPS)  # 1 − 1e-7 in float32 is 0.99999988
    _, tf_gradient = tf_loss_and_gradient(tf, keras, "binary_cross_entropy", y, p)
    np.testing.assert_array_equal(tf_gradient[0, :4], 0.0)
    assert np.all(tf_gradient[0, 4:] != 0)
    assert_matches(tf, keras, "binary_cross_entropy", y, p, rtol=RTOL32, atol=ATOL32)


def test_bce_of_exact_zeros_and_ones_is_capped_at_minus_log_epsilon(tf, keras):
    y, p = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    tf_value, _ = tf_loss_and_gradient(tf, keras, "binary_cross_entropy", y, p)
    # −log ε for p = 0; −log(1 − (1 − ε)) for p = 1, where 1 − (1 − ε) is ε to about 6e-9 relative
    np.testing.assert_allclose(tf_value, -np.log(EPS), rtol=1e-9)
    np.testing.assert_allclose(L.binary_cross_entropy(y, p), tf_value, rtol=RTOL)


@pytest.mark.parametrize("epsilon", [1e-3, 1e-2])
@pytest.mark.parametrize("loss", ["binary_cross_entropy", "categorical_cross_entropy"])
def test_epsilon_argument_matches_keras_global_epsilon(tf, keras, loss, epsilon):
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.9995, 0.0004, 0.0001], [0.5, 0.4995, 0.0005]])  # entries below both epsilons
    assert_matches(tf, keras, loss, y, p, epsilon=epsilon)
    default, _ = tf_loss_and_gradient(tf, keras, loss, y, p)
    assert not np.isclose(L.__dict__[loss](y, p, epsilon=epsilon), default)  # the argument matters here


def test_cce_on_probabilities_renormalises_rows_and_the_gradient_includes_it(tf, keras):
    y = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    p = np.array([[0.2, 0.2, 0.2], [0.1, 0.5, 0.9], [1.0, 1.0, 1.0]])
    tf_value, tf_gradient = tf_loss_and_gradient(tf, keras, "categorical_cross_entropy", y, p)
    q = p / p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(tf_value, np.mean(-np.sum(y * np.log(q), axis=1)), rtol=1e-12)
    # hand derivation: (1 − y_j/q_j)/s per row, over N = 3 samples
    np.testing.assert_allclose(tf_gradient, (1 - y / q) / p.sum(axis=1, keepdims=True) / 3, rtol=1e-12)
    assert_matches(tf, keras, "categorical_cross_entropy", y, p)


def test_cce_gradient_with_exact_zero_and_one_probabilities(tf, keras):
    y = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.5, 0.5]])
    tf_value, tf_gradient = tf_loss_and_gradient(tf, keras, "categorical_cross_entropy", y, p)
    np.testing.assert_array_equal(tf_gradient[0], 0.0)  # q = (0, 1, 0): every entry clipped
    assert np.isfinite(tf_value) and np.all(np.isfinite(tf_gradient))
    assert_matches(tf, keras, "categorical_cross_entropy", y, p)


# ---- logits at ±1000 ---------------------------------------------------------------------------------

def test_binary_logits_at_plus_minus_1000_give_exact_losses(tf, keras):
    y = np.array([[1.0, 0.0, 0.0, 1.0, 0.5, 0.5]])
    z = np.array([[1000.0, -1000.0, 1000.0, -1000.0, 0.0, 1000.0]])
    tf_value, tf_gradient = tf_loss_and_gradient(tf, keras, "binary_cross_entropy_with_logits", y, z)
    np.testing.assert_allclose(tf_value, (1000 + 1000 + np.log(2) + 500) / 6, rtol=1e-12)
    np.testing.assert_allclose(tf_gradient, [[0, 0, 1 / 6, -1 / 6, 0, 0.5 / 6]], rtol=1e-12, atol=1e-300)
    assert_matches(tf, keras, "binary_cross_entropy_with_logits", y, z)


def test_categorical_logits_at_plus_minus_1000(tf, keras):
    y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0]])
    tf_value, _ = tf_loss_and_gradient(tf, keras, "categorical_cross_entropy_with_logits", y, z)
    assert np.isfinite(tf_value) and tf_value > 600  # the first sample alone costs 2000
    assert_matches(tf, keras, "categorical_cross_entropy_with_logits", y, z)
    assert_matches(tf, keras, "sparse_categorical_cross_entropy_with_logits", np.array([2, 0, 1]), z)


def test_probability_losses_cap_what_the_logit_losses_charge(tf, keras):
    # the reason to prefer logits: a confidently wrong logit of 1000 costs 1000, its probability only −log ε
    z = np.array([[1000.0]])
    y = np.array([[0.0]])
    with_logits, _ = tf_loss_and_gradient(tf, keras, "binary_cross_entropy_with_logits", y, z)
    on_probability, gradient = tf_loss_and_gradient(tf, keras, "binary_cross_entropy", y, tf.math.sigmoid(z).numpy())
    np.testing.assert_allclose(with_logits, 1000.0, rtol=1e-12)
    np.testing.assert_allclose(on_probability, -np.log(EPS), rtol=1e-9)
    np.testing.assert_array_equal(gradient, 0.0)  # σ(1000) = 1 is clipped: no gradient at all
    np.testing.assert_allclose(L.binary_cross_entropy_with_logits(y, z), 1000.0, rtol=1e-12)
    np.testing.assert_allclose(L.binary_cross_entropy(y, np.ones((1, 1))), -np.log(EPS), rtol=1e-9)


# ---- framework traps the notebook shows ------------------------------------------------------------------

def test_keras_softmax_output_skips_the_clip_trap(tf, keras):
    # FACTS.md: keras.activations.softmax marks its output with _keras_logits, and the loss then
    # works from the logits instead of clipping — feeding NumPy or tf.nn.softmax output clips.
    z = tf.constant([[1000.0, 0.0, -1000.0]], dtype=tf.float64)
    y = np.array([[0.0, 0.0, 1.0]])
    loss = keras.losses.CategoricalCrossentropy(dtype="float64")
    from_keras_softmax = loss(y, keras.activations.softmax(z)).numpy()
    from_tf_softmax = loss(y, tf.nn.softmax(z)).numpy()
    np.testing.assert_allclose(from_keras_softmax, 2000.0, rtol=1e-12)
    np.testing.assert_allclose(from_tf_softmax, -np.log(EPS), rtol=1e-9)
    np.testing.assert_allclose(L.categorical_cross_entropy(y, tf.nn.softmax(z).numpy()), from_tf_softmax, rtol=RTOL)


def test_loss_classes_without_dtype_compute_in_float32(tf, keras):
    y, p = random_inputs("mse", (4, 3), 0)
    assert keras.losses.MeanSquaredError()(y, p).dtype == tf.float32
    assert keras.losses.MeanSquaredError(dtype="float64")(y, p).dtype == tf.float64


def test_tf_fused_softmax_cross_entropy_gradient_ignores_the_target_sum(tf, keras):
    # For targets summing to s ≠ 1 the derivative of −Σ y log softmax(z) is s·softmax(z) − y, but
    # TensorFlow's fused kernel returns softmax(z) − y. dlmath requires targets summing to 1, where
    # both agree; this pins the difference so the docstring's claim stays true.
    y = np.array([[0.5, 0.2, 0.1]])
    z = np.array([[1.0, 2.0, 3.0]])
    _, tf_gradient = tf_loss_and_gradient(tf, keras, "categorical_cross_entropy_with_logits", y, z)
    p = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(tf_gradient, p - y, rtol=1e-12)
    assert not np.allclose(tf_gradient, y.sum() * p - y)
    with pytest.raises(ValueError, match="y_true must hold a probability distribution"):
        L.categorical_cross_entropy_with_logits_backward(y, z)


# ---- Huber and the multi-class hinge (second edition) --------------------------------------------------------

def keras_huber(tf, keras, y_true, y_pred, delta=1.0):
    instance = keras.losses.Huber(delta=delta, dtype=y_pred.dtype.name)
    prediction = tf.constant(y_pred)
    with tf.GradientTape() as tape:
        tape.watch(prediction)
        value = instance(tf.constant(y_true), prediction)
    return value.numpy(), tape.gradient(value, prediction).numpy()


@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_huber_and_its_gradient_match_keras_huber_on_random_float64(tf, keras, shape, seed, delta):
    rng = np.random.default_rng(seed)
    y, p = rng.normal(0, 2, shape), rng.normal(0, 2, shape)
    value, gradient = keras_huber(tf, keras, y, p, delta)
    np.testing.assert_allclose(L.huber(y, p, delta=delta), value, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(L.huber_backward(y, p, delta=delta), gradient, rtol=RTOL, atol=ATOL)


def test_huber_at_errors_of_exactly_plus_minus_delta_matches_keras(tf, keras):
    y, p = np.zeros((1, 5)), np.array([[0.0, 1.0, -1.0, 3.0, -3.0]])
    value, gradient = keras_huber(tf, keras, y, p)
    np.testing.assert_allclose(L.huber(y, p), value, rtol=RTOL)
    np.testing.assert_array_equal(gradient[0], np.array([0.0, 1.0, -1.0, 1.0, -1.0]) / 5)   # |x| = δ: slope ±δ
    np.testing.assert_allclose(L.huber_backward(y, p), gradient, rtol=RTOL, atol=0)


def test_huber_in_float32_matches_keras(tf, keras):
    rng = np.random.default_rng(3)
    y, p = rng.normal(0, 2, (4, 6)).astype(np.float32), rng.normal(0, 2, (4, 6)).astype(np.float32)
    value, gradient = keras_huber(tf, keras, y, p, 0.5)
    assert L.huber(y, p, delta=0.5).dtype == np.float32 and L.huber_backward(y, p, delta=0.5).dtype == np.float32
    np.testing.assert_allclose(L.huber(y, p, delta=0.5), value, rtol=RTOL32, atol=ATOL32)
    np.testing.assert_allclose(L.huber_backward(y, p, delta=0.5), gradient, rtol=RTOL32, atol=ATOL32)


def tf_crammer_singer(tf, y_true, y_pred):
    """max(0, 1 + max_{k≠c} s_k − s_c) averaged, written out in TensorFlow (independently of the references)."""
    s, y = tf.constant(y_pred), tf.constant(y_true)
    with tf.GradientTape() as tape:
        tape.watch(s)
        wrong = tf.where(y > 0.5, tf.fill(tf.shape(s), tf.constant(-np.inf, s.dtype)), s)
        value = tf.reduce_mean(tf.nn.relu(1 + tf.reduce_max(wrong, axis=-1) - tf.reduce_sum(y * s, axis=-1)))
    return value.numpy(), tape.gradient(value, s).numpy()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (6,), (10, 2)])
def test_multiclass_hinge_and_its_gradient_match_tensorflow(tf, shape, seed):
    rng = np.random.default_rng(seed)
    y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
    s = rng.normal(0, 1.5, shape)
    value, gradient = tf_crammer_singer(tf, y, s)
    np.testing.assert_allclose(L.multiclass_hinge(y, s), value, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(L.multiclass_hinge_backward(y, s), gradient, rtol=RTOL, atol=ATOL)


def test_tied_wrong_classes_share_the_gradient_like_tf_reduce_max(tf):
    y = np.eye(4)[[1, 3]]
    s = np.array([[0.0, 0.0, 0.0, 0.0], [2.0, 2.0, -1.0, 0.5]])   # ties among the wrong classes in both rows
    value, gradient = tf_crammer_singer(tf, y, s)
    np.testing.assert_allclose(gradient, [[1 / 6, -1 / 2, 1 / 6, 1 / 6], [1 / 4, 1 / 4, 0, -1 / 2]], rtol=1e-15)
    np.testing.assert_allclose(L.multiclass_hinge_backward(y, s), gradient, rtol=1e-15, atol=0)


def test_keras_categorical_hinge_agrees_unless_every_wrong_score_is_negative(tf, keras):
    hinge = keras.losses.CategoricalHinge(dtype="float64")
    y = np.eye(3)[[0, 1]]
    some_positive = np.array([[0.5, 0.8, -1.0], [2.0, 1.0, -0.3]])
    assert L.multiclass_hinge(y, some_positive) == pytest.approx(float(hinge(y, some_positive)), rel=1e-15)
    all_negative = np.array([[0.5, -2.0, -1.0], [-3.0, 0.2, -0.5]])   # Keras's max((1 − y)·ŷ) picks the true class's 0
    ours, keras_value = L.multiclass_hinge(y, all_negative), float(hinge(y, all_negative))
    assert ours == pytest.approx((max(0, 1 - 1.0 - 0.5) + max(0, 1 - 0.5 - 0.2)) / 2, rel=1e-15)   # 0.15
    assert keras_value == pytest.approx((max(0, 1 + 0 - 0.5) + max(0, 1 + 0 - 0.2)) / 2, rel=1e-7)   # 0.65
