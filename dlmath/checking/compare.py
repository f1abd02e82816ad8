"""Compare one function's outcome on one case with the reference, and say why it differs.

Used twice: by the learner's checks (in the notebook's process) and by the
grader's judge (in a trusted process that never imports the learner's code).
The verdict names the first thing that is wrong and, where it recognises the
pattern, the likely mistake.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlmath.checking.cases import Case


@dataclass(frozen=True)
class Outcome:
    """What happened when a function ran on one case.

    ``status`` is one of ``ok``, ``not_implemented``, ``raised``, ``timeout``,
    ``crashed``, ``mutated`` (the function changed its input in place) or
    ``bad_return`` (a non-array value; ``error`` holds its type name).
    """
    status: str
    value: object = None
    error: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseResult:
    case: Case
    passed: bool
    problem: str = ""
    hint: str = ""


def _fmt(x) -> str:
    x = float(x)
    return format(x, ".8g") if np.isfinite(x) else str(x)


def _where(case: Case, got: np.ndarray, index: tuple) -> str:
    """Describe the inputs and outputs at one element, for the elementwise view of a failure."""
    parts = []
    for position, arg in enumerate(case.args):
        if isinstance(arg, np.ndarray) and arg.shape == got.shape:
            name = case.arg_names[position] if position < len(case.arg_names) else f"input {position + 1}"
            parts.append(f"{name} = {_fmt(arg[index])}")
    at = f" at index {index}" if got.ndim else ""
    return f"{at}{' (' + ', '.join(parts) + ')' if parts else ''}: expected {_fmt(case.expected[index])}, got {_fmt(got[index])}"


def _first_index(mask: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()


def _as_array(value):
    if isinstance(value, np.ndarray):
        return value, ""
    if value is None:
        return None, "returned None — is a `return` statement missing?"
    try:
        array = np.asarray(value)
    except Exception:
        return None, f"returned a {type(value).__name__}, expected a NumPy array"
    if array.dtype.kind not in "fiub":
        return None, f"returned a {type(value).__name__} of dtype {array.dtype}, expected a float array"
    return array, ""


def judge(case: Case, outcome: Outcome, hints: dict | None = None) -> CaseResult:
    """Return the verdict for one case: passed, or the first problem and a hint."""
    hints = hints or {}

    def fail(problem, hint=""):
        return CaseResult(case, False, problem, hint)

    if outcome.status == "not_implemented":
        return fail(f"not implemented yet — {outcome.error}" if outcome.error else "not implemented yet")
    if outcome.status == "timeout":
        return fail(f"did not finish in time ({outcome.error})", "Look for a loop that never ends.")
    if outcome.status == "crashed":
        return fail(f"the process running it died ({outcome.error})", hints.get("crashed", ""))
    if outcome.status == "mutated":
        return fail("changed its input array in place",
                    "Compute into a new array (e.g. `shifted = z - m`, not `z -= m`): callers reuse their inputs.")
    if case.raises:
        if outcome.status == "raised" and outcome.error.split(":")[0] == case.raises:
            return CaseResult(case, True)
        got = outcome.error or "no error"
        return fail(f"expected {case.raises} for this input, got {got}")
    if outcome.status == "bad_return":  # reported by the grader's runner, which only sends arrays back
        return fail(f"returned a {outcome.error}, expected a NumPy array")
    if outcome.status == "raised":
        hint = hints.get("raised", "")
        if "could not be broadcast" in outcome.error:
            hint = hints.get("shape") or "The shapes don't line up: print the shapes of the arrays you combine."
        return fail(f"raised {outcome.error}", hint)

    got, problem = _as_array(outcome.value)
    if got is None:
        return fail(problem)
    expected = case.expected
    if got.shape != expected.shape:
        return fail(f"returned shape {got.shape}, expected {expected.shape}", hints.get("shape", ""))
    if got.dtype != expected.dtype:
        return fail(f"returned dtype {got.dtype}, expected {expected.dtype}",
                    hints.get("dtype", "Keep the input's float dtype: float32 in, float32 out."))
    bad = ~np.isfinite(got) & np.isfinite(expected)
    if bad.any():
        return fail("NaN or inf" + _where(case, got, _first_index(bad)), hints.get("nonfinite", ""))
    close = np.isclose(got, expected, rtol=case.rtol, atol=case.atol, equal_nan=True)
    if not close.all():
        for mistake in case.mistakes:
            if mistake.output.shape == got.shape and np.allclose(got, mistake.output, rtol=1e-6, atol=1e-9, equal_nan=True):
                return fail("wrong values" + _where(case, got, _first_index(~close)), mistake.hint)
        return fail("wrong values" + _where(case, got, _first_index(~close)), hints.get("values", ""))
    if outcome.warnings:
        return fail(f"right values, but NumPy warned: {outcome.warnings[0]}", hints.get("warning", ""))
    return CaseResult(case, True)
