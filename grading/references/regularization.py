"""Chapter 07_regularization: inputs, TensorFlow/Keras references and typical mistakes.

Expected values (float64 layers and tensors for float64 cases, float32 for float32 ones):

* penalties — ``keras.regularizers.L2(l2)`` / ``L1(l1)`` called on the weights (one case through
  a ``keras.layers.Dense(kernel_regularizer=...)``'s ``layer.losses``); their gradients by
  ``tf.GradientTape``. Keras turns the factor into a float32 constant before casting it to the
  weights' dtype (0.01 → 0.009999999776…), so in float64 Keras's penalty is 2.2e-8 relative below
  the exact one: inside the float64 tolerance (rtol 1e-7), and shown in the notebook.
* dropout — ``keras.layers.Dropout(rate, noise_shape, seed)`` called with ``training=True`` on an
  input without zeros; the keep mask handed to the learner is read off Keras's output (≠ 0), the
  gradient is the tape's through the same call. ``training=False``: the layer's output.
* batch/layer normalization — ``keras.layers.BatchNormalization`` / ``LayerNormalization`` with the
  case's weights (``set_weights``), called in training or inference mode; the new moving statistics
  are the layer's variables after the call; gradients by the tape with ``output_gradients=dout``.
* early stopping — ``keras.callbacks.EarlyStopping(monitor="val_loss", ...)`` driven through its
  hooks exactly as ``model.fit`` drives it, on a one-weight model whose weight is set to the epoch
  number before each ``on_epoch_end``: the epochs run and the weight left after ``on_train_end``.
  Keras compares losses in float32 (``ops.less`` on Python floats), so curves and ``min_delta`` are
  multiples of 2⁻¹⁰: every sum and comparison is then exact in float32 and float64 alike.

Mistake outputs are what a typical wrong implementation returns on the same inputs: the
solution's body with one edit (the same bodies the simulated class hands in), run on them.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from grading.references import _mistakes as mistakes

F64 = {"rtol": 1e-7, "atol": 1e-12}
F32 = {"rtol": 1e-5, "atol": 1e-6}
F32_NORM = {"rtol": 1e-4, "atol": 1e-5}  # float32 reductions (mean, variance) differ from TF's in the last bits
EXACT = {"rtol": 0.0, "atol": 0.0}

MODULE = "regularization"
PENALTIES = ["l2_penalty", "l2_penalty_backward", "l1_penalty", "l1_penalty_backward"]
FUNCTIONS = PENALTIES + ["dropout_forward", "dropout_backward", "batchnorm_forward", "batchnorm_backward",
                         "layernorm_forward", "layernorm_backward", "early_stopping"]

# ---- hints ----------------------------------------------------------------------------------------

SCALAR = "Return one number (a 0-d value): the penalty sums over every weight."
DTYPE = "Keep the weights' float dtype: float(...) or np.float64(...) turns a float32 result into float64."
RATE_ONE = ("At rate = 1 every unit is dropped and 1 − rate = 0: return zeros, as Keras does, instead of "
            "dividing by zero.")
BN_AXES = ("Batch statistics are per feature: reduce over every axis but the last — axis 0 for (batch, C), "
           "axes (0, 1, 2) for images (N, H, W, C) — giving shape (C,).")
LN_AXES = "Layer statistics are per example: reduce over the last axis only, with keepdims=True so they broadcast."
NORM_N1 = ("0/0: with the unbiased variance (ddof=1) a batch of one has no variance. Keras divides by m "
           "(np.var's default ddof=0), so the variance of one value is 0 and ε keeps the division finite.")

HINTS = {
    "l2_penalty": {"shape": SCALAR, "dtype": DTYPE},
    "l2_penalty_backward": {"shape": "The gradient has the shape of w: one entry per weight."},
    "l1_penalty": {"shape": SCALAR, "dtype": DTYPE},
    "l1_penalty_backward": {
        "shape": "The gradient has the shape of w: one entry per weight.",
        "nonfinite": "w / |w| is 0/0 = NaN at w = 0: use np.sign(w), which is 0 there (TensorFlow's subgradient).",
        "warning": "w / |w| divides by zero at w = 0: use np.sign(w), which is 0 there (TensorFlow's subgradient).",
    },
    "dropout_forward": {"nonfinite": RATE_ONE, "warning": RATE_ONE,
                        "shape": "The output has the shape of x; the mask broadcasts against it."},
    "dropout_backward": {"nonfinite": RATE_ONE, "warning": RATE_ONE,
                         "shape": "The gradient has the shape of dout; the mask broadcasts against it."},
    "batchnorm_forward": {
        "returns": ["y", "new_moving_mean", "new_moving_variance"],
        "structure": "Return the tuple (y, new_moving_mean, new_moving_variance).",
        "shape": BN_AXES, "nonfinite": NORM_N1, "warning": NORM_N1, "elementwise": False,
    },
    "batchnorm_backward": {
        "returns": ["dx", "dgamma", "dbeta"],
        "structure": "Return the tuple (dx, dgamma, dbeta).",
        "shape": BN_AXES + " dgamma and dbeta are sums over those axes, shape (C,).",
        "nonfinite": NORM_N1, "warning": NORM_N1, "elementwise": False,
    },
    "layernorm_forward": {"shape": LN_AXES, "nonfinite": NORM_N1, "warning": NORM_N1, "elementwise": False},
    "layernorm_backward": {
        "returns": ["dx", "dgamma", "dbeta"],
        "structure": "Return the tuple (dx, dgamma, dbeta).",
        "shape": LN_AXES + " dgamma and dbeta have shape (D,): sum them over every leading axis (all examples).",
        "nonfinite": NORM_N1, "warning": NORM_N1, "elementwise": False,
    },
    "early_stopping": {
        "returns": ["epochs_run", "weights_epoch"],
        "structure": "Return the tuple (epochs_run, weights_epoch) of two ints.",
        "dtype": "Return plain ints (epoch counts and indices), e.g. int(epoch) + 1.",
        "elementwise": False,
    },
}


# ---- mistakes: the solution with one edit -------------------------------------------------------



_variant = functools.partial(mistakes.variant, "regularization")


_wrong_function = functools.partial(mistakes.wrong_function, "regularization")


_EPS_INSIDE = ("np.sqrt(variance + epsilon)", "(np.sqrt(variance) + epsilon)")
_UNBIASED = ("x.var(axis=axes)", "x.var(axis=axes, ddof=1)")
_BN_DX = "dx = gamma * inv_std / m * (m * dout - dbeta - x_hat * dgamma)"
_LN_DX = "dx = inv_std / d * (d * g - g.sum(axis=-1, keepdims=True) - x_hat * (g * x_hat).sum(axis=-1, keepdims=True))"
_ES_PREVIOUS = """best, best_epoch, wait, previous = None, 0, 0, None
for epoch, current in enumerate(val_losses):
    wait += 1
    improved = previous is None or current + min_delta < previous
    previous = current
    if improved:
        if best is None or current < best:
            best, best_epoch = current, epoch
        wait = 0
        continue
    if wait >= patience and epoch > 0:
        return epoch + 1, (best_epoch if restore_best_weights else epoch)
