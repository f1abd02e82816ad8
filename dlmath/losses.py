r"""Loss functions and their gradients (chapter 04_losses), as Keras computes them.

Conventions — Keras's, so that results match ``keras.losses.*``:

* **Argument order** ``(y_true, y_pred)``: the target first, then the prediction
  (probabilities, or ``logits`` for the ``*_with_logits`` losses, or integer
  ``labels`` first for the sparse loss).
* **Layout**: the last axis holds one sample's values (MSE, BCE) or its classes
  (the categorical losses); every leading axis counts samples. ``(batch, classes)``
  is the usual shape; a single 1-D vector is one sample.
* **Reduction** ``sum_over_batch_size`` (Keras's default): a per-sample loss —
  the *mean* over the last axis for MSE and binary cross-entropy, the *sum* over
  the classes for the categorical losses — then the *mean* over all samples. For
  MSE and BCE that is simply the mean over every element.
* **Return value**: the scalar loss, a 0-d NumPy value of the prediction's float
  dtype (float32 in, float32 out; integer predictions become float64). ``y_true``
  is cast to that dtype first, as Keras does.
* **Clipping** (the probability losses): Keras clips probabilities to
  ``[epsilon, 1 - epsilon]`` with ``epsilon = 1e-7`` before taking logs, so
  ``p = 0`` and ``p = 1`` give finite losses. Where the clip is active (p < ε or
  p > 1 − ε, strictly) the loss does not depend on p and its gradient is 0; at
  p = ε and p = 1 − ε exactly the gradient passes, as in TensorFlow.
* **Backward functions** ``<loss>_backward(y_true, y_pred)`` take the same
  arguments as the loss and return ∂L/∂y_pred of the scalar loss, with the
  shape and dtype of ``y_pred``: the gradient ``tf.GradientTape`` gives for the
  Keras loss. This is where backpropagation starts (chapter 05): it is the
  ``dout`` handed to the network's last layer.

Validation (before any computation): the arrays must have the same shape, at least
one dimension and at least one element. Probabilities must lie in [0, 1] — this
course rejects values outside (Keras would silently clip them, which hides the
common mistake of passing logits to a probability loss). Binary targets must lie
in [0, 1]; categorical targets must be distributions over the last axis (entries
in [0, 1] summing to 1 within 1e-4). Sparse labels must be integers with shape
``logits.shape[:-1]`` and values in ``0 .. classes - 1``. The hinge loss's targets must be
one-hot (0/1 entries, a single 1 per sample) over at least two classes; Huber's ``delta`` must be
a positive finite number.

Every function is finite and warning-free for probabilities of exactly 0 and 1
and for logits as large as ±1000 (and beyond).
"""
from __future__ import annotations

import numpy as np

from dlmath._validate import as_float_array, check_real_scalar
from dlmath.activations import log_softmax, sigmoid, softmax

__all__ = [
    "mse", "mse_backward",
    "huber", "huber_backward",
    "binary_cross_entropy", "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_backward",
    "categorical_cross_entropy", "categorical_cross_entropy_backward",
    "categorical_cross_entropy_with_logits", "categorical_cross_entropy_with_logits_backward",
    "sparse_categorical_cross_entropy_with_logits", "sparse_categorical_cross_entropy_with_logits_backward",
    "multiclass_hinge", "multiclass_hinge_backward",
]

DISTRIBUTION_TOLERANCE = 1e-4  # how far a categorical target's row sum may be from 1


# ---- validation (reference code in every edition) -----------------------------------------------

