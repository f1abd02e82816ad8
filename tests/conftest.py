"""Shared fixtures: learner folders with chosen mistakes, and a course directory per test session."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grading import demo, editions

REPO = Path(__file__).resolve().parent.parent
CHAPTER = "03_activations"


def learner_folder(tmp: Path, bodies: dict[str, str] | None = None, stubs: bool = False) -> Path:
    """A chapter folder holding a student-edition dlmath whose graded functions are solved,
    except those in ``bodies`` (function → replacement body); all stubs with ``stubs=True``."""
    editions.write_student_package(CHAPTER, tmp)
    if not stubs:
        source = demo.solved_module("activations")
        for function, body in (bodies or {}).items():
            source = demo.replace_body(source, function, body)
        (tmp / "dlmath" / "activations.py").write_text(source, encoding="utf-8")
    return tmp


def run_python(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run the venv's Python in ``cwd`` (first on sys.path) with a clean PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, **kwargs)


@pytest.fixture
def learner(tmp_path):
    """Factory: ``learner(bodies)`` → folder with those mistakes."""
    return lambda bodies=None, stubs=False: learner_folder(tmp_path, bodies, stubs)
