"""The learner's checks for 04_losses name the mistake: `python -m dlmath check` on folders with typical errors."""
from __future__ import annotations

import pytest

from conftest import run_python
from grading import chapters, demo, editions
from grading.judge import judge_submission
from grading.references import losses as reference

CHAPTER = "04_losses"

# label → (function, wrong body, text the check output must contain)
MISTAKES = {
    "bce without the clip": (
        "binary_cross_entropy", reference.CLASS["bce_no_clip"]["binary_cross_entropy"], "Clip first, as Keras does"),
    "bce from logits through a naive sigmoid": (
        "binary_cross_entropy_with_logits",
        reference.CLASS["bce_logits_naive"]["binary_cross_entropy_with_logits"], "max(z, 0) − z·y + log1p(exp(−|z|))"),
    "bce gradient ignores the clip": (
        "binary_cross_entropy_backward", reference.CLASS["bce_grad_ignores_clip"]["binary_cross_entropy_backward"],
        "the gradient there is 0"),
    "categorical cross-entropy summed over the batch": (
        "categorical_cross_entropy_with_logits",
        reference.CLASS["cce_sum_over_batch"]["categorical_cross_entropy_with_logits"], "You summed over the batch"),
    "softmax cross-entropy gradient without 1/N": (
        "categorical_cross_entropy_with_logits_backward",
        reference.CLASS["softmax_grad_no_mean"]["categorical_cross_entropy_with_logits_backward"],
        "divide by the number of samples N"),
    "sparse labels indexed along the wrong axis": (
        "sparse_categorical_cross_entropy_with_logits",
        reference.CLASS["sparse_wrong_axis"]["sparse_categorical_cross_entropy_with_logits"],
        "picks the labels' columns for *every* sample"),
    "mse summed": ("mse", "return np.sum((y_pred - y_true) ** 2)", "MSE is their mean"),
    "mse gradient without 1/n": ("mse_backward", "return 2 * (y_pred - y_true)", "factor 1/n"),
    "mse per-sample losses returned": ("mse", "return np.mean((y_pred - y_true) ** 2, axis=-1)", "Return one number"),
    "bce ignores the epsilon argument": (
        "binary_cross_entropy",
        "p = np.clip(y_pred, 1e-7, 1 - 1e-7)\nreturn -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))",
        "Clip with the `epsilon` argument"),
    "cce on probabilities without renormalising": (
        "categorical_cross_entropy",
        "p = np.clip(y_pred, epsilon, 1 - epsilon)\nreturn np.mean(-np.sum(y_true * np.log(p), axis=-1))",
        "Keras first renormalises each row"),
    "cce gradient without the renormalisation's part": (
        "categorical_cross_entropy_backward",
        "p = np.clip(y_pred, epsilon, 1 - epsilon)\nreturn -y_true / p / (y_pred.size // y_pred.shape[-1])",
        "Add its part"),
    "cce from logits through log(softmax)": (
        "categorical_cross_entropy_with_logits",
        "return np.mean(-np.sum(y_true * np.log(softmax(logits)), axis=-1))", "Use dlmath.activations.log_softmax"),
    "bce-with-logits gradient multiplied by the sigmoid's derivative": (
        "binary_cross_entropy_with_logits_backward",
        "s = sigmoid(logits)\nreturn (s - y_true) * s * (1 - s) / logits.size", "Don't multiply by σ'(z) again"),
    "sparse gradient forgets the one-hot": (
        "sparse_categorical_cross_entropy_with_logits_backward", "return softmax(logits) / labels.size",
        "Subtract the one-hot vector"),
    "huber without the half": ("huber", reference.CLASS["huber_no_half"]["huber"], "the factor ½ is missing"),
    "huber without the minus half delta squared": (
        "huber", "x = y_pred - y_true\nreturn np.mean(np.where(np.abs(x) <= delta, 0.5 * x ** 2, delta * np.abs(x)))",
        "the − ½δ² is missing"),
    "huber ignores delta": (
        "huber", "x = y_pred - y_true\nreturn np.mean(np.where(np.abs(x) <= 1, 0.5 * x ** 2, np.abs(x) - 0.5))",
        "Use the delta argument"),
    "huber gradient not clipped": ("huber_backward", "return (y_pred - y_true) / y_pred.size", "clip the error"),
    "huber gradient without 1/n": ("huber_backward", "return np.clip(y_pred - y_true, -delta, delta)", "factor 1/n"),
    "hinge with Keras's max over (1 - y) * scores": (
        "multiclass_hinge", reference.CLASS["hinge_keras_max"]["multiclass_hinge"], "keras.losses.CategoricalHinge does this"),
    "hinge max over every class": (
        "multiclass_hinge", "s = np.sum(y_true * y_pred, axis=-1)\nreturn np.mean(np.maximum(1 + np.max(y_pred, axis=-1) - s, 0))",
        "The max runs over the *wrong* classes only"),
    "hinge summed over the wrong classes": (
        "multiclass_hinge", "s = np.sum(y_true * y_pred, axis=-1, keepdims=True)\n"
        "return np.mean(np.sum(np.where(y_true == 1, 0, np.maximum(1 + y_pred - s, 0)), axis=-1))", "Weston–Watkins"),
    "hinge gradient gives ties to the first maximum": (
        "multiclass_hinge_backward", "others = np.where(y_true == 1, -np.inf, y_pred)\n"
        "first = np.eye(y_pred.shape[-1])[np.argmax(others, axis=-1)]\n"
        "margin = 1 + np.max(others, axis=-1, keepdims=True) - np.sum(y_true * y_pred, axis=-1, keepdims=True)\n"
        "return np.where(margin >= 0, first - y_true, 0) / (y_pred.size // y_pred.shape[-1])", "share the +1/N equally"),
    "hinge gradient ignores inactive margins": (
        "multiclass_hinge_backward", "others = np.where(y_true == 1, -np.inf, y_pred)\n"
        "w = others == np.max(others, axis=-1, keepdims=True)\n"
        "return (w / np.sum(w, axis=-1, keepdims=True) - y_true) / (y_pred.size // y_pred.shape[-1])",
        "the loss is 0 and so is its gradient"),
    "loss returned as a Python float": (
        "binary_cross_entropy_with_logits",
        "return float(np.mean(np.maximum(logits, 0) - logits * y_true + np.log1p(np.exp(-np.abs(logits)))))",
        "returned dtype float64, expected float32"),
}


