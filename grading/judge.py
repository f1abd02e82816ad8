"""The trusted side of grading: score a submission's functions on hidden inputs.

The judge never imports the submission. For each graded function F it needs a sandboxed
runner (``grading.sandbox`` + ``grading.runner``) holding the submission's graded modules,
the chapter's student edition of dlmath (where every graded function of the chapter is a
stub) and, sent when F is graded, the reference code of exactly the functions F builds on
(the chapter registry's ``builds_on``, transitively). It sends F's inputs, never an expected
value; it checks the outputs — and whether the inputs were changed in place — in its own
process, with the comparison the learner's checks use.

Sandboxes are expensive to start (a Python with NumPy), so one runner grades a *chain* of
functions whose reference sets only grow along the chain: when F is graded, every reference
the runner has ever held is one F may build on, and F's own reference has never been there.
A function that hangs, crashes the runner, exhausts its memory or garbles the protocol costs
only its own points: the rest of the chain continues in a fresh runner.

Each function's score is ``points × weight of the passed cases / total weight`` (``compare.grade``: no
points for a constant output): partial credit per check.

``python -m grading.judge CHAPTER SUBMISSION_DIR [--no-sandbox]`` prints the verdict as JSON
(the notebook's hidden test cells call it that way when an instructor runs a notebook).
"""
from __future__ import annotations

import dataclasses
import functools
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
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


def chains(chapter: chapters.Chapter) -> list[list[str]]:
    """Functions grouped so that along each group the reference sets only grow (registry order within)."""
    groups: list[list[str]] = []
    order = sorted(chapter.graded, key=lambda g: len(closure(chapter, g.name)))  # stable: registry order kept
    for graded in order:
        needs = closure(chapter, graded.name)
        for group in groups:
            if closure(chapter, group[-1]) <= needs:
                group.append(graded.name)
                break
        else:
            groups.append([graded.name])
    return groups


@dataclass(frozen=True)
class Plan:
    chapter: chapters.Chapter
    specs: dict[str, FunctionSpec]
    chains: list[list[str]]
    needs: dict[str, frozenset[str]]   # function → the reference functions it is graded with (closure)
    edition: Path                      # folder holding the chapter's student edition of dlmath
    given: dict[str, dict[str, str]]   # function → {module: source with what it builds on solved}


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
    package = editions.write_student_package(chapter_id, folder)
    shutil.rmtree(package / "checking" / "public", ignore_errors=True)  # the learner's public cases: not needed
    _world_readable(folder)
    needs = {g.name: closure(chapter, g.name) for g in chapter.graded}
    given = {}
    for name, keep in needs.items():
        modules = sorted({chapter.function(k).module for k in keep})
        given[name] = {m: editions.student_source((chapters.PACKAGE_DIR / f"{m}.py").read_text(encoding="utf-8"),
                                                  m, chapter_id, f"{m}.py", keep=keep) for m in modules}
    return Plan(chapter, specs, chains(chapter), needs, folder, given)


