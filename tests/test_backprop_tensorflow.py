"""The autodiff engine, dense_backward and mlp_backward against live TensorFlow (float64, rtol 1e-10).

Value programs: the reference module's own programs (reused nodes, diamonds, ladders, random graphs)
run on float64 tensors under a GradientTape, gradients taken w.r.t. every node. Layers: the tape's
gradients through tf.linalg.matmul and a keras.layers.Dense / keras.Sequential with the same weights.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlmath import activations as act
from dlmath import layers
from dlmath.autodiff import Value
from dlmath.checking.callables import value_program
from grading.references import backprop as reference

pytestmark = pytest.mark.tensorflow
RTOL, ATOL = 1e-10, 1e-14


def _all_programs():
    programs = reference._value_cases(np.random.default_rng(7), "hidden")
    return [(f"{m}: {label}", p) for m, items in programs.items() for label, p in items]


@pytest.mark.parametrize("label, program", _all_programs(), ids=[label[:60] for label, _ in _all_programs()])
def test_value_program_matches_gradient_tape_at_every_node(tf, label, program):
    values, grads = value_program(Value, program)
    tf_values, tf_grads = reference._tf_program(tf, program)
    np.testing.assert_allclose(values, tf_values, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grads, tf_grads, rtol=RTOL, atol=ATOL)


# batch 0 means a single example of shape (in,): only the plain matmul takes it (a Keras layer needs a batch axis)
@pytest.mark.parametrize("batch, n_in, n_out, keras_layer", [
    (b, i, o, k) for b, i, o in [(4, 3, 2), (1, 5, 5), (0, 3, 4), (32, 20, 10)] for k in (False, True) if b or not k])
def test_dense_backward_matches_gradient_tape(tf, batch, n_in, n_out, keras_layer):
    rng = np.random.default_rng(batch + n_in)
    shape = lambda n: (batch, n) if batch else (n,)  # noqa: E731
    dout, x, W = rng.normal(size=shape(n_out)), rng.normal(size=shape(n_in)), rng.normal(size=(n_in, n_out))
    for got, want in zip(layers.dense_backward(dout, x, W), reference._tf_dense(tf, dout, x, W, keras_layer)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_dense_backward_float32_matches_tensorflow_float32(tf):
    rng = np.random.default_rng(11)
    dout, x, W = (rng.normal(size=s).astype(np.float32) for s in [(6, 3), (6, 5), (5, 3)])
    for got, want in zip(layers.dense_backward(dout, x, W), reference._tf_dense(tf, dout, x, W)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation, loss, keras_model", [
    ("tanh", "mse", False), ("sigmoid", "bce_logits", False), ("relu", "cce_logits", False),
    ("tanh", "bce_logits", True), ("relu", "cce_logits", True)])
def test_mlp_backward_matches_keras_loss_gradients(tf, activation, loss, keras_model):
    rng = np.random.default_rng(5)
    sizes = [4, 6, 5, 3]
    params = reference._mlp_params(rng, sizes)
    x = rng.normal(size=(9, sizes[0]))
    y = reference._targets(rng, loss, (9, sizes[-1]), np.float64)
    dout, _, (tf_dx, tf_grads) = reference._tf_mlp(tf, x, params, activation, loss, y, keras_model)
    output, cache = layers.mlp_forward(x, params, getattr(act, activation))
    dx, grads = layers.mlp_backward(dout, cache, params, getattr(act, activation + "_backward"))
    np.testing.assert_allclose(dx, tf_dx, rtol=RTOL, atol=ATOL)
    for (dW, db), (tW, tb) in zip(grads, tf_grads):
        np.testing.assert_allclose(dW, tW, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(db, tb, rtol=RTOL, atol=ATOL)


def test_the_source_xor_backward_differs_from_the_tape_gradient(tf):
    """The source's σ'(σ(z)) factor gives a gradient a few percent off TF's — the bug the notebook shows."""
    rng = np.random.default_rng(3)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    W1, W2 = tf.Variable(rng.uniform(-1, 1, (2, 4))), tf.Variable(rng.uniform(-1, 1, (4, 1)))
    with tf.GradientTape() as tape:
        out = tf.sigmoid(tf.sigmoid(X @ W1) @ W2)
        loss = tf.reduce_mean((out - y) ** 2)
    tape_dW2 = tape.gradient(loss, W2).numpy()
    a1 = act.sigmoid(X @ W1.numpy())
    a2 = act.sigmoid(a1 @ W2.numpy())
    source = a1.T @ ((a2 - y) * act.sigmoid(a2) * (1 - act.sigmoid(a2))) * 2 / 4
    correct = a1.T @ ((a2 - y) * a2 * (1 - a2)) * 2 / 4
    np.testing.assert_allclose(correct, tape_dW2, rtol=RTOL)
    assert np.linalg.norm(source - tape_dW2) / np.linalg.norm(tape_dW2) > 1e-2
