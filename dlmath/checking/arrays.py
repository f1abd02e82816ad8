"""Arrays in JSON: the format of the check cases and of the grading fixtures.

An array is stored as ``{"dtype": "float32", "shape": [2, 3], "data": [...]}``.
Python's ``float`` repr round-trips float64 exactly and represents every
float32 value exactly, so decoding gives back the very bits that were encoded;
NaN and ±inf use Python's JSON extensions.
"""
from __future__ import annotations

import numpy as np


def encode(array) -> dict:
    """Return a JSON-serialisable dict for ``array``."""
    array = np.asarray(array)
    return {"dtype": array.dtype.name, "shape": list(array.shape), "data": array.ravel().tolist()}


def decode(stored: dict) -> np.ndarray:
    """Inverse of :func:`encode`."""
    return np.array(stored["data"], dtype=stored["dtype"]).reshape(stored["shape"])


def is_encoded(value) -> bool:
    return isinstance(value, dict) and set(value) == {"dtype", "shape", "data"}
