"""Print the figures the course promises, per chapter: check latency, notebook run time, autograde cost.

    .venv/bin/python benchmarks/figures.py [chapter ...] [--skip-class] [--skip-notebooks]

Figures, not pass/fail: these machines are noisy, so compare numbers from one run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from notebooks import execute  # noqa: E402

from grading import chapters, course, demo, editions  # noqa: E402
from grading.release import release  # noqa: E402

NOTEBOOK_BUDGET = 60  # seconds for a chapter's instructor notebook, TensorFlow import included
os.environ.setdefault("DLMATH_TENSORFLOW", "1")  # the framework views live (opt-in for learners): the budget includes them


def solved_folder(chapter: chapters.Chapter, folder: Path) -> Path:
    """A chapter folder as a learner who finished the chapter has it."""
    editions.write_student_package(chapter.id, folder)
    for module in chapter.modules:
        (folder / "dlmath" / f"{module}.py").write_text(demo.solved_module(module, chapter_id=chapter.id))
    return folder


def check_latency(chapter: chapters.Chapter, folder: Path) -> None:
    code = ("import time, statistics, dlmath\nfrom dlmath.checking import run\n"
            "s = time.perf_counter(); reports = run('{t}'); first = time.perf_counter() - s\n"
            "times = []\nfor _ in range(20):\n    s = time.perf_counter(); run('{t}'); times.append(time.perf_counter() - s)\n"
            "print(f'{{first * 1000:.1f}} ms first call, {{statistics.median(times) * 1000:.1f}} ms median of 20 '\n"
            "      f'({{sum(r.passed for r in reports)}}/{{len(reports)}} functions pass)')")
    done = subprocess.run([sys.executable, "-c", code.format(t=chapter.id)], cwd=folder, capture_output=True, text=True)
    print(f"  dlmath.check({chapter.id!r}), whole chapter, warm kernel: {done.stdout.strip() or done.stderr[-300:]}")
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dlmath", "check", chapter.id], cwd=folder, capture_output=True)
        walls.append(time.perf_counter() - start)
    print(f"  `python -m dlmath check {chapter.id}` from a terminal: {statistics.median(walls):.2f} s median of 5")


def notebook_times(chapter: chapters.Chapter, tmp: Path) -> None:
    source = course.assemble_source(chapter, tmp / "instructor")
    _, seconds = execute(source / f"{chapter.id}.ipynb", source)
    print(f"  instructor notebook, top to bottom: {seconds:.1f} s (budget {NOTEBOOK_BUDGET} s)")
    released = release(chapter.id, tmp / "course")
    _, seconds = execute(released / f"{chapter.id}.ipynb", released, allow_errors=True)
    print(f"  student notebook with stubs, top to bottom: {seconds:.1f} s")


def autograde_cost(chapter: chapters.Chapter, tmp: Path) -> None:
    result = demo.run(chapter.id, tmp / "class", log=lambda *_: None)
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.stages.items())
    print(f"  autograde, {len(result.students)} simulated submissions, {result.jobs} at a time: "
          f"{result.seconds_per_submission:.2f} s per submission ({stages}); "
          f"benchmarks/autograde.py compares larger classes with plain nbgrader")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="default: every chapter")
    parser.add_argument("--skip-class", action="store_true", help="skip the simulated classes (a minute or two each)")
    parser.add_argument("--skip-notebooks", action="store_true", help="skip executing the notebooks")
    args = parser.parse_args()
    for chapter in [chapters.get(c) for c in args.chapters] or list(chapters.CHAPTERS.values()):
        print(f"{chapter.id}:")
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            if chapter.graded:
                check_latency(chapter, solved_folder(chapter, tmp / "learner"))
            if not args.skip_notebooks:
                notebook_times(chapter, tmp)
            if chapter.graded and not args.skip_class:
                autograde_cost(chapter, tmp)


if __name__ == "__main__":
    main()
