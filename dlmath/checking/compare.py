"""Compare one function's outcome on one case with the reference, and say why it differs.

Used twice: by the learner's checks (in the notebook's process) and by the
grader's judge (in a trusted process that never imports the learner's code).
The verdict names the first thing that is wrong and, where it recognises the
pattern, the likely mistake.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlmath.checking import properties
from dlmath.checking.cases import Case


@dataclass(frozen=True)
class Outcome:
    """What happened when a function ran on one case.

    ``status`` is one of ``ok``, ``not_implemented``, ``raised``, ``timeout``,
    ``crashed`` or ``mutated`` (the function changed its input in place). A value
    that is not an array is ``ok``: the comparison names what it is.
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


def _where(case: Case, got: np.ndarray, expected: np.ndarray, index: tuple, show_inputs: bool = True) -> str:
    """Describe the outputs at one element, and for an elementwise function the inputs there too."""
    parts = []
    for position, arg in enumerate(case.args if show_inputs else ()):
        if isinstance(arg, np.ndarray) and arg.shape == got.shape:
            name = case.arg_names[position] if position < len(case.arg_names) else f"input {position + 1}"
            parts.append(f"{name} = {_fmt(arg[index])}")
    at = f" at index {index}" if got.ndim else ""
    return f"{at}{' (' + ', '.join(parts) + ')' if parts else ''}: expected {_fmt(expected[index])}, got {_fmt(got[index])}"


