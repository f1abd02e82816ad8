"""Autograde a chapter: ``python -m grading autograde 03_activations``.

One pipeline, each step a function:

1. **intake** — register every student found in ``submitted/``; build the
   whitelisted copy of each submission (``grading.intake``).
2. **judge** — score each submission's functions out of process (``grading.judge``).
3. **nbgrader autograde** — run each notebook; its hidden test cells report the
   judge's verdicts as feedback. Kernels get an address-space limit, so a
   runaway allocation is a MemoryError in one cell rather than a dead kernel.
4. **reconcile** — write the judge's scores into the gradebook, whatever the
   notebook's kernel claimed (a tampered or crashed kernel can't change a grade).
5. **feedback and export** — ``nbgrader generate_feedback`` and ``nbgrader export``
   to ``course/grades.csv``.

Re-running it regrades from scratch and gives the same grades.
"""
from __future__ import annotations

import html
import shutil
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from grading import chapters, course, intake
from grading.harness import VERDICTS_ENV
from grading.judge import FunctionVerdict, judge_submission, to_json
from grading.release import release_dir


@dataclass
class Graded:
    student: str
    verdicts: dict[str, FunctionVerdict]
    judge_seconds: float
    ignored: list[str] = field(default_factory=list)
    notebook_failed: bool = False
    reconciled: list[str] = field(default_factory=list)

    @property
    def scores(self) -> dict[str, float]:
        return {name: v.score for name, v in self.verdicts.items()}

    @property
    def total(self) -> float:
        return round(sum(self.scores.values()), 6)

    @property
    def points(self) -> float:
        return sum(v.points for v in self.verdicts.values())


@dataclass
class ClassResult:
    chapter: str
    students: list[Graded]
    nbgrader_seconds: float

    @property
    def seconds_per_submission(self) -> float:
        judged = sum(s.judge_seconds for s in self.students)
        return (judged + self.nbgrader_seconds) / max(len(self.students), 1)

    def table(self) -> str:
        """Students × functions; columns are numbered, with the function names in a legend above."""
        functions = [g.name for g in chapters.get(self.chapter).graded]
        width = max([len("student")] + [len(s.student) for s in self.students])
        legend = "  ".join(f"[{i}]\u00a0{name}" for i, name in enumerate(functions, 1))  # no break inside an item
        head = f"{'student':<{width}} " + " ".join(f"{f'[{i}]':>6}" for i in range(1, len(functions) + 1)) + "      total"
        lines = [textwrap.fill(legend, width=max(len(head), 60), break_on_hyphens=False), head, "-" * len(head)]
        for s in self.students:
            cells = " ".join(f"{s.scores[n]:>6.3g}" for n in functions)
            lines.append(f"{s.student:<{width}} {cells} {s.total:>6.3g}/{s.points:g}")
        lines.append(f"{len(self.students)} submissions, {self.seconds_per_submission:.2f} s per submission "
                     f"(judge + nbgrader autograde, serial)")
        for s in self.students:
            for note in [*(f"ignored {i}" for i in s.ignored), *s.reconciled] + (["notebook failed to run"] if s.notebook_failed else []):
                lines.append(f"  {s.student}: {note}")
        return "\n".join(lines)


def _gradebook(root: Path) -> Gradebook:
    return Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="dlmath")


def _reconcile(gb: Gradebook, chapter: chapters.Chapter, student: str, verdicts: dict[str, FunctionVerdict]) -> list[str]:
    try:
        gb.find_submission(chapter.id, student)
    except MissingEntry:  # nbgrader never got as far as this student: the judge's grades still stand
        gb.add_submission(chapter.id, student)
    notes = []
    for name, verdict in verdicts.items():
        grade_id = chapter.function(name).grade_id
        grade = gb.find_grade(grade_id, chapter.id, chapter.id, student)
        if grade.auto_score is not None and abs(grade.auto_score - verdict.score) > 1e-9:
            notes.append(f"{grade_id}: kernel reported {grade.auto_score:g}, judge {verdict.score:g} (judge kept)")
        grade.auto_score = verdict.score
        grade.needs_manual_grade = False
    gb.db.commit()
    return notes


