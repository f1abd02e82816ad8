"""Autograde a chapter: ``python -m grading autograde 03_activations [--jobs N] [--no-sandbox]``.

One pipeline, each step a function:

1. **intake** — build the checked copy of each submission in ``course/intake/`` (``grading.intake``):
   no symbolic link followed, no special file opened, no oversized file read; a missing or
   broken notebook replaced by the released one. ``submitted/`` is never modified.
2. **judge** — run each submission's functions in the sandbox on hidden inputs and compare in
   this process (``grading.judge``). Steps 1 and 2 run ``--jobs`` submissions at a time (default:
   every core), each job with one sandboxed runner that grades submission after submission.
3. **nbgrader** — as soon as a submission is judged: ``autograde`` on its intake copy, where the
   judge's verdicts are written into the hidden test cells instead of executing anything
   (``grading.nbgrader_plugins``), then ``generate_feedback``; in bookkeeper processes working
   alongside the judge, gradebook writes one at a time.
4. **check** — the gradebook must hold exactly the judge's scores, and the hidden fixture, the
   release and the source must be byte for byte what they were before the run.
5. **export** — ``course/grades.csv``, and ``course/autograde/<chapter>.json``: the record of this
   run (sandboxed or not, the notes each student got).

A submission that breaks anything costs only its own points; re-running gives the same grades.
"""
from __future__ import annotations

import concurrent.futures
import fcntl
import hashlib
import json
import multiprocessing
import os
import queue
import shutil
import textwrap
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from grading import chapters, course, intake, judge, nbgrader_plugins, sandbox
from grading.nbgrader_plugins import VERDICTS_ENV, verdict_path
from grading.release import release_dir

UNSANDBOXED_NOTE = ("graded WITHOUT a sandbox (--no-sandbox): the grader's integrity guarantees did not hold "
                    "for this run")


@dataclass
class Graded:
    student: str
    verdicts: dict[str, judge.FunctionVerdict]
    judge_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    nbgrader_error: str = ""

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
    seconds: float
    stages: dict[str, float]
    jobs: int
    sandboxed: bool

    @property
    def seconds_per_submission(self) -> float:
        return self.seconds / max(len(self.students), 1)

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
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in self.stages.items())
        lines.append(f"{len(self.students)} submissions in {self.seconds:.1f} s, {self.seconds_per_submission:.2f} s per "
                     f"submission, {self.jobs} at a time ({stages})"
                     + ("" if self.sandboxed else " — WITHOUT SANDBOX (--no-sandbox)"))
        for s in self.students:
            for note in s.notes + ([f"nbgrader failed: {s.nbgrader_error}"] if s.nbgrader_error else []):
                lines.append(f"  {s.student}: {note}")
        return "\n".join(lines)


def _submissions(chapter: chapters.Chapter, root: Path, students: list[str] | None) -> dict[str, Path]:
    if not release_dir(chapter.id, root).is_dir():
        raise SystemExit(f"{release_dir(chapter.id, root)} does not exist: run `python -m grading release {chapter.id}` first")
    found = {p.parent.name: p for p in sorted((root / "submitted").glob(f"*/{chapter.id}"))
             if p.is_dir() and not p.is_symlink() and not p.parent.is_symlink()}
    if students:
        missing = sorted(set(students) - set(found))
        if missing:
            raise SystemExit(f"no submission of {chapter.id} for {', '.join(missing)} in {root / 'submitted'}")
        found = {s: found[s] for s in students}
    if not found:
        raise SystemExit(f"no submissions in {root / 'submitted'}/*/{chapter.id}")
    return found


def _progress(iterable, total: int, description: str, show: bool):
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=description, unit="", leave=False)


# ---- steps 1–2: intake and judge ---------------------------------------------------------------------

def judge_each(chapter: chapters.Chapter, root: Path, submissions: dict[str, Path], jobs: int, sandboxed: bool,
               show_progress: bool, sessions: list[judge.Session]):
    """Yield (student, notes, verdicts, seconds) as each submission is taken in and judged. Every submission
    is one unit of work; ``jobs`` run at once, each job with a sandboxed runner of its own that grades
    submission after submission (a fresh child per function, nothing left behind between them): one of
    ``sessions`` (runners already started), or one it starts and adds there. The caller closes them. The
    judge reads the graded modules from ``submitted/`` the way intake does; the intake copy is nbgrader's."""
    plan, release = judge.plan(chapter.id), release_dir(chapter.id, root)
    runners: queue.SimpleQueue = queue.SimpleQueue()
    for session in sessions:
        runners.put(session)

    def work(student: str):
        notes = intake.take(chapter, submissions[student], release, root / "intake" / student / chapter.id)
        try:
            session = runners.get_nowait()
        except queue.Empty:
            session = judge.Session(plan, sandboxed)
            sessions.append(session)
        try:
            start = time.perf_counter()
            verdicts = judge.judge_submission(chapter.id, submissions[student], sandboxed, session=session)
            return student, notes, verdicts, time.perf_counter() - start
        finally:
            runners.put(session)

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(work, s) for s in submissions]
        for future in _progress(concurrent.futures.as_completed(futures), len(futures), "grading", show_progress):
            yield future.result()  # a GraderError (the grader's fault) stops the run


