"""The feedback page our exporter writes is nbconvert's stock page, with exactly readable()'s two changes.

``grading.nbgrader_plugins.FeedbackExporter`` remembers compiled templates, rendered markdown
and highlighted code across the students of a class, and adds the stock exporter's
accessibility attributes without re-parsing the page. Here a small class is autograded (our
exporter writes the feedback, the second student's from warm caches), then nbgrader's own
``HTMLExporter`` writes the same students' feedback again: the pages must agree
element for element (both serialised the stock exporter's way), once
:func:`readable` is applied to the stock one.
"""
from __future__ import annotations

import shutil

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter

from grading import course, demo
from grading.autograde import autograde
from grading.nbgrader_plugins import readable
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

    stock = course.api(root, {"GenerateFeedback.exporter_class": HTMLExporter})
    for student in students:
        assert stock.generate_feedback(CHAPTER, student, force=True)["success"]
        theirs = pages[student].read_text(encoding="utf-8")
        assert "Hidden tests of" not in theirs  # really the stock exporter this time
        assert _tree(ours[student]) == _tree(readable(theirs)), student
    assert "hidden checks passed" in ours["naive"] and ours["naive"] != ours["correct"]


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
