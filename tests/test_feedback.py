"""What our leaner nbgrader steps write is what nbgrader's stock steps write.

The feedback page our exporter writes is nbconvert's stock page, with exactly readable()'s two changes.

``grading.nbgrader_plugins.FeedbackExporter`` remembers compiled templates, rendered markdown
and highlighted code across the students of a class, and adds the stock exporter's
accessibility attributes without re-parsing the page. Here a small class is autograded (our
exporter writes the feedback, the second student's from warm caches), then nbgrader's own
``HTMLExporter`` writes the same students' feedback again: the pages must agree
element for element (both serialised the stock exporter's way), once
:func:`readable` is applied to the stock one.

The autograded notebook that ``AutogradeInOnePass`` writes with ``AutogradeExporter`` (one pass,
no defensive copies) and our preprocessors that read the gradebook once per notebook is, byte for
byte, the one nbgrader's own ``Autograde`` writes in two passes with nbconvert's stock
``NotebookExporter`` and nbgrader's stock preprocessors; the grades stored are the same too.
"""
from __future__ import annotations

import shutil

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter, NotebookExporter
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.api import Grade, Gradebook
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades,
                                   OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

from grading import chapters, course, demo
from grading.autograde import autograde
from grading.nbgrader_plugins import VERDICTS_ENV, WriteVerdicts, readable, verdict_outputs
from grading.release import release

CHAPTER = "03_activations"
pytestmark = pytest.mark.slow


def _tree(page: str) -> str:
    """The page as the stock exporter serialises it (it re-parses its page: <meta ...> becomes <meta .../>)."""
    return str(BeautifulSoup(page, features="html.parser"))


def test_our_feedback_page_is_the_stock_page_made_readable(tmp_path):
    root = tmp_path / "course"
    released = release(CHAPTER, root)
    students = {"correct": {}, "naive": {"sigmoid": "return 1 / (1 + np.exp(-z))"}}
    for student, mistakes in students.items():
        folder = root / "submitted" / student / CHAPTER
        shutil.copytree(released, folder)
        (folder / "dlmath" / "activations.py").write_text(demo.solved_module("activations", mistakes, CHAPTER))
    autograde(CHAPTER, root, jobs=1, log=lambda *_: None)
    pages = {s: root / "feedback" / s / CHAPTER / f"{CHAPTER}.html" for s in students}
    ours = {s: page.read_text(encoding="utf-8") for s, page in pages.items()}

    stock = course.api(root, {"GenerateFeedback.exporter_class": HTMLExporter,
                              "GenerateFeedback.preprocessors": [GetGrades, CSSHTMLHeaderPreprocessor]})
    for student in students:
        assert stock.generate_feedback(CHAPTER, student, force=True)["success"]
        theirs = pages[student].read_text(encoding="utf-8")
        assert "Hidden tests of" not in theirs  # really the stock exporter this time
        assert _tree(ours[student]) == _tree(readable(theirs)), student
    assert "hidden checks passed" in ours["naive"] and ours["naive"] != ours["correct"]


def test_our_autograded_notebook_is_what_nbgraders_own_autograde_writes(tmp_path, monkeypatch):
    root = tmp_path / "course"
    released = release(CHAPTER, root)
    students = {"correct": {}, "naive": {"sigmoid": "return 1 / (1 + np.exp(-z))"}, "stub": None}
    for student, mistakes in students.items():
        folder = root / "submitted" / student / CHAPTER
        shutil.copytree(released, folder)
        if mistakes is not None:
            (folder / "dlmath" / "activations.py").write_text(demo.solved_module("activations", mistakes, CHAPTER))
    autograde(CHAPTER, root, jobs=1, log=lambda *_: None)
    notebooks = {s: root / "autograded" / s / CHAPTER / f"{CHAPTER}.ipynb" for s in students}
    ours = {s: path.read_bytes() for s, path in notebooks.items()}
    our_records = _gradebook_records(root, students)

    monkeypatch.setenv(VERDICTS_ENV, str(root / "verdicts" / CHAPTER))  # the verdicts of the run above
    stock = course.api(root, {"CourseDirectory.submitted_directory": "intake",
                              "Autograde.exporter_class": NotebookExporter,
                              "Autograde.sanitize_preprocessors": [
                                  ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata],
                              "Autograde.autograde_preprocessors": [
                                  WriteVerdicts, ClearMetadataPreprocessor, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]})
    _clear_autogrades(root)
    for student in students:
        assert stock.autograde(CHAPTER, student, force=True, create=True)["success"]  # nbgrader's two passes
        assert notebooks[student].read_bytes() == ours[student], student
    assert ours["naive"] != ours["correct"] != ours["stub"]
    assert _gradebook_records(root, students) == our_records  # what nbgrader's SaveAutoGrades stores, too