def check_pair(y_true, y_pred, pred_name: str = "y_pred"):
    """Return (y_true, y_pred) as float arrays of y_pred's float dtype, after checking their shapes.

    Raises:
        TypeError: non-numeric data (see ``as_float_array``).
        ValueError: different shapes, a 0-d prediction, or no elements.
    """
    y_pred = as_float_array(y_pred, pred_name)
    y_true = as_float_array(y_true, "y_true")
    if y_pred.ndim == 0:
        raise ValueError(f"{pred_name} must have at least one dimension (the last axis holds a sample's values), "
                         f"got a 0-d value; use shape (batch, n)")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true must have the same shape as {pred_name}: "
                         f"got y_true.shape = {y_true.shape}, {pred_name}.shape = {y_pred.shape}")
    if y_pred.size == 0:
        raise ValueError(f"{pred_name} has no elements (shape {y_pred.shape}): there is no loss to average")
    return y_true.astype(y_pred.dtype, copy=False), y_pred


def _check_unit_interval(array: np.ndarray, name: str, advice: str = "") -> None:
    inside = (array >= 0) & (array <= 1)  # False for NaN as well
    if not inside.all():
        index = tuple(int(i) for i in np.argwhere(~inside)[0])
        raise ValueError(f"{name} must hold values in [0, 1], got {float(array[index])} at index {index}{advice}")


def check_probabilities(y_true, y_pred, logits_function: str):
    """``check_pair`` plus: y_pred and y_true in [0, 1]."""
    y_true, y_pred = check_pair(y_true, y_pred)
    _check_unit_interval(y_pred, "y_pred", f" (probabilities; for logits use {logits_function})")
    _check_unit_interval(y_true, "y_true")
    return y_true, y_pred


def check_binary_targets(y_true, logits):
    """``check_pair`` for a logits loss, plus: y_true in [0, 1]."""
    y_true, logits = check_pair(y_true, logits, "logits")
    _check_unit_interval(y_true, "y_true")
    return y_true, logits


def _check_distributions(y_true: np.ndarray) -> None:
    _check_unit_interval(y_true, "y_true")
    sums = np.sum(y_true, axis=-1, dtype=np.float64)
    bad = np.abs(sums - 1) > DISTRIBUTION_TOLERANCE
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        raise ValueError(f"y_true must hold a probability distribution over the last axis (one-hot or soft labels "
                         f"summing to 1), but the row at index {index} sums to {float(sums[index])!r}")


def check_categorical(y_true, y_pred):
    """``check_pair`` plus: y_pred in [0, 1] with positive row sums; y_true rows are distributions."""
    y_true, y_pred = check_probabilities(y_true, y_pred, "categorical_cross_entropy_with_logits")
    empty = np.sum(y_pred, axis=-1) == 0
    if empty.any():
        index = tuple(int(i) for i in np.argwhere(empty)[0]) if empty.ndim else ()
        raise ValueError(f"y_pred's row at index {index} is all zeros: it cannot be normalised to a distribution")
    _check_distributions(y_true)
    return y_true, y_pred


def check_categorical_logits(y_true, logits):
    """``check_pair`` for a logits loss, plus: y_true rows are distributions."""
    y_true, logits = check_pair(y_true, logits, "logits")
    _check_distributions(y_true)
    return y_true, logits


def check_labels(labels, logits):
    """Return (labels as an int64 array, logits as a float array).

    Raises:
        TypeError: labels not integers (floats, bools, strings); logits not numeric.
        ValueError: logits 0-d or without classes; labels.shape != logits.shape[:-1]; a label
            outside 0 .. classes - 1.
    """
    logits = as_float_array(logits, "logits")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError(f"logits must have a last axis of classes, got shape {logits.shape}")
    if labels is None or isinstance(labels, (float, complex, str, bytes)):
        raise TypeError(f"labels must be integer class indices, got {labels!r}")
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got dtype {labels.dtype}"
                        + (" (one-hot targets go to categorical_cross_entropy_with_logits)" if labels.dtype.kind == "f" else ""))
    if labels.shape != logits.shape[:-1]:
        raise ValueError(f"labels must have shape logits.shape[:-1] = {logits.shape[:-1]} (one class index per sample), "
                         f"got labels.shape = {labels.shape}")
    if logits.size == 0:
        raise ValueError(f"logits has no samples (shape {logits.shape}): there is no loss to average")
    classes = logits.shape[-1]
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        raise ValueError(f"labels must lie in 0 .. {classes - 1} (logits has {classes} classes), "
                         f"got {int(labels[index])} at index {index}")
    return labels.astype(np.int64, copy=False), logits


