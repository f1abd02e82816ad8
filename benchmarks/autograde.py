"""Seconds per submission of a class autograde: the sandboxed pipeline and plain nbgrader, side by side.

    .venv/bin/python benchmarks/autograde.py [chapter ...] [--copies K] [--jobs N] [--skip-plain]

For each chapter (default: 03_activations and 05_backprop) the simulated class of ``make demo``
(correct work, stubs, the chapter's typical mistakes; in 03 also an endless loop, a function
that kills its process and a tamperer) is written K times under different student ids, then

* ``python -m grading autograde`` grades it (intake, sandboxed judge, nbgrader bookkeeping,
  feedback, export), ``--jobs`` at a time; its CPU seconds are printed too (on a busy machine
  they say more than the wall time);
* plain nbgrader grades the same submissions in a copy of the course: ``nbgrader autograde``
  executing every notebook (the hidden test cells call the judge as an instructor's run does),
  ``generate_feedback`` and ``export``, as nbgrader does it out of the box.

Figures from one run on this machine (it's noisy: compare numbers from the same run).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grading import chapters, course, demo
from grading.autograde import autograde
from grading.release import release

PLAIN_CONFIG = '''# plain nbgrader: the course's paths, the learner's modules kept, everything else nbgrader's defaults
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "dlmath"
c.Autograde.exclude_overwriting = {exclude!r}
'''


def write_class(chapter_id: str, root: Path, copies: int) -> int:
    released = release(chapter_id, root)
    demo.write_class(chapter_id, root, released)
    submitted = root / "submitted"
    originals = [p for p in submitted.iterdir() if p.is_dir()]
    for k in range(1, copies):
        for folder in originals:
            shutil.copytree(folder, submitted / f"{folder.name}_{k}")
    return len(list(submitted.iterdir()))


def plain_nbgrader(chapter_id: str, root: Path, target: Path) -> float:
    shutil.copytree(root, target, ignore=shutil.ignore_patterns("autograded", "feedback", "intake", "verdicts",
                                                                "gradebook.db", "grades.csv", "autograde"))
    chapter = chapters.get(chapter_id)
    (target / "nbgrader_config.py").write_text(PLAIN_CONFIG.format(
        root=str(target), exclude={chapter_id: [f"dlmath/{m}.py" for m in chapter.modules]}))
    course.nbgrader(target, "db", "assignment", "add", chapter_id)
    course.nbgrader(target, "generate_assignment", chapter_id, "--force")  # the gradebook's record of the notebook
    start = time.perf_counter()
    for step in (["autograde", chapter_id, "--force"], ["generate_feedback", chapter_id, "--force"],
                 ["export", f"--to={target / 'grades.csv'}"]):
        done = subprocess.run([sys.executable, "-m", "nbgrader", *step], cwd=target, capture_output=True, text=True)
        if done.returncode != 0 and step[0] != "autograde":  # a killed kernel fails its student, not the run
            print(f"    plain nbgrader {step[0]} failed: {done.stderr[-300:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", default=["03_activations", "05_backprop"])
    parser.add_argument("--copies", type=int, default=3, help="copies of the simulated class (default 3)")
    parser.add_argument("--jobs", type=int, default=None, help="submissions judged at once (default: every core)")
    parser.add_argument("--skip-plain", action="store_true", help="don't time plain nbgrader")
    args = parser.parse_args()
    for chapter_id in args.chapters:
        with tempfile.TemporaryDirectory(prefix="dlmath-bench-") as tmp:
            root = Path(tmp) / "course"
            n = write_class(chapter_id, root, args.copies)
            before = os.times()
            result = autograde(chapter_id, root, jobs=args.jobs, log=lambda *_: None)
            after = os.times()
            cpu = sum(after[:4]) - sum(before[:4])  # this process and the children it waited for
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.stages.items())
            print(f"{chapter_id}: {n} submissions (load average {os.getloadavg()[0]:.1f})")
            print(f"  sandboxed pipeline, {result.jobs} at a time: {result.seconds:.1f} s, "
                  f"{result.seconds_per_submission:.2f} s per submission ({stages}); "
                  f"{cpu:.1f} CPU seconds, {cpu / n:.2f} per submission")
            slowest = max(result.students, key=lambda s: s.judge_seconds)
            print(f"    judge per submission: median {sorted(s.judge_seconds for s in result.students)[n // 2]:.2f} s "
                  f"(wall, its functions one after another), slowest {slowest.judge_seconds:.1f} s ({slowest.student})")
            if not args.skip_plain:
                seconds = plain_nbgrader(chapter_id, root, Path(tmp) / "plain")
                print(f"  plain nbgrader (executes every notebook, serial): {seconds:.1f} s, {seconds / n:.2f} s per submission")


if __name__ == "__main__":
    main()
