"""The learner's checks name the true culprit (issue 13): when a function's public checks fail because a function
they also run fails its own checks (a wrong ``Value.__add__`` breaks the checks of ``__mul__``, ``tanh``, ...,
``backward``), the dependent's report names that function instead of a hint aimed at correct code, and the wrong
function keeps its own hint. Cheap: the mistakes are put in place in-process (the module's ``Value`` replaced by
one with a wrong method, as ``grading/references/backprop.py`` builds its mistake outputs), plus a few learner
folders run through ``python -m dlmath check`` as a learner would.
"""
from __future__ import annotations

import types

import numpy as np
import pytest

import dlmath.autodiff as autodiff
import dlmath.layers as layers
from conftest import run_python
from dlmath import checking
from dlmath.checking import callables, calling, compare
from dlmath.checking.cases import load_chapter_file, public_specs
from grading import chapters, editions
from grading.references import backprop as reference
from mutation_catalogue import MISTAKES as HELD_OUT
from test_backprop_properties import learner_05

CHAPTER = "05_backprop"
VALUE = reference.VALUE_METHODS

# (method, label, wrong body, the words of its catalogued hint or None): the references' typical mistakes, the
# simulated class's and the held-out mutation catalogue's
MISTAKES = (
    [(m, f"reference: {hint[:45]}", body, hint[:60]) for m, items in reference.VALUE_MISTAKES.items()
     for hint, body in items]
    + [(m, f"class: {student}", body, None) for student, bodies in reference.CLASS.items()
       for m, body in bodies.items() if m in VALUE]
    + [(m, f"held-out: {label}", body, None) for label, m, body in HELD_OUT[CHAPTER] if m in VALUE]
)


def value_class(bodies: dict[str, str]):
    """dlmath's Value with the solutions of ``bodies`` (method → wrong body) replaced, as a learner's file has them."""
    path = chapters.PACKAGE_DIR / "autodiff.py"
    source = path.read_text(encoding="utf-8")
    for method, body in bodies.items():
        lines = source.splitlines()
        (fence,) = [f for f in editions.fences(source, str(path)) if f.function == method]
        body_lines = [fence.indent + ln if ln.strip() else "" for ln in body.strip("\n").splitlines()]
        source = "\n".join(lines[:fence.begin] + body_lines + lines[fence.end + 1:]) + "\n"
    module = types.ModuleType("_learner_autodiff")
    exec(compile(source, "<learner autodiff>", "exec"), module.__dict__)
    return module.Value


@pytest.fixture
def learner_value(monkeypatch):
    """Put a learner's Value (wrong bodies in place) where the checks look for it."""
    return lambda bodies: monkeypatch.setattr(autodiff, "Value", value_class(bodies))


def reports_of(*targets) -> dict[str, checking.FunctionReport]:
    return {r.spec.name: r for r in checking.run(*targets)}


def plain_text(name: str) -> str:
    """The report of ``name`` as it reads with no attribution at all (its own checks, its own first failure)."""
    (spec,) = [s for s in checking.resolve([name])]
    return checking._report(spec, 5.0).text()


@pytest.mark.parametrize("method, label, body, hint", MISTAKES, ids=[m[1][:60] for m in MISTAKES])
def test_the_wrong_method_keeps_its_hint_and_every_failing_dependent_names_it(learner_value, method, label, body, hint):
    learner_value({method: body})
    reports = reports_of(CHAPTER)
    own = reports[method]
    assert not own.passed and not own.culprits and not own.entangled, own.text()
    assert "    hint: " in own.text(), own.text()
    if hint:
        assert hint in own.text(), own.text()
    # no other function fails here, so its report is exactly what it was before attribution existed
    assert own.text() == plain_text(method)
    for name, report in reports.items():
        if name == method or report.passed:
            continue
        text = report.text()
        assert report.culprits == (method,), text
        assert f"— {method} fails its own checks; fix it first (its report is" in text
        assert "hint:" not in text and "first failure" not in text, text  # no advice aimed at correct code