def check_one_hot(y_true, y_pred):
    """``check_pair`` for the hinge loss, plus: y_true one-hot over the last axis, at least two classes."""
    y_true, y_pred = check_pair(y_true, y_pred)
    if y_pred.shape[-1] < 2:
        raise ValueError(f"y_pred must have at least two classes on its last axis, got shape {y_pred.shape}")
    if not np.all((y_true == 0) | (y_true == 1)) or not np.all(np.sum(y_true, axis=-1) == 1):
        bad = ~np.all((y_true == 0) | (y_true == 1), axis=-1) | (np.sum(y_true, axis=-1) != 1)
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        raise ValueError(f"y_true must be one-hot over the last axis (0s and a single 1 per sample), "
                         f"but the row at index {index} is {y_true[index].tolist()}")
    return y_true, y_pred


def check_delta(delta) -> float:
    """Return Huber's threshold as a positive float."""
    delta = check_real_scalar(delta, "delta")
    if not delta > 0:
        raise ValueError(f"delta must be positive (Keras's default is 1.0), got {delta}")
    return delta


def check_epsilon(epsilon) -> float:
    """Return the clipping constant as a float in (0, 0.5)."""
    epsilon = check_real_scalar(epsilon, "epsilon")
    if not 0 < epsilon < 0.5:
        raise ValueError(f"epsilon must lie strictly between 0 and 0.5 (Keras's default is 1e-7), got {epsilon}")
    return epsilon


# ---- mean squared error -----------------------------------------------------------------------

def mse(y_true, y_pred):
    r"""Mean squared error, as ``keras.losses.MeanSquaredError()``.

    .. math:: L = \frac{1}{n} \sum_{i=1}^{n} (\hat y_i - y_i)^2

    over all n elements (Keras: the mean over the last axis per sample, then the
    mean over the samples — the same number).

    Args:
        y_true: targets, any shape with at least one dimension.
        y_pred: predictions ŷ, the same shape.
    Returns:
        The scalar loss, a 0-d value of ``y_pred``'s float dtype.

    Graded: its documented extremes (large targets with small errors (no cancellation), large values and a
        perfect prediction) carry at least a third of its points.
    Derived in: 04_losses §2.1
    """
    y_true, y_pred = check_pair(y_true, y_pred)
    ### BEGIN SOLUTION
    return np.mean((y_pred - y_true) ** 2)
    ### END SOLUTION


def mse_backward(y_true, y_pred):
    r"""Gradient of :func:`mse` with respect to the prediction.

    .. math:: \frac{\partial L}{\partial \hat y_i} = \frac{2}{n}\,(\hat y_i - y_i)

    with n the number of elements of ``y_pred``.

    Args:
        y_true: targets, the same shape as ``y_pred``.
        y_pred: predictions ŷ, at least one dimension.
    Returns:
        ∂L/∂ŷ, the shape and float dtype of ``y_pred``.

    Graded: its documented extremes (large targets with small errors (no cancellation), large values and a
        perfect prediction) carry at least a third of its points.
    Derived in: 04_losses §2.2
    """
    y_true, y_pred = check_pair(y_true, y_pred)
    ### BEGIN SOLUTION
    return 2 * (y_pred - y_true) / y_pred.size
    ### END SOLUTION


