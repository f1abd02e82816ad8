r"""Numerical calculus: finite differences, gradient checking and unbroadcasting (chapter 01_math_toolkit).

These are the gradient-check tools every later chapter uses: an analytic
gradient (a ``*_backward`` function) is trusted once it agrees with a central
difference to a small :func:`relative_error`.

Conventions:

* Central differences, step ``h`` (default 1e-5): the truncation error is
  O(h²), the round-off error O(ε/h); h ≈ ε^{1/3} ≈ 1e-5 balances the two in
  float64. Finite differences are only meaningful in float64.
* Shapes follow TensorFlow's ``GradientTape``: the gradient of a scalar has
  the shape of ``x``; the Jacobian of an output of shape S_out w.r.t. an input
  of shape S_in has shape S_out + S_in (``tape.jacobian``'s layout).
"""
from __future__ import annotations

import operator

import numpy as np

from dlmath._validate import as_float_array, check_real_scalar

__all__ = ["numerical_derivative", "numerical_gradient", "numerical_jacobian", "relative_error", "unbroadcast"]


def _check_callable(f, name: str = "f"):
    if not callable(f):
        raise TypeError(f"{name} must be a function, got {type(f).__name__}")


def _check_step(h) -> float:
    h = check_real_scalar(h, "h")
    if h <= 0:
        raise ValueError(f"h must be a positive step, got {h}")
    return h


