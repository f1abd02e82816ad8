"""The simulated class, end to end through nbgrader: the expectations `make demo` prints.

Every graded chapter gets its class (correct work, stubs, its typical mistakes); the pilot
chapter also gets the robustness cases (endless loop, a killed kernel, a tamperer).
"""
from __future__ import annotations

import csv
import hashlib
import shutil

import pytest

from conftest import CHAPTER, GRADED_CHAPTERS
from grading import chapters, demo
from grading.autograde import autograde
from grading.judge import judge_submission

pytestmark = pytest.mark.slow
FULL = {g.name: g.points for g in chapters.get(CHAPTER).graded}
MISTAKES = [(c, s) for c in GRADED_CHAPTERS for s in sorted(demo.expected_losses(c))]


def full_marks(chapter_id):
    return {g.name: g.points for g in chapters.get(chapter_id).graded}


def tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


_classes = {}


def graded(chapter_id, tmp_path_factory):
    """Release the chapter, submit its simulated class and autograde it, once per test session."""
    if chapter_id not in _classes:
        root = tmp_path_factory.mktemp(f"course-{chapter_id}")
        result = demo.run(chapter_id, root, log=lambda *_: None)
        print("\n" + result.table())
        _classes[chapter_id] = root, {s.student: s for s in result.students}, result
    return _classes[chapter_id]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return graded(CHAPTER, tmp_path_factory)[:2]


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_correct_work_gets_full_marks_and_stubs_zero(chapter_id, tmp_path_factory):
    _, students, _ = graded(chapter_id, tmp_path_factory)
    assert students["correct"].scores == full_marks(chapter_id)
    assert students["stubs"].scores == dict.fromkeys(full_marks(chapter_id), 0)


@pytest.mark.parametrize("chapter_id, student", MISTAKES)
def test_each_mistake_loses_points_on_its_own_function_only(chapter_id, student, tmp_path_factory):
    _, students, _ = graded(chapter_id, tmp_path_factory)
    full = full_marks(chapter_id)
    scores = students[student].scores
    lost = {name for name in full if scores[name] < full[name]}
    assert lost == demo.expected_losses(chapter_id)[student], scores


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_the_demo_reports_no_surprise(chapter_id, tmp_path_factory):
    assert demo.surprises(graded(chapter_id, tmp_path_factory)[2]) == []


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_the_notebook_kernel_itself_reported_the_judges_scores(chapter_id, tmp_path_factory):
    # honest work needs no correction: in particular NumPy's RuntimeWarnings (naive sigmoid, softmax
    # without the shift) never reached stderr, which would have zeroed the cell in nbgrader
    _, students, _ = graded(chapter_id, tmp_path_factory)
    for name, student in students.items():
        if name not in ("tamperer", "kills_kernel"):
            assert student.reconciled == [], name


def test_tampering_gains_nothing_over_the_same_work_done_honestly(graded_class, tmp_path):
    root, students = graded_class
    honest = tmp_path / "honest"
    shutil.copytree(root / "release" / CHAPTER, honest)
    (honest / "dlmath" / "activations.py").write_text(demo.honest_zeros())
    honest_scores = {n: v.score for n, v in judge_submission(CHAPTER, honest).items()}
    tamperer = students["tamperer"]
    assert tamperer.scores == honest_scores
    assert tamperer.total < sum(FULL.values()) / 2
    assert any("kernel reported 1, judge" in note for note in tamperer.reconciled)  # the kernel was fooled; the grade wasn't
    assert "numpy.py (not part of the assignment)" in tamperer.ignored


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_gradebook_export_matches_the_judge(chapter_id, tmp_path_factory):
    root, students, _ = graded(chapter_id, tmp_path_factory)
    with open(root / "grades.csv", newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle) if r["assignment"] == chapter_id}
    assert set(rows) == set(students)
    for student, result in students.items():
        assert float(rows[student]["raw_score"]) == pytest.approx(result.total)
        assert float(rows[student]["max_score"]) == sum(full_marks(chapter_id).values())


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_feedback_shows_each_hidden_check_and_no_solution(chapter_id, tmp_path_factory):
    root, students, _ = graded(chapter_id, tmp_path_factory)
    for student in students:
        html = (root / "feedback" / student / chapter_id / f"{chapter_id}.html").read_text()
        assert "BEGIN SOLUTION" not in html
        # stubs never reach a hidden line; the tamperer replaced grade(); a killed kernel gets the fallback page
        assert "hidden checks passed" in html or student in ("kills_kernel", "stubs", "tamperer")
    if chapter_id == CHAPTER:
        html = (root / "feedback" / "naive_sigmoid" / CHAPTER / f"{CHAPTER}.html").read_text()
        assert "6/8 hidden checks passed" in html and "np.exp overflowed" in html


def test_a_kernel_killed_by_a_function_costs_only_that_function(graded_class):
    root, students = graded_class
    killer = students["kills_kernel"]
    assert killer.notebook_failed  # nbgrader could not run the notebook to the end...
    assert killer.total == sum(FULL.values()) - FULL["tanh"]  # ...yet only tanh lost its point
    html = (root / "feedback" / "kills_kernel" / CHAPTER / f"{CHAPTER}.html").read_text()
    assert "could not be run to the end" in html and "the process running it died" in html


def test_regrading_gives_the_same_grades_and_leaves_submissions_untouched(graded_class):
    root, students = graded_class
    before = tree_digest(root / "submitted")
    again = {s.student: s.scores for s in autograde(CHAPTER, root, log=lambda *_: None).students}
    assert again == {name: s.scores for name, s in students.items()}
    assert tree_digest(root / "submitted") == before