last = len(val_losses) - 1
return last + 1, (best_epoch if restore_best_weights else last)
"""

# function → [(hint, wrong body)]; the first entries of some are also the simulated class's mistakes
MISTAKES = {
    "l2_penalty": [
        ("Keras's L2(l2) is l2·Σw² with no ½. The ½ belongs to tf.nn.l2_loss (Σw²/2), which the source's code "
         "uses.", _variant("l2_penalty", ("l2 * np.sum(w * w)", "0.5 * l2 * np.sum(w * w)"))),
        ("Sum the squares (Σw²), don't average them: Keras's penalty grows with the number of weights.",
         _variant("l2_penalty", ("np.sum(w * w)", "np.mean(w * w)"))),
        ("The L2 penalty is λ·Σw², the *squared* norm — not the norm ‖w‖ itself.",
         _variant("l2_penalty", ("l2 * np.sum(w * w)", "l2 * np.sqrt(np.sum(w * w))"))),
        ("That is the L1 penalty λ·Σ|w|; L2 squares the weights.",
         _variant("l2_penalty", ("np.sum(w * w)", "np.sum(np.abs(w))"))),
    ],
    "l2_penalty_backward": [
        ("d/dw (λw²) = 2λw: the factor 2 is missing (it cancels only the ½ of tf.nn.l2_loss, which Keras's L2 "
         "does not have).", _variant("l2_penalty_backward", ("2 * l2 * w", "l2 * w"))),
        ("Multiply by the factor λ: ∂(λΣw²)/∂w = 2λw.", _variant("l2_penalty_backward", ("2 * l2 * w", "2 * w"))),
        ("The penalty is a sum, so each weight's gradient is 2λw_i — don't divide by the number of weights.",
         _variant("l2_penalty_backward", ("2 * l2 * w", "2 * l2 * w / w.size"))),
        ("That is λw², each weight's penalty; its derivative is 2λw.",
         _variant("l2_penalty_backward", ("2 * l2 * w", "l2 * w * w"))),
    ],
    "l1_penalty": [
        ("Take absolute values, λ·Σ|w|: without them positive and negative weights cancel.",
         _variant("l1_penalty", ("np.sum(np.abs(w))", "np.sum(w)"))),
        ("Sum the absolute values, don't average them: Keras's L1 is λ·Σ|w|.",
         _variant("l1_penalty", ("np.sum(np.abs(w))", "np.mean(np.abs(w))"))),
        ("That is the L2 penalty λ·Σw²; L1 is λ·Σ|w|.",
         _variant("l1_penalty", ("np.sum(np.abs(w))", "np.sum(w * w)"))),
    ],
    "l1_penalty_backward": [
        ("At w = 0 |w| has no derivative, and TensorFlow takes the subgradient 0 (sign(0) = 0): use np.sign(w), "
         "not +1 for w ≥ 0.", _variant("l1_penalty_backward", ("l1 * np.sign(w)", "l1 * np.where(w >= 0, 1.0, -1.0)"))),
        ("Multiply by the factor λ: ∂(λΣ|w|)/∂w = λ·sign(w).",
         _variant("l1_penalty_backward", ("l1 * np.sign(w)", "np.sign(w)"))),
        ("The derivative of |w| is sign(w) (±1), not |w| or w.",
         _variant("l1_penalty_backward", ("l1 * np.sign(w)", "l1 * w"))),
    ],
    "dropout_forward": [
        ("Inverted dropout divides the kept units by 1 − rate, so that the expected output equals the input "
         "(Keras does this in training); you only applied the mask.",
         _variant("dropout_forward", ("x * mask / (1 - rate)", "x * mask"))),
        ("Divide by the keep probability 1 − rate, don't multiply: inverted dropout scales up in training so that "
         "inference needs no scaling.", _variant("dropout_forward", ("x * mask / (1 - rate)", "x * mask * (1 - rate)"))),
        ("Scale by 1/(1 − rate), the keep probability: rate is the fraction *dropped*.",
         _variant("dropout_forward", ("x * mask / (1 - rate)", "x * mask / rate"))),
        ("mask is the *keep* mask: True keeps a unit, False drops it.",
         _variant("dropout_forward", ("x * mask / (1 - rate)", "x * ~mask / (1 - rate)"))),
        ("Scale by 1/(1 − rate), the expected keep fraction, not by this mask's actual kept fraction: Keras's "
         "scale does not depend on the draw.", _variant("dropout_forward", ("x * mask / (1 - rate)", "x * mask / mask.mean()"))),
        ("At inference (training=False) inverted dropout is the identity — its scaling happened in training. "
         "x·(1 − rate) at test time is the original, non-inverted dropout.",
         _variant("dropout_forward", ("return x.copy()", "return x * (1 - rate)"))),
        ("At inference (training=False) dropout drops nothing: return x unchanged, whatever the mask.",
         _variant("dropout_forward", ("if not training:\n    return x.copy()\n", ""))),
    ],
    "dropout_backward": [
        ("The kept units were divided by 1 − rate in the forward pass, so their gradient is too: "
         "dx = mask·dout/(1 − rate).", _variant("dropout_backward", ("dout * mask / (1 - rate)", "dout * mask"))),
        ("A dropped unit did not reach the output: its gradient is 0. Multiply by the mask.",
         _variant("dropout_backward", ("dout * mask / (1 - rate)", "dout / (1 - rate)"))),
        ("Divide by the keep probability 1 − rate, don't multiply.",
         _variant("dropout_backward", ("dout * mask / (1 - rate)", "dout * mask * (1 - rate)"))),
        ("mask is the *keep* mask: True keeps a unit (and its gradient).",
         _variant("dropout_backward", ("dout * mask / (1 - rate)", "dout * ~mask / (1 - rate)"))),
    ],
    "batchnorm_forward": [
        ("Keras (like the batch-norm paper) normalizes with the biased variance (1/m)Σ(x − μ)², np.var's default "
         "ddof=0 — not the unbiased n − 1 (ddof=1) one.", _variant("batchnorm_forward", _UNBIASED)),
        ("Keras's momentum weights the *old* moving statistic: moving ← momentum·moving + (1 − momentum)·batch "
         "(momentum 0.99: a slow average). Yours is the other way round (PyTorch's momentum=0.1 convention).",
         _variant("batchnorm_forward",
                  ("momentum * moving_mean + (1 - momentum) * mean", "(1 - momentum) * moving_mean + momentum * mean"),
                  ("momentum * moving_variance + (1 - momentum) * variance",
                   "(1 - momentum) * moving_variance + momentum * variance"))),
        ("Keras updates moving_variance with the same biased batch variance it normalizes with; the unbiased "
         "m/(m − 1) correction is PyTorch's running_var convention.",
         _variant("batchnorm_forward", ("(1 - momentum) * variance\n",
                                        "(1 - momentum) * variance * (x.size // x.shape[-1]) / (x.size // x.shape[-1] - 1)\n"))),
        ("ε goes inside the square root: (x − μ)/√(σ² + ε).", _variant("batchnorm_forward", _EPS_INSIDE)),
        (BN_AXES, _variant("batchnorm_forward", ("axes = tuple(range(x.ndim - 1))", "axes = 0"))),
        ("At inference (training=False) normalize with the moving statistics, and return them unchanged.",
         _variant("batchnorm_forward", ("if training:", "if True:"))),
        ("In training the moving statistics take a step towards the batch's: "
         "moving ← momentum·moving + (1 − momentum)·batch.",
         _variant("batchnorm_forward",
                  ("new_mean = momentum * moving_mean + (1 - momentum) * mean", "new_mean = moving_mean.copy()"),
                  ("new_variance = momentum * moving_variance + (1 - momentum) * variance",
                   "new_variance = moving_variance.copy()"))),
        ("After normalizing, scale by γ and shift by β: y = γ·x̂ + β.",
         _variant("batchnorm_forward", ("gamma * (x - mean) / np.sqrt(variance + epsilon) + beta",
                                        "(x - mean) / np.sqrt(variance + epsilon)"))),
    ],
    "batchnorm_backward": [
        ("μ and σ² are computed from x, so the gradient flows through them too: dx = γ/(m√(σ² + ε))·(m·dout − Σdout "
         "− x̂·Σ(dout·x̂)). Treating them as constants leaves out the two sums.",
         _variant("batchnorm_backward", (_BN_DX, "dx = gamma * inv_std * dout"))),
        ("The path through σ² is missing: dx = γ/(m√(σ² + ε))·(m·dout − Σdout − x̂·Σ(dout·x̂)).",
         _variant("batchnorm_backward", (_BN_DX, "dx = gamma * inv_std / m * (m * dout - dbeta)"))),
        ("Keras normalizes with the biased variance (1/m)Σ(x − μ)² (np.var's ddof=0): recompute it that way.",
         _variant("batchnorm_backward", _UNBIASED)),
        ("∂L/∂γ = Σ dout·x̂, with the *normalized* input x̂, not x.",
         _variant("batchnorm_backward", ("dgamma = (dout * x_hat).sum(axis=axes)", "dgamma = (dout * x).sum(axis=axes)"))),
        ("dx carries the factor γ (y = γ·x̂ + β).", _variant("batchnorm_backward", ("dx = gamma * inv_std / m", "dx = inv_std / m"))),
        (BN_AXES, _variant("batchnorm_backward", ("axes = tuple(range(x.ndim - 1))", "axes = 0"))),
    ],
    "layernorm_forward": [
        ("Layer norm normalizes each example over its features (the last axis); statistics over the batch axis "
         "are batch norm's.", _variant("layernorm_forward", ("axis=-1", "axis=0"))),
        ("Keras normalizes with the biased variance (1/D)Σ(x − μ)² (np.var's default ddof=0), not the n − 1 one.",
         _variant("layernorm_forward", ("x.var(axis=-1, keepdims=True)", "x.var(axis=-1, keepdims=True, ddof=1)"))),
        ("ε goes inside the square root: (x − μ)/√(σ² + ε).", _variant("layernorm_forward", _EPS_INSIDE)),
        ("After normalizing, scale by γ and shift by β: y = γ·x̂ + β.",
         _variant("layernorm_forward", ("gamma * (x - mean) / np.sqrt(variance + epsilon) + beta",
                                        "(x - mean) / np.sqrt(variance + epsilon)"))),
    ],
    "layernorm_backward": [
        ("In layer norm γ varies *along* the normalized axis, so it can't be factored out of the sums as in batch "
         "norm: use g = γ·dout inside them, dx = (D·g − Σg − x̂·Σ(g·x̂))/(D√(σ² + ε)).",
         _variant("layernorm_backward", (_LN_DX, "dx = gamma * inv_std / d * (d * dout - dout.sum(axis=-1, keepdims=True)"
                                                 " - x_hat * (dout * x_hat).sum(axis=-1, keepdims=True))"))),
        ("μ and σ² are computed from x, so the gradient flows through them too: the two sums over the features "
         "are missing.", _variant("layernorm_backward", (_LN_DX, "dx = g * inv_std"))),
        ("dgamma and dbeta have shape (D,): sum dout·x̂ and dout over every leading axis (all examples).",
         _variant("layernorm_backward", ("(dout * x_hat).sum(axis=leading), dout.sum(axis=leading)", "dout * x_hat, dout"))),
        ("Keras normalizes with the biased variance (1/D)Σ(x − μ)² (np.var's default ddof=0), not the n − 1 one.",
         _variant("layernorm_backward", ("x.var(axis=-1, keepdims=True)", "x.var(axis=-1, keepdims=True, ddof=1)"))),
    ],
    "early_stopping": [
        ("Off by one: with patience p Keras stops at the p-th epoch in a row without an improvement "
         "(wait counts from 1 and training stops when wait >= patience); your training ran one epoch longer.",
         _variant("early_stopping", ("if wait >= patience and epoch > 0:", "if wait > patience and epoch > 0:"))),
        ("epochs_run is a count: training that stops after epoch t (0-based) has run t + 1 epochs.",
         _variant("early_stopping", ("return epoch + 1, (best_epoch", "return epoch, (best_epoch"))),
        ("An improvement must be strictly better (Keras uses <): an equal loss is no improvement and doesn't "
         "reset the wait.", _variant("early_stopping", ("current + min_delta < best", "current + min_delta <= best"))),
        ("Use min_delta: an epoch improves only if it beats the best by more than min_delta (v + min_delta < best).",
         _variant("early_stopping", ("current + min_delta < best", "current < best"))),
        ("min_delta makes an improvement harder, not easier: require v + min_delta < best.",
         _variant("early_stopping", ("current + min_delta < best", "current - min_delta < best"))),
        ("Compare each loss with the best so far, not with the previous epoch's: a curve that zig-zags upwards "
         "would 'improve' every other epoch.", _ES_PREVIOUS),
        ("With restore_best_weights=True the model ends with the best epoch's weights.",
         _variant("early_stopping", ("(best_epoch if restore_best_weights else epoch)", "epoch"),
                  ("(best_epoch if restore_best_weights else last)", "last"))),
        ("Without restore_best_weights the model keeps the weights of the last epoch it ran.",
         _variant("early_stopping", ("(best_epoch if restore_best_weights else epoch)", "best_epoch"),
                  ("(best_epoch if restore_best_weights else last)", "best_epoch"))),
        ("Keras 3 restores the best weights at the end of training even when it never stopped early "
         "(tf.keras 2 restored them only after an early stop).",
         _variant("early_stopping", ("(best_epoch if restore_best_weights else last)", "last"))),
    ],
}


def _hint_body(function: str, start: str) -> str:
    """The wrong body whose hint starts with ``start`` (for the simulated class)."""
    (body,) = [b for h, b in MISTAKES[function] if h.startswith(start)]
    return body


# student id → {graded function: wrong body}; each must cost that function only
CLASS = {
    "l2_with_half": {"l2_penalty": _hint_body("l2_penalty", "Keras's L2(l2) is l2·Σw² with no ½")},
    "l2_grad_missing_2": {"l2_penalty_backward": _hint_body("l2_penalty_backward", "d/dw (λw²) = 2λw")},
    "l1_no_abs": {"l1_penalty": _hint_body("l1_penalty", "Take absolute values")},
    "l1_sign_at_zero": {"l1_penalty_backward": _hint_body("l1_penalty_backward", "At w = 0")},
    "dropout_not_rescaled": {"dropout_forward": _hint_body("dropout_forward", "Inverted dropout divides")},
    "dropout_grad_no_mask": {"dropout_backward": _hint_body("dropout_backward", "A dropped unit")},
    "bn_unbiased_variance": {"batchnorm_forward": _hint_body("batchnorm_forward", "Keras (like the batch-norm paper)")},
    "bn_momentum_swapped": {"batchnorm_forward": _hint_body("batchnorm_forward", "Keras's momentum weights")},
    "bn_grad_constant_stats": {"batchnorm_backward": _hint_body("batchnorm_backward", "μ and σ² are computed")},
    "ln_batch_axis": {"layernorm_forward": _hint_body("layernorm_forward", "Layer norm normalizes")},
    "ln_grad_gamma_outside": {"layernorm_backward": _hint_body("layernorm_backward", "In layer norm γ varies")},
    "es_patience_off_by_one": {"early_stopping": _hint_body("early_stopping", "Off by one")},
}
EXPECTED_LOSSES = {student: set(bodies) for student, bodies in CLASS.items()}


# ---- comparison helpers -------------------------------------------------------------------------

def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [np.asarray(value)]


def _differs(output, expected, tolerance) -> bool:
    a, b = _leaves(output), _leaves(expected)
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return True
    return not all(np.allclose(x.astype(float), y.astype(float), **tolerance) for x, y in zip(a, b))


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(_copy(v) for v in value)
    return value


def _as_result(value):
    """A mistake's output in the stored form: arrays (ints as int64 0-d arrays), tuples kept."""
    if isinstance(value, tuple):
        return tuple(_as_result(v) for v in value)
    return np.asarray(value)


