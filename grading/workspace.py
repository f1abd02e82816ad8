"""The self-learner's (and ``make lab``'s) working copy: ``workspace/<chapter>/``.

``python -m grading workspace`` releases every chapter that exists into its own build folder
(``build/lab/``, never the instructor's ``course/``: a lab must not add chapters to a class's
gradebook) and copies each release into ``workspace/``. A learner's files are never overwritten:

* a file the workspace doesn't have yet is added;
* a file the learner never touched (it is still what the last build gave them, recorded in
  ``workspace/.dlmath-given.json``) is updated when a newer release changes it;
* a file the learner changed is kept, and listed only when the release has a different version
  of it, so the learner can compare by hand.

A chapter whose sources did not change since its last release is not released again (nbgrader
takes seconds per chapter): re-running ``make lab`` only compares files.

``python -m grading progress`` runs the public checks in every chapter folder
(each with its own ``dlmath``) and prints one line per chapter.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from grading import chapters
from grading.release import release, release_dir

WORKSPACE = chapters.REPO / "workspace"
BUILD_ENV = "DLMATH_LAB_BUILD"  # where the lab's releases are built (default build/lab/)
GIVEN = ".dlmath-given.json"
# what a chapter's release is made of: its notebook, the whole package (every chapter's student edition
# holds every module) and the code that builds a release
_RELEASE_CODE = ("editions.py", "release.py", "course.py", "nbgrader_settings.py", "nbgrader_plugins.py", "chapters.py")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_digest(chapter: chapters.Chapter) -> str:
    """A digest of everything the chapter's release is built from."""
    digest = hashlib.sha256()
    files = [chapter.notebook, *(chapters.REPO / "grading" / name for name in _RELEASE_CODE),
             *sorted(p for p in chapters.PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts)]
    for path in files:
        digest.update(path.relative_to(chapters.REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def released(chapter: chapters.Chapter, course_root: Path) -> tuple[Path, bool]:
    """The chapter's release in ``course_root`` and whether it was built now (False: its sources didn't change)."""
    stamp = course_root / "release-digests" / f"{chapter.id}.sha256"
    target = release_dir(chapter.id, course_root)
    digest = source_digest(chapter)
    if target.is_dir() and stamp.is_file() and stamp.read_text() == digest:
        return target, False
    stamp.unlink(missing_ok=True)
    target = release(chapter.id, course_root)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)
    return target, True


CHAPTERS_ENV = "DLMATH_LAB_CHAPTERS"  # comma-separated chapter ids: build only these (tests); default every chapter


def build(root: Path = WORKSPACE, course_root: Path | None = None, log=print, only: list[str] | None = None) -> list[Path]:
    """Create or top up the workspace from releases built in ``course_root`` (default ``build/lab/``); return the chapter folders.

    ``only`` (or $DLMATH_LAB_CHAPTERS) limits it to some chapters.
    """
    only = only or [c for c in os.environ.get(CHAPTERS_ENV, "").split(",") if c] or None
    course_root = Path(course_root or os.environ.get(BUILD_ENV) or chapters.REPO / "build" / "lab").resolve()
    root.mkdir(parents=True, exist_ok=True)
    given_file = root / GIVEN
    given = json.loads(given_file.read_text()) if given_file.is_file() else {}
    folders = []
    for chapter in chapters.CHAPTERS.values():
        if not chapter.notebook.exists() or (only and chapter.id not in only):
            continue
        try:
            source, fresh = released(chapter, course_root)
        except RuntimeError as error:  # ReleaseError, or nbgrader failing: the other chapters still get built
            log(f"{chapter.id}: NOT released — {str(error).strip().splitlines()[0]}")
            continue
        target = root / chapter.id
        added, updated, kept = [], [], []
        for path in sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            relative = path.relative_to(source)
            key = f"{chapter.id}/{relative.as_posix()}"
            destination = target / relative
            new = _digest(path)
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
                added.append(relative)
            else:
                mine = _digest(destination)
                if mine == new:
                    pass
                elif given.get(key) == mine:  # untouched since we gave it: the newer release replaces it
                    shutil.copy2(path, destination)
                    updated.append(relative)
                else:
                    kept.append(relative)
                    continue  # what we gave stays the reference for "untouched"
            given[key] = new
        parts = [f"{len(added)} file(s) added"] + [f"{len(updated)} updated"] * bool(updated)
        parts += [f"{len(kept)} of your changed files kept as they are"] * bool(kept)
        log(f"{chapter.id}: " + ", ".join(parts) + ("" if fresh else " (release unchanged)"))
        for relative in kept:
            log(f"    kept yours: {relative} (the release's version is in {source / relative})")
        folders.append(target)
    given_file.write_text(json.dumps(given, indent=0, sort_keys=True))
    return folders


def progress(root: Path = WORKSPACE) -> list[str]:
    """One line per chapter folder: how many of its functions pass their public checks."""
    lines = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "dlmath").is_dir()):
        chapter = chapters.CHAPTERS.get(folder.name)
        if chapter is not None and not chapter.graded:
            lines.append(f"{folder.name:<20} ungraded: nothing to check")
            continue
        done = subprocess.run([sys.executable, "-m", "dlmath", "check", folder.name, "--summary"],
                              cwd=folder, capture_output=True, text=True)
        last = (done.stdout.strip().splitlines() or ["no checks ran"])[-1]
        match = re.match(r"(\d+)/(\d+)", last)
        bar = ""
        if match:
            passed, total = map(int, match.groups())
            bar = "█" * passed + "░" * (total - passed) + "  "
        lines.append(f"{folder.name:<20} {bar}{last}")
    return lines
