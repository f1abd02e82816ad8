"""Chapter 04_losses: inputs, TensorFlow/Keras references and typical mistakes.

Expected values come from the Keras loss classes (``keras.losses.MeanSquaredError``,
``Huber``, ``BinaryCrossentropy``, ``CategoricalCrossentropy``, ``SparseCategoricalCrossentropy``,
with ``from_logits`` where it applies) constructed with ``dtype`` equal to the
prediction's dtype — the loss classes would otherwise cast float64 input to
float32 — and their default reduction ``sum_over_batch_size``. Gradients are
``tf.GradientTape``'s gradient of that scalar with respect to the prediction.
Cases with a non-default ``epsilon`` set ``keras.config.set_epsilon`` around the
call (Keras's clip reads the global epsilon). The multi-class hinge (Crammer–Singer) has no
exact Keras class (``CategoricalHinge`` differs when every wrong score is negative): its
expected values are the loss written in TensorFlow ops (checked against
``sklearn.metrics.hinge_loss`` in the test suite) and GradientTape's gradient of it.

Mistake outputs are what a typical wrong formula gives on the same input, written
in NumPy below, so a learner's wrong answer can be recognised and named.
"""
from __future__ import annotations

import contextlib

import numpy as np
from grading.references._extremes import weigh

F64 = {"rtol": 1e-7, "atol": 1e-12}
F32 = {"rtol": 1e-5, "atol": 1e-6}
EPSILON = 1e-7

# ---- hints ---------------------------------------------------------------------------------------

SCALAR = ("Return one number (a 0-d value): Keras averages the per-sample losses over the batch. "
          "A reduction with axis=... leaves an array.")
LOSS_DTYPE = ("Return the prediction's float dtype: np.mean of a float32 array is float32, "
              "but float(...) or np.float64(...) turns it into float64.")
GRAD_SHAPE = "The gradient has exactly the prediction's shape: one entry per entry of y_pred (or logits)."
CLIP = ("np.log(0) (or a division by 0) at a probability of exactly 0 or 1. Clip first, as Keras does: "
        "np.clip every probability into [epsilon, 1 − epsilon], using the `epsilon` argument.")
CLIP_GRAD = ("Dividing by p or 1 − p at a probability of 0 or 1 gave inf. Use the clipped p — and where the clip "
             "is active the loss doesn't change with ŷ, so the gradient there is 0.")
STABLE_BCE = ("exp overflowed or log(0) at a large logit. Use the stable form "
              "max(z, 0) − z·y + log1p(exp(−|z|)): exp only ever sees a non-positive number.")
STABLE_SIGMOID = "exp overflowed at a large logit: use the stable sigmoid, dlmath.activations.sigmoid."
LOG_SOFTMAX = ("np.log(softmax(z)) is −inf where the softmax underflows to 0 (and 0·(−inf) = nan). "
               "Use dlmath.activations.log_softmax: (z − m) − log Σ e^(z − m).")
STABLE_SOFTMAX = "exp overflowed at a large logit: use dlmath.activations.softmax (it subtracts the maximum)."
CCE_ZERO = ("log(0) at a zero probability (and 0·log 0 = 0·(−inf) = nan). Renormalise each row, ŷ / Σŷ, "
            "then clip to [epsilon, 1 − epsilon] before the log, as Keras does.")

HINGE_MASK = ("The max runs over the *wrong* classes only: replace the true class's score by −inf "
              "(np.where(y_true == 1, -np.inf, y_pred)) before taking the max.")

HINTS = {
    "mse": {"shape": SCALAR, "dtype": LOSS_DTYPE},
    "mse_backward": {"shape": GRAD_SHAPE},
    "huber": {"shape": SCALAR, "dtype": LOSS_DTYPE},
    "huber_backward": {"shape": GRAD_SHAPE},
    "multiclass_hinge": {"shape": SCALAR, "dtype": LOSS_DTYPE},
    "multiclass_hinge_backward": {"shape": GRAD_SHAPE},
    "binary_cross_entropy": {"shape": SCALAR, "dtype": LOSS_DTYPE, "warning": CLIP, "nonfinite": CLIP},
    "binary_cross_entropy_backward": {"shape": GRAD_SHAPE, "warning": CLIP_GRAD, "nonfinite": CLIP_GRAD},
    "binary_cross_entropy_with_logits": {"shape": SCALAR, "dtype": LOSS_DTYPE, "warning": STABLE_BCE,
                                         "nonfinite": STABLE_BCE},
    "binary_cross_entropy_with_logits_backward": {"shape": GRAD_SHAPE, "warning": STABLE_SIGMOID,
                                                  "nonfinite": STABLE_SIGMOID},
    "categorical_cross_entropy": {"shape": SCALAR, "dtype": LOSS_DTYPE, "warning": CCE_ZERO, "nonfinite": CCE_ZERO},
    "categorical_cross_entropy_backward": {"shape": GRAD_SHAPE, "warning": CLIP_GRAD, "nonfinite": CLIP_GRAD},
    "categorical_cross_entropy_with_logits": {"shape": SCALAR, "dtype": LOSS_DTYPE, "warning": LOG_SOFTMAX,
                                              "nonfinite": LOG_SOFTMAX},
    "categorical_cross_entropy_with_logits_backward": {"shape": GRAD_SHAPE, "warning": STABLE_SOFTMAX,
                                                       "nonfinite": STABLE_SOFTMAX},
    "sparse_categorical_cross_entropy_with_logits": {
        "shape": SCALAR, "dtype": LOSS_DTYPE, "warning": LOG_SOFTMAX, "nonfinite": LOG_SOFTMAX,
        "raised": ("Pick one log-probability per sample, along the last axis: "
                   "np.take_along_axis(log_p, labels[..., None], axis=-1) works for any number of leading axes."),
    },
    "sparse_categorical_cross_entropy_with_logits_backward": {
        "shape": GRAD_SHAPE, "warning": STABLE_SOFTMAX, "nonfinite": STABLE_SOFTMAX,
        "raised": "Build the one-hot array along the last axis: np.arange(K) == labels[..., None].",
    },
}

