r"""Regularization and normalization (chapter 07_regularization), as Keras computes them.

* **Weight penalties** — Keras's ``kernel_regularizer`` convention: the factor multiplies the
  plain sum, ``L2(l2)(w) = l2·Σw²`` (no ½) and ``L1(l1)(w) = l1·Σ|w|``. A penalty is a scalar
  term added to the loss; its ``_backward`` is its gradient with respect to ``w``. At ``w = 0``
  the L1 gradient is 0 (the subgradient ``sign(0) = 0`` that TensorFlow takes).
* **Dropout** — *inverted* dropout, as ``keras.layers.Dropout``: in training, kept units are
  divided by ``1 − rate`` so the expected output equals the input; at inference the layer is
  the identity. The keep mask is an argument, so the functions are deterministic; draw one
  with :func:`dropout_mask` (given code).
* **Normalization** — ``keras.layers.BatchNormalization`` (statistics over every axis but the
  last, momentum 0.99, ε = 1e-3) and ``keras.layers.LayerNormalization`` (statistics over the
  last axis, ε = 1e-3). Variances are the *biased* ones (divide by the count ``m``, not
  ``m − 1``). The backward functions take what the forward pass saw (``x`` and ``gamma``) and
  recompute the statistics they need.
* **Early stopping** — ``keras.callbacks.EarlyStopping(monitor="val_loss")``'s rule, replayed
  on a validation curve.

Every function keeps the float dtype of its inputs (float32 in, float32 out; integers become
float64), never changes its inputs, and validates them before computing anything.
"""
from __future__ import annotations

import numbers

import numpy as np

from dlmath._validate import as_float_array, as_float_arrays, check_real_scalar

__all__ = [
    "l2_penalty", "l2_penalty_backward", "l1_penalty", "l1_penalty_backward",
    "dropout_mask", "dropout_forward", "dropout_backward",
    "batchnorm_forward", "batchnorm_backward", "layernorm_forward", "layernorm_backward",
    "early_stopping",
]


# ---- validation (reference code in every edition) -----------------------------------------------

def _factor(value, name: str) -> float:
    value = check_real_scalar(value, name)
    if value < 0:
        raise ValueError(f"{name} must be a non-negative penalty factor, got {value}")
    return value


def _rate(rate) -> float:
    rate = check_real_scalar(rate, "rate")
    if not 0 <= rate <= 1:
        raise ValueError(f"rate is the fraction of units dropped and must lie in [0, 1], got {rate}")
    return rate


