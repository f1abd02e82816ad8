"""Input validation shared by every dlmath function.

Each graded function validates its inputs *before* the learner's code runs, so a
wrong call fails with a message naming what was expected instead of a NaN or a
traceback from deep inside NumPy. These helpers are reference code in every
edition: learners never have to write them.
"""
from __future__ import annotations

import numbers
import operator

import numpy as np


def as_float_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a floating-point ndarray.

    Floating dtypes are kept (float32 in, float32 out); integers and booleans
    become float64, as in the rest of the scientific Python stack.

    Raises:
        TypeError: if ``x`` is not real numeric data (strings, objects, complex, None).
    """
    if x is None:
        raise TypeError(f"{name} must be a real-valued array or number, got None")
    try:
        array = np.asarray(x)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise TypeError(f"{name} must be a rectangular array of real numbers: {error}") from None
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "iub":
        return array.astype(np.float64)
    raise TypeError(
        f"{name} must hold real numbers (float or int), got dtype {array.dtype}"
        + (" (complex numbers are not supported)" if array.dtype.kind == "c" else "")
    )


def as_float_arrays(**named) -> list[np.ndarray]:
    """Validate several arrays that must share one shape; cast them to a common float dtype.

    Used by backward functions: ``dout`` and the forward input must match
    elementwise, and the gradient has their common dtype.

    Raises:
        TypeError: as :func:`as_float_array`.
        ValueError: if the shapes differ.
    """
    arrays = {name: as_float_array(value, name) for name, value in named.items()}
    (first_name, first), *rest = arrays.items()
    for name, array in rest:
        if array.shape != first.shape:
            raise ValueError(
                f"{name} must have the same shape as {first_name}: "
                f"got {name}.shape = {array.shape}, {first_name}.shape = {first.shape}"
            )
    dtype = np.result_type(*arrays.values())
    return [array.astype(dtype, copy=False) for array in arrays.values()]


def check_axis(axis, array: np.ndarray, name: str) -> int:
    """Return ``axis`` as a non-negative int valid for ``array``.

    Raises:
        TypeError: if ``axis`` is not an integer (bools included).
        ValueError: if ``array`` is 0-d, ``axis`` is out of range, or that axis is empty.
    """
    if isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"axis must be an integer, got {axis!r}") from None
    if array.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension to normalise over, got a 0-d value")
    if not -array.ndim <= axis < array.ndim:
        raise ValueError(
            f"axis {axis} is out of range for {name} with {array.ndim} dimension(s) "
            f"(shape {array.shape}); valid axes are {-array.ndim}..{array.ndim - 1}"
        )
    if array.shape[axis] == 0:
        raise ValueError(f"{name} has no entries along axis {axis} (shape {array.shape}): nothing to normalise over")
    return axis % array.ndim


def check_real_scalar(value, name: str) -> float:
    """Return ``value`` as a finite Python float.

    Raises:
        TypeError: if ``value`` is not a real number.
        ValueError: if it is NaN or infinite.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value