def huber(y_true, y_pred, delta=1.0):
    r"""Huber loss, as ``keras.losses.Huber(delta=delta)``: quadratic near 0, linear beyond δ.

    With the error :math:`x = \hat y - y`, elementwise

    .. math:: \ell_\delta(x) = \begin{cases} \tfrac12 x^2 & |x| \le \delta \\
              \delta\,|x| - \tfrac12\delta^2 & |x| > \delta \end{cases}

    and L is the mean of ℓ over all n elements (Keras: the mean over the last axis per
    sample, then over the samples — the same number). Note the ½ (Keras's MSE has none):
    for δ → ∞ Huber is ½·MSE.

    Args:
        y_true: targets, any shape with at least one dimension.
        y_pred: predictions ŷ, the same shape.
        delta: the threshold δ where the loss turns linear, a positive number.
    Returns:
        The scalar loss, a 0-d value of ``y_pred``'s float dtype.

    Graded: its documented extremes (errors of exactly 0 and ±δ, large errors and a perfect prediction) carry
        at least a third of its points.
    Derived in: 04_losses §2.3
    """
    y_true, y_pred = check_pair(y_true, y_pred)
    delta = check_delta(delta)
    ### BEGIN SOLUTION
    error = y_pred - y_true
    size = np.abs(error)
    return np.mean(np.where(size <= delta, 0.5 * error ** 2, delta * size - 0.5 * delta ** 2))
    ### END SOLUTION


def huber_backward(y_true, y_pred, delta=1.0):
    r"""Gradient of :func:`huber` with respect to the prediction.

    .. math:: \frac{\partial L}{\partial \hat y_i} = \frac{1}{n}\,\operatorname{clip}(\hat y_i - y_i,\ -\delta,\ \delta)

    with n the number of elements: the error itself where it is small, ±δ where it is large.

    Args:
        y_true: targets, the same shape as ``y_pred``.
        y_pred: predictions ŷ, at least one dimension.
        delta: the δ the loss used.
    Returns:
        ∂L/∂ŷ, the shape and float dtype of ``y_pred``.

    Graded: its documented extremes (errors of exactly 0 and ±δ, large errors and a perfect prediction) carry
        at least a third of its points.
    Derived in: 04_losses §2.3
    """
    y_true, y_pred = check_pair(y_true, y_pred)
    delta = check_delta(delta)
    ### BEGIN SOLUTION
    return np.clip(y_pred - y_true, -delta, delta) / y_pred.size
    ### END SOLUTION


# ---- binary cross-entropy -----------------------------------------------------------------------

def binary_cross_entropy(y_true, y_pred, epsilon=1e-7):
    r"""Binary cross-entropy on probabilities, as ``keras.losses.BinaryCrossentropy()``.

    With :math:`p = \operatorname{clip}(\hat y, \epsilon, 1 - \epsilon)`,

    .. math:: L = -\frac{1}{n} \sum_{i=1}^{n} \bigl[\, y_i \log p_i + (1 - y_i) \log(1 - p_i) \,\bigr]

    over all n elements. The clip makes ŷ = 0 and ŷ = 1 finite (each element's loss
    is at most −log ε ≈ 16.1).

    Args:
        y_true: targets in [0, 1] (0/1 labels, or soft labels), the same shape as ``y_pred``.
        y_pred: predicted probabilities ŷ in [0, 1], at least one dimension.
        epsilon: Keras's clipping constant, in (0, 0.5).
    Returns:
        The scalar loss, a 0-d value of ``y_pred``'s float dtype.

    Graded: its documented extremes (probabilities of exactly 0, 1, ε and 1 − ε (the clip)) carry at least a
        third of its points.
    Derived in: 04_losses §3.1
    """
    y_true, y_pred = check_probabilities(y_true, y_pred, "binary_cross_entropy_with_logits")
    epsilon = check_epsilon(epsilon)
    ### BEGIN SOLUTION
    p = np.clip(y_pred, epsilon, 1 - epsilon)
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    ### END SOLUTION


