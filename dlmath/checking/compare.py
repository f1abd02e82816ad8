"""Compare one function's outcome on one case with the reference, and say why it differs.

Used twice: by the learner's checks (in the notebook's process) and by the
grader's judge (in a trusted process that never imports the learner's code).
The verdict names the first thing that is wrong and, where it recognises the
pattern, the likely mistake.
"""
from __future__ import annotations

import functools
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
        elif not hint and ("math range error" in outcome.error or "OverflowError" in outcome.error):
            hint = ("A number overflowed (math.exp of a large argument, a power of a large base): use a form that "
                    "never exponentiates a large positive number (math.tanh, exp(−|x|), ...).")
        elif not hint and "math domain error" in outcome.error:
            hint = ("math.log or math.sqrt got 0 or a negative number: a formula through exp/log fails at a base of "
                    "0 or a negative base — use the power rule k · x ** (k − 1) (or the function itself) directly.")
        return fail(f"raised {outcome.error}", hint)

    if case.check:  # no single right output: a property of the result is judged instead
        problems = properties.judge(case.check, outcome.value, case.args, case.kwargs)
    else:
        problems = _compare(case, outcome.value, case.expected, hints, _labels(case.expected, hints.get("returns")))
    if problems:
        # every catalogued mistake this output equals: one names it; several that coincide on this case are all
        # named (saying only one of them could name the wrong one)
        matched = list(dict.fromkeys(m.hint for m in case.mistakes if _matches(outcome.value, m.output)))
        if len(matched) == 1:
            return fail(problems[0], matched[0])
        if matched:
            return fail(problems[0], "On this input your result matches more than one typical mistake — "
                        + " Or: ".join(matched))
        problem, hint = problems
        if not hint or hint == hints.get("values"):  # nothing specific yet: what the error looks like may say more
            shaped = _shape_hint(case, outcome.value, case.expected)
            if shaped:
                return fail(problem, shaped + (f" ({hint})" if hint else ""))
        return fail(problem, hint)
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


# ---- hints from the shape of the error (issue 13) ----------------------------------------------------------
# When no catalogued mistake matches, the way `got` differs from `expected` often names the mistake anyway.

def _ratio(got: np.ndarray, expected: np.ndarray):
    """The single factor c with got ≈ c · expected, or None."""
    scale = np.abs(expected)
    big = scale > 1e-12 * max(float(scale.max(initial=0)), 1e-300)
    if not big.any():
        return None
    ratios = got[big] / expected[big]
    c = float(np.median(ratios))
    if not np.isfinite(c) or c == 0:
        return None
    return c if np.allclose(got, c * expected, rtol=1e-6, atol=1e-12 * max(float(scale.max()), 1e-300)) else None