# ---- step 3: nbgrader, in worker processes ---------------------------------------------------------

_apis: dict = {}


def _nbgrader_apis(root: Path) -> tuple:
    """nbgrader's API for autograde (of the intake copies) and for generate_feedback, whose folder gets the
    page and the exchange's secret but not nbgrader's copy of the whole package (the page shows the graded
    modules; ``release_feedback`` sends only pages)."""
    if root not in _apis:
        intake_as_submitted = {"CourseDirectory.submitted_directory": "intake"}
        autograding = course.api(root, intake_as_submitted)
        page_only = {**intake_as_submitted, "CourseDirectory.ignore": autograding.coursedir.ignore + ["dlmath"]}
        _apis[root] = (autograding, course.api(root, page_only))
    return _apis[root]


def _nbgrader_one(root: Path, chapter_id: str, student: str, verdict_dir: Path) -> str:
    """autograde + generate_feedback for one student, in a bookkeeper process; returns the error ('' if fine)."""
    previous = os.environ.get(VERDICTS_ENV)
    os.environ[VERDICTS_ENV] = str(verdict_dir)  # lets nbgrader's autograde through (nbgrader_plugins)
    # nbgrader 0.9 on SQLAlchemy 2 warns about its own session handling on every submission: noise here
    warnings.filterwarnings("ignore", message=".*not in session.*")
    try:
        autograding, feedback = _nbgrader_apis(root)
        result = nbgrader_plugins.autograde_in_one_pass(autograding, chapter_id, student)
        if result["success"]:
            result = feedback.generate_feedback(chapter_id, student, force=True)
        return "" if result["success"] else (result.get("error") or result.get("log") or "failed")[-1500:]
    finally:
        if previous is None:
            os.environ.pop(VERDICTS_ENV, None)
        else:
            os.environ[VERDICTS_ENV] = previous


def _warm_up(chapter: chapters.Chapter, root: Path) -> None:
    """What every bookkeeper would otherwise do first, each on its own: read the course's nbgrader settings,
    and compile the feedback templates and render the chapter notebook's markdown and code, which most
    submissions share (``FeedbackExporter`` remembers them). Done once in this process before the
    bookkeepers are forked, they start with it done. The page itself is thrown away."""
    import nbformat
    from nbgrader.converters import GenerateFeedback

    _, api = _nbgrader_apis(root)
    try:
        converter = GenerateFeedback(coursedir=api.coursedir, parent=api)
        exporter = converter.exporter_class(parent=converter, config=converter.config)
        notebook = nbformat.read(root / "source" / chapter.id / f"{chapter.id}.ipynb", as_version=4)
        for cell in notebook.cells:  # what nbgrader's GetGrades adds before the page is made
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                meta["score"] = 0
            if meta.get("grade") or meta.get("solution"):
                meta["comment"] = None
        exporter.from_notebook_node(notebook, resources={
            "nbgrader": {"notebook": chapter.id, "score": 0, "max_score": 0, "late_penalty": 0}})
    except Exception:  # only means the bookkeepers start cold; a real fault shows, per student, in their pages
        pass


def _ready(root: Path, runner_pipes: list[int]) -> None:
    """Every bookkeeper starts with this (forked before any judging thread exists): it lets go of the
    judge's runners' pipes it inherited, and its gradebook sessions take turns with the other
    bookkeepers', over one database engine."""
    for fd in runner_pipes:
        try:
            os.close(fd)
        except OSError:
            pass
    _one_gradebook_session_at_a_time(root / ".gradebook.lock")
    _one_engine_per_database()


