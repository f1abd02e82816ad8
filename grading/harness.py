"""What a notebook's hidden test cell calls when a notebook is *run*: ``grade(chapter, function)``.

During autograding no notebook runs: nbgrader writes the sandboxed judge's verdicts into the
hidden test cells (``grading.nbgrader_plugins``). This is for the instructor who runs a chapter
notebook (``notebooks/`` or ``course/source/``) and wants the hidden tests' verdict on the
dlmath beside it: the judge grades that folder in a fresh process — in the sandbox when one can
be made here — and the feedback is printed as students will see it.

Prints to stdout (never stderr: nbgrader counts stderr as a failure) and returns the partial
score as a plain float, which nbgrader reads as the cell's partial credit.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from grading.judge import from_json

_memo: dict[tuple[str, str], dict] = {}


def _submission_folder() -> Path:
    """The folder whose ``dlmath/`` is graded: the kernel's cwd (a chapter folder), or else — the
    instructor running ``notebooks/`` in the repository — the folder of the importable dlmath."""
    here = Path.cwd()
    if (here / "dlmath").is_dir():
        return here
    spec = importlib.util.find_spec("dlmath")
    return Path(spec.origin).parent.parent if spec and spec.origin else here


def _verdicts(chapter_id: str):
    from grading import sandbox

    here = _submission_folder()
    key = (chapter_id, str(here))
    if key not in _memo:
        command = [sys.executable, "-I", "-m", "grading.judge", chapter_id, str(here)]
        if sandbox.probe():  # no sandbox here: this is the instructor's own code, run it plainly
            command.append("--no-sandbox")
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"the grader failed: {done.stderr.strip().splitlines()[-1:]}")
        _memo[key] = from_json(done.stdout)
    return _memo[key]


def grade(chapter_id: str, function: str) -> float:
    """Print the hidden-test feedback for one function and return its score."""
    try:
        verdict = _verdicts(chapter_id)[function]
    except Exception as error:  # report, don't write to stderr
        print(f"Grading {function} could not run here ({type(error).__name__}: {error}).")
        return 0.0
    print(verdict.report())
    return float(verdict.score)