@pytest.mark.parametrize("method, body, dependents", [
    ("Value.__add__", reference._FORGET_OTHER_ADD,
     {"Value.__mul__", "Value.__pow__", "Value.tanh", "Value.exp", "Value.backward"}),
    ("Value.__mul__", reference._SWAPPED_MUL,
     {"Value.__add__", "Value.__pow__", "Value.tanh", "Value.exp", "Value.backward"}),
    ("Value.backward", reference._BACKWARD_FORWARD_ORDER,
     {"Value.__add__", "Value.__mul__", "Value.__pow__", "Value.tanh", "Value.exp"}),
])
def test_one_wrong_method_fails_the_checks_of_correct_ones_which_name_it(learner_value, method, body, dependents):
    # the situation of the issue: correct methods fail their public checks because of one wrong method
    learner_value({method: body})
    reports = reports_of(CHAPTER)
    failing = {name for name, r in reports.items() if not r.passed}
    assert failing == dependents | {method}
    assert all(reports[name].culprits == (method,) for name in dependents)


def test_a_dependent_checked_alone_runs_the_checks_it_needs_to_name_the_culprit(learner_value):
    learner_value({"Value.__add__": reference._FORGET_OTHER_ADD})
    (report,) = checking.run("Value.tanh")
    assert report.text().startswith("✗ dlmath.autodiff.Value.tanh: ")
    assert report.text().endswith("— Value.__add__ fails its own checks; fix it first (check Value.__add__ to see "
                                  "why). Every failing check here runs it.")
    assert "(its report is below)" in checking.run("Value.tanh", "Value.__add__")[0].text()
    assert "(its report is above)" in checking.run("Value.__add__", "Value.tanh")[1].text()


def test_two_wrong_methods_keep_their_hints_and_a_dependent_names_both(learner_value):
    learner_value({"Value.__add__": reference._FORGET_OTHER_ADD, "Value.__mul__": reference._SWAPPED_MUL})
    reports = reports_of(CHAPTER)
    assert "you passed it to self only" in reports["Value.__add__"].text()
    assert "The local derivatives are swapped" in reports["Value.__mul__"].text()
    assert reports["Value.tanh"].culprits == ("Value.__add__", "Value.__mul__")
    assert "Value.__add__ and Value.__mul__ fail their own checks; fix them first" in reports["Value.tanh"].text()


def test_backward_is_checked_without_the_learners_operators():
    """Public programs of nodes wired by the checker (``lin``) run nothing of the learner's but backward():
    they pass with operators that raise, and they alone catch every catalogued and held-out backward mistake."""
    spec = load_chapter_file(chapters.get(CHAPTER).public_cases)["Value.backward"]
    wired = [c for c in spec.cases if callables.value_program_uses(c.args[0]) == {"Value.backward"}]
    assert len([c for c in wired if c.name.startswith(reference.WIRED)]) == 5

    def refuse(*_args, **_kwargs):
        raise AssertionError("a wired program used a graded operator")

    Bare = type("Bare", (autodiff.Value,), {m.split(".")[1]: refuse for m in VALUE if m != "Value.backward"})
    for case in wired:
        assert compare.judge(case, calling.run_case(lambda p: callables.value_program(Bare, p), case), spec.hints).passed

    backward_mistakes = [body for _, body in reference.VALUE_MISTAKES["Value.backward"]] + [
        body for _, m, body in HELD_OUT[CHAPTER] if m == "Value.backward"]
    for body in backward_mistakes:
        wrong = value_class({"Value.backward": body})
        results = [compare.judge(c, calling.run_case(lambda p: callables.value_program(wrong, p), c), spec.hints)
                   for c in wired]
        assert not all(r.passed for r in results), body


def test_value_builds_on_covers_every_method_its_checks_run():
    """builds_on is complete: every public and hidden program of a method runs only it and its builds_on."""
    chapter = chapters.get(CHAPTER)
    for path in (chapter.public_cases, chapter.hidden_fixture):
        for name, spec in load_chapter_file(path).items():
            if name in VALUE:
                allowed = {name, *chapter.function(name).builds_on}
                for case in spec.cases:
                    assert callables.value_program_uses(case.args[0]) <= allowed, (path.name, name, case.name)


def test_the_learners_dependencies_are_declared_in_the_registry():
    """What a report may blame is exactly what the registry says a function builds on (the public file carries it)."""
    for chapter_id, specs in public_specs().items():
        chapter = chapters.get(chapter_id)
        for name, spec in specs.items():
            assert set(spec.builds_on) == set(chapter.function(name).builds_on), (chapter_id, name)