def _one_engine_per_database() -> None:
    """nbgrader opens a new ``Gradebook`` about ten times per submission, and each makes a new SQLAlchemy
    engine (whose cache of compiled queries starts empty: compiling them was a third of the gradebook's
    cost), re-checks that every table exists and that the course has its row. In a bookkeeper the first
    ``Gradebook`` of a database and course is nbgrader's own; later ones reuse its engine and skip both
    checks (the tables and the course row exist by then). The rest of ``Gradebook.__init__`` is
    nbgrader's, line for line. For bookkeeper processes only."""
    import nbgrader.api
    from sqlalchemy.orm import scoped_session, sessionmaker

    Gradebook = nbgrader.api.Gradebook
    if getattr(Gradebook, "_dlmath_engines", None) is not None:
        return
    engines, checked, first_init = {}, set(), Gradebook.__init__

    def init(self, db_url: str, course_id: str = "default_course", authenticator=None):
        if db_url not in engines:
            first_init(self, db_url, course_id, authenticator)
            engines[db_url] = self.engine
            checked.add((db_url, course_id))
            return
        self.engine = engines[db_url]
        self.db = scoped_session(sessionmaker(autoflush=True, bind=self.engine, future=True))
        if (db_url, course_id) not in checked:
            self.check_course(course_id=course_id)
            checked.add((db_url, course_id))
        self.course_id = course_id
        self.authenticator = authenticator

    Gradebook.__init__, Gradebook._dlmath_engines = init, engines


def _one_gradebook_session_at_a_time(lock_path: Path) -> None:
    """SQLite has one writer: while this process is inside ``with Gradebook(...)`` (every gradebook access
    nbgrader makes), it holds an exclusive lock on ``lock_path``. The notebooks are processed in parallel;
    only the gradebook reads and writes take turns. For bookkeeper processes only (they are ours alone)."""
    from nbgrader.api import Gradebook

    if getattr(Gradebook, "_dlmath_turns", None):
        return
    enter, leave, depth = Gradebook.__enter__, Gradebook.__exit__, {"n": 0, "lock": None}

    def release():
        depth["n"] -= 1
        if depth["n"] == 0:
            depth["lock"].close()  # closing the file releases the lock

    def entered(self):
        if depth["n"] == 0:  # (nbgrader may open a gradebook inside another: one lock per process)
            depth["lock"] = open(lock_path, "a")
            fcntl.flock(depth["lock"], fcntl.LOCK_EX)
        depth["n"] += 1
        try:
            return enter(self)
        except BaseException:
            release()
            raise

    def left(self, *exc):
        try:
            return leave(self, *exc)
        finally:
            release()

    Gradebook.__enter__, Gradebook.__exit__, Gradebook._dlmath_turns = entered, left, True


def grade_each(chapter: chapters.Chapter, root: Path, submissions: dict[str, Path], jobs: int, sandboxed: bool,
               show_progress: bool, stages: dict) -> tuple[dict[str, Graded], dict[str, str]]:
    """Steps 1 to 3, overlapped: each submission's verdicts go to nbgrader as soon as the judge has them.

    nbgrader runs in bookkeeper processes (one per job; gradebook writes one at a time), forked
    before the judging threads start. ``stages`` gets the judging time and nbgrader's tail after it."""
    verdict_dir = root / "verdicts" / chapter.id
    shutil.rmtree(verdict_dir, ignore_errors=True)
    verdict_dir.mkdir(parents=True)
    results, pending = {}, {}
    workers = max(1, min(jobs, len(submissions)))
    _apis.clear()  # (settings are read again for every run)
    # the runners start (Python and NumPy, in their sandboxes) while this process warms up
    sessions = [judge.Session(judge.plan(chapter.id), sandboxed, wait=False) for _ in range(workers)]
    try:
        _warm_up(chapter, root)
        context = multiprocessing.get_context("fork")  # bookkeepers start with the grader already imported and warm
        pipes = [fd for session in sessions for fd in session.pipes()]
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_ready,
                                                    initargs=(root, pipes)) as bookkeepers:
            bookkeepers.submit(_ready, root, []).result()  # with "fork" the first task starts every worker: before any thread
            mark = time.perf_counter()
            for student, notes, verdicts, seconds in judge_each(chapter, root, submissions, jobs, sandboxed,
                                                                show_progress, sessions):
                graded = results[student] = Graded(student, verdicts, seconds,
                                                   notes + ([] if sandboxed else [UNSANDBOXED_NOTE]))
                record = json.loads(judge.to_json(chapter.id, graded.verdicts))
                verdict_path(verdict_dir, student).write_text(json.dumps({**record, "notes": graded.notes}), encoding="utf-8")
                pending[student] = bookkeepers.submit(_nbgrader_one, root, chapter.id, student, verdict_dir)
            stages["intake and judge"] = time.perf_counter() - mark
            for session in sessions:  # (their runners are done: nothing waits for them any more)
                session.close()
            mark = time.perf_counter()
            errors = {student: future.result() for student, future in pending.items()}
            stages["nbgrader"] = time.perf_counter() - mark
    finally:
        for session in sessions:
            session.close()
    return {s: results[s] for s in submissions}, errors


