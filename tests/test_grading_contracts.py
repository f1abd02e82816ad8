"""Grading judges what was asked (issue 13): contracts through drivers, the warning policy, no points for
a constant output, weighted cases. In-process checks are cheap; one sandboxed judge run per contract."""
from __future__ import annotations

import functools
import types

import numpy as np
import pytest

from dlmath.checking import callables, calling, compare
from dlmath.checking.cases import Case, Mistake, load_chapter_file
from dlmath.checking.compare import Outcome
from grading import chapters, demo, editions
from grading.judge import judge_submission

CHAPTERS = ["01_math_toolkit", "02_forward", "03_activations", "04_losses", "05_backprop"]


def module_with(module: str, bodies: dict[str, str] | None = None):
    """dlmath.<module> as a learner who solved everything writes it, with ``bodies`` replacing some solutions."""
    found = types.ModuleType(f"dlmath.{module}")
    found.__file__ = f"<learner {module}>"
    exec(compile(demo.solved_module(module, bodies), found.__file__, "exec"), found.__dict__)
    return found


def target(spec, module):
    """What the checks call: the function, or its driver bound to it (a method's driver to its class)."""
    owner, _, method = spec.name.partition(".")
    subject = getattr(module, owner)
    return functools.partial(callables.DRIVERS[spec.driver], subject) if spec.driver else subject


def results(chapter_id: str, name: str, bodies=None, audience="hidden"):
    chapter = chapters.get(chapter_id)
    path = chapter.hidden_fixture if audience == "hidden" else chapter.public_cases
    spec = load_chapter_file(path)[name]
    function = target(spec, module_with(chapter.function(name).module, bodies))
    return [compare.judge(case, calling.run_case(function, case), spec.hints) for case in spec.cases]


# ---- contracts that a value alone can't show ------------------------------------------------------------

PERTURBS_A_COPY = """grad = np.zeros(x.shape)
for i in np.ndindex(x.shape):
    plus, minus = x.copy(), x.copy()
    plus[i] += h
    minus[i] -= h
    grad[i] = (float(f(plus)) - float(f(minus))) / (2 * h)
return grad"""
RETURNS_A_VIEW = """if grad.shape == tuple(shape):
    return grad
leading = grad.ndim - len(shape)
summed = grad.sum(axis=tuple(range(leading)))
stretched = tuple(a for a, n in enumerate(shape) if n == 1 and summed.shape[a] != 1)
return summed.sum(axis=stretched, keepdims=True).reshape(shape)"""
KEEPS_VIEWS = """J = np.zeros(np.shape(f(x)) + x.shape)
for i in np.ndindex(x.shape):
    old = x[i]
    x[i] = old + h
    plus = np.asarray(f(x))
    x[i] = old - h
    minus = np.asarray(f(x))
    x[i] = old
    J[(Ellipsis,) + i] = (plus - minus) / (2 * h)
return J"""
CONTRACTS = {  # documented promise: (function, body breaking only it, words of the hint)
    "numerical_gradient perturbs the caller's x in place": ("numerical_gradient", PERTURBS_A_COPY, "not a copy"),
    "unbroadcast never returns a view of grad": ("unbroadcast", RETURNS_A_VIEW, "view of grad"),
    "numerical_jacobian copies f(x)": ("numerical_jacobian", KEEPS_VIEWS, "Keep copies"),
}


@pytest.mark.parametrize("contract", CONTRACTS)
@pytest.mark.parametrize("audience", ["public", "hidden"])
def test_breaking_a_contract_fails_a_case_with_its_hint(contract, audience):
    name, body, hint = CONTRACTS[contract]
    verdicts = results("01_math_toolkit", name, {name: body}, audience)
    failed = [r for r in verdicts if not r.passed]
    assert failed and all(hint in r.hint for r in failed), [(r.case.name, r.problem, r.hint) for r in failed]
    assert all(r.passed for r in results("01_math_toolkit", name, audience=audience))  # the solution keeps them


@pytest.mark.parametrize("contract", CONTRACTS)
def test_the_judge_grades_the_contract_and_only_that_function(tmp_path, contract):
    name, body, _ = CONTRACTS[contract]
    editions.write_student_package("01_math_toolkit", tmp_path)
    (tmp_path / "dlmath" / "calculus.py").write_text(demo.solved_module("calculus", {name: body}), encoding="utf-8")
    verdicts = judge_submission("01_math_toolkit", tmp_path)
    lost = {n for n, v in verdicts.items() if v.score < v.points}
    assert lost == {name}, {n: v.report() for n, v in verdicts.items()}


# ---- the warning policy ----------------------------------------------------------------------------------

def _case(expected):
    return Case("f", "a case", (np.zeros(3),), {}, expected=np.asarray(expected))


def test_numpy_runtime_warnings_fail_a_case_but_a_learners_own_warning_does_not():
    case = _case([1.0, 2.0, 3.0])
    right = np.array([1.0, 2.0, 3.0])
    assert compare.judge(case, Outcome("ok", right, warnings=("UserWarning: z is large, results may be slow",))).passed
    assert compare.judge(case, Outcome("ok", right, warnings=("DeprecationWarning: use axis=",))).passed
    failed = compare.judge(case, Outcome("ok", right, warnings=("RuntimeWarning: overflow encountered in exp",)))
    assert not failed.passed and "NumPy warned" in failed.problem


def test_a_learners_user_warning_is_not_a_false_failure():
    """End to end in-process: a correct sigmoid that warns on its own gets every case."""
    body = ("import warnings\nwarnings.warn('sigmoid: large inputs are clipped internally')\n"
            "return np.exp(-np.logaddexp(0, -z)).astype(z.dtype)")
    assert all(r.passed for r in results("03_activations", "sigmoid", {"sigmoid": body}))