def _write_fallback_feedback(root: Path, chapter: chapters.Chapter, student: str, verdicts) -> None:
    """nbgrader writes no feedback for a notebook that could not run (its kernel died): say what happened."""
    reports = "\n\n".join(html.escape(v.report()) for v in verdicts.values())
    total = sum(v.score for v in verdicts.values())
    points = sum(v.points for v in verdicts.values())
    page = (f"<!doctype html><meta charset='utf-8'><title>{chapter.id} feedback</title>"
            f"<h1>{chapter.id}: {total:g} / {points:g} points</h1>"
            "<p>Your notebook could not be run to the end during grading (its kernel stopped, for example "
            "because a function ended the Python process). Your functions were graded directly on the hidden "
            "inputs, so only the function at fault lost points:</p>"
            f"<pre>{reports}</pre>")
    target = root / "feedback" / student / chapter.id
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{chapter.id}.html").write_text(page, encoding="utf-8")


def _submissions(chapter: chapters.Chapter, root: Path) -> list[Path]:
    if not release_dir(chapter.id, root).is_dir():
        raise SystemExit(f"{release_dir(chapter.id, root)} does not exist: run `python -m grading release {chapter.id}` first")
    submitted = sorted(p for p in (root / "submitted").glob(f"*/{chapter.id}") if p.is_dir())
    if not submitted:
        raise SystemExit(f"no submissions in {root / 'submitted'}/*/{chapter.id}")
    return submitted


def intake_and_judge(chapter: chapters.Chapter, root: Path, verdict_dir: Path, log) -> dict[str, Graded]:
    """Steps 1–2: register, whitelist and judge every submission; save the verdicts for the kernels."""
    results = {}
    with _gradebook(root) as gb:
        for folder in _submissions(chapter, root):
            student = folder.parent.name
            gb.update_or_create_student(student)
            taken = root / "intake" / student / chapter.id
            ignored = intake.take(chapter, folder, release_dir(chapter.id, root), taken)
            start = time.perf_counter()
            verdicts = judge_submission(chapter.id, taken)
            seconds = time.perf_counter() - start
            (verdict_dir / f"{student}.json").write_text(to_json(chapter.id, verdicts), encoding="utf-8")
            results[student] = Graded(student, verdicts, seconds, ignored)
            log(f"judged {student}: {results[student].total:g} points in {seconds:.2f} s")
    return results


def run_notebooks(chapter: chapters.Chapter, root: Path, verdict_dir: Path, log) -> float:
    """Step 3: nbgrader autograde on the intake copies; return its seconds. A failed notebook is logged, not fatal."""
    start = time.perf_counter()
    try:
        course.nbgrader(root, "autograde", chapter.id, "--force", "--CourseDirectory.submitted_directory=intake",
                        env={VERDICTS_ENV: str(verdict_dir)}, limit_memory=True)
    except RuntimeError as error:  # e.g. a kernel died: that student's grades still come from the judge
        log(str(error).splitlines()[0])
    return time.perf_counter() - start


def reconcile(chapter: chapters.Chapter, root: Path, results: dict[str, Graded]) -> None:
    """Step 4: the judge's scores go into the gradebook, whatever each kernel reported."""
    with _gradebook(root) as gb:
        for student, graded in results.items():
            graded.reconciled = _reconcile(gb, chapter, student, graded.verdicts)
            graded.notebook_failed = not (root / "autograded" / student / chapter.id / f"{chapter.id}.ipynb").exists()


def feedback_and_export(chapter: chapters.Chapter, root: Path, results: dict[str, Graded]) -> None:
    """Step 5: feedback HTML for everyone (our own page where nbgrader had no notebook), then grades.csv."""
    course.nbgrader(root, "generate_feedback", chapter.id, "--force")
    for student, graded in results.items():
        if graded.notebook_failed:
            _write_fallback_feedback(root, chapter, student, graded.verdicts)
    course.nbgrader(root, "export", f"--to={root / 'grades.csv'}")


def autograde(chapter_id: str, root: Path | None = None, log=print) -> ClassResult:
    """Grade every ``submitted/<student>/<chapter>/``: the five steps above, in order."""
    chapter = chapters.get(chapter_id)
    root = root or course.root()
    verdict_dir = root / "verdicts" / chapter.id
    shutil.rmtree(verdict_dir, ignore_errors=True)
    verdict_dir.mkdir(parents=True)
    results = intake_and_judge(chapter, root, verdict_dir, log)
    nbgrader_seconds = run_notebooks(chapter, root, verdict_dir, log)
    reconcile(chapter, root, results)
    feedback_and_export(chapter, root, results)
    return ClassResult(chapter.id, list(results.values()), nbgrader_seconds)
