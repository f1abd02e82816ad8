r"""Optimizers: mini-batches and the update rules of gradient descent (chapter 06_optimizers).

One contract for every update rule, so a training loop can swap them::

    w, state = rule(w, dw, state, lr=..., <Keras's hyperparameter names>)

* ``w`` — the parameters (an array of any shape), ``dw`` — ∂L/∂w, same shape;
* ``state`` — a dict of what the rule remembers between steps: ``{}`` before the
  first step; the rule returns a **new** dict (and a new ``w``) and never changes
  the arrays it was given, so the caller's old state stays valid;
* where a rule needs the step count, it is ``state["t"]`` (an int, 1 after the first step).

The formulas are those of ``keras.optimizers`` (TensorFlow 2.21 / Keras 3), written
out in each docstring, so the results agree with Keras to ~1e-15 in float64 when the
hyperparameters are numbers float32 represents exactly (Keras stores lr, β1, β2,
momentum and weight decay as float32: 0.001 becomes 0.0010000000474974513).

float32 ``w`` gives float32 results; integers become float64.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from dlmath._validate import as_float_array, as_float_arrays, check_real_scalar

__all__ = ["minibatches", "sgd", "adagrad", "rmsprop", "adam", "adamw"]


# ---- validation (reference code in every edition) ------------------------------------------------

def _step_inputs(w, dw, state):
    w, dw = as_float_arrays(w=w, dw=dw)
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict ({{}} before the first step), got {type(state).__name__}")
    for key, value in state.items():
        if key != "t" and np.shape(value) != w.shape:
            raise ValueError(f"state[{key!r}] must have the shape of w {w.shape}, got {np.shape(value)}: "
                             "is this the state of another parameter?")
    return w, dw


def _rate(value, name, low=0.0, high=None, low_open=False):
    value = check_real_scalar(value, name)
    if value < low or (low_open and value == low) or (high is not None and value >= high):
        bound = f"in {'(' if low_open else '['}{low:g}, {high:g})" if high is not None else (
            f"> {low:g}" if low_open else f">= {low:g}")
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def _flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# ---- mini-batches --------------------------------------------------------------------------------

def minibatches(x, y, batch_size, rng):
    r"""One epoch of shuffled mini-batches: every example exactly once, in a new random order.

    Draw a permutation π of the n examples from ``rng`` and cut it into consecutive
    pieces of ``batch_size``; the last piece keeps the ⌈n/B⌉·B − n remainder short
    rather than dropping it (Keras's ``fit`` does the same):

    .. math:: \text{batch}_k = \big(x_{\pi(kB)}, \dots, x_{\pi(\min(kB + B,\, n) - 1)}\big),
              \qquad k = 0, \dots, \lceil n / B \rceil - 1

    Calling it again with the same generator gives the next epoch's (different) order.

    Args:
        x: inputs, shape (n, ...) — one example per row.
        y: targets, shape (n, ...) — row i belongs to ``x[i]``.
        batch_size: B, a positive int (B ≥ n gives one batch of everything, shuffled).
        rng: a ``np.random.Generator``; draw the permutation from it (not from ``np.random``).
    Returns:
        A list of ⌈n/B⌉ pairs ``(x_batch, y_batch)`` of shapes (B, ...) — (n mod B, ...) for the
        last one when B does not divide n — holding copies of the rows, in the input dtypes.

    Derived in: 06_optimizers §2.3
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must hold the same number of examples along axis 0, "
                         f"got x.shape = {x.shape}, y.shape = {y.shape}")
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    ### BEGIN SOLUTION
    order = rng.permutation(x.shape[0])
    return [(x[chunk], y[chunk]) for chunk in (order[k:k + batch_size] for k in range(0, len(order), batch_size))]
    ### END SOLUTION


# ---- update rules ----------------------------------------------------------------------------------