def _mistake_outputs(function, args, kwargs, expected, tolerance):
    found = []
    for hint, body in MISTAKES[function]:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # np.var(ddof=1) of one value warns: the mistake, not the reference
                output = _wrong_function(function, body)(*_copy(args), **_copy(kwargs))
        except (ArithmeticError, ValueError, TypeError, IndexError):
            continue
        output = _as_result(output)
        if all(np.all(np.isfinite(leaf)) for leaf in _leaves(output)) and _differs(output, expected, tolerance):
            same = next((f for f in found if not _differs(f["output"], output, EXACT)), None)
            if same is None:
                found.append({"hint": hint, "output": output})
            else:  # two mistakes give the same result on this input: the learner sees both hints
                same["hint"] += " Or: " + hint
    return found


def _tolerance(dtype, norm=False):
    if np.dtype(dtype) == np.float32:
        return F32_NORM if norm else F32
    return F64


# ---- TensorFlow / Keras references --------------------------------------------------------------

def keras_penalty(tf, kind, w, factor=None, gradient=False, dense_layer=False):
    """Keras's L1/L2 penalty of w (or its tape gradient); optionally through a Dense layer's ``losses``."""
    import keras

    regularizer = getattr(keras.regularizers, kind.upper())
    regularizer = regularizer() if factor is None else regularizer(factor)
    dtype = w.dtype.name
    if dense_layer:
        layer = keras.layers.Dense(w.shape[1], kernel_regularizer=regularizer, dtype=dtype)
        layer.build((None, w.shape[0]))
        layer.set_weights([w, np.zeros(w.shape[1], dtype)])
        with tf.GradientTape() as tape:
            layer(tf.zeros((1, w.shape[0]), dtype))
            (value,) = layer.losses
        result = tape.gradient(value, layer.kernel) if gradient else value
    else:
        wt = tf.Variable(w)
        with tf.GradientTape() as tape:
            value = regularizer(wt)
        result = tape.gradient(value, wt, unconnected_gradients=tf.UnconnectedGradients.ZERO) if gradient else value
    return np.asarray(result.numpy(), w.dtype)


