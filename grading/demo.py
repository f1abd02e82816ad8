"""A simulated class: ``make demo`` / ``python -m grading demo``.

Releases the chapter into a separate course folder (``build/demo-course/``, so
a real class in ``course/`` is never touched), writes one submission per
typical learner — correct, untouched stubs, and one mistake each — autogrades
them and prints the student × function table. The test suite asserts the same
expectations (``tests/test_class.py``).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

from grading import chapters, editions
from grading.autograde import ClassResult, autograde
from grading.release import release

DEMO_ROOT = chapters.REPO / "build" / "demo-course"

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


def solved_module(module: str) -> str:
    """The module with every solution in place and no markers (what a correct student writes)."""
    source = (chapters.PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8")
    return editions.student_source(source, module, "99_none", f"{module}.py")


def replace_body(source: str, function: str, body: str) -> str:
    """Replace a (solved) function's body after its validation lines with ``body``."""
    match = re.search(rf"^def {function}\(.*?\n(?=^def |\Z)", source, flags=re.S | re.M)
    block = match.group(0)
    doc_end = block.index('"""', block.index('"""') + 3) + 3
    header, rest = block[:doc_end], block[doc_end:]
    validation = [ln for ln in rest.splitlines() if re.match(r"\s+\w+(, \w+)* = (as_float|check_)", ln)]
    new_block = header + "\n" + "\n".join(validation) + "\n" + "\n".join(f"    {ln}" for ln in body.strip().splitlines()) + "\n\n\n"
    return source.replace(block, new_block)


def honest_zeros(module: str) -> str:
    """Every graded function implemented as "return zeros": the tamperer's work without its tampering."""
    source = solved_module(module)
    for graded in chapters.CHAPTERS["03_activations"].graded:
        source = replace_body(source, graded.name, "return np.zeros_like(z)")
    return source


# student id → (function → wrong body) applied to the solved module; None means "hand in the stubs"
CLASS_03 = {
    "correct": {},
    "stubs": None,
    "naive_sigmoid": {"sigmoid": "return 1 / (1 + np.exp(-z))"},
    "softmax_no_shift": {"softmax": "e = np.exp(z)\nreturn e / np.sum(e, axis=axis, keepdims=True)"},
    "softmax_wrong_axis": {"softmax": "e = np.exp(z - np.max(z, axis=0, keepdims=True))\nreturn e / np.sum(e, axis=0, keepdims=True)"},
    "wrong_derivative": {"tanh_backward": "return dout * (1 - z * z)"},
    "infinite_loop": {"relu": "while True:\n    pass"},
    "kills_kernel": {"tanh": "import os\nos._exit(1)"},
    "tamperer": "zeros",  # implemented-but-wrong functions, plus the tampering below
}
# what each simulated learner should lose: every other function keeps full marks
EXPECTED_LOSSES_03 = {
    "correct": set(), "naive_sigmoid": {"sigmoid"}, "softmax_no_shift": {"softmax"},
    "softmax_wrong_axis": {"softmax"}, "wrong_derivative": {"tanh_backward"}, "infinite_loop": {"relu"},
    "kills_kernel": {"tanh"},
}


def write_class(chapter_id: str, root: Path, release_path: Path) -> list[str]:
    """Write ``submitted/<student>/<chapter>/`` for every simulated learner; return their ids."""
    assert chapter_id == "03_activations", "the simulated class covers 03_activations"
    module = "activations"
    for student, mistakes in CLASS_03.items():
        folder = root / "submitted" / student / chapter_id
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(release_path, folder)
        target = folder / "dlmath" / f"{module}.py"
        if mistakes == "zeros":
            target.write_text(honest_zeros(module), encoding="utf-8")
        elif mistakes is not None:
            source = solved_module(module)
            for function, body in mistakes.items():
                source = replace_body(source, function, body)
            target.write_text(source, encoding="utf-8")
        if student == "tamperer":
            target.write_text(target.read_text(encoding="utf-8") + TAMPER_MODULE, encoding="utf-8")
            (folder / "numpy.py").write_text("raise SystemExit('shadowed numpy')\n")
            notebook = nbformat.read(folder / f"{chapter_id}.ipynb", as_version=4)
            notebook.cells.insert(1, nbformat.v4.new_code_cell(TAMPER_CELL))
            nbformat.write(notebook, folder / f"{chapter_id}.ipynb")
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    return list(CLASS_03)


def run(chapter_id: str = "03_activations", root: Path = DEMO_ROOT, log=print) -> ClassResult:
    if root.exists():
        shutil.rmtree(root)
    log(f"releasing {chapter_id} into {root}")
    release_path = release(chapter_id, root)
    write_class(chapter_id, root, release_path)
    return autograde(chapter_id, root, log=log)