def _check_perturbable(x) -> np.ndarray:
    """x must be the caller's own float64 array: it is perturbed in place and restored."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a NumPy array (it is perturbed in place and restored), got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(f"x must have dtype float64 (finite differences in lower precision are meaningless), "
                        f"got {x.dtype}; convert it with x.astype(np.float64)")
    if not x.flags.writeable:
        raise ValueError("x must be writeable: it is perturbed in place and restored")
    return x


def _scalar(value, what: str) -> float:
    value = np.asarray(value)
    if value.size != 1:
        raise ValueError(f"{what} must return a single number, got an array of shape {value.shape}")
    return float(value.reshape(()))


def numerical_derivative(f, x, h=1e-5):
    r"""Central-difference derivative of an elementwise function, at every point of ``x``.

    .. math:: f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}, \qquad \text{error } O(h^2)

    Args:
        f: a vectorised function of one variable (like ``np.sin``): ``f(array)`` returns
            an array of the same shape, ``f(x)[i]`` depending on ``x[i]`` only.
        x: point(s), an array of any shape or a number.
        h: the step, a positive number.
    Returns:
        float64 array of the shape of ``x``: the approximate derivative at each point.

    Graded: its documented extremes (a saturated tanh at ±20 (absolute accuracy)) carry at least a third of
        its points.
    Derived in: 01_math_toolkit §2.3
    """
    _check_callable(f)
    x = as_float_array(x, "x").astype(np.float64)
    h = _check_step(h)
    ### BEGIN SOLUTION
    forward, backward = np.asarray(f(x + h), dtype=np.float64), np.asarray(f(x - h), dtype=np.float64)
    return (forward - backward) / (2 * h)
    ### END SOLUTION


def numerical_gradient(f, x, h=1e-5):
    r"""Central-difference gradient of a scalar function of an array.

    .. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

    One entry at a time, ``x[i]`` is set to ``x[i] + h`` and to ``x[i] - h``
    *in place* and ``f(x)`` is evaluated; afterwards ``x[i]`` gets back its
    original value exactly (save it and put it back: ``x + h - h`` is not always
    ``x`` in floating point). Perturbing in place is what lets ``f`` read ``x``
    from elsewhere — a loss closing over a weight matrix, ``f = lambda _: loss(W)``.

    Args:
        f: function of ``x`` returning a single number.
        x: float64 ndarray of any shape (the caller's own array; restored on return).
        h: the step, a positive number.
    Returns:
        float64 array of the shape of ``x``.

    Graded: its documented extremes (a closure that reads the caller's x (perturb x in place) and large
        entries) carry at least a third of its points.
    Derived in: 01_math_toolkit §3.2
    """
    _check_callable(f)
    x = _check_perturbable(x)
    h = _check_step(h)
    ### BEGIN SOLUTION
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = _scalar(f(x), "f")
        x[index] = original - h
        f_minus = _scalar(f(x), "f")
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


def numerical_jacobian(f, x, h=1e-5):
    r"""Central-difference Jacobian of an array-valued function of an array.

    .. math:: J_{o,i} = \frac{\partial f_o}{\partial x_i} \approx \frac{f_o(x + h e_i) - f_o(x - h e_i)}{2h}

    Column ``i`` of the Jacobian is the central difference of the whole output
    when ``x[i]`` moves; ``x`` is perturbed in place and restored exactly, as in
    :func:`numerical_gradient`.

    Args:
        f: function of ``x`` returning an array of a fixed shape S_out.
        x: float64 ndarray of shape S_in (restored on return).
        h: the step, a positive number.
    Returns:
        float64 array of shape S_out + S_in (TensorFlow's ``tape.jacobian`` layout).

    Graded: its documented extremes (an f that returns a view of x (copy its results)) carry at least a third
        of its points.
    Derived in: 01_math_toolkit §4.2
    """
    _check_callable(f)
    x = _check_perturbable(x)
    h = _check_step(h)
    ### BEGIN SOLUTION
    out_shape = np.shape(f(x))
    jacobian = np.zeros(out_shape + x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = np.array(f(x), dtype=np.float64)
        x[index] = original - h
        f_minus = np.array(f(x), dtype=np.float64)
        x[index] = original
        jacobian[(Ellipsis,) + index] = (f_plus - f_minus) / (2 * h)
    return jacobian
    ### END SOLUTION


def relative_error(a, b):
    r"""Relative difference of two arrays of the same shape, as one number in [0, 1].

    .. math:: \mathrm{rel}(a, b) = \frac{\lVert a - b \rVert}{\max(\lVert a \rVert + \lVert b \rVert,\ \text{tiny})}

    with ‖·‖ the Euclidean norm over all entries and tiny the smallest normal
    float64, so two zero arrays are 0 apart rather than 0/0. Scale-free: for a
    gradient check, below ~1e-7 means agreement, above ~1e-4 a bug.

    Args:
        a, b: arrays (or numbers) of the same shape.
    Returns:
        a Python float.

    Graded: its documented extremes (zero arrays (0, not 0/0), identical arrays, b = −a and scales of 1e6 and
        1e-12) carry at least a third of its points.
    Derived in: 01_math_toolkit §5.2
    """
    a = as_float_array(a, "a").astype(np.float64)
    b = as_float_array(b, "b").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got a.shape = {a.shape}, b.shape = {b.shape}")
    ### BEGIN SOLUTION
    denominator = max(np.linalg.norm(a) + np.linalg.norm(b), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b) / denominator)
    ### END SOLUTION


def _check_shape(shape, grad: np.ndarray) -> tuple[int, ...]:
    try:
        if isinstance(shape, (str, bytes)) or any(isinstance(n, (bool, np.bool_)) for n in shape):
            raise TypeError
        shape = tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of non-negative integers, got {shape!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"shape must hold non-negative sizes, got {shape}")
    try:
        if np.broadcast_shapes(shape, grad.shape) != grad.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"an operand of shape {shape} does not broadcast to the gradient's shape {grad.shape}") from None
    return shape


def unbroadcast(grad, shape):
    r"""Sum a gradient over the axes that broadcasting added or stretched, back to ``shape``.

    If an operand of shape ``shape`` was broadcast to ``grad.shape`` in the forward
    pass (like a bias ``b`` of shape (out,) added to ``XW`` of shape (batch, out)),
    every copy of an entry received a gradient, and the entry's gradient is their sum:

    .. math:: \frac{\partial L}{\partial b_j} = \sum_{n} \frac{\partial L}{\partial y_{nj}}

    Leading axes that broadcasting prepended are summed away; axes where ``shape``
    has size 1 are summed with the size-1 axis kept.

    Args:
        grad: the gradient w.r.t. the broadcast result.
        shape: the operand's shape; it must broadcast to ``grad.shape``.
    Returns:
        a new array (never a view of ``grad``) of shape ``shape``, dtype of ``grad``.

    Graded: its documented extremes (nothing broadcast (a new array, never a view of grad)) carry at least a
        third of its points.
    Derived in: 01_math_toolkit §6.2
    """
    grad = as_float_array(grad, "grad")
    shape = _check_shape(shape, grad)
    ### BEGIN SOLUTION
    leading = grad.ndim - len(shape)
    summed = grad.sum(axis=tuple(range(leading)))  # the axes broadcasting prepended
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and summed.shape[axis] != 1)
    summed = summed.sum(axis=stretched, keepdims=True)  # the size-1 axes it stretched
    return np.asarray(summed).reshape(shape)
    ### END SOLUTION
