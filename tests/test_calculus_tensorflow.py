"""dlmath.calculus against live TensorFlow: finite differences vs tf.GradientTape's exact derivatives.

* ``numerical_derivative`` / ``numerical_gradient`` / ``numerical_jacobian`` are compared with
  ``tape.gradient`` / ``tape.jacobian`` of the TensorFlow twins of the named test functions
  (``grading.references.math_toolkit.tf_functions``). A central difference with h = 1e-5 is
  accurate to about ε^{2/3}·(scale) ≈ 1e-10 relative for these smooth functions of inputs of
  order 1, so the comparison uses rtol 1e-8 (a forward difference, ~5e-6, fails it).
* ``relative_error`` is compared with the same formula written with ``tf.norm``.
* ``unbroadcast`` is compared with the gradient TensorFlow gives the operand of a broadcast,
  both ``tf.broadcast_to`` and the implicit broadcast of ``x @ W + b``.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlmath import calculus
from dlmath.checking.callables import FUNCTIONS
from grading.references import math_toolkit as ref

pytestmark = pytest.mark.tensorflow

RTOL, ATOL = 1e-8, 1e-10       # central differences vs exact derivatives (module docstring)


ELEMENTWISE = ["sin", "exp", "tanh", "cube", "softplus"]
SCALAR = {"sum_of_squares": 1.0, "log_sum_exp": 2.0, "rosenbrock": 0.5}        # name → input scale
ARRAY = ["cumsum", "outer", "normalize", "softmax"]
SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 2)]


def _input(seed, shape, scale=1.0):
    return np.random.default_rng(seed).normal(0.0, scale, shape)


def _twin_inputs():
    """(name, x) for every named function the references use, on an input it accepts."""
    for name in ELEMENTWISE + list(SCALAR) + ARRAY:
        yield name, _input(1, (2, 3))
    yield "polar", np.array([1.7, 0.6])


@pytest.mark.parametrize(("name", "x"), list(_twin_inputs()), ids=lambda v: v if isinstance(v, str) else "")
def test_each_numpy_test_function_equals_its_tensorflow_twin(tf, name, x):
    ours = np.asarray(FUNCTIONS[name](x.copy()))
    theirs = ref.tf_functions(tf)[name](tf.constant(x)).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_numerical_derivative_matches_the_exact_derivative_of_gradient_tape(tf, name, shape):
    x = np.random.default_rng(2).uniform(-2, 2, shape)
    result = calculus.numerical_derivative(FUNCTIONS[name], x)
    assert result.dtype == np.float64 and result.shape == x.shape
    np.testing.assert_allclose(result, ref.tf_derivative(tf, name, x), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shape", [s for s in SHAPES if s])
@pytest.mark.parametrize("name", list(SCALAR))
def test_numerical_gradient_matches_tape_gradient_for_any_shape(tf, name, shape):
    x = _input(3, shape, SCALAR[name])
    before = x.copy()
    result = calculus.numerical_gradient(FUNCTIONS[name], x)
    assert result.dtype == np.float64 and result.shape == x.shape
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(result, ref.tf_gradient(tf, name, x), rtol=RTOL, atol=1e-8)


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 1, 2)])
@pytest.mark.parametrize("name", ARRAY)
def test_numerical_jacobian_matches_tape_jacobian_in_its_output_first_layout(tf, name, shape):
    x = _input(4, shape)
    result = calculus.numerical_jacobian(FUNCTIONS[name], x.copy())
    expected = ref.tf_jacobian(tf, name, x)
    out_shape = np.shape(FUNCTIONS[name](x))
    assert expected.shape == out_shape + x.shape  # tape.jacobian's layout: S_out + S_in
    assert result.shape == expected.shape and result.dtype == np.float64
    np.testing.assert_allclose(result, expected, rtol=RTOL, atol=ATOL)


def test_numerical_jacobian_of_polar_coordinates_matches_tape_and_has_determinant_r(tf):
    x = np.array([1.7, 0.6])
    result = calculus.numerical_jacobian(FUNCTIONS["polar"], x.copy())
    np.testing.assert_allclose(result, ref.tf_jacobian(tf, "polar", x), rtol=RTOL, atol=ATOL)
    assert np.linalg.det(result) == pytest.approx(1.7, rel=1e-9)


def test_a_float32_central_difference_is_useless_and_a_float64_one_is_not(tf):
    # notebook §7.4: at h = 1e-5 float32 round-off dominates (~1e-3), float64 gives ~1e-11
    exact = np.cos(1.0)
    errors = {}
    for dtype in (tf.float32, tf.float64):
        x, h = tf.constant(1.0, dtype), tf.constant(1e-5, dtype)
        errors[dtype.name] = abs(float((tf.sin(x + h) - tf.sin(x - h)) / (2 * h)) - exact)
    assert errors["float32"] > 1e-4
    assert errors["float64"] < 1e-9


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("shape", [(), (6,), (3, 4), (2, 3, 2)])
def test_relative_error_matches_the_tf_norm_formula(tf, shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape)
    b = a + 10.0 ** -rng.integers(1, 12) * rng.normal(size=shape)
    assert calculus.relative_error(a, b) == pytest.approx(float(ref.tf_relative_error(tf, a, b)), rel=1e-12)


def test_relative_error_of_two_zero_arrays_is_zero_like_the_guarded_tf_formula(tf):
    zeros = np.zeros((2, 3))
    assert float(ref.tf_relative_error(tf, zeros, zeros)) == 0.0
    assert calculus.relative_error(zeros, zeros) == 0.0


# (grad shape, operand shape): leading axes, size-1 axes, both, a scalar, nothing broadcast
BROADCASTS = [
    ((4, 3), (3,)), ((4, 5), (4, 1)), ((4, 5), (1, 5)), ((2, 3, 4), (3, 1)), ((2, 3), ()), ((2, 3), (1, 1)),
    ((2, 3), (2, 3)), ((3, 2, 5, 4, 6), (2, 1, 4, 1)), ((2, 4, 3), (1, 1, 3)), ((3, 3), (3,)), ((1, 3), (1, 3)),
    ((5,), (1,)), ((0, 3), (3,)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("grad_shape", "shape"), BROADCASTS)
def test_unbroadcast_matches_the_gradient_tf_gives_a_broadcast_operand(tf, grad_shape, shape, dtype):
    grad = np.random.default_rng(5).normal(size=grad_shape).astype(dtype)
    result = calculus.unbroadcast(grad, shape)
    expected = ref.tf_unbroadcast(tf, grad, shape)
    assert result.shape == expected.shape == shape and result.dtype == dtype
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(result, expected, **tolerance)


def test_unbroadcast_gives_the_bias_gradient_tf_computes_for_x_w_plus_b(tf):
    rng = np.random.default_rng(6)
    x, W, G = rng.normal(size=(8, 3)), rng.normal(size=(3, 4)), rng.normal(size=(8, 4))
    b = tf.Variable(np.zeros(4))
    with tf.GradientTape() as tape:
        z = x @ W + b  # implicit broadcast of b over the batch
    expected = tape.gradient(z, b, output_gradients=tf.constant(G)).numpy()
    np.testing.assert_allclose(calculus.unbroadcast(G, (4,)), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(expected, G.sum(axis=0), rtol=1e-12)
