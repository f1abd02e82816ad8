"""dlmath.layers.dense_forward and mlp_forward against live Keras layers with the same weights.

float64 layers (``dtype="float64"``) at rtol 1e-12: NumPy's and TensorFlow's matrix products
sum in different orders, so they agree to a few ulps of the largest product, not bit for bit
(``ATOL`` covers entries that cancel to near 0). float32 at FACTS.md's matmul tolerance.
The cache is checked against the Keras layers run one at a time: ``x @ layer.kernel + layer.bias``
with Keras ops for z, the layer itself (with its activation) for the next layer's input.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlmath import layers
from grading.references import forward as reference

pytestmark = pytest.mark.tensorflow

RTOL, ATOL = 1e-12, 1e-13
RTOL32, ATOL32 = 1e-4, 1e-5  # FACTS.md: float32 matmul


def dense(keras, W, b, activation=None, dtype="float64"):
    layer = keras.layers.Dense(W.shape[1], activation=activation, dtype=dtype)
    layer.build((None, W.shape[0]))
    layer.set_weights([W, b])
    return layer


def random_layer(rng, n_in, n_out, dtype=np.float64):
    return rng.normal(size=(n_in, n_out)).astype(dtype), rng.normal(size=n_out).astype(dtype)


# ---------------------------------------------------------------------------------------------
# Keras conventions the chapter relies on (FACTS.md, re-verified)
# ---------------------------------------------------------------------------------------------

def test_keras_dense_kernel_is_in_by_out_and_get_weights_is_kernel_then_bias(keras):
    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    assert tuple(layer.kernel.shape) == (2, 3) and tuple(layer.bias.shape) == (3,)
    W, b = np.arange(6.0).reshape(2, 3), np.array([0.5, -1.0, 2.0])
    layer.set_weights([W, b])
    kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(kernel, W)
    np.testing.assert_array_equal(bias, b)


def test_keras_dense_computes_in_float32_by_default_and_float64_on_request(keras):
    rng = np.random.default_rng(0)
    W, b = random_layer(rng, 3, 2)
    x = rng.normal(size=(4, 3))
    assert np.asarray(dense(keras, W, b, dtype=None)(x)).dtype == np.float32
    assert np.asarray(dense(keras, W, b)(x)).dtype == np.float64


def test_keras_dense_needs_a_batch_axis(keras):
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="min_ndim=2"):
        dense(keras, *random_layer(rng, 3, 2))(rng.normal(size=3))


# ---------------------------------------------------------------------------------------------
# dense_forward
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("batch", "n_in", "n_out"), [(1, 1, 1), (4, 3, 2), (3, 3, 3), (7, 1, 5), (16, 10, 1),
                                                      (32, 20, 12)])
def test_dense_forward_matches_keras_dense_float64(keras, batch, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 3, size=(batch, n_in))
    W, b = random_layer(rng, n_in, n_out)
    z = layers.dense_forward(x, W, b)
    assert z.dtype == np.float64 and z.shape == (batch, n_out)
    np.testing.assert_allclose(z, np.asarray(dense(keras, W, b)(x)), rtol=RTOL, atol=ATOL)


def test_dense_forward_single_example_matches_keras_on_a_batch_of_one(keras):
    rng = np.random.default_rng(3)
    x = rng.normal(size=5)
    W, b = random_layer(rng, 5, 4)
    z = layers.dense_forward(x, W, b)
    assert z.shape == (4,)
    np.testing.assert_allclose(z, np.asarray(dense(keras, W, b)(x[None]))[0], rtol=RTOL, atol=ATOL)


def test_dense_forward_square_kernel_is_not_transposed_like_keras(keras):
    # with a square W, x @ W.T has the right shape: only the values tell the layouts apart
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 3))
    W, b = random_layer(rng, 3, 3)
    theirs = np.asarray(dense(keras, W, b)(x))
    np.testing.assert_allclose(layers.dense_forward(x, W, b), theirs, rtol=RTOL, atol=ATOL)
    assert not np.allclose(x @ W.T + b, theirs)


def test_dense_forward_float32_matches_keras_default_float32_layer(keras):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, 6)).astype(np.float32)
    W, b = random_layer(rng, 6, 4, np.float32)
    z = layers.dense_forward(x, W, b)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, np.asarray(dense(keras, W, b, dtype=None)(x)), rtol=RTOL32, atol=ATOL32)


def test_dense_forward_integer_input_matches_keras_float64(keras):
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    W, b = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -1.5])
    z = layers.dense_forward(x, W, b)
    assert z.dtype == np.float64
    np.testing.assert_array_equal(z, np.asarray(dense(keras, W, b)(x.astype(np.float64))))


# ---------------------------------------------------------------------------------------------
# mlp_forward: output against a Sequential, cache against its layers one at a time
# ---------------------------------------------------------------------------------------------

ACTIVATIONS = {  # name → (NumPy function for mlp_forward, Keras activation)
    "tanh": (np.tanh, lambda keras: "tanh"),
    "softplus": (lambda z: np.logaddexp(0, z), lambda keras: "softplus"),
    "sin": (np.sin, lambda keras: keras.ops.sin),
}


def sequential(keras, params, activation, dtype="float64"):
    last = len(params) - 1
    model = keras.Sequential([keras.Input((params[0][0].shape[0],), dtype=dtype)] + [
        keras.layers.Dense(W.shape[1], activation=None if k == last else activation, dtype=dtype)
        for k, (W, _) in enumerate(params)])
    for layer, (W, b) in zip(model.layers, params):
        layer.set_weights([W, b])
    return model


def check_against_keras(keras, x, params, name, rtol, atol, dtype="float64"):
    f, keras_activation = ACTIVATIONS[name]
    model = sequential(keras, params, keras_activation(keras), dtype)
    output, cache = layers.mlp_forward(x, params, f)
    np.testing.assert_allclose(output, np.asarray(model(x)), rtol=rtol, atol=atol)
    assert len(cache) == len(params)
    a = x
    for k, layer in enumerate(model.layers):
        a_prev, z = cache[k]
        np.testing.assert_allclose(a_prev, a, rtol=rtol, atol=atol, err_msg=f"cache[{k}][0]")
        z_keras = keras.ops.add(keras.ops.matmul(keras.ops.convert_to_tensor(a), layer.kernel), layer.bias)
        np.testing.assert_allclose(z, np.asarray(z_keras), rtol=rtol, atol=atol, err_msg=f"cache[{k}][1]")
        a = np.asarray(layer(a))  # the layer with its activation: the next layer's input
    np.testing.assert_array_equal(cache[-1][1], output)
    return output, cache


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("sizes", [[3, 2], [3, 5, 2], [4, 6, 5, 3], [2, 3, 3, 3, 3, 1], [10, 16, 16, 4]])
def test_mlp_forward_matches_keras_sequential_float64(keras, sizes, name):
    rng = np.random.default_rng(len(sizes))
    params = [random_layer(rng, n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    x = rng.normal(size=(6, sizes[0]))
    output, _ = check_against_keras(keras, x, params, name, RTOL, ATOL)
    assert output.dtype == np.float64 and output.shape == (6, sizes[-1])


def test_mlp_forward_single_example_matches_keras_on_a_batch_of_one(keras):
    rng = np.random.default_rng(8)
    params = [random_layer(rng, 3, 4), random_layer(rng, 4, 2)]
    x = rng.normal(size=3)
    output, cache = layers.mlp_forward(x, params, np.tanh)
    batched, batched_cache = check_against_keras(keras, x[None], params, "tanh", RTOL, ATOL)
    assert output.shape == (2,) and [c[0].shape for c in cache] == [(3,), (4,)]
    np.testing.assert_allclose(output, batched[0], rtol=RTOL, atol=ATOL)


def test_mlp_forward_float32_matches_keras_float32(keras):
    rng = np.random.default_rng(9)
    params = [random_layer(rng, 5, 8, np.float32), random_layer(rng, 8, 3, np.float32)]
    x = rng.normal(size=(6, 5)).astype(np.float32)
    output, cache = check_against_keras(keras, x, params, "tanh", RTOL32, ATOL32, dtype="float32")
    assert output.dtype == np.float32 and all(a.dtype == z.dtype == np.float32 for a, z in cache)


def test_parameter_count_matches_keras_count_params(keras):
    sizes = [784, 128, 64, 10]
    rng = np.random.default_rng(10)
    params = [random_layer(rng, n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    model = sequential(keras, params, "tanh")
    assert model.count_params() == sum(W.size + b.size for W, b in params) == 109_386  # §3.1, by hand


def test_hand_set_xor_network_matches_keras_and_solves_xor(keras):
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    output, _ = check_against_keras(keras, x, reference.XOR_PARAMS, "tanh", RTOL, ATOL)
    # §4.3: 0.5 tanh(2) - 0.5 tanh(-2) on the 1-points, 0.5 (tanh(-2) - tanh(-6)) at (0, 0)
    np.testing.assert_allclose(output[:, 0], [0.5 * (np.tanh(-2) - np.tanh(-6)), np.tanh(2), np.tanh(2),
                                             0.5 * (np.tanh(6) - np.tanh(2))], rtol=1e-14)
    assert ((output[:, 0] > 0.5) == np.array([False, True, True, False])).all()


# ---------------------------------------------------------------------------------------------
# the grading reference itself
# ---------------------------------------------------------------------------------------------

def test_reference_cases_expected_values_come_from_keras_and_instructor_passes(tf):
    cases = reference.cases(tf, np.random.default_rng(0), "public")
    assert set(cases) == {"dense_forward", "mlp_forward"}
    for case in cases["dense_forward"]:
        x, W, b = case["args"]
        np.testing.assert_allclose(layers.dense_forward(x, W, b), case["expected"], rtol=case["rtol"], atol=case["atol"])
    for case in cases["mlp_forward"]:
        x, params, named = case["args"]
        output, cache = layers.mlp_forward(x, params, reference.FUNCTIONS[named.name])
        expected_output, expected_cache = case["expected"]
        np.testing.assert_allclose(output, expected_output, rtol=case["rtol"], atol=case["atol"])
        for (a, z), (ea, ez) in zip(cache, expected_cache, strict=True):
            np.testing.assert_allclose(a, ea, rtol=case["rtol"], atol=case["atol"])
            np.testing.assert_allclose(z, ez, rtol=case["rtol"], atol=case["atol"])