# ---- no constant output earns points ---------------------------------------------------------------------

def _constant_like(expected, value):
    if isinstance(expected, (tuple, list)):
        return type(expected)(_constant_like(part, value) for part in expected)
    return np.full(np.shape(expected), value, dtype=np.asarray(expected).dtype)


def _constants(cases):
    """0, 1 and every value an array result is filled with (a stub can't guess a scalar loss such as 4.6e-7,
    shared on purpose by relative_error's scale-free cases)."""
    def size(value):
        return sum(size(v) for v in value) if isinstance(value, (tuple, list)) else np.size(value)
    return {0.0, 1.0} | {v for c in cases if c.expected is not None and size(c.expected) > 1
                         and isinstance(v := compare.constant_value(c.expected), float)}


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_no_constant_output_earns_points(chapter_id):
    for name, spec in load_chapter_file(chapters.get(chapter_id).hidden_fixture).items():
        for value in _constants(spec.cases):
            verdicts = [compare.judge(c, Outcome("ok", _constant_like(c.expected, value)), spec.hints)
                        for c in spec.cases if c.expected is not None]
            share, _ = compare.grade(verdicts)
            assert share == 0, (name, value, [r.case.name for r in verdicts if r.passed])


def test_a_constant_case_counts_once_another_case_passes():
    zero, other = _case([0.0, 0.0, 0.0]), _case([1.0, 2.0, 3.0])
    passed = [compare.CaseResult(zero, True), compare.CaseResult(other, True)]
    assert compare.grade(passed)[0] == 1.0
    share, counted = compare.grade([compare.CaseResult(zero, True), compare.CaseResult(other, False)])
    assert share == 0 and "constant output" in counted[0].hint


def test_cases_weigh_their_weight():
    light, heavy = _case([1.0, 2.0, 3.0]), Case("f", "extreme", (np.zeros(3),), {}, expected=np.arange(3.0), weight=3.0)
    assert compare.grade([compare.CaseResult(light, True), compare.CaseResult(heavy, False)])[0] == 0.25


# ---- documented extremes carry a stated share ------------------------------------------------------------

def _graded_object(module, name):
    import importlib

    found = importlib.import_module(f"dlmath.{module}")
    for part in name.split("."):
        found = getattr(found, part)
    return found


@pytest.mark.parametrize("chapter_id", CHAPTERS)
def test_documented_extremes_carry_at_least_a_third_and_the_docstring_says_so(chapter_id):
    from grading.references._extremes import SHARE, is_extreme

    chapter = chapters.get(chapter_id)
    for name, spec in load_chapter_file(chapter.hidden_fixture).items():
        extremes = [c for c in spec.cases if is_extreme(c.name)]
        doc = " ".join((_graded_object(chapter.function(name).module, name).__doc__ or "").split())
        says = "its documented extremes" in doc and "carry at least a third of its points" in doc
        assert says == bool(extremes), (name, [c.name for c in extremes])
        if extremes:
            share = sum(c.weight for c in extremes) / sum(c.weight for c in spec.cases)
            assert share >= SHARE - 1e-9, (name, share)


def test_failing_every_extreme_costs_a_third_of_sigmoid():
    """The naive sigmoid is right on ordinary inputs and overflows at ±1000: 2 of 8 cases, a third of the points."""
    verdicts = results("03_activations", "sigmoid", {"sigmoid": "return 1 / (1 + np.exp(-z))"})
    assert sum(not r.passed for r in verdicts) == 2
    assert compare.grade(verdicts)[0] == pytest.approx(2 / 3)


# ---- hints from the shape of the error -------------------------------------------------------------------

def _hint(expected, got, *args, mistakes=()):
    case = Case("f", "a case", tuple(args) or (np.zeros(np.shape(expected)),), {}, expected=np.asarray(expected),
                mistakes=tuple(mistakes))
    result = compare.judge(case, Outcome("ok", np.asarray(got)), {"values": "generic advice"})
    assert not result.passed
    return result.hint


def test_error_shape_hints_name_the_pattern():
    rng = np.random.default_rng(0)
    e = rng.normal(0, 1, (4, 3))
    x = rng.normal(0, 1, (4, 3))
    assert "4 times too small" in _hint(e, e / 4, x)            # a mean where a sum belongs (4 = the batch)
    assert "12 times too large" in _hint(e, e * 12, x)          # a sum where a mean belongs (12 = every entry)
    assert "opposite sign" in _hint(e, -e, x)
    assert "factor 0.5" in _hint(e, 0.5 * e, x)
    square = rng.normal(0, 1, (3, 3))
    assert "transposed" in _hint(square, square.T, square)
    assert "shifted by 1 along axis 1" in _hint(e, np.roll(e, 1, axis=1), x)
    z = np.array([-1000.0, -3.0, -0.5, 0.5, 3.0, 1000.0])
    right = np.tanh(z)
    assert "|input| ≥ 1e+03" in _hint(right, np.where(np.abs(z) > 100, np.nan, right), z)
    assert "wrong where it is negative" in _hint(np.maximum(z, 0), np.abs(z), z)
    assert _hint(e, e + rng.normal(0, 1, e.shape), x) == "generic advice"  # no pattern: the usual advice


def test_coinciding_catalogued_mistakes_are_all_named():
    e = np.arange(1.0, 5.0)
    wrong = e * 3
    hint = _hint(e, wrong, mistakes=[Mistake("Mistake A.", wrong), Mistake("Mistake B.", wrong)])
    assert "Mistake A." in hint and "Mistake B." in hint
    assert _hint(e, wrong, mistakes=[Mistake("Mistake A.", wrong)]) == "Mistake A."