def keras_dropout(tf, x, rate, noise_shape=None, seed=0, dout=None):
    """(y, mask, dx) of keras.layers.Dropout in training: the mask read off its output, dx by the tape."""
    import keras

    layer = keras.layers.Dropout(rate, noise_shape=noise_shape, seed=seed, dtype=x.dtype.name)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, training=True)
    dx = None
    if dout is not None:
        dx = tape.gradient(y, xt, output_gradients=tf.constant(dout),
                           unconnected_gradients=tf.UnconnectedGradients.ZERO).numpy()
    y = y.numpy()
    kept = y != 0
    if noise_shape is not None:  # one draw per broadcast slice: read it off the first entry along those axes
        index = tuple(slice(0, 1) if n == 1 else slice(None) for n in noise_shape)
        kept = kept[index]
        assert np.array_equal(np.broadcast_to(kept, y.shape), y != 0), "the mask is not constant along noise_shape"
    return y, kept, dx


def keras_dropout_inference(tf, x, rate):
    import keras

    return keras.layers.Dropout(rate, seed=0, dtype=x.dtype.name)(tf.constant(x), training=False).numpy()


def keras_batchnorm(tf, x, gamma, beta, moving_mean, moving_variance, training=True, momentum=0.99, epsilon=1e-3,
                    dout=None):
    """(y, moving_mean, moving_variance) after one call of keras BatchNormalization, or (dx, dgamma, dbeta)."""
    import keras

    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, dtype=x.dtype.name)
    layer.build(x.shape)
    layer.set_weights([gamma, beta, moving_mean, moving_variance])
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, training=training)
    if dout is not None:
        grads = tape.gradient(y, [xt, layer.gamma, layer.beta], output_gradients=tf.constant(dout))
        return tuple(np.asarray(g.numpy(), x.dtype) for g in grads)
    return y.numpy(), layer.moving_mean.numpy(), layer.moving_variance.numpy()


