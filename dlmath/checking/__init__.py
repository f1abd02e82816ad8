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
import time
from dataclasses import dataclass, replace
from pathlib import Path

from dlmath.checking import callables
from dlmath.checking.calling import GRADING_CPU_SECONDS, SLOW_CPU_SECONDS, TimeLimitExceeded, run_case, time_limit
from dlmath.checking.cases import FunctionSpec, public_specs, resolve
from dlmath.checking.compare import CaseResult, judge

__all__ = ["check", "run", "assert_implemented", "skip_if_missing", "report_lines", "FunctionReport"]

_loaded_mtimes: dict[str, float] = {}


@dataclass(frozen=True)
class FunctionReport:
    """One function's public checks, and — when some of its checks also run a function it builds on that fails
    its own checks — who is to blame (filled in by :func:`run`, see :func:`_attribute`)."""
    spec: FunctionSpec
    results: tuple[CaseResult, ...] = ()
    import_error: str = ""
    culprits: tuple[str, ...] = ()  # every failure of its checks runs one of these, which fail their own: fix them first
    culprits_where: str = ""  # where their reports are: "above", "below", ...
    entangled: tuple[str, ...] = ()  # no culprit told apart: its failing checks also run these, which fail too
    shared: tuple[int, ...] = ()  # its own code fails; these failing results also run a failing dependency
    shared_with: tuple[str, ...] = ()  # ... namely these
    cpu_seconds: float = 0.0  # what its public checks took

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
            return f"✓ {head}: all {len(self.results)} checks passed" + self._slow()
        score = f"✗ {head}: {self.n_passed}/{len(self.results)} checks passed"
        if self.culprits:  # its own code may well be right: no hint of its own, which would aim at correct code
            return (f"{score} — {_names(self.culprits)} {_verb(self.culprits, 'fails', 'fail')} "
                    f"{_verb(self.culprits, 'its', 'their')} own checks; fix {_verb(self.culprits, 'it', 'them')} "
                    f"first ({self.culprits_where}). Every failing check here runs {_verb(self.culprits, 'it', 'them')}.")
        lines = [score]
        own = [r for i, r in enumerate(self.results) if not r.passed and i not in self.shared]
        failure = own[0] if own else next(r for r in self.results if not r.passed)
        lines.append(f"    first failure — {failure.case.name}: {failure.problem}")
        if self.entangled:  # each failing check also runs a failing function: either may hold the mistake
            lines.append(f"    every failing check here also runs {_names(self.entangled)}, which "
                         f"{_verb(self.entangled, 'fails', 'fail')} {_verb(self.entangled, 'its', 'their')} own checks "
                         f"too: the mistake may be here or in {_verb(self.entangled, 'it', 'one of them')} — "
                         f"compare the checks that pass with those that fail")
            return "\n".join(lines)
        if failure.hint:
            lines.append(f"    hint: {failure.hint}")
        if self.shared:
            lines.append(f"    (its other failing checks also run {_names(self.shared_with)}, which "
                         f"{_verb(self.shared_with, 'fails', 'fail')} {_verb(self.shared_with, 'its', 'their')} own checks)")
        return "\n".join(lines)

    def _slow(self) -> str:
        if self.cpu_seconds <= SLOW_CPU_SECONDS:
            return ""
        return (f"\n    but slowly: {self.cpu_seconds:.1f} CPU seconds for these checks, and hidden grading gives a function "
                f"{GRADING_CPU_SECONDS:g} CPU seconds for all its (more numerous) checks — replace Python loops over "
                f"entries with whole-array NumPy operations")