def folder_with(tmp_path, bodies=None, stubs=False):
    editions.write_student_package(CHAPTER, tmp_path)
    if not stubs:
        (tmp_path / "dlmath" / "losses.py").write_text(demo.solved_module("losses", bodies, CHAPTER), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("label", MISTAKES)
def test_check_names_the_typical_mistake(tmp_path, label):
    function, body, hint = MISTAKES[label]
    done = run_python(["-m", "dlmath", "check", function], folder_with(tmp_path, {function: body}))
    assert done.returncode == 1, done.stdout
    assert f"✗ dlmath.losses.{function}" in done.stdout
    assert hint in done.stdout, done.stdout


def test_every_class_mistake_is_covered_here():
    covered = {(f, b) for f, b, _ in MISTAKES.values()}
    for bodies in reference.CLASS.values():
        for function, body in bodies.items():
            assert (function, body) in covered


@pytest.mark.parametrize("audience", ["public", "hidden"])
def test_cases_tell_inclusive_from_strict_clip_bounds(audience):
    # A gradient zeroed where ŷ <= ε (instead of ŷ < ε) must fail a check the learner can run, not
    # only the grader's: both files hold probabilities of exactly ε and 1 − ε, where TensorFlow
    # passes the gradient through.
    from dlmath.checking.cases import load_chapter_file
    from grading import chapters

    chapter = chapters.get(CHAPTER)
    path = chapter.public_cases if audience == "public" else chapter.hidden_fixture
    spec = load_chapter_file(path)["binary_cross_entropy_backward"]
    names = [c.name for c in spec.cases]
    assert "probabilities exactly ε and 1 − ε" in names
    case = spec.cases[names.index("probabilities exactly ε and 1 − ε")]
    assert all(case.expected[0] != 0)  # TensorFlow passes the gradient at p = ε and 1 − ε


def test_check_passes_the_correct_chapter_and_exits_zero(tmp_path):
    done = run_python(["-m", "dlmath", "check", CHAPTER], folder_with(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "16/16 functions pass all their checks" in done.stdout


def test_stubs_report_not_implemented_with_their_section(tmp_path):
    done = run_python(["-m", "dlmath", "check", "mse", "sparse_categorical_cross_entropy_with_logits_backward"],
                      folder_with(tmp_path, stubs=True))
    assert "· dlmath.losses.mse: not implemented yet — see 04_losses §2.1" in done.stdout
    assert ("· dlmath.losses.sparse_categorical_cross_entropy_with_logits_backward: not implemented yet — "
            "see 04_losses §4.5") in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_costs_only_its_own_function(tmp_path, student):
    folder = folder_with(tmp_path, reference.CLASS[student])
    scores = {name: v.score for name, v in judge_submission(CHAPTER, folder).items()}
    full = {g.name: g.points for g in chapters.get(CHAPTER).graded}
    lost = {name for name in full if scores[name] < full[name]}
    assert lost == reference.EXPECTED_LOSSES[student], scores


def test_stubs_of_the_new_losses_report_their_sections(tmp_path):
    done = run_python(["-m", "dlmath", "check", "huber", "multiclass_hinge_backward"], folder_with(tmp_path, stubs=True))
    assert "· dlmath.losses.huber: not implemented yet — see 04_losses §2.3" in done.stdout
    assert "· dlmath.losses.multiclass_hinge_backward: not implemented yet — see 04_losses §4.6" in done.stdout
