"""Properties of a result, for functions whose output is not one fixed array.

Most cases compare a result with the reference value. Some functions have no single right
output: an initializer draws random numbers (``glorot_uniform(shape, rng)`` may draw them in any
order), a shuffle may use any permutation. Their cases carry a *property* instead::

    "check": {"name": "uniform_draws", "params": {"limit": 0.5}}

and are judged by the named function here, which looks at the result (and the case's inputs)
and returns ``(problem, hint)`` — or None when the property holds. The learner's checks and the
grader's judge both call :func:`judge`; the judge does it in its own, trusted process, on the
arrays the sandboxed function returned, so a submission can't make a property pass by
patching this module.

A property function has the signature ``fn(got, args, kwargs, **params)``. It must import
nothing but NumPy and the standard library, and describe a failure the way the other
checks do: what was expected, what came back, and where possible the likely mistake.
"""
from __future__ import annotations

import numpy as np

PROPERTIES: dict = {}


def register(name: str):
    """Decorator: make ``fn`` available to cases as ``{"check": {"name": name, ...}}``."""
    def add(fn):
        if name in PROPERTIES:
            raise ValueError(f"a property named {name!r} exists already")
        PROPERTIES[name] = fn
        return fn
    return add


def judge(check: dict, got, args=(), kwargs=None) -> tuple[str, str] | None:
    """``(problem, hint)`` if ``got`` lacks the property ``check`` names, else None."""
    try:
        function = PROPERTIES[check["name"]]
    except KeyError:
        return f"no property named {check.get('name')!r} (the check data is newer than this dlmath)", ""
    if got is None:
        return "returned None — is a `return` statement missing?", ""
    try:
        return function(got, tuple(args), dict(kwargs or {}), **check.get("params", {}))
    except Exception as error:  # a result of an unexpected kind: say so rather than crash the check
        return f"the result could not be checked ({type(error).__name__}: {error})", ""


def as_float_array(got, what: str = "the result") -> tuple[np.ndarray | None, str]:
    """``got`` as a float array, or (None, problem) for something that is not an array of numbers."""
    if not isinstance(got, np.ndarray):
        return None, f"{what} is a {type(got).__name__}, expected a NumPy array"
    if got.dtype.kind not in "fiu":
        return None, f"{what} has dtype {got.dtype}, expected a float array"
    return got, ""


# ---- properties of chapters' results (each chapter adds its own below its heading) -----------------

# ---- 06_optimizers ----


# ---- 07_regularization ----


# ---- 08_cnn ----


# ---- 09_rnn ----


# ---- 10_evaluation ----


# ---- 11_capstone ----
