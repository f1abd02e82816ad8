"""The checking and grading machinery on the shapes of results the core chapters need.

Structured results (``(dx, dW, db)``), functions passed by name (``f`` of a finite difference),
and graded methods exercised through a driver (``Value.tanh``), through both paths: the
learner's check in this process and the judge + runner out of process. Expected values are
derived by hand in the comments.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import dlmath.checking as checking
from dlmath.checking import arrays, callables, calling, cases, compare, properties
from dlmath.checking.arrays import Named
from grading import chapters, editions, judge

# a = 2, b = -3; c = a·b = -6; d = c + a = -4; e = d·d = 16 (d is used twice).
# de/dd = 2d = -8; dc = de/dd = -8; da = dd·1 + dc·b = -8 + 24 = 16; db = dc·a = -16.
PROGRAM = {"leaves": [2.0, -3.0], "ops": [["mul", 0, 1], ["add", 2, 0], ["mul", 3, 3]]}
PROGRAM_RESULT = (np.array([2.0, -3.0, -6.0, -4.0, 16.0]), np.array([16.0, -16.0, -8.0, -8.0, 1.0]))

# dense layer, x (2, 2) = [[1, 2], [3, 4]], W (2, 3) of ones, dout (2, 3) of ones:
# dx = dout Wᵀ = 3 everywhere; dW = xᵀ dout = [[1+3]*3, [2+4]*3]; db = column sums of dout = 2.
X, W, DOUT = np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((2, 3)), np.ones((2, 3))
DENSE_RESULT = (np.full((2, 2), 3.0), np.array([[4.0, 4.0, 4.0], [6.0, 6.0, 6.0]]), np.full(3, 2.0))

POINTS = np.array([0.0, 0.5, 1.0])  # d/dx sin x = cos x


def spec_file(tmp_path, chapter_id, functions) -> dict:
    document = {"chapter": chapter_id, "functions": {
        name: {"module": module, "section": f"{chapter_id} §1", "params": params, "hints": hints,
               **({"driver": "value_program"} if "." in name else {}),
               "cases": [cases.as_json_case({"name": "hand-derived", "args": args, "expected": expected,
                                             "rtol": 1e-9, "atol": 1e-12})]}
        for name, (module, params, hints, args, expected) in functions.items()}}
    path = tmp_path / f"{chapter_id}.json"
    path.write_text(json.dumps(document))
    return cases.load_chapter_file(path)


@pytest.fixture
def backprop_specs(tmp_path):
    return spec_file(tmp_path, "05_backprop", {
        "Value.__add__": ("autodiff", ["program"], {"returns": ["values", "grads"]}, [PROGRAM], PROGRAM_RESULT),
        "Value.__mul__": ("autodiff", ["program"], {"returns": ["values", "grads"]}, [PROGRAM], PROGRAM_RESULT),
        "Value.backward": ("autodiff", ["program"], {"returns": ["values", "grads"]}, [PROGRAM], PROGRAM_RESULT),
        "dense_backward": ("layers", ["dout", "x", "W"], {"returns": ["dx", "dW", "db"]}, [DOUT, X, W], DENSE_RESULT),
    })


@pytest.fixture
def calculus_specs(tmp_path):
    return spec_file(tmp_path, "01_math_toolkit", {
        "numerical_derivative": ("calculus", ["f", "x", "h"], {}, [Named("sin"), POINTS, 1e-5], np.cos(POINTS)),
    })


def submission(tmp_path, edits: dict[str, list[tuple[str, str]]]):
    """The instructor package with some (old, new) text edits per module: a learner's work."""
    folder = tmp_path / "submission"
    editions.copy_package(folder)
    for module, replacements in edits.items():
        path = folder / "dlmath" / f"{module}.py"
        text = path.read_text()
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new)
        path.write_text(text)
    return folder


def judged(monkeypatch, specs, chapter_id, folder):
    """Judge ``folder`` on hand-made cases (the registry's builds_on, restricted to these functions)."""
    real = chapters.get(chapter_id)
    monkeypatch.setattr(judge, "load_chapter_file", lambda path: specs)
    monkeypatch.setattr(chapters, "CHAPTERS", {chapter_id: chapters.Chapter(chapter_id, "test", tuple(
        chapters.Graded(s.module, n, 1, tuple(b for b in real.function(n).builds_on if b in specs))
        for n, s in specs.items()))})
    judge._plan.cache_clear()
    try:
        return judge.judge_submission(chapter_id, folder)
    finally:
        judge._plan.cache_clear()


def test_codec_round_trips_structures_and_named_functions():
    value = [(np.arange(3.0), np.float32(2)), {"k": Named("sin")}, "text", (np.zeros((2, 0)),)]
    decoded = arrays.decode_value(json.loads(json.dumps(arrays.encode_value(value))))
    assert arrays.same(decoded[0][0], value[0][0]) and decoded[0][1] == 2.0
    assert decoded[1] == {"k": Named("sin")} and decoded[2] == "text" and decoded[3][0].shape == (2, 0)


