"""A class of attackers, graded once through the whole pipeline: each earns exactly its honest score.

The attacks (tests/attacks.py) are what a student who has read this repository tries: the
reference, the hidden fixtures, a classmate's work, the network, fork bombs and daemons,
killing the judge, garbling its protocol, lying return values, symbolic links and named
pipes, huge or corrupt files, tampered notebooks. Honest students are graded in the same run;
their grades and files must come out untouched, the grader's files unchanged, nothing may
outlive the run, and grading twice must give the same grades.
"""
from __future__ import annotations

import csv
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from attacks import ATTACKS, CHAPTER, SECRET, expected_scores
from grading import chapters, course, demo, judge, sandbox
from grading.autograde import autograde
from grading.release import release

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sandbox.probe() is not None, reason=f"no sandbox here: {sandbox.probe()}")]
FULL = {g.name: float(g.points) for g in chapters.get(CHAPTER).graded}
HONEST = {"correct": {}, "stubs": None, "naive_sigmoid": {"sigmoid": "return 1 / (1 + np.exp(-z))"}}


def digest(*folders: Path) -> str:
    sha = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink()):
            sha.update(str(path).encode() + path.read_bytes())
    return sha.hexdigest()


def running(marker: str) -> list[str]:
    """Processes whose command line holds ``marker``, except those of a sandbox another test started.

    With pytest-xdist another worker may be grading at this moment: its runners sit under a bwrap
    process in that worker's tree. Ours (still under our tree) and orphans (a daemon escapes every
    tree) count.
    """
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_text(errors="replace") and not _another_tests(pid):
                found.append(pid)
        except OSError:
            pass
    # a runner forks a child per graded function: one that ended while we looked (its parents unreadable
    # by then) outlived nothing. A process that outlives grading is still there a moment later.
    time.sleep(0.5)
    return [pid for pid in found if Path(f"/proc/{pid}").exists() and not _another_tests(pid)]


def _another_tests(pid: str) -> bool:
    """Is ``pid`` part of a sandbox (bwrap itself, or under it) that is not in this worker's tree?"""
    try:  # bwrap's own command line holds the runner's: it is a sandbox's process too
        sandboxed, itself = "bwrap" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"), True
    except OSError:
        return True  # it ended while we looked: it outlived nothing
    ancestors = set()
    while pid not in ("0", "1"):
        try:
            pid = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]  # the parent's pid
            sandboxed |= "bwrap" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        except (OSError, IndexError):
            if itself:  # it ended while we looked: it outlived nothing
                return True
            break
        itself = False
        ancestors.add(int(pid))
    return sandboxed and os.getpid() not in ancestors


