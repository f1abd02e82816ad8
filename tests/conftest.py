"""Shared fixtures: learner folders with chosen mistakes, and a course directory per test session."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grading import chapters, demo, editions

# the notebooks' framework views are opt-in for learners (dlmath.frameworks); the tests run them live, so
# every kernel a test starts inherits this
os.environ.setdefault("DLMATH_TENSORFLOW", "1")

REPO = Path(__file__).resolve().parent.parent
CHAPTER = "03_activations"  # the pilot: tests of the machinery itself use it
GRADED_CHAPTERS = [c.id for c in chapters.CHAPTERS.values() if c.graded]
ALL_CHAPTERS = list(chapters.CHAPTERS)


def learner_folder(tmp: Path, bodies: dict[str, str] | None = None, stubs: bool = False) -> Path:
    """A chapter folder holding a student-edition dlmath whose graded functions are solved,
    except those in ``bodies`` (function → replacement body); all stubs with ``stubs=True``."""
    editions.write_student_package(CHAPTER, tmp)
    if not stubs:
        (tmp / "dlmath" / "activations.py").write_text(demo.solved_module("activations", bodies), encoding="utf-8")
    return tmp


def run_python(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run the venv's Python in ``cwd`` (first on sys.path) with a clean PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, **kwargs)


@pytest.fixture
def learner(tmp_path):
    """Factory: ``learner(bodies)`` → folder with those mistakes."""
    return lambda bodies=None, stubs=False: learner_folder(tmp_path, bodies, stubs)


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, imported once for the whole session, with its log and oneDNN banner silenced."""
    from grading.tensorflow_reference import load
    return load()


@pytest.fixture(scope="session")
def keras(tf):
    import keras
    return keras


# Tests that share a per-session cache (a released chapter, a graded class, the attacked course, the lab's
# releases) run in one
# xdist worker, so `make test -n auto` builds each of them once.
_SHARED_PER_CHAPTER = {"test_class.py", "test_release.py"}
_SHARED_PER_MODULE = {"test_attacks.py", "test_lab.py"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which turns the marks into groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.path.name
        chapter = getattr(item, "callspec", None) and item.callspec.params.get("chapter_id")
        if module in _SHARED_PER_CHAPTER:
            item.add_marker(pytest.mark.xdist_group(f"{module}:{chapter or CHAPTER}"))
        elif module in _SHARED_PER_MODULE:
            item.add_marker(pytest.mark.xdist_group(module))
