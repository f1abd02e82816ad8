"""The mutation test of issue 13: a held-out catalogue of mistakes per chapter 01–05 (``mutation_catalogue.py``,
≥ 15 each, none from ``grading/references/``) plus the demo class's. Each mistake must lose points on its own
function only in hidden grading (the sandboxed judge), fail at least one public check, and — for at least 90 %
of a chapter's mistakes — get a specific hint; alternative-but-correct implementations keep full marks.

One sandboxed judge run per bundle of mistakes of different functions (a few per chapter, ~1 s each), and the
public checks in-process: about 20 s per chapter. ``benchmarks/mutations.py`` prints the same rates.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import mutations as bench  # noqa: E402  (benchmarks/mutations.py)
from mutation_catalogue import MISTAKES  # noqa: E402

CHAPTERS = ["01_math_toolkit", "02_forward", "03_activations", "04_losses", "05_backprop"]
HINT_RATE = 0.9


@pytest.fixture(scope="module")
def measured():
    return {}


def _measure(measured, chapter_id):
    if chapter_id not in measured:
        measured[chapter_id] = bench.measure(chapter_id)
    return measured[chapter_id]


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_catalogue_has_at_least_15_held_out_mistakes(chapter_id):
    assert len(MISTAKES[chapter_id]) >= 15
    assert len({label for label, _, _ in MISTAKES[chapter_id]}) == len(MISTAKES[chapter_id])


@pytest.mark.slow
@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_every_mistake_is_caught_by_grading_and_by_the_public_checks_alone(measured, chapter_id):
    found = _measure(measured, chapter_id)
    rows = found["rows"]
    assert [r["label"] for r in rows if not r["hidden"]] == []       # loses points in hidden grading
    assert [r["label"] for r in rows if r["collateral"]] == []       # on its own function only
    assert [r["label"] for r in rows if not r["public"]] == []       # the learner could have seen it
    hinted = sum(r["hint"] for r in rows) / len(rows)
    assert hinted >= HINT_RATE, [(r["label"], r["hints"]) for r in rows if not r["hint"]]
    assert found["false_failures"] == []                            # alternatives keep full marks
