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


def release(chapter_id: str, root: Path | None = None) -> Path:
    """Build ``course/release/<chapter>/`` and return its path."""
    chapter = chapters.get(chapter_id)
    root = root or course.root()
    course.prepare(root)
    course.assemble_source(chapter, root)
    course.nbgrader(root, "generate_assignment", chapter.id, "--force")
    target = release_dir(chapter.id, root)
    if (target / chapter.notebook.name).is_file():
        editions.let_run_all_continue(target / chapter.notebook.name)  # a stub's graded cell must not stop Run All
    check_gates(chapter.id, target)
    return target