def keras_layernorm(tf, x, gamma, beta, epsilon=1e-3, dout=None):
    """y of keras LayerNormalization, or (dx, dgamma, dbeta) by the tape; a 1-D x is one example."""
    import keras

    single = x.ndim == 1
    xb = x[None] if single else x
    layer = keras.layers.LayerNormalization(epsilon=epsilon, dtype=x.dtype.name)
    layer.build(xb.shape)
    layer.set_weights([gamma, beta])
    xt = tf.constant(xb)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
    if dout is not None:
        grads = tape.gradient(y, [xt, layer.gamma, layer.beta], output_gradients=tf.constant(dout[None] if single else dout))
        dx, dgamma, dbeta = (np.asarray(g.numpy(), x.dtype) for g in grads)
        return (dx[0] if single else dx), dgamma, dbeta
    y = y.numpy()
    return y[0] if single else y


def keras_early_stopping(tf, val_losses, patience=0, min_delta=0.0, restore_best_weights=False):
    """(epochs_run, weights_epoch) of keras.callbacks.EarlyStopping, driven through its hooks as fit does.

    The model's one weight is set to the epoch number before each epoch's end, so the weight left
    after ``on_train_end`` names the epoch whose weights the model holds.
    """
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                             restore_best_weights=restore_best_weights)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    epochs_run = 0
    for epoch, value in enumerate(val_losses):
        model.layers[0].kernel.assign([[float(epoch)]])
        epochs_run += 1
        callback.on_epoch_end(epoch, {"loss": 0.0, "val_loss": float(value)})
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs_run, int(round(float(model.layers[0].kernel.numpy()[0, 0])))


# ---- inputs -------------------------------------------------------------------------------------

