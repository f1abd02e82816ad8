"""A simulated class: ``make demo`` / ``python -m grading demo [chapter ...]``.

For every graded chapter (or the ones named): release it into a separate course
folder (``build/demo-course/``, so a real class in ``course/`` is never
touched), write one submission per simulated learner, autograde them and print
the student × function table, then compare it with the expected one:

* ``correct`` gets full marks, ``stubs`` (the release handed back untouched) gets 0;
* each chapter's typical mistakes (``CLASS`` in ``grading/references/<name>.py``)
  lose points on their own function only (``EXPECTED_LOSSES`` there);
* in the pilot chapter, 03_activations, the robustness cases too: an endless loop,
  a function that kills its process, and a tamperer.

The test suite asserts the same expectations (``tests/test_class.py``).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from grading import chapters, editions
from grading.autograde import ClassResult, autograde
from grading.fixtures import reference_module
from grading.release import release

DEMO_ROOT = chapters.REPO / "build" / "demo-course"
PILOT = "03_activations"

TAMPER_CELL = '''# Trying to cheat the grader from the notebook: replace the harness and NumPy's comparisons.
import numpy as np, grading.harness
grading.harness.grade = lambda chapter, function: 1.0
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, **kwargs: np.ones(np.shape(a), dtype=bool)
'''
TAMPER_MODULE = '''
# Trying to cheat the grader from the module: every comparison in this process says "equal".
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, **kwargs: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *args, **kwargs: True
'''

# robustness cases, run on the pilot chapter: student id → (function → body)
ROBUSTNESS = {
    "infinite_loop": {"relu": "while True:\n    pass"},
    "kills_kernel": {"tanh": "import os\nos._exit(1)"},
}
ROBUSTNESS_LOSSES = {"infinite_loop": {"relu"}, "kills_kernel": {"tanh"}}


def replace_fenced_body(source: str, module: str, function: str, body: str) -> str:
    """Replace the code between ``function``'s solution markers (instructor source) with ``body``.

    ``body`` is written at indent 0; it is indented to the fence's level, so a method's body
    (``Value.tanh``) works like a function's.
    """
    lines = source.splitlines()
    fence = next((f for f in editions.fences(source, f"{module}.py") if f.function == function), None)
    if fence is None:
        raise KeyError(f"dlmath.{module} has no solution fence for {function}")
    new = [fence.indent + ln if ln.strip() else "" for ln in body.strip("\n").splitlines()]
    return "\n".join(lines[:fence.begin + 1] + new + lines[fence.end:]) + "\n"


def solved_module(module: str, bodies: dict[str, str] | None = None, chapter_id: str = "99_none") -> str:
    """The module as a learner who finished ``chapter_id`` writes it: solutions in place, no markers.

    ``bodies`` replaces some functions' solutions (function → body): the learner's mistakes.
    Later chapters' functions stay stubs, as in the learner's release.
    """
    source = (chapters.PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8")
    for function, body in (bodies or {}).items():
        source = replace_fenced_body(source, module, function, body)
    source = editions.student_source(source, module, chapter_id, f"{module}.py", keep_own=True)
    return "".join(ln for ln in source.splitlines(keepends=True) if ln.strip() not in editions.MARKERS)


def honest_zeros(module: str = "activations") -> str:
    """Every graded function of the pilot "return zeros": the tamperer's work without its tampering."""
    return solved_module(module, {g.name: "return np.zeros_like(z)" for g in chapters.get(PILOT).graded})


def classroom(chapter_id: str) -> dict[str, dict[str, str] | None | str]:
    """Student id → mistakes (function → body); None hands in the stubs; "tamperer" is special."""
    students = {"correct": {}, "stubs": None, **reference_module(chapters.get(chapter_id)).CLASS}
    if chapter_id == PILOT:
        students.update(ROBUSTNESS, tamperer="tamperer")
    return students


def expected_losses(chapter_id: str) -> dict[str, set[str]]:
    """Student id → the functions that must lose points (every other one keeps full marks)."""
    expected = {"correct": set(), **{s: set(f) for s, f in reference_module(chapters.get(chapter_id)).EXPECTED_LOSSES.items()}}
    if chapter_id == PILOT:
        expected.update(ROBUSTNESS_LOSSES)
    return expected


def _write_submission(chapter: chapters.Chapter, folder: Path, mistakes) -> None:
    if mistakes is None:
        return  # the stubs, as released
    if mistakes == "tamperer":
        (folder / "dlmath" / "activations.py").write_text(honest_zeros() + TAMPER_MODULE, encoding="utf-8")
        (folder / "numpy.py").write_text("raise SystemExit('shadowed numpy')\n")
        notebook = nbformat.read(folder / f"{chapter.id}.ipynb", as_version=4)
        notebook.cells.insert(1, nbformat.v4.new_code_cell(TAMPER_CELL))
        nbformat.write(notebook, folder / f"{chapter.id}.ipynb")
        return
    for module in chapter.modules:
        bodies = {f: b for f, b in mistakes.items() if chapter.function(f).module == module}
        (folder / "dlmath" / f"{module}.py").write_text(solved_module(module, bodies, chapter.id), encoding="utf-8")


def write_class(chapter_id: str, root: Path, release_path: Path) -> list[str]:
    """Write ``submitted/<student>/<chapter>/`` for every simulated learner; return their ids."""
    chapter = chapters.get(chapter_id)
    students = classroom(chapter_id)
    for student, mistakes in students.items():
        folder = root / "submitted" / student / chapter_id
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(release_path, folder)
        _write_submission(chapter, folder, mistakes)
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    return list(students)


def surprises(result: ClassResult) -> list[str]:
    """Where the graded table differs from the expected one (empty: as expected)."""
    full = {g.name: g.points for g in chapters.get(result.chapter).graded}
    expected = expected_losses(result.chapter)
    found = []
    for student in result.students:
        lost = {name for name in full if student.scores[name] < full[name]}
        if student.student == "stubs":
            if student.total != 0:
                found.append(f"stubs scored {student.total:g}, expected 0")
        elif student.student in expected and lost != expected[student.student]:
            found.append(f"{student.student} lost points on {sorted(lost) or 'nothing'}, "
                         f"expected {sorted(expected[student.student]) or 'nothing'}")
    return found


def run(chapter_id: str = PILOT, root: Path = DEMO_ROOT, log=print) -> ClassResult:
    """Release one chapter into ``root`` (emptied first), submit the simulated class, autograde it."""
    if root.exists():
        shutil.rmtree(root)
    log(f"releasing {chapter_id} into {root}")
    release_path = release(chapter_id, root)
    write_class(chapter_id, root, release_path)
    return autograde(chapter_id, root, log=log)


def run_all(chapter_ids: list[str] | None = None, root: Path = DEMO_ROOT, log=print) -> int:
    """``make demo``: every graded chapter (or those named), one course folder each; 1 if a table surprised."""
    selected = chapter_ids or [c.id for c in chapters.CHAPTERS.values() if c.graded]
    failures = 0
    for chapter_id in selected:
        if not chapters.get(chapter_id).graded:
            log(f"{chapter_id}: ungraded, nothing to grade")
            continue
        result = run(chapter_id, root / chapter_id, log=log)
        log(f"\n== {chapter_id} ==\n{result.table()}")
        problems = surprises(result)
        failures += bool(problems)
        log("\n".join(f"  ✗ unexpected: {p}" for p in problems) if problems else
            "  ✓ as expected: correct work full marks, stubs 0, each mistake cost only its own function\n")
    return 1 if failures else 0
