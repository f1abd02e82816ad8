"""11_capstone against live TensorFlow/Keras (float64): the Sequential framework and its Keras twin."""
from __future__ import annotations

import numpy as np
import pytest

from dlmath import data as dlmath_data
from dlmath import model as M
from dlmath import optim
from grading.references import capstone as reference

pytestmark = pytest.mark.tensorflow

f32 = lambda value: float(np.float32(value))  # noqa: E731 — Keras keeps hyperparameters as float32


def _model(rng, kinds=("dense", "tanh", "dense", "relu", "dense", "sigmoid", "dense"), sizes=(6, 7, 5, 4, 3)):
    return list(kinds), reference.random_model(rng, list(kinds), list(sizes))


def test_forward_and_backward_match_a_keras_sequential_and_gradient_tape(tf):
    rng = np.random.default_rng(0)
    kinds, params = _model(rng)
    x, dout = rng.normal(0, 1, (9, 6)), rng.normal(0, 1, (9, 3))
    out, caches = M.sequential_forward(kinds, params, x)
    keras_out, keras_caches = reference._keras_forward(tf, kinds, params, x)
    np.testing.assert_allclose(out, keras_out, rtol=1e-12, atol=1e-14)
    for mine, theirs in zip(caches, keras_caches):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
    dx, grads = M.sequential_backward(kinds, params, caches, dout)
    keras_dx, keras_grads = reference._keras_backward(tf, kinds, params, x, dout)
    np.testing.assert_allclose(dx, keras_dx, rtol=1e-11, atol=1e-13)
    for mine, theirs in zip(grads, keras_grads):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("name, hyper", [("adam", {"lr": f32(0.01), "beta_1": f32(0.9), "beta_2": f32(0.999)}),
                                         ("sgd", {"lr": f32(0.05), "momentum": f32(0.9)})])
def test_three_epochs_on_digits_follow_the_keras_twin_step_for_step(tf, name, hyper):
    # same architecture, initial weights, batches in order and optimizer: the same loss curve
    split = dlmath_data.digits()
    x, y = split.x_train[:200], split.y_train[:200]
    kinds = ["dense", "relu", "dense"]
    params = M.init_params(kinds, [64, 16, 10], np.random.default_rng(1))
    rule = getattr(optim, name)
    mine, states, keras_params, keras_model, keras_optimizer = params, None, params, None, None
    curve, keras_curve = [], []
    for epoch in range(3):
        order = np.random.default_rng(10 + epoch).permutation(len(x))
        mine, states, losses = M.train_epoch(kinds, mine, x, y, 32, rule, states, order, **hyper)
        keras_params, keras_states, keras_losses, keras_model, keras_optimizer = reference.keras_train_epoch(
            tf, kinds, keras_params, x, y, 32, name, hyper, order, keras_optimizer, keras_model)
        curve.extend(losses)
        keras_curve.extend(keras_losses)
    np.testing.assert_allclose(curve, keras_curve, rtol=1e-10, atol=1e-12)
    for a, b in zip(mine, keras_params):
        for u, v in zip(a, b):
            np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    for a, b in zip(states, keras_states):
        for u, v in zip(a, b):
            assert u.keys() == v.keys()
            for key in u:
                np.testing.assert_allclose(u[key], v[key], rtol=1e-9, atol=1e-12)


def test_input_gradient_and_fgsm_match_gradient_tape_and_tf_sign(tf):
    rng = np.random.default_rng(2)
    kinds, params = _model(rng)
    x, y = rng.uniform(0, 1, (11, 6)), rng.integers(0, 3, 11)
    g = M.input_gradient(kinds, params, x, y)
    keras_g = reference._keras_input_gradient(tf, kinds, params, x, y)
    np.testing.assert_allclose(g, keras_g, rtol=1e-11, atol=1e-14)
    for epsilon, clip in [(0.1, (0.0, 1.0)), (0.3, None), (0.05, (-1.0, 0.5))]:
        np.testing.assert_array_equal(M.fgsm(x, g, epsilon, clip=clip), reference._tf_fgsm(tf, x, g, epsilon, clip))


def test_a_saved_model_loads_into_the_keras_twin_with_the_same_predictions(tf, tmp_path):
    import keras

    rng = np.random.default_rng(3)
    kinds, params = _model(rng)
    kinds, params = M.load(M.save(tmp_path / "m.npz", kinds, params))
    twin = reference.keras_twin(kinds, params)
    twin.save(tmp_path / "twin.keras")
    reloaded = keras.models.load_model(tmp_path / "twin.keras")
    x = rng.normal(0, 1, (5, 6))
    np.testing.assert_allclose(M.predict(kinds, params, x), tf.nn.softmax(reloaded(x)).numpy(), rtol=1e-12, atol=1e-15)