def _first_index(mask: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()


def _as_array(value):
    if isinstance(value, np.ndarray):
        return value, ""
    if value is None:
        return None, "returned None — is a `return` statement missing?"
    kind = getattr(value, "type_name", None) or type(value).__name__  # the judge's stand-in names the original type
    try:
        array = np.asarray(value)
    except Exception:
        return None, f"returned a {kind}, expected a NumPy array"
    if array.dtype.kind not in "fiub":
        return None, f"returned a {kind}, expected a NumPy array"
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
        return fail("changed its input array in place", hints.get(
            "mutated", "Compute into a new array instead of writing into the input (`out = np.maximum(z, 0)`, not "
            "`z[z < 0] = 0`; `z = z - m`, not `z -= m`): callers reuse their inputs."))
    if case.raises:
        if outcome.status == "raised" and outcome.error.split(":")[0] == case.raises:
            return CaseResult(case, True)
        got = outcome.error or "no error"
        return fail(f"expected {case.raises} for this input, got {got}")
    if outcome.status == "raised":
        hint = hints.get("raised", "")
        if "could not be broadcast" in outcome.error:
            hint = hints.get("shape") or "The shapes don't line up: print the shapes of the arrays you combine."
        return fail(f"raised {outcome.error}", hint)

    if case.check:  # no single right output: a property of the result is judged instead
        problems = properties.judge(case.check, outcome.value, case.args, case.kwargs)
    else:
        problems = _compare(case, outcome.value, case.expected, hints, _labels(case.expected, hints.get("returns")))
    if problems:
        for mistake in case.mistakes:
            if _matches(outcome.value, mistake.output):
                return fail(problems[0], mistake.hint)
        return fail(*problems)
    numeric = numeric_warnings(outcome.warnings)
    if numeric:
        return fail(f"right values, but NumPy warned: {numeric[0]}", hints.get("warning", ""))
    return CaseResult(case, True)


# The warning policy. A case fails when computing its right values made NumPy warn (RuntimeWarning: overflow,
# invalid value, divide by zero — the sign of an unstable formula that happened to round to the right answer;
# in a notebook the warning also lands on stderr). A warning the learner's code issues itself (UserWarning,
# DeprecationWarning, ... from `warnings.warn`) is the learner's own message, not a numerical fault: it never
# fails a case.
FAILING_WARNINGS = ("RuntimeWarning", "ComplexWarning")


def numeric_warnings(warnings) -> tuple[str, ...]:
    """The warnings (``"Category: message"``) that fail a case under the warning policy."""
    return tuple(w for w in warnings if str(w).split(":", 1)[0].strip() in FAILING_WARNINGS)


def constant_value(expected):
    """The single value every entry of every part of ``expected`` equals (a loss of 0, an all-zero gradient),
    or None when the entries differ (or nothing is expected: a property, an exception)."""
    if expected is None:
        return None
    if isinstance(expected, dict):
        expected = list(expected.values())
    if isinstance(expected, (tuple, list)):
        values = {constant_value(part) for part in expected}
        return values.pop() if len(values) == 1 and None not in values else None
    array = np.asarray(expected)
    if array.size == 0 or array.dtype.kind not in "fiub":
        return None
    first = array.flat[0]
    if np.isnan(first):
        return "nan" if np.all(np.isnan(array)) else None
    return float(first) if np.all(array == first) else None


def grade(results: list[CaseResult]) -> tuple[float, list[CaseResult]]:
    """The share of a function's points its hidden results earn, and the results as they count.

    Each case weighs ``case.weight`` (default 1), so documented properties can carry a fixed share of the
    points. No constant output earns points: a case whose expected result is one value v everywhere (a loss of
    0, an all-zero gradient) counts only if the function also passes a case whose expected result is not v
    everywhere — a stub returning zeros passes nothing else, so it earns nothing.
    """
    counted = []
    for result in results:
        v = constant_value(result.case.expected) if result.passed else None
        if v is not None and not any(other.passed and constant_value(other.case.expected) != v for other in results):
            result = CaseResult(result.case, False,
                                f"right only because the expected result is {v} everywhere; it counts once a case "
                                f"with another result passes", "A constant output earns no points.")
        counted.append(result)
    total = sum(r.case.weight for r in counted)
    return (sum(r.case.weight for r in counted if r.passed) / total if total else 0.0), counted


def _labels(expected, names) -> list[str]:
    """A label for each part of a structured result: the documented names, else positions."""
    if not isinstance(expected, (tuple, list)):
        return [""]
    return [names[i] if names and i < len(names) else f"part {i + 1}" for i in range(len(expected))]


def _compare(case: Case, got, expected, hints: dict, labels: list[str], where: str = "") -> tuple[str, str] | None:
    """The first problem of a (possibly structured) result, as (problem, hint), or None."""
    prefix = f"{where}: " if where else ""
    if isinstance(expected, dict):
        if got is None:
            return prefix + "returned None — is a `return` statement missing?", ""
        if not isinstance(got, dict) or set(got) != set(expected):
            what = f"a dict with keys {sorted(got)}" if isinstance(got, dict) else f"a {type(got).__name__}"
            return f"{prefix}returned {what}, expected a dict with keys {sorted(expected)}", hints.get("structure", "")
        for key, reference in expected.items():
            found = _compare(case, got[key], reference, hints, _labels(reference, None),
                             f"{where}[{key!r}]" if where else str(key))
            if found:
                return found
        return None
    if isinstance(expected, (tuple, list)):
        kind = "tuple" if isinstance(expected, tuple) else "list"
        if got is None:
            return prefix + "returned None — is a `return` statement missing?", ""
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            what = f"a {type(got).__name__}" + (f" of {len(got)} items" if isinstance(got, (tuple, list)) else "")
            names = f" ({', '.join(labels)})" if labels and labels[0] != "part 1" else ""
            return f"{prefix}returned {what}, expected a {kind} of {len(expected)}{names}", hints.get("structure", "")
        for index, (part, reference) in enumerate(zip(got, expected)):
            label = labels[index] if index < len(labels) else f"part {index + 1}"
            found = _compare(case, part, reference, hints, _labels(reference, None),
                             f"{where}{label}" if not where else f"{where}[{index}]")
            if found:
                return found
        return None
    return _compare_array(case, got, expected, hints, prefix)


def _compare_array(case: Case, got, expected: np.ndarray, hints: dict, prefix: str) -> tuple[str, str] | None:
    got, problem = _as_array(got)
    if got is None:
        return prefix + problem, ""
    if got.shape != expected.shape:
        return f"{prefix}returned shape {got.shape}, expected {expected.shape}", hints.get("shape", "")
    if got.dtype != expected.dtype:
        return (f"{prefix}returned dtype {got.dtype}, expected {expected.dtype}",
                hints.get("dtype", "Keep the input's float dtype: float32 in, float32 out."))
    # the inputs at the failing index mean something only for an elementwise function of a plain result
    elementwise = hints.get("elementwise", True) and not prefix
    bad = ~np.isfinite(got) & np.isfinite(expected)
    if bad.any():
        return prefix + "NaN or inf" + _where(case, got, expected, _first_index(bad), elementwise), hints.get("nonfinite", "")
    close = np.isclose(got, expected, rtol=case.rtol, atol=case.atol, equal_nan=True)
    if not close.all():
        where = _where(case, got, expected, _first_index(~close), elementwise)
        return prefix + "wrong values" + where, hints.get("values", "")
    return None


def _matches(got, mistake) -> bool:
    """Does a result equal a known mistake's output (part by part for structured results)?"""
    if isinstance(mistake, dict):
        return isinstance(got, dict) and set(got) == set(mistake) and all(_matches(got[k], mistake[k]) for k in mistake)
    if isinstance(mistake, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(mistake)
                and all(_matches(g, m) for g, m in zip(got, mistake)))
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return mistake.shape == got.shape and np.allclose(got, mistake, rtol=1e-6, atol=1e-9, equal_nan=True)