def binary_cross_entropy_backward(y_true, y_pred, epsilon=1e-7):
    r"""Gradient of :func:`binary_cross_entropy` with respect to the probabilities.

    .. math:: \frac{\partial L}{\partial \hat y_i} = \frac{1}{n}\Bigl(\frac{1 - y_i}{1 - p_i} - \frac{y_i}{p_i}\Bigr)
              \quad\text{where } \epsilon \le \hat y_i \le 1 - \epsilon, \qquad 0 \text{ elsewhere,}

    with :math:`p = \operatorname{clip}(\hat y, \epsilon, 1 - \epsilon)` and n the number of
    elements. Where the clip is active the loss is constant in ŷ, so the gradient is 0 —
    at ŷ = 0 and ŷ = 1 in particular. At ŷ = ε and ŷ = 1 − ε exactly TensorFlow lets the
    gradient through (its clip is a max/min whose gradient goes to the input on ties), and
    so does this function. (In float32 the bounds are ε and 1 − ε rounded to float32.)

    Args:
        y_true: targets in [0, 1], the same shape as ``y_pred``.
        y_pred: predicted probabilities ŷ in [0, 1].
        epsilon: the clipping constant the loss used.
    Returns:
        ∂L/∂ŷ, the shape and float dtype of ``y_pred``.

    Graded: its documented extremes (probabilities of exactly 0, 1, ε and 1 − ε (the clip)) carry at least a
        third of its points.
    Derived in: 04_losses §3.2
    """
    y_true, y_pred = check_probabilities(y_true, y_pred, "binary_cross_entropy_with_logits")
    epsilon = check_epsilon(epsilon)
    ### BEGIN SOLUTION
    p = np.clip(y_pred, epsilon, 1 - epsilon)
    gradient = ((1 - y_true) / (1 - p) - y_true / p) / y_pred.size
    unclipped = (y_pred >= epsilon) & (y_pred <= 1 - epsilon)
    return np.where(unclipped, gradient, 0).astype(y_pred.dtype, copy=False)
    ### END SOLUTION


def binary_cross_entropy_with_logits(y_true, logits):
    r"""Binary cross-entropy on logits, as ``keras.losses.BinaryCrossentropy(from_logits=True)``.

    The probability is :math:`\sigma(z)`; the loss of one element, written so that
    ``exp`` only sees non-positive numbers, is

    .. math:: \ell(y, z) = -\bigl[y \log\sigma(z) + (1-y)\log(1-\sigma(z))\bigr]
              = \max(z, 0) - z\,y + \log\bigl(1 + e^{-|z|}\bigr),

    and L is the mean of ℓ over all elements. No clipping: at z = ±1000 the loss is
    exact (0 or 1000 per element), not capped at −log ε.

    Args:
        y_true: targets in [0, 1], the same shape as ``logits``.
        logits: pre-sigmoid scores z, at least one dimension.
    Returns:
        The scalar loss, a 0-d value of ``logits``' float dtype.

    Graded: its documented extremes (logits of ±1000, float32 logits beyond exp's range, logits of exactly 0
        and confident logits ±30) carry at least a third of its points.
    Derived in: 04_losses §3.3
    """
    y_true, logits = check_binary_targets(y_true, logits)
    ### BEGIN SOLUTION
    return np.mean(np.maximum(logits, 0) - logits * y_true + np.log1p(np.exp(-np.abs(logits))))
    ### END SOLUTION


def binary_cross_entropy_with_logits_backward(y_true, logits):
    r"""Gradient of :func:`binary_cross_entropy_with_logits` with respect to the logits.

    .. math:: \frac{\partial L}{\partial z_i} = \frac{1}{n}\bigl(\sigma(z_i) - y_i\bigr)

    with n the number of elements: prediction minus target, bounded by 1/n, never 0/0.

    Args:
        y_true: targets in [0, 1], the same shape as ``logits``.
        logits: the scores z the loss saw.
    Returns:
        ∂L/∂z, the shape and float dtype of ``logits``.

    Graded: its documented extremes (logits of ±1000, float32 logits beyond exp's range, logits of exactly 0
        and confident logits ±30) carry at least a third of its points.
    Derived in: 04_losses §3.4
    """
    y_true, logits = check_binary_targets(y_true, logits)
    ### BEGIN SOLUTION
    return (sigmoid(logits) - y_true) / logits.size
    ### END SOLUTION