def _penalty_inputs(rng, audience):
    """(label, w, kwargs, through a Dense layer)."""
    with_zeros = rng.normal(0, 1, (4, 5))
    with_zeros[0, :3] = 0.0
    with_zeros[2, 4] = 0.0
    inputs = [
        ("a kernel (3, 4), default factor 0.01", rng.normal(0, 1, (3, 4)), {}, False),
        ("a kernel (5, 2) with a factor of 0.1", rng.normal(0, 2, (5, 2)), {"factor": 0.1}, False),
        ("exact zeros among the weights (the kink of |w|)", with_zeros, {"factor": 0.05}, False),
        ("float32 weights keep float32", rng.normal(0, 1, (4, 3)).astype(np.float32), {"factor": 0.02}, False),
        ("a conv kernel (3, 3, 2, 4) (kh, kw, in, out)", rng.normal(0, 0.5, (3, 3, 2, 4)), {}, False),
        ("a keras.layers.Dense(kernel_regularizer=...) kernel (6, 3): its layer.losses", rng.normal(0, 1, (6, 3)),
         {"factor": 0.01}, True),
        ("integer weights, a vector (5,): float64 results", rng.integers(-3, 4, 5), {"factor": 0.5}, False),
        ("a factor of 0 (no penalty)", rng.normal(0, 1, (2, 3)), {"factor": 0.0}, False),
    ]
    if audience == "hidden":
        zeros32 = rng.normal(0, 1, (3, 6)).astype(np.float32)
        zeros32[:, 0] = 0
        inputs += [
            ("a bias vector (7,)", rng.normal(0, 1, 7), {"factor": 0.03}, False),
            ("a factor of 0 (no penalty)", rng.normal(0, 1, (3, 3)), {"factor": 0.0}, False),
            ("large weights, a wide kernel (16, 32)", rng.normal(0, 10, (16, 32)), {"factor": 0.001}, False),
            ("float32 with exact zeros", zeros32, {}, False),
            ("a conv kernel (2, 2, 3, 5), factor 0.5", rng.normal(0, 1, (2, 2, 3, 5)), {"factor": 0.5}, False),
            ("integer weights become float64", rng.integers(-3, 4, (4, 4)), {"factor": 0.25}, False),
            ("a keras.layers.Dense(kernel_regularizer=...) kernel (4, 8)", rng.normal(0, 1, (4, 8)), {"factor": 0.2}, True),
        ]
    return inputs


def _penalty_cases(tf, rng, audience):
    out = {name: [] for name in PENALTIES}
    for label, w, kw, dense in _penalty_inputs(rng, audience):
        wf = w.astype(np.float64) if w.dtype.kind != "f" else w
        for kind in ("l2", "l1"):
            kwargs = {kind: kw["factor"]} if "factor" in kw else {}
            for gradient in (False, True):
                name = f"{kind}_penalty" + ("_backward" if gradient else "")
                expected = keras_penalty(tf, kind, wf, kw.get("factor"), gradient, dense)
                tolerance = _tolerance(wf.dtype)
                out[name].append({"name": label, "args": [w], "kwargs": kwargs, "expected": expected, **tolerance,
                                  "mistakes": _mistake_outputs(name, (w,), kwargs, expected, tolerance)})
    return out


def _no_zeros(rng, shape, dtype=np.float64, scale=1.0):
    x = rng.normal(0, scale, shape)
    x = np.where(np.abs(x) < 0.05, 0.05 * np.sign(x) + (x == 0) * 0.05, x)  # Keras's zeros are the dropped units
    return x.astype(dtype)


def _dropout_inputs(rng, audience):
    """(label, x, rate, noise_shape or None, training)."""
    edge = (3, 4) if audience == "public" else (4, 5)  # rates 0 and 1 have all-True / all-False masks: differ by shape
    inputs = [
        ("rate 0.5 on a batch (4, 6)", _no_zeros(rng, (4, 6)), 0.5, None, True),
        ("rate 0.2 on a batch (8, 5)", _no_zeros(rng, (8, 5)), 0.2, None, True),
        ("float32 keeps float32, rate 0.3", _no_zeros(rng, (5, 4), np.float32), 0.3, None, True),
        ("noise_shape (batch, 1): one draw per example (the mask has shape (6, 1))", _no_zeros(rng, (6, 5)), 0.4,
         (6, 1), True),
        ("rate 0: nothing is dropped", _no_zeros(rng, edge), 0.0, None, True),
        ("rate 1: everything is dropped", _no_zeros(rng, edge), 1.0, None, True),
        ("inference (training=False), rate 0.5, with a mask given anyway", _no_zeros(rng, (4, 5)), 0.5, None, False),
        ("images (2, 2, 2, 3), rate 0.4", _no_zeros(rng, (2, 2, 2, 3)), 0.4, None, True),
    ]
    if audience == "hidden":
        inputs += [
            ("rate 0.8 on a batch (10, 8)", _no_zeros(rng, (10, 8)), 0.8, None, True),
            ("images (2, 3, 3, 4), rate 0.25", _no_zeros(rng, (2, 3, 3, 4)), 0.25, None, True),
            ("noise_shape (2, 1, 1, 4): whole channels (spatial dropout)", _no_zeros(rng, (2, 3, 3, 4)), 0.5,
             (2, 1, 1, 4), True),
            ("float32 inference, rate 0.3", _no_zeros(rng, (3, 6), np.float32), 0.3, None, False),
            ("rate 1 on float32", _no_zeros(rng, (2, 5), np.float32), 1.0, None, True),
            ("noise_shape (1, 7): one draw per feature, shared by the batch", _no_zeros(rng, (5, 7)), 0.5, (1, 7), True),
            ("a wide batch (32, 16), rate 0.1", _no_zeros(rng, (32, 16)), 0.1, None, True),
            ("inference, rate 0 and 3-D input", _no_zeros(rng, (2, 3, 4)), 0.0, None, False),
        ]
    return inputs


def _dropout_cases(tf, rng, audience):
    out = {"dropout_forward": [], "dropout_backward": []}
    for index, (label, x, rate, noise_shape, training) in enumerate(_dropout_inputs(rng, audience)):
        seed = int(rng.integers(0, 2 ** 31))
        dout = rng.normal(0, 1, x.shape).astype(x.dtype)
        if training:
            y, mask, dx = keras_dropout(tf, x, rate, noise_shape, seed, dout)
            if rate == 0:
                assert mask.all()
        else:
            y = keras_dropout_inference(tf, x, rate)
            mask = rng.random(x.shape) >= rate  # a mask the learner must ignore
            dx = None
        tolerance = _tolerance(x.dtype)
        kwargs = {} if training else {"training": False}
        args = [x, mask, rate]
        out["dropout_forward"].append({"name": label, "args": args, "kwargs": kwargs, "expected": y, **tolerance,
                                       "mistakes": _mistake_outputs("dropout_forward", args, kwargs, y, tolerance)})
        if training:
            back = [dout, mask, rate]
            out["dropout_backward"].append({
                "name": label, "args": back, "kwargs": {}, "expected": dx, **tolerance,
                "mistakes": _mistake_outputs("dropout_backward", back, {}, dx, tolerance)})
    return out


