"""The nbgrader exchange as a class lives it: release → fetch → submit → collect → autograde →
release_feedback → fetch_feedback, two students, a local exchange folder and no OS users
(each student has a home with its own ``nbgrader_config.py``, as ``~/.jupyter/nbgrader_config.py``
would be, naming the exchange and the student's id — a JupyterHub sets the id for each user)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import CHAPTER
from grading import chapters, course, demo, editions, intake
from grading.nbgrader_settings import EXCHANGE_ENV
from grading.release import release

pytestmark = pytest.mark.slow

STUDENT_CONFIG = '''c.CourseDirectory.course_id = "dlmath"
c.Exchange.root = {exchange!r}
c.Exchange.cache = {cache!r}
c.CourseDirectory.student_id = {student!r}
'''


def nbgrader(args: list[str], cwd: Path, **env: str) -> str:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True,
                          env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, **env})
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def as_student(home: Path):
    """nbgrader run in a student's ``home``, with the settings found there."""
    def run(*args: str) -> str:
        return nbgrader(list(args), home, HOME=str(home))
    return run


def test_two_students_get_their_own_feedback_back_through_the_exchange(tmp_path):
    root, exchange = tmp_path / "course", tmp_path / "exchange"
    exchange.mkdir()
    instructor = {"DLMATH_COURSE": str(root), EXCHANGE_ENV: str(exchange)}
    release(CHAPTER, root)
    nbgrader(["release_assignment", CHAPTER], root, **instructor)
    assert (exchange / "dlmath" / "outbound" / CHAPTER / "dlmath" / "activations.py").is_file()

    # alice solves everything; bob's sigmoid overflows (the naive formula)
    mistakes = {"alice": {}, "bob": {"sigmoid": "return 1 / (1 + np.exp(-z))"}}
    for student, bodies in mistakes.items():
        home = tmp_path / student
        home.mkdir()
        (home / "nbgrader_config.py").write_text(
            STUDENT_CONFIG.format(exchange=str(exchange), cache=str(home / ".nbgrader_cache"), student=student))
        run = as_student(home)
        run("fetch_assignment", CHAPTER)
        work = home / CHAPTER / "dlmath" / "activations.py"
        assert "raise NotImplementedError" in work.read_text()  # the student edition arrived
        work.write_text(demo.solved_module("activations", bodies, CHAPTER))
        run("submit", CHAPTER)

    nbgrader(["collect", CHAPTER], root, **instructor)
    for student in mistakes:
        assert (root / "submitted" / student / CHAPTER / "submission_secret.txt").is_file()

    graded = subprocess.run([sys.executable, "-m", "grading", "autograde", CHAPTER, "--jobs", "2"], cwd=chapters.REPO,
                            capture_output=True, text=True, env={**os.environ, **instructor})
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-3000:]
    for student in mistakes:  # the secret travels intake → autograded → feedback, where release_feedback needs it
        assert (root / "feedback" / student / CHAPTER / "submission_secret.txt").is_file()

    nbgrader(["release_feedback", CHAPTER], root, **instructor)
    points = sum(g.points for g in chapters.get(CHAPTER).graded)
    pages = {}
    for student in mistakes:
        home = tmp_path / student
        as_student(home)("fetch_feedback", CHAPTER)
        found = list((home / CHAPTER / "feedback").glob(f"*/{CHAPTER}.html"))
        assert len(found) == 1, f"{student} fetched {found}"
        pages[student] = found[0].read_text()
    # each gets their own page: alice full marks; bob loses sigmoid's point only
    assert f"{CHAPTER} (Score: {points:.1f} / {points:.1f})" in pages["alice"]
    assert "Hidden tests of <code>sigmoid</code>" in pages["bob"] and "white-space: pre-wrap" in pages["bob"]
    bob = float(re.search(rf"{CHAPTER} \(Score: ([0-9.]+) / {points:.1f}\)", pages["bob"]).group(1))
    assert points - 1 <= bob < points


def test_zip_collect_takes_the_notebook_and_dlmath_from_an_lms_download(tmp_path):
    """Moodle's "download all submissions": a folder per student, ``<name>_<id>_assignsubmission_file_``,
    holding the chapter folder as uploaded — as files, or as a zip of the folder."""
    root = tmp_path / "course"
    course.prepare(root)
    learner_files = sorted(intake.learner_files(chapters.get(CHAPTER)) - set(intake.EXTRA_FILES))
    folders = {}
    for student, number in [("Ada Lovelace", "1001"), ("Bob Babbage", "1002")]:
        folder = tmp_path / student / CHAPTER
        editions.write_student_package(CHAPTER, folder)
        (folder / f"{CHAPTER}.ipynb").write_text(f'{{"cells": [], "by": "{number}"}}')
        (folder / "dlmath" / "activations.py").write_text(f"# {number}'s work\n")
        (folder / "dlmath" / "__pycache__").mkdir()
        (folder / "dlmath" / "__pycache__" / "activations.cpython-311.pyc").write_bytes(b"\0")
        folders[number] = (f"{student}_{number}_assignsubmission_file_", folder)
    archive = root / "downloaded" / CHAPTER / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / f"dlmath-{CHAPTER}-submissions.zip", "w") as lms:
        inner, folder = folders["1001"]  # Ada uploaded a zip of her chapter folder
        upload = tmp_path / f"{CHAPTER}.zip"
        with zipfile.ZipFile(upload, "w") as own:
            for path in folder.rglob("*"):
                own.write(path, path.relative_to(folder.parent).as_posix())
        lms.write(upload, f"{inner}/{CHAPTER}.zip")
        inner, folder = folders["1002"]  # Bob uploaded the folder's files
        for path in folder.rglob("*"):
            lms.write(path, f"{inner}/{path.relative_to(folder).as_posix()}")

    nbgrader(["zip_collect", CHAPTER], root)
    for number in folders:
        submitted = root / "submitted" / number / CHAPTER
        got = sorted(p.relative_to(submitted).as_posix() for p in submitted.rglob("*") if p.is_file())
        modules = [f for f in got if f.startswith("dlmath/")]
        assert set(learner_files) <= set(got), got
        assert "__pycache__" not in " ".join(got)
        assert (submitted / "dlmath" / "activations.py").read_text() == f"# {number}'s work\n"
        assert sorted(modules) == sorted(f"dlmath/{p.name}" for p in (folders[number][1] / "dlmath").glob("*.py"))