# ---- steps 4–5: check the gradebook, export ---------------------------------------------------------

def check_gradebook(chapter: chapters.Chapter, root: Path, results: dict[str, Graded]) -> None:
    """Every hidden test cell's grade is the judge's score (anything else is a grader bug: fix and say so)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="dlmath") as gb:
        for student, graded in results.items():
            try:
                notebook = gb.find_submission_notebook(chapter.id, chapter.id, student)
            except MissingEntry:  # nbgrader failed before recording this submission (or its student)
                gb.update_or_create_student(student)
                gb.add_submission(chapter.id, student)
                notebook = gb.find_submission_notebook(chapter.id, chapter.id, student)
            grades = {grade.name: grade for grade in notebook.grades}
            for name, verdict in graded.verdicts.items():
                grade = grades[chapter.function(name).grade_id]
                if grade.auto_score is None or abs(grade.auto_score - verdict.score) > 1e-9:
                    if not graded.nbgrader_error:
                        graded.notes.append(f"{name}: the gradebook held {grade.auto_score}, set to the judge's {verdict.score:g}")
                    grade.auto_score = verdict.score
                grade.needs_manual_grade = False
        gb.db.commit()


def export(root: Path) -> None:
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin()
    plugin.to = str(root / "grades.csv")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="dlmath") as gb:
        plugin.export(gb)


def _write_fallback_feedback(root: Path, chapter: chapters.Chapter, graded: Graded) -> None:
    """Feedback for a submission nbgrader could not process: the judge's reports, and why."""
    import html

    reports = "\n\n".join(html.escape(v.report()) for v in graded.verdicts.values())
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in graded.notes)
    page = (f"<!doctype html><meta charset='utf-8'><title>{chapter.id} feedback</title>"
            f"<h1>{chapter.id}: {graded.total:g} / {graded.points:g} points</h1>"
            + (f"<ul>{notes}</ul>" if notes else "")
            + f"<p>Your functions were graded on the hidden inputs:</p><pre style='white-space: pre-wrap'>{reports}</pre>")
    target = root / "feedback" / graded.student / chapter.id
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{chapter.id}.html").write_text(page, encoding="utf-8")


def _grader_files(chapter: chapters.Chapter, root: Path) -> str:
    """A digest of what grading must never change: the hidden fixture, the release and the source."""
    digest = hashlib.sha256(chapter.hidden_fixture.read_bytes())
    for folder in (release_dir(chapter.id, root), root / "source" / chapter.id):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def _record(chapter: chapters.Chapter, root: Path, result: ClassResult) -> Path:
    path = root / "autograde" / f"{chapter.id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "chapter": chapter.id, "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sandboxed": result.sandboxed, "jobs": result.jobs, "seconds": round(result.seconds, 2),
        "students": {s.student: {"total": s.total, "points": s.points, "notes": s.notes} for s in result.students},
    }, indent=1), encoding="utf-8")
    return path


def autograde(chapter_id: str, root: Path | None = None, jobs: int | None = None, sandboxed: bool = True,
              students: list[str] | None = None, log=print, show_progress: bool = False) -> ClassResult:
    """Grade every ``submitted/<student>/<chapter>/`` (or the ``students`` named): the steps above, in order."""
    chapter = chapters.get(chapter_id)
    root = (root or course.root()).resolve()
    jobs = jobs or os.cpu_count() or 1
    if sandboxed and (reason := sandbox.probe()):
        raise sandbox.SandboxUnavailable(
            f"no sandbox can be made on this machine: {reason}.\nAutograde refuses to run student code "
            f"unconfined; to do it anyway, pass --no-sandbox (it is printed and recorded with the grades).")
    submissions = _submissions(chapter, root, students)
    stages, start = {}, time.perf_counter()
    untouched = _grader_files(chapter, root)

    results, errors = grade_each(chapter, root, submissions, jobs, sandboxed, show_progress, stages)

    mark = time.perf_counter()
    for student, error in errors.items():
        results[student].nbgrader_error = error.strip().splitlines()[-1] if error.strip() else ""
        if error:
            log(f"nbgrader could not process {student}'s notebook; the judge's grades stand:\n{error}")
            _write_fallback_feedback(root, chapter, results[student])
    check_gradebook(chapter, root, results)
    export(root)
    stages["export"] = time.perf_counter() - mark
    if _grader_files(chapter, root) != untouched:
        raise judge.GraderError(f"the fixture, release or source of {chapter.id} changed during grading: "
                                "restore them (`python -m grading release`) and investigate before trusting these grades")

    result = ClassResult(chapter.id, list(results.values()), time.perf_counter() - start, stages, jobs, sandboxed)
    _record(chapter, root, result)
    return result
