"""The learner's checks name the mistake: run `python -m dlmath check` on folders with typical errors."""
from __future__ import annotations

import time

import pytest

from conftest import CHAPTER, run_python
from grading import chapters
from grading.judge import judge_submission
from grading.references import activations as reference

MISTAKES = {
    "naive sigmoid overflows": ("sigmoid", "return 1 / (1 + np.exp(-z))", "np.exp overflowed"),
    "softmax without the max-shift": ("softmax", "e = np.exp(z)\nreturn e / np.sum(e, axis=axis, keepdims=True)",
                                      "Subtract the maximum"),
    "softmax over the wrong axis": ("softmax", "e = np.exp(z - np.max(z, axis=0, keepdims=True))\n"
                                              "return e / np.sum(e, axis=0, keepdims=True)", "softmax along axis 0"),
    "softmax without keepdims": ("softmax", "e = np.exp(z - np.max(z, axis=axis))\nreturn e / np.sum(e, axis=axis)",
                                 "keepdims=True"),
    "relu derivative 1 at zero": ("relu_backward", "return np.where(z >= 0, dout, 0)", "At z = 0 the gradient is taken as 0"),
    "tanh derivative from z": ("tanh_backward", "return dout * (1 - z * z)", "1 − z² uses the input"),
    "sigmoid derivative without dout": ("sigmoid_backward", "s = 1 / (1 + np.exp(-np.clip(z, -500, 500)))\nreturn s * (1 - s)",
                                        "without multiplying by dout"),
    "leaky slope of the Keras layer": ("leaky_relu", "return np.where(z > 0, z, 0.3 * z)", "0.3"),
    "softmax Jacobian diagonal only": ("softmax_backward", "e = np.exp(z - np.max(z, axis=axis, keepdims=True))\n"
                                       "s = e / np.sum(e, axis=axis, keepdims=True)\nreturn s * (1 - s) * dout",
                                       "only the diagonal of the Jacobian"),
    "log of softmax": ("log_softmax", "e = np.exp(z - np.max(z, axis=axis, keepdims=True))\n"
                                      "return np.log(e / np.sum(e, axis=axis, keepdims=True))", "np.log(softmax(z)) is -inf"),
    "float32 promoted to float64": ("tanh", "return np.tanh(z).astype(np.float64)", "returned dtype float64, expected float32"),
    "softmax edits its input in place": ("softmax", "z -= np.max(z, axis=axis, keepdims=True)\ne = np.exp(z)\n"
                                         "return e / np.sum(e, axis=axis, keepdims=True)", "changed its input array in place"),
    "forgot to return": ("relu", "np.maximum(z, 0)", "returned None"),
    "elu through np.where overflows": ("elu", "return np.where(z > 0, z, alpha * (np.exp(z) - 1))",
                                       "Exponentiate only non-positive numbers"),
    "elu without the minus one": ("elu", "return np.where(z > 0, z, alpha * np.exp(np.minimum(z, 0)))",
                                  "the − 1 is missing"),
    "elu slope 1 at zero": ("elu_backward", "return dout * np.where(z >= 0, 1.0, alpha * np.exp(np.minimum(z, 0)))",
                            "TensorFlow takes the z ≤ 0 branch"),
    "elu slope as y + 1 for any alpha": (
        "elu_backward", "return dout * np.where(z > 0, 1.0, alpha * np.expm1(np.minimum(z, 0)) + 1)",
        "works only for α = 1"),
    "silu derivative without the product rule": ("silu_backward", "return dout * sigmoid(beta * z)",
                                                 "You kept only the first term"),
    "silu ignores beta": ("silu", "return z * sigmoid(z)", "Use the beta argument"),
    "gelu ignores approximate": ("gelu", "return 0.5 * z * erfc(-z / 2 ** 0.5)", "You returned the exact form"),
    "gelu with a NumPy float64 constant": ("gelu", "if approximate:\n    return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) "
                                           "* (z + 0.044715 * z ** 3)))\nreturn 0.5 * z * erfc(-z / np.sqrt(2))",
                                           "math.sqrt(2)"),
    "gelu without sqrt 2": ("gelu", "return 0.5 * z * (1 + erf(z))", "divide by √2 inside erf"),
    "gelu derivative Phi only": ("gelu_backward", "return dout * 0.5 * erfc(-z / 2 ** 0.5)", "You kept only Φ(z)"),
    "tanh-gelu derivative without the chain factor": (
        "gelu_backward",
        "if not approximate:\n    return dout * (0.5 * erfc(-z / 2 ** 0.5) + z * np.exp(-z * z / 2) / (2 * np.pi) ** 0.5)\n"
        "t = np.tanh((2 / np.pi) ** 0.5 * (z + 0.044715 * z ** 3))\nreturn dout * (0.5 * (1 + t) + 0.5 * z * (1 - t * t))",
        "brings du/dz"),
}


@pytest.mark.parametrize("label", MISTAKES)
def test_check_names_the_typical_mistake(learner, label):
    function, body, hint = MISTAKES[label]
    folder = learner({function: body})
    done = run_python(["-m", "dlmath", "check", function], folder)
    assert done.returncode == 1, done.stdout
    assert f"✗ dlmath.activations.{function}" in done.stdout
    assert hint in done.stdout, done.stdout


def test_check_passes_a_correct_chapter_and_exits_zero(learner):
    done = run_python(["-m", "dlmath", "check", "03_activations"], learner())
    assert done.returncode == 0, done.stdout
    assert "17/17 functions pass all their checks" in done.stdout


