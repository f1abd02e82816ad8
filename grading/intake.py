"""Intake: the whitelisted copy of a submission that gets graded.

A submission may contain anything: a ``numpy.py`` that would shadow NumPy in
the grading kernel, a ``grading/`` folder that would replace the harness, an
edited copy of our check code. Intake builds ``course/intake/<student>/<chapter>/``
from the *released* files, then takes from the submission only what the
learner is meant to write: the chapter notebook and the chapter's graded
``dlmath`` modules (plus nbgrader's ``timestamp.txt``). Everything else is
listed as ignored. ``submitted/`` itself is never modified.
"""
from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from grading import chapters

SILENT = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


def learner_files(chapter: chapters.Chapter) -> set[str]:
    """Relative paths a submission contributes to grading."""
    return {f"{chapter.id}.ipynb", "timestamp.txt"} | {f"dlmath/{m}.py" for m in chapter.modules}


def take(chapter: chapters.Chapter, submitted: Path, release: Path, destination: Path) -> list[str]:
    """Build ``destination`` from the release and the submission's learner files; return what was ignored."""
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(release, destination)
    allowed = learner_files(chapter)
    ignored = []
    for path in sorted(submitted.rglob("*")):
        relative = path.relative_to(submitted).as_posix()
        if SILENT & set(Path(relative).parts) or path.is_dir() and not path.is_symlink():
            continue
        if path.is_symlink():
            ignored.append(f"{relative} (a symbolic link)")
        elif relative in allowed:
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination / relative)
        elif not (release / relative).is_file():
            ignored.append(f"{relative} (not part of the assignment)")
        elif not filecmp.cmp(path, release / relative, shallow=False):
            ignored.append(f"{relative} (changed; the released version was used)")
    return ignored
