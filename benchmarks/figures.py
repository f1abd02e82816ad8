"""Print the figures the course promises: check latency, notebook run time, autograde cost.

    .venv/bin/python benchmarks/figures.py [--skip-class]

Figures, not pass/fail: these machines are noisy, so compare numbers from one run.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import CHAPTER, learner_folder  # noqa: E402
from notebooks import execute  # noqa: E402

from grading import chapters, course, demo  # noqa: E402
from grading.release import release  # noqa: E402


def check_latency(folder: Path) -> None:
    code = ("import time, statistics, dlmath\nfrom dlmath.checking import run\n"
            "s = time.perf_counter(); run('{t}'); print(f'first call {{(time.perf_counter() - s) * 1000:.1f}} ms;', end=' ')\n"
            "times = []\nfor _ in range(20):\n    s = time.perf_counter(); run('{t}'); times.append(time.perf_counter() - s)\n"
            "print(f'{{statistics.median(times) * 1000:.1f}} ms median of 20, max {{max(times) * 1000:.1f}} ms')")
    for target in ("sigmoid", CHAPTER):
        done = subprocess.run([sys.executable, "-c", code.format(t=target)], cwd=folder, capture_output=True, text=True)
        print(f"  dlmath.check({target!r}) in a warm kernel: {done.stdout.strip()}")
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dlmath", "check", CHAPTER], cwd=folder, capture_output=True)
        walls.append(time.perf_counter() - start)
    print(f"  `python -m dlmath check {CHAPTER}` from a terminal (with interpreter start): "
          f"{statistics.median(walls):.2f} s median of 5")


def notebook_times(tmp: Path) -> None:
    source = course.assemble_source(chapters.get(CHAPTER), tmp / "instructor")
    _, seconds = execute(source / f"{CHAPTER}.ipynb", source)
    print(f"  instructor edition, top to bottom: {seconds:.1f} s")
    released = release(CHAPTER, tmp / "course")
    _, seconds = execute(released / f"{CHAPTER}.ipynb", released, allow_errors=True)
    print(f"  student edition with stubs, top to bottom: {seconds:.1f} s")


def autograde_cost(tmp: Path) -> None:
    result = demo.run(CHAPTER, tmp / "class", log=lambda *_: None)
    judge = {s.student: s.judge_seconds for s in result.students}
    print(f"  {len(result.students)} submissions: {result.seconds_per_submission:.2f} s per submission "
          f"(nbgrader {result.nbgrader_seconds:.1f} s in all, judge {sum(judge.values()):.1f} s in all)")
    print(f"  judge alone, per submission: median {statistics.median(judge.values()):.2f} s; "
          f"the infinite-loop one {judge['infinite_loop']:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-class", action="store_true", help="skip the simulated class (about a minute)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("learner checks (no TensorFlow):")
        check_latency(learner_folder(tmp / "learner"))
        print("notebook:")
        notebook_times(tmp)
        if not args.skip_class:
            print("autograde (simulated class, serial):")
            autograde_cost(tmp)


if __name__ == "__main__":
    main()