# ---- categorical cross-entropy -------------------------------------------------------------------

def categorical_cross_entropy(y_true, y_pred, epsilon=1e-7):
    r"""Categorical cross-entropy on probabilities, as ``keras.losses.CategoricalCrossentropy()``.

    Keras first renormalises each row and then clips:
    :math:`q = \hat y / \sum_k \hat y_k`, :math:`p = \operatorname{clip}(q, \epsilon, 1-\epsilon)`, and

    .. math:: L = -\frac{1}{N} \sum_{\text{samples}} \sum_{k=1}^{K} y_k \log p_k

    with the classes on the last axis and N the number of samples (every leading index).

    Args:
        y_true: target distributions (one-hot or soft labels, rows summing to 1), the shape of ``y_pred``.
        y_pred: predicted probabilities in [0, 1], classes on the last axis, no all-zero row.
        epsilon: Keras's clipping constant, in (0, 0.5).
    Returns:
        The scalar loss, a 0-d value of ``y_pred``'s float dtype.

    Graded: its documented extremes (probabilities of exactly 0 and 1 (the clip)) carry at least a third of
        its points.
    Derived in: 04_losses §4.1
    """
    y_true, y_pred = check_categorical(y_true, y_pred)
    epsilon = check_epsilon(epsilon)
    ### BEGIN SOLUTION
    q = y_pred / np.sum(y_pred, axis=-1, keepdims=True)
    p = np.clip(q, epsilon, 1 - epsilon)
    return np.mean(-np.sum(y_true * np.log(p), axis=-1))
    ### END SOLUTION


def categorical_cross_entropy_backward(y_true, y_pred, epsilon=1e-7):
    r"""Gradient of :func:`categorical_cross_entropy` with respect to the probabilities.

    With s = Σ_k ŷ_k, q = ŷ/s and p = clip(q, ε, 1 − ε) per row, the gradient with respect
    to q is :math:`g_k = -y_k / p_k` where ε ≤ q_k ≤ 1 − ε and 0 where the clip is active;
    the renormalisation q = ŷ/s (Jacobian (I − q 1ᵀ)/s) turns it into

    .. math:: \frac{\partial L}{\partial \hat y_j} = \frac{1}{N}\cdot\frac{g_j - \sum_k g_k\, q_k}{s}.

    For a prediction that already sums to 1 and no active clip this is
    :math:`(1 - y_j/\hat y_j)/N`. This is what TensorFlow's GradientTape gives for the
    Keras loss, including the renormalisation's part.

    Args:
        y_true: target distributions, the shape of ``y_pred``.
        y_pred: predicted probabilities in [0, 1], classes on the last axis.
        epsilon: the clipping constant the loss used.
    Returns:
        ∂L/∂ŷ, the shape and float dtype of ``y_pred``.

    Graded: its documented extremes (probabilities of exactly 0 and 1 (the clip)) carry at least a third of
        its points.
    Derived in: 04_losses §4.2
    """
    y_true, y_pred = check_categorical(y_true, y_pred)
    epsilon = check_epsilon(epsilon)
    ### BEGIN SOLUTION
    s = np.sum(y_pred, axis=-1, keepdims=True)
    q = y_pred / s
    unclipped = (q >= epsilon) & (q <= 1 - epsilon)
    g = np.where(unclipped, -y_true / np.clip(q, epsilon, 1 - epsilon), 0)  # ∂L/∂q for one sample
    samples = y_pred.size // y_pred.shape[-1]
    return ((g - np.sum(g * q, axis=-1, keepdims=True)) / s / samples).astype(y_pred.dtype, copy=False)
    ### END SOLUTION


