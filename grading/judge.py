"""The trusted side of grading: score a submission's functions on hidden inputs.

The judge never imports the submission. It hands the hidden inputs to a
runner process (``grading.runner``), waits for each function with a time
limit, and compares the returned arrays with the reference results in its own
process, with the same comparison the learner's checks use. A function that
hangs, crashes the runner or exhausts memory costs only its own points; the
runner is restarted for the next function.

Each function's score is ``points × passed cases / cases``: partial credit per check.

``python -I -m grading.judge CHAPTER SUBMISSION_DIR`` prints the verdict as JSON
(this is how the notebook's hidden test cells call it).
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dlmath.checking import arrays
from dlmath.checking.cases import FunctionSpec, load_chapter_file
from dlmath.checking.compare import Outcome, judge as judge_case
from grading import chapters

SECONDS_PER_FUNCTION = 10.0


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


def _request(specs: dict[str, FunctionSpec], directory: Path) -> None:
    """Write the inputs (never the expected results) for the runner."""
    inputs, functions = {}, {}

    def store(value, key):
        if isinstance(value, np.ndarray):
            inputs[key] = value
            return {"npz": key}
        if isinstance(value, (tuple, list)):
            parts = [store(v, f"{key}.{i}") for i, v in enumerate(value)]
            return {"tuple": parts} if isinstance(value, tuple) else parts
        if isinstance(value, dict):
            return {"dict": {k: store(v, f"{key}.{k}") for k, v in value.items()}}
        return arrays.encode_value(value)  # functions by name, plain data

    for name, spec in specs.items():
        functions[name] = {
            "module": spec.module,
            "driver": spec.driver,
            "siblings": [s for s, other in specs.items() if other.module == spec.module],
            "cases": [{"args": [store(a, f"{name}.{i}.{j}") for j, a in enumerate(case.args)],
                       "kwargs": {k: store(v, f"{name}.{i}.{k}") for k, v in case.kwargs.items()}}
                      for i, case in enumerate(spec.cases)],
        }
    np.savez(directory / "inputs.npz", **inputs)
    (directory / "request.json").write_text(json.dumps({"functions": functions, "reference": str(chapters.PACKAGE_DIR)}))


class _Unusable:
    """A returned value that is not an array (a string, an object): the comparison names its type."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __array__(self, *args, **kwargs):
        raise TypeError(self.type_name)


def _rebuild(skeleton, values):
    """The runner's result structure, with its arrays put back."""
    if "npz" in skeleton:
        return values[skeleton["npz"]]
    if "tuple" in skeleton:
        return tuple(_rebuild(s, values) for s in skeleton["tuple"])
    if "list" in skeleton:
        return [_rebuild(s, values) for s in skeleton["list"]]
    if "dict" in skeleton:
        return {k: _rebuild(s, values) for k, s in skeleton["dict"].items()}
    if "bad" in skeleton:
        return _Unusable(skeleton["bad"])
    return None


class _Runner:
    """One runner process; restarted by the judge after a hang or a crash."""

    def __init__(self, submission: Path, directory: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DLMATH_"))}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.stderr = open(directory / "runner-stderr.txt", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-m", "grading.runner", str(submission), str(directory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, cwd=submission, env=env, text=True)

    def run(self, name: str, seconds: float) -> str:
        """Ask for one function; return 'done', 'timeout' or 'crashed: …'."""
        try:
            self.process.stdin.write(name + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return self._crashed()
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if ready:
                line = self.process.stdout.readline()
                if not line:
                    return self._crashed()
                if line.strip() == f"done {name}":
                    return "done"
        self.close()
        return "timeout"

    def _crashed(self) -> str:
        code = self.process.wait(timeout=5)
        self.close()
        return f"crashed: exit code {code}"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.stderr.close()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


def _outcomes(name: str, spec: FunctionSpec, status: str, directory: Path) -> list[Outcome]:
    if status == "timeout":
        return [Outcome("timeout", error=f"{SECONDS_PER_FUNCTION:g} s for all cases")] * len(spec.cases)
    if status != "done":
        return [Outcome("crashed", error=status)] * len(spec.cases)
    reports = json.loads((directory / f"{name}.json").read_text())
    with np.load(directory / f"{name}.npz", allow_pickle=False) as values:
        values = dict(values)
    return [Outcome(r["status"], value=_rebuild(r["value"], values) if "value" in r else None,
                    error=r.get("error", ""), warnings=tuple(r.get("warnings", ()))) for r in reports]


def judge_submission(chapter_id: str, submission: Path) -> dict[str, FunctionVerdict]:
    """Score every graded function of ``chapter_id`` in the submission folder (which holds ``dlmath/``)."""
    chapter = chapters.get(chapter_id)
    specs = load_chapter_file(chapter.hidden_fixture)
    submission = Path(submission).resolve()
    verdicts = {}
    with tempfile.TemporaryDirectory(prefix="dlmath-judge-") as tmp:
        directory = Path(tmp)
        _request(specs, directory)
        runner = None
        for name, spec in specs.items():
            if runner is None or not runner.alive:
                runner = _Runner(submission, directory)
            status = runner.run(name, SECONDS_PER_FUNCTION)
            results = [judge_case(case, outcome, spec.hints)
                       for case, outcome in zip(spec.cases, _outcomes(name, spec, status, directory))]
            passed = sum(r.passed for r in results)
            points = chapter.function(name).points
            verdicts[name] = FunctionVerdict(
                name, spec.qualname, points, round(points * passed / len(results), 6),
                [Check(r.case.name, r.passed, r.problem, r.hint) for r in results])
        if runner is not None:
            runner.close()
    return verdicts


def to_json(chapter_id: str, verdicts: dict[str, FunctionVerdict]) -> str:
    return json.dumps({"chapter": chapter_id, "functions": {n: asdict(v) for n, v in verdicts.items()}})


def from_json(text: str) -> dict[str, FunctionVerdict]:
    raw = json.loads(text)["functions"]
    return {n: FunctionVerdict(**{**v, "checks": [Check(**c) for c in v["checks"]]}) for n, v in raw.items()}


if __name__ == "__main__":
    print(to_json(sys.argv[1], judge_submission(sys.argv[1], Path(sys.argv[2]))))
