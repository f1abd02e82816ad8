"""The learner's checks: fast public cases with specific feedback.

In a notebook::

    dlmath.check("sigmoid")            # one function
    dlmath.check("03_activations")     # a whole chapter

In a terminal: ``python -m dlmath check 03_activations``.

No TensorFlow is imported: the expected values were computed from TensorFlow
once, by ``python -m grading fixtures``, and ship with the package.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
from dataclasses import dataclass
from pathlib import Path

from dlmath.checking import callables
from dlmath.checking.calling import TimeLimitExceeded, run_case, time_limit
from dlmath.checking.cases import FunctionSpec, resolve
from dlmath.checking.compare import CaseResult, judge

__all__ = ["check", "run", "assert_implemented", "skip_if_missing", "report_lines", "FunctionReport"]

_loaded_mtimes: dict[str, float] = {}


@dataclass(frozen=True)
class FunctionReport:
    spec: FunctionSpec
    results: tuple[CaseResult, ...] = ()
    import_error: str = ""

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def passed(self) -> bool:
        return not self.import_error and bool(self.results) and self.n_passed == len(self.results)

    @property
    def implemented(self) -> bool:
        return not self.import_error and not any(r.problem.startswith("not implemented") for r in self.results)

    def _waits_for(self) -> str:
        """The stub, other than this function's own, that stopped its checks ('' if none)."""
        for result in self.results:
            stub = result.problem.removeprefix("not implemented yet — ")
            if result.problem.startswith("not implemented yet — ") and not stub.startswith(self.spec.qualname + " "):
                return stub.replace(" is not implemented yet", ", not implemented yet")
        return ""

    def text(self) -> str:
        head = f"{self.spec.qualname}"
        if self.import_error:
            return f"✗ {head}: {self.import_error}"
        if not self.implemented:
            waiting = self._waits_for()
            if waiting:  # its own code may be done, but it can't run before the function it calls
                return f"· {head}: waits for {waiting}"
            return f"· {head}: not implemented yet — see {self.spec.section}"
        if self.passed:
            return f"✓ {head}: all {len(self.results)} checks passed"
        lines = [f"✗ {head}: {self.n_passed}/{len(self.results)} checks passed"]
        failure = next(r for r in self.results if not r.passed)
        lines.append(f"    first failure — {failure.case.name}: {failure.problem}")
        if failure.hint:
            lines.append(f"    hint: {failure.hint}")
        return "\n".join(lines)


def _module(spec: FunctionSpec):
    """Import the learner's module, re-importing it if its file changed since we last loaded it."""
    name = f"dlmath.{spec.module}"
    module = importlib.import_module(name)
    path = Path(module.__file__)
    mtime = path.stat().st_mtime
    if _loaded_mtimes.setdefault(name, mtime) != mtime:
        module = importlib.reload(module)
        _loaded_mtimes[name] = mtime
    return module


def _callable(spec: FunctionSpec):
    """What a case is applied to: the learner's function, or its driver (for a method such as
    ``Value.tanh``, the driver of its class)."""
    module = _module(spec)
    if not spec.driver:
        return getattr(module, spec.name)
    if "." not in spec.name:
        return functools.partial(callables.DRIVERS[spec.driver], getattr(module, spec.name))
    class_name, method = spec.name.split(".")
    cls = getattr(module, class_name)
    getattr(cls, method)  # a missing method is reported like a missing function
    return functools.partial(callables.DRIVERS[spec.driver], cls)


def _report(spec: FunctionSpec, seconds: float) -> FunctionReport:
    try:
        function = _callable(spec)
    except Exception as error:  # a syntax error in the learner's file, a missing function...
        where = f" (line {error.lineno})" if isinstance(error, SyntaxError) else ""
        return FunctionReport(spec, import_error=f"dlmath/{spec.module}.py could not be used: "
                                                 f"{type(error).__name__}: {error}{where}")
    results = []
    for case in spec.cases:
        outcome = run_case(function, case, seconds)
        results.append(judge(case, outcome, spec.hints))
        if outcome.status in ("timeout", "not_implemented"):  # the rest would go the same way: don't wait for it
            results += [judge(rest, outcome, spec.hints) for rest in spec.cases[len(results):]]
            break
    return FunctionReport(spec, tuple(results))


def run(*names: str, seconds: float = 5.0) -> list[FunctionReport]:
    """Run the public checks for ``names`` (functions or chapter ids) and return the reports."""
    return [_report(spec, seconds) for spec in resolve(names)]