def sgd(w, dw, state, lr=0.01, momentum=0.0, nesterov=False):
    r"""Gradient descent with (optionally Nesterov) momentum, as ``keras.optimizers.SGD``.

    The velocity m (0 before the first step) remembers past steps:

    .. math:: m \leftarrow \mu m - \eta\, g, \qquad
              w \leftarrow \begin{cases} w + m & \text{(heavy ball)} \\
                                         w + \mu m - \eta\, g & \text{(Nesterov, with the new } m) \end{cases}

    With μ = 0 both are plain gradient descent, w ← w − η g (and m = −η g).

    Args:
        w: parameters, any shape. dw: the gradient g = ∂L/∂w, same shape.
        state: ``{}`` before the first step, then what the previous call returned.
        lr: η. momentum: μ in [0, 1). nesterov: use Nesterov's look-ahead form.
    Returns:
        ``(w_new, {"m": m_new})``: the new parameters and the new velocity (always stored, also for μ = 0),
        each with the shape and float dtype of w.

    Derived in: 06_optimizers §3.1
    """
    w, dw = _step_inputs(w, dw, state)
    lr, momentum = check_real_scalar(lr, "lr"), _rate(momentum, "momentum", 0.0, 1.0)
    nesterov = _flag(nesterov, "nesterov")
    ### BEGIN SOLUTION
    m = momentum * state.get("m", np.zeros_like(w)) - lr * dw
    step = momentum * m - lr * dw if nesterov else m
    return w + step, {"m": m}
    ### END SOLUTION


