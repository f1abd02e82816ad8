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


# ---- structured values: the arguments and results of every case -----------------------------------
#
# Beyond plain arrays, a case may hold tuples, lists and dicts of values (``(dx, dW, db)``, an MLP's
# ``[(W1, b1), ...]``, an optimizer's state ``{"m": ..., "v": ...}``), plain JSON data (numbers,
# strings, a program for the autodiff engine), functions, stored by name (``{"callable": "sin"}``)
# and looked up when the case runs, and random generators, stored by seed (``{"rng": 7}``).


class Named:
    """A function argument stored by name; ``dlmath.checking.callables.resolve`` turns it into the function."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"<function {self.name}>"

    def __eq__(self, other):
        return isinstance(other, Named) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


class Seed:
    """A random generator argument stored by its seed: each call gets a fresh ``np.random.default_rng(seed)``.

    A function such as ``glorot_uniform(shape, rng)`` draws from the generator it is given, so a case
    can't store the generator itself (its state changes as it is used); it stores the seed.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)

    def generator(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def __repr__(self):
        return f"np.random.default_rng({self.seed})"

    def __eq__(self, other):
        return isinstance(other, Seed) and other.seed == self.seed

    def __hash__(self):
        return hash(("seed", self.seed))


def encode_value(value):
    """JSON-serialisable form of a case value (arrays, tuples, lists, dicts, Named, Seed, plain data)."""
    if isinstance(value, np.ndarray):
        return encode(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Named):
        return {"callable": value.name}
    if isinstance(value, Seed):
        return {"rng": value.seed}
    if isinstance(value, tuple):
        return {"tuple": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {"dict": {k: encode_value(v) for k, v in value.items()}}
    return value


def decode_value(stored):
    """Inverse of :func:`encode_value`."""
    if isinstance(stored, list):
        return [decode_value(v) for v in stored]
    if isinstance(stored, dict):
        if is_encoded(stored):
            return decode(stored)
        if set(stored) == {"callable"}:
            return Named(stored["callable"])
        if set(stored) == {"rng"}:
            return Seed(stored["rng"])
        if set(stored) == {"tuple"}:
            return tuple(decode_value(v) for v in stored["tuple"])
        if set(stored) == {"dict"}:
            return {k: decode_value(v) for k, v in stored["dict"].items()}
        raise ValueError(f"not an encoded case value: {sorted(stored)}")
    return stored


def map_leaves(function, value):
    """Apply ``function`` to every non-container leaf of a value made of tuples, lists and dicts."""
    if isinstance(value, tuple):
        return tuple(map_leaves(function, v) for v in value)
    if isinstance(value, list):
        return [map_leaves(function, v) for v in value]
    if isinstance(value, dict):
        return {k: map_leaves(function, v) for k, v in value.items()}
    return function(value)


def same(a, b) -> bool:
    """True if two values are identical, arrays compared bit for bit (NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a is b or a == b