# ---- the simulated class (wired into the demo by grading/demo.py) -------------------------------

# student id → {function: wrong body}; each body runs after the function's validation lines
CLASS = {
    "bce_no_clip": {"binary_cross_entropy":
                    "return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))"},
    "bce_logits_naive": {"binary_cross_entropy_with_logits":
                         "p = 1 / (1 + np.exp(-logits))\n"
                         "return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))"},
    "bce_grad_ignores_clip": {"binary_cross_entropy_backward":
                              "p = np.clip(y_pred, epsilon, 1 - epsilon)\n"
                              "return ((1 - y_true) / (1 - p) - y_true / p) / y_pred.size"},
    "cce_sum_over_batch": {"categorical_cross_entropy_with_logits":
                           "return np.sum(-np.sum(y_true * log_softmax(logits), axis=-1))"},
    "softmax_grad_no_mean": {"categorical_cross_entropy_with_logits_backward": "return softmax(logits) - y_true"},
    "sparse_wrong_axis": {"sparse_categorical_cross_entropy_with_logits":
                          "log_p = log_softmax(logits)\nreturn -np.mean(log_p[:, labels])"},
    "huber_no_half": {"huber": "error = y_pred - y_true\nsize = np.abs(error)\n"
                               "return np.mean(np.where(size <= delta, error ** 2, delta * size - 0.5 * delta ** 2))"},
    "hinge_keras_max": {"multiclass_hinge": "true_score = np.sum(y_true * y_pred, axis=-1)\n"
                                            "best_wrong = np.max((1 - y_true) * y_pred, axis=-1)\n"
                                            "return np.mean(np.maximum(1 + best_wrong - true_score, 0))"},
}
EXPECTED_LOSSES = {student: set(bodies) for student, bodies in CLASS.items()}


# ---- NumPy helpers for the mistakes ---------------------------------------------------------------

def _sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _softmax(z):
    return np.exp(_log_softmax(z))


def _samples(a):
    return a.size // a.shape[-1]


def _bce_terms(y, p):
    return y * np.log(p) + (1 - y) * np.log(1 - p)


def _bce_grad(y, p, epsilon, zero_where_clipped=True, inclusive=True):
    pc = np.clip(p, epsilon, 1 - epsilon)
    g = ((1 - y) / (1 - pc) - y / pc) / p.size
    if not zero_where_clipped:
        return g
    inside = (p >= epsilon) & (p <= 1 - epsilon) if inclusive else (p > epsilon) & (p < 1 - epsilon)
    return np.where(inside, g, 0)


def _hinge_parts(y, s):
    others = np.where(y == 1, -np.inf, s)
    best = others.max(axis=-1)
    return (y * s).sum(axis=-1), best, others


def _hinge_grad(y, s, split_ties=True, zero_inactive=True, true_class=True):
    true_score, best, others = _hinge_parts(y, s)
    winners = others == best[..., None]
    if not split_ties:  # the first maximum only, as np.argmax picks it
        first = np.zeros_like(winners)
        np.put_along_axis(first, np.argmax(others, axis=-1)[..., None], True, axis=-1)
        winners = first
    share = winners / winners.sum(axis=-1, keepdims=True)
    g = share - (y if true_class else 0)
    if zero_inactive:
        g = np.where((1 + best - true_score)[..., None] >= 0, g, 0)
    return g / _samples(s)


