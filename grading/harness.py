"""What a notebook's hidden test cell calls: ``grade(chapter, function)``.

The cell runs in the notebook's kernel, where the learner's code has run too
and may have changed anything (NumPy, this module). So the kernel only
*reports*: the scores come from the judge, run in a fresh process
(``python -I -m grading.judge``) that never imports the submission — or, when
the course pipeline is grading, from the verdict it computed beforehand. The
pipeline also writes its own verdicts into the gradebook afterwards, so even a
kernel that was tampered with cannot raise a grade.

Prints the function's feedback to stdout (never stderr: nbgrader zeroes a test
cell that writes to stderr) and returns the partial score as a plain float,
which nbgrader reads as the cell's partial credit.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from grading.judge import from_json

VERDICTS_ENV = "DLMATH_VERDICTS"
_memo: dict[tuple[str, str], dict] = {}


def _precomputed(chapter_id: str, here: Path):
    """The pipeline's verdict for this submission (kernel cwd = autograded/<student>/<chapter>)."""
    folder = os.environ.get(VERDICTS_ENV)
    if not folder or here.name != chapter_id:
        return None
    path = Path(folder) / f"{here.parent.name}.json"
    return from_json(path.read_text(encoding="utf-8")) if path.exists() else None


def _submission_folder() -> Path:
    """The folder whose ``dlmath/`` is graded: the kernel's cwd (a chapter folder), or else — the
    instructor running ``notebooks/`` in the repository — the folder of the importable dlmath."""
    here = Path.cwd()
    if (here / "dlmath").is_dir():
        return here
    spec = importlib.util.find_spec("dlmath")
    return Path(spec.origin).parent.parent if spec and spec.origin else here


def _verdicts(chapter_id: str):
    here = _submission_folder()
    key = (chapter_id, str(here))
    if key not in _memo:
        verdicts = _precomputed(chapter_id, here)
        if verdicts is None:
            done = subprocess.run([sys.executable, "-I", "-m", "grading.judge", chapter_id, str(here)],
                                  capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise RuntimeError(f"the grader failed: {done.stderr.strip().splitlines()[-1:]}")
            verdicts = from_json(done.stdout)
        _memo[key] = verdicts
    return _memo[key]


def grade(chapter_id: str, function: str) -> float:
    """Print the hidden-test feedback for one function and return its score."""
    try:
        verdict = _verdicts(chapter_id)[function]
    except Exception as error:  # report, don't write to stderr; the pipeline's own verdict still counts
        print(f"Grading {function} could not run here ({type(error).__name__}: {error}).")
        return 0.0
    print(verdict.report())
    return float(verdict.score)
