"""The autograde pipeline's own promises: no answer given beyond what a function builds on, refusing without a sandbox, records."""
from __future__ import annotations

import csv
import json
import marshal
import shutil

import pytest

from conftest import GRADED_CHAPTERS
from grading import __main__ as cli
from grading import chapters, demo, intake, judge, sandbox
from grading import autograde as pipeline
from grading.release import release

CHAPTER = "03_activations"


@pytest.mark.parametrize("chapter_id", GRADED_CHAPTERS)
def test_a_function_is_graded_with_the_reference_code_of_what_it_builds_on_and_nothing_else(chapter_id):
    """The only reference code a child ever receives is ``given``: every graded function of the chapter
    is solved there if the graded function builds on it, and a stub otherwise — its own included.
    (tests/test_runner_isolation.py shows that nothing a child received reaches the next child.)"""
    chapter = chapters.get(chapter_id)
    plan = judge.plan(chapter_id)
    for graded in chapter.graded:
        assert graded.name not in plan.needs[graded.name]
        given = plan.given[graded.name]
        assert set(given) == {chapter.function(n).module for n in plan.needs[graded.name]}
        for module, code in plan.given_compiled[graded.name].items():  # what children run: the same code, compiled
            loaded, filename = marshal.loads(code), f"<given dlmath/{module}.py>"
            assert loaded == compile(given[module], filename, "exec") and loaded.co_filename == filename
        assert set(plan.given_compiled[graded.name]) == set(given)
        for other in chapter.graded:
            if other.module in given:
                stub = f"dlmath.{other.module}.{other.name} is not implemented yet"
                assert (stub in given[other.module]) == (other.name not in plan.needs[graded.name]), (graded.name, other.name)


def test_the_given_code_holds_only_what_the_function_builds_on():
    plan = judge.plan("05_backprop")
    source = plan.given["mlp_backward"]["layers"]
    assert "dlmath.layers.mlp_backward is not implemented yet" in source  # its own code: a stub
    assert "dlmath.layers.dense_backward is not implemented yet" not in source  # what it builds on: given
    assert plan.given["dense_backward"] == {}


@pytest.fixture
def small_class(tmp_path):
    root = tmp_path / "course"
    released = release(CHAPTER, root)
    for student, mistakes in {"correct": {}, "naive": {"sigmoid": "return 1 / (1 + np.exp(-z))"}}.items():
        folder = root / "submitted" / student / CHAPTER
        shutil.copytree(released, folder)
        (folder / "dlmath" / "activations.py").write_text(demo.solved_module("activations", mistakes, CHAPTER))
    return root


def test_where_no_sandbox_can_be_made_autograde_refuses_and_says_why(small_class, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "probe", lambda: "unprivileged user namespaces are disabled")
    with pytest.raises(sandbox.SandboxUnavailable, match="(?s)user namespaces are disabled.*--no-sandbox"):
        pipeline.autograde(CHAPTER, small_class, jobs=1)
    monkeypatch.setenv("DLMATH_COURSE", str(small_class))
    assert cli.main(["autograde", CHAPTER]) == 2
    assert "--no-sandbox" in capsys.readouterr().err
    assert not (small_class / "gradebook.db").exists() or not (small_class / "autograded").exists()


@pytest.mark.slow
def test_no_sandbox_grades_but_says_so_in_the_summary_the_feedback_and_the_record(small_class):
    result = pipeline.autograde(CHAPTER, small_class, jobs=1, sandboxed=False)
    scores = {s.student: s.scores for s in result.students}
    full = {g.name: g.points for g in chapters.get(CHAPTER).graded}
    assert scores["correct"] == full and scores["naive"]["sigmoid"] < 1
    assert "WITHOUT SANDBOX" in result.table()
    record = json.loads((small_class / "autograde" / f"{CHAPTER}.json").read_text())
    assert record["sandboxed"] is False
    assert all(pipeline.UNSANDBOXED_NOTE in s["notes"] for s in record["students"].values())
    html = (small_class / "feedback" / "correct" / CHAPTER / f"{CHAPTER}.html").read_text()
    assert "WITHOUT a sandbox" in html


