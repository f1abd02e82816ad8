"""Documented extremes carry a fixed share of a graded function's points (issue 13).

A hidden case is an *extreme* when its label names one of the valid extremes the function's docstring
promises to handle (stability at ±1000, exact zeros, a clip, ties, float32 beyond exp's range, a caller's
array perturbed in place, a result that must not be a view, ...). Whatever their number, the extreme
cases of a function together weigh at least :data:`SHARE` of its points and the ordinary ones the rest, so an
implementation that is right on ordinary inputs and fails every documented extreme loses a third of the
points — not 1/8 because there happen to be eight cases. Each such function's docstring says so
("Graded: ... carry at least a third of its points"); ``tests/test_grading_contracts.py`` checks both.
"""
from __future__ import annotations

SHARE = 1 / 3
MARKERS = ("extreme", "±", "exactly", "saturat", "large entries", "large inputs", "large errors", "large value",
           "large:", "large targets", "large equal", "tiny", "zero", "clip", "perfect prediction", "(ties)", "with ties",
           "tied", "caller's x", "view", "a new array", "base zero", "scaled by", "identical", "b = −a", "margins already met", "confident", "beyond")


def is_extreme(label: str) -> bool:
    return any(marker in label for marker in MARKERS)


def weigh(cases: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Set each case's ``weight`` so a function's extreme cases weigh at least :data:`SHARE` of its total."""
    for function_cases in cases.values():
        extreme = [c for c in function_cases if is_extreme(c["name"])]
        ordinary = [c for c in function_cases if not is_extreme(c["name"])]
        if not extreme or not ordinary:
            continue
        if len(extreme) / len(function_cases) >= SHARE:
            continue  # they carry at least the share already, weighing 1 each
        # ordinary cases weigh 1 each; the extremes share SHARE / (1 − SHARE) times the ordinary total
        each = SHARE / (1 - SHARE) * len(ordinary) / len(extreme)
        for case in extreme:
            case["weight"] = round(each, 12)
    return cases