def categorical_cross_entropy_with_logits(y_true, logits):
    r"""Categorical cross-entropy on logits, as ``keras.losses.CategoricalCrossentropy(from_logits=True)``.

    .. math:: L = -\frac{1}{N} \sum_{\text{samples}} \sum_{k=1}^{K} y_k \log\operatorname{softmax}(z)_k,
              \qquad \log\operatorname{softmax}(z)_k = (z_k - m) - \log\sum_j e^{z_j - m}

    with m = max_j z_j, the classes on the last axis and N the number of samples. Use a
    stable log-softmax (``dlmath.activations.log_softmax``), never ``log(softmax(z))``.

    Args:
        y_true: target distributions (one-hot or soft labels, rows summing to 1), the shape of ``logits``.
        logits: scores z, classes on the last axis.
    Returns:
        The scalar loss, a 0-d value of ``logits``' float dtype.

    Graded: its documented extremes (logits of ±1000 and float32 logits beyond exp's range) carry at least a
        third of its points.
    Derived in: 04_losses §4.3
    """
    y_true, logits = check_categorical_logits(y_true, logits)
    ### BEGIN SOLUTION
    return np.mean(-np.sum(y_true * log_softmax(logits), axis=-1))
    ### END SOLUTION


def categorical_cross_entropy_with_logits_backward(y_true, logits):
    r"""Gradient of :func:`categorical_cross_entropy_with_logits` with respect to the logits.

    .. math:: \frac{\partial L}{\partial z} = \frac{1}{N}\bigl(\operatorname{softmax}(z) - y\bigr)

    (for targets summing to 1, which validation enforces; the exact derivative is
    (Σ_k y_k)·softmax(z) − y, and TensorFlow's fused kernel returns softmax(z) − y whatever
    the targets sum to). N is the number of samples.

    Args:
        y_true: target distributions, the shape of ``logits``.
        logits: the scores z the loss saw.
    Returns:
        ∂L/∂z, the shape and float dtype of ``logits``.

    Graded: its documented extremes (logits of ±1000 and float32 logits beyond exp's range) carry at least a
        third of its points.
    Derived in: 04_losses §4.4
    """
    y_true, logits = check_categorical_logits(y_true, logits)
    ### BEGIN SOLUTION
    samples = logits.size // logits.shape[-1]
    return (softmax(logits) - y_true) / samples
    ### END SOLUTION


def sparse_categorical_cross_entropy_with_logits(labels, logits):
    r"""Cross-entropy with integer labels, as ``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``.

    .. math:: L = -\frac{1}{N} \sum_{\text{samples}} \log\operatorname{softmax}(z)_{c}

    where c is the sample's label: the categorical cross-entropy with a one-hot target,
    without building the one-hot array. N is the number of samples.

    Args:
        labels: integer class indices, shape ``logits.shape[:-1]``, each in 0 .. K − 1.
        logits: scores z, shape (..., K) with the classes on the last axis.
    Returns:
        The scalar loss, a 0-d value of ``logits``' float dtype.

    Graded: its documented extremes (logits of ±1000 and float32 logits beyond exp's range) carry at least a
        third of its points.
    Derived in: 04_losses §4.5
    """
    labels, logits = check_labels(labels, logits)
    ### BEGIN SOLUTION
    log_p = log_softmax(logits)
    return -np.mean(np.take_along_axis(log_p, labels[..., None], axis=-1))
    ### END SOLUTION


def sparse_categorical_cross_entropy_with_logits_backward(labels, logits):
    r"""Gradient of :func:`sparse_categorical_cross_entropy_with_logits` with respect to the logits.

    .. math:: \frac{\partial L}{\partial z_k} = \frac{1}{N}\bigl(\operatorname{softmax}(z)_k - [k = c]\bigr)

    softmax minus the one-hot vector of each sample's label c, divided by the number of samples N.

    Args:
        labels: integer class indices, shape ``logits.shape[:-1]``.
        logits: the scores z the loss saw, shape (..., K).
    Returns:
        ∂L/∂z, the shape and float dtype of ``logits``.

    Graded: its documented extremes (logits of ±1000 and float32 logits beyond exp's range) carry at least a
        third of its points.
    Derived in: 04_losses §4.5
    """
    labels, logits = check_labels(labels, logits)
    ### BEGIN SOLUTION
    one_hot = np.arange(logits.shape[-1]) == labels[..., None]
    return (softmax(logits) - one_hot) / labels.size
    ### END SOLUTION