def _features(rng, shape, dtype=np.float64):
    """Activations with a different mean and scale per feature (so wrong axes show)."""
    c = shape[-1]
    return (rng.normal(0, 1, shape) * rng.uniform(0.5, 3, c) + rng.normal(0, 2, c)).astype(dtype)


def _bn_inputs(rng, audience):
    """(label, x, kwargs for batchnorm_forward besides the weights, moving statistics at Keras's start?)."""
    constant = _features(rng, (6, 3))
    constant[:, 1] = 2.5
    inputs = [
        ("training, a batch (8, 4), moving statistics at Keras's start (0, 1)", _features(rng, (8, 4)), {}, True),
        ("training, images (2, 3, 3, 4): statistics over N, H and W", _features(rng, (2, 3, 3, 4)), {}, False),
        ("inference (training=False), a batch (5, 3)", _features(rng, (5, 3)), {"training": False}, False),
        ("float32 keeps float32, training, (6, 3)", _features(rng, (6, 3), np.float32), {}, False),
        ("momentum=0.9, epsilon=1e-5, a batch of 2", _features(rng, (2, 4)), {"momentum": 0.9, "epsilon": 1e-5}, False),
        ("a constant feature (zero variance: ε keeps it finite)", constant, {}, False),
        ("a sequence batch (2, 3, 4): statistics over batch and time", _features(rng, (2, 3, 4)), {}, False),
    ]
    if audience == "hidden":
        inputs += [
            ("training, a batch (16, 5)", _features(rng, (16, 5)), {}, False),
            ("a batch of one", _features(rng, (1, 4)), {}, False),
            ("inference on images (2, 2, 3, 3)", _features(rng, (2, 2, 3, 3)), {"training": False}, False),
            ("float32 images (3, 2, 2, 2), training", _features(rng, (3, 2, 2, 2), np.float32), {}, False),
            ("a sequence batch (3, 4, 5): statistics over batch and time", _features(rng, (3, 4, 5)), {}, False),
            ("momentum=0: the moving statistics become the batch's", _features(rng, (7, 3)), {"momentum": 0.0}, True),
            ("float32 inference, epsilon=0.01", _features(rng, (4, 6), np.float32), {"training": False, "epsilon": 0.01},
             False),
        ]
    return inputs


def _bn_weights(rng, c, dtype, start):
    gamma = rng.uniform(0.5, 1.5, c) * rng.choice([-1, 1], c, p=[0.2, 0.8])
    beta = rng.normal(0, 1, c)
    if start:
        moving_mean, moving_variance = np.zeros(c), np.ones(c)
    else:
        moving_mean, moving_variance = rng.normal(0, 1, c), rng.uniform(0.5, 3, c)
    return [a.astype(dtype) for a in (gamma, beta, moving_mean, moving_variance)]


def _bn_cases(tf, rng, audience):
    out = {"batchnorm_forward": [], "batchnorm_backward": []}
    for label, x, kwargs, start in _bn_inputs(rng, audience):
        gamma, beta, mm, mv = _bn_weights(rng, x.shape[-1], x.dtype, start)
        training = kwargs.get("training", True)
        expected = keras_batchnorm(tf, x, gamma, beta, mm, mv, training, kwargs.get("momentum", 0.99),
                                   kwargs.get("epsilon", 1e-3))
        tolerance = _tolerance(x.dtype, norm=True)
        args = [x, gamma, beta, mm, mv]
        out["batchnorm_forward"].append({
            "name": label, "args": args, "kwargs": kwargs, "expected": expected, **tolerance,
            "mistakes": _mistake_outputs("batchnorm_forward", args, kwargs, expected, tolerance)})
        if training:
            dout = rng.normal(0, 1, x.shape).astype(x.dtype)
            back_kwargs = {"epsilon": kwargs["epsilon"]} if "epsilon" in kwargs else {}
            grads = keras_batchnorm(tf, x, gamma, beta, mm, mv, True, kwargs.get("momentum", 0.99),
                                    kwargs.get("epsilon", 1e-3), dout=dout)
            back = [dout, x, gamma]
            out["batchnorm_backward"].append({
                "name": label.replace("training, ", ""), "args": back, "kwargs": back_kwargs, "expected": grads,
                **tolerance, "mistakes": _mistake_outputs("batchnorm_backward", back, back_kwargs, grads, tolerance)})
    return out


def _ln_inputs(rng, audience):
    constant = _features(rng, (4, 5))
    constant[2] = -1.5
    inputs = [
        ("a batch (4, 6)", _features(rng, (4, 6)), {}),
        ("a sequence batch (2, 3, 5): each position normalized on its own", _features(rng, (2, 3, 5)), {}),
        ("float32 keeps float32, (5, 4)", _features(rng, (5, 4), np.float32), {}),
        ("one example x of shape (6,)", _features(rng, (6,)), {}),
        ("epsilon=1e-5, a constant example (zero variance)", constant, {"epsilon": 1e-5}),
        ("images (2, 2, 2, 3): over the channels of each pixel", _features(rng, (2, 2, 2, 3)), {}),
    ]
    if audience == "hidden":
        inputs += [
            ("a batch of one (1, 8)", _features(rng, (1, 8)), {}),
            ("a wide batch (16, 10)", _features(rng, (16, 10)), {}),
            ("float32 sequences (3, 2, 4)", _features(rng, (3, 2, 4), np.float32), {}),
            ("two features only, epsilon=0.1", _features(rng, (5, 2)), {"epsilon": 0.1}),
            ("one float32 example (5,)", _features(rng, (5,), np.float32), {}),
            ("images (3, 2, 2, 4): over the channels of each pixel", _features(rng, (3, 2, 2, 4)), {}),
        ]
    return inputs