def _gradebook_records(root, students) -> dict:
    """Each student's grades as the gradebook holds them."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="dlmath") as gb:
        return {student: sorted((g.name, g.auto_score, g.needs_manual_grade)
                                for g in gb.find_submission_notebook(CHAPTER, CHAPTER, student).grades)
                for student in students}


def _clear_autogrades(root) -> None:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="dlmath") as gb:
        for grade in gb.db.query(Grade):
            grade.auto_score, grade.needs_manual_grade = None, True
        gb.db.commit()


def test_a_verdicts_outputs_are_what_nbformat_makes():
    expected = [nbformat.v4.new_output("stream", name="stdout", text="sigmoid: 3/4 hidden checks passed\n"),
                nbformat.v4.new_output("execute_result", data={"text/plain": "0.75"}, execution_count=1)]
    assert verdict_outputs("sigmoid: 3/4 hidden checks passed", 0.75) == expected


def test_formgrader_and_the_feedback_show_the_graded_modules_as_submitted(tmp_path):
    """The work is in dlmath/*.py, which nbgrader shows nowhere: the autograded notebook ends with it."""
    root = tmp_path / "course"
    released = release(CHAPTER, root)
    folder = root / "submitted" / "naive" / CHAPTER
    shutil.copytree(released, folder)
    body = "return 1 / (1 + np.exp(-z))  # ```` (a fence in the code must not end the block)"
    (folder / "dlmath" / "activations.py").write_text(demo.solved_module("activations", {"sigmoid": body}, CHAPTER))
    autograde(CHAPTER, root, jobs=1, log=lambda *_: None)
    notebook = nbformat.read(root / "autograded" / "naive" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    shown = notebook.cells[-1]
    assert shown.cell_type == "markdown" and "### `dlmath/activations.py`" in shown.source
    assert body in shown.source and "\n`````python\n" in shown.source and shown.source.endswith("\n`````")
    page = (root / "feedback" / "naive" / CHAPTER / f"{CHAPTER}.html").read_text(encoding="utf-8")
    assert "The graded code, as submitted" in page


def test_notebook_lookups_find_what_the_gradebook_finds(tmp_path):
    from nbgrader.api import MissingEntry

    from grading.nbgrader_plugins import NotebookLookups

    root = tmp_path / "course"
    released = release(CHAPTER, root)
    shutil.copytree(released, root / "submitted" / "stub" / CHAPTER)
    autograde(CHAPTER, root, jobs=1, log=lambda *_: None)
    url = f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(url, course_id="dlmath") as gb, NotebookLookups(Gradebook(url, course_id="dlmath")) as lookups:
        notebook = gb.find_notebook(CHAPTER, CHAPTER)
        graded, sources = [c.name for c in notebook.grade_cells], [c.name for c in notebook.source_cells]
        assert len(graded) == len(chapters.get(CHAPTER).graded) and set(graded) <= set(sources)
        for name in graded:
            theirs, ours = gb.find_grade(name, CHAPTER, CHAPTER, "stub"), lookups.find_grade(name, CHAPTER, CHAPTER, "stub")
            assert (ours.id, ours.auto_score, ours.max_score) == (theirs.id, theirs.auto_score, theirs.max_score)
            assert lookups.find_graded_cell(name, CHAPTER, CHAPTER).id == gb.find_graded_cell(name, CHAPTER, CHAPTER).id
        for name in sources:
            assert lookups.find_source_cell(name, CHAPTER, CHAPTER).checksum == gb.find_source_cell(name, CHAPTER, CHAPTER).checksum
        for find, args in ((lookups.find_grade, ("nope", CHAPTER, CHAPTER, "stub")), (lookups.find_grade, (graded[0], CHAPTER, CHAPTER, "nobody")),
                           (lookups.find_source_cell, ("nope", CHAPTER, CHAPTER)), (lookups.find_graded_cell, ("nope", CHAPTER, CHAPTER))):
            with pytest.raises(MissingEntry):
                find(*args)
