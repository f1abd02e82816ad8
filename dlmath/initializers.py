r"""Weight initializers: Glorot (Xavier) and He, as Keras draws them (chapter 06_optimizers).

An initializer draws a weight array of a given ``shape`` from a generator ``rng``
(``np.random.default_rng(seed)``), with a variance chosen so that signals keep their
size through the layers:

* a dense kernel has shape (fan_in, fan_out);
* a convolution kernel (kh, kw, in, out) connects every output to kh·kw·in inputs,
  so fan_in = kh·kw·in and fan_out = kh·kw·out (:func:`compute_fans`, Keras's rule).

Glorot targets Var(w) = 2 / (fan_in + fan_out), He targets Var(w) = 2 / fan_in. Each comes
as a uniform distribution U(−limit, limit), whose variance is limit²/3, and as a
*truncated* normal (Keras's choice), drawn by :func:`truncated_normal`.

The draws are float64. Which random numbers are drawn, and in which order, is up to you:
the checks look at the distribution (bounds, mean, variance), not at the exact values.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["compute_fans", "truncated_normal", "glorot_uniform", "glorot_normal", "he_normal", "he_uniform"]

# The standard deviation of N(0, 1) truncated to [−2, 2]: truncating at ±2σ removes the tails, so the
# draws have a smaller spread than σ — Keras divides σ by this number first to get the variance it wants.
TRUNCATED_STD = 0.87962566103423978


def _check_shape(shape) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_)) and n >= 1 for n in shape):
        raise ValueError(f"shape must be a tuple of positive ints such as (fan_in, fan_out) or (kh, kw, in, out), "
                         f"got {shape!r}")
    return tuple(int(n) for n in shape)


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def compute_fans(shape) -> tuple[int, int]:
    r"""``(fan_in, fan_out)`` of a weight shape, as Keras computes them (given, not graded).

    * ``(n,)`` (a bias or a vector): fan_in = fan_out = n;
    * ``(fan_in, fan_out)``: a dense kernel;
    * ``(..., in, out)``: a convolution kernel; the leading axes are the receptive field
      (kh·kw for a 2-D kernel), and fan_in = receptive·in, fan_out = receptive·out.
    """
    shape = _check_shape(shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return receptive * shape[-2], receptive * shape[-1]


def truncated_normal(shape, stddev, rng):
    r"""Draws of N(0, stddev²) restricted to [−2·stddev, 2·stddev] (given, not graded).

    Any draw outside ±2·stddev is drawn again until none is. Note that the result's standard
    deviation is ``TRUNCATED_STD · stddev`` ≈ 0.88·stddev, *not* stddev: the tails were cut off.

    Args:
        shape: the output shape. stddev: σ of the normal before truncation. rng: a ``np.random.Generator``.
    Returns:
        float64 array of ``shape``.
    """
    shape, rng = _check_shape(shape), _check_rng(rng)
    draws = rng.normal(0.0, stddev, shape)
    outside = np.abs(draws) > 2 * stddev
    while outside.any():
        draws[outside] = rng.normal(0.0, stddev, int(outside.sum()))
        outside = np.abs(draws) > 2 * stddev
    return draws


def glorot_uniform(shape, rng):
    r"""Glorot (Xavier) uniform, as ``keras.initializers.GlorotUniform``: U(−limit, limit) with

    .. math:: \operatorname{Var}(w) = \frac{2}{n_\text{in} + n_\text{out}} = \frac{\text{limit}^2}{3}
              \quad\Longrightarrow\quad \text{limit} = \sqrt{\frac{6}{n_\text{in} + n_\text{out}}}

    Args:
        shape: (fan_in, fan_out), or a conv kernel (kh, kw, in, out) — fans by :func:`compute_fans`.
        rng: a ``np.random.Generator``: draw every number from it.
    Returns:
        float64 array of ``shape``, every entry in [−limit, limit].

    Derived in: 06_optimizers §1.2
    """
    shape, rng = _check_shape(shape), _check_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    ### BEGIN SOLUTION
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)
    ### END SOLUTION


def glorot_normal(shape, rng):
    r"""Glorot (Xavier) normal, as ``keras.initializers.GlorotNormal``: a truncated normal with

    .. math:: \operatorname{Var}(w) = \frac{2}{n_\text{in} + n_\text{out}}, \qquad
              \sigma = \frac{1}{0.8796\ldots}\sqrt{\frac{2}{n_\text{in} + n_\text{out}}}

    drawn by ``truncated_normal(shape, σ, rng)`` (cut at ±2σ). Truncation shrinks the standard
    deviation by ``TRUNCATED_STD`` ≈ 0.8796; dividing σ by it first gives the variance wanted.

    Args:
        shape: (fan_in, fan_out) or a conv kernel (kh, kw, in, out). rng: a ``np.random.Generator``.
    Returns:
        float64 array of ``shape``, every entry within ±2σ, variance 2 / (fan_in + fan_out).

    Derived in: 06_optimizers §1.2
    """
    shape, rng = _check_shape(shape), _check_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    ### BEGIN SOLUTION
    stddev = math.sqrt(2.0 / (fan_in + fan_out)) / TRUNCATED_STD
    return truncated_normal(shape, stddev, rng)
    ### END SOLUTION


def he_normal(shape, rng):
    r"""He normal, as ``keras.initializers.HeNormal``: a truncated normal for ReLU layers with

    .. math:: \operatorname{Var}(w) = \frac{2}{n_\text{in}}, \qquad
              \sigma = \frac{1}{0.8796\ldots}\sqrt{\frac{2}{n_\text{in}}}

    drawn by ``truncated_normal(shape, σ, rng)`` (cut at ±2σ).

    Args:
        shape: (fan_in, fan_out) or a conv kernel (kh, kw, in, out). rng: a ``np.random.Generator``.
    Returns:
        float64 array of ``shape``, every entry within ±2σ, variance 2 / fan_in.

    Derived in: 06_optimizers §1.3
    """
    shape, rng = _check_shape(shape), _check_rng(rng)
    fan_in, _ = compute_fans(shape)
    ### BEGIN SOLUTION
    stddev = math.sqrt(2.0 / fan_in) / TRUNCATED_STD
    return truncated_normal(shape, stddev, rng)
    ### END SOLUTION


def he_uniform(shape, rng):
    r"""He uniform, as ``keras.initializers.HeUniform``: U(−limit, limit) with

    .. math:: \operatorname{Var}(w) = \frac{2}{n_\text{in}} = \frac{\text{limit}^2}{3}
              \quad\Longrightarrow\quad \text{limit} = \sqrt{\frac{6}{n_\text{in}}}

    Args:
        shape: (fan_in, fan_out) or a conv kernel (kh, kw, in, out). rng: a ``np.random.Generator``.
    Returns:
        float64 array of ``shape``, every entry in [−limit, limit].

    Derived in: 06_optimizers §1.3
    """
    shape, rng = _check_shape(shape), _check_rng(rng)
    fan_in, _ = compute_fans(shape)
    ### BEGIN SOLUTION
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape)
    ### END SOLUTION