def _world_readable(folder: Path) -> None:
    """The sandbox runs as `nobody` when the grader is root: folders 0755, files 0644."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


# ---- one runner: a sandboxed process and its protocol -------------------------------------------

class RunnerFailed(Exception):
    """The runner died, hung or said something unreadable; the message (a reason) is for the learner."""


def _exit_reason(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


class Session:
    """One runner process for one submission (a chain of functions)."""

    def __init__(self, plan: Plan, modules: Path, sandboxed: bool, limits: sandbox.Limits):
        self.plan = plan
        _, python, numpy_path = sandbox.runtime_mounts()
        limits = dataclasses.replace(limits, uid=(limits.uid or sandbox.fresh_uid()) if sandboxed else 0)
        config = {"submission": "/submission", "limits": asdict(limits), "path": numpy_path + ["/edition"]}
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        argv = [python, "-I", "-S", "-B", "/runner/runner.py"]
        if sandboxed:
            binds = {str(RUNNER.parent): "/runner", str(plan.edition): "/edition", str(modules): "/submission"}
            command = sandbox.command(argv + [json.dumps(config)], binds, limits, env)
            cwd = None
        else:  # --no-sandbox: the same runner, isolated only by a separate process and its limits
            config.update(submission=str(modules), path=numpy_path + [str(plan.edition)])
            command = [python, "-I", "-S", "-B", str(RUNNER), json.dumps(config)]
            cwd = tempfile.mkdtemp(prefix="dlmath-scratch-")
        self.scratch = cwd
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=cwd, env=env if not sandboxed else {},
                                        start_new_session=True)
        try:
            first, _ = self._receive(SECONDS_TO_START)
        except RunnerFailed as error:
            raise GraderError(f"the sandbox did not start: {error}; {self._stderr()}") from None
        if "fatal" in first or not first.get("ready"):
            raise GraderError(f"the runner could not start: {first.get('fatal', first)}")

    def _stderr(self) -> str:
        if self.process.poll() is None:
            self.close()
        try:
            return self.process.stderr.read(4000).decode(errors="replace").strip()
        except Exception:
            return ""

    def _read(self, size: int, deadline: float) -> bytes:
        fd, chunks, left = self.process.stdout.fileno(), [], size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                code = self.process.wait(timeout=10)
                raise RunnerFailed(_exit_reason(code))
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _receive(self, seconds: float) -> tuple[dict, bytes]:
        deadline = time.monotonic() + seconds
        try:
            header_size, payload_size = runner.unpack_lengths(self._read(runner.HEAD_SIZE, deadline))
            if header_size > HEADER_LIMIT or payload_size > REPLY_LIMIT:
                raise RunnerFailed(f"it sent back more than {REPLY_LIMIT // 1024**2} MB")
            header = json.loads(self._read(header_size, deadline))
            payload = self._read(payload_size, deadline)
        except TimeoutError:
            raise RunnerFailed("timeout") from None
        except (ValueError, UnicodeDecodeError):
            raise RunnerFailed("its reply could not be read") from None
        if not isinstance(header, dict):
            raise RunnerFailed("its reply could not be read")
        return header, payload

    def ask(self, header: dict, payload: bytes, seconds: float) -> tuple[dict, bytes]:
        try:
            self.process.stdin.write(runner.pack(header, payload))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise RunnerFailed(_exit_reason(self.process.wait(timeout=10))) from None
        return self._receive(seconds)

    def close(self) -> None:
        """Kill the runner and everything it started (the sandbox's PID namespace ends with it)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


# ---- requests and replies --------------------------------------------------------------------------

def _encode_inputs(spec: FunctionSpec) -> tuple[list[dict], bytes]:
    """The cases' inputs for the runner (arrays in an .npz, everything else as JSON); never an expected value."""
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
    buffer = io.BytesIO()
    np.savez(buffer, **stored)
    return cases, buffer.getvalue()


def _arrays_of(payload: bytes) -> dict[str, np.ndarray]:
    """The arrays of a runner's .npz reply, refusing anything that could hurt this process."""
    if not payload:
        return {}
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        entries = archive.infolist()
        if any(e.compress_type != zipfile.ZIP_STORED for e in entries) or sum(e.file_size for e in entries) > REPLY_LIMIT:
            raise RunnerFailed("its reply could not be read")
    with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


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


def _grade_chain(plan: Plan, chain: list[str], modules: Path, loadable: dict[str, str], sandboxed: bool,
                 limits: sandbox.Limits) -> dict[str, list[Outcome]]:
    chapter, outcomes, todo = plan.chapter, {}, list(chain)
    graded = [g.name for g in chapter.graded]
    module_of = {g.name: g.module for g in chapter.graded}
    while todo:
        session = Session(plan, modules, sandboxed, limits)
        try:
            reply, _ = session.ask({"op": "load", "modules": {m: [g for g in graded if module_of[g] == m]
                                                              for m in loadable}}, b"", SECONDS_TO_LOAD)
            errors = reply.get("errors", {}) if isinstance(reply.get("errors"), dict) else {}
        except RunnerFailed as error:
            message = (f"importing your modules took more than {SECONDS_TO_LOAD:g} s" if str(error) == "timeout"
                       else f"while importing your modules: {error}")
            for name in todo:
                outcomes[name] = _failed(plan.specs[name], "crashed", message)
            return outcomes
        while todo:
            name = todo.pop(0)
            spec, module = plan.specs[name], module_of[name]
            if module not in loadable or module in errors:
                problem = loadable.get(module) or errors.get(module) or "missing"
                outcomes[name] = _failed(spec, "raised", f"dlmath/{module}.py could not be used: {str(problem)[:400]}")
                continue
            cases, payload = _encode_inputs(spec)
            request = {"op": "grade", "function": name, "module_of": module_of, "graded": graded,
                       "builds_on": sorted(plan.needs[name]), "given": plan.given[name],
                       "driver": spec.driver, "cases": cases}
            try:
                reply, data = session.ask(request, payload, SECONDS_PER_FUNCTION)
                outcomes[name] = _outcomes(spec.cases, reply, _arrays_of(data))
            except RunnerFailed as error:
                if str(error) == "timeout":
                    outcomes[name] = _failed(spec, "timeout", f"{SECONDS_PER_FUNCTION:g} s for all cases")
                else:
                    outcomes[name] = _failed(spec, "crashed", str(error))
                session.close()
                break  # the rest of the chain in a fresh runner
        session.close()
    return outcomes


def _module_folder(sources: dict[str, tuple[str | None, str]]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="dlmath-submission-"))
    for module, (source, _) in sources.items():
        if source is not None:
            (folder / f"{module}.py").write_text(source, encoding="utf-8")
    _world_readable(folder)
    return folder


