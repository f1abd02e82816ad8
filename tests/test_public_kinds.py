"""Passing the public checks predicts full marks: every *kind* of input a hidden case gives a graded
function of chapters 01–05 has a public representative (issue 13).

A kind is what can make a correct-looking implementation fail: for each argument its dimensionality
and dtype, and special values — NaN/inf, an all-zero array, magnitudes beyond ``log(finfo.max)`` of
its dtype (where ``exp`` overflows), magnitudes at or below 1e-6 — plus the keyword arguments passed,
and whether an error, a property or a value is expected. Lists (layer parameters, caches) are
judged by the set of their elements' kinds; an autodiff program by the operations it uses (each
operation of a hidden program appears in some public program) and whether a leaf is large (≥ 100).
The hidden cases may use other values and sizes, never other kinds.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlmath.checking.arrays import Named, Seed
from dlmath.checking.cases import load_chapter_file
from grading import chapters

CHAPTERS = ["01_math_toolkit", "02_forward", "03_activations", "04_losses", "05_backprop"]


def leaf_kind(value):
    if isinstance(value, np.ndarray):
        special = []
        if value.dtype.kind == "f":
            if np.isnan(value).any():
                special.append("nan")
            if np.isinf(value).any():
                special.append("inf")
            finite = np.abs(value[np.isfinite(value)])
            top = float(finite.max()) if finite.size else 0.0
            if value.size and top == 0:
                special.append("all zero")
            elif top > np.log(np.finfo(value.dtype).max):
                special.append("beyond exp's range")
            elif top <= 1e-6:
                special.append("tiny")
        return ("array", value.ndim, value.dtype.name, tuple(special))
    if isinstance(value, Named):
        return ("function",)
    if isinstance(value, Seed):
        return ("seed",)
    if isinstance(value, bool):
        return ("bool",)
    if isinstance(value, (int, float)):
        return (type(value).__name__,)
    if isinstance(value, dict) and set(value) == {"leaves", "ops"}:
        return ("program", any(abs(leaf) >= 100 for leaf in value["leaves"]))
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return ("shape", len(value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(sorted({leaf_kind(v) for v in value}, key=repr)))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, leaf_kind(v)) for k, v in value.items())))
    return (type(value).__name__,)


def case_kind(case):
    outcome = ("raises", case.raises) if case.raises else ("property", case.check["name"]) if case.check else ("value",)
    return (tuple(leaf_kind(a) for a in case.args),
            tuple(sorted((k, leaf_kind(v)) for k, v in case.kwargs.items())), outcome)


def program_ops(case):
    return {op[0] for arg in case.args if isinstance(arg, dict) and "ops" in arg for op in arg["ops"]}


def uncovered(chapter_id):
    """``[(function, hidden case name, kind)]`` for every hidden case whose kind no public case has."""
    chapter = chapters.get(chapter_id)
    public, hidden = load_chapter_file(chapter.public_cases), load_chapter_file(chapter.hidden_fixture)
    missing = []
    for name, spec in hidden.items():
        kinds = {case_kind(c) for c in public[name].cases}
        ops = set().union(*(program_ops(c) for c in public[name].cases))
        for case in spec.cases:
            if case_kind(case) not in kinds:
                missing.append((name, case.name, case_kind(case)))
            elif not program_ops(case) <= ops:
                missing.append((name, case.name, sorted(program_ops(case) - ops)))
    return missing


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_every_kind_of_hidden_input_has_a_public_representative(chapter_id):
    assert uncovered(chapter_id) == []


def test_the_kind_tells_apart_what_the_issue_found():
    """A 3-D batch is not a 2-D one; float32 beyond exp's range is not float32 at ±3 (can fail)."""
    assert leaf_kind(np.zeros((2, 3, 4)) + 1) != leaf_kind(np.ones((2, 3)))
    assert leaf_kind(np.array([100.0], np.float32)) != leaf_kind(np.array([3.0], np.float32))
    assert leaf_kind(np.array([100.0])) == leaf_kind(np.array([3.0]))  # float64's exp reaches 709
    assert leaf_kind(np.zeros(3)) != leaf_kind(np.ones(3))