def _flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _keep_mask(mask, shape: tuple, name: str = "mask") -> np.ndarray:
    """The keep mask as a boolean array that broadcasts to ``shape`` (True = unit kept)."""
    if mask is None:
        raise TypeError(f"{name} must be the keep mask (True where a unit is kept), got None; "
                        f"draw one with dlmath.regularization.dropout_mask")
    mask = np.asarray(mask)
    if mask.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a boolean (or 0/1) array, got dtype {mask.dtype}")
    if mask.dtype != bool:
        if not np.all((mask == 0) | (mask == 1)):
            raise ValueError(f"{name} must hold only 0/1 (or False/True): True keeps a unit, False drops it")
        mask = mask.astype(bool)
    try:
        broadcast = np.broadcast_shapes(mask.shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != tuple(shape):
        raise ValueError(f"{name} must have the shape of the input {tuple(shape)} or broadcast to it "
                         f"(like Keras's noise_shape), got {name}.shape = {mask.shape}")
    return mask


def _epsilon(epsilon) -> float:
    epsilon = check_real_scalar(epsilon, "epsilon")
    if epsilon <= 0:
        raise ValueError(f"epsilon must be positive (it keeps the division finite for a constant feature), got {epsilon}")
    return epsilon


def _features(x, named: dict, min_ndim: int, what: str):
    """x and per-feature vectors of shape (C,) (C = x.shape[-1]), all in their common float dtype."""
    x = as_float_array(x, "x")
    if x.ndim < min_ndim or x.size == 0:
        raise ValueError(f"x must have at least {min_ndim} dimension(s) and some entries ({what}), got shape {x.shape}")
    arrays = {name: as_float_array(value, name) for name, value in named.items()}
    for name, array in arrays.items():
        if array.shape != (x.shape[-1],):
            raise ValueError(f"{name} must have shape ({x.shape[-1]},), one entry per feature (the last axis of x), "
                             f"got {name}.shape = {array.shape}")
    dtype = np.result_type(x, *arrays.values())
    return [x.astype(dtype, copy=False)] + [a.astype(dtype, copy=False) for a in arrays.values()]


def _dout_like(dout, x) -> np.ndarray:
    dout = as_float_array(dout, "dout")
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x {x.shape} (the layer's output), got {dout.shape}")
    return dout


# ---- weight penalties ----------------------------------------------------------------------------

def l2_penalty(w, l2=0.01):
    r"""The L2 penalty of a weight array, Keras's ``keras.regularizers.L2(l2)``.

    .. math:: \Omega(w) = \lambda \sum_i w_i^2 \qquad (\lambda = \texttt{l2};\ \text{no } \tfrac12)

    Args:
        w: weights of any shape (a kernel, say (in, out)).
        l2: the factor λ ≥ 0 (Keras's default 0.01).
    Returns:
        Ω(w), a 0-d value of w's float dtype.

    Derived in: 07_regularization §2.1
    """
    w = as_float_array(w, "w")
    l2 = _factor(l2, "l2")
    ### BEGIN SOLUTION
    return l2 * np.sum(w * w)
    ### END SOLUTION


def l2_penalty_backward(w, l2=0.01):
    r"""Gradient of :func:`l2_penalty` with respect to the weights.

    .. math:: \frac{\partial \Omega}{\partial w} = 2\lambda w

    Args:
        w: weights of any shape.
        l2: the factor λ ≥ 0.
    Returns:
        ∂Ω/∂w, the shape and float dtype of ``w``.

    Derived in: 07_regularization §2.2
    """
    w = as_float_array(w, "w")
    l2 = _factor(l2, "l2")
    ### BEGIN SOLUTION
    return 2 * l2 * w
    ### END SOLUTION


def l1_penalty(w, l1=0.01):
    r"""The L1 penalty of a weight array, Keras's ``keras.regularizers.L1(l1)``.

    .. math:: \Omega(w) = \lambda \sum_i |w_i| \qquad (\lambda = \texttt{l1})

    Args:
        w: weights of any shape.
        l1: the factor λ ≥ 0 (Keras's default 0.01).
    Returns:
        Ω(w), a 0-d value of w's float dtype.

    Derived in: 07_regularization §2.3
    """
    w = as_float_array(w, "w")
    l1 = _factor(l1, "l1")
    ### BEGIN SOLUTION
    return l1 * np.sum(np.abs(w))
    ### END SOLUTION


def l1_penalty_backward(w, l1=0.01):
    r"""(Sub)gradient of :func:`l1_penalty` with respect to the weights.

    .. math:: \frac{\partial \Omega}{\partial w} = \lambda\,\operatorname{sign}(w), \qquad \operatorname{sign}(0) = 0

    |w| has no derivative at 0; every value in [−λ, λ] is a subgradient there, and TensorFlow
    (``tf.abs``'s gradient) takes 0.

    Args:
        w: weights of any shape.
        l1: the factor λ ≥ 0.
    Returns:
        ∂Ω/∂w, the shape and float dtype of ``w``.

    Derived in: 07_regularization §2.3
    """
    w = as_float_array(w, "w")
    l1 = _factor(l1, "l1")
    ### BEGIN SOLUTION
    return l1 * np.sign(w)
    ### END SOLUTION


# ---- dropout -------------------------------------------------------------------------------------

def dropout_mask(shape, rate, rng):
    """A random keep mask for dropout (given code, not graded): True with probability 1 − rate.

    Like TensorFlow, a unit is kept where a uniform draw in [0, 1) is at least ``rate``.

    Args:
        shape: the mask's shape (the input's, or a shape that broadcasts to it — Keras's ``noise_shape``).
        rate: the fraction of units to drop, in [0, 1].
        rng: a ``np.random.Generator``.
    Returns:
        A boolean array of that shape.
    """
    rate = _rate(rate)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng.random(shape) >= rate


def dropout_forward(x, mask, rate, training=True):
    r"""Inverted dropout, as ``keras.layers.Dropout(rate)``: drop units, rescale the rest.

    .. math:: y = \begin{cases} \dfrac{m \odot x}{1 - p} & \text{training} \\ x & \text{inference} \end{cases}
              \qquad m_i \in \{0, 1\},\ P(m_i = 1) = 1 - p

    so that :math:`\mathbb{E}[y] = x` in training. At ``rate = 1`` every unit is dropped and the
    output is 0 (Keras's convention: no division by 0). At inference the mask is not used.

    Args:
        x: activations of any shape.
        mask: the keep mask (True = kept): a boolean (or 0/1) array of x's shape, or of a shape
            that broadcasts to it (Keras's ``noise_shape``: one draw shared along the broadcast axes).
            May be None at inference.
        rate: p, the fraction of units dropped, in [0, 1].
        training: True in training, False at inference.
    Returns:
        y, the shape and float dtype of ``x``.

    Derived in: 07_regularization §3.1
    """
    x = as_float_array(x, "x")
    rate = _rate(rate)
    training = _flag(training, "training")
    if training:
        mask = _keep_mask(mask, x.shape)
    ### BEGIN SOLUTION
    if not training:
        return x.copy()
    if rate == 1:
        return np.zeros_like(x)
    return x * mask / (1 - rate)
    ### END SOLUTION


def dropout_backward(dout, mask, rate):
    r"""Gradient of training-mode :func:`dropout_forward` with respect to its input.

    .. math:: \frac{\partial L}{\partial x} = \frac{m \odot \mathrm{dout}}{1 - p} \qquad (0 \text{ at } p = 1)

    Args:
        dout: ∂L/∂y, shape of the layer's input and output.
        mask: the keep mask the forward pass used (shape of dout, or broadcasting to it).
        rate: p, the fraction of units dropped, in [0, 1].
    Returns:
        ∂L/∂x, the shape and float dtype of ``dout``.

    Derived in: 07_regularization §3.2
    """
    dout = as_float_array(dout, "dout")
    rate = _rate(rate)
    mask = _keep_mask(mask, dout.shape)
    ### BEGIN SOLUTION
    if rate == 1:
        return np.zeros_like(dout)
    return dout * mask / (1 - rate)
    ### END SOLUTION


# ---- batch and layer normalization ----------------------------------------------------------------

def batchnorm_forward(x, gamma, beta, moving_mean, moving_variance, training=True, momentum=0.99, epsilon=1e-3):
    r"""Batch normalization, as ``keras.layers.BatchNormalization()`` (features on the last axis).

    Training: the statistics of the batch, over every axis but the last (all ``m`` examples —
    and positions, for images (N, H, W, C)), with the *biased* variance; the moving statistics
    move a step ``1 − momentum`` towards them (Keras's convention):

    .. math:: \mu = \frac1m \sum x, \quad \sigma^2 = \frac1m \sum (x - \mu)^2, \quad
              y = \gamma\,\frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    .. math:: \mu_{\text{moving}} \leftarrow \text{momentum}\cdot\mu_{\text{moving}} + (1 - \text{momentum})\,\mu,
              \qquad \sigma^2_{\text{moving}} \leftarrow \text{momentum}\cdot\sigma^2_{\text{moving}} + (1 - \text{momentum})\,\sigma^2

    Inference: the same formula for y with the moving statistics in place of μ and σ², which are
    returned unchanged.

    Args:
        x: activations, shape (batch, C) or (batch, ..., C), e.g. NHWC images.
        gamma, beta: scale and offset, shape (C,).
        moving_mean, moving_variance: the moving statistics, shape (C,) (Keras starts them at 0 and 1).
        training: True to normalize with the batch's statistics (and update the moving ones).
        momentum: in [0, 1]; Keras's default 0.99 (the moving statistics change slowly).
        epsilon: ε > 0 inside the square root; Keras's default 1e-3.
    Returns:
        ``(y, new_moving_mean, new_moving_variance)``: y of x's shape; the statistics of shape (C,).
        All in the common float dtype of the inputs.

    Derived in: 07_regularization §4.1
    """
    x, gamma, beta, moving_mean, moving_variance = _features(
        x, {"gamma": gamma, "beta": beta, "moving_mean": moving_mean, "moving_variance": moving_variance},
        2, "(batch, ..., features)")
    training = _flag(training, "training")
    momentum = check_real_scalar(momentum, "momentum")
    if not 0 <= momentum <= 1:
        raise ValueError(f"momentum must lie in [0, 1], got {momentum}")
    epsilon = _epsilon(epsilon)
    ### BEGIN SOLUTION
    axes = tuple(range(x.ndim - 1))  # every axis but the features
    if training:
        mean, variance = x.mean(axis=axes), x.var(axis=axes)  # np.var divides by m: the biased variance
        new_mean = momentum * moving_mean + (1 - momentum) * mean
        new_variance = momentum * moving_variance + (1 - momentum) * variance
    else:
        mean, variance = moving_mean, moving_variance
        new_mean, new_variance = moving_mean.copy(), moving_variance.copy()
    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta
    return y, new_mean, new_variance
    ### END SOLUTION


def batchnorm_backward(dout, x, gamma, epsilon=1e-3):
    r"""Gradients of training-mode :func:`batchnorm_forward` (batch statistics), in the compact form.

    With :math:`\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}` and sums over the ``m`` entries of
    each feature (every axis but the last):

    .. math:: \frac{\partial L}{\partial \beta} = \sum \mathrm{dout}, \qquad
              \frac{\partial L}{\partial \gamma} = \sum \mathrm{dout}\odot\hat x,

    .. math:: \frac{\partial L}{\partial x} = \frac{\gamma}{m\sqrt{\sigma^2 + \epsilon}}
              \Bigl(m\,\mathrm{dout} - \sum \mathrm{dout} - \hat x \sum \mathrm{dout}\odot\hat x\Bigr)

    μ and σ² depend on x too: the two sums are the gradient's paths through them.

    Args:
        dout: ∂L/∂y, shape of x.
        x: the input the forward pass saw, shape (batch, ..., C).
        gamma: the scale, shape (C,).
        epsilon: the forward pass's ε.
    Returns:
        ``(dx, dgamma, dbeta)`` of shapes x.shape, (C,), (C,), in the common float dtype.

    Derived in: 07_regularization §4.3
    """
    x, gamma = _features(x, {"gamma": gamma}, 2, "(batch, ..., features)")
    dout = _dout_like(dout, x)
    dtype = np.result_type(dout, x)
    dout, x, gamma = (a.astype(dtype, copy=False) for a in (dout, x, gamma))
    epsilon = _epsilon(epsilon)
    ### BEGIN SOLUTION
    axes = tuple(range(x.ndim - 1))
    m = x.size // x.shape[-1]
    inv_std = 1 / np.sqrt(x.var(axis=axes) + epsilon)
    x_hat = (x - x.mean(axis=axes)) * inv_std
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    dx = gamma * inv_std / m * (m * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
    ### END SOLUTION


def layernorm_forward(x, gamma, beta, epsilon=1e-3):
    r"""Layer normalization, as ``keras.layers.LayerNormalization()``: each example over its features.

    With statistics over the last axis only (the ``D`` features of one example, one position):

    .. math:: \mu = \frac1D \sum_j x_j, \quad \sigma^2 = \frac1D \sum_j (x_j - \mu)^2, \quad
              y = \gamma\,\frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    The same in training and at inference: no moving statistics, nothing depends on the batch.

    Args:
        x: activations, shape (..., D): (D,) one example, (batch, D), (batch, time, D), ...
        gamma, beta: scale and offset, shape (D,).
        epsilon: ε > 0 inside the square root; Keras's default 1e-3.
    Returns:
        y, the shape of x, in the common float dtype of the inputs.

    Derived in: 07_regularization §5.1
    """
    x, gamma, beta = _features(x, {"gamma": gamma, "beta": beta}, 1, "(..., features)")
    epsilon = _epsilon(epsilon)
    ### BEGIN SOLUTION
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta
    ### END SOLUTION


def layernorm_backward(dout, x, gamma, epsilon=1e-3):
    r"""Gradients of :func:`layernorm_forward`: batch norm's compact form along the other axis.

    With :math:`\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}` per example, :math:`g = \gamma \odot
    \mathrm{dout}` and sums over the ``D`` features of each example (last axis):

    .. math:: \frac{\partial L}{\partial x} = \frac{1}{D\sqrt{\sigma^2 + \epsilon}}
              \Bigl(D\,g - \sum_j g_j - \hat x \sum_j g_j \hat x_j\Bigr)

    and, summed over every leading axis (the examples), :math:`\partial L/\partial\gamma = \sum
    \mathrm{dout}\odot\hat x`, :math:`\partial L/\partial\beta = \sum \mathrm{dout}`.

    Args:
        dout: ∂L/∂y, shape of x.
        x: the input the forward pass saw, shape (..., D).
        gamma: the scale, shape (D,).
        epsilon: the forward pass's ε.
    Returns:
        ``(dx, dgamma, dbeta)`` of shapes x.shape, (D,), (D,), in the common float dtype.

    Derived in: 07_regularization §5.2
    """
    x, gamma = _features(x, {"gamma": gamma}, 1, "(..., features)")
    dout = _dout_like(dout, x)
    dtype = np.result_type(dout, x)
    dout, x, gamma = (a.astype(dtype, copy=False) for a in (dout, x, gamma))
    epsilon = _epsilon(epsilon)
    ### BEGIN SOLUTION
    leading = tuple(range(x.ndim - 1))
    d = x.shape[-1]
    inv_std = 1 / np.sqrt(x.var(axis=-1, keepdims=True) + epsilon)
    x_hat = (x - x.mean(axis=-1, keepdims=True)) * inv_std
    g = gamma * dout
    dx = inv_std / d * (d * g - g.sum(axis=-1, keepdims=True) - x_hat * (g * x_hat).sum(axis=-1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=leading), dout.sum(axis=leading)
    ### END SOLUTION


# ---- early stopping -------------------------------------------------------------------------------

def early_stopping(val_losses, patience=0, min_delta=0.0, restore_best_weights=False):
    r"""Replay ``keras.callbacks.EarlyStopping(monitor="val_loss", ...)`` on a validation curve.

    At the end of epoch ``t`` (0-based) with validation loss :math:`v_t`:

    1. ``wait`` grows by one;
    2. if :math:`v_t + \text{min\_delta} < \text{best}` (strictly; always at t = 0), it is an
       improvement: best ← v_t, the best epoch ← t, ``wait`` ← 0, and the next epoch runs;
    3. otherwise, if ``wait >= patience`` and t > 0, training stops after this epoch.

    So with patience p, training stops at the p-th epoch in a row without an improvement
    (p = 0 and p = 1 behave alike). At the end of training — stopped or not — the model keeps
    its last weights, or with ``restore_best_weights`` gets back those of the best epoch.

    Args:
        val_losses: the validation loss after each epoch, shape (epochs,), finite, at least one.
        patience: an int ≥ 0.
        min_delta: ≥ 0; an improvement must beat the best by more than this.
        restore_best_weights: whether the weights of the best epoch are restored at the end.
    Returns:
        ``(epochs_run, weights_epoch)``, two ints: how many epochs ran (all of them if training
        never stopped), and the 0-based epoch whose weights the model holds at the end.

    Derived in: 07_regularization §6.1
    """
    val_losses = as_float_array(val_losses, "val_losses")
    if val_losses.ndim != 1 or val_losses.size == 0:
        raise ValueError(f"val_losses must be a 1-D curve with one loss per epoch, got shape {val_losses.shape}")
    if not np.all(np.isfinite(val_losses)):
        raise ValueError("val_losses must be finite (a NaN or inf loss means the run diverged)")
    if isinstance(patience, (bool, np.bool_)) or not isinstance(patience, numbers.Integral):
        raise TypeError(f"patience must be an int (a number of epochs), got {patience!r}")
    if patience < 0:
        raise ValueError(f"patience must be a number of epochs >= 0, got {patience}")
    patience = int(patience)
    min_delta = _factor(min_delta, "min_delta")
    restore_best_weights = _flag(restore_best_weights, "restore_best_weights")
    ### BEGIN SOLUTION
    best, best_epoch, wait = None, 0, 0
    for epoch, current in enumerate(val_losses):
        wait += 1
        if best is None or current + min_delta < best:
            best, best_epoch, wait = current, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch + 1, (best_epoch if restore_best_weights else epoch)
    last = len(val_losses) - 1
    return last + 1, (best_epoch if restore_best_weights else last)
    ### END SOLUTION