def _mistake_outputs(name, args, kwargs):
    """(hint, output) pairs: what typical wrong implementations return on these inputs."""
    epsilon = kwargs.get("epsilon", EPSILON)
    delta = kwargs.get("delta", 1.0)
    if name == "huber":
        y, p = args
        x = p - y
        a = np.abs(x)
        yield "The quadratic part is ½x²: the factor ½ is missing (Keras's Huber has it, its MSE doesn't).", \
            np.mean(np.where(a <= delta, x ** 2, delta * a - 0.5 * delta ** 2))
        yield "The linear part is δ|x| − ½δ², so the two pieces meet at |x| = δ: the − ½δ² is missing.", \
            np.mean(np.where(a <= delta, 0.5 * x ** 2, delta * a))
        if "delta" in kwargs:
            yield "Use the delta argument, not a fixed 1.0.", np.mean(np.where(a <= 1, 0.5 * x ** 2, a - 0.5))
        yield "You summed; Keras averages over every element (the mean over the last axis, then over the samples).", \
            np.sum(np.where(a <= delta, 0.5 * x ** 2, delta * a - 0.5 * delta ** 2))
        yield "That is ½·MSE everywhere: beyond |x| = δ the loss grows linearly, δ|x| − ½δ².", np.mean(0.5 * x ** 2)
    elif name == "huber_backward":
        y, p = args
        x = p - y
        yield "The loss is a mean over n elements, so its gradient has a factor 1/n: clip(ŷ − y, −δ, δ)/n.", \
            np.clip(x, -delta, delta)
        yield "Beyond |x| = δ the slope is ±δ: clip the error to [−δ, δ] (np.clip).", x / p.size
        yield "Inside |x| ≤ δ the slope is the error x itself, not ±δ.", delta * np.sign(x) / p.size
        yield "Wrong sign: ∂L/∂ŷ = clip(ŷ − y, −δ, δ)/n.", -np.clip(x, -delta, delta) / p.size
        if "delta" in kwargs:
            yield "Use the delta argument, not a fixed 1.0.", np.clip(x, -1, 1) / p.size
    elif name == "multiclass_hinge":
        y, s = args
        true_score, best, _ = _hinge_parts(y, s)
        yield HINGE_MASK, np.mean(np.maximum(1 + s.max(axis=-1) - true_score, 0))
        yield ("(1 − y)·ŷ puts a 0 where the true class was, and when every wrong score is negative the max picks "
               "that 0 (keras.losses.CategoricalHinge does this). " + HINGE_MASK), \
            np.mean(np.maximum(1 + ((1 - y) * s).max(axis=-1) - true_score, 0))
        yield ("You summed the hinge over every wrong class (the Weston–Watkins loss of CS231n); this loss uses only "
               "the best wrong class: max(0, 1 + max_{k≠c} ŷ_k − ŷ_c)."), \
            np.mean(np.sum(np.where(y == 1, 0, np.maximum(1 + s - true_score[..., None], 0)), axis=-1))
        yield "The hinge is max(0, ·): a sample beyond the margin costs 0, not a negative amount.", \
            np.mean(1 + best - true_score)
        yield "You summed over the batch; the loss is the mean over the samples.", \
            np.sum(np.maximum(1 + best - true_score, 0))
    elif name == "multiclass_hinge_backward":
        y, s = args
        yield "The loss is a mean over the N samples: divide the gradient by N.", _hinge_grad(y, s) * _samples(s)
        yield "The true class's score enters with a minus sign: its gradient is −1/N where the margin is active.", \
            _hinge_grad(y, s, true_class=False)
        yield "Where the margin is inactive (1 + max_{k≠c} ŷ_k − ŷ_c < 0) the loss is 0 and so is its gradient.", \
            _hinge_grad(y, s, zero_inactive=False)
        yield ("Wrong classes tied for the maximum share the +1/N equally (TensorFlow's gradient of max): "
               "np.argmax gives it all to the first one."), _hinge_grad(y, s, split_ties=False)
        yield "Wrong sign: −1/N for the true class, +1/N for the best wrong class.", -_hinge_grad(y, s)
    elif name == "mse":
        y, p = args
        sq = (p - y) ** 2
        yield "You summed the squared errors; MSE is their mean (divide by the number of elements).", np.sum(sq)
        yield ("Keras's per-sample MSE is the *mean* over the last axis (then the mean over samples), "
               "not the sum."), np.mean(np.sum(sq, axis=-1))
        yield "Square the differences before averaging: positive and negative errors must not cancel.", np.mean(p - y)
        yield "That is the mean absolute error; MSE squares the differences.", np.mean(np.abs(p - y))
        yield "That is the root of the MSE (RMSE); MSE has no square root.", np.sqrt(np.mean(sq))
    elif name == "mse_backward":
        y, p = args
        yield "The loss is a mean over n elements, so its gradient has a factor 1/n: 2(ŷ − y)/n.", 2 * (p - y)
        yield "d/dŷ (ŷ − y)² = 2(ŷ − y): the factor 2 is missing.", (p - y) / p.size
        yield "Wrong sign: the gradient with respect to ŷ is 2(ŷ − y)/n, not 2(y − ŷ)/n.", 2 * (y - p) / p.size
        yield ("Divide by the number of elements n (the loss averages every entry), not by the number of samples."), \
            2 * (p - y) / _samples(p)
    elif name == "binary_cross_entropy":
        y, p = args
        pc = np.clip(p, epsilon, 1 - epsilon)
        yield CLIP, -np.mean(_bce_terms(y, p))
        if "epsilon" in kwargs:
            yield "Clip with the `epsilon` argument, not a fixed 1e-7.", -np.mean(_bce_terms(y, np.clip(p, EPSILON, 1 - EPSILON)))
        else:
            yield ("You clipped with a different ε; Keras clips to [1e-7, 1 − 1e-7] (the `epsilon` argument)."), \
                -np.mean(_bce_terms(y, np.clip(p, 1e-15, 1 - 1e-15)))
        yield ("Keras's per-sample BCE is the *mean* over the last axis (then the mean over samples), "
               "not the sum."), -np.mean(np.sum(_bce_terms(y, pc), axis=-1))
        yield "Cross-entropy is the *negative* log-likelihood: a minus sign is missing.", np.mean(_bce_terms(y, pc))
        yield "You summed; Keras averages over every element (sum_over_batch_size).", -np.sum(_bce_terms(y, pc))
    elif name == "binary_cross_entropy_backward":
        y, p = args
        yield "The loss is a mean over n elements, so its gradient has a factor 1/n.", _bce_grad(y, p, epsilon) * p.size
        yield ("Where the clip is active (ŷ < ε or ŷ > 1 − ε) the loss doesn't change with ŷ: "
               "the gradient there is 0."), _bce_grad(y, p, epsilon, zero_where_clipped=False)
        yield ("At ŷ = ε and ŷ = 1 − ε exactly, TensorFlow's clip passes the gradient through: "
               "keep it where ε ≤ ŷ ≤ 1 − ε (>= and <=)."), _bce_grad(y, p, epsilon, inclusive=False)
        yield "Wrong sign: ∂L/∂ŷ = ((1 − y)/(1 − p) − y/p)/n.", -_bce_grad(y, p, epsilon)
        if "epsilon" in kwargs:
            yield "Use the `epsilon` argument, not a fixed 1e-7.", _bce_grad(y, p, EPSILON)
    elif name == "binary_cross_entropy_with_logits":
        y, z = args
        s = 1 / (1 + np.exp(-z))
        yield STABLE_BCE, -np.mean(_bce_terms(y, s))
        yield ("You turned the logits into probabilities and clipped them: that caps each element's loss at "
               "−log ε ≈ 16.1 (z = ±1000 should cost 1000). Use max(z, 0) − z·y + log1p(exp(−|z|))."), \
            -np.mean(_bce_terms(y, np.clip(_sigmoid(z), EPSILON, 1 - EPSILON)))
        yield "The stable form is max(z, 0) − z·y + log1p(exp(−|z|)): the max(z, 0) term is missing.", \
            np.mean(-z * y + np.log1p(np.exp(-np.abs(z))))
        yield "The middle term is − z·y (minus): max(z, 0) − z·y + log1p(exp(−|z|)).", \
            np.mean(np.maximum(z, 0) + z * y + np.log1p(np.exp(-np.abs(z))))
        yield ("Keras's per-sample BCE is the *mean* over the last axis (then the mean over samples), not the sum."), \
            np.mean(np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=-1))
    elif name == "binary_cross_entropy_with_logits_backward":
        y, z = args
        s = _sigmoid(z)
        yield "The loss is a mean over n elements, so its gradient has a factor 1/n: (σ(z) − y)/n.", s - y
        yield "Wrong sign: ∂L/∂z = (σ(z) − y)/n.", (y - s) / z.size
        yield "Divide by the number of elements n, not by the number of samples.", (s - y) / _samples(z)
        yield ("σ'(z) = σ(1 − σ) cancels against the cross-entropy's 1/(σ(1 − σ)): ∂L/∂z is simply (σ(z) − y)/n. "
               "Don't multiply by σ'(z) again."), (s - y) * s * (1 - s) / z.size
    elif name == "categorical_cross_entropy":
        y, p = args
        q = p / p.sum(axis=-1, keepdims=True)
        qc = np.clip(q, epsilon, 1 - epsilon)
        yield "Keras first renormalises each row, ŷ / Σŷ, then clips and takes the log.", \
            np.mean(-np.sum(y * np.log(np.clip(p, epsilon, 1 - epsilon)), axis=-1))
        yield CCE_ZERO, np.mean(-np.sum(y * np.log(q), axis=-1))
        yield "You summed over the batch; Keras averages the per-sample losses (sum_over_batch_size).", \
            np.sum(-np.sum(y * np.log(qc), axis=-1))
        yield "The per-sample loss is the *sum* over classes −Σ_k y_k log p_k, not the mean.", \
            np.mean(-np.mean(y * np.log(qc), axis=-1))
        if "epsilon" in kwargs:
            yield "Clip with the `epsilon` argument, not a fixed 1e-7.", \
                np.mean(-np.sum(y * np.log(np.clip(q, EPSILON, 1 - EPSILON)), axis=-1))
    elif name == "categorical_cross_entropy_backward":
        y, p = args
        n = _samples(p)
        s = p.sum(axis=-1, keepdims=True)
        q = p / s
        yield ("−y/ŷ is the gradient without Keras's renormalisation q = ŷ/Σŷ. Add its part: with g = ∂L/∂q, "
               "∂L/∂ŷ = (g − Σ_k g_k q_k)/Σŷ, all divided by the number of samples."), \
            -y / np.clip(q, epsilon, 1 - epsilon) / n
        yield CLIP_GRAD, -y / p / n

        def full(g):
            return (g - np.sum(g * q, axis=-1, keepdims=True)) / s / n

        inside = (q >= epsilon) & (q <= 1 - epsilon)
        g = -y / np.clip(q, epsilon, 1 - epsilon)
        yield "The loss is a mean over the samples, so its gradient has a factor 1/N.", full(np.where(inside, g, 0)) * n
        yield ("Where the clip is active (q < ε or q > 1 − ε) the loss doesn't change with q: that part of the "
               "gradient is 0."), full(g)
        yield "Divide by the number of samples N, not by the number of elements.", full(np.where(inside, g, 0)) / p.shape[-1]
    elif name == "categorical_cross_entropy_with_logits":
        y, z = args
        ls = _log_softmax(z)
        yield LOG_SOFTMAX, np.mean(-np.sum(y * np.log(np.exp(z - z.max(axis=-1, keepdims=True))
                                                      / np.exp(z - z.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True)),
                                          axis=-1))
        yield "You summed over the batch; Keras averages the per-sample losses (sum_over_batch_size).", \
            np.sum(-np.sum(y * ls, axis=-1))
        yield "The per-sample loss is the *sum* over classes −Σ_k y_k log softmax(z)_k, not the mean.", \
            np.mean(-np.mean(y * ls, axis=-1))
        yield "log softmax(z) = (z − m) − log Σ e^(z − m): the log-sum-exp term is missing.", \
            np.mean(-np.sum(y * (z - z.max(axis=-1, keepdims=True)), axis=-1))
    elif name == "categorical_cross_entropy_with_logits_backward":
        y, z = args
        p = _softmax(z)
        yield ("softmax(z) − y is the gradient of one sample's loss; the batch loss is their mean, "
               "so divide by the number of samples N."), p - y
        yield "Wrong sign: ∂L/∂z = (softmax(z) − y)/N.", (y - p) / _samples(z)
        yield "Divide by the number of samples N, not by the number of elements.", (p - y) / z.size
    elif name == "sparse_categorical_cross_entropy_with_logits":
        labels, z = args
        ls = _log_softmax(z)
        picked = np.take_along_axis(ls, labels[..., None], axis=-1)
        if z.ndim == 2:
            yield ("log_p[:, labels] picks the labels' columns for *every* sample (an N × N array). Pick one entry "
                   "per sample: log_p[np.arange(N), labels], or np.take_along_axis."), -np.mean(ls[:, labels])
        with np.errstate(all="ignore"):
            naive = np.log(_softmax(z))
        yield LOG_SOFTMAX, -np.mean(np.take_along_axis(naive, labels[..., None], axis=-1))
        yield "You summed over the batch; Keras averages the per-sample losses (sum_over_batch_size).", -np.sum(picked)
        yield "Normalise first: the loss is −log softmax(z)_c, not −z_c.", \
            -np.mean(np.take_along_axis(z, labels[..., None], axis=-1))
    elif name == "sparse_categorical_cross_entropy_with_logits_backward":
        labels, z = args
        p = _softmax(z)
        one_hot = np.arange(z.shape[-1]) == labels[..., None]
        yield "The batch loss is the mean over the samples: divide softmax(z) − one_hot by N.", p - one_hot
        yield "Subtract the one-hot vector of each sample's label: ∂L/∂z = (softmax(z) − one_hot)/N.", p / labels.size
        yield "Wrong sign: ∂L/∂z = (softmax(z) − one_hot)/N.", (one_hot - p) / labels.size