def adagrad(w, dw, state, lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    r"""Adagrad, as ``keras.optimizers.Adagrad``: each coordinate's step shrinks with its gradient history.

    The accumulator a starts at ``initial_accumulator_value`` (a₀ = 0.1, not 0) and sums the
    squared gradients; ε sits **inside** the square root, as in Keras:

    .. math:: a \leftarrow a + g^2, \qquad w \leftarrow w - \eta\, \frac{g}{\sqrt{a + \epsilon}}

    Args:
        w, dw, state: as for :func:`sgd`.
        lr: η. initial_accumulator_value: a₀ ≥ 0. epsilon: ε ≥ 0.
    Returns:
        ``(w_new, {"a": a_new})``, shapes and dtype of w.

    Derived in: 06_optimizers §4.1
    """
    w, dw = _step_inputs(w, dw, state)
    lr, epsilon = check_real_scalar(lr, "lr"), _rate(epsilon, "epsilon")
    initial_accumulator_value = _rate(initial_accumulator_value, "initial_accumulator_value")
    ### BEGIN SOLUTION
    a = state.get("a", np.full_like(w, initial_accumulator_value)) + dw * dw
    return w - lr * dw / np.sqrt(a + epsilon), {"a": a}
    ### END SOLUTION


def rmsprop(w, dw, state, lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    r"""RMSprop, plain or centered, with optional momentum, as ``keras.optimizers.RMSprop``.

    v is a moving average of g² (0 before the first step); ε sits **inside** the root:

    .. math:: v \leftarrow \rho v + (1 - \rho) g^2, \qquad
              \Delta = \frac{\eta\, g}{\sqrt{v + \epsilon}}

    Centered: also average the gradient, \bar g ← ρ ḡ + (1 − ρ) g, and divide by an estimate of
    its *variance* instead: Δ = η g / √(v − ḡ² + ε). Then the step (m = 0 before the first step):

    .. math:: m \leftarrow \mu m + \Delta, \qquad w \leftarrow w - m

    (with μ = 0, m = Δ: plain w ← w − Δ).

    Args:
        w, dw, state: as for :func:`sgd`.
        lr: η. rho: ρ in [0, 1). momentum: μ in [0, 1). epsilon: ε ≥ 0. centered: subtract ḡ².
    Returns:
        ``(w_new, state)`` with ``state = {"v": v, "m": m}`` and, when centered, also ``"g_mean": ḡ`` —
        every entry with the shape and dtype of w.

    Derived in: 06_optimizers §4.2
    """
    w, dw = _step_inputs(w, dw, state)
    lr, rho = check_real_scalar(lr, "lr"), _rate(rho, "rho", 0.0, 1.0)
    momentum, epsilon = _rate(momentum, "momentum", 0.0, 1.0), _rate(epsilon, "epsilon")
    centered = _flag(centered, "centered")
    ### BEGIN SOLUTION
    zeros = np.zeros_like(w)
    v = rho * state.get("v", zeros) + (1 - rho) * dw * dw
    new_state = {"v": v}
    if centered:
        g_mean = rho * state.get("g_mean", zeros) + (1 - rho) * dw
        new_state["g_mean"] = g_mean
        increment = lr * dw / np.sqrt(v - g_mean * g_mean + epsilon)
    else:
        increment = lr * dw / np.sqrt(v + epsilon)
    m = momentum * state.get("m", zeros) + increment
    new_state["m"] = m
    return w - m, new_state
    ### END SOLUTION


def adam(w, dw, state, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    r"""Adam with bias correction (and optionally AMSGrad), as ``keras.optimizers.Adam``.

    Moving averages of g and g² (0 before the first step), the step count t (1 at the first step):

    .. math:: t \leftarrow t + 1, \qquad m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
              v \leftarrow \beta_2 v + (1 - \beta_2) g^2

    m and v start at 0, so they are biased towards 0 by the factors 1 − β₁ᵗ and 1 − β₂ᵗ; the
    bias correction m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ) removes it. Keras (and the Adam paper's
    "ε-hat" form) folds both corrections into the step size and adds ε to √v, *uncorrected*:

    .. math:: \alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}}, \qquad
              w \leftarrow w - \alpha_t\, \frac{m}{\sqrt{v} + \epsilon}

    (= η m̂ / (√v̂ + ε̂) with ε̂ = ε/√(1 − β₂ᵗ); the textbook η m̂/(√v̂ + ε) differs from it in the
    8th digit — use the form above.) AMSGrad keeps the largest v seen so far,
    v_max ← max(v_max, v) (0 before the first step), and divides by √v_max + ε instead.

    Args:
        w, dw, state: as for :func:`sgd`; ``state["t"]`` is the number of steps taken so far.
        lr: η. beta_1, beta_2: β₁, β₂ in [0, 1). epsilon: ε ≥ 0. amsgrad: use AMSGrad.
    Returns:
        ``(w_new, state)`` with ``state = {"t": t, "m": m, "v": v}`` (t an int) and, with AMSGrad,
        also ``"v_max"``; the arrays have the shape and dtype of w.

    Derived in: 06_optimizers §5.1
    """
    w, dw = _step_inputs(w, dw, state)
    lr, epsilon = check_real_scalar(lr, "lr"), _rate(epsilon, "epsilon")
    beta_1, beta_2 = _rate(beta_1, "beta_1", 0.0, 1.0), _rate(beta_2, "beta_2", 0.0, 1.0)
    amsgrad = _flag(amsgrad, "amsgrad")
    ### BEGIN SOLUTION
    zeros = np.zeros_like(w)
    t = int(state.get("t", 0)) + 1
    m = beta_1 * state.get("m", zeros) + (1 - beta_1) * dw
    v = beta_2 * state.get("v", zeros) + (1 - beta_2) * dw * dw
    new_state = {"t": t, "m": m, "v": v}
    if amsgrad:
        v = np.maximum(state.get("v_max", zeros), v)
        new_state["v_max"] = v
    alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * m / (np.sqrt(v) + epsilon), new_state
    ### END SOLUTION


def adamw(w, dw, state, lr=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    r"""AdamW — Adam with decoupled weight decay, as ``keras.optimizers.AdamW``.

    First shrink the *weights* (not the gradient) by the decay, scaled by the learning rate;
    then take an ordinary Adam step (:func:`adam`) from the shrunk weights with the
    **original** gradient g:

    .. math:: w' = w - \eta\, \lambda\, w, \qquad (w_{\text{new}}, \text{state}) = \text{adam}(w', g, \text{state})

    Adding λw to the gradient instead (L2 in the loss) would pass the decay through Adam's
    division by √v, so weights with large gradients would hardly decay: the two differ.

    Args:
        w, dw, state: as for :func:`adam`.
        lr: η. weight_decay: λ ≥ 0. beta_1, beta_2, epsilon: as for :func:`adam`.
    Returns:
        ``(w_new, {"t": t, "m": m, "v": v})`` as :func:`adam` returns them.

    Derived in: 06_optimizers §5.5
    """
    w, dw = _step_inputs(w, dw, state)
    lr, weight_decay = check_real_scalar(lr, "lr"), _rate(weight_decay, "weight_decay")
    ### BEGIN SOLUTION
    decayed = w - lr * weight_decay * w
    return adam(decayed, dw, state, lr=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    ### END SOLUTION
