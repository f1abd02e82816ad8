"""The stored references equal what TensorFlow computes now; hidden inputs differ from public ones."""
from __future__ import annotations

import numpy as np
import pytest

from dlmath.checking.cases import load_chapter_file
from grading import chapters
from grading.fixtures import generate


@pytest.mark.tensorflow
def test_fixtures_match_live_tensorflow():
    assert generate(check=True) == []


@pytest.mark.parametrize("chapter", list(chapters.CHAPTERS.values()), ids=lambda c: c.id)
def test_hidden_inputs_are_not_the_public_ones(chapter):
    public = load_chapter_file(chapter.public_cases)
    hidden = load_chapter_file(chapter.hidden_fixture)
    for name, spec in hidden.items():
        public_inputs = [a for case in public[name].cases for a in case.args]
        for case in spec.cases:
            for arg in case.args:
                if arg.size >= 12:  # the random ones; the small hand-picked vectors are public by design
                    assert not any(p.shape == arg.shape and np.array_equal(p, arg) for p in public_inputs), (name, case.name)


@pytest.mark.parametrize("chapter", list(chapters.CHAPTERS.values()), ids=lambda c: c.id)
def test_every_graded_function_has_public_and_hidden_cases(chapter):
    public, hidden = load_chapter_file(chapter.public_cases), load_chapter_file(chapter.hidden_fixture)
    for graded in chapter.graded:
        assert len(public[graded.name].cases) >= 3 and len(hidden[graded.name].cases) > len(public[graded.name].cases)