def _mistakes(name, args, kwargs):
    with np.errstate(all="ignore"):
        return [(hint, np.asarray(out)) for hint, out in _mistake_outputs(name, args, kwargs)]


# ---- TensorFlow/Keras references ---------------------------------------------------------------------

@contextlib.contextmanager
def _keras_epsilon(keras, epsilon):
    previous = keras.config.epsilon()
    keras.config.set_epsilon(epsilon)
    try:
        yield
    finally:
        keras.config.set_epsilon(previous)


LOSS_CLASSES = {  # function → (Keras loss class name, its keyword arguments)
    "mse": ("MeanSquaredError", {}),
    "huber": ("Huber", {}),
    "binary_cross_entropy": ("BinaryCrossentropy", {}),
    "binary_cross_entropy_with_logits": ("BinaryCrossentropy", {"from_logits": True}),
    "categorical_cross_entropy": ("CategoricalCrossentropy", {}),
    "categorical_cross_entropy_with_logits": ("CategoricalCrossentropy", {"from_logits": True}),
    "sparse_categorical_cross_entropy_with_logits": ("SparseCategoricalCrossentropy", {"from_logits": True}),
}


def tf_multiclass_hinge(tf, y_true, scores):
    """The Crammer–Singer hinge in TensorFlow ops: mean of max(0, 1 + max_{k≠c} s_k − s_c)."""
    y_true = tf.cast(y_true, scores.dtype)
    true_score = tf.reduce_sum(y_true * scores, axis=-1)
    others = tf.where(y_true == 1, tf.constant(-np.inf, scores.dtype), scores)
    return tf.reduce_mean(tf.maximum(1 + tf.reduce_max(others, axis=-1) - true_score, 0))


