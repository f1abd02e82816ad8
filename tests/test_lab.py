"""`make lab` builds the student edition and serves it; the workspace never overwrites a learner's files."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import CHAPTER
from grading import chapters, demo, workspace
from grading.chapters import REPO

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_lab_serves_the_student_notebook_through_the_contents_api(tmp_path):
    port, token = free_port(), "dlmath-test-token"
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token}"
    env = {**os.environ, "DLMATH_COURSE": str(tmp_path / "course")}
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
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_rebuilding_the_workspace_keeps_the_learners_work(tmp_path):
    course_root, root = tmp_path / "course", tmp_path / "workspace"
    workspace.build(root, course_root, log=lambda *_: None)
    mine = root / CHAPTER / "dlmath" / "activations.py"
    mine.write_text(mine.read_text() + "\n# my work\n")
    (root / CHAPTER / f"{CHAPTER}.ipynb").unlink()  # a deleted file comes back
    messages = []
    workspace.build(root, course_root, log=messages.append)
    assert mine.read_text().endswith("# my work\n")
    assert (root / CHAPTER / f"{CHAPTER}.ipynb").exists()
    assert any("kept yours: dlmath/activations.py" in m for m in messages)


def test_progress_shows_each_chapter(tmp_path):
    root = tmp_path / "workspace"
    workspace.build(root, tmp_path / "course", log=lambda *_: None)
    (root / "02_forward" / "dlmath" / "layers.py").write_text(demo.solved_module("layers", chapter_id="02_forward"))
    lines = workspace.progress(root)
    assert [line.split()[0] for line in lines] == list(chapters.CHAPTERS)
    assert "ungraded" in lines[0]
    for line, chapter in zip(lines[1:], list(chapters.CHAPTERS.values())[1:]):
        done = len(chapter.graded) if chapter.id == "02_forward" else 0
        assert f"{done}/{len(chapter.graded)} functions pass all their checks" in line, line
