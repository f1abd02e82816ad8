r"""Activation functions and their backward passes (chapter 03_activations).

Every function is elementwise or works along one axis, keeps the float dtype of
its input (float32 in, float32 out; integers become float64) and is finite,
without a RuntimeWarning, for every finite input — ±1000 and far beyond. (The
axis functions need the spread max − min along the axis to be a float itself,
below ~1.8e308 in float64; log_softmax's answer, −spread, can't exist otherwise.)

Backward functions are vector-Jacobian products: given ``dout`` = ∂L/∂y, the
upstream gradient of the output ``y = f(z)``, and the input ``z`` the forward
pass saw, they return ∂L/∂z with the shape of ``z``.
"""
from __future__ import annotations

import numpy as np

from dlmath._validate import as_float_array, as_float_arrays, check_axis, check_real_scalar

__all__ = [
    "sigmoid", "sigmoid_backward",
    "tanh", "tanh_backward",
    "relu", "relu_backward",
    "leaky_relu", "leaky_relu_backward",
    "softmax", "softmax_backward",
    "log_softmax",
]


def sigmoid(z):
    r"""Logistic sigmoid, elementwise.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}}

    Evaluate it without overflow: for z ≥ 0 use the first form, for z < 0 the
    second, so ``exp`` is only ever taken of a non-positive number.

    Args:
        z: array of any shape (or a number).
    Returns:
        σ(z), same shape and float dtype as ``z``, every value in [0, 1].

    Derived in: 03_activations §2.2
    """
    z = as_float_array(z, "z")
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    ### END SOLUTION


def sigmoid_backward(dout, z):
    r"""Gradient of the loss w.r.t. the sigmoid's input.

    .. math:: \frac{\partial L}{\partial z} = \frac{\partial L}{\partial y}\,\sigma(z)\,(1 - \sigma(z))

    Args:
        dout: ∂L/∂y, same shape as ``z``.
        z: the input the forward pass saw.
    Returns:
        ∂L/∂z, same shape as ``z``, in the common float dtype of ``dout`` and ``z``.

    Derived in: 03_activations §2.3
    """
    dout, z = as_float_arrays(dout=dout, z=z)
    ### BEGIN SOLUTION
    s = sigmoid(z)
    return dout * s * (1 - s)
    ### END SOLUTION


def tanh(z):
    r"""Hyperbolic tangent, elementwise.

    .. math:: \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1

    Args:
        z: array of any shape (or a number).
    Returns:
        tanh(z), same shape and float dtype as ``z``, every value in [-1, 1].

    Derived in: 03_activations §3.1
    """
    z = as_float_array(z, "z")
    ### BEGIN SOLUTION
    return np.tanh(z)
    ### END SOLUTION


def tanh_backward(dout, z):
    r"""Gradient of the loss w.r.t. the tanh's input.

    .. math:: \frac{\partial L}{\partial z} = \frac{\partial L}{\partial y}\,\bigl(1 - \tanh^2(z)\bigr)

    Args:
        dout: ∂L/∂y, same shape as ``z``.
        z: the input the forward pass saw.
    Returns:
        ∂L/∂z, same shape as ``z``.

    Derived in: 03_activations §3.2
    """
    dout, z = as_float_arrays(dout=dout, z=z)
    ### BEGIN SOLUTION
    t = np.tanh(z)
    return dout * (1 - t * t)
    ### END SOLUTION


def relu(z):
    r"""Rectified linear unit, elementwise.

    .. math:: \mathrm{relu}(z) = \max(z, 0)

    Args:
        z: array of any shape (or a number).
    Returns:
        max(z, 0), same shape and float dtype as ``z``.

    Derived in: 03_activations §4.1
    """
    z = as_float_array(z, "z")
    ### BEGIN SOLUTION
    return np.maximum(z, 0)
    ### END SOLUTION


def relu_backward(dout, z):
    r"""Gradient of the loss w.r.t. the ReLU's input.

    .. math:: \frac{\partial L}{\partial z} = \frac{\partial L}{\partial y}\cdot[z > 0]

    At z = 0 ReLU has no derivative; like TensorFlow we take the subgradient 0.

    Args:
        dout: ∂L/∂y, same shape as ``z``.
        z: the input the forward pass saw.
    Returns:
        ∂L/∂z, same shape as ``z``.

    Derived in: 03_activations §4.2
    """
    dout, z = as_float_arrays(dout=dout, z=z)
    ### BEGIN SOLUTION
    return np.where(z > 0, dout, 0).astype(dout.dtype, copy=False)
    ### END SOLUTION