def keras_loss(tf, loss, y_true, y_pred, epsilon=EPSILON, gradient=False, **options):
    """The Keras loss (default reduction) on NumPy inputs, in y_pred's dtype; with ``gradient``, ∂L/∂y_pred.

    Used by the fixtures and by the test suite. Inputs are NumPy arrays, never the output of
    ``keras.activations.softmax``/``sigmoid`` (those carry ``_keras_logits`` and skip the clip).
    ``options`` go to the loss class (Huber's ``delta``). ``multiclass_hinge`` has no exact Keras
    class: it is :func:`tf_multiclass_hinge`.
    """
    import keras

    if loss == "multiclass_hinge":
        prediction = tf.constant(y_pred)
        with tf.GradientTape() as tape:
            tape.watch(prediction)
            value = tf_multiclass_hinge(tf, tf.constant(y_true), prediction)
        return tape.gradient(value, prediction).numpy() if gradient else np.asarray(value.numpy())
    class_name, defaults = LOSS_CLASSES[loss]
    instance = getattr(keras.losses, class_name)(dtype=np.asarray(y_pred).dtype.name, **{**defaults, **options})
    prediction = tf.constant(y_pred)
    with _keras_epsilon(keras, epsilon), tf.GradientTape() as tape:
        tape.watch(prediction)
        value = instance(tf.constant(y_true), prediction)
    if gradient:
        return tape.gradient(value, prediction).numpy()
    return np.asarray(value.numpy())


# ---- inputs ---------------------------------------------------------------------------------------------

def _one_hot(rng, shape, classes, dtype=np.float64):
    return np.eye(classes, dtype=dtype)[rng.integers(0, classes, shape)]


def _mse_inputs(rng, audience):
    inputs = [
        ("a batch, shape (4, 3)", rng.normal(0, 2, (4, 3)), rng.normal(0, 2, (4, 3))),
        ("a single sample, shape (5,)", rng.normal(0, 2, 5), rng.normal(0, 2, 5)),
        ("float32 keeps float32", rng.normal(0, 2, (3, 4)).astype(np.float32), rng.normal(0, 2, (3, 4)).astype(np.float32)),
        ("a 3-D batch, shape (2, 3, 4)", rng.normal(0, 1, (2, 3, 4)), rng.normal(0, 1, (2, 3, 4))),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        big = 1e5 * rng.uniform(1, 2, (3, 2))
        inputs += [("integer targets, float32 predictions", rng.integers(-2, 3, (3, 2)), rng.normal(0, 2, (3, 2)).astype(np.float32)),
                   ("large targets (1e5) with small errors (1e-2): no cancellation", big, big + 1e-2 * rng.normal(0, 1, (3, 2)))]
    if audience == "hidden":
        big = 1e6 * rng.uniform(1, 2, (4, 3))
        inputs += [("large targets (1e6) with small errors (1e-2): no cancellation", big, big + 1e-2 * rng.normal(0, 1, (4, 3)))]
    if audience == "hidden":
        y = rng.normal(0, 1, (3, 3))
        inputs += [
            ("one output per sample, shape (8, 1)", rng.normal(0, 3, (8, 1)), rng.normal(0, 3, (8, 1))),
            ("large values, shape (6, 10)", rng.normal(0, 100, (6, 10)), rng.normal(0, 100, (6, 10))),
            ("integer targets, float32 predictions", rng.integers(-3, 4, (4, 2)), rng.normal(0, 2, (4, 2)).astype(np.float32)),
            ("a perfect prediction (loss 0)", y, y.copy()),
        ]
    return [(label, (y, p), {}) for label, y, p in inputs]


def _bce_inputs(rng, audience):
    edge_y = np.array([[1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.5, 0.0]])
    edge_p = np.array([[0.0, 1.0, 1.0, 0.0], [0.3, 0.7, 0.0, 1.0]])
    inputs = [
        ("random probabilities, shape (4, 3)", rng.integers(0, 2, (4, 3)).astype(float), rng.uniform(0.01, 0.99, (4, 3)), {}),
        ("probabilities of exactly 0 and 1 (the clip)", edge_y, edge_p, {}),
        ("float32 keeps float32", rng.integers(0, 2, (3, 4)).astype(np.float32),
         rng.uniform(0.01, 0.99, (3, 4)).astype(np.float32), {}),
        ("a custom epsilon=1e-3", np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
         np.array([[1e-4, 0.2, 0.9995], [0.5, 1.0, 0.0]]), {"epsilon": 1e-3}),
        # public too: the docstring's "the gradient passes at ε exactly" deserves a check before grading
        ("probabilities exactly ε and 1 − ε", np.array([[1.0, 0.0, 0.5, 1.0]]),
         np.array([[EPSILON, EPSILON, 1 - EPSILON, 1 - EPSILON]]), {}),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("a single sample, shape (5,)", np.array([1.0, 0.0, 0.0, 1.0, 1.0]), rng.uniform(0.05, 0.95, 5), {}),
            ("a 3-D batch, shape (2, 2, 3)", np.array([[[1.0, 0, 1], [0, 1, 0]], [[0, 0, 1], [1, 1, 0]]]),
             rng.uniform(0.01, 0.99, (2, 2, 3)), {}),
            ("integer 0/1 targets, shape (5, 2)", np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0]]),
             rng.uniform(0.01, 0.99, (5, 2)), {}),
        ]
    if audience == "hidden":
        eps = np.float32(EPSILON)
        inputs += [
            ("soft labels, shape (5, 4)", rng.uniform(0, 1, (5, 4)), rng.uniform(0.001, 0.999, (5, 4)), {}),
            ("a single sample, shape (6,)", rng.integers(0, 2, 6).astype(float), rng.uniform(0.05, 0.95, 6), {}),
            ("a 3-D batch, shape (2, 3, 2)", rng.integers(0, 2, (2, 3, 2)).astype(float), rng.uniform(0.01, 0.99, (2, 3, 2)), {}),
            ("float32 with 0, 1, ε and 1 − ε", np.array([[1, 0, 1, 0, 1, 0]], np.float32),
             np.array([[0, 1, 1, 0, eps, 1 - eps]], np.float32), {}),
            ("integer 0/1 targets, shape (8, 2)", rng.integers(0, 2, (8, 2)), rng.uniform(0.01, 0.99, (8, 2)), {}),
        ]
    return [(label, (y, p), kwargs) for label, y, p, kwargs in inputs]