def judge_chain(chapter_id: str, submission: Path, chain: list[str], sandboxed: bool = True,
                limits: sandbox.Limits = sandbox.Limits()) -> dict[str, FunctionVerdict]:
    """The verdicts of one chain of functions (a unit of work the class-wide grader runs in parallel)."""
    p = plan(chapter_id)
    sources = intake.read_modules(p.chapter, Path(submission))
    loadable = {m: problem for m, (source, problem) in sources.items() if source is not None}
    problems = {m: problem for m, (source, problem) in sources.items() if source is None}
    folder = _module_folder(sources)
    try:
        outcomes = _grade_chain(p, chain, folder, loadable, sandboxed, limits)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for name in chain:
        module = p.chapter.function(name).module
        if module in problems:
            outcomes[name] = _failed(p.specs[name], "raised", f"{problems[module]} — it could not be graded")
    return {name: _verdict(p.chapter, name, p.specs[name], outcomes[name]) for name in chain}


def judge_submission(chapter_id: str, submission: Path, sandboxed: bool = True,
                     limits: sandbox.Limits = sandbox.Limits()) -> dict[str, FunctionVerdict]:
    """Score every graded function of ``chapter_id`` in the submission folder (which holds ``dlmath/``)."""
    found = {}
    for chain in plan(chapter_id).chains:
        found.update(judge_chain(chapter_id, submission, chain, sandboxed, limits))
    return {g.name: found[g.name] for g in chapters.get(chapter_id).graded}


def to_json(chapter_id: str, verdicts: dict[str, FunctionVerdict]) -> str:
    return json.dumps({"chapter": chapter_id, "functions": {n: asdict(v) for n, v in verdicts.items()}})


def from_json(text: str) -> dict[str, FunctionVerdict]:
    raw = json.loads(text)["functions"]
    return {n: FunctionVerdict(**{**v, "checks": [Check(**c) for c in v["checks"]]}) for n, v in raw.items()}


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--no-sandbox"]
    print(to_json(arguments[0], judge_submission(arguments[0], Path(arguments[1]), sandboxed="--no-sandbox" not in sys.argv)))