def test_stub_reports_not_implemented_with_section_not_a_traceback(learner):
    done = run_python(["-m", "dlmath", "check", "sigmoid", "softmax"], learner(stubs=True))
    assert "· dlmath.activations.sigmoid: not implemented yet — see 03_activations §2.2" in done.stdout
    assert "· dlmath.activations.softmax: not implemented yet — see 03_activations §5.1" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_mistake_in_sigmoid_is_pointed_out_when_checking_its_backward(learner):
    folder = learner({"sigmoid": "return np.tanh(z)"})
    done = run_python(["-m", "dlmath", "check", "sigmoid", "sigmoid_backward"], folder)
    # sigmoid_backward builds on sigmoid: its report names sigmoid instead of a hint of its own (issue 13)
    assert ("✗ dlmath.activations.sigmoid_backward: 0/7 checks passed — sigmoid fails its own checks; fix it first "
            "(its report is above)") in done.stdout, done.stdout
    backward = next(block for block in done.stdout.split("✗ ")[1:] if block.startswith("dlmath.activations.sigmoid_backward"))
    assert "hint:" not in backward and "first failure" not in backward
    # checked alone, it still says so: sigmoid's checks are run to tell
    alone = run_python(["-m", "dlmath", "check", "sigmoid_backward"], folder)
    assert "sigmoid fails its own checks; fix it first (check sigmoid to see why)" in alone.stdout, alone.stdout


def test_an_endless_loop_is_stopped_once_not_per_case(learner):
    folder = learner({"relu": "while True:\n    pass"})
    start = time.perf_counter()
    done = run_python(["-m", "dlmath", "check", "relu"], folder, timeout=60)
    assert "did not finish in time" in done.stdout
    assert time.perf_counter() - start < 15  # one 5 s limit, not one per case


def test_a_syntax_error_is_reported_with_its_line(learner):
    folder = learner()
    path = folder / "dlmath" / "activations.py"
    path.write_text(path.read_text() + "\ndef broken(:\n")
    done = run_python(["-m", "dlmath", "check", "relu"], folder)
    assert "could not be used: SyntaxError" in done.stdout and "(line" in done.stdout


def test_unknown_target_lists_what_exists(learner):
    done = run_python(["-m", "dlmath", "check", "sigmiod"], learner())
    assert done.returncode == 2 and "no checks named 'sigmiod'" in done.stderr and "sigmoid" in done.stderr


def test_checks_never_import_tensorflow(learner):
    code = "import sys, dlmath; dlmath.check('03_activations'); print('TF', 'tensorflow' in sys.modules)"
    done = run_python(["-c", code], learner())
    assert done.stdout.strip().endswith("TF False"), done.stdout


def test_assert_implemented_fails_only_for_stubs(learner):
    code = ("import dlmath\ntry:\n    dlmath.assert_implemented('sigmoid')\n    print('implemented')\n"
            "except NotImplementedError as e:\n    print('stub:', e)")
    assert "stub: dlmath.activations.sigmoid is not implemented yet — see 03_activations §2.2" in \
        run_python(["-c", code], learner(stubs=True)).stdout
    # a wrong (but implemented) function passes: its points are for the hidden tests to decide
    assert "implemented" == run_python(["-c", code], learner({"sigmoid": "return z"})).stdout.strip()


def test_skip_if_missing_names_the_function_and_keeps_going(learner):
    code = ("import dlmath, numpy as np\nfrom dlmath.activations import relu\nwith dlmath.skip_if_missing():\n"
            "    relu(np.ones(3))\n    print('not reached')\nprint('next cell')")
    done = run_python(["-c", code], learner(stubs=True))
    assert "Skipped: dlmath.activations.relu is not implemented yet — see 03_activations §4.1" in done.stdout
    assert "not reached" not in done.stdout and "next cell" in done.stdout and done.returncode == 0


def test_check_reloads_a_module_edited_after_import(learner):
    folder = learner({"relu": "return z"})
    code = ("import dlmath, pathlib, os, time\nfrom dlmath.checking import run\nprint(run('relu')[0].passed)\n"
            "p = pathlib.Path('dlmath/activations.py')\n"
            "p.write_text(p.read_text().replace('    return z\\n', '    return np.maximum(z, 0)\\n', 1))\n"
            "os.utime(p, (time.time() + 5, time.time() + 5))\nprint(run('relu')[0].passed)")
    assert run_python(["-c", code], folder).stdout.split() == ["False", "True"]


def test_a_wrong_value_is_shown_with_the_named_inputs_expected_and_got(learner):
    folder = learner({"relu_backward": "return np.where(z >= 0, dout, 0)"})
    done = run_python(["-m", "dlmath", "check", "relu_backward"], folder)
    # the first failing element: the inputs by their parameter names, then expected vs got
    assert "wrong values at index (3,) (dout = " in done.stdout and ", z = 0): expected 0, got " in done.stdout, done.stdout


def test_every_class_mistake_is_named_by_the_learners_check():
    covered = {(f, b) for f, b, _ in MISTAKES.values()}
    for student, bodies in reference.CLASS.items():
        for function, body in bodies.items():
            assert (function, body) in covered, student


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_costs_only_its_own_function(learner, student):
    scores = {name: v.score for name, v in judge_submission(CHAPTER, learner(reference.CLASS[student])).items()}
    full = {g.name: g.points for g in chapters.get(CHAPTER).graded}
    lost = {name for name in full if scores[name] < full[name]}
    assert lost == reference.EXPECTED_LOSSES[student], scores