def _dependency_notes(reports: list[FunctionReport]) -> list[str]:
    failing = {r.spec.name for r in reports if not r.passed}
    notes = []
    for report in reports:
        for used in report.spec.hints.get("uses", []):
            if report.spec.name in failing and used in failing and report.implemented:
                notes.append(f"note: {report.spec.name} may call your {used}, which fails its own checks — fix {used} first.")
    return notes


SOLUTION_MARKER = "### BEGIN " + "SOLUTION"  # split: this file itself is not a solution


def instructor_edition(reports: list[FunctionReport]) -> Path | None:
    """The package folder if the checked modules are the instructor edition (they hold the solutions), else None.

    Where that happens: the repository root (Binder opens it; the instructor's ``dlmath`` is installed
    there), or any folder without a chapter's own ``dlmath/``.
    """
    package = Path(__file__).resolve().parent.parent
    for module in sorted({r.spec.module for r in reports}):
        path = package / f"{module}.py"
        try:
            if SOLUTION_MARKER in path.read_text(encoding="utf-8"):
                return package
        except OSError:
            continue
    return None


INSTRUCTOR_NOTE = ("⚠ This is the instructor edition of dlmath ({package}): it holds the reference solutions, so these "
                   "checks test them, not your work. Check your work in a chapter folder of the student edition, "
                   "where your own dlmath/ is: `make lab` builds workspace/<chapter>/ (on Binder it is built for you).")


def report_lines(reports: list[FunctionReport], summary: bool = False) -> list[str]:
    """The printed report: a block per function (one line each with ``summary``), notes, then the total.

    Against the instructor edition the report says so first, and the total says whose result it is.
    """
    lines = [r.text().splitlines()[0] if summary else r.text() for r in reports]
    if not summary:
        lines += _dependency_notes(reports)
    total = f"{sum(r.passed for r in reports)}/{len(reports)} functions pass all their checks"
    package = instructor_edition(reports)
    if package is not None:
        lines.insert(0, INSTRUCTOR_NOTE.format(package=package))
        total += " — the reference solutions' result (instructor edition), not yours"
    return lines + [total]


def check(*names: str, seconds: float = 5.0) -> None:
    """Print a pass/fail line per function, with the first failing input and a hint."""
    try:
        reports = run(*names, seconds=seconds)
    except ValueError as error:
        print(error)
        return
    lines = report_lines(reports)
    if len(reports) == 1 and instructor_edition(reports) is None:
        lines = lines[:-1]  # one function: its line says it all
    print("\n".join(lines))


class StubNotImplemented(NotImplementedError):
    """A graded cell's stub: shown by IPython — and so by nbgrader's Validate — as one line naming the
    function and its section, without a traceback into dlmath.checking."""

    def _render_traceback_(self):
        return [f"NotImplementedError: {self}"]


StubNotImplemented.__name__ = StubNotImplemented.__qualname__ = "NotImplementedError"  # what a notebook's error names


def assert_implemented(name: str) -> None:
    """Raise NotImplementedError if ``name`` is still a stub (used by the visible part of graded cells).

    Anything else the function does — a wrong value, an exception, a warning — is
    left for the hidden tests to judge, so partial credit stays possible.
    """
    (spec,) = resolve([name])
    function = _callable(spec)
    outcome = run_case(function, spec.cases[0], seconds=2.0)
    # only this function's own stub counts: a stub it calls (Value.tanh needs Value.backward)
    # is that function's business, and grading replaces it with the reference
    if outcome.status == "not_implemented" and (not outcome.error or outcome.error.startswith(spec.qualname + " ")):
        raise StubNotImplemented(f"{spec.qualname} is not implemented yet — see {spec.section}")


@contextlib.contextmanager
def skip_if_missing(seconds: float = 10.0):
    """Run a cell's body; if it reaches an unimplemented stub, say which one and skip the rest.

    Also stops a body that runs longer than ``seconds`` (an endless loop in a
    learner's function), so a notebook always runs top to bottom.
    """
    try:
        with time_limit(seconds):
            yield
    except NotImplementedError as error:
        print(f"⏭  Skipped: {str(error) or 'a function this cell uses is not implemented yet'}. Implement it, then re-run this cell.")
    except TimeLimitExceeded:
        print(f"⏭  Stopped after {seconds:g} s: a function this cell uses may loop forever.")