def test_learner_check_runs_a_method_through_its_driver(backprop_specs):
    spec = backprop_specs["Value.__mul__"]
    result = compare.judge(spec.cases[0], calling.run_case(checking._callable(spec), spec.cases[0]), spec.hints)
    assert result.passed, result.problem


def test_structured_result_names_the_failing_part_and_its_position():
    case = cases.Case("dense_backward", "c", (DOUT, X, W), {}, expected=DENSE_RESULT, arg_names=("dout", "x", "W"))
    hints = {"returns": ["dx", "dW", "db"]}
    wrong_db = compare.Outcome("ok", value=(DENSE_RESULT[0], DENSE_RESULT[1], np.full(2, 3.0)))
    assert compare.judge(case, wrong_db, hints).problem == "db: returned shape (2,), expected (3,)"
    two = compare.Outcome("ok", value=DENSE_RESULT[:2])
    assert compare.judge(case, two, hints).problem == "returned a tuple of 2 items, expected a tuple of 3 (dx, dW, db)"
    transposed = compare.Outcome("ok", value=(DENSE_RESULT[0], DENSE_RESULT[1] * 0, DENSE_RESULT[2]))
    assert compare.judge(case, transposed, hints).problem.startswith("dW: wrong values at index (0, 0): expected 4, got 0")


def test_a_mistake_is_recognised_part_by_part():
    mistake = (DENSE_RESULT[0], DENSE_RESULT[1] / 2, DENSE_RESULT[2])
    case = cases.Case("dense_backward", "c", (DOUT, X, W), {}, expected=DENSE_RESULT,
                      mistakes=(cases.Mistake("averaged over the batch?", mistake),))
    assert compare.judge(case, compare.Outcome("ok", value=mistake), {}).hint == "averaged over the batch?"


def test_an_in_place_edit_of_a_nested_input_is_caught():
    def edits_first_layer(params):
        params[0][0][0, 0] = 99.0
        return np.zeros(1)
    case = cases.Case("f", "c", ([(np.ones((2, 2)), np.ones(2))],), {}, expected=np.zeros(1))
    assert calling.run_case(edits_first_layer, case).status == "mutated"


def test_judge_grades_a_method_with_the_reference_class_around_it(tmp_path, monkeypatch, backprop_specs):
    # backward without a topological order: only the root's own _backward runs
    broken = submission(tmp_path, {"autodiff": [("        visit(self)\n", "        order.append(self)\n")]})
    verdicts = judged(monkeypatch, backprop_specs, "05_backprop", broken)
    assert verdicts["Value.backward"].score == 0
    assert verdicts["Value.__mul__"].score == 1  # graded with the reference backward: unharmed
    assert verdicts["dense_backward"].score == 1


def test_judge_reports_structured_mistakes_and_unusable_parts(tmp_path, monkeypatch, backprop_specs):
    wrong = submission(tmp_path, {
        "layers": [("return dout @ W.T, x.T @ dout, dout.sum(axis=0)", "return dout @ W.T, 'dW', dout.sum(axis=0)")],
        "autodiff": [("            other.grad += self.data * out.grad", "            other.grad = self.data * out.grad")]})
    verdicts = judged(monkeypatch, backprop_specs, "05_backprop", wrong)
    assert verdicts["dense_backward"].checks[0].problem == "dW: returned a str, expected a NumPy array"
    # `=` instead of `+=` loses the second path into the reused node d (e = d·d)
    assert verdicts["Value.__mul__"].checks[0].problem.startswith("grads: wrong values")
    assert verdicts["Value.backward"].score == 1


def test_named_functions_come_from_the_graders_copy_not_the_submissions(tmp_path, monkeypatch, calculus_specs):
    tampered = submission(tmp_path, {})
    path = tampered / "dlmath" / "checking" / "callables.py"
    path.write_text(path.read_text() + "\nFUNCTIONS['sin'] = lambda x: 0 * x\n")
    verdicts = judged(monkeypatch, calculus_specs, "01_math_toolkit", tampered)
    assert verdicts["numerical_derivative"].score == 1


def test_learner_check_resolves_named_functions(calculus_specs):
    spec = calculus_specs["numerical_derivative"]
    result = compare.judge(spec.cases[0], calling.run_case(checking._callable(spec), spec.cases[0]), spec.hints)
    assert result.passed, result.problem


def test_a_check_stopped_by_another_functions_stub_says_what_it_waits_for(tmp_path):
    from conftest import run_python
    from grading import demo
    editions.write_student_package("05_backprop", tmp_path)
    stub = 'raise NotImplementedError("dlmath.autodiff.Value.backward is not implemented yet — see 05_backprop §2.4")'
    (tmp_path / "dlmath" / "autodiff.py").write_text(demo.solved_module("autodiff", {"Value.backward": stub}, "05_backprop"))
    done = run_python(["-m", "dlmath", "check", "Value.__add__", "Value.backward"], tmp_path)
    assert ("· dlmath.autodiff.Value.__add__: waits for dlmath.autodiff.Value.backward, "
            "not implemented yet — see 05_backprop §2.4") in done.stdout
    assert "· dlmath.autodiff.Value.backward: not implemented yet — see 05_backprop §2.4" in done.stdout
    code = "import dlmath; dlmath.assert_implemented('Value.__add__'); print('graded cell passes its visible line')"
    assert "graded cell passes its visible line" in run_python(["-c", code], tmp_path).stdout