def _bce_logit_inputs(rng, audience):
    extreme_z = np.array([[1000.0, -1000.0, 1000.0, -1000.0], [750.0, -750.0, 40.0, -40.0]])
    extreme_y = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]])
    inputs = [
        ("random logits, shape (4, 3)", rng.integers(0, 2, (4, 3)).astype(float), rng.normal(0, 3, (4, 3))),
        ("extreme logits ±1000 (stability)", extreme_y, extreme_z),
        ("float32 keeps float32", rng.integers(0, 2, (3, 4)).astype(np.float32), rng.normal(0, 3, (3, 4)).astype(np.float32)),
        ("logits exactly 0 and soft labels", np.array([[0.0, 1.0, 0.5], [0.25, 0.75, 1.0]]), np.array([[0.0, 0.0, 0.0], [0.0, 2.0, -2.0]])),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("a single sample, shape (5,)", np.array([0.0, 1.0, 1.0, 0.0, 1.0]), rng.normal(0, 3, 5)),
            ("a single sample whose targets are all 0", np.zeros(4), rng.normal(0, 3, 4)),
            ("a 3-D batch, shape (2, 2, 3)", rng.uniform(0, 1, (2, 2, 3)), rng.normal(0, 3, (2, 2, 3))),
            ("float32 extremes ±95, ±500", np.array([[0, 1, 1, 0, 1, 0]], np.float32),
             np.array([[500, -500, 95, -95, 30, -30]], np.float32)),
        ]
    if audience == "hidden":
        inputs += [
            ("a single sample, shape (6,)", rng.integers(0, 2, 6).astype(float), rng.normal(0, 3, 6)),
            ("a 3-D batch, shape (2, 3, 2)", rng.uniform(0, 1, (2, 3, 2)), rng.normal(0, 3, (2, 3, 2))),
            ("float32 extremes ±100, ±1000", np.array([[1, 0, 0, 1, 1, 0]], np.float32),
             np.array([[1000, -1000, 100, -100, 20, -20]], np.float32)),
            ("a wide batch, shape (16, 8)", rng.integers(0, 2, (16, 8)).astype(float), rng.normal(0, 10, (16, 8))),
            ("soft labels with confident logits ±30", rng.uniform(0, 1, (3, 4)), 30.0 * rng.choice([-1.0, 1.0], (3, 4))),
        ]
    return [(label, (y, z), {}) for label, y, z in inputs]


def _cce_inputs(rng, audience):
    probabilities = _softmax(rng.normal(0, 2, (4, 5)))
    edge_p = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5], [0.2, 0.2, 0.2]])
    edge_y = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    inputs = [
        ("softmax outputs and one-hot targets, shape (4, 5)", _one_hot(rng, 4, 5), probabilities, {}),
        ("rows that don't sum to 1 (renormalised)", _one_hot(rng, 3, 4), rng.uniform(0.05, 0.9, (3, 4)), {}),
        ("probabilities of exactly 0 and 1 (the clip)", edge_y, edge_p, {}),
        ("float32 keeps float32", _one_hot(rng, 3, 4, np.float32), _softmax(rng.normal(0, 2, (3, 4))).astype(np.float32), {}),
        ("a custom epsilon=1e-2", np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
         np.array([[0.995, 0.004, 0.001], [0.5, 0.495, 0.005]]), {"epsilon": 1e-2}),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("a single sample, shape (5,)", np.array([0.0, 0, 1, 0, 0]), _softmax(rng.normal(0, 1, 5)), {}),
            ("a 3-D batch, shape (2, 2, 3)", _one_hot(rng, (2, 2), 3), rng.uniform(0.01, 1.0, (2, 2, 3)), {}),
        ]
    if audience == "hidden":
        soft = rng.dirichlet(np.ones(4), 5)
        inputs += [
            ("soft labels, shape (5, 4)", soft, rng.uniform(0.01, 1.0, (5, 4)), {}),
            ("a single sample, shape (6,)", _one_hot(rng, (), 6), _softmax(rng.normal(0, 1, 6)), {}),
            ("a 3-D batch, shape (2, 3, 4)", _one_hot(rng, (2, 3), 4), rng.uniform(0.01, 1.0, (2, 3, 4)), {}),
            ("float32 with exact zeros and ones", np.array([[0, 1, 0], [1, 0, 0]], np.float32),
             np.array([[0, 1, 0], [0, 0.25, 0.75]], np.float32), {}),
            ("a wide batch, shape (16, 10)", _one_hot(rng, 16, 10), _softmax(rng.normal(0, 3, (16, 10))), {}),
        ]
    return [(label, (y, p), kwargs) for label, y, p, kwargs in inputs]


