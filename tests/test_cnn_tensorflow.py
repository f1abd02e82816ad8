"""dlmath.conv against live TensorFlow in float64 (rtol 1e-10): tf.nn.conv2d, tf.image.extract_patches,
tf.nn.max_pool2d / avg_pool2d and their GradientTape gradients, over the issue's whole grid — stride 1–3,
VALID/SAME, dilation 1–2, odd and even sizes, rectangular kernels, batch > 1 — plus float32, the Keras
layers, and the TensorFlow facts the chapter's references rely on.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from dlmath import conv
from grading.references import cnn as reference

pytestmark = pytest.mark.tensorflow
RTOL, ATOL = 1e-10, 1e-12
KERNELS = [(3, 3), (3, 2), (2, 3), (2, 2), (1, 3)]
GRID = [(s, p, d, parity) for s, p, d in itertools.product((1, 2, 3), ("VALID", "SAME"), (1, 2)) for parity in ("odd", "even")]


def problem(stride, padding, dilation, parity, seed, c=3, f=4):
    rng = np.random.default_rng(seed)
    kernel = KERNELS[seed % len(KERNELS)]
    size = (9, 7) if parity == "odd" else (8, 10)
    x = rng.normal(size=(3, *size, c))
    return x, rng.normal(size=(*kernel, c, f)), rng.normal(size=f)


@pytest.mark.parametrize("stride, padding, dilation, parity", GRID)
def test_conv2d_forward_and_backward_match_tensorflow(tf, stride, padding, dilation, parity):
    x, w, b = problem(stride, padding, dilation, parity, seed=stride * 7 + dilation * 3 + len(padding) + len(parity))
    y = conv.conv2d_forward(x, w, b, stride, padding, dilation)
    np.testing.assert_allclose(y, reference._tf_conv(tf, x, w, b, stride, padding, dilation), rtol=RTOL, atol=ATOL)
    dout = np.random.default_rng(1).normal(size=y.shape)
    for got, want in zip(conv.conv2d_backward(dout, x, w, stride, padding, dilation),
                         reference._tf_conv_backward(tf, dout, x, w, stride, padding, dilation)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("stride, padding, dilation, parity", GRID)
def test_im2col_is_extract_patches_and_col2im_its_gradient(tf, stride, padding, dilation, parity):
    x, w, _ = problem(stride, padding, dilation, parity, seed=stride + dilation + len(padding), c=2)
    kernel = w.shape[:2]
    cols = conv.im2col(x, kernel, stride, padding, dilation)
    np.testing.assert_array_equal(cols, reference._tf_patches(tf, x, kernel, stride, padding, dilation))
    c = np.random.default_rng(2).normal(size=cols.shape)
    np.testing.assert_allclose(conv.col2im(c, x.shape, kernel, stride, padding, dilation),
                               reference._tf_col2im(tf, c, x.shape, kernel, stride, padding, dilation), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("n, k, s, padding, d", [(n, k, s, p, d) for n in (5, 8, 9) for k in (1, 2, 3, 4)
                                                 for s in (1, 2, 3) for p in ("VALID", "SAME") for d in (1, 2)
                                                 if p == "SAME" or (k - 1) * d + 1 <= n + 1])
def test_conv_output_size_and_same_padding_match_tensorflow(tf, n, k, s, padding, d):
    assert conv.conv_output_size(n, k, s, padding, d) == reference._tf_output_size(tf, n, k, s, padding, d)
    if padding == "SAME":
        expected = reference._tf_same_padding(tf, (n, n + 1), (k, k + 1), s, d)
        assert conv.same_padding((n, n + 1), (k, k + 1), s, d) == tuple(int(p) for p in expected)


@pytest.mark.parametrize("pool, stride, padding", [
    (p, s, pad) for p, s in [((2, 2), None), ((3, 3), 1), ((3, 3), 2), ((2, 3), (1, 2)), ((3, 2), 3), (4, 1)]
    for pad in ("VALID", "SAME")])
@pytest.mark.parametrize("ties", [True, False])
def test_pools_and_their_gradients_match_tensorflow(tf, pool, stride, padding, ties):
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 3, (3, 7, 8, 2)).astype(float) if ties else rng.normal(size=(3, 7, 8, 2))
    for kind, forward, backward in [("max", conv.max_pool2d_forward, conv.max_pool2d_backward),
                                    ("avg", conv.avg_pool2d_forward, conv.avg_pool2d_backward)]:
        y = forward(x, pool, stride, padding)
        np.testing.assert_allclose(y, reference._tf_pool(tf, kind, x, pool, stride, padding), rtol=RTOL, atol=ATOL)
        dout = rng.normal(size=y.shape)
        np.testing.assert_allclose(backward(dout, x, pool, stride, padding),
                                   reference._tf_pool_backward(tf, kind, dout, x, pool, stride, padding),
                                   rtol=RTOL, atol=ATOL)


def test_float32_matches_tensorflow_float32(tf):
    rng = np.random.default_rng(4)
    x, w, b = (rng.normal(size=s).astype(np.float32) for s in [(4, 12, 11, 3), (3, 3, 3, 5), (5,)])
    y = conv.conv2d_forward(x, w, b, 2, "SAME", 1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, reference._tf_conv(tf, x, w, b, 2, "SAME", 1), rtol=1e-4, atol=1e-5)
    dout = rng.normal(size=y.shape).astype(np.float32)
    for got, want in zip(conv.conv2d_backward(dout, x, w, 2, "SAME", 1),
                         reference._tf_conv_backward(tf, dout, x, w, 2, "SAME", 1)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_keras_layers_with_the_same_weights(tf, keras):
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(2, 9, 9, 3)), rng.normal(size=(3, 2, 3, 4)), rng.normal(size=4)
    layer = keras.layers.Conv2D(4, (3, 2), strides=2, padding="same", dtype="float64")
    layer.build((None, 9, 9, 3))
    layer.set_weights([w, b])
    np.testing.assert_allclose(conv.conv2d_forward(x, w, b, 2, "same"), np.asarray(layer(x)), rtol=RTOL, atol=ATOL)
    pooled = keras.layers.MaxPooling2D((2, 2), dtype="float64")(x)          # default strides = pool size
    np.testing.assert_allclose(conv.max_pool2d_forward(x, (2, 2)), np.asarray(pooled), rtol=RTOL)
    averaged = keras.layers.AveragePooling2D(3, strides=2, padding="same", dtype="float64")(x)
    np.testing.assert_allclose(conv.avg_pool2d_forward(x, 3, 2, "same"), np.asarray(averaged), rtol=RTOL)


# ---- the TensorFlow facts the references rely on -------------------------------------------------------

def test_tensorflow_cpu_refuses_the_dilated_conv_gradient_and_the_zero_inserted_kernel_agrees(tf):
    """Why the references differentiate through a zero-inserted kernel: TF's CPU conv gradient refuses dilation > 1,
    and for stride 1 the kernel with zeros agrees with tf.nn.convolution's (space-to-batch) dilated gradient."""
    rng = np.random.default_rng(6)
    x, w = tf.constant(rng.normal(size=(2, 9, 8, 3))), tf.constant(rng.normal(size=(3, 2, 3, 4)))
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = tf.nn.conv2d(x, w, strides=1, padding="SAME", dilations=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="dilation"):
        tape.gradient(y, [x, w], output_gradients=tf.ones_like(y))
    dout = rng.normal(size=y.shape)
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = tf.nn.convolution(x, w, strides=1, padding="SAME", dilations=2)
    space_to_batch = tape.gradient(y, [x, w], output_gradients=tf.constant(dout))
    for got, want in zip(reference._tf_conv_backward(tf, dout, x.numpy(), w.numpy(), 1, "SAME", 2), space_to_batch):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)


def test_max_pool_of_a_numpy_float64_array_turns_float32_once_keras_has_run(tf, keras):
    """The trap behind the references' tf.constant: after any Keras layer call, tf.nn.max_pool2d computes a NumPy
    float64 array in float32 (avg_pool2d, conv2d and extract_patches keep float64)."""
    x = np.random.default_rng(7).normal(size=(1, 4, 4, 1))
    keras.layers.MaxPooling2D(dtype="float64")(x)
    assert tf.nn.max_pool2d(x, 2, 2, "VALID").dtype == tf.float32
    assert tf.nn.max_pool2d(tf.constant(x), 2, 2, "VALID").dtype == tf.float64
    assert tf.nn.avg_pool2d(x, 2, 2, "VALID").dtype == tf.float64


def test_tensorflow_ties_in_max_pool_go_to_the_first_maximum(tf):
    x = tf.constant(np.array([[1, 3, 3, 0], [3, 2, 1, 3], [0, 0, 0, 0], [0, 0, 0, 0]], float).reshape(1, 4, 4, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 3, 1, "VALID")
    grad = tape.gradient(y, x, output_gradients=tf.ones_like(y)).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(grad, [[0, 2, 0, 0], [1, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]])