def test_the_runner_catches_an_in_place_edit_of_a_nested_input(tmp_path):
    # mlp_forward zeroing the first kernel it was handed: params is a list of (W, b) tuples
    edited = submission(tmp_path, {"layers": [("cache, a = [], x", "params[0][0][...] = 0\n    cache, a = [], x")]})
    verdict = judge.judge_submission("02_forward", edited)["mlp_forward"]
    assert verdict.score == 0
    assert all(check.problem == "changed its input array in place" for check in verdict.checks)


# ---- results that are dicts, generator arguments, properties and drivers of plain functions --------

def _case(**fields):
    return cases.Case(function="f", name="hand-made", args=fields.pop("args", ()), kwargs=fields.pop("kwargs", {}),
                      **fields)


def test_a_dict_result_is_compared_key_by_key_and_a_wrong_entry_is_named():
    # an optimizer step's state: m = 0.1·g = 0.2, v = 0.001·g² = 0.004 for g = 2
    expected = (np.array([1.0]), {"m": np.array([0.2]), "v": np.array([0.004])})
    case = _case(expected=expected, rtol=1e-9)
    good = compare.judge(case, compare.Outcome("ok", value=(np.array([1.0]), {"m": np.array([0.2]), "v": np.array([0.004])})),
                         {"returns": ["w", "state"]})
    assert good.passed
    wrong = compare.judge(case, compare.Outcome("ok", value=(np.array([1.0]), {"m": np.array([0.2]), "v": np.array([0.04])})),
                          {"returns": ["w", "state"]})
    assert not wrong.passed and wrong.problem.startswith("state['v']: wrong values")
    missing = compare.judge(case, compare.Outcome("ok", value=(np.array([1.0]), {"m": np.array([0.2])})), {})
    assert "expected a dict with keys ['m', 'v']" in missing.problem


def test_a_seed_argument_gives_each_call_a_fresh_generator():
    case = _case(args=(arrays.Seed(7),), expected=np.random.default_rng(7).random(3), rtol=0)
    stored = json.loads(json.dumps(cases.as_json_case({"name": "seeded", "args": [arrays.Seed(7)], "expected": np.zeros(1)})))
    assert stored["args"] == [{"rng": 7}] and arrays.decode_value(stored["args"][0]) == arrays.Seed(7)
    draws = lambda rng: rng.random(3)  # noqa: E731
    assert compare.judge(case, calling.run_case(draws, case)).passed
    assert compare.judge(case, calling.run_case(draws, case)).passed  # the same draws again: a new generator


def test_a_property_case_is_judged_by_its_property(monkeypatch):
    # a made-up property: every entry lies in [-limit, limit]
    def bounded(got, args, kwargs, limit):
        got, problem = properties.as_float_array(got)
        if got is None:
            return problem, ""
        outside = np.abs(got) > limit
        return (f"{int(outside.sum())} values outside ±{limit:g}", "draw from U(-limit, limit)") if outside.any() else None
    monkeypatch.setitem(properties.PROPERTIES, "bounded_for_test", bounded)
    stored = cases.as_json_case({"name": "property", "args": [], "check": {"name": "bounded_for_test", "params": {"limit": 0.5}}})
    case = cases._case_from_json("f", json.loads(json.dumps(stored)), [])
    assert case.check == {"name": "bounded_for_test", "params": {"limit": 0.5}} and case.expected is None
    assert compare.judge(case, compare.Outcome("ok", value=np.array([0.1, -0.4]))).passed
    result = compare.judge(case, compare.Outcome("ok", value=np.array([0.1, -0.9, 2.0])))
    assert (result.problem, result.hint) == ("2 values outside ±0.5", "draw from U(-limit, limit)")
    assert compare.judge(case, compare.Outcome("ok", value="text")).problem == "the result is a str, expected a NumPy array"
    assert "returned None" in compare.judge(case, compare.Outcome("ok", value=None)).problem


def test_a_plain_function_can_be_checked_through_a_driver(monkeypatch, tmp_path):
    # driver: apply the learner's function twice; f(x) = 2x, so twice gives 4x
    monkeypatch.setitem(callables.DRIVERS, "twice_for_test", lambda fn, x: fn(fn(x)))
    spec = cases.FunctionSpec("dense_forward", "layers", "02_forward", "§1", driver="twice_for_test")
    monkeypatch.setattr(checking, "_module", lambda spec: type("M", (), {"dense_forward": staticmethod(lambda x: 2 * x)}))
    function = checking._callable(spec)
    assert np.array_equal(function(np.array([1.0, 3.0])), np.array([4.0, 12.0]))