def _names(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _verb(names, one: str, several: str) -> str:
    return one if len(names) == 1 else several


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
    results, start = [], time.process_time()
    for case in spec.cases:
        outcome = run_case(function, case, seconds)
        results.append(judge(case, outcome, spec.hints))
        if outcome.status in ("timeout", "not_implemented"):  # the rest would go the same way: don't wait for it
            results += [judge(rest, outcome, spec.hints) for rest in spec.cases[len(results):]]
            break
    return FunctionReport(spec, tuple(results), cpu_seconds=time.process_time() - start)


def run(*names: str, seconds: float = 5.0) -> list[FunctionReport]:
    """Run the public checks for ``names`` (functions or chapter ids) and return the reports.

    A function whose checks fail is told apart from a function it builds on that fails its own checks (see
    :func:`_attribute`); the checks of such a function are run for that even when it wasn't named.
    """
    done: dict[tuple[str, str], FunctionReport] = {}
    reports = []
    for spec in resolve(names):
        key = (spec.chapter, spec.name)
        if key not in done:
            done[key] = _report(spec, seconds)
        reports.append(done[key])
    return _attribute(reports, done, seconds)


def _uses(spec: FunctionSpec, case) -> set[str]:
    """The graded functions of its chapter one case of ``spec`` runs: the case's driver knows (a ``Value``
    program runs the methods of its operations), else every function ``spec`` builds on may be run."""
    find = callables.CASE_USES.get(spec.driver)
    if find is not None:
        try:
            return {spec.name, *find(*case.args, **case.kwargs)}
        except Exception:  # a case the driver can't read: assume the worst
            pass
    return {spec.name, *spec.builds_on}


def _attribute(reports: list[FunctionReport], done: dict, seconds: float) -> list[FunctionReport]:
    """Name the true culprit when a function's checks fail because of a function they also run.

    Each check runs the function checked and maybe others of its chapter (:func:`_uses`). A failing function
    is *cleared* when its checks that run nothing but itself and passing or cleared functions all pass (its
    failures all come with another function: ``backward``'s checks built from ``__add__``); it is *wrong* when
    such a check fails. A failing function that is not wrong names the wrong functions its failing checks run
    — through the failing functions they run, if need be — instead of giving a hint of its own (its own code
    may well be right); a wrong one gives the hint of its first failure that no other failing function
    explains. The reports of functions whose failing checks run no failing function are left as they were.
    """
    specs = public_specs()

    def report_of(chapter: str, name: str) -> FunctionReport | None:
        if (chapter, name) not in done:
            spec = specs.get(chapter, {}).get(name)
            if spec is None:
                return None
            done[chapter, name] = _report(spec, seconds)
        return done[chapter, name]

    def failing(report: FunctionReport | None) -> bool:
        return report is not None and not report.passed and (bool(report.import_error) or report.implemented)

    # every function the checks of a failing function may run is checked too (and so on, while they fail)
    pending = [r for r in reports if failing(r)]
    while pending:
        report = pending.pop()
        names = set().union(*(_uses(report.spec, r.case) for r in report.results)) if report.results else set()
        for name in sorted(names - {report.spec.name}):
            if (report.spec.chapter, name) not in done and failing(report_of(report.spec.chapter, name)):
                pending.append(done[report.spec.chapter, name])

    uses = {key: [(_uses(r.spec, result.case) - {r.spec.name}, result.passed) for result in r.results]
            for key, r in done.items()}
    trusted = {key for key, r in done.items() if r.passed}
    fails = {key for key, r in done.items() if failing(r)}

    def alone(key, among) -> list[bool]:
        """Pass/fail of the checks of ``key`` that run nothing but it and functions of ``among``."""
        return [passed for others, passed in uses[key] if all((key[0], n) in among for n in others)]

    changed = True
    while changed:  # clear failing functions whose checks pass when they run only trusted company
        changed = False
        for key in sorted(fails - trusted):
            evidence = alone(key, trusted)
            if evidence and all(evidence) and not done[key].import_error:
                trusted.add(key)
                changed = True
    wrong = {key for key in fails if done[key].import_error or not all(alone(key, trusted - {key}))}
    suspects = fails - trusted  # failing functions not cleared: what may explain another's failure

    def shared(key) -> dict[int, set[str]]:
        return {i: {n for n in others if (key[0], n) in suspects and (key[0], n) != key}
                for i, (others, passed) in enumerate(uses[key])
                if not passed and any((key[0], n) in suspects and (key[0], n) != key for n in others)}

    def roots(key, visiting: frozenset) -> set[str]:
        if key in wrong:
            return {key[1]}
        found = set()
        for names in shared(key).values():
            for name in names:
                if (key[0], name) not in visiting:
                    found |= roots((key[0], name), visiting | {key})
        return found

    position = {(r.spec.chapter, r.spec.name): i for i, r in reversed(list(enumerate(reports)))}
    attributed = []
    for index, report in enumerate(reports):
        key = (report.spec.chapter, report.spec.name)
        table = shared(key) if key in fails else {}
        if report.import_error or not table:
            attributed.append(report)  # no failing function explains any of its failures: as it was
            continue
        order = list(specs.get(report.spec.chapter, {}))
        if key in wrong:  # its own code fails; name another wrong function only where it shares a failure
            table = {i: {n for n in names if (key[0], n) in wrong} for i, names in table.items()}
            table = {i: names for i, names in table.items() if names}
            if table:
                report = replace(report, shared=tuple(sorted(table)),
                                 shared_with=tuple(n for n in order if any(n in names for names in table.values())))
            attributed.append(report)
            continue
        involved = tuple(n for n in order if any(n in names for names in table.values()))
        culprits = tuple(n for n in order if n in roots(key, frozenset()))
        if not culprits:
            attributed.append(replace(report, entangled=involved))
            continue
        places = [position.get((report.spec.chapter, n)) for n in culprits]
        if any(p is None for p in places):
            where = f"check {_names(culprits)} to see why"
        else:
            sides = sorted({"above" if p < index else "below" for p in places})
            where = f"{_verb(culprits, 'its report is', 'their reports are')} {' and '.join(sides)}"
        attributed.append(replace(report, culprits=culprits, culprits_where=where))
    return attributed


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
    """The printed report: a block per function (one line each with ``summary``), then the total.

    Against the instructor edition the report says so first, and the total says whose result it is.
    """
    lines = [r.text().splitlines()[0] if summary else r.text() for r in reports]
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


# nbgrader validate cuts each line of an error at 87 characters (Validator.width 90, minus 3) after a
# 4-space indent: the one line a stub shows fits in what is left
STUB_LINE_WIDTH = 83


class StubNotImplemented(NotImplementedError):
    """A graded cell's stub: shown by IPython — and so by Run All and nbgrader's Validate — as one line
    naming the function, its file and its section, without a traceback into dlmath.checking.

    ``str()`` keeps the full message (``dlmath.<module>.<fn> is not implemented yet — see <section>``).
    """

    def __init__(self, spec: FunctionSpec):
        super().__init__(f"{spec.qualname} is not implemented yet — see {spec.section}")
        # "03_activations §2.2" → "§2.2": the notebook showing the line is that chapter's
        _, _, section = spec.section.partition(" §")
        section = f"§{section}" if section else spec.section
        where = f"dlmath/{spec.module.replace('.', '/')}.py"
        self.line = f"{spec.name} is not implemented yet: write it in {where} ({section})"
        if len(self.line) > STUB_LINE_WIDTH:  # a long name: what and where first, so nothing that matters is cut
            self.line = f"{spec.name} ({where}, {section}): not implemented"

    def _render_traceback_(self):
        return [self.line]


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
        raise StubNotImplemented(spec)


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
