"""The simulated class, end to end through the sandboxed judge and nbgrader: the expectations `make demo` prints.

Every graded chapter gets its class (correct work, stubs, its typical mistakes); the pilot
chapter also gets the robustness cases (endless loop, a function that kills its process, a
tamperer). The attacks of a student who has read this repository are in tests/test_attacks.py.
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
def test_nbgrader_stored_exactly_the_judges_scores(chapter_id, tmp_path_factory):
    # the verdicts written into the hidden test cells were read back by nbgrader's SaveAutoGrades as
    # the judge gave them: the consistency check after nbgrader found nothing to correct
    _, students, _ = graded(chapter_id, tmp_path_factory)
    for name, student in students.items():
        assert not student.nbgrader_error, (name, student.nbgrader_error)
        assert not any("the gradebook held" in note for note in student.notes), (name, student.notes)


def test_tampering_gains_nothing_over_the_same_work_done_honestly(graded_class, tmp_path):
    root, students = graded_class
    honest = tmp_path / "honest"
    shutil.copytree(root / "release" / CHAPTER, honest)
    (honest / "dlmath" / "activations.py").write_text(demo.honest_zeros())
    honest_scores = {n: v.score for n, v in judge_submission(CHAPTER, honest).items()}
    tamperer = students["tamperer"]
    assert tamperer.scores == honest_scores
    assert tamperer.total < sum(FULL.values()) / 2
    assert "ignored numpy.py (not part of the assignment)" in tamperer.notes


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
        assert "hidden checks passed" in html  # every hidden test cell shows the judge's report
    if chapter_id == CHAPTER:
        html = (root / "feedback" / "naive_sigmoid" / CHAPTER / f"{CHAPTER}.html").read_text()
        assert "6/8 hidden checks passed" in html and "np.exp overflowed" in html


def test_a_function_that_kills_its_process_costs_only_that_function(graded_class):
    root, students = graded_class
    killer = students["kills_kernel"]
    assert killer.total == sum(FULL.values()) - FULL["tanh"]
    html = (root / "feedback" / "kills_kernel" / CHAPTER / f"{CHAPTER}.html").read_text()
    assert "the process running it died (exit code 1)" in html


def test_regrading_gives_the_same_grades_and_leaves_submissions_untouched(graded_class):
    root, students = graded_class
    before = tree_digest(root / "submitted")
    written = {folder: tree_digest(root / folder) for folder in ("autograded", "feedback")}
    again = {s.student: s.scores for s in autograde(CHAPTER, root, log=lambda *_: None).students}
    assert again == {name: s.scores for name, s in students.items()}
    assert tree_digest(root / "submitted") == before
    assert {folder: tree_digest(root / folder) for folder in written} == written  # the same notebooks and pages