def test_value_program_uses_follows_the_derived_operators():
    # a − b is a + (−1)·b, a / b is a · b**−1, −a is a · −1 (autodiff.Value's given methods); lin is the checker's
    program = {"leaves": [1.0, 2.0], "ops": [["sub", 0, 1], ["div", 2, 1], ["neg", 3], ["lin", 4, 0, 0.5, 1.0]]}
    assert callables.value_program_uses(program) == {"Value.__add__", "Value.__mul__", "Value.__pow__", "Value.backward"}
    values, grads = callables.value_program(autodiff.Value, {"leaves": [1.5, -2.0], "ops": [["lin", 0, 1, 0.5, 3.0]]})
    assert values.tolist() == [1.5, -2.0, 0.5 * 1.5 + 3.0 * -2.0] and grads.tolist() == [0.5, 3.0, 1.0]


def test_a_function_whose_dependency_fails_names_it_in_other_chapters(monkeypatch):
    """The same rule for a plain function and its builds_on (02: mlp_forward calls dense_forward)."""
    wrong = lambda x, W, b: x @ W  # noqa: E731  (the bias forgotten)
    monkeypatch.setattr(layers, "dense_forward", wrong)
    reports = reports_of("02_forward")
    assert "You forgot the bias" in reports["dense_forward"].text()
    assert reports["dense_forward"].text() == plain_text("dense_forward")
    assert reports["mlp_forward"].culprits == ("dense_forward",)
    assert "hint:" not in reports["mlp_forward"].text()


def test_a_report_with_no_failing_dependency_is_unchanged(monkeypatch):
    # mlp_forward wrong on its own (dense_forward right): its own first failure and hint, exactly as before
    monkeypatch.setattr(layers, "mlp_forward", lambda x, params, activation: (np.zeros(1), []))
    reports = reports_of("02_forward")
    assert reports["dense_forward"].passed and not reports["mlp_forward"].passed
    assert reports["mlp_forward"].text() == plain_text("mlp_forward")


@pytest.mark.parametrize("method, body, culprit_words", [
    ("Value.__add__", dict((label, body) for label, _, body in HELD_OUT[CHAPTER])["add: gradient overwritten"],
     "overwrites the children's grad"),
    ("Value.__mul__", reference._OVERWRITE_MUL, "accumulate with `self.grad += ...`"),
    ("Value.backward", reference._BACKWARD_NAIVE_RECURSION, "double counting"),
])
def test_a_learner_folder_reports_the_culprit(tmp_path, method, body, culprit_words):
    done = run_python(["-m", "dlmath", "check", CHAPTER], learner_05(tmp_path, {method: body}))
    assert done.returncode == 1
    blocks = {block.split(":")[0]: block for block in done.stdout.split("✗ ")[1:]}
    own = blocks.pop(f"dlmath.autodiff.{method}")
    assert culprit_words in own, done.stdout
    assert blocks, done.stdout  # correct methods do fail their checks here...
    for name, block in blocks.items():  # ...and each names the wrong one, with no hint of its own
        assert f"— {method} fails its own checks; fix it first" in block and "hint:" not in block, done.stdout


def test_failures_that_no_check_tells_apart_name_both_suspects_without_a_hint(monkeypatch):
    """f and g build on each other and every failing check runs both: no culprit can be told apart, so each
    report shows its first failure, says the mistake may be in either, and gives no catalogued hint."""
    from dlmath.checking.cases import Case, FunctionSpec
    from dlmath.checking.compare import CaseResult

    def spec(name, builds_on):
        return FunctionSpec(name=name, module="m", chapter="99_x", section="99_x §1", builds_on=builds_on,
                            cases=(Case(name, "one", (), {}), Case(name, "two", (), {})))

    specs = {"f": spec("f", ("g",)), "g": spec("g", ("f",)), "h": spec("h", ("f",))}
    verdicts = {"f": (False, False), "g": (False, True), "h": (False, True)}

    def report(s, seconds):
        return checking.FunctionReport(s, tuple(CaseResult(c, ok, "" if ok else "wrong values", "" if ok else "a hint")
                                                for c, ok in zip(s.cases, verdicts[s.name])))

    monkeypatch.setattr(checking, "public_specs", lambda: {"99_x": specs})
    monkeypatch.setattr(checking, "_report", report)
    done = {("99_x", n): report(specs[n], 5.0) for n in ("f", "h")}
    f, h = checking._attribute([done["99_x", "f"], done["99_x", "h"]], done, 5.0)
    assert (f.entangled, f.culprits, h.entangled, h.culprits) == (("g",), (), ("f",), ())
    assert "first failure — one: wrong values" in f.text() and "hint:" not in f.text()
    assert "runs g, which fails its own checks too: the mistake may be here or in it" in f.text()