def _factor_hint(c: float, case: Case) -> str:
    sizes = {int(a.size) for a in case.args if isinstance(a, np.ndarray) and a.size > 1}
    sizes |= {int(a.shape[0]) for a in case.args if isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[0] > 1}
    sizes |= {int(a.shape[-1]) for a in case.args if isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[-1] > 1}
    sizes |= {int(a.size // a.shape[-1]) for a in case.args if isinstance(a, np.ndarray) and a.ndim >= 2}
    if np.isclose(c, -1):
        return "Your result has the opposite sign everywhere: check the order of a subtraction (a − b vs b − a)."
    for n in sorted(sizes):
        if n > 1 and np.isclose(c, n):
            return (f"Your result is {n} times too large: {n} is a size of the inputs here — a sum where a mean "
                    f"belongs, or a missing 1/{n}?")
        if n > 1 and np.isclose(c, 1 / n):
            return (f"Your result is {n} times too small: {n} is a size of the inputs here — a mean where a sum "
                    f"belongs, or dividing by the wrong count (e.g. the batch size instead of every entry, or "
                    f"the reverse)?")
    for k, words in ((2, "an extra factor 2 (or a missing ½)"), (0.5, "a missing factor 2 (or an extra ½)")):
        if np.isclose(c, k):
            return f"Your result is off by exactly a factor {k:g} everywhere: {words}?"
    if np.isclose(c, -2) or np.isclose(c, -0.5):
        return f"Your result is {c:g} times the expected one: a flipped sign and a factor 2 (or ½)."
    if min(np.size(a) for a in (case.expected,) if a is not None) <= 1:
        return ""  # any single number is some multiple of another: only a telling factor says something
    return f"Your result is the expected one times {c:.6g} everywhere: a constant factor is wrong (or missing)."


def shape_hint(case: Case, got: np.ndarray, expected: np.ndarray) -> str:
    """A hint from how ``got`` differs from ``expected`` (same shape): a constant factor, a transpose, a
    reversed or shifted axis, errors only at the extremes. Empty when no pattern fits."""
    try:
        got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        if got.shape != expected.shape or not np.all(np.isfinite(expected)):
            return ""
        if not np.all(np.isfinite(got)):
            return _extremes_hint(case, got, expected)
        if got.size > 1 or np.any(expected):
            c = _ratio(got, expected)
            if c is not None and not np.isclose(c, 1):
                factor = _factor_hint(c, case)
                if factor:
                    return factor
        if got.size <= 1:
            return _extremes_hint(case, got, expected)
        close = functools.partial(np.allclose, got, rtol=max(case.rtol, 1e-9), atol=max(case.atol, 1e-12))
        if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and close(np.swapaxes(expected, -1, -2)):
            return "Your result is the expected one transposed: check the order of a matrix product or of the axes."
        for axis in range(got.ndim):
            if got.shape[axis] > 1 and close(np.flip(expected, axis)):
                return f"Your result is the expected one reversed along axis {axis}: an index runs the wrong way."
            for shift in (1, -1):
                if got.shape[axis] > 2 and close(np.roll(expected, shift, axis)):
                    return (f"Your result is the expected one shifted by {shift} along axis {axis}: an off-by-one "
                            f"index (i vs i − 1)?")
        return _extremes_hint(case, got, expected)
    except (TypeError, ValueError, FloatingPointError):
        return ""


def _extremes_hint(case: Case, got: np.ndarray, expected: np.ndarray) -> str:
    """Wrong (or NaN/inf) only where the inputs are large: an unstable formula."""
    wrong = ~np.isclose(got, expected, rtol=max(case.rtol, 1e-9), atol=max(case.atol, 1e-12)) | ~np.isfinite(got)
    inputs = [a for a in case.args if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size > 1]
    if not inputs or not wrong.any():
        return ""
    magnitude = max(float(np.max(np.abs(a))) for a in inputs)
    same_shape = [a for a in inputs if a.shape == got.shape]
    if same_shape and not wrong.all():
        local = np.max([np.abs(a.astype(np.float64)) for a in same_shape], axis=0)
        if local[wrong].min() > np.median(local) and local[wrong].min() >= 10:
            return (f"Right for moderate inputs, wrong only where |input| ≥ {local[wrong].min():.3g}: the formula "
                    f"overflows or loses precision there (e.g. exp of a large number, or a difference of two huge "
                    f"terms) — use a numerically stable form.")
        z = same_shape[-1].astype(np.float64)  # the last same-shaped input: z of an activation or its backward
        for side, where in (("negative", z < 0), ("positive", z > 0)):
            if where[wrong].all() and where.sum() > wrong.sum() // 2:
                other = "positive" if side == "negative" else "negative"
                return (f"Right where the input is {other} (or 0), wrong where it is {side}: check the branch "
                        f"(or the slope) your formula uses for {side} inputs.")
        return ""
    if magnitude >= 30 and not same_shape:
        return (f"Wrong on this input, whose entries reach {magnitude:.3g}: a formula that overflows or cancels at "
                f"large magnitudes (exp of a large number, (a − b) expanded into a² − 2ab + b²) — use a "
                f"numerically stable form.")
    return ""


def _shape_hint(case: Case, got, expected) -> str:
    """:func:`shape_hint` on the first part of a structured result that differs from the expected one."""
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return ""
        pairs = [(got[k], expected[k]) for k in expected]
    elif isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return ""
        pairs = list(zip(got, expected))
    else:
        return shape_hint(case, got, expected) if expected is not None else ""
    for part, reference in pairs:
        if not _matches(part, reference):
            return _shape_hint(case, part, reference)
    return ""
