"""dlmath.regularization against live TensorFlow/Keras (float64, rtol 1e-10 unless a Keras rounding is the point).

Penalties: keras.regularizers.L1/L2 and a Dense layer's kernel_regularizer, gradients by GradientTape.
Dropout: keras.layers.Dropout in training (mask read off its output) and inference. Normalization:
keras.layers.BatchNormalization / LayerNormalization with the same weights, forward, moving statistics
and tape gradients. Early stopping: keras.callbacks.EarlyStopping in a real model.fit, and through its
hooks on many curves.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlmath import regularization as R
from grading.references import regularization as reference

pytestmark = pytest.mark.tensorflow
RTOL, ATOL = 1e-10, 1e-13
F32 = {"rtol": 1e-4, "atol": 1e-5}


def assert_all_close(got, want, **tolerance):
    tolerance = tolerance or {"rtol": RTOL, "atol": ATOL}
    for g, w in zip(got, want, strict=True):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, **tolerance)


# ---- penalties -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["l2", "l1"])
@pytest.mark.parametrize("factor", [0.25, 2.0 ** -7, 0.0])  # exactly representable in float32
@pytest.mark.parametrize("shape", [(3, 4), (7,), (3, 3, 2, 4)])
def test_penalty_and_gradient_match_keras_regularizers(tf, kind, factor, shape):
    w = np.random.default_rng(sum(shape)).normal(size=shape)
    w.flat[0] = 0.0  # the kink of |w|: TensorFlow's subgradient is 0
    penalty, backward = getattr(R, f"{kind}_penalty"), getattr(R, f"{kind}_penalty_backward")
    np.testing.assert_allclose(penalty(w, factor), reference.keras_penalty(tf, kind, w, factor), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(backward(w, factor), reference.keras_penalty(tf, kind, w, factor, gradient=True),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", ["l2", "l1"])
def test_keras_rounds_the_penalty_factor_to_float32_even_for_float64_weights(tf, kind):
    # Keras casts the Python factor through a float32 tensor: 0.01 becomes 0.009999999776482582,
    # so its float64 penalty is 2.2e-8 relative below the exact l·Σ(...): inside the graded rtol 1e-7.
    w = np.random.default_rng(3).normal(size=(5, 4))
    exact = getattr(R, f"{kind}_penalty")(w, 0.01)
    keras_value = reference.keras_penalty(tf, kind, w, 0.01)
    assert (keras_value - exact) / exact == pytest.approx(float(np.float32(0.01)) / 0.01 - 1, rel=1e-6)
    np.testing.assert_allclose(getattr(R, f"{kind}_penalty")(w, float(np.float32(0.01))), keras_value, rtol=1e-14)


def test_dense_kernel_regularizer_is_l2_penalty_without_a_half(tf, keras):
    # keras.layers.Dense(kernel_regularizer=L2(l)) adds l·Σw² to layer.losses; tf.nn.l2_loss (the source's) is Σw²/2.
    w = np.random.default_rng(4).normal(size=(6, 3))
    np.testing.assert_allclose(R.l2_penalty(w, 0.125), reference.keras_penalty(tf, "l2", w, 0.125, dense_layer=True),
                               rtol=RTOL)
    np.testing.assert_allclose(R.l2_penalty(w, 1.0), 2 * tf.nn.l2_loss(tf.constant(w)).numpy(), rtol=RTOL)


def test_float32_penalties_match_keras_float32(tf):
    w = np.random.default_rng(5).normal(size=(8, 8)).astype(np.float32)
    for kind in ("l2", "l1"):
        for gradient in (False, True):
            name = f"{kind}_penalty" + ("_backward" if gradient else "")
            got = getattr(R, name)(w, 0.01)
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, reference.keras_penalty(tf, kind, w, 0.01, gradient), rtol=1e-5, atol=1e-7)


# ---- dropout ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("rate, shape, noise_shape", [
    (0.5, (8, 6), None), (0.1, (16, 4), None), (0.9, (5, 5), None), (0.3, (2, 4, 4, 3), None),
    (0.5, (6, 5), (6, 1)), (0.4, (2, 3, 3, 4), (2, 1, 1, 4)), (0.0, (3, 3), None), (1.0, (3, 3), None)])
def test_dropout_matches_the_keras_layer_with_its_own_mask(tf, rate, shape, noise_shape):
    rng = np.random.default_rng(int(rate * 10) + len(shape))
    x, dout = reference._no_zeros(rng, shape), rng.normal(size=shape)
    y, mask, dx = reference.keras_dropout(tf, x, rate, noise_shape, seed=11, dout=dout)
    np.testing.assert_allclose(R.dropout_forward(x, mask, rate), y, rtol=1e-15, atol=0)
    np.testing.assert_allclose(R.dropout_backward(dout, mask, rate), dx, rtol=1e-15, atol=0)


def test_dropout_at_inference_is_the_identity_like_keras(tf):
    x = np.random.default_rng(6).normal(size=(4, 7))
    mask = np.zeros_like(x, dtype=bool)
    np.testing.assert_array_equal(R.dropout_forward(x, mask, 0.5, training=False),
                                  reference.keras_dropout_inference(tf, x, 0.5))


def test_keras_keeps_a_unit_with_probability_one_minus_rate(tf):
    # the kept fraction of a large Keras draw is 1 − rate: the convention dropout_mask reproduces
    x = np.ones((200, 500))
    _, mask, _ = reference.keras_dropout(tf, x, 0.3, seed=2)
    assert mask.mean() == pytest.approx(0.7, abs=0.005)
    assert R.dropout_mask((200, 500), 0.3, np.random.default_rng(0)).mean() == pytest.approx(0.7, abs=0.005)


# ---- batch normalization -----------------------------------------------------------------------------

BN_SHAPES = [(8, 4), (2, 4), (1, 3), (64, 10), (3, 5, 5, 2), (2, 7, 6)]


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("momentum, epsilon", [(0.99, 1e-3), (0.9, 1e-5), (0.0, 0.1)])
def test_batchnorm_forward_and_moving_statistics_match_keras(tf, shape, training, momentum, epsilon):
    rng = np.random.default_rng(len(shape) * 7 + shape[0])
    x = reference._features(rng, shape)
    weights = reference._bn_weights(rng, shape[-1], np.float64, start=False)
    want = reference.keras_batchnorm(tf, x, *weights, training, momentum, epsilon)
    assert_all_close(R.batchnorm_forward(x, *weights, training=training, momentum=momentum, epsilon=epsilon), want)


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batchnorm_backward_matches_gradient_tape_through_keras(tf, shape):
    rng = np.random.default_rng(shape[0] + 100)
    x, dout = reference._features(rng, shape), rng.normal(size=shape)
    weights = reference._bn_weights(rng, shape[-1], np.float64, start=True)
    want = reference.keras_batchnorm(tf, x, *weights, True, 0.99, 1e-3, dout=dout)
    assert_all_close(R.batchnorm_backward(dout, x, weights[0]), want)


def test_keras_momentum_weights_the_old_moving_statistic_and_uses_the_biased_variance(tf):
    # from Keras's start (0, 1), one training step with momentum 0.9 leaves 0.1·μ and 0.9 + 0.1·σ²(biased)
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    _, mean, variance = reference.keras_batchnorm(tf, x, np.ones(2), np.zeros(2), np.zeros(2), np.ones(2),
                                                  momentum=0.9)
    np.testing.assert_allclose(mean, [0.1 * 2.0, 0.1 * 4.0], rtol=1e-15)
    np.testing.assert_allclose(variance, [0.9 + 0.1 * 1.0, 0.9 + 0.1 * 4.0], rtol=1e-15)  # biased: (1 + 1)/2, (4 + 4)/2


def test_float32_batchnorm_matches_keras_float32(tf):
    rng = np.random.default_rng(8)
    x, dout = reference._features(rng, (32, 8), np.float32), rng.normal(size=(32, 8)).astype(np.float32)
    weights = reference._bn_weights(rng, 8, np.float32, start=False)
    got = R.batchnorm_forward(x, *weights)
    assert {a.dtype for a in got} == {np.dtype(np.float32)}
    assert_all_close(got, reference.keras_batchnorm(tf, x, *weights), **F32)
    assert_all_close(R.batchnorm_backward(dout, x, weights[0]),
                     reference.keras_batchnorm(tf, x, *weights, dout=dout), **F32)


# ---- layer normalization -----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6,), (1, 8), (4, 6), (16, 10), (2, 3, 5), (2, 2, 2, 3), (5, 2)])
@pytest.mark.parametrize("epsilon", [1e-3, 1e-5, 0.1])
def test_layernorm_forward_and_backward_match_keras(tf, shape, epsilon):
    rng = np.random.default_rng(sum(shape))
    x, dout = reference._features(rng, shape), rng.normal(size=shape)
    gamma, beta = rng.uniform(-1.5, 1.5, shape[-1]), rng.normal(size=shape[-1])
    np.testing.assert_allclose(R.layernorm_forward(x, gamma, beta, epsilon),
                               reference.keras_layernorm(tf, x, gamma, beta, epsilon), rtol=RTOL, atol=ATOL)
    assert_all_close(R.layernorm_backward(dout, x, gamma, epsilon),
                     reference.keras_layernorm(tf, x, gamma, beta, epsilon, dout=dout))


def test_float32_layernorm_matches_keras_float32(tf):
    rng = np.random.default_rng(9)
    x, dout = reference._features(rng, (6, 3, 8), np.float32), rng.normal(size=(6, 3, 8)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 1.5, 8).astype(np.float32), rng.normal(size=8).astype(np.float32)
    got = R.layernorm_forward(x, gamma, beta)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, reference.keras_layernorm(tf, x, gamma, beta), **F32)
    assert_all_close(R.layernorm_backward(dout, x, gamma), reference.keras_layernorm(tf, x, gamma, beta, dout=dout), **F32)


# ---- early stopping ----------------------------------------------------------------------------------

def test_the_hook_replay_is_what_model_fit_does(tf, keras):
    # a real fit: a callback before EarlyStopping sets the one weight to the epoch number and the
    # val_loss to the curve's value; the epochs fit ran and the weight left are Keras's answer
    curve = reference._dyadic([0.9, 0.7, 0.75, 0.6, 0.65, 0.62, 0.64, 0.7, 0.5])

    class Inject(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = float(curve[epoch])
            self.model.layers[0].kernel.assign([[float(epoch)]])

    for kwargs in [{"patience": 2, "restore_best_weights": True}, {"patience": 3}, {"patience": 1, "min_delta": 0.03125}]:
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
        model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
        history = model.fit(np.ones((4, 1)), np.ones((4, 1)), validation_data=(np.ones((2, 1)), np.ones((2, 1))),
                            epochs=len(curve), verbose=0,
                            callbacks=[Inject(), keras.callbacks.EarlyStopping(**kwargs)])
        fitted = (len(history.history["loss"]), int(round(float(model.layers[0].kernel.numpy()[0, 0]))))
        assert fitted == reference.keras_early_stopping(tf, curve, **kwargs) == R.early_stopping(curve, **kwargs)


@pytest.mark.parametrize("seed", range(40))
def test_early_stopping_matches_keras_on_random_curves(tf, seed):
    rng = np.random.default_rng(seed)
    epochs = int(rng.integers(1, 40))
    curve = reference._curve(rng, epochs, int(rng.integers(1, 20)), noise=float(rng.uniform(0, 0.08)))
    kwargs = {"patience": int(rng.integers(0, 6)), "min_delta": float(rng.choice([0, 2.0 ** -10, 2.0 ** -6, 2.0 ** -4])),
              "restore_best_weights": bool(rng.integers(0, 2))}
    assert R.early_stopping(curve, **kwargs) == reference.keras_early_stopping(tf, curve, **kwargs)


def test_keras_compares_losses_in_float32(tf):
    # why the graded curves are multiples of 2^-10: Keras's ops.less turns the Python floats into float32
    # tensors, so a loss 1e-9 below the best is "no improvement" for Keras, while float64 arithmetic sees one
    curve = [0.3, 0.3 - 1e-9]
    assert reference.keras_early_stopping(tf, curve, patience=5, restore_best_weights=True) == (2, 0)
    assert R.early_stopping(curve, patience=5, restore_best_weights=True) == (2, 1)
    assert R.early_stopping(np.float32(curve).astype(float), patience=5, restore_best_weights=True) == (2, 0)
