"""The simulated class, end to end through nbgrader: the expectations `make demo` prints."""
from __future__ import annotations

import csv
import hashlib

import pytest

from conftest import CHAPTER
from grading import chapters, demo
from grading.autograde import autograde
from grading.judge import judge_submission

pytestmark = pytest.mark.slow
FULL = {g.name: g.points for g in chapters.get(CHAPTER).graded}


def tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    result = demo.run(CHAPTER, root, log=lambda *_: None)
    print("\n" + result.table())
    return root, {s.student: s for s in result.students}


def test_correct_submission_gets_full_marks(graded_class):
    assert graded_class[1]["correct"].scores == FULL


def test_untouched_stubs_get_zero(graded_class):
    assert graded_class[1]["stubs"].scores == dict.fromkeys(FULL, 0)


@pytest.mark.parametrize("student", sorted(demo.EXPECTED_LOSSES_03))
def test_each_mistake_loses_points_on_its_own_function_only(graded_class, student):
    scores = graded_class[1][student].scores
    lost = {name for name in FULL if scores[name] < FULL[name]}
    assert lost == demo.EXPECTED_LOSSES_03[student], scores


@pytest.mark.parametrize("student", ["correct", "naive_sigmoid", "softmax_no_shift"])
def test_the_notebook_kernel_itself_reported_the_judges_scores(graded_class, student):
    # honest work needs no correction: in particular NumPy's RuntimeWarnings (naive sigmoid, softmax
    # without the shift) never reached stderr, which would have zeroed the cell in nbgrader
    assert graded_class[1][student].reconciled == []


def test_tampering_gains_nothing_over_the_same_work_done_honestly(graded_class, tmp_path):
    root, students = graded_class
    honest = tmp_path / "honest"
    import shutil
    shutil.copytree(root / "release" / CHAPTER, honest)
    (honest / "dlmath" / "activations.py").write_text(demo.honest_zeros("activations"))
    honest_scores = {n: v.score for n, v in judge_submission(CHAPTER, honest).items()}
    tamperer = students["tamperer"]
    assert tamperer.scores == honest_scores
    assert tamperer.total < sum(FULL.values()) / 2
    assert any("kernel reported 1, judge" in note for note in tamperer.reconciled)  # the kernel was fooled; the grade wasn't
    assert "numpy.py (not part of the assignment)" in tamperer.ignored


def test_gradebook_export_matches_the_judge(graded_class):
    root, students = graded_class
    with open(root / "grades.csv", newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle) if r["assignment"] == CHAPTER}
    assert set(rows) == set(students)
    for student, graded in students.items():
        assert float(rows[student]["raw_score"]) == pytest.approx(graded.total)
        assert float(rows[student]["max_score"]) == sum(FULL.values())


def test_feedback_shows_each_hidden_check_and_no_solution(graded_class):
    root, students = graded_class
    for student in students:
        html = (root / "feedback" / student / CHAPTER / f"{CHAPTER}.html").read_text()
        assert "BEGIN SOLUTION" not in html
        if student == "naive_sigmoid":
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
