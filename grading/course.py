"""The nbgrader course directory and the commands run in it.

``course/`` (git-ignored) is a standard nbgrader course directory:
``source/ release/ submitted/ autograded/ feedback/ gradebook.db``, plus our
``intake/`` (the checked copy of each submission that nbgrader autogrades),
``verdicts/`` (the judge's verdicts) and ``autograde/<chapter>.json`` (the record of the
last autograde run: sandbox or not, notes per student). Set ``DLMATH_COURSE`` to use
another folder.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from grading import chapters, editions

CONFIG = '''# Written by `python -m grading release`; the settings live in grading/nbgrader_settings.py.
from pathlib import Path
from grading.nbgrader_settings import configure

configure(c, Path(__file__).resolve().parent)
'''
# nbgrader's Gradebook runs the `alembic` command by name: make this interpreter's scripts findable
# even when its virtualenv isn't activated (e.g. `.venv/bin/python -m grading ...`).
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


def root() -> Path:
    return Path(os.environ.get("DLMATH_COURSE", chapters.REPO / "course")).resolve()


def prepare(course: Path) -> None:
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")


def assemble_source(chapter: chapters.Chapter, course: Path) -> Path:
    """``source/<chapter>/``: the instructor notebook and dlmath with this chapter's solutions (later ones stubbed)."""
    source = course / "source" / chapter.id
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    shutil.copy2(chapter.notebook, source / chapter.notebook.name)
    editions.write_instructor_package(chapter.id, source)
    return source


def nbgrader(course: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` in the course directory; raise with its log if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def api(course: Path, settings: dict | None = None):
    """nbgrader's Python API on the course directory, with its ``nbgrader_config.py`` plus ``settings``
    (e.g. ``{"CourseDirectory.submitted_directory": "intake"}``)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    for dotted, value in (settings or {}).items():
        section, _, key = dotted.rpartition(".")
        config[section][key] = value
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
