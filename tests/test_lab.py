"""`make lab` builds the student edition and serves it; the workspace never overwrites a learner's files,
never touches the instructor's course/, ships no byte-code caches, and re-running it releases nothing
that didn't change.

The lab's mechanics are tested on a few chapters (``LAB``: the ungraded one, one module, two modules),
released once per session (``lab_build``) and shared by the tests, so they run in one xdist worker
(tests/conftest.py); that every chapter releases is test_release.py's business."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import CHAPTER
from grading import chapters, demo, workspace
from grading.chapters import REPO
from grading.release import release_dir

pytestmark = pytest.mark.slow
LAB = ["00_start_here", "02_forward", CHAPTER, "05_backprop"]


@pytest.fixture(scope="session")
def lab_build(tmp_path_factory):
    """Every chapter released once into a lab build folder, with the workspace that first build gave."""
    base = tmp_path_factory.mktemp("lab")
    # byte-code is written, as on a learner's machine (this one may set PYTHONDONTWRITEBYTECODE), so the
    # test that releases hold no __pycache__ can fail
    saved = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        workspace.build(base / "workspace", base / "build", log=lambda *_: None, only=LAB)
    finally:
        if saved is not None:
            os.environ["PYTHONDONTWRITEBYTECODE"] = saved
    return base / "build"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_lab_serves_the_student_notebook_through_the_contents_api(tmp_path, lab_build):
    port, token = free_port(), "dlmath-test-token"
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token}"
    env = {**os.environ, "DLMATH_COURSE": str(tmp_path / "course"), workspace.BUILD_ENV: str(lab_build),
           workspace.CHAPTERS_ENV: ",".join(LAB)}
    server = subprocess.Popen(["make", "lab", f"WORKSPACE={tmp_path / 'workspace'}", f"LAB_ARGS={args}"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}/api/contents/{CHAPTER}/{CHAPTER}.ipynb?content=1&token={token}"
    try:
        deadline, reply = time.monotonic() + 180, None
        while time.monotonic() < deadline and reply is None:
            assert server.poll() is None, "make lab exited"
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    reply = json.load(response)
            except OSError:
                time.sleep(1)
        assert reply is not None, "JupyterLab did not serve the notebook in time"
        assert reply["type"] == "notebook"
        sources = "\n".join("".join(c["source"]) for c in reply["content"]["cells"])
        assert 'dlmath.check("sigmoid")' in sources and "grading.harness" not in sources
        stub = (tmp_path / "workspace" / CHAPTER / "dlmath" / "activations.py").read_text()
        assert "raise NotImplementedError" in stub and "BEGIN SOLUTION" not in stub
        assert not (tmp_path / "course").exists()  # the instructor's course directory is not the lab's
        # nbgrader's instructor and exchange panels are hidden from a learner's lab; Validate stays
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=30) as response:
            page = response.read().decode()
        config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S).group(1))
        disabled = set(config["disabledExtensions"])
        assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:assignment-list",
                "@jupyter/nbgrader:create-assignment"} <= disabled, disabled
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/formgrader?token={token}", timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_rebuilding_the_workspace_keeps_the_learners_work(tmp_path, lab_build):
    root = tmp_path / "workspace"
    workspace.build(root, lab_build, log=lambda *_: None, only=LAB)
    mine = root / CHAPTER / "dlmath" / "activations.py"
    mine.write_text(mine.read_text() + "\n# my work\n")
    (root / CHAPTER / f"{CHAPTER}.ipynb").unlink()  # a deleted file comes back
    messages = []
    workspace.build(root, lab_build, log=messages.append, only=LAB)
    assert mine.read_text().endswith("# my work\n")
    assert (root / CHAPTER / f"{CHAPTER}.ipynb").exists()
    kept = [m for m in messages if "kept yours" in m]
    assert kept == [m for m in messages if "kept yours: dlmath/activations.py" in m] and len(kept) == 1, messages


def test_the_lab_never_touches_the_instructors_course_and_ships_no_caches(tmp_path, lab_build, monkeypatch):
    course_dir = tmp_path / "course"
    monkeypatch.setenv("DLMATH_COURSE", str(course_dir))
    monkeypatch.setenv(workspace.BUILD_ENV, str(lab_build))
    monkeypatch.setenv(workspace.CHAPTERS_ENV, ",".join(LAB))
    root = tmp_path / "workspace"
    folders = workspace.build(root, log=lambda *_: None)  # no build folder given, as `make lab` calls it
    assert not course_dir.exists()
    assert [f.name for f in folders] == LAB
    for where in (lab_build / "release", root):
        caches = [p for p in where.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
        assert caches == [], caches[:5]


def test_rerunning_the_lab_releases_only_chapters_whose_sources_changed(tmp_path, lab_build, monkeypatch):
    calls = []

    def recording_release(chapter_id, root):
        calls.append(chapter_id)
        return release_dir(chapter_id, root)

    monkeypatch.setattr(workspace, "release", recording_release)
    messages = []
    workspace.build(tmp_path / "workspace", lab_build, log=messages.append, only=LAB)
    assert calls == [] and len(messages) == len(LAB) and all("(release unchanged)" in m for m in messages), messages
    digest = workspace.source_digest
    monkeypatch.setattr(workspace, "source_digest", lambda c: digest(c) + ("x" if c.id == CHAPTER else ""))
    workspace.build(tmp_path / "workspace", lab_build, log=messages.append, only=LAB)
    assert calls == [CHAPTER]


def test_a_newer_release_updates_the_files_the_learner_never_touched(tmp_path, lab_build):
    build = tmp_path / "build"
    shutil.copytree(lab_build, build)
    root = tmp_path / "workspace"
    workspace.build(root, build, log=lambda *_: None, only=LAB)
    mine = root / CHAPTER / "dlmath" / "activations.py"
    mine.write_text(mine.read_text() + "\n# my work\n")
    release = release_dir(CHAPTER, build)
    for name in (f"{CHAPTER}.ipynb", "dlmath/activations.py"):  # a new edition of both files
        (release / name).write_text((release / name).read_text() + "\n")
    messages = []
    workspace.build(root, build, log=messages.append, only=LAB)
    assert (root / CHAPTER / f"{CHAPTER}.ipynb").read_text() == (release / f"{CHAPTER}.ipynb").read_text()
    assert mine.read_text().endswith("# my work\n")
    assert any(m.startswith(f"{CHAPTER}: 0 file(s) added, 1 updated, 1 of your changed files kept") for m in messages), messages


def test_progress_shows_each_chapter(tmp_path, lab_build):
    root = tmp_path / "workspace"
    workspace.build(root, lab_build, log=lambda *_: None, only=LAB)
    (root / "02_forward" / "dlmath" / "layers.py").write_text(demo.solved_module("layers", chapter_id="02_forward"))
    lines = workspace.progress(root)
    assert [line.split()[0] for line in lines] == LAB
    assert "ungraded" in lines[0]
    for line, chapter in zip(lines[1:], [chapters.get(c) for c in LAB[1:]]):
        done = len(chapter.graded) if chapter.id == "02_forward" else 0
        assert f"{done}/{len(chapter.graded)} functions pass all their checks" in line, line