def leaky_relu(z, alpha=0.2):
    r"""Leaky ReLU, elementwise.

    .. math:: \mathrm{leaky\_relu}(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}

    The default slope 0.2 is that of ``tf.nn.leaky_relu`` and
    ``keras.activations.leaky_relu``; the ``keras.layers.LeakyReLU`` *layer*
    defaults to 0.3.

    Args:
        z: array of any shape (or a number).
        alpha: slope for z ≤ 0, a finite real number.
    Returns:
        Same shape and float dtype as ``z``.

    Derived in: 03_activations §4.3
    """
    z = as_float_array(z, "z")
    alpha = check_real_scalar(alpha, "alpha")
    ### BEGIN SOLUTION
    return np.where(z > 0, z, alpha * z).astype(z.dtype, copy=False)
    ### END SOLUTION


def leaky_relu_backward(dout, z, alpha=0.2):
    r"""Gradient of the loss w.r.t. the leaky ReLU's input.

    .. math:: \frac{\partial L}{\partial z} = \frac{\partial L}{\partial y}\cdot\begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}

    At z = 0 we take the slope α, as TensorFlow does.

    Args:
        dout: ∂L/∂y, same shape as ``z``.
        z: the input the forward pass saw.
        alpha: the slope the forward pass used.
    Returns:
        ∂L/∂z, same shape as ``z``.

    Derived in: 03_activations §4.3
    """
    dout, z = as_float_arrays(dout=dout, z=z)
    alpha = check_real_scalar(alpha, "alpha")
    ### BEGIN SOLUTION
    return np.where(z > 0, dout, alpha * dout).astype(dout.dtype, copy=False)
    ### END SOLUTION


def softmax(z, axis=-1):
    r"""Softmax along ``axis``.

    .. math:: \mathrm{softmax}(z)_i = \frac{e^{z_i - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j

    Subtracting the maximum m changes nothing mathematically and keeps every
    exponent ≤ 0, so nothing overflows.

    Args:
        z: array with at least one dimension, e.g. logits of shape (batch, classes).
        axis: the axis to normalise over (default: the last one, as in Keras).
    Returns:
        Same shape and float dtype as ``z``; non-negative, summing to 1 along ``axis``.

    Derived in: 03_activations §5.1
    """
    z = as_float_array(z, "z")
    axis = check_axis(axis, z, "z")
    ### BEGIN SOLUTION
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
    ### END SOLUTION


def softmax_backward(dout, z, axis=-1):
    r"""Vector-Jacobian product of softmax along ``axis``.

    With s = softmax(z) the Jacobian is diag(s) − s sᵀ, so

    .. math:: \frac{\partial L}{\partial z} = s \odot \Bigl(\mathrm{dout} - \sum_j \mathrm{dout}_j\, s_j\Bigr)

    computed without ever forming the (classes × classes) Jacobian.

    Args:
        dout: ∂L/∂s, same shape as ``z``.
        z: the input the forward pass saw.
        axis: the axis the forward pass normalised over.
    Returns:
        ∂L/∂z, same shape as ``z``.

    Derived in: 03_activations §5.2
    """
    dout, z = as_float_arrays(dout=dout, z=z)
    axis = check_axis(axis, z, "z")
    ### BEGIN SOLUTION
    s = softmax(z, axis=axis)
    return s * (dout - np.sum(dout * s, axis=axis, keepdims=True))
    ### END SOLUTION


def log_softmax(z, axis=-1):
    r"""Logarithm of the softmax along ``axis``, computed stably.

    .. math:: \log \mathrm{softmax}(z)_i = (z_i - m) - \log \sum_j e^{z_j - m}, \qquad m = \max_j z_j

    Taking ``np.log(softmax(z))`` instead gives −inf wherever the softmax
    underflows to 0 (e.g. z = [1000, 0, −1000]); this form gives −2000 there.

    Args:
        z: array with at least one dimension.
        axis: the axis to normalise over (default: the last one).
    Returns:
        Same shape and float dtype as ``z``; every value ≤ 0.

    Derived in: 03_activations §5.3
    """
    z = as_float_array(z, "z")
    axis = check_axis(axis, z, "z")
    ### BEGIN SOLUTION
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    ### END SOLUTION