@pytest.mark.slow
def test_a_grader_file_changed_during_grading_stops_the_run(small_class, monkeypatch):
    judge_each = pipeline.judge_each

    def tampering(*args, **kwargs):
        yield from judge_each(*args, **kwargs)
        (small_class / "release" / CHAPTER / "dlmath" / "activations.py").write_text("# changed\n")

    monkeypatch.setattr(pipeline, "judge_each", tampering)
    with pytest.raises(judge.GraderError, match="changed during grading"):
        pipeline.autograde(CHAPTER, small_class, jobs=1)


@pytest.mark.slow
def test_each_folder_holds_what_its_reader_needs_and_no_more(small_class):
    """intake/ holds the learner's files alone; nbgrader adds the rest of the package in autograded/
    (never a graded module the learner's submission lacked); feedback/ holds the page, not the package."""
    (small_class / "submitted" / "naive" / CHAPTER / "dlmath" / "activations.py").unlink()
    (small_class / "submitted" / "naive" / CHAPTER / "dlmath" / "activations.py").symlink_to("/etc/passwd")
    pipeline.autograde(CHAPTER, small_class, jobs=2)

    def files(folder):
        return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}

    package = {p for p in files(small_class / "release" / CHAPTER) if p.startswith("dlmath/") and "__pycache__" not in p}
    learner = intake.learner_files(chapters.get(CHAPTER))
    module = "dlmath/activations.py"
    for student in ["correct", "naive"]:
        taken = files(small_class / "intake" / student / CHAPTER)
        assert f"{CHAPTER}.ipynb" in taken and taken <= learner
        assert (module in taken) == (student == "correct")
        autograded = files(small_class / "autograded" / student / CHAPTER)
        assert autograded - {module} == (package | {f"{CHAPTER}.ipynb"}) - {module}
        assert (module in autograded) == (student == "correct")
        assert files(small_class / "feedback" / student / CHAPTER) == {f"{CHAPTER}.html"}
    submitted = (small_class / "submitted" / "correct" / CHAPTER / module).read_text()
    assert (small_class / "autograded" / "correct" / CHAPTER / module).read_text() == submitted


_nbgrader_one = pipeline._nbgrader_one


def _nbgrader_failing_for_naive(root, chapter_id, student, verdict_dir):
    """nbgrader's step, failing for "naive" (a bookkeeper runs it: it must be importable by name)."""
    if student == "naive":
        return "Traceback ...\nRuntimeError: nbgrader broke"
    return _nbgrader_one(root, chapter_id, student, verdict_dir)


@pytest.mark.slow
def test_where_nbgrader_fails_for_a_student_the_judges_grades_stand(small_class, monkeypatch):
    """A submission nbgrader could not process still gets the judge's grades in the gradebook and
    grades.csv, a feedback page with the judge's reports, and a note saying what happened."""
    from nbgrader.api import Gradebook

    monkeypatch.setattr(pipeline, "_nbgrader_one", _nbgrader_failing_for_naive)
    result = {s.student: s for s in pipeline.autograde(CHAPTER, small_class, jobs=2, log=lambda *_: None).students}
    naive = result["naive"]
    assert naive.nbgrader_error == "RuntimeError: nbgrader broke" and 0 < naive.total < naive.points
    chapter = chapters.get(CHAPTER)
    with Gradebook(f"sqlite:///{small_class / 'gradebook.db'}", course_id="dlmath") as gb:
        for student, graded in result.items():
            for name, verdict in graded.verdicts.items():
                grade = gb.find_grade(chapter.function(name).grade_id, CHAPTER, CHAPTER, student)
                assert grade.auto_score == pytest.approx(verdict.score), (student, name)
    assert not result["correct"].notes  # nbgrader wrote its grades: nothing to set right
    with open(small_class / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert {s: float(rows[s]["raw_score"]) for s in result} == pytest.approx({s: g.total for s, g in result.items()})
    page = (small_class / "feedback" / "naive" / CHAPTER / f"{CHAPTER}.html").read_text()
    assert f"{naive.total:g} / {naive.points:g} points" in page and "hidden checks passed" in page
