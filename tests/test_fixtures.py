"""The stored references equal what TensorFlow computes now; hidden inputs differ from public ones."""
from __future__ import annotations

import numpy as np
import pytest

from dlmath.checking.arrays import encode, map_leaves
from dlmath.checking.cases import load_chapter_file
from grading import chapters
from grading.fixtures import _drift, generate

GRADED = [c for c in chapters.CHAPTERS.values() if c.graded]


def input_arrays(case):
    found = []
    map_leaves(lambda leaf: found.append(leaf) if isinstance(leaf, np.ndarray) else None, list(case.args))
    return found


@pytest.mark.tensorflow
def test_fixtures_match_live_tensorflow():
    assert generate(check=True) == []


@pytest.mark.parametrize("chapter", GRADED, ids=lambda c: c.id)
def test_hidden_inputs_are_not_the_public_ones(chapter):
    public = load_chapter_file(chapter.public_cases)
    hidden = load_chapter_file(chapter.hidden_fixture)
    for name, spec in hidden.items():
        public_inputs = [a for case in public[name].cases for a in input_arrays(case)]
        for case in spec.cases:
            for arg in input_arrays(case):
                if arg.size >= 12:  # the random ones; the small hand-picked vectors are public by design
                    assert not any(p.shape == arg.shape and np.array_equal(p, arg) for p in public_inputs), (name, case.name)


@pytest.mark.parametrize("chapter", GRADED, ids=lambda c: c.id)
def test_every_graded_function_has_public_and_hidden_cases(chapter):
    public, hidden = load_chapter_file(chapter.public_cases), load_chapter_file(chapter.hidden_fixture)
    for graded in chapter.graded:
        assert len(public[graded.name].cases) >= 3 and len(hidden[graded.name].cases) > len(public[graded.name].cases)


@pytest.mark.parametrize("dtype, noise, drifted", [
    ("float32", 2e-7, False), ("float32", 1e-3, True),    # a last-bit BLAS difference vs a real change
    ("float64", 1e-13, False), ("float64", 1e-7, True),
    ("int64", 0, False), ("int64", 1, True),
])
def test_drift_is_judged_by_a_tolerance_of_the_dtype(dtype, noise, drifted):
    stored = np.array([0.0, 1e-9, 0.5, -3.0, 120.0]).astype(dtype)
    fresh = (stored + np.array([0, 1, -1, 1, 0]) * noise * np.maximum(np.abs(stored), 1)).astype(dtype)
    found = _drift(encode(stored), encode(fresh), "x")
    assert bool(found) == drifted, found
