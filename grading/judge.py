"""The trusted side of grading: score a submission's functions on hidden inputs.

The judge never imports the submission. It starts a sandboxed runner (``grading.sandbox`` +
``grading.runner``): a pristine parent holding NumPy and the chapter's student edition of dlmath
(where every graded function of the chapter is a stub), which forks a fresh child for every
request. For each graded function F the child gets the submission's graded modules (as text),
F's inputs — never an expected value — and the reference code of exactly the functions F
builds on (the chapter registry's ``builds_on``, transitively); the judge checks the outputs,
and whether the inputs were changed in place, in its own process, with the comparison the
learner's checks use. When the child is done the parent kills and deletes everything it left
behind, so no reference, no file and no process passes to the next function or the next
student: one runner grades many submissions (``Session``, shared by the class-wide grader).

A function that hangs, crashes its child, exhausts its memory or CPU seconds, or garbles its
reply costs only its own points; if the runner itself stops answering, the rest continues in a
fresh one.

Each function's score is ``points × weight of the passed cases / total weight`` (``compare.grade``: no
points for a constant output): partial credit per check.

``python -m grading.judge CHAPTER SUBMISSION_DIR [--no-sandbox]`` prints the verdict as JSON
(the notebook's hidden test cells call it that way when an instructor runs a notebook).
"""
from __future__ import annotations

import atexit
import functools
import json
import marshal
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dlmath.checking import arrays
from dlmath.checking.cases import Case, FunctionSpec, load_chapter_file
from dlmath.checking.compare import Outcome, grade as grade_results, judge as judge_case
from grading import chapters, editions, intake, runner, sandbox

SECONDS_PER_FUNCTION = 10.0    # wall clock for all of one function's cases
SECONDS_TO_LOAD = 10.0         # importing the learner's modules
SECONDS_TO_START = 120.0       # Python + NumPy inside the sandbox (the grader's own cost, never the learner's)
SECONDS_TO_CLEAN = 30.0        # the runner's parent, after a child: kill what is left, delete files
REPLY_LIMIT = 64 * 1024**2     # bytes one function may send back
HEADER_LIMIT = 4 * 1024**2
RUNNER = Path(runner.__file__).resolve()


class GraderError(RuntimeError):
    """The grader itself failed (not the submission): the run must stop rather than hand out wrong grades."""


@dataclass
class Check:
    name: str
    passed: bool
    problem: str = ""
    hint: str = ""


@dataclass
class FunctionVerdict:
    function: str
    qualname: str
    points: float
    score: float
    checks: list[Check] = field(default_factory=list)

    def report(self) -> str:
        passed = sum(c.passed for c in self.checks)
        lines = [f"{self.qualname}: {passed}/{len(self.checks)} hidden checks passed → "
                 f"{self.score:g} of {self.points:g} point{'s' if self.points != 1 else ''}"]
        for check in self.checks:
            lines.append(f"  {'✓' if check.passed else '✗'} {check.name}" + ("" if check.passed else f": {check.problem}"))
            if check.hint and not check.passed:
                lines.append(f"      hint: {check.hint}")
        return "\n".join(lines)


# ---- the plan of a chapter: reference sets, chains, editions -------------------------------------

def closure(chapter: chapters.Chapter, name: str) -> frozenset[str]:
    """The reference code ``name`` is graded with: what it builds on, and what those references call.

    Only *calls* are followed beyond the first step: ``Value.backward`` builds on every operation
    (its checks run programs made of them), but ``Value.__add__``, which builds on ``backward``,
    needs backward's code, not every operation backward's own checks use.
    """
    found, todo = set(), list(chapter.function(name).builds_on)
    while todo:
        current = todo.pop()
        if current in found or current == name:
            continue
        found.add(current)
        graded = chapter.function(current)
        siblings = {g.name for g in chapter.graded if g.module == graded.module and g.name != current}
        todo.extend(editions.calls(graded.module, current, siblings))
    return frozenset(found)


@dataclass(frozen=True)
class Plan:
    chapter: chapters.Chapter
    specs: dict[str, FunctionSpec]
    needs: dict[str, frozenset[str]]   # function → the reference functions it is graded with (closure)
    edition: Path                      # folder holding the chapter's student edition of dlmath
    given: dict[str, dict[str, str]]   # function → {module: source with what it builds on solved}
    given_compiled: dict[str, dict[str, bytes]]  # the same, compiled (marshal): what children receive
    inputs: dict = field(default_factory=dict)  # function → its encoded inputs (made once, see _encode_inputs)