def _cce_logit_inputs(rng, audience):
    extreme = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0]])
    inputs = [
        ("one-hot targets, shape (4, 5)", _one_hot(rng, 4, 5), rng.normal(0, 3, (4, 5))),
        ("soft labels, shape (3, 4)", rng.dirichlet(np.ones(4), 3), rng.normal(0, 3, (3, 4))),
        ("extreme logits ±1000 (stability)", np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]), extreme),
        ("float32 keeps float32", _one_hot(rng, 3, 4, np.float32), rng.normal(0, 3, (3, 4)).astype(np.float32)),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("a single sample, shape (5,)", np.array([0.0, 1, 0, 0, 0]), rng.normal(0, 2, 5)),
            ("a 3-D batch, shape (2, 2, 3)", _one_hot(rng, (2, 2), 3), rng.normal(0, 2, (2, 2, 3))),
            ("float32 extreme logits", np.array([[0, 1, 0], [0, 0, 1]], np.float32),
             np.array([[200, 0, -200], [0, -500, 500]], np.float32)),
        ]
    if audience == "hidden":
        inputs += [
            ("a single sample, shape (6,)", _one_hot(rng, (), 6), rng.normal(0, 2, 6)),
            ("a 3-D batch, shape (2, 3, 4)", _one_hot(rng, (2, 3), 4), rng.normal(0, 2, (2, 3, 4))),
            ("float32 extreme logits", np.array([[0, 0, 1], [1, 0, 0]], np.float32),
             np.array([[100, 0, -100], [-1000, 0, 1000]], np.float32)),
            ("a wide batch, shape (16, 10)", _one_hot(rng, 16, 10), rng.normal(0, 10, (16, 10))),
        ]
    return [(label, (y, z), {}) for label, y, z in inputs]


def _sparse_inputs(rng, audience):
    extreme = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0]])
    inputs = [
        ("a batch of logits, shape (4, 5)", rng.integers(0, 5, 4), rng.normal(0, 3, (4, 5))),
        ("extreme logits ±1000 (stability)", np.array([2, 0, 1]), extreme),
        ("float32 keeps float32", rng.integers(0, 4, 3), rng.normal(0, 3, (3, 4)).astype(np.float32)),
        ("one sample: logits (6,), a 0-d label", np.array(4), rng.normal(0, 2, 6)),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("a 3-D batch, logits (2, 2, 3), labels (2, 2)", np.array([[0, 2], [1, 1]]), rng.normal(0, 2, (2, 2, 3))),
            ("float32 extreme logits", np.array([1, 0]), np.array([[200, 0, -200], [0, -500, 500]], np.float32)),
            ("int32 labels", np.array([3, 0, 4], np.int32), rng.normal(0, 3, (3, 5))),
            ("uint8 labels", np.array([1, 0, 1, 0], np.uint8), rng.normal(0, 3, (4, 2))),
        ]
    if audience == "hidden":
        inputs += [
            ("a 3-D batch, logits (2, 3, 4), labels (2, 3)", rng.integers(0, 4, (2, 3)), rng.normal(0, 2, (2, 3, 4))),
            ("a wide batch, shape (16, 10)", rng.integers(0, 10, 16), rng.normal(0, 10, (16, 10))),
            ("float32 extreme logits", np.array([0, 2]), np.array([[100, 0, -100], [-1000, 0, 1000]], np.float32)),
            ("int32 labels, more classes than samples", rng.integers(0, 7, 2).astype(np.int32), rng.normal(0, 3, (2, 7))),
            ("uint8 labels, more samples than classes", rng.integers(0, 3, 6).astype(np.uint8), rng.normal(0, 3, (6, 3))),
        ]
    return [(label, (labels, z), {}) for label, labels, z in inputs]


def _huber_inputs(rng, audience):
    inputs = [
        ("errors on both sides of δ, shape (4, 3)", rng.normal(0, 2, (4, 3)), rng.normal(0, 2, (4, 3)), {}),
        ("a single sample, shape (5,)", rng.normal(0, 2, 5), rng.normal(0, 2, 5), {}),
        ("float32 keeps float32", rng.normal(0, 2, (3, 4)).astype(np.float32), rng.normal(0, 2, (3, 4)).astype(np.float32), {}),
        ("a custom delta=0.5", rng.normal(0, 1, (3, 4)), rng.normal(0, 1, (3, 4)), {"delta": 0.5}),
        ("errors of exactly 0, ±δ and ±3δ", np.zeros((1, 5)), np.array([[0.0, 1.0, -1.0, 3.0, -3.0]]), {}),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("a 3-D batch, shape (2, 2, 3)", rng.normal(0, 2, (2, 2, 3)), rng.normal(0, 2, (2, 2, 3)), {}),
            ("integer targets, float32 predictions", rng.integers(-3, 4, (3, 2)), rng.normal(0, 2, (3, 2)).astype(np.float32), {}),
            ("errors of exactly ±δ with delta=2.0", np.zeros(4), np.array([2.0, -2.0, 0.5, -5.0]), {"delta": 2.0}),
        ]
    if audience == "hidden":
        y = rng.normal(0, 1, (3, 3))
        inputs += [
            ("a 3-D batch, shape (2, 3, 4)", rng.normal(0, 2, (2, 3, 4)), rng.normal(0, 2, (2, 3, 4)), {}),
            ("large errors, shape (6, 10)", rng.normal(0, 100, (6, 10)), rng.normal(0, 100, (6, 10)), {}),
            ("a custom delta=2.5", rng.normal(0, 3, (5, 4)), rng.normal(0, 3, (5, 4)), {"delta": 2.5}),
            ("integer targets, float32 predictions", rng.integers(-3, 4, (4, 2)), rng.normal(0, 2, (4, 2)).astype(np.float32), {}),
            ("a perfect prediction (loss 0)", y, y.copy(), {}),
            ("errors of exactly ±δ with delta=0.25", np.zeros(4), np.array([0.25, -0.25, 0.1, -1.0]), {"delta": 0.25}),
        ]
    return [(label, (y, p), kwargs) for label, y, p, kwargs in inputs]