# ---- multi-class hinge ----------------------------------------------------------------------------

def multiclass_hinge(y_true, y_pred):
    r"""Multi-class hinge loss (Crammer–Singer) on scores: a margin of 1 over the best wrong class.

    For a sample with true class c (``y_true`` one-hot) and scores ŷ,

    .. math:: \ell = \max\Bigl(0,\ 1 + \max_{k \ne c} \hat y_k - \hat y_c\Bigr),
              \qquad L = \frac{1}{N} \sum_{\text{samples}} \ell ,

    with the classes on the last axis and N the number of samples. This is
    ``sklearn.metrics.hinge_loss`` for several classes. ``keras.losses.CategoricalHinge``
    differs when every wrong score is negative: it takes max((1 − y)·ŷ), and the 0 it puts in
    the true class's place then wins (04_losses §6.6).

    Args:
        y_true: one-hot targets (0s and a single 1 per sample), the shape of ``y_pred``.
        y_pred: scores ŷ (logits; no softmax), classes on the last axis, at least two classes.
    Returns:
        The scalar loss, a 0-d value of ``y_pred``'s float dtype.

    Graded: its documented extremes (ties, all scores equal and margins already met) carry at least a third of
        its points.
    Derived in: 04_losses §4.6
    """
    y_true, y_pred = check_one_hot(y_true, y_pred)
    ### BEGIN SOLUTION
    true_score = np.sum(y_true * y_pred, axis=-1)
    best_wrong = np.max(np.where(y_true == 1, -np.inf, y_pred), axis=-1)
    return np.mean(np.maximum(1 + best_wrong - true_score, 0))
    ### END SOLUTION


def multiclass_hinge_backward(y_true, y_pred):
    r"""Gradient of :func:`multiclass_hinge` with respect to the scores.

    Where a sample's margin 1 + max_{k≠c} ŷ_k − ŷ_c is ≥ 0 (TensorFlow's ``maximum`` passes
    the gradient on a tie with 0), the true class gets −1/N and the best wrong class +1/N; if
    several wrong classes tie for the maximum they share the +1/N equally (TensorFlow's
    gradient of ``reduce_max``). Elsewhere the sample's gradient is 0.

    .. math:: \frac{\partial L}{\partial \hat y_k} = \frac{1}{N}\,[\text{margin} \ge 0]\,
              \bigl(w_k - [k = c]\bigr), \qquad
              w_k = \frac{[k \ne c,\ \hat y_k = \max_{j \ne c} \hat y_j]}{\#\text{ties}}

    Args:
        y_true: one-hot targets, the shape of ``y_pred``.
        y_pred: the scores the loss saw.
    Returns:
        ∂L/∂ŷ, the shape and float dtype of ``y_pred``.

    Graded: its documented extremes (ties, all scores equal and margins already met) carry at least a third of
        its points.
    Derived in: 04_losses §4.6
    """
    y_true, y_pred = check_one_hot(y_true, y_pred)
    ### BEGIN SOLUTION
    others = np.where(y_true == 1, -np.inf, y_pred)
    best_wrong = np.max(others, axis=-1, keepdims=True)
    margin = 1 + best_wrong - np.sum(y_true * y_pred, axis=-1, keepdims=True)
    winners = others == best_wrong
    share = winners / np.sum(winners, axis=-1, keepdims=True)
    samples = y_pred.size // y_pred.shape[-1]
    return (np.where(margin >= 0, share - y_true, 0) / samples).astype(y_pred.dtype, copy=False)
    ### END SOLUTION
