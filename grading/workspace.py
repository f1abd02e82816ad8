"""The self-learner's (and ``make lab``'s) working copy: ``workspace/<chapter>/``.

``python -m grading workspace`` releases every chapter that exists and copies
each release into ``workspace/``, **adding only files that are not there yet**:
a learner's notebook and ``dlmath`` files are never overwritten. Files that a
newer release changed are listed, so a learner can compare them by hand.

``python -m grading progress`` runs the public checks in every chapter folder
(each with its own ``dlmath``) and prints one line per chapter.
"""
from __future__ import annotations

import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

from grading import chapters
from grading.release import release

WORKSPACE = chapters.REPO / "workspace"


def build(root: Path = WORKSPACE, course_root: Path | None = None, log=print) -> list[Path]:
    """Create or top up the workspace; return the chapter folders."""
    folders = []
    for chapter in chapters.CHAPTERS.values():
        if not chapter.notebook.exists():
            continue
        released = release(chapter.id, course_root)
        target = root / chapter.id
        added, kept = [], []
        for path in sorted(p for p in released.rglob("*") if p.is_file()):
            relative = path.relative_to(released)
            destination = target / relative
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
                added.append(relative)
            elif not filecmp.cmp(path, destination, shallow=False):
                kept.append(relative)
        log(f"{chapter.id}: {len(added)} file(s) added" + (f", {len(kept)} of your files kept as they are" if kept else ""))
        for relative in kept:
            log(f"    kept yours: {relative} (a fresh copy is in {released / relative})")
        folders.append(target)
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
