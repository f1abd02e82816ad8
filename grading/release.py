"""Release a chapter: ``python -m grading release 03_activations``.

Assembles ``course/source/<chapter>/``, runs ``nbgrader generate_assignment``
(which strips the notebook and, through our hook, the ``dlmath`` sources), then
checks the gates before anyone sees the release: no solution text, and the
student package imports.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from grading import chapters, course, editions


class ReleaseError(RuntimeError):
    pass


def release_dir(chapter_id: str, root: Path | None = None) -> Path:
    return (root or course.root()) / "release" / chapter_id


def check_gates(chapter_id: str, release: Path) -> None:
    """Raise ReleaseError (after deleting the release) if solution text leaked or the package doesn't import."""
    problems = editions.find_leaks(release, chapter_id)
    modules = sorted({f"dlmath.{g.module}" for c in chapters.CHAPTERS.values() for g in c.graded})
    # -B: the import check leaves no __pycache__ in what learners get
    imports = subprocess.run([sys.executable, "-I", "-B", "-c", f"import sys; sys.path.insert(0, '.'); import {', '.join(modules)}"],
                             cwd=release, capture_output=True, text=True)
    if imports.returncode != 0:
        problems.append(f"the student package does not import: {imports.stderr.strip().splitlines()[-1]}")
    notebook = release / f"{chapter_id}.ipynb"
    if notebook.is_file():
        import nbformat

        untagged = [c.metadata.nbgrader.grade_id for c in editions.graded_code_cells(nbformat.read(notebook, as_version=4))
                    if editions.RAISES not in c.metadata.get("tags", [])]
        if untagged:
            problems.append(f"graded cells without the {editions.RAISES} tag (Run All would stop there): {untagged}")
    if problems:
        shutil.rmtree(release, ignore_errors=True)
        raise ReleaseError(f"release of {chapter_id} withdrawn:\n  " + "\n  ".join(problems))
    for cache in list(release.rglob("__pycache__")):  # none expected (-B above; nbgrader ignores them): belt and braces
        shutil.rmtree(cache, ignore_errors=True)


def new_gradebook(root: Path) -> bool:
    """Create the course's ``gradebook.db`` if it doesn't exist, with nbgrader's own ``Gradebook`` — except that
    the head of nbgrader's migrations, which it stamps, is read in this process: nbgrader gets it by running the
    ``alembic heads`` command, which imports nbgrader again (~5 s of every release into a fresh course
    directory). Returns whether it created one."""
    path = root / "gradebook.db"
    if path.exists():
        return False
    import nbgrader.api
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import _temp_alembic_ini

    def head() -> str:  # what `alembic heads` prints
        with _temp_alembic_ini(f"sqlite:///{path.resolve()}") as ini:
            return ScriptDirectory.from_config(Config(ini)).get_current_head()

    slow, nbgrader.api.get_alembic_version = nbgrader.api.get_alembic_version, head
    try:
        nbgrader.api.Gradebook(f"sqlite:///{path.resolve()}", course_id="dlmath").close()
    finally:
        nbgrader.api.get_alembic_version = slow
    return True


def generate_assignment(chapter_id: str, root: Path) -> None:
    """``nbgrader generate_assignment <chapter> --force`` in the course directory, run in this process through
    nbgrader's own API with the course's ``nbgrader_config.py`` (the command would spend ~5 s per chapter
    starting Python and importing nbgrader: ``make lab`` releases every chapter, the tests a dozen)."""
    done = course.api(root).generate_assignment(chapter_id, force=True, create=True)
    if not done.get("success"):
        raise RuntimeError(f"nbgrader generate_assignment {chapter_id} failed:\n{done.get('log', '')[-3000:]}\n"
                           f"{done.get('error', '')[-3000:]}")


def release(chapter_id: str, root: Path | None = None) -> Path:
    """Build ``course/release/<chapter>/`` and return its path."""
    chapter = chapters.get(chapter_id)
    root = root or course.root()
    course.prepare(root)
    course.assemble_source(chapter, root)
    new_gradebook(root)
    generate_assignment(chapter.id, root)
    target = release_dir(chapter.id, root)
    if (target / chapter.notebook.name).is_file():
        editions.let_run_all_continue(target / chapter.notebook.name)  # a stub's graded cell must not stop Run All
    check_gates(chapter.id, target)
    return target