_planning = threading.Lock()


def plan(chapter_id: str) -> Plan:
    """The chapter's :class:`Plan`, made once per process (judging threads share it)."""
    with _planning:
        return _plan(chapter_id)


@functools.cache
def _plan(chapter_id: str) -> Plan:
    """Everything about grading a chapter that is the same for every submission (built once per process)."""
    chapter = chapters.get(chapter_id)
    specs = load_chapter_file(chapter.hidden_fixture)
    folder = Path(tempfile.mkdtemp(prefix=f"dlmath-edition-{chapter_id}-"))
    atexit.register(_remove_at_exit, folder, os.getpid())
    package = editions.write_student_package(chapter_id, folder)
    shutil.rmtree(package / "checking" / "public", ignore_errors=True)  # the learner's public cases: not needed
    _world_readable(folder)
    needs = {g.name: closure(chapter, g.name) for g in chapter.graded}
    given = {}
    for name, keep in needs.items():
        modules = sorted({chapter.function(k).module for k in keep})
        given[name] = {m: editions.student_source((chapters.PACKAGE_DIR / f"{m}.py").read_text(encoding="utf-8"),
                                                  m, chapter_id, f"{m}.py", keep=keep) for m in modules}
    given_compiled = {name: {m: marshal.dumps(compile(source, f"<given dlmath/{m}.py>", "exec")) for m, source in modules.items()}
                      for name, modules in given.items()}
    return Plan(chapter, specs, needs, folder, given, given_compiled)


def _remove_at_exit(folder: Path, owner: int) -> None:
    """Delete the plan's edition when the process that made it exits (not in a process forked from it)."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def _world_readable(folder: Path) -> None:
    """The sandbox runs as `nobody` when the grader is root: folders 0755, files 0644."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


# ---- one runner: a sandboxed process and its protocol -------------------------------------------

class RunnerFailed(Exception):
    """A child's reply was unreadable or the runner stopped answering; the message (a reason) is for the learner."""