def _hinge_inputs(rng, audience):
    clear = np.array([[5.0, 0.0, -1.0], [0.2, 0.1, 3.0]])          # the true class wins by more than 1: loss 0
    inputs = [
        ("random scores, shape (4, 5)", _one_hot(rng, 4, 5), rng.normal(0, 1.5, (4, 5))),
        ("all scores equal, as at the start of training (ties)", _one_hot(rng, 3, 4),
         np.zeros((3, 4)) if audience == "public" else np.full((3, 4), -0.7)),   # hidden inputs differ from public
        ("every wrong score negative", np.eye(3)[[0, 1, 2]], np.array([[0.5, -2.0, -1.0], [-3.0, 0.2, -0.5], [-1.0, -4.0, 0.9]])),
        ("margins already met (loss 0 for some samples)", np.eye(3)[[0, 2]], clear),
        ("float32 keeps float32", _one_hot(rng, 3, 4, np.float32), rng.normal(0, 1.5, (3, 4)).astype(np.float32)),
        ("a single sample, shape (6,)", _one_hot(rng, (), 6), rng.normal(0, 1.5, 6)),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("a 3-D batch, shape (2, 2, 3)", _one_hot(rng, (2, 2), 3), rng.normal(0, 1.5, (2, 2, 3))),
            ("float32 with ties", np.eye(3, dtype=np.float32)[[1, 2, 0]], np.zeros((3, 3), np.float32)),
        ]
    if audience == "hidden":
        tied = rng.normal(0, 1, (4, 5))
        tied_labels = np.array([0, 1, 2, 3])
        tied[np.arange(4), (tied_labels + 1) % 5] = tied[np.arange(4), (tied_labels + 2) % 5] = 2.5   # two wrong classes tie
        inputs += [
            ("a 3-D batch, shape (2, 3, 4)", _one_hot(rng, (2, 3), 4), rng.normal(0, 1.5, (2, 3, 4))),
            ("a wide batch, shape (16, 10)", _one_hot(rng, 16, 10), rng.normal(0, 3, (16, 10))),
            ("two wrong classes tied for the maximum", np.eye(5)[tied_labels], tied),
            ("every wrong score negative, shape (5, 4)", np.eye(4)[[0, 1, 2, 3, 0]],
             -np.abs(rng.normal(1, 1, (5, 4))) + 2.5 * np.eye(4)[[0, 1, 2, 3, 0]] * rng.uniform(0, 1, (5, 1))),
            ("float32 with ties", np.eye(3, dtype=np.float32)[[2, 0]], np.zeros((2, 3), np.float32)),
            ("two classes", _one_hot(rng, 6, 2), rng.normal(0, 1, (6, 2))),
        ]
    return [(label, (y, s), {}) for label, y, s in inputs]


INPUTS = {
    "mse": _mse_inputs,
    "binary_cross_entropy": _bce_inputs,
    "binary_cross_entropy_with_logits": _bce_logit_inputs,
    "categorical_cross_entropy": _cce_inputs,
    "categorical_cross_entropy_with_logits": _cce_logit_inputs,
    "sparse_categorical_cross_entropy_with_logits": _sparse_inputs,
}
# added in the second edition: their inputs are drawn after every other case's, so those are unchanged
NEW_INPUTS = {"huber": _huber_inputs, "multiclass_hinge": _hinge_inputs}
ORDER = ["mse", "huber", "binary_cross_entropy", "binary_cross_entropy_with_logits", "categorical_cross_entropy",
         "categorical_cross_entropy_with_logits", "sparse_categorical_cross_entropy_with_logits", "multiclass_hinge"]


# ---- cases ------------------------------------------------------------------------------------------------

def _tolerance(prediction):
    return F32 if prediction.dtype == np.float32 else F64


def _case(tf, name, label, args, kwargs):
    loss = name.removesuffix("_backward")
    expected = keras_loss(tf, loss, *args, gradient=name.endswith("_backward"), **kwargs)
    mistakes = [{"hint": h, "output": out.astype(expected.dtype)} for h, out in _mistakes(name, args, kwargs)
                if out.shape == expected.shape and not np.allclose(out, expected, rtol=1e-6, atol=1e-9, equal_nan=True)]
    return {"name": label, "args": list(args), "kwargs": kwargs, "expected": expected,
            **_tolerance(np.asarray(args[1])), "mistakes": mistakes}


def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures; each function's
    documented extremes weigh a third of its points (``_extremes.weigh``)."""
    return weigh(_cases(tf, rng, audience))


def _cases(tf, rng, audience):
    out = {}
    for loss, inputs in {**INPUTS, **NEW_INPUTS}.items():
        chosen = inputs(rng, audience)
        out[loss] = [_case(tf, loss, label, args, kwargs) for label, args, kwargs in chosen]
        out[f"{loss}_backward"] = [_case(tf, f"{loss}_backward", label, args, kwargs) for label, args, kwargs in chosen]
    return {name: out[name] for loss in ORDER for name in (loss, f"{loss}_backward")}
