"""The judge: hidden inputs in a separate process, comparison in a trusted one, faults cost one function."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import CHAPTER, REPO, run_python
from grading import chapters, runner
from grading.judge import _encode_inputs, judge_submission, plan
from dlmath.checking.cases import load_chapter_file

FULL = {g.name: g.points for g in chapters.get(CHAPTER).graded}


def scores(folder):
    return {name: v.score for name, v in judge_submission(CHAPTER, folder).items()}


def test_correct_submission_gets_every_point(learner):
    assert scores(learner()) == FULL


def test_stubs_get_nothing(learner):
    assert scores(learner(stubs=True)) == dict.fromkeys(FULL, 0)


def only_lost(result: dict, *functions: str) -> bool:
    return all((result[n] < FULL[n]) if n in functions else (result[n] == FULL[n]) for n in FULL)


def test_a_crash_costs_only_the_crashing_function(learner):
    folder = learner({"tanh": "import os\nos._exit(3)"})
    result = judge_submission(CHAPTER, folder)
    assert only_lost({n: v.score for n, v in result.items()}, "tanh")
    assert result["tanh"].checks[0].problem == "the process running it died (exit code 3)"


def test_a_memory_blowup_costs_only_that_function(learner):
    folder = learner({"relu": "hoard = []\nwhile True:\n    hoard.append(np.empty(10**8))"})
    result = judge_submission(CHAPTER, folder)
    assert only_lost({n: v.score for n, v in result.items()}, "relu")
    assert "MemoryError" in result["relu"].checks[0].problem


def test_shadowing_files_in_the_submission_are_not_imported(learner):
    folder = learner()
    (folder / "numpy.py").write_text("raise SystemExit('shadowed numpy')\n")
    (folder / "grading").mkdir()
    (folder / "grading" / "__init__.py").write_text("raise SystemExit('shadowed grading')\n")
    assert scores(folder) == FULL


def test_patching_numpy_inside_the_submission_gains_nothing(learner):
    folder = learner({"sigmoid": "return z"})
    path = folder / "dlmath" / "activations.py"
    path.write_text(path.read_text() + "\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)\n")
    assert only_lost(scores(folder), "sigmoid")


def test_printing_to_stdout_or_stderr_does_not_confuse_the_runner(learner):
    folder = learner({"relu": "import sys\nprint('done relu')\nprint('noise', file=sys.stderr)\nreturn np.maximum(z, 0)"})
    assert scores(folder) == FULL


def test_a_missing_return_or_a_non_array_is_named_in_the_feedback(learner):
    result = judge_submission(CHAPTER, learner({"relu": "np.maximum(z, 0)", "tanh": "return 'text'"}))
    assert result["relu"].checks[0].problem == "returned None — is a `return` statement missing?"
    assert result["tanh"].checks[0].problem == "returned a str, expected a NumPy array"
    assert only_lost({n: v.score for n, v in result.items()}, "relu", "tanh")


def test_each_function_is_graded_with_the_reference_for_the_others(learner):
    # softmax is wrong; softmax_backward and log_softmax call it but are themselves right
    wrong_softmax = "e = np.exp(z - np.max(z, axis=0, keepdims=True))\nreturn e / np.sum(e, axis=0, keepdims=True)"
    calls_softmax = "s = softmax(z, axis=axis)\nreturn s * (dout - np.sum(dout * s, axis=axis, keepdims=True))"
    folder = learner({"softmax": wrong_softmax, "softmax_backward": calls_softmax})
    assert only_lost(scores(folder), "softmax")


def test_partial_credit_is_points_times_the_share_of_checks_passed(learner):
    result = judge_submission(CHAPTER, learner({"sigmoid": "return 1 / (1 + np.exp(-z))"}))["sigmoid"]
    passed = sum(c.passed for c in result.checks)
    assert 0 < passed < len(result.checks)
    # each check weighs its case's weight: the documented extremes carry a third of the points (issue 13)
    weights = {c.name: c.weight for c in load_chapter_file(chapters.get(CHAPTER).hidden_fixture)["sigmoid"].cases}
    share = sum(weights[c.name] for c in result.checks if c.passed) / sum(weights.values())
    assert result.score == pytest.approx(share) and share < passed / len(result.checks)
    assert all("NumPy warned" in c.problem for c in result.checks if not c.passed)


def test_the_runner_receives_inputs_but_never_expected_results():
    specs = load_chapter_file(chapters.get(CHAPTER).hidden_fixture)
    for spec in specs.values():
        cases, index, payload = _encode_inputs(plan(CHAPTER), spec.name)
        assert "expected" not in json.dumps(cases) and "mistakes" not in json.dumps(cases)
        stored = list(runner.unpack_arrays(index, payload).values())
        assert stored  # the inputs travel; no expected output is among them
        for case in spec.cases:
            assert not any(a.shape == case.expected.shape and np.array_equal(a, case.expected)
                           and not any(np.array_equal(a, x) for x in case.args if isinstance(x, np.ndarray))
                           for a in stored)


def test_harness_returns_a_plain_float_and_writes_nothing_to_stderr(learner):
    folder = learner({"sigmoid": "return 1 / (1 + np.exp(-z))"})
    code = "from grading.harness import grade\nscore = grade('03_activations', 'sigmoid')\nprint(type(score).__name__, score)"
    done = run_python(["-c", code], folder)
    assert done.stderr == ""
    assert done.stdout.strip().splitlines()[-1] == "float 0.666667"  # the two failed extremes weigh a third
    assert "6/8 hidden checks passed" in done.stdout and "hint: np.exp overflowed" in done.stdout


def test_a_slow_function_is_told_by_its_public_checks_before_hidden_grading_stops_it(learner):
    """Hidden grading gives a function GRADING_CPU_SECONDS for all its cases; public checks that take more
    than SLOW_CPU_SECONDS say so, so a learner hears about it before a grade depends on it."""
    burn = "import time\nstart = time.process_time()\nwhile time.process_time() - start < {seconds}:\n    pass\n"
    solution = "return 0.5 * (1 + np.tanh(0.5 * z))"
    folder = learner({"sigmoid": burn.format(seconds=0.1) + solution, "tanh": burn.format(seconds=0.6) + "return np.tanh(z)"})
    done = run_python(["-m", "dlmath", "check", "sigmoid", "tanh"], folder)
    lines = done.stdout.splitlines()
    for name in ("sigmoid", "tanh"):
        at = next(i for i, line in enumerate(lines) if f"activations.{name}:" in line)
        assert "checks passed" in lines[at] and "but slowly" in lines[at + 1], done.stdout
    verdicts = judge_submission(CHAPTER, folder)
    assert verdicts["sigmoid"].score == verdicts["sigmoid"].points  # slow, but within the budget: full marks
    assert verdicts["tanh"].score == 0  # ~0.6 s per case: past the budget
    assert all("2 CPU seconds for all cases" in c.problem for c in verdicts["tanh"].checks), verdicts["tanh"].report()


def test_the_plans_student_edition_is_deleted_when_its_process_exits(tmp_path):
    """Each grading process writes the chapter's student edition to a temporary folder once: it must not
    outlive the process (an instructor's /tmp would collect one per autograde), nor vanish in a fork of it."""
    script = ("import os, sys\nfrom grading import judge\nplan = judge.plan('03_activations')\nprint(plan.edition)\n"
              "child = os.fork()\nif child == 0:\n    sys.exit(0)  # a forked process exiting normally\n"
              "os.waitpid(child, 0)\nprint(plan.edition.is_dir())\n")
    done = run_python(["-c", script], cwd=REPO, timeout=120)
    edition, alive_after_fork = done.stdout.split()
    assert done.returncode == 0 and alive_after_fork == "True", done.stderr
    assert not Path(edition).exists()


def test_children_run_the_learners_code_as_the_load_child_compiled_it_or_else_its_text(learner, monkeypatch):
    """The load child sends the learner's modules back compiled; the judge passes those bytes on, and each
    grading child runs them instead of compiling the text again. Shown by swapping the bytes in between:
    code compiled from a correct sigmoid earns the points the text (overflowing) does not, and bytes that
    are not code are ignored (the text is compiled)."""
    import marshal

    from grading import judge

    from grading import demo

    folder = learner({"sigmoid": "return 1 / (1 + np.exp(-z))"})
    swapped = marshal.dumps(compile(demo.solved_module("activations", {}), "dlmath/activations.py", "exec"))
    assert scores(folder)["sigmoid"] < FULL["sigmoid"]
    monkeypatch.setattr(judge, "_compiled_by_learner", lambda load, sources: {"activations": swapped})
    assert scores(folder)["sigmoid"] == FULL["sigmoid"]
    for garbage in (b"not marshal", marshal.dumps(42), swapped[: len(swapped) // 2]):
        monkeypatch.setattr(judge, "_compiled_by_learner", lambda load, sources, blob=garbage: {"activations": blob})
        assert scores(folder)["sigmoid"] < FULL["sigmoid"]


def test_a_malformed_description_of_compiled_code_is_ignored():
    import marshal

    from grading.judge import Done, _compiled_by_learner

    code = marshal.dumps(compile("x = 1", "m", "exec"))
    sources = {"activations": "x = 1"}

    def load(described, payload=code):
        return Done({"errors": {}, "compiled": described}, payload, 0, 0.0, False, True)

    assert _compiled_by_learner(load({"activations": [0, len(code)]}), sources) == {"activations": code}
    for described in ({"activations": [0, len(code) + 1]}, {"activations": [-1, 3]}, {"activations": [0, True]},
                      {"activations": "0,3"}, {"other": [0, len(code)]}, ["activations"], None):
        assert _compiled_by_learner(load(described), sources) == {}, described
    huge = b"\0" * (4 * len(sources["activations"]) + 65537)
    assert _compiled_by_learner(load({"activations": [0, len(huge)]}, huge), sources) == {}
    assert runner._compiled([0, len(code)], code).co_filename == "m"
    for entry, payload in (([0, 3], b"abc"), ([0, 9], code[:9]), ([2, len(code)], code), (None, code), ([0, 2], marshal.dumps(7))):
        assert runner._compiled(entry, payload) is None