def _exit_reason(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


@dataclass
class Done:
    """What became of one request: the child's reply (or why there is none) and the parent's report."""
    header: dict | None
    payload: bytes
    exit: int
    cpu: float
    timeout: bool
    clean: bool
    problem: str = ""   # the reply was there but unreadable


class Session:
    """One sandboxed runner: a pristine parent that forks a child per request (see ``grading.runner``).

    Reusable for any number of submissions of its chapter; ``restart`` replaces a runner that
    stopped answering (or could not clean up after a child) with a fresh one.
    """

    def __init__(self, plan: Plan, sandboxed: bool, limits: sandbox.Limits = sandbox.Limits(), keep_leftovers: bool = False,
                 wait: bool = True):
        """``keep_leftovers`` (tests only) skips the cleaning after each child, to show what it prevents.
        ``wait=False`` returns as soon as the runner is started; ``ready()`` waits for it to answer."""
        self.plan, self.sandboxed, self.limits, self.keep_leftovers = plan, sandboxed, limits, keep_leftovers
        self.process = None
        self._spawn()
        if wait:
            self.ready()

    def _start(self) -> None:
        self._spawn()
        self.ready()

    def _spawn(self) -> None:
        plan, limits = self.plan, self.limits
        _, python, numpy_path = sandbox.runtime_mounts()
        modules = sorted({g.module for g in plan.chapter.graded})
        config = {"limits": asdict(limits), "modules": modules, "sandboxed": self.sandboxed,
                  "path": numpy_path + ["/edition"], "scratch": "/tmp", "keep_leftovers": self.keep_leftovers}
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        argv = [python, "-I", "-S", "-B", "/runner/runner.py"]
        self.scratch = None
        if self.sandboxed:
            binds = {str(RUNNER.parent): "/runner", str(plan.edition): "/edition"}
            command = sandbox.command(argv + [json.dumps(config)], binds, limits, env)
        else:  # --no-sandbox: the same runner, isolated only by separate processes and their limits
            self.scratch = tempfile.mkdtemp(prefix="dlmath-scratch-")
            config.update(path=numpy_path + [str(plan.edition)], scratch=self.scratch)
            command = [python, "-I", "-S", "-B", str(RUNNER), json.dumps(config)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=self.scratch, env=env if not self.sandboxed else {},
                                        start_new_session=True)
        self._waiting = True

    def ready(self) -> None:
        """Wait for the runner started last to say it is ready (Python and NumPy imported)."""
        if not self._waiting:
            return
        self._waiting = False
        try:
            first = self._control(time.monotonic() + SECONDS_TO_START, [])
        except RunnerFailed as error:
            raise GraderError(f"the sandbox did not start: {error}") from None
        if "fatal" in first or not first.get("ready"):
            raise GraderError(f"the runner could not start: {first.get('fatal', first)}")

    def restart(self) -> None:
        self.close()
        self._start()

    def _control(self, deadline: float, data: list[bytes]) -> dict:
        """The parent's next report (stderr); meanwhile whatever a child writes (stdout) goes to ``data``."""
        control, replies = self.process.stderr.fileno(), self.process.stdout.fileno()
        buffered, stored = b"", sum(map(len, data))
        while True:
            if len(buffered) >= runner.HEAD_SIZE:
                header_size, payload_size = runner.unpack_lengths(buffered[:runner.HEAD_SIZE])
                if header_size > HEADER_LIMIT or payload_size:
                    raise RunnerFailed("the runner's report could not be read")
                if len(buffered) >= runner.HEAD_SIZE + header_size:
                    try:
                        report = json.loads(buffered[runner.HEAD_SIZE:runner.HEAD_SIZE + header_size])
                    except (ValueError, UnicodeDecodeError):
                        raise RunnerFailed("the runner's report could not be read") from None
                    if not isinstance(report, dict) or len(buffered) != runner.HEAD_SIZE + header_size:
                        raise RunnerFailed("the runner's report could not be read")
                    return report
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunnerFailed("timeout")
            ready, _, _ = select.select([control, replies], [], [], remaining)
            if replies in ready:
                chunk = os.read(replies, 1 << 20)
                if chunk and stored <= REPLY_LIMIT + HEADER_LIMIT:  # beyond that: read and dropped
                    data.append(chunk)
                    stored += len(chunk)
                elif not chunk and self.process.poll() is not None:
                    raise RunnerFailed(_exit_reason(self.process.wait()))
            if control in ready:
                chunk = os.read(control, 1 << 16)
                if not chunk:
                    raise RunnerFailed(_exit_reason(self.process.wait(timeout=10)))
                buffered += chunk

    def pipes(self) -> list[int]:
        """The file descriptors of this process's ends of the runner's pipes."""
        return [stream.fileno() for stream in (self.process.stdin, self.process.stdout, self.process.stderr)]

    def run(self, request: dict, payload: bytes, seconds: float) -> Done:
        """One request, answered by a fresh child; raises RunnerFailed if the runner itself failed."""
        self.ready()
        uid = sandbox.fresh_uid() if self.sandboxed else 0
        try:
            self.process.stdin.write(runner.pack({**request, "uid": uid, "seconds": seconds}, payload))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise RunnerFailed(_exit_reason(self.process.wait(timeout=10))) from None
        data: list[bytes] = []
        report = self._control(time.monotonic() + seconds + SECONDS_TO_CLEAN, data)
        os.set_blocking(self.process.stdout.fileno(), False)
        try:  # the child and all it started are gone: what it wrote is in the pipe now
            while chunk := os.read(self.process.stdout.fileno(), 1 << 20):
                if sum(map(len, data)) <= REPLY_LIMIT + HEADER_LIMIT:
                    data.append(chunk)
        except BlockingIOError:
            pass
        finally:
            os.set_blocking(self.process.stdout.fileno(), True)
        try:
            code, cpu = int(report["exit"]), float(report["cpu"])
            timed_out, clean = bool(report["timeout"]), bool(report["clean"])
        except (KeyError, TypeError, ValueError):
            raise RunnerFailed("the runner's report could not be read") from None
        header, body, problem = _one_message(b"".join(data))
        return Done(header, body, code, cpu, timed_out, clean, problem)

    def close(self) -> None:
        """Kill the runner and everything it started (the sandbox's PID namespace ends with it)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:
                pass
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.process = None


def _one_message(data: bytes) -> tuple[dict | None, bytes, str]:
    """A child's reply: exactly one framed message (or nothing); anything else is unreadable."""
    if not data:
        return None, b"", ""
    if len(data) > REPLY_LIMIT + HEADER_LIMIT:
        return None, b"", f"it sent back more than {REPLY_LIMIT // 1024**2} MB"
    if len(data) < runner.HEAD_SIZE:
        return None, b"", "its reply could not be read"
    header_size, payload_size = runner.unpack_lengths(data[:runner.HEAD_SIZE])
    if header_size > HEADER_LIMIT or payload_size > REPLY_LIMIT:
        return None, b"", f"it sent back more than {REPLY_LIMIT // 1024**2} MB"
    if len(data) != runner.HEAD_SIZE + header_size + payload_size:
        return None, b"", "its reply could not be read"
    try:
        header = json.loads(data[runner.HEAD_SIZE:runner.HEAD_SIZE + header_size])
    except (ValueError, UnicodeDecodeError):
        return None, b"", "its reply could not be read"
    if not isinstance(header, dict):
        return None, b"", "its reply could not be read"
    return header, data[runner.HEAD_SIZE + header_size:], ""


# ---- requests and replies --------------------------------------------------------------------------

def _encode_inputs(plan: Plan, name: str) -> tuple[list[dict], dict, bytes]:
    """A function's cases' inputs for the runner (arrays described in an index and sent as raw bytes,
    everything else as JSON); never an expected value. The same for every submission: made once per plan."""
    if name not in plan.inputs:
        plan.inputs[name] = _encoded(plan.specs[name])
    return plan.inputs[name]


def _encoded(spec: FunctionSpec) -> tuple[list[dict], dict, bytes]:
    stored: dict[str, np.ndarray] = {}

    def store(value, key):
        if isinstance(value, np.ndarray):
            stored[key] = value
            return {"npz": key}
        if isinstance(value, (tuple, list)):
            parts = [store(v, f"{key}.{i}") for i, v in enumerate(value)]
            return {"tuple": parts} if isinstance(value, tuple) else parts
        if isinstance(value, dict):
            return {"dict": {k: store(v, f"{key}.{k}") for k, v in value.items()}}
        return arrays.encode_value(value)  # functions by name, generators by seed, plain data

    cases = [{"args": [store(a, f"{i}.{j}") for j, a in enumerate(case.args)],
              "kwargs": {k: store(v, f"{i}.{k}") for k, v in case.kwargs.items()}}
             for i, case in enumerate(spec.cases)]
    index, chunks = runner.pack_arrays(stored)
    return cases, index, b"".join(chunks)


def _arrays_of(index, payload: bytes) -> dict[str, np.ndarray]:
    """The arrays of a child's reply, refusing anything malformed (nothing in a reply is trusted)."""
    if not payload and not index:
        return {}
    try:
        return runner.unpack_arrays(index, payload)
    except (ValueError, TypeError, OverflowError):
        raise RunnerFailed("its reply could not be read") from None


class _Unusable:
    """A returned value that is not an array of numbers: the comparison names what it was."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __array__(self, *args, **kwargs):
        raise TypeError(self.type_name)


def _rebuild(skeleton, values: dict, depth: int = 0):
    """The runner's description of a result, with its arrays put back (anything odd becomes unusable)."""
    if depth > 25 or not isinstance(skeleton, dict) or len(skeleton) != 1:
        return _Unusable("malformed result")
    (kind, content), = skeleton.items()
    if kind == "npz":
        array = values.get(content) if isinstance(content, str) else None
        if array is None:
            return _Unusable("malformed result")
        if array.dtype.kind not in "biuf":
            return _Unusable(f"{array.dtype} array")
        return array
    if kind in ("tuple", "list") and isinstance(content, list):
        parts = [_rebuild(s, values, depth + 1) for s in content]
        return tuple(parts) if kind == "tuple" else parts
    if kind == "dict" and isinstance(content, dict):
        return {str(k): _rebuild(s, values, depth + 1) for k, s in content.items()}
    if kind == "none":
        return None
    if kind == "bad":
        return _Unusable(str(content)[:80])
    return _Unusable("malformed result")


def _changed(sent, skeleton, values: dict) -> bool:
    """Did the function change an input in place? ``sent`` is what the case holds, ``skeleton`` what came back."""
    if isinstance(sent, np.ndarray):
        back = _rebuild(skeleton, values)
        return not (isinstance(back, np.ndarray) and arrays.same(back, sent))
    if isinstance(sent, (tuple, list)):
        kind = "tuple" if isinstance(sent, tuple) else "list"
        parts = skeleton.get(kind) if isinstance(skeleton, dict) else None
        return not isinstance(parts, list) or len(parts) != len(sent) or any(
            _changed(s, p, values) for s, p in zip(sent, parts))
    if isinstance(sent, dict):
        parts = skeleton.get("dict") if isinstance(skeleton, dict) else None
        return not isinstance(parts, dict) or set(parts) != set(sent) or any(
            _changed(sent[k], parts[k], values) for k in sent)
    return False  # plain data, functions, generators: nothing to compare


def _outcomes(case_list: tuple[Case, ...], reply: dict, values: dict) -> list[Outcome]:
    results = reply.get("results")
    if not isinstance(results, list) or len(results) != len(case_list):
        raise RunnerFailed("its reply could not be read")
    outcomes = []
    for case, result in zip(case_list, results):
        if not isinstance(result, dict):
            raise RunnerFailed("its reply could not be read")
        status = result.get("status")
        if status == "ok":
            # the inputs as the function left them, compared here: in the runner a patched NumPy could lie
            if _changed((list(case.args), dict(case.kwargs)), result.get("inputs"), values):
                outcomes.append(Outcome("mutated"))
                continue
            warnings = result.get("warnings", [])
            outcomes.append(Outcome("ok", value=_rebuild(result.get("value"), values),
                                    warnings=tuple(str(w)[:300] for w in warnings[:20]) if isinstance(warnings, list) else ()))
        elif status in ("not_implemented", "raised"):
            outcomes.append(Outcome(status, error=str(result.get("error", ""))[:500]))
        else:
            raise RunnerFailed("its reply could not be read")
    return outcomes


# ---- one submission ----------------------------------------------------------------------------------

def _verdict(chapter: chapters.Chapter, name: str, spec: FunctionSpec, outcomes: list[Outcome]) -> FunctionVerdict:
    # weighted cases, and no points for a constant output (issue 13): see compare.grade
    share, results = grade_results([judge_case(case, outcome, spec.hints) for case, outcome in zip(spec.cases, outcomes)])
    points = chapter.function(name).points
    return FunctionVerdict(name, spec.qualname, points, round(points * share, 6),
                           [Check(r.case.name, r.passed, r.problem, r.hint) for r in results])


def _failed(spec: FunctionSpec, status: str, error: str) -> list[Outcome]:
    return [Outcome(status, error=error)] * len(spec.cases)


def _without_reply(done: Done, spec: FunctionSpec, what: str, cpu_limit: float) -> list[Outcome]:
    """The outcomes of a request whose child left no usable reply: why, in the learner's words."""
    if done.timeout:
        return _failed(spec, "timeout", f"{SECONDS_PER_FUNCTION:g} s for all cases" if what == "grade"
                       else f"importing your modules took more than {SECONDS_TO_LOAD:g} s")
    if done.exit == -signal.SIGXCPU or (done.exit == -signal.SIGKILL and done.cpu >= cpu_limit):
        return _failed(spec, "timeout", f"{cpu_limit:g} CPU seconds" + (" for all cases" if what == "grade" else
                                                                         " while importing your modules"))
    if done.problem:
        return _failed(spec, "crashed", done.problem)
    if done.header is not None and "fatal" in done.header:  # after student code ran: its results could not be sent
        last = (str(done.header["fatal"]).strip().splitlines() or ["?"])[-1]
        return _failed(spec, "crashed", f"its results could not be sent back ({last[:200]})")
    reason = _exit_reason(done.exit) if done.exit else "it ended without a reply"
    return _failed(spec, "crashed", reason if what == "grade" else f"while importing your modules: {reason}")


def _compiled_by_learner(load: Done, sources: dict[str, str]) -> dict[str, bytes]:
    """The learner's modules as the ``load`` child compiled them: bytes passed on to the children that
    grade, never loaded here. Anything malformed or oversized is dropped (those children compile the text)."""
    found, described = {}, load.header.get("compiled")
    for module, entry in (described.items() if isinstance(described, dict) else []):
        if module not in sources or not (isinstance(entry, list) and len(entry) == 2):
            continue
        offset, size = entry
        if (type(offset) is int and type(size) is int and 0 <= offset and 0 < size
                and offset + size <= len(load.payload) and size <= 4 * len(sources[module]) + 65536):
            found[module] = load.payload[offset:offset + size]
    return found


def _appended(inputs: bytes, *groups: dict[str, bytes]) -> tuple[bytes, list[dict[str, list[int]]]]:
    """``inputs`` followed by every blob of ``groups``; for each group, module → [offset, size] in the result."""
    parts, where, offset = [inputs], [], len(inputs)
    for group in groups:
        where.append({})
        for module, blob in group.items():
            where[-1][module] = [offset, len(blob)]
            parts.append(blob)
            offset += len(blob)
    return b"".join(parts), where


def _grade(plan: Plan, session: Session, sources: dict[str, str]) -> dict[str, list[Outcome]]:
    """Every graded function of the chapter, each in a fresh child of ``session``'s runner."""
    chapter, outcomes = plan.chapter, {}
    graded = [g.name for g in chapter.graded]
    module_of = {g.name: g.module for g in chapter.graded}
    by_module = {m: [g for g in graded if module_of[g] == m] for m in sources}

    def ask(request: dict, payload: bytes, seconds: float) -> Done | str:
        try:
            done = session.run(request, payload, seconds)
        except RunnerFailed as error:  # the runner itself stopped answering: a fresh one for the rest
            session.restart()
            return "timeout" if str(error) == "timeout" else str(error)
        if not done.clean:
            session.restart()
        return done

    load = ask({"op": "load", "modules": by_module, "sources": sources}, b"", SECONDS_TO_LOAD)
    if isinstance(load, str) or load.header is None or "errors" not in load.header:
        for name in graded:
            spec = plan.specs[name]
            outcomes[name] = (_failed(spec, "crashed", f"while importing your modules: {load}") if isinstance(load, str)
                              else _without_reply(load, spec, "load", session.limits.cpu_seconds))
        return outcomes
    errors = load.header["errors"] if isinstance(load.header["errors"], dict) else {}
    usable = {m: text for m, text in sources.items() if m not in errors}
    compiled = _compiled_by_learner(load, usable)
    for name in graded:
        spec, module = plan.specs[name], module_of[name]
        if module not in usable:
            problem = errors.get(module) or "missing"
            outcomes[name] = _failed(spec, "raised", f"dlmath/{module}.py could not be used: {str(problem)[:400]}")
            continue
        cases, index, inputs = _encode_inputs(plan, name)
        payload, where = _appended(inputs, compiled, plan.given_compiled[name])
        request = {"op": "grade", "function": name, "arrays": index, "module_of": module_of, "graded": graded,
                   "modules": {m: by_module[m] for m in usable}, "sources": usable, "compiled": where[0],
                   "builds_on": sorted(plan.needs[name]), "given": where[1],
                   "driver": spec.driver, "cases": cases}
        done = ask(request, payload, SECONDS_PER_FUNCTION)
        if isinstance(done, str):
            outcomes[name] = _failed(spec, "timeout", f"{SECONDS_PER_FUNCTION:g} s for all cases") if done == "timeout" \
                else _failed(spec, "crashed", done)
        elif done.header is None or done.problem or "fatal" in done.header or done.timeout:
            outcomes[name] = _without_reply(done, spec, "grade", session.limits.cpu_seconds)
        else:
            try:
                outcomes[name] = _outcomes(spec.cases, done.header, _arrays_of(done.header.get("arrays"), done.payload))
            except RunnerFailed as error:
                outcomes[name] = _failed(spec, "crashed", str(error))
    return outcomes


def judge_submission(chapter_id: str, submission: Path, sandboxed: bool = True,
                     limits: sandbox.Limits = sandbox.Limits(), session: Session | None = None) -> dict[str, FunctionVerdict]:
    """Score every graded function of ``chapter_id`` in the submission folder (which holds ``dlmath/``).

    ``session``: a runner to reuse (the class-wide grader keeps one per job); else one is started."""
    p = plan(chapter_id)
    read = intake.read_modules(p.chapter, Path(submission))
    sources = {m: source for m, (source, _) in read.items() if source is not None}
    problems = {m: problem for m, (source, problem) in read.items() if source is None}
    own = session is None
    session = session or Session(p, sandboxed, limits)
    try:
        outcomes = _grade(p, session, sources)
    finally:
        if own:
            session.close()
    for g in p.chapter.graded:
        if g.module in problems:
            outcomes[g.name] = _failed(p.specs[g.name], "raised", f"{problems[g.module]} — it could not be graded")
    return {g.name: _verdict(p.chapter, g.name, p.specs[g.name], outcomes[g.name]) for g in p.chapter.graded}


def to_json(chapter_id: str, verdicts: dict[str, FunctionVerdict]) -> str:
    return json.dumps({"chapter": chapter_id, "functions": {n: asdict(v) for n, v in verdicts.items()}})


def from_json(text: str) -> dict[str, FunctionVerdict]:
    raw = json.loads(text)["functions"]
    return {n: FunctionVerdict(**{**v, "checks": [Check(**c) for c in v["checks"]]}) for n, v in raw.items()}


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--no-sandbox"]
    print(to_json(arguments[0], judge_submission(arguments[0], Path(arguments[1]), sandboxed="--no-sandbox" not in sys.argv)))
