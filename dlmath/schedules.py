r"""Learning-rate schedules: the learning rate as a function of the step (chapter 06_optimizers).

Each schedule takes the optimizer's step count (an int, or an array of them to get a whole
curve at once) and returns the learning rate at that step, as the matching
``keras.optimizers.schedules`` class does:

* :func:`step_decay` — ``ExponentialDecay(..., staircase=True)``: drop by a factor every k steps;
* :func:`exponential_decay` — ``ExponentialDecay(..., staircase=False)``: the smooth version;
* :func:`cosine_decay` — ``CosineDecay``, with an optional linear warm-up.

Results are float64 arrays with the shape of ``step`` (0-d for a single step).
"""
from __future__ import annotations

import numbers

import numpy as np

from dlmath._validate import check_real_scalar

__all__ = ["step_decay", "exponential_decay", "cosine_decay"]


def _steps(step) -> np.ndarray:
    array = np.asarray(step)
    if array.dtype.kind not in "iu" or (array.size and array.min() < 0):
        raise ValueError(f"step must be a non-negative int or an array of them, got {step!r}")
    return array.astype(np.float64)


def _count(value, name, minimum=1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _positive(value, name) -> float:
    value = check_real_scalar(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def step_decay(step, initial_learning_rate, decay_steps, decay_rate):
    r"""Step decay: the learning rate drops by the factor ``decay_rate`` every ``decay_steps`` steps.

    .. math:: \eta(s) = \eta_0 \; r^{\lfloor s / k \rfloor}

    (``keras.optimizers.schedules.ExponentialDecay(η₀, k, r, staircase=True)``.)

    Args:
        step: s, a non-negative int or an int array. initial_learning_rate: η₀ > 0.
        decay_steps: k, a positive int. decay_rate: r > 0 (r < 1 decays).
    Returns:
        η(s), float64, shape of ``step``.

    Derived in: 06_optimizers §6.1
    """
    s = _steps(step)
    eta0, k, r = _positive(initial_learning_rate, "initial_learning_rate"), _count(decay_steps, "decay_steps"), \
        _positive(decay_rate, "decay_rate")
    ### BEGIN SOLUTION
    return eta0 * r ** np.floor(s / k)
    ### END SOLUTION


def exponential_decay(step, initial_learning_rate, decay_steps, decay_rate):
    r"""Exponential decay: the learning rate shrinks by the factor ``decay_rate`` per ``decay_steps`` steps, smoothly.

    .. math:: \eta(s) = \eta_0 \; r^{\,s / k}

    (``keras.optimizers.schedules.ExponentialDecay(η₀, k, r)``.)

    Args:
        step: s, a non-negative int or an int array. initial_learning_rate: η₀ > 0.
        decay_steps: k, a positive int. decay_rate: r > 0.
    Returns:
        η(s), float64, shape of ``step``.

    Derived in: 06_optimizers §6.1
    """
    s = _steps(step)
    eta0, k, r = _positive(initial_learning_rate, "initial_learning_rate"), _count(decay_steps, "decay_steps"), \
        _positive(decay_rate, "decay_rate")
    ### BEGIN SOLUTION
    return eta0 * r ** (s / k)
    ### END SOLUTION


def cosine_decay(step, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    r"""Cosine decay with an optional linear warm-up, as ``keras.optimizers.schedules.CosineDecay``.

    Without warm-up (``warmup_target=None``), from η₀ down to α·η₀ over k steps, then constant:

    .. math:: \eta(s) = \eta_0 \Big[(1 - \alpha)\,\tfrac12\big(1 + \cos(\pi\, \min(s, k) / k)\big) + \alpha\Big]

    With warm-up to a target η* over w steps: first a straight line from η₀ to η*,
    then the cosine decay above *from η** (in place of η₀), with the clock restarted at s = w:

    .. math:: \eta(s) = \begin{cases} \eta_0 + (\eta^* - \eta_0)\, s / w & s < w \\
              \eta^* \Big[(1 - \alpha)\,\tfrac12\big(1 + \cos(\pi\, \min(s - w, k) / k)\big) + \alpha\Big] & s \ge w
              \end{cases}

    Args:
        step: s, a non-negative int or an int array. initial_learning_rate: η₀ ≥ 0 (often 0 with a warm-up).
        decay_steps: k, a positive int. alpha: α in [0, 1], the final fraction of the peak rate.
        warmup_target: η* > 0, or None for no warm-up. warmup_steps: w ≥ 0 (used only with a target).
    Returns:
        η(s), float64, shape of ``step``.

    Derived in: 06_optimizers §6.2
    """
    s = _steps(step)
    eta0 = check_real_scalar(initial_learning_rate, "initial_learning_rate")
    if eta0 < 0:
        raise ValueError(f"initial_learning_rate must be >= 0, got {eta0}")
    k, w = _count(decay_steps, "decay_steps"), _count(warmup_steps, "warmup_steps", minimum=0)
    alpha = check_real_scalar(alpha, "alpha")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if warmup_target is not None:
        warmup_target = _positive(warmup_target, "warmup_target")
    ### BEGIN SOLUTION
    def decayed(peak, steps):
        cosine = 0.5 * (1 + np.cos(np.pi * np.minimum(steps, k) / k))
        return peak * ((1 - alpha) * cosine + alpha)

    if warmup_target is None:
        return decayed(eta0, s)
    warm = eta0 + (warmup_target - eta0) * s / max(w, 1)
    return np.where(s < w, warm, decayed(warmup_target, s - w))
    ### END SOLUTION