class Listener:
    """A TCP server on the grader's loopback that records whatever reaches it."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.received: list[bytes] = []
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            with connection:
                self.received.append(connection.recv(1000) or b"<connected>")

    def close(self):
        self.stop = True
        self.thread.join()
        self.socket.close()


def write_class(root: Path, released: Path, port: int) -> None:
    context = {"repo": str(chapters.REPO), "course": str(root), "port": port, "secret": SECRET}
    for student, mistakes in HONEST.items():
        folder = root / "submitted" / student / CHAPTER
        shutil.copytree(released, folder)
        if mistakes is not None:
            (folder / "dlmath" / "activations.py").write_text(demo.solved_module("activations", mistakes, CHAPTER))
    for student, attack in ATTACKS.items():
        folder = root / "submitted" / student / CHAPTER
        shutil.copytree(released, folder)
        if attack.zeros:
            source = demo.honest_zeros()
        else:
            bodies = {name: body.format(**context) for name, body in attack.bodies.items()}
            source = demo.solved_module("activations", bodies, CHAPTER)
        (folder / "dlmath" / "activations.py").write_text(source)
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    for student, attack in ATTACKS.items():  # links to classmates need them in place first
        if attack.change:
            attack.change(root / "submitted" / student / CHAPTER, context)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    root = tmp_path_factory.mktemp("attacked-course")
    released = release(CHAPTER, root)
    listener = Listener()
    write_class(root, released, listener.port)
    grader_files = digest(chapters.REPO / "grading" / "fixtures", chapters.REPO / "dlmath")
    course_files = digest(root / "release", root / "source", root / "submitted")
    result = autograde(CHAPTER, root, jobs=2, log=lambda *_: None)
    after_run = digest(root / "gradebook.db", root / "grades.csv")
    time.sleep(6)  # the daemon would strike 4 s after it started
    listener.close()
    zeros_folder = tmp_path_factory.mktemp("zeros")
    shutil.copytree(released, zeros_folder, dirs_exist_ok=True)
    (zeros_folder / "dlmath" / "activations.py").write_text(demo.honest_zeros())
    zeros = {n: v.score for n, v in judge.judge_submission(CHAPTER, zeros_folder).items()}
    yield {"root": root, "result": result, "students": {s.student: s for s in result.students},
           "listener": listener, "zeros": zeros, "grader_files": grader_files, "course_files": course_files,
           "after_run": after_run}


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_each_attack_earns_exactly_its_honest_score(attacked, student):
    attack = ATTACKS[student]
    scores = attacked["students"][student].scores
    assert scores == expected_scores(attack, FULL, attacked["zeros"]), (attack.what, attacked["students"][student].notes)
    if attack.note:
        assert any(attack.note in note for note in attacked["students"][student].notes), attacked["students"][student].notes


def test_honest_students_graded_in_the_same_run_are_untouched(attacked):
    students, root = attacked["students"], attacked["root"]
    assert students["correct"].scores == FULL
    assert students["stubs"].scores == dict.fromkeys(FULL, 0)
    assert {n for n, v in students["naive_sigmoid"].scores.items() if v < FULL[n]} == {"sigmoid"}
    for student in HONEST:
        html = (root / "feedback" / student / CHAPTER / f"{CHAPTER}.html").read_text()
        assert "hidden checks passed" in html and SECRET not in html
        assert not students[student].notes


def test_nothing_reached_the_network(attacked):
    assert attacked["listener"].received == []


def test_the_graders_and_the_courses_files_are_unchanged(attacked):
    root = attacked["root"]
    assert digest(chapters.REPO / "grading" / "fixtures", chapters.REPO / "dlmath") == attacked["grader_files"]
    assert digest(root / "release", root / "source", root / "submitted") == attacked["course_files"]
    for path in [root / "gradebook.db", root / "grades.csv"]:
        assert SECRET.encode() not in path.read_bytes()


def test_no_process_outlives_grading_and_the_gradebook_stays_as_written(attacked):
    assert running("/runner/runner.py") == [] and running(SECRET) == []
    assert digest(attacked["root"] / "gradebook.db", attacked["root"] / "grades.csv") == attacked["after_run"]


def test_huge_files_and_output_are_not_copied_into_the_course(attacked):
    root = attacked["root"]
    sizes = {p: p.stat().st_size for folder in ["intake", "autograded", "feedback"]
             for p in (root / folder).rglob("*") if p.is_file() and not p.is_symlink()}
    largest = max(sizes, key=sizes.get)
    assert sizes[largest] < 2**20, largest  # the 120 MB module and the 30 MB notebook stayed out; no output was kept
    # each student keeps at most what a release holds, about three times over (intake, autograded, feedback):
    # the budget follows the release (whose public checks grow with the chapters), not a fixed figure
    release = sum(p.stat().st_size for p in (root / "release" / CHAPTER).rglob("*") if p.is_file())
    assert sum(sizes.values()) < 4 * release * len(attacked["students"])


def test_the_export_holds_every_student_with_the_registered_maximum(attacked):
    with open(attacked["root"] / "grades.csv", newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle) if r["assignment"] == CHAPTER}
    assert set(rows) == set(attacked["students"])
    for student, graded in attacked["students"].items():
        assert float(rows[student]["raw_score"]) == pytest.approx(graded.total)
        assert float(rows[student]["max_score"]) == sum(FULL.values())  # the forged 100-point cell added nothing


def test_autograde_by_hand_or_from_formgrader_refuses_and_names_the_command(attacked):
    root = attacked["root"]
    before = digest(root / "gradebook.db")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", CHAPTER, "--force"], cwd=root,
                          capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "DLMATH_VERDICTS"})
    assert done.returncode != 0
    assert f"python -m grading autograde {CHAPTER}" in done.stdout + done.stderr
    result = course.api(root).autograde(CHAPTER, "correct")  # what formgrader's Autograde button calls
    assert not result["success"] and f"python -m grading autograde {CHAPTER}" in result["error"]
    assert digest(root / "gradebook.db") == before
    assert not (root / "autograded" / "correct" / CHAPTER / "numpy.py").exists()


def test_grading_twice_gives_the_same_grades(attacked):
    again = autograde(CHAPTER, attacked["root"], jobs=2, log=lambda *_: None)
    assert {s.student: s.scores for s in again.students} == {s: g.scores for s, g in attacked["students"].items()}