def _ln_cases(tf, rng, audience):
    out = {"layernorm_forward": [], "layernorm_backward": []}
    for label, x, kwargs in _ln_inputs(rng, audience):
        d = x.shape[-1]
        gamma = (rng.uniform(0.5, 1.5, d) * rng.choice([-1, 1], d, p=[0.2, 0.8])).astype(x.dtype)
        beta = rng.normal(0, 1, d).astype(x.dtype)
        tolerance = _tolerance(x.dtype, norm=True)
        epsilon = kwargs.get("epsilon", 1e-3)
        expected = keras_layernorm(tf, x, gamma, beta, epsilon)
        args = [x, gamma, beta]
        out["layernorm_forward"].append({
            "name": label, "args": args, "kwargs": kwargs, "expected": expected, **tolerance,
            "mistakes": _mistake_outputs("layernorm_forward", args, kwargs, expected, tolerance)})
        dout = rng.normal(0, 1, x.shape).astype(x.dtype)
        grads = keras_layernorm(tf, x, gamma, beta, epsilon, dout=dout)
        back = [dout, x, gamma]
        out["layernorm_backward"].append({
            "name": label, "args": back, "kwargs": kwargs, "expected": grads, **tolerance,
            "mistakes": _mistake_outputs("layernorm_backward", back, kwargs, grads, tolerance)})
    return out


def _dyadic(values):
    """Round to multiples of 2⁻¹⁰: exact in float32 and float64, so Keras's float32 comparisons agree."""
    return np.round(np.asarray(values, dtype=float) * 1024) / 1024


def _curve(rng, epochs, best_at, noise=0.02):
    """A validation curve: falls until about ``best_at``, then wanders upwards (over-fitting)."""
    t = np.arange(epochs)
    base = 0.3 + 1.2 * np.exp(-t / max(best_at / 3, 1)) + 0.03 * np.maximum(t - best_at, 0)
    return _dyadic(base + rng.normal(0, noise, epochs))


def _es_inputs(rng, audience):
    """(label, curve, kwargs)."""
    plateau = _dyadic([1.0, 0.75, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25])
    ties = _dyadic([1.0, 0.875, 0.8125, 0.75, 0.6875, 0.6875, 0.625, 0.5])  # steps of exactly 1/16 (and one of 0)
    inputs = [
        ("patience 3 on an over-fitting curve (20 epochs)", _curve(rng, 20, 8), {"patience": 3}),
        ("patience 2, restore_best_weights=True", _curve(rng, 25, 10), {"patience": 2, "restore_best_weights": True}),
        ("a plateau: equal losses are no improvement (patience 3)", plateau, {"patience": 3}),
        ("min_delta 1/16 on steps of exactly 1/16 (not more than min_delta: no improvement)", ties,
         {"patience": 1, "min_delta": 0.0625}),
        ("patience 0 (stops at the first epoch without improvement)", _curve(rng, 15, 6, 0.05), {}),
        ("training ends before the patience runs out, restore_best_weights=True",
         _dyadic([1.0, 0.75, 0.5, 0.625, 0.5625, 0.6875]), {"patience": 4, "restore_best_weights": True}),
        ("patience longer than the run after the best epoch, restore_best_weights=True", _curve(rng, 12, 7),
         {"patience": 10, "restore_best_weights": True}),
        ("a zig-zag upwards after the best epoch (patience 2)",
         _dyadic([1.0, 0.5, 0.625, 0.5625, 0.6875, 0.59375, 0.75, 0.625]), {"patience": 2}),
        ("integer losses become float64, patience 1", np.array([5, 4, 4, 6, 3]), {"patience": 1}),
        ("a single epoch", _dyadic([0.4375]), {"patience": 0, "restore_best_weights": True}),
    ]
    if audience == "hidden":
        zigzag = _dyadic([1.0, 0.5, 0.625, 0.5625, 0.6875, 0.59375, 0.75, 0.625, 0.8, 0.7])
        inputs += [
            ("patience 5 on a noisy curve (40 epochs)", _curve(rng, 40, 15, 0.04), {"patience": 5}),
            ("patience 1 behaves like patience 0", _curve(rng, 15, 6, 0.05), {"patience": 1}),
            ("a zig-zag upwards after the best epoch, patience 4", zigzag, {"patience": 4}),
            ("min_delta 0.03, restore_best_weights=True", _curve(rng, 30, 12, 0.02),
             {"patience": 3, "min_delta": 0.03125, "restore_best_weights": True}),
            ("the first epoch is the best (patience 2, restore)", _dyadic([0.5, 0.625, 0.75, 0.625, 0.875]),
             {"patience": 2, "restore_best_weights": True}),
            ("a single epoch", _dyadic([0.7]), {"patience": 2, "restore_best_weights": True}),
            ("integer losses become float64, patience 2", np.array([9, 7, 7, 8, 6, 6, 6, 5]), {"patience": 2}),
            ("a plateau with min_delta 0 and restore, patience 3", plateau, {"patience": 3, "restore_best_weights": True}),
            ("never stops, no restore: the last epoch's weights", _dyadic(np.linspace(1, 0.25, 9)), {"patience": 1}),
        ]
    return inputs


def _es_cases(tf, rng, audience):
    cases = []
    for label, curve, kwargs in _es_inputs(rng, audience):
        epochs_run, weights_epoch = keras_early_stopping(tf, curve, **kwargs)
        expected = (np.int64(epochs_run), np.int64(weights_epoch))
        expected = tuple(np.asarray(v) for v in expected)
        cases.append({"name": label, "args": [curve], "kwargs": kwargs, "expected": expected, **EXACT,
                      "mistakes": _mistake_outputs("early_stopping", (curve,), kwargs, expected, EXACT)})
    return {"early_stopping": cases}


# ---- cases ----------------------------------------------------------------------------------------

def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures."""
    out = {}
    for build in (_penalty_cases, _dropout_cases, _bn_cases, _ln_cases, _es_cases):
        out.update(build(tf, rng, audience))
    return {name: out[name] for name in FUNCTIONS}
